#!/usr/bin/env python3
"""Reads clang-tidy and cppcheck output, drops the findings accepted in
tools/analysis-accepted.txt, prints the rest, and exits 1 if any is left.

A finding is `path:line:col: severity: message [check]`. An accepted entry names the file, the
check and a regular expression that the *source line* of the finding must match, so an entry
accepts exactly the code it was written for: if that line changes, the finding comes back and
someone looks at it again. Every entry carries its reason.

    analysis_filter.py LOG...
"""
import fnmatch
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ACCEPTED = os.path.join(ROOT, "tools", "analysis-accepted.txt")
DIAG = re.compile(r"^(?:(?P<path>[^:\s][^:]*):(?P<line>\d+):(?P<col>\d+): )?"
                  r"(?P<sev>warning|error|style|performance|portability|information): "
                  r"(?P<msg>.*?) \[(?P<check>[^\],]+)[^\]]*\]\s*$")


def load_accepted():
    entries = []
    with open(ACCEPTED) as f:
        for n, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = [p.strip() for p in line.split(" | ")]
            if len(parts) != 4 or not parts[3]:
                sys.exit("%s:%d: want 'path | check | source-line regex | reason'" % (ACCEPTED, n))
            entries.append({"path": parts[0], "check": parts[1], "re": re.compile(parts[2]),
                            "reason": parts[3], "used": 0, "where": n})
    return entries


def source_line(path, line):
    try:
        with open(os.path.join(ROOT, path), errors="replace") as f:
            for i, text in enumerate(f, 1):
                if i == line:
                    return text.rstrip("\n")
    except OSError:
        pass
    return ""


def main(logs):
    accepted = load_accepted()
    findings, seen = [], set()
    for log in logs:
        with open(log, errors="replace") as f:
            for raw in f:
                m = DIAG.match(raw.rstrip("\n"))
                if not m:
                    continue
                path = m.group("path") or "?"
                if os.path.isabs(path):
                    path = os.path.relpath(os.path.realpath(path), ROOT)
                key = (path, m.group("line"), m.group("col"), m.group("check"), m.group("msg"))
                if key in seen:
                    continue  # a header reported once per translation unit
                seen.add(key)
                findings.append(key)
    left = 0
    for path, line, col, check, msg in findings:
        text = source_line(path, int(line)) if line else ""
        hit = None
        for e in accepted:
            if fnmatch.fnmatch(path, e["path"]) and e["check"] == check and e["re"].search(text):
                hit = e
                break
        where = "%s:%s:%s" % (path, line, col) if line else path
        if hit:
            hit["used"] += 1
            print("accepted  %s [%s] (%s)" % (where, check, hit["reason"]))
        else:
            left += 1
            print("FINDING   %s: %s [%s]\n          %s" % (where, msg, check, text.strip()))
    for e in accepted:
        if not e["used"]:
            print("note: %s:%d matched nothing in this run (%s in %s): remove it if its code is gone"
                  % (os.path.relpath(ACCEPTED, ROOT), e["where"], e["check"], e["path"]))
    print("%d finding(s), %d accepted" % (left, len(findings) - left))
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
