#!/usr/bin/env python3
"""Writes the CLI's committed test data (ports/cli/tests/data/), deterministically (seed 13).

sensor.csv   400 readings in physical units: pressure ~1e5 Pa (spread 500 Pa), strain ~1e-3
             (spread 1e-4), temperature ~300 K (spread 5 K); the target
             signal_mV = 1000 + 2e-3 p + 5e3 strain + 0.7 T + noise (sigma 0.05).
machines.csv 400 machines: bearing temperature ~330 K and vibration ~4 mm/s; the status is
             "fault" or "ok", drawn from a logistic model (so the classes overlap).
quoted_crlf.csv  the first 40 sensor rows with CRLF line endings, a header name holding a comma
             ("pressure, Pa"), quoted numbers, and a text column "note" with quoted commas,
             doubled quotes and one note spanning two physical lines.

Run: python3 ports/cli/tests/make_data.py  (rewrites the files; the output is byte-stable).
"""
import math
import os
import random

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def sensor_rows(rng, n):
    rows = []
    for _ in range(n):
        p = 1e5 + rng.gauss(0, 500)
        s = 1e-3 + rng.gauss(0, 1e-4)
        t = 300 + rng.gauss(0, 5)
        y = 1000 + 2e-3 * p + 5e3 * s + 0.7 * t + rng.gauss(0, 0.05)
        rows.append(("%.2f" % p, "%.6e" % s, "%.3f" % t, "%.4f" % y))
    return rows


def main():
    os.makedirs(HERE, exist_ok=True)
    rng = random.Random(13)
    rows = sensor_rows(rng, 400)
    with open(os.path.join(HERE, "sensor.csv"), "w", newline="") as f:
        f.write("pressure_Pa,strain,temperature_K,signal_mV\n")
        for r in rows:
            f.write(",".join(r) + "\n")

    with open(os.path.join(HERE, "machines.csv"), "w", newline="") as f:
        f.write("bearing_temp_K,vibration_mm_s,status\n")
        for _ in range(400):
            t = 330 + rng.gauss(0, 8)
            v = 4 + rng.gauss(0, 1.2)
            z = 0.35 * (t - 330) + 1.8 * (v - 4) - 0.5
            label = "fault" if rng.random() < 1 / (1 + math.exp(-z)) else "ok"
            f.write("%.2f,%.3f,%s\n" % (t, v, label))

    notes = ['valve "A", open', "calibrated, 2026-11-30", "plain", "two\r\nlines", ""]
    with open(os.path.join(HERE, "quoted_crlf.csv"), "w", newline="") as f:
        f.write('"pressure, Pa",strain,note,"signal_mV"\r\n')
        for i, r in enumerate(rows[:40]):
            note = notes[i % len(notes)]
            note = '"' + note.replace('"', '""') + '"' if note else ""
            p = '"%s"' % r[0] if i % 2 else r[0]
            f.write("%s,%s,%s,%s\r\n" % (p, r[1], note, r[3]))


if __name__ == "__main__":
    main()
