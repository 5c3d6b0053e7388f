"""class_weight on LogisticRegression (issue 12): scikit-learn's None / 'balanced' / dict,
applied to every row's loss, gradient and curvature. Checked against scikit-learn's
LogisticRegression (penalty None) with the same class_weight, and against repeated rows."""
import numpy as np
import pytest

import descent

sklm = pytest.importorskip("sklearn.linear_model")


@pytest.fixture
def imbalanced():
    """Pressure (Pa) and temperature (K) columns, about one positive row in six, string labels."""
    rng = np.random.default_rng(11)
    n = 600
    p = 1.0e5 + 2.0e3 * rng.normal(size=n)
    t = 290 + 8 * rng.normal(size=n)
    z = -2.2 + 6e-4 * (p - 1e5) + 0.12 * (t - 290)
    y = np.where(rng.uniform(size=n) < 1 / (1 + np.exp(-z)), "fault", "ok")
    return np.stack([p, t], axis=1).astype(np.float32), y


@pytest.mark.parametrize("cw", ["balanced", {"fault": 4.0}, {"fault": 2.0, "ok": 0.5}])
def test_matches_sklearn_class_weight(imbalanced, cw):
    X, y = imbalanced
    ours = descent.LogisticRegression(class_weight=cw).fit(X, y)
    assert ours.fit_report_["converged"]
    Xs = (X - X.mean(0)) / X.std(0)  # scikit-learn's lbfgs needs the scaling to converge
    ref = sklm.LogisticRegression(penalty=None, class_weight=cw, tol=1e-12, max_iter=10000)
    ref.fit(Xs.astype(np.float64), y)
    p_ours = ours.predict_proba(X)[:, list(ours.classes_).index("ok")]
    p_ref = ref.predict_proba(Xs)[:, list(ref.classes_).index("ok")]
    assert np.max(np.abs(p_ours - p_ref)) < 1e-4
    assert np.mean(ours.predict(X) == ref.predict(Xs)) > 0.995
    # Weighting the rare class up moves predictions towards it.
    plain = descent.LogisticRegression().fit(X, y)
    assert np.sum(ours.predict(X) == "fault") >= np.sum(plain.predict(X) == "fault")


def test_integer_weight_equals_repeated_rows(imbalanced):
    X, y = imbalanced
    rep = np.where(y == "fault", 3, 1)
    a = descent.LogisticRegression(class_weight={"fault": 3}, reduction="sum").fit(X, y)
    b = descent.LogisticRegression(reduction="sum").fit(np.repeat(X, rep, 0), np.repeat(y, rep))
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-5)
    np.testing.assert_allclose(a.intercept_, b.intercept_, rtol=1e-5)


def test_round_trip_and_refusals(imbalanced):
    X, y = imbalanced
    est = descent.LogisticRegression(class_weight="balanced").fit(X, y)
    back = descent.load(est.save())
    # classes_ sorts "fault" before "ok": the loaded weights keep that order.
    want = len(y) / (2 * np.array([np.sum(y == "fault"), np.sum(y == "ok")]))
    assert [back.class_weight[0.0], back.class_weight[1.0]] == pytest.approx(list(want), rel=1e-6)
    np.testing.assert_array_equal(back.predict(X), (est.predict(X) == est.classes_[1]).astype(np.float32))
    with pytest.raises(ValueError):
        descent.LogisticRegression(class_weight={"nope": 2.0}).fit(X, y)
    with pytest.raises(ValueError):
        descent.LogisticRegression(class_weight={"fault": -1.0}).fit(X, y)
    with pytest.raises(ValueError):
        descent.LogisticRegression(class_weight="heavy").fit(X, y)
