"""Shared fixtures. The package under test is whatever `import descent` finds: the source
tree when ctest sets PYTHONPATH (with DESCENT_LIBRARY pointing at the build's libdescent.so),
or the installed package when pytest runs on its own after `pip install ports/python`."""
import numpy as np
import pytest

import descent


def pytest_report_header(config):
    return [f"descent {descent.__version__} from {descent.__file__}",
            f"shared library: {descent.library_path()}"]


@pytest.fixture
def rng():
    return np.random.default_rng(20240611)


@pytest.fixture
def linear_data(rng):
    X = rng.normal(size=(800, 5))
    w = np.array([1.5, -2.0, 0.75, 1.0, -0.5])
    y = X @ w + 0.25 + 0.1 * rng.normal(size=800)
    return X, y


@pytest.fixture
def logistic_data(rng):
    X = rng.normal(size=(1500, 4))
    z = X @ np.array([1.5, -2.0, 0.75, 1.0]) + 0.25
    y = (rng.uniform(size=1500) < 1.0 / (1.0 + np.exp(-z))).astype(np.float64)
    return X, y


@pytest.fixture
def sine_data():
    x = np.linspace(-1.0, 1.0, 400)
    return x, np.sin(np.pi * x)
