// Tests of wbe/io/sites.hpp: sites from YAML or CSV.

#include "wbe/io/sites.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <string>

#include "test_support.hpp"
#include "wbe/core/errors.hpp"

namespace {

using wbe::io::read_sites;

std::string write(const wbe::test::temp_dir& dir, const std::string& name, const std::string& text) {
    const std::string path = dir.file(name);
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

/// The message of the config_error (YAML) or input_error (CSV) that reading `path` raises.
std::string error_of(const std::string& path) {
    try {
        (void)read_sites(path);
    } catch (const wbe::config_error& e) {
        return e.what();
    } catch (const wbe::input_error& e) {
        return e.what();
    }
    return "<no error>";
}

const std::string plant = "  - id: P-1\n"            // line 3
                          "    name: Plant One\n"
                          "    kind: wwtp\n"
                          "    district: North\n"
                          "    towns: [A, B]\n"
                          "    population: 50000\n"
                          "    population_rsd: 0.1\n";  // line 9

TEST(sites, example_city_yaml) {
    const auto f = read_sites(wbe::test::source_dir() + "/data/example/sites.yaml");
    EXPECT_EQ(f.city, "Lanshui");
    EXPECT_EQ(f.content_hash.size(), 32u);
    ASSERT_EQ(f.sites.size(), 25u);
    std::size_t plants = 0;
    for (const auto& s : f.sites) plants += s.is_plant();
    EXPECT_EQ(plants, 5u);

    const wbe::site& p1 = f.sites[0];
    EXPECT_EQ(p1.id, "LS-WWTP-01");
    EXPECT_EQ(p1.name, "Eastbank Water Reclamation Plant");
    EXPECT_EQ(p1.kind, "wwtp");
    EXPECT_EQ(p1.district, "Dongpan");
    EXPECT_EQ(p1.towns, (std::vector<std::string>{"Dongpan", "Heqiao", "Yuanli"}));
    EXPECT_EQ(p1.population, 160000.0);
    EXPECT_EQ(p1.population_rsd, 0.10);
    EXPECT_EQ(p1.population_method, "census");
    EXPECT_TRUE(std::isnan(p1.residence_time_h));

    const wbe::site* v9 = nullptr;
    for (const auto& s : f.sites)
        if (s.id == "LS-V-09") v9 = &s;
    ASSERT_NE(v9, nullptr);
    EXPECT_EQ(v9->name, "Red Phoenix Karaoke");
    EXPECT_EQ(v9->kind, "venue");
    EXPECT_EQ(v9->venue_type, "karaoke");
    EXPECT_EQ(v9->district, "Dongpan");
    EXPECT_EQ(v9->towns, (std::vector<std::string>{"Meigang"}));
    EXPECT_TRUE(std::isnan(v9->population));
    EXPECT_EQ(v9->population_method, "");
}

TEST(sites, yaml_defaults) {
    const wbe::test::temp_dir dir("sites");
    const auto f = read_sites(write(dir, "s.yml", "sites:\n  - {id: P-1, kind: wwtp, population: 1000}\n"));
    EXPECT_EQ(f.city, "");
    ASSERT_EQ(f.sites.size(), 1u);
    EXPECT_EQ(f.sites[0].name, "P-1");  // name defaults to the id
    EXPECT_EQ(f.sites[0].population_method, "census");
    EXPECT_TRUE(f.sites[0].towns.empty());
    EXPECT_TRUE(std::isnan(f.sites[0].population_rsd));
}

TEST(sites, csv_variant) {
    const wbe::test::temp_dir dir("sites");
    const auto f = read_sites(write(dir, "s.csv",
                                    "id,name,kind,venue_type,district,towns,population,population_rsd,population_method,"
                                    "residence_time_h\n"
                                    "P-1,\"Plant One, East\",wwtp,,North,A; B,50000,0.1,,3.5\n"
                                    "V-1,Club,venue,club,North,A,,,,\n"));
    ASSERT_EQ(f.sites.size(), 2u);
    EXPECT_EQ(f.city, "");
    EXPECT_EQ(f.sites[0].name, "Plant One, East");
    EXPECT_EQ(f.sites[0].towns, (std::vector<std::string>{"A", "B"}));
    EXPECT_EQ(f.sites[0].population, 50000.0);
    EXPECT_EQ(f.sites[0].population_rsd, 0.1);
    EXPECT_EQ(f.sites[0].population_method, "census");
    EXPECT_EQ(f.sites[0].residence_time_h, 3.5);
    EXPECT_EQ(f.sites[1].venue_type, "club");
    EXPECT_TRUE(std::isnan(f.sites[1].population));
    // Only id and kind are required.
    const auto g = read_sites(write(dir, "t.csv", "kind,id,population\nwwtp,P-9,10\n"));
    ASSERT_EQ(g.sites.size(), 1u);
    EXPECT_EQ(g.sites[0].id, "P-9");
    EXPECT_EQ(g.sites[0].name, "P-9");
}

// ---- YAML errors: config_error with file, line and column -------------------------------------

TEST(sites, yaml_unknown_key) {
    const wbe::test::temp_dir dir("sites");
    const std::string path = write(dir, "s.yaml", "city: T\nsites:\n" + plant + "    colour: red\n");
    EXPECT_EQ(error_of(path), path + ":10:5: colour = \"\": unknown key in site (allowed: id, name, kind, venue_type, "
                                     "district, towns, population, population_rsd, population_method, residence_time_h, smoking_rate, domestic_fraction)");
    const std::string top = write(dir, "t.yaml", "city: T\nregion: X\nsites:\n" + plant);
    EXPECT_EQ(error_of(top), top + ":2:1: region = \"\": unknown key in sites file (allowed: city, smoking_rate, sites)");
}

TEST(sites, yaml_duplicate_id) {
    const wbe::test::temp_dir dir("sites");
    const std::string path = write(dir, "s.yaml", "sites:\n  - {id: V-1, kind: venue, venue_type: hotel}\n" + plant +
                                                      "  - {id: V-1, kind: venue, venue_type: club}\n");
    EXPECT_EQ(error_of(path), path + ":10:10: id = V-1: duplicate site id");
}

TEST(sites, yaml_plant_without_population) {
    const wbe::test::temp_dir dir("sites");
    const std::string path = write(dir, "s.yaml", "sites:\n  - id: P-2\n    kind: wwtp\n");
    EXPECT_EQ(error_of(path), path + ":2:5: population = \"\": a treatment plant needs a population > 0");
    const std::string zero = write(dir, "z.yaml", "sites:\n  - id: P-2\n    kind: wwtp\n    population: 0\n");
    EXPECT_EQ(error_of(zero), zero + ":4:17: population = 0: a treatment plant needs a population > 0");
}

TEST(sites, yaml_bad_kind) {
    const wbe::test::temp_dir dir("sites");
    const std::string path = write(dir, "s.yaml", "sites:\n  - id: P-2\n    kind: plant\n    population: 10\n");
    EXPECT_EQ(error_of(path), path + ":3:11: kind = plant: kind must be wwtp or venue");
}

TEST(sites, yaml_venue_without_venue_type) {
    const wbe::test::temp_dir dir("sites");
    const std::string path = write(dir, "s.yaml", "sites:\n" + plant + "  - id: V-1\n    kind: venue\n");
    EXPECT_EQ(error_of(path), path + ":9:5: venue_type = \"\": a venue needs its venue_type");
}

TEST(sites, yaml_negative_population_rsd) {
    const wbe::test::temp_dir dir("sites");
    const std::string path =
        write(dir, "s.yaml", "sites:\n  - {id: P-1, kind: wwtp, population: 10, population_rsd: -0.1}\n");
    EXPECT_EQ(error_of(path), path + ":2:59: population_rsd = -0.1: population_rsd must be >= 0");
}

TEST(sites, yaml_missing_required_key_and_syntax_error) {
    const wbe::test::temp_dir dir("sites");
    const std::string path = write(dir, "s.yaml", "sites:\n  - {id: P-1, population: 10}\n");
    EXPECT_EQ(error_of(path), path + ":2:5: kind = \"\": required key is missing in site");
    const std::string bad = write(dir, "b.yaml", "sites:\n  - {id: P-1, kind: wwtp\n");
    EXPECT_EQ(error_of(bad).rfind(bad + ":3:1: YAML syntax error: ", 0), 0u) << error_of(bad);
}

TEST(sites, unknown_extension_and_missing_file) {
    const wbe::test::temp_dir dir("sites");
    const std::string txt = write(dir, "s.txt", "id,kind\n");
    EXPECT_EQ(error_of(txt), txt + ": sites = " + txt + ": sites file must end in .yaml, .yml or .csv");
    const std::string none = dir.file("none.yaml");
    EXPECT_EQ(error_of(none), none + ": cannot open file: No such file or directory");
}

// ---- CSV errors: input_error, all rows together ---------------------------------------------

TEST(sites, csv_errors_with_line_and_column) {
    const wbe::test::temp_dir dir("sites");
    const std::string path = write(dir, "s.csv",
                                   "id,kind,venue_type,population\n"
                                   "P-1,wwtp,,50000\n"
                                   "P-2,wwtp,,\n"          // plant without population
                                   "P-1,wwtp,,1000\n"      // duplicate id
                                   "V-1,venue,,\n"         // venue without venue_type
                                   "X-1,plant,,\n"         // bad kind
                                   "P-3,wwtp,,many\n");    // not a number
    try {
        (void)read_sites(path);
        FAIL() << "no error";
    } catch (const wbe::input_error& e) {
        std::vector<std::string> got;
        for (const auto& d : e.diagnostics()) got.push_back(d.to_string());
        EXPECT_EQ(got, (std::vector<std::string>{
                           path + ":3:4: population = \"\": a treatment plant needs a population > 0",
                           path + ":4:1: id = P-1: duplicate site id",
                           path + ":5:3: venue_type = \"\": a venue needs its venue_type",
                           path + ":6:2: kind = plant: kind must be wwtp or venue",
                           path + ":7:4: population = many: must be a number",
                           path + ":7:4: population = many: a treatment plant needs a population > 0",
                       }));
    }
}

TEST(sites, csv_header_problems) {
    const wbe::test::temp_dir dir("sites");
    const std::string path = write(dir, "s.csv", "id,name\nP-1,One\n");
    EXPECT_EQ(error_of(path), path + ":1: column = kind: required column is missing");
}

}  // namespace
