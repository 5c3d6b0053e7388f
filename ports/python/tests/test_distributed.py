"""descent.distributed: data-parallel fits, bit-identical to one process.

Most tests run the ranks as threads of this process over ThreadComm, an in-process
communicator with mpi4py's lower-case interface (ctypes releases the GIL inside dsc_fit, so
the ranks' fits really run side by side and meet in the exchange). They need neither MPI nor
mpi4py, and run in every suite (source tree, installed package, wheel venv).

The tests marked `mpi` run over mpi4py's COMM_WORLD and only when this pytest is one of
several ranks started by mpirun (OMPI_COMM_WORLD_SIZE / PMI_SIZE set); every rank runs the
same tests in the same order, so each is collective. ctest runs tests/mpi_check.py under
mpirun for 1, 2 and 3 ranks instead (label `mpi`); by hand:

    mpirun --allow-run-as-root --oversubscribe -np 3 \
        python -m pytest -q ports/python/tests/test_distributed.py
"""
import ctypes
import os
import pickle
import threading
import warnings

import numpy as np
import pytest

import descent
import descent.distributed as dd
from descent import _capi

CHUNK = dd.CHUNK_ROWS
N_ROWS = 3 * CHUNK + 500


# ---- an in-process communicator --------------------------------------------------------------
class _World:
    def __init__(self, size, timeout=120):
        self.size = size
        self.slots = [None] * size
        self.barrier = threading.Barrier(size, timeout=timeout)


class ThreadComm:
    """mpi4py's Get_rank / Get_size / allgather for `size` threads of one process."""

    def __init__(self, world, rank):
        self.world, self.rank = world, rank
        self.calls = 0

    def Get_rank(self):
        return self.rank

    def Get_size(self):
        return self.world.size

    def allgather(self, obj):
        self.calls += 1
        self.world.slots[self.rank] = obj
        self.world.barrier.wait()
        out = list(self.world.slots)
        self.world.barrier.wait()
        return out


def run_ranks(size, body, comm_class=ThreadComm):
    """body(comm) on `size` threads; returns each rank's result or exception."""
    world = _World(size)
    out = [None] * size

    def go(r):
        try:
            out[r] = body(comm_class(world, r))
        except BaseException as e:  # noqa: BLE001 - the test inspects it
            out[r] = e

    threads = [threading.Thread(target=go, args=(r,)) for r in range(size)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not any(t.is_alive() for t in threads), "a rank hung"
    return out


def fit_ranks(size, make, X, y, bounds=None):
    bounds = bounds or dd.shards(len(X), size)

    def body(comm):
        a, b = bounds[comm.Get_rank()]
        return dd.fit(comm, make(), X[a:b], y[a:b])

    return run_ranks(size, body)


# ---- data: columns in physical units, far from standardized ----------------------------------
def physical_data(n=N_ROWS, seed=20240611):
    rng = np.random.default_rng(seed)
    X = np.column_stack([
        rng.normal(293.0, 8.0, n),        # temperature, K
        rng.normal(101325.0, 900.0, n),   # pressure, Pa
        rng.normal(0.012, 0.003, n),      # flow, m^3/s
        rng.normal(230.0, 4.0, n),        # voltage, V
    ])
    z = ((X[:, 0] - 293.0) / 8.0 - 0.7 * (X[:, 1] - 101325.0) / 900.0 +
         0.5 * (X[:, 2] - 0.012) / 0.003 + 0.3)
    y_reg = 40.0 + 0.8 * X[:, 0] - 0.002 * X[:, 1] + 900.0 * X[:, 2] + rng.normal(0, 1.5, n)
    y_cls = np.where(rng.uniform(size=n) < 1.0 / (1.0 + np.exp(-z)), "on", "off")
    return X, y_reg, y_cls


@pytest.fixture(scope="module")
def data():
    return physical_data()


def same_fit(a, b):
    assert type(a) is type(b)
    assert np.array_equal(a.params_, b.params_)
    for name in ("coef_", "intercept_"):  # Legendre3 has neither, Polynomial no intercept_
        if hasattr(b, name):
            assert np.array_equal(np.asarray(getattr(a, name)), np.asarray(getattr(b, name)))
    assert a.n_iter_ == b.n_iter_
    assert a.fit_report_ == b.fit_report_
    assert a.loss_history_ == b.loss_history_
    assert a.n_features_in_ == b.n_features_in_
    assert a.save() == b.save()
    if hasattr(b, "classes_"):
        assert np.array_equal(a.classes_, b.classes_)


# ---- shards ----------------------------------------------------------------------------------
def test_shards_are_chunk_aligned_and_cover_the_rows():
    for n in (1, CHUNK - 1, CHUNK, CHUNK + 1, N_ROWS, 10 * CHUNK, 10 * CHUNK + 7):
        for size in range(1, 12):
            units = -(-n // CHUNK)  # whole chunks, plus one for the rest
            if size > units:
                with pytest.raises(ValueError, match="fewer than"):
                    dd.shards(n, size)
                continue
            s = dd.shards(n, size)
            assert s[0][0] == 0 and s[-1][1] == n
            assert all(a < b for a, b in s)
            assert all(s[i][1] == s[i + 1][0] for i in range(size - 1))
            assert all((b - a) % CHUNK == 0 for a, b in s[:-1])
            whole = [(b - a) // CHUNK for a, b in s]
            assert max(whole) - min(whole) <= 1  # whole chunks spread evenly
            assert s[-1][1] - s[-1][0] - whole[-1] * CHUNK == n % CHUNK  # the rest: last rank
    assert dd.shards(N_ROWS, 3) == [(0, CHUNK), (CHUNK, 2 * CHUNK), (2 * CHUNK, N_ROWS)]
    assert dd.shards(N_ROWS, 2) == [(0, 2 * CHUNK), (2 * CHUNK, N_ROWS)]
    assert dd.shards(N_ROWS, 4) == [(0, CHUNK), (CHUNK, 2 * CHUNK), (2 * CHUNK, 3 * CHUNK),
                                    (3 * CHUNK, N_ROWS)]
    assert dd.shards(5 * CHUNK + 1, 3) == [(0, 2 * CHUNK), (2 * CHUNK, 4 * CHUNK),
                                           (4 * CHUNK, 5 * CHUNK + 1)]
    with pytest.raises(ValueError):
        dd.shards(0, 1)
    world = _World(3)
    assert dd.shard(N_ROWS, ThreadComm(world, 1)) == (CHUNK, 2 * CHUNK)


# ---- the exchange callback -------------------------------------------------------------------
def test_exchange_appends_and_gathers_in_rank_order():
    def body(comm):
        ex = dd._Exchange(comm)
        r = comm.Get_rank()
        n = ctypes.c_size_t(123)
        got = []
        for round_ in range(3):
            # rank r appends r + round_ doubles, in two pieces (rank 0, round 0: nothing)
            vals = np.arange(r + round_, dtype=np.float64) + 100 * r + 10 * round_
            for piece in (vals[:1], vals[1:]):
                if piece.size:
                    p = ex.fn(None, piece.ctypes.data, piece.nbytes, _capi.EXCHANGE_APPEND, None)
                    assert p  # non-NULL
            addr = ex.fn(None, None, 0, _capi.EXCHANGE_ALLGATHER, ctypes.byref(n))
            assert addr and addr % 8 == 0
            got.append(np.frombuffer(ctypes.string_at(addr, n.value), dtype=np.float64).copy())
        assert ex.error is None
        return got

    res = run_ranks(3, body)
    for r in range(3):
        for round_ in range(3):
            want = np.concatenate([np.arange(q + round_, dtype=np.float64) + 100 * q + 10 * round_
                                   for q in range(3)])
            assert np.array_equal(res[r][round_], want)
    assert all(np.array_equal(res[0][i], res[r][i]) for r in range(3) for i in range(3))


def test_exchange_returns_null_instead_of_raising():
    class Broken(ThreadComm):
        def allgather(self, obj):
            raise RuntimeError("network down")

    ex = dd._Exchange(Broken(_World(1), 0))
    n = ctypes.c_size_t(0)
    assert ex.fn(None, None, 0, _capi.EXCHANGE_ALLGATHER, ctypes.byref(n)) is None
    assert isinstance(ex.error, RuntimeError)
    assert ex.fn(None, None, 0, 99, ctypes.byref(n)) is None  # unknown op: NULL too
    # an empty message gathers to a valid, aligned, zero-length buffer
    ok = dd._Exchange(ThreadComm(_World(1), 0))
    addr = ok.fn(None, None, 0, _capi.EXCHANGE_ALLGATHER, ctypes.byref(n))
    assert addr and addr % 8 == 0 and n.value == 0


# ---- bit-identical fits ----------------------------------------------------------------------
@pytest.mark.parametrize("size", [1, 2, 3])
def test_linear_is_bit_identical_to_one_process(data, size):
    X, y, _ = data
    ref = descent.LinearRegression().fit(X, y)
    assert ref.fit_report_["converged"] and ref.fit_report_["standardized"]
    res = fit_ranks(size, descent.LinearRegression, X, y)
    for est in res:
        assert not isinstance(est, BaseException), est
        same_fit(est, ref)


@pytest.mark.parametrize("size", [1, 2, 3])
def test_logistic_is_bit_identical_to_one_process(data, size):
    X, _, y = data
    ref = descent.LogisticRegression().fit(X, y)
    assert ref.fit_report_["solver"] == "newton" and ref.fit_report_["converged"]
    res = fit_ranks(size, descent.LogisticRegression, X, y)
    for est in res:
        assert not isinstance(est, BaseException), est
        same_fit(est, ref)
        assert list(est.classes_) == ["off", "on"]


def test_full_batch_gd_with_explicit_lr_is_bit_identical(data):
    X, y, _ = data
    X = (X - X.mean(0)) / X.std(0)
    make = lambda: descent.LinearRegression(lr=0.1, max_epochs=30)  # noqa: E731
    ref = make().fit(X, y)
    for est in fit_ranks(3, make, X, y):
        same_fit(est, ref)


@pytest.mark.parametrize("make", [
    lambda: descent.PolynomialRegression(degree=3),
    lambda: descent.Legendre3Regression(),
    # GD with lr=0: the estimator's rate search trains trial models, distributed too
    lambda: descent.Legendre3Regression(solver="gd", max_epochs=40),
], ids=["polynomial", "legendre3-newton", "legendre3-gd-rate-search"])
def test_one_column_models_are_bit_identical(make):
    rng = np.random.default_rng(7)
    x = rng.uniform(-1.0, 1.0, N_ROWS)
    y = np.sin(2.0 * x) + 0.05 * rng.normal(size=N_ROWS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", descent.ConvergenceWarning)
        ref = make().fit(x, y)
        res = fit_ranks(3, make, x, y)
    for est in res:
        assert not isinstance(est, BaseException), est
        same_fit(est, ref)
        assert est.lr_ == ref.lr_


def test_partial_fit_continues_alike(data):
    X, y, _ = data
    make = lambda: descent.LinearRegression(solver="gd", max_epochs=20)  # noqa: E731
    ref = make().fit(X, y).partial_fit(X, y)
    bounds = dd.shards(len(X), 2)

    def body(comm):
        a, b = bounds[comm.Get_rank()]
        est = dd.fit(comm, make(), X[a:b], y[a:b])
        return dd.partial_fit(comm, est, X[a:b], y[a:b])

    for est in run_ranks(2, body):
        same_fit(est, ref)


def test_one_class_on_a_rank_uses_the_union_of_labels(data):
    X, _, y = data
    y = y.copy()
    y[:CHUNK] = "off"  # rank 0 of 3 sees one class only
    ref = descent.LogisticRegression().fit(X, y)
    for est in fit_ranks(3, descent.LogisticRegression, X, y):
        same_fit(est, ref)


def test_dataframe_sets_feature_names(data):
    pd = pytest.importorskip("pandas")
    X, y, _ = data
    cols = ["temperature_K", "pressure_Pa", "flow_m3s", "voltage_V"]
    df = pd.DataFrame(X, columns=cols)
    ref = descent.LinearRegression().fit(df, y)
    bounds = dd.shards(len(X), 2)

    def body(comm):
        a, b = bounds[comm.Get_rank()]
        return dd.fit(comm, descent.LinearRegression(), df.iloc[a:b], y[a:b])

    for est in run_ranks(2, body):
        same_fit(est, ref)
        assert list(est.feature_names_in_) == cols

    def renamed(comm):
        a, b = bounds[comm.Get_rank()]
        part = df.iloc[a:b]
        if comm.Get_rank() == 1:
            part = part.rename(columns={"flow_m3s": "flow"})
        return dd.fit(comm, descent.LinearRegression(), part, y[a:b])

    res = run_ranks(2, renamed)
    assert all(isinstance(e, ValueError) and "feature names differ" in str(e) for e in res)


def test_fitted_estimator_is_local_afterwards(data):
    X, y, _ = data
    res = fit_ranks(2, descent.LinearRegression, X, y)
    est = res[1]
    assert not hasattr(est, "_exchange")
    ref = descent.LinearRegression().fit(X, y)
    # predict, loss and score need no other rank; pickling and clone work as usual
    assert np.array_equal(est.predict(X[:100]), ref.predict(X[:100]))
    assert est.compute_loss(X, y) == ref.compute_loss(X, y)
    same_fit(pickle.loads(pickle.dumps(est)), ref)
    est.partial_fit(X, y)  # a plain local partial_fit
    ref.partial_fit(X, y)
    assert np.array_equal(est.params_, ref.params_)


# ---- errors are raised on every rank ---------------------------------------------------------
def _all_raise(res, exc, match=None):
    assert all(isinstance(e, exc) for e in res), res
    assert len({str(e) for e in res}) == 1, [str(e) for e in res]
    if match:
        assert match in str(res[0]), str(res[0])


@pytest.mark.parametrize("size", [2, 3])
def test_nan_on_one_rank_raises_on_every_rank(data, size):
    X, y, _ = data
    X = X.copy()
    X[-3, 2] = np.nan  # on the last rank
    _all_raise(fit_ranks(size, descent.LinearRegression, X, y), ValueError,
               f"rank {size - 1} of {size}")


def test_nan_reaching_the_library_fails_on_every_rank(data):
    """Below the Python validation: the library's status is the same on every rank."""
    X, y, _ = data
    X = np.ascontiguousarray(X, dtype=np.float32)
    y = np.ascontiguousarray(y, dtype=np.float32)
    X[CHUNK + 9, 0] = np.inf  # rank 1 of 3
    bounds = dd.shards(len(X), 3)

    def body(comm):
        a, b = bounds[comm.Get_rank()]
        est = descent.LinearRegression()
        est.n_features_in_ = X.shape[1]
        dd._train(comm, est, lambda ex: est._fit_arrays(X[a:b], y[a:b]))

    res = run_ranks(3, body)
    assert all(isinstance(e, descent.DescentError) for e in res), res
    assert {e.status_name for e in res} == {"DSC_ERR_NONFINITE_INPUT"}


def test_misaligned_shards_raise_on_every_rank(data):
    X, y, _ = data
    res = fit_ranks(2, descent.LinearRegression, X, y, bounds=[(0, 1000), (1000, len(X))])
    _all_raise(res, ValueError, "multiple of 16384")


def test_empty_shard_raises_on_every_rank(data):
    X, y, _ = data
    res = fit_ranks(2, descent.LinearRegression, X[:CHUNK], y[:CHUNK],
                    bounds=[(0, CHUNK), (CHUNK, CHUNK)])
    _all_raise(res, ValueError, "rank 1 of 2")


def test_different_columns_or_parameters_raise_on_every_rank(data):
    X, y, _ = data
    bounds = dd.shards(len(X), 2)

    def columns(comm):
        a, b = bounds[comm.Get_rank()]
        return dd.fit(comm, descent.LinearRegression(), X[a:b, : 3 + comm.Get_rank()], y[a:b])

    _all_raise(run_ranks(2, columns), ValueError, "different number of features")

    def params(comm):
        a, b = bounds[comm.Get_rank()]
        est = descent.LinearRegression(max_epochs=100 + comm.Get_rank())
        return dd.fit(comm, est, X[a:b], y[a:b])

    _all_raise(run_ranks(2, params), ValueError, "parameters differ")

    def verbose_differs(comm):  # verbose and n_jobs may differ: they change no result
        a, b = bounds[comm.Get_rank()]
        est = descent.LinearRegression(n_jobs=1 + comm.Get_rank())
        return dd.fit(comm, est, X[a:b], y[a:b])

    ref = descent.LinearRegression().fit(X, y)
    for est in run_ranks(2, verbose_differs):
        same_fit(est, ref)


def test_a_third_class_on_one_rank_makes_every_rank_multinomial(data):
    X, _, y = data
    y = y.astype(object)
    y[-1] = "broken"  # only the last rank sees a third label
    ref = descent.LogisticRegression().fit(X, y)
    assert ref.coef_.shape == (3, X.shape[1])
    for est in fit_ranks(3, descent.LogisticRegression, X, y):
        same_fit(est, ref)


def test_a_failing_transport_is_dsc_err_comm_on_every_rank(data):
    X, y, _ = data

    class Flaky(ThreadComm):
        def allgather(self, obj):
            if self.calls >= 6:  # after the validation's collectives, inside dsc_fit
                self.calls += 1
                raise ConnectionError("link lost")
            return super().allgather(obj)

    bounds = dd.shards(len(X), 2)

    def body(comm):
        a, b = bounds[comm.Get_rank()]
        return dd.fit(comm, descent.LinearRegression(), X[a:b], y[a:b])

    res = run_ranks(2, body, comm_class=Flaky)
    assert all(isinstance(e, descent.DescentError) for e in res), res
    assert {e.status_name for e in res} == {"DSC_ERR_COMM"}
    assert all(isinstance(e.__cause__, ConnectionError) for e in res)


# ---- over real MPI (only under mpirun with several ranks) ------------------------------------
def _mpi_size():
    for var in ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS"):
        if os.environ.get(var):
            return int(os.environ[var])
    return 0


mpi = pytest.mark.skipif(_mpi_size() < 1, reason="not started by mpirun (run: mpirun -np N python -m pytest ...)")


@pytest.fixture(scope="module")
def world():
    MPI = pytest.importorskip("mpi4py.MPI")
    return MPI.COMM_WORLD


@mpi
@pytest.mark.parametrize("cls", [descent.LinearRegression, descent.LogisticRegression])
def test_mpi_fit_is_bit_identical(world, data, cls):
    X, y_reg, y_cls = data
    y = y_cls if cls is descent.LogisticRegression else y_reg
    ref = cls().fit(X, y)
    a, b = dd.shard(len(X), world)
    est = dd.fit(world, cls(), X[a:b], y[a:b])
    same_fit(est, ref)
    blobs = world.allgather(est.save())
    assert all(b == blobs[0] for b in blobs)


@mpi
def test_mpi_nan_raises_on_every_rank(world, data):
    X, y, _ = data
    X = X.copy()
    X[-1, 0] = np.nan
    a, b = dd.shard(len(X), world)
    with pytest.raises(ValueError) as err:
        dd.fit(world, descent.LinearRegression(), X[a:b], y[a:b])
    msgs = world.allgather(str(err.value))
    assert all(m == msgs[0] for m in msgs)
