#!/usr/bin/env bash
# Builds the libFuzzer targets (CMake preset `fuzz`: clang, ASan + UBSan, libFuzzer coverage on
# the library) and runs each one for a bounded time, starting from the committed seed corpus
# tests/fuzz/corpus/<target>/. Fails on any crash: a failed FUZZ_CHECK, a sanitizer report, a
# leak, an input taking more than 10 s (a hang) or more than 2 GB.
#
#   FUZZ_SECONDS=60   seconds per target
#   FUZZ_JOBS=1       targets run at the same time (CI on 2 cores: 2)
#   FUZZ_TARGETS="fuzz_load fuzz_load_crc fuzz_fit fuzz_kernels"
#
# New corpus entries go to build/fuzz/corpus/<target>/ (kept between runs, never committed
# automatically). A crash leaves build/fuzz/artifacts/<target>-crash-<sha1>: replay it with
#   build/fuzz/tests/fuzz/<target> <file>
# then commit it as tests/fuzz/corpus/<target>/regression-<what> and add a doctest case to
# tests/test_reliability.cpp that replays the minimised input.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-1}
targets=${FUZZ_TARGETS:-"fuzz_load fuzz_load_crc fuzz_fit fuzz_kernels"}
build=build/fuzz

command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ not found (apt-get install clang)"; exit 1; }
if ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 &&
   ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-aarch64.a >/dev/null 2>&1; then
  echo "fuzz.sh: libFuzzer runtime missing (apt-get install libclang-rt-14-dev)"
  exit 1
fi

echo "== building the fuzz targets (preset fuzz)"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

max_len() {
  case "$1" in
    fuzz_kernels) echo 16384 ;;
    fuzz_fit) echo 8192 ;;
    *) echo 4096 ;;
  esac
}

mkdir -p "$build/artifacts" "$build/logs"
run_one() {
  local t=$1 log="$build/logs/$1.log"
  mkdir -p "$build/corpus/$t"
  local rc=0
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build/tests/fuzz/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
      -max_len="$(max_len "$t")" -print_final_stats=1 \
      -artifact_prefix="$build/artifacts/$t-" \
      "$build/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  echo "$rc" >"$build/logs/$t.rc"
}

echo "== fuzzing ${secs}s per target, ${jobs} at a time: ${targets}"
running=0
for t in $targets; do
  rm -f "$build/logs/$t.rc"
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true

fail=0
printf '\n| %-14s | %12s | %6s | %7s | %15s | %-6s |\n' target executions cov ft "corpus (files)" result
printf '|%s|%s|%s|%s|%s|%s|\n' ---------------- -------------- -------- --------- ----------------- --------
for t in $targets; do
  log="$build/logs/$t.log"
  rc=$(cat "$build/logs/$t.rc" 2>/dev/null || echo 99)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | grep -E 'cov: ' | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<<"$last")
  result=ok
  if [ "$rc" != 0 ] || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|FUZZ_CHECK failed' "$log"; then
    result=CRASH
    fail=1
  fi
  printf '| %-14s | %12s | %6s | %7s | %15s | %-6s |\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result"
done
if [ "$fail" != 0 ]; then
  echo
  for t in $targets; do
    rc=$(cat "$build/logs/$t.rc" 2>/dev/null || echo 99)
    [ "$rc" = 0 ] && continue
    echo "== $t failed (rc $rc); log: $build/logs/$t.log"
    grep -E 'FUZZ_CHECK failed|ERROR:|runtime error:|SUMMARY:|Test unit written|^case:' "$build/logs/$t.log" | head -20 || true
  done
  echo "fuzz.sh: FAILED (artifacts in $build/artifacts/)"
  exit 1
fi
echo "fuzz.sh: no crash in ${secs}s per target"
