"""ctypes binding of the descent C ABI (lib/include/descent.h).

The shared library is found, in this order:
  1. the path in the environment variable DESCENT_LIBRARY (a file, e.g.
     build/default/ports/libdescent.so);
  2. the copy bundled into the package when it was installed (``pip install ports/python``
     builds it with CMake through scikit-build-core, see pyproject.toml).

Only this module knows the C layouts. dsc_config grows only at its end and carries its own
size, so the binding declares the prefix it uses and sizes every config buffer from the
library's own dsc_config_init: a library with more fields still works.
"""
import ctypes
import os
import sys

__all__ = ["DescentError", "lib", "library_path", "Config", "FitReport", "Pool", "STATUS_NAMES"]

# ---- enums (descent.h) ---------------------------------------------------------------------
DSC_OK = 0
STATUS_NAMES = {
    0: "DSC_OK",
    1: "DSC_ERR_INVALID_ARGUMENT",
    2: "DSC_ERR_ARENA_TOO_SMALL",
    3: "DSC_ERR_NONFINITE_INPUT",
    4: "DSC_ERR_LABEL_RANGE",
    5: "DSC_ERR_DIVERGED",
    6: "DSC_ERR_BAD_MODEL_BLOB",
    7: "DSC_ERR_UNSUPPORTED",
    8: "DSC_ERR_BUFFER_TOO_SMALL",
    9: "DSC_ERR_SIZE_OVERFLOW",
    10: "DSC_ERR_DEVICE",
    11: "DSC_ERR_BUSY",
    12: "DSC_ERR_LIMIT",
    13: "DSC_ERR_COMM",
}
DSC_ERR_DIVERGED = 5
DSC_ERR_COMM = 13

KIND = {"linear": 1, "logistic": 2, "polynomial": 3, "legendre3": 4, "softmax": 5}
REDUCTION = {"mean": 0, "sum": 1}
SCHEDULE = {"constant": 0, "invscaling": 1, "adaptive": 2}
BACKEND = {"auto": 0, "scalar": 1, "sse2": 2, "avx2": 3, "avx512": 4, "neon": 5, "cuda": 6}
STOP_REASONS = {0: "none", 1: "max_epochs", 2: "tolerance", 3: "callback", 4: "lr_min",
                5: "diverged", 6: "converged", 7: "separable", 8: "stalled", 9: "validation"}
STANDARDIZE = {"auto": 0, "on": 1, "off": 2}
SOLVER = {"auto": 0, "gd": 1, "newton": 2}

EPOCH_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_float)

# Data-parallel training (0.3): dsc_exchange_fn and its ops; rank shards are whole multiples of
# CHUNK_ROWS rows but the last (descent.h, above DSC_CHUNK_ROWS; descent/distributed.py).
CHUNK_ROWS = 16384
EXCHANGE_APPEND = 1
EXCHANGE_ALLGATHER = 2
EXCHANGE_FN = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t,
                               ctypes.c_uint32, ctypes.POINTER(ctypes.c_size_t))


class Config(ctypes.Structure):
    """The leading fields of dsc_config; the buffer behind it has the library's full size."""

    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("kind", ctypes.c_uint32),
        ("n_features", ctypes.c_uint32),
        ("degree", ctypes.c_uint32),
        ("reduction", ctypes.c_uint32),
        ("batch_size", ctypes.c_uint32),
        ("shuffle", ctypes.c_uint32),
        ("max_epochs", ctypes.c_uint32),
        ("seed", ctypes.c_uint64),
        ("lr", ctypes.c_float),
        ("momentum", ctypes.c_float),
        ("dampening", ctypes.c_float),
        ("weight_decay", ctypes.c_float),
        ("nesterov", ctypes.c_uint32),
        ("schedule", ctypes.c_uint32),
        ("power_t", ctypes.c_float),
        ("tol", ctypes.c_float),
        ("n_iter_no_change", ctypes.c_uint32),
        ("backend", ctypes.c_uint32),
        ("on_epoch", EPOCH_CALLBACK),
        ("user", ctypes.c_void_p),
        ("parallel_for", ctypes.c_void_p),
        ("pool", ctypes.c_void_p),
        ("max_tasks", ctypes.c_uint32),
        ("cuda_arena", ctypes.c_void_p),
        ("cuda_arena_bytes", ctypes.c_uint64),
        ("cuda_max_samples", ctypes.c_uint64),
        ("cuda_device", ctypes.c_int32),
        ("standardize", ctypes.c_uint32),
        ("solver", ctypes.c_uint32),
        ("conv_tol", ctypes.c_float),
        # 0.3: data-parallel training (dsc_exchange_fn, its comm, this process's rank)
        ("exchange", EXCHANGE_FN),
        ("comm", ctypes.c_void_p),
        ("comm_rank", ctypes.c_uint32),
        # issue 12: the elastic-net penalty (a proximal step) and averaged SGD
        ("alpha", ctypes.c_float),
        ("l1_ratio", ctypes.c_float),
        ("average", ctypes.c_uint32),
        # 0.5: the robust losses (dsc_loss_kind) and their epsilon
        ("loss", ctypes.c_uint32),
        ("epsilon", ctypes.c_float),
        # 0.6: early stopping on held-out rows
        ("early_stopping", ctypes.c_uint32),
        ("validation_fraction", ctypes.c_float),
        # 0.6: class weights (LOGISTIC)
        ("class_weight", ctypes.c_float * 2),
        # 0.7: SOFTMAX's number of classes (other kinds leave it 0)
        ("n_classes", ctypes.c_uint32),
    ]


class FitReport(ctypes.Structure):
    _fields_ = [
        ("epochs_run", ctypes.c_uint32),
        ("stop_reason", ctypes.c_uint32),
        ("final_loss", ctypes.c_float),
        ("lr", ctypes.c_float),
        ("lr_initial", ctypes.c_float),
        ("steps", ctypes.c_uint64),
        ("message", ctypes.c_char_p),
        ("converged", ctypes.c_uint32),
        ("solver", ctypes.c_uint32),
        ("standardized", ctypes.c_uint32),
        ("validation_loss", ctypes.c_float),
        ("best_epoch", ctypes.c_uint32),
    ]


class DescentError(RuntimeError):
    """A descent call failed. ``status`` is the dsc_status value, ``status_name`` its enum
    name; the message holds dsc_status_string() and, where there is one, the library's
    explanation (dsc_check_config() or dsc_fit_report.message)."""

    def __init__(self, status, call, detail=None):
        self.status = int(status)
        self.status_name = STATUS_NAMES.get(self.status, f"status {self.status}")
        self.call = call
        self.detail = detail
        text = lib().dsc_status_string(self.status).decode()
        msg = f"{call}: {self.status_name}: {text}"
        if detail:
            msg += f" ({detail})"
        super().__init__(msg)


# ---- loading -----------------------------------------------------------------------------------
_LIB = None
_LIB_PATH = None


def _candidates():
    env = os.environ.get("DESCENT_LIBRARY")
    if env:
        return [env], True
    here = os.path.dirname(os.path.abspath(__file__))
    names = {"linux": ["libdescent.so"], "darwin": ["libdescent.dylib"],
             "win32": ["descent.dll", "libdescent.dll"]}.get(sys.platform, ["libdescent.so"])
    return [os.path.join(here, n) for n in names], False


def library_path():
    """Path of the shared library in use (loads it if needed)."""
    lib()
    return _LIB_PATH


def lib():
    """The loaded shared library, with every prototype declared."""
    global _LIB, _LIB_PATH
    if _LIB is not None:
        return _LIB
    paths, from_env = _candidates()
    errors = []
    for p in paths:
        if not os.path.exists(p):
            errors.append(f"{p}: no such file")
            continue
        try:
            handle = ctypes.CDLL(p)
        except OSError as e:
            errors.append(f"{p}: {e}")
            continue
        _declare(handle)
        _check_version(handle, p)
        _LIB, _LIB_PATH = handle, p
        return handle
    where = "DESCENT_LIBRARY" if from_env else "the package directory"
    raise OSError(
        "descent: cannot load the shared library from " + where + ": " + "; ".join(errors) +
        ". Build it (cmake --build <dir> --target descent_shared) and set DESCENT_LIBRARY to "
        "<dir>/ports/libdescent.so, or reinstall the package with `pip install ports/python`, "
        "which builds and bundles it.")


# The C library this package's ctypes declarations were written for: same major and minor.
PACKAGE_VERSION = (0, 3, 0)


def library_version(h=None):
    """(major, minor, patch) of the loaded shared library."""
    v = int((h or lib()).dsc_version())
    return (v >> 16, (v >> 8) & 0xFF, v & 0xFF)


def _check_version(h, path):
    if not hasattr(h, "dsc_version"):
        raise OSError(f"descent: {path} has no dsc_version(): a library older than 0.2 does not "
                      "match this package's declarations; rebuild it from this source tree")
    have = library_version(h)
    if have[:2] != PACKAGE_VERSION[:2]:
        raise OSError(
            "descent: the shared library at %s is version %d.%d.%d, this package needs %d.%d.x "
            "(its struct layouts and prototypes follow that header); rebuild the library or "
            "reinstall the package" % ((path,) + have + PACKAGE_VERSION[:2]))


def _declare(h):
    c = ctypes
    P = c.c_void_p
    size = c.c_size_t
    status = c.c_int
    protos = {
        "dsc_config_init": (None, [P, c.c_int, c.c_uint32]),
        "dsc_check_config": (c.c_char_p, [P]),
        "dsc_arena_size": (size, [P]),
        "dsc_create": (status, [P, P, size, c.POINTER(P)]),
        "dsc_fit": (status, [P, P, P, size, c.POINTER(FitReport)]),
        "dsc_loss": (status, [P, P, P, size, c.POINTER(c.c_float)]),
        "dsc_fit_weighted": (status, [P, P, P, P, size, c.POINTER(FitReport)]),
        "dsc_loss_weighted": (status, [P, P, P, P, size, c.POINTER(c.c_float)]),
        "dsc_predict": (status, [P, P, size, P]),
        "dsc_predict_logit": (status, [P, P, size, P]),
        "dsc_predict_label": (status, [P, P, size, P]),
        "dsc_predict_proba": (status, [P, P, size, P, size]),
        "dsc_param_count": (size, [P]),
        "dsc_get_params": (status, [P, P, size]),
        "dsc_set_params": (status, [P, P, size]),
        "dsc_reset": (status, [P]),
        "dsc_get_config": (status, [P, P]),
        "dsc_save_size": (size, [P]),
        "dsc_save_predictor_size": (size, [P]),
        "dsc_save": (status, [P, P, size, c.POINTER(size)]),
        "dsc_save_predictor": (status, [P, P, size, c.POINTER(size)]),
        "dsc_load_arena_size": (status, [P, size, c.POINTER(size)]),
        "dsc_load": (status, [P, size, P, size, c.POINTER(P)]),
        "dsc_set_callback": (status, [P, EPOCH_CALLBACK, P]),
        "dsc_set_exchange": (status, [P, EXCHANGE_FN, P, c.c_uint32]),
        "dsc_status_string": (c.c_char_p, [c.c_int]),
        "dsc_stop_reason_string": (c.c_char_p, [c.c_int]),
        "dsc_backend_name": (c.c_char_p, [P]),
        "dsc_backend_available": (c.c_int, [c.c_int]),
        "dsc_version": (c.c_uint32, []),
        "dsc_validation_rows": (status, [P, size, P, size, c.POINTER(size)]),
    }
    # The POSIX thread pool (ports/posix) ships in the shared library on POSIX hosts.
    protos.update({
        "dsc_pool_create": (P, [c.c_uint]),
        "dsc_pool_destroy": (None, [P]),
        "dsc_pool_threads": (c.c_uint, [P]),
        "dsc_load_arena_size_ex": (status, [P, size, c.c_uint32, c.POINTER(size)]),
        "dsc_load_ex": (status, [P, size, P, size, P, P, c.c_uint32, c.POINTER(P)]),
    })
    optional = ("dsc_version", "dsc_pool_create", "dsc_pool_destroy", "dsc_pool_threads",
                "dsc_set_exchange")
    for name, (res, args) in protos.items():
        if name in optional and not hasattr(h, name):
            continue  # an old library (_check_version says so), or one built without the pool
        fn = getattr(h, name)
        fn.restype = res
        fn.argtypes = args


# ---- config buffers ------------------------------------------------------------------------------
_CONFIG_SIZE = None


def config_size():
    """sizeof(dsc_config) in the loaded library (dsc_config_init writes it first)."""
    global _CONFIG_SIZE
    if _CONFIG_SIZE is None:
        probe = (ctypes.c_uint64 * 512)()  # 4 KiB, far more than any dsc_config
        lib().dsc_config_init(probe, KIND["linear"], 1)
        n = ctypes.c_uint32.from_buffer(probe).value
        if n < ctypes.sizeof(Config) or n > ctypes.sizeof(probe):
            raise OSError(f"descent: the library's dsc_config is {n} bytes; this binding needs "
                          f"at least {ctypes.sizeof(Config)} (library older than the binding)")
        _CONFIG_SIZE = n
    return _CONFIG_SIZE


def new_config(kind, n_features):
    """A dsc_config buffer with the library's defaults; returns (buffer, Config view)."""
    n = config_size()
    buf = (ctypes.c_uint64 * ((n + 7) // 8))()
    lib().dsc_config_init(buf, KIND[kind], n_features)
    return buf, Config.from_buffer(buf)


class Pool:
    """A descent_pool (ports/posix) of n threads, the caller's included; destroyed with the
    object. ``parallel_for`` and ``handle`` go into dsc_config.parallel_for / .pool."""

    def __init__(self, n_threads):
        h = lib()
        if not hasattr(h, "dsc_pool_create"):
            raise OSError("descent: this shared library was built without the POSIX thread "
                          "pool (dsc_pool_create); n_jobs > 1 needs it")
        self.handle = h.dsc_pool_create(int(n_threads))
        if not self.handle:
            raise OSError(f"descent: dsc_pool_create({n_threads}) could not start its threads")
        self.n_threads = int(h.dsc_pool_threads(self.handle))
        self.parallel_for = ctypes.cast(h.dsc_pool_parallel_for, ctypes.c_void_p).value

    def __del__(self):
        handle, self.handle = getattr(self, "handle", None), None
        if handle and _LIB is not None:
            _LIB.dsc_pool_destroy(handle)


def check(status, call, detail=None):
    if status != DSC_OK:
        raise DescentError(status, call, detail)
