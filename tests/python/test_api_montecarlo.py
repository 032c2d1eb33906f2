"""wbe.monte_carlo: the engine's Monte Carlo on numpy arrays (python-bindings/src/register_montecarlo.cpp).

Expected values come from (a) the closed-form log-normal answer of science.md §3 /
monte_carlo.hpp (`analytic_uncertainty`): with every factor log-normal and median-centred, a
day's index is I₀ · exp(Σ σ_k Z_k), σ_k² = ln(1 + RSD_k²), written out here with math/scipy as an
independent oracle and compared within a few Monte Carlo standard errors; (b) the store the
pipeline wrote for the example city, which the same inputs must reproduce bit for bit; (c) the
engine's own invariants: same seed ⇒ same bits, any thread count ⇒ same bits."""
import math
import threading

import numpy as np
import pytest
from scipy import stats

import wbe
from conftest import EXAMPLE_CONFIG

RSD = {"analysis": 0.15, "sampling": 0.10, "flow": 0.10, "population": 0.10, "excretion": 0.25}


@pytest.fixture(scope="module")
def py_store(tmp_path_factory):
    """The example city run through wbe.run (the engine these bindings hold) into a fresh store."""
    store = tmp_path_factory.mktemp("py") / "example.h5"
    wbe.run(EXAMPLE_CONFIG, store=store)
    return store



def sigma2(*names):
    return sum(math.log1p(RSD[k] ** 2) for k in names)


def example_days(n_sites=3, n_campaigns=4, days=7, seed=3):
    rng = np.random.default_rng(seed)
    n = n_sites * n_campaigns * days
    site = np.repeat([f"P{i}" for i in range(n_sites)], n_campaigns * days)
    campaign = np.tile(np.repeat([f"2024Q{q + 1}" for q in range(n_campaigns)], days), n_sites)
    pop = np.repeat(rng.uniform(5e4, 5e5, n_sites), n_campaigns * days)
    return dict(conc=rng.uniform(50, 500, n), flow=rng.uniform(2e4, 2e5, n), population=pop, site=site,
                campaign=campaign)


# --- the analytic log-normal answer ---------------------------------------------------------------

def test_one_day_matches_the_closed_form_log_normal_within_mc_error():
    c, q, p, cf, n = 200.0, 1e5, 5e5, 2.33, 200_000
    i0 = c * q * 1e-3 / p * 1000 * cf  # science.md §1: 93.2 mg/day/1000 inh
    s = math.sqrt(sigma2(*RSD))  # every component enters one day's index (monte_carlo.hpp table)
    t = 120.0
    r = wbe.monte_carlo([c], [q], [p], cf, uncertainty=RSD, draws=n, thresholds=[t], quantiles=[0.05, 0.95],
                        seed=11)
    day = r.daily.iloc[0]
    dist = stats.lognorm(s=s, scale=i0)
    mean_se = dist.std() / math.sqrt(n)
    assert abs(day["mean"] - dist.mean()) < 4 * mean_se
    for p_, col in [(0.5, "median"), (0.025, "lower"), (0.975, "upper"), (0.05, "q0.05"), (0.95, "q0.95")]:
        x = dist.ppf(p_)
        se = math.sqrt(p_ * (1 - p_) / n) / dist.pdf(x)  # SE of a sample quantile
        assert abs(day[col] - x) < 4 * se, col
    pe = dist.sf(t)
    assert abs(day["p_exceed_120"] - pe) < 4 * math.sqrt(pe * (1 - pe) / n)
    assert abs(day["sd"] - dist.std()) < 0.02 * dist.std()
    # A one-day campaign is the day.
    assert r.campaign.loc[0, "median"] == day["median"]
    # The engine's own analytic answer (method="analytic") is the same closed form.
    a = wbe.monte_carlo([c], [q], [p], cf, uncertainty=RSD, thresholds=[t], method="analytic").daily.iloc[0]
    assert a["median"] == pytest.approx(i0, rel=1e-12)
    assert a["upper"] == pytest.approx(dist.ppf(0.975), rel=1e-9)
    assert a["p_exceed_120"] == pytest.approx(pe, rel=1e-9)


def test_a_campaign_mean_matches_its_exact_mean_within_mc_error():
    # Campaign index of one site = mean over days of the daily loads × shared factors. Its mean is
    # exact for median-centred log-normals: E[X] = E[1/X] = exp(σ²/2), independent factors
    # multiply, so E = mean_i(I0_i) · exp(Σ_k σ_k² / 2).
    d = example_days(n_sites=1, n_campaigns=1, days=7)
    n = 100_000
    r = wbe.monte_carlo(d["conc"], d["flow"], d["population"], 2.33, uncertainty=RSD, draws=n)
    i0 = d["conc"] * d["flow"] * 1e-3 / d["population"] * 1000 * 2.33
    exact = i0.mean() * math.exp(sigma2(*RSD) / 2)
    row = r.campaign.iloc[0]
    assert abs(row["mean"] - exact) < 4 * row["sd"] / math.sqrt(n)
    analytic = wbe.monte_carlo(d["conc"], d["flow"], d["population"], 2.33, uncertainty=RSD,
                               method="analytic").campaign.iloc[0]
    assert analytic["mean"] == pytest.approx(exact, rel=1e-12)
    # The days: each its own log-normal with median I0_i.
    np.testing.assert_allclose(r.daily["median"], i0, rtol=4 * 2 * math.sqrt(sigma2(*RSD)) / math.sqrt(n) * 1.3)


def test_as_every_rsd_goes_to_zero_the_median_is_the_deterministic_value():
    d = example_days(n_sites=2, n_campaigns=2)
    fixed = {k: None for k in RSD}
    r = wbe.monte_carlo(d["conc"], d["flow"], d["population"], 2.33, site=d["site"], campaign=d["campaign"],
                        uncertainty=fixed, draws=50)
    _, consumption, _ = wbe.back_calculate(d["conc"], d["flow"], d["population"], 2.33)
    np.testing.assert_allclose(r.daily["median"], consumption, rtol=1e-14)
    assert (r.daily["sd"] < 1e-9 * consumption).all()


# --- same inputs, same numbers --------------------------------------------------------------------

def test_the_same_inputs_give_the_numbers_the_pipeline_stored(py_store):
    # LS-WWTP-01, methamphetamine, every campaign: config/example.yaml's components, the site's
    # population_rsd (data/example/sites.yaml: 0.10) and the model's excretion rsd
    # (models/methamphetamine.yaml: 0.25), thresholds 200/300 (config/thresholds.yaml).
    store = wbe.open_store(py_store)
    daily = store.read("estimates_daily")
    d = daily[(daily.site_id == "LS-WWTP-01") & (daily.analyte == "methamphetamine")].reset_index(drop=True)
    assert (d.qualifier == "").all() and len(d) > 50
    cf = float(d.consumption_mg_per_day_per_1000[0] / d.pnl_mg_per_day_per_1000[0])
    r = wbe.monte_carlo(d.conc_ng_per_l.to_numpy(), d.flow_m3_per_day.to_numpy(), d.population.to_numpy(), cf,
                        site=d.site_id, campaign=d.campaign, sample=d.sample_id, drug="methamphetamine",
                        uncertainty=RSD, thresholds=[200, 300], draws=10000, seed=20241130, interval=0.95)
    camp = store.read("estimates_campaign")
    want = camp[(camp.scope == "site") & (camp.id == "LS-WWTP-01") & (camp.analyte == "methamphetamine")]
    want = want.sort_values("campaign").reset_index(drop=True)
    got = r.campaign.sort_values("campaign").reset_index(drop=True)
    assert list(got.campaign) == list(want.campaign)
    for mine, theirs in [("mean", "consumption_mc_mean"), ("sd", "consumption_sd"), ("median", "consumption_median"),
                         ("lower", "consumption_lower"), ("upper", "consumption_upper"),
                         ("p_exceed_200", "p_exceed_watch"), ("p_exceed_300", "p_exceed_alert")]:
        np.testing.assert_array_equal(got[mine].to_numpy(), want[theirs].to_numpy(), err_msg=mine)
    for mine, theirs in [("median", "consumption_median"), ("lower", "consumption_lower"),
                         ("upper", "consumption_upper")]:
        np.testing.assert_array_equal(r.daily[mine].to_numpy(), d[theirs].to_numpy(), err_msg=mine)


def test_results_are_bit_identical_for_one_and_two_threads():
    d = example_days()
    common = dict(site=d["site"], campaign=d["campaign"], thresholds=[100.0], quantiles=[0.1, 0.9], draws=20_000,
                  aggregates={"all": ["P0", "P1", "P2"]})
    one = wbe.monte_carlo(d["conc"], d["flow"], d["population"], 2.33, threads=1, **common)
    two = wbe.monte_carlo(d["conc"], d["flow"], d["population"], 2.33, threads=2, **common)
    assert len(one.campaign) == 4 * (3 + 1)
    for table in ["campaign", "daily"]:
        a, b = getattr(one, table), getattr(two, table)
        assert list(a.columns) == list(b.columns)
        for col in a.columns:
            np.testing.assert_array_equal(a[col].to_numpy(), b[col].to_numpy(), err_msg=f"{table}.{col}")


def test_the_same_seed_gives_the_same_bits_and_another_seed_other_numbers():
    d = example_days(n_sites=1, n_campaigns=1)
    args = (d["conc"], d["flow"], d["population"], 2.33)
    a = wbe.monte_carlo(*args, seed=1, draws=5000)
    b = wbe.monte_carlo(*args, seed=1, draws=5000)
    c = wbe.monte_carlo(*args, seed=2, draws=5000)
    np.testing.assert_array_equal(a.daily.to_numpy(), b.daily.to_numpy())
    assert (a.daily["median"] != c.daily["median"]).all()
    assert a.campaign.loc[0, "mean"] != c.campaign.loc[0, "mean"]


def test_extra_quantiles_are_the_central_interval_ends_of_the_same_draws():
    d = example_days(n_sites=1, n_campaigns=1)
    args = (d["conc"], d["flow"], d["population"], 2.33)
    r = wbe.monte_carlo(*args, quantiles=[0.025, 0.1, 0.5, 0.9, 0.975], draws=4000)
    assert r.summary["n_runs"] == 2  # the 0.8 interval is one more run; 0.95 and 0.5 are the main run's
    narrow = wbe.monte_carlo(*args, interval=0.8, draws=4000)
    row = r.campaign.iloc[0]
    assert (row["q0.025"], row["q0.5"], row["q0.975"]) == (row["lower"], row["median"], row["upper"])
    assert (row["q0.1"], row["q0.9"]) == (narrow.campaign.loc[0, "lower"], narrow.campaign.loc[0, "upper"])
    assert row["mean"] == narrow.campaign.loc[0, "mean"]  # the same draws


# --- censoring, aggregates, layout ----------------------------------------------------------------

def test_censored_days_draw_in_their_interval_or_take_their_substitute():
    conc = np.array([np.nan, 100.0])
    args = dict(qualifier=["<LOQ", ""], lod=[2.0, 2.0], loq=[10.0, 10.0], uncertainty={k: None for k in RSD},
                draws=20_000)
    r = wbe.monte_carlo(conc, [1e5, 1e5], [1e5, 1e5], 1.0, **args)
    low, high = 2.0 * 1e5 * 1e-3 / 1e5 * 1000, 10.0 * 1e5 * 1e-3 / 1e5 * 1000  # the interval [LOD, LOQ) as index
    day = r.daily.iloc[0]
    assert low <= day["lower"] < day["upper"] <= high
    assert day["mean"] == pytest.approx((low + high) / 2, rel=0.01)  # uniform in [LOD, LOQ)
    sub = wbe.monte_carlo(conc, [1e5, 1e5], [1e5, 1e5], 1.0, censored="substitute", **args).daily.iloc[0]
    assert sub["median"] == pytest.approx(high / 2, rel=1e-14)  # <LOQ → LOQ/2 (loq_half)


def test_an_aggregate_is_sum_of_loads_over_sum_of_populations():
    d = example_days(n_sites=2, n_campaigns=1)
    fixed = {k: None for k in RSD}
    r = wbe.monte_carlo(d["conc"], d["flow"], d["population"], 2.0, site=d["site"], uncertainty=fixed,
                        aggregates={"city": ["P0", "P1"]}, draws=20)
    loads = d["conc"] * d["flow"] * 1e-3
    mean_load = [loads[d["site"] == s].mean() for s in ["P0", "P1"]]
    pops = [d["population"][d["site"] == s][0] for s in ["P0", "P1"]]
    city = r.campaign[r.campaign.estimate == "city"].iloc[0]  # science.md §1: Σ L / Σ P × 1000 × CF
    assert (city["scope"], city["n_sites"], city["n_days"]) == ("aggregate", 2, len(d["conc"]))
    assert city["median"] == pytest.approx(sum(mean_load) / sum(pops) * 1000 * 2.0, rel=1e-13)


def test_inputs_are_read_in_place_and_bad_input_is_refused():
    import tracemalloc

    n = 2 * 10**6
    conc, flow, pop = np.full(n, 100.0), np.full(n, 1e5), np.full(n, 1e5)
    tracemalloc.start()
    try:
        wbe.monte_carlo(conc, flow, pop, 1.0, draws=2, daily=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < n * 8 // 2  # a copy of any input array would be n × 8 bytes
    one = np.ones(3)
    with pytest.raises(ValueError, match="flow has 2 values, expected 3"):
        wbe.monte_carlo(one, np.ones(2), one, 1.0)
    with pytest.raises(ValueError, match="one population per campaign"):
        wbe.monte_carlo(one, one, np.array([1.0, 2.0, 1.0]), 1.0)
    with pytest.raises(wbe.ConfigError, match="rsd") as info:
        wbe.monte_carlo(one, one, one, 1.0, uncertainty={"flow": {"family": "lognormal", "rsd": -1}})
    assert (info.value.key, info.value.file, info.value.line) == ("uncertainty.flow", None, None)
    with pytest.raises(wbe.ConfigError, match="unknown component"):
        wbe.monte_carlo(one, one, one, 1.0, uncertainty={"flux": 0.1})
    with pytest.raises(ValueError, match="quantile"):
        wbe.monte_carlo(one, one, one, 1.0, quantiles=[1.5])
    with pytest.raises(ValueError, match="at least one draw"):
        wbe.monte_carlo(one, one, one, 1.0, draws=0)
    with pytest.raises(ValueError, match="qualifier"):
        wbe.monte_carlo(one, one, one, 1.0, qualifier=["", "maybe", ""])


def test_two_threads_run_monte_carlo_concurrently_with_the_results_of_one():
    d = example_days(n_sites=3, n_campaigns=2)
    seeds = [5, 6]  # one per thread: a result computed with the other's seed would differ
    args = (d["conc"], d["flow"], d["population"], 2.33)
    kw = dict(site=d["site"], campaign=d["campaign"], draws=50_000, threads=1)
    expected = [wbe.monte_carlo(*args, seed=s, **kw) for s in seeds]
    results = [None, None]
    errors = []

    def work(i):
        try:
            results[i] = wbe.monte_carlo(*args, seed=seeds[i], **kw)
        except Exception as e:  # noqa: BLE001 — reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for got, want in zip(results, expected):
        np.testing.assert_array_equal(got.campaign[["mean", "median", "lower", "upper"]].to_numpy(),
                                      want.campaign[["mean", "median", "lower", "upper"]].to_numpy())
        np.testing.assert_array_equal(got.daily.to_numpy(), want.daily.to_numpy())


def test_without_pandas_results_are_record_arrays(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pandas", None)
    r = wbe.monte_carlo([200.0], [1e5], [5e5], 2.33, draws=100, thresholds=[90])
    assert isinstance(r.campaign, np.recarray) and isinstance(r.daily, np.recarray)
    assert "p_exceed_90" in r.campaign.dtype.names
