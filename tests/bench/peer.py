#!/usr/bin/env python3
"""Peer benchmark: descent against the libraries its users would pick instead, side by side in
one process, with interleaved rounds (every contender runs once per round; the fastest round
counts), printing ratios. Not part of the pass/fail suite.

Setup (a venv outside the repo; PyTorch from PyPI is large, several GB with its CUDA wheels):

    python3 -m venv /work/peer-venv
    /work/peer-venv/bin/pip install torch numpy scikit-learn scikit-learn-intelex
    cmake --preset default -B build/peer -DCMAKE_BUILD_TYPE=Release
    cmake --build build/peer -j2 --target descent_shared
    DESCENT_LIBRARY=build/peer/ports/libdescent.so PYTHONPATH=ports/python/src \\
        /work/peer-venv/bin/python tests/bench/peer.py            # --quick for a smoke run

Rows (float32 data for descent and PyTorch, one thread unless said):
  epoch   one full-batch GD epoch (loss, gradient, step). descent through the C API (ctypes
          calls of dsc_fit straight on the arrays: T(1 + K epochs) - T(1 epoch), over K, so the
          fit's fixed costs cancel) and through its Python package (LinearRegression /
          LogisticRegression.fit, same difference); PyTorch's eager loop (zero_grad, forward,
          MSELoss / BCEWithLogitsLoss, backward, step) at 1 and 2 threads; NumPy's GD loop.
  optimum time to the optimum with defaults: descent's defaults (NEWTON + in-model
          standardization), scikit-learn's LinearRegression and LogisticRegression(lbfgs, no
          penalty), scikit-learn-intelex's, given float64 copies of the data (their precision);
          the objective reached is printed beside the time (a peer that stops short shows it).
  sgd     shuffled minibatch SGD, one epoch: descent batch 32, momentum 0.9, vs scikit-learn's
          SGDRegressor (its own per-sample SGD, max_iter=1), samples per second.
  seed    the seed walkthrough's three runs end to end (linear 1000x3 500 epochs sum-MSE lr
          1e-4; cubic to sin x 2000 points 2000 epochs lr 1e-6; Legendre3 2000 epochs lr 5e-6,
          from a=0, b=-1, c=0, d=0.3) through the C API vs the same PyTorch code.
A peer that is not installed prints "not installed".
"""
import argparse
import ctypes
import math
import os
import platform
import subprocess
import sys
import time

import numpy as np

try:
    import descent
    from descent import _capi
except ImportError as e:  # pragma: no cover
    sys.exit(f"descent package not importable ({e}); set PYTHONPATH=ports/python/src")


def optional(name):
    try:
        return __import__(name)
    except Exception:
        return None


torch = optional("torch")
sklearn = optional("sklearn")
sklearnex = optional("sklearnex")


def cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


# ---- descent through the C API (ctypes, no Python-level copies) --------------------------------
class CModel:
    def __init__(self, kind, d, **fields):
        self.lib = _capi.lib()
        self.buf, self.cfg = _capi.new_config(kind, d)
        for k, v in fields.items():
            setattr(self.cfg, k, v)
        need = self.lib.dsc_arena_size(self.buf)
        if need == 0:
            raise RuntimeError(self.lib.dsc_check_config(self.buf))
        self.arena = np.zeros((need + 7) // 8, dtype=np.uint64)
        self.m = ctypes.c_void_p()
        _capi.check(self.lib.dsc_create(self.buf, self.arena.ctypes.data, self.arena.nbytes,
                                        ctypes.byref(self.m)), "dsc_create")
        self.rep = _capi.FitReport()

    def fit(self, X, y):
        self.lib.dsc_reset(self.m)
        s = self.lib.dsc_fit(self.m, X.ctypes.data, y.ctypes.data, X.shape[0], ctypes.byref(self.rep))
        return s, self.rep

    def params(self):
        n = self.lib.dsc_param_count(self.m)
        out = np.zeros(n, dtype=np.float32)
        _capi.check(self.lib.dsc_get_params(self.m, out.ctypes.data, n), "dsc_get_params")
        return out


def c_epoch_fn(kind, X, y, K):
    """Returns (f1, fK): fits of 1 and 1 + K epochs, GD with a fixed small rate, tests off."""
    d = X.shape[1]
    common = dict(lr=1e-6, batch_size=0, solver=_capi.SOLVER["gd"], standardize=_capi.STANDARDIZE["off"],
                  conv_tol=0.0)
    m1 = CModel(kind, d, max_epochs=1, **common)
    mk = CModel(kind, d, max_epochs=1 + K, **common)
    return (lambda: m1.fit(X, y)), (lambda: mk.fit(X, y))


# ---- the peers ---------------------------------------------------------------------------------
def torch_epoch_fn(kind, X, y, threads, K):
    if torch is None:
        return None
    Xt = torch.from_numpy(X)
    yt = torch.from_numpy(y).reshape(-1, 1)
    model = torch.nn.Linear(X.shape[1], 1)
    opt = torch.optim.SGD(model.parameters(), lr=1e-6)
    loss_fn = torch.nn.MSELoss() if kind == "linear" else torch.nn.BCEWithLogitsLoss()

    def run():
        torch.set_num_threads(threads)
        for _ in range(K):
            opt.zero_grad()
            loss = loss_fn(model(Xt), yt)
            loss.backward()
            opt.step()
        return float(loss)
    return run


def numpy_epoch_fn(kind, X, y, K):
    n, d = X.shape
    w = np.zeros(d, dtype=np.float32)

    def run():
        nonlocal w
        b = np.float32(0)
        for _ in range(K):
            z = X @ w + b
            r = 2.0 * (z - y) if kind == "linear" else 1.0 / (1.0 + np.exp(-z)) - y
            g = X.T @ r / n
            w = w - np.float32(1e-6) * g.astype(np.float32)
            b = b - np.float32(1e-6) * np.float32(r.mean())
        return w
    return run


def interleaved(fns, rounds):
    """Every function once per round, in turn; the fastest round of each."""
    best = {k: math.inf for k in fns}
    for _ in range(rounds):
        for k, f in fns.items():
            t = time.perf_counter()
            f()
            best[k] = min(best[k], time.perf_counter() - t)
    return best


def fmt_t(s):
    if not math.isfinite(s):
        return "-"
    return f"{s * 1e3:9.2f} ms" if s >= 1e-3 else f"{s * 1e6:9.2f} us"


# ---- sections ----------------------------------------------------------------------------------
def section_epoch(n, d, rounds, K):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((n, d), dtype=np.float32)
    w = rng.standard_normal(d).astype(np.float32)
    ylin = (X @ w + 0.1 * rng.standard_normal(n)).astype(np.float32)
    ylog = (rng.random(n) < 1 / (1 + np.exp(-(X @ w) / 4))).astype(np.float32)
    print(f"\n== epoch: one full-batch GD epoch at {n} x {d}, fastest of {rounds} interleaved rounds "
          f"(K = {K} epochs per call) ==")
    for kind, y in (("linear", ylin), ("logistic", ylog)):
        f1, fk = c_epoch_fn(kind, X, y, K)
        Est = descent.LinearRegression if kind == "linear" else descent.LogisticRegression
        ykw = y if kind == "linear" else y.astype(np.int64)
        kw = dict(lr=1e-6, solver="gd", standardize="off", conv_tol=0.0)
        p1 = lambda: Est(max_epochs=1, **kw).fit(X, ykw)
        pk = lambda: Est(max_epochs=1 + K, **kw).fit(X, ykw)
        fns = {"c1": f1, "cK": fk, "py1": p1, "pyK": pk, "numpy": numpy_epoch_fn(kind, X, y, K)}
        for th in (1, 2):
            f = torch_epoch_fn(kind, X, y, th, K)
            if f:
                fns[f"torch{th}"] = f
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            b = interleaved(fns, rounds)
        ep = {"descent C API": (b["cK"] - b["c1"]) / K, "descent Python": (b["pyK"] - b["py1"]) / K,
              "NumPy GD loop": b["numpy"] / K}
        for th in (1, 2):
            ep[f"PyTorch eager, {th} thread{'s' if th > 1 else ''}"] = b.get(f"torch{th}", math.nan) / K
        base = ep["descent C API"]
        print(f"{kind}:")
        for name, t in ep.items():
            note = "" if name != "descent C API" else "  (reference)"
            print(f"  {name:28s} {fmt_t(t)}/epoch   {t / base:6.2f}x descent C API{note}")
        if torch is None:
            print("  PyTorch                      not installed")


def section_optimum(n, d, rounds):
    rng = np.random.default_rng(2)
    # Physical-unit columns: offsets and scales spread over decades.
    scale = np.logspace(-3, 5, d).astype(np.float32)
    off = (10 * scale).astype(np.float32)
    Z = rng.standard_normal((n, d)).astype(np.float32)
    X = (Z * scale + off).astype(np.float32)
    w = rng.standard_normal(d)
    ylin = (Z @ w + 0.5 * rng.standard_normal(n)).astype(np.float32)
    ylog = (rng.random(n) < 1 / (1 + np.exp(-(Z @ w) / 2))).astype(np.int64)
    print(f"\n== optimum: time to the optimum with defaults at {n} x {d} (physical-unit columns), "
          f"fastest of {rounds} ==")

    def mse(pred):
        return float(np.mean((pred.astype(np.float64) - ylin) ** 2))

    def bce(p):
        p = np.clip(p.astype(np.float64), 1e-300, 1 - 1e-16)
        return float(-np.mean(ylog * np.log(p) + (1 - ylog) * np.log1p(-p)))

    import warnings
    X64 = X.astype(np.float64)  # scikit-learn's own precision (float32 lstsq loses these columns)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fns, objs = {}, {}

        def add(name, make, obj):
            fns[name] = lambda: objs.__setitem__(name, obj(make()))

        add("descent LinearRegression()", lambda: descent.LinearRegression().fit(X, ylin),
            lambda m: mse(m.predict(X)))
        add("descent LogisticRegression()", lambda: descent.LogisticRegression().fit(X, ylog),
            lambda m: bce(m.predict_proba(X)[:, 1]))
        if sklearn:
            from sklearn import linear_model as sk
            add("sklearn LinearRegression", lambda: sk.LinearRegression().fit(X64, ylin),
                lambda m: mse(m.predict(X64)))
            add("sklearn LogisticRegression lbfgs", lambda: sk.LogisticRegression(
                penalty=None, max_iter=10000).fit(X64, ylog), lambda m: bce(m.predict_proba(X64)[:, 1]))
        if sklearnex:
            from sklearnex import linear_model as ex
            add("sklearnex LinearRegression", lambda: ex.LinearRegression().fit(X64, ylin),
                lambda m: mse(m.predict(X64)))
            add("sklearnex LogisticRegression", lambda: ex.LogisticRegression(
                penalty=None, max_iter=10000).fit(X64, ylog), lambda m: bce(m.predict_proba(X64)[:, 1]))
        best = interleaved(fns, rounds)
    for task, ref in (("Linear", "descent LinearRegression()"), ("Logistic", "descent LogisticRegression()")):
        names = [k for k in fns if task in k]
        lo = min(objs[k] for k in names)
        print(f"{task.lower()}:")
        for k in names:
            print(f"  {k:34s} {fmt_t(best[k])}  {best[k] / best[ref]:7.2f}x descent   objective "
                  f"{objs[k]:.9g} (+{(objs[k] - lo) / max(abs(lo), 1e-300):.1e} rel)")
    if not sklearnex:
        print("  scikit-learn-intelex: not installed")


def section_sgd(n, d, rounds):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((n, d), dtype=np.float32)
    y = (X @ rng.standard_normal(d).astype(np.float32)).astype(np.float32)
    m = CModel("linear", d, lr=1e-4, batch_size=32, momentum=0.9, max_epochs=1,
               solver=_capi.SOLVER["gd"], standardize=_capi.STANDARDIZE["off"])
    fns = {"descent": lambda: m.fit(X, y)}
    if sklearn:
        from sklearn.linear_model import SGDRegressor
        X64, y64 = X.astype(np.float64), y.astype(np.float64)
        import warnings

        def sk():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                SGDRegressor(max_iter=1, tol=None, shuffle=True, random_state=0).fit(X64, y64)
        fns["sklearn"] = sk
    b = interleaved(fns, rounds)
    print(f"\n== sgd: one shuffled epoch at {n} x {d}, fastest of {rounds} ==")
    print(f"  descent batch 32, momentum 0.9 (C API)  {n / b['descent'] / 1e6:8.2f} M samples/s")
    if "sklearn" in b:
        print(f"  sklearn SGDRegressor (per sample)       {n / b['sklearn'] / 1e6:8.2f} M samples/s   "
              f"descent {b['sklearn'] / b['descent']:.1f}x faster")
    else:
        print("  sklearn: not installed")


def section_seed(rounds):
    print(f"\n== seed: the walkthrough's three runs end to end, fastest of {rounds} ==")
    rng = np.random.default_rng(4)
    X = rng.standard_normal((1000, 3)).astype(np.float32)
    y = (3 + X @ np.array([1, 2, 4], np.float32)).astype(np.float32)
    xs = np.linspace(-math.pi, math.pi, 2000, dtype=np.float32).reshape(-1, 1)
    ys = np.sin(xs[:, 0]).astype(np.float32)
    sumr = _capi.REDUCTION["sum"]
    lin = CModel("linear", 3, lr=1e-4, max_epochs=500, reduction=sumr,
                 solver=_capi.SOLVER["gd"], standardize=_capi.STANDARDIZE["off"])
    cub = CModel("polynomial", 1, degree=3, lr=1e-6, max_epochs=2000, reduction=sumr,
                 solver=_capi.SOLVER["gd"], standardize=_capi.STANDARDIZE["off"])
    leg = CModel("legendre3", 1, lr=5e-6, max_epochs=2000, reduction=sumr,
                 solver=_capi.SOLVER["gd"], standardize=_capi.STANDARDIZE["off"])
    leg_init = np.array([0.0, -1.0, 0.0, 0.3], np.float32)

    def leg_fit():
        leg.lib.dsc_reset(leg.m)
        leg.lib.dsc_set_params(leg.m, leg_init.ctypes.data, 4)
        return leg.lib.dsc_fit(leg.m, xs.ctypes.data, ys.ctypes.data, 2000, ctypes.byref(leg.rep))

    fns = {"c lin": lambda: lin.fit(X, y), "c cub": lambda: cub.fit(xs, ys), "c leg": leg_fit}
    if torch is not None:
        def t_lin():
            torch.set_num_threads(1)
            Xt, yt = torch.from_numpy(X), torch.from_numpy(y).reshape(-1, 1)
            model = torch.nn.Linear(3, 1)
            torch.nn.init.zeros_(model.weight), torch.nn.init.zeros_(model.bias)
            opt = torch.optim.SGD(model.parameters(), lr=1e-4)
            for _ in range(500):
                opt.zero_grad()
                loss = ((model(Xt) - yt) ** 2).sum()
                loss.backward()
                opt.step()

        def t_cub():
            torch.set_num_threads(1)
            x, yy = torch.from_numpy(xs[:, 0]), torch.from_numpy(ys)
            p = torch.zeros(4, requires_grad=True)
            opt = torch.optim.SGD([p], lr=1e-6)
            for _ in range(2000):
                opt.zero_grad()
                pred = p[0] + p[1] * x + p[2] * x ** 2 + p[3] * x ** 3
                loss = ((pred - yy) ** 2).sum()
                loss.backward()
                opt.step()

        def t_leg():
            torch.set_num_threads(1)
            x, yy = torch.from_numpy(xs[:, 0]), torch.from_numpy(ys)
            p = torch.tensor([0.0, -1.0, 0.0, 0.3], requires_grad=True)
            opt = torch.optim.SGD([p], lr=5e-6)
            for _ in range(2000):
                opt.zero_grad()
                t = p[2] + p[3] * x
                pred = p[0] + p[1] * 0.5 * (5 * t ** 3 - 3 * t)
                loss = ((pred - yy) ** 2).sum()
                loss.backward()
                opt.step()
        fns.update({"t lin": t_lin, "t cub": t_cub, "t leg": t_leg})
    b = interleaved(fns, rounds)
    for key, name in (("lin", "linear 1000x3, 500 epochs"), ("cub", "cubic to sin x, 2000 epochs"),
                      ("leg", "Legendre3, 2000 epochs")):
        tc = b[f"c {key}"]
        if f"t {key}" in b:
            tt = b[f"t {key}"]
            print(f"  {name:30s} descent {fmt_t(tc)}   PyTorch {fmt_t(tt)}   descent {tt / tc:7.1f}x faster")
        else:
            print(f"  {name:30s} descent {fmt_t(tc)}   PyTorch not installed")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, few rounds (smoke run)")
    ap.add_argument("--only", default="", help="comma list of sections: epoch,optimum,sgd,seed")
    ap.add_argument("--optimum-rounds", type=int, default=3, help="rounds of the optimum section")
    a = ap.parse_args()
    secs = set(a.only.split(",")) if a.only else {"epoch", "optimum", "sgd", "seed"}
    n = 20000 if a.quick else 1000000
    rounds = 2 if a.quick else 5
    print(f"peer benchmark — CPU: {cpu_model()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"descent {descent.__version__} ({_capi.library_path()}), numpy {np.__version__}, "
          f"torch {getattr(torch, '__version__', 'not installed')}, "
          f"scikit-learn {getattr(sklearn, '__version__', 'not installed')}, "
          f"scikit-learn-intelex {getattr(sklearnex, '__version__', 'not installed') if sklearnex else 'not installed'}")
    if "epoch" in secs:
        section_epoch(n, 32, rounds, 5 if a.quick else 10)
    if "optimum" in secs:
        section_optimum(n, 32, 1 if a.quick else a.optimum_rounds)
    if "sgd" in secs:
        section_sgd(min(n, 1000000), 32, rounds)
    if "seed" in secs:
        section_seed(rounds)


if __name__ == "__main__":
    main()
