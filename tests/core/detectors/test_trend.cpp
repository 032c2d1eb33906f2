// Tests for wbe/core/detectors/trend.hpp: a planted rise, flat and falling series, the seasonal
// Kendall test with quarters, censored values (Helsel's recoding), gaps and the not_evaluable paths.

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "detector_test_support.hpp"
#include "wbe/core/detectors/mann_kendall.hpp"
#include "wbe/core/detectors/sen_slope.hpp"
#include "wbe/core/detectors/trend.hpp"

namespace {

using wbe::detectors::detection_level;
using wbe::detectors::trend;
using wbe::detectors::trend_options;

std::vector<double> geometric(double start, double factor, int n) {
    std::vector<double> v;
    for (int i = 0; i < n; ++i) v.push_back(start * std::pow(factor, i));
    return v;
}

// Planted rise: +10% a quarter for 12 quarters. Window 12 at the last campaign:
// S = 66, var(S) = 12·11·29/18 = 212.667, Z = 65/√212.667 = 4.457216, p = 8.3031e-6 → alert.
// Sen slope of ln values = ln 1.1 per quarter = 4 ln 1.1 per year → +46.4% per year; the Sen line
// passes through every point, so expected = the value itself.
TEST(Trend, PlantedRiseIsAlert) {
    const auto values = geometric(10.0, 1.1, 12);
    const auto d = trend().run(wbe::test::quarterly(values));
    const auto& r = d.campaigns[11];
    EXPECT_NEAR(r.statistic, 4.45721562860432, 1e-12);
    EXPECT_NEAR(r.p_value, 8.303107353564735e-06, 1e-15);
    EXPECT_EQ(r.level, detection_level::alert);
    EXPECT_NEAR(r.expected, values[11], 1e-9);
    EXPECT_TRUE(std::isnan(r.upper_bound));
    EXPECT_EQ(r.reason,
              "Mann-Kendall over 12 campaigns (2020Q1 to 2022Q4): S = 66, Z = 4.457, p = 8.303e-06 < alert 0.05; "
              "Sen slope +46.4% per year");
    // From the 6th campaign on (5 previous) the rise is evaluable and already significant:
    // n = 6: S = 15, var = 28.333, Z = 14/5.3229 = 2.6301, p = 0.00854
    EXPECT_EQ(d.campaigns[4].level, detection_level::not_evaluable);
    EXPECT_EQ(d.campaigns[4].reason, "needs 5 previous campaigns in the window, has 4");
    EXPECT_EQ(d.campaigns[5].level, detection_level::alert);
}

TEST(Trend, FlatAndFallingSeriesAreNotFlagged) {
    // flat with noise: S = 5 over 12 campaigns, far from significant
    const auto flat = trend().run(wbe::test::quarterly({10, 12, 9, 11, 10, 13, 9, 12, 10, 11, 12, 10}));
    EXPECT_EQ(flat.campaigns[11].level, detection_level::none);
    // ties 10×4, 12×3, 9×2, 11×2: var = (12·11·29 − 4·3·13 − 3·2·11 − 2·1·9 − 2·1·9)/18 = 3570/18
    EXPECT_NEAR(flat.campaigns[11].statistic, 4.0 / std::sqrt(3570.0 / 18.0), 1e-12);
    // falling just as steeply: significant, but a fall is never flagged
    const auto fall = trend().run(wbe::test::quarterly(geometric(100.0, 1.0 / 1.1, 12)));
    EXPECT_EQ(fall.campaigns[11].level, detection_level::none);
    EXPECT_LT(fall.campaigns[11].p_value, 0.001);
    EXPECT_NE(fall.campaigns[11].reason.find("(not rising)"), std::string::npos) << fall.campaigns[11].reason;
}

// Seasonal series: Q1..Q4 base 10, 20, 15, 30, each season +10% a year for 3 years.
// Plain Mann-Kendall: S = 24, Z = 1.57717, p = 0.1148 — the seasonal swing hides the rise.
// Seasonal Kendall: each season 3 rising values, S = 4·3 = 12, var = 4·3.6667 = 14.667,
// Z = 11/√14.667 = 2.872281, p = 0.004075 → alert; seasonal Sen slope = ln 1.1 per year (+10%).
TEST(Trend, SeasonalKendallWithQuarters) {
    std::vector<double> values;
    const double base[] = {10, 20, 15, 30};
    for (int i = 0; i < 12; ++i) values.push_back(base[i % 4] * std::pow(1.1, i / 4));
    const auto s = wbe::test::quarterly(values);
    const auto plain = trend().run(s).campaigns[11];
    EXPECT_NEAR(plain.p_value, 0.11475673431864913, 1e-12);
    EXPECT_EQ(plain.level, detection_level::none);
    trend_options o;
    o.seasonal = true;
    o.min_rise = 0.05;  // the planted rise is exactly +10% a year: count it (the default floor is +10%)
    const auto seasonal = trend(o).run(s).campaigns[11];
    EXPECT_NEAR(seasonal.statistic, 2.8722813232690143, 1e-12);
    EXPECT_NEAR(seasonal.p_value, 0.004075200091520409, 1e-12);
    EXPECT_EQ(seasonal.level, detection_level::alert);
    EXPECT_NE(seasonal.reason.find("seasonal Kendall over 12 campaigns"), std::string::npos);
    EXPECT_NE(seasonal.reason.find("Sen slope +10% per year"), std::string::npos) << seasonal.reason;
    // Seasonal needs the season of every campaign.
    auto unseasoned = s;
    unseasoned.campaigns[7].season = 0;
    const auto r = trend(o).run(unseasoned).campaigns[11];
    EXPECT_EQ(r.level, detection_level::not_evaluable);
    EXPECT_EQ(r.reason, "the seasonal test needs the season of every campaign in the window; 2021Q4 has none");
}

// Censored values (Helsel): window 6, values <5 (sub 2.5), 2, 6, <5 (sub 2.5), 7, 8.
// Recoded for S: T, T, 6, T, 7, 8 with T one tie below 5 → S = 10, one tie group of 3:
// var = (6·5·17 − 3·2·11)/18 = 444/18, Z = 9/√(444/18) = 1.812121 (substitutes alone would give
// a tie group of 2 only: var 492/18, Z = 1.721457).
TEST(Trend, CensoredValuesAreTiedBelowTheHighestLimit) {
    auto s = wbe::test::quarterly({2.5, 2, 6, 2.5, 7, 8});
    wbe::test::censor(s, 0, 2.5, 5.0);
    wbe::test::censor(s, 3, 2.5, 5.0);
    const auto r = trend().run(s).campaigns[5];
    EXPECT_NEAR(r.statistic, 9.0 / std::sqrt(444.0 / 18.0), 1e-12);
    EXPECT_EQ(r.level, detection_level::watch);  // p = 0.070 < 0.10, rising
    EXPECT_NE(r.reason.find("2 censored values: values below 5 tied for S, substitutes in the slope"), std::string::npos)
        << r.reason;
}

TEST(Trend, AllTiedIsNotEvaluable) {
    auto s = wbe::test::quarterly({3, 3, 3, 3, 3, 3});
    for (std::size_t i = 0; i < 6; ++i) wbe::test::censor(s, i, 3.0, 6.0);
    const auto r = trend().run(s).campaigns[5];
    EXPECT_EQ(r.level, detection_level::not_evaluable);
    EXPECT_EQ(r.reason, "all values tied in 6 campaigns (2020Q1 to 2021Q2) after tying censored values below 6");
}

TEST(Trend, GapsAndMissingTimes) {
    auto s = wbe::test::quarterly(geometric(10.0, 1.1, 13));
    s.campaigns[3].value = wbe::test::nan;  // a missing quarter: the window reaches over it
    s.campaigns[5].time = wbe::test::nan;   // a campaign without a time cannot enter a Sen slope
    const auto d = trend().run(s);
    EXPECT_EQ(d.campaigns[3].reason, "no value for this campaign");
    EXPECT_EQ(d.campaigns[5].reason, "no time for this campaign: the Sen slope needs real time");
    EXPECT_EQ(d.campaigns[12].level, detection_level::alert);
    EXPECT_NE(d.campaigns[12].reason.find("over 11 campaigns (2020Q1 to 2023Q1)"), std::string::npos);
    // the Sen slope uses real time: the gaps do not bend it (still +10% a quarter)
    EXPECT_NE(d.campaigns[12].reason.find("Sen slope +46.4% per year"), std::string::npos) << d.campaigns[12].reason;
}

TEST(Trend, SlopePerYearWithTimeInDays) {
    auto s = wbe::test::quarterly(geometric(10.0, 1.1, 8));
    for (auto& o : s.campaigns) o.time *= 365.25;  // same campaigns, time in days
    s.units_per_year = 365.25;
    const auto r = trend().run(s).campaigns[7];
    EXPECT_NE(r.reason.find("Sen slope +46.4% per year"), std::string::npos) << r.reason;
}

TEST(Trend, OptionChecks) {
    trend_options o;
    o.window = 5;
    o.min_history = 5;
    o.watch_p = 0.01;
    const auto problems = trend::check(o);
    ASSERT_EQ(problems.size(), 2u);
    EXPECT_EQ(problems[0].to_string(), "<input>: min_history = 5: must be <= window - 1 = 4");
    EXPECT_EQ(problems[1].to_string(), "<input>: alert_p = 0.05: must be < watch_p = 0.01");
}

// Levels only decide the slope rule (a rise of at least min_rise per year) by counting a window's
// slopes on either side of the rule's cut, and select the median slope only within 10⁻⁶ of it:
// run()'s levels with min_rise exactly at the rise of a window's median slope and one ulp either
// side, on both scales, with time in years and in days, and at min_rise values where the counting
// is not used (tiny, huge).
TEST(Trend, LevelsOnlyEqualRunAtTheMinRiseCut) {
    std::mt19937_64 g(11);
    std::normal_distribution<double> eps(0.0, 1.0);
    std::vector<detection_level> level;
    std::size_t raised = 0, checked = 0;
    for (const bool log_scale : {true, false})
        for (const bool days : {false, true})
            for (int k = 0; k < 80; ++k) {
                std::vector<double> v(12 + g() % 20);
                for (std::size_t i = 0; i < v.size(); ++i) {
                    // rising, in steps of 0.1 on the log scale: many tied slopes
                    v[i] = std::exp(0.08 * static_cast<double>(i) + 0.1 * std::round(3.0 * eps(g)));
                    if (g() % 13 == 0) v[i] = wbe::test::nan;
                }
                auto s = wbe::test::quarterly(v);
                if (days) {
                    s.units_per_year = 365.25;
                    for (auto& o : s.campaigns) o.time *= 365.25;
                }
                // The median slope of the detector's window (12 usable campaigns) at a random one.
                std::vector<double> t, y;
                for (const auto& o : s.campaigns)
                    if (!std::isnan(o.value)) {
                        t.push_back(o.time);
                        y.push_back(log_scale ? std::log(o.value) : o.value);
                    }
                if (t.size() < 6) continue;
                const std::size_t end = 6 + g() % (t.size() - 5), begin = end > 12 ? end - 12 : 0;
                const double slope =
                    wbe::detectors::sen_slope({t.data() + begin, end - begin}, {y.data() + begin, end - begin}, 0.0).slope;
                const double rise = log_scale ? std::expm1(slope * s.units_per_year) : slope * s.units_per_year;
                const double inf = std::numeric_limits<double>::infinity();
                for (const double min_rise : {rise, std::nextafter(rise, inf), std::nextafter(rise, -inf), 0.1, 1e-300, 1e300}) {
                    if (!(min_rise >= 0.0)) continue;  // a falling window: min_rise must be >= 0
                    trend_options o;
                    o.log_scale = log_scale;
                    o.min_rise = min_rise;
                    o.watch_p = 0.3;  // most windows significant: the slope rule decides
                    o.alert_p = 0.2;
                    const trend d(o);
                    level.assign(v.size(), detection_level::none);
                    d.run_columns(s, {level, {}, {}, {}, {}});
                    const auto expected = d.run(s);
                    for (std::size_t i = 0; i < v.size(); ++i) {
                        ASSERT_EQ(level[i], expected.campaigns[i].level)
                            << "log_scale " << log_scale << " days " << days << " series " << k << " min_rise " << min_rise
                            << " entry " << i;
                        raised += level[i] == detection_level::watch || level[i] == detection_level::alert;
                    }
                    ++checked;
                }
            }
    EXPECT_GT(checked, 500u);
    EXPECT_GT(raised, 1000u);  // the slope rule passes often enough to be tested both ways
}

// The numbers of every evaluated campaign against the free functions over its window, to the
// bit: Z and p of mann_kendall() (seasonal_kendall() when seasonal) of the window's values, and
// the expected value from sen_slope() (seasonal_sen_slope()) of its times and (log) values.
// evaluate() slides both instead (S and the ties in place, the Sen slope by
// sliding_sen_slope's search), so this pins the sliding to the definitions. Uncensored series
// of levels, trends and ties, with gaps, campaigns without a time, values ≤ 0 and windows of
// 3 to 40.
TEST(Trend, NumbersEqualTheFreeFunctionsOverEachWindow) {
    using wbe::detectors::mann_kendall;
    using wbe::detectors::seasonal_kendall;
    using wbe::detectors::seasonal_sen_slope;
    using wbe::detectors::sen_slope;
    const auto same = [](double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; };
    std::mt19937_64 g(31);
    std::normal_distribution<double> eps(0.0, 1.0);
    std::size_t compared = 0;
    for (int k = 0; k < 400; ++k) {
        trend_options o;
        o.seasonal = k % 4 == 3;
        o.log_scale = k % 3 != 2;
        o.window = 3 + static_cast<int>(g() % 38);
        o.min_history = 2 + static_cast<int>(g() % static_cast<unsigned>(o.window - 2));
        std::vector<double> v(static_cast<std::size_t>(o.window) + g() % 40);
        const double rise = 0.1 * eps(g);
        for (std::size_t i = 0; i < v.size(); ++i) {
            v[i] = std::exp(3.0 + rise * static_cast<double>(i) + 0.3 * eps(g));
            if (k % 5 == 1) v[i] = std::round(v[i] / 10.0);  // ties, and zeros
            if (g() % 15 == 0) v[i] = wbe::test::nan;
            if (!o.log_scale && g() % 9 == 0) v[i] = -v[i];
        }
        auto s = wbe::test::quarterly(v);
        for (auto& c : s.campaigns)
            if (g() % 23 == 0) c.time = wbe::test::nan;
        const auto d = trend(o).run(s);
        std::vector<double> t, x, y;
        std::vector<int> season;
        for (std::size_t i = 0; i < s.campaigns.size(); ++i) {
            const auto& c = s.campaigns[i];
            if (std::isnan(c.value) || std::isnan(c.time) || (o.log_scale && !(c.value > 0.0))) continue;
            t.push_back(c.time);
            x.push_back(c.value);
            y.push_back(o.log_scale ? std::log(c.value) : c.value);
            season.push_back(c.season);
            const auto& r = d.campaigns[i];
            const std::size_t n = std::min(t.size(), static_cast<std::size_t>(o.window)), b = t.size() - n;
            if (n - 1 < static_cast<std::size_t>(o.min_history)) continue;
            const auto mk = o.seasonal ? seasonal_kendall({x.data() + b, n}, {season.data() + b, n}) : mann_kendall({x.data() + b, n});
            if (!(mk.var_s > 0.0)) {
                ASSERT_EQ(r.level, detection_level::not_evaluable) << "series " << k << " campaign " << i;
                continue;
            }
            const auto sen = o.seasonal ? seasonal_sen_slope({t.data() + b, n}, {y.data() + b, n}, {season.data() + b, n}, 0.0)
                                        : sen_slope({t.data() + b, n}, {y.data() + b, n}, 0.0);
            const double line = sen.intercept + sen.slope * c.time;
            const double expected = std::isnan(sen.slope) ? wbe::test::nan : o.log_scale ? std::exp(line) : line;
            ASSERT_TRUE(same(r.statistic, mk.z) && same(r.p_value, mk.p) && same(r.expected, expected))
                << "series " << k << " campaign " << i << ": Z " << r.statistic << " vs " << mk.z << ", p " << r.p_value
                << " vs " << mk.p << ", expected " << r.expected << " vs " << expected;
            ++compared;
        }
    }
    EXPECT_GT(compared, 8000u);
}

}  // namespace

// A significant rise below min_rise is no flag (EUDA: within ±10% is stable), and the reason says so.
TEST(Trend, SignificantButSmallRiseIsNotFlagged) {
    std::vector<double> values;
    for (int i = 0; i < 12; ++i) values.push_back(100.0 * std::pow(1.05, i / 4.0));  // +5% a year, strictly rising
    const auto s = wbe::test::quarterly(values);
    const auto last = trend().run(s).campaigns[11];
    EXPECT_LT(last.p_value, 0.05);  // S = 66: maximal
    EXPECT_EQ(last.level, detection_level::none);
    EXPECT_NE(last.reason.find("below the minimum rise of +10% per year"), std::string::npos) << last.reason;
    trend_options o;
    o.min_rise = 0.04;
    EXPECT_EQ(trend(o).run(s).campaigns[11].level, detection_level::alert);
}

// Levels only (run_columns() without number columns: evaluate_levels(), which slides S and the
// tie term itself and skips Z and p where S cannot reach watch_p) gives run()'s levels, with
// many ties, gaps, short windows and watch_p exactly at, just above and just below the p of
// reachable windows (n = 6 and 12 without ties, n = 8 with a tie pair), near 1 and tiny.
TEST(Trend, LevelsOnlyEqualRunAtThePCuts) {
    using wbe::detectors::mann_kendall_z;
    using wbe::detectors::two_sided_normal_p;
    std::vector<double> cuts = {0.10, std::nextafter(1.0, 0.0), 0.999999, 1e-300, 1e-12};
    const auto p_of = [](double s, double n, double ties) {
        const double var_s = (n * (n - 1.0) * (2.0 * n + 5.0) - ties) / 18.0;
        return two_sided_normal_p(mann_kendall_z(s, var_s));
    };
    for (const double p : {p_of(11, 6, 0), p_of(9, 6, 0), p_of(30, 12, 0), p_of(26, 12, 0), p_of(14, 8, 2 * 1 * 9)}) {
        cuts.push_back(p);
        cuts.push_back(std::nextafter(p, 2.0));
        cuts.push_back(std::nextafter(p, -1.0));
    }
    std::mt19937_64 g(7);
    for (const double watch : cuts) {
        for (const int variant : {0, 1, 2}) {
            trend_options o;
            o.watch_p = watch;
            o.alert_p = watch / 2;
            o.min_rise = 0.0;
            o.log_scale = variant != 1;
            if (variant == 2) {
                o.window = 6;
                o.min_history = 2;
            }
            const trend d(o);
            for (int k = 0; k < 300; ++k) {
                std::vector<double> v(5 + g() % 40);
                const int distinct = 2 + static_cast<int>(g() % 12);  // few distinct values: ties
                for (double& x : v) {
                    x = 1.0 + static_cast<double>(g() % distinct) + (g() % 3 == 0 ? 0.0 : 0.01 * static_cast<double>(g() % 7));
                    if (g() % 5 == 0) x += static_cast<double>(g() % 50);  // rises
                    if (!o.log_scale && g() % 4 == 0) x = -x;
                    if (g() % 11 == 0) x = wbe::test::nan;
                    if (o.log_scale && g() % 17 == 0) x = 0.0;  // no logarithm: left out
                }
                ASSERT_TRUE(wbe::test::levels_only_equal_run(d, wbe::test::quarterly(v),
                                                             "watch_p " + std::to_string(watch) + " variant " + std::to_string(variant) +
                                                                 " series " + std::to_string(k)));
            }
        }
    }
}
