// Tests for wbe/core/detectors/percentile_level.hpp: the lower-nearest-rank percentile and the
// NWSS activity level on hand-worked quarterly cases, and the not_evaluable paths.

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "detector_test_support.hpp"
#include "wbe/core/detectors/percentile_level.hpp"

namespace {

using wbe::detectors::detection_level;
using wbe::detectors::lower_nearest_rank;
using wbe::detectors::percentile_level;
using wbe::detectors::percentile_level_options;

// sorted x at index ⌊p·(n−1)⌋ (science.md §7): n = 8 → ⌊0.7⌋ = 0; n = 11 → ⌊1.0⌋ = 1;
// n = 21 → ⌊2.0⌋ = 2; p = 0.5, n = 4 → ⌊1.5⌋ = 1 (lower, not interpolated).
TEST(PercentileLevel, LowerNearestRank) {
    std::vector<double> v(21);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i) * 10.0;
    EXPECT_EQ(lower_nearest_rank({v.begin(), v.begin() + 8}, 0.10), 0.0);
    EXPECT_EQ(lower_nearest_rank({v.begin(), v.begin() + 11}, 0.10), 10.0);
    EXPECT_EQ(lower_nearest_rank(v, 0.10), 20.0);
    EXPECT_EQ(lower_nearest_rank({10, 20, 30, 40}, 0.5), 20.0);
    EXPECT_EQ(lower_nearest_rank({10, 20, 30, 40}, 1.0), 40.0);
    EXPECT_TRUE(std::isnan(lower_nearest_rank({}, 0.1)));
}

// Hand-worked: look-back 20, 25, 18, 30, 22, 27, 24, 19 (8 quarters), current 60.
// baseline = ln 18 (sorted index ⌊0.1·7⌋ = 0, the minimum); SD of the 8 ln values = 0.17831887
// level = exp(ln(60/18)/0.17831887) = exp(6.7518) = 855.59 > 115: alert
// watch above 18·e^(0.17831887·ln 35) = 18·35^0.17831887 = 33.93
// current 35: level = exp(ln(35/18)/0.17831887) = 41.64 > 35: watch
const std::vector<double> lookback{20, 25, 18, 30, 22, 27, 24, 19};

TEST(PercentileLevel, HandWorkedQuarterly) {
    auto values = lookback;
    values.push_back(60);
    const auto d = percentile_level().run(wbe::test::quarterly(values));
    const auto& r = d.campaigns[8];
    EXPECT_NEAR(r.expected, 18.0, 1e-12);
    EXPECT_NEAR(r.statistic, 855.5948059476251, 1e-8);
    EXPECT_NEAR(r.upper_bound, 18.0 * std::pow(35.0, 0.17831887140453595), 1e-9);
    EXPECT_EQ(r.level, detection_level::alert);
    EXPECT_NE(r.reason.find("baseline 18 = sorted value 1 of 8 previous campaigns"), std::string::npos) << r.reason;
    values.back() = 35;
    const auto w = percentile_level().run(wbe::test::quarterly(values)).campaigns[8];
    EXPECT_NEAR(w.statistic, 41.643342005759415, 1e-9);
    EXPECT_EQ(w.level, detection_level::watch);
}

// With the NWSS categories as cut points (5.3 high, 7.8 very high), a value inside the range of
// its own history is already flagged: 25 → exp(ln(25/18)/0.1783) = 6.32 > 5.3. This is why the
// defaults are calibrated instead (percentile_level.hpp).
TEST(PercentileLevel, NwssCategoriesFlagOrdinaryValues) {
    percentile_level_options nwss;
    nwss.watch = 5.3;
    nwss.alert = 7.8;
    auto values = lookback;
    values.push_back(25);
    const auto r = percentile_level(nwss).run(wbe::test::quarterly(values)).campaigns[8];
    EXPECT_NEAR(r.statistic, std::exp(std::log(25.0 / 18.0) / 0.17831887140453595), 1e-9);
    EXPECT_EQ(r.level, detection_level::watch);
    EXPECT_EQ(percentile_level().run(wbe::test::quarterly(values)).campaigns[8].level, detection_level::none);
}

// A longer look-back moves the baseline off the minimum: 11 values, index ⌊0.1·10⌋ = 1 → 19.
TEST(PercentileLevel, LongerLookback) {
    percentile_level_options o;
    o.lookback = 12;
    auto values = lookback;
    for (double v : {21.0, 26.0, 23.0, 60.0}) values.push_back(v);
    const auto r = percentile_level(o).run(wbe::test::quarterly(values)).campaigns[11];
    EXPECT_NEAR(r.expected, 19.0, 1e-12);
    EXPECT_NEAR(r.statistic, 1519.7228057837253, 1e-7);
}

TEST(PercentileLevel, LookbackIsTheMostRecentCampaigns) {
    // A very low old value leaves the window after 8 campaigns.
    percentile_level_options o;
    std::vector<double> values{1};
    for (double v : lookback) values.push_back(v);
    values.push_back(60);
    const auto r = percentile_level(o).run(wbe::test::quarterly(values)).campaigns[9];
    EXPECT_NEAR(r.expected, 18.0, 1e-12);  // not 1
}

TEST(PercentileLevel, NotEvaluablePaths) {
    const auto d = percentile_level().run(wbe::test::quarterly({20, 25, wbe::test::nan, 18, -1, 30}));
    EXPECT_EQ(d.campaigns[0].reason, "needs 4 previous campaigns, has 0");
    EXPECT_EQ(d.campaigns[2].reason, "no value for this campaign");
    EXPECT_EQ(d.campaigns[3].reason, "needs 4 previous campaigns, has 2");
    EXPECT_EQ(d.campaigns[4].reason, "value -1 <= 0 has no logarithm (percentile_level works on ln values)");
    EXPECT_EQ(d.campaigns[5].reason, "needs 4 previous campaigns, has 3");
    // SD 0 with the floor off (min_sd 0 = NWSS exactly): no level can be computed.
    percentile_level_options exact;
    exact.min_sd = 0.0;
    const auto flat = percentile_level(exact).run(wbe::test::quarterly({20, 20, 20, 20, 21}));
    EXPECT_EQ(flat.campaigns[4].level, detection_level::not_evaluable);
    EXPECT_EQ(flat.campaigns[4].reason,
              "the 4 previous campaigns in the look-back all have the same value: SD 0 (set min_sd > 0)");
    // with the default floor 0.1: level = exp(ln(21/20)/0.1) = 1.63
    EXPECT_NEAR(percentile_level().run(wbe::test::quarterly({20, 20, 20, 20, 21})).campaigns[4].statistic,
                std::exp(std::log(1.05) / 0.1), 1e-12);
}

TEST(PercentileLevel, CensoredCurrentValue) {
    auto values = lookback;
    values.push_back(10);
    auto s = wbe::test::quarterly(values);
    wbe::test::censor(s, 8, 10.0, 20.0);  // < 20: level at 20 is exp(ln(20/18)/0.178) = 1.8: none
    EXPECT_EQ(percentile_level().run(s).campaigns[8].level, detection_level::none);
    wbe::test::censor(s, 8, 10.0, 200.0);  // < 200 could be alert
    EXPECT_EQ(percentile_level().run(s).campaigns[8].level, detection_level::not_evaluable);
}

TEST(PercentileLevel, OptionChecks) {
    percentile_level_options o;
    o.percentile = 1.5;
    o.alert = 10.0;
    const auto problems = percentile_level::check(o);
    ASSERT_EQ(problems.size(), 2u);
    EXPECT_EQ(problems[0].to_string(), "<input>: percentile = 1.5: must be a number in [0, 1]");
    EXPECT_EQ(problems[1].to_string(), "<input>: alert = 10: must be > watch = 35");
}

}  // namespace

// The look-back's censored campaign by robust ROS (default): the 10th percentile (lower nearest
// rank of 8: the smallest) is 9, as the <11.5 is imputed at 10.228 (statsmodels impute_ros);
// with its substitute 5.75 the baseline would be 5.75.
TEST(PercentileLevel, CensoredLookBackByRobustRos) {
    auto s = wbe::test::quarterly({10, 12, 11, 13, 9, 11.5, 12, 11, 30});
    wbe::test::censor(s, 5, 5.75, 11.5);
    EXPECT_NEAR(percentile_level().run(s).campaigns[8].expected, 9.0, 1e-12);
    percentile_level_options o;
    o.censored = "substitute";
    EXPECT_NEAR(percentile_level(o).run(s).campaigns[8].expected, 5.75, 1e-12);
}
