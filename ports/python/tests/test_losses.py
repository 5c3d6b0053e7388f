"""loss / epsilon on LinearRegression and LogisticRegression (issue 12): scikit-learn's SGD
losses. The row losses are checked against scikit-learn's own loss objects (the ones its
SGDRegressor and SGDClassifier train with), the fits against a float64 optimum from scipy and
against SGDRegressor / SGDClassifier on the same float32 data."""
import numpy as np
import pytest

import descent

sklm = pytest.importorskip("sklearn.linear_model")
sgd_fast = pytest.importorskip("sklearn.linear_model._sgd_fast")
sk_loss = pytest.importorskip("sklearn._loss._loss")
optimize = pytest.importorskip("scipy.optimize")


@pytest.fixture
def spiky():
    """Sensor data in physical units with 10% spikes."""
    rng = np.random.default_rng(3)
    n = 400
    p = 1.0e5 + 2.0e3 * rng.normal(size=n)
    s = 1.0e-3 * (1 + 0.3 * rng.normal(size=n))
    t = 290 + 8 * rng.normal(size=n)
    X = np.stack([p, s, t], axis=1).astype(np.float32)
    y = -345 + 0.002 * p + 5000 * s + 0.5 * t + 0.2 * rng.normal(size=n)
    spikes = rng.choice(n, n // 10, replace=False)
    y[spikes] += rng.choice([-1, 1], n // 10) * rng.uniform(5, 15, n // 10)
    return X, y.astype(np.float32)


def sklearn_rows(loss, eps, z, y):
    """Per-row loss from scikit-learn's implementation of it."""
    z = np.asarray(z, np.float64)
    y = np.asarray(y, np.float64)
    if loss == "huber":
        out = np.zeros_like(z)
        sk_loss.CyHuberLoss(eps).loss(y, z, None, out, 1)
        return out
    if loss == "hinge":
        f = sgd_fast.Hinge(1.0)
        return np.array([f.py_loss(zi, 2 * yi - 1) for zi, yi in zip(z, y)])
    f = {"epsilon_insensitive": sgd_fast.EpsilonInsensitive,
         "squared_epsilon_insensitive": sgd_fast.SquaredEpsilonInsensitive}[loss](eps)
    return np.array([f.py_loss(zi, yi) for zi, yi in zip(z, y)])


@pytest.mark.parametrize("loss", ["huber", "epsilon_insensitive", "squared_epsilon_insensitive"])
def test_loss_is_sklearns(spiky, loss):
    X, y = spiky
    est = descent.LinearRegression(loss=loss, epsilon=0.7, lr=1e-12, max_epochs=1,
                                   standardize="off").fit(X, y)
    z = X.astype(np.float64) @ est.coef_.astype(np.float64) + est.intercept_
    want = sklearn_rows(loss, 0.7, z, y).mean()
    assert est.compute_loss(X, y) == pytest.approx(want, rel=1e-5)


@pytest.mark.parametrize("loss", ["huber", "squared_epsilon_insensitive"])
def test_defaults_reach_the_optimum(spiky, loss):
    X, y = spiky
    est = descent.LinearRegression(loss=loss, epsilon=1.0, max_epochs=100000).fit(X, y)
    assert est.fit_report_["converged"] == 1
    X64, y64 = X.astype(np.float64), y.astype(np.float64)
    mu, sd = X64.mean(0), X64.std(0)

    def f(v):  # on standardized columns: the same objective, well conditioned
        z = v[0] + ((X64 - mu) / sd) @ v[1:]
        return sklearn_rows(loss, 1.0, z, y64).mean()

    best = optimize.minimize(f, np.zeros(4), method="Nelder-Mead",
                             options=dict(xatol=1e-12, fatol=1e-14, maxiter=40000, maxfev=40000))
    best = optimize.minimize(f, best.x, method="BFGS", options=dict(gtol=1e-12))
    ours = f(np.concatenate([[est.intercept_ + est.coef_ @ mu], est.coef_ * sd]))
    assert ours <= best.fun * (1 + 1e-6)
    # Huber's fit is not dragged by the spikes; least squares' is.
    if loss == "huber":
        ls = descent.LinearRegression().fit(X, y)
        assert abs(est.coef_[1] - 5000) < abs(ls.coef_[1] - 5000)


def test_at_least_as_good_as_sgdregressor(spiky):
    X, y = spiky
    Xs = (X - X.mean(0)) / X.std(0)
    ours = descent.LinearRegression(loss="huber", epsilon=1.0).fit(Xs, y)
    sk = sklm.SGDRegressor(loss="huber", epsilon=1.0, penalty=None, max_iter=2000, tol=1e-8,
                           random_state=0).fit(Xs, y)
    f_sk = sklearn_rows("huber", 1.0, Xs.astype(np.float64) @ sk.coef_ + sk.intercept_[0], y).mean()
    assert ours.compute_loss(Xs, y) <= f_sk * (1 + 1e-6)


def test_hinge_classifier():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(400, 3)).astype(np.float32)
    y = np.where(X @ [1.0, -1.0, 0.5] + 0.4 + 0.8 * rng.normal(size=400) > 0, "yes", "no")
    est = descent.LogisticRegression(loss="hinge", lr=0.05, batch_size=16, momentum=0.9,
                                     penalty="l2", alpha=1e-3, max_epochs=50).fit(X, y)
    sk = sklm.SGDClassifier(loss="hinge", alpha=1e-3, random_state=0).fit(X, y)
    assert est.score(X, y) >= sk.score(X, y) - 0.03
    d = est.decision_function(X)
    np.testing.assert_array_equal(est.predict(X), np.where(d >= 0, "yes", "no"))
    with pytest.raises(AttributeError):
        est.predict_proba(X)
    # The objective descent reports is scikit-learn's hinge.
    y01 = (y == "yes").astype(np.float64)
    assert est.compute_loss(X, y) == pytest.approx(sklearn_rows("hinge", 0, d, y01).mean(), rel=1e-5)
    back = descent.load(est.save())
    assert back.loss == "hinge"
    np.testing.assert_array_equal(back.decision_function(X), d)


def test_bad_values_and_unsupported_combinations(spiky):
    X, y = spiky
    with pytest.raises(ValueError):
        descent.LinearRegression(loss="cauchy").fit(X, y)
    with pytest.raises(ValueError):
        descent.LinearRegression(loss="huber", epsilon=-1.0).fit(X, y)
    with pytest.raises(ValueError):
        descent.LogisticRegression(loss="huber").fit(X, y > y.mean())
    # The non-smooth losses need an explicit rate; NEWTON takes the default loss only.
    with pytest.raises(Exception, match="lr"):
        descent.LinearRegression(loss="epsilon_insensitive").fit(X, y)
    with pytest.raises(Exception, match="NEWTON"):
        descent.LinearRegression(loss="huber", solver="newton").fit(X, y)


def test_load_restores_loss_and_epsilon(spiky):
    X, y = spiky
    est = descent.LinearRegression(loss="huber", epsilon=0.25, penalty="l2", alpha=0.01).fit(X, y)
    back = descent.LinearRegression.load(est.save())
    assert back.get_params()["loss"] == "huber"
    assert back.get_params()["epsilon"] == 0.25
    assert back.get_params()["alpha"] == pytest.approx(0.01)
    np.testing.assert_array_equal(back.predict(X), est.predict(X))
