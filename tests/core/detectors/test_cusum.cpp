// Tests for wbe/core/detectors/cusum.hpp: Montgomery's tabular CUSUM (shared/reference/aberration,
// read in place), reset after alarm, reference windows and the not_evaluable paths.

// GCC 12 at -O3 reports a false -Wrestrict inside std::string concatenation (GCC bug 105329).
#if defined(__GNUC__) && !defined(__clang__)  // a GCC-only warning: clang does not know it
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "detector_test_support.hpp"
#include "wbe/core/detectors/cusum.hpp"

namespace {

using wbe::detectors::cusum;
using wbe::detectors::cusum_options;
using wbe::detectors::detection_level;

// expected.json: montgomery_tabular_cusum — mu0 = 10, sigma = 1, K = 0.5, H = 5, no reset.
cusum_options montgomery() {
    cusum_options o;
    o.mean = 10.0;
    o.sd = 1.0;
    o.k = 0.5;
    o.h = 5.0;
    o.watch = 2.5;
    o.reset = false;
    o.log_scale = false;
    return o;
}

// Column expected_C_plus (2 decimals as tabulated; source tolerance 0.005), first signal at 29.
TEST(Cusum, MontgomeryExample91) {
    WBE_REQUIRE_REFERENCE(folder, "aberration");
    const wbe::test::reference_csv csv(folder / "montgomery_cusum_table9_1.csv");
    const auto x = csv.numbers("x");
    const auto expected = csv.numbers("expected_C_plus");
    ASSERT_EQ(x.size(), 30u);
    const auto d = cusum(montgomery()).run(wbe::test::indexed(x));
    int first_alert = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        EXPECT_NEAR(d.campaigns[i].statistic, expected[i], 0.005) << "period " << i + 1;
        if (!first_alert && d.campaigns[i].level == detection_level::alert) first_alert = static_cast<int>(i + 1);
    }
    EXPECT_EQ(first_alert, 29);                           // .expected: first signal C+ > H at period 29
    EXPECT_NEAR(d.campaigns[28].statistic, 5.28, 0.005);  // C+ = 5.28
    EXPECT_NEAR(d.campaigns[29].statistic, 5.30, 0.005);  // Montgomery continues accumulating: 5.30
    EXPECT_EQ(d.campaigns[29].level, detection_level::alert);
    EXPECT_EQ(d.campaigns[0].expected, 10.0);
    // watch bound at period 1: μ + σ(watch + k − C+_0) = 10 + 3 = 13
    EXPECT_DOUBLE_EQ(d.campaigns[0].upper_bound, 13.0);
}

TEST(Cusum, ResetAfterAlarm) {
    WBE_REQUIRE_REFERENCE(folder, "aberration");
    const auto x = wbe::test::reference_csv(folder / "montgomery_cusum_table9_1.csv").numbers("x");
    cusum_options o = montgomery();
    o.reset = true;
    const auto d = cusum(o).run(wbe::test::indexed(x));
    EXPECT_EQ(d.campaigns[28].level, detection_level::alert);
    EXPECT_NE(d.campaigns[28].reason.find("C+ restarts at 0"), std::string::npos);
    // period 30 after the restart: max(0, 0 + (10.52 − 10)/1 − 0.5) = 0.02
    EXPECT_NEAR(d.campaigns[29].statistic, 0.02, 1e-12);
    EXPECT_EQ(d.campaigns[29].level, detection_level::none);
}

// Hand-worked, reference `first`, window 4, raw scale: x = 10, 12, 11, 9 | 10, 14, 15.
// mean 10.5, sd = √((0.25 + 2.25 + 0.25 + 2.25)/3) = √(5/3) = 1.290994
// p5 (x=10): z = −0.387298 → C+ = max(0, −0.887298) = 0
// with watch 2 and h 4:
// p6 (x=14): z = 2.711088 → C+ = 2.211088 > watch 2
// p7 (x=15): z = 3.485685 → C+ = 2.211088 + 3.485685 − 0.5 = 5.196773 > h 4
TEST(Cusum, FirstReferenceWindowHandWorked) {
    cusum_options o;
    o.window = 4;
    o.log_scale = false;
    o.watch = 2.0;
    o.h = 4.0;
    const auto d = cusum(o).run(wbe::test::quarterly({10, 12, 11, 9, 10, 14, 15}));
    for (int p = 0; p < 4; ++p) {
        EXPECT_EQ(d.campaigns[p].level, detection_level::not_evaluable);
        EXPECT_NE(d.campaigns[p].reason.find("reference period: campaign " + std::to_string(p + 1) + " of the 4"),
                  std::string::npos)
            << d.campaigns[p].reason;
    }
    const double sd = std::sqrt(5.0 / 3.0);
    EXPECT_EQ(d.campaigns[4].statistic, 0.0);
    EXPECT_NEAR(d.campaigns[5].statistic, 3.5 / sd - 0.5, 1e-12);
    EXPECT_EQ(d.campaigns[5].level, detection_level::watch);
    EXPECT_NEAR(d.campaigns[6].statistic, 3.5 / sd - 0.5 + 4.5 / sd - 0.5, 1e-12);
    EXPECT_EQ(d.campaigns[6].level, detection_level::alert);
    EXPECT_DOUBLE_EQ(d.campaigns[4].expected, 10.5);
}

TEST(Cusum, ShortSeriesIsAllReferencePeriod) {
    const auto d = cusum().run(wbe::test::quarterly({10, 12, 11}));
    for (const auto& r : d.campaigns) {
        EXPECT_EQ(r.level, detection_level::not_evaluable);
        EXPECT_NE(r.reason.find("needs 8 campaigns with a value, the series has 3"), std::string::npos) << r.reason;
    }
}

TEST(Cusum, RollingReferenceNeedsMinHistory) {
    cusum_options o;
    o.reference = "rolling";
    o.window = 4;
    o.min_history = 3;
    o.guard = 1;
    const auto d = cusum(o).run(wbe::test::quarterly({10, 11, 10, 12, 11, 10}));
    // position p has p − 1 reference values before a guard of 1: 3 needed from p = 4 on
    EXPECT_EQ(d.campaigns[3].level, detection_level::not_evaluable);
    EXPECT_NE(d.campaigns[3].reason.find("needs 3 previous campaigns in the reference window, has 2 (guard band of 1 "
                                         "campaign)"),
              std::string::npos)
        << d.campaigns[3].reason;
    EXPECT_NE(d.campaigns[4].level, detection_level::not_evaluable);
    EXPECT_EQ(cusum(o).min_history(), 4u);
}

TEST(Cusum, GapsLeaveTheSumUnchanged) {
    WBE_REQUIRE_REFERENCE(folder, "aberration");
    auto x = wbe::test::reference_csv(folder / "montgomery_cusum_table9_1.csv").numbers("x");
    x.insert(x.begin() + 25, wbe::test::nan);  // a missing campaign before period 26
    const auto d = cusum(montgomery()).run(wbe::test::indexed(x));
    EXPECT_EQ(d.campaigns[25].level, detection_level::not_evaluable);
    EXPECT_NEAR(d.campaigns[29].statistic, 5.28, 0.005);  // period 29, one row later
}

TEST(Cusum, LogScaleAndNonPositiveValues) {
    cusum_options o;
    o.mean = std::log(10.0);
    o.sd = 0.2;
    const auto d = cusum(o).run(wbe::test::quarterly({10, 0, 10 * std::exp(0.8)}));
    EXPECT_NEAR(d.campaigns[0].expected, 10.0, 1e-12);
    EXPECT_EQ(d.campaigns[1].level, detection_level::not_evaluable);
    EXPECT_NE(d.campaigns[1].reason.find("has no logarithm"), std::string::npos);
    // z = 0.8/0.2 = 4 → C+ = 0 + 4 − 0.5 = 3.5 > watch 3
    EXPECT_NEAR(d.campaigns[2].statistic, 3.5, 1e-12);
    EXPECT_EQ(d.campaigns[2].level, detection_level::watch);
}

TEST(Cusum, OptionChecks) {
    cusum_options o;
    o.watch = 5.0;  // not below h = 5
    o.reference = "median";
    o.sd = -1.0;
    const auto problems = cusum::check(o);
    ASSERT_EQ(problems.size(), 3u);
    EXPECT_EQ(problems[0].to_string(), "<input>: reference = median: must be one of: first, rolling");
    EXPECT_EQ(problems[1].to_string(), "<input>: sd = -1: must be a number > 0 or auto");
    EXPECT_EQ(problems[2].to_string(), "<input>: watch = 5: must be < h = 5");
}

}  // namespace

// A censored campaign in a rolling reference window by robust ROS (default): the reference mean
// on the ln scale is mean ln(10 12 11 13 9 10.228139168381867 12 11) = 2.3944381921135562
// (imputation: statsmodels.imputation.ros.impute_ros; mean: numpy) → expected 10.962037769522407.
TEST(Cusum, CensoredReferenceByRobustRos) {
    auto s = wbe::test::quarterly({10, 12, 11, 13, 9, 11.5, 12, 11, 30});
    wbe::test::censor(s, 5, 5.75, 11.5);
    wbe::detectors::cusum_options o;
    o.reference = "rolling";
    const auto r = wbe::detectors::cusum(o).run(s).campaigns[8];
    EXPECT_NEAR(r.expected, 10.962037769522407, 1e-9);
    EXPECT_NE(r.reason.find("1 of 8 baseline campaigns censored, imputed by robust ROS"), std::string::npos) << r.reason;
}
