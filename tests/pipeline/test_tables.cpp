// Tests of wbe/pipeline/tables.hpp: store tables as aligned text and as CSV.

#include "wbe/pipeline/tables.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <string>

#include "test_support.hpp"
#include "wbe/core/errors.hpp"
#include "wbe/io/csv.hpp"

namespace {

using namespace wbe;
using pipeline::text_table;

std::size_t column_of(const text_table& t, const std::string& name) {
    const auto it = std::find(t.header.begin(), t.header.end(), name);
    return static_cast<std::size_t>(it - t.header.begin());
}

std::set<std::string> values_of(const text_table& t, const std::string& column) {
    std::set<std::string> out;
    const std::size_t c = column_of(t, column);
    for (const auto& r : t.rows) out.insert(r.at(c));
    return out;
}

TEST(tables, store_table_filters_by_site_drug_campaign_and_scope) {
    const test::temp_dir dir("tables");
    const std::string store = dir.file("s.h5");
    (void)pipeline::run(pipeline::load_context(test::source_dir() + "/config/example.yaml", {store, {}}));

    const text_table all = pipeline::store_table(store, "estimates_campaign", {}, false);
    ASSERT_FALSE(all.rows.empty());
    EXPECT_EQ(all.header.front(), "scope");
    EXPECT_EQ(values_of(all, "scope"), (std::set<std::string>{"site", "district", "city"}));

    const text_table one = pipeline::store_table(store, "estimates_campaign", {"LS-WWTP-04", "ketamine", "2023Q1", "site"}, false);
    ASSERT_EQ(one.rows.size(), 1u);
    EXPECT_EQ(one.rows[0][column_of(one, "id")], "LS-WWTP-04");
    EXPECT_EQ(one.rows[0][column_of(one, "analyte")], "ketamine");
    EXPECT_EQ(one.rows[0][column_of(one, "n_samples")], "7");
    // The planted alert level: 405.9 mg/day/1000 inh (data/README.md), printed with 6 digits.
    EXPECT_NEAR(std::stod(one.rows[0][column_of(one, "consumption_mg_per_day_per_1000")]), 405.9, 0.05);

    const text_table districts = pipeline::store_table(store, "estimates_campaign", {"", "", "", "district"}, false);
    EXPECT_EQ(values_of(districts, "scope"), (std::set<std::string>{"district"}));
    EXPECT_EQ(values_of(districts, "id"), (std::set<std::string>{"Beishan", "Dongpan", "Xiwan"}));

    const text_table quarter = pipeline::store_table(store, "flags", {"", "", "2024Q2", ""}, false);
    EXPECT_EQ(values_of(quarter, "campaign"), (std::set<std::string>{"2024Q2"}));
    // Thresholds: WWTP-02 watch, WWTP-04 alert, V-09 alert; detectors: WWTP-02 trend, V-09 rolling baseline.
    EXPECT_EQ(quarter.rows.size(), 5u);

    // The drug filter matches the drug name or the analyte: cocaine finds benzoylecgonine rows.
    const text_table cocaine = pipeline::store_table(store, "estimates_daily", {"LS-WWTP-05", "cocaine", "2022Q1", ""}, false);
    EXPECT_EQ(cocaine.rows.size(), 7u);
    EXPECT_EQ(values_of(cocaine, "analyte"), (std::set<std::string>{"benzoylecgonine"}));
    const text_table be = pipeline::store_table(store, "estimates_daily", {"LS-WWTP-05", "benzoylecgonine", "2022Q1", ""}, false);
    EXPECT_EQ(be.rows, cocaine.rows);

    // Sites are filtered by their `site_id` column.
    const text_table site = pipeline::store_table(store, "sites", {"LS-V-09", "", "", ""}, false);
    ASSERT_EQ(site.rows.size(), 1u);
    EXPECT_EQ(site.rows[0][column_of(site, "name")], "Red Phoenix Karaoke");
    EXPECT_EQ(site.rows[0][column_of(site, "population")], "");  // NaN is shown empty

    // Full precision is enough to read the same double back.
    const text_table full = pipeline::store_table(store, "flows", {"LS-WWTP-03", "", "", ""}, true);
    ASSERT_FALSE(full.rows.empty());
    EXPECT_EQ(full.rows[0][column_of(full, "flow_m3_per_day")], "22960");  // 2.296 × 10⁴ m³/d
    EXPECT_TRUE(pipeline::store_table(store, "flows", {"nowhere", "", "", ""}, false).rows.empty());
}

TEST(tables, unknown_table_lists_the_tables) {
    const test::temp_dir dir("tables");
    try {
        (void)pipeline::store_table(dir.file("s.h5"), "estimates", {}, false);
        FAIL() << "no error";
    } catch (const store_error& e) {
        EXPECT_EQ(std::string(e.what()), "unknown table 'estimates' (tables: batches, samples, sites, flows, water_quality, "
                                         "estimates_daily, estimates_campaign, campaign_batches, populations, summaries, detections, flags, "
                                         "flag_history, runs)");
    }
}

TEST(tables, format_table_aligns_columns) {
    const text_table t{{"a", "bbb", "c"}, {{"xx", "y", "z"}, {"z", "", "w"}, {"µg", "1", ""}}};
    EXPECT_EQ(pipeline::format_table(t),
              "a   bbb  c\n"
              "xx  y    z\n"
              "z        w\n"
              "µg  1\n");  // UTF-8 counts as one column per character; no trailing spaces
}

TEST(tables, format_table_limit_line) {
    const text_table t{{"n"}, {{"1"}, {"2"}, {"3"}, {"4444"}}};
    EXPECT_EQ(pipeline::format_table(t, 2), "n\n1\n2\n... 2 more rows\n");
    EXPECT_EQ(pipeline::format_table(t, 4), "n\n1\n2\n3\n4444\n");
    EXPECT_EQ(pipeline::format_table(t, 0), "n\n1\n2\n3\n4444\n");
    EXPECT_EQ(pipeline::format_table(t, 10), "n\n1\n2\n3\n4444\n");
    EXPECT_EQ(pipeline::format_table(text_table{{"h"}, {}}), "h\n");
}

TEST(tables, write_csv_quotes_only_where_needed) {
    const text_table t{{"id", "note"},
                       {{"a", "plain"}, {"b", "with, comma"}, {"c", "say \"hi\""}, {"d", "two\nlines"}, {"e", ""}}};
    std::ostringstream out;
    pipeline::write_csv(t, out);
    EXPECT_EQ(out.str(),
              "id,note\n"
              "a,plain\n"
              "b,\"with, comma\"\n"
              "c,\"say \"\"hi\"\"\"\n"
              "d,\"two\nlines\"\n"
              "e,\n");
    // What is written reads back as the same cells.
    const io::csv_document d = io::parse_csv(out.str());
    ASSERT_TRUE(d.problems.empty());
    ASSERT_EQ(d.records.size(), t.rows.size() + 1);
    for (std::size_t r = 0; r < t.rows.size(); ++r)
        for (std::size_t c = 0; c < 2; ++c) EXPECT_EQ(d.records[r + 1].fields.at(c).text, t.rows[r][c]);
}

TEST(tables, flag_table_columns) {
    flag f;
    f.campaign = "2024Q2";
    f.site_id = "LS-V-09";
    f.site_kind = "venue";
    f.drug = "ketamine";
    f.rule = "threshold";
    f.level = flag_level::alert;
    f.value = 8273.333333;
    f.reference = 4000;
    f.unit = "ng/L";
    flag g = f;
    g.site_id = "LS-WWTP-04";
    g.site_kind = "wwtp";
    g.certainty = "exceeds";
    g.probability = 0.99291;
    g.value = 401.7295;
    g.reference = 200;
    g.unit = "mg/day/1000 inh";
    const text_table t = pipeline::flag_table({f, g});
    EXPECT_EQ(t.header, (std::vector<std::string>{"campaign", "site", "kind", "drug", "rule", "level", "certainty", "P", "value",
                                                  "reference", "unit", "date"}));
    ASSERT_EQ(t.rows.size(), 2u);
    // A deterministic flag has no certainty and no probability; values to 4 significant digits.
    EXPECT_EQ(t.rows[0], (std::vector<std::string>{"2024Q2", "LS-V-09", "venue", "ketamine", "threshold", "alert", "", "", "8273",
                                                   "4000", "ng/L", ""}));
    EXPECT_EQ(t.rows[1], (std::vector<std::string>{"2024Q2", "LS-WWTP-04", "wwtp", "ketamine", "threshold", "alert", "exceeds",
                                                   "0.993", "401.7", "200", "mg/day/1000 inh", ""}));
}

}  // namespace
