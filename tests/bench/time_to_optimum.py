#!/usr/bin/env python3
"""Time to the optimum with default settings: descent (Python package over the C ABI) against
scikit-learn's LinearRegression and LogisticRegression, side by side in one process, rounds
interleaved, median of the rounds. Not part of the pass/fail suite.

For the python3 on PATH (pyenv), with numpy and scikit-learn from pip:

    cmake --preset default && cmake --build build/default -j2
    DESCENT_LIBRARY=build/default/ports/libdescent.so OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \\
        python3 tests/bench/time_to_optimum.py [--rows 1000000] [--cols 32] [--rounds 3]

Data: columns in physical units (scales 1e-3 .. 1e3, offsets of 3 scales); linear targets
with noise, logistic labels drawn from a sigmoid of a standardized score (not separable).
The optimum each is measured against: float64 least squares on standardized columns, and for
logistic scikit-learn's lbfgs at tol 1e-10 (the gap is reported against the lower of the two
losses found).
"""
import argparse
import os
import statistics
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "ports", "python", "src"))
import descent  # noqa: E402
from sklearn.linear_model import LinearRegression, LogisticRegression  # noqa: E402


def data(n, d, seed=0):
    rng = np.random.default_rng(seed)
    scales = np.logspace(-3, 3, d)
    Z = rng.standard_normal((n, d))
    X = (Z * scales + 3 * scales).astype(np.float32)
    w = rng.uniform(-1, 1, d)
    y_lin = (5.0 + Z @ w + 0.1 * rng.standard_normal(n)).astype(np.float32)
    p = 1.0 / (1.0 + np.exp(-(0.3 + Z @ w)))
    y_log = (rng.uniform(size=n) < p).astype(np.float32)
    return X, y_lin, y_log


def mse(pred, y):
    return float(np.mean((pred.astype(np.float64) - y) ** 2))


def bce(z, y):
    z = z.astype(np.float64)
    return float(np.mean(np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z))) - y * z))


def lstsq_loss(X, y):
    X64 = X.astype(np.float64)
    mu, sd = X64.mean(0), X64.std(0)
    Zs = np.hstack([np.ones((X.shape[0], 1)), (X64 - mu) / sd])
    th, *_ = np.linalg.lstsq(Zs, y.astype(np.float64), rcond=None)
    return mse(Zs @ th, y)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--cols", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    warnings.simplefilter("ignore")
    X, yl, yb = data(a.rows, a.cols)
    X64 = X.astype(np.float64)  # scikit-learn converts to float64 anyway; not timed
    opt_lin = lstsq_loss(X, yl)
    runs = {k: [] for k in ("descent linear", "descent linear n_jobs=2", "sklearn LinearRegression",
                            "descent logistic", "descent logistic n_jobs=2",
                            "sklearn LogisticRegression(lbfgs)")}
    same_bits = True
    gaps = {}
    for _ in range(a.rounds):
        t = time.perf_counter()
        m = descent.LinearRegression().fit(X, yl)
        runs["descent linear"].append(time.perf_counter() - t)
        gaps["descent linear"] = ((mse(m.predict(X), yl) - opt_lin) / opt_lin,
                                  m.n_iter_, m.fit_report_["converged"])
        t = time.perf_counter()
        m2 = descent.LinearRegression(n_jobs=2).fit(X, yl)
        runs["descent linear n_jobs=2"].append(time.perf_counter() - t)
        gaps["descent linear n_jobs=2"] = gaps["descent linear"]
        same_bits &= m2.params_.tobytes() == m.params_.tobytes()
        t = time.perf_counter()
        s = LinearRegression().fit(X64, yl)
        runs["sklearn LinearRegression"].append(time.perf_counter() - t)
        gaps["sklearn LinearRegression"] = ((mse(s.predict(X64), yl) - opt_lin) / opt_lin, 1, True)
        t = time.perf_counter()
        mb = descent.LogisticRegression().fit(X, yb)
        runs["descent logistic"].append(time.perf_counter() - t)
        lb_d = bce(mb.decision_function(X), yb)
        gaps["descent logistic"] = (lb_d, mb.n_iter_, mb.fit_report_["converged"])
        t = time.perf_counter()
        mb2 = descent.LogisticRegression(n_jobs=2).fit(X, yb)
        runs["descent logistic n_jobs=2"].append(time.perf_counter() - t)
        gaps["descent logistic n_jobs=2"] = gaps["descent logistic"]
        same_bits &= mb2.params_.tobytes() == mb.params_.tobytes()
        t = time.perf_counter()
        sb = LogisticRegression(penalty=None, max_iter=1000).fit(X64, yb)
        runs["sklearn LogisticRegression(lbfgs)"].append(time.perf_counter() - t)
        gaps["sklearn LogisticRegression(lbfgs)"] = (bce(sb.decision_function(X64), yb),
                                                     int(sb.n_iter_[0]), True)
    # The times first: the reference fit below can take minutes (lbfgs to tol 1e-10).
    med = {k: statistics.median(v) for k, v in runs.items()}
    print(f"{a.rows} x {a.cols}: median seconds of {a.rounds} interleaved rounds: " +
          ", ".join(f"{k} {v:.3f}" for k, v in med.items()), flush=True)
    ref = LogisticRegression(penalty=None, max_iter=10000, tol=1e-10).fit(X64, yb)
    opt_log = min(bce(ref.decision_function(X64), yb), gaps["descent logistic"][0],
                  gaps["sklearn LogisticRegression(lbfgs)"][0])
    for k in ("descent logistic", "descent logistic n_jobs=2", "sklearn LogisticRegression(lbfgs)"):
        loss, it, conv = gaps[k]
        gaps[k] = ((loss - opt_log) / opt_log, it, conv)
    print(f"{a.rows} x {a.cols}, physical-unit columns, median of {a.rounds} interleaved rounds")
    print(f"{'fit':36s} {'seconds':>9s} {'iters':>6s} {'rel. loss gap':>14s}")
    med = {k: statistics.median(v) for k, v in runs.items()}
    for k in runs:
        g, it, conv = gaps[k]
        print(f"{k:36s} {med[k]:9.3f} {it:6d} {g:14.2e}" + ("" if conv else "  (not converged)"))
    print(f"ratio linear   sklearn/descent: {med['sklearn LinearRegression'] / med['descent linear']:.2f}")
    print(f"ratio logistic sklearn/descent: "
          f"{med['sklearn LogisticRegression(lbfgs)'] / med['descent logistic']:.2f}")
    print(f"descent n_jobs=1 / n_jobs=2: linear "
          f"{med['descent linear'] / med['descent linear n_jobs=2']:.2f}, logistic "
          f"{med['descent logistic'] / med['descent logistic n_jobs=2']:.2f}; parameters "
          f"{'bit-identical' if same_bits else 'DIFFER'}")


if __name__ == "__main__":
    main()
