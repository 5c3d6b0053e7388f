"""The estimator interface: parameters, continuation, history, save/load, errors, inputs."""
import copy
import os
import pickle

import numpy as np
import pytest
from sklearn.base import clone

import descent


def test_get_set_params_and_clone():
    m = descent.LinearRegression(max_epochs=7, momentum=0.5)
    p = m.get_params()
    assert p["max_epochs"] == 7 and p["momentum"] == 0.5 and p["lr"] == 0.0
    assert m.set_params(lr=0.01) is m and m.lr == 0.01
    with pytest.raises(ValueError, match="invalid parameter"):
        m.set_params(nope=1)
    c = clone(m)
    assert c.get_params() == m.get_params() and c is not m
    assert descent.PolynomialRegression(degree=5).get_params()["degree"] == 5
    assert descent.Legendre3Regression().get_params()["init"] == (0.0, -1.0, 0.0, 0.3)


def test_not_fitted():
    with pytest.raises(descent.NotFittedError):
        descent.LinearRegression().predict(np.zeros((2, 2)))


def test_loss_history_and_report(linear_data):
    X, y = linear_data
    m = descent.LinearRegression(max_epochs=30, solver="gd", conv_tol=-1).fit(X, y)
    assert len(m.loss_history_) == 30 and m.n_iter_ == 30
    assert m.loss_history_[-1] < m.loss_history_[0]
    assert m.fit_report_["stop_reason"] == "max_epochs"
    assert m.lr_ > 0 and m.backend_ in ("scalar", "sse2", "avx2", "avx512", "neon")


def test_partial_fit_continues_bit_for_bit(linear_data):
    X, y = linear_data
    for kw in ({"solver": "gd", "conv_tol": -1}, {"batch_size": 16, "momentum": 0.9, "nesterov": True}):
        a = descent.LinearRegression(max_epochs=25, **kw).fit(X, y)
        a.partial_fit(X, y)
        b = descent.LinearRegression(max_epochs=50, **kw).fit(X, y)
        assert a.params_.tobytes() == b.params_.tobytes()
        assert a.loss_history_ == b.loss_history_ and a.n_iter_ == 50


def test_partial_fit_without_fit_fits(linear_data):
    X, y = linear_data
    a = descent.LinearRegression(max_epochs=10).partial_fit(X, y)
    b = descent.LinearRegression(max_epochs=10).fit(X, y)
    assert a.params_.tobytes() == b.params_.tobytes()


def test_tolerance_stops_early(linear_data):
    X, y = linear_data
    m = descent.LinearRegression(max_epochs=100000, tol=1e-9, solver="gd", conv_tol=-1).fit(X, y)
    assert m.fit_report_["stop_reason"] == "tolerance" and m.n_iter_ < 100000


@pytest.mark.parametrize("cls,kw,shape", [
    (descent.LinearRegression, {}, (120, 3)),
    (descent.LogisticRegression, {}, (120, 3)),
    (descent.PolynomialRegression, {"degree": 4}, (120,)),
    (descent.Legendre3Regression, {"lr": 0.01}, (120,)),
])
def test_save_load_roundtrip_and_resume(rng, cls, kw, shape):
    X = rng.uniform(-1, 1, size=shape)
    y = (X.sum(axis=1) if X.ndim == 2 else np.sin(2 * X))
    if cls is descent.LogisticRegression:
        y = (y > 0).astype(float)
    m = cls(max_epochs=20, **kw).fit(X, y)
    blob = m.save()
    assert blob[:4] == b"DSCB"
    m2 = descent.load(blob)
    assert type(m2) is cls and cls.load(blob).save() == blob
    np.testing.assert_array_equal(m2.predict(X), m.predict(X))
    # A full blob resumes training exactly.
    m.partial_fit(X, y)
    m2.partial_fit(X, y)
    assert m.params_.tobytes() == m2.params_.tobytes()
    # A predictor blob predicts but does not train.
    p = descent.load(m.save(predictor_only=True))
    np.testing.assert_array_equal(p.predict(X), m.predict(X))
    with pytest.raises(descent.DescentError, match="DSC_ERR_UNSUPPORTED"):
        p.partial_fit(X, y)


def test_pickle_and_deepcopy(linear_data):
    X, y = linear_data
    m = descent.LinearRegression(max_epochs=20).fit(X, y)
    for m2 in (pickle.loads(pickle.dumps(m)), copy.deepcopy(m)):
        np.testing.assert_array_equal(m2.predict(X), m.predict(X))
        assert m2.loss_history_ == m.loss_history_


def test_load_rejects_wrong_class_and_corruption(linear_data):
    X, y = linear_data
    blob = bytearray(descent.LinearRegression(max_epochs=5).fit(X, y).save())
    with pytest.raises(TypeError):
        descent.LogisticRegression.load(bytes(blob))
    blob[len(blob) // 2] ^= 0x10
    with pytest.raises(descent.DescentError) as e:
        descent.load(bytes(blob))
    assert e.value.status_name == "DSC_ERR_BAD_MODEL_BLOB"
    assert "corrupted" in str(e.value)


def test_errors_carry_the_c_messages(linear_data):
    X, y = linear_data
    with pytest.raises(descent.DescentError) as e:
        descent.LinearRegression(momentum=1.5).fit(X, y)
    assert e.value.status_name == "DSC_ERR_INVALID_ARGUMENT"
    assert "config.momentum must be in [0, 1)" in str(e.value)      # dsc_check_config
    assert "invalid argument" in str(e.value)                        # dsc_status_string
    Xn = X.copy()
    Xn[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):  # scikit-learn's validation, before C
        descent.LinearRegression().fit(Xn, y)
    with pytest.raises(descent.DescentError) as e:
        descent.LinearRegression(lr=1e6, max_epochs=50).fit(X, y)
    assert e.value.status_name == "DSC_ERR_DIVERGED"
    with pytest.raises(ValueError, match="two classes"):
        descent.LogisticRegression().fit(X, np.zeros(len(y)))
    with pytest.raises(ValueError, match="features"):
        descent.LinearRegression(max_epochs=2).fit(X, y).predict(X[:, :2])
    with pytest.raises(ValueError, match="learning_rate"):
        descent.LinearRegression(learning_rate="fast").fit(X, y)


def test_inputs_converted_once_no_copy_when_fit(linear_data):
    X, y = linear_data
    m = descent.LinearRegression(max_epochs=15)
    X32 = np.ascontiguousarray(X, dtype=np.float32)
    assert m._check_X(X32, reset=True) is X32                 # passed through, no copy
    y32 = np.ascontiguousarray(y, dtype=np.float32)
    assert m._check_y(y32, len(y32), reset=True) is y32
    ref = m.fit(X32, y32).params_
    variants = [X, np.asfortranarray(X), X.tolist(), np.ascontiguousarray(X, dtype=np.float16).astype(np.float32)]
    for Xv in variants[:3]:
        np.testing.assert_array_equal(descent.LinearRegression(max_epochs=15).fit(Xv, y).params_, ref)
    # A strided view is converted (once) too.
    big = np.zeros((X.shape[0], 2 * X.shape[1]))
    big[:, ::2] = X
    np.testing.assert_array_equal(
        descent.LinearRegression(max_epochs=15).fit(big[:, ::2], y).params_, ref)


def test_logistic_outputs(logistic_data):
    X, y = logistic_data
    m = descent.LogisticRegression(max_epochs=100).fit(X, y)
    proba = m.predict_proba(X[:10])
    assert proba.shape == (10, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    logit = m.decision_function(X[:10])
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-logit.astype(np.float64))), atol=1e-6)
    np.testing.assert_array_equal(m.predict(X[:10]), (proba[:, 1] >= 0.5).astype(float))
    assert m.coef_.shape == (1, 4) and m.intercept_.shape == (1,)


def test_legendre3_gauss_newton_by_default():
    x = np.linspace(-np.pi, np.pi, 2000)
    y = np.sin(x)
    m = descent.Legendre3Regression().fit(x, y)
    assert m.fit_report_["solver"] == "newton" and m.fit_report_["converged"]
    assert m.n_iter_ < 50
    assert m.score(x, y) > 0.99
    assert 0.2 < m.params_[3] < 0.3


def test_unconverged_fit_warns_and_separable_data_says_so(linear_data):
    X, y = linear_data
    with pytest.warns(descent.ConvergenceWarning):
        descent.LinearRegression(max_epochs=2, solver="gd").fit(X, y)
    Xs = np.array([[0.0], [1.0], [2.0], [3.0]], dtype=np.float32)
    ys = np.array([0, 0, 1, 1], dtype=np.float32)
    with pytest.warns(descent.ConvergenceWarning, match="separable"):
        m = descent.LogisticRegression().fit(Xs, ys)
    assert m.fit_report_["stop_reason"] == "separable"
    assert (m.predict(Xs) == ys).all()


def test_legendre3_picks_a_rate_and_fits():
    x = np.linspace(-np.pi, np.pi, 2000)
    y = np.sin(x)
    m = descent.Legendre3Regression(max_epochs=2000, solver="gd").fit(x, y)
    assert 0 < m.lr_ <= 0.25
    assert m.loss_history_[-1] < m.loss_history_[0] / 10
    assert all(b <= a * (1 + 1e-6) for a, b in zip(m.loss_history_, m.loss_history_[1:]))
    assert m.score(x, y) > 0.99
    a, b, c, d = m.params_
    assert 0.2 < d < 0.3


def test_polynomial_accepts_column_or_vector(sine_data):
    x, y = sine_data
    a = descent.PolynomialRegression(degree=2, max_epochs=20).fit(x, y)
    b = descent.PolynomialRegression(degree=2, max_epochs=20).fit(x[:, None], y)
    assert a.coef_.tobytes() == b.coef_.tobytes()
    with pytest.raises(ValueError, match="one input column"):
        descent.PolynomialRegression().fit(np.zeros((5, 2)), np.zeros(5))


def test_nan_inf_and_shapes_raise_value_error(linear_data):
    X, y = linear_data
    for bad in (np.nan, np.inf):
        Xb = X.copy()
        Xb[0, 0] = bad
        with pytest.raises(ValueError):
            descent.LinearRegression().fit(Xb, y)
        yb = y.copy()
        yb[1] = bad
        with pytest.raises(ValueError):
            descent.LinearRegression().fit(X, yb)
    m = descent.LinearRegression(max_epochs=5).fit(X, y)
    with pytest.raises(ValueError):
        m.predict(X[:, :1])
    with pytest.raises(ValueError):
        m.fit(X, y[:-1])
    assert m.n_features_in_ == X.shape[1]


def test_feature_names_from_dataframe_checked_at_predict(linear_data):
    pd = pytest.importorskip("pandas")
    X, y = linear_data
    cols = [f"f{i}" for i in range(X.shape[1])]
    df = pd.DataFrame(X, columns=cols)
    m = descent.LinearRegression().fit(df, y)
    assert list(m.feature_names_in_) == cols
    np.testing.assert_array_equal(m.predict(df), m.predict(X))
    with pytest.raises(ValueError, match="feature names"):
        m.predict(df[cols[::-1]])


def test_sample_weight(linear_data):
    X, y = linear_data
    base = descent.LinearRegression().fit(X, y)
    # All-equal weights do not move the optimum of a mean-reduced loss.
    same = descent.LinearRegression().fit(X, y, sample_weight=np.full(len(y), 2.5))
    np.testing.assert_allclose(same.params_, base.params_, rtol=1e-5, atol=1e-6)
    # Integer weights: the fit on repeated rows (the same optimum, reached from other sums).
    rng = np.random.default_rng(5)
    w = rng.integers(0, 4, size=len(y))
    ours = descent.LinearRegression().fit(X, y, sample_weight=w)
    rep = descent.LinearRegression().fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(ours.params_, rep.params_, rtol=1e-5, atol=1e-6)
    # Real-valued weights: scikit-learn's weighted least squares (float64, independent).
    from sklearn.linear_model import LinearRegression as SkLR
    wr = rng.random(len(y))
    np.testing.assert_allclose(descent.LinearRegression().fit(X, y, sample_weight=wr).coef_,
                               SkLR().fit(X, y, sample_weight=wr).coef_, atol=1e-3)
    with pytest.raises(ValueError):
        descent.LinearRegression().fit(X, y, sample_weight=-np.ones(len(y)))


def test_verbose_prints_bounded_progress(linear_data, capsys):
    X, y = linear_data
    m = descent.LinearRegression(verbose=1, max_epochs=300, lr=0.01, conv_tol=-1).fit(X, y)
    out = capsys.readouterr().out.splitlines()
    epochs = [ln for ln in out if " epoch " in ln]
    assert epochs and "loss" in epochs[0]
    assert len(epochs) < m.n_iter_ or m.n_iter_ <= 10   # bounded: not one line per epoch
    assert "converged=" in out[-1]
    descent.LinearRegression(max_epochs=5).fit(X, y)
    assert capsys.readouterr().out == ""


def test_library_version_matches_the_package():
    from descent import _capi
    assert _capi.library_version()[:2] == _capi.PACKAGE_VERSION[:2]
    assert descent.__version__ == "%d.%d.%d" % _capi.PACKAGE_VERSION


def test_a_library_of_another_version_is_refused_at_load():
    from descent import _capi

    class Fake:
        def dsc_version(self):
            return (9 << 16) | (1 << 8)
    with pytest.raises(OSError, match="version 9.1.0"):
        _capi._check_version(Fake(), "/some/libdescent.so")


def _model_config(est):
    from descent import _capi
    buf, cfg = _capi.new_config("linear", 1)
    _capi.check(_capi.lib().dsc_get_config(est._model, buf), "dsc_get_config")
    return cfg


@pytest.mark.parametrize("cls", [descent.LinearRegression, descent.LogisticRegression])
def test_n_jobs_trains_on_the_pool_with_identical_bits(cls):
    # Physical units, 40000 rows = three 16384-row chunks, so the passes (the standardized
    # NEWTON curvature pass by default) run as tasks on the library's thread pool.
    rng = np.random.default_rng(5)
    n = 40000
    X = np.column_stack([1e5 + 2e3 * rng.standard_normal(n), 1e-3 * rng.standard_normal(n),
                         300 + 5 * rng.standard_normal(n)]).astype(np.float32)
    t = 0.002 * (X[:, 0] - 1e5) + 5000 * X[:, 1] + 0.5 * (X[:, 2] - 300)
    y = (t + 0.01 * rng.standard_normal(n) if cls is descent.LinearRegression
         else (t + rng.standard_normal(n) > 0)).astype(np.float32)
    ref = cls().fit(X, y)
    assert _model_config(ref).parallel_for is None
    for n_jobs in (2, 3, -1):
        m = cls(n_jobs=n_jobs).fit(X, y)
        cfg = _model_config(m)
        assert cfg.parallel_for is not None and cfg.pool is not None
        assert m._pool.n_threads == (n_jobs if n_jobs > 0 else max(1, os.cpu_count() or 1))
        assert m.fit_report_["solver"] == "newton"
        assert m.coef_.tobytes() == ref.coef_.tobytes()
        assert np.float32(m.intercept_).tobytes() == np.float32(ref.intercept_).tobytes()
    # A pickled threaded model comes back on a pool of its own and keeps training.
    m2 = pickle.loads(pickle.dumps(m))
    assert _model_config(m2).parallel_for is not None
    m2.partial_fit(X, y)
    assert np.all(np.isfinite(m2.coef_))


@pytest.mark.parametrize("bad", [0, 1.5, "2", True])
def test_n_jobs_rejects_what_scikit_learn_rejects(bad, linear_data):
    X, y = linear_data
    with pytest.raises(ValueError, match="n_jobs"):
        descent.LinearRegression(n_jobs=bad).fit(X, y)
