"""scikit-learn-style estimators over the descent C library.

Each estimator owns one C model placed in a NumPy-allocated arena. Inputs are converted once
to float32, C-contiguous (``np.ascontiguousarray(X, dtype=np.float32)``): an array that is
already float32 and C-contiguous is passed to C as it is, without a copy.
"""
import ctypes
import inspect
import numbers
import os
import time
import warnings

import numpy as np

from . import _capi
from ._capi import DescentError

try:  # scikit-learn's own class, so `warnings.simplefilter("error", ConvergenceWarning)` works
    from sklearn.exceptions import ConvergenceWarning
except ImportError:  # pragma: no cover - scikit-learn is optional
    class ConvergenceWarning(UserWarning):
        """The fit stopped before its convergence test passed."""

__all__ = [
    "LinearRegression",
    "LogisticRegression",
    "PolynomialRegression",
    "Legendre3Regression",
    "load",
    "NotFittedError",
]


try:  # With scikit-learn installed, the estimators are scikit-learn estimators (tags,
    # Pipeline, clone, cross_val_score); without it they keep the same interface.
    from sklearn.base import BaseEstimator as _Base
    from sklearn.base import ClassifierMixin as _Classifier
    from sklearn.base import RegressorMixin as _Regressor
    from sklearn.exceptions import NotFittedError
    try:
        from sklearn.utils.validation import validate_data as _validate_data
    except ImportError:  # scikit-learn < 1.6
        _validate_data = None
    from sklearn.utils.validation import check_array as _check_array
    from sklearn.utils.validation import column_or_1d as _column_or_1d
    from sklearn.utils.multiclass import type_of_target as _type_of_target
except ImportError:  # pragma: no cover - exercised without scikit-learn only
    class _Base:
        pass

    class _Classifier:
        pass

    class _Regressor:
        pass

    class NotFittedError(ValueError, AttributeError):
        """The estimator has no model yet: call fit first."""

    _validate_data = None
    _check_array = None
    _column_or_1d = None
    _type_of_target = None


def _as_f32(a, name):
    """float32, C-contiguous; no copy when `a` already is."""
    out = np.ascontiguousarray(a, dtype=np.float32)
    if out.ndim == 0:
        raise ValueError(f"{name} must be an array, not a scalar")
    return out


def _check_sample_weight(sample_weight, n):
    """None, or the weights as float32 (n,), C-contiguous: finite, >= 0, not all zero. A
    scalar stands for that weight on every row (as scikit-learn's _check_sample_weight)."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.ndim == 0:
        w = np.full(n, float(w))
    if w.ndim != 1 or w.shape[0] != n:
        raise ValueError(f"sample_weight.shape == {w.shape}, expected ({n},)")
    if not np.all(np.isfinite(w)):
        raise ValueError("sample_weight holds NaN or infinity")
    if np.any(w < 0):
        raise ValueError("Negative values in data passed to sample_weight")
    if not np.any(w > 0):
        raise ValueError("sample_weight is all zero: nothing to fit")
    out = np.ascontiguousarray(w, dtype=np.float32)
    if not np.all(np.isfinite(out)):
        raise ValueError("sample_weight overflows float32")
    return out


def _ptr(a):
    return ctypes.c_void_p(a.ctypes.data)


def _new_report():
    # dsc_fit_report may grow at its end in a later library: give the C side spare room.
    buf = (ctypes.c_uint64 * 32)()
    return buf, _capi.FitReport.from_buffer(buf)


def _report_dict(r):
    return {
        "epochs_run": int(r.epochs_run),
        "stop_reason": _capi.STOP_REASONS.get(int(r.stop_reason), str(r.stop_reason)),
        "final_loss": float(r.final_loss),
        "lr": float(r.lr),
        "lr_initial": float(r.lr_initial),
        "steps": int(r.steps),
        "message": r.message.decode() if r.message else "",
        "converged": bool(r.converged),
        "solver": {1: "gd", 2: "newton"}.get(int(r.solver), "none"),
        "standardized": bool(r.standardized),
        "validation_loss": float(r.validation_loss),
        "best_epoch": int(r.best_epoch),
    }


class _DescentEstimator(_Base):
    """Shared machinery. Subclasses set _kind and may override the data hooks."""

    _kind = None

    def __init__(self, *, max_epochs=1000, lr=0.0, batch_size=0, shuffle=True, random_state=0,
                 momentum=0.0, nesterov=False, dampening=0.0, weight_decay=0.0,
                 learning_rate="constant", power_t=0.25, tol=None, n_iter_no_change=5,
                 reduction="mean", backend="auto", standardize="auto", solver="auto",
                 conv_tol=0.0, verbose=0, n_jobs=None):
        self.n_jobs = n_jobs
        self.standardize = standardize
        self.solver = solver
        self.conv_tol = conv_tol
        self.verbose = verbose
        self.max_epochs = max_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.random_state = random_state
        self.momentum = momentum
        self.nesterov = nesterov
        self.dampening = dampening
        self.weight_decay = weight_decay
        self.learning_rate = learning_rate
        self.power_t = power_t
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.reduction = reduction
        self.backend = backend

    # ---- scikit-learn parameter protocol ------------------------------------------------------
    @classmethod
    def _param_names(cls):
        names = []
        for klass in cls.__mro__:
            if "__init__" not in klass.__dict__ or klass is object:
                continue
            for p in inspect.signature(klass.__init__).parameters.values():
                if p.name != "self" and p.kind != p.VAR_KEYWORD and p.name not in names:
                    names.append(p.name)
            break
        return sorted(names)

    def get_params(self, deep=True):
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        valid = self._param_names()
        for k, v in params.items():
            if k not in valid:
                raise ValueError(f"invalid parameter {k!r} for {type(self).__name__}; "
                                 f"valid parameters: {', '.join(valid)}")
            setattr(self, k, v)
        return self

    def __repr__(self):
        defaults = {p.name: p.default for p in
                    inspect.signature(type(self).__init__).parameters.values()}
        changed = [f"{k}={v!r}" for k, v in self.get_params().items()
                   if k in defaults and not _same(defaults[k], v)]
        return f"{type(self).__name__}({', '.join(changed)})"

    # ---- config -------------------------------------------------------------------------------
    def _config(self, n_features):
        buf, cfg = _capi.new_config(self._kind, n_features)
        cfg.max_epochs = int(self.max_epochs)
        cfg.lr = float(self.lr)
        cfg.batch_size = int(self.batch_size or 0)
        cfg.shuffle = 1 if self.shuffle else 0
        cfg.seed = int(self.random_state or 0) & 0xFFFFFFFFFFFFFFFF
        cfg.momentum = float(self.momentum)
        cfg.nesterov = 1 if self.nesterov else 0
        cfg.dampening = float(self.dampening)
        cfg.weight_decay = float(self.weight_decay)
        cfg.schedule = _lookup(_capi.SCHEDULE, self.learning_rate, "learning_rate")
        cfg.power_t = float(self.power_t)
        cfg.tol = -1.0 if self.tol is None else float(self.tol)
        cfg.n_iter_no_change = int(self.n_iter_no_change)
        cfg.reduction = _lookup(_capi.REDUCTION, self.reduction, "reduction")
        cfg.backend = _lookup(_capi.BACKEND, self.backend, "backend")
        cfg.standardize = _lookup(_capi.STANDARDIZE, self.standardize, "standardize")
        cfg.solver = _lookup(_capi.SOLVER, self.solver, "solver")
        cfg.conv_tol = float(self.conv_tol)
        pool = self._thread_pool()
        if pool is not None:
            cfg.parallel_for = pool.parallel_for
            cfg.pool = pool.handle
        exchange = getattr(self, "_exchange", None)
        if exchange is not None:
            # descent.distributed.fit: this process trains on its shard of the rows and the
            # library folds every pass's sums across ranks through exchange.fn (the object
            # stays referenced from self._exchange while the model may call it).
            cfg.exchange = exchange.fn
            cfg.comm = None
            cfg.comm_rank = int(exchange.rank)
        self._extra_config(cfg)
        return buf, cfg

    def _n_threads(self):
        """n_jobs as scikit-learn reads it: None = 1, -1 = every core, -2 = all but one."""
        n = self.n_jobs
        if n is None:
            return 1
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n == 0:
            raise ValueError(f"n_jobs must be None or a non-zero integer, got {n!r}")
        cores = os.cpu_count() or 1
        return max(1, int(n) if n > 0 else cores + 1 + int(n))

    def _thread_pool(self):
        """The POSIX pool the model trains with (the library's parallel_for), or None for one
        thread. Results are bit-identical whatever the thread count (README "Kernel paths and
        threads"). The pool lives as long as the model that points at it."""
        n = self._n_threads()
        if n == 1:
            return None
        pool = getattr(self, "_pool", None)
        if pool is None or pool.n_threads != n:
            pool = _capi.Pool(n)
            self._pool = pool
        return pool

    def _extra_config(self, cfg):
        pass

    def _create(self, cfg_buf, cfg):
        lib = _capi.lib()
        need = lib.dsc_arena_size(cfg_buf)
        if need == 0:
            why = lib.dsc_check_config(cfg_buf)
            # dsc_create reports the precise status (invalid vs unsupported).
            scratch = (ctypes.c_uint64 * 8)()
            model = ctypes.c_void_p()
            status = lib.dsc_create(cfg_buf, scratch, ctypes.sizeof(scratch), ctypes.byref(model))
            raise DescentError(status or 1, "dsc_create", why.decode() if why else None)
        arena = np.zeros((need + 7) // 8, dtype=np.uint64)
        model = ctypes.c_void_p()
        status = lib.dsc_create(cfg_buf, _ptr(arena), arena.nbytes, ctypes.byref(model))
        if status != _capi.DSC_OK:
            why = lib.dsc_check_config(cfg_buf)
            raise DescentError(status, "dsc_create", why.decode() if why else None)
        self._attach(arena, model)

    def _attach(self, arena, model):
        """Adopt a model living in `arena` and route its epoch callback to loss_history_."""
        self._arena = arena
        self._model = model
        self._callback = _capi.EPOCH_CALLBACK(self._on_epoch)
        _capi.check(_capi.lib().dsc_set_callback(model, self._callback, None), "dsc_set_callback")

    def _on_epoch(self, user, epoch, loss):
        try:
            self.loss_history_.append(float(loss))
            if self.verbose:
                self._progress(int(epoch), float(loss))
            return 0
        except BaseException as e:  # never let an exception unwind through C
            self._callback_error = e
            return 1

    def _progress(self, epoch, loss, final=False):
        """verbose: one line per epoch for the first 10, then at most one every 0.5 s
        (verbose >= 2: every epoch), and always the last."""
        now = time.monotonic()
        last = getattr(self, "_last_print", None)
        if not final and self.verbose < 2 and epoch > 10 and last is not None and \
                now - last < 0.5:
            return
        self._last_print = now
        print(f"[{type(self).__name__}] epoch {epoch:6d}  loss {loss:.6g}", flush=True)

    # ---- data ---------------------------------------------------------------------------------
    def _check_X(self, X, reset):
        if not reset:
            self._check_fitted()
        if _validate_data is not None:
            # scikit-learn's own validation: ValueError for NaN/Inf, empty or wrongly shaped
            # input, n_features_in_ and feature_names_in_ set at fit and checked after.
            if self._one_column and not hasattr(X, "columns") and not hasattr(X, "tocsr"):
                X = np.asarray(X)
                if X.ndim == 1:
                    X = X.reshape(-1, 1)
            X = _validate_data(self, X, reset=reset, dtype=np.float32, order="C",
                               accept_sparse=False)
        X = _as_f32(X, "X")
        if X.ndim == 1 and self._one_column:
            X = X.reshape(-1, 1)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}")
        if X.shape[0] == 0:
            raise ValueError("X has no rows")
        if not np.all(np.isfinite(X)):
            raise ValueError("X holds NaN or infinity")
        if self._one_column and X.shape[1] != 1:
            raise ValueError(f"{type(self).__name__} takes one input column, got {X.shape[1]}")
        if not reset:
            if X.shape[1] != self.n_features_in_:
                raise ValueError(f"X has {X.shape[1]} features, but {type(self).__name__} was "
                                 f"fitted with {self.n_features_in_}")
        return X

    def _check_y(self, y, n, reset):
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target "
                             "y is None")
        if _check_array is not None:
            y = _check_array(y, ensure_2d=False, dtype=np.float32, input_name="y")
            if y.ndim == 2 and y.shape[1] == 1:
                y = _column_or_1d(y, warn=True)
        y = _as_f32(y, "y")
        if not np.all(np.isfinite(y)):
            raise ValueError("y holds NaN or infinity")
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.reshape(-1)
        if y.ndim != 1 or y.shape[0] != n:
            raise ValueError(f"y must be 1-D with {n} entries, got shape {y.shape}")
        return y

    _one_column = False

    def __sklearn_is_fitted__(self):
        return getattr(self, "_model", None) is not None

    def _check_fitted(self):
        if getattr(self, "_model", None) is None:
            raise NotFittedError(f"This {type(self).__name__} instance is not fitted yet; "
                                 "call fit first")

    # ---- training -----------------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Train a new model from its starting point for up to max_epochs epochs.

        sample_weight: None, a scalar, or one weight per row (finite, >= 0, not all zero),
        passed to dsc_fit_weighted: row i counts w_i times in the loss, its gradient and
        curvature, and the mean loss is sum w_i l_i / sum w_i, so an integer weight k equals
        the row repeated k times and a weight of 0 leaves the row out (see descent.h)."""
        X = self._check_X(X, reset=True)
        y = self._check_y(y, X.shape[0], reset=True)
        w = _check_sample_weight(sample_weight, X.shape[0])
        return self._fit_arrays(X, y, w=w)

    def _fit_arrays(self, X, y, stacklevel=4, w=None):
        """fit after validation: X (n, d) and y (n,) float32, C-contiguous, finite; y already
        encoded (logistic: 0/1). descent.distributed.fit enters here too. stacklevel: the
        ConvergenceWarning's, pointing at the caller of the public method."""
        self._model = None
        self.loss_history_ = []
        self.n_iter_ = 0
        self.n_features_in_ = X.shape[1]
        cfg_buf, cfg = self._config(X.shape[1])
        self._before_create(cfg_buf, cfg, X, y)
        self._create(cfg_buf, cfg)
        self._set_start(X, y)
        self._run(X, y, stacklevel=stacklevel, w=w)
        return self

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Continue training the current model (parameters, momentum, step count, learning
        rate and shuffle epoch all carry on) for up to max_epochs more epochs; fit first if
        there is no model yet. Two calls of 50 epochs give the same bits as one fit of 100."""
        if getattr(self, "_model", None) is None:
            return self.fit(X, y, sample_weight=sample_weight)
        X = self._check_X(X, reset=False)
        y = self._check_y(y, X.shape[0], reset=False)
        self._run(X, y, w=_check_sample_weight(sample_weight, X.shape[0]))
        return self

    def _before_create(self, cfg_buf, cfg, X, y):
        pass

    def _set_start(self, X, y):
        pass

    def _row_weights(self, y, w):
        """The per-row weights dsc_fit_weighted gets (None: dsc_fit), from the sample weights w
        and the encoded labels y; LogisticRegression folds multinomial class weights in."""
        return w

    def _run(self, X, y, stacklevel=3, w=None):
        lib = _capi.lib()
        rbuf, report = _new_report()
        w = self._row_weights(y, w)
        self._callback_error = None
        if w is None:
            status = lib.dsc_fit(self._model, _ptr(X), _ptr(y), X.shape[0], ctypes.byref(report))
        else:
            status = lib.dsc_fit_weighted(self._model, _ptr(X), _ptr(y), _ptr(w), X.shape[0],
                                          ctypes.byref(report))
        if self._callback_error is not None:
            err, self._callback_error = self._callback_error, None
            raise err
        self.fit_report_ = _report_dict(report)
        self.n_iter_ += int(report.epochs_run)
        self.lr_ = float(report.lr) if report.epochs_run else float(report.lr_initial)
        self.loss_ = float(report.final_loss)
        if status != _capi.DSC_OK:
            raise DescentError(status, "dsc_fit" if w is None else "dsc_fit_weighted",
                               self.fit_report_["message"] or None)
        if self.verbose:
            print(f"[{type(self).__name__}] {self.fit_report_['stop_reason']} after "
                  f"{int(report.epochs_run)} epochs, converged={bool(report.converged)}, "
                  f"loss {self.loss_:.6g}", flush=True)
        # An unconverged fit says so, as scikit-learn's estimators do.
        tested = (self.conv_tol > 0 or (self.conv_tol == 0 and self.lr == 0)) and \
            not self.batch_size
        reason = self.fit_report_["stop_reason"]
        if not report.converged and (reason in ("stalled", "separable") or
                                     (tested and reason == "max_epochs")):
            warnings.warn(f"{type(self).__name__}: {self.fit_report_['message']}",
                          ConvergenceWarning, stacklevel=stacklevel)

    # ---- prediction ----------------------------------------------------------------------------
    def _raw_predict(self, X, fn="dsc_predict"):
        self._check_fitted()
        X = self._check_X(X, reset=False)
        out = np.empty(X.shape[0], dtype=np.float32)
        _capi.check(getattr(_capi.lib(), fn)(self._model, _ptr(X), X.shape[0], _ptr(out)), fn)
        return out

    def predict(self, X):
        """Model output per row, float32."""
        return self._raw_predict(X)

    def score(self, X, y, sample_weight=None):
        """Coefficient of determination R^2 (as scikit-learn's regressors), weighted by
        sample_weight when given."""
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        pred = self.predict(X).astype(np.float64)
        w = np.ones_like(y) if sample_weight is None else \
            _check_sample_weight(sample_weight, y.shape[0]).astype(np.float64)
        ss_res = float(np.sum(w * (y - pred) ** 2))
        ss_tot = float(np.sum(w * (y - np.average(y, weights=w)) ** 2))
        if ss_tot == 0.0:
            return 1.0 if ss_res == 0.0 else 0.0
        return 1.0 - ss_res / ss_tot

    def compute_loss(self, X, y, sample_weight=None):
        """Loss (cfg.reduction: the model's loss, e.g. Huber) of the current parameters on (X, y),
        without training; with sample_weight, the weighted mean sum w l / sum w. (Named
        compute_loss: `loss` is the loss-function parameter, as in scikit-learn.)"""
        self._check_fitted()
        X = self._check_X(X, reset=False)
        y = self._check_y(y, X.shape[0], reset=False)
        w = _check_sample_weight(sample_weight, X.shape[0])
        out = ctypes.c_float()
        lib = _capi.lib()
        if w is None:
            _capi.check(lib.dsc_loss(self._model, _ptr(X), _ptr(y), X.shape[0],
                                     ctypes.byref(out)), "dsc_loss")
        else:
            _capi.check(lib.dsc_loss_weighted(self._model, _ptr(X), _ptr(y), _ptr(w), X.shape[0],
                                              ctypes.byref(out)), "dsc_loss_weighted")
        return float(out.value)

    # ---- parameters ----------------------------------------------------------------------------
    @property
    def params_(self):
        """All parameters in the C layout (see descent.h), float32."""
        self._check_fitted()
        lib = _capi.lib()
        n = lib.dsc_param_count(self._model)
        out = np.empty(n, dtype=np.float32)
        _capi.check(lib.dsc_get_params(self._model, _ptr(out), n), "dsc_get_params")
        return out

    def set_model_params(self, params):
        """Set all parameters (C layout); restarts the training state like dsc_set_params."""
        self._check_fitted()
        p = _as_f32(params, "params").reshape(-1)
        _capi.check(_capi.lib().dsc_set_params(self._model, _ptr(p), p.shape[0]),
                    "dsc_set_params")
        return self

    @property
    def backend_(self):
        self._check_fitted()
        return _capi.lib().dsc_backend_name(self._model).decode()

    # ---- save / load ---------------------------------------------------------------------------
    def save(self, predictor_only=False):
        """The model as bytes: dsc_save's blob (dsc_save_predictor's with predictor_only).
        A C program loads it with dsc_load; descent.load() and <Estimator>.load() read it."""
        self._check_fitted()
        lib = _capi.lib()
        size_fn = lib.dsc_save_predictor_size if predictor_only else lib.dsc_save_size
        save_fn = "dsc_save_predictor" if predictor_only else "dsc_save"
        n = size_fn(self._model)
        buf = ctypes.create_string_buffer(n)
        written = ctypes.c_size_t()
        _capi.check(getattr(lib, save_fn)(self._model, buf, n, ctypes.byref(written)), save_fn)
        return buf.raw[: written.value]

    @classmethod
    def load(cls, blob):
        """An estimator holding the model in `blob` (from save() or the C dsc_save)."""
        est = load(blob)
        if not isinstance(est, cls):
            raise TypeError(f"the blob holds a {type(est).__name__}, not a {cls.__name__}")
        return est

    def _load_blob(self, blob):
        lib = _capi.lib()
        data = bytes(blob)
        need = ctypes.c_size_t()
        pool = self._thread_pool()
        tasks = 16  # dsc_config_init's max_tasks
        if pool is None:
            _capi.check(lib.dsc_load_arena_size(data, len(data), ctypes.byref(need)),
                        "dsc_load_arena_size")
        else:
            _capi.check(lib.dsc_load_arena_size_ex(data, len(data), tasks, ctypes.byref(need)),
                        "dsc_load_arena_size_ex")
        arena = np.zeros((need.value + 7) // 8, dtype=np.uint64)
        model = ctypes.c_void_p()
        if pool is None:
            _capi.check(lib.dsc_load(data, len(data), _ptr(arena), arena.nbytes,
                                     ctypes.byref(model)), "dsc_load")
        else:
            _capi.check(lib.dsc_load_ex(data, len(data), _ptr(arena), arena.nbytes,
                                        pool.parallel_for, pool.handle, tasks,
                                        ctypes.byref(model)), "dsc_load_ex")
        self._attach(arena, model)

    def __getstate__(self):
        state = {k: v for k, v in self.__dict__.items()
                 if k not in ("_arena", "_model", "_callback", "_callback_error", "_pool",
                              "_exchange")}
        if getattr(self, "_model", None) is not None:
            state["_blob"] = self.save()
        return state

    def __setstate__(self, state):
        blob = state.pop("_blob", None)
        self.__dict__.update(state)
        self._model = None
        if blob is not None:
            self._load_blob(blob)


# ---- the four models -------------------------------------------------------------------------

_PENALTIES = (None, "l2", "l1", "elasticnet")


class _PenaltyMixin:
    """scikit-learn's SGD penalty and averaging parameters, mapped onto dsc_config:

    penalty None: config.alpha = 0. 'l2' / 'l1' / 'elasticnet': config.l1_ratio = 0 / 1 /
    l1_ratio and config.alpha = alpha * _alpha_scale, so that the objective is scikit-learn's:
    (1/n) sum loss + alpha (l1_ratio |w|_1 + (1 - l1_ratio)/2 |w|^2), the intercept
    unpenalized (README "Sparse models and averaged SGD"). The L1 part is a proximal step
    (exact zeros). average: False = off, True = 1 (from the first step), k = from the step that
    brings the samples seen to k; coef_ and intercept_ are then the averaged parameters."""

    _alpha_scale = 1.0

    def _penalty_config(self, cfg):
        penalty = self.penalty
        if isinstance(penalty, str):
            penalty = penalty.lower()
        if penalty not in _PENALTIES:
            raise ValueError(f"penalty must be one of {_PENALTIES}, got {self.penalty!r}")
        alpha = float(self.alpha)
        if not np.isfinite(alpha) or alpha < 0:
            raise ValueError(f"alpha must be finite and >= 0, got {self.alpha!r}")
        l1_ratio = float(self.l1_ratio)
        if not 0.0 <= l1_ratio <= 1.0:
            raise ValueError(f"l1_ratio must be in [0, 1], got {self.l1_ratio!r}")
        average = self.average
        if isinstance(average, (bool, np.bool_)):
            average = 1 if average else 0
        if (not isinstance(average, numbers.Integral) or average < 0 or average > 0xFFFFFFFF):
            raise ValueError(f"average must be a bool or an integer >= 0, got {self.average!r}")
        if penalty is None or alpha == 0.0:
            cfg.alpha = 0.0
        else:
            cfg.alpha = alpha * self._alpha_scale
            cfg.l1_ratio = {"l2": 0.0, "l1": 1.0}.get(penalty, l1_ratio)
        cfg.average = int(average)

    def _extra_config(self, cfg):
        self._penalty_config(cfg)


# scikit-learn's SGD loss names -> dsc_loss_kind (descent.h): the same formulas.
_REGRESSION_LOSSES = {"squared_error": 0, "huber": 1, "epsilon_insensitive": 2,
                      "squared_epsilon_insensitive": 3}
_CLASSIFICATION_LOSSES = {"log_loss": 0, "hinge": 4}


def _loss_config(est, cfg, table):
    if not isinstance(est.loss, str) or est.loss not in table:
        raise ValueError(f"loss must be one of {sorted(table)}, got {est.loss!r}")
    eps = float(getattr(est, "epsilon", 0.1))  # LogisticRegression's hinge has none
    if not np.isfinite(eps) or eps < 0:
        raise ValueError(f"epsilon must be finite and >= 0, got {eps!r}")
    cfg.loss = table[est.loss]
    cfg.epsilon = eps


def _early_stop_config(est, cfg):
    frac = float(est.validation_fraction)
    if not 0.0 < frac < 1.0:
        raise ValueError(f"validation_fraction must be in (0, 1), got {est.validation_fraction!r}")
    cfg.early_stopping = 1 if est.early_stopping else 0
    cfg.validation_fraction = frac


def validation_rows(n_samples, validation_fraction=0.1, random_state=0):
    """The rows an ``early_stopping=True`` fit of ``n_samples`` rows holds out (their indices,
    in the split's order), for the same ``validation_fraction`` and ``random_state``."""
    lib = _capi.lib()
    buf, cfg = _capi.new_config("linear", 1)
    cfg.lr = 0.01
    cfg.seed = int(random_state or 0) & 0xFFFFFFFFFFFFFFFF
    cfg.early_stopping = 1
    cfg.validation_fraction = float(validation_fraction)
    count = ctypes.c_size_t()
    _capi.check(lib.dsc_validation_rows(buf, int(n_samples), None, 0, ctypes.byref(count)),
                "dsc_validation_rows")
    rows = np.zeros(count.value, dtype=np.uint32)
    _capi.check(lib.dsc_validation_rows(buf, int(n_samples), _ptr(rows), rows.size,
                                        ctypes.byref(count)), "dsc_validation_rows")
    return rows.astype(np.intp)


def _penalized_init(self, kw, penalty, alpha, l1_ratio, average):
    _DescentEstimator.__init__(self, **kw)
    self.penalty = penalty
    self.alpha = alpha
    self.l1_ratio = l1_ratio
    self.average = average


class LinearRegression(_PenaltyMixin, _Regressor, _DescentEstimator):
    """y = b + w.x, mean squared error. ``coef_`` (n_features,), ``intercept_`` (float).

    ``penalty``, ``alpha``, ``l1_ratio`` and ``average`` as scikit-learn's SGDRegressor and
    ElasticNet: the objective is (1/(2n)) |y - b - Xw|^2 + alpha (l1_ratio |w|_1 +
    (1 - l1_ratio)/2 |w|^2), so ``penalty='l1'`` has Lasso's solution and ``'elasticnet'``
    ElasticNet's. The library's loss is the mean squared error without the 1/2, so
    config.alpha is 2 alpha (the same minimizer). With ``lr=0`` the features are standardized
    (``standardize='auto'``) and the penalty then acts on the standardized weights; pass
    ``standardize='off'`` for scikit-learn's raw-feature penalty.

    ``loss`` and ``epsilon`` as scikit-learn's SGDRegressor: 'squared_error' (default),
    'huber' (quadratic within epsilon of the target, linear beyond: robust to outliers),
    'epsilon_insensitive' (SVR's: zero within epsilon, then |r| - epsilon) and
    'squared_epsilon_insensitive', with scikit-learn's formulas (README "Robust losses").
    These train by GD / SGD (solver 'auto' picks GD). 'huber' and
    'squared_epsilon_insensitive' take ``lr=0`` (the automatic rate, to the optimum);
    'epsilon_insensitive' has no gradient at its kinks and needs an explicit ``lr``. The
    penalty's alpha is then scikit-learn's as it is (those losses carry no factor 1/2).

    ``early_stopping=True`` holds out ``validation_fraction`` of the rows (a seeded split,
    ``random_state``), trains on the rest, and stops after ``n_iter_no_change`` epochs in which
    the held-out loss did not fall below its best - ``tol`` (``tol=None`` counts as 0); the
    parameters with the lowest held-out loss are kept (``fit_report_['validation_loss']``,
    ``fit_report_['best_epoch']``). Not with ``average``; solver 'auto' picks GD."""

    _kind = "linear"

    @property
    def _alpha_scale(self):
        return 2.0 if self.loss == "squared_error" else 1.0

    def _extra_config(self, cfg):
        _loss_config(self, cfg, _REGRESSION_LOSSES)
        _early_stop_config(self, cfg)
        self._penalty_config(cfg)

    def __init__(self, *, loss="squared_error", epsilon=0.1, penalty=None, alpha=0.0001,
                 l1_ratio=0.15, average=False, early_stopping=False, validation_fraction=0.1,
                 max_epochs=1000, lr=0.0, batch_size=0, shuffle=True, random_state=0,
                 momentum=0.0, nesterov=False, dampening=0.0, weight_decay=0.0,
                 learning_rate="constant", power_t=0.25, tol=None, n_iter_no_change=5,
                 reduction="mean", backend="auto", standardize="auto", solver="auto",
                 conv_tol=0.0, verbose=0, n_jobs=None):
        _penalized_init(self, dict(
            max_epochs=max_epochs, lr=lr, batch_size=batch_size, shuffle=shuffle,
            random_state=random_state, momentum=momentum, nesterov=nesterov,
            dampening=dampening, weight_decay=weight_decay, learning_rate=learning_rate,
            power_t=power_t, tol=tol, n_iter_no_change=n_iter_no_change, reduction=reduction,
            backend=backend, standardize=standardize, solver=solver, conv_tol=conv_tol,
            verbose=verbose, n_jobs=n_jobs), penalty, alpha, l1_ratio, average)
        self.loss = loss
        self.epsilon = epsilon
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction

    @property
    def coef_(self):
        return self.params_[1:]

    @property
    def intercept_(self):
        return float(self.params_[0])


class LogisticRegression(_PenaltyMixin, _Classifier, _DescentEstimator):
    """Logistic regression on the classes found in y (``classes_``, sorted), binary or
    multinomial as scikit-learn's LogisticRegression.

    Two classes: p(y = classes_[1]) = sigmoid(b + w.x), binary cross-entropy (the library's
    LOGISTIC kind); ``coef_`` (1, n_features) and ``intercept_`` (1,), ``predict_proba``
    (n, 2), ``decision_function`` the logit per row (n,).

    K > 2 classes: multinomial, p = softmax(b_k + w_k.x over the classes k), cross-entropy (the
    SOFTMAX kind; labels go to C as their index into classes_); ``coef_`` (K, n_features),
    ``intercept_`` (K,), ``predict_proba`` and ``decision_function`` (n, K). Softmax does not
    change when one vector is added to every class's parameters; the library's convention is
    that each parameter sums to 0 over the classes (an L1 penalty aside).

    ``penalty``, ``alpha``, ``l1_ratio`` and ``average`` as scikit-learn's SGDClassifier with
    ``loss='log_loss'``: the objective is the mean log-loss + alpha (l1_ratio |w|_1 +
    (1 - l1_ratio)/2 |w|^2), the intercepts unpenalized (scikit-learn's LogisticRegression
    with C: alpha = 1 / (C n)). weight_decay adds torch's coupled L2 on every parameter.

    ``loss='hinge'`` trains a linear SVM (scikit-learn's SGDClassifier hinge: max(0, 1 - s z),
    s = +-1) by GD / SGD with an explicit ``lr``; predict and decision_function work, and
    predict_proba is not available (as in scikit-learn). Two classes only: scikit-learn's SGD
    trains K > 2 classes one-vs-rest, which this estimator does not.

    ``early_stopping`` and ``validation_fraction`` as LinearRegression's: the held-out
    rows' log-loss (hinge loss under 'hinge') is watched, not their accuracy, and the split is
    not stratified.

    ``class_weight`` as scikit-learn's: None, 'balanced' (n / (K n_c), from the labels of the
    fit) or {label: weight}; each row's loss, gradient and curvature are multiplied by its
    class's weight, under every solver (README "Class weights"). Two classes: the library's
    config.class_weight (the mean still divides by the row count). K > 2: the library's
    SOFTMAX kind has no class weights, so each row's class weight multiplies its sample weight
    (dsc_fit_weighted; the mean divides by the sum of the weights, which is n for
    'balanced'). ``partial_fit`` keeps the weights of the fit."""

    def _extra_config(self, cfg):
        _loss_config(self, cfg, _CLASSIFICATION_LOSSES)
        if self._multinomial:
            if self.loss != "log_loss":
                raise ValueError(f"loss={self.loss!r} takes two classes, y holds "
                                 f"{len(self.classes_)}: scikit-learn's SGDClassifier trains "
                                 "them one-vs-rest, this estimator does not; use "
                                 "loss='log_loss' (multinomial)")
            cfg.n_classes = len(self.classes_)
        _early_stop_config(self, cfg)
        self._penalty_config(cfg)

    def __init__(self, *, loss="log_loss", penalty=None, alpha=0.0001, l1_ratio=0.15,
                 average=False, early_stopping=False, validation_fraction=0.1, class_weight=None,
                 max_epochs=1000, lr=0.0, batch_size=0, shuffle=True, random_state=0,
                 momentum=0.0, nesterov=False, dampening=0.0, weight_decay=0.0,
                 learning_rate="constant", power_t=0.25, tol=None, n_iter_no_change=5,
                 reduction="mean", backend="auto", standardize="auto", solver="auto",
                 conv_tol=0.0, verbose=0, n_jobs=None):
        _penalized_init(self, dict(
            max_epochs=max_epochs, lr=lr, batch_size=batch_size, shuffle=shuffle,
            random_state=random_state, momentum=momentum, nesterov=nesterov,
            dampening=dampening, weight_decay=weight_decay, learning_rate=learning_rate,
            power_t=power_t, tol=tol, n_iter_no_change=n_iter_no_change, reduction=reduction,
            backend=backend, standardize=standardize, solver=solver, conv_tol=conv_tol,
            verbose=verbose, n_jobs=n_jobs), penalty, alpha, l1_ratio, average)
        self.loss = loss
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.class_weight = class_weight

    @property
    def _multinomial(self):
        """More than two classes: the SOFTMAX kind (classes_ is set before the model)."""
        return len(getattr(self, "classes_", ())) > 2

    @property
    def _kind(self):
        return "softmax" if self._multinomial else "logistic"

    def _before_create(self, cfg_buf, cfg, X, y):
        w = self._class_weights(y)
        if self._multinomial:
            # SOFTMAX has no config.class_weight: _row_weights folds them into sample weights.
            self._softmax_class_weight = None if w is None else w.astype(np.float32)
        else:
            self._softmax_class_weight = None
            cfg.class_weight[0], cfg.class_weight[1] = (1.0, 1.0) if w is None else w

    def _class_weights(self, y):
        """class_weight as scikit-learn's, one weight per class of classes_ (float64), or None
        for None: 'balanced' is n / (K n_c) from these (encoded) labels, a dict
        {class label: weight} leaves the classes it does not name at 1."""
        cw = self.class_weight
        if cw is None:
            return None
        k = len(self.classes_)
        if isinstance(cw, str) and cw == "balanced":
            counts = np.bincount(y.astype(np.int64), minlength=k).astype(np.float64)
            if np.any(counts == 0):
                raise ValueError("class_weight='balanced' needs every class in y")
            w = len(y) / (k * counts)
        elif isinstance(cw, dict):
            unknown = [c for c in cw if c not in list(self.classes_)]
            if unknown:
                raise ValueError(f"class_weight names labels not in y: {unknown!r}")
            w = np.array([float(cw.get(c, 1.0)) for c in self.classes_])
        else:
            raise ValueError(f"class_weight must be None, 'balanced' or a dict, got {cw!r}")
        if not np.all(np.isfinite(w) & (w >= 0)) or not np.any(w > 0):
            raise ValueError(f"class weights must be finite, >= 0 and not all 0, got "
                             f"{tuple(w)!r}")
        return w

    def _row_weights(self, y, w):
        """Multinomial: each row's class weight (set by _before_create) times its sample
        weight."""
        cw = getattr(self, "_softmax_class_weight", None)
        if cw is None:
            return w
        rows = cw[y.astype(np.intp)]
        rows = rows if w is None else rows * w
        if not np.any(rows > 0):
            raise ValueError("every row has weight 0 (class weight times sample weight)")
        return np.ascontiguousarray(rows, dtype=np.float32)

    def _labels(self, y, n):
        """y validated as class labels (any dtype), 1-D with n entries; not yet encoded."""
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target "
                             "y is None")
        if _check_array is not None:
            y = _check_array(y, ensure_2d=False, dtype=None, input_name="y")
            if y.ndim == 2 and y.shape[1] == 1:
                y = _column_or_1d(y, warn=True)
            kind = _type_of_target(y, input_name="y")
            if kind == "continuous" or kind.startswith("continuous"):
                raise ValueError(f"Unknown label type: {kind}; LogisticRegression takes class "
                                 "labels, not a continuous target")
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.reshape(-1)
        if y.ndim != 1 or y.shape[0] != n:
            raise ValueError(f"y must be 1-D with {n} entries, got shape {y.shape}")
        return y

    def _check_y(self, y, n, reset, classes=None):
        """Labels encoded for the library as float32: two classes as 0/1 (classes_[1] -> 1),
        more as their index into classes_. At fit (reset) the classes are y's, or `classes`
        when given (sorted, unique: partial_fit's, or descent.distributed.fit's union over all
        ranks)."""
        y = self._labels(y, n)
        if reset:
            if classes is None:
                classes = np.unique(y)
            elif not np.all(np.isin(y, classes)):
                raise ValueError(f"y holds labels outside the classes {classes}")
            if classes.shape[0] < 2:
                raise ValueError(f"LogisticRegression needs samples of at least two classes; "
                                 f"y holds one class only: {classes.tolist()!r}")
            self.classes_ = classes
        elif not np.all(np.isin(y, self.classes_)):
            raise ValueError(f"y holds labels outside the fitted classes {self.classes_}")
        if self._multinomial:
            return np.searchsorted(self.classes_, y).astype(np.float32)
        # Labels already 0/1 float32: hand them over as they are.
        if (y.dtype == np.float32 and y.flags.c_contiguous and
                self.classes_[0] == 0 and self.classes_[1] == 1):
            return y
        return (y == self.classes_[1]).astype(np.float32)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Continue training the current model, as the other estimators' partial_fit; fit first
        if there is no model yet. ``classes`` as scikit-learn's: every label the model is to
        know, for a first call whose y may lack some (it decides binary or multinomial); later
        calls may repeat it unchanged."""
        if classes is not None:
            classes = np.unique(self._labels(classes, len(classes)))
        if getattr(self, "_model", None) is None:
            X = self._check_X(X, reset=True)
            y = self._check_y(y, X.shape[0], reset=True, classes=classes)
            return self._fit_arrays(X, y, w=_check_sample_weight(sample_weight, X.shape[0]))
        if classes is not None and not np.array_equal(classes, self.classes_):
            raise ValueError(f"classes={classes!r} is not the fitted classes_ {self.classes_!r}")
        X = self._check_X(X, reset=False)
        y = self._check_y(y, X.shape[0], reset=False)
        self._run(X, y, w=_check_sample_weight(sample_weight, X.shape[0]))
        return self

    def predict_proba(self, X):
        """(n, K): the probability of each class of classes_ (dsc_predict_proba; log_loss
        only)."""
        if self.loss != "log_loss":
            raise AttributeError(f"probability estimates are not available for loss={self.loss!r}")
        self._check_fitted()
        X = self._check_X(X, reset=False)
        out = np.empty((X.shape[0], len(self.classes_)), dtype=np.float32)
        _capi.check(_capi.lib().dsc_predict_proba(self._model, _ptr(X), X.shape[0], _ptr(out),
                                                  out.size), "dsc_predict_proba")
        return out

    def decision_function(self, X):
        """Two classes: the logit b + w.x per row, (n,). K > 2: the K logits b_k + w_k.x per
        row, (n, K), float32, computed here in float64 from the parameters (the library's
        dsc_predict_logit gives one value per row, so it refuses SOFTMAX)."""
        if not self._multinomial:
            return self._raw_predict(X, "dsc_predict_logit")
        X = self._check_X(X, reset=False)
        blocks = self._blocks().astype(np.float64)
        return (X @ blocks[:, 1:].T + blocks[:, 0]).astype(np.float32)

    def predict(self, X):
        """Class labels (from classes_): dsc_predict_label's class index per row."""
        labels = self._raw_predict(X, "dsc_predict_label")
        return self.classes_[labels.astype(np.intp)]

    def score(self, X, y, sample_weight=None):
        """Mean accuracy (as scikit-learn's classifiers), weighted by sample_weight when given."""
        hit = self.predict(X) == np.asarray(y).reshape(-1)
        if sample_weight is None:
            return float(np.mean(hit))
        w = _check_sample_weight(sample_weight, hit.shape[0]).astype(np.float64)
        return float(np.sum(w * hit) / np.sum(w))

    def _blocks(self):
        """params_ as one row [b, w] per block: (1, d + 1) for two classes, (K, d + 1) for K."""
        return self.params_.reshape(-1, self.n_features_in_ + 1)

    @property
    def coef_(self):
        return self._blocks()[:, 1:]

    @property
    def intercept_(self):
        return self._blocks()[:, 0].copy()


class PolynomialRegression(_Regressor, _DescentEstimator):
    """y = c0 + c1 x + ... + c_degree x^degree on one input column, MSE. X may be 1-D.
    ``coef_`` holds c0..c_degree. The powers are formed on the fly, so the automatic step
    size follows the largest |x|^degree: scale x to about [-1, 1] for fast convergence."""

    _kind = "polynomial"
    _one_column = True

    def __init__(self, degree=3, *, max_epochs=1000, lr=0.0, batch_size=0, shuffle=True,
                 random_state=0, momentum=0.0, nesterov=False, dampening=0.0, weight_decay=0.0,
                 learning_rate="constant", power_t=0.25, tol=None, n_iter_no_change=5,
                 reduction="mean", backend="auto", standardize="auto", solver="auto",
                 conv_tol=0.0, verbose=0, n_jobs=None):
        super().__init__(max_epochs=max_epochs, lr=lr, batch_size=batch_size, shuffle=shuffle,
                         random_state=random_state, momentum=momentum, nesterov=nesterov,
                         dampening=dampening, weight_decay=weight_decay,
                         learning_rate=learning_rate, power_t=power_t, tol=tol,
                         n_iter_no_change=n_iter_no_change, reduction=reduction,
                         backend=backend, standardize=standardize, solver=solver,
                         conv_tol=conv_tol, verbose=verbose, n_jobs=n_jobs)
        self.degree = degree

    def _extra_config(self, cfg):
        cfg.degree = int(self.degree)

    @property
    def coef_(self):
        return self.params_


class Legendre3Regression(_Regressor, _DescentEstimator):
    """y = a + b P3(c + d x), P3(t) = (5 t^3 - 3 t) / 2, on one input column, MSE.

    The model is not convex. With ``lr=0`` (the default) on the full batch the library fits it
    by damped Gauss-Newton (the NEWTON solver) and stops when converged. For GD or minibatch
    SGD with ``lr=0`` this estimator picks a rate: starting from 1.0 it halves the rate
    until a trial run of ``min(50, max_epochs)`` epochs from ``init`` lowers the loss at
    every epoch without diverging, then trains with a quarter of that rate (the curvature
    grows with |b| as training proceeds); ``lr_`` holds the rate used. ``init`` is the start
    (a, b, c, d); all zeros is a saddle point of this model."""

    _kind = "legendre3"
    _one_column = True

    def __init__(self, init=(0.0, -1.0, 0.0, 0.3), *, max_epochs=1000, lr=0.0, batch_size=0,
                 shuffle=True, random_state=0, momentum=0.0, nesterov=False, dampening=0.0,
                 weight_decay=0.0, learning_rate="constant", power_t=0.25, tol=None,
                 n_iter_no_change=5, reduction="mean", backend="auto", standardize="auto",
                 solver="auto", conv_tol=0.0, verbose=0, n_jobs=None):
        super().__init__(max_epochs=max_epochs, lr=lr, batch_size=batch_size, shuffle=shuffle,
                         random_state=random_state, momentum=momentum, nesterov=nesterov,
                         dampening=dampening, weight_decay=weight_decay,
                         learning_rate=learning_rate, power_t=power_t, tol=tol,
                         n_iter_no_change=n_iter_no_change, reduction=reduction,
                         backend=backend, standardize=standardize, solver=solver,
                         conv_tol=conv_tol, verbose=verbose, n_jobs=n_jobs)
        self.init = init

    def _start(self):
        p = np.asarray(self.init, dtype=np.float32).reshape(-1)
        if p.shape[0] != 4:
            raise ValueError("init must hold 4 numbers (a, b, c, d)")
        return np.ascontiguousarray(p)

    def _before_create(self, cfg_buf, cfg, X, y):
        # lr = 0 on the full batch: the library's Gauss-Newton (NEWTON solver). GD and
        # minibatch SGD have no automatic rate for this non-convex model: search one.
        if cfg.lr == 0.0 and (cfg.batch_size != 0 or cfg.solver == _capi.SOLVER["gd"]):
            cfg.lr = self._search_lr(cfg_buf, cfg, X, y)

    def _search_lr(self, cfg_buf, cfg, X, y):
        lib = _capi.lib()
        start = self._start()
        trial_epochs = max(1, min(50, int(self.max_epochs)))
        saved = (cfg.max_epochs, cfg.tol)
        cfg.max_epochs, cfg.tol = trial_epochs, -1.0
        try:
            lr = 1.0
            for _ in range(40):
                cfg.lr = lr
                need = lib.dsc_arena_size(cfg_buf)
                if need == 0:
                    why = lib.dsc_check_config(cfg_buf)
                    raise DescentError(1, "dsc_arena_size", why.decode() if why else None)
                arena = np.zeros((need + 7) // 8, dtype=np.uint64)
                model = ctypes.c_void_p()
                _capi.check(lib.dsc_create(cfg_buf, _ptr(arena), arena.nbytes,
                                           ctypes.byref(model)), "dsc_create")
                _capi.check(lib.dsc_set_params(model, _ptr(start), 4), "dsc_set_params")
                losses = []
                cb = _capi.EPOCH_CALLBACK(lambda u, e, l: losses.append(float(l)) or 0)
                lib.dsc_set_callback(model, cb, None)
                rbuf, report = _new_report()
                status = lib.dsc_fit(model, _ptr(X), _ptr(y), X.shape[0], ctypes.byref(report))
                final = float(report.final_loss)
                ok = (status == _capi.DSC_OK and np.isfinite(final) and losses and
                      final <= losses[0] and
                      all(b <= a * (1 + 1e-6) for a, b in zip(losses, losses[1:])))
                if ok:
                    return lr / 4
                lr *= 0.5
            raise DescentError(_capi.DSC_ERR_DIVERGED, "Legendre3Regression learning-rate search",
                               "no rate in [1e-12, 1] lowered the loss; set lr explicitly")
        finally:
            cfg.max_epochs, cfg.tol = saved

    def _set_start(self, X, y):
        start = self._start()
        _capi.check(_capi.lib().dsc_set_params(self._model, _ptr(start), 4), "dsc_set_params")


_CLASSES = {1: LinearRegression, 2: LogisticRegression, 3: PolynomialRegression,
            4: Legendre3Regression, 5: LogisticRegression}


def load(blob):
    """An estimator of the right class holding the model in `blob` (dsc_save / save())."""
    lib = _capi.lib()
    data = bytes(blob)
    need = ctypes.c_size_t()
    _capi.check(lib.dsc_load_arena_size(data, len(data), ctypes.byref(need)), "dsc_load_arena_size")
    arena = np.zeros((need.value + 7) // 8, dtype=np.uint64)
    model = ctypes.c_void_p()
    _capi.check(lib.dsc_load(data, len(data), _ptr(arena), arena.nbytes, ctypes.byref(model)),
                "dsc_load")
    n = _capi.config_size()
    cbuf = (ctypes.c_uint64 * ((n + 7) // 8))()
    _capi.check(lib.dsc_get_config(model, cbuf), "dsc_get_config")
    cfg = _capi.Config.from_buffer(cbuf)
    cls = _CLASSES[int(cfg.kind)]
    est = cls()
    inv = lambda table, v: next((k for k, x in table.items() if x == v), v)  # noqa: E731
    params = dict(max_epochs=int(cfg.max_epochs), lr=float(cfg.lr),
                  batch_size=int(cfg.batch_size), shuffle=bool(cfg.shuffle),
                  random_state=int(cfg.seed), momentum=float(cfg.momentum),
                  nesterov=bool(cfg.nesterov), dampening=float(cfg.dampening),
                  weight_decay=float(cfg.weight_decay),
                  learning_rate=inv(_capi.SCHEDULE, int(cfg.schedule)),
                  power_t=float(cfg.power_t), tol=None if cfg.tol < 0 else float(cfg.tol),
                  n_iter_no_change=int(cfg.n_iter_no_change),
                  reduction=inv(_capi.REDUCTION, int(cfg.reduction)),
                  backend=inv(_capi.BACKEND, int(cfg.backend)),
                  standardize=inv(_capi.STANDARDIZE, int(cfg.standardize)),
                  solver=inv(_capi.SOLVER, int(cfg.solver)), conv_tol=float(cfg.conv_tol))
    if cls is PolynomialRegression:
        params["degree"] = int(cfg.degree)
    if cls in (LinearRegression, LogisticRegression):
        table = _REGRESSION_LOSSES if cls is LinearRegression else _CLASSIFICATION_LOSSES
        params["loss"] = {v: k for k, v in table.items()}[int(cfg.loss)]
        if cls is LinearRegression:
            params["epsilon"] = float(cfg.epsilon)
        params["early_stopping"] = bool(cfg.early_stopping)
        params["validation_fraction"] = float(cfg.validation_fraction)
        scale = 2.0 if params["loss"] == "squared_error" else 1.0
        a = float(cfg.alpha)
        r = float(cfg.l1_ratio)
        params["penalty"] = None if a == 0 else "l2" if r == 0 else "l1" if r == 1 else "elasticnet"
        if a != 0:
            params["alpha"] = a / scale
            params["l1_ratio"] = r
        params["average"] = int(cfg.average) if cfg.average > 1 else bool(cfg.average)
        if cls is LogisticRegression:
            w = (float(cfg.class_weight[0]), float(cfg.class_weight[1]))
            # A loaded classifier's classes are 0.0 and 1.0 (below): the weights keyed so.
            params["class_weight"] = None if w == (1.0, 1.0) else {0.0: w[0], 1.0: w[1]}
    est.set_params(**params)
    est.n_features_in_ = int(cfg.n_features)
    est.loss_history_ = []
    est.n_iter_ = 0
    if cls is LogisticRegression:
        # The blob knows the classes by index only (the labels the library trained on).
        k = int(cfg.n_classes) if cfg.kind == _capi.KIND["softmax"] else 2
        est.classes_ = np.arange(k, dtype=np.float32)
    est._attach(arena, model)
    if cls is Legendre3Regression:
        est.init = tuple(float(v) for v in est.params_)
    return est


def _lookup(table, value, name):
    if isinstance(value, str):
        key = value.lower()
        if key not in table:
            raise ValueError(f"{name} must be one of {sorted(table)}, got {value!r}")
        return table[key]
    return int(value)


def _same(a, b):
    try:
        return bool(a == b)
    except Exception:
        return a is b
