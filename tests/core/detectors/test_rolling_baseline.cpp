// Tests for wbe/core/detectors/rolling_baseline.hpp: hand-worked robust z-scores on the log scale,
// alert exclusion, guard band, the SD floor, and every not_evaluable path.

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "detector_test_support.hpp"
#include "wbe/core/detectors/rolling_baseline.hpp"

namespace {

using wbe::detectors::detection_level;
using wbe::detectors::rolling_baseline;
using wbe::detectors::rolling_baseline_options;

// Two years of quarters, then a spike and a return to normal.
const std::vector<double> history{10, 12, 11, 13, 9, 10, 12, 11};

// Hand-worked spike at campaign 9 (2022Q1), value 30, baseline = the 8 campaigns above:
// sorted 9, 10, 10, 11, 11, 12, 12, 13 → median of ln = ln 11 (the two middle values are 11)
// |ln x − ln 11|: 0, 0, ln(12/11)×2 = 0.0870114, ln(11/10)×2 = 0.0953102, ln(13/11) = 0.1670541,
//                 ln(11/9) = 0.2006707 → median (0.0870114 + 0.0953102)/2 = 0.0911608
// SD = 1.4826 · 0.0911608 = 0.1351550 (above the 0.1 floor)
// z = ln(30/11)/0.1351550 = 1.0033021/0.1351550 = 7.423346 > 4: alert
// expected = 11, watch above 11·e^(2.5·0.1351550) = 15.421809
TEST(RollingBaseline, HandWorkedSpike) {
    auto values = history;
    values.push_back(30);
    const auto d = rolling_baseline().run(wbe::test::quarterly(values));
    const auto& r = d.campaigns[8];
    EXPECT_EQ(r.campaign, "2022Q1");
    EXPECT_NEAR(r.expected, 11.0, 1e-12);
    EXPECT_NEAR(r.statistic, 7.423346018888768, 1e-9);
    EXPECT_NEAR(r.upper_bound, 15.421809331528396, 1e-9);
    EXPECT_TRUE(std::isnan(r.p_value));
    EXPECT_EQ(r.level, detection_level::alert);
    EXPECT_NE(r.reason.find("robust z = 7.423 > alert 4 from the median of 8 previous campaigns"), std::string::npos)
        << r.reason;
}

// After the alert, campaign 10 (value 12): the window is the last 8 campaigns, 12 11 13 9 10 12 11 30.
// exclude_alerts (default): 30 is left out → 7 values, median 11, SD 1.4826·0.0870114 = 0.1290031,
//   z = ln(12/11)/0.1290031 = 0.674491
// exclude_alerts false: 30 stays → median of ln = ln √(11·12) → expected 11.489125
TEST(RollingBaseline, EarlierAlertsLeaveTheBaseline) {
    auto values = history;
    values.push_back(30);
    values.push_back(12);
    const auto s = wbe::test::quarterly(values);
    const auto with = rolling_baseline().run(s).campaigns[9];
    EXPECT_NEAR(with.expected, 11.0, 1e-12);
    EXPECT_NEAR(with.statistic, 0.6744907594765952, 1e-9);
    EXPECT_NE(with.reason.find("1 earlier alert excluded"), std::string::npos) << with.reason;
    rolling_baseline_options keep;
    keep.exclude_alerts = false;
    const auto without = rolling_baseline(keep).run(s).campaigns[9];
    EXPECT_NEAR(without.expected, 11.489125293076057, 1e-9);
}

// A sustained rise: once fewer than min_history non-alert campaigns remain in the window, the
// detector says how many alerts it excluded instead of comparing the rise with itself.
TEST(RollingBaseline, SustainedRiseBecomesNotEvaluable) {
    rolling_baseline_options o;
    o.window = 4;
    o.min_history = 3;
    const auto d = rolling_baseline(o).run(wbe::test::quarterly({10, 11, 10, 11, 50, 50, 50}));
    EXPECT_EQ(d.campaigns[4].level, detection_level::alert);
    EXPECT_EQ(d.campaigns[5].level, detection_level::alert);  // window 11 10 11 [50]: 3 left
    EXPECT_EQ(d.campaigns[6].level, detection_level::not_evaluable);
    EXPECT_EQ(d.campaigns[6].reason, "needs 3 previous campaigns in the baseline, has 2, 2 earlier alerts excluded");
}

TEST(RollingBaseline, GuardBand) {
    // guard 1: campaign 10 (value 11) is compared with campaigns 1–7 (the 8th is in the guard band)
    // hand: 10 12 11 13 9 10 12 → median 11, |dev| median ln(12/11)... SD 0.1413069, z = 0
    rolling_baseline_options o;
    o.guard = 1;
    auto values = history;
    values.push_back(11);
    const auto d = rolling_baseline(o).run(wbe::test::quarterly(values));
    EXPECT_NEAR(d.campaigns[8].statistic, 0.0, 1e-12);
    EXPECT_NEAR(d.campaigns[8].upper_bound, 15.660826301034916, 1e-9);  // 11·e^(2.5·0.1413069)
    EXPECT_NE(d.campaigns[8].reason.find("guard band of 1 campaign"), std::string::npos);
    EXPECT_EQ(rolling_baseline(o).min_history(), 5u);  // min_history 4 + guard 1
    // the first campaign with 4 baseline values is the 6th (5 previous, 1 in the guard band)
    EXPECT_EQ(d.campaigns[4].level, detection_level::not_evaluable);
    EXPECT_EQ(d.campaigns[4].reason, "needs 4 previous campaigns in the baseline, has 3, guard band of 1 campaign");
    EXPECT_NE(d.campaigns[5].level, detection_level::not_evaluable);
}

// A constant baseline has MAD 0: the SD floor 0.1 keeps z finite. 10.5 vs 10:
// z = ln 1.05 / 0.1 = 0.4879016, watch above 10·e^(2.5·0.1) = 12.840254.
TEST(RollingBaseline, MinSdFloorsATiedBaseline) {
    const auto d = rolling_baseline().run(wbe::test::quarterly({10, 10, 10, 10, 10.5}));
    EXPECT_NEAR(d.campaigns[4].statistic, 0.4879016416943216, 1e-12);
    EXPECT_NEAR(d.campaigns[4].upper_bound, 12.840254166877415, 1e-9);
    EXPECT_EQ(d.campaigns[4].level, detection_level::none);
    EXPECT_NE(d.campaigns[4].reason.find("= floor min_sd"), std::string::npos) << d.campaigns[4].reason;
}

TEST(RollingBaseline, NotEvaluablePaths) {
    const auto d = rolling_baseline().run(wbe::test::quarterly({10, 12, wbe::test::nan, 0, 11, -3, 12}));
    EXPECT_EQ(d.campaigns[0].reason, "needs 4 previous campaigns in the baseline, has 0");
    EXPECT_EQ(d.campaigns[1].reason, "needs 4 previous campaigns in the baseline, has 1");
    EXPECT_EQ(d.campaigns[2].reason, "no value for this campaign");
    EXPECT_EQ(d.campaigns[3].reason, "value 0 <= 0 has no logarithm (rolling_baseline works on ln values)");
    EXPECT_EQ(d.campaigns[4].reason, "needs 4 previous campaigns in the baseline, has 2");  // gap and 0 skipped
    EXPECT_EQ(d.campaigns[5].reason, "value -3 <= 0 has no logarithm (rolling_baseline works on ln values)");
    EXPECT_EQ(d.campaigns[6].reason, "needs 4 previous campaigns in the baseline, has 3");
    for (const auto& r : d.campaigns) EXPECT_EQ(r.level, detection_level::not_evaluable);
    EXPECT_EQ(d.summary.n_not_evaluable, 7u);
    EXPECT_EQ(d.summary.n_missing, 1u);
}

// Gaps: a missing quarter does not shrink the baseline, which reaches back over it.
TEST(RollingBaseline, GapsReachBack) {
    auto values = history;
    values.insert(values.begin() + 4, wbe::test::nan);
    values.push_back(30);
    const auto d = rolling_baseline().run(wbe::test::quarterly(values));
    EXPECT_NEAR(d.campaigns[9].statistic, 7.423346018888768, 1e-9);  // as in HandWorkedSpike
}

TEST(RollingBaseline, CensoredValues) {
    // With censored = substitute a censored campaign counts at its substitute in the baseline
    // (here 10 < 20: same baseline as HandWorkedSpike, whose 6th value is 10).
    auto values = history;
    values.push_back(30);
    auto s = wbe::test::quarterly(values);
    wbe::test::censor(s, 5, 10.0, 20.0);
    rolling_baseline_options substitute;
    substitute.censored = "substitute";
    EXPECT_NEAR(rolling_baseline(substitute).run(s).campaigns[8].statistic, 7.423346018888768, 1e-9);
    // As the current value: < 12 is none even at the limit (watch above 15.42) …
    wbe::test::censor(s, 8, 6.0, 12.0);
    auto r = rolling_baseline().run(s).campaigns[8];
    EXPECT_EQ(r.level, detection_level::none);
    EXPECT_NE(r.reason.find("censored (< 12), same level at both ends of its range"), std::string::npos) << r.reason;
    // … while < 40 could be anything from none to alert.
    wbe::test::censor(s, 8, 20.0, 40.0);
    r = rolling_baseline().run(s).campaigns[8];
    EXPECT_EQ(r.level, detection_level::not_evaluable);
    EXPECT_NE(r.reason.find("censored (< 40): level none at 0 but alert at the limit, cannot tell"), std::string::npos)
        << r.reason;
}

// Censored baseline campaigns by robust ROS (the default). Baseline 10 12 11 13 9 <11.5 12 11
// (substitute 5.75 = LOQ/2), current value 30. Peer: statsmodels.imputation.ros.impute_ros on
// those eight values imputes <11.5 as 10.228139168381867. ln values sorted: 9 10 10.228 11 11 12
// 12 13 → median ln 11; |deviations| sorted 0 0 ln(11/10.228) ln(12/11) ln(12/11) … → MAD
// ln(12/11) = 0.0870114, SD 1.4826 × 0.0870114 = 0.12900307; z = ln(30/11)/0.12900307 =
// 7.77735078796256 (numpy, same formulas). With the substitute 5.75 the MAD is the same but the
// median moves: z = 7.423346018888768.
TEST(RollingBaseline, CensoredBaselineByRobustRos) {
    auto values = history;
    values[5] = 11.5;
    values.push_back(30);
    auto s = wbe::test::quarterly(values);
    wbe::test::censor(s, 5, 5.75, 11.5);
    const auto ros = rolling_baseline().run(s).campaigns[8];
    EXPECT_NEAR(ros.statistic, 7.77735078796256, 1e-9);
    EXPECT_NEAR(ros.expected, 11.0, 1e-12);
    EXPECT_NE(ros.reason.find("1 of 8 baseline campaigns censored, imputed by robust ROS"), std::string::npos) << ros.reason;
    rolling_baseline_options substitute;
    substitute.censored = "substitute";
    const auto sub = rolling_baseline(substitute).run(s).campaigns[8];
    EXPECT_NEAR(sub.statistic, 7.423346018888768, 1e-9);
    EXPECT_NE(sub.reason.find("1 of 8 baseline campaigns censored, at their substitutes"), std::string::npos) << sub.reason;
    // Too few detects for a regression: the substitutes, and the reason says why.
    auto few = wbe::test::quarterly({10, 12, 11, 13, 30});
    for (std::size_t i = 1; i < 4; ++i) wbe::test::censor(few, i, 7.0, 14.0);
    rolling_baseline_options short_window;
    short_window.min_history = 3;
    const auto f = rolling_baseline(short_window).run(few).campaigns[4];
    EXPECT_NE(f.reason.find("3 of 4 baseline campaigns censored, at their substitutes (robust ROS not used: detected "
                            "values = 1: fewer than 2 for a regression)"),
              std::string::npos)
        << f.reason;
    // No censoring: the option changes nothing.
    const auto plain = wbe::test::quarterly(values);
    EXPECT_EQ(rolling_baseline().run(plain).campaigns[8].statistic, rolling_baseline(substitute).run(plain).campaigns[8].statistic);
}

TEST(RollingBaseline, OptionChecks) {
    rolling_baseline_options o;
    o.window = 4;
    o.min_history = 6;
    o.alert_z = 1.5;
    const auto problems = rolling_baseline::check(o);
    ASSERT_EQ(problems.size(), 2u);
    EXPECT_EQ(problems[0].to_string(), "<input>: min_history = 6: must be <= window = 4");
    EXPECT_EQ(problems[1].to_string(), "<input>: alert_z = 1.5: must be > watch_z = 2.5");
    EXPECT_THROW(rolling_baseline{o}, wbe::config_error);
}

TEST(RollingBaseline, ExplainRaisedSkipsTheTextOfNone) {
    auto values = history;
    values.push_back(11);
    values.push_back(30);
    const auto d = rolling_baseline().run(wbe::test::quarterly(values), wbe::detectors::explain::raised);
    EXPECT_EQ(d.campaigns[8].level, detection_level::none);
    EXPECT_TRUE(d.campaigns[8].reason.empty());
    EXPECT_FALSE(d.campaigns[9].reason.empty());  // alert
    EXPECT_FALSE(d.campaigns[0].reason.empty());  // not_evaluable always says why
}

}  // namespace
