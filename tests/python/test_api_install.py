"""`pip install` from the source tree without network (python-bindings/pyproject.toml, setup.py).

A venv with Debian's packages visible, `pip install --no-build-isolation --no-deps
python-bindings/`, then `import wbe` from the venv. The CMake build folder is the test's own build
(WBE_CMAKE_BUILD_DIR), already built by `make test`, so setup.py compiles nothing and the test
checks the packaging: what a first install into a new folder compiles is the normal build (~2
minutes on 2 cores, python-bindings/README.md). Bounded by a timeout."""
import os
import subprocess
import sys
import time

from conftest import BUILD, ROOT

TIMEOUT_S = 600


def test_pip_installs_the_package_from_the_source_tree_offline(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", str(venv)], check=True,
                   timeout=120)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the venv's wbe, not the build tree's
    env.update(WBE_CMAKE_BUILD_DIR=str(BUILD), PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    started = time.perf_counter()
    proc = subprocess.run([str(venv / "bin" / "pip"), "install", "--no-build-isolation", "--no-deps",
                           str(ROOT / "python-bindings")], env=env, capture_output=True, text=True,
                          timeout=TIMEOUT_S)
    took = time.perf_counter() - started
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    sys.stderr.write(f"pip install took {took:.1f} s\n")
    code = ("import numpy as np, wbe\n"
            "print(wbe.__file__)\n"
            "print(wbe._core.__file__)\n"
            "pnl, cons, _ = wbe.back_calculate(np.array([200.0]), np.array([1e5]), np.array([5e5]), cf=1 / 0.43)\n"
            "print(round(cons[0], 2))\n"
            "print(wbe.monte_carlo([200.0], [1e5], [5e5], 2.33, draws=100).summary['draws'])\n")
    out = subprocess.run([str(venv / "bin" / "python"), "-c", code], cwd=tmp_path, env=env, capture_output=True,
                         text=True, check=True, timeout=120).stdout.split()
    site = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages" / "wbe"
    assert out[0] == str(site / "__init__.py") and out[1].startswith(str(site / "_core"))
    assert out[2:] == ["93.02", "100"]
    assert (site / "_core.pyi").exists() and (site / "py.typed").exists()
    # The source tree is left clean: setuptools' scratch files went to the CMake build folder.
    assert not (ROOT / "python-bindings" / "build").exists()
    assert not list((ROOT / "python-bindings").glob("*.egg-info"))
