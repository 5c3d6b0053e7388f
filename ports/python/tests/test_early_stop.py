"""early_stopping / validation_fraction on LinearRegression and LogisticRegression (issue 12):
a seeded held-out split, scikit-learn's patience rule on the held-out loss, and the parameters
with the lowest held-out loss kept. Checked against float64 recomputations in NumPy."""
import numpy as np
import pytest

import descent


@pytest.fixture
def overfit():
    """Physical-unit columns (own scale and offset), a sparse signal and heavy noise: 80 rows,
    40 features, so full-batch GD run long fits the noise."""
    rng = np.random.default_rng(77)
    n, d = 80, 40
    scale = 0.5 + 1.5 * rng.uniform(size=d)
    offset = 2 * rng.uniform(size=d) - 1
    X = offset + scale * rng.normal(size=(n, d))
    y = 3 + X[:, 0] + 2 * X[:, 1] + 3 * X[:, 2] + 1.5 * rng.normal(size=n)
    return X.astype(np.float32), y.astype(np.float32)


def test_split_is_seeded_ceil_fraction():
    rows = descent.validation_rows(100, 0.1, random_state=0)
    assert rows.size == 10 and np.unique(rows).size == 10 and rows.max() < 100
    assert np.array_equal(rows, descent.validation_rows(100, 0.1, random_state=0))
    assert not np.array_equal(rows, descent.validation_rows(100, 0.1, random_state=1))
    assert descent.validation_rows(10, 0.1).size == 1
    with pytest.raises(descent.DescentError):
        descent.validation_rows(1, 0.1)


def test_held_out_loss_rises_and_best_epoch_is_kept(overfit):
    X, y = overfit
    est = descent.LinearRegression(lr=0.02, max_epochs=5000, early_stopping=True,
                                   validation_fraction=0.2, tol=1e-4, n_iter_no_change=10,
                                   random_state=5)
    est.fit(X, y)
    r = est.fit_report_
    assert r["stop_reason"] == "validation"
    assert not r["converged"]
    assert 1 <= r["best_epoch"] < r["epochs_run"]
    held = descent.validation_rows(len(y), 0.2, random_state=5)
    train = np.setdiff1d(np.arange(len(y)), held)
    pred = est.predict(X).astype(np.float64)
    held_mse = np.mean((pred[held] - y[held]) ** 2)
    train_mse = np.mean((pred[train] - y[train]) ** 2)
    assert r["validation_loss"] == pytest.approx(held_mse, rel=1e-5)
    assert r["final_loss"] == pytest.approx(train_mse, rel=1e-5)
    # Trained longer without the split's stop, on the same rows: lower training loss, higher
    # held-out loss. Early stopping kept the better held-out model.
    long = descent.LinearRegression(lr=0.02, max_epochs=r["epochs_run"] + 200, random_state=5)
    long.fit(X[train], y[train])
    pl = long.predict(X).astype(np.float64)
    assert np.mean((pl[train] - y[train]) ** 2) < train_mse
    assert np.mean((pl[held] - y[held]) ** 2) > held_mse


def test_logistic_on_breast_cancer_as_shipped():
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = datasets.load_breast_cancer(return_X_y=True)
    # tol as scikit-learn's SGDClassifier default (with tol=None, any fall of the held-out loss
    # counts, and on these nearly separable classes it falls a little every epoch).
    est = descent.LogisticRegression(early_stopping=True, tol=1e-3, random_state=0)
    est.fit(X.astype(np.float32), y)
    r = est.fit_report_
    assert r["solver"] == "gd" and r["standardized"]
    assert r["stop_reason"] == "validation"
    held = descent.validation_rows(len(y), 0.1, random_state=0)
    p = np.clip(est.predict_proba(X.astype(np.float32))[:, 1].astype(np.float64), 1e-12, 1 - 1e-12)
    ll = -np.mean(y[held] * np.log(p[held]) + (1 - y[held]) * np.log(1 - p[held]))
    assert r["validation_loss"] == pytest.approx(ll, rel=1e-3, abs=1e-6)
    assert est.score(X.astype(np.float32), y) > 0.95


def test_round_trip_and_refusals(overfit):
    X, y = overfit
    est = descent.LinearRegression(lr=0.02, max_epochs=30, early_stopping=True,
                                   validation_fraction=0.25)
    est.fit(X, y)
    back = descent.load(est.save())
    assert back.early_stopping is True and back.validation_fraction == pytest.approx(0.25)
    with pytest.raises(ValueError):
        descent.LinearRegression(early_stopping=True, validation_fraction=1.5).fit(X, y)
    with pytest.raises(descent.DescentError):
        descent.LinearRegression(early_stopping=True, average=True, lr=0.01).fit(X, y)
