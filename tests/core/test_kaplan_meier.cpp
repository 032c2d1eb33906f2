// Tests for wbe/core/kaplan_meier.hpp: conformance with EnvStats on the Beal (2010) lead data,
// a hand-worked case, invariants (no censoring, limits below the detects, row order, scale),
// the median and the errors.

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "censored_reference.hpp"
#include "test_support.hpp"
#include "wbe/core/errors.hpp"
#include "wbe/core/kaplan_meier.hpp"
#include "wbe/core/rng.hpp"

namespace {

using wbe::left_censored;

// Checks a computed value against an expected.json value within half a unit of its last printed
// digit, and reports the digits of agreement.
void expect_printed(double actual, const wbe::test::json& expected, const std::string& what) {
    const double e = expected.number();
    EXPECT_NEAR(actual, e, wbe::test::printed_tolerance(expected)) << what;
    const double digits = wbe::test::digits_of_agreement(actual, e);
    std::printf("  %-52s computed %.10g  expected %s  digits %.1f\n", what.c_str(), actual, expected.text.c_str(), digits);
    testing::Test::RecordProperty(what, std::to_string(digits));
}

// ---- conformance: EnvStats enparCensored on Beal.2010.Pb.df (expected.json "km_beal_2010_pb").

TEST(KaplanMeier, BealLeadUnrestrictedMatchesEnvStats) {
    WBE_REQUIRE_CENSORED_REFERENCE();
    const auto expected = wbe::test::censored_expected();
    const auto data = wbe::test::read_envstats_csv("envstats_Beal_2010_Pb.csv");
    ASSERT_EQ(data.size(), 29u);  // expected.json input_file: n=29, 10 censored
    const auto& e = expected["km_beal_2010_pb"]["unrestricted_KM"];
    const auto r = wbe::kaplan_meier(data);
    EXPECT_EQ(r.n_censored, 10u);
    EXPECT_FALSE(r.restricted);
    expect_printed(r.mean, e["mean"], "km_beal_2010_pb.unrestricted_KM.mean");
    expect_printed(r.sd, e["sd"], "km_beal_2010_pb.unrestricted_KM.sd");
    expect_printed(r.se_mean, e["se_mean_bias_corrected"], "km_beal_2010_pb.unrestricted_KM.se_mean");
    expect_printed(r.ucl, e["UCL95_upper_one_sided_t"], "km_beal_2010_pb.unrestricted_KM.UCL95");
}

TEST(KaplanMeier, BealLeadRestrictedMatchesEnvStats) {
    WBE_REQUIRE_CENSORED_REFERENCE();
    const auto expected = wbe::test::censored_expected();
    const auto data = wbe::test::read_envstats_csv("envstats_Beal_2010_Pb.csv");
    const auto& e =
        expected["km_beal_2010_pb"]["restricted_KM_smallest_censored_set_to_censoring_level"];
    wbe::kaplan_meier_options o;
    o.restricted = true;
    const auto r = wbe::kaplan_meier(data, o);
    EXPECT_TRUE(r.restricted);
    EXPECT_EQ(r.n_detected, 21u);  // 19 detects + the two <1 counted at 1 (EnvStats' sqrt(21/20) note)
    expect_printed(r.mean, e["mean"], "km_beal_2010_pb.restricted.mean");
    expect_printed(r.sd, e["sd"], "km_beal_2010_pb.restricted.sd");
    expect_printed(r.se_mean, e["se_mean_bias_corrected"], "km_beal_2010_pb.restricted.se_mean");
    expect_printed(r.ucl, e["UCL95"], "km_beal_2010_pb.restricted.UCL95");
}

TEST(KaplanMeier, BealLeadMatchesBealsPublishedMeanAndSe) {
    WBE_REQUIRE_CENSORED_REFERENCE();
    const auto expected = wbe::test::censored_expected();
    const auto data = wbe::test::read_envstats_csv("envstats_Beal_2010_Pb.csv");
    const auto& e = expected["km_beal_2010_pb"]["Beal_2010_published"];
    const auto r = wbe::kaplan_meier(data);
    expect_printed(r.mean, e["mean"], "km_beal_2010_pb.Beal_2010_published.mean");
    expect_printed(r.se_mean, e["se_mean"], "km_beal_2010_pb.Beal_2010_published.se_mean");
}

// ---- a hand-worked case: <2, 3, <4, 5, 8.
//
// Distinct values t: 2(c) 3(d) 4(c) 5(d) 8(d); n_j = #≤t: 1 2 3 4 5; d_j: 0 1 0 1 1.
// F(8) = 1; F(5) = 1 − 1/5 = 0.8; F(4) = 0.8 (1 − 1/4) = 0.6; F(3) = F(4) = 0.6 (d = 0 at 4).
// Unrestricted: the mass 0.6 below the smallest detect sits at 3; jumps 0.6 @3, 0.2 @5, 0.2 @8.
//   mean = 1.8 + 1.0 + 1.6 = 4.4
//   var  = 0.6·1.4² + 0.2·0.6² + 0.2·3.6² = 1.176 + 0.072 + 2.592 = 3.84
//   A_1 = F(3)(5 − 3) = 1.2, A_2 = 1.2 + F(5)(8 − 5) = 3.6; r = 4, 5 at 5, 8; m = 1, 1
//   se² = 1.2²/(4·3) + 3.6²/(5·4) = 0.12 + 0.648 = 0.768; corrected × 3/2 (3 detects) = 1.152
//   UCL = 4.4 + t_{0.95,4} √1.152, t_{0.95,4} = 2.131846786326649
//   median: F(3) = 0.6 ≥ 0.5 → 3; F just below 3 = 0.6 (1 − 1/2) = 0.3 < 0.5: a true estimate.
// Restricted (smallest limit 2 ≤ smallest detect 3): <2 counts as a detect at 2.
//   F(2) = F(3)(1 − 1/2) = 0.3; jumps 0.3 @2, 0.3 @3, 0.2 @5, 0.2 @8 → mean = 0.6+0.9+1+1.6 = 4.1
//   var = 0.3·2.1² + 0.3·1.1² + 0.2·0.9² + 0.2·3.9² = 1.323 + 0.363 + 0.162 + 3.042 = 4.89
//   A = 0.3·1 = 0.3, 0.3 + 0.6·2 = 1.5, 1.5 + 0.8·3 = 3.9 at r = 2, 4, 5
//   se² = 0.3²/(2·1) + 1.5²/(4·3) + 3.9²/(5·4) = 0.045 + 0.1875 + 0.7605 = 0.993; × 4/3 = 1.324
const std::vector<left_censored> hand{{2, true}, {3, false}, {4, true}, {5, false}, {8, false}};
constexpr double t95_4 = 2.131846786326649;  // Student t 0.95 quantile, 4 df (R: qt(0.95, 4))

TEST(KaplanMeier, HandWorkedFiveValues) {
    const auto r = wbe::kaplan_meier(hand);
    EXPECT_NEAR(r.mean, 4.4, 1e-14);
    EXPECT_NEAR(r.sd, std::sqrt(3.84), 1e-14);
    EXPECT_NEAR(r.se_mean, std::sqrt(1.152), 1e-14);
    EXPECT_NEAR(r.ucl, 4.4 + t95_4 * std::sqrt(1.152), 1e-12);
    EXPECT_EQ(r.median, 3.0);
    EXPECT_FALSE(r.median_is_upper_bound);
    ASSERT_EQ(r.steps.size(), 3u);
    EXPECT_EQ(r.steps[0].value, 3.0);
    EXPECT_NEAR(r.steps[0].cdf, 0.6, 1e-15);
    EXPECT_NEAR(r.steps[1].cdf, 0.8, 1e-15);
    EXPECT_EQ(r.steps[2].cdf, 1.0);
    EXPECT_EQ(r.n, 5u);
    EXPECT_EQ(r.n_censored, 2u);
    EXPECT_EQ(r.n_detected, 3u);
}

TEST(KaplanMeier, HandWorkedFiveValuesRestricted) {
    wbe::kaplan_meier_options o;
    o.restricted = true;
    const auto r = wbe::kaplan_meier(hand, o);
    EXPECT_TRUE(r.restricted);
    EXPECT_NEAR(r.mean, 4.1, 1e-14);
    EXPECT_NEAR(r.sd, std::sqrt(4.89), 1e-14);
    EXPECT_NEAR(r.se_mean, std::sqrt(1.324), 1e-14);
    EXPECT_EQ(r.median, 3.0);
    EXPECT_EQ(r.n_detected, 4u);
}

TEST(KaplanMeier, UncorrectedStandardErrorAndConfidenceLevel) {
    wbe::kaplan_meier_options o;
    o.correct_se = false;
    o.confidence_level = 0.9;
    const auto r = wbe::kaplan_meier(hand, o);
    EXPECT_NEAR(r.se_mean, std::sqrt(0.768), 1e-14);                 // hand-worked above
    EXPECT_NEAR(r.ucl, 4.4 + 1.533206274058783 * std::sqrt(0.768), 1e-12);  // R: qt(0.9, 4)
}

TEST(KaplanMeier, MedianBelowTheSmallestDetectIsAnUpperBound) {
    // <5 ×4, 6, 7: n at 6 = 5, at 7 = 6; F(7) = 1, F(6) = 5/6; just below 6: 5/6 · 4/5 = 2/3 ≥ 0.5.
    const std::vector<left_censored> x{{5, true}, {5, true}, {5, true}, {5, true}, {6, false}, {7, false}};
    const auto r = wbe::kaplan_meier(x);
    EXPECT_EQ(r.median, 6.0);
    EXPECT_TRUE(r.median_is_upper_bound);
}

TEST(KaplanMeier, MedianOnAFlatHalfIsTheMidpoint) {
    // <1, 2, 3, 4 → F(4) = 1, F(3) = 3/4, F(2) = 3/4 · 2/3 = 1/2: F is exactly 0.5 from 2 up to 3,
    // so the median is the midpoint (2 + 3)/2, as R's survfit reports it.
    const std::vector<left_censored> x{{1, true}, {2, false}, {3, false}, {4, false}};
    const auto r = wbe::kaplan_meier(x);
    EXPECT_DOUBLE_EQ(r.steps[0].cdf, 0.5);
    EXPECT_EQ(r.median, 2.5);
}

// ---- invariants

TEST(KaplanMeier, NoCensoringGivesThePlainStatistics) {
    const std::vector<left_censored> x{{3, false}, {1, false}, {4, false}, {1.5, false}, {9, false}, {2.5, false}};
    // plain, by hand: Σ = 21, mean 3.5; Σ(x − 3.5)² = 0.25+6.25+0.25+4+30.25+1 = 42; s² = 8.4
    const auto r = wbe::kaplan_meier(x);
    EXPECT_TRUE(r.plain);
    EXPECT_NEAR(r.mean, 3.5, 1e-15);
    EXPECT_NEAR(r.sd, std::sqrt(8.4), 1e-14);
    EXPECT_NEAR(r.se_mean, std::sqrt(8.4 / 6.0), 1e-14);
    EXPECT_EQ(r.median, 2.75);
}

TEST(KaplanMeier, RestrictedWithNothingLeftCensoredIsPlain) {
    // The only limit (1) is ≤ the smallest detect: restricted counts it at 1 → plain on {1, 2, 4}.
    const std::vector<left_censored> x{{1, true}, {2, false}, {4, false}};
    wbe::kaplan_meier_options o;
    o.restricted = true;
    const auto r = wbe::kaplan_meier(x, o);
    EXPECT_TRUE(r.plain);
    EXPECT_NEAR(r.mean, 7.0 / 3.0, 1e-15);
    EXPECT_NEAR(r.sd, std::sqrt((16.0 / 9 + 1.0 / 9 + 25.0 / 9) / 2.0), 1e-14);
}

// With every limit below the smallest detect, unrestricted KM is the empirical distribution with
// the censored values put at the smallest detect: mean and SE follow, and raising the limits
// (still below the smallest detect) changes nothing.
TEST(KaplanMeier, LimitsBelowAllDetectsDoNotMatter) {
    const std::vector<double> detects{2.5, 3.1, 4.0, 4.0, 7.2, 11.0, 30.0};
    std::vector<left_censored> low{{0.5, true}, {1.0, true}, {1.0, true}, {0.2, true}};
    for (double d : detects) low.push_back({d, false});
    std::vector<left_censored> high = low;
    for (auto& v : high)
        if (v.censored) v.value = 2.4;  // every limit raised, still below 2.5
    const auto a = wbe::kaplan_meier(low);
    const auto b = wbe::kaplan_meier(high);
    EXPECT_EQ(a.mean, b.mean);
    EXPECT_EQ(a.sd, b.sd);
    EXPECT_EQ(a.se_mean, b.se_mean);
    EXPECT_EQ(a.ucl, b.ucl);
    EXPECT_EQ(a.median, b.median);
    // the mean of the data with the 4 censored values put at 2.5: (4·2.5 + Σ detects) / 11
    double s = 4 * 2.5;
    for (double d : detects) s += d;
    EXPECT_NEAR(a.mean, s / 11.0, 1e-14);
}

TEST(KaplanMeier, RowOrderDoesNotMatter) {
    std::vector<left_censored> x{{1, true},  {1, true},  {2, false}, {2.5, false}, {2.8, false}, {3, true},
                                 {3.4, false}, {4, true}, {4, true},  {4.5, false}, {10, true},  {10, false},
                                 {15, false}, {49, false}, {6, true}, {200, false}, {9060, false}};
    const auto ref = wbe::kaplan_meier(x);
    std::mt19937 rng(20240501);
    for (int k = 0; k < 20; ++k) {
        std::shuffle(x.begin(), x.end(), rng);
        const auto r = wbe::kaplan_meier(x);
        EXPECT_EQ(r.mean, ref.mean);
        EXPECT_EQ(r.sd, ref.sd);
        EXPECT_EQ(r.se_mean, ref.se_mean);
        EXPECT_EQ(r.median, ref.median);
    }
}

TEST(KaplanMeier, ScalesWithTheUnit) {
    std::vector<left_censored> x = hand;
    for (auto& v : x) v.value *= 1000.0;  // µg/L → ng/L
    const auto a = wbe::kaplan_meier(hand);
    const auto b = wbe::kaplan_meier(x);
    EXPECT_NEAR(b.mean, 1000.0 * a.mean, 1e-10);
    EXPECT_NEAR(b.sd, 1000.0 * a.sd, 1e-10);
    EXPECT_NEAR(b.se_mean, 1000.0 * a.se_mean, 1e-10);
    EXPECT_NEAR(b.ucl, 1000.0 * a.ucl, 1e-9);
}

// ---- the sort: wbe sorts the detected values as integer keys and counts the limits in a table
// (a sort beyond 1024 distinct limits). The textbook computation below sorts (value, censored)
// structs with std::sort and builds every distinct value's n and d, then F and the sums in one
// loop each; on data with many ties, detects equal to limits, +0 and −0, few and many limits.
// Below 65 536 values wbe's arithmetic is that too, so the results must be bit-identical. From
// 65 536 values on wbe takes F and the sums in two halves of the k groups (see kaplan_meier.cpp):
// the values and counts stay exact, the numbers agree to rounding, and one thread gives two
// threads' bits.

// |a − b| ≤ 2kε · max(|a|, |b|): a product (or sum) of k terms taken in two orders, each within
// kε of the exact one to first order. (Measured on 150 random shapes of 65 536–300 001 values:
// up to 1.4e-12 relative in F at k = 213 000, i.e. ~60ε where 2kε is 4.7e-11.)
::testing::AssertionResult same_to_rounding(double a, double b, std::size_t k) {
    const double tol = 2.0 * static_cast<double>(k) * std::numeric_limits<double>::epsilon();
    if (std::abs(a - b) <= tol * std::max(std::abs(a), std::abs(b))) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << std::setprecision(17) << a << " vs " << b << " (2k eps = " << tol << ")";
}

// Every field of two results, bit for bit (the UCL unless `ucl`: reference_km's is derived).
void expect_same_bits(const wbe::kaplan_meier_result& a, const wbe::kaplan_meier_result& b, const std::string& what,
                      bool ucl = true) {
    EXPECT_EQ(std::bit_cast<std::uint64_t>(a.mean), std::bit_cast<std::uint64_t>(b.mean)) << what;
    EXPECT_EQ(std::bit_cast<std::uint64_t>(a.sd), std::bit_cast<std::uint64_t>(b.sd)) << what;
    EXPECT_EQ(std::bit_cast<std::uint64_t>(a.se_mean), std::bit_cast<std::uint64_t>(b.se_mean)) << what;
    if (ucl) {
        EXPECT_EQ(std::bit_cast<std::uint64_t>(a.ucl), std::bit_cast<std::uint64_t>(b.ucl)) << what;
    }
    EXPECT_EQ(std::bit_cast<std::uint64_t>(a.median), std::bit_cast<std::uint64_t>(b.median)) << what;
    EXPECT_EQ(a.median_is_upper_bound, b.median_is_upper_bound) << what;
    EXPECT_EQ(a.n_detected, b.n_detected) << what;
    ASSERT_EQ(a.steps.size(), b.steps.size()) << what;
    for (std::size_t i = 0; i < a.steps.size(); ++i) {
        ASSERT_EQ(std::bit_cast<std::uint64_t>(a.steps[i].value), std::bit_cast<std::uint64_t>(b.steps[i].value))
            << what << ", step " << i;
        ASSERT_EQ(std::bit_cast<std::uint64_t>(a.steps[i].cdf), std::bit_cast<std::uint64_t>(b.steps[i].cdf))
            << what << ", step " << i;
    }
}

// A large sample against reference_km: values and counts exact, the numbers to rounding (2kε).
void expect_same_to_rounding(const wbe::kaplan_meier_result& r, const wbe::kaplan_meier_result& e, const std::string& what) {
    const std::size_t k = e.steps.size();
    EXPECT_TRUE(same_to_rounding(r.mean, e.mean, k)) << what;
    EXPECT_TRUE(same_to_rounding(r.sd, e.sd, k)) << what;
    EXPECT_TRUE(same_to_rounding(r.se_mean, e.se_mean, k)) << what;
    EXPECT_EQ(r.median, e.median) << what;
    EXPECT_EQ(r.median_is_upper_bound, e.median_is_upper_bound) << what;
    EXPECT_EQ(r.n_detected, e.n_detected) << what;
    ASSERT_EQ(r.steps.size(), k) << what;
    for (std::size_t i = 0; i < k; ++i) {
        ASSERT_EQ(std::bit_cast<std::uint64_t>(r.steps[i].value), std::bit_cast<std::uint64_t>(e.steps[i].value))
            << what << ", step " << i;
        ASSERT_TRUE(same_to_rounding(r.steps[i].cdf, e.steps[i].cdf, k)) << what << ", step " << i;
    }
}

wbe::kaplan_meier_result reference_km(std::vector<left_censored> x, const wbe::kaplan_meier_options& o,
                                      double t_quantile) {
    wbe::kaplan_meier_result r;
    double min_detect = INFINITY;
    double min_limit = INFINITY;
    for (const auto& v : x) (v.censored ? min_limit : min_detect) = std::min(v.censored ? min_limit : min_detect, v.value);
    if (o.restricted && min_limit <= min_detect)
        for (auto& v : x)
            if (v.censored && v.value == min_limit) v.censored = false;
    std::sort(x.begin(), x.end(), [](const left_censored& a, const left_censored& b) { return a.value < b.value; });
    std::vector<double> y, m, rk;
    for (std::size_t i = 0; i < x.size();) {
        std::size_t j = i;
        std::size_t d = 0;
        while (j < x.size() && x[j].value == x[i].value) d += x[j++].censored ? 0 : 1;
        if (d > 0) {
            y.push_back(x[i].value == 0.0 ? 0.0 : x[i].value);  // +0 for a group of ±0
            m.push_back(static_cast<double>(d));
            rk.push_back(static_cast<double>(j));
        }
        i = j;
    }
    const std::size_t k = y.size();
    std::vector<double> F(k);
    double f = 1.0;
    for (std::size_t j = k; j-- > 0;) {
        F[j] = f;
        f *= 1.0 - m[j] / rk[j];
    }
    double mean = 0.0, prev = 0.0;
    for (std::size_t i = 0; i < k; ++i) {
        mean += y[i] * (F[i] - prev);
        prev = F[i];
    }
    double var = 0.0;
    prev = 0.0;
    for (std::size_t i = 0; i < k; ++i) {
        var += (y[i] - mean) * (y[i] - mean) * (F[i] - prev);
        prev = F[i];
    }
    double se2 = 0.0, a = 0.0;
    for (std::size_t i = 1; i < k; ++i) {
        a += F[i - 1] * (y[i] - y[i - 1]);
        se2 += a * a * m[i] / (rk[i] * (rk[i] - m[i]));
    }
    double n_det = 0;
    for (double v : m) n_det += v;
    double se = std::sqrt(se2);
    if (o.correct_se) se *= std::sqrt(n_det / (n_det - 1.0));
    r.mean = mean;
    r.sd = std::sqrt(var);
    r.se_mean = se;
    r.ucl = mean + t_quantile * se;
    constexpr double tol = 1e-12;
    for (std::size_t i = 0; i < k; ++i) {
        if (F[i] >= 0.5 - tol) {
            r.median = (std::abs(F[i] - 0.5) <= tol && i + 1 < k) ? 0.5 * (y[i] + y[i + 1]) : y[i];
            r.median_is_upper_bound = i == 0 && F[0] * (1.0 - m[0] / rk[0]) >= 0.5 - tol;
            break;
        }
    }
    r.n_detected = static_cast<std::size_t>(n_det);
    for (std::size_t i = 0; i < k; ++i) r.steps.push_back({y[i], F[i]});
    return r;
}

TEST(KaplanMeier, KeySortEqualsAStdSortComputationBitForBit) {
    std::mt19937_64 g(20261130);
    struct shape {
        std::size_t n;
        int limits;   // distinct limits drawn from
        int digits;   // significant digits of the values (few: many ties)
        double spread;  // SD of ln x
        bool sorted = false;  // censored values first, detects descending (unequal halves)
    };
    // From 65 536 values on, kaplan_meier splits the sample in two halves on two threads: those
    // shapes run with 1 and 2 threads (limits counted in a table or, beyond 1 024 distinct ones,
    // sorted, in each half; one half without detects).
    const shape shapes[] = {{12, 1, 2, 1.0},      {60, 3, 2, 1.0},      {900, 3, 2, 1.0},     {1023, 5, 3, 1.0},
                            {1024, 5, 3, 1.0},    {1500, 40, 2, 2.0},   {5000, 3, 6, 1.0},    {20000, 1200, 3, 1.0},
                            {20000, 2000, 4, 3.0}, {60000, 3, 17, 1.0}, {3000, 8, 2, 150.0},  {65536, 3, 6, 1.0},
                            {100001, 1500, 3, 1.0}, {70001, 4, 4, 1.0, true}};
    int restricted_runs = 0;
    for (std::size_t s = 0; s < std::size(shapes); ++s) {
        const shape& sh = shapes[s];
        const bool zeros = s % 2 == 1;  // without zero detects, the restricted conversion applies
        std::normal_distribution<double> z(0.0, sh.spread);
        std::vector<double> lims;
        std::uniform_real_distribution<double> u(0.3, 3.0);
        char buf[64];
        auto round_to = [&](double v) {
            std::snprintf(buf, sizeof buf, "%.*g", sh.digits, v);
            return std::strtod(buf, nullptr);
        };
        for (int i = 0; i < sh.limits; ++i) lims.push_back(round_to(u(g)));
        std::uniform_int_distribution<std::size_t> pick(0, lims.size() - 1);
        std::uniform_int_distribution<int> coin(0, 99);
        std::vector<left_censored> x(sh.n);
        for (auto& v : x) {
            const double lim = lims[pick(g)];
            const int c = coin(g);
            if (c < 2 && zeros) {
                v = {c == 0 ? 0.0 : -0.0, false};  // zeros, both signs
            } else if (c < 6) {
                v = {lims[pick(g)], false};  // a detect equal to a limit
            } else {
                const double val = round_to(std::exp(std::clamp(z(g), -700.0, 700.0)));
                v = val < lim ? left_censored{lim, true} : left_censored{val, false};
            }
        }
        x[0] = {4.5, false};  // at least two distinct detects
        x[1] = {5.5, false};
        if (sh.sorted)
            std::sort(x.begin(), x.end(), [](const left_censored& a, const left_censored& b) {
                return a.censored != b.censored ? a.censored : a.value > b.value;
            });
        const bool large = sh.n >= 65536;
        wbe::kaplan_meier_result one_thread[2];
        for (int run = 0; run < (large ? 4 : 2); ++run) {
            const bool restricted = run % 2 == 1;
            wbe::kaplan_meier_options o;
            o.restricted = restricted;
            o.threads = run < 2 ? 1 : 2;
            const auto r = wbe::kaplan_meier(x, o);
            restricted_runs += r.restricted ? 1 : 0;
            const std::string what = "n " + std::to_string(sh.n) + ", limits " + std::to_string(sh.limits) +
                                     (restricted ? ", restricted" : "") + ", threads " + std::to_string(o.threads);
            if (run < 2) one_thread[run] = r;
            else expect_same_bits(r, one_thread[run - 2], what + " against one thread");
            if (r.plain) continue;  // restricted, one limit: nothing left censored
            const double t = (r.ucl - r.mean) / r.se_mean;  // the t quantile wbe used
            const auto e = reference_km(x, o, t);
            if (!large) {
                expect_same_bits(r, e, what, false);
                continue;
            }
            expect_same_to_rounding(r, e, what);
        }
    }
    EXPECT_GE(restricted_runs, 5);  // the restricted conversion was exercised
}

// A large sample's detects are split at the median of a sample: with most detects tied at the
// smallest value, every detect lies at or above that pivot and the lower side is empty; the
// restricted conversion then opens the walk as a group of its own (limit 0.5: the lower side
// that group) or joins the smallest detect's (limit 1.0: one side walked). The results agree
// with the std::sort computation to rounding, and one thread gives two's bits.
TEST(KaplanMeier, TwoThreadsGiveOneThreadsBitsWhenOneSideIsEmpty) {
    std::mt19937_64 g(7);
    std::uniform_int_distribution<int> coin(0, 99);
    std::uniform_int_distribution<int> digits(1, 9999);
    for (double smallest_limit : {0.5, 1.0}) {
        std::vector<left_censored> x(70001);
        for (auto& v : x) {
            const int c = coin(g);
            if (c < 20) v = {c < 10 ? smallest_limit : 2.0, true};
            else if (c < 70) v = {1.0, false};  // the smallest detect, most of them
            else v = {1.0 + digits(g) / 1000.0, false};
        }
        for (bool restricted : {false, true}) {
            std::vector<wbe::kaplan_meier_result> rs;
            for (unsigned threads : {1u, 2u}) {
                wbe::kaplan_meier_options o;
                o.restricted = restricted;
                o.threads = threads;
                rs.push_back(wbe::kaplan_meier(x, o));
            }
            wbe::kaplan_meier_options o;
            o.restricted = restricted;
            const double t = (rs[0].ucl - rs[0].mean) / rs[0].se_mean;
            const auto e = reference_km(x, o, t);
            const std::string what = "limit " + std::to_string(smallest_limit) + (restricted ? ", restricted" : "");
            EXPECT_EQ(rs[0].restricted, restricted) << what;
            expect_same_bits(rs[1], rs[0], what + ", two threads against one");
            expect_same_to_rounding(rs[0], e, what);
        }
    }
}

// The read pass has an AVX-512 kernel (eight values at a time, the last n % 8 by the portable
// loop) and the portable loop alone: with the kernel turned off the results are the same bits,
// with one thread and two, and an invalid value in either part is named alike.
TEST(KaplanMeier, PortableReadGivesTheAvx512Bits) {
    if (!wbe::rng::detail::avx512_enabled()) GTEST_SKIP() << "no AVX-512 here: only the portable loop runs";
    struct restore {
        ~restore() { wbe::rng::detail::enable_avx512(true); }
    } restore_avx512;
    std::mt19937_64 g(11);
    std::normal_distribution<double> z(0.0, 1.2);
    std::uniform_int_distribution<int> coin(0, 99);
    const double limits[] = {0.5, 0.8, 1.3};
    char buf[32];
    for (std::size_t n : {13, 1000, 4099, 70001}) {
        std::vector<left_censored> x(n);
        for (auto& v : x) {
            const int c = coin(g);
            const double lim = limits[c % 3];
            std::snprintf(buf, sizeof buf, "%.4g", std::exp(z(g)));
            const double val = std::strtod(buf, nullptr);
            v = c < 3 ? left_censored{0.0, false} : c < 8 ? left_censored{lim, false} : val < lim ? left_censored{lim, true} : left_censored{val, false};
        }
        x[0] = {4.5, false};
        x[1] = {5.5, false};
        for (int run = 0; run < 4; ++run) {
            wbe::kaplan_meier_options o;
            o.restricted = run % 2 == 1;
            o.threads = run < 2 ? 1 : 2;
            wbe::rng::detail::enable_avx512(true);
            const auto a = wbe::kaplan_meier(x, o);
            wbe::rng::detail::enable_avx512(false);
            const auto b = wbe::kaplan_meier(x, o);
            const std::string what = "n " + std::to_string(n) + ", run " + std::to_string(run);
            EXPECT_EQ(std::bit_cast<std::uint64_t>(a.mean), std::bit_cast<std::uint64_t>(b.mean)) << what;
            EXPECT_EQ(std::bit_cast<std::uint64_t>(a.sd), std::bit_cast<std::uint64_t>(b.sd)) << what;
            EXPECT_EQ(std::bit_cast<std::uint64_t>(a.se_mean), std::bit_cast<std::uint64_t>(b.se_mean)) << what;
            EXPECT_EQ(std::bit_cast<std::uint64_t>(a.ucl), std::bit_cast<std::uint64_t>(b.ucl)) << what;
            EXPECT_EQ(std::bit_cast<std::uint64_t>(a.median), std::bit_cast<std::uint64_t>(b.median)) << what;
            EXPECT_EQ(a.n_censored, b.n_censored) << what;
            EXPECT_EQ(a.n_detected, b.n_detected) << what;
            EXPECT_EQ(a.restricted, b.restricted) << what;
            ASSERT_EQ(a.steps.size(), b.steps.size()) << what;
            for (std::size_t i = 0; i < a.steps.size(); ++i) {
                ASSERT_EQ(std::bit_cast<std::uint64_t>(a.steps[i].value), std::bit_cast<std::uint64_t>(b.steps[i].value)) << what;
                ASSERT_EQ(std::bit_cast<std::uint64_t>(a.steps[i].cdf), std::bit_cast<std::uint64_t>(b.steps[i].cdf)) << what;
            }
        }
    }
    // An invalid value in the kernel's part (index 5) and in the loop's (index 1001 of 1003).
    std::vector<left_censored> bad(1003);
    for (std::size_t i = 0; i < bad.size(); ++i) bad[i] = {1.0 + static_cast<double>(i % 7), i % 4 == 0};
    for (std::size_t at : {std::size_t{5}, std::size_t{1001}}) {
        for (const auto& v : {left_censored{-2.0, false}, left_censored{0.0, true}, left_censored{std::nan(""), false}}) {
            auto y = bad;
            y[at] = v;
            std::string message[2];
            for (int on = 0; on < 2; ++on) {
                wbe::rng::detail::enable_avx512(on == 1);
                try {
                    (void)wbe::kaplan_meier(y);
                } catch (const wbe::numerical_error& e) {
                    message[on] = e.what();
                }
            }
            EXPECT_FALSE(message[0].empty()) << at;
            EXPECT_EQ(message[0], message[1]) << at;
            EXPECT_NE(message[0].find("value[" + std::to_string(at) + "]"), std::string::npos) << message[0];
        }
    }
}

// ---- errors name the value and the rule

TEST(KaplanMeier, InvalidValuesAreRejectedWithTheirPositionAndRule) {
    auto expect_message = [](const std::vector<left_censored>& x, const std::string& text) {
        try {
            (void)wbe::kaplan_meier(x);
            ADD_FAILURE() << "no error for " << text;
        } catch (const wbe::numerical_error& e) {
            EXPECT_EQ(std::string(e.what()), text);
        }
    };
    expect_message({{1, false}, {-1, false}, {3, false}}, "kaplan_meier: value[1] = -1: a detected value must be >= 0");
    expect_message({{1, false}, {0, true}, {3, false}}, "kaplan_meier: value[1] = <0: a limit must be > 0");
    expect_message({{1, false}, {2, false}, {std::nan(""), false}},
                   "kaplan_meier: value[2] = nan: a detected value must be finite");
    expect_message({{1, true}, {2, false}, {2, false}}, "kaplan_meier: distinct detected values = 1: must be >= 2");
    expect_message({{1, true}, {2, true}}, "kaplan_meier: distinct detected values = 0: must be >= 2");

    // A large sample is checked in two halves: the value is named by its place in the whole.
    std::vector<left_censored> big(70000);
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = {1.0 + static_cast<double>(i % 97), i % 3 == 0};
    big[69998] = {0.0, true};
    expect_message(big, "kaplan_meier: value[69998] = <0: a limit must be > 0");
    big[69998] = {1.0, true};
    big[40000] = {std::numeric_limits<double>::infinity(), false};
    expect_message(big, "kaplan_meier: value[40000] = inf: a detected value must be finite");
}

// A large sample's second thread reads and sorts, then waits for its part of the tail: every
// way out before the tail (an invalid value, too few distinct detects, nothing censored) must
// let it go. With two threads each way ends as with one (and does not hang).
TEST(KaplanMeier, EveryEarlyReturnEndsAsWithOneThread) {
    const std::size_t n = 70001;
    std::vector<std::vector<left_censored>> cases;
    std::vector<left_censored> x(n);
    for (std::size_t i = 0; i < n; ++i) x[i] = {0.5 + static_cast<double>(i % 89) / 8.0, false};
    cases.push_back(x);  // nothing censored: plain
    for (std::size_t i = 0; i < n; i += 3) x[i] = {0.25, true};
    cases.push_back(x);  // restricted: the one limit, below every detect, converted: plain
    for (auto& v : x)
        if (!v.censored) v.value = 2.0;
    cases.push_back(x);  // one distinct detect
    for (auto& v : x) v = {2.0, true};
    cases.push_back(x);  // no detect
    x = cases[1];
    x[n - 2] = {-1.0, false};
    cases.push_back(x);  // invalid, in the second half
    const std::string expected[] = {"plain", "plain", "kaplan_meier: distinct detected values = 1: must be >= 2",
                                    "kaplan_meier: distinct detected values = 0: must be >= 2",
                                    "kaplan_meier: value[69999] = -1: a detected value must be >= 0"};
    for (std::size_t c = 0; c < cases.size(); ++c) {
        std::string outcome[2];
        wbe::kaplan_meier_result result[2];
        for (unsigned threads : {1u, 2u}) {
            wbe::kaplan_meier_options o;
            o.threads = threads;
            o.restricted = true;
            for (int again = 0; again < 2; ++again) {
                try {
                    result[threads - 1] = wbe::kaplan_meier(cases[c], o);
                    outcome[threads - 1] = result[threads - 1].plain ? "plain" : "estimated";
                } catch (const wbe::numerical_error& e) {
                    outcome[threads - 1] = e.what();
                }
            }
        }
        const std::string what = "case " + std::to_string(c);
        EXPECT_EQ(outcome[1], outcome[0]) << what;
        EXPECT_EQ(outcome[0], expected[c]) << what;
        if (outcome[0] == "plain") expect_same_bits(result[1], result[0], what);
    }
}

TEST(KaplanMeier, InvalidOptionsAreRejected) {
    wbe::kaplan_meier_options o;
    o.confidence_level = 1.0;
    try {
        (void)wbe::kaplan_meier(hand, o);
        ADD_FAILURE() << "no error";
    } catch (const wbe::numerical_error& e) {
        EXPECT_EQ(std::string(e.what()), "kaplan_meier_options.confidence_level = 1: must be in (0, 1)");
    }
}

}  // namespace
