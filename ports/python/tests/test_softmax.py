"""Multinomial LogisticRegression (more than two classes: the library's SOFTMAX kind).

Checked against scikit-learn's multinomial LogisticRegression on data sets shipped with
scikit-learn, used as shipped (iris: 3 classes, 4 columns; wine: 3 classes, 13 columns from
~0.1 to ~1680): the mean log-loss of both models' predict_proba (float64 here) within 1e-6,
equal predictions, probabilities within 1e-4. scikit-learn's lbfgs needs standardized
columns to converge, so it fits standardized copies of the float32 columns descent sees.

Run with -s to print the figures (max |log-loss difference|, max |probability difference|)."""
import pickle
import warnings

import numpy as np
import pytest

import descent

sklm = pytest.importorskip("sklearn.linear_model")
datasets = pytest.importorskip("sklearn.datasets")


def shipped(name):
    """X as descent receives it (float32) and the integer class of each row."""
    X, y = getattr(datasets, "load_" + name)(return_X_y=True)
    return X.astype(np.float32), y


def standardized(X):
    X = X.astype(np.float64)
    return (X - X.mean(0)) / X.std(0)


def reference(X, y, C=np.inf, **kw):
    """scikit-learn's multinomial fit (C = inf: no penalty), tolerances far below ours."""
    return sklm.LogisticRegression(C=C, tol=1e-12, max_iter=100000, **kw).fit(X, y)


def log_loss(proba, y, w=None):
    """Mean cross-entropy in float64 from a model's predict_proba (weighted mean with w)."""
    p = np.asarray(proba, dtype=np.float64)[np.arange(len(y)), y]
    return float(np.average(-np.log(p), weights=w))


def agree(ours, X_ours, ref, X_ref, y, w=None, what=""):
    """The three assertions of this file; prints the figures."""
    p, q = ours.predict_proba(X_ours), ref.predict_proba(X_ref)
    dl = abs(log_loss(p, y, w) - log_loss(q, y, w))
    dp = float(np.max(np.abs(p - q)))
    print(f"\n{what}: |log-loss difference| {dl:.3g}, max |probability difference| {dp:.3g}")
    assert dl <= 1e-6
    assert dp <= 1e-4
    np.testing.assert_array_equal(ours.predict(X_ours), ref.predict(X_ref))


def test_iris_matches_sklearn_without_penalty():
    X, y = shipped("iris")
    ours = descent.LogisticRegression().fit(X, y)
    assert ours.fit_report_["converged"] and ours.fit_report_["solver"] == "newton"
    # Setosa is linearly separable from the other two species, so the unpenalized loss has
    # no finite minimiser along that direction: both solvers stop once its part of the loss
    # is negligible (setosa's probability within 1e-9 of 1 on its rows and of 0 on the
    # others), and the versicolor / virginica part, whose classes overlap, has an optimum.
    ref = reference(standardized(X), y)
    agree(ours, X, ref, standardized(X), y, what="iris")
    assert ours.coef_.shape == (3, 4) and ours.intercept_.shape == (3,)
    np.testing.assert_array_equal(ours.classes_, [0, 1, 2])
    assert ours.score(X, y) == pytest.approx(ref.score(standardized(X), y))


def test_wine_matches_sklearn_with_the_same_l2_penalty():
    X, y = shipped("wine")
    # Unpenalized, wine's classes are separable (no finite optimum): the library says so.
    with pytest.warns(descent.ConvergenceWarning, match="separable"):
        descent.LogisticRegression().fit(X, y)
    # With an L2 penalty the optimum is finite, but not invariant to the columns' scales:
    # both fit the same standardized columns (which ours standardizes again: the identity, to
    # float32 rounding). Ours minimises the mean log-loss + alpha/2 |W|^2
    # (intercepts unpenalized), which is scikit-learn's objective with C = 1 / (alpha n)
    # divided by n. The mean log-loss moves to first order with the distance from the
    # penalized optimum, so the convergence test is tightened below its default 1e-10.
    Xs = standardized(X).astype(np.float32)
    alpha = 1e-2
    ours = descent.LogisticRegression(penalty="l2", alpha=alpha, max_epochs=100000,
                                      conv_tol=1e-13).fit(Xs, y)
    assert ours.fit_report_["converged"] and ours.fit_report_["solver"] == "gd"
    ref = reference(Xs.astype(np.float64), y, C=1.0 / (alpha * len(y)))
    agree(ours, Xs, ref, Xs.astype(np.float64), y, what="wine, L2")
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-3)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-3)


def test_sample_weight_matches_sklearn():
    X, y = shipped("iris")
    w = np.random.default_rng(3).integers(0, 5, size=len(y)).astype(np.float64)
    ours = descent.LogisticRegression().fit(X, y, sample_weight=w)
    assert ours.fit_report_["converged"]
    ref = sklm.LogisticRegression(C=np.inf, tol=1e-12, max_iter=100000)
    ref.fit(standardized(X), y, sample_weight=w)
    # Compared on the rows that carry weight: along setosa's separating direction (no finite
    # optimum) a weightless row's probabilities depend on how far each solver went.
    fitted = w > 0
    agree(ours, X[fitted], ref, standardized(X)[fitted], y[fitted], w=w[fitted],
          what="iris, sample_weight")
    # The weighted mean loss is the library's too.
    assert ours.compute_loss(X, y, sample_weight=w) == pytest.approx(
        log_loss(ours.predict_proba(X), y, w), rel=1e-5)


def test_string_labels_and_probabilities():
    X, t = shipped("iris")
    names = np.array(["virginica", "Setosa", "versicolor"])[t]  # capital S sorts first
    est = descent.LogisticRegression().fit(X, names)
    np.testing.assert_array_equal(est.classes_, ["Setosa", "versicolor", "virginica"])
    idx = descent.LogisticRegression().fit(X, np.searchsorted(est.classes_, names))
    np.testing.assert_array_equal(est.params_, idx.params_)  # the same encoded problem
    np.testing.assert_array_equal(est.predict(X), est.classes_[idx.predict(X)])
    assert est.score(X, names) > 0.95
    p = est.predict_proba(X)
    assert p.shape == (len(X), 3) and p.dtype == np.float32
    assert np.max(np.abs(p.sum(axis=1) - 1.0)) < 1e-6
    np.testing.assert_array_equal(est.classes_[np.argmax(p, axis=1)], est.predict(X))
    # decision_function: the K logits; their softmax is predict_proba.
    z = est.decision_function(X).astype(np.float64)
    assert z.shape == (len(X), 3)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    np.testing.assert_allclose(e / e.sum(axis=1, keepdims=True), p, atol=1e-5)
    # Each parameter sums to 0 over the classes (the library's convention).
    np.testing.assert_allclose(est.coef_.sum(axis=0), 0.0, atol=1e-4 * np.abs(est.coef_).max())
    with pytest.raises(ValueError, match="outside the fitted classes"):
        est.compute_loss(X[:2], ["Setosa", "daisy"])


def test_two_classes_stay_binary():
    X, t = shipped("iris")
    y = t == 2
    est = descent.LogisticRegression().fit(X, y)
    assert est.coef_.shape == (1, 4) and est.intercept_.shape == (1,)
    blob = est.save()
    assert int.from_bytes(blob[12:16], "little") == 2  # the blob's kind: LOGISTIC
    logit = est.decision_function(X)
    assert logit.shape == (len(X),)
    p = est.predict_proba(X)
    np.testing.assert_array_equal(p[:, 0], 1.0 - p[:, 1])
    np.testing.assert_array_equal(est.predict(X), est.classes_[(p[:, 1] >= 0.5).astype(int)])


def test_save_load_pickle_and_resume():
    X, t = shipped("iris")
    names = np.array(["setosa", "versicolor", "virginica"])[t]
    est = descent.LogisticRegression(solver="gd", max_epochs=30, conv_tol=-1).fit(X, names)
    blob = est.save()
    assert int.from_bytes(blob[12:16], "little") == 5  # SOFTMAX
    back = descent.load(blob)
    assert type(back) is descent.LogisticRegression
    assert descent.LogisticRegression.load(blob).save() == blob
    # The blob knows the classes by index: classes_ = 0, 1, 2.
    np.testing.assert_array_equal(back.classes_, [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(back.predict_proba(X), est.predict_proba(X))
    np.testing.assert_array_equal(est.classes_[back.predict(X).astype(int)], est.predict(X))
    assert back.coef_.shape == (3, 4) and back.save() == blob
    # A full blob resumes training exactly; pickling keeps the class names.
    est.partial_fit(X, names)
    back.partial_fit(X, t)
    assert est.params_.tobytes() == back.params_.tobytes()
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.classes_, est.classes_)
    np.testing.assert_array_equal(again.predict(X), est.predict(X))
    # A predictor blob predicts.
    pred = descent.load(est.save(predictor_only=True))
    np.testing.assert_array_equal(pred.predict_proba(X), est.predict_proba(X))


def test_partial_fit_classes_and_continuation():
    X, y = shipped("iris")
    kw = dict(solver="gd", conv_tol=-1)
    a = descent.LogisticRegression(max_epochs=25, **kw).fit(X, y)
    a.partial_fit(X, y)
    b = descent.LogisticRegression(max_epochs=50, **kw).fit(X, y)
    # Not bit for bit, unlike two classes: the library centres SOFTMAX's parameters over the
    # classes at the end of every fit, which moves them by rounding.
    np.testing.assert_allclose(a.params_, b.params_, rtol=0, atol=1e-5 * np.abs(b.params_).max())
    assert a.n_iter_ == 50
    # classes= on the first call: a batch without class 2 still trains the 3-class model.
    first = y < 2
    c = descent.LogisticRegression(max_epochs=5, **kw)
    c.partial_fit(X[first], y[first], classes=[2, 0, 1])
    np.testing.assert_array_equal(c.classes_, [0, 1, 2])
    assert c.coef_.shape == (3, 4)
    c.partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="classes"):
        c.partial_fit(X, y, classes=[0, 1, 2, 3])
    with pytest.raises(ValueError, match="outside the classes"):
        descent.LogisticRegression().partial_fit(X, y, classes=[0, 1])


@pytest.mark.parametrize("cw", ["balanced", {0: 0.5, 2: 3.0}])
def test_class_weight_matches_sklearn(cw):
    # Imbalanced: 10 setosa, all 50 versicolor and 50 virginica (which overlap).
    X, y = shipped("iris")
    keep = np.arange(40, 150)
    X, y = X[keep], y[keep]
    ours = descent.LogisticRegression(class_weight=cw).fit(X, y)
    assert ours.fit_report_["converged"]
    ref = reference(standardized(X), y, class_weight=cw)
    agree(ours, X, ref, standardized(X), y, what=f"iris, class_weight={cw}")


def test_class_weight_is_a_row_weight_with_the_penalty_relative_to_their_sum():
    # K > 2: each row's class weight multiplies its sample weight, and the mean divides by the
    # sum of the weights; scikit-learn's C then maps to alpha = 1 / (C sum_i cw_i).
    X, y = shipped("wine")
    Xs = standardized(X).astype(np.float32)
    cw = {0: 2.0, 2: 0.5}
    alpha = 1e-2
    ours = descent.LogisticRegression(class_weight=cw, penalty="l2", alpha=alpha,
                                      max_epochs=100000, conv_tol=1e-13).fit(Xs, y)
    row_w = np.array([cw.get(c, 1.0) for c in y])
    ref = reference(Xs.astype(np.float64), y, C=1.0 / (alpha * row_w.sum()), class_weight=cw)
    agree(ours, Xs, ref, Xs.astype(np.float64), y, what="wine, L2, class_weight")
    # An integer class weight equals repeating that class's rows. standardize='off': the
    # repeated rows have other column statistics, and the penalty acts in the coordinates the
    # model trains in.
    rep = np.where(y == 0, 3, 1)
    kw = dict(penalty="l2", alpha=alpha, max_epochs=100000, conv_tol=1e-13, standardize="off")
    a = descent.LogisticRegression(class_weight={0: 3}, **kw).fit(Xs, y)
    b = descent.LogisticRegression(**kw).fit(np.repeat(Xs, rep, 0), np.repeat(y, rep))
    np.testing.assert_allclose(a.predict_proba(Xs), b.predict_proba(Xs), atol=1e-5)


def test_refusals():
    X, y = shipped("iris")
    with pytest.raises(ValueError, match="two classes"):
        descent.LogisticRegression(loss="hinge", lr=0.01).fit(X, y)
    with pytest.raises(ValueError, match="two classes"):
        descent.LogisticRegression().fit(X, np.full(len(y), "only"))
    with pytest.raises(ValueError, match="every class"):
        descent.LogisticRegression(class_weight="balanced").partial_fit(
            X[y < 2], y[y < 2], classes=[0, 1, 2])
    with pytest.raises(descent.DescentError, match="n_classes"):  # the library's 256 at most
        descent.LogisticRegression().fit(np.arange(600.0).reshape(300, 2), np.arange(300))


def test_other_training_paths_run():
    # Minibatch SGD with momentum, averaging, early stopping and an L1 penalty: the library
    # takes SOFTMAX in each; a sanity check of accuracy, not a reference comparison.
    X, y = shipped("iris")
    Xs = standardized(X)
    for kw in (dict(batch_size=16, lr=0.05, momentum=0.9, max_epochs=200),
               dict(lr=0.1, average=True, max_epochs=300),
               dict(lr=0.1, early_stopping=True, tol=1e-4, max_epochs=500),
               dict(penalty="l1", alpha=1e-3, max_epochs=20000)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", descent.ConvergenceWarning)
            est = descent.LogisticRegression(**kw).fit(Xs, y)
        assert est.score(Xs, y) > 0.9, kw
