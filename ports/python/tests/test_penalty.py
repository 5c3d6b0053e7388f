"""penalty / alpha / l1_ratio / average on LinearRegression and LogisticRegression (issue 12),
against scikit-learn's Lasso, ElasticNet and saga LogisticRegression on the same float32 data."""
import numpy as np
import pytest

import descent

sklm = pytest.importorskip("sklearn.linear_model")


@pytest.fixture
def sparse_data():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(300, 8)).astype(np.float32)
    w = np.array([1.5, -0.8, 2.0, 0, 0, 0, 0, 0])
    y = (X.astype(np.float64) @ w + 0.7 + 0.3 * rng.normal(size=300)).astype(np.float32)
    return X, y


def exact(**kw):
    """Full-batch proximal GD on raw features, run to float32 resolution."""
    return dict(standardize="off", solver="gd", lr=0.0, conv_tol=1e-14, max_epochs=20000, **kw)


@pytest.mark.parametrize("penalty,ref", [
    ("l1", lambda: sklm.Lasso(alpha=0.1, tol=1e-12, max_iter=100000)),
    ("elasticnet", lambda: sklm.ElasticNet(alpha=0.1, l1_ratio=0.4, tol=1e-12, max_iter=100000)),
])
def test_linear_matches_sklearn(sparse_data, penalty, ref):
    X, y = sparse_data
    est = descent.LinearRegression(penalty=penalty, alpha=0.1, l1_ratio=0.4, **exact()).fit(X, y)
    sk = ref().fit(X.astype(np.float64), y.astype(np.float64))
    np.testing.assert_allclose(est.coef_, sk.coef_, atol=1e-5)
    assert est.intercept_ == pytest.approx(sk.intercept_, abs=1e-5)
    np.testing.assert_array_equal(est.coef_ == 0, sk.coef_ == 0)  # the same exact zeros
    assert np.count_nonzero(est.coef_ == 0) >= 4


def test_l2_penalty_spares_the_intercept(sparse_data):
    X, y = sparse_data
    est = descent.LinearRegression(penalty="l2", alpha=0.5, **exact()).fit(X, y)
    sk = sklm.ElasticNet(alpha=0.5, l1_ratio=0.0, tol=1e-12, max_iter=100000)
    with np.errstate(all="ignore"):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sk.fit(X.astype(np.float64), y.astype(np.float64))
    # Ridge on w only: closed form on centred data.
    Xc = X.astype(np.float64) - X.mean(0)
    yc = y.astype(np.float64) - y.mean()
    n = X.shape[0]
    w = np.linalg.solve(Xc.T @ Xc / n + 0.5 * np.eye(8), Xc.T @ yc / n)
    np.testing.assert_allclose(est.coef_, w, atol=1e-5)
    assert est.intercept_ == pytest.approx(y.mean() - X.mean(0) @ w, abs=1e-5)


def test_logistic_matches_sklearn_saga():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 6)).astype(np.float32)
    z = X.astype(np.float64) @ np.array([1.0, -1.5, 0.7, 0, 0, 0]) - 0.2
    y = (rng.random(300) < 1 / (1 + np.exp(-z))).astype(np.float32)
    alpha, r = 0.03, 0.8
    est = descent.LogisticRegression(penalty="elasticnet", alpha=alpha, l1_ratio=r,
                                     **exact()).fit(X, y)
    sk = sklm.LogisticRegression(l1_ratio=r, C=1.0 / (alpha * 300), solver="saga", tol=1e-12,
                                 max_iter=100000).fit(X.astype(np.float64), y)
    np.testing.assert_allclose(est.coef_, sk.coef_, atol=2e-5)
    np.testing.assert_allclose(est.intercept_, sk.intercept_, atol=2e-5)
    np.testing.assert_array_equal(est.coef_ == 0, sk.coef_ == 0)


def test_average_uses_the_averaged_coefficients(sparse_data):
    X, y = sparse_data
    kw = dict(batch_size=1, lr=0.01, shuffle=False, solver="gd", standardize="off", max_epochs=3)
    plain = descent.LinearRegression(**kw).fit(X, y)
    avg = descent.LinearRegression(average=True, **kw).fit(X, y)
    late = descent.LinearRegression(average=300, **kw).fit(X, y)
    assert not np.array_equal(plain.coef_, avg.coef_)
    assert not np.array_equal(avg.coef_, late.coef_)
    # Averaged past the transient (from the second epoch on), the iterates' mean is closer to
    # the least-squares solution than the last, noisy iterate.
    ls = np.linalg.lstsq(np.hstack([np.ones((300, 1)), X.astype(np.float64)]),
                         y.astype(np.float64), rcond=None)[0]
    assert np.abs(late.coef_ - ls[1:]).max() < np.abs(plain.coef_ - ls[1:]).max()
    np.testing.assert_allclose(avg.predict(X), X @ avg.coef_ + avg.intercept_, rtol=1e-5, atol=1e-5)
    # save / load keeps the average and the parameters
    back = descent.load(avg.save())
    assert back.get_params()["average"] is True
    np.testing.assert_array_equal(back.coef_, avg.coef_)
    assert descent.load(late.save()).get_params()["average"] == 300


def test_load_restores_the_penalty(sparse_data):
    X, y = sparse_data
    est = descent.LinearRegression(penalty="elasticnet", alpha=0.05, l1_ratio=0.3,
                                   max_epochs=50).fit(X, y)
    p = descent.load(est.save()).get_params()
    assert p["penalty"] == "elasticnet"
    assert p["alpha"] == pytest.approx(0.05)
    assert p["l1_ratio"] == pytest.approx(0.3)


@pytest.mark.parametrize("kw", [dict(penalty="l3"), dict(penalty="l1", alpha=-1.0),
                                dict(penalty="l1", alpha=float("nan")),
                                dict(penalty="elasticnet", l1_ratio=1.5), dict(average=-1),
                                dict(average=1.5)])
def test_bad_values_raise_value_error(sparse_data, kw):
    X, y = sparse_data
    with pytest.raises(ValueError):
        descent.LinearRegression(**kw).fit(X, y)


def test_newton_refuses_the_penalty(sparse_data):
    X, y = sparse_data
    with pytest.raises(descent.DescentError, match="config.alpha"):
        descent.LinearRegression(penalty="l1", alpha=0.1, solver="newton").fit(X, y)
    # AUTO picks GD for it
    est = descent.LinearRegression(penalty="l1", alpha=0.1, max_epochs=200).fit(X, y)
    assert est.fit_report_["solver"] == "gd"
