#!/usr/bin/env python3
"""Independent float64 reference optima for descent's regression kinds.

For the pyenv `python3` (Python 3.11.7 with numpy, scipy, scikit-learn and mpmath; the committed
header came from numpy 2.4.6, scipy 1.17.1, scikit-learn 1.9.1, mpmath 1.3.0). Regenerate the
header from the repository root with:

    python3 tests/reference/make_optimum.py > tests/reference/optimum_cases.h

The header goes to stdout; the verification log (gradients, scikit-learn cross-checks,
separability LPs) goes to stderr. The script exits non-zero if any check fails.

Every case is generated or loaded in float64, cast to float32 ONCE (X and y), and every reference
number is then computed in float64 (with long-double residuals where noted) FROM THOSE float32
VALUES, so the header describes exactly the problem the library sees.

Losses (no penalty, mean over rows):
    linear / poly : mean((pred - y)^2)                (no 1/2 factor)
    logistic      : mean(log(1 + exp(z)) - y*z),  z = b + w.x
Parameters are in RAW units: linear/logistic [bias, w1..wd]; poly [c0..c_degree] of powers of raw x.

Method:
  * standardize the float64 copy of the float32 data (column mean / population std in float64;
    poly: standardize x, then build the Vandermonde in the standardized variable);
  * least squares: numpy.linalg.lstsq on [1, Z] against centred y, then iterative refinement with
    residuals evaluated in numpy.longdouble;
  * logistic: first an LP (scipy.optimize.linprog, HiGHS) that maximizes the margin t of a
    separator y_s*(b + w.z) >= t with |b|,|w_j| <= 1; t* > 0 (verified in float64 on every row)
    means the classes are strictly linearly separable (no finite optimum: separable=1,
    opt_loss=0, opt_params=nullptr). Otherwise Newton's method in float64 with backtracking line
    search until the Newton decrement < 1e-20 (plus two polishing steps with long-double
    gradients);
  * map parameters back to raw units with mpmath (50 digits; poly: binomial expansion), rounding
    once to float64;
  * opt_loss is evaluated in long double from the raw float32 data with the STANDARDIZED-coordinate
    parameters (no raw-units cancellation);
  * cond = 2-norm condition number of the raw design [1, X] (poly: raw Vandermonde [1, x..x^k]),
    computed reliably even when it exceeds 1/eps: QR of the column-equilibrated design in float64,
    then the singular values of R*diag(column norms) in mpmath (column-wise backward stability
    makes these accurate to ~cond(equilibrated)*eps relative);
  * cross-checks (stderr): sklearn.linear_model.LinearRegression(tol=1e-15) on the raw data
    (scikit-learn >= 1.9 passes tol as scipy.linalg.lstsq's cond, and its default 1e-6 would
    truncate the small singular values of these raw-unit designs; poly:
    numpy.polynomial.Polynomial.fit, which uses its own [-1,1] domain mapping, and
    LinearRegression on the standardized Vandermonde), and
    sklearn.linear_model.LogisticRegression(C=inf (= no penalty), solver='newton-cg',
    tol=1e-12, max_iter=10000) on the standardized data, mapped back the same way.

Synthetic data use numpy.random.default_rng(seed) with the per-case seeds written below.
"""
import math
import platform
import sys

import mpmath
import numpy as np
import scipy
import scipy.optimize
import sklearn
from sklearn import datasets
from sklearn.linear_model import LinearRegression, LogisticRegression

mpmath.mp.dps = 50
LD = np.longdouble
KIND = {"linear": 1, "logistic": 2, "poly": 3}
FAILURES = []


def log(*a):
    print(*a, file=sys.stderr)


def check(ok, what):
    if not ok:
        FAILURES.append(what)
        log("  CHECK FAILED:", what)


# ----------------------------------------------------------------------------- helpers

def standardize(X):
    mu = X.mean(axis=0)
    sd = X.std(axis=0)
    assert np.all(sd > 0)
    return mu, sd


def raw_design(kind, X, degree):
    if kind == "poly":
        x = X[:, 0]
        return np.column_stack([x ** k for k in range(degree + 1)])
    return np.column_stack([np.ones(X.shape[0]), X])


def cond_raw(A):
    """2-norm condition number of A (float64), reliable beyond 1/eps for graded columns."""
    D = np.linalg.norm(A, axis=0)
    As = A / D
    R = np.linalg.qr(As, mode="r")
    M = mpmath.matrix([[mpmath.mpf(float(R[i, j])) * mpmath.mpf(float(D[j]))
                        for j in range(A.shape[1])] for i in range(A.shape[1])])
    s = mpmath.svd_r(M, compute_uv=False)
    s = [abs(v) for v in s]
    return float(max(s) / min(s))


def std_design_ld(kind, X, mu, sd, degree):
    """Standardized design [1, t, ...] in long double (and a float64 copy)."""
    Xl = X.astype(LD)
    Zl = (Xl - mu.astype(LD)) / sd.astype(LD)
    if kind == "poly":
        t = Zl[:, 0]
        Al = np.column_stack([t ** k for k in range(degree + 1)])
    else:
        Al = np.column_stack([np.ones(X.shape[0], dtype=LD), Zl])
    return Al, Al.astype(np.float64)


def map_to_raw(kind, a, mu, sd, ybar):
    """Standardized-coordinate params -> raw params, in mpmath, rounded once to float64.
    linear/logistic: pred = ybar + a0 + sum_j a_j (x_j - mu_j)/sd_j
    poly:            pred = ybar + sum_k a_k ((x - mu)/sd)^k"""
    A = [mpmath.mpf(float(v)) for v in a]
    M = [mpmath.mpf(float(v)) for v in mu]
    S = [mpmath.mpf(float(v)) for v in sd]
    yb = mpmath.mpf(float(ybar))
    if kind == "poly":
        m, s = M[0], S[0]
        k = len(A) - 1
        c = [mpmath.mpf(0)] * (k + 1)
        for kk in range(k + 1):
            for j in range(kk + 1):
                c[j] += A[kk] * mpmath.binomial(kk, j) * (-m) ** (kk - j) / s ** kk
        c[0] += yb
        return np.array([float(v) for v in c])
    w = [A[j + 1] / S[j] for j in range(len(S))]
    b = yb + A[0] - mpmath.fsum(w[j] * M[j] for j in range(len(S)))
    return np.array([float(b)] + [float(v) for v in w])


def raw_pred_ld(kind, X, p, degree):
    Xl = X.astype(LD)
    pl = p.astype(LD)
    if kind == "poly":
        x = Xl[:, 0]
        out = np.zeros_like(x)
        for k in range(degree, -1, -1):   # Horner
            out = out * x + pl[k]
        return out
    return pl[0] + Xl @ pl[1:]


def softplus(z):
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def mse_ld(pred, y):
    r = pred - y.astype(LD)
    return (r * r).sum() / LD(len(r))


def bce_ld(z, y):
    return (softplus(z) - y.astype(LD) * z).sum() / LD(len(z))


def relmax(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


# ----------------------------------------------------------------------------- solvers

def solve_lsq(kind, X, y, degree):
    n = X.shape[0]
    mu, sd = standardize(X)
    Al, A = std_design_ld(kind, X, mu, sd, degree)
    ybar = float(y.mean())
    ycl = y.astype(LD) - LD(ybar)
    a = np.linalg.lstsq(A, ycl.astype(np.float64), rcond=None)[0]
    for _ in range(4):   # iterative refinement with long-double residuals
        r = ycl - Al @ a.astype(LD)
        a = a + np.linalg.lstsq(A, r.astype(np.float64), rcond=None)[0]
    r = Al @ a.astype(LD) - ycl
    loss = (r * r).sum() / LD(n)
    g = 2 * (Al.T @ r) / LD(n)                      # gradient in standardized coordinates
    gscale = 2 * np.sqrt((Al * Al).sum(axis=0) / LD(n)) * np.sqrt(loss)
    grel = float(np.max(np.abs(g) / gscale))
    return dict(a=a, mu=mu, sd=sd, ybar=ybar, loss=float(loss), grel=grel, Al=Al, A=A)


def logistic_parts(Al, y, a):
    z = Al @ a.astype(LD)
    with np.errstate(over="ignore"):
        p = 1 / (1 + np.exp(-z))
    return z, p


def separability_lp(Z, y):
    """max t s.t. s_i (b + w.z_i) >= t, -1 <= b, w_j <= 1, t <= 1."""
    n, d = Z.shape
    s = 2.0 * y - 1.0
    # variables [b, w1..wd, t]; minimize -t; constraint -s_i(b + w.z_i) + t <= 0
    A_ub = np.column_stack([-s, -s[:, None] * Z, np.ones(n)])
    c = np.zeros(d + 2)
    c[-1] = -1.0
    bounds = [(-1, 1)] * (d + 1) + [(None, 1)]
    res = scipy.optimize.linprog(c, A_ub=A_ub, b_ub=np.zeros(n), bounds=bounds, method="highs")
    assert res.status == 0, res.message
    t = -res.fun
    bw = res.x[:-1]
    marg = s * (bw[0] + Z @ bw[1:])
    return t, float(marg.min())


def solve_logistic(X, y):
    n = X.shape[0]
    mu, sd = standardize(X)
    Al, A = std_design_ld("linear", X, mu, sd, 0)
    Z = A[:, 1:]
    t, minmarg = separability_lp(Z, y)
    # strictly separable iff the LP finds t > 0 and the separator has positive margin on every row
    separable = bool(t > 1e-9 and minmarg > 0)
    log(f"  separability LP: max margin t* = {t:.3e} (min float64 margin of LP separator "
        f"{minmarg:.3e}) -> separable = {int(separable)}")
    if separable:
        return dict(separable=True, mu=mu, sd=sd, Al=Al, A=A, lp_t=t)
    yf = y.astype(np.float64)
    a = np.zeros(A.shape[1])
    a[0] = math.log(yf.mean() / (1 - yf.mean()))

    def f(a):
        z = A @ a
        return float(np.mean(np.logaddexp(0, z) - yf * z))

    dec = np.inf
    it = 0
    for it in range(1, 200):
        z = A @ a
        p = 0.5 * (1 + np.tanh(0.5 * z))
        g = A.T @ (p - yf) / n
        H = (A * (p * (1 - p))[:, None]).T @ A / n
        step = np.linalg.solve(H, g)
        dec = float(g @ step)
        if dec < 1e-20:
            break
        if dec < 1e-10:         # quadratic region: full steps (loss changes are below roundoff)
            a = a - step
            continue
        f0, s = f(a), 1.0
        while f(a - s * step) > f0 - 0.25 * s * dec and s > 1e-12:
            s *= 0.5
        a = a - s * step
    log(f"  Newton: {it} iterations, final float64 decrement {dec:.3e}")
    check(dec < 1e-20, "Newton decrement < 1e-20")
    for _ in range(2):   # polish with long-double gradients
        z, p = logistic_parts(Al, y, a)
        g = (Al.T @ (p - y.astype(LD)) / LD(n)).astype(np.float64)
        pf = p.astype(np.float64)
        H = (A * (pf * (1 - pf))[:, None]).T @ A / n
        a = a - np.linalg.solve(H, g)
    z, p = logistic_parts(Al, y, a)
    loss = bce_ld(z, y)
    g = Al.T @ (p - y.astype(LD)) / LD(n)
    gscale = np.sqrt((Al * Al).sum(axis=0) / LD(n)) * np.sqrt(((p - y.astype(LD)) ** 2).mean())
    grel = float(np.max(np.abs(g) / gscale))
    return dict(separable=False, a=a, mu=mu, sd=sd, ybar=0.0, loss=float(loss), grel=grel,
                Al=Al, A=A, lp_t=t)


# ----------------------------------------------------------------------------- cases

def f32(a):
    return np.ascontiguousarray(np.asarray(a, dtype=np.float64).astype(np.float32))


def make_cases():
    cases = []

    def add(name, kind, X, y, source, degree=0, xname=None):
        X = f32(X)
        if X.ndim == 1:
            X = X[:, None]
        cases.append(dict(name=name, kind=kind, X=X, y=f32(y), degree=degree, source=source,
                          xname=xname))

    # --- real data sets shipped with scikit-learn, raw units
    dia = datasets.load_diabetes(scaled=False)
    add("diabetes_raw", "linear", dia.data, dia.target,
        "sklearn.datasets.load_diabetes(scaled=False): 442x10 raw clinical units, "
        "target = disease progression after one year")
    lin = datasets.load_linnerud()
    wcol = list(lin.target_names).index("Weight")
    add("linnerud_weight", "linear", lin.data, lin.target[:, wcol],
        "sklearn.datasets.load_linnerud(): X = exercise (Chins, Situps, Jumps), "
        "y = physiological 'Weight' (lb)")
    bc = datasets.load_breast_cancer()
    add("breast_cancer", "logistic", bc.data, bc.target.astype(np.float64),
        "sklearn.datasets.load_breast_cancer(): 569x30 raw features, y = target (1 = benign)",
        xname="breast_cancer")
    add("breast_cancer_linear", "linear", bc.data, bc.target.astype(np.float64),
        "sklearn.datasets.load_breast_cancer(): 569x30 raw features, y = target 0/1 "
        "fitted by least squares", xname="breast_cancer")
    wine = datasets.load_wine()
    add("wine_class0", "logistic", wine.data, (wine.target == 0).astype(np.float64),
        "sklearn.datasets.load_wine(): 178x13 raw features, y = (target == 0)")
    iris = datasets.load_iris()
    keep = iris.target >= 1
    add("iris_versicolor_virginica", "logistic", iris.data[keep],
        (iris.target[keep] == 2).astype(np.float64),
        "sklearn.datasets.load_iris(): rows of classes 1,2 (100x4, cm), y = (target == 2)")

    # --- synthetic data in physical units
    rng = np.random.default_rng(20240601)
    n = 5000
    scales = np.array([1e-3, 1e-2, 1.0, 1e1, 1e3, 1e5])
    coef = np.array([1.5, -2.0, 0.7, 3.0, -1.2, 0.4])
    Xm = rng.standard_normal((n, 6)) * scales + 3 * scales
    ym = 1000 + (Xm / scales) @ coef + 0.1 * rng.standard_normal(n)
    add("mixed_scales", "linear", Xm, ym,
        "synthetic, default_rng(20240601): x_j = N(0,1)*s_j + 3 s_j, s = 1e-3,1e-2,1,1e1,1e3,1e5; "
        "y = 1000 + sum c_j x_j/s_j + N(0,0.1^2), c = 1.5,-2,0.7,3,-1.2,0.4")

    rng = np.random.default_rng(20240602)
    n = 4000
    pres = 1e5 + 500 * rng.standard_normal(n)
    strain = 1e-3 + 1e-4 * rng.standard_normal(n)
    temp = 300 + 5 * rng.standard_normal(n)
    tiny = 5.0 * math.sqrt(1 / 0.9999 ** 2 - 1)            # corr(x3, x4) = 0.9999
    temp2 = temp + tiny * rng.standard_normal(n)
    yo = 1e3 + 2e-3 * pres + 5e3 * strain + 0.7 * temp - 0.3 * temp2 + 0.05 * rng.standard_normal(n)
    add("offset_collinear", "linear", np.column_stack([pres, strain, temp, temp2]), yo,
        "synthetic, default_rng(20240602): pressure 1e5+500N Pa, strain 1e-3+1e-4N, "
        "T 300+5N K, T2 = T + 0.0707N (corr 0.9999); y = 1e3 + 2e-3 p + 5e3 s + 0.7 T - 0.3 T2 "
        "+ N(0,0.05^2)")

    rng = np.random.default_rng(20240603)
    n = 3000
    eps_c = 3e-5
    L = rng.standard_normal((n, 5))
    z1, z2, z3 = L[:, 0], L[:, 1], L[:, 2]
    c4 = math.sqrt(1 - eps_c ** 2)
    Zc = np.column_stack([z1, z2, z3,
                          c4 * (z1 + z2) / math.sqrt(2) + eps_c * L[:, 3],
                          c4 * (0.6 * z1 - 0.8 * z3) + eps_c * L[:, 4]])
    units = np.array([1e3, 1e-2, 1.0, 1e4, 1e-3])
    offs = np.array([5e4, 0.3, 20.0, 1e6, 2e-3])
    Xi = Zc * units + offs
    wi = np.array([0.8, -1.1, 0.5, 0.9, -0.6]) / units
    yi = 50 + Xi @ wi - offs @ wi + 0.01 * rng.standard_normal(n)
    add("ill_conditioned", "linear", Xi, yi,
        "synthetic, default_rng(20240603): latent z1..z3 N(0,1); x4 = (z1+z2)/sqrt2 + 3e-5 N, "
        "x5 = 0.6 z1 - 0.8 z3 + 3e-5 N (near-collinear); units 1e3,1e-2,1,1e4,1e-3, "
        "offsets 5e4,0.3,20,1e6,2e-3; y = 50 + sum 0.8,-1.1,0.5,0.9,-0.6 * z_j + N(0,0.01^2)")

    rng = np.random.default_rng(20240604)
    n = 2000
    xp = rng.uniform(0, 1e6, n)
    yp = 3 + 2e-6 * xp - 4e-12 * xp ** 2 + 1e-18 * xp ** 3 + 0.01 * rng.standard_normal(n)
    add("poly5_wide", "poly", xp, yp,
        "synthetic, default_rng(20240604): x ~ U[0,1e6], y = 3 + 2e-6x - 4e-12x^2 + 1e-18x^3 "
        "+ N(0,0.01^2); polynomial degree 5 in raw x", degree=5)

    rng = np.random.default_rng(20240605)
    n = 6000
    m3 = np.array([1e5, 300.0, 1e-3])
    s3 = np.array([2e3, 10.0, 2e-4])
    Xl = m3 + s3 * rng.standard_normal((n, 3))
    zl = 0.3 + ((Xl - m3) / s3) @ np.array([1.0, -0.8, 0.6])
    yl = (rng.uniform(size=n) < 1 / (1 + np.exp(-zl))).astype(np.float64)
    add("logistic_physical", "logistic", Xl, yl,
        "synthetic, default_rng(20240605): pressure 1e5+2e3N Pa, T 300+10N K, strain 1e-3+2e-4N; "
        "y ~ Bernoulli(sigmoid(0.3 + 1.0 p' - 0.8 T' + 0.6 s')), primes = standardized by truth")

    rng = np.random.default_rng(20240606)
    n = 3000
    volt = 12 + 0.5 * rng.standard_normal(n)
    curr = 0.2 + 0.05 * rng.standard_normal(n)
    mz = ((volt - 12) / 0.5 + (curr - 0.2) / 0.05) / math.sqrt(2)
    yn = (rng.uniform(size=n) < 1 / (1 + np.exp(-np.clip(150 * mz, -700, 700)))).astype(np.float64)
    add("logistic_nearly_separable", "logistic", np.column_stack([volt, curr]), yn,
        "synthetic, default_rng(20240606): voltage 12+0.5N V, current 0.2+0.05N A; "
        "y ~ Bernoulli(sigmoid(150 m)), m = (V'+I')/sqrt2 standardized by truth (few overlaps)")

    rng = np.random.default_rng(20240607)
    n = 2000
    Xb = rng.standard_normal((n, 3)) * np.array([1, 10, 0.1]) + np.array([5, -50, 0.3])
    yb = 1e3 + Xb @ np.array([2.0, -0.3, 15.0]) + 0.2 * rng.standard_normal(n)
    add("linear_big_offset", "linear", Xb, yb,
        "synthetic, default_rng(20240607): X = N(0,1)*[1,10,0.1] + [5,-50,0.3]; "
        "y = 1e3 + 2 x1 - 0.3 x2 + 15 x3 + N(0,0.2^2)")
    return cases


# ----------------------------------------------------------------------------- per case

def process(c):
    kind, X, y, deg = c["kind"], c["X"], c["y"], c["degree"]
    n, d = X.shape
    X64, y64 = X.astype(np.float64), y.astype(np.float64)
    log(f"== {c['name']}: {kind}, n={n}, d={d}" + (f", degree={deg}" if kind == "poly" else ""))
    Araw = raw_design(kind, X64, deg)
    c["cond"] = cond_raw(Araw)
    c["p"] = Araw.shape[1]
    c["xcheck"] = ""
    if kind in ("linear", "poly"):
        s = solve_lsq(kind, X64, y64, deg)
    else:
        s = solve_logistic(X64, y)
    c["cond_std"] = float(np.linalg.cond(s["A"]))
    log(f"  cond(raw design) = {c['cond']:.4e}, cond(standardized design) = {c['cond_std']:.4e}")
    if kind == "logistic" and s["separable"]:
        c.update(separable=1, opt_loss=0.0, params=None, lp_t=s["lp_t"])
        m = LogisticRegression(C=np.inf, solver="newton-cg", tol=1e-12, max_iter=10000)
        m.fit(s["A"][:, 1:], y64)
        z = s["Al"] @ np.concatenate([m.intercept_, m.coef_[0]]).astype(LD)
        l_sk = float(bce_ld(z, y))
        acc = float(np.mean((z > 0) == (y64 > 0.5)))
        log(f"  sklearn (no penalty) on separable data: loss {l_sk:.3e}, train accuracy {acc}")
        c["xcheck"] = f"sklearn loss {l_sk:.1e} (->0)"
        return
    c["separable"] = 0
    c["lp_t"] = s.get("lp_t")
    c["opt_loss"] = s["loss"]
    params = map_to_raw(kind, s["a"], s["mu"], s["sd"], s["ybar"])
    c["params"] = params
    log(f"  opt_loss = {s['loss']:.17g}; max relative gradient (standardized) = {s['grel']:.2e}")
    check(s["grel"] < 1e-10, f"{c['name']}: relative gradient {s['grel']:.2e} < 1e-10")
    # loss at the raw-unit params (long double evaluation), shows the mapping is consistent
    if kind == "logistic":
        l_raw = float(bce_ld(raw_pred_ld(kind, X64, params, deg), y))
    else:
        l_raw = float(mse_ld(raw_pred_ld(kind, X64, params, deg), y))
    log(f"  loss at raw float64 params (long double eval): rel diff {abs(l_raw - s['loss']) / s['loss']:.2e}")

    # cross-checks
    if kind == "linear":
        m = LinearRegression(tol=1e-15).fit(X64, y64)
        p_sk = np.concatenate([[m.intercept_], m.coef_])
        l_sk = float(mse_ld(raw_pred_ld(kind, X64, p_sk, deg), y))
        dl, dp = (l_sk - s["loss"]) / s["loss"], relmax(p_sk, params)
        log(f"  sklearn LinearRegression (raw X): loss rel diff {dl:+.2e}, max param rel diff {dp:.2e}")
        c["xcheck"] = f"LinReg dloss {dl:+.1e}, dparam {dp:.1e}"
        check(abs(dl) < 1e-9, f"{c['name']}: sklearn loss agreement")
    elif kind == "poly":
        P = np.polynomial.Polynomial.fit(X64[:, 0], y64, deg).convert().coef
        l_np = float(mse_ld(raw_pred_ld(kind, X64, P, deg), y))
        dpn, dln = relmax(P, params), (l_np - s["loss"]) / s["loss"]
        m = LinearRegression(tol=1e-15).fit(s["A"][:, 1:], y64 - s["ybar"])
        a_sk = np.concatenate([[m.intercept_], m.coef_])
        p_sk = map_to_raw(kind, a_sk, s["mu"], s["sd"], s["ybar"])
        r = s["Al"] @ a_sk.astype(LD) - (y.astype(LD) - LD(s["ybar"]))
        l_sk = float((r * r).mean())
        dl, dp = (l_sk - s["loss"]) / s["loss"], relmax(p_sk, params)
        log(f"  numpy Polynomial.fit(...).convert(): loss (raw Horner, long double) rel diff "
            f"{dln:+.2e}, max coef rel diff {dpn:.2e}")
        log(f"  sklearn LinearRegression (standardized Vandermonde): loss rel diff {dl:+.2e}, "
            f"max param rel diff {dp:.2e}")
        c["xcheck"] = f"LinReg(std V) dloss {dl:+.1e}, dparam {dp:.1e}; Polynomial.fit dparam {dpn:.1e}"
        check(abs(dl) < 1e-9, f"{c['name']}: sklearn loss agreement")
        check(dpn < 1e-6, f"{c['name']}: Polynomial.fit coefficient agreement")
    else:
        m = LogisticRegression(C=np.inf, solver="newton-cg", tol=1e-12, max_iter=10000)
        m.fit(s["A"][:, 1:], y64)
        a_sk = np.concatenate([m.intercept_, m.coef_[0]])
        z = s["Al"] @ a_sk.astype(LD)
        l_sk = float(bce_ld(z, y))
        p_sk = map_to_raw(kind, a_sk, s["mu"], s["sd"], 0.0)
        dl, dp = (l_sk - s["loss"]) / s["loss"], relmax(p_sk, params)
        log(f"  sklearn LogisticRegression(C=inf, newton-cg, tol=1e-12) on standardized X: "
            f"loss rel diff {dl:+.2e}, max param rel diff {dp:.2e} (n_iter {m.n_iter_[0]})")
        c["xcheck"] = f"LogReg dloss {dl:+.1e}, dparam {dp:.1e}"
        zo = s["A"] @ s["a"]
        log(f"  rows on the wrong side at the optimum: {int(np.sum((zo > 0) != (y64 > 0.5)))}")
        check(abs(dl) < 1e-9, f"{c['name']}: sklearn loss agreement")
        check(dl > -1e-14, f"{c['name']}: sklearn found no lower loss")


# ----------------------------------------------------------------------------- emit

def fmt_f32(v):
    s = str(np.float32(v))
    assert ("." in s or "e" in s) and "inf" not in s and "nan" not in s, s
    assert np.float32(s) == np.float32(v)
    return s + "f"


def fmt_f64(v):
    assert math.isfinite(v)
    s = "%.17g" % v
    assert float(s) == v
    return s


def emit_array(out, ctype, name, vals, fmt, per_line):
    out.append(f"static const {ctype} {name}[{len(vals)}] = {{")
    for i in range(0, len(vals), per_line):
        out.append("    " + ", ".join(fmt(v) for v in vals[i:i + per_line]) + ",")
    out.append("};")


def cstr(s):
    assert '"' not in s and "\\" not in s and "\n" not in s
    return '"' + s + '"'


def emit(cases):
    out = []
    out.append("/* GENERATED by tests/reference/make_optimum.py -- do not edit.")
    out.append(" * Regenerate from the repository root with the pyenv python3:")
    out.append(" *     python3 tests/reference/make_optimum.py > tests/reference/optimum_cases.h")
    out.append(f" * Produced with Python {platform.python_version()}, numpy {np.__version__}, "
               f"scipy {scipy.__version__}, scikit-learn {sklearn.__version__}, "
               f"mpmath {mpmath.__version__}.")
    out.append(" * float64 reference optima (no penalty, MEAN loss) on exactly the float32 X, y below.")
    out.append(" * linear/poly: mean((pred - y)^2); logistic: mean(log(1+exp(z)) - y*z), z = b + w.x.")
    out.append(" * opt_params in raw units: linear/logistic [bias, w1..wd], poly [c0..c_degree]. */")
    out.append("#ifndef DESCENT_TESTS_OPTIMUM_CASES_H")
    out.append("#define DESCENT_TESTS_OPTIMUM_CASES_H")
    out.append("")
    out.append("#include <stddef.h>")
    out.append("#include <stdint.h>")
    out.append("")
    out.append("namespace optimum {")
    out.append("")
    out.append("enum Kind { kLinear = 1, kLogistic = 2, kPoly = 3 };  // matches dsc_model_kind values")
    out.append("")
    out.append("struct Case {")
    out.append("    const char *name;")
    out.append("    int kind;                  // Kind")
    out.append("    uint32_t n, d;             // rows, input columns (poly: d = 1)")
    out.append("    uint32_t degree;           // poly only (else 0)")
    out.append("    const float *X;            // n*d row-major float32")
    out.append("    const float *y;            // n float32 targets (logistic: 0/1)")
    out.append("    double opt_loss;           // float64 optimum of the mean loss on these float32 values")
    out.append("    const double *opt_params;  // p raw-unit params, nullptr if no finite optimum")
    out.append("    uint32_t p;                // number of params")
    out.append("    int separable;             // logistic: 1 if strictly linearly separable (opt_loss = 0)")
    out.append("    double cond;               // 2-norm condition number of the raw design [1, X] / Vandermonde")
    out.append("    const char *source;        // where the data came from and how it was made")
    out.append("};")
    out.append("")
    done_x = {}
    for c in cases:
        key = c["xname"] or c["name"]
        if key not in done_x:
            emit_array(out, "float", f"kX_{key}", c["X"].ravel().tolist(), fmt_f32, 8)
            done_x[key] = c["X"]
        else:
            assert np.array_equal(done_x[key], c["X"])
        c["xsym"] = f"kX_{key}"
        emit_array(out, "float", f"kY_{c['name']}", c["y"].tolist(), fmt_f32, 8)
        if c["params"] is not None:
            emit_array(out, "double", f"kP_{c['name']}", c["params"].tolist(), fmt_f64, 4)
        out.append("")
    out.append("static const Case kCases[] = {")
    for c in cases:
        n, d = c["X"].shape
        kname = {"linear": "kLinear", "logistic": "kLogistic", "poly": "kPoly"}[c["kind"]]
        src = c["source"] + f" [cond of standardized design {c['cond_std']:.3g}]"
        out.append(f"    {{{cstr(c['name'])}, {kname}, {n}u, {d}u, {c['degree']}u, {c['xsym']}, "
                   f"kY_{c['name']},")
        out.append(f"     {fmt_f64(c['opt_loss'])}, "
                   f"{'kP_' + c['name'] if c['params'] is not None else 'nullptr'}, {c['p']}u, "
                   f"{c['separable']}, {fmt_f64(c['cond'])},")
        out.append(f"     {cstr(src)}}},")
    out.append("};")
    out.append("static const size_t kNumCases = sizeof(kCases) / sizeof(kCases[0]);")
    out.append("")
    out.append("}  // namespace optimum")
    out.append("")
    out.append("#endif  // DESCENT_TESTS_OPTIMUM_CASES_H")
    return "\n".join(out) + "\n"


def main():
    cases = make_cases()
    for c in cases:
        process(c)
    log("")
    log(f"{'case':28s} {'n':>5s} {'d':>3s} {'p':>3s} sep {'opt_loss':>24s} {'cond':>10s}  cross-check")
    for c in cases:
        n, d = c["X"].shape
        log(f"{c['name']:28s} {n:5d} {d:3d} {c['p']:3d} {c['separable']:3d} "
            f"{c['opt_loss']:24.17g} {c['cond']:10.3e}  {c['xcheck']}")
    if FAILURES:
        print("FAILED CHECKS:", *FAILURES, sep="\n  ", file=sys.stderr)
        sys.exit(1)
    sys.stdout.write(emit(cases))


if __name__ == "__main__":
    main()
