"""The Python package `wbe` (python-bindings/): it imports from the build tree; its pipeline gives
the CLI's store; its tables read like h5py; its back-calculation kernel agrees with the worked
example and numpy, reads contiguous input in place and releases the GIL; engine errors arrive as
Python exceptions that say where."""
import fcntl
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import tracemalloc

import h5py
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import wbe
from wbe import _core
from conftest import BUILD, EXAMPLE_CONFIG, ROOT, run_cli

DATA = ROOT / "data" / "example"
FLAG_KEY = ["site_id", "drug", "campaign", "date", "rule", "level", "certainty"]


def flag_set(store):
    flags = wbe.open_store(store).read("flags")
    return set(flags[FLAG_KEY].itertuples(index=False, name=None))


def h5py_table(store, name):
    with h5py.File(store, "r") as f:
        return f[name][()]


# Which run wrote a row (schema 4): a store built stage by stage, or re-estimated, numbers its
# runs differently from one built by a single `run`, with the same results.
PROVENANCE = ("run_id",)


def assert_same_table(columns, arr, ignore=()):
    """`columns` ({name: array} or a DataFrame) holds what h5py reads: same names in the same
    order, float64/int64 numbers equal (NaN to NaN), text as str; `ignore`d columns are only
    checked to exist."""
    assert list(columns) == list(arr.dtype.names)
    for field in arr.dtype.names:
        if field in ignore:
            continue
        got = np.asarray(columns[field])
        assert len(got) == len(arr)
        kind = arr.dtype[field].kind
        if kind == "S":
            assert got.dtype == object and list(got) == [v.decode("utf-8") for v in arr[field]], field
        else:
            assert got.dtype == {"f": np.float64, "i": np.int64}[kind], field
            np.testing.assert_array_equal(got, arr[field], err_msg=field)


@pytest.fixture(scope="session")
def py_run(tmp_path_factory):
    """The example city run through wbe.run into a fresh store: (store path, summary)."""
    store = tmp_path_factory.mktemp("py") / "example.h5"
    return store, wbe.run(EXAMPLE_CONFIG, store=store)


# --- the package --------------------------------------------------------------------------------

def test_the_package_imports_from_the_build_tree(tmp_path, cli):
    env = dict(os.environ, PYTHONPATH=str(BUILD / "python"))
    code = "import wbe; print(wbe.__file__); print(wbe._core.__file__); print(wbe.__version__)"
    proc = subprocess.run(["/usr/bin/python3", "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          check=True)
    init, core, version = proc.stdout.split()
    package = BUILD / "python" / "wbe"
    assert os.path.dirname(init) == str(package)
    assert os.path.dirname(core) == str(package)
    assert (package / "_core.pyi").exists() and (package / "py.typed").exists()
    assert run_cli("--version").stdout.strip() == f"wbe {version}"


# --- the pipeline -------------------------------------------------------------------------------

def test_run_gives_the_store_the_cli_gives(py_run, example_store):
    store, summary = py_run
    assert summary["store"] == str(store)
    assert summary["city"] and summary["latest_campaign"]
    assert len(summary["ingest"]["added"]) == len(list((DATA / "batches").glob("*.csv")))
    assert summary["estimate"]["n_daily"] == len(h5py_table(store, "estimates_daily"))
    flags = flag_set(store)
    assert summary["flags"]["n_flags"] == len(flags) == len(h5py_table(example_store, "flags")) > 0
    assert flags == flag_set(example_store)
    py = wbe.open_store(store)
    for table in ["estimates_daily", "estimates_campaign", "summaries", "detections"]:
        assert_same_table(py.columns(table), h5py_table(example_store, table), ignore=PROVENANCE)


def test_stage_by_stage_gives_the_run_results(tmp_path, py_run):
    store = tmp_path / "staged.h5"
    n_batches = len(list((DATA / "batches").glob("*.csv")))
    ingested = wbe.ingest(EXAMPLE_CONFIG, store=store)
    assert (len(ingested["added"]), ingested["skipped"], ingested["store"]) == (n_batches, [], str(store))
    assert (ingested["superseded"], ingested["recomputed"]) == ([], False)
    estimated = wbe.estimate(EXAMPLE_CONFIG, store=store)
    assert estimated["model_set"] == "default"
    assert estimated["n_daily"] == ingested["n_results"] == len(h5py_table(store, "estimates_daily"))
    assert isinstance(estimated["warnings"], list) and isinstance(estimated["population_warnings"], list)
    flagged = wbe.flag(EXAMPLE_CONFIG, store=store)
    assert flagged["n_flags"] == flagged["n_watch"] + flagged["n_alert"] == py_run[1]["flags"]["n_flags"]
    assert flag_set(store) == flag_set(py_run[0])
    again = wbe.ingest(EXAMPLE_CONFIG, store=store)
    assert (again["added"], len(again["skipped"])) == ([], n_batches)


def test_zero_means_below_loq_reads_a_zero_as_censored(tmp_path):
    batch = tmp_path / "euda.csv"
    header = (DATA / "bad_batch.csv").read_text().splitlines()[0]
    batch.write_text(f"{header}\nLS-EUDA-1,LS-EUDA-1-S1,LS-WWTP-01,2022-02-14,methamphetamine,0,ng/L,,0.5,1.5,"
                     "LCMSMS-DRUGS-v2,LS-CDC-LAB,composite_24h\n")
    store = tmp_path / "euda.h5"
    with pytest.raises(wbe.InputError, match="below its lod") as info:
        wbe.ingest(EXAMPLE_CONFIG, store=store, batches=[batch])
    assert (info.value.line, info.value.column) == (2, 6)
    summary = wbe.ingest(EXAMPLE_CONFIG, store=store, batches=[str(batch)], zero_means_below_loq=True)
    assert (summary["added"], summary["n_results"]) == (["LS-EUDA-1"], 1)
    samples = wbe.open_store(store).read("samples")
    assert list(samples.qualifier) == ["<LOQ"] and np.isnan(samples.value_ng_per_l[0])


def test_two_threads_estimate_concurrently(tmp_path, py_run):
    stores = [tmp_path / "a.h5", tmp_path / "b.h5"]
    for store in stores:
        shutil.copy(py_run[0], store)
    errors = []

    def work(store):
        try:
            wbe.estimate(EXAMPLE_CONFIG, store=store)
        except Exception as e:  # noqa: BLE001 — reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    reference = h5py_table(py_run[0], "estimates_campaign")
    for store in stores:
        assert_same_table(wbe.open_store(store).columns("estimates_campaign"), reference, ignore=PROVENANCE)


# --- the store ----------------------------------------------------------------------------------

def test_a_store_lists_the_engines_tables(py_run):
    store = wbe.open_store(py_run[0])
    assert store.tables == _core.store_tables()
    with h5py.File(py_run[0], "r") as f:
        assert set(f.keys()) == set(store.tables)


@pytest.mark.parametrize("name", _core.store_tables())
def test_every_table_reads_like_h5py(py_run, name):
    df = wbe.open_store(py_run[0]).read(name)
    assert_same_table(df, h5py_table(py_run[0], name))


def test_without_pandas_tables_are_record_arrays(py_run, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    store = wbe.open_store(py_run[0])
    flags = store.read("flags")
    assert isinstance(flags, np.recarray)
    assert flags.dtype.names == tuple(store.columns("flags"))
    assert len(flags) == py_run[1]["flags"]["n_flags"]
    series = store.series("LS-WWTP-01", "methamphetamine")
    assert isinstance(series, np.recarray) and list(series.campaign) == sorted(series.campaign)


def test_a_table_an_older_store_lacks_reads_empty(tmp_path, py_run, monkeypatch):
    store = tmp_path / "older.h5"
    shutil.copy(py_run[0], store)
    with h5py.File(store, "r+") as f:
        del f["populations"]  # as in a schema-1 store, which predates the table
    opened = wbe.open_store(store)
    assert opened.tables == [t for t in _core.store_tables() if t != "populations"]
    assert opened.read("populations").empty
    monkeypatch.setitem(sys.modules, "pandas", None)
    assert len(opened.read("populations")) == 0


def test_series_is_one_site_and_drug_by_campaign(py_run):
    store = wbe.open_store(py_run[0])
    rows = store.read("estimates_campaign")
    series = store.series("LS-WWTP-01", "methamphetamine")
    expected = rows[(rows.scope == "site") & (rows.id == "LS-WWTP-01") & (rows.drug == "methamphetamine")]
    assert len(series) == len(expected) > 1
    assert list(series.campaign) == sorted(expected.campaign)
    assert series.campaign.is_unique
    expected = expected.sort_values("campaign").reset_index(drop=True)
    for name in expected.columns:
        np.testing.assert_array_equal(series[name].to_numpy(), expected[name].to_numpy(), err_msg=name)
    # A drug whose residue is another analyte is found by either name.
    cocaine = store.series("LS-V-01", "cocaine")
    assert set(cocaine.analyte) == {"benzoylecgonine"}
    assert list(cocaine.campaign) == list(store.series("LS-V-01", "benzoylecgonine").campaign)
    with pytest.raises(KeyError, match="heroinx"):
        store.series("LS-WWTP-01", "heroinx")


# --- the back-calculation kernel ------------------------------------------------------------------

def test_back_calculate_gives_the_worked_example():
    # science.md §1: C = 200 ng/L, Q = 100 000 m³/d, P = 500 000 → PNL 40; CF = 1/0.43 → 93.02.
    pnl, consumption, doses = wbe.back_calculate(np.array([200.0]), np.array([1e5]), np.array([5e5]), cf=1 / 0.43,
                                                 dose_mg=30.0)
    assert pnl[0] == pytest.approx(40.0, rel=1e-15)
    assert consumption[0] == pytest.approx(40.0 / 0.43, rel=1e-15)
    assert round(consumption[0], 2) == 93.02
    assert doses[0] == pytest.approx(40.0 / 0.43 / 30.0, rel=1e-15)


def test_back_calculate_agrees_with_numpy():
    rng = np.random.default_rng(7)
    n = 10_001  # odd: the vector loop's remainder is covered too
    c, q, p = rng.uniform(0, 500, n), rng.uniform(1e3, 1e6, n), rng.uniform(1e3, 1e6, n)
    p[::97] = 0.0
    f_sorb, in_sewer, cf, dose = 0.2, 1.3, 2.33, 30.0
    pnl, consumption, doses = wbe.back_calculate(c, q, p, cf, dose_mg=dose, sorbed_fraction=f_sorb,
                                                 in_sewer_factor=in_sewer)
    with np.errstate(divide="ignore"):
        expected = c * q * (1e-3 / (1 - f_sorb) * in_sewer) / np.where(p > 0, p, np.nan) * 1000
    np.testing.assert_allclose(pnl, expected, rtol=1e-14)
    np.testing.assert_allclose(consumption, expected * cf, rtol=1e-14)
    np.testing.assert_allclose(doses, expected * cf / dose, rtol=1e-14)
    assert np.isnan(pnl[::97]).all() and np.isfinite(np.delete(pnl, np.s_[::97])).all()
    assert np.isnan(wbe.back_calculate(c, q, p, cf)[2]).all()  # no dose: no doses


def test_back_calculate_reads_contiguous_float64_in_place():
    n = 10**7
    c, q, p = np.linspace(1, 500, n), np.linspace(1e4, 1e5, n), np.full(n, 2e5)
    tracemalloc.start()
    try:
        outputs = wbe.back_calculate(c, q, p, 2.33, dose_mg=30.0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The three outputs and a few small objects: a copy of any input would add another n × 8 bytes.
    assert peak < 3 * n * 8 + 1_000_000
    assert all(not np.shares_memory(o, x) for o in outputs for x in (c, q, p))
    assert outputs[0][-1] == pytest.approx(500 * 1e5 * 1e-3 / 2e5 * 1000, rel=1e-15)


def test_back_calculate_copies_other_layouts_once():
    n = 10**6
    c, q, p = np.linspace(1, 500, n), np.linspace(1e4, 1e5, n), np.full(n, 2e5)
    strided = np.empty(2 * n)
    strided[::2] = c
    assert not strided[::2].flags.c_contiguous
    tracemalloc.start()
    try:
        got = wbe.back_calculate(strided[::2], q, p, 2.33)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak >= 4 * n * 8  # the documented copy of the strided input, then the outputs
    want = wbe.back_calculate(c, q, p, 2.33)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    # Integer arrays and lists convert too.
    np.testing.assert_array_equal(wbe.back_calculate([200], np.array([100_000]), [500_000], 1.0)[0], [40.0])


def test_back_calculate_refuses_what_it_cannot_compute():
    one = np.ones(3)
    with pytest.raises(ValueError, match="same length"):
        wbe.back_calculate(one, np.ones(4), one, 1.0)
    with pytest.raises(ValueError, match="1-D"):
        wbe.back_calculate(np.ones((3, 1)), one, one, 1.0)
    with pytest.raises(TypeError):
        wbe.back_calculate(one.astype(complex), one, one, 1.0)
    with pytest.raises(wbe.NumericalError, match="sorbed fraction") as info:
        wbe.back_calculate(one, one, one, 1.0, sorbed_fraction=1.0)
    assert isinstance(info.value, ValueError)
    with pytest.raises(wbe.NumericalError, match="in-sewer factor"):
        wbe.back_calculate(one, one, one, 1.0, in_sewer_factor=0.5)


def test_two_threads_back_calculate_concurrently_with_the_gil_released():
    n, calls = 5 * 10**6, 2
    c, q, p = np.linspace(1, 500, n), np.linspace(1e4, 1e5, n), np.full(n, 2e5)
    factors = [2.33, 1.5]  # one per thread: a result computed with the other's would differ
    expected = [wbe.back_calculate(c, q, p, cf, dose_mg=30.0) for cf in factors]
    one_call = float("inf")  # the fastest of a few: a slow outlier would make the check lax
    for _ in range(3):
        started = time.perf_counter()
        wbe.back_calculate(c, q, p, factors[0], dose_mg=30.0)
        one_call = min(one_call, time.perf_counter() - started)
    results = [None, None]
    barrier = threading.Barrier(3)

    def work(i):
        barrier.wait()
        for _ in range(calls):
            results[i] = wbe.back_calculate(c, q, p, factors[i], dose_mg=30.0)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    barrier.wait()
    # This thread keeps running Python meanwhile (waking every millisecond). Kernels holding the
    # GIL would block it for all 2 × calls calls, one after the other; released, it only waits
    # when the OS deschedules it.
    blocked, last = 0.0, time.perf_counter()
    while any(t.is_alive() for t in threads):
        time.sleep(0.001)
        now = time.perf_counter()
        if now - last > one_call / 2:
            blocked += now - last
        last = now
    for t in threads:
        t.join()
    assert blocked < 2 * one_call
    for got, want in zip(results, expected):
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)


@st.composite
def chain_inputs(draw):
    n = draw(st.integers(1, 40))
    # No subnormals: scaling one by k loses digits, which is underflow, not non-linearity.
    conc = draw(hnp.arrays(np.float64, n, elements=st.one_of(st.just(0.0), st.floats(1e-100, 1e6))))
    flow = draw(hnp.arrays(np.float64, n, elements=st.floats(1e2, 1e7)))
    population = draw(hnp.arrays(np.float64, n, elements=st.floats(1.0, 1e8)))
    return conc, flow, population


@settings(max_examples=60, deadline=None, database=None)  # database=None: no .hypothesis/ in the tree
@given(inputs=chain_inputs(), k=st.floats(1e-3, 1e3))
def test_back_calculate_is_linear_in_concentration(inputs, k):
    conc, flow, population = inputs
    base = wbe.back_calculate(conc, flow, population, 2.33, dose_mg=30.0)
    scaled = wbe.back_calculate(k * conc, flow, population, 2.33, dose_mg=30.0)
    for b, s in zip(base, scaled):
        np.testing.assert_allclose(s, k * b, rtol=1e-13, atol=0)


# --- errors -------------------------------------------------------------------------------------

def test_a_bad_batch_raises_input_error_saying_where(tmp_path):
    store = tmp_path / "bad.h5"
    bad = DATA / "bad_batch.csv"
    with pytest.raises(wbe.InputError) as info:
        wbe.ingest(EXAMPLE_CONFIG, store=store, batches=[bad])
    e = info.value
    assert isinstance(e, ValueError)
    assert (e.file, e.line, e.column) == (str(bad), 4, 6)
    assert e.diagnostics[0] == f"{bad}:4:6: value = -3.2: value must be >= 0"
    assert str(e) == "\n".join(e.diagnostics)
    # The same problems as the CLI reports, and nothing written.
    proc = run_cli("ingest", "-c", EXAMPLE_CONFIG, "--store", store, bad, check=False)
    assert proc.returncode == 1
    assert f"{len(e.diagnostics)} problem(s)" in proc.stderr
    assert all(d in proc.stderr for d in e.diagnostics)
    assert not store.exists()


def test_a_bad_config_raises_config_error_saying_where(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("name: x\nstore: x.h5\nbogus: 1\n")
    with pytest.raises(wbe.ConfigError, match="unknown key") as info:
        wbe.estimate(config)
    e = info.value
    assert isinstance(e, ValueError)
    assert (e.file, e.line, e.column) == (str(config), 3, 1)
    assert e.diagnostics == [str(e)]


def test_store_problems_raise_os_error(tmp_path, py_run):
    missing = tmp_path / "none.h5"
    with pytest.raises(wbe.StoreError, match="no store here") as info:
        wbe.open_store(missing)
    assert isinstance(info.value, OSError) and str(missing) in str(info.value)
    with pytest.raises(OSError, match="no store here"):
        wbe.estimate(EXAMPLE_CONFIG, store=missing)
    with pytest.raises(OSError, match="no store here"):
        _core.read_table(missing, "flags")
    not_hdf5 = tmp_path / "notes.h5"
    not_hdf5.write_text("not a store")
    with pytest.raises(wbe.StoreError, match="not an HDF5 file"):
        wbe.open_store(not_hdf5)
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(py_run[0].read_bytes()[:4096])
    with pytest.raises(wbe.StoreError, match="truncated.h5"):
        wbe.open_store(truncated)
    with pytest.raises(wbe.StoreError, match="truncated.h5"):
        _core.read_table(truncated, "flags")
    with pytest.raises(wbe.StoreError, match="unknown table 'nope'"):
        wbe.open_store(py_run[0]).read("nope")
    # Another writer holds the store's lock: nothing is written, and the message says so.
    with open(f"{py_run[0]}.lock", "a") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)
        with pytest.raises(wbe.StoreError, match="store is locked"):
            wbe.flag(EXAMPLE_CONFIG, store=py_run[0])


def test_the_readme_example_runs(tmp_path, monkeypatch, py_run):
    for folder in ["config", "data", "models"]:
        (tmp_path / folder).symlink_to(ROOT / folder)
    (tmp_path / "out").mkdir()  # the plot example reads the demo's store, out/example.h5
    shutil.copy(py_run[0], tmp_path / "out" / "example.h5")
    monkeypatch.chdir(tmp_path)  # the example runs from the repository root and writes example.h5
    readme = ROOT / "python-bindings" / "README.md"
    code = "\n".join(re.findall(r"```python\n(.*?)```", readme.read_text(), re.S))
    exec(compile(code, str(readme), "exec"), {})
    assert (tmp_path / "example.h5").exists()
