"""The C and Python paths give identical parameters.

1. The estimator against the C API called directly through ctypes, step by step as a C
   program would (always runs).
2. The estimator against a separate C program (c_fit.c, linked with the static library) on the
   same data, and blobs exchanged both ways (runs when DESCENT_C_FIT names the program; ctest
   sets it)."""
import ctypes
import os
import subprocess

import numpy as np
import pytest

import descent
from descent import _capi

CASES = [
    # kind, estimator, features, keyword arguments (estimator), C fields
    ("linear", descent.LinearRegression, 5, {"max_epochs": 40},
     dict(max_epochs=40, batch_size=0, momentum=0.0, degree=3, lr=0.0, seed=0)),
    ("linear", descent.LinearRegression, 5,
     {"max_epochs": 12, "batch_size": 8, "momentum": 0.9, "random_state": 7},
     dict(max_epochs=12, batch_size=8, momentum=0.9, degree=3, lr=0.0, seed=7)),
    ("logistic", descent.LogisticRegression, 4,
     {"max_epochs": 15, "batch_size": 32, "random_state": 11},
     dict(max_epochs=15, batch_size=32, momentum=0.0, degree=3, lr=0.0, seed=11)),
    ("polynomial", descent.PolynomialRegression, 1, {"max_epochs": 60, "degree": 5},
     dict(max_epochs=60, batch_size=0, momentum=0.0, degree=5, lr=0.0, seed=0)),
    ("legendre3", descent.Legendre3Regression, 1, {"max_epochs": 60, "lr": 0.02},
     dict(max_epochs=60, batch_size=0, momentum=0.0, degree=3, lr=0.02, seed=0)),
]


def make_data(kind, features, n=300, seed=5):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, features)).astype(np.float32)
    if kind == "logistic":
        y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(X @ np.arange(1, features + 1))))).astype(np.float32)
    elif kind == "linear":
        y = (X @ np.linspace(-2, 2, features) + 0.5).astype(np.float32)
    else:
        y = np.sin(2.5 * X[:, 0]).astype(np.float32)
    return X, y


def c_api_fit(kind, X, y, fields):
    """Train through the raw C API, as a C program does."""
    lib = _capi.lib()
    cbuf, cfg = _capi.new_config(kind, X.shape[1])
    for k, v in fields.items():
        setattr(cfg, "seed" if k == "seed" else k, v)
    need = lib.dsc_arena_size(cbuf)
    assert need > 0, lib.dsc_check_config(cbuf)
    arena = (ctypes.c_uint64 * ((need + 7) // 8))()
    model = ctypes.c_void_p()
    assert lib.dsc_create(cbuf, arena, need, ctypes.byref(model)) == 0
    if kind == "legendre3":
        start = (ctypes.c_float * 4)(0.0, -1.0, 0.0, 0.3)
        assert lib.dsc_set_params(model, start, 4) == 0
    report = _capi.FitReport()
    st = lib.dsc_fit(model, X.ctypes.data, y.ctypes.data, X.shape[0], ctypes.byref(report))
    assert st == 0, report.message
    n = lib.dsc_param_count(model)
    out = np.empty(n, dtype=np.float32)
    assert lib.dsc_get_params(model, out.ctypes.data, n) == 0
    return out, arena


@pytest.mark.parametrize("kind,cls,features,kw,fields", CASES, ids=[
    "linear-gd", "linear-momentum-sgd", "logistic-sgd", "polynomial5-gd", "legendre3-gd"])
def test_estimator_equals_raw_c_api(kind, cls, features, kw, fields):
    X, y = make_data(kind, features)
    ours = cls(**kw).fit(X if features > 1 else X[:, 0], y).params_
    ref, _ = c_api_fit(kind, X, y, fields)
    assert ours.tobytes() == ref.tobytes(), (ours, ref)


C_FIT = os.environ.get("DESCENT_C_FIT")


@pytest.mark.skipif(not C_FIT, reason="DESCENT_C_FIT (the c_fit program) not set")
@pytest.mark.parametrize("kind,cls,features,kw,fields", CASES, ids=[
    "linear-gd", "linear-momentum-sgd", "logistic-sgd", "polynomial5-gd", "legendre3-gd"])
def test_estimator_equals_c_program(tmp_path, kind, cls, features, kw, fields):
    X, y = make_data(kind, features)
    X.tofile(tmp_path / "X.f32")
    y.tofile(tmp_path / "y.f32")
    args = [C_FIT, "fit", str(_capi.KIND[kind]), str(X.shape[0]), str(features),
            str(tmp_path / "X.f32"), str(tmp_path / "y.f32"), str(tmp_path / "p.f32"),
            str(tmp_path / "blob.bin")] + [str(fields[k]) for k in
                                           ("max_epochs", "batch_size", "momentum", "degree",
                                            "lr", "seed")]
    subprocess.run(args, check=True, capture_output=True, text=True)
    c_params = np.fromfile(tmp_path / "p.f32", dtype=np.float32)
    est = cls(**kw).fit(X, y)
    assert est.params_.tobytes() == c_params.tobytes(), (est.params_, c_params)
    # The C program's blob loads in Python; Python's blob loads in C; both predict alike.
    c_blob = (tmp_path / "blob.bin").read_bytes()
    from_c = descent.load(c_blob)
    assert from_c.params_.tobytes() == c_params.tobytes()
    (tmp_path / "py.bin").write_bytes(est.save())
    subprocess.run([C_FIT, "predict", str(tmp_path / "py.bin"), str(X.shape[0]), str(features),
                    str(tmp_path / "X.f32"), str(tmp_path / "out.f32")], check=True)
    c_pred = np.fromfile(tmp_path / "out.f32", dtype=np.float32)
    py_pred = est.predict(X) if kind != "logistic" else est.predict_proba(X)[:, 1]
    assert c_pred.tobytes() == py_pred.astype(np.float32).tobytes()
