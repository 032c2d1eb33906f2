// Tests for wbe/core/uncertainty.hpp: the uncertainty settings of a run, and what they do in
// estimate() (intervals, exceedance probabilities, overrides, inputs' own RSDs) and in the
// threshold flags (exceeds / possible / indeterminate).

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "wbe/core/estimate.hpp"
#include "wbe/core/threshold.hpp"
#include "wbe/core/uncertainty.hpp"

namespace {

using namespace wbe;
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double z975 = 1.959963984540054;  // Φ⁻¹(0.975)
double s2(double rsd) { return std::log1p(rsd * rsd); }

// ---- names and defaults -------------------------------------------------------------------------

TEST(Uncertainty, MethodNames) {
    for (auto m : {uncertainty_method::none, uncertainty_method::monte_carlo, uncertainty_method::analytic}) {
        uncertainty_method out = uncertainty_method::none;
        ASSERT_TRUE(parse_uncertainty_method(to_string(m), out)) << to_string(m);
        EXPECT_EQ(out, m);
    }
    EXPECT_EQ(to_string(uncertainty_method::monte_carlo), "monte_carlo");
    EXPECT_EQ(to_string(uncertainty_method::analytic), "analytic");
    EXPECT_EQ(to_string(uncertainty_method::none), "none");
    uncertainty_method out = uncertainty_method::analytic;
    EXPECT_FALSE(parse_uncertainty_method("montecarlo", out));
    EXPECT_FALSE(parse_uncertainty_method("", out));
    EXPECT_EQ(out, uncertainty_method::analytic);
    EXPECT_EQ(to_string(censored_draws::uniform), "uniform");
    EXPECT_EQ(to_string(censored_draws::substitute), "substitute");
}

TEST(Uncertainty, DefaultsAreThoseOfScienceSection3) {
    // science.md §3: analysis 15% (Castiglioni 2013), sampling 10% (Ort 2010), flow 10%,
    // population 10% when the site gives none, excretion/CF 25% when the model gives none; all
    // log-normal with median 1, so that the deterministic value is the median.
    const uncertainty_components c;
    for (const auto& [d, rsd, name] : {std::tuple{c.analysis, 0.15, "analysis"}, std::tuple{c.sampling, 0.10, "sampling"},
                                       std::tuple{c.flow, 0.10, "flow"}, std::tuple{c.population, 0.10, "population"},
                                       std::tuple{c.excretion, 0.25, "excretion"}}) {
        EXPECT_EQ(d.family, distribution_family::lognormal) << name;
        EXPECT_EQ(d.rsd, rsd) << name;
        EXPECT_EQ(d.center, lognormal_center::median) << name;
    }
    const uncertainty_options o;
    EXPECT_EQ(o.method, uncertainty_method::none);  // estimate() is deterministic unless asked
    EXPECT_TRUE(o.from_inputs);
    EXPECT_EQ(o.p_exceeds, 0.95);
    EXPECT_EQ(o.p_possible, 0.5);
    EXPECT_TRUE(o.overrides.empty());
    EXPECT_EQ(o.mc.draws, 10000u);  // Jones et al. 2014: ≥ 10 000 draws
    EXPECT_EQ(o.mc.interval, 0.95);
    EXPECT_EQ(o.mc.seed, 20241130u);
    EXPECT_EQ(o.mc.censored, censored_draws::uniform);
    EXPECT_EQ(estimate_options{}.uncertainty.method, uncertainty_method::none);
    const flag_options f;
    EXPECT_EQ(f.p_exceeds, 0.95);
    EXPECT_EQ(f.p_possible, 0.5);
}

// ---- estimate() with uncertainty ----------------------------------------------------------------
//
// Fixture: campaign 2024Q1, days Mon 19723, Tue 19724, Wed 19725; district "D" = P1 + P2.
//   P1 wwtp, 100 000 inh; P2 wwtp, 50 000 inh; V1 venue.
//   ketamine: CF 2.5 given directly; methamphetamine: F 0.4, same MW → CF 1/0.4 = 2.5.
//   Flows [m³/d]: P1 50 000 (Mon), 40 000 (Tue), 60 000 (Wed); P2 20 000 (Tue), 25 000 (Wed).
// Daily consumption = C × Q × 10⁻³ / P × 1000 × 2.5:
//   P1 KET  Mon 100 ng/L (method M2) → 125;  Tue 120 → 120;  Wed <LOQ (LOD 0.5, LOQ 2), LOQ/2 = 1 → 1.5
//       campaign (125 + 120 + 1.5)/3 = 82.1666…; Wed at 0 → 245/3, at LOQ (2 → 3) → 248/3
//   P1 METH Mon 40 → 50; Tue 50 → 50; Wed 30 → 45;  campaign 145/3
//   P2 KET  Tue 200 → 200; Wed 300 → 375;  campaign 287.5
//   V1 KET  Mon 1000, Tue 800 ng/L (concentrations only)

constexpr day_number mon = 19723, tue = 19724, wed = 19725;

parameter param(double v, double rsd = nan) {
    parameter p;
    p.value = v;
    p.rsd = rsd;
    p.evidence_level = evidence::confirmed;
    return p;
}

model_set models(double ket_cf_rsd = nan) {
    model_set m;
    m.name = "test";
    residue_model ket;
    ket.residue = "ketamine";
    ket.molecular_weight = param(237.73);
    drug_model kd;
    kd.name = "ketamine";
    kd.molecular_weight = param(237.73);
    kd.correction_factor = param(2.5, ket_cf_rsd);
    kd.dose = param(100);
    ket.drug = kd;
    m.residues.push_back(ket);
    residue_model meth;
    meth.residue = "methamphetamine";
    meth.molecular_weight = param(149.24);
    drug_model md;
    md.name = "methamphetamine";
    md.molecular_weight = param(149.24);
    md.excretion_fraction = param(0.4);
    md.dose = param(30);
    meth.drug = md;
    m.residues.push_back(meth);
    return m;
}

site plant(std::string id, double pop, double pop_rsd = nan) {
    site s;
    s.id = std::move(id);
    s.kind = "wwtp";
    s.district = "D";
    s.population = pop;
    s.population_rsd = pop_rsd;
    return s;
}

std::vector<site> sites(double p1_pop_rsd = nan) {
    site v;
    v.id = "V1";
    v.kind = "venue";
    v.district = "D";
    return {plant("P1", 100000, p1_pop_rsd), plant("P2", 50000), v};
}

assay_result result(const std::string& s, day_number d, const std::string& analyte, double value, std::string method = "M1",
                    qualifier q = qualifier::detected) {
    assay_result r;
    r.batch_id = "B1";
    r.sample_id = s + "-" + std::to_string(d);
    r.site_id = s;
    r.day = d;
    r.analyte = analyte;
    r.method_id = std::move(method);
    r.conc = {q == qualifier::detected ? value : nan, q, 0.5, 2.0};
    return r;
}

std::vector<assay_result> results() {
    return {result("P1", mon, "ketamine", 100, "M2"),
            result("P1", tue, "ketamine", 120),
            result("P1", wed, "ketamine", nan, "M1", qualifier::below_loq),
            result("P1", mon, "methamphetamine", 40),
            result("P1", tue, "methamphetamine", 50),
            result("P1", wed, "methamphetamine", 30),
            result("P2", tue, "ketamine", 200),
            result("P2", wed, "ketamine", 300),
            result("V1", mon, "ketamine", 1000),
            result("V1", tue, "ketamine", 800)};
}

std::vector<flow_record> flows() {
    return {{"P1", mon, 50000, "f"}, {"P1", tue, 40000, "f"}, {"P1", wed, 60000, "f"}, {"P2", tue, 20000, "f"}, {"P2", wed, 25000, "f"}};
}

estimate_options mc_options_for(uncertainty_method m = uncertainty_method::monte_carlo, std::size_t draws = 2000) {
    estimate_options o;
    o.uncertainty.method = m;
    o.uncertainty.mc.draws = draws;
    o.uncertainty.mc.threads = 1;
    return o;
}

estimate_result run(const estimate_options& o, double p1_pop_rsd = nan, double ket_cf_rsd = nan) {
    return estimate(sites(p1_pop_rsd), results(), flows(), models(ket_cf_rsd), o, "Town");
}

const campaign_estimate& row(const estimate_result& r, const std::string& scope, const std::string& id, const std::string& analyte) {
    for (const auto& c : r.campaigns)
        if (c.scope == scope && c.id == id && c.analyte == analyte) return c;
    throw std::runtime_error("no row " + scope + "/" + id + "/" + analyte);
}
const daily_estimate& daily(const estimate_result& r, const std::string& s, const std::string& analyte, day_number d) {
    for (const auto& x : r.daily)
        if (x.site_id == s && x.analyte == analyte && x.day == d) return x;
    throw std::runtime_error("no daily row");
}

bool same(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }
bool same_interval(const campaign_estimate& a, const campaign_estimate& b) {
    return same(a.consumption_median, b.consumption_median) && same(a.consumption_lower, b.consumption_lower) &&
           same(a.consumption_upper, b.consumption_upper) && same(a.consumption_mc_mean, b.consumption_mc_mean) &&
           same(a.consumption_sd, b.consumption_sd);
}

TEST(Uncertainty, DeterministicChainOfTheFixture) {
    // The hand values of the header, so that the uncertainty tests below stand on them.
    const auto r = run(estimate_options{});
    EXPECT_NEAR(row(r, "site", "P1", "ketamine").consumption_mean, 246.5 / 3, 1e-12);
    EXPECT_NEAR(row(r, "site", "P1", "methamphetamine").consumption_mean, 145.0 / 3, 1e-12);
    EXPECT_NEAR(row(r, "site", "P2", "ketamine").consumption_mean, 287.5, 1e-12);
    EXPECT_EQ(row(r, "site", "P1", "ketamine").uncertainty, "none");
    EXPECT_TRUE(std::isnan(row(r, "site", "P1", "ketamine").consumption_median));
    EXPECT_EQ(r.summary.n_uncertainty_units, 0u);
}

TEST(Uncertainty, IntervalsForPlantsAndAggregatesNotForVenues) {
    const auto r = run(mc_options_for());
    std::size_t with = 0;
    for (const auto& c : r.campaigns) {
        if (c.site_kind == "venue") {
            EXPECT_EQ(c.uncertainty, "none") << c.id;
            EXPECT_TRUE(std::isnan(c.consumption_median)) << c.id;
            EXPECT_TRUE(std::isnan(c.consumption_lower)) << c.id;
            EXPECT_TRUE(std::isnan(c.p_exceed_watch)) << c.id;
            continue;
        }
        ++with;
        EXPECT_EQ(c.uncertainty, "monte_carlo") << c.scope << " " << c.id << " " << c.analyte;
        EXPECT_LT(c.consumption_lower, c.consumption_median) << c.scope << " " << c.id;
        EXPECT_LT(c.consumption_median, c.consumption_upper) << c.scope << " " << c.id;
        EXPECT_GT(c.consumption_sd, 0.0);
        EXPECT_TRUE(std::isfinite(c.consumption_mc_mean));
        // The median of median-1 factors sits near the deterministic mean (well inside the interval).
        EXPECT_LT(c.consumption_lower, c.consumption_mean);
        EXPECT_GT(c.consumption_upper, c.consumption_mean);
    }
    // site P1 ×2, P2 ×1; district D ×2; city Town ×2.
    EXPECT_EQ(with, 7u);
    EXPECT_EQ(r.summary.n_uncertainty_units, 7u);
    for (const auto& d : r.daily) {
        if (d.site_kind == "venue") {
            EXPECT_TRUE(std::isnan(d.consumption_median));
            EXPECT_TRUE(std::isnan(d.consumption_upper));
        } else {
            EXPECT_LT(d.consumption_lower, d.consumption_median) << d.site_id << " " << d.analyte << " " << d.day;
            EXPECT_LT(d.consumption_median, d.consumption_upper);
        }
    }
    // A daily median of a quantified day is its deterministic value within MC error: P1 KET Tue 120,
    // σ² = ln 1.0225 + 3 ln 1.01 + ln 1.0625 (σ = 0.334), SE = 1.2533 σ/√2000 = 0.94%.
    const auto& tue_ket = daily(r, "P1", "ketamine", tue);
    EXPECT_NEAR(tue_ket.consumption_median / 120.0, 1.0, 4 * 0.0094);
    // The censored day is drawn in [LOD, LOQ) × 1.5 = [0.75, 3): its interval lies inside.
    const auto& wed_ket = daily(r, "P1", "ketamine", wed);
    EXPECT_GE(wed_ket.consumption_lower, 0.75 / 3.0);  // even with every shared factor at its 2.5%
    EXPECT_LT(wed_ket.consumption_upper, 3.0 * 3.0);
}

TEST(Uncertainty, ExceedanceProbabilitiesFollowTheThresholds) {
    estimate_options o = mc_options_for();
    const auto base = run(o);
    const auto& p1 = row(base, "site", "P1", "ketamine");
    EXPECT_TRUE(std::isnan(p1.p_exceed_watch));  // no thresholds configured
    EXPECT_TRUE(std::isnan(p1.threshold_watch));

    // Thresholds at the draws' own 2.5% quantile and median (the draws do not depend on the
    // thresholds): with n = 2000, the type-7 median is the mean of ranks 999 and 1000, so exactly
    // 1000 draws exceed it → P = 0.5; the 2.5% quantile lies between ranks 49 and 50 (h = 49.975),
    // so 1950 draws exceed it → P = 0.975.
    o.uncertainty.thresholds.push_back({"ketamine", "wwtp", p1.consumption_lower, p1.consumption_median});
    const auto r = run(o);
    const auto& q = row(r, "site", "P1", "ketamine");
    EXPECT_EQ(q.threshold_watch, p1.consumption_lower);
    EXPECT_EQ(q.threshold_alert, p1.consumption_median);
    EXPECT_EQ(q.p_exceed_watch, 0.975);
    EXPECT_EQ(q.p_exceed_alert, 0.5);
    EXPECT_TRUE(same_interval(q, p1));  // thresholds change no draw
    // The same rule applies to P2, the district and the city (ketamine, wwtp), not to methamphetamine.
    EXPECT_EQ(row(r, "district", "D", "ketamine").threshold_alert, p1.consumption_median);
    EXPECT_GT(row(r, "site", "P2", "ketamine").p_exceed_watch, 0.99);  // P2 (287.5) far above P1's lower quantile
    EXPECT_TRUE(std::isnan(row(r, "site", "P1", "methamphetamine").p_exceed_watch));
    EXPECT_TRUE(std::isnan(row(r, "site", "P1", "methamphetamine").threshold_watch));
    // P(> watch) ≥ P(> alert) whenever watch ≤ alert.
    for (const auto& c : r.campaigns)
        if (!std::isnan(c.p_exceed_watch)) {
            EXPECT_GE(c.p_exceed_watch, c.p_exceed_alert) << c.scope << " " << c.id;
        }

    // Only one threshold set: only that probability. site_kind `any` also matches plants.
    estimate_options w = mc_options_for();
    w.uncertainty.thresholds.push_back({"ketamine", "any", 1e-6, nan});
    const auto rw = run(w);
    EXPECT_EQ(row(rw, "site", "P1", "ketamine").p_exceed_watch, 1.0);
    EXPECT_TRUE(std::isnan(row(rw, "site", "P1", "ketamine").p_exceed_alert));
    // A rule for venues does not apply to plants.
    estimate_options v = mc_options_for();
    v.uncertainty.thresholds.push_back({"ketamine", "venue", 1.0, 2.0});
    EXPECT_TRUE(std::isnan(row(run(v), "site", "P1", "ketamine").p_exceed_watch));
}

TEST(Uncertainty, OverridesChangeOnlyTheMatchingEstimates) {
    const auto base = run(mc_options_for());
    const auto changed = [&](const estimate_result& r, const std::string& scope, const std::string& id, const std::string& a) {
        return !same_interval(row(r, scope, id, a), row(base, scope, id, a));
    };
    uncertainty_override by_site;
    by_site.site = "P2";
    by_site.flow = factor_distribution::lognormal(0.8);
    estimate_options o = mc_options_for();
    o.uncertainty.overrides.push_back(by_site);
    auto r = run(o);
    EXPECT_TRUE(changed(r, "site", "P2", "ketamine"));
    EXPECT_TRUE(changed(r, "district", "D", "ketamine"));  // includes P2
    EXPECT_TRUE(changed(r, "city", "Town", "ketamine"));
    EXPECT_FALSE(changed(r, "site", "P1", "ketamine"));
    EXPECT_FALSE(changed(r, "site", "P1", "methamphetamine"));
    EXPECT_FALSE(changed(r, "district", "D", "methamphetamine"));  // P2 measured no methamphetamine
    EXPECT_GT(row(r, "site", "P2", "ketamine").consumption_upper, row(base, "site", "P2", "ketamine").consumption_upper);

    uncertainty_override by_drug;
    by_drug.drug = "methamphetamine";
    by_drug.analysis = factor_distribution::lognormal(0.6);
    o = mc_options_for();
    o.uncertainty.overrides.push_back(by_drug);
    r = run(o);
    EXPECT_TRUE(changed(r, "site", "P1", "methamphetamine"));
    EXPECT_TRUE(changed(r, "city", "Town", "methamphetamine"));
    EXPECT_FALSE(changed(r, "site", "P1", "ketamine"));
    EXPECT_FALSE(changed(r, "site", "P2", "ketamine"));
    EXPECT_FALSE(changed(r, "city", "Town", "ketamine"));

    // By lab method: only P1's Monday ketamine sample was measured with M2.
    uncertainty_override by_method;
    by_method.method_id = "M2";
    by_method.analysis = factor_distribution::lognormal(0.6);
    o = mc_options_for();
    o.uncertainty.overrides.push_back(by_method);
    r = run(o);
    EXPECT_TRUE(changed(r, "site", "P1", "ketamine"));
    EXPECT_FALSE(changed(r, "site", "P1", "methamphetamine"));
    EXPECT_FALSE(changed(r, "site", "P2", "ketamine"));
    EXPECT_NE(daily(r, "P1", "ketamine", mon).consumption_upper, daily(base, "P1", "ketamine", mon).consumption_upper);
    EXPECT_EQ(daily(r, "P1", "ketamine", tue).consumption_upper, daily(base, "P1", "ketamine", tue).consumption_upper);

    // All selectors must match: drug ketamine at P1 leaves P2's ketamine alone.
    uncertainty_override both;
    both.drug = "ketamine";
    both.site = "P1";
    both.sampling = factor_distribution::lognormal(0.6);
    o = mc_options_for();
    o.uncertainty.overrides.push_back(both);
    r = run(o);
    EXPECT_TRUE(changed(r, "site", "P1", "ketamine"));
    EXPECT_FALSE(changed(r, "site", "P2", "ketamine"));
    EXPECT_FALSE(changed(r, "site", "P1", "methamphetamine"));
}

TEST(Uncertainty, MethodOverridesSetTheAnalysisErrorOnly) {
    // A lab method selects the analysis error of its samples (uncertainty.hpp). Its other
    // components must not leak into a whole site depending on which day comes first: P1's
    // ketamine campaign starts with the M2 sample.
    const auto base = run(mc_options_for());
    uncertainty_override o;
    o.method_id = "M2";
    o.flow = factor_distribution::lognormal(0.8);
    o.population = factor_distribution::lognormal(0.8);
    o.excretion = factor_distribution::lognormal(0.8);
    estimate_options e = mc_options_for();
    e.uncertainty.overrides.push_back(o);
    const auto r = run(e);
    for (const auto& c : base.campaigns) EXPECT_TRUE(same_interval(row(r, c.scope, c.id, c.analyte), c)) << c.scope << " " << c.id;
}

TEST(Uncertainty, ExcretionIsPerDrugWhateverTheSiteOrder) {
    // Excretion is drawn once per drug for every plant. A site-selected excretion override would
    // make the result depend on which plant sorts first; it applies to no site.
    const auto base = run(mc_options_for());
    for (const std::string s : {"P1", "P2"}) {
        uncertainty_override o;
        o.site = s;
        o.excretion = factor_distribution::lognormal(0.8);
        estimate_options e = mc_options_for();
        e.uncertainty.overrides.push_back(o);
        const auto r = run(e);
        EXPECT_TRUE(same_interval(row(r, "site", "P2", "ketamine"), row(base, "site", "P2", "ketamine"))) << s;
        EXPECT_TRUE(same_interval(row(r, "site", "P1", "ketamine"), row(base, "site", "P1", "ketamine"))) << s;
    }
    // A drug-selected excretion override applies to every plant of that drug.
    uncertainty_override d;
    d.drug = "ketamine";
    d.excretion = factor_distribution::lognormal(0.8);
    estimate_options e = mc_options_for();
    e.uncertainty.overrides.push_back(d);
    const auto r = run(e);
    EXPECT_FALSE(same_interval(row(r, "site", "P1", "ketamine"), row(base, "site", "P1", "ketamine")));
    EXPECT_FALSE(same_interval(row(r, "site", "P2", "ketamine"), row(base, "site", "P2", "ketamine")));
}

// With the analytic method each quantified day is exactly log-normal: σ = ln(median/lower)/1.96
// recovers which RSDs were used.
double daily_sigma(const daily_estimate& d) { return std::log(d.consumption_median / d.consumption_lower) / z975; }

TEST(Uncertainty, SiteAndModelRsdsAreUsedWhenFromInputs) {
    // P1 population_rsd 0.5; ketamine CF rsd 0.4. Daily σ² = ln(1+.15²) + ln(1+.1²) [sampling]
    // + ln(1+.1²) [flow] + population + excretion.
    const double base2 = s2(0.15) + s2(0.10) + s2(0.10);
    estimate_options o = mc_options_for(uncertainty_method::analytic);
    const auto r = run(o, 0.5, 0.4);
    EXPECT_NEAR(daily_sigma(daily(r, "P1", "ketamine", mon)), std::sqrt(base2 + s2(0.5) + s2(0.4)), 1e-12);
    // P2 has no population_rsd: the default 0.10; methamphetamine's F has no rsd: the default 0.25.
    EXPECT_NEAR(daily_sigma(daily(r, "P2", "ketamine", tue)), std::sqrt(base2 + s2(0.10) + s2(0.4)), 1e-12);
    EXPECT_NEAR(daily_sigma(daily(r, "P1", "methamphetamine", mon)), std::sqrt(base2 + s2(0.5) + s2(0.25)), 1e-12);
    // The analytic daily median is the deterministic value: 125 for P1 ketamine on Monday.
    EXPECT_NEAR(daily(r, "P1", "ketamine", mon).consumption_median, 125.0, 1e-11);

    // from_inputs: false → the defaults everywhere.
    o.uncertainty.from_inputs = false;
    const auto d = run(o, 0.5, 0.4);
    EXPECT_NEAR(daily_sigma(daily(d, "P1", "ketamine", mon)), std::sqrt(base2 + s2(0.10) + s2(0.25)), 1e-12);

    // An override wins over the inputs' RSDs.
    o.uncertainty.from_inputs = true;
    uncertainty_override pop;
    pop.site = "P1";
    pop.population = factor_distribution::lognormal(0.2);
    o.uncertainty.overrides.push_back(pop);
    const auto v = run(o, 0.5, 0.4);
    EXPECT_NEAR(daily_sigma(daily(v, "P1", "ketamine", mon)), std::sqrt(base2 + s2(0.2) + s2(0.4)), 1e-12);

    // The analytic path covers single-site estimates: the two-plant ketamine district and city
    // get no interval (and are neither labelled nor counted as having one), and a warning. The
    // methamphetamine district and city hold P1 alone: they get P1's interval. Counted: 3 site
    // rows + 2 single-plant aggregates.
    EXPECT_EQ(r.summary.n_uncertainty_units, 5u);
    EXPECT_TRUE(std::isnan(row(r, "district", "D", "ketamine").consumption_median));
    EXPECT_EQ(row(r, "district", "D", "ketamine").uncertainty, "none");
    EXPECT_EQ(row(r, "city", "Town", "ketamine").uncertainty, "none");
    EXPECT_EQ(row(r, "city", "Town", "methamphetamine").uncertainty, "analytic");
    EXPECT_NEAR(row(r, "city", "Town", "methamphetamine").consumption_upper,
                row(r, "site", "P1", "methamphetamine").consumption_upper, 1e-12);
    EXPECT_FALSE(std::isnan(row(r, "site", "P1", "ketamine").consumption_median));
    EXPECT_EQ(row(r, "site", "P1", "ketamine").uncertainty, "analytic");
    bool warned = false;
    for (const auto& w : r.summary.warnings)
        warned = warned || w == "analytic uncertainty not available for some estimates: the analytic path covers single-site "
                                "estimates only";
    EXPECT_TRUE(warned);
}

TEST(Uncertainty, CensoredBoundsBoundTheValueAndEqualItWithoutCensoring) {
    const auto r = run(mc_options_for());
    // P1 ketamine: Wednesday <LOQ at 0 → 245/3, at LOQ → 248/3; the value LOQ/2 → 246.5/3.
    const auto& k = row(r, "site", "P1", "ketamine");
    EXPECT_EQ(k.n_censored, 1u);
    EXPECT_NEAR(k.consumption_censored_low, 245.0 / 3, 1e-12);
    EXPECT_NEAR(k.consumption_censored_high, 248.0 / 3, 1e-12);
    EXPECT_LT(k.consumption_censored_low, k.consumption_mean);
    EXPECT_GT(k.consumption_censored_high, k.consumption_mean);
    // Nothing censored: both bounds are the value.
    for (const auto& [scope, id, a] : {std::tuple{"site", "P1", "methamphetamine"}, std::tuple{"site", "P2", "ketamine"}}) {
        const auto& c = row(r, scope, id, a);
        EXPECT_EQ(c.n_censored, 0u);
        EXPECT_EQ(c.consumption_censored_low, c.consumption_mean) << id << " " << a;
        EXPECT_EQ(c.consumption_censored_high, c.consumption_mean) << id << " " << a;
    }
}

TEST(Uncertainty, EstimateIsReproducibleForThreadsAndInputOrder) {
    estimate_options o = mc_options_for();
    const auto a = run(o);
    o.uncertainty.mc.threads = 2;
    std::vector<assay_result> rev = results();
    std::reverse(rev.begin(), rev.end());
    std::vector<flow_record> fl = flows();
    std::reverse(fl.begin(), fl.end());
    const auto b = estimate(sites(), rev, fl, models(), o, "Town");
    ASSERT_EQ(a.campaigns.size(), b.campaigns.size());
    for (std::size_t i = 0; i < a.campaigns.size(); ++i) {
        EXPECT_TRUE(same_interval(a.campaigns[i], b.campaigns[i])) << a.campaigns[i].scope << " " << a.campaigns[i].id;
    }
    ASSERT_EQ(a.daily.size(), b.daily.size());
    for (std::size_t i = 0; i < a.daily.size(); ++i) {
        EXPECT_TRUE(same(a.daily[i].consumption_median, b.daily[i].consumption_median));
        EXPECT_TRUE(same(a.daily[i].consumption_upper, b.daily[i].consumption_upper));
    }
}

// ---- threshold flags with uncertainty -----------------------------------------------------------

campaign_estimate uncertain(double value, double p_watch, double p_alert) {
    campaign_estimate c;
    c.scope = "site";
    c.id = "P1";
    c.site_kind = "wwtp";
    c.campaign = "2024Q1";
    c.drug = c.analyte = "ketamine";
    c.n_samples = 7;
    c.consumption_mean = value;
    c.consumption_censored_low = c.consumption_censored_high = value;
    c.uncertainty = "monte_carlo";
    c.consumption_median = value;
    c.consumption_lower = value * 0.5;
    c.consumption_upper = value * 2.0;
    c.threshold_watch = 100.0;
    c.threshold_alert = 200.0;
    c.p_exceed_watch = p_watch;
    c.p_exceed_alert = p_alert;
    return c;
}

threshold_rule ket_rule(double watch = 100.0, double alert = 200.0) {
    threshold_rule r;
    r.drug = "ketamine";
    r.watch = watch;
    r.alert = alert;
    return r;
}

struct outcome {
    std::size_t n;
    flag_level level;
    std::string certainty;
    double probability;
};
outcome flag_of(const campaign_estimate& c, const flag_options& o = {}, const threshold_rule& r = ket_rule()) {
    const auto f = evaluate_thresholds({c}, {r}, o);
    if (f.empty()) return {0, flag_level::none, "", nan};
    return {f.size(), f[0].level, f[0].certainty, f[0].probability};
}

TEST(Uncertainty, FlagCertaintyFollowsTheProbabilities) {
    // P(> alert) ≥ 0.95 → alert, exceeds (the boundary itself counts).
    auto f = flag_of(uncertain(250, 1.0, 0.95));
    EXPECT_EQ(f.level, flag_level::alert);
    EXPECT_EQ(f.certainty, "exceeds");
    EXPECT_EQ(f.probability, 0.95);
    // Just below 0.95 → possible; 0.5 is still possible.
    f = flag_of(uncertain(250, 1.0, 0.9499));
    EXPECT_EQ(f.level, flag_level::alert);
    EXPECT_EQ(f.certainty, "possible");
    f = flag_of(uncertain(200, 1.0, 0.5));
    EXPECT_EQ(f.certainty, "possible");
    EXPECT_EQ(f.probability, 0.5);
    // Alert below 0.5 → the watch level decides: exceeds at 0.97.
    f = flag_of(uncertain(180, 0.97, 0.49));
    EXPECT_EQ(f.level, flag_level::watch);
    EXPECT_EQ(f.certainty, "exceeds");
    EXPECT_EQ(f.probability, 0.97);
    // Both below 0.5 → no flag, even though the mean (150) is above the watch threshold.
    EXPECT_EQ(flag_of(uncertain(150, 0.49, 0.01)).n, 0u);
    // Without probabilities the comparison is deterministic: 150 ≥ 100 → watch, no certainty.
    auto plain = uncertain(150, nan, nan);
    f = flag_of(plain);
    EXPECT_EQ(f.level, flag_level::watch);
    EXPECT_EQ(f.certainty, "");
    EXPECT_TRUE(std::isnan(f.probability));
    // A rule whose thresholds are not those the probabilities refer to compares deterministically.
    f = flag_of(uncertain(150, 0.2, 0.01), {}, ket_rule(120, 300));
    EXPECT_EQ(f.level, flag_level::watch);
    EXPECT_EQ(f.certainty, "");
    // Configurable cut-offs.
    const flag_options loose{0.9, 0.2, 0.95};
    f = flag_of(uncertain(150, 0.91, 0.25), loose);
    EXPECT_EQ(f.level, flag_level::alert);
    EXPECT_EQ(f.certainty, "possible");
    f = flag_of(uncertain(150, 0.91, 0.1), loose);
    EXPECT_EQ(f.level, flag_level::watch);
    EXPECT_EQ(f.certainty, "exceeds");
}

TEST(Uncertainty, IndeterminateWhenCensoringStraddlesAThreshold) {
    // Censored days leave the value in [90, 110]: the watch threshold 100 is inside → indeterminate,
    // whatever the probability says.
    auto c = uncertain(95, 0.3, 0.0);
    c.n_censored = 2;
    c.consumption_censored_low = 90;
    c.consumption_censored_high = 110;
    auto f = flag_of(c);
    EXPECT_EQ(f.n, 1u);
    EXPECT_EQ(f.level, flag_level::watch);
    EXPECT_EQ(f.certainty, "indeterminate");
    const auto flags = evaluate_thresholds({c}, {ket_rule()});
    EXPECT_EQ(flags[0].explanation,
              "ketamine consumption 95 mg/day/1000 inh (mean of 7 samples, 2 censored): with censored days between 0 and their "
              "limit it lies in [90, 110], which contains the watch threshold 100 (indeterminate)");
    // The bounds are (low, high]: a threshold at the lower bound is not straddled.
    c.consumption_censored_low = 100;
    EXPECT_EQ(flag_of(c).n, 0u);  // P(> 100) = 0.3 < 0.5
    c.consumption_censored_low = 90;
    c.consumption_censored_high = 99;
    EXPECT_EQ(flag_of(c).n, 0u);
    // An upper bound reaching the threshold does straddle it.
    c.consumption_censored_high = 100;
    EXPECT_EQ(flag_of(c).certainty, "indeterminate");
    // Without censored days the bounds are not used.
    c.n_censored = 0;
    EXPECT_EQ(flag_of(c).n, 0u);
}

TEST(Uncertainty, ExplanationShowsTheProbability) {
    auto c = uncertain(250, 1.0, 0.97);
    c.consumption_median = 248;
    c.consumption_lower = 150.5;
    c.consumption_upper = 410;
    auto r = ket_rule();
    r.origin = {"thresholds.yaml", 12, 5};
    const auto flags = evaluate_thresholds({c}, {r});
    ASSERT_EQ(flags.size(), 1u);
    EXPECT_EQ(flags[0].explanation,
              "ketamine consumption 250 mg/day/1000 inh (mean of 7 samples), median 248 (95% interval 150.5-410): P(> alert "
              "threshold 200) = 0.97 (exceeds) [thresholds.yaml:12:5]");
    // The interval's label follows the options.
    const auto f90 = evaluate_thresholds({uncertain(250, 1.0, 0.6)}, {ket_rule()}, {0.95, 0.5, 0.9});
    ASSERT_EQ(f90.size(), 1u);
    EXPECT_NE(f90[0].explanation.find("(90% interval 125-500): P(> alert threshold 200) = 0.6 (possible)"), std::string::npos)
        << f90[0].explanation;
}

}  // namespace
