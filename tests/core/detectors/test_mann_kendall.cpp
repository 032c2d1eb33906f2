// Tests for wbe/core/detectors/mann_kendall.hpp: conformance with pyMannKendall and EnvStats
// (shared/reference/trend/expected.json, read in place), degenerate inputs, and hand cases; ties
// counted by pairs and by sorting, and the sliding window against mann_kendall() bit for bit.

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "detector_test_support.hpp"
#include "wbe/core/detectors/mann_kendall.hpp"

namespace {

using wbe::detectors::mann_kendall;
using wbe::detectors::mann_kendall_result;
using wbe::detectors::mann_kendall_variance;
using wbe::detectors::seasonal_kendall;
using wbe::detectors::sliding_mann_kendall;
using wbe::test::digits_of_agreement;

// Scores a value against its source, printing the digits of agreement.
void expect_close(double actual, double expected, double rel, const char* what) {
    const double d = digits_of_agreement(actual, expected);
    ::testing::Test::RecordProperty(what, std::to_string(d));
    EXPECT_NEAR(actual, expected, rel * std::max(1.0, std::abs(expected)))
        << what << ": " << actual << " vs " << expected << " (" << d << " digits)";
}

std::vector<double> arbitrary_1d(const std::filesystem::path& folder) {
    return wbe::test::reference_csv(folder / "pymannkendall_arbitrary_1d.csv").numbers("value");
}

// expected.json: pymannkendall_arbitrary_1d.original_test (NaN dropped, n = 353).
// Source tolerance: numpy assert_allclose, rtol 1e-7.
TEST(MannKendall, PyMannKendallArbitrary360) {
    WBE_REQUIRE_REFERENCE(folder, "trend");
    const auto x = arbitrary_1d(folder);
    ASSERT_EQ(x.size(), 360u);
    const auto r = mann_kendall(x);
    EXPECT_EQ(r.n, 353u);                                                  // missing_value_rule: 7 NaN dropped
    EXPECT_EQ(r.s, -1959.0);                                               // .original_test.s
    expect_close(r.var_s, 4889800.333333333, 1e-12, "var_s");              // .original_test.var_s
    expect_close(r.z, -0.8854562842589916, 1e-10, "z");                    // .original_test.z
    expect_close(r.p, 0.37591058740506833, 1e-10, "p");                    // .original_test.p
    expect_close(r.tau, -0.03153167653875869, 1e-10, "tau");               // .original_test.Tau
}

// expected.json: pymannkendall_arbitrary_1d.seasonal_test_period12 — seasons are index mod 12
// (pyMannKendall reshapes the series into 30 rows of 12 and tests each column).
TEST(MannKendall, PyMannKendallSeasonalPeriod12) {
    WBE_REQUIRE_REFERENCE(folder, "trend");
    const auto x = arbitrary_1d(folder);
    std::vector<int> season(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) season[i] = static_cast<int>(i % 12);
    const auto r = seasonal_kendall(x, season);
    EXPECT_EQ(r.n, 353u);
    EXPECT_EQ(r.s, -399.0);                                                // .seasonal_test_period12.s
    expect_close(r.var_s, 34702.333333333336, 1e-12, "var_s");             // .seasonal_test_period12.var_s
    expect_close(r.z, -2.136504114534638, 1e-10, "z");                     // .seasonal_test_period12.z
    expect_close(r.p, 0.03263834596177739, 1e-10, "p");                    // .seasonal_test_period12.p
    expect_close(r.tau, -0.0794979079497908, 1e-10, "tau");                // .seasonal_test_period12.Tau
}

// expected.json: pymannkendall_degenerate.constant_series_360 — every value tied: var(S) = 0.
TEST(MannKendall, DegenerateConstantSeries) {
    const std::vector<double> x(360, 7.5);
    const auto r = mann_kendall(x);
    EXPECT_EQ(r.s, 0.0);
    EXPECT_EQ(r.var_s, 0.0);
    EXPECT_EQ(r.z, 0.0);
    EXPECT_EQ(r.p, 1.0);
    EXPECT_EQ(r.tau, 0.0);
}

// expected.json: pymannkendall_degenerate.strict_increasing_0_to_359.
TEST(MannKendall, DegenerateStrictlyIncreasing) {
    std::vector<double> x(360);
    std::iota(x.begin(), x.end(), 0.0);
    const auto r = mann_kendall(x);
    EXPECT_EQ(r.s, 64620.0);       // .s = 360·359/2
    EXPECT_EQ(r.tau, 1.0);         // .Tau
    EXPECT_NEAR(r.p, 0.0, 1e-12);  // .p = 0.0: pyMannKendall's 1 − Φ underflows; erfc keeps ~1e-176
    EXPECT_GT(r.z, 28.0);
    std::vector<int> season(360);
    for (std::size_t i = 0; i < 360; ++i) season[i] = static_cast<int>(i % 12);
    EXPECT_EQ(seasonal_kendall(x, season).s, 5220.0);  // .seasonal_test_period12_s = 12 · 30·29/2
}

// expected.json: envstats_kendallTrendTest_sulfate_uneven_time. S and var(S) are the file's
// independent cross-check (S = 194, var(S) = 1428); τ, z, p as EnvStats printed them (7 digits).
TEST(MannKendall, EnvStatsSulfateUnevenTime) {
    WBE_REQUIRE_REFERENCE(folder, "trend");
    const auto y = wbe::test::reference_csv(folder / "envstats_EPA09_Ex17_6_sulfate.csv").numbers("Sulfate.ppm");
    ASSERT_EQ(y.size(), 23u);  // .expected.n
    const auto r = mann_kendall(y);
    EXPECT_EQ(r.s, 194.0);                                        // .cross_check
    EXPECT_DOUBLE_EQ(r.var_s, 1428.0);                            // .cross_check: ties 510×3, 560×2, 590×2
    expect_close(r.tau, 0.7667984, 5e-8, "tau");                  // .expected.tau
    expect_close(r.z, 5.107322, 5e-7, "z");                       // .expected.z_with_continuity_correction
    EXPECT_NEAR(r.p / 3.267574e-07, 1.0, 2e-6) << r.p;            // .expected.p_two_sided
}

// Hand-worked: x = 1, 3, 2, 2, 5.
// pairs (i<j): (1,3)+ (1,2)+ (1,2)+ (1,5)+ (3,2)− (3,2)− (3,5)+ (2,2)0 (2,5)+ (2,5)+  → S = 7 − 2 = 5
// var(S) = [5·4·15 − 2·1·9]/18 = (300 − 18)/18 = 15.6667 (one tie group of 2: the tie term is subtracted)
// Z = (5 − 1)/√15.6667 = 1.010582; p = erfc(1.010582/√2) = 0.312217; τ = 5/10 = 0.5
TEST(MannKendall, HandWorkedWithOneTie) {
    const std::vector<double> x{1, 3, 2, 2, 5};
    const auto r = mann_kendall(x);
    EXPECT_EQ(r.n, 5u);
    EXPECT_EQ(r.s, 5.0);
    EXPECT_NEAR(r.var_s, 282.0 / 18.0, 1e-12);
    EXPECT_NEAR(r.z, 4.0 / std::sqrt(282.0 / 18.0), 1e-12);
    EXPECT_NEAR(r.p, 0.3122166, 1e-6);
    EXPECT_EQ(r.tau, 0.5);
    // Adding the tie term instead (the common bug) would give var 318/18: must not.
    EXPECT_GT(std::abs(r.var_s - 318.0 / 18.0), 1.0);
}

TEST(MannKendall, ContinuityCorrectionAndSigns) {
    EXPECT_EQ(wbe::detectors::mann_kendall_z(0.0, 10.0), 0.0);
    EXPECT_DOUBLE_EQ(wbe::detectors::mann_kendall_z(5.0, 16.0), 1.0);    // (5 − 1)/4
    EXPECT_DOUBLE_EQ(wbe::detectors::mann_kendall_z(-5.0, 16.0), -1.0);  // (−5 + 1)/4
    EXPECT_EQ(wbe::detectors::mann_kendall_z(3.0, 0.0), 0.0);            // no variance: no evidence
    EXPECT_NEAR(wbe::detectors::two_sided_normal_p(1.959963984540054), 0.05, 1e-15);
    EXPECT_EQ(wbe::detectors::two_sided_normal_p(0.0), 1.0);
}

TEST(MannKendall, ShortAndMissingInputs) {
    const std::vector<double> none;
    const auto e = mann_kendall(none);
    EXPECT_EQ(e.n, 0u);
    EXPECT_EQ(e.s, 0.0);
    EXPECT_EQ(e.p, 1.0);
    EXPECT_TRUE(std::isnan(e.tau));
    const std::vector<double> one{wbe::test::nan, 4.0, wbe::test::nan};
    const auto o = mann_kendall(one);
    EXPECT_EQ(o.n, 1u);
    EXPECT_EQ(o.var_s, 0.0);
    EXPECT_TRUE(std::isnan(o.tau));
    // NaN dropped and the rest taken as consecutive: same as the series without them.
    const std::vector<double> gappy{1, wbe::test::nan, 3, 2, wbe::test::nan, 2, 5};
    const std::vector<double> dense{1, 3, 2, 2, 5};
    EXPECT_EQ(mann_kendall(gappy).s, mann_kendall(dense).s);
    EXPECT_EQ(mann_kendall(gappy).var_s, mann_kendall(dense).var_s);
}

// Seasonal Kendall sums S and var(S) over seasons: hand-worked with two seasons.
// season 1: 1, 2, 3 → S = 3, var = 3·2·11/18 = 3.6667; season 2: 5, 4 → S = −1, var = 2·1·9/18 = 1
// total S = 2, var = 4.6667, τ = 2/(3 + 1) = 0.5, Z = (2 − 1)/√4.6667
TEST(MannKendall, SeasonalSumsOverSeasons) {
    const std::vector<double> x{1, 5, 2, 4, 3};
    const std::vector<int> season{1, 2, 1, 2, 1};
    const auto r = seasonal_kendall(x, season);
    EXPECT_EQ(r.n, 5u);
    EXPECT_EQ(r.s, 2.0);
    EXPECT_NEAR(r.var_s, 66.0 / 18.0 + 1.0, 1e-12);
    EXPECT_EQ(r.tau, 0.5);
    EXPECT_NEAR(r.z, 1.0 / std::sqrt(66.0 / 18.0 + 1.0), 1e-12);
}

bool same_bits(double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); }

// mann_kendall() counts ties pair by pair (up to 4096 values; beyond, and in
// mann_kendall_variance(), by sorting): both give the same var(S) to the bit, ties or not.
TEST(MannKendall, TiesByPairsEqualTiesBySorting) {
    std::mt19937_64 g(3);
    for (std::size_t n : {0u, 1u, 2u, 3u, 12u, 40u, 500u, 4096u, 4097u, 5000u}) {
        for (int levels : {2, 7, 1000000}) {
            std::vector<double> x(n);
            for (double& v : x) {
                const double a = static_cast<double>(g() % static_cast<unsigned>(levels)) * 0.5;
                v = g() % 2 ? a : -a;  // −0 ties +0
            }
            const auto r = mann_kendall(x);
            EXPECT_TRUE(same_bits(r.var_s, mann_kendall_variance(x))) << n << " values, " << levels << " levels";
        }
    }
}

// A window that grows, slides and shrinks at random over tied values, +0 and −0 and ±∞: after
// every step the sliding result has the bits of mann_kendall() over the window.
TEST(MannKendall, SlidingEqualsMannKendallBitForBit) {
    std::mt19937_64 g(11);
    const double inf = std::numeric_limits<double>::infinity();
    const double pool[] = {1.0, 2.0, 2.0, 3.5, 0.0, -0.0, inf, -inf, 7.25};
    sliding_mann_kendall sliding;
    std::vector<double> window;
    for (int step = 0; step < 20000; ++step) {
        if (window.empty() || (window.size() < 15 && g() % 100 < 55)) {
            const double x = g() % 3 == 0 ? pool[g() % std::size(pool)] : static_cast<double>(g() % 1000) / 7.0;
            sliding.push_back(x);
            window.push_back(x);
        } else {
            sliding.pop_front();
            window.erase(window.begin());
        }
        ASSERT_EQ(sliding.size(), window.size());
        const mann_kendall_result a = sliding.result(), b = mann_kendall(window);
        ASSERT_EQ(a.n, b.n) << "step " << step;
        ASSERT_TRUE(same_bits(a.s, b.s) && same_bits(a.var_s, b.var_s) && same_bits(a.z, b.z) && same_bits(a.p, b.p) &&
                    same_bits(a.tau, b.tau))
            << "step " << step << ": S " << a.s << " vs " << b.s << ", var " << a.var_s << " vs " << b.var_s;
    }
    sliding.clear();
    EXPECT_EQ(sliding.result().n, 0u);
    EXPECT_EQ(sliding.result().var_s, 0.0);
}

}  // namespace
