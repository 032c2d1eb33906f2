// Tests for wbe/core/detectors/sen_slope.hpp: the Sen slope over real time differences, Conover's
// intercept and Gilbert's interval, against pyMannKendall and EnvStats (shared/reference/trend,
// read in place) and hand cases; the sliding window against sen_slope() bit for bit.

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "detector_test_support.hpp"
#include "wbe/core/detectors/sen_slope.hpp"

namespace {

using wbe::detectors::seasonal_sen_slope;
using wbe::detectors::sen_slope;
using wbe::detectors::sen_slope_result;
using wbe::detectors::sliding_sen_slope;
using wbe::test::digits_of_agreement;

void expect_close(double actual, double expected, double rel, const char* what) {
    const double d = digits_of_agreement(actual, expected);
    ::testing::Test::RecordProperty(what, std::to_string(d));
    EXPECT_NEAR(actual, expected, rel * std::max(1.0, std::abs(expected)))
        << what << ": " << actual << " vs " << expected << " (" << d << " digits)";
}

std::vector<double> index_times(std::size_t n, double per_unit = 1.0) {
    std::vector<double> t(n);
    for (std::size_t i = 0; i < n; ++i) t[i] = static_cast<double>(i) / per_unit;
    return t;
}

// expected.json: pymannkendall_arbitrary_1d.sens_slope. The missing_value_rule: NaN kept in
// place, slopes over ORIGINAL indices — i.e. time = index, which the real-time slope reproduces.
TEST(SenSlope, PyMannKendallArbitrary360) {
    WBE_REQUIRE_REFERENCE(folder, "trend");
    const auto x = wbe::test::reference_csv(folder / "pymannkendall_arbitrary_1d.csv").numbers("value");
    ASSERT_EQ(x.size(), 360u);
    const auto r = sen_slope(index_times(360), x);
    EXPECT_EQ(r.n, 353u);
    EXPECT_EQ(r.n_slopes, 353u * 352u / 2u);
    expect_close(r.slope, -0.006369426751592357, 1e-12, "slope");        // .sens_slope.slope
    expect_close(r.intercept, 96.15286624203821, 1e-12, "intercept");    // .sens_slope.intercept
}

// expected.json: pymannkendall_arbitrary_1d.seasonal_sens_slope_period12: slopes within a
// column (season = index mod 12) per row (year = index / 12); intercept per cycle.
TEST(SenSlope, PyMannKendallSeasonalPeriod12) {
    WBE_REQUIRE_REFERENCE(folder, "trend");
    const auto x = wbe::test::reference_csv(folder / "pymannkendall_arbitrary_1d.csv").numbers("value");
    std::vector<int> season(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) season[i] = static_cast<int>(i % 12);
    const auto r = seasonal_sen_slope(index_times(360, 12.0), x, season);
    expect_close(r.slope, -0.08695652173913043, 1e-12, "slope");         // .seasonal_sens_slope_period12.slope
    expect_close(r.intercept, 96.31159420289855, 1e-12, "intercept");    // .seasonal_sens_slope_period12.intercept
}

// expected.json: envstats_kendallTrendTest_sulfate_uneven_time — x = Sampling.Date (unequal
// spacing), 253 pairs; EnvStats printed 7–8 significant digits.
TEST(SenSlope, EnvStatsSulfateUnevenTime) {
    WBE_REQUIRE_REFERENCE(folder, "trend");
    const wbe::test::reference_csv csv(folder / "envstats_EPA09_Ex17_6_sulfate.csv");
    const auto t = csv.numbers("Sampling.Date");
    const auto y = csv.numbers("Sulfate.ppm");
    const auto r = sen_slope(t, y, 0.95);
    EXPECT_EQ(r.n, 23u);
    EXPECT_EQ(r.n_slopes, 253u);                                           // .cross_check: 253 pairs
    expect_close(r.slope, 26.6666667, 2e-9, "slope");                      // .expected.slope_theil_sen
    expect_close(r.intercept, -1909.3333333, 2e-10, "intercept");          // .expected.intercept_conover
    EXPECT_DOUBLE_EQ(r.var_s, 1428.0);                                     // .cross_check
    expect_close(r.lower, 20.0, 1e-12, "lower");                           // .expected.slope_CI95_gilbert[0]
    expect_close(r.upper, 35.71182, 2e-7, "upper");                        // .expected.slope_CI95_gilbert[1]
    // Dividing by index gaps instead (pyMannKendall's sens_slope) gives another answer: the trap.
    std::vector<double> idx(23);
    std::iota(idx.begin(), idx.end(), 0.0);
    EXPECT_GT(std::abs(sen_slope(idx, y).slope - r.slope), 1.0);
}

// expected.json: pymannkendall_degenerate.
TEST(SenSlope, DegenerateCases) {
    const std::vector<double> flat(360, 7.5);
    EXPECT_EQ(sen_slope(index_times(360), flat).slope, 0.0);  // .constant_series_360.sens_slope
    std::vector<double> up(360);
    std::iota(up.begin(), up.end(), 0.0);
    const auto r = sen_slope(index_times(360), up);
    EXPECT_EQ(r.slope, 1.0);                                   // .strict_increasing_0_to_359.sens_slope
    EXPECT_NEAR(r.intercept, 0.0, 1e-12);                      // .sens_intercept_rounded
    std::vector<int> season(360);
    for (std::size_t i = 0; i < 360; ++i) season[i] = static_cast<int>(i % 12);
    EXPECT_EQ(seasonal_sen_slope(index_times(360, 12.0), up, season).slope, 12.0);  // .seasonal_sens_slope_period12
}

// Hand-worked: t = 0, 1, 3 and x = 0, 1, 3 lie on a line of slope 1. Over real time every pair
// has slope 1; over index gaps the slopes would be 1, 1.5, 2 (median 1.5).
// intercept = median(x) − slope · median(t) = 1 − 1·1 = 0.
TEST(SenSlope, RealTimeNotIndexGaps) {
    const std::vector<double> t{0, 1, 3}, x{0, 1, 3};
    const auto r = sen_slope(t, x);
    EXPECT_EQ(r.slope, 1.0);
    EXPECT_EQ(r.intercept, 0.0);
    EXPECT_EQ(r.n_slopes, 3u);
    // n = 3 is too few for the normal-approximation interval: NaN, as EnvStats warns.
    EXPECT_TRUE(std::isnan(r.lower));
}

// Hand-worked even number of slopes: t = 0, 1, 2, 4; x = 0, 2, 3, 4.
// slopes: (2−0)/1 = 2, (3−0)/2 = 1.5, (4−0)/4 = 1, (3−2)/1 = 1, (4−2)/3 = 0.6667, (4−3)/2 = 0.5
// sorted 0.5, 0.6667, 1, 1, 1.5, 2 → median 1; intercept = median(x) 2.5 − 1 · median(t) 1.5 = 1
TEST(SenSlope, EvenNumberOfSlopesAndNaN) {
    const std::vector<double> t{0, 1, 2, wbe::test::nan, 4}, x{0, 2, 3, 99, 4};
    const auto r = sen_slope(t, x);
    EXPECT_EQ(r.n, 4u);  // the point without a time is left out
    EXPECT_EQ(r.n_slopes, 6u);
    EXPECT_EQ(r.slope, 1.0);
    EXPECT_EQ(r.intercept, 1.0);
}

TEST(SenSlope, NoPairGivesNaN) {
    const std::vector<double> t{1.0}, x{5.0};
    const auto r = sen_slope(t, x);
    EXPECT_EQ(r.n_slopes, 0u);
    EXPECT_TRUE(std::isnan(r.slope));
    EXPECT_TRUE(std::isnan(r.intercept));
    const std::vector<double> same_t{2.0, 2.0}, xs{1.0, 3.0};
    EXPECT_TRUE(std::isnan(sen_slope(same_t, xs).slope));  // equal times give no slope
}

bool same_bits(double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); }

// The window's points, and what sen_slope() / seasonal_sen_slope() say of them.
struct window_points {
    std::vector<double> t, x;
    std::vector<int> season;
    sen_slope_result reference(bool seasonal) const {
        return seasonal ? seasonal_sen_slope(t, x, season, 0.0) : sen_slope(t, x, 0.0);
    }
};

void expect_same(const sen_slope_result& sliding, const sen_slope_result& reference, const char* what, int step) {
    EXPECT_EQ(sliding.n, reference.n) << what << " step " << step;
    EXPECT_EQ(sliding.n_slopes, reference.n_slopes) << what << " step " << step;
    EXPECT_TRUE(same_bits(sliding.slope, reference.slope))
        << what << " step " << step << ": slope " << sliding.slope << " vs " << reference.slope;
    EXPECT_TRUE(same_bits(sliding.intercept, reference.intercept))
        << what << " step " << step << ": intercept " << sliding.intercept << " vs " << reference.intercept;
    EXPECT_TRUE(std::isnan(sliding.lower) && std::isnan(sliding.upper) && std::isnan(sliding.var_s));
}

// A window that grows, slides and shrinks at random over points with many ties in x, equal times
// (pairs without a slope), −0 and +0 in x and t, tiny x differences whose slopes underflow to
// ±0, and infinite x (NaN slopes): after every step the sliding slope and intercept have the
// bits of sen_slope() / seasonal_sen_slope() over the window's points.
TEST(SlidingSenSlope, EqualsSenSlopeBitForBit) {
    std::mt19937_64 g(7);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const double inf = std::numeric_limits<double>::infinity();
    for (int kind = 0; kind < 4; ++kind) {
        for (bool seasonal : {false, true}) {
            sliding_sen_slope sliding(seasonal);
            window_points w;
            double t = kind == 3 ? -3.0 : 0.0;
            for (int step = 0; step < 4000; ++step) {
                const bool grow = w.t.empty() || (w.t.size() < 14 && u(g) < 0.55);
                if (grow) {
                    if (u(g) < 0.7) t += kind == 3 ? 0.5 : 0.25 * static_cast<double>(1 + g() % 3);  // else an equal time
                    double x = 0.0;
                    switch (kind) {
                        case 0: x = std::round(u(g) * 4.0); break;                         // heavy ties
                        case 1: x = std::log(1.0 + 100.0 * u(g)); break;                    // no ties
                        case 2: x = u(g) < 0.1 ? (u(g) < 0.5 ? inf : -inf) : u(g); break;  // NaN slopes
                        default: x = u(g) < 0.3 ? (u(g) < 0.5 ? -0.0 : 0.0) : -5e-324 * static_cast<double>(g() % 3);
                    }
                    const double tt = kind == 3 && t == 0.0 && u(g) < 0.5 ? -0.0 : t;
                    const int season = static_cast<int>(g() % 3);
                    sliding.push_back(tt, x, season);
                    w.t.push_back(tt);
                    w.x.push_back(x);
                    w.season.push_back(season);
                } else {
                    sliding.pop_front();
                    w.t.erase(w.t.begin());
                    w.x.erase(w.x.begin());
                    w.season.erase(w.season.begin());
                }
                ASSERT_EQ(sliding.size(), w.t.size());
                expect_same(sliding.result(), w.reference(seasonal), seasonal ? "seasonal" : "plain", step);
                if (::testing::Test::HasFailure()) return;
            }
            sliding.clear();
            EXPECT_EQ(sliding.size(), 0u);
            EXPECT_TRUE(std::isnan(sliding.result().slope));
        }
    }
}

// The sliding window at the sizes and data of a detector's run, where result() searches for the
// middle slopes from the last result instead of sorting: windows of 3 to 40 points (up to 780
// slopes) of noisy levels, trends and steps, ties, a rare −0 or infinite x, the ring set smaller
// and larger than the window on the way (regrown with the window in it), and runs of results
// that skip steps. After every step the slope and intercept have the bits of sen_slope().
TEST(SlidingSenSlope, SearchEqualsSenSlopeOverLongRuns) {
    std::mt19937_64 g(2024);
    std::normal_distribution<double> eps(0.0, 1.0);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const double inf = std::numeric_limits<double>::infinity();
    std::size_t compared = 0;
    for (int run = 0; run < 60; ++run) {
        const bool seasonal = run % 5 == 4;
        const std::size_t window = 3 + g() % 38;
        const int kind = static_cast<int>(g() % 5);
        sliding_sen_slope sliding(seasonal);
        if (run % 3 != 0) sliding.set_capacity(run % 3 == 1 ? window : 1 + g() % 60);
        window_points w;
        double t = 2016.0, level = 0.0;
        for (int step = 0; step < 400; ++step) {
            if (w.t.size() == window) {
                sliding.pop_front();
                w.t.erase(w.t.begin());
                w.x.erase(w.x.begin());
                w.season.erase(w.season.begin());
            }
            t += kind == 4 ? 0.25 : 0.05 + 0.5 * u(g);
            level += kind == 1 ? 0.05 : 0.0;
            if (kind == 2 && u(g) < 0.02) level += 2.0 * eps(g);  // steps
            double x = level + 0.3 * eps(g);
            if (kind == 3) x = std::round(2.0 * x);  // ties
            if (u(g) < 0.003) x = u(g) < 0.5 ? -0.0 : (u(g) < 0.5 ? inf : -inf);
            const int season = static_cast<int>(g() % 4);
            sliding.push_back(t, x, season);
            w.t.push_back(t);
            w.x.push_back(x);
            w.season.push_back(season);
            if (step % 97 == 13) sliding.set_capacity(g() % 50);  // never below the window's points
            if (u(g) < 0.2) continue;  // no result this step: the next search starts further off
            ASSERT_EQ(sliding.size(), w.t.size());
            expect_same(sliding.result(), w.reference(seasonal), seasonal ? "seasonal" : "plain", step);
            if (::testing::Test::HasFailure()) return;
            ++compared;
        }
    }
    EXPECT_GT(compared, 15000u);
}

}  // namespace
