// Tests for wbe/core/detectors/change.hpp: hand-worked quarter-on-quarter and year-on-year changes,
// the EUDA classes (stable within ±10%), gaps, censored bounds and time in days.

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "detector_test_support.hpp"
#include "wbe/core/detectors/change.hpp"

namespace {

using wbe::detectors::change;
using wbe::detectors::change_class;
using wbe::detectors::change_options;
using wbe::detectors::classify_change;
using wbe::detectors::detection_level;

TEST(Change, EudaClasses) {
    EXPECT_EQ(classify_change(0.0), change_class::stable);
    EXPECT_EQ(classify_change(11.0 / 10.0 - 1.0), change_class::stable);  // exactly +10% (0.10000000000000009)
    EXPECT_EQ(classify_change(9.0 / 10.0 - 1.0), change_class::stable);   // exactly −10%
    EXPECT_EQ(classify_change(0.1001), change_class::increase);
    EXPECT_EQ(classify_change(-0.1001), change_class::decrease);
    EXPECT_EQ(classify_change(0.15, 0.2), change_class::stable);
    EXPECT_EQ(wbe::detectors::to_string(change_class::increase), "increase");
}

// Hand-worked, quarterly from 2020Q1: 10, 10, 10, 10 | 10.5, 16, 25, 11
// 2021Q1: YoY 10.5/10 − 1 = +5% stable → none;  QoQ +5% stable
// 2021Q2: YoY 16/10 − 1 = +60% increase → watch (> +50%);  QoQ 16/10.5 − 1 = +52.4% increase
// 2021Q3: YoY 25/10 − 1 = +150% > +100% → alert
// 2021Q4: YoY 11/10 − 1 = +10% exactly: stable → none
TEST(Change, HandWorkedYearOnYear) {
    const auto d = change().run(wbe::test::quarterly({10, 10, 10, 10, 10.5, 16, 25, 11}));
    for (int p = 0; p < 4; ++p) {
        EXPECT_EQ(d.campaigns[p].level, detection_level::not_evaluable);
        EXPECT_EQ(d.campaigns[p].reason.rfind("no campaign a year earlier (t = ", 0), 0u) << d.campaigns[p].reason;
    }
    EXPECT_NEAR(d.campaigns[4].statistic, 0.05, 1e-12);
    EXPECT_EQ(d.campaigns[4].level, detection_level::none);
    EXPECT_NEAR(d.campaigns[5].statistic, 0.6, 1e-12);
    EXPECT_EQ(d.campaigns[5].level, detection_level::watch);
    EXPECT_EQ(d.campaigns[5].expected, 10.0);
    EXPECT_NEAR(d.campaigns[5].upper_bound, 15.0, 1e-12);
    EXPECT_EQ(d.campaigns[5].reason,
              "year-on-year +60% vs 2020Q2 (10): increase; quarter-on-quarter +52.4% vs 2021Q1 (10.5): increase; "
              "year-on-year > watch 0.5");
    EXPECT_EQ(d.campaigns[6].level, detection_level::alert);
    EXPECT_EQ(d.campaigns[7].level, detection_level::none);
    EXPECT_NE(d.campaigns[7].reason.find("year-on-year +10% vs 2020Q4 (10): stable"), std::string::npos)
        << d.campaigns[7].reason;
}

TEST(Change, QuarterOnQuarterBasis) {
    change_options o;
    o.basis = "quarter";
    const auto d = change(o).run(wbe::test::quarterly({10, 10.5, 16, 40}));
    EXPECT_EQ(d.campaigns[0].reason.rfind("no campaign a quarter earlier", 0), 0u) << d.campaigns[0].reason;
    EXPECT_EQ(d.campaigns[1].level, detection_level::none);   // +5%
    EXPECT_EQ(d.campaigns[2].level, detection_level::watch);  // 16/10.5 − 1 = +52.4%
    EXPECT_EQ(d.campaigns[3].level, detection_level::alert);  // +150%
    EXPECT_NE(d.campaigns[3].reason.find("year-on-year: no campaign a year earlier"), std::string::npos);
}

// Gaps: a campaign without a value, and a campaign absent from the series altogether.
TEST(Change, GapsNeverPairTheWrongCampaigns) {
    auto s = wbe::test::quarterly({10, 10, 10, 10, 10, wbe::test::nan, 10, 10, 20, 20});
    // 2022Q1 (index 8): the year-earlier 2021Q1 (index 4) exists → +100%: watch (not above +100%)
    // 2022Q2 (index 9): 2021Q2 has no value
    s.campaigns.erase(s.campaigns.begin() + 7);  // 2021Q4 absent: 2022Q1's quarter partner is missing
    const auto d = change().run(s);
    EXPECT_NEAR(d.campaigns[7].statistic, 1.0, 1e-12);
    EXPECT_EQ(d.campaigns[7].level, detection_level::watch);
    EXPECT_NE(d.campaigns[7].reason.find("quarter-on-quarter: no campaign a quarter earlier"), std::string::npos)
        << d.campaigns[7].reason;
    EXPECT_EQ(d.campaigns[8].level, detection_level::not_evaluable);
    EXPECT_EQ(d.campaigns[8].reason.rfind("the campaign a year earlier (2021Q2) has no value", 0), 0u)
        << d.campaigns[8].reason;
}

TEST(Change, CensoredBounds) {
    // current < 4 (substitute 2) vs 10 a year earlier: change in [−100%, −60%] → decrease, none
    auto s = wbe::test::quarterly({10, 10, 10, 10, 2});
    wbe::test::censor(s, 4, 2.0, 4.0);
    auto r = change().run(s).campaigns[4];
    EXPECT_EQ(r.level, detection_level::none);
    EXPECT_NE(r.reason.find("between -100% and -60%: decrease"), std::string::npos) << r.reason;
    // partner < 2 (substitute 1), current 10: change ≥ 10/2 − 1 = +400%, unbounded above → alert at both ends
    s = wbe::test::quarterly({1, 10, 10, 10, 10});
    wbe::test::censor(s, 0, 1.0, 2.0);
    EXPECT_EQ(change().run(s).campaigns[4].level, detection_level::alert);
    // partner < 2, current 2.1: change ≥ +5% (none) but unbounded → cannot tell
    s = wbe::test::quarterly({1, 10, 10, 10, 2.1});
    wbe::test::censor(s, 0, 1.0, 2.0);
    r = change().run(s).campaigns[4];
    EXPECT_EQ(r.level, detection_level::not_evaluable);
    EXPECT_NE(r.reason.find("censored: level between none and alert"), std::string::npos) << r.reason;
}

TEST(Change, TimeInDaysAndToleranceOfSamplingDates) {
    // Campaigns sampled on day 30 and day 400 of a day-count: 370 days apart, within
    // ±0.125·365.25 = 45.7 days of a year.
    wbe::detectors::series s;
    s.units_per_year = 365.25;
    s.campaigns = {{"2023Q1", 30.0, 10.0}, {"2024Q1", 400.0, 16.0}};
    const auto d = change().run(s);
    EXPECT_NEAR(d.campaigns[1].statistic, 0.6, 1e-12);
    EXPECT_EQ(d.campaigns[1].level, detection_level::watch);
    // 300 days is not a year (65 days off)
    s.campaigns[1].time = 330.0;
    EXPECT_EQ(change().run(s).campaigns[1].level, detection_level::not_evaluable);
}

TEST(Change, OptionChecks) {
    change_options o;
    o.basis = "month";
    o.tolerance = 0.5;
    o.alert = 0.4;
    const auto problems = change::check(o);
    ASSERT_EQ(problems.size(), 3u);
    EXPECT_EQ(problems[0].to_string(), "<input>: basis = month: must be one of: year, quarter");
    EXPECT_EQ(problems[1].to_string(), "<input>: tolerance = 0.5: must be a number in (0, 0.125]");
    EXPECT_EQ(problems[2].to_string(), "<input>: alert = 0.4: must be > watch = 0.5");
}

}  // namespace
