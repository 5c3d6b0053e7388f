#!/usr/bin/env python3
"""Reference values for the elastic-net penalty and averaged SGD (issue 12).

For the pyenv `python3` (the committed header came from Python 3.11.7, numpy 2.4.6 and
scikit-learn 1.9.1). Regenerate from the repository root with:

    python3 tests/reference/penalty_reference.py > tests/reference/penalty_cases.h

Every data set is generated in float64, cast to float32 ONCE, and every reference number is
computed in float64 FROM THOSE float32 VALUES. The script exits non-zero if a check fails.

1. Optima (tests/test_penalty.cpp: "full-batch proximal GD reaches scikit-learn's optimum").
   descent's objective with config.alpha = A, config.l1_ratio = r (mean reduction):
       linear   : (1/n) |y - b - Xw|^2            + A (r |w|_1 + (1 - r)/2 |w|^2)
       logistic : (1/n) sum logloss(b + x.w, y)   + A (r |w|_1 + (1 - r)/2 |w|^2)
   scikit-learn's ElasticNet / Lasso minimize
       (1/(2n)) |y - b - Xw|^2 + a (r |w|_1 + (1 - r)/2 |w|^2),
   half of descent's with A = 2a: the same minimizer, and descent's optimum value is twice
   sklearn's. LogisticRegression(penalty='elasticnet', solver='saga', C) minimizes
       C sum logloss + r |w|_1 + (1 - r)/2 |w|^2   (the intercept unpenalized),
   which is C n times descent's with A = 1 / (C n). Neither penalizes the intercept.
   The reference optimum is scikit-learn's solution, polished: the script checks it against the
   elastic-net optimality conditions (KKT) in float64 -- for w_j != 0
   |grad_j + A (1-r) w_j + A r sign(w_j)| and for w_j == 0 max(|grad_j| - A r, 0) -- and
   prints the worst violation to stderr; it must be below 1e-9 (linear) / 1e-8 (logistic).

2. Averaged SGD (tests/test_penalty.cpp: "averaged SGD matches a NumPy float64 reference").
   The same update sequence descent runs, in float64: minibatches in row order (shuffle off),
   mean-reduction gradient, torch momentum, the elastic-net gradient term and the proximal
   step on the weights, then scikit-learn's averaging rule: after each step, samples seen
   t += rows of the batch; once t >= average, count += 1 and avg += (theta - avg) / count.
"""
import sys

import numpy as np
from sklearn.linear_model import ElasticNet, Lasso, LogisticRegression

rng = np.random.default_rng(20240612)
failures = []


def log(*a):
    print(*a, file=sys.stderr)


def f32(a):
    return np.asarray(a, dtype=np.float32)


def carr(name, values, ctype="float"):
    vals = [float(v) for v in np.ravel(values)]
    if ctype == "float":
        body = ", ".join(repr(float(np.float32(v))) + "f" for v in vals)
    else:
        body = ", ".join(repr(v) for v in vals)
    lines = []
    items = body.split(", ")
    for i in range(0, len(items), 6):
        lines.append("    " + ", ".join(items[i:i + 6]) + ",")
    return f"static const {ctype} {name}[{len(vals)}] = {{\n" + "\n".join(lines) + "\n};"


def kkt_violation(grad, w, A, r):
    worst = 0.0
    for g, wj in zip(grad, w):
        if wj != 0.0:
            v = abs(g + A * (1 - r) * wj + A * r * np.sign(wj))
        else:
            v = max(abs(g) - A * r, 0.0)
        worst = max(worst, v)
    return worst


# ---- 1. optima ---------------------------------------------------------------------------
n, d = 200, 8
X32 = f32(rng.standard_normal((n, d)) * np.array([1.0, 2.0, 0.5, 1.0, 1.5, 1.0, 0.7, 1.2]))
w_true = np.array([1.5, -0.8, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0])
y32 = f32(X32.astype(np.float64) @ w_true + 0.7 + 0.3 * rng.standard_normal(n))
X = X32.astype(np.float64)
y = y32.astype(np.float64)

cases = []  # (name, kind, A, r, params [b, w], objective)


def linear_case(name, a, r):
    if r == 1.0:
        est = Lasso(alpha=a, fit_intercept=True, tol=1e-14, max_iter=1_000_000)
    else:
        est = ElasticNet(alpha=a, l1_ratio=r, fit_intercept=True, tol=1e-14, max_iter=1_000_000)
    est.fit(X, y)
    w = est.coef_.copy()
    b = est.intercept_
    A = 2.0 * a
    res = y - b - X @ w
    grad = -2.0 / n * (X.T @ res)
    viol = kkt_violation(grad, w, A, r)
    log(f"{name}: sklearn {type(est).__name__} alpha={a} l1_ratio={r}: coef={w} b={b} "
        f"KKT violation {viol:.3g}, |mean residual| {abs(res.mean()):.3g}")
    if viol > 1e-9 or abs(res.mean()) > 1e-12:
        failures.append(name)
    obj = np.mean(res ** 2) + A * (r * np.abs(w).sum() + 0.5 * (1 - r) * (w ** 2).sum())
    sk_obj = 0.5 * np.mean(res ** 2) + a * (r * np.abs(w).sum() + 0.5 * (1 - r) * (w ** 2).sum())
    assert abs(obj - 2 * sk_obj) <= 1e-12 * obj
    cases.append((name, 1, A, r, np.concatenate([[b], w]), obj))


linear_case("lasso", 0.1, 1.0)
linear_case("enet", 0.2, 0.5)

# Logistic: labels from a sparse logit.
logit = X @ np.array([1.0, -0.5, 1.5, 0, 0, 0, 0, 0]) - 0.3
yl32 = f32((rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.float64))
yl = yl32.astype(np.float64)


def logistic_case(name, A, r):
    C = 1.0 / (A * n)
    # scikit-learn >= 1.8: l1_ratio alone selects the elastic net ('penalty' is deprecated).
    est = LogisticRegression(l1_ratio=r, C=C, solver="saga", tol=1e-14, max_iter=1_000_000,
                             fit_intercept=True)
    est.fit(X, yl)
    w = est.coef_.ravel().copy()
    b = float(est.intercept_[0])
    z = b + X @ w
    p = 1 / (1 + np.exp(-z))
    grad = X.T @ (p - yl) / n
    viol = kkt_violation(grad, w, A, r)
    log(f"{name}: sklearn LogisticRegression saga C={C} l1_ratio={r}: coef={w} b={b} "
        f"KKT violation {viol:.3g}, |mean(p - y)| {abs((p - yl).mean()):.3g}")
    if viol > 1e-8 or abs((p - yl).mean()) > 1e-8:
        failures.append(name)
    loss = np.mean(np.logaddexp(0, z) - yl * z)
    obj = loss + A * (r * np.abs(w).sum() + 0.5 * (1 - r) * (w ** 2).sum())
    cases.append((name, 2, A, r, np.concatenate([[b], w]), obj))


logistic_case("logistic_enet", 0.05, 0.7)

# ---- 2. averaged SGD ----------------------------------------------------------------------
na, da = 30, 3
Xa32 = f32(rng.standard_normal((na, da)))
ya32 = f32(Xa32.astype(np.float64) @ np.array([0.8, -1.2, 0.0]) + 0.4 + 0.1 * rng.standard_normal(na))
Xa = Xa32.astype(np.float64)
ya = ya32.astype(np.float64)
avg_cases = []  # (name, batch, lr, momentum, alpha, l1_ratio, average, epochs, avg, theta)


def sgd_average(name, batch, lr, momentum, A, r, average, epochs):
    theta = np.zeros(da + 1)
    buf = np.zeros(da + 1)
    have_buf = False
    avg = np.zeros(da + 1)
    seen = 0
    count = 0
    phi = np.hstack([np.ones((na, 1)), Xa])
    for _ in range(epochs):
        for first in range(0, na, batch):
            rows = slice(first, min(first + batch, na))
            P = phi[rows]
            m = P.shape[0]
            g = 2.0 / m * (P.T @ (P @ theta - ya[rows]))
            g[1:] += A * (1 - r) * theta[1:]
            if momentum:
                buf = g.copy() if not have_buf else momentum * buf + g
                have_buf = True
                g = buf
            theta = theta - lr * g
            thr = lr * A * r
            theta[1:] = np.sign(theta[1:]) * np.maximum(np.abs(theta[1:]) - thr, 0.0)
            seen += m
            if average and seen >= average:
                count += 1
                avg += (theta - avg) / count
    log(f"{name}: averaged {count} steps; avg={avg} theta={theta}")
    avg_cases.append((name, batch, lr, momentum, A, r, average, epochs, avg, theta))


sgd_average("sgd1_average1", 1, 0.05, 0.0, 0.0, 0.15, 1, 3)
sgd_average("sgd1_average40", 1, 0.05, 0.0, 0.0, 0.15, 40, 3)
sgd_average("sgd4_momentum_enet_average7", 4, 0.05, 0.5, 0.1, 0.6, 7, 4)

if failures:
    log("FAILED:", failures)
    sys.exit(1)

# ---- header ------------------------------------------------------------------------------
out = []
out.append("// Generated by tests/reference/penalty_reference.py -- do not edit.")
out.append("// numpy %s, scikit-learn %s." % (np.__version__, __import__("sklearn").__version__))
out.append("#pragma once")
out.append("#include <stddef.h>")
out.append("namespace penalty_ref {")
out.append(f"constexpr size_t kN = {n}, kD = {d};")
out.append(carr("kX", X32))
out.append(carr("kY", y32))
out.append(carr("kYLogistic", yl32))
out.append("struct OptCase {\n    const char *name;\n    unsigned kind;  // 1 LINEAR, 2 LOGISTIC\n"
           "    float alpha, l1_ratio;\n    const double *params;  // [b, w1..wd]\n"
           "    double objective;   // descent's objective at the optimum\n};")
for name, kind, A, r, params, obj in cases:
    out.append(carr(f"k_{name}_params", params, "double"))
out.append("static const OptCase kOptCases[] = {")
for name, kind, A, r, params, obj in cases:
    out.append(f"    {{\"{name}\", {kind}, {float(np.float32(A))!r}f, {float(np.float32(r))!r}f, "
               f"k_{name}_params, {float(obj)!r}}},")
out.append("};")
out.append(f"constexpr size_t kAN = {na}, kAD = {da};")
out.append(carr("kXA", Xa32))
out.append(carr("kYA", ya32))
out.append("struct AvgCase {\n    const char *name;\n    unsigned batch;\n    float lr, momentum, alpha, "
           "l1_ratio;\n    unsigned average, epochs;\n    const double *avg, *theta;  // [b, w]\n};")
for c in avg_cases:
    out.append(carr(f"k_{c[0]}_avg", c[8], "double"))
    out.append(carr(f"k_{c[0]}_theta", c[9], "double"))
out.append("static const AvgCase kAvgCases[] = {")
for c in avg_cases:
    name, batch, lr, mom, A, r, average, epochs = c[:8]
    out.append(f"    {{\"{name}\", {batch}, {lr!r}f, {mom!r}f, {A!r}f, {r!r}f, {average}, {epochs}, "
               f"k_{name}_avg, k_{name}_theta}},")
out.append("};")
out.append("}  // namespace penalty_ref")
print("\n".join(out))
