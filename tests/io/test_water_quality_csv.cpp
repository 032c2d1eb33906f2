// Tests of wbe/io/water_quality_csv.hpp: daily NH4-N, COD, BOD5, TKN and TP of plants in mg/L.

#include "wbe/io/water_quality_csv.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "wbe/core/errors.hpp"

namespace {

using wbe::io::parse_water_quality;

wbe::io::water_quality_read_options options() {
    return {[](std::string_view id) -> std::string {
        if (id == "P-1" || id == "P-2") return "wwtp";
        if (id == "V-1") return "venue";
        return {};
    }};
}

const std::string header = "site_id,date,parameter,value,unit\n";

std::vector<std::string> problems(const std::string& text) {
    try {
        (void)parse_water_quality(text, "wq.csv", options());
    } catch (const wbe::input_error& e) {
        std::vector<std::string> out;
        for (const auto& d : e.diagnostics()) out.push_back(d.to_string());
        return out;
    }
    return {"<no error>"};
}

std::string problem(const std::string& row) {
    const auto p = problems(header + "P-1,2024-02-14,COD,410,mg/L\n" + row);
    return p.size() == 1 ? p.front() : std::to_string(p.size()) + " problems";
}

TEST(water_quality_csv, spellings_fold_to_the_canonical_parameters) {
    const auto f = parse_water_quality(header +
                                           "P-1,2024-02-14,NH4-N,31.5,mg/L\r\n"
                                           "P-1,2024-02-15,nh4n,31.5,mg/l\r\n"
                                           "P-1,2024-02-16,NH3-N,31.5,g/m3\r\n"
                                           "P-1,2024-02-14,CODcr,410,g/m\xC2\xB3\r\n"
                                           "P-1,2024-02-15,cod_cr,410,mg/L\r\n"
                                           "P-1,2024-02-16,cod,410,mg/L\r\n"
                                           "P-1,2024-02-14,BOD,180,mg/L\r\n"
                                           "P-1,2024-02-15,bod5,180,mg/L\r\n"
                                           "P-1,2024-02-14,tkn,45,mg/L\r\n"
                                           "P-1,2024-02-14,Tp,5.2,mg/L\r\n",
                                       "wq.csv", options());
    const std::vector<std::string> canonical{"NH4-N", "NH4-N", "NH4-N", "COD", "COD", "COD", "BOD5", "BOD5", "TKN", "TP"};
    ASSERT_EQ(f.records.size(), canonical.size());
    for (std::size_t i = 0; i < canonical.size(); ++i) {
        SCOPED_TRACE(i);
        EXPECT_EQ(f.records[i].parameter, canonical[i]);
        EXPECT_EQ(f.records[i].site_id, "P-1");
        EXPECT_EQ(f.records[i].source, "wq.csv");
    }
    EXPECT_EQ(f.records[0].day, wbe::to_days({2024, 2, 14}));
    EXPECT_DOUBLE_EQ(f.records[0].mg_per_l, 31.5);
    EXPECT_DOUBLE_EQ(f.records[2].mg_per_l, 31.5);  // g/m3 is mg/L: not converted
    EXPECT_DOUBLE_EQ(f.records[3].mg_per_l, 410.0);
    EXPECT_DOUBLE_EQ(f.records[9].mg_per_l, 5.2);
    EXPECT_EQ(f.source, "wq.csv");
    EXPECT_EQ(f.content_hash.size(), 32u);
}

TEST(water_quality_csv, quoted_fields_optional_notes_and_header_only_file) {
    const auto f = parse_water_quality("site_id,date,parameter,value,unit,notes\r\n"
                                       "\"P-1\",\"2024-02-14\",\"NH4-N\",\"31.5\",\"mg/L\",\"storm, diluted\"\r\n"
                                       " P-2 ,2024-02-14, TP ,+4.8, g/m3 ,\r\n",
                                       "wq.csv", options());
    ASSERT_EQ(f.records.size(), 2u);
    EXPECT_EQ(f.records[0].site_id, "P-1");
    EXPECT_EQ(f.records[0].parameter, "NH4-N");
    EXPECT_DOUBLE_EQ(f.records[0].mg_per_l, 31.5);
    EXPECT_EQ(f.records[1].site_id, "P-2");
    EXPECT_EQ(f.records[1].parameter, "TP");
    EXPECT_DOUBLE_EQ(f.records[1].mg_per_l, 4.8);
    EXPECT_TRUE(parse_water_quality(header, "wq.csv", options()).records.empty());
}

TEST(water_quality_csv, empty_site) {
    EXPECT_EQ(problem(",2024-02-15,COD,410,mg/L\n"), "wq.csv:3:1: site_id = \"\": site_id must not be empty");
}

TEST(water_quality_csv, long_site) {
    const std::string id(65, 'P');
    EXPECT_EQ(problem(id + ",2024-02-15,COD,410,mg/L\n"),
              "wq.csv:3:1: site_id = " + id + ": site_id is longer than 64 characters");
}

TEST(water_quality_csv, unknown_site) {
    EXPECT_EQ(problem("P-9,2024-02-15,COD,410,mg/L\n"), "wq.csv:3:1: site_id = P-9: unknown site (not in the sites table)");
}

TEST(water_quality_csv, venue_site) {
    EXPECT_EQ(problem("V-1,2024-02-15,COD,410,mg/L\n"),
              "wq.csv:3:1: site_id = V-1: water quality is recorded for treatment plants; this site is a venue");
}

TEST(water_quality_csv, bad_date) {
    EXPECT_EQ(problem("P-1,2023-02-29,COD,410,mg/L\n"),
              "wq.csv:3:2: date = 2023-02-29: date must be a calendar date written YYYY-MM-DD");
    EXPECT_EQ(problem("P-1,15/02/2024,COD,410,mg/L\n"),
              "wq.csv:3:2: date = 15/02/2024: date must be a calendar date written YYYY-MM-DD");
}

TEST(water_quality_csv, total_nitrogen_is_its_own_parameter_not_tkn) {
    const auto f = wbe::io::parse_water_quality(header + "P-1,2024-02-15,tn,52,mg/L\nP-1,2024-02-15,TKN,48,mg/L\n", "wq.csv", options());
    ASSERT_EQ(f.records.size(), 2u);
    EXPECT_EQ(f.records[0].parameter, "TN");
    EXPECT_EQ(f.records[1].parameter, "TKN");
}

TEST(water_quality_csv, unknown_parameter) {
    EXPECT_EQ(problem("P-1,2024-02-15,TSS,200,mg/L\n"),
              "wq.csv:3:3: parameter = TSS: parameter must be one of NH4-N, COD, BOD5, TKN, TN, TP");
    EXPECT_EQ(problem("P-1,2024-02-15,,200,mg/L\n"),
              "wq.csv:3:3: parameter = \"\": parameter must be one of NH4-N, COD, BOD5, TKN, TN, TP");
}

TEST(water_quality_csv, negative_and_zero_value) {
    EXPECT_EQ(problem("P-1,2024-02-15,COD,-5,mg/L\n"), "wq.csv:3:4: value = -5: value must be > 0");
    EXPECT_EQ(problem("P-1,2024-02-15,COD,0,mg/L\n"), "wq.csv:3:4: value = 0: value must be > 0");
}

TEST(water_quality_csv, value_not_a_number) {
    EXPECT_EQ(problem("P-1,2024-02-15,COD,\"4,10\",mg/L\n"), "wq.csv:3:4: value = 4,10: value must be a number");
    EXPECT_EQ(problem("P-1,2024-02-15,COD,<10,mg/L\n"), "wq.csv:3:4: value = <10: value must be a number");
    EXPECT_EQ(problem("P-1,2024-02-15,COD,,mg/L\n"), "wq.csv:3:4: value = \"\": value must be a number");
    EXPECT_EQ(problem("P-1,2024-02-15,COD,NaN,mg/L\n"), "wq.csv:3:4: value = NaN: value must be a finite number");
    EXPECT_EQ(problem("P-1,2024-02-15,COD,inf,mg/L\n"), "wq.csv:3:4: value = inf: value must be a finite number");
}

TEST(water_quality_csv, bad_unit) {
    EXPECT_EQ(problem("P-1,2024-02-15,COD,410,ug/L\n"), "wq.csv:3:5: unit = ug/L: unit must be mg/L (or g/m3)");
    EXPECT_EQ(problem("P-1,2024-02-15,COD,0.41,g/L\n"), "wq.csv:3:5: unit = g/L: unit must be mg/L (or g/m3)");
    EXPECT_EQ(problem("P-1,2024-02-15,COD,410,\n"), "wq.csv:3:5: unit = \"\": unit must be mg/L (or g/m3)");
}

TEST(water_quality_csv, duplicate_site_date_and_parameter) {
    EXPECT_EQ(problem("P-1,2024-02-14,COD,400,mg/L\n"),
              "wq.csv:3:3: parameter = COD: duplicate value: the same site, date and parameter are on line 2");
    // Two spellings of one parameter are the same parameter.
    EXPECT_EQ(problem("P-1,2024-02-14,CODcr,400,mg/L\n"),
              "wq.csv:3:3: parameter = CODcr: duplicate value: the same site, date and parameter are on line 2");
    // Another parameter, day or plant is no duplicate.
    EXPECT_EQ(parse_water_quality(header +
                                      "P-1,2024-02-14,COD,400,mg/L\n"
                                      "P-1,2024-02-14,BOD5,180,mg/L\n"
                                      "P-1,2024-02-15,COD,400,mg/L\n"
                                      "P-2,2024-02-14,COD,400,mg/L\n",
                                  "wq.csv", options())
                  .records.size(),
              4u);
}

TEST(water_quality_csv, wrong_field_count) {
    EXPECT_EQ(problem("P-1,2024-02-15,COD,410\n"), "wq.csv:3: row has 4 fields, the header has 5");
}

TEST(water_quality_csv, header_problems) {
    EXPECT_EQ(problems("site_id,date,parameter,value\nP-1,2024-02-15,COD,410\n"),
              (std::vector<std::string>{"wq.csv:1: column = unit: required column is missing"}));
    EXPECT_EQ(problems("site_id,date,parameter,value,unit,method\nP-1,2024-02-15,COD,410,mg/L,dichromate\n"),
              (std::vector<std::string>{
                  "wq.csv:1:6: column = method: unknown column (expected site_id, date, parameter, value, unit, notes)"}));
}

TEST(water_quality_csv, all_problems_together) {
    EXPECT_EQ(problems(header +
                       "P-1,2024-02-14,COD,-1,mg/L\n"
                       "P-9,2024-02-15,TX,52,mg/L\n"
                       "P-1,2024-02-16,TP,5,ppm\n"
                       "P-1,2024-02-17,NH4-N,30,mg/L\n"
                       "P-1,2024-02-17,NH3-N,30,mg/L\n"),
              (std::vector<std::string>{
                  "wq.csv:2:4: value = -1: value must be > 0",
                  "wq.csv:3:1: site_id = P-9: unknown site (not in the sites table)",
                  "wq.csv:3:3: parameter = TX: parameter must be one of NH4-N, COD, BOD5, TKN, TN, TP",
                  "wq.csv:4:5: unit = ppm: unit must be mg/L (or g/m3)",
                  "wq.csv:6:3: parameter = NH3-N: duplicate value: the same site, date and parameter are on line 5"}));
}

}  // namespace
