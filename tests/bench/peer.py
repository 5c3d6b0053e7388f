#!/usr/bin/env python3
"""Peer benchmark: descent against the libraries users would pick instead, side by side in one
process, rounds interleaved. Not part of the pass/fail suite. See tests/bench/README.md
("Peer benchmark") for the setup and what each row means.

    cmake --workflow --preset bench     # builds build/bench (libdescent.so + the C driver)
    /work/peer-venv/bin/python tests/bench/peer.py [--quick] [--rounds N] [--json-only]

Contenders (a missing optional one prints "not installed" in its row):
  descent C API   libdescent_peer_c.so (tests/bench/peer_c.c): dsc_create + dsc_fit timed in C
  descent py      the Python package (ports/python, ctypes) on the same build's libdescent.so
  torch           PyTorch eager: forward, MSELoss / BCEWithLogitsLoss, backward, SGD step
  numpy           the seed walkthrough's GD loop (X @ w, X.T @ e) in float32
  sklearn         LinearRegression, LogisticRegression(lbfgs), SGDRegressor
  sklearnex       scikit-learn-intelex LinearRegression, LogisticRegression
Every timing is a fastest-of-rounds ("best") and a median; ratios are computed from the best
times (the median ratio is in the JSON lines).
"""
import argparse
import ctypes
import json
import logging
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DEFAULT_BUILD = os.path.join(ROOT, "build", "bench")

JSON_LINES = []
ARGS = None


def out(s=""):
    if not ARGS.json_only:
        print(s, flush=True)


def emit(**kw):
    JSON_LINES.append(kw)
    if ARGS.json_only:
        print("JSON " + json.dumps(kw), flush=True)


# ---- optional peers ---------------------------------------------------------------------------
def optional(name):
    try:
        return __import__(name)
    except Exception:  # not installed, or a broken install: the row says "not installed"
        return None


torch = optional("torch")
sklearn = optional("sklearn")
sklearnex = optional("sklearnex")
daal4py = optional("daal4py")
threadpoolctl = optional("threadpoolctl")


# ---- descent: the C driver and the Python package ---------------------------------------------
class PeerJob(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint32) for n in (
        "kind", "n_features", "degree", "reduction", "batch_size", "shuffle", "max_epochs",
        "solver", "standardize", "threads", "n_init", "arena_align")] + \
        [(n, ctypes.c_float) for n in ("lr", "momentum", "conv_tol", "tol")] + \
        [("init", ctypes.c_float * 8)]


class PeerResult(ctypes.Structure):
    _fields_ = [("seconds", ctypes.c_double), ("status", ctypes.c_int32)] + \
        [(n, ctypes.c_uint32) for n in ("epochs_run", "stop_reason", "converged", "solver",
                                        "standardized", "n_params")] + \
        [("final_loss", ctypes.c_float), ("params", ctypes.c_float * 64),
         ("backend", ctypes.c_char * 16), ("message", ctypes.c_char * 128)]


LINEAR, LOGISTIC, POLYNOMIAL, LEGENDRE3 = 1, 2, 3, 4
SOLVER = {"auto": 0, "gd": 1, "newton": 2}
STD = {"auto": 0, "on": 1, "off": 2}


class CDriver:
    def __init__(self, path):
        self.path = path
        self.lib = ctypes.CDLL(path)
        self.lib.peer_fit.argtypes = [ctypes.POINTER(PeerJob), ctypes.c_void_p, ctypes.c_void_p,
                                      ctypes.c_uint64, ctypes.POINTER(PeerResult)]
        self.lib.peer_fit.restype = ctypes.c_int32
        self.lib.peer_seed_data.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]
        self.lib.peer_seed_data.restype = ctypes.c_uint32
        self.lib.peer_struct_sizes.restype = ctypes.c_uint32
        sizes = self.lib.peer_struct_sizes()
        want = ctypes.sizeof(PeerJob) << 16 | ctypes.sizeof(PeerResult)
        if sizes != want:
            raise SystemExit(f"peer_c struct layout mismatch: C {sizes:#x}, Python {want:#x}")
        buf = ctypes.create_string_buffer(32)
        self.lib.peer_auto_backend(buf, 32)
        self.auto_backend = buf.value.decode()

    def fit(self, X, y, kind, *, epochs=0, lr=0.0, reduction=0, batch=0, shuffle=1,
            momentum=0.0, solver="auto", standardize="auto", threads=1, conv_tol=0.0,
            degree=0, init=None, check=True):
        """One model created and trained through the C API; returns the PeerResult (its
        .seconds is create + fit, timed in C)."""
        job = PeerJob(kind=kind, n_features=X.shape[1], degree=degree, reduction=reduction,
                      batch_size=batch, shuffle=shuffle, max_epochs=epochs,
                      solver=SOLVER[solver], standardize=STD[standardize], threads=threads,
                      lr=lr, momentum=momentum, conv_tol=conv_tol, tol=-1.0)
        if init is not None:
            job.n_init = len(init)
            for i, v in enumerate(init):
                job.init[i] = v
        res = PeerResult()
        assert X.dtype == np.float32 and X.flags.c_contiguous and y.dtype == np.float32
        self.lib.peer_fit(ctypes.byref(job), X.ctypes.data, y.ctypes.data, X.shape[0],
                          ctypes.byref(res))
        if check and res.status != 0:
            raise RuntimeError(f"peer_fit: status {res.status}: {res.message.decode()}")
        return res

    def seed_data(self, which):
        rows, cols = {1: (1000, 3), 3: (2000, 1), 4: (2000, 1)}[which]
        X = np.zeros((rows, cols), np.float32)
        y = np.zeros(rows, np.float32)
        n = self.lib.peer_seed_data(which, X.ctypes.data, y.ctypes.data)
        assert n == rows
        return X, y


def params_of(res):
    return np.array(res.params[:res.n_params], dtype=np.float64)


# ---- timing -------------------------------------------------------------------------------------
def interleaved(fns, rounds, warmup=True):
    """fns: {name: callable returning seconds (or None when it could not run)}. Runs an
    untimed warm-up round (first-call costs: imports, page faults, primitive caches), then
    `rounds` rounds; each round calls every fn once, the order rotated by one each round (so no
    contender always runs first, after another one's cache footprint). Returns
    {name: [seconds...]}."""
    t = {k: [] for k in fns}
    names = list(fns)
    if warmup:
        for k in names:
            fns[k]()
    for r in range(rounds):
        k0 = r % len(names)
        for k in names[k0:] + names[:k0]:
            s = fns[k]()
            if s is not None:
                t[k].append(s)
    return t


def best(v):
    return min(v) if v else float("nan")


def med(v):
    return statistics.median(v) if v else float("nan")


def fmt_t(s):
    if not math.isfinite(s):
        return "-"
    if s < 1e-3:
        return f"{s * 1e6:.1f} us"
    if s < 1.0:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.3f} s"


def timed(f):
    t0 = time.perf_counter()
    r = f()
    return time.perf_counter() - t0, r


class threads_limit:
    """BLAS (and OpenMP other than torch's own setting) limited to n threads while active."""
    def __init__(self, n):
        self.n = n
        self.ctx = None

    def __enter__(self):
        if threadpoolctl is not None:
            self.ctx = threadpoolctl.threadpool_limits(limits=self.n, user_api="blas")
            self.ctx.__enter__()
        return self

    def __exit__(self, *a):
        if self.ctx is not None:
            self.ctx.__exit__(*a)


# ---- contenders for the full-batch epoch ---------------------------------------------------------
def torch_epochs(X, y, kind, lr, threads):
    """PyTorch eager, full batch: per call, time K epochs of forward, loss, backward, step."""
    torch.set_num_threads(threads)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    model = torch.nn.Linear(X.shape[1], 1)
    with torch.no_grad():
        model.weight.zero_()
        model.bias.zero_()
    loss_fn = torch.nn.BCEWithLogitsLoss() if kind == LOGISTIC else torch.nn.MSELoss()
    opt = torch.optim.SGD(model.parameters(), lr=lr)

    def run(K):
        torch.set_num_threads(threads)
        t0 = time.perf_counter()
        for _ in range(K):
            opt.zero_grad()
            loss = loss_fn(model(Xt)[:, 0], yt)
            loss.backward()
            opt.step()
        return time.perf_counter() - t0
    run(2)  # warm-up (allocator, oneDNN primitive cache)
    return run


def numpy_epochs(X, y, kind, lr):
    """The seed walkthrough's NumPy GD loop (mean loss), float32, BLAS on one thread."""
    n, d = X.shape
    w = np.zeros(d, np.float32)
    b = np.float32(0)
    scale = np.float32((1.0 if kind == LOGISTIC else 2.0) / n)
    lr = np.float32(lr)

    def run(K):
        nonlocal w, b
        with threads_limit(1):
            t0 = time.perf_counter()
            for _ in range(K):
                z = X @ w + b
                e = (1.0 / (1.0 + np.exp(-z)) - y) if kind == LOGISTIC else (z - y)
                g = (X.T @ e) * scale
                w -= lr * g
                b -= lr * (e.sum() * scale)
            return time.perf_counter() - t0
    run(1)
    return run


def gauss_data(n, d, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d), dtype=np.float32)
    w = rng.uniform(-1, 1, d).astype(np.float32)
    z = X @ w
    y_lin = (z + 0.5 + 0.1 * rng.standard_normal(n, dtype=np.float32)).astype(np.float32)
    y_log = (rng.uniform(size=n) < 1.0 / (1.0 + np.exp(-z))).astype(np.float32)
    return X, y_lin, y_log


def section_epoch(C, desc_py, sizes, rounds):
    out("\n== Full-batch GD epoch (fixed lr, convergence tests off) ==")
    out("descent: (T(fit of 1+K epochs) - T(fit of 1)) / K, each T the best (or median) of the"
        " rounds; torch/numpy: K epochs timed in a loop / K")
    out(f"{'case':22s} {'contender':24s} {'best/epoch':>12s} {'median':>12s} {'GB/s':>7s}"
        f" {'peer/descent C (same threads)':>30s}")
    for n, d, K in sizes:
        X, y_lin, y_log = gauss_data(n, d)
        for kind, kname, lr, y in ((LINEAR, "linear", 1e-6, y_lin),
                                   (LOGISTIC, "logistic", 1e-3, y_log)):
            case = f"{kname}/{n}x{d}"
            fns = {}
            for th in (1, 2):
                def dfit(ep, th=th):
                    return C.fit(X, y, kind, epochs=ep, lr=lr, solver="gd", standardize="off",
                                 threads=th, conv_tol=-1.0).seconds
                fns[f"descent C {th}t/1"] = lambda f=dfit: f(1)
                fns[f"descent C {th}t/1+K"] = lambda f=dfit: f(1 + K)
            if desc_py is not None:
                Est = desc_py.LogisticRegression if kind == LOGISTIC else desc_py.LinearRegression

                def pfit(ep):
                    m = Est(lr=lr, max_epochs=ep, solver="gd", standardize="off", conv_tol=-1.0)
                    return timed(lambda: m.fit(X, y))[0]
                fns["descent py 1t/1"] = lambda: pfit(1)
                fns["descent py 1t/1+K"] = lambda: pfit(1 + K)
            if torch is not None:
                for th in (1, 2):
                    r = torch_epochs(X, y, kind, lr, th)
                    fns[f"torch eager {th}t"] = lambda r=r: r(K) / K
            np_run = numpy_epochs(X, y, kind, lr)
            fns["numpy GD loop 1t"] = lambda: np_run(K) / K
            t = interleaved(fns, rounds)
            res = {}
            for name in ("descent C 1t", "descent C 2t", "descent py 1t"):
                if f"{name}/1" in t:
                    res[name] = ((best(t[f"{name}/1+K"]) - best(t[f"{name}/1"])) / K,
                                 (med(t[f"{name}/1+K"]) - med(t[f"{name}/1"])) / K)
            for name in ("torch eager 1t", "torch eager 2t", "numpy GD loop 1t"):
                if name in t:
                    res[name] = (best(t[name]), med(t[name]))
            rows = ["descent C 1t", "descent C 2t", "descent py 1t", "torch eager 1t",
                    "torch eager 2t", "numpy GD loop 1t"]
            nbytes = n * (d + 1) * 4
            for name in rows:
                if name not in res:
                    why = "not installed" if name.startswith(("torch", "descent py")) else "-"
                    out(f"{case:22s} {name:24s} {why:>12s}")
                    continue
                b_, m_ = res[name]
                ref = res["descent C 2t" if name.endswith("2t") else "descent C 1t"]
                ratio = "" if name.startswith("descent C") else f"{b_ / ref[0]:.2f}x"
                out(f"{case:22s} {name:24s} {fmt_t(b_):>12s} {fmt_t(m_):>12s}"
                    f" {nbytes / b_ / 1e9:7.1f} {ratio:>30s}")
                emit(section="epoch", case=case, contender=name, s_best=b_, s_median=m_,
                     K=K, rounds=rounds,
                     ratio_best=None if name.startswith("descent C") else b_ / ref[0],
                     ratio_median=None if name.startswith("descent C") else m_ / ref[1])
            c1, c2 = res["descent C 1t"][0], res["descent C 2t"][0]
            out(f"{case:22s} {'descent C 2t speed-up':24s} {c1 / c2:11.2f}x")


# ---- seed walkthrough runs, end to end ---------------------------------------------------------
SEED_RUNS = [
    # name, which data, kind, lr, epochs, init (None = zeros), degree
    ("linear 1000x3, 500 epochs", 1, LINEAR, 1e-4, 500, None, 0),
    ("cubic 2000x1, 2000 iters", 3, POLYNOMIAL, 1e-6, 2000, None, 3),
    ("legendre3 2000x1, 2000 iters", 4, LEGENDRE3, 5e-6, 2000, [0.0, -1.0, 0.0, 0.3], 0),
]


def torch_seed(X, y, kind, lr, epochs, init, degree):
    """The same PyTorch code as tests/reference/torch_sgd.py (its model classes, sum MSELoss,
    torch.optim.SGD, full batch), without the per-step recording; one thread. Timed from model
    construction to the final full-data loss (dsc_fit reports that loss too)."""
    import torch_sgd as ref  # tests/reference/torch_sgd.py
    torch.set_num_threads(1)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)

    def run():
        torch.set_num_threads(1)
        t0 = time.perf_counter()
        if kind == LINEAR:
            model = ref.LinearModel(X.shape[1], torch.float32)
        elif kind == POLYNOMIAL:
            model = ref.PolyModel(degree, torch.float32)
        else:
            model = ref.Legendre3Model(init, torch.float32)
        loss_fn = torch.nn.MSELoss(reduction="sum")
        opt = torch.optim.SGD(model.parameters(), lr=lr, foreach=False)
        for _ in range(epochs):
            opt.zero_grad()
            loss = loss_fn(model(Xt), yt)
            loss.backward()
            opt.step()
        with torch.no_grad():
            final = loss_fn(model(Xt), yt).item()
        return time.perf_counter() - t0, final, model.flat().double().numpy()
    return run


def section_seed(C, desc_py, rounds):
    out("\n== Seed walkthrough runs, end to end (sum-MSE, fixed lr, full batch, 1 thread) ==")
    out("descent C: dsc_config_init .. dsc_create, [dsc_set_params], dsc_fit, free, timed in C;"
        " torch: model + optimizer construction, the loop, the final loss")
    out(f"{'run':30s} {'contender':14s} {'best':>10s} {'median':>10s} {'final loss':>14s}"
        f" {'torch/descent C':>16s}")
    if torch is not None:
        sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
        import torch_sgd  # noqa: F401  (sets 1 thread and deterministic algorithms on import)
        torch.use_deterministic_algorithms(False)
    for name, which, kind, lr, epochs, init, degree in SEED_RUNS:
        X, y = C.seed_data(which)
        finals = {}

        def cfit():
            r = C.fit(X, y, kind, epochs=epochs, lr=lr, reduction=1, solver="gd",
                      standardize="off", degree=degree, init=init)
            finals["descent C"] = (r.final_loss, params_of(r))
            return r.seconds
        fns = {"descent C": cfit}
        if desc_py is not None:
            if kind == LINEAR:
                mk = lambda: desc_py.LinearRegression(lr=lr, max_epochs=epochs, reduction="sum")  # noqa
            elif kind == POLYNOMIAL:
                mk = lambda: desc_py.PolynomialRegression(degree, lr=lr, max_epochs=epochs,  # noqa
                                                          reduction="sum")
            else:
                mk = lambda: desc_py.Legendre3Regression(tuple(init), lr=lr,  # noqa
                                                         max_epochs=epochs, reduction="sum")

            def pfit():
                s, m = timed(lambda: mk().fit(X, y))
                finals["descent py"] = (m.loss_, None)
                return s
            fns["descent py"] = pfit
        if torch is not None:
            trun = torch_seed(X, y[:], kind, lr, epochs, init, degree)

            def tfit():
                s, final, p = trun()
                finals["torch"] = (final, p)
                return s
            fns["torch"] = tfit
        t = interleaved(fns, rounds)
        ref = best(t["descent C"])
        for who in ("descent C", "descent py", "torch"):
            if who not in t:
                out(f"{name:30s} {who:14s} {'not installed':>10s}")
                continue
            b_ = best(t[who])
            ratio = "" if who == "descent C" else f"{b_ / ref:.1f}x"
            out(f"{name:30s} {who:14s} {fmt_t(b_):>10s} {fmt_t(med(t[who])):>10s}"
                f" {finals[who][0]:14.7g} {ratio:>16s}")
            emit(section="seed", case=name, contender=who, s_best=b_, s_median=med(t[who]),
                 final_loss=finals[who][0], rounds=rounds,
                 ratio_best=None if who == "descent C" else b_ / ref,
                 ratio_median=None if who == "descent C" else med(t[who]) / med(t["descent C"]))
        if "torch" in finals:
            pd, pt = finals["descent C"][1], finals["torch"][1]
            dev = float(np.max(np.abs(pd - pt)) / max(np.max(np.abs(pt)), 1e-12))
            out(f"{'':30s} parameters descent C vs torch: max rel. difference {dev:.1e}")


# ---- shuffled minibatch SGD ----------------------------------------------------------------------
def section_sgd(C, desc_py, n, d, K, rounds):
    out(f"\n== Shuffled minibatch SGD, linear {n}x{d} (1 thread) ==")
    out("descent: batch 32, momentum 0.9, shuffle on, lr 1e-3; sklearn SGDRegressor: its own "
        "per-sample SGD (batch 1, no momentum), shuffle on, constant eta0 1e-3, float64 X. "
        "Both: epoch = (T(1+K) - T(1)) / K, best of the rounds")
    X, y, _ = gauss_data(n, d, seed=2)
    fns = {}

    def cfit(ep):
        return C.fit(X, y, LINEAR, epochs=ep, lr=1e-3, batch=32, momentum=0.9, shuffle=1,
                     solver="gd", standardize="off").seconds
    fns["descent C b32/1"] = lambda: cfit(1)
    fns["descent C b32/1+K"] = lambda: cfit(1 + K)
    if desc_py is not None:
        def pfit(ep):
            m = desc_py.LinearRegression(lr=1e-3, max_epochs=ep, batch_size=32, momentum=0.9,
                                         solver="gd", standardize="off")
            return timed(lambda: m.fit(X, y))[0]
        fns["descent py b32/1"] = lambda: pfit(1)
        fns["descent py b32/1+K"] = lambda: pfit(1 + K)
    if sklearn is not None:
        from sklearn.linear_model import SGDRegressor
        X64, y64 = X.astype(np.float64), y.astype(np.float64)

        def sfit(ep):
            m = SGDRegressor(penalty=None, learning_rate="constant", eta0=1e-3, max_iter=ep,
                             tol=None, shuffle=True, random_state=0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return timed(lambda: m.fit(X64, y64))[0]
        fns["sklearn SGDRegressor/1"] = lambda: sfit(1)
        fns["sklearn SGDRegressor/1+K"] = lambda: sfit(1 + K)
    with threads_limit(1):
        t = interleaved(fns, rounds)
    out(f"{'contender':26s} {'best/epoch':>12s} {'median':>12s} {'M samples/s':>12s}"
        f" {'descent C / peer':>17s}")
    rate = {}
    for name in ("descent C b32", "descent py b32", "sklearn SGDRegressor"):
        if f"{name}/1" not in t:
            out(f"{name:26s} {'not installed':>12s}")
            continue
        eb = (best(t[f"{name}/1+K"]) - best(t[f"{name}/1"])) / K
        em = (med(t[f"{name}/1+K"]) - med(t[f"{name}/1"])) / K
        rate[name] = n / eb
        ratio = "" if name == "descent C b32" else f"{rate['descent C b32'] / rate[name]:.2f}x"
        out(f"{name:26s} {fmt_t(eb):>12s} {fmt_t(em):>12s} {n / eb / 1e6:12.2f} {ratio:>17s}")
        emit(section="sgd", case=f"linear/{n}x{d}", contender=name, s_epoch_best=eb,
             s_epoch_median=em, samples_per_s=n / eb, K=K, rounds=rounds)


# ---- time to the optimum -------------------------------------------------------------------------
def logistic_optimum(X, y):
    """Mean BCE at the optimum: Newton in float64 on standardized columns (independent of
    every contender), run until the Newton decrement is at rounding level."""
    X64 = X.astype(np.float64)
    mu, sd = X64.mean(0), X64.std(0)
    Z = np.hstack([np.ones((X.shape[0], 1)), (X64 - mu) / sd])
    del X64
    y64 = y.astype(np.float64)
    th = np.zeros(Z.shape[1])
    for _ in range(100):
        z = Z @ th
        p = 1.0 / (1.0 + np.exp(-z))
        g = Z.T @ (p - y64) / len(y64)
        H = (Z * (p * (1 - p))[:, None]).T @ Z / len(y64)
        step = np.linalg.solve(H, g)
        th -= step
        if g @ step < 1e-20:
            break
    return bce_loss(Z @ th, y)


def raw_score(m, X64):
    """b + w.x in float64 from a fitted estimator's coef_ / intercept_ (a pipeline: its own
    decision_function / predict on float64 X), so float32 outputs do not blur the gap."""
    if hasattr(m, "steps"):
        f = getattr(m, "decision_function", None) or m.predict
        return np.asarray(f(X64), np.float64)
    w = np.ravel(np.asarray(m.coef_, np.float64))
    b = float(np.ravel(np.asarray(m.intercept_, np.float64))[0])
    return X64 @ w + b


def bce_loss(z, y):
    z = np.asarray(z, np.float64)
    return float(np.mean(np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z))) - y * z))


def mse_loss(pred, y):
    return float(np.mean((np.asarray(pred, np.float64) - y) ** 2))


class SklearnexLog(logging.Handler):
    """Collects sklearnex's 'running accelerated version' / 'fallback' messages."""
    def __init__(self):
        super().__init__(logging.INFO)
        self.msgs = []

    def emit(self, record):
        self.msgs.append(record.getMessage())


def section_optimum(C, desc_py, n, d, rounds):
    out(f"\n== Time to the optimum with defaults, {n}x{d}, physical-unit columns (1 thread) ==")
    if sklearn is None:
        out("scikit-learn not installed: section skipped")
        return
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    import time_to_optimum as tto  # tests/bench/time_to_optimum.py: its data generator
    X, y_lin, y_log = tto.data(n, d)
    X64 = X.astype(np.float64)  # scikit-learn computes in float64; converted once, not timed
    opt_lin = tto.lstsq_loss(X, y_lin)
    opt_log = logistic_optimum(X, y_log)
    out("descent: defaults (lr 0, solver AUTO, standardize AUTO), float32 X. sklearn: float64 X"
        " (converted once, not timed). sklearnex: f32 / f64 = float32 / float64 X. Logistic"
        " without penalty (sklearn C=inf; sklearnex C=1e10, as C=inf makes it fall back), lbfgs"
        " with its defaults (tol 1e-4, max_iter 100), on the raw columns and after a"
        " StandardScaler (timed, in a pipeline). rel. gap = (loss - optimum) / optimum, the"
        " optimum from float64 least squares / a float64 Newton solve on standardized columns."
        " how: the solver that ran (sklearnex: oneDAL or fallback, from its log)")
    sx_log = SklearnexLog()
    if sklearnex is not None:
        from sklearnex.linear_model import LinearRegression as XLinear
        from sklearnex.linear_model import LogisticRegression as XLogistic
        lg = logging.getLogger("sklearnex")
        for h in list(lg.handlers):
            lg.removeHandler(h)
        lg.setLevel(logging.INFO)
        lg.addHandler(sx_log)
        lg.propagate = False

    def sx_how():
        fit_msgs = [m for m in sx_log.msgs if ".fit:" in m]
        if any("fallback" in m for m in fit_msgs):
            return "sklearnex: fallback"
        return "sklearnex: oneDAL" if any("accelerated" in m for m in fit_msgs) else "?"

    for task, y, opt in (("least squares", y_lin, opt_lin), ("logistic", y_log, opt_log)):
        kind = LOGISTIC if task == "logistic" else LINEAR
        loss_of = bce_loss if kind == LOGISTIC else mse_loss
        info = {}
        fns = {}

        def cfit():
            r = C.fit(X, y, kind)
            p = params_of(r)
            info["descent C"] = (loss_of(X64 @ p[1:] + p[0], y), r.epochs_run,
                                 ["?", "gd", "newton"][r.solver] + ("" if r.converged
                                                                    else " NOT converged"))
            return r.seconds
        fns["descent C"] = cfit
        if desc_py is not None:
            Est = desc_py.LogisticRegression if kind == LOGISTIC else desc_py.LinearRegression

            def pfit():
                s, m = timed(lambda: Est().fit(X, y))
                info["descent py"] = (loss_of(raw_score(m, X64), y), m.n_iter_,
                                      m.fit_report_["solver"])
                return s
            fns["descent py"] = pfit
        else:
            fns["descent py"] = None

        def peer(name, make, XX, how):
            """A scikit-learn style estimator, timed from construction through fit."""
            def f():
                sx_log.msgs.clear()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    s, m = timed(lambda: make().fit(XX, y))
                    z = raw_score(m, X64)
                last = m[-1] if hasattr(m, "steps") else m
                it = int(np.ravel(getattr(last, "n_iter_", [1]))[0])
                info[name] = (loss_of(z, y), it, how() if callable(how) else how)
                return s
            fns[name] = f

        if kind == LINEAR:
            peer("sklearn LinearRegression", LinearRegression, X64, "lstsq")
            for tag, XX in (("f32", X), ("f64", X64)):
                name = f"sklearnex LinearRegression {tag}"
                if sklearnex is None:
                    fns[name] = None
                else:
                    peer(name, XLinear, XX, sx_how)
        else:
            peer("sklearn LogisticRegression", lambda: LogisticRegression(C=np.inf), X64, "lbfgs")
            peer("sklearn Scaler+LogisticRegression",
                 lambda: make_pipeline(StandardScaler(), LogisticRegression(C=np.inf)), X64,
                 "lbfgs")
            for tag, XX in (("f32", X), ("f64", X64)):
                for scaled in (False, True):
                    name = "sklearnex " + ("Scaler+" if scaled else "") + \
                        f"LogisticRegression {tag}"
                    if sklearnex is None:
                        fns[name] = None
                    elif scaled:
                        peer(name, lambda: make_pipeline(StandardScaler(), XLogistic(C=1e10)),
                             XX, sx_how)
                    elif tag == "f32":  # raw columns: f32 only (the slow unconverged row)
                        peer(name, lambda: XLogistic(C=1e10), XX, sx_how)
        order = list(fns)
        with threads_limit(1):
            t = interleaved({k: v for k, v in fns.items() if v is not None}, rounds,
                            warmup=False)  # fits of 0.1 s and more
        ref = best(t["descent C"])
        out(f"{'':2s}{task}: optimum {opt:.9g}")
        out(f"  {'contender':40s} {'best':>10s} {'median':>10s} {'iters':>6s} {'rel. gap':>10s}"
            f" {'peer/descent C':>15s}  how")
        for name in order:
            if name not in t:
                out(f"  {name:40s} {'not installed':>10s}")
                continue
            b_ = best(t[name])
            loss, it, how = info[name]
            gap = (loss - opt) / opt
            ratio = "" if name == "descent C" else f"{b_ / ref:.2f}x"
            out(f"  {name:40s} {fmt_t(b_):>10s} {fmt_t(med(t[name])):>10s} {it:6d} {gap:10.2e}"
                f" {ratio:>15s}  {how}")
            emit(section="optimum", case=f"{task}/{n}x{d}", contender=name, s_best=b_,
                 s_median=med(t[name]), iters=it, rel_gap=gap, how=how, rounds=rounds,
                 ratio_best=None if name == "descent C" else b_ / ref)


# ---- header ------------------------------------------------------------------------------------
def lscpu():
    try:
        txt = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except Exception:
        return {}
    d = {}
    for line in txt.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            d[k.strip()] = v.strip()
    return d


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, 2 rounds (smoke run)")
    ap.add_argument("--rounds", type=int, default=None, help="rounds (default 5; quick 2)")
    ap.add_argument("--build", default=os.environ.get("DESCENT_BENCH_BUILD", DEFAULT_BUILD),
                    help="build directory of the bench preset (default build/bench)")
    ap.add_argument("--sections", default="epoch,seed,sgd,optimum",
                    help="comma list of epoch, seed, sgd, optimum")
    ap.add_argument("--json-only", action="store_true", help="print only the JSON lines")
    ARGS = ap.parse_args()
    rounds = ARGS.rounds or (2 if ARGS.quick else 5)
    sections = set(ARGS.sections.split(","))
    warnings.simplefilter("ignore", category=UserWarning)

    drv = os.path.join(ARGS.build, "tests", "bench", "libdescent_peer_c.so")
    shared = os.path.join(ARGS.build, "ports", "libdescent.so")
    if not os.path.exists(drv):
        raise SystemExit(f"{drv} not found: run `cmake --workflow --preset bench` first")
    # The Python package uses the same build's shared library, so both descent rows run the
    # same kernels (DESCENT_LIBRARY always wins in the package's loader).
    if "DESCENT_LIBRARY" not in os.environ and os.path.exists(shared):
        os.environ["DESCENT_LIBRARY"] = shared
    C = CDriver(drv)
    desc_py = optional("descent")
    if desc_py is None:  # not pip-installed: the source tree's package
        sys.path.insert(0, os.path.join(ROOT, "ports", "python", "src"))
        desc_py = optional("descent")
    sys.path.insert(0, HERE)
    if daal4py is not None:
        daal4py.daalinit(1)  # sklearnex/oneDAL on one thread, as every other 1t row
    torch1 = torch.get_num_threads() if torch is not None else None

    cpu = lscpu()
    out("descent peer benchmark" + (" (--quick: small sizes, a smoke run)" if ARGS.quick else ""))
    out(f"cpu: {cpu.get('Model name', platform.processor())}; {cpu.get('CPU(s)', '?')} CPUs, "
        f"{cpu.get('Thread(s) per core', '?')} thread(s)/core, {cpu.get('Core(s) per socket', '?')}"
        f" core(s)/socket, {cpu.get('Socket(s)', '?')} socket(s); os.cpu_count {os.cpu_count()}; "
        f"loadavg {open('/proc/loadavg').read().split()[:3] if os.path.exists('/proc/loadavg') else '?'}")
    vers = {"python": platform.python_version(), "numpy": np.__version__}
    for dist, mod in (("torch", torch), ("scikit-learn", sklearn),
                      ("scikit-learn-intelex", sklearnex), ("descent", desc_py)):
        try:
            from importlib.metadata import version
            vers[dist] = version(dist) if mod is not None else "not installed"
        except Exception:
            vers[dist] = getattr(mod, "__version__", "?") if mod is not None else \
                "not installed"
    out("versions: " + ", ".join(f"{k} {v}" for k, v in vers.items()))
    out(f"descent: AUTO path {C.auto_backend}; C driver {drv}; Python package "
        f"{getattr(desc_py, '__file__', '-')} on {os.environ.get('DESCENT_LIBRARY', '(bundled)')}")
    out(f"threads: 1t rows pin BLAS ({'threadpoolctl' if threadpoolctl else 'NOT pinned: no threadpoolctl'})"
        f", torch.set_num_threads, daal4py.daalinit(1); 2t rows use a 2-thread descent_pool "
        f"and torch.set_num_threads(2) (torch default here: {torch1})")
    out(f"timing: {rounds} interleaved rounds; 'best' = fastest round, 'median' = median round;"
        " ratios from best times")
    emit(section="header", cpu=cpu.get("Model name"), cpus=os.cpu_count(), rounds=rounds,
         quick=ARGS.quick, versions=vers, auto_path=C.auto_backend)

    if ARGS.quick:
        sizes = [(100_000, 32, 10), (10_000, 32, 50)]
        sgd = (20_000, 32, 5)
        opt = (100_000, 32)
    else:
        sizes = [(1_000_000, 32, 20), (100_000, 32, 100)]
        sgd = (100_000, 32, 10)
        opt = (1_000_000, 32)
    if "epoch" in sections:
        section_epoch(C, desc_py, sizes, rounds)
    if "seed" in sections:
        section_seed(C, desc_py, rounds)
    if "sgd" in sections:
        section_sgd(C, desc_py, *sgd, rounds)
    if "optimum" in sections:
        section_optimum(C, desc_py, *opt, max(2, rounds - 2) if not ARGS.quick else rounds)
    if not ARGS.json_only:
        print()
        for j in JSON_LINES:
            print("JSON " + json.dumps(j))


if __name__ == "__main__":
    main()
