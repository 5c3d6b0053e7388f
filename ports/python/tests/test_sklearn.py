"""Fits compared with scikit-learn's on data generated here."""
import warnings

import numpy as np
import pytest
import sklearn
from sklearn import linear_model
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

import descent


def unpenalized_logistic():
    """scikit-learn's LogisticRegression without a penalty: penalty=None before 1.8,
    C=inf from 1.8 on (penalty is deprecated there)."""
    major, minor = (int(v) for v in sklearn.__version__.split(".")[:2])
    if (major, minor) >= (1, 8):
        return linear_model.LogisticRegression(C=np.inf, tol=1e-10, max_iter=10000)
    return linear_model.LogisticRegression(penalty=None, tol=1e-10, max_iter=10000)


def test_linear_matches_sklearn(linear_data):
    X, y = linear_data
    ours = descent.LinearRegression().fit(X, y)
    ref = linear_model.LinearRegression().fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-4)
    assert abs(ours.intercept_ - ref.intercept_) < 1e-4
    assert abs(ours.score(X, y) - ref.score(X, y)) < 1e-6
    np.testing.assert_allclose(ours.predict(X[:50]), ref.predict(X[:50]), atol=1e-3)


def test_linear_minibatch_momentum_matches_sklearn(linear_data):
    X, y = linear_data
    ours = descent.LinearRegression(batch_size=32, momentum=0.9, max_epochs=200,
                                    random_state=3).fit(X, y)
    ref = linear_model.LinearRegression().fit(X, y)
    # SGD noise: the fit wanders within the noise of the data around least squares.
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=2e-2)
    assert ours.score(X, y) > ref.score(X, y) - 1e-3


def test_logistic_matches_sklearn_without_penalty(logistic_data):
    X, y = logistic_data
    ours = descent.LogisticRegression().fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        ref = unpenalized_logistic().fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-3)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-3)
    np.testing.assert_allclose(ours.predict_proba(X)[:, 1], ref.predict_proba(X)[:, 1],
                               atol=1e-4)
    assert np.mean(ours.predict(X) == ref.predict(X)) > 0.995
    assert abs(ours.score(X, y) - ref.score(X, y)) < 0.005


def test_logistic_minibatch_matches_sklearn(logistic_data):
    X, y = logistic_data
    ours = descent.LogisticRegression(batch_size=64, max_epochs=300, random_state=1,
                                      learning_rate="invscaling", power_t=0.25).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        ref = unpenalized_logistic().fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=0.02)
    assert abs(ours.score(X, y) - ref.score(X, y)) < 0.01


def test_logistic_string_classes(logistic_data):
    X, y = logistic_data
    labels = np.where(y > 0.5, "yes", "no")
    ours = descent.LogisticRegression().fit(X, labels)
    assert list(ours.classes_) == ["no", "yes"]
    ref = descent.LogisticRegression().fit(X, y)
    np.testing.assert_array_equal(ours.coef_, ref.coef_)
    assert set(ours.predict(X[:20])) <= {"no", "yes"}


def test_polynomial_matches_least_squares(sine_data):
    x, y = sine_data
    ours = descent.PolynomialRegression(degree=3, max_epochs=20000, tol=0.0,
                                        n_iter_no_change=50).fit(x, y)
    ref = make_pipeline(PolynomialFeatures(3), linear_model.LinearRegression()).fit(x[:, None], y)
    lsq = np.polynomial.polynomial.polyfit(x, y, 3)
    np.testing.assert_allclose(ours.coef_, lsq, atol=2e-3)
    assert abs(ours.score(x, y) - ref.score(x[:, None], y)) < 1e-4


def test_pipeline_with_scaler(rng):
    X = rng.normal(size=(400, 3)) * [1.0, 100.0, 0.01]
    y = X @ [1.0, 0.02, 50.0] + 3.0
    pipe = make_pipeline(StandardScaler(), descent.LinearRegression()).fit(X, y)
    assert pipe.score(X, y) > 1 - 1e-9


# ---- real data sets shipped with scikit-learn, used as shipped (raw units, no scaling) ------
def _lstsq_loss(X, y):
    X = X.astype(np.float64)
    mu, sd = X.mean(0), X.std(0)
    Z = np.hstack([np.ones((X.shape[0], 1)), (X - mu) / sd])
    th, *_ = np.linalg.lstsq(Z, y, rcond=None)
    return float(np.mean((Z @ th - y) ** 2))


def _bce(z, y):
    z = np.asarray(z, dtype=np.float64)
    return float(np.mean(np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z))) - y * z))


@pytest.mark.parametrize("name", ["diabetes", "linnerud", "breast_cancer_target"])
def test_defaults_reach_least_squares_on_shipped_data(name):
    from sklearn import datasets
    if name == "diabetes":
        X, y = datasets.load_diabetes(return_X_y=True, scaled=False)
    elif name == "linnerud":
        d = datasets.load_linnerud()
        X, y = d.data, d.target[:, 0]
    else:
        X, y = datasets.load_breast_cancer(return_X_y=True)
    X32, y32 = X.astype(np.float32), y.astype(np.float32)
    opt = _lstsq_loss(X32, y32.astype(np.float64))
    with warnings.catch_warnings():
        warnings.simplefilter("error", descent.ConvergenceWarning)
        m = descent.LinearRegression().fit(X, y)
    assert m.fit_report_["converged"] and m.fit_report_["solver"] == "newton"
    assert m.n_iter_ <= 3
    loss = float(np.mean((X32.astype(np.float64) @ m.coef_.astype(np.float64) +
                          float(m.intercept_) - y32) ** 2))
    assert (loss - opt) / opt < 1e-4


def test_defaults_logistic_on_shipped_data():
    """Iris versicolor vs virginica: not separable; breast cancer and wine class 0 are
    separable (no finite optimum), which the fit must say instead of claiming success."""
    from sklearn import datasets
    X, t = datasets.load_iris(return_X_y=True)
    keep = t > 0
    X, y = X[keep], (t[keep] == 2).astype(np.float64)
    ref = unpenalized_logistic().fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", descent.ConvergenceWarning)
        m = descent.LogisticRegression().fit(X, y)
    assert m.fit_report_["converged"] and m.n_iter_ <= 20
    ours, theirs = _bce(m.decision_function(X), y), _bce(ref.decision_function(X), y)
    assert ours <= theirs * (1 + 1e-4)
    for loader, cls in ((datasets.load_breast_cancer, None), (datasets.load_wine, 0)):
        X, t = loader(return_X_y=True)
        y = t if cls is None else (t == cls).astype(np.float64)
        with pytest.warns(descent.ConvergenceWarning, match="separable"):
            m = descent.LogisticRegression().fit(X, y)
        assert m.fit_report_["stop_reason"] == "separable"
        assert np.all(np.isfinite(m.coef_)) and m.score(X, y) == 1.0
