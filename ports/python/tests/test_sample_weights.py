"""sample_weight (issue 12): fit(X, y, sample_weight) passes the weights to dsc_fit_weighted.
Row i counts w_i times in the loss, its gradient and curvature; the mean is sum w l / sum w.
Checked against scikit-learn's LinearRegression and LogisticRegression (penalty None) with the
same weights, on data sets shipped with scikit-learn, as shipped, and against repeated rows."""
import numpy as np
import pytest

import descent

sklm = pytest.importorskip("sklearn.linear_model")
datasets = pytest.importorskip("sklearn.datasets")
metrics = pytest.importorskip("sklearn.metrics")


def weights(n, seed):
    """Log-uniform over [0.1, 10], one row in eight weightless."""
    rng = np.random.default_rng(seed)
    w = 10.0 ** rng.uniform(-1, 1, size=n)
    w[rng.uniform(size=n) < 0.125] = 0.0
    return w


def test_linear_matches_sklearn_weighted_least_squares():
    X, y = datasets.load_diabetes(return_X_y=True)  # as shipped (scaled columns, raw target)
    w = weights(len(y), 1)
    ours = descent.LinearRegression().fit(X, y, sample_weight=w)
    assert ours.fit_report_["converged"]
    ref = sklm.LinearRegression().fit(X, y, sample_weight=w)
    plain = sklm.LinearRegression().fit(X, y)
    assert np.max(np.abs(plain.coef_ - ref.coef_)) > 1.0  # the weights move the optimum
    scale = np.max(np.abs(ref.coef_))
    assert np.max(np.abs(ours.coef_ - ref.coef_)) / scale < 1e-4
    assert abs(float(np.ravel(ours.intercept_)[0]) - ref.intercept_) / abs(ref.intercept_) < 1e-5
    # The weighted loss and score are scikit-learn's weighted mean and weighted R^2.
    pred = ref.predict(X)
    want = np.sum(w * (pred - y) ** 2) / np.sum(w)
    assert ours.compute_loss(X, y, sample_weight=w) == pytest.approx(want, rel=1e-4)
    assert ours.score(X, y, sample_weight=w) == pytest.approx(
        metrics.r2_score(y, pred, sample_weight=w), abs=1e-5)


@pytest.mark.parametrize("name", ["iris", "breast_cancer"])
def test_logistic_matches_sklearn_on_shipped_data(name):
    # As shipped: iris, virginica against the rest (4 columns); breast_cancer's ten "mean"
    # columns (1e-3 to 2.5e3; all 30 columns separate the classes, and without a penalty the
    # optimum is then at infinity).
    if name == "iris":
        X, t = datasets.load_iris(return_X_y=True)
        y = (t == 2).astype(int)
    else:
        X, y = datasets.load_breast_cancer(return_X_y=True)
        X = X[:, :10]
    w = weights(len(y), 2)
    ours = descent.LogisticRegression().fit(X, y, sample_weight=w)
    assert ours.fit_report_["converged"]
    # scikit-learn's lbfgs needs scaled columns to converge; the optimum's probabilities are
    # the same in any affine coordinates.
    Xs = (X - X.mean(0)) / X.std(0)
    ref = sklm.LogisticRegression(penalty=None, tol=1e-12, max_iter=100000).fit(Xs, y, sample_weight=w)
    p_ours = ours.predict_proba(X)[:, 1]
    p_ref = ref.predict_proba(Xs)[:, 1]
    assert np.max(np.abs(p_ours - p_ref)) < 1e-4
    unweighted = sklm.LogisticRegression(penalty=None, tol=1e-12, max_iter=100000).fit(Xs, y)
    assert np.max(np.abs(unweighted.predict_proba(Xs)[:, 1] - p_ref)) > 1e-2  # not a no-op
    assert np.mean(ours.predict(X) == ref.predict(Xs)) > 0.99
    acc_w = ours.score(X, y, sample_weight=w)
    assert acc_w == pytest.approx(np.sum(w * (ours.predict(X) == y)) / np.sum(w))


def test_integer_weights_equal_repeated_rows():
    rng = np.random.default_rng(3)
    n = 400
    p = 1.0e5 + 2.5e3 * rng.normal(size=n)
    s = 1e-3 + 2e-4 * rng.normal(size=n)
    X = np.stack([p, s], axis=1).astype(np.float32)
    y = (3.0 + 4e-4 * (p - 1e5) + 2e3 * (s - 1e-3) + 0.5 * rng.normal(size=n)).astype(np.float32)
    w = rng.integers(0, 4, size=n)
    a = descent.LinearRegression().fit(X, y, sample_weight=w)
    b = descent.LinearRegression().fit(np.repeat(X, w, 0), np.repeat(y, w))
    np.testing.assert_allclose(a.params_, b.params_, rtol=1e-5)
    # The cubic: weighted against repeated.
    x = rng.uniform(-2, 2, size=n).astype(np.float32)
    t = (np.sin(x) + 0.05 * rng.normal(size=n)).astype(np.float32)
    c = descent.PolynomialRegression(degree=3).fit(x, t, sample_weight=w)
    d = descent.PolynomialRegression(degree=3).fit(np.repeat(x, w), np.repeat(t, w))
    np.testing.assert_allclose(c.coef_, d.coef_, rtol=1e-5, atol=1e-6)
    # ... and numpy's weighted polynomial fit (polyfit weights multiply the residual: sqrt w).
    ref = np.polynomial.polynomial.polyfit(x.astype(np.float64), t, 3, w=np.sqrt(w))
    np.testing.assert_allclose(c.coef_, ref, atol=1e-5)


def test_partial_fit_takes_weights_and_refusals():
    X, y = datasets.load_diabetes(return_X_y=True)
    m = descent.LinearRegression(solver="gd", lr=0.1, max_epochs=5)
    m.partial_fit(X, y, sample_weight=weights(len(y), 4))
    m.partial_fit(X, y, sample_weight=weights(len(y), 5))
    assert m.n_iter_ == 10
    for bad in (-np.ones(len(y)), np.full(len(y), np.nan), np.zeros(len(y)), np.ones(3)):
        with pytest.raises(ValueError):
            descent.LinearRegression().fit(X, y, sample_weight=bad)
    # A scalar weight is that weight on every row: the unweighted optimum.
    a = descent.LinearRegression().fit(X, y, sample_weight=2.5)
    b = descent.LinearRegression().fit(X, y)
    np.testing.assert_allclose(a.params_, b.params_, rtol=1e-5)
