// Tests for wbe/core/ros.hpp: Helsel–Cohn numbers, Hirsch–Stedinger plotting positions and
// robust ROS against EnvStats and statsmodels (Helsel & Cohn 1988 appendix B; statsmodels' basic
// 5-limit data), invariants, fallbacks and errors.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "censored_reference.hpp"
#include "test_support.hpp"
#include "wbe/core/errors.hpp"
#include "wbe/core/ros.hpp"

namespace {

using wbe::left_censored;

// Worst digits of agreement over an array, printed for the report.
void report_digits(const std::string& what, const std::vector<double>& actual, const std::vector<double>& expected) {
    double worst = 17.0;
    for (std::size_t i = 0; i < std::min(actual.size(), expected.size()); ++i)
        worst = std::min(worst, wbe::test::digits_of_agreement(actual[i], expected[i]));
    std::printf("  %-60s worst digits %.1f over %zu values\n", what.c_str(), worst, expected.size());
    testing::Test::RecordProperty(what, std::to_string(worst));
}

void expect_all_near(const std::vector<double>& actual, const std::vector<double>& expected, double tol,
                     const std::string& what) {
    ASSERT_EQ(actual.size(), expected.size()) << what;
    for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(actual[i], expected[i], tol) << what << "[" << i << "]";
    report_digits(what, actual, expected);
}

// Rows in EnvStats' order: ascending value, a censored value before a detect of equal value.
std::vector<std::size_t> envstats_order(const std::vector<left_censored>& x) {
    std::vector<std::size_t> idx(x.size());
    std::iota(idx.begin(), idx.end(), std::size_t{0});
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
        return x[a].value != x[b].value ? x[a].value < x[b].value : (x[a].censored && !x[b].censored);
    });
    return idx;
}

// Rows in statsmodels' order: censored ascending, then detected ascending.
std::vector<std::size_t> statsmodels_order(const std::vector<left_censored>& x) {
    std::vector<std::size_t> idx(x.size());
    std::iota(idx.begin(), idx.end(), std::size_t{0});
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
        if (x[a].censored != x[b].censored) return x[a].censored;
        return x[a].value < x[b].value;
    });
    return idx;
}

template <class T>
std::vector<T> permuted(const std::vector<T>& v, const std::vector<std::size_t>& idx) {
    std::vector<T> out;
    for (std::size_t i : idx) out.push_back(v[i]);
    return out;
}

std::vector<double> sorted(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v;
}

// ---- Helsel & Cohn (1988) appendix B (expected.json "helsel_cohn_1988_appendix_b").

TEST(Ros, HelselCohnAppendixBCohnNumbers) {
    WBE_REQUIRE_CENSORED_REFERENCE();
    const auto expected = wbe::test::censored_expected();
    const auto data = wbe::test::read_envstats_csv("envstats_Helsel_Cohn_88_appB.csv");
    const auto& e = expected["helsel_cohn_1988_appendix_b"]["cohn_numbers_by_detection_limit"];
    const auto t = wbe::cohn_numbers(data);
    ASSERT_EQ(t.size(), e["detection_limits"].size());  // no detect below the lowest limit: no extra interval
    std::vector<double> limits, above, below, equal, pe;
    for (const auto& row : t) {
        limits.push_back(row.lower_limit);
        above.push_back(static_cast<double>(row.nuncen_above));
        below.push_back(static_cast<double>(row.nobs_below));
        equal.push_back(static_cast<double>(row.ncen_equal));
        pe.push_back(row.prob_exceedance);
    }
    EXPECT_EQ(limits, e["detection_limits"].numbers());
    EXPECT_EQ(above, e["nuncen_above"].numbers());
    EXPECT_EQ(below, e["nobs_below"].numbers());
    EXPECT_EQ(equal, e["ncen_equal"].numbers());
    expect_all_near(pe, e["prob_exceedance"].numbers(), wbe::test::printed_tolerance(e["prob_exceedance"][0]),
                    "helsel_cohn_1988_appendix_b.cohn.prob_exceedance (5 dp)");
}

TEST(Ros, HelselCohnAppendixBPlottingPositionsMatchEnvStats) {
    WBE_REQUIRE_CENSORED_REFERENCE();
    const auto expected = wbe::test::censored_expected();
    const auto data = wbe::test::read_envstats_csv("envstats_Helsel_Cohn_88_appB.csv");
    const auto& e = expected["helsel_cohn_1988_appendix_b"]["hirsch_stedinger_plotpos0"];
    // ppointsCensored(..., prob.method = "hirsch-stedinger", plot.pos.con = 0): each limit keeps its
    // own positions.
    wbe::plotting_position_options o;
    o.a = 0.0;
    o.censored = wbe::censored_positions::within_limit;
    const auto p = wbe::hirsch_stedinger_positions(data, o);
    const auto order = envstats_order(data);
    std::vector<double> values;
    for (std::size_t i : order) values.push_back(data[i].value);
    EXPECT_EQ(values, e["order_statistics"].numbers());
    expect_all_near(permuted(p, order), e["cumulative_probabilities_3dp"].numbers(), 0.0005,
                    "helsel_cohn_1988_appendix_b.hirsch_stedinger_plotpos0 (3 dp)");
}

TEST(Ros, HelselCohnAppendixBImputedValuesMatchStatsmodels) {
    WBE_REQUIRE_CENSORED_REFERENCE();
    const auto expected = wbe::test::censored_expected();
    const auto data = wbe::test::read_envstats_csv("envstats_Helsel_Cohn_88_appB.csv");
    const auto& e = expected["helsel_cohn_1988_appendix_b"];
    const auto r = wbe::robust_ros(data);
    EXPECT_EQ(r.method, wbe::ros_method::robust_ros);
    EXPECT_EQ(r.n_dropped, 0u);
    // statsmodels compares the sorted imputed values with numpy's assert_array_almost_equal(decimal=2),
    // i.e. |actual − expected| < 1.5e-2; its expected values are truncated, not rounded (0.4785 → 0.47).
    expect_all_near(sorted(r.values), e["robust_ROS_log_scale_imputed_values_2dp_sorted"].numbers(), 1.5e-2,
                    "helsel_cohn_1988_appendix_b.robust_ROS imputed (decimal=2, sorted)");
    // Cross-check at 6 decimals: the imputed (censored) values computed by statsmodels 0.13.5 itself
    // (Debian python3-statsmodels, statsmodels.imputation.ros._do_ros on this CSV, log/exp).
    const std::vector<double> statsmodels_0_13_5{0.478515, 0.856728, 1.113343, 1.278047, 1.766364,
                                                 2.344177, 2.505700, 3.039383, 4.804736};
    std::vector<double> imputed;
    for (std::size_t i = 0; i < data.size(); ++i)
        if (data[i].censored) imputed.push_back(r.values[i]);
    expect_all_near(sorted(imputed), statsmodels_0_13_5, 1e-6,
                    "helsel_cohn_1988_appendix_b imputed vs statsmodels 0.13.5 run (6 dp)");
    // the EnvStats convention gives the same set of imputed values
    wbe::ros_options o;
    o.positions.censored = wbe::censored_positions::within_limit;
    EXPECT_EQ(sorted(wbe::robust_ros(data, o).values), sorted(r.values));
}

// ---- statsmodels' basic data: 35 values, limits 5.0 5.5 5.75 9.5 11.0
//      (expected.json "statsmodels_ros_basic_multiple_DL"; source tolerance: 6 decimals).

TEST(Ros, StatsmodelsFiveLimitsCohnNumbers) {
    WBE_REQUIRE_CENSORED_REFERENCE();
    const auto expected = wbe::test::censored_expected();
    const auto data = wbe::test::read_statsmodels_csv("statsmodels_ros_basic_data.csv");
    ASSERT_EQ(data.size(), 35u);
    const auto& e = expected["statsmodels_ros_basic_multiple_DL"]["cohn_numbers"];
    const auto t = wbe::cohn_numbers(data);
    ASSERT_EQ(t.size(), e.size());
    std::vector<double> pe, pe_expected;
    for (std::size_t j = 0; j < t.size(); ++j) {
        SCOPED_TRACE("interval " + std::to_string(j));
        EXPECT_EQ(t[j].lower_limit, e[j]["lower_dl"].number());
        EXPECT_EQ(t[j].upper_limit, e[j]["upper_dl"].number());
        EXPECT_EQ(static_cast<double>(t[j].nuncen_above), e[j]["nuncen_above"].number());
        EXPECT_EQ(static_cast<double>(t[j].nobs_below), e[j]["nobs_below"].number());
        EXPECT_EQ(static_cast<double>(t[j].ncen_equal), e[j]["ncen_equal"].number());
        EXPECT_NEAR(t[j].prob_exceedance, e[j]["prob_exceedance"].number(), 1e-6);
        pe.push_back(t[j].prob_exceedance);
        pe_expected.push_back(e[j]["prob_exceedance"].number());
    }
    report_digits("statsmodels_ros_basic_multiple_DL.cohn_numbers.prob_exceedance", pe, pe_expected);
}

TEST(Ros, StatsmodelsFiveLimitsPlottingPositionsAndImputedValues) {
    WBE_REQUIRE_CENSORED_REFERENCE();
    const auto expected = wbe::test::censored_expected();
    const auto data = wbe::test::read_statsmodels_csv("statsmodels_ros_basic_data.csv");
    const auto& e = expected["statsmodels_ros_basic_multiple_DL"];
    const auto order = statsmodels_order(data);  // "row_order_of_following_arrays"
    const auto r = wbe::robust_ros(data);
    EXPECT_EQ(r.method, wbe::ros_method::robust_ros);
    expect_all_near(permuted(r.plotting_positions, order), e["plotting_positions"].numbers(), 1e-6,
                    "statsmodels_ros_basic_multiple_DL.plotting_positions (6 dp)");
    expect_all_near(permuted(r.values, order), e["final_imputed_log_ros"].numbers(), 1e-6,
                    "statsmodels_ros_basic_multiple_DL.final_imputed_log_ros (6 dp)");
    // hirsch_stedinger_positions gives the same positions as the ROS run
    EXPECT_EQ(wbe::hirsch_stedinger_positions(data), r.plotting_positions);
}

// ---- a hand-worked case: 3 detects above one limit.
//
// <1, <1, 2, 4, 8: one interval [1, ∞): A = 3, B = 2 (the two <1), C = 2; PE = 3/5 = 0.6.
// Detects: 1 − 0.6 + 0.6·i/4 = 0.55, 0.7, 0.85; censored: 0.4·i/3 = 0.4/3, 0.8/3.
TEST(Ros, HandWorkedPositions) {
    const std::vector<left_censored> x{{2, false}, {1, true}, {8, false}, {1, true}, {4, false}};
    const auto t = wbe::cohn_numbers(x);
    ASSERT_EQ(t.size(), 1u);
    EXPECT_EQ(t[0].nuncen_above, 3u);
    EXPECT_EQ(t[0].nobs_below, 2u);
    EXPECT_EQ(t[0].ncen_equal, 2u);
    EXPECT_NEAR(t[0].prob_exceedance, 0.6, 1e-15);
    const auto p = wbe::hirsch_stedinger_positions(x);
    const std::vector<double> expected{0.55, 0.4 / 3, 0.85, 0.8 / 3, 0.7};
    for (std::size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(p[i], expected[i], 1e-15) << i;
    // the fit: ln x on z over (0.55, ln 2), (0.7, ln 4), (0.85, ln 8) — ln x is not exactly linear in
    // z, so only check that imputed values lie below the limit's fitted range and the detects stay.
    const auto r = wbe::robust_ros(x);
    EXPECT_EQ(r.values[0], 2.0);
    EXPECT_EQ(r.values[2], 8.0);
    EXPECT_EQ(r.values[4], 4.0);
    EXPECT_LT(r.values[1], r.values[3]);  // lower position, lower imputed value
    EXPECT_NEAR(r.values[1], std::exp(r.intercept + r.slope * -1.1107716166367854), 1e-12);  // scipy norm.ppf(0.4/3)
}

// ---- invariants

TEST(Ros, NoCensoringReturnsTheValuesAndThePlainStatistics) {
    const std::vector<left_censored> x{{3, false}, {1, false}, {4, false}, {1.5, false}, {9, false}, {2.5, false}};
    const auto r = wbe::robust_ros(x);
    EXPECT_EQ(r.method, wbe::ros_method::no_censoring);
    for (std::size_t i = 0; i < x.size(); ++i) EXPECT_EQ(r.values[i], x[i].value);
    EXPECT_NEAR(r.mean, 3.5, 1e-15);             // 21/6
    EXPECT_NEAR(r.sd, std::sqrt(8.4), 1e-14);    // Σ(x − 3.5)² = 42, /5
    EXPECT_EQ(r.median, 2.75);
}

TEST(Ros, RaisingLimitsBelowAllDetectsChangesNothing) {
    const std::vector<double> detects{2.5, 3.1, 4.0, 4.0, 7.2, 11.0, 30.0, 5.5};
    std::vector<left_censored> low{{0.5, true}, {1.0, true}, {1.0, true}, {0.2, true}};
    for (double d : detects) low.push_back({d, false});
    std::vector<left_censored> high = low;
    for (auto& v : high)
        if (v.censored) v.value *= 2.4;  // 0.48 … 2.4: every limit raised, order kept, still < 2.5
    const auto a = wbe::robust_ros(low);
    const auto b = wbe::robust_ros(high);
    EXPECT_EQ(a.plotting_positions, b.plotting_positions);
    EXPECT_EQ(a.values, b.values);
    EXPECT_EQ(a.mean, b.mean);
    EXPECT_EQ(a.sd, b.sd);
}

TEST(Ros, RowOrderDoesNotChangeTheStatistics) {
    std::vector<left_censored> x{{5, true},    {5, true},   {5.5, true}, {5.75, true}, {9.5, true},  {9.5, true},
                                 {11, true},   {2, false},  {4.2, false}, {4.62, false}, {5.57, false}, {5.66, false},
                                 {5.86, false}, {6.65, false}, {7.5, false}, {7.5, false}, {8.63, false}, {12.2, false},
                                 {14.92, false}, {19.64, false}, {22.97, false}};
    const auto ref = wbe::robust_ros(x);
    const auto ref_sorted = sorted(ref.values);
    std::mt19937 rng(7);
    for (int k = 0; k < 20; ++k) {
        std::shuffle(x.begin(), x.end(), rng);
        const auto r = wbe::robust_ros(x);
        EXPECT_EQ(sorted(r.values), ref_sorted);
        EXPECT_NEAR(r.mean, ref.mean, 1e-13 * ref.mean);  // summation order only
        EXPECT_NEAR(r.sd, ref.sd, 1e-12 * ref.sd);
        EXPECT_EQ(r.median, ref.median);
        EXPECT_EQ(r.slope, ref.slope);
    }
}

TEST(Ros, SortedAssignmentGivesLowerLimitsLowerValues) {
    // <1 ×2, <5 ×2 interleaved positions: sorted_by_limit hands the smaller positions to <1.
    const std::vector<left_censored> x{{5, true}, {1, true}, {5, true}, {1, true}, {2, false},
                                       {3, false}, {6, false}, {8, false}, {9, false}};
    const auto r = wbe::robust_ros(x);
    EXPECT_LT(std::max(r.values[1], r.values[3]), std::min(r.values[0], r.values[2]));
}

// ---- censored values above the largest detect

TEST(Ros, CensoredAboveTheLargestDetectIsDroppedByDefaultAndKeptOnRequest) {
    const std::vector<left_censored> x{{1, true}, {2, false}, {3, false}, {50, true}, {4, false}, {6, false}};
    const auto dropped = wbe::robust_ros(x);
    EXPECT_EQ(dropped.n_dropped, 1u);
    EXPECT_TRUE(std::isnan(dropped.values[3]));
    EXPECT_TRUE(std::isnan(dropped.plotting_positions[3]));
    // the same as a run without that row (NADA, statsmodels)
    const std::vector<left_censored> without{{1, true}, {2, false}, {3, false}, {4, false}, {6, false}};
    const auto w = wbe::robust_ros(without);
    EXPECT_EQ(dropped.mean, w.mean);
    EXPECT_EQ(dropped.sd, w.sd);

    wbe::ros_options keep;
    keep.drop_censored_above_max_detect = false;
    const auto kept = wbe::robust_ros(x, keep);
    EXPECT_EQ(kept.n_dropped, 0u);
    // PE at 50 is 0, so its position is (1 − 0)·1/2 = 0.5 (EnvStats)
    EXPECT_NEAR(kept.plotting_positions[3], 0.5, 1e-15);
    EXPECT_FALSE(std::isnan(kept.values[3]));
}

// ---- fallbacks

TEST(Ros, MoreThanEightyPercentCensoredFallsBackToSubstitution) {
    std::vector<left_censored> x;
    for (int i = 0; i < 17; ++i) x.push_back({4.0, true});
    x.push_back({5.0, false});
    x.push_back({6.0, false});
    x.push_back({9.0, false});  // 17/20 = 85% censored, 3 detects
    const auto r = wbe::robust_ros(x);
    EXPECT_EQ(r.method, wbe::ros_method::substitution);
    EXPECT_EQ(r.fallback_reason, "censored share = 0.85: above 0.8; censored values replaced by 0.5 x limit");
    EXPECT_EQ(r.values[0], 2.0);  // 4 × 0.5
    EXPECT_EQ(r.values[19], 9.0);
    EXPECT_NEAR(r.mean, (17 * 2.0 + 20.0) / 20.0, 1e-14);
    EXPECT_TRUE(std::isnan(r.slope));

    wbe::ros_options o;  // configurable: allow up to 90%
    o.max_censored_share = 0.9;
    EXPECT_EQ(wbe::robust_ros(x, o).method, wbe::ros_method::robust_ros);
}

TEST(Ros, ExactlyEightyPercentIsStillRegressed) {
    // The fallback is for a share ABOVE max_censored_share (statsmodels: fraction > 0.8), so that
    // the summary's "ROS up to 80%" band never falls back.
    std::vector<left_censored> x;
    for (int i = 0; i < 8; ++i) x.push_back({1.0, true});
    x.push_back({2.0, false});
    x.push_back({3.0, false});
    EXPECT_EQ(wbe::robust_ros(x).method, wbe::ros_method::robust_ros);
}

TEST(Ros, FewerThanTwoDetectsFallsBackToSubstitution) {
    const std::vector<left_censored> x{{2, true}, {3, false}, {2, true}};
    wbe::ros_options o;
    o.max_censored_share = 1.0;
    o.substitution_fraction = 1.0 / std::sqrt(2.0);
    const auto r = wbe::robust_ros(x, o);
    EXPECT_EQ(r.method, wbe::ros_method::substitution);
    EXPECT_EQ(r.fallback_reason.substr(0, 40), "detected values = 1: fewer than 2 for a ");
    EXPECT_NEAR(r.values[0], std::sqrt(2.0), 1e-15);
}

// ---- errors

TEST(Ros, InvalidInputIsRejected) {
    try {
        (void)wbe::robust_ros(std::vector<left_censored>{{1, true}, {0, false}, {3, false}});
        ADD_FAILURE() << "no error";
    } catch (const wbe::numerical_error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "robust_ros: value[1] = 0: a detected value must be > 0 (the method works on log values)");
    }
    EXPECT_THROW((void)wbe::robust_ros(std::vector<left_censored>{}), wbe::numerical_error);
    wbe::ros_options o;
    o.min_detects = 1;
    EXPECT_THROW((void)wbe::robust_ros(std::vector<left_censored>{{1, false}, {2, false}}, o), wbe::numerical_error);
    wbe::plotting_position_options p;
    p.a = 1.5;
    try {
        (void)wbe::hirsch_stedinger_positions(std::vector<left_censored>{{1, false}}, p);
        ADD_FAILURE() << "no error";
    } catch (const wbe::numerical_error& e) {
        EXPECT_EQ(std::string(e.what()), "plotting_position_options.a = 1.5: must be in [0, 1]");
    }
}

}  // namespace
