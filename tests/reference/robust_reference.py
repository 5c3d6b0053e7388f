#!/usr/bin/env python3
"""Reference values for the robust losses: HUBER, (SQUARED_)EPSILON_INSENSITIVE and HINGE.

For the pyenv `python3` (the committed header came from Python 3.11.7, numpy 2.4.6, scipy 1.17.1).
Regenerate from the repository root with:

    python3 tests/reference/robust_reference.py > tests/reference/robust_cases.h

Every data set is generated in float64 with a fixed numpy seed, cast to float32 ONCE, and every
reference number is computed in float64 FROM THOSE float32 VALUES. The script exits non-zero if a
check fails; diagnostics go to stderr.

Row loss, r = z - y with z = b + x.w; the objective is the MEAN over rows (no penalty):
    0 least squares              r^2                                  d/dz 2r
    1 HUBER(delta)               0.5 r^2 if |r| <= delta, else delta (|r| - 0.5 delta)
                                 d/dz r if |r| <= delta, else delta sign(r)
    2 EPSILON_INSENSITIVE(eps)   max(0, |r| - eps)    d/dz +1 if r > eps, -1 if r < -eps, else 0
    3 SQUARED_EPSILON_INS.(eps)  max(0, |r| - eps)^2  d/dz 2(r - eps) if r > eps,
                                                           2(r + eps) if r < -eps, else 0
    4 HINGE (y in {0,1}, s=2y-1) max(0, 1 - s z)      d/dz -s if s z <= 1, else 0 (scikit-learn's)

1. Optima (kOpt): n = 240 rows in physical units (pressure [Pa], strain, temperature [K]),
   y linear in them plus N(0, 0.2^2) noise and +-[5, 15] spikes on 10% of the rows. theta =
   [b, w1, w2, w3] and f* minimize the mean objective, solved on standardized columns and mapped
   back to raw units. Least squares: lstsq. HUBER / SQUARED_EPSILON_INSENSITIVE (piecewise
   quadratic): damped Newton on the active set from the least-squares start until the active
   set stops changing; checked by the raw-unit gradient, taken to the standardized-column
   parameters v_j = w_j std_j, (g_b, (g_wj - mu_j g_b) / std_j), having norm < 1e-10, and by
   scipy.optimize.minimize not improving f*. EPSILON_INSENSITIVE: the LP
   min sum t_i, t_i >= 0, t_i >= |r_i| - eps, by linprog(method="highs"); its vertex is then
   re-solved exactly from its d+1 tight rows (|r_i| = eps) and certified by the subgradient
   multipliers of those rows lying in [0, 1] (times sign r_i). f* is recomputed in float64.

2. Trajectories (kTraj): float64 replay of descent's updates. theta = [b, w] = 0; minibatches of
   `batch` consecutive rows (no shuffle, last one may be shorter); G = (1/m) sum dl/dz [1, x];
   torch SGD momentum (dampening 0, no Nesterov): buf = G on the first step of the run, else
   buf = momentum buf + G; theta -= lr buf (lr, momentum: the float32 values descent gets,
   float(np.float32(0.05)) etc., used in float64). params[e] = theta after epoch e; epoch_loss[e] =
   (sum over the epoch's batches of the summed row loss BEFORE the batch's step) / n. The script
   requires every row evaluation to stay >= 1e-4 from its kink (|r| - eps, |r| - delta, s z - 1),
   so float32 rounding in descent cannot flip a subgradient; seeds were chosen to satisfy that.
   It also logs how far a float32 replay strays from the float64 one.
"""
import sys

import numpy as np
import scipy
from scipy.optimize import linprog, minimize

LS, HUBER, EPSINS, SQEPSINS, HINGE = 0, 1, 2, 3, 4
SEED_REG, SEED_TRAJ, SEED_CLS = 20240701, 20240702, 20240703
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


def row_loss(loss, p, z, y):
    """Per-row loss, d/dz and distance of the kink variable from its kink (inf if none)."""
    r = z - y
    if loss == LS:
        return r * r, 2 * r, np.full_like(r, np.inf)
    if loss == HUBER:
        q = np.abs(r) <= p
        return (np.where(q, 0.5 * r * r, p * (np.abs(r) - 0.5 * p)),
                np.where(q, r, p * np.sign(r)), np.abs(np.abs(r) - p))
    if loss == EPSINS:
        return (np.maximum(0, np.abs(r) - p),
                np.where(r > p, 1.0, np.where(r < -p, -1.0, 0.0)), np.abs(np.abs(r) - p))
    if loss == SQEPSINS:
        return (np.maximum(0, np.abs(r) - p) ** 2,
                np.where(r > p, 2 * (r - p), np.where(r < -p, 2 * (r + p), 0.0)),
                np.abs(np.abs(r) - p))
    s = 2 * y - 1  # HINGE
    return np.maximum(0, 1 - s * z), np.where(s * z <= 1, -s, 0 * s), np.abs(s * z - 1)


# ---- 1. optima in physical units ---------------------------------------------------------
rng = np.random.default_rng(SEED_REG)
n, d = 240, 3
pressure = 1.0e5 + 2.0e3 * rng.standard_normal(n)
strain = 1.0e-3 * (1 + 0.3 * rng.standard_normal(n))
temperature = 290 + 8 * rng.standard_normal(n)
y64 = -345 + 0.002 * pressure + 5000 * strain + 0.5 * temperature + 0.2 * rng.standard_normal(n)
spikes = rng.choice(n, n // 10, replace=False)
y64[spikes] += rng.choice([-1.0, 1.0], spikes.size) * rng.uniform(5, 15, spikes.size)
X32 = f32(np.column_stack([pressure, strain, temperature]))
y32 = f32(y64)
X, y = X32.astype(np.float64), y32.astype(np.float64)
mu, sd = X.mean(axis=0), X.std(axis=0)
Phi = np.hstack([np.ones((n, 1)), (X - mu) / sd])  # standardized design, parameters [c, v]


def to_raw(t):
    w = t[1:] / sd
    return np.concatenate([[t[0] - mu @ w], w])


def std_obj(loss, p, t):
    l, g, _ = row_loss(loss, p, Phi @ t, y)
    return l.mean(), Phi.T @ g / n


def raw_check(loss, p, theta):
    """f and the standardized-coordinate gradient, both from the raw-unit parameters."""
    l, g, _ = row_loss(loss, p, theta[0] + X @ theta[1:], y)
    gb, gw = g.mean(), (X * g[:, None]).mean(axis=0)
    return l.mean(), np.concatenate([[gb], (gw - mu * gb) / sd])


def solve_piecewise(loss, p, t):
    """Damped Newton on the active set of a piecewise-quadratic loss until the set is stable."""
    for it in range(200):
        r = Phi @ t - y
        act = np.abs(r) <= p if loss == HUBER else np.abs(r) > p
        H = Phi[act].T @ Phi[act] / n * (1 if loss == HUBER else 2)
        f0, g = std_obj(loss, p, t)
        step, a = np.linalg.solve(H, g), 1.0
        while std_obj(loss, p, t - a * step)[0] > f0 - 1e-4 * a * (g @ step) and a > 1e-12:
            a *= 0.5
        t = t - a * step
        r = Phi @ t - y
        same = np.array_equal(act, np.abs(r) <= p if loss == HUBER else np.abs(r) > p)
        if a == 1.0 and same:
            return t, it + 1, int(act.sum())
    failures.append(f"newton loss {loss}")
    return t, -1, -1


opt = []  # (name, loss, p, theta, f*)
t_ls = np.linalg.lstsq(Phi, y, rcond=None)[0]
for name, loss, p in [("least_squares", LS, 0.0), ("huber", HUBER, 1.0),
                      ("sqepsins", SQEPSINS, 0.5)]:
    t, its, nact = (t_ls, 0, n) if loss == LS else solve_piecewise(loss, p, t_ls)
    theta = to_raw(t)
    f, g = raw_check(loss, p, theta)
    pol = minimize(lambda u: std_obj(loss, p, u), t, jac=True, method="BFGS",
                   options={"gtol": 1e-14, "maxiter": 10000})
    gain = f - pol.fun
    log(f"{name}: {its} Newton steps, {nact} rows in the quadratic/active piece; theta={theta!r}"
        f" f*={f!r}; |grad_std|={np.linalg.norm(g):.3g}; minimize polish gain {gain:.3g}")
    if np.linalg.norm(g) >= 1e-10 or gain > 1e-14 * abs(f):
        failures.append(name)
    opt.append((name, loss, p, theta, f))

# EPSILON_INSENSITIVE: LP over [c, v, t], then the exact vertex and its optimality certificate.
eps = 0.5
c = np.concatenate([np.zeros(d + 1), np.ones(n)])
A = np.block([[Phi, -np.eye(n)], [-Phi, -np.eye(n)]])
res = linprog(c, A_ub=A, b_ub=np.concatenate([y + eps, eps - y]),
              bounds=[(None, None)] * (d + 1) + [(0, None)] * n, method="highs")
t = res.x[:d + 1]
r = Phi @ t - y
tight = np.argsort(np.abs(np.abs(r) - eps))[:d + 1]
sig = np.sign(r[tight])
t = np.linalg.solve(Phi[tight], y[tight] + eps * sig)  # the vertex, to float64 precision
r = Phi @ t - y
out = np.setdiff1d(np.arange(n), tight)
g_out = Phi[out].T @ np.where(r[out] > eps, 1.0, np.where(r[out] < -eps, -1.0, 0.0))
lam = sig * np.linalg.solve(Phi[tight].T, -g_out)  # must lie in [0, 1]: 0 in the subdifferential
theta = to_raw(t)
f = raw_check(EPSINS, eps, theta)[0]
gap = np.sort(np.abs(np.abs(r[out]) - eps))[0]
log(f"epsins: LP status {res.status}, LP objective/n {res.fun / n!r}; vertex theta={theta!r} "
    f"f*={f!r}; tight-row multipliers {lam} (in (0,1): unique optimum); next row's "
    f"distance from the tube edge {gap:.3g}")
if res.status != 0 or lam.min() < 0 or lam.max() > 1 or abs(f - res.fun / n) > 1e-7 or gap < 1e-9:
    failures.append("epsins")
opt.insert(2, ("epsins", EPSINS, eps, theta, f))

# ---- 2. trajectories ----------------------------------------------------------------------
rng = np.random.default_rng(SEED_TRAJ)
nt, dt = 64, 3
Xt64 = rng.standard_normal((nt, dt)) * np.array([1.0, 2.0, 0.5])
yt64 = 1.0 + Xt64 @ np.array([1.5, -0.8, 2.0]) + 0.3 * rng.standard_normal(nt)
yt64[rng.choice(nt, 6, replace=False)] += rng.choice([-4.0, 4.0], 6)
Xt32, yt32 = f32(Xt64), f32(yt64)
rng = np.random.default_rng(SEED_CLS)
Xc64 = rng.standard_normal((nt, dt))
yc64 = (Xc64 @ np.array([1.0, -1.0, 0.5]) + 0.4 + 0.8 * rng.standard_normal(nt) > 0) * 1.0
Xc32, yc32 = f32(Xc64), f32(yc64)


def replay(loss, p, Xd, yd, batch, lr, mom, epochs, dtype):
    Xd, yd = Xd.astype(dtype), yd.astype(dtype)
    lr, mom = dtype(np.float32(lr)), dtype(np.float32(mom))  # descent's config fields are float
    theta, buf, kink = np.zeros(dt + 1, dtype), None, np.inf
    params, losses = [], []
    for _ in range(epochs):
        total = 0.0
        for first in range(0, nt, batch):
            xb, yb = Xd[first:first + batch], yd[first:first + batch]
            l, g, k = row_loss(loss, p, theta[0] + xb @ theta[1:], yb)
            total += float(l.astype(np.float64).sum())
            kink = min(kink, float(k.min()))
            G = np.concatenate([[g.sum()], xb.T @ g]).astype(dtype) / dtype(len(yb))
            buf = G if buf is None else mom * buf + G
            theta = theta - lr * buf
        params.append(theta.astype(np.float64))
        losses.append(total / nt)
    return np.array(params), np.array(losses), kink


traj = []  # (name, loss, p, cls, batch, lr, momentum, epochs, params, epoch_loss)
for name, loss, p, cls, batch, lr, mom, epochs in [
        ("epsins", EPSINS, 0.5, 0, 8, 0.05, 0.9, 6), ("huber", HUBER, 1.0, 0, 8, 0.05, 0.9, 6),
        ("sqepsins", SQEPSINS, 0.5, 0, 8, 0.02, 0.9, 6), ("hinge", HINGE, 0.0, 1, 8, 0.05, 0.9, 6),
        ("hinge_fullbatch", HINGE, 0.0, 1, 64, 0.1, 0.0, 40)]:
    Xd, yd = (Xc32, yc32) if cls else (Xt32, yt32)
    P, L, kink = replay(loss, p, Xd, yd, batch, lr, mom, epochs, np.float64)
    P32, L32, kink32 = replay(loss, p, Xd, yd, batch, lr, mom, epochs, np.float32)
    drift = np.max(np.abs(P32 - P) / np.maximum(np.abs(P).max(axis=1, keepdims=True), 1e-3))
    log(f"{name}: min kink distance {kink:.3g} (float32 replay {kink32:.3g}); float32 replay "
        f"drift {drift:.3g} (relative to max|theta|); loss {L[0]:.6g} -> {L[-1]:.6g}; "
        f"theta {P[-1]}")
    if kink < 1e-4 or (loss == HINGE and L[-1] <= 0):
        failures.append(name)
    traj.append((name, loss, p, cls, batch, lr, mom, epochs, P, L))

if failures:
    log("FAILED:", failures)
    sys.exit(1)

# ---- header ------------------------------------------------------------------------------
out = ["// Generated by tests/reference/robust_reference.py -- do not edit.",
       f"// numpy {np.__version__}, scipy {scipy.__version__}.",
       "#pragma once", "namespace robust_ref {",
       "// Loss codes: 0 least squares (mean r^2), 1 HUBER, 2 EPSILON_INSENSITIVE,",
       "// 3 SQUARED_EPSILON_INSENSITIVE, 4 HINGE.",
       f"constexpr unsigned kRegN = {n}, kRegD = {d};",
       "// Columns: pressure [Pa], strain, temperature [K]; row-major.",
       carr("kRegX", X32), carr("kRegY", y32),
       "struct OptCase {\n    const char *name;\n    int loss;\n    float eps;  // delta for HUBER\n"
       "    double theta[4];  // [b, w1, w2, w3], raw units\n    double f_opt;  // mean objective\n};",
       "static const OptCase kOpt[] = {"]
for name, loss, p, theta, f in opt:
    th = ", ".join(repr(float(v)) for v in theta)
    out.append(f"    {{\"{name}\", {loss}, {float(p)!r}f, {{{th}}}, {float(f)!r}}},")
out += ["};", f"constexpr unsigned kTrajN = {nt}, kTrajD = {dt};",
        carr("kTrajX", Xt32), carr("kTrajY", yt32), carr("kClsX", Xc32), carr("kClsY", yc32)]
for c in traj:
    out += [carr(f"k_{c[0]}_params", c[8], "double"), carr(f"k_{c[0]}_epoch_loss", c[9], "double")]
out += ["struct TrajCase {\n    const char *name;\n    int loss;\n    float eps;  // delta for HUBER\n"
        "    int cls;  // 0: kTrajX/kTrajY, 1: kClsX/kClsY\n    unsigned batch;\n    float lr;\n"
        "    float momentum;\n    unsigned epochs;\n    const double *params;  // [epochs][4]: "
        "[b, w] after each epoch\n    const double *epoch_loss;  // [epochs]\n};",
        "static const TrajCase kTraj[] = {"]
for name, loss, p, cls, batch, lr, mom, epochs, _, _ in traj:
    out.append(f"    {{\"{name}\", {loss}, {float(p)!r}f, {cls}, {batch}, {lr!r}f, {mom!r}f, "
               f"{epochs}, k_{name}_params, k_{name}_epoch_loss}},")
out += ["};", "}  // namespace robust_ref"]
print("\n".join(out))
