// Tests for wbe/core/estimate.hpp: the deterministic estimate on a small hand-worked city.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "test_support.hpp"
#include "wbe/core/estimate.hpp"

namespace {

// digits_of_agreement scores a NaN result as 17 digits (std::min(17, NaN) is 17): score it 0 here.
double digits_of_agreement(double actual, double expected) {
    return std::isnan(actual) ? 0.0 : wbe::test::digits_of_agreement(actual, expected);
}
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// ------------------------------------------------------------------------------------------------
// The fixture city "Testville", campaign 2024Q1, three sample days:
//   Mon 2024-01-01 = day 19723 (EUDA weekend), Tue 19724 and Wed 19725 (EUDA weekdays).
//
// Sites (district "North" for all):
//   P1  wwtp, 200 000 inh      P2  wwtp, 50 000 inh      V1  venue (karaoke), no population
//
// Models (science.md §2): methamphetamine CF = (149.24/149.24)/0.43 = 100/43, dose 30 mg;
//   amphetamine CF = (135.21/135.21)/0.36 = 100/36, dose 30 mg; ketamine CF 5 (given directly),
//   dose 100 mg; norketamine: no drug. Also benzoylecgonine, never measured here.
//
// Flows [m³/d]:  P1: 100 000 (Mon), 80 000 (Tue), 120 000 (Wed)
//                P2: none on Mon (→ warning, NaN indices), 20 000 (Tue), 25 000 (Wed)
//
// Hand-computed daily chain (L = C × Q × 1e-3 mg/d; PNL = L / P × 1000; Cons = PNL × CF):
// P1 (P = 200 000)
//   METH  Mon 200 ng/L → L 20 000 → PNL 100 → Cons 10000/43; doses 1000/129
//         Tue 300      → L 24 000 → PNL 120 → Cons 12000/43
//         Wed 100      → L 12 000 → PNL  60 → Cons  6000/43
//   AMP   Mon  40 → L 4 000; illicit = 4000 − 0.09 × 20000 = 2 200 → PNL 11  → Cons 11/0.36 = 275/9
//         Tue  30 → L 2 400; illicit = 2400 − 0.09 × 24000 =   240 → PNL 1.2 → Cons 1.2/0.36 = 10/3
//         Wed   5 → L   600; 600 − 0.09 × 12000 < 0 → 0         → PNL 0   → Cons 0
//   KET   Mon  50 → L 5 000 → PNL 25 → Cons 125, doses 1.25
//         Tue <LOQ (LOD 0.5, LOQ 2) → LOQ/2 = 1 ng/L → L 80 → PNL 0.4 → Cons 2, doses 0.02
//         Wed  20 → L 2 400 → PNL 12 → Cons 60
//   NK    Mon 10 → PNL 5;  Tue 4 → L 320 → PNL 1.6;  Wed 8 → L 960 → PNL 4.8;  no consumption
// P2 (P = 50 000)
//   METH  Mon 400 (no flow); Tue 500 → L 10 000 → PNL 200; Wed 200 → L 5 000 → PNL 100
//   AMP   Mon  50 (no flow); Tue 60 → L 1 200 − 900 = 300 → PNL 6; Wed 20 → L 500 − 450 = 50 → PNL 1
// V1 (venue: concentrations only)
//   KET   Mon 1000, Tue 800      NK  Mon <LOD (LOD 1, LOQ 5) → LOD/2 = 0.5, Tue 200
// Two more results are skipped: P1 cotinine (unknown analyte) and site X9 (unknown site).
// ------------------------------------------------------------------------------------------------

constexpr wbe::day_number mon = 19723, tue = 19724, wed = 19725;

wbe::parameter param(double v, wbe::evidence e) {
    wbe::parameter p;
    p.value = v;
    p.evidence_level = e;
    return p;
}
constexpr auto confirmed = wbe::evidence::confirmed;
constexpr auto unconfirmed = wbe::evidence::unconfirmed;

wbe::residue_model residue(std::string id, double mw, std::string drug, double f, wbe::evidence f_ev, double dose,
                           wbe::evidence dose_ev) {
    wbe::residue_model r;
    r.residue = id;
    r.molecular_weight = param(mw, confirmed);
    if (!drug.empty()) {
        wbe::drug_model d;
        d.name = std::move(drug);
        d.molecular_weight = param(mw, confirmed);
        d.excretion_fraction = param(f, f_ev);
        d.dose = param(dose, dose_ev);
        r.drug = d;
    }
    return r;
}

wbe::model_set models() {
    wbe::model_set m;
    m.name = "test";
    m.residues.push_back(residue("methamphetamine", 149.24, "methamphetamine", 0.43, confirmed, 30, unconfirmed));
    m.residues.push_back(residue("amphetamine", 135.21, "amphetamine", 0.36, unconfirmed, 30, unconfirmed));
    auto ket = residue("ketamine", 237.73, "ketamine", nan, unconfirmed, 100, unconfirmed);
    ket.aliases = {"KET"};
    ket.drug->correction_factor = param(5.0, confirmed);  // the unconfirmed (absent) F is not used
    m.residues.push_back(ket);
    m.residues.push_back(residue("norketamine", 223.70, "", nan, unconfirmed, nan, unconfirmed));
    auto be = residue("benzoylecgonine", 289.33, "cocaine", 0.35, unconfirmed, 100, unconfirmed);
    be.drug->molecular_weight = param(303.36, unconfirmed);
    m.residues.push_back(be);
    return m;
}

wbe::site plant(std::string id, double population) {
    wbe::site s;
    s.id = std::move(id);
    s.name = s.id;
    s.kind = "wwtp";
    s.district = "North";
    s.population = population;
    return s;
}

std::vector<wbe::site> sites() {
    wbe::site v;
    v.id = "V1";
    v.kind = "venue";
    v.venue_type = "karaoke";
    v.district = "North";
    return {plant("P1", 200000.0), plant("P2", 50000.0), v};
}

wbe::assay_result result(const std::string& site, wbe::day_number day, const std::string& analyte, double value,
                         wbe::qualifier q = wbe::qualifier::detected, double lod = 0.5, double loq = 2.0) {
    wbe::assay_result r;
    r.batch_id = "B1";
    r.sample_id = site + "-" + std::to_string(day);
    r.site_id = site;
    r.day = day;
    r.analyte = analyte;
    r.conc = {q == wbe::qualifier::detected ? value : nan, q, lod, loq};
    return r;
}

std::vector<wbe::assay_result> results() {
    using q = wbe::qualifier;
    return {
        result("P1", mon, "methamphetamine", 200), result("P1", tue, "methamphetamine", 300),
        result("P1", wed, "methamphetamine", 100), result("P1", mon, "amphetamine", 40),
        result("P1", tue, "amphetamine", 30),      result("P1", wed, "amphetamine", 5),
        result("P1", mon, "ketamine", 50),         result("P1", tue, "ketamine", nan, q::below_loq, 0.5, 2.0),
        result("P1", wed, "ketamine", 20),         result("P1", mon, "norketamine", 10),
        result("P1", tue, "norketamine", 4),       result("P1", wed, "norketamine", 8),
        result("P2", mon, "methamphetamine", 400), result("P2", tue, "methamphetamine", 500),
        result("P2", wed, "methamphetamine", 200), result("P2", mon, "amphetamine", 50),
        result("P2", tue, "amphetamine", 60),      result("P2", wed, "amphetamine", 20),
        result("V1", mon, "KET", 1000),            result("V1", tue, "ketamine", 800),
        result("V1", mon, "norketamine", nan, q::below_lod, 1.0, 5.0),
        result("V1", tue, "norketamine", 200),
        result("P1", mon, "cotinine", 900),        result("X9", mon, "methamphetamine", 100),
    };
}

std::vector<wbe::flow_record> flows() {
    return {{"P1", mon, 100000.0, "flows.csv"}, {"P1", tue, 80000.0, "flows.csv"}, {"P1", wed, 120000.0, "flows.csv"},
            {"P2", tue, 20000.0, "flows.csv"},  {"P2", wed, 25000.0, "flows.csv"}};
}

wbe::estimate_result run(const wbe::estimate_options& o = {}) {
    return wbe::estimate(sites(), results(), flows(), models(), o, "Testville");
}

const wbe::daily_estimate* find_daily(const wbe::estimate_result& r, std::string_view site, std::string_view analyte,
                                      wbe::day_number day) {
    for (const auto& d : r.daily)
        if (d.site_id == site && d.analyte == analyte && d.day == day) return &d;
    return nullptr;
}

const wbe::campaign_estimate* find_campaign(const wbe::estimate_result& r, std::string_view scope, std::string_view id,
                                            std::string_view analyte) {
    for (const auto& c : r.campaigns)
        if (c.scope == scope && c.id == id && c.analyte == analyte) return &c;
    return nullptr;
}

// NaN expected → NaN; 0 expected → exactly 0; otherwise ≥ 12 digits of agreement.
void expect_value(double actual, double expected, const char* what) {
    if (std::isnan(expected))
        EXPECT_TRUE(std::isnan(actual)) << what << " = " << actual << ", expected NaN";
    else if (expected == 0.0)
        EXPECT_EQ(actual, 0.0) << what;
    else
        EXPECT_GE(digits_of_agreement(actual, expected), 12) << what << " = " << actual << ", expected " << expected;
}

// ---- daily values ------------------------------------------------------------------------------

TEST(Estimate, DailyPlantChain) {
    const auto r = run();
    const auto* d = find_daily(r, "P1", "methamphetamine", mon);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->site_kind, "wwtp");
    EXPECT_EQ(d->sample_id, "P1-19723");
    EXPECT_EQ(d->campaign, "2024Q1");
    EXPECT_EQ(d->drug, "methamphetamine");
    EXPECT_EQ(d->censoring, "detected");
    EXPECT_EQ(d->note, "");
    expect_value(d->conc_ng_per_l, 200, "conc");
    expect_value(d->flow_m3_per_day, 100000, "flow");
    expect_value(d->load_mg_per_day, 20000, "load");      // hand-computed (header)
    expect_value(d->population, 200000, "population");
    expect_value(d->pnl, 100, "pnl");                      // 20000 / 200000 × 1000
    expect_value(d->consumption, 10000.0 / 43.0, "cons");  // 100 / 0.43
    expect_value(d->doses, 1000.0 / 129.0, "doses");       // 10000/43 / 30

    const auto* k = find_daily(r, "P1", "ketamine", wed);
    ASSERT_NE(k, nullptr);
    expect_value(k->pnl, 12, "ket pnl");          // 20 × 120000 × 1e-3 / 200000 × 1000
    expect_value(k->consumption, 60, "ket cons"); // 12 × 5
    expect_value(k->doses, 0.6, "ket doses");     // 60 / 100
}

TEST(Estimate, DailyCensoredValueIsSubstituted) {
    const auto r = run();
    const auto* k = find_daily(r, "P1", "ketamine", tue);
    ASSERT_NE(k, nullptr);
    EXPECT_EQ(k->qual, wbe::qualifier::below_loq);
    EXPECT_EQ(k->censoring, "loq_half");
    expect_value(k->conc_ng_per_l, 1.0, "conc");    // LOQ/2 = 2/2
    expect_value(k->load_mg_per_day, 80, "load");   // 1 × 80000 × 1e-3
    expect_value(k->pnl, 0.4, "pnl");
    expect_value(k->consumption, 2.0, "cons");
    expect_value(k->doses, 0.02, "doses");
    const auto* nk = find_daily(r, "V1", "norketamine", mon);
    ASSERT_NE(nk, nullptr);
    EXPECT_EQ(nk->qual, wbe::qualifier::below_lod);
    EXPECT_EQ(nk->censoring, "lod_half");
    expect_value(nk->conc_ng_per_l, 0.5, "conc");  // LOD/2 = 1/2
}

TEST(Estimate, DailyAmphetamineCorrection) {
    const auto r = run();
    const std::string note = "corrected: max(0, AMP - 0.09 x METH)";
    const auto* mon_amp = find_daily(r, "P1", "amphetamine", mon);
    ASSERT_NE(mon_amp, nullptr);
    expect_value(mon_amp->load_mg_per_day, 2200, "load");     // 4000 − 0.09 × 20000
    expect_value(mon_amp->pnl, 11, "pnl");
    expect_value(mon_amp->consumption, 275.0 / 9.0, "cons");  // 11 / 0.36
    expect_value(mon_amp->doses, 55.0 / 54.0, "doses");       // 275/9 / 30
    EXPECT_EQ(mon_amp->note, note);
    const auto* wed_amp = find_daily(r, "P1", "amphetamine", wed);
    ASSERT_NE(wed_amp, nullptr);
    expect_value(wed_amp->load_mg_per_day, 0.0, "clamped load");  // 600 − 1080 < 0 → 0
    expect_value(wed_amp->consumption, 0.0, "clamped cons");
    expect_value(find_daily(r, "P2", "amphetamine", wed)->pnl, 1.0, "P2 wed pnl");  // (500 − 450) / 50000 × 1000
    // methamphetamine itself is not corrected
    EXPECT_EQ(find_daily(r, "P1", "methamphetamine", mon)->note, "");
    EXPECT_EQ(r.summary.n_corrected_amphetamine, 5u);  // P1 × 3 days, P2 × 2 days with flow
}

TEST(Estimate, DailyAmphetamineCorrectionCanBeTurnedOff) {
    wbe::estimate_options o;
    o.amphetamine_correction = false;
    const auto r = run(o);
    const auto* a = find_daily(r, "P1", "amphetamine", mon);
    ASSERT_NE(a, nullptr);
    expect_value(a->pnl, 20, "pnl");  // hand-computed: 40 × 100000 × 1e-3 / 200000 × 1000
    EXPECT_EQ(a->note, "");
    EXPECT_EQ(r.summary.n_corrected_amphetamine, 0u);
}

TEST(Estimate, DailyMissingFlowGivesNaNIndicesAndAWarning) {
    const auto r = run();
    for (const char* analyte : {"methamphetamine", "amphetamine"}) {
        const auto* d = find_daily(r, "P2", analyte, mon);
        ASSERT_NE(d, nullptr) << analyte;
        EXPECT_EQ(d->note, "no flow for this day") << analyte;
        EXPECT_TRUE(std::isnan(d->flow_m3_per_day));
        EXPECT_TRUE(std::isnan(d->load_mg_per_day));
        EXPECT_TRUE(std::isnan(d->pnl));
        EXPECT_TRUE(std::isnan(d->consumption));
        EXPECT_TRUE(std::isnan(d->doses));
        EXPECT_FALSE(std::isnan(d->conc_ng_per_l));  // the concentration is still reported
    }
    EXPECT_EQ(r.summary.n_missing_flow, 2u);
    ASSERT_FALSE(r.summary.warnings.empty());
    EXPECT_EQ(r.summary.warnings.back(), "2 plant results have no flow for their day: their indices are missing");
}

TEST(Estimate, DailyVenueCarriesConcentrationOnly) {
    const auto r = run();
    const auto* k = find_daily(r, "V1", "ketamine", mon);  // written as the alias "KET"
    ASSERT_NE(k, nullptr);
    EXPECT_EQ(k->analyte, "ketamine");
    EXPECT_EQ(k->site_kind, "venue");
    expect_value(k->conc_ng_per_l, 1000, "conc");
    for (double x : {k->flow_m3_per_day, k->load_mg_per_day, k->population, k->pnl, k->consumption, k->doses})
        EXPECT_TRUE(std::isnan(x));
    EXPECT_EQ(k->note, "");
}

TEST(Estimate, DailyRowsAreSortedBySiteAnalyteDay) {
    const auto r = run();
    ASSERT_EQ(r.daily.size(), 22u);
    EXPECT_EQ(r.daily.front().site_id, "P1");
    EXPECT_EQ(r.daily.front().analyte, "amphetamine");
    EXPECT_EQ(r.daily.front().day, mon);
    EXPECT_EQ(r.daily.back().site_id, "V1");
    EXPECT_EQ(r.daily.back().analyte, "norketamine");
    EXPECT_EQ(r.daily.back().day, tue);
    for (std::size_t i = 1; i < r.daily.size(); ++i) {
        const auto& a = r.daily[i - 1];
        const auto& b = r.daily[i];
        EXPECT_TRUE(std::tie(a.site_id, a.analyte, a.day) < std::tie(b.site_id, b.analyte, b.day)) << i;
    }
}

// ---- campaign values per site -----------------------------------------------------------------

TEST(Estimate, SiteCampaignMeans) {
    const auto r = run();
    const auto* c = find_campaign(r, "site", "P1", "methamphetamine");
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->campaign, "2024Q1");
    EXPECT_EQ(c->site_kind, "wwtp");
    EXPECT_EQ(c->drug, "methamphetamine");
    EXPECT_EQ(c->n_sites, 1u);
    EXPECT_EQ(c->n_samples, 3u);
    EXPECT_EQ(c->n_censored, 0u);
    EXPECT_EQ(c->censoring, "none");
    expect_value(c->conc_mean, 200, "conc");                   // (200 + 300 + 100) / 3
    expect_value(c->load_mean, 56000.0 / 3.0, "load");         // (20000 + 24000 + 12000) / 3
    expect_value(c->population, 200000, "population");
    expect_value(c->pnl_mean, 280.0 / 3.0, "pnl");             // (100 + 120 + 60) / 3
    expect_value(c->consumption_mean, 28000.0 / 129.0, "cons");// 280/3 / 0.43 = 217.054…
    expect_value(c->doses_mean, 2800.0 / 387.0, "doses");      // 28000/129 / 30
    // EUDA split (science.md §5): weekday = Tue, Wed; weekend = Mon
    EXPECT_EQ(c->n_weekday, 2u);
    expect_value(c->consumption_weekday, 9000.0 / 43.0, "weekday");  // (120 + 60) / 2 / 0.43
    EXPECT_EQ(c->n_weekend, 1u);
    expect_value(c->consumption_weekend, 10000.0 / 43.0, "weekend"); // 100 / 0.43
}

TEST(Estimate, SiteCampaignWithCensoredValue) {
    const auto r = run();
    const auto* k = find_campaign(r, "site", "P1", "ketamine");
    ASSERT_NE(k, nullptr);
    EXPECT_EQ(k->n_samples, 3u);
    EXPECT_EQ(k->n_censored, 1u);
    EXPECT_EQ(k->censoring, "loq_half");
    expect_value(k->conc_mean, 71.0 / 3.0, "conc");         // (50 + 1 + 20) / 3
    expect_value(k->consumption_mean, 187.0 / 3.0, "cons"); // (125 + 2 + 60) / 3
    expect_value(k->consumption_weekday, 31, "weekday");    // (2 + 60) / 2
    expect_value(k->consumption_weekend, 125, "weekend");
    expect_value(k->doses_mean, 0.62333333333333333, "doses");  // (1.25 + 0.02 + 0.6) / 3
    const auto* amp = find_campaign(r, "site", "P1", "amphetamine");
    ASSERT_NE(amp, nullptr);
    expect_value(amp->pnl_mean, 61.0 / 15.0, "amp pnl");            // (11 + 1.2 + 0) / 3
    expect_value(amp->consumption_mean, 305.0 / 27.0, "amp cons");  // 61/15 / 0.36
    expect_value(amp->consumption_weekday, 5.0 / 3.0, "amp weekday");// (1.2 + 0) / 2 / 0.36
    const auto* nk = find_campaign(r, "site", "P1", "norketamine");
    ASSERT_NE(nk, nullptr);
    EXPECT_EQ(nk->drug, "");
    expect_value(nk->pnl_mean, 3.8, "nk pnl");  // (5 + 1.6 + 4.8) / 3
    EXPECT_TRUE(std::isnan(nk->consumption_mean));
    EXPECT_EQ(nk->n_weekday + nk->n_weekend, 0u);  // no consumption values to split
}

TEST(Estimate, SiteCampaignWithAMissingFlowDay) {
    // P2's first day has no flow: the campaign keeps the plant's population and averages the two
    // days with indices.
    const auto r = run();
    const auto* c = find_campaign(r, "site", "P2", "methamphetamine");
    ASSERT_NE(c, nullptr);
    expect_value(c->population, 50000, "population");
    EXPECT_EQ(c->n_samples, 3u);                       // three concentrations
    expect_value(c->conc_mean, 1100.0 / 3.0, "conc");  // (400 + 500 + 200) / 3
    expect_value(c->load_mean, 7500, "load");          // (10000 + 5000) / 2
    expect_value(c->pnl_mean, 150, "pnl");             // (200 + 100) / 2
    expect_value(c->consumption_mean, 15000.0 / 43.0, "cons");
    EXPECT_EQ(c->n_weekday, 2u);
    expect_value(c->consumption_weekday, 15000.0 / 43.0, "weekday");
    EXPECT_EQ(c->n_weekend, 0u);
    EXPECT_TRUE(std::isnan(c->consumption_weekend));
}

TEST(Estimate, VenueCampaign) {
    const auto r = run();
    const auto* k = find_campaign(r, "site", "V1", "ketamine");
    ASSERT_NE(k, nullptr);
    EXPECT_EQ(k->site_kind, "venue");
    expect_value(k->conc_mean, 900, "conc");  // (1000 + 800) / 2
    EXPECT_EQ(k->censoring, "none");
    EXPECT_TRUE(std::isnan(k->pnl_mean));
    EXPECT_TRUE(std::isnan(k->population));
    const auto* nk = find_campaign(r, "site", "V1", "norketamine");
    ASSERT_NE(nk, nullptr);
    EXPECT_EQ(nk->n_censored, 1u);
    EXPECT_EQ(nk->censoring, "lod_half");
    expect_value(nk->conc_mean, 100.25, "conc");  // (0.5 + 200) / 2
}

// ---- districts and the city --------------------------------------------------------------------

TEST(Estimate, DistrictIsPopulationWeighted) {
    // hand-computed (science.md §1, Σ L_i / Σ P_i × 1000):
    //   Σ L = 56000/3 + 7500 = 78500/3 mg/d; Σ P = 250 000 → PNL = 314/3 = 104.667
    //   = (280/3 × 200 000 + 150 × 50 000) / 250 000 — not the plain mean (280/3 + 150)/2 = 121.667
    //   Cons = 314/3 / 0.43 = 31400/129; doses = 3140/387
    //   weekday: P1 90, P2 150 → (90 × 0.8 + 150 × 0.2) = 102 → 10200/43; weekend: P1 only, 10000/43
    const auto r = run();
    const auto* d = find_campaign(r, "district", "North", "methamphetamine");
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->campaign, "2024Q1");
    EXPECT_EQ(d->site_kind, "wwtp");
    EXPECT_EQ(d->drug, "methamphetamine");
    EXPECT_EQ(d->n_sites, 2u);
    EXPECT_EQ(d->n_samples, 6u);
    EXPECT_EQ(d->n_censored, 0u);
    EXPECT_EQ(d->censoring, "none");
    expect_value(d->population, 250000, "population");
    expect_value(d->load_mean, 78500.0 / 3.0, "load");
    expect_value(d->pnl_mean, 314.0 / 3.0, "pnl");
    expect_value(d->pnl_mean, d->load_mean / d->population * 1000.0, "pnl = ΣL/ΣP×1000");
    expect_value(d->consumption_mean, 31400.0 / 129.0, "cons");
    expect_value(d->doses_mean, 3140.0 / 387.0, "doses");
    EXPECT_EQ(d->n_weekday, 4u);
    expect_value(d->consumption_weekday, 10200.0 / 43.0, "weekday");
    EXPECT_EQ(d->n_weekend, 1u);
    expect_value(d->consumption_weekend, 10000.0 / 43.0, "weekend");
    EXPECT_TRUE(std::isnan(d->conc_mean));  // concentrations are not aggregated
}

TEST(Estimate, DistrictAmphetamineAndCensoredKetamine) {
    const auto r = run();
    // hand-computed: (61/15 × 200 000 + 3.5 × 50 000) / 250 000 = 593/150; / 0.36 = 593/54
    //   weekday: P1 0.6/0.36 = 5/3, P2 3.5/0.36 = 175/18 → 5/3 × 0.8 + 175/18 × 0.2 = 59/18
    const auto* a = find_campaign(r, "district", "North", "amphetamine");
    ASSERT_NE(a, nullptr);
    expect_value(a->pnl_mean, 593.0 / 150.0, "amp pnl");
    expect_value(a->consumption_mean, 593.0 / 54.0, "amp cons");
    expect_value(a->consumption_weekday, 59.0 / 18.0, "amp weekday");
    expect_value(a->consumption_weekend, 275.0 / 9.0, "amp weekend");  // P1 Monday only
    // ketamine: P1 alone (no ketamine at P2; venues never aggregate)
    const auto* k = find_campaign(r, "district", "North", "ketamine");
    ASSERT_NE(k, nullptr);
    EXPECT_EQ(k->n_sites, 1u);
    EXPECT_EQ(k->n_censored, 1u);
    EXPECT_EQ(k->censoring, "loq_half");
    expect_value(k->population, 200000, "population");
    expect_value(k->consumption_mean, 187.0 / 3.0, "cons");
    const auto* nk = find_campaign(r, "district", "North", "norketamine");
    ASSERT_NE(nk, nullptr);
    expect_value(nk->pnl_mean, 3.8, "nk pnl");
    EXPECT_TRUE(std::isnan(nk->consumption_mean));
}

TEST(Estimate, CityEqualsTheOnlyDistrict) {
    const auto r = run();
    for (const char* analyte : {"methamphetamine", "amphetamine", "ketamine", "norketamine"}) {
        const auto* d = find_campaign(r, "district", "North", analyte);
        const auto* c = find_campaign(r, "city", "Testville", analyte);
        ASSERT_NE(d, nullptr) << analyte;
        ASSERT_NE(c, nullptr) << analyte;
        EXPECT_EQ(c->n_sites, d->n_sites);
        expect_value(c->population, d->population, "population");
        expect_value(c->pnl_mean, d->pnl_mean, "pnl");
        expect_value(c->consumption_mean, d->consumption_mean, "cons");
    }
    expect_value(find_campaign(r, "city", "Testville", "methamphetamine")->consumption_mean, 31400.0 / 129.0, "city");
}

TEST(Estimate, CampaignRowsAreSortedSiteDistrictCity) {
    const auto r = run();
    ASSERT_EQ(r.campaigns.size(), 16u);  // 8 site rows (P1 × 4, P2 × 2, V1 × 2), 4 district, 4 city
    const char* expected[][3] = {
        {"site", "P1", "amphetamine"},         {"site", "P1", "ketamine"},
        {"site", "P1", "methamphetamine"},     {"site", "P1", "norketamine"},
        {"site", "P2", "amphetamine"},         {"site", "P2", "methamphetamine"},
        {"site", "V1", "ketamine"},            {"site", "V1", "norketamine"},
        {"district", "North", "amphetamine"},  {"district", "North", "ketamine"},
        {"district", "North", "methamphetamine"}, {"district", "North", "norketamine"},
        {"city", "Testville", "amphetamine"},  {"city", "Testville", "ketamine"},
        {"city", "Testville", "methamphetamine"}, {"city", "Testville", "norketamine"},
    };
    for (std::size_t i = 0; i < r.campaigns.size(); ++i) {
        EXPECT_EQ(r.campaigns[i].scope, expected[i][0]) << i;
        EXPECT_EQ(r.campaigns[i].id, expected[i][1]) << i;
        EXPECT_EQ(r.campaigns[i].analyte, expected[i][2]) << i;
    }
}

// ---- summary -----------------------------------------------------------------------------------

TEST(Estimate, SummaryCounts) {
    const auto s = run().summary;
    EXPECT_EQ(s.n_results, 24u);  // 12 P1 + 6 P2 + 4 V1 + 2 skipped
    EXPECT_EQ(s.n_daily, 22u);
    EXPECT_EQ(s.n_campaign, 16u);
    EXPECT_EQ(s.n_censored, 2u);  // P1 ketamine <LOQ, V1 norketamine <LOD
    EXPECT_EQ(s.n_missing_flow, 2u);
    EXPECT_EQ(s.n_corrected_amphetamine, 5u);
}

TEST(Estimate, SummaryWarnings) {
    const auto s = run().summary;
    const std::vector<std::string> expected{
        "result P1-19723/cotinine skipped: unknown analyte",
        "result X9-19723/methamphetamine skipped: unknown site",
        "2 plant results have no flow for their day: their indices are missing",
    };
    EXPECT_EQ(s.warnings, expected);
}

TEST(Estimate, SummaryListsUnconfirmedParametersOfUsedResidues) {
    // Used with a flow and a drug: amphetamine, ketamine, methamphetamine (norketamine has no drug,
    // benzoylecgonine was not measured). Ketamine's CF is given (confirmed), so its F is not listed.
    const std::vector<std::string> expected{"amphetamine.drug.excretion_fraction", "amphetamine.drug.dose",
                                            "ketamine.drug.dose", "methamphetamine.drug.dose"};
    EXPECT_EQ(run().summary.unconfirmed_parameters, expected);
}

// ---- options ----------------------------------------------------------------------------------

TEST(Estimate, CensoringPolicyFromOptions) {
    wbe::estimate_options o;
    o.censoring.below_loq = wbe::substitution::loq;  // <LOQ → LOQ = 2 ng/L
    o.censoring.below_lod = wbe::substitution::zero;
    const auto r = run(o);
    const auto* k = find_daily(r, "P1", "ketamine", tue);
    ASSERT_NE(k, nullptr);
    EXPECT_EQ(k->censoring, "loq");
    expect_value(k->consumption, 4.0, "cons");  // hand-computed: 2 × 80000 × 1e-3 / 200000 × 1000 × 5
    EXPECT_EQ(find_campaign(r, "site", "P1", "ketamine")->censoring, "loq");
    EXPECT_EQ(find_daily(r, "V1", "norketamine", mon)->conc_ng_per_l, 0.0);
}

TEST(Estimate, MonthlyCampaigns) {
    wbe::estimate_options o;
    o.period = wbe::campaign_period::month;
    const auto r = run(o);
    EXPECT_EQ(find_daily(r, "P1", "methamphetamine", mon)->campaign, "2024-01");
    EXPECT_EQ(find_campaign(r, "city", "Testville", "methamphetamine")->campaign, "2024-01");
}

TEST(Estimate, SorptionAndInSewerCorrections) {
    // One plant, the worked example of science.md §1 (200 ng/L, 100 000 m³/d, 500 000 inh → L 20 000),
    // with a sorbed fraction 0.2 and t½ = HRT = 10 h (hand-computed):
    //   sorption: 20 000 / 0.8 = 25 000; in-sewer: × exp(ln2 × 10/10) = × 2 → 50 000 mg/d
    //   PNL = 50 000 / 500 000 × 1000 = 100; Cons = 100 / 0.43 = 10000/43
    auto m = models();
    auto* meth = &m.residues[0];
    meth->sorption_fraction = param(0.2, unconfirmed);
    meth->in_sewer_half_life = param(10.0, unconfirmed);
    auto p = plant("P9", 500000.0);
    p.residence_time_h = 10.0;
    const std::vector<wbe::assay_result> res{result("P9", mon, "methamphetamine", 200)};
    const std::vector<wbe::flow_record> fl{{"P9", mon, 100000.0, ""}};

    wbe::estimate_options o;
    const auto plain = wbe::estimate({p}, res, fl, m, o);
    expect_value(plain.daily.at(0).load_mg_per_day, 20000, "no correction");  // science.md §1
    expect_value(plain.daily.at(0).pnl, 40, "no correction pnl");             // science.md §1

    o.sorption_correction = true;
    expect_value(wbe::estimate({p}, res, fl, m, o).daily.at(0).load_mg_per_day, 25000, "sorption");
    o.in_sewer_correction = true;
    const auto both = wbe::estimate({p}, res, fl, m, o);
    expect_value(both.daily.at(0).load_mg_per_day, 50000, "both");
    expect_value(both.daily.at(0).pnl, 100, "both pnl");
    expect_value(both.daily.at(0).consumption, 10000.0 / 43.0, "both cons");
    o.sorption_correction = false;
    expect_value(wbe::estimate({p}, res, fl, m, o).daily.at(0).load_mg_per_day, 40000, "in-sewer");
    // without a residence time the in-sewer correction does not apply
    p.residence_time_h = nan;
    expect_value(wbe::estimate({p}, res, fl, m, o).daily.at(0).load_mg_per_day, 20000, "no HRT");
}

TEST(Estimate, DistrictCensoringLabelListsEachRuleOnce) {
    // P1 has a <LOD and a <LOQ value, P2 a <LOD value: the district uses lod_half and loq_half.
    using q = wbe::qualifier;
    const std::vector<wbe::assay_result> res{
        result("P1", mon, "methamphetamine", nan, q::below_lod), result("P1", tue, "methamphetamine", nan, q::below_loq),
        result("P2", tue, "methamphetamine", nan, q::below_lod), result("P2", wed, "methamphetamine", 5)};
    const auto r = wbe::estimate(sites(), res, flows(), models(), {}, "Testville");
    EXPECT_EQ(find_campaign(r, "site", "P1", "methamphetamine")->censoring, "lod_half+loq_half");
    EXPECT_EQ(find_campaign(r, "site", "P2", "methamphetamine")->censoring, "lod_half");
    EXPECT_EQ(find_campaign(r, "district", "North", "methamphetamine")->censoring, "lod_half+loq_half");
    EXPECT_EQ(find_campaign(r, "district", "North", "methamphetamine")->n_censored, 3u);
}

TEST(Estimate, PlantWithoutPopulationGivesNaNIndicesAlsoForCorrectedAmphetamine) {
    // The kernel gives NaN for a population ≤ 0 or NaN; the amphetamine correction must do the same,
    // not throw. Loads do not need a population (hand-computed: 40 × 1e5 × 1e-3 − 0.09 × 200 × 1e5 × 1e-3
    // = 4000 − 1800 = 2200 mg/d).
    for (double pop : {nan, 0.0}) {
        SCOPED_TRACE(pop);
        const std::vector<wbe::assay_result> res{result("P9", mon, "methamphetamine", 200),
                                                 result("P9", mon, "amphetamine", 40)};
        const std::vector<wbe::flow_record> fl{{"P9", mon, 100000.0, ""}};
        wbe::estimate_result r;
        ASSERT_NO_THROW(r = wbe::estimate({plant("P9", pop)}, res, fl, models(), {}));
        const auto* a = find_daily(r, "P9", "amphetamine", mon);
        ASSERT_NE(a, nullptr);
        expect_value(a->load_mg_per_day, 2200, "load");
        EXPECT_TRUE(std::isnan(a->pnl));
        EXPECT_TRUE(std::isnan(a->consumption));
        EXPECT_TRUE(std::isnan(a->doses));
        EXPECT_TRUE(std::isnan(find_daily(r, "P9", "methamphetamine", mon)->pnl));
    }
}

TEST(Estimate, EmptyInputs) {
    const auto r = wbe::estimate({}, {}, {}, wbe::model_set{}, {});
    EXPECT_TRUE(r.daily.empty());
    EXPECT_TRUE(r.campaigns.empty());
    EXPECT_EQ(r.summary.n_results, 0u);
    EXPECT_TRUE(r.summary.warnings.empty());
    EXPECT_TRUE(r.summary.unconfirmed_parameters.empty());
}

// ---- invariant: the order of inputs does not change results (style.md habit 6) -----------------

bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

void expect_same(const wbe::estimate_result& a, const wbe::estimate_result& b) {
    ASSERT_EQ(a.daily.size(), b.daily.size());
    for (std::size_t i = 0; i < a.daily.size(); ++i) {
        const auto &x = a.daily[i], &y = b.daily[i];
        SCOPED_TRACE("daily " + std::to_string(i));
        EXPECT_EQ(x.site_id, y.site_id);
        EXPECT_EQ(x.site_kind, y.site_kind);
        EXPECT_EQ(x.sample_id, y.sample_id);
        EXPECT_EQ(x.day, y.day);
        EXPECT_EQ(x.campaign, y.campaign);
        EXPECT_EQ(x.analyte, y.analyte);
        EXPECT_EQ(x.drug, y.drug);
        EXPECT_EQ(x.qual, y.qual);
        EXPECT_EQ(x.censoring, y.censoring);
        EXPECT_TRUE(same(x.conc_ng_per_l, y.conc_ng_per_l));
        EXPECT_TRUE(same(x.flow_m3_per_day, y.flow_m3_per_day));
        EXPECT_TRUE(same(x.load_mg_per_day, y.load_mg_per_day));
        EXPECT_TRUE(same(x.population, y.population));
        EXPECT_TRUE(same(x.pnl, y.pnl));
        EXPECT_TRUE(same(x.consumption, y.consumption));
        EXPECT_TRUE(same(x.doses, y.doses));
        EXPECT_EQ(x.note, y.note);
    }
    ASSERT_EQ(a.campaigns.size(), b.campaigns.size());
    for (std::size_t i = 0; i < a.campaigns.size(); ++i) {
        const auto &x = a.campaigns[i], &y = b.campaigns[i];
        SCOPED_TRACE("campaign " + std::to_string(i));
        EXPECT_EQ(x.scope, y.scope);
        EXPECT_EQ(x.id, y.id);
        EXPECT_EQ(x.site_kind, y.site_kind);
        EXPECT_EQ(x.campaign, y.campaign);
        EXPECT_EQ(x.analyte, y.analyte);
        EXPECT_EQ(x.drug, y.drug);
        EXPECT_EQ(x.n_samples, y.n_samples);
        EXPECT_EQ(x.n_censored, y.n_censored);
        EXPECT_EQ(x.n_sites, y.n_sites);
        EXPECT_TRUE(same(x.conc_mean, y.conc_mean));
        EXPECT_TRUE(same(x.load_mean, y.load_mean));
        EXPECT_TRUE(same(x.population, y.population));
        EXPECT_TRUE(same(x.pnl_mean, y.pnl_mean));
        EXPECT_TRUE(same(x.consumption_mean, y.consumption_mean));
        EXPECT_TRUE(same(x.doses_mean, y.doses_mean));
        EXPECT_EQ(x.n_weekday, y.n_weekday);
        EXPECT_TRUE(same(x.consumption_weekday, y.consumption_weekday));
        EXPECT_EQ(x.n_weekend, y.n_weekend);
        EXPECT_TRUE(same(x.consumption_weekend, y.consumption_weekend));
        EXPECT_EQ(x.censoring, y.censoring);
    }
    const auto &s = a.summary, &t = b.summary;
    EXPECT_EQ(s.n_results, t.n_results);
    EXPECT_EQ(s.n_daily, t.n_daily);
    EXPECT_EQ(s.n_campaign, t.n_campaign);
    EXPECT_EQ(s.n_censored, t.n_censored);
    EXPECT_EQ(s.n_missing_flow, t.n_missing_flow);
    EXPECT_EQ(s.n_corrected_amphetamine, t.n_corrected_amphetamine);
    EXPECT_EQ(s.unconfirmed_parameters, t.unconfirmed_parameters);
    EXPECT_EQ(s.warnings, t.warnings);
}

TEST(Estimate, OrderOfInputsDoesNotChangeResults) {
    const auto reference = run();
    std::mt19937_64 rng(2024);
    for (int trial = 0; trial < 10; ++trial) {
        SCOPED_TRACE("shuffle " + std::to_string(trial));
        auto r = results();
        auto f = flows();
        auto s = sites();
        auto m = models();
        std::shuffle(r.begin(), r.end(), rng);
        std::shuffle(f.begin(), f.end(), rng);
        std::shuffle(s.begin(), s.end(), rng);
        std::shuffle(m.residues.begin(), m.residues.end(), rng);
        expect_same(reference, wbe::estimate(s, r, f, m, {}, "Testville"));
    }
    // and the reversed order
    auto r = results();
    std::reverse(r.begin(), r.end());
    expect_same(reference, wbe::estimate(sites(), r, flows(), models(), {}, "Testville"));
}

}  // namespace
