// Tests for wbe/core/population.hpp and venue_index.hpp: every estimator hand-worked (with the
// Chinese units 10⁴ m³/day and thousands of people), the log-space combination, the census
// check, and the venue index's linearity in the drug and inverse response to cotinine.
// Expected values are worked by hand below; the decimals were evaluated with Python's math
// module (same formulas, written out).

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "wbe/core/date.hpp"
#include "wbe/core/errors.hpp"
#include "wbe/core/population.hpp"
#include "wbe/core/venue_index.hpp"

namespace {

using wbe::concentration;
using wbe::flow;
using wbe::population;

// Water-quality values arrive in mg/L; the concentration type holds ng/L.
concentration mg_per_l(double v) { return concentration(v * 1e6); }

TEST(Population, HydrochemicalHandWorked) {
    // NH4-N 30 mg/L × 100 000 m³/day = 30 mg/L × 1e8 L/day = 3e9 mg = 3e6 g/day; at 8 g/person/day
    // (a site constant): 375 000 people.
    const wbe::per_capita_load nh4{"NH4-N", 8.0, 0.2, "site calibration"};
    auto e = wbe::hydrochemical_population(mg_per_l(30), flow(1e5), nh4);
    EXPECT_NEAR(e.value.value(), 375000.0, 1e-6);
    EXPECT_EQ(e.method, wbe::population_method::hydrochemical);
    EXPECT_DOUBLE_EQ(e.rsd, 0.2);
    // The same flow as Chinese reports write it: 10 (10⁴ m³/day).
    e = wbe::hydrochemical_population(mg_per_l(30), wbe::make_flow(10, wbe::flow_unit::e4_m3_per_day), nh4);
    EXPECT_NEAR(e.value.value(), 375000.0, 1e-6);
    // BOD5 150 mg/L × 100 000 m³/day = 1.5e7 g/day at the EU 60 g/person/day: 250 000.
    e = wbe::hydrochemical_population(mg_per_l(150), flow(1e5), {"BOD5", 60.0, 0.25, "Directive 91/271/EEC"});
    EXPECT_NEAR(e.value.value(), 250000.0, 1e-6);
    EXPECT_NE(e.basis.find("BOD5 60 g/person/day"), std::string::npos) << e.basis;
    EXPECT_THROW((void)wbe::hydrochemical_population(mg_per_l(30), flow(1e5), {"COD", 0.0, 0.2, ""}), wbe::numerical_error);
    EXPECT_THROW((void)wbe::hydrochemical_population(mg_per_l(-1), flow(1e5), nh4), wbe::numerical_error);
}

TEST(Population, CalibrationHandWorked) {
    // Census 100 000; NH4-N 8, 10 and 12.5 mg/L at 100 000 m³/day: 8, 10 and 12.5 g/person/day.
    // Geometric mean (8 × 10 × 12.5)^(1/3) = 1000^(1/3) = 10; ln ratios 10 ∓ ln 1.25 → sample SD
    // ln 1.25 = 0.22314355, rsd √(exp(0.22314355²) − 1) = 0.22595033.
    const std::vector<concentration> c{mg_per_l(8), mg_per_l(10), mg_per_l(12.5), mg_per_l(std::nan(""))};
    const std::vector<flow> q(4, flow(1e5));
    const auto k = wbe::calibrate_per_capita_load("NH4-N", c, q, population(1e5));
    EXPECT_NEAR(k.grams_per_person_day, 10.0, 1e-12);
    EXPECT_NEAR(k.rsd, 0.22595033203145756, 1e-12);
    EXPECT_NE(k.source.find("calibrated on 3 days"), std::string::npos) << k.source;  // the NaN day is skipped
    // The calibrated constant gives back the census on a typical day.
    EXPECT_NEAR(wbe::hydrochemical_population(mg_per_l(10), flow(1e5), k).value.value(), 1e5, 1e-6);
    EXPECT_THROW((void)wbe::calibrate_per_capita_load("NH4-N", std::vector<concentration>(c.begin(), c.begin() + 2),
                                                      std::vector<flow>(2, flow(1e5)), population(1e5)),
                 wbe::numerical_error);
}

TEST(Population, CotinineChineseFormulaHandWorked) {
    // Population (thousands) = C_cot [ng/L] × Q [10⁴ m³/day] × 10 × f_dom / (cigarettes × 0.14 × 1000)
    // = 1500 × 20 × 10 × 0.9 / (2.5 × 0.14 × 1000) = 270 000 / 350 = 771.428571… thousand.
    wbe::cotinine_parameters p;
    p.cigarettes_per_person_day = 2.5;
    p.domestic_fraction = 0.9;
    p.rsd = 0.3;
    EXPECT_DOUBLE_EQ(wbe::cotinine_excretion_per_1000(p), 350.0);
    const auto e = wbe::cotinine_population(concentration(1500), wbe::make_flow(20, wbe::flow_unit::e4_m3_per_day), p);
    EXPECT_NEAR(e.value.value(), 771428.5714285714, 1e-6);
    EXPECT_EQ(e.method, wbe::population_method::cotinine);
    p.domestic_fraction = 0.0;
    EXPECT_THROW((void)wbe::cotinine_population(concentration(1500), flow(2e5), p), wbe::numerical_error);
    p.domestic_fraction = 1.0;
    p.cigarettes_per_person_day = 0.0;
    EXPECT_THROW((void)wbe::cotinine_population(concentration(1500), flow(2e5), p), wbe::numerical_error);
}

TEST(Population, CombinationInverseVarianceInLogSpace) {
    // Census 500 000 (rsd 0.10, σ² = ln 1.01) and cotinine 600 000 (rsd 0.30, σ² = ln 1.09):
    // w = 1/σ² → weights 0.89649 and 0.10351; exp(Σ w ln P / Σ w) = 509 525.7688; combined
    // σ² = 1/Σw → rsd 0.0946587.
    std::vector<wbe::population_estimate> e(2);
    e[0] = {wbe::population_method::census, "census", population(5e5), 0.10};
    e[1] = {wbe::population_method::cotinine, "cotinine", population(6e5), 0.30};
    const auto c = wbe::combine_populations(e);
    EXPECT_NEAR(c.value.value(), 509525.7688006649, 1e-6);
    EXPECT_NEAR(c.rsd, 0.09465867519455726, 1e-12);
    EXPECT_EQ(c.method, wbe::population_method::combined);
    EXPECT_NE(c.basis.find("census 5e+05 (weight 0.896)"), std::string::npos) << c.basis;
    // The combination is narrower than either input, and equal inputs give the input back.
    EXPECT_LT(c.rsd, 0.10);
    e[1] = e[0];
    EXPECT_NEAR(wbe::combine_populations(e).value.value(), 5e5, 1e-6);
    // A NaN estimate is left out; an exact one (rsd 0) wins; nothing usable is an error.
    e[1].value = population(std::nan(""));
    EXPECT_EQ(wbe::combine_populations(e).method, wbe::population_method::census);
    e[1] = {wbe::population_method::hydrochemical, "design", population(4e5), 0.0};
    EXPECT_EQ(wbe::combine_populations(e).value.value(), 4e5);
    EXPECT_THROW((void)wbe::combine_populations(std::vector<wbe::population_estimate>{}), wbe::numerical_error);
}

TEST(Population, CensusCheck) {
    const wbe::population_estimate est{wbe::population_method::cotinine, "", population(712000), 0.3};
    auto r = wbe::check_population(est, population(5e5), 1.3);
    EXPECT_NEAR(r.ratio, 1.424, 1e-12);
    EXPECT_TRUE(r.departs);
    EXPECT_EQ(r.reason, "estimated 7.12e+05 (cotinine) is 1.42 x the census 5e+05 (limit 1.3 x either way)");
    EXPECT_FALSE(wbe::check_population({wbe::population_method::cotinine, "", population(6e5), 0.3}, population(5e5), 1.3).departs);
    // Below: 350 000 / 500 000 = 0.7 < 1/1.3 = 0.769.
    EXPECT_TRUE(wbe::check_population({wbe::population_method::cotinine, "", population(3.5e5), 0.3}, population(5e5), 1.3).departs);
    EXPECT_THROW((void)wbe::check_population(est, population(5e5), 1.0), wbe::numerical_error);
}

TEST(VenueIndex, HandWorkedAndLinearInDrugInverseInCotinine) {
    // Ketamine 500 ng/L and cotinine 2000 ng/L in one venue sample; 2.5 cigarettes/person/day ×
    // 0.14 mg → E_1000 = 350 mg/day; CF(ketamine) = 1/0.20 = 5 → 500/2000 × 350 × 5 = 437.5
    // mg/day/1000 person-equivalents. σ² = 2 ln(1 + 0.15²) + ln(1 + 0.25²) + ln(1 + 0.30²) →
    // σ = 0.43738260, 95% interval 437.5 × exp(∓1.95996 σ) = 185.642 … 1031.048.
    wbe::venue_index_inputs in;
    in.residue = concentration(500);
    in.cotinine = concentration(2000);
    in.cf = 5.0;
    in.cot.cigarettes_per_person_day = 2.5;
    in.cot.rsd = 0.30;
    const auto v = wbe::biomarker_normalised_index(in);
    EXPECT_NEAR(v.value, 437.5, 1e-9);
    EXPECT_NEAR(v.log_sigma, 0.437382596735543, 1e-12);
    EXPECT_NEAR(v.lower, 185.64246055540426, 1e-6);
    EXPECT_NEAR(v.upper, 1031.0477970791362, 1e-6);
    EXPECT_EQ(v.kind, "screening");
    for (double k : {0.5, 2.0, 10.0}) {
        auto a = in;
        a.residue = concentration(500 * k);
        EXPECT_NEAR(wbe::biomarker_normalised_index(a).value, 437.5 * k, 1e-9);  // linear in the drug
        auto b = in;
        b.cotinine = concentration(2000 * k);
        EXPECT_NEAR(wbe::biomarker_normalised_index(b).value, 437.5 / k, 1e-9);  // inverse in cotinine
    }
    in.cotinine = concentration(0);
    EXPECT_THROW((void)wbe::biomarker_normalised_index(in), wbe::numerical_error);
}

}  // namespace

namespace {

wbe::day_number day(const char* iso) { return *wbe::parse_iso_date(iso); }

wbe::assay_result result(const std::string& site, const char* date, const std::string& analyte, double ng_per_l) {
    wbe::assay_result r;
    r.site_id = site;
    r.sample_id = site + "-" + date;
    r.day = day(date);
    r.analyte = analyte;
    r.conc.value = ng_per_l;
    r.conc.qual = wbe::qualifier::detected;
    return r;
}

}  // namespace

// A programme of three plants, worked by hand:
// - A: census 100 000. NH4-N calibrated on 2022-01-03..05 (8, 10, 12.5 mg/L at 100 000 m³/day:
//   10 g/person/day, rsd 0.22595); in 2022Q2 NH4-N 14 mg/L → 1.4e6 g/day / 10 = 140 000 on both
//   days; cotinine 392 ng/L × 100 000 m³/day × 1e-3 = 39 200 mg/day over 2 cigarettes × 0.14 mg
//   = 0.28 mg per person → 140 000. Census (rsd 0.10) + NH4-N (0.22595) + cotinine (0.30)
//   combined in log space: 108 399.9598, rsd 0.0871423 (Python, the formula of
//   combine_populations). The check compares NH4-N + cotinine (140 000) with the census:
//   1.4 > 1.3 → departs.
// - B: census only (no water quality, no smoking rate): not checked.
// - C: NH4-N in 2022Q2 only, no calibration days and no literature constant: noted, census used.
TEST(Population, ResolvePopulationsPerPlantAndCampaign) {
    std::vector<wbe::site> sites(3);
    for (std::size_t i = 0; i < 3; ++i) {
        sites[i].id = std::string(1, static_cast<char>('A' + i));
        sites[i].kind = "wwtp";
        sites[i].population = 1e5;
    }
    sites[0].smoking_rate = 2.0;
    std::vector<wbe::flow_record> flows;
    std::vector<wbe::water_quality_record> wq;
    const auto add_wq = [&](const std::string& s, const char* date, double mg) {
        flows.push_back({s, day(date), 1e5, "flows.csv"});
        wq.push_back({s, day(date), "NH4-N", mg, "wq.csv"});
    };
    add_wq("A", "2022-01-03", 8);
    add_wq("A", "2022-01-04", 10);
    add_wq("A", "2022-01-05", 12.5);
    add_wq("A", "2022-04-05", 14);
    add_wq("A", "2022-04-06", 14);
    add_wq("C", "2022-04-05", 14);
    flows.push_back({"B", day("2022-04-05"), 1e5, "flows.csv"});
    std::vector<wbe::assay_result> results;
    for (const char* d : {"2022-04-05", "2022-04-06"}) {
        results.push_back(result("A", d, "cotinine", 392));
        results.push_back(result("A", d, "methamphetamine", 100));
    }
    results.push_back(result("B", "2022-04-05", "methamphetamine", 100));
    results.push_back(result("C", "2022-04-05", "methamphetamine", 100));

    wbe::population_options o;
    o.hydrochemical = true;
    o.cotinine = true;
    o.calibrate_from = day("2022-01-01");
    o.calibrate_to = day("2022-03-31");
    const auto pops = wbe::resolve_populations(sites, results, flows, wq, o);
    ASSERT_EQ(pops.size(), 3u);  // A, B and C in 2022Q2 (the calibration days have no samples)

    const auto& a = pops[0];
    EXPECT_EQ(a.site_id, "A");
    EXPECT_EQ(a.campaign, "2022Q2");
    ASSERT_EQ(a.estimates.size(), 3u);
    EXPECT_EQ(a.estimates[1].method, wbe::population_method::hydrochemical);
    EXPECT_NEAR(a.estimates[1].value.value(), 140000.0, 1e-6);
    EXPECT_NEAR(a.estimates[1].rsd, 0.22595033203145737, 1e-12);
    EXPECT_EQ(a.days[1], 2u);
    EXPECT_EQ(a.estimates[2].method, wbe::population_method::cotinine);
    EXPECT_NEAR(a.estimates[2].value.value(), 140000.0, 1e-6);
    EXPECT_EQ(a.used.method, wbe::population_method::combined);
    EXPECT_NEAR(a.used.value.value(), 108399.95977303688, 1e-6);
    EXPECT_NEAR(a.used.rsd, 0.08714225259839355, 1e-12);
    ASSERT_TRUE(a.checked);
    EXPECT_NEAR(a.check.ratio, 1.4, 1e-12);
    EXPECT_TRUE(a.check.departs);

    const auto& b = pops[1];
    EXPECT_EQ(b.estimates.size(), 1u);
    EXPECT_EQ(b.used.method, wbe::population_method::census);
    EXPECT_EQ(b.used.value.value(), 1e5);
    EXPECT_FALSE(b.checked);
    ASSERT_EQ(b.notes.size(), 1u);
    EXPECT_EQ(b.notes[0], "cotinine: the site has no smoking_rate");

    const auto& c = pops[2];
    EXPECT_EQ(c.estimates.size(), 1u);
    EXPECT_NE(std::find(c.notes.begin(), c.notes.end(),
                        "NH4-N: no per-capita constant (no literature value; the calibration period holds 0 days with flow, 3 needed)"),
              c.notes.end());

    // Without the census in the combination the estimate used is the other methods' (140 000).
    o.census = false;
    EXPECT_NEAR(wbe::resolve_populations(sites, results, flows, wq, o)[0].used.value.value(), 140000.0, 1e-6);
    // Census only (the default options): every plant keeps its census figure.
    const auto census_only = wbe::resolve_populations(sites, results, flows, wq, wbe::population_options{});
    for (const auto& p : census_only) {
        EXPECT_EQ(p.used.value.value(), 1e5);
        EXPECT_FALSE(p.checked);
    }
}

// The campaign mean of a venue's indices: one sample gives back that sample's interval exactly
// (σ² = σ_F² + σ_E², the Fenton–Wilkinson moments of a single log-normal); samples without
// analysis error keep only the shared factor: v·exp(±z σ_F) (σ_F² = ln(1 + 0.25²) + ln(1 + 0.30²)).
TEST(VenueIndex, CampaignMeanHandWorked) {
    wbe::venue_index_inputs in;
    in.residue = concentration(500);
    in.cotinine = concentration(2000);
    in.cf = 5.0;
    in.cot.cigarettes_per_person_day = 2.5;
    in.cot.rsd = 0.30;
    const auto one = wbe::biomarker_normalised_index(in);
    const auto m1 = wbe::venue_campaign_mean({one.value}, in);
    EXPECT_EQ(m1.n, 1u);
    EXPECT_NEAR(m1.mean, 437.5, 1e-9);
    EXPECT_NEAR(m1.lower, one.lower, 1e-9);
    EXPECT_NEAR(m1.upper, one.upper, 1e-9);
    // Two samples: the independent analysis errors partly average out, the shared factor not.
    const auto m2 = wbe::venue_campaign_mean({437.5, 437.5}, in);
    EXPECT_LT(m2.upper - m2.lower, m1.upper - m1.lower);
    in.rsd_residue_analysis = in.rsd_cotinine_analysis = 0.0;
    const auto shared_only = wbe::venue_campaign_mean({437.5, 437.5, 437.5}, in);
    const double sigma_f = std::sqrt(std::log1p(0.25 * 0.25) + std::log1p(0.30 * 0.30));
    EXPECT_NEAR(shared_only.lower, 437.5 * std::exp(-1.959963984540054 * sigma_f), 1e-9);
    EXPECT_NEAR(shared_only.upper, 437.5 * std::exp(1.959963984540054 * sigma_f), 1e-9);
    EXPECT_GT(m2.upper - m2.lower, shared_only.upper - shared_only.lower);
    // No value: NaN, n = 0.
    const auto none = wbe::venue_campaign_mean({}, in);
    EXPECT_EQ(none.n, 0u);
    EXPECT_TRUE(std::isnan(none.mean));
}
