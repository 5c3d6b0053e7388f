#!/usr/bin/env bash
# Static analysis of lib/ and kernels/: clang-tidy 14 (checks in .clang-tidy) and cppcheck
# (tools/cppcheck-suppressions.txt), on the compile database of the `analyze` preset, so every
# file is analysed with its real flags (x86_avx2.cpp with -mavx2 -mfma, x86_avx512.cpp with
# -mavx512f; kernels/simd_body.inc through each of them). kernels/arm_neon.cpp is analysed too,
# for an aarch64 target, when the aarch64 cross headers are installed.
#
# Fails on any finding not accepted, by file + check + source line, in
# tools/analysis-accepted.txt (tools/analysis_filter.py). Logs: build/analyze/*.log
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=build/analyze

tidy=$(command -v clang-tidy-14 || command -v clang-tidy || true)
[ -n "$tidy" ] || { echo "analyze.sh: clang-tidy-14 not found (apt-get install clang-tidy-14)"; exit 1; }
command -v cppcheck >/dev/null || { echo "analyze.sh: cppcheck not found (apt-get install cppcheck)"; exit 1; }

echo "== compile database (preset analyze)"
cmake --preset analyze >/dev/null
db=$out/compile_commands.json
mapfile -t files < <(python3 -c '
import json, sys
for e in json.load(open(sys.argv[1])):
    f = e["file"]
    if "/lib/" in f or "/kernels/" in f:
        print(f)' "$db")
[ "${#files[@]}" -gt 0 ] || { echo "analyze.sh: no lib/ or kernels/ sources in $db"; exit 1; }

echo "== $("$tidy" --version | sed -n 's/.*LLVM version \([0-9.]*\).*/clang-tidy \1/p') on ${#files[@]} files (+ arm_neon.cpp)"
rm -rf "$out/tidy" && mkdir -p "$out/tidy"
# The root CMakeLists gives x86_avx512.cpp GCC's -Wno-maybe-uninitialized, unknown to clang.
printf '%s\n' "${files[@]}" | xargs -P "$(nproc)" -I{} sh -c \
  '"$1" -p "$2" --quiet --extra-arg=-Wno-unknown-warning-option "$3" > "$4/tidy/$(basename "$3").log" 2>&1 || true' \
  _ "$tidy" "$out" {} "$out"
if [ -d /usr/aarch64-linux-gnu/include/c++/12 ]; then
  "$tidy" --quiet kernels/arm_neon.cpp -- --target=aarch64-linux-gnu -std=c++17 -fno-exceptions -fno-rtti \
    -I"$root/lib/include" -I"$root/lib/src" -I"$root/kernels" \
    -isystem /usr/aarch64-linux-gnu/include -isystem /usr/aarch64-linux-gnu/include/c++/12 \
    -isystem /usr/aarch64-linux-gnu/include/c++/12/aarch64-linux-gnu > "$out/tidy/arm_neon.cpp.log" 2>&1 || true
else
  echo "   (no aarch64 cross headers: kernels/arm_neon.cpp skipped by clang-tidy)"
fi
cat "$out"/tidy/*.log > "$out/clang-tidy.log"

echo "== $(cppcheck --version)"
template='{file}:{line}:{column}: {severity}: {message} [{id}]'
common=(--enable=warning,style,performance,portability --std=c++17 --inline-suppr
        --suppressions-list=tools/cppcheck-suppressions.txt --template="$template" --quiet
        --error-exitcode=0)
cppcheck "${common[@]}" --project="$db" --platform=unix64 -D__x86_64__ -D__GNUC__ -i ports \
  2> "$out/cppcheck.log"
cppcheck "${common[@]}" --language=c++ --platform=unix64 -D__aarch64__ -D__ARM_NEON -D__GNUC__ \
  -Ilib/include -Ilib/src -Ikernels kernels/arm_neon.cpp 2>> "$out/cppcheck.log"

echo "== findings"
python3 tools/analysis_filter.py "$out/clang-tidy.log" "$out/cppcheck.log"
