// Tests of wbe/pipeline/pipeline.hpp on the embedded example city: ingest → estimate → flag, the
// store's atomicity and idempotence, and the planted signals end to end.

#include "wbe/pipeline/pipeline.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>

#include "test_support.hpp"
#include "wbe/core/errors.hpp"
#include "wbe/pipeline/tables.hpp"
#include "wbe/version.hpp"

namespace {

namespace fs = std::filesystem;
using namespace wbe;

std::string root() { return test::source_dir(); }
std::string example_config() { return root() + "/config/example.yaml"; }
std::string bad_batch() { return root() + "/data/example/bad_batch.csv"; }

pipeline::context context_for(const std::string& store, std::vector<std::string> batches = {}) {
    return pipeline::load_context(example_config(), {store, std::move(batches), false});
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

// A plain ingest into an existing store appends its rows (io::append_store) instead of rewriting
// the file; what it stores must be exactly what a rewrite stores.
TEST(pipeline, ingesting_batch_by_batch_stores_what_one_ingest_of_all_stores) {
    const test::temp_dir dir("pipeline");
    const std::vector<std::string> all = context_for(dir.file("x.h5")).config.batches;
    const std::string stepwise = dir.file("stepwise.h5"), at_once = dir.file("at_once.h5");
    (void)pipeline::ingest(context_for(stepwise, {all.begin(), all.begin() + 5}));
    const pipeline::ingest_summary s = pipeline::ingest(context_for(stepwise, {all.begin() + 5, all.end()}));
    EXPECT_EQ(s.added.size(), 7u);
    EXPECT_EQ(s.n_flows_updated, 0u);
    (void)pipeline::ingest(context_for(at_once));
    const io::store_contents a = io::read_store(stepwise), b = io::read_store(at_once);
    ASSERT_EQ(a.batches.size(), b.batches.size());
    for (std::size_t i = 0; i < a.batches.size(); ++i) {
        EXPECT_EQ(a.batches[i].batch_id, b.batches[i].batch_id);
        EXPECT_EQ(a.batches[i].content_hash, b.batches[i].content_hash);
        EXPECT_EQ(a.batches[i].n_results, b.batches[i].n_results);
    }
    ASSERT_EQ(a.samples.size(), b.samples.size());
    for (std::size_t i = 0; i < a.samples.size(); ++i) {
        EXPECT_EQ(a.samples[i].sample_id, b.samples[i].sample_id);
        EXPECT_EQ(a.samples[i].analyte, b.samples[i].analyte);
        EXPECT_TRUE(a.samples[i].conc.value == b.samples[i].conc.value ||
                    (std::isnan(a.samples[i].conc.value) && std::isnan(b.samples[i].conc.value)));
    }
    ASSERT_EQ(a.sites.size(), b.sites.size());
    for (std::size_t i = 0; i < a.sites.size(); ++i) EXPECT_TRUE(io::stored_alike(a.sites[i], b.sites[i])) << a.sites[i].id;
    ASSERT_EQ(a.flows.size(), b.flows.size());
    EXPECT_EQ(a.city, b.city);
    ASSERT_EQ(a.runs.size(), 2u);
    EXPECT_EQ(a.runs[1].run_id, 2);
    EXPECT_EQ(a.runs[1].summary, "7 batches added, 0 already stored");
    // The appended store is a store like any other: estimates run on it.
    EXPECT_GT(pipeline::estimate(context_for(stepwise)).core.n_daily, 0u);
}

// A changed site (here a population) is no append: the store is rewritten with the new row.
TEST(pipeline, an_ingest_that_changes_a_site_rewrites_it) {
    const test::temp_dir dir("pipeline");
    const std::string store = dir.file("s.h5");
    (void)pipeline::ingest(context_for(store));
    std::string sites = bytes_of(root() + "/data/example/sites.yaml");
    const auto at = sites.find("population: 160000");
    ASSERT_NE(at, std::string::npos);
    sites.replace(at, 18, "population: 161000");
    const std::string changed = dir.file("sites.yaml");
    std::ofstream(changed) << sites;
    pipeline::context ctx = context_for(store);
    ctx.config.sites = changed;
    (void)pipeline::ingest(ctx);
    const io::store_contents c = io::read_store(store);
    std::size_t with_new = 0;
    for (const auto& x : c.sites) with_new += x.population == 161000.0;
    EXPECT_EQ(with_new, 1u);
    EXPECT_EQ(c.sites.size(), 25u);
    EXPECT_EQ(c.samples.size(), 8109u);
    EXPECT_EQ(c.runs.size(), 2u);
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
                      root() + "/data/example/batches/2022Q1.csv); to replace it with this corrected batch, ingest with "
                               "--supersede --reason TEXT");
    }
    EXPECT_TRUE(bytes_of(store) == before);
    // --supersede without a reason is refused too.
    pipeline::context no_reason = context_for(store, {corrected});
    no_reason.supersede = true;
    EXPECT_THROW((void)pipeline::ingest(no_reason), input_error);
    EXPECT_TRUE(bytes_of(store) == before);
}

// A corrected batch supersedes the stored one only when asked: its results replace the old
// ones, the old record stays (superseded, with when and by what), the new one says who and why,
// the estimates and flags are recomputed in the same write, `batch_history` shows the lineage,
// and the old content sent again is recognised and skipped.
TEST(pipeline, a_corrected_batch_supersedes_with_who_when_and_why) {
    const test::temp_dir dir("pipeline");
    const std::string store = dir.file("s.h5");
    (void)pipeline::run(context_for(store));
    const io::store_contents before = io::read_store(store);
    std::string text = bytes_of(root() + "/data/example/batches/2022Q1.csv");
    const std::size_t p = text.find(",methamphetamine,143,");
    ASSERT_NE(p, std::string::npos);
    text.replace(p, 21, ",methamphetamine,430,");  // a transcription error corrected: 143 -> 430
    const std::string corrected = dir.file("2022Q1-corrected.csv");
    std::ofstream(corrected, std::ios::binary) << text;

    pipeline::context ctx = context_for(store, {corrected});
    ctx.supersede = true;
    ctx.reason = "lab re-read line 2: 430 ng/L, not 143";
    const pipeline::ingest_summary s = pipeline::ingest(ctx);
    EXPECT_EQ(s.superseded, (std::vector<std::string>{"LS-2022Q1"}));
    EXPECT_TRUE(s.recomputed);

    const io::store_contents after = io::read_store(store);
    std::vector<const io::batch_record*> versions;
    for (const auto& b : after.batches)
        if (b.batch_id == "LS-2022Q1") versions.push_back(&b);
    ASSERT_EQ(versions.size(), 2u);
    EXPECT_EQ(versions[0]->status, "superseded");
    EXPECT_EQ(versions[0]->superseded_by, versions[1]->content_hash);
    EXPECT_FALSE(versions[0]->superseded_at.empty());
    EXPECT_EQ(versions[1]->status, "active");
    EXPECT_EQ(versions[1]->reason, ctx.reason);
    EXPECT_FALSE(versions[1]->user.empty());
    EXPECT_EQ(after.samples.size(), before.samples.size());  // replaced, not added
    bool corrected_value = false;
    for (const auto& r : after.samples)
        if (r.batch_id == "LS-2022Q1" && r.analyte == "methamphetamine" && r.conc.value == 430.0) corrected_value = true;
    EXPECT_TRUE(corrected_value);
    // Recomputed: the affected plant's 2022Q1 methamphetamine mean changed, the flags were re-raised.
    const auto mean_of = [](const io::store_contents& c) {
        for (const auto& e : c.campaigns)
            if (e.scope == "site" && e.id == "LS-WWTP-01" && e.campaign == "2022Q1" && e.analyte == "methamphetamine")
                return e.consumption_mean;
        return std::numeric_limits<double>::quiet_NaN();
    };
    EXPECT_GT(mean_of(after), mean_of(before));
    EXPECT_EQ(after.flags.size(), before.flags.size());
    EXPECT_EQ(after.runs.back().command, "ingest");
    EXPECT_NE(after.runs.back().summary.find("superseded: LS-2022Q1 (" + ctx.reason + ")"), std::string::npos);

    const pipeline::text_table h = pipeline::batch_history(store, "LS-2022Q1");
    ASSERT_EQ(h.rows.size(), 2u);
    EXPECT_EQ(h.rows[0][1], "superseded");
    EXPECT_EQ(h.rows[1][1], "active");
    EXPECT_EQ(h.rows[1][7], ctx.reason);

    // The old content again: recognised (a superseded version) and skipped; nothing changes.
    const std::string mid = bytes_of(store);
    const pipeline::ingest_summary again = pipeline::ingest(context_for(store, {root() + "/data/example/batches/2022Q1.csv"}));
    ASSERT_EQ(again.skipped.size(), 1u);
    EXPECT_NE(again.skipped[0].find("a superseded version"), std::string::npos) << again.skipped[0];
    EXPECT_EQ(io::read_store(store).samples.size(), after.samples.size());
}

// Audit (issue 8): every stored estimate names the batches it rests on (ids and content hashes)
// and the run that computed it; the run names the engine version, config hash and model set.
void expect_lineage_is_complete(const io::store_contents& c) {
    std::map<std::string, std::string> active;  // batch id → hash
    for (const auto& b : c.batches)
        if (b.status == "active") active[b.batch_id] = b.content_hash;
    std::map<std::pair<std::string, std::string>, std::string> batch_of_sample;  // (site, sample) → batch id
    for (const auto& r : c.samples) batch_of_sample[{r.site_id, r.sample_id}] = r.batch_id;
    ASSERT_FALSE(c.daily.empty());
    for (const auto& d : c.daily) {
        ASSERT_TRUE(active.count(d.batch_id)) << d.site_id << " " << d.sample_id << " batch '" << d.batch_id << "'";
        EXPECT_EQ(d.batch_hash, active.at(d.batch_id));
        EXPECT_EQ(d.batch_id, batch_of_sample.at({d.site_id, d.sample_id}));
    }
    std::map<std::tuple<std::string, std::string, std::string, std::string>, std::set<std::string>> lineage;
    for (const auto& l : c.campaign_batches) {
        EXPECT_EQ(l.batch_hash, active.at(l.batch_id));
        lineage[{l.scope, l.id, l.campaign, l.analyte}].insert(l.batch_id);
    }
    const auto batches_of = [&](const campaign_estimate& e) -> const std::set<std::string>& {
        return lineage[std::make_tuple(e.scope, e.id, e.campaign, e.analyte)];
    };
    for (const auto& e : c.campaigns)
        if (e.n_samples > 0) {
            EXPECT_FALSE(batches_of(e).empty()) << e.scope << " " << e.id << " " << e.campaign << " " << e.analyte;
        }
    // A site estimate rests exactly on the batches of its own days.
    for (const auto& e : c.campaigns) {
        if (e.scope != "site" || e.n_samples == 0) continue;
        std::set<std::string> days;
        for (const auto& d : c.daily)
            if (d.site_id == e.id && d.campaign == e.campaign && d.analyte == e.analyte) days.insert(d.batch_id);
        if (!days.empty()) {
            EXPECT_EQ(batches_of(e), days) << e.id << " " << e.campaign << " " << e.analyte;
        }
    }
    ASSERT_GT(c.estimates_run_id, 0);
    const io::run_record* run = nullptr;
    for (const auto& r : c.runs)
        if (r.run_id == c.estimates_run_id) run = &r;
    ASSERT_NE(run, nullptr) << "estimates_run_id " << c.estimates_run_id << " is in no run record";
    EXPECT_EQ(run->engine_version, std::string(wbe::engine_version));
    EXPECT_FALSE(run->config_hash.empty());
    EXPECT_FALSE(run->model_hash.empty());
    for (const auto& f : c.flags) {
        bool found = false;
        for (const auto& r : c.runs) found = found || (r.run_id == f.run_id && r.config_hash == f.config_hash);
        EXPECT_TRUE(found) << f.site_id << " " << f.rule;
    }
}

TEST(pipeline, every_estimate_and_flag_is_traceable_to_its_batches_and_run) {
    const test::temp_dir dir("pipeline");
    const std::string store = dir.file("s.h5");
    (void)pipeline::run(context_for(store));
    const io::store_contents c = io::read_store(store);
    expect_lineage_is_complete(c);
    EXPECT_EQ(c.estimates_run_id, c.runs.back().run_id);
    // The city's 2022Q1 estimate rests on that quarter's batch (one batch per quarter in the example).
    std::set<std::string> city;
    for (const auto& l : c.campaign_batches)
        if (l.scope == "city" && l.campaign == "2022Q1" && l.analyte == "methamphetamine") city.insert(l.batch_id);
    EXPECT_EQ(city, (std::set<std::string>{"LS-2022Q1"}));

    // A corrected batch: the recomputed estimates carry the new content hash and the new run.
    std::string text = bytes_of(root() + "/data/example/batches/2022Q1.csv");
    const std::size_t p = text.find(",methamphetamine,143,");
    ASSERT_NE(p, std::string::npos);
    text.replace(p, 21, ",methamphetamine,430,");
    const std::string corrected = dir.file("2022Q1-corrected.csv");
    std::ofstream(corrected, std::ios::binary) << text;
    pipeline::context ctx = context_for(store, {corrected});
    ctx.supersede = true;
    ctx.reason = "re-read";
    (void)pipeline::ingest(ctx);
    const io::store_contents after = io::read_store(store);
    expect_lineage_is_complete(after);
    EXPECT_EQ(after.estimates_run_id, after.runs.back().run_id);
    std::string new_hash;
    for (const auto& b : after.batches)
        if (b.batch_id == "LS-2022Q1" && b.status == "active") new_hash = b.content_hash;
    for (const auto& d : after.daily)
        if (d.batch_id == "LS-2022Q1") {
            EXPECT_EQ(d.batch_hash, new_hash);
        }
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
    EXPECT_EQ(f.n_flags, 26u);  // 17 threshold/ratio + 9 detector flags (expected_signals.yaml)
    EXPECT_EQ(f.n_alert, 22u);
    EXPECT_EQ(f.n_watch, 4u);
    const io::store_contents c = io::read_store(store);
    EXPECT_EQ(c.flags.size(), 26u);
    EXPECT_EQ(c.estimates_model_set, "default");
    std::vector<std::string> commands;
    for (const auto& r : c.runs) commands.push_back(r.command);
    EXPECT_EQ(commands, (std::vector<std::string>{"ingest", "estimate", "flag"}));
    EXPECT_EQ(c.runs[1].run_id, 2);
    EXPECT_EQ(c.runs[2].n_flags, 26);

    // A new estimate makes the flags stale: they move to the history with their run and config.
    (void)pipeline::estimate(ctx);
    const io::store_contents after = io::read_store(store);
    EXPECT_TRUE(after.flags.empty());
    EXPECT_TRUE(after.detections.empty());
    ASSERT_EQ(after.flag_history.size(), 26u);
    for (const auto& h : after.flag_history) {
        EXPECT_EQ(h.run_id, 3);  // the flag run
        EXPECT_EQ(h.config_hash, ctx.config.hash);
    }
}

// ---- end to end -----------------------------------------------------------------------------

using flag_key = std::tuple<std::string, std::string, std::string, std::string, std::string, std::string>;

std::set<flag_key> expected_signals() {
    const YAML::Node doc = YAML::LoadFile(root() + "/data/example/expected_signals.yaml");
    std::set<flag_key> out;
    // Threshold and ratio flags (`flags`) and the default detectors' flags (`detector_flags`).
    for (const char* list : {"flags", "detector_flags"})
        for (const auto& f : doc[list])
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
    ASSERT_EQ(want.size(), 17u + 9u);  // 17 threshold/ratio flags, 9 detector flags
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
    EXPECT_EQ(s.flags.n_flags, 26u);
    EXPECT_EQ(s.flags.n_alert, 22u);
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
    EXPECT_EQ(r.n_flags, 26);
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

// ---- uncertainty end to end -----------------------------------------------------------------

TEST(pipeline, uncertainty_on_the_example_city) {
    const test::temp_dir dir("pipeline");
    const std::string store = dir.file("s.h5");
    const pipeline::context ctx = context_for(store);
    const pipeline::run_summary s = pipeline::run(ctx);
    const io::store_contents c = io::read_store(store);

    // The planted threshold site is certain, the deliberately borderline one is not
    // (data/example/expected_signals.yaml: LS-WWTP-04 ketamine ~400 against alert 200 in all 12
    // campaigns; LS-WWTP-02 methamphetamine 208–238 against watch 200 in 2024Q2–Q4).
    std::size_t n_exceeds = 0, n_possible = 0;
    for (const auto& f : c.flags) {
        if (f.rule != "threshold" || f.site_kind != "wwtp") continue;
        if (f.site_id == "LS-WWTP-04" && f.drug == "ketamine") {
            ++n_exceeds;
            EXPECT_EQ(f.certainty, "exceeds") << f.campaign << ": " << f.explanation;
            EXPECT_GE(f.probability, 0.95) << f.campaign;
        } else if (f.site_id == "LS-WWTP-02" && f.drug == "methamphetamine") {
            ++n_possible;
            EXPECT_EQ(f.certainty, "possible") << f.campaign << ": " << f.explanation;
            EXPECT_GE(f.probability, 0.5) << f.campaign;
            EXPECT_LT(f.probability, 0.95) << f.campaign;
        } else {
            ADD_FAILURE() << "unexpected plant flag " << f.site_id << " " << f.drug << " " << f.campaign;
        }
        // The explanation shows the probability that decided the flag.
        char p[32];
        std::snprintf(p, sizeof p, "= %.4g (%s)", f.probability, f.certainty.c_str());
        EXPECT_NE(f.explanation.find(p), std::string::npos) << f.explanation;
    }
    EXPECT_EQ(n_exceeds, 12u);
    EXPECT_EQ(n_possible, 3u);

    // Every plant campaign row (site, district, city) carries an interval around its median.
    std::size_t n_rows = 0;
    for (const auto& e : c.campaigns) {
        if (e.site_kind != "wwtp" || e.drug.empty() || std::isnan(e.consumption_mean)) continue;
        if (e.censoring.rfind("composite:", 0) == 0) continue;  // composite indices carry bounds, not draws
        ++n_rows;
        EXPECT_EQ(e.uncertainty, "monte_carlo") << e.scope << " " << e.id << " " << e.analyte << " " << e.campaign;
        EXPECT_LT(e.consumption_lower, e.consumption_median) << e.scope << " " << e.id << " " << e.analyte << " " << e.campaign;
        EXPECT_LT(e.consumption_median, e.consumption_upper) << e.scope << " " << e.id << " " << e.analyte << " " << e.campaign;
    }
    EXPECT_GT(n_rows, 0u);
    for (const auto& e : c.campaigns) {
        if (e.site_kind == "venue") {
            EXPECT_EQ(e.uncertainty, "none") << e.id;
        }
    }

    // The run record says how the intervals were obtained (config/example.yaml).
    ASSERT_EQ(c.runs.size(), 1u);
    EXPECT_EQ(c.runs[0].uncertainty, "monte_carlo");
    EXPECT_EQ(c.runs[0].seed, 20241130);
    EXPECT_EQ(c.runs[0].draws, 10000);
    EXPECT_EQ(c.runs[0].interval, 0.95);
    EXPECT_EQ(s.interval, 0.95);

    // Determinism: the estimate again from the stored inputs, on one thread and with the results
    // in reverse order, gives bit-identical intervals and probabilities.
    estimate_options one_thread = ctx.config.estimate;
    one_thread.uncertainty.mc.threads = 1;
    std::vector<assay_result> reversed(c.samples.rbegin(), c.samples.rend());
    const estimate_result again = wbe::estimate(c.sites, reversed, c.flows, ctx.models, one_thread, c.city);
    // The store also holds the composite rows the pipeline appends after the core's rows.
    const auto n_composite = static_cast<std::size_t>(std::count_if(c.campaigns.begin(), c.campaigns.end(), [](const campaign_estimate& e) {
        return e.censoring.rfind("composite:", 0) == 0;
    }));
    ASSERT_EQ(again.campaigns.size() + n_composite, c.campaigns.size());
    const auto same = [](double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); };
    std::size_t n_diff = 0;
    for (std::size_t i = 0; i < again.campaigns.size(); ++i) {
        const campaign_estimate &a = again.campaigns[i], &b = c.campaigns[i];
        ASSERT_EQ(std::tie(a.scope, a.id, a.analyte, a.campaign), std::tie(b.scope, b.id, b.analyte, b.campaign));
        if (!(same(a.consumption_median, b.consumption_median) && same(a.consumption_lower, b.consumption_lower) &&
              same(a.consumption_upper, b.consumption_upper) && same(a.consumption_mc_mean, b.consumption_mc_mean) &&
              same(a.consumption_sd, b.consumption_sd) && same(a.p_exceed_watch, b.p_exceed_watch) &&
              same(a.p_exceed_alert, b.p_exceed_alert)))
            ++n_diff;
    }
    EXPECT_EQ(n_diff, 0u);
    ASSERT_EQ(again.daily.size(), c.daily.size());
    n_diff = 0;
    for (std::size_t i = 0; i < c.daily.size(); ++i)
        if (!(same(again.daily[i].consumption_median, c.daily[i].consumption_median) &&
              same(again.daily[i].consumption_lower, c.daily[i].consumption_lower) &&
              same(again.daily[i].consumption_upper, c.daily[i].consumption_upper)))
            ++n_diff;
    EXPECT_EQ(n_diff, 0u);
}

}  // namespace

// ---- comparing two configs (wbe flag --compare) -------------------------------------------

TEST(pipeline, compare_flags_of_the_shipped_config_pair) {
    const test::temp_dir dir("pipeline");
    const std::string store = dir.file("s.h5");
    pipeline::context a = context_for(store);
    a.config.estimate.uncertainty.mc.draws = 2000;  // enough for the certainties used below
    (void)pipeline::run(a);
    const std::string before = bytes_of(store);
    const pipeline::context b = pipeline::load_context(root() + "/config/example-sensitive.yaml", {store, {}, false});
    const pipeline::flag_comparison c = pipeline::compare_flags(a, b);
    EXPECT_EQ(c.n_a, 26u);
    EXPECT_EQ(c.n_a + c.added.size() - c.removed.size(), c.n_b);
    // The sensitive watch level for methamphetamine (157 instead of 200) adds the rising plant's
    // 2023Q3-2024Q1 campaigns (161.8, 177.0, 192.2; data/README.md) as threshold flags.
    std::set<std::string> added_meth;
    for (const auto& f : c.added)
        if (f.site_id == "LS-WWTP-02" && f.rule == "threshold" && f.drug == "methamphetamine") added_meth.insert(f.campaign);
    EXPECT_EQ(added_meth, (std::set<std::string>{"2023Q3", "2023Q4", "2024Q1"}));
    // Peer ranking only exists in the sensitive config; nothing the default raises disappears.
    EXPECT_TRUE(std::any_of(c.added.begin(), c.added.end(), [](const wbe::flag& f) { return f.rule == "peer_rank"; }));
    EXPECT_TRUE(c.removed.empty());
    // Comparing writes nothing.
    EXPECT_EQ(bytes_of(store), before);
}

TEST(pipeline, composite_index_rows_for_every_plant_campaign) {
    const test::temp_dir dir("pipeline");
    const std::string store = dir.file("s.h5");
    pipeline::context ctx = context_for(store);
    ctx.config.estimate.uncertainty.method = uncertainty_method::none;
    (void)pipeline::run(ctx);
    const io::store_contents c = io::read_store(store);
    // config/example.yaml: stimulant_doses = doses of methamphetamine + amphetamine + mdma + cocaine.
    std::size_t rows = 0;
    for (const auto& r : c.campaigns) {
        if (r.drug != "stimulant_doses") continue;
        ++rows;
        double sum = 0.0;
        for (const auto& d : c.campaigns)
            if (d.scope == "site" && d.id == r.id && d.campaign == r.campaign &&
                (d.drug == "methamphetamine" || d.drug == "amphetamine" || d.drug == "mdma" || d.drug == "cocaine"))
                sum += d.doses_mean;
        EXPECT_NEAR(r.consumption_mean, sum, 1e-9 * sum) << r.id << " " << r.campaign;
        EXPECT_LE(r.consumption_censored_low, r.consumption_mean);
        EXPECT_GE(r.consumption_censored_high, r.consumption_mean);
    }
    EXPECT_EQ(rows, 5u * 12u);
}

// ---- population estimates (issue 6) -----------------------------------------------------------

// config/example-population.yaml estimates each plant's population from cotinine and NH4-N
// (calibrated on 2022) besides the census. The check must flag exactly the plant-campaigns of
// planted signal 5 (data/example/expected_signals.yaml, `population_check`), and the estimates
// must carry the population they used.
TEST(pipeline, population_check_on_the_example_finds_the_changed_catchment) {
    const test::temp_dir dir("pipeline");
    const std::string store = dir.file("s.h5");
    const pipeline::context ctx = pipeline::load_context(root() + "/config/example-population.yaml", {store, {}, false});
    (void)pipeline::ingest(ctx);
    const pipeline::estimate_stage_summary e = pipeline::estimate(ctx);

    std::set<std::pair<std::string, std::string>> want;
    const YAML::Node doc = YAML::LoadFile(root() + "/data/example/expected_signals.yaml");
    for (const auto& p : doc["population_check"]) want.emplace(p["site"].as<std::string>(), p["campaign"].as<std::string>());
    ASSERT_EQ(want.size(), 4u);

    const io::store_contents c = io::read_store(store);
    EXPECT_EQ(c.water_quality.size(), 420u);
    std::set<std::pair<std::string, std::string>> departs;
    std::size_t used_rows = 0;
    for (const auto& r : c.populations) {
        if (r.role != "used") continue;
        ++used_rows;
        EXPECT_EQ(r.method, "combined") << r.site_id << " " << r.campaign;  // census, NH4-N and cotinine everywhere
        EXPECT_FALSE(std::isnan(r.ratio)) << r.site_id << " " << r.campaign;
        if (r.departs) departs.emplace(r.site_id, r.campaign);
    }
    EXPECT_EQ(used_rows, 5u * 12u);  // every plant in every campaign
    EXPECT_EQ(departs, want);
    EXPECT_EQ(e.population_warnings.size(), 4u);
    // Flagging turns each departure into a `population_check` watch flag, and nothing else
    // changes: the planted threshold, ratio and detector flags stay as they are.
    (void)pipeline::flag(ctx);
    std::set<std::pair<std::string, std::string>> flagged;
    for (const auto& f : io::read_store(store).flags)
        if (f.rule == "population_check") {
            EXPECT_EQ(f.level, flag_level::watch);
            EXPECT_EQ(f.drug, "(population)");
            flagged.emplace(f.site_id, f.campaign);
        }
    EXPECT_EQ(flagged, want);
    // The run record names the estimator each plant used.
    EXPECT_EQ(c.runs.back().populations,
              "LS-WWTP-01 combined; LS-WWTP-02 combined; LS-WWTP-03 combined; LS-WWTP-04 combined; LS-WWTP-05 combined");

    // The indices use the combined population: LS-WWTP-03 in 2024Q4 is served by ~57 000 people
    // (60% of 95 000); the census (rsd 0.12) pulls the combination up, but far below the census.
    for (const auto& camp : c.campaigns) {
        if (camp.scope != "site" || camp.id != "LS-WWTP-03" || camp.campaign != "2024Q4" || camp.analyte != "methamphetamine") continue;
        EXPECT_EQ(camp.population_method, "combined");
        EXPECT_GT(camp.population, 60000.0);
        EXPECT_LT(camp.population, 75000.0);
    }
    for (const auto& d : c.daily)
        if (d.site_kind == "wwtp" && !d.drug.empty()) {
            EXPECT_EQ(d.population_method, "combined");
        }
}

TEST(pipeline, census_only_config_keeps_census_populations) {
    const test::temp_dir dir("pipeline");
    const std::string store = dir.file("s.h5");
    const pipeline::context ctx = context_for(store);
    (void)pipeline::ingest(ctx);
    (void)pipeline::estimate(ctx);
    const io::store_contents c = io::read_store(store);
    EXPECT_EQ(c.water_quality.size(), 420u);  // stored, not used
    EXPECT_TRUE(c.populations.empty());
    for (const auto& camp : c.campaigns)
        if (camp.scope == "site" && camp.id == "LS-WWTP-03") {
            EXPECT_EQ(camp.population, 95000.0);
            EXPECT_EQ(camp.population_method, "census");
        }
}

// Venue samples carry the screening index (venue_index.hpp), labelled `screening`, never a
// consumption. One sample worked from the stored raw results: ketamine / cotinine × 2.5
// cigarettes × 0.14 mg × 1000 (sites.yaml smoking_rate; models/population/constants.yaml) ×
// CF 1/0.20 = 5 (models/ketamine.yaml).
TEST(pipeline, venue_samples_get_a_labelled_screening_index) {
    const test::temp_dir dir("pipeline");
    const std::string store = dir.file("s.h5");
    const pipeline::context ctx = context_for(store);
    (void)pipeline::ingest(ctx);
    (void)pipeline::estimate(ctx);
    const io::store_contents c = io::read_store(store);
    std::map<std::pair<std::string, std::string>, double> raw;  // (sample, analyte) → ng/L
    for (const auto& r : c.samples)
        if (!r.conc.censored()) raw[{r.sample_id, r.analyte}] = r.conc.value;
    std::size_t checked = 0;
    for (const auto& d : c.daily) {
        if (d.site_kind != "venue") {
            EXPECT_TRUE(std::isnan(d.screening_index));
            continue;
        }
        if (d.analyte != "ketamine" || d.qual != qualifier::detected) continue;
        const double want = raw.at({d.sample_id, "ketamine"}) / raw.at({d.sample_id, "cotinine"}) * 2.5 * 0.14 * 1000.0 * 5.0;
        EXPECT_NEAR(d.screening_index, want, 1e-9 * want) << d.sample_id;
        EXPECT_LT(d.screening_lower, d.screening_index);
        EXPECT_GT(d.screening_upper, d.screening_index);
        EXPECT_TRUE(std::isnan(d.consumption));  // never a consumption
        ++checked;
    }
    EXPECT_GT(checked, 100u);
    std::size_t venue_rows = 0;
    for (const auto& camp : c.campaigns) {
        if (camp.site_kind != "venue" || camp.drug.empty()) continue;
        ++venue_rows;
        EXPECT_TRUE(std::isfinite(camp.screening_mean)) << camp.id << " " << camp.drug << " " << camp.campaign;
        EXPECT_TRUE(std::isnan(camp.consumption_mean));
        EXPECT_EQ(value_kind(camp.site_kind, camp.drug), "screening");
    }
    EXPECT_EQ(venue_rows, 20u * 12u * 7u);  // 20 venues × 12 campaigns × 7 drugs
    // The stored label, and `wbe show venues` as a table of its own.
    const io::raw_table daily = io::read_raw_table(store, "estimates_daily");
    const auto kind_col = std::find_if(daily.columns.begin(), daily.columns.end(), [](const auto& col) { return col.name == "value_kind"; });
    ASSERT_NE(kind_col, daily.columns.end());
    const pipeline::text_table venues = pipeline::store_table(store, "venues", {"LS-V-09", "ketamine", "2024Q2", ""}, false);
    ASSERT_EQ(venues.rows.size(), 1u);
    EXPECT_EQ(venues.rows[0].back(), "screening");
}

// Parent/metabolite ratios per sample (the pairs of the config's ratio rules): the planted
// dumping sample's ketamine/norketamine is 59.4 (data/README.md, planted signal 3) and is kept on
// its ketamine row; methamphetamine rows carry METH/AMP where both are quantified.
TEST(pipeline, samples_carry_their_parent_metabolite_ratios) {
    const test::temp_dir dir("pipeline");
    const std::string store = dir.file("s.h5");
    const pipeline::context ctx = context_for(store);
    (void)pipeline::ingest(ctx);
    (void)pipeline::estimate(ctx);
    const io::store_contents c = io::read_store(store);
    std::size_t meth_amp = 0, venue_ratios = 0;
    bool dump_seen = false;
    for (const auto& d : c.daily) {
        if (d.sample_id == "LS-2023Q3-WWTP01-D5" && d.analyte == "ketamine") {
            EXPECT_EQ(d.ratio_to, "norketamine");
            EXPECT_NEAR(d.ratio, 59.4, 0.05);
            dump_seen = true;
        }
        if (d.analyte == "methamphetamine" && d.ratio_to == "amphetamine") {
            ++meth_amp;
            EXPECT_GT(d.ratio, 0.0);
            EXPECT_LE(d.ratio, 30.0);  // generate.py asserts <= 30 on every sample
        }
        if (d.site_kind == "venue" && !std::isnan(d.ratio)) ++venue_ratios;
        if (d.analyte == "norketamine" || d.analyte == "cotinine") {
            EXPECT_TRUE(std::isnan(d.ratio));
        }
    }
    EXPECT_TRUE(dump_seen);
    EXPECT_GT(meth_amp, 400u);
    EXPECT_GT(venue_ratios, 100u);
}

// Stores of older schema versions (tests/compat/): commands that write refuse them with the way
// out, `migrate_store` upgrades them whole (same contents, the engine's version), and a current
// store is left as it is.
TEST(pipeline, older_stores_are_migrated_explicitly) {
    const test::temp_dir dir("pipeline");
    for (int v : {1, 2, 3}) {
        const std::string store = dir.file("v" + std::to_string(v) + ".h5");
        fs::copy_file(root() + "/tests/compat/store_v" + std::to_string(v) + ".h5", store);
        const io::store_contents before = io::read_store(store);
        try {
            (void)pipeline::estimate(context_for(store));
            FAIL() << "estimate wrote a version-" << v << " store";
        } catch (const store_error& e) {
            EXPECT_EQ(std::string(e.what()), store + ": store has schema version " + std::to_string(v) +
                                                 "; this engine writes version " + std::to_string(io::store_schema_version) +
                                                 ": run `wbe migrate " + store + "` first");
        }
        const pipeline::migration m = pipeline::migrate_store(store);
        EXPECT_EQ(m.from, v);
        EXPECT_EQ(m.to, io::store_schema_version);
        const io::store_contents after = io::read_store(store);
        EXPECT_EQ(after.schema_version, io::store_schema_version);
        EXPECT_EQ(after.samples.size(), before.samples.size());
        EXPECT_EQ(after.campaigns.size(), before.campaigns.size());
        EXPECT_EQ(after.flags.size(), before.flags.size());
        EXPECT_EQ(after.runs.size(), before.runs.size());
        // Schema 4's lineage, derived from the samples and batch records the store holds.
        EXPECT_EQ(after.estimates_run_id, 0);
        // (The frozen stores hold one district row whose plants have no site rows: no campaign_batches.)
        std::map<std::string, std::string> hash;
        for (const auto& b : after.batches)
            if (b.status == "active") hash[b.batch_id] = b.content_hash;
        for (const auto& d : after.daily) {
            bool from_sample = false;
            for (const auto& r : after.samples) from_sample = from_sample || (r.sample_id == d.sample_id && r.batch_id == d.batch_id);
            EXPECT_TRUE(from_sample) << d.sample_id << " batch '" << d.batch_id << "'";
            EXPECT_EQ(d.batch_hash, hash[d.batch_id]);
        }
        const std::string migrated = bytes_of(store);
        const pipeline::migration again = pipeline::migrate_store(store);
        EXPECT_EQ(again.from, again.to);
        EXPECT_TRUE(bytes_of(store) == migrated);  // untouched
    }
}
