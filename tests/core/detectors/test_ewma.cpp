// Tests for wbe/core/detectors/ewma.hpp: the ESSENCE EWMA on hand-worked cases (expected values
// computed with the formulas of ewma.hpp and scipy.stats.t, as quoted), ESSENCE levels, clipping,
// and the not_evaluable paths.

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "detector_test_support.hpp"
#include "wbe/core/detectors/ewma.hpp"

namespace {

using wbe::detectors::detection_level;
using wbe::detectors::ewma;
using wbe::detectors::ewma_options;

// Raw scale, λ = 0.4, window 4, guard 0, min_history 4, no SD floor.
ewma_options hand_options() {
    ewma_options o;
    o.window = 4;
    o.min_history = 4;
    o.log_scale = false;
    o.min_sd = 0.0;
    return o;
}

// x = 10, 12, 11, 9, 10, 16.
// E: 10, 10.8, 10.88, 10.128, 10.0768, 12.44608   (E_t = 0.4 x_t + 0.6 E_{t−1}, E_1 = x_1)
// baseline of p4 and p5: mean 10.5, sd √(5/3) = 1.2909944
// correction = 0.4/1.6 + 1/4 − 2·0.6·(1 − 0.6⁴)/4 = 0.23888 → σ = 1.2909944·√0.23888 = 0.63097808
// p4: T = (10.0768 − 10.5)/σ = −0.67070476, p = 0.72478698 (scipy t.sf, 3 df)
// p5: T = (12.44608 − 10.5)/σ = 3.0842276, p = 0.026978450 → watch (0.01 ≤ p < 0.05)
// upper bound p5 = (10.5 + t_{0.95,3}·σ − 0.6·10.0768)/0.4 = 14.847101834935557 (t_{0.95,3} = 2.3533634)
TEST(Ewma, HandWorkedEssenceLevels) {
    const auto d = ewma(hand_options()).run(wbe::test::quarterly({10, 12, 11, 9, 10, 16}));
    for (int p = 0; p < 4; ++p) {
        EXPECT_EQ(d.campaigns[p].level, detection_level::not_evaluable);
        EXPECT_NE(d.campaigns[p].reason.find("needs 4 previous campaigns in the baseline, has " + std::to_string(p)),
                  std::string::npos)
            << d.campaigns[p].reason;
    }
    EXPECT_NEAR(d.campaigns[4].statistic, -0.670704760746795, 1e-12);
    EXPECT_NEAR(d.campaigns[4].p_value, 0.7247869830312379, 1e-10);
    EXPECT_EQ(d.campaigns[4].level, detection_level::none);
    EXPECT_NEAR(d.campaigns[5].statistic, 3.0842276011203156, 1e-12);
    EXPECT_NEAR(d.campaigns[5].p_value, 0.026978449954204287, 1e-10);
    EXPECT_EQ(d.campaigns[5].level, detection_level::watch);
    EXPECT_DOUBLE_EQ(d.campaigns[5].expected, 10.5);
    EXPECT_NEAR(d.campaigns[5].upper_bound, 14.847101834935557, 1e-9);
    EXPECT_NE(d.campaigns[5].reason.find("< watch 0.05"), std::string::npos) << d.campaigns[5].reason;
}

// x = 10, 12, 11, 9, 10, 40, 10: at p5 E = 22.04608, T = 18.2987 → p = 1.78e-4 < 0.01: alert;
// |T| > t_{0.99,3} = 4.5407029 so E is clipped to 10.5 + 4.5407029·0.63097808 = 13.365084 before
// p6: E = 0.4·10 + 0.6·13.365084 = 12.019050; baseline {11, 9, 10, 40}: mean 17.5,
// σ = 7.3421559 → T = −0.74650412 (unclipped E would give 17.23).
TEST(Ewma, AlertAndClipping) {
    const auto d = ewma(hand_options()).run(wbe::test::quarterly({10, 12, 11, 9, 10, 40, 10}));
    EXPECT_EQ(d.campaigns[5].level, detection_level::alert);
    EXPECT_NEAR(d.campaigns[5].p_value, 0.00017804518819458334, 1e-12);
    EXPECT_NE(d.campaigns[5].reason.find("clipped"), std::string::npos);
    EXPECT_NEAR(d.campaigns[6].statistic, -0.7465041190632825, 1e-10);
}

// Even degrees of freedom (window 5, df 4) at the same series: baseline 10, 12, 11, 9, 10
// (mean 10.4, sd √1.3), T = 3.752783888 → p = 0.0099494815 (scipy t.sf, 4 df): just below
// 0.01, so alert.
TEST(Ewma, EvenDegreesOfFreedom) {
    ewma_options o = hand_options();
    o.window = 5;
    o.min_history = 5;
    const auto r = ewma(o).run(wbe::test::quarterly({10, 12, 11, 9, 10, 16})).campaigns[5];
    EXPECT_NEAR(r.statistic, 3.752783888058457, 1e-12);
    EXPECT_NEAR(r.p_value, 0.009949481502532892, 1e-12);
    EXPECT_EQ(r.level, detection_level::alert);
}

TEST(Ewma, GuardBandAndMinHistory) {
    ewma_options o = hand_options();
    o.guard = 2;
    EXPECT_EQ(ewma(o).min_history(), 6u);
    const auto d = ewma(o).run(wbe::test::quarterly({10, 12, 11, 9, 10, 16, 11}));
    EXPECT_EQ(d.campaigns[5].level, detection_level::not_evaluable);
    EXPECT_NE(d.campaigns[5].reason.find("has 3 (guard band of 2 campaigns)"), std::string::npos)
        << d.campaigns[5].reason;
    EXPECT_NE(d.campaigns[6].level, detection_level::not_evaluable);  // baseline x1..x4 before the guard
}

TEST(Ewma, LogScaleConstantBaselineUsesTheFloor) {
    // Default options (log scale, min_sd 0.1): a constant baseline has SD 0 → floored to 0.1.
    const auto d = ewma().run(wbe::test::quarterly({10, 10, 10, 10, 10}));
    EXPECT_EQ(d.campaigns[4].level, detection_level::none);
    EXPECT_NEAR(d.campaigns[4].expected, 10.0, 1e-12);
    EXPECT_NE(d.campaigns[4].reason.find("= floor min_sd"), std::string::npos) << d.campaigns[4].reason;
    // A censored value whose limit would alert but whose lower end would not: not evaluable.
    auto s = wbe::test::quarterly({10, 10, 10, 10, 5});
    wbe::test::censor(s, 4, 5.0, 100.0);
    EXPECT_EQ(ewma().run(s).campaigns[4].level, detection_level::not_evaluable);
}

TEST(Ewma, OptionChecks) {
    ewma_options o;
    o.lambda = 0.0;
    o.alert_p = 0.05;
    const auto problems = ewma::check(o);
    ASSERT_EQ(problems.size(), 2u);
    EXPECT_EQ(problems[0].to_string(), "<input>: lambda = 0: must be a number in (0, 1]");
    EXPECT_EQ(problems[1].to_string(), "<input>: alert_p = 0.05: must be < watch_p = 0.05");
}

}  // namespace

// The baseline's censored campaign by robust ROS (default): the baseline mean on the ln scale is
// the mean of ln(10 12 11 13 9 10.228139168381867 12 11) = 2.3944381921135562 (the imputation
// from statsmodels.imputation.ros.impute_ros; the mean by numpy), so expected = e^2.39443819 =
// 10.962037769522407. With the substitute 5.75 it is the geometric mean of the substituted values.
TEST(Ewma, CensoredBaselineByRobustRos) {
    auto s = wbe::test::quarterly({10, 12, 11, 13, 9, 11.5, 12, 11, 30});
    wbe::test::censor(s, 5, 5.75, 11.5);
    const auto r = ewma().run(s).campaigns[8];
    EXPECT_NEAR(r.expected, 10.962037769522407, 1e-9);
    EXPECT_NE(r.reason.find("imputed by robust ROS"), std::string::npos) << r.reason;
    ewma_options o;
    o.censored = "substitute";
    const double gm = std::exp((std::log(10.0) + std::log(12.0) + std::log(11.0) + std::log(13.0) + std::log(9.0) +
                                std::log(5.75) + std::log(12.0) + std::log(11.0)) / 8.0);
    EXPECT_NEAR(ewma(o).run(s).campaigns[8].expected, gm, 1e-9);
}
