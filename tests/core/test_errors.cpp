// Tests for wbe/core/errors.hpp: the exact text of locations and diagnostics (style.md habit 4),
// the error hierarchy, and the collector.

#include <gtest/gtest.h>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "wbe/core/errors.hpp"

namespace {

// Built member by member: brace-initialising the nested aggregate trips a GCC 12
// -Wmaybe-uninitialized false positive on its std::string members.
wbe::diagnostic diag(const char* file, std::size_t line, std::size_t column, const char* field, const char* value,
                     const char* rule) {
    wbe::diagnostic d;
    d.where.file = file;
    d.where.line = line;
    d.where.column = column;
    d.field = field;
    d.value = value;
    d.rule = rule;
    return d;
}

TEST(Errors, LocationToString) {
    EXPECT_EQ((wbe::location{"flows.csv", 412, 3}.to_string()), "flows.csv:412:3");
    EXPECT_EQ((wbe::location{"flows.csv", 412, 0}.to_string()), "flows.csv:412");
    EXPECT_EQ((wbe::location{"flows.csv", 0, 0}.to_string()), "flows.csv");
    EXPECT_EQ((wbe::location{"flows.csv", 0, 3}.to_string()), "flows.csv");  // a column without a line says nothing
    EXPECT_EQ((wbe::location{"", 0, 0}.to_string()), "<input>");
    EXPECT_EQ((wbe::location{"", 7, 2}.to_string()), "<input>:7:2");
}

TEST(Errors, DiagnosticToStringStyleExample) {
    // style.md habit 4, verbatim
    const wbe::diagnostic d = diag("flows.csv", 412, 3, "flow", "-5 m3/d", "flow must be > 0");
    EXPECT_EQ(d.to_string(), "flows.csv:412:3: flow = -5 m3/d: flow must be > 0");
}

TEST(Errors, DiagnosticToStringShorterForms) {
    EXPECT_EQ(diag("flows.csv", 412, 0, "flow", "-5", "flow must be > 0").to_string(),
              "flows.csv:412: flow = -5: flow must be > 0");
    EXPECT_EQ(diag("sites.yaml", 0, 0, "population", "0", "must be > 0").to_string(),
              "sites.yaml: population = 0: must be > 0");
    // no field: the rule alone
    EXPECT_EQ(diag("assay.csv", 1, 0, "", "", "missing column sample_id").to_string(),
              "assay.csv:1: missing column sample_id");
    // a field with an empty value shows the empty value as ""
    EXPECT_EQ(diag("assay.csv", 9, 4, "unit", "", "unit is required").to_string(),
              "assay.csv:9:4: unit = \"\": unit is required");
}

TEST(Errors, InputErrorJoinsDiagnosticsWithNewlines) {
    const std::vector<wbe::diagnostic> ds{diag("assay.csv", 3, 6, "value", "-1", "value must be >= 0"),
                                          diag("assay.csv", 8, 2, "site_id", "X9", "unknown site")};
    const wbe::input_error e(ds);
    EXPECT_STREQ(e.what(), "assay.csv:3:6: value = -1: value must be >= 0\nassay.csv:8:2: site_id = X9: unknown site");
    ASSERT_EQ(e.diagnostics().size(), 2u);
    EXPECT_EQ(e.first().field, "value");
    EXPECT_EQ(e.diagnostics()[1].value, "X9");
}

TEST(Errors, InputErrorNeverEmpty) {
    const wbe::input_error e(std::vector<wbe::diagnostic>{});
    ASSERT_EQ(e.diagnostics().size(), 1u);
    EXPECT_EQ(e.first().rule, "input error");
    EXPECT_EQ(std::string(e.what()), e.first().to_string());  // what() agrees with the diagnostics
    EXPECT_EQ(std::string(e.what()), "<input>: input error");
}

TEST(Errors, Hierarchy) {
    EXPECT_THROW(wbe::throw_input_error({"a.csv", 1, 1}, "f", "v", "r"), wbe::input_error);
    EXPECT_THROW(wbe::throw_input_error({"a.csv", 1, 1}, "f", "v", "r"), wbe::error);
    EXPECT_THROW(wbe::throw_config_error({"c.yaml", 2, 3}, "k", "v", "r"), wbe::config_error);
    EXPECT_THROW(wbe::throw_config_error({"c.yaml", 2, 3}, "k", "v", "r"), std::runtime_error);
    EXPECT_THROW(wbe::throw_numerical_error("x"), wbe::numerical_error);
    EXPECT_THROW(wbe::throw_numerical_error("x"), wbe::error);
    EXPECT_THROW(throw wbe::store_error("s"), wbe::error);
}

TEST(Errors, ThrowInputErrorCarriesTheDiagnostic) {
    try {
        wbe::throw_input_error({"flows.csv", 412, 3}, "flow", "-5 m3/d", "flow must be > 0");
        FAIL() << "no throw";
    } catch (const wbe::input_error& e) {
        EXPECT_STREQ(e.what(), "flows.csv:412:3: flow = -5 m3/d: flow must be > 0");
        ASSERT_EQ(e.diagnostics().size(), 1u);
        EXPECT_EQ(e.first().where.line, 412u);
        EXPECT_EQ(e.first().where.column, 3u);
        EXPECT_EQ(e.first().value, "-5 m3/d");
    }
}

TEST(Errors, ThrowConfigErrorCarriesTheKey) {
    try {
        wbe::throw_config_error({"run.yaml", 12, 5}, "monte_carlo.draws", "-3", "draws must be >= 1");
        FAIL() << "no throw";
    } catch (const wbe::config_error& e) {
        EXPECT_STREQ(e.what(), "run.yaml:12:5: monte_carlo.draws = -3: draws must be >= 1");
        EXPECT_EQ(e.detail().field, "monte_carlo.draws");
        EXPECT_EQ(e.detail().where.file, "run.yaml");
    }
}

TEST(Errors, ThrowNumericalErrorMessage) {
    try {
        wbe::throw_numerical_error("population = 0: must be > 0");
        FAIL() << "no throw";
    } catch (const wbe::numerical_error& e) {
        EXPECT_STREQ(e.what(), "population = 0: must be > 0");
    }
}

TEST(Errors, CollectorThrowsOnlyWhenNotEmpty) {
    wbe::diagnostics_collector c;
    EXPECT_TRUE(c.empty());
    EXPECT_NO_THROW(c.throw_if_any());
    c.add({"assay.csv", 3, 6}, "value", "-1", "value must be >= 0");
    c.add(diag("assay.csv", 5, 1, "batch_id", "", "batch_id is required"));
    EXPECT_FALSE(c.empty());
    EXPECT_EQ(c.size(), 2u);
    EXPECT_EQ(c.items()[1].field, "batch_id");
    try {
        c.throw_if_any();
        FAIL() << "no throw";
    } catch (const wbe::input_error& e) {
        EXPECT_EQ(e.diagnostics().size(), 2u);
        EXPECT_STREQ(e.what(),
                     "assay.csv:3:6: value = -1: value must be >= 0\nassay.csv:5:1: batch_id = \"\": batch_id is required");
    }
}

}  // namespace
