// Tests for wbe/core/threshold.hpp: fixed thresholds on campaign estimates and ratio rules on
// samples.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "wbe/core/threshold.hpp"

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

wbe::campaign_estimate site_estimate(std::string id, std::string kind, double consumption,
                                     std::string drug = "methamphetamine", std::string analyte = "methamphetamine") {
    wbe::campaign_estimate c;
    c.scope = "site";
    c.id = std::move(id);
    c.site_kind = std::move(kind);
    c.campaign = "2024Q1";
    c.drug = std::move(drug);
    c.analyte = std::move(analyte);
    c.n_samples = 7;
    c.n_sites = 1;
    c.consumption_mean = consumption;
    return c;
}

wbe::threshold_rule rule(std::string drug, double watch, double alert, std::string kind = "wwtp") {
    wbe::threshold_rule r;
    r.drug = std::move(drug);
    r.site_kind = std::move(kind);
    r.watch = watch;
    r.alert = alert;
    return r;
}

TEST(Threshold, RuleDefaults) {
    const wbe::threshold_rule r;
    EXPECT_EQ(r.site_kind, "wwtp");
    EXPECT_EQ(r.what, wbe::metric::consumption);
    EXPECT_TRUE(std::isnan(r.watch));
    EXPECT_TRUE(std::isnan(r.alert));
    const wbe::ratio_rule q;
    EXPECT_EQ(q.name, "possible_dumping");
    EXPECT_EQ(q.site_kind, "any");
    EXPECT_EQ(q.level, wbe::flag_level::watch);
    EXPECT_TRUE(std::isnan(q.above));
}

TEST(Threshold, AlertWinsOverWatch) {
    const auto flags = wbe::evaluate_thresholds({site_estimate("P1", "wwtp", 250.0)}, {rule("methamphetamine", 100, 200)});
    ASSERT_EQ(flags.size(), 1u);
    const auto& f = flags[0];
    EXPECT_EQ(f.level, wbe::flag_level::alert);
    EXPECT_EQ(f.reference, 200.0);
    EXPECT_EQ(f.value, 250.0);
    EXPECT_EQ(f.site_id, "P1");
    EXPECT_EQ(f.site_kind, "wwtp");
    EXPECT_EQ(f.drug, "methamphetamine");
    EXPECT_EQ(f.campaign, "2024Q1");
    EXPECT_EQ(f.rule, "threshold");
    EXPECT_EQ(f.unit, "mg/day/1000 inh");
    EXPECT_EQ(f.date, "");  // campaign rule: no sample day
}

TEST(Threshold, WatchBetweenWatchAndAlertNothingBelow) {
    const auto watch = wbe::evaluate_thresholds({site_estimate("P1", "wwtp", 150.0)}, {rule("methamphetamine", 100, 200)});
    ASSERT_EQ(watch.size(), 1u);
    EXPECT_EQ(watch[0].level, wbe::flag_level::watch);
    EXPECT_EQ(watch[0].reference, 100.0);
    EXPECT_TRUE(wbe::evaluate_thresholds({site_estimate("P1", "wwtp", 99.99)}, {rule("methamphetamine", 100, 200)}).empty());
}

TEST(Threshold, BoundaryValuesFlag) {
    // "watch when the campaign value ≥ watch, alert when ≥ alert"
    const auto at_watch = wbe::evaluate_thresholds({site_estimate("P1", "wwtp", 100.0)}, {rule("methamphetamine", 100, 200)});
    ASSERT_EQ(at_watch.size(), 1u);
    EXPECT_EQ(at_watch[0].level, wbe::flag_level::watch);
    const auto at_alert = wbe::evaluate_thresholds({site_estimate("P1", "wwtp", 200.0)}, {rule("methamphetamine", 100, 200)});
    ASSERT_EQ(at_alert.size(), 1u);
    EXPECT_EQ(at_alert[0].level, wbe::flag_level::alert);
}

TEST(Threshold, OnlySiteScope) {
    auto district = site_estimate("North", "wwtp", 500.0);
    district.scope = "district";
    auto city = site_estimate("city", "wwtp", 500.0);
    city.scope = "city";
    EXPECT_TRUE(wbe::evaluate_thresholds({district, city}, {rule("methamphetamine", 100, 200)}).empty());
}

TEST(Threshold, SiteKindMatching) {
    const std::vector<wbe::campaign_estimate> est{site_estimate("P1", "wwtp", 250.0), site_estimate("V1", "venue", 250.0)};
    const auto wwtp = wbe::evaluate_thresholds(est, {rule("methamphetamine", 100, 200, "wwtp")});
    ASSERT_EQ(wwtp.size(), 1u);
    EXPECT_EQ(wwtp[0].site_id, "P1");
    const auto venue = wbe::evaluate_thresholds(est, {rule("methamphetamine", 100, 200, "venue")});
    ASSERT_EQ(venue.size(), 1u);
    EXPECT_EQ(venue[0].site_id, "V1");
    EXPECT_EQ(wbe::evaluate_thresholds(est, {rule("methamphetamine", 100, 200, "any")}).size(), 2u);
    EXPECT_TRUE(wbe::evaluate_thresholds(est, {rule("methamphetamine", 100, 200, "hotel")}).empty());
}

TEST(Threshold, DrugMatchedByDrugNameOrAnalyte) {
    // cocaine is measured as benzoylecgonine (science.md §2)
    const auto est = site_estimate("P1", "wwtp", 250.0, "cocaine", "benzoylecgonine");
    const auto by_drug = wbe::evaluate_thresholds({est}, {rule("cocaine", 100, 200)});
    ASSERT_EQ(by_drug.size(), 1u);
    EXPECT_EQ(by_drug[0].drug, "cocaine");
    const auto by_analyte = wbe::evaluate_thresholds({est}, {rule("benzoylecgonine", 100, 200)});
    ASSERT_EQ(by_analyte.size(), 1u);
    EXPECT_EQ(by_analyte[0].drug, "benzoylecgonine");  // the flag names the rule's drug
    EXPECT_TRUE(wbe::evaluate_thresholds({est}, {rule("heroin", 100, 200)}).empty());
    EXPECT_TRUE(wbe::evaluate_thresholds({est}, {rule("Cocaine", 100, 200)}).empty());  // ids are exact
}

TEST(Threshold, NaNThresholdsAreUnused) {
    const std::vector<wbe::threshold_rule> alert_only{rule("methamphetamine", nan, 200)};
    EXPECT_TRUE(wbe::evaluate_thresholds({site_estimate("P1", "wwtp", 150.0)}, alert_only).empty());
    const auto a = wbe::evaluate_thresholds({site_estimate("P1", "wwtp", 250.0)}, alert_only);
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].level, wbe::flag_level::alert);
    const std::vector<wbe::threshold_rule> watch_only{rule("methamphetamine", 100, nan)};
    const auto w = wbe::evaluate_thresholds({site_estimate("P1", "wwtp", 1e6)}, watch_only);
    ASSERT_EQ(w.size(), 1u);
    EXPECT_EQ(w[0].level, wbe::flag_level::watch);
    EXPECT_TRUE(wbe::evaluate_thresholds({site_estimate("P1", "wwtp", 1e6)}, {rule("methamphetamine", nan, nan)}).empty());
}

TEST(Threshold, NaNValueNeverFlags) {
    EXPECT_TRUE(wbe::evaluate_thresholds({site_estimate("P1", "wwtp", nan)}, {rule("methamphetamine", 0, 0)}).empty());
}

TEST(Threshold, MetricSelectsTheIndex) {
    auto est = site_estimate("V1", "venue", nan);  // venues have a concentration only
    est.conc_mean = 1500.0;
    auto r = rule("methamphetamine", 1000, 5000, "venue");
    r.what = wbe::metric::concentration;
    const auto flags = wbe::evaluate_thresholds({est}, {r});
    ASSERT_EQ(flags.size(), 1u);
    EXPECT_EQ(flags[0].value, 1500.0);
    EXPECT_EQ(flags[0].unit, "ng/L");
    r.what = wbe::metric::consumption;
    EXPECT_TRUE(wbe::evaluate_thresholds({est}, {r}).empty());
}

TEST(Threshold, OneFlagPerSiteDrugCampaignAtTheHighestLevel) {
    // two rules for the same drug: one reaches watch, the other alert → a single alert flag
    const std::vector<wbe::threshold_rule> rules{rule("methamphetamine", 100, 1000), rule("methamphetamine", 50, 200)};
    const auto flags = wbe::evaluate_thresholds({site_estimate("P1", "wwtp", 250.0)}, rules);
    ASSERT_EQ(flags.size(), 1u);
    EXPECT_EQ(flags[0].level, wbe::flag_level::alert);
    EXPECT_EQ(flags[0].reference, 200.0);
    // different sites and campaigns keep their own flags
    auto other_campaign = site_estimate("P1", "wwtp", 150.0);
    other_campaign.campaign = "2024Q2";
    const auto three = wbe::evaluate_thresholds(
        {site_estimate("P1", "wwtp", 250.0), site_estimate("P2", "wwtp", 150.0), other_campaign},
        {rule("methamphetamine", 100, 200)});
    EXPECT_EQ(three.size(), 3u);
}

TEST(Threshold, ExplanationText) {
    auto est = site_estimate("P1", "wwtp", 250.0);
    est.n_censored = 1;
    auto r = rule("methamphetamine", 100, 200);
    r.origin = {"thresholds.yaml", 4, 5};
    const auto flags = wbe::evaluate_thresholds({est}, {r});
    ASSERT_EQ(flags.size(), 1u);
    EXPECT_EQ(flags[0].explanation,
              "methamphetamine consumption 250 mg/day/1000 inh (mean of 7 samples, 1 censored) >= alert threshold 200 "
              "[thresholds.yaml:4:5]");
    // one sample, nothing censored, no origin; value shown with 4 significant digits
    auto one = site_estimate("P1", "wwtp", 123.456);
    one.n_samples = 1;
    const auto f1 = wbe::evaluate_thresholds({one}, {rule("methamphetamine", 100, 200)});
    ASSERT_EQ(f1.size(), 1u);
    EXPECT_EQ(f1[0].explanation, "methamphetamine consumption 123.5 mg/day/1000 inh (mean of 1 sample) >= watch threshold 100");
}

// --- ratio rules ---------------------------------------------------------------------------------

wbe::daily_estimate sample(std::string site, std::string kind, std::string sample_id, std::string analyte, double conc,
                           wbe::qualifier q = wbe::qualifier::detected) {
    wbe::daily_estimate d;
    d.site_id = std::move(site);
    d.site_kind = std::move(kind);
    d.sample_id = std::move(sample_id);
    d.day = 19724;  // 2024-01-02 (test_date.cpp: 2024-01-01 = 19723)
    d.campaign = "2024Q1";
    d.analyte = analyte;
    d.drug = analyte == "norketamine" ? "" : analyte;
    d.qual = q;
    d.conc_ng_per_l = conc;
    return d;
}

wbe::ratio_rule ket_nk(double above) {
    wbe::ratio_rule r;
    r.numerator = "ketamine";
    r.denominator = "norketamine";
    r.above = above;
    r.reason = "KET/NK about 5.4 in municipal wastewater vs 0.64 in urine";
    return r;
}

TEST(Threshold, RatioFlagsWhenBothDetected) {
    // hand-computed: 540 / 100 = 5.4 > 3 (science.md §1: KET/NK ≈ 5.4 in municipal wastewater)
    const std::vector<wbe::daily_estimate> d{sample("V1", "venue", "S1", "ketamine", 540.0),
                                             sample("V1", "venue", "S1", "norketamine", 100.0)};
    const auto flags = wbe::evaluate_ratios(d, {ket_nk(3.0)});
    ASSERT_EQ(flags.size(), 1u);
    const auto& f = flags[0];
    EXPECT_DOUBLE_EQ(f.value, 5.4);
    EXPECT_EQ(f.reference, 3.0);
    EXPECT_EQ(f.rule, "possible_dumping");
    EXPECT_EQ(f.level, wbe::flag_level::watch);
    EXPECT_EQ(f.site_id, "V1");
    EXPECT_EQ(f.site_kind, "venue");
    EXPECT_EQ(f.drug, "ketamine");
    EXPECT_EQ(f.campaign, "2024Q1");
    EXPECT_EQ(f.date, "2024-01-02");
    EXPECT_EQ(f.unit, "ketamine/norketamine");
    EXPECT_EQ(f.explanation,
              "ketamine/norketamine = 5.4 in sample S1 (540 / 100 ng/L) > 3: KET/NK about 5.4 in municipal wastewater "
              "vs 0.64 in urine");
}

TEST(Threshold, RatioNotAboveDoesNotFlag) {
    const std::vector<wbe::daily_estimate> d{sample("V1", "venue", "S1", "ketamine", 300.0),
                                             sample("V1", "venue", "S1", "norketamine", 100.0)};
    EXPECT_TRUE(wbe::evaluate_ratios(d, {ket_nk(3.0)}).empty());  // 3 is not > 3
    EXPECT_EQ(wbe::evaluate_ratios(d, {ket_nk(2.9)}).size(), 1u);
    EXPECT_TRUE(wbe::evaluate_ratios(d, {}).empty());
}

TEST(Threshold, RatioSkipsCensoredOrUnboundedValues) {
    for (auto q : {wbe::qualifier::below_lod, wbe::qualifier::below_loq, wbe::qualifier::above_uloq}) {
        // censored (or >ULOQ) denominator
        const std::vector<wbe::daily_estimate> den{sample("V1", "venue", "S1", "ketamine", 540.0),
                                                   sample("V1", "venue", "S1", "norketamine", 1.0, q)};
        EXPECT_TRUE(wbe::evaluate_ratios(den, {ket_nk(3.0)}).empty()) << wbe::to_string(q);
        // censored numerator
        const std::vector<wbe::daily_estimate> num{sample("V1", "venue", "S1", "ketamine", 540.0, q),
                                                   sample("V1", "venue", "S1", "norketamine", 1.0)};
        EXPECT_TRUE(wbe::evaluate_ratios(num, {ket_nk(3.0)}).empty()) << wbe::to_string(q);
    }
    // a zero denominator gives no ratio
    const std::vector<wbe::daily_estimate> zero{sample("V1", "venue", "S1", "ketamine", 540.0),
                                                sample("V1", "venue", "S1", "norketamine", 0.0)};
    EXPECT_TRUE(wbe::evaluate_ratios(zero, {ket_nk(3.0)}).empty());
}

TEST(Threshold, RatioPairsOnlyTheSameSampleAtTheSameSite) {
    // S1 has no norketamine; S2 at V1 has; S1 at P1 is another site's sample with the same id
    const std::vector<wbe::daily_estimate> d{sample("V1", "venue", "S1", "ketamine", 540.0),
                                             sample("V1", "venue", "S2", "norketamine", 100.0),
                                             sample("P1", "wwtp", "S1", "norketamine", 10.0)};
    EXPECT_TRUE(wbe::evaluate_ratios(d, {ket_nk(3.0)}).empty());
}

TEST(Threshold, RatioRespectsSiteKind) {
    const std::vector<wbe::daily_estimate> d{sample("V1", "venue", "S1", "ketamine", 540.0),
                                             sample("V1", "venue", "S1", "norketamine", 100.0)};
    auto r = ket_nk(3.0);
    r.site_kind = "wwtp";
    EXPECT_TRUE(wbe::evaluate_ratios(d, {r}).empty());
    r.site_kind = "venue";
    r.level = wbe::flag_level::alert;
    r.name = "ket_nk";
    r.reason.clear();
    const auto flags = wbe::evaluate_ratios(d, {r});
    ASSERT_EQ(flags.size(), 1u);
    EXPECT_EQ(flags[0].level, wbe::flag_level::alert);
    EXPECT_EQ(flags[0].rule, "ket_nk");
    EXPECT_EQ(flags[0].explanation, "ketamine/norketamine = 5.4 in sample S1 (540 / 100 ng/L) > 3");
}

TEST(Threshold, NamesAndParsers) {
    EXPECT_EQ(wbe::to_string(wbe::flag_level::none), "none");
    EXPECT_EQ(wbe::to_string(wbe::flag_level::watch), "watch");
    EXPECT_EQ(wbe::to_string(wbe::flag_level::alert), "alert");
    EXPECT_EQ(wbe::unit_of(wbe::metric::concentration), "ng/L");
    EXPECT_EQ(wbe::unit_of(wbe::metric::load), "mg/day");
    EXPECT_EQ(wbe::unit_of(wbe::metric::pnl), "mg/day/1000 inh");
    EXPECT_EQ(wbe::unit_of(wbe::metric::consumption), "mg/day/1000 inh");
    EXPECT_EQ(wbe::unit_of(wbe::metric::doses), "doses/day/1000 inh");
    for (auto m : {wbe::metric::concentration, wbe::metric::load, wbe::metric::pnl, wbe::metric::consumption,
                   wbe::metric::doses}) {
        wbe::metric back = wbe::metric::concentration;
        EXPECT_TRUE(wbe::parse_metric(wbe::to_string(m), back));
        EXPECT_EQ(back, m);
    }
    for (auto l : {wbe::flag_level::none, wbe::flag_level::watch, wbe::flag_level::alert}) {
        wbe::flag_level back = wbe::flag_level::none;
        EXPECT_TRUE(wbe::parse_flag_level(wbe::to_string(l), back));
        EXPECT_EQ(back, l);
    }
    wbe::metric m = wbe::metric::load;
    EXPECT_FALSE(wbe::parse_metric("Consumption", m));
    EXPECT_EQ(m, wbe::metric::load);  // untouched on failure
    wbe::flag_level l = wbe::flag_level::watch;
    EXPECT_FALSE(wbe::parse_flag_level("red", l));
    EXPECT_EQ(l, wbe::flag_level::watch);
}

}  // namespace

// Venues have their own threshold keys on the screening index (`metric: screening`); the flag
// says what the value is.
TEST(Threshold, VenueScreeningMetric) {
    auto c = site_estimate("V1", "venue", std::numeric_limits<double>::quiet_NaN(), "ketamine", "ketamine");
    c.screening_mean = 520.0;
    c.conc_mean = 80.0;
    auto r = rule("ketamine", 300, 1000, "venue");
    r.what = wbe::metric::screening;
    const auto flags = wbe::evaluate_thresholds({c}, {r});
    ASSERT_EQ(flags.size(), 1u);
    EXPECT_EQ(flags[0].level, wbe::flag_level::watch);
    EXPECT_EQ(flags[0].value, 520.0);
    EXPECT_EQ(flags[0].unit, "mg/day/1000 PE (screening)");
    wbe::metric m{};
    ASSERT_TRUE(wbe::parse_metric("screening", m));
    EXPECT_EQ(m, wbe::metric::screening);
    // A plant has no screening value: the rule does not fire on it.
    EXPECT_TRUE(wbe::evaluate_thresholds({site_estimate("P1", "wwtp", 5000.0, "ketamine", "ketamine")}, {r}).empty());
}
