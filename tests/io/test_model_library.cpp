// Tests of wbe/io/model_library.hpp: the residue models of models/ and the named sets.

#include "wbe/io/model_library.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "test_support.hpp"
#include "wbe/core/errors.hpp"

namespace {

namespace fs = std::filesystem;
using wbe::io::load_model_set;

std::string models_dir() { return wbe::test::source_dir() + "/models"; }

void write(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

std::string config_error_of(const std::string& dir, const std::string& set = "default") {
    try {
        (void)load_model_set(dir, set);
    } catch (const wbe::config_error& e) {
        return e.what();
    }
    return "<no error>";
}

// A valid residue file; tests replace one line at a time.
const std::string alpha =
    "residue: alpha\n"                                                                              // 1
    "name: Alpha\n"                                                                                 // 2
    "aliases: [AL, alf]\n"                                                                          // 3
    "molecular_weight: {value: 100, unit: g/mol, source: \"test\", evidence: confirmed}\n"          // 4
    "drug:\n"                                                                                       // 5
    "  name: alpha\n"                                                                               // 6
    "  molecular_weight: {value: 120, unit: g/mol, source: \"test\", evidence: confirmed}\n"        // 7
    "  excretion_fraction: {value: 0.5, rsd: 0.2, unit: \"1\", source: \"test\", evidence: unconfirmed}\n";  // 8

std::string replace_line(std::string text, int line, const std::string& with) {
    std::size_t start = 0;
    for (int l = 1; l < line; ++l) start = text.find('\n', start) + 1;
    const std::size_t end = text.find('\n', start);
    return text.replace(start, end - start, with);
}

// ---- the shipped library --------------------------------------------------------------------

TEST(model_library, loads_every_residue_of_the_models_folder_in_name_order) {
    const wbe::model_set m = load_model_set(models_dir());
    EXPECT_EQ(m.name, "default");
    std::vector<std::string> ids;
    for (const auto& r : m.residues) ids.push_back(r.residue);
    EXPECT_EQ(ids, (std::vector<std::string>{"amphetamine", "benzoylecgonine", "codeine", "cotinine", "eddp", "fentanyl",
                                             "ketamine", "mdma", "mephedrone", "methamphetamine", "morphine", "norfentanyl",
                                             "norketamine", "six_mam", "thc_cooh"}));
    for (const auto& r : m.residues) {
        SCOPED_TRACE(r.residue);
        EXPECT_EQ(r.source_file, (fs::path(models_dir()) / (r.residue + ".yaml")).string());
        EXPECT_GT(r.molecular_weight.value, 0.0);
        EXPECT_FALSE(r.molecular_weight.source.empty());
    }
}

TEST(model_library, correction_factors_of_the_default_set) {
    const wbe::model_set m = load_model_set(models_dir());
    const auto* meth = m.find("methamphetamine");
    ASSERT_NE(meth, nullptr);
    EXPECT_NEAR(meth->cf(), 1.0 / 0.43, 1e-12);
    EXPECT_EQ(meth->drug->excretion_fraction.value, 0.43);
    EXPECT_EQ(meth->drug->excretion_fraction.rsd, 0.25);
    EXPECT_EQ(meth->drug->excretion_fraction.evidence_level, wbe::evidence::confirmed);
    EXPECT_EQ(meth->dose_mg(), 30.0);

    const auto* be = m.find("BE");
    ASSERT_NE(be, nullptr);
    EXPECT_EQ(be->residue, "benzoylecgonine");
    EXPECT_EQ(be->drug->name, "cocaine");
    EXPECT_NEAR(be->cf(), (303.36 / 289.33) / 0.35, 1e-12);
    EXPECT_EQ(be->drug->excretion_fraction.evidence_level, wbe::evidence::unconfirmed);

    const auto* mor = m.find("morphine");
    ASSERT_NE(mor, nullptr);
    EXPECT_EQ(mor->drug->name, "heroin");
    EXPECT_EQ(mor->cf(), 3.1);  // given directly, not derived
    EXPECT_FALSE(mor->drug->excretion_fraction.present());

    const auto* nk = m.find("NK");
    ASSERT_NE(nk, nullptr);
    EXPECT_EQ(nk->residue, "norketamine");
    EXPECT_FALSE(nk->drug.has_value());  // a ratio marker, not a consumption marker
    EXPECT_TRUE(std::isinf(meth->in_sewer_half_life.value));  // `.inf` = stable
}

TEST(model_library, europe_set_overrides_methamphetamine_excretion) {
    const wbe::model_set d = load_model_set(models_dir());
    const wbe::model_set e = load_model_set(models_dir(), "europe");
    EXPECT_EQ(e.name, "europe");
    ASSERT_EQ(e.residues.size(), d.residues.size());
    const auto* meth = e.find("methamphetamine");
    ASSERT_NE(meth, nullptr);
    EXPECT_EQ(meth->drug->excretion_fraction.value, 0.39);
    EXPECT_EQ(meth->drug->excretion_fraction.evidence_level, wbe::evidence::unconfirmed);
    EXPECT_NEAR(meth->cf(), 1.0 / 0.39, 1e-12);
    // Everything else is the default set's.
    EXPECT_EQ(e.find("ketamine")->cf(), d.find("ketamine")->cf());
    EXPECT_EQ(e.find("benzoylecgonine")->cf(), d.find("benzoylecgonine")->cf());
    EXPECT_NE(wbe::io::model_set_hash(models_dir(), "europe"), wbe::io::model_set_hash(models_dir(), "default"));
    EXPECT_EQ(wbe::io::model_set_hash(models_dir(), "default"), wbe::io::model_set_hash(models_dir(), "default"));
}

TEST(model_library, unknown_set_name) {
    const std::string expected_path = (fs::path(models_dir()) / "sets" / "mars.yaml").string();
    EXPECT_EQ(config_error_of(models_dir(), "mars"),
              expected_path + ": models.set = mars: no such model set (expected " + expected_path + ")");
}

// ---- rules, in a temporary folder ---------------------------------------------------------------

TEST(model_library, minimal_folder_loads) {
    const wbe::test::temp_dir dir("models");
    write(dir.file("alpha.yaml"), alpha);
    const wbe::model_set m = load_model_set(dir.path().string());
    ASSERT_EQ(m.residues.size(), 1u);
    const auto* a = m.find("ALF");
    ASSERT_NE(a, nullptr);
    EXPECT_DOUBLE_EQ(a->cf(), 2.4);  // (120 / 100) / 0.5
    EXPECT_EQ(a->drug->excretion_fraction.rsd, 0.2);
    EXPECT_EQ(a->drug->excretion_fraction.unit, "1");
    EXPECT_EQ(a->drug->excretion_fraction.source, "test");
    EXPECT_TRUE(std::isnan(a->molecular_weight.rsd));
    EXPECT_TRUE(std::isnan(a->dose_mg()));
    EXPECT_FALSE(a->sorption_fraction.present());
}

TEST(model_library, empty_folder) {
    const wbe::test::temp_dir dir("models");
    const std::string d = dir.path().string();
    EXPECT_EQ(config_error_of(d), d + ": models = " + d + ": the model folder holds no *.yaml file");
}

TEST(model_library, unknown_key_with_line_and_column) {
    const wbe::test::temp_dir dir("models");
    write(dir.file("alpha.yaml"), alpha + "half_life: 3\n");
    EXPECT_EQ(config_error_of(dir.path().string()),
              dir.file("alpha.yaml") +
                  ":9:1: half_life = \"\": unknown key in residue model (allowed: residue, name, aliases, molecular_weight, "
                  "drug, sorption_fraction, in_sewer_half_life, plausible_max_consumption, notes)");
    try {
        (void)load_model_set(dir.path().string());
    } catch (const wbe::config_error& e) {
        EXPECT_EQ(e.detail().where.line, 9u);
        EXPECT_EQ(e.detail().where.column, 1u);
        EXPECT_EQ(e.detail().field, "half_life");
    }
}

TEST(model_library, unknown_key_inside_a_parameter) {
    const wbe::test::temp_dir dir("models");
    write(dir.file("alpha.yaml"),
          replace_line(alpha, 4, "molecular_weight: {value: 100, unit: g/mol, source: \"t\", evidence: confirmed, sd: 1}"));
    EXPECT_EQ(config_error_of(dir.path().string()),
              dir.file("alpha.yaml") +
                  ":4:79: sd = \"\": unknown key in molecular_weight (allowed: value, rsd, unit, source, evidence)");
}

TEST(model_library, missing_source) {
    const wbe::test::temp_dir dir("models");
    write(dir.file("alpha.yaml"), replace_line(alpha, 4, "molecular_weight: {value: 100, unit: g/mol, evidence: confirmed}"));
    EXPECT_EQ(config_error_of(dir.path().string()),
              dir.file("alpha.yaml") + ":4:19: source = \"\": required key is missing in molecular_weight");
    write(dir.file("alpha.yaml"),
          replace_line(alpha, 4, "molecular_weight: {value: 100, unit: g/mol, source: \"\", evidence: confirmed}"));
    EXPECT_EQ(config_error_of(dir.path().string()),
              dir.file("alpha.yaml") + ":4:53: source = \"\": every parameter needs its source");
}

TEST(model_library, evidence_must_be_confirmed_or_unconfirmed) {
    const wbe::test::temp_dir dir("models");
    write(dir.file("alpha.yaml"),
          replace_line(alpha, 7, "  molecular_weight: {value: 120, unit: g/mol, source: \"test\", evidence: likely}"));
    EXPECT_EQ(config_error_of(dir.path().string()),
              dir.file("alpha.yaml") + ":7:73: evidence = likely: evidence must be confirmed or unconfirmed");
}

TEST(model_library, residue_id_must_match_the_file_name) {
    const wbe::test::temp_dir dir("models");
    write(dir.file("alpha.yaml"), replace_line(alpha, 1, "residue: beta"));
    EXPECT_EQ(config_error_of(dir.path().string()),
              dir.file("alpha.yaml") + ":1:10: residue = beta: residue id must match the file name 'alpha'");
}

TEST(model_library, duplicate_alias_across_files) {
    const wbe::test::temp_dir dir("models");
    write(dir.file("alpha.yaml"), alpha);
    std::string beta = replace_line(alpha, 1, "residue: beta");
    beta = replace_line(beta, 3, "aliases: [BT, Al]");
    write(dir.file("beta.yaml"), beta);
    EXPECT_EQ(config_error_of(dir.path().string()),
              dir.file("beta.yaml") + ": aliases = Al: name is also used by " + dir.file("alpha.yaml"));
    // An alias that is another residue's id is ambiguous too.
    beta = replace_line(beta, 3, "aliases: [alpha]");
    write(dir.file("beta.yaml"), beta);
    EXPECT_EQ(config_error_of(dir.path().string()),
              dir.file("beta.yaml") + ": aliases = alpha: name is also used by " + dir.file("alpha.yaml"));
}

TEST(model_library, excretion_fraction_and_correction_factor_exclude_each_other) {
    const wbe::test::temp_dir dir("models");
    write(dir.file("alpha.yaml"),
          alpha + "  correction_factor: {value: 3.1, unit: \"1\", source: \"test\", evidence: unconfirmed}\n");
    EXPECT_EQ(config_error_of(dir.path().string()),
              dir.file("alpha.yaml") + ":6:3: drug = alpha: give exactly one of excretion_fraction and correction_factor");
    write(dir.file("alpha.yaml"), replace_line(alpha, 8, ""));  // neither
    EXPECT_EQ(config_error_of(dir.path().string()),
              dir.file("alpha.yaml") + ":6:3: drug = alpha: give exactly one of excretion_fraction and correction_factor");
}

TEST(model_library, excretion_fraction_range) {
    const wbe::test::temp_dir dir("models");
    write(dir.file("alpha.yaml"),
          replace_line(alpha, 8, "  excretion_fraction: {value: 1.5, unit: \"1\", source: \"test\", evidence: unconfirmed}"));
    EXPECT_EQ(config_error_of(dir.path().string()),
              dir.file("alpha.yaml") + ":8:31: excretion_fraction = 1.5: excretion_fraction must be in (0, 1]");
    // The value is quoted as written, however small.
    write(dir.file("alpha.yaml"),
          replace_line(alpha, 4, "molecular_weight: {value: -1e-9, unit: g/mol, source: \"t\", evidence: confirmed}"));
    EXPECT_EQ(config_error_of(dir.path().string()),
              dir.file("alpha.yaml") + ":4:27: molecular_weight = -1e-9: molecular_weight must be > 0");
}

TEST(model_library, set_overrides_in_a_temporary_folder) {
    const wbe::test::temp_dir dir("models");
    write(dir.file("alpha.yaml"), alpha);
    write(dir.file("sets/low.yaml"),
          "set: low\noverrides:\n  alpha:\n"
          "    drug.excretion_fraction: {value: 0.25, unit: \"1\", source: \"s\", evidence: unconfirmed}\n");
    EXPECT_DOUBLE_EQ(load_model_set(dir.path().string(), "low").find("alpha")->cf(), 4.8);

    write(dir.file("sets/bad.yaml"),
          "set: bad\noverrides:\n  gamma:\n    molecular_weight: {value: 1, unit: g/mol, source: \"s\", evidence: confirmed}\n");
    EXPECT_EQ(config_error_of(dir.path().string(), "bad"),
              dir.file("sets/bad.yaml") + ":3:3: gamma = gamma: override for a residue that has no model file");

    write(dir.file("sets/named.yaml"), "set: other\noverrides: {}\n");
    EXPECT_EQ(config_error_of(dir.path().string(), "named"),
              dir.file("sets/named.yaml") + ":1:6: set = other: set name must match the file name");
}

// Found by tests/fuzz/fuzz_model_library_yaml: an override took any value, so a set could give an
// excretion fraction of 5.39 that the residue file itself may not. It obeys the same rules.
TEST(model_library, set_overrides_obey_the_rules_of_the_values_they_replace) {
    const wbe::test::temp_dir dir("models");
    write(dir.file("alpha.yaml"), alpha + "sorption_fraction: {value: 0.1, unit: \"1\", source: \"t\", evidence: confirmed}\n");
    const auto override_with = [&](const std::string& key, const std::string& value) {
        write(dir.file("sets/x.yaml"), "set: x\noverrides:\n  alpha:\n    " + key + ": {value: " + value +
                                           ", unit: \"1\", source: \"s\", evidence: unconfirmed}\n");
        return config_error_of(dir.path().string(), "x");
    };
    const std::string at = dir.file("sets/x.yaml") + ":4:";
    EXPECT_EQ(override_with("drug.excretion_fraction", "5.39"), at + "38: drug.excretion_fraction = 5.39: excretion_fraction must be in (0, 1]");
    EXPECT_EQ(override_with("drug.excretion_fraction", "0"), at + "38: drug.excretion_fraction = 0: excretion_fraction must be in (0, 1]");
    EXPECT_EQ(override_with("sorption_fraction", "1"), at + "32: sorption_fraction = 1: sorption_fraction must be in [0, 1)");
    EXPECT_EQ(override_with("molecular_weight", "-5"), at + "31: molecular_weight = -5: molecular_weight must be > 0");
    EXPECT_EQ(override_with("drug.molecular_weight", "0"), at + "36: drug.molecular_weight = 0: drug.molecular_weight must be > 0");
    EXPECT_EQ(override_with("drug.excretion_fraction", "1"), "<no error>");
    EXPECT_EQ(override_with("plausible_max_consumption", "1e6"), "<no error>");
}

}  // namespace

// ---- the population estimators' constants (models/population/constants.yaml) ------------------

TEST(population_constants, shipped_file) {
    const wbe::population_constants c = wbe::io::load_population_constants(models_dir() + "/population/constants.yaml");
    // science.md §4: BOD5 60 (EU Directive 91/271/EEC), COD 120, TKN 11, TP 1.8 g/person/day;
    // 0.14 mg cotinine per cigarette. NH4-N has no literature constant (calibrate per site).
    ASSERT_NE(c.find("BOD5"), nullptr);
    EXPECT_EQ(c.find("BOD5")->grams_per_person_day, 60.0);
    EXPECT_EQ(c.find("COD")->grams_per_person_day, 120.0);
    EXPECT_EQ(c.find("TKN")->grams_per_person_day, 11.0);
    EXPECT_EQ(c.find("TP")->grams_per_person_day, 1.8);
    EXPECT_EQ(c.find("NH4-N"), nullptr);
    EXPECT_EQ(c.find("BOD5")->rsd, 0.25);
    EXPECT_NE(c.find("BOD5")->source.find("91/271/EEC"), std::string::npos);
    EXPECT_EQ(c.mg_cotinine_per_cigarette, 0.14);
    EXPECT_EQ(c.cotinine_rsd, 0.30);
}

TEST(population_constants, errors_name_file_line_column) {
    const wbe::test::temp_dir dir("popconst");
    const auto error_of = [&](const std::string& text) {
        const std::string path = dir.file("c.yaml");
        write(path, text);
        try {
            (void)wbe::io::load_population_constants(path);
        } catch (const wbe::config_error& e) {
            return std::string(e.what()).substr(path.size());
        }
        return std::string("<no error>");
    };
    const std::string ok = "{value: 60, rsd: 0.25, unit: g/person/day, source: \"x\", evidence: confirmed}";
    EXPECT_EQ(error_of("per_capita_loads:\n  TX: " + ok + "\n"),
              ":2:3: per_capita_loads = TX: parameter must be one of NH4-N, COD, BOD5, TKN, TN, TP");
    EXPECT_EQ(error_of("per_capita_loads:\n  COD: {value: 120, rsd: 0.25, unit: g/day, source: \"x\", evidence: confirmed}\n"),
              ":2:38: unit = g/day: unit must be g/person/day");
    EXPECT_EQ(error_of("per_capita_loads:\n  COD: {value: 120, unit: g/person/day, source: \"x\", evidence: confirmed}\n"),
              ":2:8: COD = \"\": a per-capita load needs its rsd");
    EXPECT_EQ(error_of("per_capita_loads:\n  COD: {value: 0, rsd: 0.2, unit: g/person/day, source: \"x\", evidence: confirmed}\n"),
              ":2:16: COD = 0: COD must be > 0");
    EXPECT_EQ(error_of("cotinine:\n  mg_per_cigarette: {value: 0.14, unit: mg, source: \"x\", evidence: unconfirmed}\n"),
              ":2:3: population_rsd = \"\": required key is missing in cotinine");
    EXPECT_EQ(error_of("colour: red\n"), ":1:1: colour = \"\": unknown key in population constants (allowed: per_capita_loads, cotinine)");
    // A key that is a list is no parameter (it threw yaml-cpp's bad conversion).
    EXPECT_EQ(error_of("per_capita_loads:\n  [COD, TP]: " + ok + "\n"),
              ":2:3: per_capita_loads = \"\": parameter must be one of NH4-N, COD, BOD5, TKN, TN, TP");
}
