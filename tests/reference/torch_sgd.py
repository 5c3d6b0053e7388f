#!/usr/bin/env python3
"""Reference SGD trajectories from PyTorch for tests/test_optim_torch.cpp.

Run with the pyenv `python3` (3.11) that has torch installed, from the repository root:

    python3 tests/reference/torch_sgd.py > tests/reference/torch_sgd_cases.h

Every case builds small float32 data from a fixed torch seed, trains with torch.optim.SGD on the
CPU (one thread, so the output is byte-for-byte reproducible on one machine), and records, for
every optimizer step, the loss torch computed before the step (loss.item()) and the parameter
vector after it, in descent's layout:
    linear / logistic  [bias, w1..wd]
    polynomial         [c0..ck]
    legendre3          [a, b, c, d]

Losses: nn.MSELoss for the regression kinds. For logistic the trajectory uses
nn.BCEWithLogitsLoss, which is nn.BCELoss(sigmoid(z)) computed from the logit -- the same formula
descent uses (softplus(z) - y*z) -- and the script checks that nn.BCELoss(sigmoid(z)) gives the
same trajectory to 1e-6 relative (logits stay moderate, so the log clamp never triggers).

Tolerance used here and in the test ("relative 1e-5"): a loss compares as
|a-b| <= tol*max(|b|, 1e-3); a parameter as |a-b| <= tol*max(|b|, 0.1*max_k|b_k|, 1e-3), b the
reference vector of that step. The 0.1*max_k floor is there because a component passing near
zero (a bias of 0.03 next to weights of 1.7, d crossing 0 in legendre3) carries rounding error
of the size of the whole vector's terms, not of its own size.
Each case is also rerun in float64; the script asserts the float32 trajectory is within
tol = 1e-6 of it, so the test's tol = 1e-5 is not eaten by float32 rounding that descent cannot
be expected to reproduce. Diagnostics go to stderr.
"""
import math
import sys

import torch
from torch import nn

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

LINEAR, LOGISTIC, POLYNOMIAL, LEGENDRE3 = 1, 2, 3, 4  # dsc_model_kind
MEAN, SUM = 0, 1                                       # dsc_reduction
KIND_NAMES = {LINEAR: "DSC_LINEAR", LOGISTIC: "DSC_LOGISTIC",
              POLYNOMIAL: "DSC_POLYNOMIAL", LEGENDRE3: "DSC_LEGENDRE3"}
RED_NAMES = {MEAN: "DSC_REDUCTION_MEAN", SUM: "DSC_REDUCTION_SUM"}

REL_CHECK = 1e-6   # float32 vs float64 and BCELoss vs BCEWithLogitsLoss
FLOOR = 1e-3      # absolute floor of the relative bound
VEC_FLOOR = 0.1   # a parameter's bound is at least VEC_FLOOR * max |component| of its vector


# ---------------------------------------------------------------------------------------------
# data (always generated in float32; the float64 rerun uses the same float32 values, widened)

def linear_data(seed, n, d):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g, dtype=torch.float32)
    w = torch.tensor([1.5, -2.0, 0.7, 0.4][:d], dtype=torch.float32)
    y = X @ w + 0.3 + 0.1 * torch.randn(n, generator=g, dtype=torch.float32)
    return X, y


def logistic_data(seed, n, d):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g, dtype=torch.float32)
    w = torch.tensor([1.0, -0.8, 0.5, 0.3][:d], dtype=torch.float32)
    p = torch.sigmoid(X @ w - 0.2)
    y = (torch.rand(n, generator=g, dtype=torch.float32) < p).to(torch.float32)
    return X, y


def poly_data(seed, n):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, generator=g, dtype=torch.float32) * 2.0 - 1.0
    t = x[:, 0]
    y = 0.5 - 1.0 * t + 2.0 * t * t + 0.8 * t * t * t
    y = y + 0.05 * torch.randn(n, generator=g, dtype=torch.float32)
    return x, y


def legendre_data(seed, n):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, generator=g, dtype=torch.float32) * 2.0 - 1.0
    t = 0.1 + 0.8 * x[:, 0]
    y = 0.5 + 1.2 * (0.5 * (5.0 * t ** 3 - 3.0 * t))
    y = y + 0.02 * torch.randn(n, generator=g, dtype=torch.float32)
    return x, y


# ---------------------------------------------------------------------------------------------
# models: forward(X) -> prediction (or logit), params() in descent layout

class LinearModel(nn.Module):
    def __init__(self, d, dtype):
        super().__init__()
        self.lin = nn.Linear(d, 1, dtype=dtype)
        with torch.no_grad():
            self.lin.weight.zero_()
            self.lin.bias.zero_()

    def forward(self, X):
        return self.lin(X)[:, 0]

    def flat(self):
        return torch.cat([self.lin.bias.detach(), self.lin.weight.detach()[0]])


class PolyModel(nn.Module):
    def __init__(self, degree, dtype):
        super().__init__()
        self.c = nn.Parameter(torch.zeros(degree + 1, dtype=dtype))
        self.degree = degree

    def forward(self, X):
        x = X[:, 0]
        feats = [torch.ones_like(x)]
        for _ in range(self.degree):
            feats.append(feats[-1] * x)
        return torch.stack(feats, dim=1) @ self.c

    def flat(self):
        return self.c.detach().clone()


class Legendre3Model(nn.Module):
    def __init__(self, start, dtype):
        super().__init__()
        self.p = nn.Parameter(torch.tensor(start, dtype=dtype))

    def forward(self, X):
        a, b, c, d = self.p[0], self.p[1], self.p[2], self.p[3]
        t = c + d * X[:, 0]
        return a + b * (0.5 * (5.0 * t ** 3 - 3.0 * t))

    def flat(self):
        return self.p.detach().clone()


# ---------------------------------------------------------------------------------------------

def make_model(case, dtype):
    kind = case["kind"]
    if kind in (LINEAR, LOGISTIC):
        return LinearModel(case["d"], dtype)
    if kind == POLYNOMIAL:
        return PolyModel(case["degree"], dtype)
    return Legendre3Model(case["start"], dtype)


def make_loss(case, bce_plain=False):
    red = "sum" if case["reduction"] == SUM else "mean"
    if case["kind"] == LOGISTIC:
        if bce_plain:
            bce = nn.BCELoss(reduction=red)
            return lambda z, y: bce(torch.sigmoid(z), y)
        return nn.BCEWithLogitsLoss(reduction=red)
    return nn.MSELoss(reduction=red)


def run(case, dtype, bce_plain=False):
    """Returns (init params, [loss before step], [params after step], max |pred|,
    [full-data loss at the params after each epoch])."""
    X = case["X"].to(dtype)
    y = case["y"].to(dtype)
    model = make_model(case, dtype)
    loss_fn = make_loss(case, bce_plain)
    opt = torch.optim.SGD(model.parameters(), lr=case["lr"], momentum=case["momentum"],
                          dampening=case["dampening"], weight_decay=case["weight_decay"],
                          nesterov=case["nesterov"], foreach=False)
    n = X.shape[0]
    b = case["batch_size"] or n
    init = model.flat()
    losses, params, epoch_end = [], [], []
    max_out = 0.0
    for _epoch in range(case["epochs"]):
        for start in range(0, n, b):  # shuffle off: batches in order, last one partial
            xb, yb = X[start:start + b], y[start:start + b]
            opt.zero_grad()
            out = model(xb)
            max_out = max(max_out, out.detach().abs().max().item())
            loss = loss_fn(out, yb)
            loss.backward()
            opt.step()
            losses.append(loss.item())
            params.append(model.flat())
        with torch.no_grad():
            epoch_end.append(loss_fn(model(X), y).item())
    return init, losses, params, max_out, epoch_end


def rel_err(a, b, floor=FLOOR):
    return abs(a - b) / max(abs(b), floor)


def max_rel(tr_a, tr_b):
    _, la, pa, _, ea = tr_a
    _, lb, pb, _, eb = tr_b
    worst = 0.0
    for x, y in zip(la + ea, lb + eb):
        worst = max(worst, rel_err(float(x), float(y)))
    for va, vb in zip(pa, pb):
        floor = max(FLOOR, VEC_FLOOR * vb.abs().max().item())
        for x, y in zip(va.tolist(), vb.tolist()):
            worst = max(worst, rel_err(float(x), float(y), floor))
    return worst


def lit(v):
    v = float(v)
    if not math.isfinite(v):
        raise SystemExit("non-finite value in reference output")
    s = "%.9g" % v
    if "." not in s and "e" not in s and "n" not in s:
        s += ".0"
    return s + "f"


def emit_array(out, name, values, per_line):
    values = list(values)
    out.append("static const float %s[%d] = {" % (name, len(values)))
    for i in range(0, len(values), per_line):
        out.append("    " + ", ".join(lit(v) for v in values[i:i + per_line]) + ",")
    out.append("};")


def cases():
    c = []
    X, y = linear_data(101, 64, 3)
    c.append(dict(name="linear_sum_gd", kind=LINEAR, d=3, X=X, y=y, reduction=SUM, lr=1e-3,
                  momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                  batch_size=0, epochs=20))
    X, y = linear_data(102, 64, 3)
    c.append(dict(name="linear_mean_momentum", kind=LINEAR, d=3, X=X, y=y, reduction=MEAN,
                  lr=0.05, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False,
                  batch_size=0, epochs=20))
    X, y = linear_data(103, 64, 3)
    c.append(dict(name="linear_mean_nesterov", kind=LINEAR, d=3, X=X, y=y, reduction=MEAN,
                  lr=0.05, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=True,
                  batch_size=0, epochs=20))
    X, y = linear_data(104, 64, 3)
    c.append(dict(name="linear_mean_wd_dampening", kind=LINEAR, d=3, X=X, y=y, reduction=MEAN,
                  lr=0.05, momentum=0.5, dampening=0.3, weight_decay=0.1, nesterov=False,
                  batch_size=0, epochs=20))
    X, y = logistic_data(105, 64, 4)
    c.append(dict(name="logistic_mean_momentum", kind=LOGISTIC, d=4, X=X, y=y, reduction=MEAN,
                  lr=0.5, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False,
                  batch_size=0, epochs=20))
    X, y = logistic_data(106, 64, 4)
    c.append(dict(name="logistic_sum_gd", kind=LOGISTIC, d=4, X=X, y=y, reduction=SUM,
                  lr=0.01, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                  batch_size=0, epochs=20))
    X, y = poly_data(107, 50)
    c.append(dict(name="poly3_sum_gd", kind=POLYNOMIAL, d=1, degree=3, X=X, y=y, reduction=SUM,
                  lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                  batch_size=0, epochs=20))
    X, y = linear_data(108, 70, 3)
    c.append(dict(name="linear_minibatch16_momentum", kind=LINEAR, d=3, X=X, y=y,
                  reduction=MEAN, lr=0.05, momentum=0.9, dampening=0.0, weight_decay=0.0,
                  nesterov=False, batch_size=16, epochs=3))
    X, y = legendre_data(109, 50)
    c.append(dict(name="legendre3_sum_gd", kind=LEGENDRE3, d=1, X=X, y=y, reduction=SUM,
                  lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                  batch_size=0, epochs=20, start=[0.0, -1.0, 0.0, 0.3]))
    return c


def main():
    out = []
    out.append("/* GENERATED by tests/reference/torch_sgd.py -- do not edit.")
    out.append(" * Regenerate from the repository root with the pyenv python3 that has torch:")
    out.append(" *     python3 tests/reference/torch_sgd.py > tests/reference/torch_sgd_cases.h")
    out.append(" * Produced with Python %s, torch %s (CPU, float32, 1 thread)."
               % (sys.version.split()[0], torch.__version__))
    out.append(" * params: parameter vector after every optimizer step, descent layout;")
    out.append(" * loss:   torch's loss.item() for the batch before that step;")
    out.append(" * epoch_end_loss: full-data loss at the parameters after each epoch. */")
    out.append("#ifndef DESCENT_TESTS_TORCH_SGD_CASES_H")
    out.append("#define DESCENT_TESTS_TORCH_SGD_CASES_H")
    out.append("")
    out.append("#include <stdint.h>")
    out.append("")
    out.append("typedef struct torch_sgd_case {")
    out.append("    const char *name;")
    out.append("    uint32_t kind;         /* dsc_model_kind value */")
    out.append("    uint32_t n_features;")
    out.append("    uint32_t degree;       /* POLYNOMIAL only */")
    out.append("    uint32_t n_samples;")
    out.append("    uint32_t reduction;    /* dsc_reduction value */")
    out.append("    uint32_t batch_size;   /* 0 = full batch; minibatches in row order */")
    out.append("    float lr, momentum, dampening, weight_decay;")
    out.append("    uint32_t nesterov;")
    out.append("    uint32_t epochs;")
    out.append("    uint32_t steps_per_epoch;")
    out.append("    uint32_t n_params;")
    out.append("    const float *X;        /* n_samples x n_features, row-major */")
    out.append("    const float *y;")
    out.append("    const float *init;     /* n_params: parameters before step 1 */")
    out.append("    const float *params;   /* (epochs*steps_per_epoch) x n_params */")
    out.append("    const float *loss;     /* epochs*steps_per_epoch */")
    out.append("    const float *epoch_end_loss; /* epochs: full-data loss after each epoch */")
    out.append("} torch_sgd_case;")
    out.append("")

    entries = []
    for i, case in enumerate(cases()):
        tr32 = run(case, torch.float32)
        tr64 = run(case, torch.float64)
        drift = max_rel(tr32, tr64)
        msg = "%-28s f32 vs f64 max rel %.2e, max |output| %.3g" % (
            case["name"], drift, tr32[3])
        if case["kind"] == LOGISTIC:
            plain = run(case, torch.float32, bce_plain=True)
            bdiff = max_rel(tr32, plain)
            msg += ", BCELoss vs BCEWithLogits max rel %.2e" % bdiff
            if bdiff > REL_CHECK:
                raise SystemExit("case %s: BCELoss and BCEWithLogitsLoss disagree" % case["name"])
        print(msg, file=sys.stderr)
        if drift > REL_CHECK:
            raise SystemExit("case %s: float32 trajectory too far from float64 (%.2e)"
                             % (case["name"], drift))
        init, losses, params, _, epoch_end = tr32
        n, d = case["X"].shape
        npar = init.numel()
        steps_per_epoch = len(losses) // case["epochs"]
        pre = "case%d_%s" % (i + 1, case["name"])
        out.append("/* case %d: %s */" % (i + 1, case["name"]))
        emit_array(out, pre + "_X", case["X"].reshape(-1).tolist(), 4 * d if d > 1 else 6)
        emit_array(out, pre + "_y", case["y"].tolist(), 6)
        emit_array(out, pre + "_init", init.tolist(), npar)
        emit_array(out, pre + "_params", [v for p in params for v in p.tolist()], npar)
        emit_array(out, pre + "_loss", losses, 6)
        emit_array(out, pre + "_epoch_end_loss", epoch_end, 6)
        out.append("")
        entries.append("    {\"%s\", %d /* %s */, %d, %d, %d, %d /* %s */, %d, %s, %s, %s, %s, "
                       "%d, %d, %d, %d,\n     %s_X, %s_y, %s_init, %s_params, %s_loss, %s_epoch_end_loss},"
                       % (case["name"], case["kind"], KIND_NAMES[case["kind"]], d,
                          case.get("degree", 0), n, case["reduction"],
                          RED_NAMES[case["reduction"]], case["batch_size"], lit(case["lr"]),
                          lit(case["momentum"]), lit(case["dampening"]),
                          lit(case["weight_decay"]), int(case["nesterov"]), case["epochs"],
                          steps_per_epoch, npar, pre, pre, pre, pre, pre, pre))
    out.append("static const torch_sgd_case torch_sgd_cases[] = {")
    out.extend(entries)
    out.append("};")
    out.append("")
    out.append("#endif /* DESCENT_TESTS_TORCH_SGD_CASES_H */")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
