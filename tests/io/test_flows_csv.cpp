// Tests of wbe/io/flows_csv.hpp: daily plant flows in m³/d, L/d or 10⁴ m³/d.

#include "wbe/io/flows_csv.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_support.hpp"
#include "wbe/core/errors.hpp"
#include "wbe/io/sites.hpp"

namespace {

using wbe::io::parse_flows;

wbe::io::flow_read_options options() {
    return {[](std::string_view id) -> std::string {
        if (id == "P-1" || id == "P-2") return "wwtp";
        if (id == "V-1") return "venue";
        return {};
    }};
}

const std::string header = "site_id,date,flow,unit\n";

std::vector<std::string> problems(const std::string& text) {
    try {
        (void)parse_flows(text, "flows.csv", options());
    } catch (const wbe::input_error& e) {
        std::vector<std::string> out;
        for (const auto& d : e.diagnostics()) out.push_back(d.to_string());
        return out;
    }
    return {"<no error>"};
}

std::string problem(const std::string& row) {
    const auto p = problems(header + "P-1,2024-02-14,36642,m3/d\n" + row);
    return p.size() == 1 ? p.front() : std::to_string(p.size()) + " problems";
}

TEST(flows_csv, the_three_units_give_the_same_cubic_metres_per_day) {
    const auto f = parse_flows(header +
                                   "P-1,2024-02-14,36642,m3/d\n"
                                   "P-1,2024-02-15,36642000,L/d\n"
                                   "P-1,2024-02-16,3.6642,1e4 m3/d\n"
                                   "P-1,2024-02-17,36642,m³/d\n"
                                   "P-1,2024-02-18,3.6642,10^4 m3/d\n"
                                   "P-1,2024-02-19,36642000,L/day\n",
                               "flows.csv", options());
    ASSERT_EQ(f.records.size(), 6u);
    for (const auto& r : f.records) {
        SCOPED_TRACE(wbe::format_iso_date(r.day));
        EXPECT_DOUBLE_EQ(r.flow_m3_per_day, 36642.0);
        EXPECT_EQ(r.site_id, "P-1");
        EXPECT_EQ(r.source, "flows.csv");
    }
    EXPECT_EQ(f.records[0].day, wbe::to_days({2024, 2, 14}));
    EXPECT_EQ(f.source, "flows.csv");
    EXPECT_EQ(f.content_hash.size(), 32u);
}

TEST(flows_csv, optional_notes_column_and_header_only_file) {
    const auto f = parse_flows("site_id,date,flow,unit,notes\nP-1,2024-02-14,100,m3/d,\"storm, high\"\n", "f.csv", options());
    ASSERT_EQ(f.records.size(), 1u);
    EXPECT_EQ(f.records[0].flow_m3_per_day, 100.0);
    EXPECT_TRUE(parse_flows(header, "f.csv", options()).records.empty());
}

TEST(flows_csv, negative_and_zero_flow) {
    EXPECT_EQ(problem("P-1,2024-02-15,-5,m3/d\n"), "flows.csv:3:3: flow = -5: flow must be > 0");
    EXPECT_EQ(problem("P-1,2024-02-15,0,L/d\n"), "flows.csv:3:3: flow = 0: flow must be > 0");
}

TEST(flows_csv, flow_not_a_number) {
    EXPECT_EQ(problem("P-1,2024-02-15,\"36,642\",m3/d\n"), "flows.csv:3:3: flow = 36,642: flow must be a number");
    EXPECT_EQ(problem("P-1,2024-02-15,NaN,m3/d\n"), "flows.csv:3:3: flow = NaN: flow must be a finite number");
    EXPECT_EQ(problem("P-1,2024-02-15,,m3/d\n"), "flows.csv:3:3: flow = \"\": flow must be a number");
}

TEST(flows_csv, unknown_site) {
    EXPECT_EQ(problem("P-9,2024-02-15,100,m3/d\n"), "flows.csv:3:1: site_id = P-9: unknown site (not in the sites table)");
}

TEST(flows_csv, venue_site) {
    EXPECT_EQ(problem("V-1,2024-02-15,100,m3/d\n"),
              "flows.csv:3:1: site_id = V-1: flows are recorded for treatment plants; this site is a venue");
}

TEST(flows_csv, empty_site) {
    EXPECT_EQ(problem(",2024-02-15,100,m3/d\n"), "flows.csv:3:1: site_id = \"\": site_id must not be empty");
}

TEST(flows_csv, duplicate_site_and_date) {
    EXPECT_EQ(problem("P-1,2024-02-14,36000,m3/d\n"),
              "flows.csv:3:2: date = 2024-02-14: duplicate flow: the same site and date are on line 2");
    // Another plant on the same day is no duplicate.
    EXPECT_EQ(parse_flows(header + "P-1,2024-02-14,1,m3/d\nP-2,2024-02-14,1,m3/d\n", "f.csv", options()).records.size(), 2u);
}

TEST(flows_csv, bad_unit) {
    EXPECT_EQ(problem("P-1,2024-02-15,100,m3/h\n"), "flows.csv:3:4: unit = m3/h: unit must be m3/d, L/d or 1e4 m3/d");
    EXPECT_EQ(problem("P-1,2024-02-15,100,ML/d\n"), "flows.csv:3:4: unit = ML/d: unit must be m3/d, L/d or 1e4 m3/d");
}

TEST(flows_csv, bad_date) {
    EXPECT_EQ(problem("P-1,2024-13-01,100,m3/d\n"),
              "flows.csv:3:2: date = 2024-13-01: date must be a calendar date written YYYY-MM-DD");
    EXPECT_EQ(problem("P-1,2023-02-29,100,m3/d\n"),
              "flows.csv:3:2: date = 2023-02-29: date must be a calendar date written YYYY-MM-DD");
}

TEST(flows_csv, wrong_field_count) {
    EXPECT_EQ(problem("P-1,2024-02-15,100\n"), "flows.csv:3: row has 3 fields, the header has 4");
}

TEST(flows_csv, header_problems) {
    EXPECT_EQ(problems("site_id,date,flow\nP-1,2024-02-15,100\n"),
              (std::vector<std::string>{"flows.csv:1: column = unit: required column is missing"}));
    EXPECT_EQ(problems("site_id,date,flow,unit,rain\nP-1,2024-02-15,100,m3/d,0\n"),
              (std::vector<std::string>{"flows.csv:1:5: column = rain: unknown column (expected site_id, date, flow, unit, notes)"}));
    EXPECT_EQ(problems(""),
              (std::vector<std::string>{"flows.csv:1: file is empty: expected a header line and at least one row"}));
}

TEST(flows_csv, all_problems_together) {
    EXPECT_EQ(problems(header + "P-1,2024-02-14,-1,m3/d\nP-9,2024-02-15,1,m3/d\nP-1,2024-02-16,1,gal/d\n"),
              (std::vector<std::string>{"flows.csv:2:3: flow = -1: flow must be > 0",
                                        "flows.csv:3:1: site_id = P-9: unknown site (not in the sites table)",
                                        "flows.csv:4:4: unit = gal/d: unit must be m3/d, L/d or 1e4 m3/d"}));
}

// A quoting slip in one row must not hide the problems of the other rows.
TEST(flows_csv, quoting_problems_are_reported_with_the_other_rows_problems) {
    EXPECT_EQ(problems(header + "P-1,2024-02-14,\"1\"0,m3/d\nP-9,2024-02-15,1,m3/d\n"),
              (std::vector<std::string>{"flows.csv:2:3: text after the closing quote of a quoted field",
                                        "flows.csv:3:1: site_id = P-9: unknown site (not in the sites table)"}));
}

// The example city's flows: 420 rows in three units; LS-WWTP-03 reports 10⁴ m³/d, LS-WWTP-04 L/d.
TEST(flows_csv, example_flows) {
    const std::string root = wbe::test::source_dir();
    const auto sites = wbe::io::read_sites(root + "/data/example/sites.yaml");
    const auto f = wbe::io::read_flows(root + "/data/example/flows.csv", {[&](std::string_view id) -> std::string {
                                           for (const auto& s : sites.sites)
                                               if (s.id == id) return s.kind;
                                           return {};
                                       }});
    ASSERT_EQ(f.records.size(), 420u);
    EXPECT_EQ(f.records[0].site_id, "LS-WWTP-01");
    EXPECT_EQ(f.records[0].day, wbe::to_days({2022, 2, 14}));
    EXPECT_EQ(f.records[0].flow_m3_per_day, 36642.0);
    // Every plant's flow is of the order of 0.2–0.25 m³ per person and day, whatever its unit.
    for (const auto& r : f.records) {
        double pop = 0;
        for (const auto& s : sites.sites)
            if (s.id == r.site_id) pop = s.population;
        ASSERT_GT(pop, 0.0) << r.site_id;
        // Planted signal 5 (data/README.md): from 2024 LS-WWTP-03 serves 60% of its census.
        if (r.site_id == "LS-WWTP-03" && r.day >= wbe::to_days({2024, 1, 1})) pop *= 0.6;
        EXPECT_GT(r.flow_m3_per_day / pop, 0.15) << r.site_id << " " << wbe::format_iso_date(r.day);
        EXPECT_LT(r.flow_m3_per_day / pop, 0.30) << r.site_id << " " << wbe::format_iso_date(r.day);
    }
}

}  // namespace
