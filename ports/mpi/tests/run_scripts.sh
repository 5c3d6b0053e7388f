#!/usr/bin/env bash
# The MPI checks that need more than one mpirun, or an mpirun that must fail:
#   run_scripts.sh killed|driver "MPIEXEC ... -np" TEST_MPI DESCENT_MPI_TRAIN WORKDIR
# killed  rank 1 of 3 dies by SIGKILL at epoch 3: mpirun must exit non-zero, by itself (not
#         by timeout's 124), and say which rank died.
# driver  descent-mpi-train: the blob of a 2-rank synthetic run equals the 1-rank run's (cmp),
#         also when the 2 ranks read the data from a file; a data set too small for 2 ranks
#         fails on both, with one message.
set -u
check=$1 mpiexec=$2 test_mpi=$3 train=$4 work=$5
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
fail() { echo "FAIL: $*"; exit 1; }

case $check in
killed)
  start=$(date +%s)
  timeout 120 $mpiexec 3 "$test_mpi" --case killed >out.txt 2>&1
  rc=$?
  elapsed=$(( $(date +%s) - start ))
  cat out.txt
  echo "mpirun exit status $rc after ${elapsed} s"
  [ "$rc" -ne 124 ] || fail "mpirun hung until timeout killed it"
  [ "$rc" -ne 0 ] || fail "mpirun reported success after a rank was killed"
  grep -Eqi "signal 9|killed" out.txt || fail "mpirun's output does not name the killed rank"
  echo "pass: mpirun failed in ${elapsed} s and named the failure"
  ;;
driver)
  args=(--synthetic 70000 --features 5 --seed 3 --report --time)
  $mpiexec 1 "$train" "${args[@]}" --out one.dscb || fail "1-rank run"
  $mpiexec 2 "$train" "${args[@]}" --out two.dscb || fail "2-rank run"
  cmp one.dscb two.dscb || fail "2-rank blob differs from the 1-rank blob"
  $mpiexec 1 "$train" --synthetic 70000 --features 5 --seed 3 --write-data data.dscd ||
    fail "--write-data"
  $mpiexec 2 "$train" --file data.dscd --report --out file.dscb || fail "2-rank run from file"
  cmp one.dscb file.dscb || fail "the blob trained from the file differs"
  args=(--synthetic 70000 --features 5 --seed 3 --lr 0.05 --solver gd --epochs 20 --units unit)
  $mpiexec 1 "$train" "${args[@]}" --out gd1.dscb || fail "1-rank GD run"
  $mpiexec 3 "$train" "${args[@]}" --out gd3.dscb || fail "3-rank GD run"
  cmp gd1.dscb gd3.dscb || fail "3-rank GD blob differs from the 1-rank blob"
  $mpiexec 2 "$train" --synthetic 100 --features 3 >small.txt 2>&1
  rc=$?
  cat small.txt
  [ "$rc" -ne 0 ] || fail "100 rows on 2 ranks should fail"
  [ "$(grep -c 'descent-mpi-train:' small.txt)" -eq 1 ] || fail "expected one message"
  echo "pass: blobs identical for 1, 2 and 3 ranks; too-small data fails on every rank"
  ;;
*) fail "unknown check $check" ;;
esac
