"""Data-parallel training across processes, over MPI through mpi4py (or any communicator with
mpi4py's lower-case ``allgather``, ``Get_rank`` and ``Get_size``).

Every rank builds the same estimator and calls ``fit(comm, estimator, X_local, y_local)`` on its
own shard of the rows: rank r holds the rows that follow those of ranks 0..r-1, and every shard
but the last holds a whole number of ``CHUNK_ROWS`` (16384) rows (``shard`` computes such a
split). The C library computes each pass's sums per global chunk of 16384 rows and folds them
in global chunk order through the exchange below, so ``coef_``, ``intercept_``, ``n_iter_``,
``loss_history_`` and ``fit_report_`` are bit-identical to one process fitting the
concatenated rows (full-batch GD, NEWTON, standardization), for any number of ranks, and the
same on every rank. Minibatch SGD: see the repository README ("Many machines").

    from mpi4py import MPI
    import descent, descent.distributed as dd

    comm = MPI.COMM_WORLD
    start, stop = dd.shard(n_rows, comm)          # this rank's rows
    m = dd.fit(comm, descent.LinearRegression(), X[start:stop], y[start:stop])

Errors are collective: input that fails validation on one rank (NaN, wrong shape, a
different number of columns, a shard that is not chunk-aligned) raises the same exception, with
the same message, on every rank before any rank enters C; a failure inside the library
(DSC_ERR_*) is returned by every rank alike, so every rank raises ``DescentError``.
"""
import builtins
import ctypes

import numpy as np

from . import _capi
from ._capi import DescentError
from .estimators import LogisticRegression, _DescentEstimator

__all__ = ["fit", "partial_fit", "shard", "shards", "CHUNK_ROWS"]

CHUNK_ROWS = _capi.CHUNK_ROWS

# Parameters that do not change what is computed: ranks may differ in them (e.g. verbose only on
# rank 0, a thread pool sized to each machine).
_LOCAL_PARAMS = ("verbose", "n_jobs")


def shards(n_total, size):
    """[(start, stop)] for `size` ranks over `n_total` rows: the whole CHUNK_ROWS-row chunks
    spread as evenly as possible (the first ranks take one more when they do not divide), and
    the rows after the last whole chunk on the last rank. ValueError if some rank would get no
    rows."""
    n_total, size = int(n_total), int(size)
    if size < 1:
        raise ValueError(f"communicator size must be >= 1, got {size}")
    if n_total < 1:
        raise ValueError(f"n_total must be >= 1, got {n_total}")
    whole, rest = divmod(n_total, CHUNK_ROWS)
    if whole + (1 if rest else 0) < size:
        raise ValueError(
            f"{n_total} rows hold {whole} whole chunk(s) of {CHUNK_ROWS} rows"
            f"{f' and {rest} more rows' if rest else ''}: fewer than the {size} ranks need "
            f"(every rank but the last holds whole chunks, and each at least one row); use at "
            f"most {whole + (1 if rest else 0)} rank(s)")
    base, extra = divmod(whole, size)
    out, start = [], 0
    for r in range(size):
        stop = start + (base + (1 if r < extra else 0)) * CHUNK_ROWS
        if r == size - 1:
            stop = n_total
        out.append((start, stop))
        start = stop
    return out


def shard(n_total, comm):
    """(start, stop): this rank's rows of `n_total` under `shards` (chunk-aligned)."""
    return shards(n_total, comm.Get_size())[comm.Get_rank()]


class _Exchange:
    """The dsc_exchange_fn of one fit, over comm.allgather. The ctypes callback (``fn``) and
    the last gathered buffer live as long as this object; the estimator references it while
    its model may call it."""

    def __init__(self, comm):
        self.comm = comm
        self.rank = int(comm.Get_rank())
        self.size = int(comm.Get_size())
        self.error = None  # the first Python exception inside the callback (returned NULL)
        self._out = bytearray()
        self._gathered = None
        self._token = ctypes.c_uint64(0)  # any non-NULL address answers APPEND
        self.fn = _capi.EXCHANGE_FN(self._call)

    def _call(self, comm_ptr, data, nbytes, op, out_bytes):
        # Never let an exception unwind through C: NULL makes the library stop with
        # DSC_ERR_COMM, and the exception is kept for the DescentError's __cause__.
        try:
            if op == _capi.EXCHANGE_APPEND:
                if nbytes:
                    self._out.extend(ctypes.string_at(data, nbytes))
                return ctypes.addressof(self._token)
            if op == _capi.EXCHANGE_ALLGATHER:
                message, self._out = bytes(self._out), bytearray()
                parts = self.comm.allgather(message)
                if len(parts) != self.size:
                    raise RuntimeError(f"allgather returned {len(parts)} messages on a "
                                       f"communicator of {self.size} ranks")
                total = sum(len(p) for p in parts)
                # uint64 elements: 8-byte aligned (NumPy aligns its data to at least 16).
                buf = np.empty(max(1, (total + 7) // 8), dtype=np.uint64)
                view = buf.view(np.uint8)
                at = 0
                for p in parts:
                    view[at:at + len(p)] = np.frombuffer(p, dtype=np.uint8)
                    at += len(p)
                self._gathered = buf  # valid until the next ALLGATHER
                out_bytes[0] = total
                return buf.ctypes.data
            if op == 3:  # DSC_EXCHANGE_SCAN_QUERY: no fold along the ranks here (allgather)
                return None
            raise ValueError(f"unknown exchange op {op}")
        except BaseException as e:  # noqa: BLE001 - reported through the status instead
            if self.error is None:
                self.error = e
            return None


def _exception_class(name):
    cls = getattr(builtins, name, None)
    if isinstance(cls, type) and issubclass(cls, Exception):
        return cls
    return RuntimeError


def _raise_collective(reports, local_error, where):
    """Every rank raises the same exception when some rank's local step failed.
    reports: every rank's (class name, message) or None, from one allgather."""
    failed = [r for r, rep in enumerate(reports) if rep is not None]
    if not failed:
        return
    r = failed[0]
    name, text = reports[r]
    also = f" (and rank(s) {', '.join(map(str, failed[1:]))})" if len(failed) > 1 else ""
    msg = f"descent.distributed.{where}: rank {r} of {len(reports)}{also}: {text}"
    err = _exception_class(name)(msg)
    if local_error is not None:
        raise err from local_error
    raise err


def _collective(comm, step, where):
    """Run step() on every rank; if it raised on any rank, raise the same on all of them."""
    try:
        value, error, report = step(), None, None
    except Exception as e:  # noqa: BLE001 - re-raised on every rank just below
        value, error, report = None, e, (type(e).__name__, str(e))
    _raise_collective(comm.allgather(report), error, where)
    return value


def _params_key(est):
    return repr(sorted((k, v) for k, v in est.get_params().items() if k not in _LOCAL_PARAMS))


def _agree(infos, est, reset):
    """Checks that the ranks' shards and estimators fit together (infos: one dict per rank from
    the same allgather, so every rank reaches the same verdict)."""
    size = len(infos)
    if len({i["estimator"] for i in infos}) != 1:
        raise TypeError("the ranks fit different estimator classes: " +
                        ", ".join(i["estimator"] for i in infos))
    if len({i["params"] for i in infos}) != 1:
        diff = [r for r, i in enumerate(infos) if i["params"] != infos[0]["params"]]
        raise ValueError(f"the estimator's parameters differ between rank 0 and rank(s) "
                         f"{diff} (all but verbose and n_jobs must be equal)")
    d = {i["n_features"] for i in infos}
    if len(d) != 1:
        raise ValueError("X has a different number of features on different ranks: " +
                         ", ".join(f"rank {r}: {i['n_features']}" for r, i in enumerate(infos)))
    fn0 = infos[0]["feature_names"]
    for r, i in enumerate(infos):
        fn = i["feature_names"]
        if (fn is None) != (fn0 is None) or (fn is not None and list(fn) != list(fn0)):
            raise ValueError(f"feature names differ between rank 0 and rank {r}: "
                             f"{None if fn0 is None else list(fn0)} vs "
                             f"{None if fn is None else list(fn)}")
    for r, i in enumerate(infos[:-1]):
        if i["rows"] % CHUNK_ROWS:
            raise ValueError(
                f"rank {r} holds {i['rows']} rows: every shard but the last (rank "
                f"{size - 1}) must hold a multiple of {CHUNK_ROWS} rows "
                f"(descent.distributed.shard computes such a split)")
    if not reset and len({i["model"] for i in infos}) != 1:
        raise ValueError("partial_fit: the ranks' models differ (fit them with "
                         "descent.distributed.fit first)")


def _train(comm, est, run):
    """run() with est's model exchanging through comm; the exchange is cleared afterwards, so
    the fitted estimator predicts, saves and scores locally like any other."""
    lib = _capi.lib()
    exchange = _Exchange(comm)
    est._exchange = exchange
    try:
        run(exchange)
    except DescentError as e:
        if exchange.error is not None and e.__cause__ is None:
            raise e from exchange.error
        raise
    finally:
        model = getattr(est, "_model", None)
        if model is not None:
            lib.dsc_set_exchange(model, _capi.EXCHANGE_FN(), None, 0)
        del est._exchange


def _require_library():
    lib = _capi.lib()
    if not hasattr(lib, "dsc_set_exchange"):
        raise OSError(f"descent: the shared library at {_capi.library_path()} has no "
                      "dsc_set_exchange (data-parallel training needs a library >= 0.3)")


def _local_info(est, X, n_labels=None, model=None):
    return {
        "estimator": type(est).__name__,
        "params": _params_key(est),
        "rows": int(X.shape[0]),
        "n_features": int(X.shape[1]),
        "feature_names": getattr(est, "feature_names_in_", None),
        "labels": n_labels,
        "model": model,
    }


def fit(comm, estimator, X_local, y_local):
    """Fit `estimator` data-parallel over the ranks of `comm` (collective: every rank calls it,
    with the same estimator parameters and its own shard) and return it, fitted alike on every
    rank.

    Does what ``estimator.fit(X, y)`` does on the concatenation of every rank's rows: the same
    validation (scikit-learn's), ``n_features_in_`` and ``feature_names_in_`` (which must agree
    across ranks), ``classes_`` for LogisticRegression (the sorted union of every rank's labels;
    a rank may hold one class only), the same training and the same fitted attributes. Shards:
    rank r holds the rows after those of ranks 0..r-1; all but the last hold a multiple of
    CHUNK_ROWS rows; each at least one row (``shard`` computes such a split). The estimator's
    parameters must be equal on every rank, except ``verbose`` and ``n_jobs``.
    """
    if not isinstance(estimator, _DescentEstimator):
        raise TypeError(f"descent.distributed.fit takes a descent estimator, not "
                        f"{type(estimator).__name__}")
    _require_library()
    classifier = isinstance(estimator, LogisticRegression)

    # 1. This rank's validation, as estimator.fit does it; every rank learns whether all passed.
    def validate():
        X = estimator._check_X(X_local, reset=True)
        if classifier:
            y = estimator._labels(y_local, X.shape[0])
            labels = np.unique(y)
        else:
            y = estimator._check_y(y_local, X.shape[0], reset=True)
            labels = None
        return X, y, _local_info(estimator, X, labels)

    X, y, info = _collective(comm, validate, "fit")
    infos = comm.allgather(info)

    # 2. Decisions every rank takes alike from the same gathered facts; then the labels encoded
    # with the agreed classes (a local step again: failures are made collective).
    def prepare():
        _agree(infos, estimator, reset=True)
        if not classifier:
            return y
        classes = np.unique(np.concatenate([np.asarray(i["labels"]) for i in infos]))
        return estimator._check_y(y, X.shape[0], reset=True, classes=classes)

    y = _collective(comm, prepare, "fit")

    # 3. The estimator's own fit from here on, its model exchanging through comm.
    _train(comm, estimator, lambda ex: estimator._fit_arrays(X, y, stacklevel=6))
    return estimator


def partial_fit(comm, estimator, X_local, y_local):
    """Continue training a model fitted by ``fit`` (collective), each rank on its shard, as
    ``estimator.partial_fit`` continues a single-process fit."""
    if not isinstance(estimator, _DescentEstimator):
        raise TypeError(f"descent.distributed.partial_fit takes a descent estimator, not "
                        f"{type(estimator).__name__}")
    _require_library()

    def validate():
        estimator._check_fitted()
        X = estimator._check_X(X_local, reset=False)
        y = estimator._check_y(y_local, X.shape[0], reset=False)
        return X, y, _local_info(estimator, X, model=estimator.params_.tobytes())

    X, y, info = _collective(comm, validate, "partial_fit")
    infos = comm.allgather(info)
    _collective(comm, lambda: _agree(infos, estimator, reset=False), "partial_fit")

    def run(ex):
        _capi.check(_capi.lib().dsc_set_exchange(estimator._model, ex.fn, None, ex.rank),
                    "dsc_set_exchange")
        estimator._run(X, y, stacklevel=5)

    _train(comm, estimator, run)
    return estimator
