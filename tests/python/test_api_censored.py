"""Censored statistics on arrays (python-bindings/src/register_censored.cpp).

Expected values: hand-computable cases (no censoring: the ordinary mean, sample SD and median;
Kaplan–Meier with one censored value at the bottom puts its mass at the smallest detect — the
"unrestricted" mean of EnvStats, kaplan_meier.hpp), statsmodels' `impute_ros` for robust ROS
(the peer ros.hpp follows), and the summary's method rule of censored_summary.hpp."""
import numpy as np
import pytest

import wbe

VALUES = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.5, 0.5])
CENSORED = np.array([0, 0, 0, 0, 0, 0, 1, 1], dtype=bool)


def test_without_censoring_every_method_gives_the_plain_statistics():
    x = np.array([3.0, 1.0, 4.0, 1.5, 5.0, 9.0])
    flags = np.zeros(6, bool)
    km = wbe.kaplan_meier(x, flags)
    assert km["plain"] and km["mean"] == pytest.approx(x.mean(), rel=1e-15)
    assert km["sd"] == pytest.approx(x.std(ddof=1), rel=1e-14) and km["median"] == np.median(x)
    s = wbe.censored_summary(x, flags)
    assert (s["method"], s["estimable"], s["n_censored"]) == ("plain", True, 0)
    assert wbe.robust_ros(x, flags)["method"] == "no_censoring"
    mle = wbe.lognormal_mle(x, flags)  # closed form: mean and divisor-n SD of ln x
    assert mle["meanlog"] == pytest.approx(np.log(x).mean(), rel=1e-13)
    assert mle["sdlog"] == pytest.approx(np.log(x).std(ddof=0), rel=1e-12)


def test_kaplan_meier_puts_the_censored_mass_at_the_smallest_detect():
    # Both <0.5 lie below every detect: F jumps at 1 by 3/8, mean = (3·1 + 2 + 3 + 4 + 5 + 6) / 8.
    km = wbe.kaplan_meier(VALUES, CENSORED)
    assert km["mean"] == pytest.approx(23 / 8, rel=1e-15)
    assert (km["n"], km["n_censored"], km["n_detected"]) == (8, 2, 6)
    np.testing.assert_array_equal(km["step_values"], [1, 2, 3, 4, 5, 6])
    assert km["step_cdf"][-1] == 1.0
    # limits= gives the same sample with the limits in their own array.
    values = np.where(CENSORED, np.nan, VALUES)
    assert wbe.kaplan_meier(values, CENSORED, limits=np.full(8, 0.5))["mean"] == km["mean"]


def test_robust_ros_agrees_with_statsmodels():
    ros_mod = pytest.importorskip("statsmodels.imputation.ros")
    import pandas as pd

    rng = np.random.default_rng(4)
    x = np.exp(rng.normal(1.0, 0.8, 40))
    limits = np.where(rng.random(40) < 0.5, 1.5, 2.5)
    cens = x < limits
    values = np.where(cens, limits, x)
    df = pd.DataFrame({"conc": values, "censored": cens})
    want = ros_mod.impute_ros(df["conc"].to_numpy(), df["censored"].to_numpy(), df=None)
    got = wbe.robust_ros(values, cens)
    assert got["method"] == "robust_ros"
    kept = ~np.isnan(got["values"])
    assert np.sort(got["values"][kept]) == pytest.approx(np.sort(want), rel=1e-9)


def test_the_summary_picks_the_method_by_the_censored_share():
    assert wbe.censored_summary(VALUES, CENSORED)["method"] == "kaplan_meier"  # 25 % censored
    heavy = np.array([1.0, 2.0, 3.0, 0.5, 0.5, 0.5, 0.5])
    s = wbe.censored_summary(heavy, np.array([0, 0, 0, 1, 1, 1, 1], bool))  # 57 %
    assert s["method"] == "robust_ros" and np.isfinite(s["mean"])
    none = wbe.censored_summary(VALUES, np.ones(8, bool))
    assert (none["method"], none["estimable"]) == ("not_estimable", False)
    assert "censored share" in none["not_estimable_reason"] and np.isnan(none["mean"])
    assert none["detection_frequency"] == 0.0 and none["n"] == 8
    mle = wbe.censored_summary(VALUES, CENSORED, moderate_method="lognormal_mle")
    assert mle["method"] == "lognormal_mle"
    assert mle["mean"] == pytest.approx(wbe.lognormal_mle(VALUES, CENSORED)["mean"], rel=1e-15)


def test_bad_samples_raise_numerical_error_with_the_engines_message():
    with pytest.raises(wbe.NumericalError, match=r"value\[1\] = -1") as info:
        wbe.robust_ros(np.array([1.0, -1.0, 2.0]), np.zeros(3, bool))
    assert isinstance(info.value, ValueError)
    with pytest.raises(wbe.NumericalError, match="distinct detected values = 1"):
        wbe.kaplan_meier(np.array([1.0, 1.0, 0.5]), np.array([0, 0, 1], bool))
    with pytest.raises(ValueError, match="censored has 2 values, expected 3"):
        wbe.kaplan_meier(np.ones(3), np.zeros(2, bool))
    with pytest.raises(ValueError, match="moderate_method"):
        wbe.censored_summary(VALUES, CENSORED, moderate_method="plain")
