// Tests of wbe/core/composite_index.hpp: total doses and the relative index, their censoring
// bounds, and missing components. Expected values are hand-computed in the comments.

#include "wbe/core/composite_index.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace {

using namespace wbe;

campaign_estimate row(const std::string& site, const std::string& campaign, const std::string& drug, double cons, double dose,
                      double low = NAN, double high = NAN, std::size_t n_censored = 0) {
    campaign_estimate c;
    c.scope = "site";
    c.site_kind = "wwtp";
    c.id = site;
    c.campaign = campaign;
    c.drug = drug;
    c.analyte = drug == "cocaine" ? "benzoylecgonine" : drug;
    c.n_samples = 7;
    c.n_censored = n_censored;
    c.consumption_mean = cons;
    c.doses_mean = cons / dose;
    c.consumption_censored_low = std::isnan(low) ? cons : low;
    c.consumption_censored_high = std::isnan(high) ? cons : high;
    c.population = 1e5;
    return c;
}

TEST(CompositeIndex, TotalDosesSumsWeightedDosesWithBounds) {
    // METH 90 mg at 30 mg/dose = 3 doses; cocaine 50 mg at 100 mg/dose = 0.5 doses, censored days
    // leave it in [20, 80] mg → [0.2, 0.8] doses. Weights 1 and 2:
    //   value 3 + 2 × 0.5 = 4; low 3 + 2 × 0.2 = 3.4; high 3 + 2 × 0.8 = 4.6.
    const std::vector<campaign_estimate> est{row("P", "2024Q1", "methamphetamine", 90, 30),
                                             row("P", "2024Q1", "cocaine", 50, 100, 20, 80, 3)};
    composite_options o;
    o.name = "stim";
    o.drugs = {{"methamphetamine", 1.0}, {"cocaine", 2.0}};
    const composite_result r = composite_index(est, o);
    ASSERT_EQ(r.rows.size(), 1u);
    const campaign_estimate& c = r.rows[0];
    EXPECT_EQ(c.drug, "stim");
    EXPECT_EQ(c.analyte, "stim");
    EXPECT_EQ(c.id, "P");
    EXPECT_NEAR(c.consumption_mean, 4.0, 1e-12);
    EXPECT_NEAR(c.consumption_censored_low, 3.4, 1e-12);
    EXPECT_NEAR(c.consumption_censored_high, 4.6, 1e-12);
    EXPECT_EQ(c.n_samples, 14u);
    EXPECT_EQ(c.n_censored, 3u);
    EXPECT_EQ(c.censoring, "composite:total_doses");
    EXPECT_TRUE(r.warnings.empty());
}

TEST(CompositeIndex, RelativeIndexIsHundredAtTheBaseYearMedian) {
    // Base year 2023, METH at three plants 40, 60, 100 → median 60. In 2024Q1 plant B has 90:
    // 100 × 90 / 60 = 150 points.
    const std::vector<campaign_estimate> est{row("A", "2023Q1", "methamphetamine", 40, 30),
                                             row("B", "2023Q1", "methamphetamine", 60, 30),
                                             row("C", "2023Q2", "methamphetamine", 100, 30),
                                             row("B", "2024Q1", "methamphetamine", 90, 30)};
    composite_options o;
    o.name = "meth_points";
    o.method = composite_method::relative;
    o.base_year = 2023;
    o.drugs = {{"methamphetamine", 1.0}};
    const composite_result r = composite_index(est, o);
    ASSERT_EQ(r.rows.size(), 4u);
    for (const auto& c : r.rows) {
        if (c.id == "B" && c.campaign == "2024Q1") {
            EXPECT_NEAR(c.consumption_mean, 150.0, 1e-12);
        }
    }
    // base_year 0 = the first year with data: the same here.
    o.base_year = 0;
    for (const auto& c : composite_index(est, o).rows) {
        if (c.id == "B" && c.campaign == "2024Q1") {
            EXPECT_NEAR(c.consumption_mean, 150.0, 1e-12);
        }
    }
}

TEST(CompositeIndex, AMissingComponentMakesTheCampaignMissing) {
    const std::vector<campaign_estimate> est{row("P", "2024Q1", "methamphetamine", 90, 30), row("P", "2024Q2", "methamphetamine", 60, 30),
                                             row("P", "2024Q2", "cocaine", 50, 100)};
    composite_options o;
    o.drugs = {{"methamphetamine", 1.0}, {"cocaine", 1.0}};
    const composite_result r = composite_index(est, o);
    ASSERT_EQ(r.rows.size(), 2u);
    for (const auto& c : r.rows) {
        if (c.campaign == "2024Q1") EXPECT_TRUE(std::isnan(c.consumption_mean));  // no cocaine measured
        else EXPECT_NEAR(c.consumption_mean, 2.0 + 0.5, 1e-12);
    }
}

TEST(CompositeIndex, VenuesAndAggregatesAreNotIncluded) {
    std::vector<campaign_estimate> est{row("P", "2024Q1", "methamphetamine", 90, 30)};
    campaign_estimate venue = row("V", "2024Q1", "methamphetamine", 90, 30);
    venue.site_kind = "venue";
    campaign_estimate city = row("city", "2024Q1", "methamphetamine", 90, 30);
    city.scope = "city";
    est.push_back(venue);
    est.push_back(city);
    composite_options o;
    o.drugs = {{"methamphetamine", 1.0}};
    const composite_result r = composite_index(est, o);
    ASSERT_EQ(r.rows.size(), 1u);
    EXPECT_EQ(r.rows[0].id, "P");
}

}  // namespace
