"""wbe.detect: every registered detector on a series given as arrays (python-bindings/src/register_detectors.cpp).

The expected results are the engine's own: the `detections` table the pipeline stored for the
example city (config/thresholds.yaml's settings), which the same series and parameters must give
row for row; and the engine's parameter rules, which a params dict must meet as a YAML file does."""
import sys

import numpy as np
import pytest

import wbe
from conftest import EXAMPLE_CONFIG

QUARTERS = [f"{2021 + i // 4}Q{i % 4 + 1}" for i in range(12)]
SPIKE = np.array([10, 11, 9, 10.5, 10, 12, 9.5, 10, 30.0, 11, 10, 10])


@pytest.fixture(scope="module")
def py_store(tmp_path_factory):
    """The example city run through wbe.run (the engine these bindings hold) into a fresh store."""
    store = tmp_path_factory.mktemp("py") / "example.h5"
    wbe.run(EXAMPLE_CONFIG, store=store)
    return store



def test_every_registered_detector_runs_on_arrays_with_its_defaults():
    names = [d["name"] for d in wbe.detectors()]
    assert {"rolling_baseline", "trend", "ears_c1", "cusum", "ewma", "peer_rank", "change"} <= set(names)
    for d in wbe.detectors():
        assert d["parameters"] and all({"name", "default", "rule", "unit", "meaning"} <= set(p) for p in d["parameters"])
        if d["input"] == "series":
            t = wbe.detect(d["name"], QUARTERS, SPIKE)
            assert list(t.columns) == ["campaign", "value", "expected", "upper_bound", "statistic", "p_value", "level",
                                       "reason"]
        else:
            t = wbe.detect(d["name"], ["2024Q1"] * 12, SPIKE, sites=[f"s{i}" for i in range(12)])
            assert list(t.site_id) == [f"s{i}" for i in range(12)]
        assert len(t) == 12 and set(t.level) <= {"none", "watch", "alert", "not_evaluable"}
        assert t.attrs["detector"] == d["name"]
        assert t.attrs["parameters"] == {p["name"]: p["default"] for p in d["parameters"]}


def test_a_spike_raises_the_rolling_baseline():
    t = wbe.detect("rolling_baseline", QUARTERS, SPIKE, params={"window": 6, "min_history": 4})
    assert t.level[8] == "alert" and "robust z" in t.reason[8]
    assert (t.level[:4] == "not_evaluable").all() and set(t.level[9:]) == {"none"}
    assert t.attrs["parameters"]["window"] == "6"
    # Quarter indices give the same answer as their labels (4 × year + quarter − 1).
    q = wbe.detect("rolling_baseline", np.arange(4 * 2021, 4 * 2021 + 12), SPIKE, params={"window": 6, "min_history": 4})
    np.testing.assert_array_equal(q.statistic.to_numpy(), t.statistic.to_numpy())
    assert list(q.campaign) == [str(i) for i in range(4 * 2021, 4 * 2021 + 12)]


def test_the_same_series_gives_the_detections_the_pipeline_stored(py_store):
    # config/thresholds.yaml runs `trend: {}` and `rolling_baseline: {}` (defaults) for
    # methamphetamine at plants; the plant's series is its consumption with censored bounds.
    store = wbe.open_store(py_store)
    series = store.series("LS-WWTP-01", "methamphetamine")
    stored = store.read("detections")
    for detector in ["trend", "rolling_baseline"]:
        want = stored[(stored.site_id == "LS-WWTP-01") & (stored.drug == "methamphetamine") &
                      (stored.detector == detector)].sort_values("campaign").reset_index(drop=True)
        censored = series.n_censored.to_numpy() > 0
        got = wbe.detect(detector, series.campaign, series.consumption_mg_per_day_per_1000, censored=censored,
                         lower=np.where(censored, series.consumption_censored_low, np.nan),
                         upper=np.where(censored, series.consumption_censored_high, np.nan))
        assert list(got.campaign) == list(want.campaign) and len(got) > 8
        for col in ["value", "expected", "upper_bound", "statistic", "p_value"]:
            np.testing.assert_array_equal(got[col].to_numpy(), want[col].to_numpy(), err_msg=f"{detector}.{col}")
        assert list(got.level) == list(want.level) and list(got.reason) == list(want.reason)


def test_params_are_checked_as_a_config_file_is():
    with pytest.raises(wbe.ConfigError, match="unknown parameter of rolling_baseline") as info:
        wbe.detect("rolling_baseline", QUARTERS, SPIKE, params={"windw": 8})
    e = info.value
    assert isinstance(e, ValueError)
    assert (e.key, e.value, e.file, e.line, e.column) == ("windw", "8", None, None, None)
    assert str(e).startswith("windw = 8: unknown parameter")
    with pytest.raises(wbe.ConfigError, match=r"window = 2: must be an integer") as info:
        wbe.detect("rolling_baseline", QUARTERS, SPIKE, params={"window": 2})
    assert info.value.rule.startswith("must be an integer")
    with pytest.raises(wbe.ConfigError, match="censored = median: must be one of"):
        wbe.detect("rolling_baseline", QUARTERS, SPIKE, params={"censored": "median"})
    with pytest.raises(wbe.ConfigError, match="alert"):  # a cross-field rule: alert above watch
        wbe.detect("rolling_baseline", QUARTERS, SPIKE, params={"watch_z": 5, "alert_z": 4})
    with pytest.raises(wbe.ConfigError, match="unknown detector"):
        wbe.detect("rolling_median", QUARTERS, SPIKE)
    # Python values become the YAML text of a config file.
    t = wbe.detect("rolling_baseline", QUARTERS, SPIKE, params={"exclude_alerts": False, "min_sd": 0.25})
    assert (t.attrs["parameters"]["exclude_alerts"], t.attrs["parameters"]["min_sd"]) == ("false", "0.25")


def test_a_series_out_of_time_order_and_bad_arrays_are_refused():
    with pytest.raises(wbe.InputError):
        wbe.detect("rolling_baseline", QUARTERS[::-1], SPIKE)
    with pytest.raises(ValueError, match="censored has 3 values, expected 12"):
        wbe.detect("rolling_baseline", QUARTERS, SPIKE, censored=[True, False, False])
    with pytest.raises(ValueError, match="give `sites`"):
        wbe.detect("peer_rank", QUARTERS, SPIKE)


def test_peer_rank_ranks_the_sites_of_each_campaign_within_their_group():
    campaigns = ["2024Q1"] * 6 + ["2024Q2"] * 6
    sites = [f"s{i}" for i in range(6)] * 2
    values = np.r_[np.arange(6.0), np.arange(6.0)[::-1]]
    t = wbe.detect("peer_rank", campaigns, values, sites=sites, params={"min_peers": 3})
    assert list(t.site_id) == sites and list(t.campaign) == campaigns  # input order kept
    assert t.level[5] == "watch" and t.level[6] == "watch"  # the highest of each campaign
    grouped = wbe.detect("peer_rank", campaigns, values, sites=sites, groups=["a", "b"] * 6, params={"min_peers": 3})
    assert "group 'a'" in grouped.reason[0]


def test_without_pandas_a_detection_is_a_record_array(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    t = wbe.detect("ewma", QUARTERS, SPIKE)
    assert isinstance(t, np.recarray) and t.dtype.names[0] == "campaign" and len(t) == 12
