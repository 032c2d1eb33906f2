// Tests of wbe/io/run_config.hpp: the run configuration analysts edit.

#include "wbe/io/run_config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "test_support.hpp"
#include "wbe/core/date.hpp"
#include "wbe/core/errors.hpp"
#include "wbe/core/detectors/registry.hpp"
#include "wbe/io/model_library.hpp"

namespace {

namespace fs = std::filesystem;
using wbe::io::load_run_config;

std::string root() { return wbe::test::source_dir(); }

std::string write(const wbe::test::temp_dir& dir, const std::string& name, const std::string& text) {
    const std::string path = dir.file(name);
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

std::string error_of(const std::string& path) {
    try {
        (void)load_run_config(path);
    } catch (const wbe::config_error& e) {
        return e.what();
    }
    return "<no error>";
}

/// Two valid lines every config needs (lines 1–3), then `rest`.
std::string config(const std::string& rest) {
    return "store: store.h5\n"
           "models:\n"
           "  dir: " + root() + "/models\n" + rest;
}

TEST(run_config, example_config) {
    const std::string path = root() + "/config/example.yaml";
    const wbe::io::run_config c = load_run_config(path);
    EXPECT_EQ(c.path, path);
    EXPECT_EQ(c.name, "example");
    EXPECT_EQ(c.city, "");
    // Relative paths are relative to the config's folder.
    EXPECT_EQ(c.store, root() + "/out/example.h5");
    EXPECT_EQ(c.sites, root() + "/data/example/sites.yaml");
    EXPECT_EQ(c.flows, (std::vector<std::string>{root() + "/data/example/flows.csv"}));
    EXPECT_EQ(c.models_dir, root() + "/models");
    EXPECT_EQ(c.model_set, "default");
    // The batches folder expands to its 12 CSV files in name order.
    std::vector<std::string> batches;
    for (const char* q : {"2022Q1", "2022Q2", "2022Q3", "2022Q4", "2023Q1", "2023Q2", "2023Q3", "2023Q4", "2024Q1", "2024Q2",
                          "2024Q3", "2024Q4"})
        batches.push_back(root() + "/data/example/batches/" + q + ".csv");
    EXPECT_EQ(c.batches, batches);
    EXPECT_EQ(c.estimate.censoring.below_lod, wbe::substitution::lod_half);
    EXPECT_EQ(c.estimate.censoring.below_loq, wbe::substitution::loq_half);
    EXPECT_EQ(c.estimate.period, wbe::campaign_period::quarter);
    EXPECT_TRUE(c.estimate.amphetamine_correction);
    EXPECT_FALSE(c.estimate.sorption_correction);
    EXPECT_FALSE(c.estimate.in_sewer_correction);

    // Rules come from thresholds.yaml: 4 thresholds and 1 ratio rule.
    EXPECT_EQ(c.thresholds_source, root() + "/config/thresholds.yaml");
    ASSERT_EQ(c.thresholds.size(), 4u);
    EXPECT_EQ(c.thresholds[0].drug, "methamphetamine");
    EXPECT_EQ(c.thresholds[0].site_kind, "wwtp");
    EXPECT_EQ(c.thresholds[0].what, wbe::metric::consumption);
    EXPECT_EQ(c.thresholds[0].watch, 200.0);
    EXPECT_EQ(c.thresholds[0].alert, 300.0);
    EXPECT_EQ(c.thresholds[0].origin.file, root() + "/config/thresholds.yaml");
    EXPECT_EQ(c.thresholds[0].origin.line, 12u);
    EXPECT_EQ(c.thresholds[3].drug, "ketamine");
    EXPECT_EQ(c.thresholds[3].site_kind, "venue");
    EXPECT_EQ(c.thresholds[3].what, wbe::metric::concentration);
    EXPECT_EQ(c.thresholds[3].alert, 4000.0);
    ASSERT_EQ(c.ratios.size(), 2u);
    EXPECT_EQ(c.ratios[0].name, "possible_dumping");
    EXPECT_EQ(c.ratios[0].numerator, "ketamine");
    EXPECT_EQ(c.ratios[0].denominator, "norketamine");
    EXPECT_EQ(c.ratios[0].above, 20.0);
    EXPECT_EQ(c.ratios[0].site_kind, "any");
    EXPECT_EQ(c.ratios[0].level, wbe::flag_level::watch);
    EXPECT_EQ(c.ratios[1].numerator, "methamphetamine");
    EXPECT_EQ(c.ratios[1].denominator, "amphetamine");
    EXPECT_EQ(c.ratios[1].above, 40.0);

    EXPECT_EQ(c.hash.size(), 32u);
    EXPECT_EQ(load_run_config(path).hash, c.hash);
}

TEST(run_config, hash_covers_the_thresholds_file) {
    const wbe::test::temp_dir dir("config");
    const std::string cfg = write(dir, "c.yaml", config("thresholds: t.yaml\n"));
    write(dir, "t.yaml", "thresholds:\n  - {drug: ketamine, metric: consumption, watch: 100}\n");
    const std::string h1 = load_run_config(cfg).hash;
    write(dir, "t.yaml", "thresholds:\n  - {drug: ketamine, metric: consumption, watch: 101}\n");
    const std::string h2 = load_run_config(cfg).hash;
    EXPECT_NE(h1, h2);
    EXPECT_EQ(load_run_config(cfg).hash, h2);
}

TEST(run_config, minimal_config_and_defaults) {
    const wbe::test::temp_dir dir("config");
    const wbe::io::run_config c = load_run_config(write(dir, "mini.yaml", config("")));
    EXPECT_EQ(c.name, "mini");
    EXPECT_EQ(c.store, dir.file("store.h5"));
    EXPECT_TRUE(c.sites.empty());
    EXPECT_TRUE(c.batches.empty());
    EXPECT_TRUE(c.thresholds.empty());
    EXPECT_EQ(c.thresholds_source, dir.file("mini.yaml"));
    EXPECT_EQ(c.estimate.censoring.below_lod, wbe::substitution::lod_half);
}

TEST(run_config, one_policy_for_both_kinds_of_censoring) {
    const wbe::test::temp_dir dir("config");
    const auto c = load_run_config(write(dir, "c.yaml", config("censoring:\n  policy: loq_sqrt2\ncampaign: {period: month}\n")));
    EXPECT_EQ(c.estimate.censoring.below_lod, wbe::substitution::loq_sqrt2);
    EXPECT_EQ(c.estimate.censoring.below_loq, wbe::substitution::loq_sqrt2);
    EXPECT_EQ(c.estimate.period, wbe::campaign_period::month);
}

// ---- errors with line and column ------------------------------------------------------------

TEST(run_config, unknown_top_level_key) {
    const wbe::test::temp_dir dir("config");
    const std::string path = write(dir, "c.yaml", config("colour: red\n"));
    EXPECT_EQ(error_of(path), path + ":4:1: colour = \"\": unknown key in run config (allowed: name, city, store, inputs, "
                                     "models, censoring, campaign, corrections, thresholds, uncertainty, composites, population, venues)");
}

TEST(run_config, missing_required_key) {
    const wbe::test::temp_dir dir("config");
    const std::string path = write(dir, "c.yaml", "name: x\nstore: s.h5\n");
    EXPECT_EQ(error_of(path), path + ":1:1: models = \"\": required key is missing in run config");
}

TEST(run_config, unknown_key_inside_censoring) {
    const wbe::test::temp_dir dir("config");
    const std::string path = write(dir, "c.yaml", config("censoring:\n  below_lod: lod_half\n  method: x\n"));
    EXPECT_EQ(error_of(path), path + ":6:3: method = \"\": unknown key in censoring (allowed: below_lod, below_loq, policy)");
}

TEST(run_config, bad_substitution_name) {
    const wbe::test::temp_dir dir("config");
    const std::string path = write(dir, "c.yaml", config("censoring:\n  below_lod: half\n"));
    EXPECT_EQ(error_of(path), path + ":5:14: below_lod = half: must be zero, lod_half, loq_half, loq_sqrt2 or loq");
}

TEST(run_config, policy_together_with_below_lod) {
    const wbe::test::temp_dir dir("config");
    const std::string path = write(dir, "c.yaml", config("censoring:\n  below_lod: zero\n  policy: loq_half\n"));
    EXPECT_EQ(error_of(path), path + ":6:11: policy = loq_half: give policy or below_lod/below_loq, not both");
}

TEST(run_config, bad_period) {
    const wbe::test::temp_dir dir("config");
    const std::string path = write(dir, "c.yaml", config("campaign:\n  period: week\n"));
    EXPECT_EQ(error_of(path), path + ":5:11: period = week: period must be quarter, month or year");
}

TEST(run_config, bad_boolean) {
    const wbe::test::temp_dir dir("config");
    const std::string path = write(dir, "c.yaml", config("corrections:\n  sorption: maybe\n"));
    EXPECT_EQ(error_of(path), path + ":5:13: sorption = maybe: must be true or false");
}

TEST(run_config, alert_below_watch) {
    const wbe::test::temp_dir dir("config");
    const std::string path = write(dir, "c.yaml",
                                   config("thresholds:\n  thresholds:\n"
                                          "    - {drug: ketamine, metric: consumption, watch: 200, alert: 100}\n"));
    EXPECT_EQ(error_of(path), path + ":6:64: alert = 100: alert must be >= watch");
}

TEST(run_config, rule_without_watch_and_alert) {
    const wbe::test::temp_dir dir("config");
    const std::string path =
        write(dir, "c.yaml", config("thresholds:\n  thresholds:\n    - {drug: ketamine, metric: consumption}\n"));
    EXPECT_EQ(error_of(path), path + ":6:7: watch = \"\": a rule needs watch, alert or both");
}

TEST(run_config, unknown_metric) {
    const wbe::test::temp_dir dir("config");
    const std::string path =
        write(dir, "c.yaml", config("thresholds:\n  thresholds:\n    - {drug: ketamine, metric: mass, watch: 1}\n"));
    EXPECT_EQ(error_of(path),
              path + ":6:32: metric = mass: metric must be concentration, load, pnl, consumption, doses or index");
}

TEST(run_config, errors_in_a_thresholds_file_name_that_file) {
    const wbe::test::temp_dir dir("config");
    const std::string cfg = write(dir, "c.yaml", config("thresholds: t.yaml\n"));
    const std::string t = write(dir, "t.yaml", "# rules\nthresholds:\n  - {drug: ketamine, metric: consumption, watch: -1}\n");
    EXPECT_EQ(error_of(cfg), t + ":3:50: watch = -1: watch must be >= 0");
    const std::string cfg2 = write(dir, "c2.yaml", config("thresholds: missing.yaml\n"));
    EXPECT_EQ(error_of(cfg2), cfg2 + ":4:13: thresholds = missing.yaml: cannot read thresholds file " + dir.file("missing.yaml"));
}

TEST(run_config, batches_folder_without_csv) {
    const wbe::test::temp_dir dir("config");
    fs::create_directories(dir.path() / "empty");
    const std::string path = write(dir, "c.yaml", config("inputs:\n  batches: [empty]\n"));
    EXPECT_EQ(error_of(path), path + ":5:12: batches = empty: folder holds no *.csv batch file");
}

// Found by tests/fuzz/fuzz_run_config_yaml: a path the system refuses (a name over 255 bytes)
// threw std::filesystem::filesystem_error out of the reader (an "internal error" for the CLI).
// Such a batch path stays a file name, whose reading at ingest says what is wrong; such a models
// folder has no population constants, so venues get no screening index unless it is asked for.
TEST(run_config, paths_the_system_refuses_are_not_internal_errors) {
    const wbe::test::temp_dir dir("config");
    const std::string name(300, 'a');
    const std::string path = write(dir, "c.yaml", config("inputs:\n  batches: [" + name + "]\n"));
    EXPECT_EQ(load_run_config(path).batches, std::vector<std::string>{dir.file(name)});

    const std::string models = write(dir, "m.yaml", "store: s.h5\nmodels: {dir: " + name + "}\n");
    EXPECT_FALSE(load_run_config(models).estimate.venue_screening.enabled);
    const std::string asked = write(dir, "v.yaml", "store: s.h5\nmodels: {dir: " + name + "}\nvenues: {screening_index: true}\n");
    EXPECT_EQ(error_of(asked), asked + ":3:27: screening_index = true: the screening index needs the population constants (" +
                                   dir.file(name + "/population/constants.yaml") + ")");

    EXPECT_THROW((void)wbe::io::load_model_set(root() + "/models", name), wbe::config_error);
}

TEST(run_config, missing_config_file) {
    const wbe::test::temp_dir dir("config");
    EXPECT_EQ(error_of(dir.file("none.yaml")), dir.file("none.yaml") + ": cannot open file: No such file or directory");
}

// ---- resolve_rules --------------------------------------------------------------------------

TEST(run_config, resolve_rules_rejects_an_unknown_drug_at_the_rule) {
    const wbe::test::temp_dir dir("config");
    const std::string path = write(dir, "c.yaml",
                                   config("thresholds:\n  thresholds:\n"
                                          "    - {drug: ketamine, metric: consumption, watch: 1}\n"
                                          "    - {drug: heroinx, metric: consumption, watch: 1}\n"));
    wbe::io::run_config c = load_run_config(path);
    const wbe::model_set m = wbe::io::load_model_set(root() + "/models");
    try {
        wbe::io::resolve_rules(c, m);
        FAIL() << "no error";
    } catch (const wbe::config_error& e) {
        EXPECT_EQ(std::string(e.what()), path + ":7:7: drug = heroinx: unknown drug or residue (not in model set 'default')");
    }
}

TEST(run_config, resolve_rules_accepts_drug_names_and_resolves_ratio_aliases) {
    const wbe::test::temp_dir dir("config");
    const std::string path = write(dir, "c.yaml",
                                   config("thresholds:\n  thresholds:\n"
                                          "    - {drug: cocaine, metric: consumption, watch: 1}\n"  // a drug, via benzoylecgonine
                                          "  ratios:\n"
                                          "    - {numerator: KET, denominator: nk, above: 20}\n"));
    wbe::io::run_config c = load_run_config(path);
    wbe::io::resolve_rules(c, wbe::io::load_model_set(root() + "/models"));
    EXPECT_EQ(c.ratios.at(0).numerator, "ketamine");
    EXPECT_EQ(c.ratios.at(0).denominator, "norketamine");

    const std::string bad = write(dir, "d.yaml",
                                  config("thresholds:\n  ratios:\n    - {numerator: ketamine, denominator: nope, above: 20}\n"));
    wbe::io::run_config d = load_run_config(bad);
    try {
        wbe::io::resolve_rules(d, wbe::io::load_model_set(root() + "/models"));
        FAIL() << "no error";
    } catch (const wbe::config_error& e) {
        EXPECT_EQ(std::string(e.what()), bad + ":6:7: denominator = nope: unknown residue (not in model set 'default')");
    }
}

// ---- uncertainty ----------------------------------------------------------------------------

TEST(run_config, example_uncertainty_settings) {
    // config/example.yaml: Monte Carlo, 10 000 draws, seed 20241130, 95%, uniform censored draws,
    // the science.md §3 components; the consumption rules of thresholds.yaml give the
    // exceedance thresholds (the venue rules are on concentration: none).
    const wbe::io::run_config c = load_run_config(root() + "/config/example.yaml");
    const wbe::uncertainty_options& u = c.estimate.uncertainty;
    EXPECT_EQ(u.method, wbe::uncertainty_method::monte_carlo);
    EXPECT_EQ(u.mc.draws, 10000u);
    EXPECT_EQ(u.mc.seed, 20241130u);
    EXPECT_EQ(u.mc.interval, 0.95);
    EXPECT_EQ(u.mc.censored, wbe::censored_draws::uniform);
    EXPECT_EQ(u.p_exceeds, 0.95);
    EXPECT_EQ(u.p_possible, 0.5);
    EXPECT_EQ(u.defaults.analysis.rsd, 0.15);
    EXPECT_EQ(u.defaults.excretion.rsd, 0.25);
    EXPECT_EQ(u.defaults.flow.family, wbe::distribution_family::lognormal);
    ASSERT_EQ(u.thresholds.size(), 2u);
    EXPECT_EQ(u.thresholds[0].drug, "methamphetamine");
    EXPECT_EQ(u.thresholds[0].site_kind, "wwtp");
    EXPECT_EQ(u.thresholds[0].watch, 200.0);
    EXPECT_EQ(u.thresholds[0].alert, 300.0);
    EXPECT_EQ(u.thresholds[1].drug, "ketamine");
    EXPECT_EQ(u.thresholds[1].alert, 200.0);
}

TEST(run_config, uncertainty_defaults_without_a_section) {
    // A run config without `uncertainty:` runs Monte Carlo with the library defaults.
    const wbe::test::temp_dir dir("config");
    const auto c = load_run_config(write(dir, "c.yaml", config("")));
    const wbe::uncertainty_options& u = c.estimate.uncertainty;
    EXPECT_EQ(u.method, wbe::uncertainty_method::monte_carlo);
    EXPECT_EQ(u.mc.draws, 10000u);
    EXPECT_EQ(u.mc.threads, 0u);
    EXPECT_TRUE(u.from_inputs);
    EXPECT_EQ(u.defaults.population.rsd, 0.10);
    EXPECT_TRUE(u.overrides.empty());
}

TEST(run_config, uncertainty_section_is_read) {
    const wbe::test::temp_dir dir("config");
    const auto c = load_run_config(write(dir, "c.yaml",
                                         config("uncertainty:\n"
                                                "  method: analytic\n"
                                                "  draws: 5000\n"
                                                "  seed: 7\n"
                                                "  interval: 0.9\n"
                                                "  threads: 2\n"
                                                "  censored: substitute\n"
                                                "  from_inputs: false\n"
                                                "  probability: {exceeds: 0.9, possible: 0.4}\n"
                                                "  components:\n"
                                                "    analysis: {family: normal, rsd: 0.2}\n"
                                                "    flow: {family: uniform, low: 0.9, high: 1.1}\n"
                                                "    excretion: {family: triangular, low: 0.8, mode: 1, high: 1.3}\n"
                                                "    population: {family: lognormal, rsd: 0.3, center: mean}\n"
                                                "    sampling: {family: fixed}\n"
                                                "  overrides:\n"
                                                "    - {drug: cocaine, excretion: {family: lognormal, rsd: 0.26}}\n"
                                                "    - {site: LS-WWTP-01, method_id: M7, analysis: {family: lognormal, rsd: 0.3}}\n")));
    const wbe::uncertainty_options& u = c.estimate.uncertainty;
    EXPECT_EQ(u.method, wbe::uncertainty_method::analytic);
    EXPECT_EQ(u.mc.draws, 5000u);
    EXPECT_EQ(u.mc.seed, 7u);
    EXPECT_EQ(u.mc.interval, 0.9);
    EXPECT_EQ(u.mc.threads, 2u);
    EXPECT_EQ(u.mc.censored, wbe::censored_draws::substitute);
    EXPECT_FALSE(u.from_inputs);
    EXPECT_EQ(u.p_exceeds, 0.9);
    EXPECT_EQ(u.p_possible, 0.4);
    EXPECT_EQ(u.defaults.analysis.family, wbe::distribution_family::normal);
    EXPECT_EQ(u.defaults.analysis.rsd, 0.2);
    EXPECT_EQ(u.defaults.flow.family, wbe::distribution_family::uniform);
    EXPECT_EQ(u.defaults.flow.low, 0.9);
    EXPECT_EQ(u.defaults.flow.high, 1.1);
    EXPECT_EQ(u.defaults.excretion.family, wbe::distribution_family::triangular);
    EXPECT_EQ(u.defaults.excretion.mode, 1.0);
    EXPECT_EQ(u.defaults.population.center, wbe::lognormal_center::mean);
    EXPECT_EQ(u.defaults.population.rsd, 0.3);
    EXPECT_EQ(u.defaults.sampling.family, wbe::distribution_family::fixed);
    ASSERT_EQ(u.overrides.size(), 2u);
    EXPECT_EQ(u.overrides[0].drug, "cocaine");
    ASSERT_TRUE(u.overrides[0].excretion.has_value());
    EXPECT_EQ(u.overrides[0].excretion->rsd, 0.26);
    EXPECT_FALSE(u.overrides[0].analysis.has_value());
    EXPECT_EQ(u.overrides[0].origin.line, 20u);  // line 4 is `uncertainty:`; the first override is line 20
    EXPECT_EQ(u.overrides[1].site, "LS-WWTP-01");
    EXPECT_EQ(u.overrides[1].method_id, "M7");
    ASSERT_TRUE(u.overrides[1].analysis.has_value());
    EXPECT_EQ(u.overrides[1].analysis->rsd, 0.3);
}

// Distribution errors point at the offending value: file, line, column. Line 4 is `uncertainty:`,
// line 5 `  components:`, line 6 the component; columns counted in the line as written.
std::string component_error(const std::string& line) {
    const wbe::test::temp_dir dir("config");
    const std::string path = write(dir, "c.yaml", config("uncertainty:\n  components:\n" + line + "\n"));
    const std::string e = error_of(path);
    return e.rfind(path, 0) == 0 ? e.substr(path.size()) : e;
}

TEST(run_config, uncertainty_negative_rsd) {
    // "    analysis: {family: lognormal, rsd: -0.1}": the value -0.1 starts at column 40.
    EXPECT_EQ(component_error("    analysis: {family: lognormal, rsd: -0.1}"), ":6:40: rsd = -0.1: rsd must be a finite number >= 0");
    EXPECT_EQ(component_error("    analysis: {family: normal, rsd: -1}"), ":6:37: rsd = -1: rsd must be a finite number >= 0");
}

TEST(run_config, uncertainty_low_above_high) {
    // "    flow: {family: uniform, low: 1.2, high: 0.8}": 1.2 at column 34.
    EXPECT_EQ(component_error("    flow: {family: uniform, low: 1.2, high: 0.8}"), ":6:34: low = 1.2: low must be <= high");
    EXPECT_EQ(component_error("    flow: {family: uniform, low: 0, high: 1.2}"),
              ":6:34: low = 0: low must be > 0 (a factor on a positive quantity)");
}

TEST(run_config, uncertainty_mode_outside_the_triangle) {
    // "    excretion: {family: triangular, low: 0.8, mode: 1.5, high: 1.2}": the mode 1.5 at column 53.
    EXPECT_EQ(component_error("    excretion: {family: triangular, low: 0.8, mode: 1.5, high: 1.2}"),
              ":6:53: mode = 1.5: low <= mode <= high is required");
}

TEST(run_config, uncertainty_unknown_family) {
    // "    flow: {family: gamma, rsd: 0.1}": gamma at column 20.
    EXPECT_EQ(component_error("    flow: {family: gamma, rsd: 0.1}"),
              ":6:20: family = gamma: family must be fixed, normal, lognormal, uniform or triangular");
    // No family at all: the map at column 11.
    EXPECT_EQ(component_error("    flow: {rsd: 0.1}"), ":6:11: family = \"\": required key is missing in flow");
}

TEST(run_config, uncertainty_key_that_does_not_apply_to_the_family) {
    // "    flow: {family: uniform, rsd: 0.1, low: 0.9, high: 1.1}": the key rsd at column 29.
    EXPECT_EQ(component_error("    flow: {family: uniform, rsd: 0.1, low: 0.9, high: 1.1}"),
              ":6:29: rsd = \"\": key does not apply to family uniform");
    // "    population: {family: lognormal, rsd: 0.1, center: middle}": middle at column 55.
    EXPECT_EQ(component_error("    population: {family: lognormal, rsd: 0.1, center: middle}"),
              ":6:55: center = middle: center must be median or mean");
    EXPECT_EQ(component_error("    colour: {family: fixed}"),
              ":6:5: colour = \"\": unknown key in components (allowed: analysis, sampling, flow, population, excretion)");
}

std::string uncertainty_error(const std::string& lines) {
    const wbe::test::temp_dir dir("config");
    const std::string path = write(dir, "c.yaml", config("uncertainty:\n" + lines));
    const std::string e = error_of(path);
    return e.rfind(path, 0) == 0 ? e.substr(path.size()) : e;
}

TEST(run_config, uncertainty_unknown_key) {
    EXPECT_EQ(uncertainty_error("  colour: red\n"),
              ":5:3: colour = \"\": unknown key in uncertainty (allowed: method, draws, seed, interval, threads, censored, "
              "from_inputs, probability, components, overrides)");
}

TEST(run_config, uncertainty_bad_draws_interval_method_censored) {
    // "  draws: 0": the value at column 10; "  interval: 1.5": column 13; "  method: bayes": 11;
    // "  censored: zero": 13.
    EXPECT_EQ(uncertainty_error("  draws: 0\n"), ":5:10: draws = 0: draws must be a whole number from 1 to 1e9");
    EXPECT_EQ(uncertainty_error("  draws: 2.5\n"), ":5:10: draws = 2.5: draws must be a whole number from 1 to 1e9");
    EXPECT_EQ(uncertainty_error("  interval: 1.5\n"), ":5:13: interval = 1.5: interval must be in (0, 1), e.g. 0.95");
    EXPECT_EQ(uncertainty_error("  interval: 0\n"), ":5:13: interval = 0: interval must be in (0, 1), e.g. 0.95");
    EXPECT_EQ(uncertainty_error("  method: bayes\n"), ":5:11: method = bayes: method must be monte_carlo, analytic or none");
    EXPECT_EQ(uncertainty_error("  censored: zero\n"), ":5:13: censored = zero: censored must be uniform or substitute");
}

TEST(run_config, uncertainty_override_without_a_selector) {
    // "    - {analysis: {family: fixed}}": the override's map at line 6, column 7.
    EXPECT_EQ(uncertainty_error("  overrides:\n    - {analysis: {family: fixed}}\n"),
              ":6:7: overrides = \"\": an override needs at least one of drug, site, method_id");
}

TEST(run_config, uncertainty_override_components_that_its_selector_cannot_select) {
    // A lab method selects the analysis error only; the excretion is shared by every site of a
    // drug. "    - {method_id: M2, flow: {family: fixed}}": flow's value at column 29, and so is
    // excretion's in "    - {site: P1, excretion: {family: fixed}}".
    EXPECT_EQ(uncertainty_error("  overrides:\n    - {method_id: M2, flow: {family: fixed}}\n"),
              ":6:29: flow = \"\": an override with method_id sets the analysis error only");
    EXPECT_EQ(uncertainty_error("  overrides:\n    - {site: P1, excretion: {family: fixed}}\n"),
              ":6:29: excretion = \"\": the excretion is drawn once per drug for every site: an override with site cannot set it");
}

TEST(run_config, uncertainty_probability_possible_above_exceeds) {
    // "  probability: {exceeds: 0.6, possible: 0.8}": the map at column 16.
    EXPECT_EQ(uncertainty_error("  probability: {exceeds: 0.6, possible: 0.8}\n"),
              ":5:16: probability = \"\": 0 < possible <= exceeds <= 1 is required");
}

}  // namespace

// ---- detectors (inheritance defaults → drugs → site_kinds → sites) ---------------------------

namespace {

wbe::site make_site(const std::string& id, const std::string& kind) {
    wbe::site s;
    s.id = id;
    s.kind = kind;
    return s;
}

std::vector<std::string> names_of(const std::vector<wbe::detector_instance>& ds) {
    std::vector<std::string> out;
    for (const auto& d : ds) out.push_back(d.name);
    return out;
}

}  // namespace

TEST(run_config, detectors_inherit_and_switch) {
    const wbe::test::temp_dir dir("config");
    const std::string path = write(dir, "c.yaml", config("thresholds:\n"
                                                         "  detectors:\n"
                                                         "    defaults: {trend: {}}\n"
                                                         "    drugs:\n"
                                                         "      ketamine: {rolling_baseline: {window: 6}}\n"
                                                         "    site_kinds:\n"
                                                         "      venue: {trend: off, rolling_baseline: {min_sd: 0.8}, peer_rank: on}\n"
                                                         "    sites:\n"
                                                         "      V-2: {rolling_baseline: off}\n"));
    const wbe::io::run_config c = load_run_config(path);
    wbe::io::detector_resolver resolve(c.detectors);
    // A plant: defaults (trend) + the drug's rolling_baseline.
    EXPECT_EQ(names_of(resolve(make_site("P-1", "wwtp"), "ketamine")), (std::vector<std::string>{"trend", "rolling_baseline"}));
    EXPECT_EQ(names_of(resolve(make_site("P-1", "wwtp"), "methamphetamine")), (std::vector<std::string>{"trend"}));
    // A venue: trend off; parameters at the site-kind level adjust only what runs (rolling
    // baseline for ketamine, not for methamphetamine); `on` switches peer_rank on for any drug.
    EXPECT_EQ(names_of(resolve(make_site("V-1", "venue"), "ketamine")), (std::vector<std::string>{"rolling_baseline", "peer_rank"}));
    EXPECT_EQ(names_of(resolve(make_site("V-1", "venue"), "methamphetamine")), (std::vector<std::string>{"peer_rank"}));
    // A site switches a detector off.
    EXPECT_EQ(names_of(resolve(make_site("V-2", "venue"), "ketamine")), (std::vector<std::string>{"peer_rank"}));
    // Sites with the same merged settings share one detector instance.
    const auto a = resolve(make_site("P-1", "wwtp"), "ketamine");
    const auto b = resolve(make_site("P-2", "wwtp"), "ketamine");
    EXPECT_EQ(a[1].series.get(), b[1].series.get());
    EXPECT_NE(resolve(make_site("V-1", "venue"), "ketamine")[0].series.get(), a[1].series.get());  // min_sd differs
}

TEST(run_config, detector_errors_name_line_and_column) {
    const wbe::test::temp_dir dir("config");
    const auto err = [&](const std::string& detectors) {
        return error_of(write(dir, "c.yaml", config("thresholds:\n  detectors:\n" + detectors)));
    };
    const std::string p = dir.file("c.yaml");
    EXPECT_EQ(err("    defaults: {trendy: {}}\n"),
              p + ":6:16: trendy = \"\": unknown detector (known: " + wbe::detectors::detector_names() + ")");
    EXPECT_EQ(err("    defaults: {trend: {window: 2}}\n"), p + ":6:24: window = 2: must be an integer in [3, 1000]");
    EXPECT_EQ(err("    defaults: {trend: {colour: red}}\n").rfind(p + ":6:24: colour = red: unknown parameter of trend", 0), 0u)
        << err("    defaults: {trend: {colour: red}}\n");
    EXPECT_EQ(err("    defaults: {trend: maybe}\n"), p + ":6:23: trend = maybe: a detector is a mapping of parameters, on or off");
    EXPECT_EQ(err("    site_kinds: {plant: {}}\n"), p + ":6:18: plant = \"\": site kind must be wwtp or venue");
    EXPECT_EQ(err("    everywhere: {}\n").rfind(p + ":6:5: everywhere = \"\": unknown key in detectors", 0), 0u);
}

TEST(run_config, detector_cross_parameter_rules_fail_when_built) {
    const wbe::test::temp_dir dir("config");
    const std::string path = write(dir, "c.yaml", config("thresholds:\n"
                                                         "  detectors:\n"
                                                         "    drugs:\n"
                                                         "      ketamine: {rolling_baseline: {watch_z: 5, alert_z: 4}}\n"));
    const wbe::io::run_config c = load_run_config(path);  // each value is valid on its own
    wbe::io::detector_resolver resolve(c.detectors);
    try {
        (void)resolve(make_site("P-1", "wwtp"), "ketamine");
        FAIL() << "expected a config_error";
    } catch (const wbe::config_error& e) {
        EXPECT_EQ(std::string(e.what()), path + ":7:58: alert_z = 4: must be > watch_z = 5 (detector rolling_baseline for P-1, ketamine)");
    }
}

TEST(run_config, composites_are_read_and_checked) {
    const wbe::test::temp_dir dir("config");
    const std::string ok = write(dir, "ok.yaml", config("composites:\n"
                                                        "  - {name: stim, drugs: {methamphetamine: 1, cocaine: 2}}\n"
                                                        "  - {name: pts, method: relative, base_year: 2022, drugs: {ketamine: 1}}\n"));
    const wbe::io::run_config c = load_run_config(ok);
    ASSERT_EQ(c.composites.size(), 2u);
    EXPECT_EQ(c.composites[0].method, wbe::composite_method::total_doses);
    EXPECT_EQ(c.composites[0].drugs, (std::vector<std::pair<std::string, double>>{{"methamphetamine", 1.0}, {"cocaine", 2.0}}));
    EXPECT_EQ(c.composites[1].method, wbe::composite_method::relative);
    EXPECT_EQ(c.composites[1].base_year, 2022);

    const std::string p = dir.file("bad.yaml");
    const auto err = [&](const std::string& text) { return error_of(write(dir, "bad.yaml", config(text))); };
    EXPECT_EQ(err("composites:\n  - {name: s, method: sum, drugs: {ketamine: 1}}\n"),
              p + ":5:23: method = sum: method must be total_doses or relative");
    EXPECT_EQ(err("composites:\n  - {name: s, drugs: {ketamine: -1}}\n"), p + ":5:33: ketamine = -1: a weight must be a number > 0");
    EXPECT_EQ(err("composites:\n  - {name: s, drugs: {ketamine: 1}, base_year: 22}\n"),
              p + ":5:48: base_year = 22: base_year must be a year (1900-2199) or 0 for the first year");
    // A composite's drugs must exist in the model set, checked with the models.
    wbe::io::run_config unknown = load_run_config(write(dir, "u.yaml", config("composites:\n  - {name: s, drugs: {heroinx: 1}}\n")));
    const wbe::model_set models = wbe::io::load_model_set(root() + "/models");
    EXPECT_THROW(wbe::io::resolve_rules(unknown, models), wbe::config_error);
}

TEST(run_config, population_section) {
    const wbe::test::temp_dir dir("config");
    // Absent: census only. The constants are still read, for the venue screening index.
    wbe::io::run_config c = load_run_config(write(dir, "a.yaml", config("")));
    EXPECT_TRUE(c.population.census);
    EXPECT_FALSE(c.population.hydrochemical || c.population.cotinine);
    EXPECT_EQ(c.population_constants, root() + "/models/population/constants.yaml");
    EXPECT_TRUE(c.estimate.venue_screening.enabled);
    EXPECT_EQ(c.estimate.venue_screening.mg_cotinine_per_cigarette, 0.14);
    // Switched off, nothing is read.
    c = load_run_config(write(dir, "off.yaml", config("venues: {screening_index: false}\n")));
    EXPECT_FALSE(c.estimate.venue_screening.enabled);
    EXPECT_TRUE(c.population_constants.empty());
    // Asked for without a constants file: an error at the key.
    const std::string bare = write(dir, "bare.yaml", "store: s.h5\nmodels:\n  dir: " + dir.file("nomodels") +
                                                         "\nvenues: {screening_index: true}\n");
    EXPECT_EQ(error_of(bare), bare + ":4:27: screening_index = true: the screening index needs the population constants (" +
                                  dir.file("nomodels") + "/population/constants.yaml)");
    // Every key; the constants default to <models.dir>/population/constants.yaml.
    c = load_run_config(write(dir, "b.yaml", config("population:\n"
                                                     "  estimators: [hydrochemical, cotinine]\n"
                                                     "  parameters: [NH4-N, COD]\n"
                                                     "  calibration: {from: 2022-01-01, to: 2022-12-31}\n"
                                                     "  check_factor: 1.5\n")));
    EXPECT_FALSE(c.population.census);
    EXPECT_TRUE(c.population.hydrochemical && c.population.cotinine);
    EXPECT_EQ(c.population.parameters, (std::vector<std::string>{"NH4-N", "COD"}));
    EXPECT_EQ(c.population.calibrate_from, *wbe::parse_iso_date("2022-01-01"));
    EXPECT_EQ(c.population.calibrate_to, *wbe::parse_iso_date("2022-12-31"));
    EXPECT_EQ(c.population.check_factor, 1.5);
    EXPECT_EQ(c.population_constants, root() + "/models/population/constants.yaml");
    EXPECT_EQ(c.population.constants.mg_cotinine_per_cigarette, 0.14);
    EXPECT_EQ(c.population.census_rsd, 0.10);  // the uncertainty section's population component
}

TEST(run_config, population_errors) {
    const wbe::test::temp_dir dir("config");
    auto path = write(dir, "a.yaml", config("population:\n  estimators: [census, tourism]\n"));
    EXPECT_EQ(error_of(path), path + ":5:24: estimators = tourism: estimator must be census, hydrochemical or cotinine");
    path = write(dir, "b.yaml", config("population:\n  estimators: [cotinine]\n  calibration: {from: 2022-13-01, to: 2022-12-31}\n"));
    EXPECT_EQ(error_of(path), path + ":6:23: from = 2022-13-01: from must be a date written YYYY-MM-DD");
    path = write(dir, "c.yaml", config("population:\n  estimators: [cotinine]\n  check_factor: 1\n"));
    EXPECT_EQ(error_of(path), path + ":6:17: check_factor = 1: check_factor must be > 1 (or 0: no check)");
    path = write(dir, "d.yaml", config("population:\n  estimators: [hydrochemical]\n  parameters: [TX]\n"));
    EXPECT_EQ(error_of(path), path + ":6:16: parameters = TX: parameter must be one of NH4-N, COD, BOD5, TKN, TN, TP");
    path = write(dir, "e.yaml", config("population:\n  estimators: []\n"));
    EXPECT_EQ(error_of(path), path + ":5:15: estimators = \"\": estimators must be a non-empty list of census, hydrochemical, cotinine");
}
