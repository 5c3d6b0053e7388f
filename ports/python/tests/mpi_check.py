"""descent.distributed over real MPI (mpi4py), run by ctest under mpirun for 1, 2 and 3 ranks:

    mpirun --allow-run-as-root --oversubscribe -np 3 python3 ports/python/tests/mpi_check.py

(with DESCENT_LIBRARY and PYTHONPATH=ports/python/src for the source tree). Every rank checks
that LinearRegression and LogisticRegression (default settings) fitted on its shard of
3 * 16384 + 500 rows with physical-unit columns are bit-identical to the same estimator fitted
on all the rows in this one process, and identical on every rank; that a NaN on one rank
raises the same exception on every rank, as does a NaN that reaches the C library. A failed
check prints it and aborts the whole job (MPI_Abort), so no rank waits forever; exit 0 = all
passed on every rank.
"""
import os
import sys
import traceback

import numpy as np

from mpi4py import MPI

import descent
import descent.distributed as dd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_distributed import physical_data, same_fit  # noqa: E402 - the tests' data set

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()


def check_bit_identical(X, y_reg, y_cls):
    a, b = dd.shard(len(X), comm)
    for cls, y in ((descent.LinearRegression, y_reg), (descent.LogisticRegression, y_cls)):
        ref = cls().fit(X, y)
        est = dd.fit(comm, cls(), X[a:b], y[a:b])
        same_fit(est, ref)
        assert ref.fit_report_["converged"], ref.fit_report_
        blobs = comm.allgather(est.save())
        assert all(blob == blobs[0] for blob in blobs), "the ranks' models differ"
        reps = comm.allgather((est.n_iter_, est.fit_report_, est.loss_history_,
                               np.asarray(est.coef_).tobytes(),
                               np.asarray(est.intercept_).tobytes()))
        assert all(r == reps[0] for r in reps)
        if rank == 0:
            print(f"[{size} rank(s)] {cls.__name__}: bit-identical to one process "
                  f"({ref.fit_report_['solver']}, {ref.n_iter_} iterations, coef_ "
                  f"{np.asarray(est.coef_).ravel()})", flush=True)


def expect_same_error_everywhere(run, exc, what):
    try:
        run()
    except exc as e:
        got = (type(e).__name__, getattr(e, "status_name", None), str(e) if exc is ValueError
               else None)
    else:
        got = None
    seen = comm.allgather(got)
    assert all(g is not None for g in seen), f"{what}: some rank did not raise: {seen}"
    assert all(g == seen[0] for g in seen), f"{what}: the ranks raised differently: {seen}"
    if rank == 0:
        print(f"[{size} rank(s)] {what}: every rank raised {seen[0][0]}"
              f"{' ' + seen[0][1] if seen[0][1] else ''}", flush=True)


def check_errors(X, y_reg):
    a, b = dd.shard(len(X), comm)
    Xn = X.copy()
    Xn[-2, 1] = np.nan  # on the last rank only
    expect_same_error_everywhere(
        lambda: dd.fit(comm, descent.LinearRegression(), Xn[a:b], y_reg[a:b]), ValueError,
        "NaN on the last rank (Python validation)")

    # Below the Python validation: the library's status is the same on every rank.
    X32 = np.ascontiguousarray(X, dtype=np.float32)
    y32 = np.ascontiguousarray(y_reg, dtype=np.float32)
    X32[len(X32) - 1, 0] = np.nan

    def into_c():
        est = descent.LinearRegression()
        est.n_features_in_ = X32.shape[1]
        dd._train(comm, est, lambda ex: est._fit_arrays(X32[a:b], y32[a:b]))

    expect_same_error_everywhere(into_c, descent.DescentError, "NaN reaching dsc_fit")

    # The communicator still works after the failures: a clean fit again.
    ref = descent.LinearRegression().fit(X, y_reg)
    same_fit(dd.fit(comm, descent.LinearRegression(), X[a:b], y_reg[a:b]), ref)


def main():
    X, y_reg, y_cls = physical_data()
    check_bit_identical(X, y_reg, y_cls)
    check_errors(X, y_reg)
    comm.Barrier()
    if rank == 0:
        print(f"mpi_check: all passed on {size} rank(s) "
              f"(library {descent.library_path()})", flush=True)


if __name__ == "__main__":
    try:
        main()
    except BaseException:  # noqa: BLE001 - any failure ends every rank
        sys.stderr.write(f"mpi_check: rank {rank} of {size} FAILED\n")
        traceback.print_exc()
        sys.stderr.flush()
        comm.Abort(1)
