#!/usr/bin/env bash
# Scaling benchmark of the MPI port (not a test): 1,000,000 x 32 synthetic rows, full-batch GD
# with an explicit rate (50 epochs) and the default NEWTON fit, on 1 and 2 ranks (more with
# RANKS="1 2 4"). Prints the fit time (max over ranks), the time per epoch, the speed-up over
# 1 rank and the bytes exchanged (descent-mpi-train --time counts them in the exchange); the
# fastest of REPEAT (3) runs; THREADS=2 runs each rank's passes on 2 threads.
# DESCENT_MPI_TRACE=1 adds each exchange's size and timing.
#   ports/mpi/bench_scaling.sh [path/to/descent-mpi-train]   (default: build/default, build/mpi)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
train=${1:-}
for t in "$root/build/default/ports/mpi/descent-mpi-train" "$root/build/mpi/ports/mpi/descent-mpi-train"; do
  [ -n "$train" ] || [ ! -x "$t" ] || train=$t
done
[ -x "$train" ] || { echo "bench_scaling.sh: build descent-mpi-train first, or pass its path"; exit 1; }
rows=${ROWS:-1000000} features=${FEATURES:-32} ranks=${RANKS:-"1 2"} repeat=${REPEAT:-3}
threads=${THREADS:-1} # threads per rank (descent_pool)
mpirun=(mpirun --oversubscribe)
[ "$(id -u)" -ne 0 ] || mpirun+=(--allow-run-as-root)

declare -A base
run() { # name, extra args...
  local name=$1; shift
  for np in $ranks; do
    fit=
    for _ in $(seq "$repeat"); do # the fastest of $repeat runs: the machine may be shared
      o=$("${mpirun[@]}" -np "$np" "$train" --synthetic "$rows" --features "$features" \
          --threads "$threads" --time --report "$@")
      f=$(sed -n 's/.*: fit \([0-9.]*\) s.*/\1/p' <<<"$o")
      if [ -z "$fit" ] || awk -v a="$f" -v b="$fit" 'BEGIN { exit !(a < b) }'; then
        fit=$f out=$o
      fi
    done
    per=$(sed -n 's/.* s (max over ranks), \([0-9.]*\) ms per epoch over \([0-9]*\).*/\1 ms x \2/p' <<<"$out")
    xch=$(sed -n 's/^exchange: \([0-9]*\) allgathers.*all ranks \([0-9]*\); each rank received \([0-9]*\) bytes (\([0-9]*\) per epoch.*/\1 allgathers, sent by all ranks \2 B, received per rank \3 B (\4 B per epoch)/p' <<<"$out")
    [ "$np" = "$(awk '{print $1}' <<<"$ranks")" ] && base[$name]=$fit
    speedup=$(awk -v a="${base[$name]}" -v b="$fit" 'BEGIN { printf "%.2f", a / b }')
    printf '%-8s ranks %d: fit %8.3f s, %s epochs, speed-up %s; %s\n' \
      "$name" "$np" "$fit" "$per" "$speedup" "$xch"
  done
}
echo "descent-mpi-train, $rows x $features rows, ranks: $ranks, $threads thread(s) per rank, $(nproc) cores"
run gd --units unit --standardize off --solver gd --lr 0.05 --epochs 50
run newton
