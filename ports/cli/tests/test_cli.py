#!/usr/bin/env python3
"""Tests of the `descent` command-line tool (ports/cli), run by ctest one case at a time:

    test_cli.py --descent BIN --predict-c BIN --rsvg RSVG_CONVERT_OR_EMPTY --data DIR
                --work DIR --case NAME

Python 3 standard library only. Exit 0 = pass, 77 = skipped (ctest SKIP_RETURN_CODE), else
fail. Every case uses the committed CSVs in tests/data/ (see make_data.py) or CSVs it writes
into its own work directory.
"""
import argparse
import csv
import io
import math
import os
import pty
import random
import re
import select
import shutil
import struct
import subprocess
import sys
import zlib

EXIT_OK, EXIT_USAGE, EXIT_DATA, EXIT_TRAIN, EXIT_IO = 0, 1, 2, 3, 4

A = None  # parsed arguments


class Skip(Exception):
    pass


def run(*args, expect=EXIT_OK, stdin=None):
    """Runs the CLI; checks the exit code; returns (stdout, stderr) as text."""
    p = subprocess.run([A.descent] + [str(a) for a in args], capture_output=True, timeout=60,
                       input=stdin)
    out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    if p.returncode != expect:
        raise AssertionError("descent %s: exit %d, expected %d\nstdout: %s\nstderr: %s" % (
            " ".join(map(str, args)), p.returncode, expect, out[-2000:], err[-2000:]))
    return out, err


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def data(name):
    return os.path.join(A.data, name)


def work(name):
    return os.path.join(A.work, name)


def write(name, text, mode="w"):
    path = work(name)
    with open(path, mode, newline="" if mode == "w" else None) as f:
        f.write(text)
    return path


def read_csv_simple(path):
    """The committed plain CSVs (no quoting): header list and rows of strings."""
    with open(path, newline="") as f:
        lines = f.read().splitlines()
    return lines[0].split(","), [line.split(",") for line in lines[1:]]


def predict_c(model, header, rows, features, label=False):
    """dsc_predict through the independent C program, on the CSV's own number text."""
    cols = [header.index(f) for f in features]
    mat = ["%d %d" % (len(rows), len(cols))] + [" ".join(r[c] for c in cols) for r in rows]
    path = write("matrix.txt", "\n".join(mat) + "\n")
    args = [A.predict_c, model, path] + (["--label"] if label else [])
    p = subprocess.run(args, capture_output=True, timeout=60)
    check(p.returncode == 0, "predict_c failed with %d" % p.returncode)
    return p.stdout.decode().split()


def info_params(model):
    out, _ = run("info", model)
    params = {}
    in_params = False
    for line in out.splitlines():
        if line.startswith("parameters:"):
            in_params = True
            continue
        if in_params:
            if not line.startswith("  "):
                break
            name, value = line.strip().rsplit(None, 1)  # a class name may hold blanks
            params[name] = float(value)
    return params


def least_squares(X, y):
    """float64 least squares with an intercept: normal equations on standardized columns."""
    n, d = len(X), len(X[0])
    mu = [sum(r[j] for r in X) / n for j in range(d)]
    sd = [math.sqrt(sum((r[j] - mu[j]) ** 2 for r in X) / n) for j in range(d)]
    Z = [[1.0] + [(r[j] - mu[j]) / sd[j] for j in range(d)] for r in X]
    k = d + 1
    M = [[sum(z[a] * z[b] for z in Z) for b in range(k)] + [sum(z[a] * t for z, t in zip(Z, y))]
         for a in range(k)]
    for c in range(k):  # Gauss-Jordan with partial pivoting
        piv = max(range(c, k), key=lambda r: abs(M[r][c]))
        M[c], M[piv] = M[piv], M[c]
        for r in range(k):
            if r != c:
                f = M[r][c] / M[c][c]
                M[r] = [a - f * b for a, b in zip(M[r], M[c])]
    th = [M[r][k] / M[r][r] for r in range(k)]
    w = [th[j + 1] / sd[j] for j in range(d)]
    b = th[0] - sum(w[j] * mu[j] for j in range(d))
    return b, w


def penguins(n=300, seed=7):
    """Three species drawn from a softmax model of bill length (mm), body mass (g) and flipper
    length (mm), so the classes overlap and the log-loss has a finite minimum. One name holds
    a comma and quotes (CSV quoting in and out)."""
    rng = random.Random(seed)
    names = ["Adelie", "Chinstrap", 'Gentoo, "big"']
    rows = []
    for _ in range(n):
        bill, mass, flip = rng.gauss(44, 5), rng.gauss(4200, 800), rng.gauss(200, 14)
        z = [0.0, 0.5 * (bill - 44) - 0.001 * (mass - 4200),
             0.004 * (mass - 4200) + 0.1 * (flip - 200)]
        e = [math.exp(v - max(z)) for v in z]
        u, k = rng.random() * sum(e), 0
        while u > e[k]:
            u -= e[k]
            k += 1
        rows.append(["%.1f" % bill, "%.0f" % mass, "%.1f" % flip, names[k]])
    return ["bill_mm", "mass_g", "flipper_mm", "species"], rows


def write_csv(name, header, rows):
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([header] + rows)
    return write(name, text.getvalue())


def parse_csv(text):
    return list(csv.reader(io.StringIO(text)))


def softmax(z):
    m = max(z)
    e = [math.exp(v - m) for v in z]
    return [v / sum(e) for v in e]


def softmax_proba(params, classes, features, X):
    """Class probabilities from `info`'s parameters (bias[c], w[c][f]), in float64."""
    out = []
    for x in X:
        z = [params["bias[%s]" % c] + sum(params["w[%s][%s]" % (c, f)] * v
                                          for f, v in zip(features, x)) for c in classes]
        out.append(softmax(z))
    return out


def mse(b, w, X, y):
    return sum((b + sum(wj * xj for wj, xj in zip(w, r)) - t) ** 2 for r, t in zip(X, y)) / len(y)


# ---- cases ----------------------------------------------------------------------------------
def case_help():
    out, _ = run("--help")
    for opt in ["--target", "--features", "--model", "--degree", "--lr", "--momentum",
                "--dampening", "--weight-decay", "--nesterov", "--batch-size", "--shuffle",
                "--max-epochs", "--seed", "--reduction", "--schedule", "--power-t", "--tol",
                "--n-iter-no-change", "--backend", "--standardize", "--solver", "--conv-tol",
                "--threads", "--holdout", "--plot", "--quiet", "--proba", "-o"]:
        check(opt in out, "--help does not list " + opt)
    check("(default 1000)" in out and "(default 0.25)" in out, "defaults missing from --help")
    for code in range(5):
        check(re.search(r"^\s+%d " % code, out, re.M), "exit code %d not documented" % code)
    run("train", "--help")
    _, err = run(expect=EXIT_USAGE)
    check("usage" in err, "no usage on stderr without arguments")
    run("frobnicate", expect=EXIT_USAGE)


def case_train_predict_roundtrip():
    model = work("sensor.dscb")
    run("train", data("sensor.csv"), "--target", "signal_mV", "-o", model, "--quiet")
    out, _ = run("predict", model, data("sensor.csv"))
    lines = out.splitlines()
    check(lines[0] == "signal_mV", "predict header: %r" % lines[0])
    header, rows = read_csv_simple(data("sensor.csv"))
    ref = predict_c(model, header, rows, ["pressure_Pa", "strain", "temperature_K"])
    check(lines[1:] == ref, "CLI predictions differ from dsc_predict's (C program)")
    # -o writes the same text.
    run("predict", model, data("sensor.csv"), "-o", work("pred.csv"))
    with open(work("pred.csv")) as f:
        check(f.read() == out, "predict -o differs from stdout")
    # Logistic with class names: labels and probabilities, both against the C API.
    model = work("machines.dscb")
    run("train", data("machines.csv"), "--target", "status", "--model", "logistic", "-o", model,
        "--quiet")
    header, rows = read_csv_simple(data("machines.csv"))
    feats = ["bearing_temp_K", "vibration_mm_s"]
    out, _ = run("predict", model, data("machines.csv"), "--proba")
    check(out.splitlines()[0] == "p_ok", "proba header: %r" % out.splitlines()[0])
    check(out.split()[1:] == predict_c(model, header, rows, feats), "probabilities differ")
    out, _ = run("predict", model, data("machines.csv"))
    labels = predict_c(model, header, rows, feats, label=True)
    names = [{"0": "fault", "1": "ok"}[v] for v in labels]
    check(out.split()[1:] == names, "labels differ from dsc_predict_label's")


def case_optimum():
    model = work("sensor.dscb")
    _, err = run("train", data("sensor.csv"), "--target", "signal_mV", "-o", model)
    check("converged: yes" in err, "default fit did not converge:\n" + err)
    header, rows = read_csv_simple(data("sensor.csv"))
    X = [[float(v) for v in r[:3]] for r in rows]
    y = [float(r[3]) for r in rows]
    b, w = least_squares(X, y)
    p = info_params(model)
    got_b = p["bias"]
    got_w = [p["w[pressure_Pa]"], p["w[strain]"], p["w[temperature_K]"]]
    for g, r, name in zip([got_b] + got_w, [b] + w, ["bias", "pressure", "strain", "temp"]):
        check(abs(g - r) <= 2e-4 * abs(r), "%s: %.9g, least squares %.9g" % (name, g, r))
    gap = mse(got_b, got_w, X, y) / mse(b, w, X, y) - 1
    check(gap <= 1e-5, "loss gap to least squares %.3g" % gap)
    # The known relation the data were drawn from (noise sigma 0.05).
    check(abs(got_w[0] - 2e-3) < 5e-5 and abs(got_w[2] - 0.7) < 0.01, "far from the truth")


def case_logistic_classes():
    model = work("m.dscb")
    _, err = run("train", data("machines.csv"), "--target", "status", "--model", "logistic",
                 "-o", model)
    check("converged: yes" in err, err)
    out, _ = run("info", model)
    check("classes:      0 = fault, 1 = ok" in out, out)
    out, _ = run("predict", model, data("machines.csv"))
    _, rows = read_csv_simple(data("machines.csv"))
    pred = out.split()[1:]
    acc = sum(p == r[2] for p, r in zip(pred, rows)) / len(rows)
    check(0.75 < acc < 1.0, "training accuracy %.3f" % acc)
    # 0/1 labels work without class names; three classes are refused with the line.
    text = "a,b,y\n" + "".join("%d,%d,%d\n" % (i, i % 7, i % 3 == 0) for i in range(60))
    run("train", write("01.csv", text), "--target", "y", "--model", "logistic",
        "-o", work("01.dscb"), "--quiet")
    out, _ = run("predict", work("01.dscb"), work("01.csv"))
    check(set(out.split()[1:]) <= {"0", "1"}, "0/1 labels not printed as 0/1")
    text = "a,y\n1,red\n2,green\n3,blue\n"
    _, err = run("train", write("3.csv", text), "--target", "y", "--model", "logistic",
                 "-o", work("3.dscb"), expect=EXIT_DATA)
    check("line 4" in err and "third class" in err and "--model softmax" in err, err)
    check(not os.path.exists(work("3.dscb")), "model written after an error")


def case_holdout_threads():
    _, err = run("train", data("sensor.csv"), "--target", "signal_mV", "-o", work("h.dscb"),
                 "--holdout", "0.2")
    m = re.search(r"held-out R\^2 ([0-9.]+) \(80 rows\)", err)
    check(m and float(m.group(1)) > 0.99, err)
    _, err = run("train", data("machines.csv"), "--target", "status", "--model", "logistic",
                 "-o", work("hm.dscb"), "--holdout", "0.25", "--seed", "3")
    m = re.search(r"held-out accuracy ([0-9.]+) \(\d+/100 rows\)", err)
    check(m and float(m.group(1)) > 0.7, err)
    # Threads: 20000 rows (passes over more than 16384 rows run as tasks); same model bytes.
    lines = ["x1,x2,x3,y"]
    for i in range(20000):
        a, b, c = (i * 7919) % 1000 / 100.0, (i * 104729) % 997 / 50.0, (i % 13) * 0.5
        lines.append("%g,%g,%g,%g" % (a, b, c, 1.5 * a - 0.25 * b + 2 * c + 3 + (i % 5) * 0.01))
    big = write("big.csv", "\n".join(lines) + "\n")
    blobs = []
    for t in ("1", "3"):
        run("train", big, "--target", "y", "-o", work("t%s.dscb" % t), "--threads", t,
            "--solver", "gd", "--lr", "0.001", "--max-epochs", "20", "--quiet")
        with open(work("t%s.dscb" % t), "rb") as f:
            blobs.append(f.read())
    check(blobs[0] == blobs[1], "--threads 3 gave another model than --threads 1")


def case_info():
    model = work("s.dscb")
    run("train", data("sensor.csv"), "--target", "signal_mV", "-o", model, "--quiet",
        "--max-epochs", "50")
    out, _ = run("info", model)
    for s in ["kind:         linear", "features:     3", "target:       signal_mV",
              "w[pressure_Pa]", "w[strain]", "w[temperature_K]", "format version 5",
              "max_epochs 50", "last fit:", "solver auto", "parameters:   4"]:
        check(s in out, "info lacks %r:\n%s" % (s, out))
    size = int(re.search(r"blob:\s+(\d+) bytes", out).group(1))
    with open(model, "rb") as f:
        check(f.read().endswith(b"\nblob %d\n" % size, 0, -size), "blob size not the file's")
    run("info", model, "--proba", expect=EXIT_USAGE)
    # poly: one column, degree shown
    run("train", data("sensor.csv"), "--target", "signal_mV", "--features", "temperature_K",
        "--model", "poly", "--degree", "2", "-o", work("p.dscb"), "--quiet")
    out, _ = run("info", work("p.dscb"))
    check("kind:         poly" in out and "degree:       2" in out and "c2" in out, out)
    # legendre3 with the defaults (NEWTON): a model file whose info names a, b, c, d.
    run("train", data("sensor.csv"), "--target", "signal_mV", "--features", "temperature_K",
        "--model", "legendre3", "-o", work("l.dscb"), "--quiet")
    out, _ = run("info", work("l.dscb"))
    check("kind:         legendre3" in out and re.search(r"^  d\s", out, re.M), out)


def case_model_options():
    # The penalty, the robust loss and early stopping reach the config (info shows them), and
    # an early-stopped fit records its held-out loss and epoch in the model file.
    m = work("es.dscb")
    run("train", data("sensor.csv"), "--target", "signal_mV", "-o", m, "--quiet",
        "--early-stopping", "1", "--validation-fraction", "0.25", "--tol", "1e-6",
        "--max-epochs", "300")
    out, _ = run("info", m)
    for s in ["early_stopping 1  validation_fraction 0.25", "solver=gd", "validation_loss=",
              "best_epoch="]:
        check(s in out, "info lacks %r:\n%s" % (s, out))
    best = int(re.search(r"best_epoch=(\d+)", out).group(1))
    epochs = int(re.search(r"epochs=(\d+)", out).group(1))
    check(0 <= best <= epochs, out)
    h = work("h.dscb")
    run("train", data("sensor.csv"), "--target", "signal_mV", "-o", h, "--quiet",
        "--loss", "huber", "--epsilon", "0.5", "--alpha", "0.001", "--l1-ratio", "1")
    out, _ = run("info", h)
    check("alpha 0.001  l1_ratio 1  average 0  loss huber  epsilon 0.5" in out, out)
    check("validation_loss=" not in out, out)
    # Refusals name the field: hinge on a linear model, a fraction of 1, an unknown loss.
    _, err = run("train", data("sensor.csv"), "--target", "signal_mV", "-o", work("x.dscb"),
                 "--loss", "hinge", expect=EXIT_USAGE)
    check("config.loss" in err, err)
    _, err = run("train", data("sensor.csv"), "--target", "signal_mV", "-o", work("x.dscb"),
                 "--early-stopping", "1", "--validation-fraction", "1", expect=EXIT_USAGE)
    check("validation_fraction" in err, err)
    run("train", data("sensor.csv"), "--target", "signal_mV", "-o", work("x.dscb"),
        "--loss", "cauchy", expect=EXIT_USAGE)
    _, err = run("train", data("sensor.csv"), "--target", "signal_mV", "-o", work("x.dscb"),
                 "--class-weight", "1,3", expect=EXIT_USAGE)
    check("class_weight" in err, err)
    check(not os.path.exists(work("x.dscb")), "a refused train wrote a model file")
    # Class weights on a classifier: weighting class 1 ('ok', the second sorted name) up
    # predicts it at least as often.
    counts = []
    for cw in ["1,1", "1,4"]:
        mc = work("c%s.dscb" % cw.replace(",", "_"))
        run("train", data("machines.csv"), "--target", "status", "--model", "logistic", "-o", mc,
            "--quiet", "--class-weight", cw)
        out, _ = run("info", mc)
        check("class_weight %s" % cw in out, out)
        pred, _ = run("predict", mc, data("machines.csv"))
        counts.append(pred.split("\n")[1:].count("ok"))
    check(counts[1] >= counts[0], "class weight 4 on 'ok' predicted it less often: %r" % counts)


def case_sample_weights():
    # --weight COLUMN: integer weights train the model the repeated rows train (the default
    # solver reaches the same optimum), the column is not a feature, bad weights are data
    # errors.
    header, rows = read_csv_simple(data("sensor.csv"))
    rng = random.Random(5)
    wrows, rep = [], []
    for r in rows:
        k = rng.randrange(4)
        wrows.append(r + [str(k)])
        rep += [r] * k
    wpath = write("weighted.csv", "\n".join([",".join(header + ["w"])] + [",".join(r) for r in wrows]) + "\n")
    rpath = write("repeated.csv", "\n".join([",".join(header)] + [",".join(r) for r in rep]) + "\n")
    mw, mr = work("w.dscb"), work("r.dscb")
    run("train", wpath, "--target", "signal_mV", "--weight", "w", "-o", mw, "--quiet")
    run("train", rpath, "--target", "signal_mV", "-o", mr, "--quiet")
    pw, pr = info_params(mw), info_params(mr)
    check(sorted(pw) == sorted(pr), "parameter names differ: %r %r" % (pw, pr))  # w is no feature
    scale = max(abs(v) for v in pr.values())
    for k in pr:
        check(abs(pw[k] - pr[k]) <= 1e-5 * scale, "weighted %r vs repeated %r" % (pw, pr))
    bad = [r[:] for r in wrows]
    bad[3][-1] = "-1"
    bpath = write("bad.csv", "\n".join([",".join(header + ["w"])] + [",".join(r) for r in bad]) + "\n")
    _, err = run("train", bpath, "--target", "signal_mV", "--weight", "w", "-o", work("x.dscb"),
                 expect=EXIT_DATA)
    check("negative sample weight" in err and "line 5" in err, err)
    zpath = write("zero.csv", "\n".join([",".join(header + ["w"])] + [",".join(r[:-1] + ["0"]) for r in wrows]) + "\n")
    run("train", zpath, "--target", "signal_mV", "--weight", "w", "-o", work("x.dscb"),
        expect=EXIT_DATA)
    _, err = run("train", wpath, "--target", "signal_mV", "--weight", "w", "--features", "w",
                 "-o", work("x.dscb"), expect=EXIT_USAGE)
    check("--weight column" in err, err)
    check(not os.path.exists(work("x.dscb")), "a refused train wrote a model file")


def case_bad_csvs():
    good = "pressure_Pa,strain,signal_mV\n100000.5,1.0e-3,1400.1\n100100.5,1.1e-3,1401.2\n"
    cases = [
        ("ragged", good + "100200.5,1.2e-3\n", ["line 4", "2 fields", "header has 3"]),
        ("text", good + "100200.5,abc,1402\n", ["line 4, column 2 (strain)", "not a number"]),
        ("missing", good + "100200.5,,1402\n", ["line 4, column 2 (strain)", "missing value"]),
        ("target_text", good + "100200.5,1e-3,n/a\n", ["line 4, column 3 (signal_mV)"]),
        ("nan", good + "nan,1e-3,1402\n", ["line 4, column 1 (pressure_Pa)", "finite"]),
        ("overflow", good + "1e39,1e-3,1402\n", ["line 4, column 1", "finite"]),
        ("empty", "", ["empty file"]),
        ("header_only", "pressure_Pa,strain,signal_mV\n", ["no data rows"]),
        ("no_target", "pressure_Pa,strain,y\n1,2,3\n", ["target column 'signal_mV' not found"]),
        ("unterminated", good + '100200.5,"1e-3,1402\n', ["malformed CSV"]),
        ("huge", good + "100200.5," + "x" * 10_000_000 + ",1402\n",
         ["line 4, column 2 (strain)", "not a number", "(10000000 bytes)"]),
    ]
    for name, text, wants in cases:
        path = write(name + ".csv", text)
        model = work(name + ".dscb")
        _, err = run("train", path, "--target", "signal_mV", "-o", model, expect=EXIT_DATA)
        for want in wants:
            check(want in err, "%s: %r not in %r" % (name, want, err[:300]))
        check(len(err) < 2000, "%s: message of %d bytes" % (name, len(err)))
        check(not os.path.exists(model) and not os.path.exists(model + ".tmp"),
              name + ": a model file was written")
    # A missing file is a data error too.
    run("train", work("nope.csv"), "--target", "y", "-o", work("x.dscb"), expect=EXIT_DATA)
    # A huge field in a column that is not used is fine (extra columns are ignored).
    text = "note,x,y\n" + "".join('"%s",%d,%d\n' % ("z" * (10_000_000 if i == 1 else 3), i, 2 * i)
                                  for i in range(5))
    run("train", write("huge_ok.csv", text), "--target", "y", "--features", "x",
        "-o", work("huge_ok.dscb"), "--quiet")


def case_quoted_crlf():
    q = data("quoted_crlf.csv")
    with open(q, "rb") as f:
        raw = f.read()
    check(raw.count(b"\r\n") == raw.count(b"\n"), "quoted_crlf.csv lost its CRLF endings")
    feats = '"pressure, Pa",strain'
    run("train", q, "--target", "signal_mV", "--features", feats, "-o", work("q.dscb"), "--quiet")
    # The same numbers, plain: LF endings, no quotes around numbers, no note column.
    _, rows = read_csv_simple(data("sensor.csv"))
    plain = '"pressure, Pa",strain,signal_mV\n' + "".join(
        "%s,%s,%s\n" % (r[0], r[1], r[3]) for r in rows[:40])
    run("train", write("plain.csv", plain), "--target", "signal_mV", "-o", work("p.dscb"),
        "--quiet")
    with open(work("q.dscb"), "rb") as f1, open(work("p.dscb"), "rb") as f2:
        check(f1.read() == f2.read(), "quoted CRLF file trained another model than the plain one")
    out, _ = run("info", work("q.dscb"))
    check("w[pressure, Pa]" in out, out)
    # Predict on the quoted file itself: the note column (commas, quotes, a newline) is ignored.
    out, _ = run("predict", work("q.dscb"), q)
    out2, _ = run("predict", work("q.dscb"), work("plain.csv"))
    check(out == out2 and len(out.splitlines()) == 41, "predictions on the quoted file differ")
    # A bad value after the two-line note is reported at its physical line (rows 3 and 8 of
    # the file hold notes spanning two lines, so data row 10 ends on physical line 13).
    lines = raw.decode().split("\r\n")
    check(lines[11].startswith("lines\","), "unexpected layout of quoted_crlf.csv")
    bad = raw.decode().replace(lines[12], "oops" + lines[12][lines[12].index(","):], 1)
    _, err = run("train", write("bad_q.csv", bad), "--target", "signal_mV", "--features", feats,
                 "-o", work("bad_q.dscb"), expect=EXIT_DATA)
    check("line 13, column 1 (pressure, Pa)" in err, err)


def case_reordered_columns():
    model = work("s.dscb")
    run("train", data("sensor.csv"), "--target", "signal_mV", "-o", model, "--quiet")
    ref, _ = run("predict", model, data("sensor.csv"))
    header, rows = read_csv_simple(data("sensor.csv"))
    order = [2, 3, 0, 1]  # temperature, target, pressure, strain + an extra text column
    text = ",".join(header[i] for i in order) + ",comment\n" + "".join(
        ",".join(r[i] for i in order) + ",\"ok, checked\"\n" for r in rows)
    out, _ = run("predict", model, write("reordered.csv", text))
    check(out == ref, "reordered columns gave other predictions")
    # Without the target column at all, prediction still works.
    text = "strain,temperature_K,pressure_Pa\n" + "".join(
        "%s,%s,%s\n" % (r[1], r[2], r[0]) for r in rows)
    out, _ = run("predict", model, write("no_target.csv", text))
    check(out == ref, "a CSV without the target column gave other predictions")
    text = "pressure_Pa,temperature_K\n" + "".join("%s,%s\n" % (r[0], r[2]) for r in rows)
    _, err = run("predict", model, write("missing.csv", text), "-o", work("out.csv"),
                 expect=EXIT_DATA)
    check("'strain' not found" in err, err)
    check(not os.path.exists(work("out.csv")), "predictions written after an error")


def case_corrupt_model():
    model = work("s.dscb")
    run("train", data("sensor.csv"), "--target", "signal_mV", "-o", model, "--quiet")
    with open(model, "rb") as f:
        good = f.read()
    blob_at = good.index(b"\nblob ") + 1
    blob_at = good.index(b"\n", blob_at) + 1
    flipped = bytearray(good)
    flipped[blob_at + 40] ^= 0x10
    variants = {
        "truncated": good[:-10],
        "padded": good + b"\0",
        "magic": b"Descent-model 1" + good[15:],
        "crc": bytes(flipped),
        "empty": b"",
        "header_only": good[:blob_at - 1],
        "feature_count": good.replace(b"feature strain\n", b""),
        "unknown_key": good.replace(b"target ", b"targt "),
    }
    for name, blob in variants.items():
        path = write(name + ".dscb", blob, "wb")
        _, err = run("info", path, expect=EXIT_IO)
        check("model" in err, "%s: %s" % (name, err))
        run("predict", path, data("sensor.csv"), expect=EXIT_IO)
    _, err = run("info", work("missing.dscb"), expect=EXIT_IO)
    check("No such file" in err, err)


def case_softmax():
    header, rows = penguins()
    path = write_csv("penguins.csv", header, rows)
    feats = header[:3]
    classes = sorted({r[3] for r in rows})  # bytewise: ASCII names sort by code point
    model = work("p.dscb")
    _, err = run("train", path, "--target", "species", "--model", "softmax", "-o", model)
    check("converged: yes" in err and "solver: newton" in err, err)
    out, _ = run("info", model)
    for s in ["kind:         softmax", "n_classes:    3", "parameters:   12",
              'classes:      0 = Adelie, 1 = Chinstrap, 2 = Gentoo, "big"',
              'w[Gentoo, "big"][flipper_mm]']:
        check(s in out, "info lacks %r:\n%s" % (s, out))
    # Labels: class names, those of dsc_predict's class index (the C program).
    pred = parse_csv(run("predict", model, path)[0])
    check(pred[0] == ["species"], "predict header: %r" % pred[0])
    labels = [r[0] for r in pred[1:]]
    index = predict_c(model, header, rows, feats)
    check(labels == [classes[int(v)] for v in index], "labels differ from dsc_predict's")
    acc = sum(p == r[3] for p, r in zip(labels, rows)) / len(rows)
    check(acc > 0.7, "training accuracy %.3f (1/3 by chance)" % acc)
    # Probabilities: one column per class, p_<name> in class order; rows sum to 1; the
    # label is the most probable class.
    proba = parse_csv(run("predict", model, path, "--proba")[0])
    check(proba[0] == ["p_" + c for c in classes], "proba header: %r" % proba[0])
    P = [[float(v) for v in r] for r in proba[1:]]
    check(len(P) == len(rows) and all(abs(sum(p) - 1) < 1e-6 for p in P), "rows do not sum to 1")
    check([classes[p.index(max(p))] for p in P] == labels, "labels are not the argmax")
    # Independent of the library: the softmax of info's parameters (float64) gives the same
    # probabilities, and the mean log-loss's gradient vanishes there (the optimum). Gradients
    # are taken in standardized columns ((x - mean) / sd), so one bound fits every column.
    params = info_params(model)
    X = [[float(v) for v in r[:3]] for r in rows]
    ref = softmax_proba(params, classes, feats, X)
    err = max(abs(a - b) for p, q in zip(P, ref) for a, b in zip(p, q))
    # (1e-5: the library's float32 logits add terms of ~20 in raw units, ~1e-6 rounding.)
    check(err < 1e-5, "probabilities differ from the parameters' softmax by %.3g" % err)
    n = len(rows)
    mu = [sum(x[j] for x in X) / n for j in range(3)]
    sd = [math.sqrt(sum((x[j] - mu[j]) ** 2 for x in X) / n) for j in range(3)]
    Z = [[(x[j] - mu[j]) / sd[j] for j in range(3)] for x in X]
    grad = 0.0
    for k, c in enumerate(classes):
        r = [q[k] - (row[3] == c) for q, row in zip(ref, rows)]  # d loss / d z_k per row
        grad = max(grad, abs(sum(r)) / n)
        for j in range(3):
            grad = max(grad, abs(sum(rk * z[j] for rk, z in zip(r, Z))) / n)
    check(grad < 1e-5, "gradient at the fitted parameters %.3g: not the optimum" % grad)
    # A held-out score is an accuracy.
    _, err = run("train", path, "--target", "species", "--model", "softmax", "-o",
                 work("h.dscb"), "--holdout", "0.25")
    m = re.search(r"held-out accuracy ([0-9.]+) \(\d+/75 rows\)", err)
    check(m and float(m.group(1)) > 0.6, err)
    # Minibatch SGD trains softmax too.
    run("train", path, "--target", "species", "--model", "softmax", "-o", work("sgd.dscb"),
        "--batch-size", "32", "--lr", "0.05", "--max-epochs", "100", "--standardize", "on",
        "--quiet")
    pred = parse_csv(run("predict", work("sgd.dscb"), path)[0])[1:]
    check(sum(p[0] == r[3] for p, r in zip(pred, rows)) / len(rows) > 0.7, "SGD accuracy")


def case_softmax_and_usage():
    s = data("sensor.csv")
    # Softmax refusals. A continuous target is no class column: it stops at the class past
    # DSC_MAX_CLASSES (256), at its line. One class, an empty label, class weights and hinge.
    _, err = run("train", s, "--target", "signal_mV", "--model", "softmax", "-o", work("x.dscb"),
                 expect=EXIT_DATA)
    check(re.search(r"line \d+, column 4 \(signal_mV\): class number 257", err) and
          "at most 256 classes" in err, err)
    one = write("one.csv", "a,y\n1,cat\n2,cat\n")
    _, err = run("train", one, "--target", "y", "--model", "softmax", "-o", work("x.dscb"),
                 expect=EXIT_DATA)
    check("single class" in err, err)
    gap = write("gap.csv", "a,y\n1,cat\n2,\n3,dog\n")
    _, err = run("train", gap, "--target", "y", "--model", "softmax", "-o", work("x.dscb"),
                 expect=EXIT_DATA)
    check("line 3, column 2 (y): missing label" in err, err)
    header, rows = penguins(60)
    p = write_csv("penguins.csv", header, rows)
    for bad, field in ((["--class-weight", "1,2"], "class_weight"), (["--loss", "hinge"], "loss")):
        _, err = run("train", p, "--target", "species", "--model", "softmax", "-o",
                     work("x.dscb"), *bad, expect=EXIT_USAGE)
        check("config." + field in err, err)
    # A model file whose class names do not match the model's classes is refused.
    run("train", p, "--target", "species", "--model", "softmax", "-o", work("p.dscb"), "--quiet")
    with open(work("p.dscb"), "rb") as f:
        good = f.read()
    path = write("two_names.dscb", good.replace(b"class Adelie\n", b""), "wb")
    _, err = run("predict", path, p, expect=EXIT_IO)
    check("2 class names for a softmax model of 3 classes" in err, err)
    for bad in (["--lr", "abc"], ["--max-epochs", "-3"], ["--reduction", "median"],
                ["--bogus"], ["--holdout", "1.5"], ["--nesterov", "1"],  # nesterov needs momentum
                ["--model", "poly"], ["--features", "strain,strain"], ["--degree", "3"]):
        _, err = run("train", s, "--target", "signal_mV", "-o", work("x.dscb"), *bad,
                     expect=EXIT_USAGE)
        check(err.startswith("descent: "), err)
    run("train", s, "-o", work("x.dscb"), expect=EXIT_USAGE)            # no --target
    run("train", s, "--target", "signal_mV", expect=EXIT_USAGE)         # no -o
    run("predict", work("x.dscb"), expect=EXIT_USAGE)
    check(not os.path.exists(work("x.dscb")), "model written after a usage error")
    # A learning rate far too large on raw units diverges: exit 3, nothing written.
    _, err = run("train", s, "--target", "signal_mV", "-o", work("d.dscb"), "--lr", "1",
                 "--standardize", "off", "--quiet", expect=EXIT_TRAIN)
    check("diverged" in err, err)
    check(not os.path.exists(work("d.dscb")), "model written after divergence")
    # Writing into a directory that does not exist: I/O error.
    run("train", s, "--target", "signal_mV", "-o", work("no/such/dir.dscb"), "--quiet",
        expect=EXIT_IO)


def read_png_rgba(path):
    """Decodes a non-interlaced 8-bit RGBA (or RGB) PNG: returns (w, h, rows of bytes)."""
    with open(path, "rb") as f:
        png = f.read()
    check(png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG")
    pos, idat, w = 8, b"", None
    while pos < len(png):
        n, kind = struct.unpack(">I4s", png[pos:pos + 8])
        body = png[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            check(depth == 8 and ctype in (2, 6) and interlace == 0, "unsupported PNG layout")
            bpp = 4 if ctype == 6 else 3
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ft == 1:
                line[i] = (line[i] + a) & 255
            elif ft == 2:
                line[i] = (line[i] + b) & 255
            elif ft == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def case_plot():
    if not A.rsvg or not os.path.exists(A.rsvg):
        print("rsvg-convert not found (apt-get install librsvg2-bin): skipped")
        raise Skip()
    svg = work("loss.svg")
    run("train", data("sensor.csv"), "--target", "signal_mV", "-o", work("s.dscb"), "--quiet",
        "--solver", "gd", "--standardize", "on", "--lr", "0.05", "--max-epochs", "300",
        "--plot", svg)
    with open(svg) as f:
        text = f.read()
    for s in ["<svg", "</svg>", ">epoch<", "log scale", "descent linear", "<polyline"]:
        check(s in text, "SVG lacks %r" % s)
    png = work("loss.png")
    subprocess.run([A.rsvg, "-f", "png", "-o", png, svg], check=True, timeout=60)
    w, h, bpp, rows = read_png_rgba(png)
    check((w, h) == (720, 440), "PNG size %dx%d" % (w, h))
    dark = blue = 0
    cols = {}
    for y, row in enumerate(rows):
        for x in range(w):
            r, g, b = row[x * bpp], row[x * bpp + 1], row[x * bpp + 2]
            if r < 60 and g < 60 and b < 60:
                dark += 1
            if b > 150 and r < 90 and 60 < g < 130:  # the curve's #1f5fbf
                blue += 1
                cols.setdefault(x, []).append(y)
    check(dark > 2000, "too few dark pixels (axes, ticks, text): %d" % dark)
    check(blue > 500, "too few curve pixels: %d" % blue)
    xs = sorted(cols)
    third = (xs[-1] - xs[0]) / 3
    left = [y for x in xs if x < xs[0] + third for y in cols[x]]
    right = [y for x in xs if x > xs[-1] - third for y in cols[x]]
    # Image y grows downwards: a falling loss has its right part lower (larger y).
    check(sum(right) / len(right) > sum(left) / len(left) + 20, "the curve does not fall")
    # Left to right, the curve's mean height never rises by more than a line width.
    means = [sum(cols[x]) / len(cols[x]) for x in xs]
    check(all(b >= a - 3 for a, b in zip(means, means[1:])), "the curve rises somewhere")
    shutil.copy(png, work("last_plot.png"))


def capture_pty(args):
    """Runs the CLI with stderr on a pseudo-terminal; returns what the terminal received."""
    master, slave = pty.openpty()
    p = subprocess.Popen([A.descent] + args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=slave)
    os.close(slave)
    out = b""
    while True:
        r, _, _ = select.select([master], [], [], 30)
        if not r:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    check(p.wait(timeout=30) == 0, "train under a pty failed")
    return out.decode("utf-8", "replace")


def case_progress():
    args = ["train", data("sensor.csv"), "--target", "signal_mV", "-o", work("s.dscb"),
            "--solver", "gd", "--standardize", "on", "--lr", "0.05", "--max-epochs", "300"]
    _, err = run(*args)
    check("\r" not in err, "carriage return in non-terminal progress")
    epochs = [int(m) for m in re.findall(r"^epoch (\d+)/300 ", err, re.M)]
    check(epochs == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300], "progress lines: %s" % epochs)
    for s in ["loss ", "lr 0.05", "elapsed ", "eta ", "stopped: reached max_epochs", "converged: no",
              "final loss:", "solver: gd"]:
        check(s in err, "progress/summary lacks %r:\n%s" % (s, err))
    _, err = run(*args, "--quiet")
    check(err == "", "--quiet printed %r" % err[:200])
    term = capture_pty(args)
    check("\repoch " in term, "no in-place (\\r) progress line on a terminal: %r" % term[:300])
    check("epoch 300/300" in term and "stopped:" in term, term[-500:])
    check(term.count("\n") < 12, "too many lines on a terminal")


def main():
    global A
    ap = argparse.ArgumentParser()
    for opt in ("--descent", "--predict-c", "--rsvg", "--data", "--work", "--case"):
        ap.add_argument(opt, required=opt != "--rsvg", default="")
    A = ap.parse_args()
    shutil.rmtree(A.work, ignore_errors=True)
    os.makedirs(A.work)
    fn = globals().get("case_" + A.case)
    if fn is None:
        print("unknown case " + A.case)
        return 2
    try:
        fn()
    except Skip:
        return 77
    except AssertionError as e:
        print("FAIL %s: %s" % (A.case, e))
        return 1
    print("ok " + A.case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
