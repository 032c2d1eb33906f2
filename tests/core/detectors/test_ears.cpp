// GCC 12 at -O3 reports a false -Wrestrict inside std::string concatenation (GCC bug 105329).
#if defined(__GNUC__) && !defined(__clang__)  // a GCC-only warning: clang does not know it
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

// Tests for wbe/core/detectors/ears.hpp: EARS C1 upper bounds against R `surveillance`
// (shared/reference/aberration, read in place), C2 and textbook C3 on a hand-worked case, the
// minimum histories, constant baselines and censored values; levels only against run().

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "detector_test_support.hpp"
#include "wbe/core/detectors/ears.hpp"

namespace {

using wbe::detectors::detection_level;
using wbe::detectors::ears;
using wbe::detectors::ears_options;
using wbe::detectors::ears_variant;

// expected.json: earsC_C1_salmNewport_2011 — C1, baseline 7, alpha 0.05, minSigma 0; the
// upperbound is mean + qnorm(1 − alpha)·sd, i.e. our watch bound with watch = z_0.95.
// Source tolerance: max(upperbound[1:4] − expected) < 1e-6.
TEST(Ears, C1UpperBoundsSalmonellaNewport2011) {
    WBE_REQUIRE_REFERENCE(folder, "aberration");
    const wbe::test::reference_csv csv(folder / "surveillance_salmNewport_germany_weekly.csv");
    const auto s = wbe::test::indexed(csv.numbers("observed"));
    ASSERT_EQ(s.campaigns.size(), 528u);
    ears_options o = ears_options::defaults(ears_variant::c1);
    o.watch = 1.6448536269514722;  // qnorm(0.95): the source's alpha = 0.05
    o.alert = 3.0;
    const auto d = ears(o).run(s);
    const double expected[] = {3.278854, 3.278854, 3.436517, 3.855617};  // .expected_upperbound_first4
    const std::size_t rows[] = {366, 367, 368, 369};                     // .expected_for_rows_index (1-based)
    for (int k = 0; k < 4; ++k) {
        const auto& r = d.campaigns[rows[k] - 1];
        EXPECT_NEAR(r.upper_bound, expected[k], 1e-6) << "row " << rows[k] << " ("
                                                      << wbe::test::digits_of_agreement(r.upper_bound, expected[k])
                                                      << " digits)";
    }
}

// Hand-worked case, baseline 3, x = 2, 4, 3, 5, 3, 4, 4, 9, 12, 5 (positions 0–9).
// C2(p) uses x[p−5..p−3]:
//   p=5: {2,4,3} mean 3, sd 1 → (4−3)/1 = 1
//   p=6: {4,3,5} mean 4, sd 1 → 0
//   p=7: {3,5,3} mean 11/3, sd √(4/3) = 1.154701 → (9 − 11/3)/1.154701 = 4.618802
//   p=8: {5,3,4} mean 4, sd 1 → 8
//   p=9: {3,4,4} mean 11/3, sd 0.577350 → (5 − 11/3)/0.577350 = 2.309401
// C3(p) = Σ max(0, C2 − 1) over p, p−1, p−2 (textbook, current included):
//   p=7: 3.618802 + 0 + 0 = 3.618802;  p=8: 7 + 3.618802 + 0 = 10.618802;  p=9: 1.309401 + 7 + 3.618802 = 11.928203
const std::vector<double> hand{2, 4, 3, 5, 3, 4, 4, 9, 12, 5};

ears make(ears_variant v) {
    ears_options o = ears_options::defaults(v);
    o.baseline = 3;
    return ears(o);
}

TEST(Ears, C2HandWorked) {
    const auto d = make(ears_variant::c2).run(wbe::test::quarterly(hand));
    for (int p = 0; p < 5; ++p) {
        EXPECT_EQ(d.campaigns[p].level, detection_level::not_evaluable) << p;
        EXPECT_NE(d.campaigns[p].reason.find("needs 5 previous campaigns with a value, has " + std::to_string(p)),
                  std::string::npos)
            << d.campaigns[p].reason;
    }
    const double c2[] = {1.0, 0.0, 4.618802153517006, 8.0, 2.309401076758503};
    const detection_level level[] = {detection_level::none, detection_level::none, detection_level::alert,
                                     detection_level::alert, detection_level::watch};  // watch > 2, alert > 3
    for (int k = 0; k < 5; ++k) {
        EXPECT_NEAR(d.campaigns[5 + k].statistic, c2[k], 1e-12) << 5 + k;
        EXPECT_EQ(d.campaigns[5 + k].level, level[k]) << 5 + k;
    }
    EXPECT_NEAR(d.campaigns[7].expected, 11.0 / 3.0, 1e-12);
    EXPECT_NEAR(d.campaigns[7].upper_bound, 11.0 / 3.0 + 2.0 * std::sqrt(4.0 / 3.0), 1e-12);  // mean + watch·sd
}

TEST(Ears, TextbookC3IncludesTheCurrentValue) {
    const auto d = make(ears_variant::c3).run(wbe::test::quarterly(hand));
    for (int p = 0; p < 7; ++p) EXPECT_EQ(d.campaigns[p].level, detection_level::not_evaluable) << p;
    EXPECT_NE(d.campaigns[6].reason.find("needs 7 previous campaigns"), std::string::npos);
    EXPECT_NEAR(d.campaigns[7].statistic, 3.618802153517006, 1e-12);
    EXPECT_NEAR(d.campaigns[8].statistic, 10.618802153517006, 1e-12);
    EXPECT_NEAR(d.campaigns[9].statistic, 11.928203230275509, 1e-12);
    // The jump at p = 7 alarms at p = 7: R surveillance's C3 (previous two terms only, 0 + 0)
    // would not alarm before p = 8 — the known trap.
    EXPECT_EQ(d.campaigns[7].level, detection_level::alert);
    // Upper bound: x̄ + s(1 + watch − carry) with carry = 0 at p = 7 …
    EXPECT_NEAR(d.campaigns[7].upper_bound, 11.0 / 3.0 + std::sqrt(4.0 / 3.0) * 2.0, 1e-12);
    // … and none at p = 9, where the previous two terms (7 + 3.62) exceed watch = 1 already.
    EXPECT_TRUE(std::isnan(d.campaigns[9].upper_bound));
    EXPECT_NE(d.campaigns[9].reason.find("whatever this value"), std::string::npos);
}

TEST(Ears, C1NeedsBaselineAndCutIsStrict) {
    const auto d = make(ears_variant::c1).run(wbe::test::quarterly(hand));
    EXPECT_EQ(d.campaigns[2].level, detection_level::not_evaluable);
    // p=3: {2,4,3} mean 3, sd 1 → C1 = (5−3)/1 = 2, exactly at watch: not above it.
    EXPECT_EQ(d.campaigns[3].statistic, 2.0);
    EXPECT_EQ(d.campaigns[3].level, detection_level::none);
    EXPECT_EQ(make(ears_variant::c1).min_history(), 3u);
    EXPECT_EQ(make(ears_variant::c2).min_history(), 5u);
    EXPECT_EQ(make(ears_variant::c3).min_history(), 7u);
}

TEST(Ears, GapsAreSkippedInTheBaseline) {
    // A NaN campaign is "no value" and the baseline reaches over it: same statistics as without it.
    std::vector<double> gappy{2, 4, wbe::test::nan, 3, 5};
    const auto d = make(ears_variant::c1).run(wbe::test::quarterly(gappy));
    EXPECT_EQ(d.campaigns[2].level, detection_level::not_evaluable);
    EXPECT_EQ(d.campaigns[2].reason, "no value for this campaign");
    EXPECT_EQ(d.campaigns[4].statistic, 2.0);  // {2,4,3}: as C1 at p = 3 of the dense series
    EXPECT_EQ(d.summary.n_missing, 1u);
}

TEST(Ears, ConstantBaseline) {
    // SD 0, min_sigma 0: +∞ above the mean (alert), 0 at it (none).
    const auto d = make(ears_variant::c1).run(wbe::test::quarterly({5, 5, 5, 6, 5, 5, 5, 5}));
    EXPECT_TRUE(std::isinf(d.campaigns[3].statistic));
    EXPECT_EQ(d.campaigns[3].level, detection_level::alert);
    EXPECT_NE(d.campaigns[3].reason.find("baseline constant"), std::string::npos);
    // with min_sigma 1 the same value is 1 SD above: none
    ears_options o = ears_options::defaults(ears_variant::c1);
    o.baseline = 3;
    o.min_sigma = 1.0;
    EXPECT_EQ(ears(o).run(wbe::test::quarterly({5, 5, 5, 6})).campaigns[3].statistic, 1.0);
}

TEST(Ears, CensoredCurrentValueIsJudgedOverItsRange) {
    // baseline {2,4,3}: mean 3, sd 1 → watch above 5, alert above 6.
    auto s = wbe::test::quarterly({2, 4, 3, 1});
    wbe::test::censor(s, 3, 1.0, 2.0);  // < 2: none at both ends
    auto d = make(ears_variant::c1).run(s);
    EXPECT_EQ(d.campaigns[3].level, detection_level::none);
    EXPECT_NE(d.campaigns[3].reason.find("censored (< 2)"), std::string::npos) << d.campaigns[3].reason;
    wbe::test::censor(s, 3, 4.0, 8.0);  // < 8: none at 0, alert at the limit → cannot tell
    d = make(ears_variant::c1).run(s);
    EXPECT_EQ(d.campaigns[3].level, detection_level::not_evaluable);
    EXPECT_NE(d.campaigns[3].reason.find("cannot tell"), std::string::npos) << d.campaigns[3].reason;
    EXPECT_EQ(d.summary.n_censored, 1u);
}

TEST(Ears, LiteratureThresholdsAndOptionChecks) {
    EXPECT_EQ(ears_options::defaults(ears_variant::c1).alert, 3.0);  // Hutwagner et al. 2003
    EXPECT_EQ(ears_options::defaults(ears_variant::c2).alert, 3.0);
    EXPECT_EQ(ears_options::defaults(ears_variant::c3).alert, 2.0);
    EXPECT_EQ(ears_options::defaults(ears_variant::c1).baseline, 7);
    ears_options bad = ears_options::defaults(ears_variant::c1);
    bad.baseline = 2;
    bad.alert = 1.0;
    const auto problems = ears::check(bad);
    ASSERT_EQ(problems.size(), 2u);
    EXPECT_EQ(problems[0].to_string(), "<input>: baseline = 2: must be an integer in [3, 1000]");
    EXPECT_EQ(problems[1].to_string(), "<input>: alert = 1: must be > watch = 2");
    EXPECT_THROW(ears{bad}, wbe::config_error);
}

// Levels only (run_columns() without number columns: every baseline's mean and SD at once, by
// window_mean_var()) give run()'s levels: every variant, short and long baselines, gaps, ties,
// constant baselines (SD 0: C = ±∞ or 0) and an SD floor.
TEST(Ears, LevelsOnlyEqualRun) {
    std::mt19937_64 g(5);
    for (const ears_variant variant : {ears_variant::c1, ears_variant::c2, ears_variant::c3})
        for (const int baseline : {3, 4, 7, 10})
            for (const double min_sigma : {0.0, 0.5}) {
                ears_options o = ears_options::defaults(variant);
                o.baseline = baseline;
                o.min_sigma = min_sigma;
                const ears d(o);
                for (int k = 0; k < 60; ++k) {
                    std::vector<double> v(g() % 40);
                    const auto distinct = 1 + g() % 6;  // few distinct values: ties, constant baselines
                    for (double& x : v) {
                        x = static_cast<double>(g() % distinct) + (g() % 2 ? 0.0 : 0.1 * static_cast<double>(g() % 10));
                        if (g() % 7 == 0) x += 20.0;
                        if (g() % 9 == 0) x = wbe::test::nan;
                    }
                    ASSERT_TRUE(wbe::test::levels_only_equal_run(d, wbe::test::quarterly(v),
                                                                 std::string(ears::name_of(variant)) + " baseline " +
                                                                     std::to_string(baseline) + " series " + std::to_string(k)));
                }
            }
}

}  // namespace

// A censored baseline value by robust ROS (the default) or its substitute. Baseline (8 values)
// 10 12 11 13 9 <11.5 12 11, current 30. Peer: statsmodels.imputation.ros.impute_ros imputes
// <11.5 as 10.228139168381867; numpy then gives mean 11.028517396047732, SD (n − 1)
// 1.2867047173950923 and C1 = (30 − mean)/SD = 14.744239565981891. With the substitute 5.75:
// mean 10.46875, SD 2.1690..., by the same formulas.
TEST(Ears, CensoredBaselineByRobustRos) {
    auto s = wbe::test::quarterly({10, 12, 11, 13, 9, 11.5, 12, 11, 30});
    wbe::test::censor(s, 5, 5.75, 11.5);
    ears_options o = ears_options::defaults(ears_variant::c1);
    o.baseline = 8;
    const auto r = ears(o).run(s).campaigns[8];
    EXPECT_NEAR(r.expected, 11.028517396047732, 1e-12);
    EXPECT_NEAR(r.statistic, 14.744239565981891, 1e-9);
    EXPECT_NE(r.reason.find("1 of 8 baseline campaigns censored, imputed by robust ROS"), std::string::npos) << r.reason;
    o.censored = "substitute";
    EXPECT_NEAR(ears(o).run(s).campaigns[8].expected, (10 + 12 + 11 + 13 + 9 + 5.75 + 12 + 11) / 8.0, 1e-12);
    o.censored = "half";
    ASSERT_EQ(ears::check(o).size(), 1u);
    EXPECT_EQ(ears::check(o)[0].to_string(), "<input>: censored = half: must be one of: ros, substitute");
}
