// Tests of wbe/io/run_config.hpp: the run configuration analysts edit.

#include "wbe/io/run_config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "test_support.hpp"
#include "wbe/core/errors.hpp"
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
    ASSERT_EQ(c.ratios.size(), 1u);
    EXPECT_EQ(c.ratios[0].name, "possible_dumping");
    EXPECT_EQ(c.ratios[0].numerator, "ketamine");
    EXPECT_EQ(c.ratios[0].denominator, "norketamine");
    EXPECT_EQ(c.ratios[0].above, 20.0);
    EXPECT_EQ(c.ratios[0].site_kind, "any");
    EXPECT_EQ(c.ratios[0].level, wbe::flag_level::watch);

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
                                     "models, censoring, campaign, corrections, thresholds, uncertainty)");
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
              path + ":6:32: metric = mass: metric must be concentration, load, pnl, consumption or doses");
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

}  // namespace
