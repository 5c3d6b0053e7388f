"""descent: gradient-descent regression in a caller-owned arena, from Python.

NumPy-friendly, scikit-learn-style estimators over the descent C library (ctypes):

    >>> import numpy as np, descent
    >>> X = np.random.default_rng(0).normal(size=(200, 3))
    >>> y = X @ [1.0, 2.0, 4.0] + 3.0
    >>> m = descent.LinearRegression().fit(X, y)     # automatic step size, full-batch GD
    >>> np.round(m.coef_, 3), round(m.intercept_, 3)

The shared library comes from the environment variable DESCENT_LIBRARY when it is set, else
from the copy that ``pip install ports/python`` built and bundled into the package.
"""
from ._capi import DescentError, library_path
from .estimators import (
    ConvergenceWarning,
    Legendre3Regression,
    LinearRegression,
    LogisticRegression,
    NotFittedError,
    PolynomialRegression,
    load,
    validation_rows,
)
from . import distributed  # descent.distributed.fit: data-parallel training over MPI (mpi4py)

__version__ = "0.3.0"  # = _capi.PACKAGE_VERSION; import checks the library against it

__all__ = [
    "LinearRegression",
    "LogisticRegression",
    "PolynomialRegression",
    "Legendre3Regression",
    "load",
    "validation_rows",
    "DescentError",
    "ConvergenceWarning",
    "NotFittedError",
    "library_path",
    "backend_available",
    "distributed",
]


def backend_available(name):
    """True if the library was built with kernel path `name` ("avx2", "neon", ...) and this
    CPU can run it."""
    from . import _capi

    return bool(_capi.lib().dsc_backend_available(_capi.BACKEND[name.lower()]))
