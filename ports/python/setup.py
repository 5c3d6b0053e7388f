"""Build hook: puts the shared library (libdescent.so) inside the package.

Which library is bundled:
  * DESCENT_LIBRARY set at build time: that file (e.g. build/default/ports/libdescent.so);
  * otherwise CMake builds the `descent_shared` target from the descent source tree, found at
    DESCENT_SOURCE_DIR or two directories above this file (ports/python -> the repository
    root), in a temporary build directory (Release, no tests, no examples). Needs cmake >= 3.25
    and a C/C++ compiler.

At run time the package loads the bundled copy unless DESCENT_LIBRARY is set, which always
wins (descent/_capi.py).
"""
import os
import shutil
import subprocess
import sys
import tempfile

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))
LIB_NAME = {"darwin": "libdescent.dylib"}.get(sys.platform, "libdescent.so")


def built_library():
    given = os.environ.get("DESCENT_LIBRARY")
    if given:
        if not os.path.isfile(given):
            raise SystemExit(f"DESCENT_LIBRARY={given}: no such file")
        return given
    root = os.environ.get("DESCENT_SOURCE_DIR") or os.path.normpath(os.path.join(HERE, "..", ".."))
    if not os.path.isfile(os.path.join(root, "lib", "include", "descent.h")):
        raise SystemExit(
            f"descent: no source tree at {root} to build the shared library from; set "
            "DESCENT_SOURCE_DIR to the repository root, or DESCENT_LIBRARY to a built "
            "libdescent.so")
    cmake = os.environ.get("CMAKE", "cmake")
    build = tempfile.mkdtemp(prefix="descent-pybuild-")
    subprocess.check_call([cmake, "-S", root, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
                           "-DDESCENT_BUILD_TESTS=OFF", "-DDESCENT_BUILD_EXAMPLES=OFF"])
    subprocess.check_call([cmake, "--build", build, "--target", "descent_shared", "--parallel"])
    path = os.path.join(build, "ports", LIB_NAME)
    if not os.path.isfile(path):
        raise SystemExit(f"descent: CMake did not produce {path}")
    return path


class build_py_with_library(build_py):
    def run(self):
        super().run()
        src = os.path.realpath(built_library())
        dst = os.path.join(self.build_lib, "descent", LIB_NAME)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(src, dst)
        os.chmod(dst, 0o755)
        print(f"descent: bundled {src} as {dst}")


class BinaryDistribution(Distribution):
    """The wheel holds a native library: tag it for this platform, not py3-none-any."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": build_py_with_library}, distclass=BinaryDistribution)
