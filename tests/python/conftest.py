"""Shared fixtures: where the project, the build and the CLI are."""
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("WBE_BUILD_DIR", ROOT / "build"))
CLI = BUILD / "bin" / "wbe"
EXAMPLE_CONFIG = ROOT / "config" / "example.yaml"

# The `wbe` package under test is the one built beside the CLI under test (make test also sets
# PYTHONPATH to it; this keeps a bare `pytest` run with WBE_BUILD_DIR consistent).
sys.path.insert(0, str(BUILD / "python"))


@pytest.fixture(scope="session")
def cli():
    if not CLI.exists():
        pytest.fail(f"the wbe CLI is not built at {CLI} (run `make build`)")
    return CLI


def run_cli(*args, check=True):
    """Runs build/bin/wbe and returns the CompletedProcess (text mode)."""
    proc = subprocess.run([str(CLI), *map(str, args)], capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"wbe {' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def example_store(tmp_path_factory, cli):
    """The example city ingested, estimated and flagged, stage by stage, into a fresh store."""
    store = tmp_path_factory.mktemp("store") / "example.h5"
    run_cli("ingest", "-c", EXAMPLE_CONFIG, "--store", store)
    run_cli("estimate", "-c", EXAMPLE_CONFIG, "--store", store)
    run_cli("flag", "-c", EXAMPLE_CONFIG, "--store", store)
    return store
