// Tests of wbe/pipeline/pipeline.hpp on the embedded example city: ingest → estimate → flag, the
// store's atomicity and idempotence, and the planted signals end to end.

#include "wbe/pipeline/pipeline.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <tuple>

#include "test_support.hpp"
#include "wbe/core/errors.hpp"
#include "wbe/version.hpp"

namespace {

namespace fs = std::filesystem;
using namespace wbe;

std::string root() { return test::source_dir(); }
std::string example_config() { return root() + "/config/example.yaml"; }
std::string bad_batch() { return root() + "/data/example/bad_batch.csv"; }

pipeline::context context_for(const std::string& store, std::vector<std::string> batches = {}) {
    return pipeline::load_context(example_config(), {store, std::move(batches)});
}

std::string bytes_of(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// ---- ingest ---------------------------------------------------------------------------------

TEST(pipeline, load_context_applies_the_overrides) {
    const test::temp_dir dir("pipeline");
    const pipeline::context ctx = context_for(dir.file("s.h5"), {bad_batch()});
    EXPECT_EQ(ctx.config.store, dir.file("s.h5"));
    EXPECT_EQ(ctx.config.batches, (std::vector<std::string>{bad_batch()}));
    EXPECT_EQ(ctx.models.name, "default");
    EXPECT_EQ(ctx.model_hash.size(), 32u);
    const pipeline::context plain = pipeline::load_context(example_config());
    EXPECT_EQ(plain.config.store, root() + "/out/example.h5");
    EXPECT_EQ(plain.config.batches.size(), 12u);
}

TEST(pipeline, ingest_of_the_example_city) {
    const test::temp_dir dir("pipeline");
    const std::string store = dir.file("s.h5");
    const pipeline::ingest_summary s = pipeline::ingest(context_for(store));
    EXPECT_EQ(s.added, (std::vector<std::string>{"LS-2022Q1", "LS-2022Q2", "LS-2022Q3", "LS-2022Q4", "LS-2023Q1", "LS-2023Q2",
                                                 "LS-2023Q3", "LS-2023Q4", "LS-2024Q1", "LS-2024Q2", "LS-2024Q3", "LS-2024Q4"}));
    EXPECT_TRUE(s.skipped.empty());
    EXPECT_EQ(s.n_results, 8109u);
    EXPECT_EQ(s.n_sites, 25u);
    EXPECT_EQ(s.n_flows_added, 420u);
    EXPECT_EQ(s.n_flows_updated, 0u);

    const io::store_contents c = io::read_store(store);
    EXPECT_EQ(c.city, "Lanshui");
    ASSERT_EQ(c.batches.size(), 12u);
    EXPECT_EQ(c.samples.size(), 8109u);
    EXPECT_EQ(c.flows.size(), 420u);
    EXPECT_EQ(c.sites.size(), 25u);
    EXPECT_EQ(c.batches[0].batch_id, "LS-2022Q1");
    EXPECT_EQ(c.batches[0].n_results, 702);
    EXPECT_EQ(c.batches[0].source, root() + "/data/example/batches/2022Q1.csv");
    EXPECT_EQ(c.batches[0].status, "active");
    std::int64_t total = 0;
    for (const auto& b : c.batches) total += b.n_results;
    EXPECT_EQ(total, 8109);
    ASSERT_EQ(c.runs.size(), 1u);
    EXPECT_EQ(c.runs[0].command, "ingest");
    EXPECT_TRUE(c.daily.empty());
    EXPECT_TRUE(c.flags.empty());
    // Canonical units: batch 2023Q2 is written in ug/L, yet every methamphetamine limit is 0.5/1.5 ng/L.
    std::size_t meth = 0;
    for (const auto& r : c.samples) {
        if (r.analyte != "methamphetamine") continue;
        ++meth;
        EXPECT_NEAR(r.conc.lod, 0.5, 1e-12) << r.sample_id;
        EXPECT_NEAR(r.conc.loq, 1.5, 1e-12) << r.sample_id;
    }
    EXPECT_EQ(meth, 8109u / 9);
}

TEST(pipeline, ingesting_the_same_batches_again_adds_nothing) {
    const test::temp_dir dir("pipeline");
    const std::string store = dir.file("s.h5");
    (void)pipeline::ingest(context_for(store));
    const pipeline::ingest_summary s = pipeline::ingest(context_for(store));
    EXPECT_TRUE(s.added.empty());
    ASSERT_EQ(s.skipped.size(), 12u);
    EXPECT_EQ(s.skipped[0], "LS-2022Q1 (" + root() + "/data/example/batches/2022Q1.csv)");
    EXPECT_EQ(s.n_results, 0u);
    EXPECT_EQ(s.n_flows_added, 0u);
    EXPECT_EQ(s.n_flows_updated, 0u);
    const io::store_contents c = io::read_store(store);
    EXPECT_EQ(c.batches.size(), 12u);
    EXPECT_EQ(c.samples.size(), 8109u);
    EXPECT_EQ(c.flows.size(), 420u);
    EXPECT_EQ(c.runs.size(), 2u);
}

TEST(pipeline, the_same_content_under_another_name_is_recognised) {
    const test::temp_dir dir("pipeline");
    const std::string store = dir.file("s.h5");
    (void)pipeline::ingest(context_for(store));
    const std::string copy = dir.file("copy-of-2022Q1.csv");
    fs::copy_file(root() + "/data/example/batches/2022Q1.csv", copy);
    const pipeline::ingest_summary s = pipeline::ingest(context_for(store, {copy}));
    EXPECT_TRUE(s.added.empty());
    EXPECT_EQ(s.skipped, (std::vector<std::string>{"LS-2022Q1 (" + copy + ")"}));
}

TEST(pipeline, bad_batch_is_rejected_and_the_store_bytes_are_unchanged) {
    const test::temp_dir dir("pipeline");
    const std::string store = dir.file("s.h5");
    (void)pipeline::ingest(context_for(store));
    const std::string before = bytes_of(store);
    ASSERT_FALSE(before.empty());
    try {
        (void)pipeline::ingest(context_for(store, {bad_batch()}));
        FAIL() << "bad batch accepted";
    } catch (const input_error& e) {
        EXPECT_EQ(e.diagnostics().size(), 12u) << e.what();
        EXPECT_EQ(e.first().to_string(), bad_batch() + ":4:6: value = -3.2: value must be >= 0");
    }
    EXPECT_TRUE(bytes_of(store) == before) << "the store changed";
    EXPECT_EQ(io::read_store(store).batches.size(), 12u);
}

TEST(pipeline, bad_batch_into_no_store_creates_no_store) {
    const test::temp_dir dir("pipeline");
    const std::string store = dir.file("new.h5");
    EXPECT_THROW((void)pipeline::ingest(context_for(store, {bad_batch()})), input_error);
    EXPECT_FALSE(fs::exists(store));
    for (const auto& e : fs::directory_iterator(dir.path()))  // at most the writer's lock file
        EXPECT_EQ(e.path().filename().string(), "new.h5.lock");
}

TEST(pipeline, good_and_bad_batches_together_land_nothing) {
    const test::temp_dir dir("pipeline");
    const std::string store = dir.file("s.h5");
    EXPECT_THROW((void)pipeline::ingest(context_for(store, {root() + "/data/example/batches/2022Q1.csv", bad_batch()})),
                 input_error);
    EXPECT_FALSE(fs::exists(store));
}

TEST(pipeline, a_known_batch_id_with_other_content_is_an_error) {
    const test::temp_dir dir("pipeline");
    const std::string store = dir.file("s.h5");
    (void)pipeline::ingest(context_for(store));
    const std::string before = bytes_of(store);
    // The same batch with one value corrected (143 -> 144 on line 2).
    std::string text = bytes_of(root() + "/data/example/batches/2022Q1.csv");
    const std::size_t p = text.find(",methamphetamine,143,");
    ASSERT_NE(p, std::string::npos);
    text.replace(p, 21, ",methamphetamine,144,");
    const std::string corrected = dir.file("2022Q1-corrected.csv");
    std::ofstream(corrected, std::ios::binary) << text;
    try {
        (void)pipeline::ingest(context_for(store, {corrected}));
        FAIL() << "corrected batch accepted";
    } catch (const input_error& e) {
        ASSERT_EQ(e.diagnostics().size(), 1u);
        EXPECT_EQ(e.first().to_string(),
                  corrected + ":2:1: batch_id = LS-2022Q1: batch id is already in the store with other content (from " +
                      root() + "/data/example/batches/2022Q1.csv); a corrected batch must supersede it explicitly (not "
                               "supported yet)");
    }
    EXPECT_TRUE(bytes_of(store) == before);
}

TEST(pipeline, ingest_refuses_a_locked_store) {
    const test::temp_dir dir("pipeline");
    const std::string store = dir.file("s.h5");
    const io::store_lock other_writer(store);
    try {
        (void)pipeline::ingest(context_for(store));
        FAIL() << "ingest wrote a locked store";
    } catch (const store_error& e) {
        EXPECT_NE(std::string(e.what()).find("locked by pid"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(store));
}

// ---- estimate and flag ----------------------------------------------------------------------

TEST(pipeline, estimate_then_flag) {
    const test::temp_dir dir("pipeline");
    const std::string store = dir.file("s.h5");
    const pipeline::context ctx = context_for(store);
    EXPECT_THROW((void)pipeline::estimate(ctx), store_error);  // no store yet
    (void)pipeline::ingest(ctx);
    try {
        (void)pipeline::flag(ctx);
        FAIL() << "flag without estimates";
    } catch (const store_error& e) {
        EXPECT_EQ(std::string(e.what()), store + ": the store holds no estimates yet; run `wbe estimate` first");
    }

    const pipeline::estimate_stage_summary e = pipeline::estimate(ctx);
    EXPECT_EQ(e.model_set, "default");
    EXPECT_EQ(e.core.n_results, 8109u);
    EXPECT_EQ(e.core.n_daily, io::read_store(store).daily.size());
    EXPECT_EQ(e.core.n_missing_flow, 0u);
    EXPECT_GT(e.core.n_censored, 0u);
    EXPECT_TRUE(io::read_store(store).flags.empty());

    const pipeline::flag_summary f = pipeline::flag(ctx);
    EXPECT_EQ(f.n_flags, 17u);
    EXPECT_EQ(f.n_alert, 13u);
    EXPECT_EQ(f.n_watch, 4u);
    const io::store_contents c = io::read_store(store);
    EXPECT_EQ(c.flags.size(), 17u);
    EXPECT_EQ(c.estimates_model_set, "default");
    std::vector<std::string> commands;
    for (const auto& r : c.runs) commands.push_back(r.command);
    EXPECT_EQ(commands, (std::vector<std::string>{"ingest", "estimate", "flag"}));
    EXPECT_EQ(c.runs[1].run_id, 2);
    EXPECT_EQ(c.runs[2].n_flags, 17);

    // A new estimate makes the flags stale: they are cleared.
    (void)pipeline::estimate(ctx);
    EXPECT_TRUE(io::read_store(store).flags.empty());
}

// ---- end to end -----------------------------------------------------------------------------

using flag_key = std::tuple<std::string, std::string, std::string, std::string, std::string, std::string>;

std::set<flag_key> expected_signals() {
    const YAML::Node doc = YAML::LoadFile(root() + "/data/example/expected_signals.yaml");
    std::set<flag_key> out;
    for (const auto& f : doc["flags"])
        out.emplace(f["site"].as<std::string>(), f["drug"].as<std::string>(), f["campaign"].as<std::string>(),
                    f["rule"].as<std::string>(), f["level"].as<std::string>(),
                    f["date"] ? f["date"].as<std::string>() : std::string());
    return out;
}

std::set<flag_key> keys_of(const std::vector<flag>& flags) {
    std::set<flag_key> out;
    for (const auto& f : flags)
        out.emplace(f.site_id, f.drug, f.campaign, f.rule, std::string(to_string(f.level)), f.date);
    return out;
}

std::string describe(const std::set<flag_key>& keys) {
    std::string out;
    for (const auto& [site, drug, campaign, rule, level, date] : keys)
        out += "\n  " + site + " " + drug + " " + campaign + " " + rule + " " + level + " " + date;
    return out;
}

TEST(pipeline, end_to_end_run_raises_exactly_the_planted_signals) {
    const test::temp_dir dir("pipeline");
    const std::string store = dir.file("s.h5");
    const pipeline::context ctx = context_for(store);
    const pipeline::run_summary s = pipeline::run(ctx);

    const std::set<flag_key> want = expected_signals();
    ASSERT_EQ(want.size(), 17u);
    const std::set<flag_key> got = keys_of(s.flag_list);
    EXPECT_EQ(s.flag_list.size(), got.size()) << "a flag is listed twice";
    std::set<flag_key> missing, extra;
    std::set_difference(want.begin(), want.end(), got.begin(), got.end(), std::inserter(missing, missing.end()));
    std::set_difference(got.begin(), got.end(), want.begin(), want.end(), std::inserter(extra, extra.end()));
    EXPECT_TRUE(missing.empty()) << "missing flags:" << describe(missing);
    EXPECT_TRUE(extra.empty()) << "unexpected flags:" << describe(extra);

    // What the run returned is what the store holds.
    const io::store_contents c = io::read_store(store);
    EXPECT_EQ(keys_of(c.flags), want);
    EXPECT_EQ(s.flags.n_flags, 17u);
    EXPECT_EQ(s.flags.n_alert, 13u);
    EXPECT_EQ(s.flags.n_watch, 4u);
    EXPECT_EQ(s.store, store);
    EXPECT_EQ(s.city, "Lanshui");
    EXPECT_EQ(s.ingest.added.size(), 12u);
    EXPECT_EQ(s.ingest.n_results, 8109u);
    EXPECT_EQ(s.estimate.core.n_results, 8109u);
    // Newest campaign first.
    ASSERT_FALSE(s.flag_list.empty());
    EXPECT_EQ(s.flag_list.front().campaign, "2024Q4");
    EXPECT_EQ(s.flag_list.back().campaign, "2022Q1");

    // The dumping flag carries its sample day and the ratio of the planted sample (111 / 1.87).
    for (const auto& f : c.flags) {
        if (f.rule != "possible_dumping") continue;
        EXPECT_EQ(f.date, "2023-08-15");
        EXPECT_NEAR(f.value, 111.0 / 1.87, 0.01);
        EXPECT_EQ(f.reference, 20.0);
    }
}

TEST(pipeline, run_twice_is_idempotent) {
    const test::temp_dir dir("pipeline");
    const std::string store = dir.file("s.h5");
    const pipeline::context ctx = context_for(store);
    const pipeline::run_summary first = pipeline::run(ctx);
    const pipeline::run_summary second = pipeline::run(ctx);
    EXPECT_TRUE(second.ingest.added.empty());
    EXPECT_EQ(second.ingest.skipped.size(), 12u);
    EXPECT_EQ(keys_of(second.flag_list), keys_of(first.flag_list));
    const io::store_contents c = io::read_store(store);
    EXPECT_EQ(c.batches.size(), 12u);
    EXPECT_EQ(c.samples.size(), 8109u);
    EXPECT_EQ(c.runs.size(), 2u);
}

TEST(pipeline, campaign_estimates_include_district_and_city_rows) {
    const test::temp_dir dir("pipeline");
    const std::string store = dir.file("s.h5");
    (void)pipeline::run(context_for(store));
    const io::store_contents c = io::read_store(store);
    std::set<std::string> districts, cities;
    for (const auto& e : c.campaigns) {
        if (e.scope == "district") districts.insert(e.id);
        if (e.scope == "city") cities.insert(e.id);
        if (e.scope == "city" && e.analyte == "methamphetamine" && e.campaign == "2024Q4") {
            EXPECT_EQ(e.n_sites, 5u);
            EXPECT_EQ(e.population, 500000.0);
            EXPECT_GT(e.consumption_mean, 0.0);
        }
    }
    EXPECT_EQ(districts, (std::set<std::string>{"Beishan", "Dongpan", "Xiwan"}));
    EXPECT_EQ(cities, (std::set<std::string>{"Lanshui"}));
}

TEST(pipeline, run_record_carries_version_config_hash_and_model_set) {
    const test::temp_dir dir("pipeline");
    const std::string store = dir.file("s.h5");
    const pipeline::context ctx = context_for(store);
    const pipeline::run_summary s = pipeline::run(ctx);
    const io::store_contents c = io::read_store(store);
    ASSERT_EQ(c.runs.size(), 1u);
    const io::run_record& r = c.runs[0];
    EXPECT_EQ(r.run_id, 1);
    EXPECT_EQ(r.command, "run");
    EXPECT_EQ(r.engine_version, std::string(engine_version));
    EXPECT_EQ(r.config, example_config());
    EXPECT_EQ(r.config_hash, ctx.config.hash);
    EXPECT_EQ(r.config_hash.size(), 32u);
    EXPECT_EQ(r.model_set, "default");
    EXPECT_EQ(r.model_hash, ctx.model_hash);
    // config/example.yaml: Monte Carlo, 10 000 draws, seed 20241130, 95% intervals.
    EXPECT_EQ(r.uncertainty, "monte_carlo");
    EXPECT_EQ(r.seed, 20241130);
    EXPECT_EQ(r.draws, 10000);
    EXPECT_EQ(r.interval, 0.95);
    EXPECT_EQ(r.n_flags, 17);
    EXPECT_EQ(r.n_daily, static_cast<std::int64_t>(s.estimate.core.n_daily));
    EXPECT_EQ(r.n_campaign, static_cast<std::int64_t>(s.estimate.core.n_campaign));
    EXPECT_EQ(r.started_at.size(), 20u);
    // The unconfirmed parameters the run used, e.g. the typical doses and cocaine's excretion fraction.
    EXPECT_FALSE(r.unconfirmed.empty());
    std::string joined;
    for (const auto& p : s.estimate.core.unconfirmed_parameters) joined += (joined.empty() ? "" : ",") + p;
    EXPECT_EQ(r.unconfirmed, joined);
    EXPECT_NE(r.unconfirmed.find("methamphetamine.drug.dose"), std::string::npos) << r.unconfirmed;
    EXPECT_NE(r.unconfirmed.find("benzoylecgonine.drug.excretion_fraction"), std::string::npos) << r.unconfirmed;
    EXPECT_EQ(r.unconfirmed.find("methamphetamine.drug.excretion_fraction"), std::string::npos) << "confirmed in the default set";
}

// ---- init and display order -----------------------------------------------------------------

TEST(pipeline, init_store_creates_an_empty_store_and_refuses_to_overwrite) {
    const test::temp_dir dir("pipeline");
    const std::string store = dir.file("new.h5");
    pipeline::init_store(store, "Testville");
    const io::store_contents c = io::read_store(store);
    EXPECT_EQ(c.city, "Testville");
    EXPECT_TRUE(c.batches.empty());
    const std::string before = bytes_of(store);
    try {
        pipeline::init_store(store, "Other");
        FAIL() << "init overwrote a store";
    } catch (const store_error& e) {
        EXPECT_EQ(std::string(e.what()), store + ": a store already exists here; init refuses to overwrite it");
    }
    EXPECT_TRUE(bytes_of(store) == before);
}

TEST(pipeline, sorted_flags_newest_campaign_first_then_alerts_then_site) {
    const auto make = [](std::string campaign, flag_level level, std::string site) {
        flag f;
        f.campaign = std::move(campaign);
        f.level = level;
        f.site_id = std::move(site);
        return f;
    };
    const std::vector<flag> sorted = pipeline::sorted_flags({make("2023Q1", flag_level::alert, "B"),
                                                             make("2024Q1", flag_level::watch, "A"),
                                                             make("2024Q1", flag_level::alert, "C"),
                                                             make("2024Q1", flag_level::alert, "B")});
    std::vector<std::string> order;
    for (const auto& f : sorted) order.push_back(f.campaign + "/" + std::string(to_string(f.level)) + "/" + f.site_id);
    EXPECT_EQ(order, (std::vector<std::string>{"2024Q1/alert/B", "2024Q1/alert/C", "2024Q1/watch/A", "2023Q1/alert/B"}));
}

}  // namespace
