"""Builds the package `wbe` with its compiled module `_core` by running the project's CMake build.

Only the `_core` target is built (the engine's libraries and the module; no tests, benchmarks or
CLI), in a persistent CMake build folder so that a reinstall is incremental:
``$WBE_CMAKE_BUILD_DIR``, by default ``build-pip/`` at the project root (ignored by git). An
existing, configured build folder is used as it is (so WBE_CMAKE_BUILD_DIR=build installs what
`make build` built, compiling nothing). With ccache installed it is used for a new folder.
setuptools' own scratch files (build/, wbe.egg-info) go into that folder too, not into the tree.
"""
import os
import pathlib
import re
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
BUILD = pathlib.Path(os.environ.get("WBE_CMAKE_BUILD_DIR", ROOT / "build-pip")).resolve()


def version():
    """The engine's version, from `project(wbe VERSION x.y.z ...)` in the top CMakeLists.txt."""
    text = (ROOT / "CMakeLists.txt").read_text()
    return re.search(r"project\(\s*wbe\s+VERSION\s+([0-9.]+)", text).group(1)


class cmake_build(build_ext):
    def build_extension(self, ext):
        BUILD.mkdir(parents=True, exist_ok=True)
        if not (BUILD / "CMakeCache.txt").exists():
            configure = ["cmake", "-S", str(ROOT), "-B", str(BUILD), "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
                         "-DWBE_BUILD_TESTS=OFF", "-DWBE_BUILD_BENCH=OFF", "-DWBE_BUILD_PYTHON=ON",
                         f"-DPython_EXECUTABLE={sys.executable}"]
            if shutil.which("ccache"):
                configure.append("-DCMAKE_CXX_COMPILER_LAUNCHER=ccache")
            subprocess.run(configure, check=True)
        # An existing build folder (e.g. the project's own `build/`, WBE_CMAKE_BUILD_DIR=build) is
        # used as it is configured: its options are not changed.
        jobs = os.environ.get("WBE_BUILD_JOBS", str(os.cpu_count() or 2))
        subprocess.run(["cmake", "--build", str(BUILD), "--target", "_core", "-j", jobs], check=True)
        built = next((BUILD / "python" / "wbe").glob("_core*.so"))
        target = pathlib.Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built, target)


(BUILD / "setuptools").mkdir(parents=True, exist_ok=True)
setup(
    version=version(),
    packages=["wbe"],
    package_dir={"wbe": str((HERE / "wbe").relative_to(HERE))},
    package_data={"wbe": ["_core.pyi", "py.typed"]},
    ext_modules=[Extension("wbe._core", sources=[])],
    cmdclass={"build_ext": cmake_build},
    options={"build": {"build_base": str(BUILD / "setuptools")},
             "egg_info": {"egg_base": str(BUILD / "setuptools")}},
    zip_safe=False,
)
