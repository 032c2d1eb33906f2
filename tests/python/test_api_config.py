"""The pipeline from Python with a config dict, and store maintenance: superseding a corrected batch,
its history, migrating an older store (python-bindings/wbe/pipeline.py, _config.py, store.py).

The reference for a dict config is the same config read from its YAML file: the same store
results. Errors are checked by their exact key path and the engine's rule text."""
import copy
import shutil

import h5py
import numpy as np
import pytest
import yaml

import wbe
from conftest import EXAMPLE_CONFIG, ROOT

CONFIG_DIR = ROOT / "config"
DATA = ROOT / "data" / "example"


@pytest.fixture(scope="module")
def py_store(tmp_path_factory):
    """The example city run through wbe.run (the engine these bindings hold) into a fresh store."""
    store = tmp_path_factory.mktemp("py") / "example.h5"
    wbe.run(EXAMPLE_CONFIG, store=store)
    return store



@pytest.fixture()
def example_dict():
    return yaml.safe_load(EXAMPLE_CONFIG.read_text())


def estimates(store):
    with h5py.File(store, "r") as f:
        return f["estimates_campaign"][()]


def test_a_dict_config_gives_the_store_its_yaml_file_gives(tmp_path, example_dict, py_store):
    store = tmp_path / "dict.h5"
    summary = wbe.run(example_dict, store=store, base_dir=CONFIG_DIR)
    assert summary["store"] == str(store)
    got, want = estimates(store), estimates(py_store)
    assert got.dtype == want.dtype and len(got) == len(want)
    for name in got.dtype.names:
        if got.dtype[name].kind == "f":
            np.testing.assert_array_equal(got[name], want[name], err_msg=name)
        else:
            assert list(got[name]) == list(want[name]), name


def test_relative_paths_of_a_dict_resolve_against_the_current_directory(tmp_path, example_dict, monkeypatch):
    monkeypatch.chdir(CONFIG_DIR)  # example.yaml's paths are relative to config/
    summary = wbe.ingest(example_dict, store=tmp_path / "cwd.h5")
    assert len(summary["added"]) == len(list((DATA / "batches").glob("*.csv")))
    monkeypatch.chdir(tmp_path)  # from elsewhere the same dict does not find its files
    with pytest.raises((wbe.InputError, wbe.ConfigError)):
        wbe.ingest(example_dict, store=tmp_path / "elsewhere.h5")


@pytest.mark.parametrize("change, key, message", [
    (lambda c: c["uncertainty"].update(draws=0), "uncertainty.draws",
     "config dict at uncertainty.draws: draws = 0: draws must be a whole number from 1 to 1e9"),
    (lambda c: c["uncertainty"]["components"]["flow"].update(bogus=1), "uncertainty.components.flow.bogus",
     "unknown key in flow"),
    (lambda c: c["models"].pop("dir"), "models", "config dict at models: dir = \"\": required key is missing in models"),
    (lambda c: c.update(colour="red"), "colour", "unknown key in run config"),
    (lambda c: c["composites"][0].update(method="median"), "composites[0].method",
     "method must be total_doses or relative"),
    (lambda c: c["inputs"].update(flows=[{"a": 1}]), "inputs.flows[0]", "list entries must be single values"),
    (lambda c: c["censoring"].update(below_lod={1, 2}), "censoring.below_lod", "a config value must be"),
])
def test_a_bad_dict_raises_config_error_naming_the_key_path(tmp_path, example_dict, change, key, message):
    change(example_dict)
    with pytest.raises(wbe.ConfigError) as info:
        wbe.estimate(example_dict, store=tmp_path / "x.h5", base_dir=CONFIG_DIR)
    e = info.value
    assert isinstance(e, ValueError)
    assert (e.key, e.file, e.line, e.column) == (key, None, None, None)
    assert message in str(e) and e.diagnostics == [str(e)]


def test_inline_thresholds_in_a_dict_are_checked_and_located(tmp_path, example_dict):
    example_dict["thresholds"] = yaml.safe_load((CONFIG_DIR / "thresholds.yaml").read_text())
    bad = copy.deepcopy(example_dict)
    bad["thresholds"]["thresholds"][1]["alert"] = 10
    with pytest.raises(wbe.ConfigError, match="alert must be >= watch") as info:
        wbe.flag(bad, store=tmp_path / "x.h5", base_dir=CONFIG_DIR)
    assert info.value.key == "thresholds.thresholds[1].alert"
    bad = copy.deepcopy(example_dict)
    bad["thresholds"]["thresholds"][0] = {"drug": "methamphetamine", "metric": "consumption"}
    with pytest.raises(wbe.ConfigError, match="a rule needs watch, alert or both") as info:
        wbe.flag(bad, store=tmp_path / "x.h5", base_dir=CONFIG_DIR)
    assert info.value.key == "thresholds.thresholds[0]"  # the rule as a whole
    bad = copy.deepcopy(example_dict)
    bad["thresholds"]["detectors"]["drugs"]["ketamine"]["rolling_baseline"] = {"window": 1}
    with pytest.raises(wbe.ConfigError, match="must be an integer") as info:
        wbe.flag(bad, store=tmp_path / "x.h5", base_dir=CONFIG_DIR)
    assert info.value.key == "thresholds.detectors.drugs.ketamine.rolling_baseline.window"


def test_an_error_in_a_file_a_dict_names_keeps_its_file_line_and_column(tmp_path, example_dict):
    thresholds = tmp_path / "thresholds.yaml"
    thresholds.write_text("thresholds: []\nratios: []\nbogus: 1\n")
    example_dict["thresholds"] = str(thresholds)
    with pytest.raises(wbe.ConfigError, match="unknown key") as info:
        wbe.flag(example_dict, store=tmp_path / "x.h5", base_dir=CONFIG_DIR)
    assert (info.value.file, info.value.line, info.value.column) == (str(thresholds), 3, 1)


def test_base_dir_is_for_a_dict_only():
    with pytest.raises(TypeError, match="base_dir"):
        wbe.estimate(EXAMPLE_CONFIG, base_dir=CONFIG_DIR)


# --- store maintenance ----------------------------------------------------------------------------

def corrected(batch, tmp_path):
    """The batch with its first value changed: same batch id, other content."""
    lines = batch.read_text().splitlines()
    cells = lines[1].split(",")
    cells[5] = str(float(cells[5]) * 1.5)
    lines[1] = ",".join(cells)
    out = tmp_path / f"corrected-{batch.name}"
    out.write_text("\n".join(lines) + "\n")
    return out, cells[0]


def test_a_corrected_batch_supersedes_the_stored_one_with_a_reason(tmp_path, py_store):
    store = tmp_path / "s.h5"
    shutil.copy(py_store, store)
    fixed, batch_id = corrected(DATA / "batches" / "2022Q1.csv", tmp_path)
    with pytest.raises(wbe.InputError, match="--supersede"):
        wbe.ingest(EXAMPLE_CONFIG, store=store, batches=[fixed])
    with pytest.raises(wbe.InputError, match="needs --reason"):
        wbe.ingest(EXAMPLE_CONFIG, store=store, batches=[fixed], supersede=True)
    before = wbe.open_store(store).read("estimates_campaign")
    s = wbe.ingest(EXAMPLE_CONFIG, store=store, batches=[fixed], supersede=True, reason="typo in row 2")
    assert (s["added"], s["superseded"], s["recomputed"]) == ([batch_id], [batch_id], True)
    opened = wbe.open_store(store)
    history = opened.history(batch_id)
    assert list(history.status) == ["superseded", "active"]
    assert history.reason[1] == "typo in row 2"
    assert history.superseded_by[0] == history.content_hash[1]
    assert history.results.dtype == np.int64 and (history.results > 0).all()
    assert opened.history("no-such-batch").empty
    after = opened.read("estimates_campaign")
    assert not np.array_equal(before.consumption_mg_per_day_per_1000.to_numpy(),
                              after.consumption_mg_per_day_per_1000.to_numpy(), equal_nan=True)
    # The same corrected batch again is recognised by its content.
    again = wbe.ingest(EXAMPLE_CONFIG, store=store, batches=[fixed], supersede=True, reason="again")
    assert (again["added"], again["superseded"]) == ([], [])


@pytest.mark.parametrize("version", [1, 2])
def test_migrate_upgrades_an_older_store(tmp_path, version):
    store = tmp_path / f"v{version}.h5"
    shutil.copy(ROOT / "tests" / "compat" / f"store_v{version}.h5", store)
    with h5py.File(store, "r") as f:
        assert f.attrs["schema_version"] == version
    m = wbe.migrate(store)
    assert (m["from"], m["store"]) == (version, str(store)) and m["to"] > version
    with h5py.File(store, "r") as f:
        assert f.attrs["schema_version"] == m["to"]
    assert wbe.migrate(store)["from"] == m["to"]  # a current store is left as it is
    assert wbe.open_store(store).history("nothing").empty
