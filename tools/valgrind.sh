#!/usr/bin/env bash
# Valgrind memcheck over the walkthrough examples (build/default/examples/0*): no invalid read
# or write, no use of uninitialised memory, no leak (the library allocates nothing; the examples'
# own buffers must be freed too). Each example runs on the path dispatch picks under valgrind
# (valgrind's CPU has no AVX-512, so AVX2), then forced to scalar and SSE2 with DESCENT_BACKEND.
#   BUILD_DIR=build/default (built with the default preset if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build/default}
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind not found (apt-get install valgrind)"; exit 1; }
if ! ls "$build"/examples/0* >/dev/null 2>&1; then
  cmake --preset default >/dev/null
  cmake --build --preset default
fi
fail=0
for ex in "$build"/examples/0*; do
  [ -x "$ex" ] || continue
  for path in auto scalar sse2; do
    env=()
    [ "$path" = auto ] || env=(DESCENT_BACKEND="$path")
    log="$build/valgrind-$(basename "$ex")-$path.log"
    if env "${env[@]}" valgrind --tool=memcheck --error-exitcode=99 --leak-check=full \
         --errors-for-leak-kinds=definite,indirect --track-origins=yes -q "$ex" >"$log" 2>&1; then
      printf '%-40s %-7s ok\n' "$(basename "$ex")" "$path"
    else
      printf '%-40s %-7s FAILED (%s)\n' "$(basename "$ex")" "$path" "$log"
      grep -E '^==[0-9]+==' "$log" | head -20 || true
      fail=1
    fi
  done
done
[ "$fail" = 0 ] && echo "valgrind.sh: memcheck clean" || { echo "valgrind.sh: FAILED"; exit 1; }
