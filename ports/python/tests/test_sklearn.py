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
