// Tests for wbe/core/campaign.hpp: campaign labels, EUDA day classes, campaign means and the
// population-weighted aggregate (science.md §1 and §5).

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "test_support.hpp"
#include "wbe/core/campaign.hpp"

namespace {

// digits_of_agreement scores a NaN result as 17 digits (std::min(17, NaN) is 17): score it 0 here.
double digits_of_agreement(double actual, double expected) {
    return std::isnan(actual) ? 0.0 : wbe::test::digits_of_agreement(actual, expected);
}
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

wbe::day_number day(int y, unsigned m, unsigned d) { return wbe::to_days({y, m, d}); }

// The week of 2024-01-01 (a Monday; day 19723 — see test_date.cpp): Mon … Sun.
const std::vector<wbe::day_number> week{19723, 19724, 19725, 19726, 19727, 19728, 19729};

TEST(Campaign, QuarterLabelsAtBoundaries) {
    using wbe::campaign_period;
    EXPECT_EQ(wbe::campaign_label(day(2024, 1, 1), campaign_period::quarter), "2024Q1");
    EXPECT_EQ(wbe::campaign_label(day(2024, 3, 31), campaign_period::quarter), "2024Q1");
    EXPECT_EQ(wbe::campaign_label(day(2024, 4, 1), campaign_period::quarter), "2024Q2");
    EXPECT_EQ(wbe::campaign_label(day(2024, 6, 30), campaign_period::quarter), "2024Q2");
    EXPECT_EQ(wbe::campaign_label(day(2024, 7, 1), campaign_period::quarter), "2024Q3");
    EXPECT_EQ(wbe::campaign_label(day(2024, 9, 30), campaign_period::quarter), "2024Q3");
    EXPECT_EQ(wbe::campaign_label(day(2024, 10, 1), campaign_period::quarter), "2024Q4");
    EXPECT_EQ(wbe::campaign_label(day(2024, 12, 31), campaign_period::quarter), "2024Q4");
    EXPECT_EQ(wbe::campaign_label(day(2025, 1, 1), campaign_period::quarter), "2025Q1");
}

TEST(Campaign, MonthAndYearLabels) {
    using wbe::campaign_period;
    EXPECT_EQ(wbe::campaign_label(day(2024, 3, 31), campaign_period::month), "2024-03");
    EXPECT_EQ(wbe::campaign_label(day(2024, 12, 1), campaign_period::month), "2024-12");
    EXPECT_EQ(wbe::campaign_label(day(2024, 2, 29), campaign_period::month), "2024-02");
    EXPECT_EQ(wbe::campaign_label(day(2024, 12, 31), campaign_period::year), "2024");
    EXPECT_EQ(wbe::campaign_label(day(1999, 1, 1), campaign_period::year), "1999");
}

TEST(Campaign, PeriodParseAndToString) {
    for (auto p : {wbe::campaign_period::quarter, wbe::campaign_period::month, wbe::campaign_period::year})
        EXPECT_EQ(wbe::parse_campaign_period(wbe::to_string(p)), p);
    EXPECT_EQ(wbe::to_string(wbe::campaign_period::quarter), "quarter");
    EXPECT_EQ(wbe::to_string(wbe::campaign_period::month), "month");
    EXPECT_EQ(wbe::to_string(wbe::campaign_period::year), "year");
    EXPECT_FALSE(wbe::parse_campaign_period("week").has_value());
    EXPECT_FALSE(wbe::parse_campaign_period("").has_value());
}

TEST(Campaign, ClassifyDayEudaWeek) {
    // science.md §5: weekday = Tue–Thu samples, weekend = Fri–Mon (a Monday sample covers Sunday night).
    using wbe::day_class;
    const day_class expected[7] = {day_class::weekend,   // Mon 2024-01-01
                                   day_class::weekday,   // Tue
                                   day_class::weekday,   // Wed
                                   day_class::weekday,   // Thu
                                   day_class::weekend,   // Fri
                                   day_class::weekend,   // Sat
                                   day_class::weekend};  // Sun
    for (std::size_t i = 0; i < 7; ++i) EXPECT_EQ(wbe::classify_day(week[i]), expected[i]) << "day " << i;
    // the same the next week and in 1969 (negative day numbers): 1969-12-31 was a Wednesday
    EXPECT_EQ(wbe::classify_day(week[1] + 7), day_class::weekday);
    EXPECT_EQ(wbe::classify_day(-1), day_class::weekday);
    EXPECT_EQ(wbe::classify_day(-5), day_class::weekend);  // 1969-12-27, a Saturday
}

TEST(Campaign, SummariseHandWorkedWeek) {
    // values Mon … Sun = 10, 20, 30, 40, 50, 60, 70 (hand-computed):
    //   mean    = 280 / 7 = 40
    //   weekday = Tue, Wed, Thu = (20 + 30 + 40) / 3 = 30
    //   weekend = Mon, Fri, Sat, Sun = (10 + 50 + 60 + 70) / 4 = 47.5
    const std::vector<double> v{10, 20, 30, 40, 50, 60, 70};
    const auto m = wbe::summarise_campaign(week, v);
    EXPECT_EQ(m.n, 7u);
    EXPECT_DOUBLE_EQ(m.mean, 40.0);
    EXPECT_EQ(m.n_weekday, 3u);
    EXPECT_DOUBLE_EQ(m.weekday_mean, 30.0);
    EXPECT_EQ(m.n_weekend, 4u);
    EXPECT_DOUBLE_EQ(m.weekend_mean, 47.5);
}

TEST(Campaign, SummariseSkipsNaN) {
    // Wed and Sat missing (hand-computed): mean = (10 + 20 + 40 + 50 + 70) / 5 = 38;
    // weekday = (20 + 40) / 2 = 30; weekend = (10 + 50 + 70) / 3 = 130/3
    const std::vector<double> v{10, 20, nan, 40, 50, nan, 70};
    const auto m = wbe::summarise_campaign(week, v);
    EXPECT_EQ(m.n, 5u);
    EXPECT_DOUBLE_EQ(m.mean, 38.0);
    EXPECT_EQ(m.n_weekday, 2u);
    EXPECT_DOUBLE_EQ(m.weekday_mean, 30.0);
    EXPECT_EQ(m.n_weekend, 3u);
    EXPECT_DOUBLE_EQ(m.weekend_mean, 130.0 / 3.0);
}

TEST(Campaign, SummariseEmptyAndOneSidedGiveNaN) {
    const auto empty = wbe::summarise_campaign({}, {});
    EXPECT_EQ(empty.n, 0u);
    EXPECT_TRUE(std::isnan(empty.mean));
    EXPECT_TRUE(std::isnan(empty.weekday_mean));
    EXPECT_TRUE(std::isnan(empty.weekend_mean));
    const std::vector<double> all_nan{nan, nan};
    const auto none = wbe::summarise_campaign(std::vector<wbe::day_number>{week[0], week[1]}, all_nan);
    EXPECT_EQ(none.n, 0u);
    EXPECT_TRUE(std::isnan(none.mean));
    // weekend samples only (Fri, Sat): no weekday mean
    const auto we = wbe::summarise_campaign(std::vector<wbe::day_number>{week[4], week[5]}, std::vector<double>{1, 3});
    EXPECT_EQ(we.n_weekday, 0u);
    EXPECT_TRUE(std::isnan(we.weekday_mean));
    EXPECT_EQ(we.n_weekend, 2u);
    EXPECT_DOUBLE_EQ(we.weekend_mean, 2.0);  // hand-computed: (1 + 3) / 2
}

TEST(Campaign, SummariseRejectsMismatchedLengths) {
    EXPECT_THROW((void)wbe::summarise_campaign(week, std::vector<double>{1.0}), std::invalid_argument);
}

TEST(Campaign, SummariseDoesNotDependOnOrder) {
    std::vector<wbe::day_number> d = week;
    std::vector<double> v{10, 20, 30, 40, 50, 60, 70};
    std::reverse(d.begin(), d.end());
    std::reverse(v.begin(), v.end());
    const auto m = wbe::summarise_campaign(d, v);
    EXPECT_DOUBLE_EQ(m.weekday_mean, 30.0);  // hand-computed above
    EXPECT_DOUBLE_EQ(m.weekend_mean, 47.5);
}

TEST(Campaign, PopulationWeightedMeanHandCase) {
    // hand-computed: plants at 40 and 10 mg/day/1000 inh for 500 000 and 100 000 inh:
    //   (40 × 500 000 + 10 × 100 000) / 600 000 = 21 000 000 / 600 000 = 35 (the plain mean would be 25)
    const std::vector<double> x{40.0, 10.0}, p{500000.0, 100000.0};
    EXPECT_DOUBLE_EQ(wbe::population_weighted_mean(x, p), 35.0);
}

TEST(Campaign, PopulationWeightedMeanSkipsNaNAndNonPositivePopulation) {
    // only the first entry qualifies: NaN index, infinite index, zero, negative and NaN population skipped
    const double inf = std::numeric_limits<double>::infinity();
    const std::vector<double> x{40.0, nan, inf, 99.0, 99.0, 99.0, 10.0};
    const std::vector<double> p{500000.0, 1e6, 1e6, 0.0, -1e6, nan, 100000.0};
    EXPECT_DOUBLE_EQ(wbe::population_weighted_mean(x, p), 35.0);  // the hand case above
    EXPECT_TRUE(std::isnan(wbe::population_weighted_mean(std::vector<double>{nan}, std::vector<double>{1e5})));
    EXPECT_TRUE(std::isnan(wbe::population_weighted_mean(std::vector<double>{5.0}, std::vector<double>{0.0})));
    EXPECT_TRUE(std::isnan(wbe::population_weighted_mean({}, {})));
    EXPECT_THROW((void)wbe::population_weighted_mean(x, std::vector<double>{1.0}), std::invalid_argument);
}

TEST(Campaign, PopulationWeightedMeanEqualsSumOfLoadsOverSumOfPopulations) {
    // Invariant (science.md §1): the population-weighted mean of plant indices L_i/P_i×1000 is
    // Σ L_i / Σ P_i × 1000, computed here directly from the loads.
    std::mt19937_64 rng(31);
    std::uniform_real_distribution<double> load(10.0, 1e5), pop(1e4, 5e6);
    std::uniform_int_distribution<int> count(1, 12);
    for (int trial = 0; trial < 100; ++trial) {
        const int n = count(rng);
        std::vector<double> idx, pops;
        double sum_l = 0.0, sum_p = 0.0;
        for (int i = 0; i < n; ++i) {
            const double l = load(rng), p = pop(rng);
            idx.push_back(l / p * 1000.0);
            pops.push_back(p);
            sum_l += l;
            sum_p += p;
        }
        EXPECT_GE(digits_of_agreement(wbe::population_weighted_mean(idx, pops), sum_l / sum_p * 1000.0), 13);
    }
}

}  // namespace
