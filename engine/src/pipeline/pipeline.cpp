#include "wbe/pipeline/pipeline.hpp"
#include "wbe/pipeline/lineage.hpp"

#include <algorithm>
#include <cstdlib>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "wbe/core/errors.hpp"
#include "wbe/io/assay_csv.hpp"
#include "wbe/io/flows_csv.hpp"
#include "wbe/io/water_quality_csv.hpp"
#include "wbe/io/model_library.hpp"
#include "wbe/io/sites.hpp"
#include "wbe/core/detect.hpp"
#include "wbe/version.hpp"

namespace wbe::pipeline {

namespace {

// A store a command will rewrite: of the engine's schema, or refused with the way to upgrade it
// (an implicit upgrade would leave the user with a store older engines cannot read).
io::store_contents read_for_writing(const std::string& path) {
    io::store_contents c = io::read_store(path);
    if (c.schema_version < io::store_schema_version)
        throw store_error(path + ": store has schema version " + std::to_string(c.schema_version) + "; this engine writes version " +
                          std::to_string(io::store_schema_version) + ": run `wbe migrate " + path + "` first");
    return c;
}

io::store_contents read_or_empty(const std::string& path) {
    if (!io::store_exists(path)) return {};
    return read_for_writing(path);
}

std::int64_t next_run_id(const io::store_contents& s) { return s.runs.empty() ? 1 : s.runs.back().run_id + 1; }

io::run_record make_run(const io::store_contents& s, const context& ctx, const std::string& command) {
    io::run_record r;
    r.run_id = next_run_id(s);
    r.command = command;
    r.started_at = io::utc_now();
    r.engine_version = engine_version;
    r.config = ctx.config.path;
    r.config_hash = ctx.config.hash;
    r.model_set = ctx.models.name;
    r.model_hash = ctx.model_hash;
    const auto& u = ctx.config.estimate.uncertainty;
    r.uncertainty = std::string(to_string(u.method));
    if (u.method != uncertainty_method::none) {
        r.seed = static_cast<std::int64_t>(u.mc.seed);
        r.interval = u.mc.interval;
    }
    if (u.method == uncertainty_method::monte_carlo) r.draws = static_cast<std::int64_t>(u.mc.draws);
    return r;
}

// --- ingest into memory ------------------------------------------------------------------------
ingest_summary ingest_into(io::store_contents& store, const context& ctx) {
    ingest_summary out;
    const io::run_config& cfg = ctx.config;

    // Sites first: batches and flows are checked against them.
    if (!cfg.sites.empty()) {
        io::sites_file sf = io::read_sites(cfg.sites);
        if (store.city.empty() || !sf.city.empty()) store.city = sf.city;
        for (auto& s : sf.sites) {
            const auto it = std::find_if(store.sites.begin(), store.sites.end(), [&](const site& x) { return x.id == s.id; });
            if (it == store.sites.end()) store.sites.push_back(std::move(s));
            else *it = std::move(s);
        }
    }
    if (!cfg.city.empty()) store.city = cfg.city;
    std::unordered_map<std::string, std::string> kind_of;
    for (const auto& s : store.sites) kind_of[s.id] = s.kind;

    diagnostics_collector all;  // problems of every file, reported together
    const auto collect = [&](auto&& read) {
        try {
            read();
        } catch (const input_error& e) {
            for (const auto& d : e.diagnostics()) all.add(d);
        }
    };

    // Flows: upsert by (site, day).
    std::vector<io::flows_file> flow_files;
    for (const auto& path : cfg.flows)
        collect([&] {
            flow_files.push_back(io::read_flows(path, {[&](std::string_view id) {
                                                    const auto it = kind_of.find(std::string(id));
                                                    return it == kind_of.end() ? std::string() : it->second;
                                                }}));
        });

    // Water quality (for population estimates): upsert by (site, day, parameter).
    std::vector<io::water_quality_file> wq_files;
    for (const auto& path : cfg.water_quality)
        collect([&] {
            wq_files.push_back(io::read_water_quality(path, {[&](std::string_view id) {
                                                          const auto it = kind_of.find(std::string(id));
                                                          return it == kind_of.end() ? std::string() : it->second;
                                                      }}));
        });

    // Batches.
    std::unordered_map<std::string, const io::batch_record*> by_hash, by_id;
    for (const auto& b : store.batches) {
        by_hash[b.content_hash] = &b;
        if (b.status != "superseded") by_id[b.batch_id] = &b;  // the active version of each id
    }
    std::unordered_map<std::string, std::string> sample_batch;  // sample id → batch id, store and new
    for (const auto& r : store.samples) sample_batch.emplace(r.sample_id, r.batch_id);
    std::vector<io::assay_batch> new_batches;
    std::set<std::string> new_hashes;
    const io::assay_read_options opt{[&](std::string_view id) { return kind_of.count(std::string(id)) > 0; }, &ctx.models,
                                     cfg.zero_means_below_loq};
    for (const auto& path : cfg.batches) {
        collect([&] {
            io::assay_batch b = io::read_assay_batch(path, opt);
            if (const auto h = by_hash.find(b.content_hash); h != by_hash.end() || new_hashes.count(b.content_hash)) {
                const bool old = h != by_hash.end() && h->second->status == "superseded";
                out.skipped.push_back(b.batch_id + " (" + path + ")" + (old ? " — a superseded version" : ""));
                return;
            }
            if (const auto it = by_id.find(b.batch_id); it != by_id.end()) {
                if (!ctx.supersede)
                    throw_input_error({path, 2, 1}, "batch_id", b.batch_id,
                                      "batch id is already in the store with other content (from " + it->second->source +
                                          "); to replace it with this corrected batch, ingest with --supersede --reason TEXT");
                if (ctx.reason.empty())
                    throw_input_error({path, 2, 1}, "batch_id", b.batch_id, "superseding a batch needs --reason TEXT (kept on record)");
            }
            for (const auto& nb : new_batches)
                if (nb.batch_id == b.batch_id)
                    throw_input_error({path, 2, 1}, "batch_id", b.batch_id, "batch id is also used by " + nb.source);
            for (const auto& r : b.results) {
                const auto [it, fresh] = sample_batch.emplace(r.sample_id, b.batch_id);
                if (!fresh && it->second != b.batch_id)
                    throw_input_error({path, 0, 0}, "sample_id", r.sample_id, "sample id is already used by batch " + it->second);
            }
            new_hashes.insert(b.content_hash);
            new_batches.push_back(std::move(b));
        });
    }
    all.throw_if_any();

    // Everything checked: apply.
    std::map<std::pair<std::string, day_number>, std::size_t> flow_index;
    for (std::size_t i = 0; i < store.flows.size(); ++i) flow_index[{store.flows[i].site_id, store.flows[i].day}] = i;
    for (auto& ff : flow_files) {
        for (auto& f : ff.records) {
            const auto it = flow_index.find({f.site_id, f.day});
            if (it == flow_index.end()) {
                flow_index[{f.site_id, f.day}] = store.flows.size();
                store.flows.push_back(std::move(f));
                ++out.n_flows_added;
            } else if (store.flows[it->second].flow_m3_per_day != f.flow_m3_per_day) {
                store.flows[it->second] = std::move(f);
                ++out.n_flows_updated;
            }
        }
    }
    std::map<std::tuple<std::string, day_number, std::string>, std::size_t> wq_index;
    for (std::size_t i = 0; i < store.water_quality.size(); ++i) {
        const auto& w = store.water_quality[i];
        wq_index[{w.site_id, w.day, w.parameter}] = i;
    }
    for (auto& wf : wq_files) {
        for (auto& w : wf.records) {
            const auto it = wq_index.find({w.site_id, w.day, w.parameter});
            if (it == wq_index.end()) {
                wq_index[{w.site_id, w.day, w.parameter}] = store.water_quality.size();
                store.water_quality.push_back(std::move(w));
                ++out.n_water_quality_added;
            } else if (store.water_quality[it->second].mg_per_l != w.mg_per_l) {
                store.water_quality[it->second] = std::move(w);
                ++out.n_water_quality_updated;
            }
        }
    }
    const std::string now = io::utc_now();
    const char* user_env = std::getenv("USER");
    const std::string user = user_env && *user_env ? user_env : "unknown";
    for (auto& b : new_batches) {
        // A corrected batch: the old version's results leave, its record stays as superseded.
        for (auto& old : store.batches) {
            if (old.batch_id != b.batch_id || old.status == "superseded") continue;
            old.status = "superseded";
            old.superseded_at = now;
            old.superseded_by = b.content_hash;
            std::erase_if(store.samples, [&](const assay_result& r) { return r.batch_id == b.batch_id; });
            out.superseded.push_back(b.batch_id);
        }
    }
    for (auto& b : new_batches) {
        io::batch_record rec;
        rec.batch_id = b.batch_id;
        rec.content_hash = b.content_hash;
        rec.source = b.source;
        rec.ingested_at = now;
        rec.n_results = static_cast<std::int64_t>(b.results.size());
        rec.user = user;
        if (std::find(out.superseded.begin(), out.superseded.end(), b.batch_id) != out.superseded.end()) rec.reason = ctx.reason;
        store.batches.push_back(rec);
        out.added.push_back(b.batch_id);
        out.n_results += b.results.size();
        std::move(b.results.begin(), b.results.end(), std::back_inserter(store.samples));
    }
    out.n_sites = store.sites.size();
    return out;
}

// Moves the current flags to the history, where they keep their run id and config hash.
void retire_flags(io::store_contents& store) {
    store.flag_history.insert(store.flag_history.end(), std::make_move_iterator(store.flags.begin()),
                              std::make_move_iterator(store.flags.end()));
    store.flags.clear();
    store.detections.clear();
}

estimate_stage_summary estimate_into(io::store_contents& store, const context& ctx) {
    // Each plant's population per campaign: the census alone unless the config enables more
    // estimators (then every estimate, the one used and the census check go to `populations`).
    const population_options& po = ctx.config.population;
    std::vector<site_population> populations;
    if (po.hydrochemical || po.cotinine)
        populations = resolve_populations(store.sites, store.samples, store.flows, store.water_quality, po);
    estimate_result r = wbe::estimate(store.sites, store.samples, store.flows, ctx.models, ctx.config.estimate,
                                      store.city.empty() ? std::string("city") : store.city, populations);
    for (const auto& co : ctx.config.composites) {
        composite_result cr = composite_index(r.campaigns, co);
        r.summary.warnings.insert(r.summary.warnings.end(), cr.warnings.begin(), cr.warnings.end());
        r.campaigns.insert(r.campaigns.end(), std::make_move_iterator(cr.rows.begin()), std::make_move_iterator(cr.rows.end()));
    }
    store.daily = std::move(r.daily);
    store.campaigns = std::move(r.campaigns);
    store.summaries = std::move(r.summaries);
    store.populations = population_rows(r.populations);
    store.estimates_model_set = ctx.models.name;
    store.estimates_run_id = next_run_id(store);  // the run this stage is part of (make_run gives it the same id)
    attach_lineage(store);
    // The flags of the previous estimates are stale now: they stay readable in the history.
    retire_flags(store);
    estimate_stage_summary out;
    out.core = std::move(r.summary);
    out.model_set = ctx.models.name;
    for (const auto& sp : r.populations)
        if (sp.checked && sp.check.departs) out.population_warnings.push_back(sp.site_id + " " + sp.campaign + ": " + sp.check.reason);
    std::map<std::string, std::map<std::string, std::set<std::string>>> methods;  // plant → method → campaigns
    for (const auto& c : store.campaigns)
        if (c.scope == "site" && c.site_kind == "wwtp" && !c.population_method.empty())
            methods[c.id][c.population_method].insert(c.campaign);
    for (const auto& [site, m] : methods) {
        std::string text = site + " ";
        if (m.size() == 1) text += m.begin()->first;
        else
            for (const auto& [method, campaigns] : m)
                text += (text.back() == ' ' ? "" : ", ") + method + " x" + std::to_string(campaigns.size());
        out.population_methods += (out.population_methods.empty() ? "" : "; ") + text;
    }
    return out;
}

flag_summary flag_into(io::store_contents& store, const context& ctx, std::int64_t run_id) {
    evaluated_flags e = evaluate_flags(store, ctx);
    retire_flags(store);
    for (auto& f : e.flags) {
        f.run_id = run_id;
        f.config_hash = ctx.config.hash;
    }
    store.flags = std::move(e.flags);
    store.detections = std::move(e.detections);
    flag_summary s;
    s.n_flags = store.flags.size();
    for (const auto& f : store.flags) {
        if (f.level == flag_level::watch) ++s.n_watch;
        if (f.level == flag_level::alert) ++s.n_alert;
    }
    return s;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : sep) + x;
    return out;
}

void record_estimate(io::run_record& r, const estimate_stage_summary& e) {
    r.populations = e.population_methods;
    r.n_daily = static_cast<std::int64_t>(e.core.n_daily);
    r.n_campaign = static_cast<std::int64_t>(e.core.n_campaign);
    r.unconfirmed = join(e.core.unconfirmed_parameters, ",");
    r.summary = std::to_string(e.core.n_results) + " results, " + std::to_string(e.core.n_censored) + " censored, " +
                std::to_string(e.core.n_missing_flow) + " without flow";
}

}  // namespace

evaluated_flags evaluate_flags(const io::store_contents& store, const context& ctx) {
    const auto& u = ctx.config.estimate.uncertainty;
    evaluated_flags out;
    std::vector<wbe::flag> flags = evaluate_thresholds(store.campaigns, ctx.config.thresholds, {u.p_exceeds, u.p_possible, u.mc.interval});
    std::vector<wbe::flag> ratios = evaluate_ratios(store.daily, ctx.config.ratios);
    flags.insert(flags.end(), std::make_move_iterator(ratios.begin()), std::make_move_iterator(ratios.end()));
    if (!ctx.config.detectors.empty()) {
        io::detector_resolver resolve(ctx.config.detectors);
        detection_output d = run_detectors(store.campaigns, store.sites, std::ref(resolve));
        flags.insert(flags.end(), std::make_move_iterator(d.flags.begin()), std::make_move_iterator(d.flags.end()));
        out.detections = std::move(d.records);
    }
    // The population check of the stored estimates (populations table): a watch flag per plant
    // and campaign whose estimated population departs from its census beyond the config's factor.
    for (const auto& p : store.populations) {
        if (p.role != "used" || p.departs == 0) continue;
        wbe::flag f;
        f.site_id = p.site_id;
        f.site_kind = "wwtp";
        f.drug = "(population)";
        f.campaign = p.campaign;
        f.rule = "population_check";
        f.level = flag_level::watch;
        f.value = p.ratio;
        f.reference = ctx.config.population.check_factor;
        f.unit = "x census";
        f.explanation = "population_check: " + p.note +
                        "; a misreported flow or a changed catchment? indices use the estimate, not the census";
        flags.push_back(std::move(f));
    }
    out.flags = sorted_flags(std::move(flags));
    return out;
}

flag_comparison compare_flags(const context& a, const context& b) {
    const io::store_contents store = io::read_store(a.config.store);
    if (store.campaigns.empty())
        throw store_error(a.config.store + ": the store holds no estimates yet; run `wbe estimate` first");
    const auto key = [](const wbe::flag& f) { return std::make_tuple(f.site_id, f.drug, f.campaign, f.rule, f.date); };
    const std::vector<wbe::flag> fa = evaluate_flags(store, a).flags;
    const std::vector<wbe::flag> fb = evaluate_flags(store, b).flags;
    std::map<std::tuple<std::string, std::string, std::string, std::string, std::string>, const wbe::flag*> ia, ib;
    for (const auto& f : fa) ia[key(f)] = &f;
    for (const auto& f : fb) ib[key(f)] = &f;
    flag_comparison c;
    for (const auto& f : fb) {
        const auto it = ia.find(key(f));
        if (it == ia.end()) c.added.push_back(f);
        else if (it->second->level != f.level || it->second->certainty != f.certainty) c.changed.push_back({*it->second, f});
    }
    for (const auto& f : fa)
        if (!ib.count(key(f))) c.removed.push_back(f);
    c.n_a = fa.size();
    c.n_b = fb.size();
    return c;
}

context load_context(const std::string& config_path, const overrides& o) {
    return make_context(io::load_run_config(config_path), o);
}

context make_context(io::run_config config, const overrides& o) {
    context ctx;
    ctx.config = std::move(config);
    if (!o.store.empty()) ctx.config.store = o.store;
    if (!o.batches.empty()) ctx.config.batches = o.batches;
    if (o.zero_means_below_loq) ctx.config.zero_means_below_loq = true;
    ctx.models = io::load_model_set(ctx.config.models_dir, ctx.config.model_set);
    ctx.model_hash = io::model_set_hash(ctx.config.models_dir, ctx.config.model_set);
    io::resolve_rules(ctx.config, ctx.models);
    return ctx;
}

namespace {

// What a store held before an ingest changed it in memory: enough to tell whether the ingest
// only added rows at the end of the appendable tables (then append_store writes just those).
struct ingest_start {
    bool existed = false;
    std::string city;
    std::vector<site> sites;
    std::size_t batches = 0, samples = 0, flows = 0, water_quality = 0, runs = 0;
};

ingest_start remember(const io::store_contents& s, bool existed) {
    return {existed, s.city, s.sites, s.batches.size(), s.samples.size(), s.flows.size(), s.water_quality.size(), s.runs.size()};
}

template <class R>
std::vector<R> rows_after(const std::vector<R>& rows, std::size_t n) {
    return {rows.begin() + static_cast<std::ptrdiff_t>(n), rows.end()};
}

// The rows an ingest added, when adding rows is all it did: no batch superseded (its samples
// left and its record changed), no flow, water-quality value, site or city replaced.
std::optional<io::store_rows> only_added(const io::store_contents& now, const ingest_start& was, const ingest_summary& s) {
    if (!was.existed || !s.superseded.empty() || s.n_flows_updated > 0 || s.n_water_quality_updated > 0 || now.city != was.city)
        return std::nullopt;
    for (std::size_t i = 0; i < was.sites.size(); ++i)
        if (!io::stored_alike(now.sites[i], was.sites[i])) return std::nullopt;
    io::store_rows r;
    r.batches = rows_after(now.batches, was.batches);
    r.samples = rows_after(now.samples, was.samples);
    r.sites = rows_after(now.sites, was.sites.size());
    r.flows = rows_after(now.flows, was.flows);
    r.water_quality = rows_after(now.water_quality, was.water_quality);
    r.runs = rows_after(now.runs, was.runs);
    return r;
}

}  // namespace

ingest_summary ingest(const context& ctx) {
    const io::store_lock lock(ctx.config.store);
    const bool existed = io::store_exists(ctx.config.store);
    io::store_contents store = read_or_empty(ctx.config.store);
    const ingest_start start = remember(store, existed);
    ingest_summary s = ingest_into(store, ctx);
    io::run_record r = make_run(store, ctx, "ingest");
    // The stored estimates and flags rest on superseded results: recompute them now, in the same
    // write, so the store never holds indices of data it no longer has.
    if (!s.superseded.empty() && !store.campaigns.empty()) {
        record_estimate(r, estimate_into(store, ctx));
        r.n_flags = static_cast<std::int64_t>(flag_into(store, ctx, r.run_id).n_flags);
        s.recomputed = true;
    }
    r.summary = std::to_string(s.added.size()) + " batches added, " + std::to_string(s.skipped.size()) + " already stored";
    if (!s.superseded.empty()) r.summary += ", superseded: " + join(s.superseded, ",") + " (" + ctx.reason + ")";
    store.runs.push_back(r);
    // A plain ingest appends to the file (a copy of its bytes plus the new rows); anything else
    // rewrites it. Both replace the store atomically.
    if (const auto added = only_added(store, start, s)) io::append_store(ctx.config.store, *added);
    else io::write_store(ctx.config.store, store);
    return s;
}

estimate_stage_summary estimate(const context& ctx) {
    const io::store_lock lock(ctx.config.store);
    io::store_contents store = read_for_writing(ctx.config.store);
    estimate_stage_summary s = estimate_into(store, ctx);
    io::run_record r = make_run(store, ctx, "estimate");
    record_estimate(r, s);
    store.runs.push_back(r);
    io::write_store(ctx.config.store, store);
    return s;
}

flag_summary flag(const context& ctx) {
    const io::store_lock lock(ctx.config.store);
    io::store_contents store = read_for_writing(ctx.config.store);
    if (store.campaigns.empty())
        throw store_error(ctx.config.store + ": the store holds no estimates yet; run `wbe estimate` first");
    io::run_record r = make_run(store, ctx, "flag");
    flag_summary s = flag_into(store, ctx, r.run_id);
    r.n_flags = static_cast<std::int64_t>(s.n_flags);
    store.runs.push_back(r);
    io::write_store(ctx.config.store, store);
    return s;
}

run_summary run(const context& ctx) {
    const io::store_lock lock(ctx.config.store);
    io::store_contents store = read_or_empty(ctx.config.store);
    run_summary s;
    s.store = ctx.config.store;
    s.ingest = ingest_into(store, ctx);
    s.estimate = estimate_into(store, ctx);
    io::run_record r = make_run(store, ctx, "run");
    s.flags = flag_into(store, ctx, r.run_id);
    s.city = store.city;
    record_estimate(r, s.estimate);
    r.n_flags = static_cast<std::int64_t>(s.flags.n_flags);
    store.runs.push_back(r);
    io::write_store(ctx.config.store, store);
    s.flag_list = store.flags;
    s.interval = ctx.config.estimate.uncertainty.mc.interval;
    for (const auto& c : store.campaigns)
        if (c.site_kind == "wwtp" && c.campaign > s.latest_campaign) s.latest_campaign = c.campaign;
    for (const auto& c : store.campaigns)
        if (c.campaign == s.latest_campaign && c.site_kind == "wwtp" && c.scope != "district" && !c.drug.empty() &&
            c.censoring.rfind("composite:", 0) != 0)
            s.latest.push_back(c);
    for (const auto& c : store.campaigns)
        if (c.campaign == s.latest_campaign && c.site_kind == "venue" && std::isfinite(c.screening_mean)) s.latest_venues.push_back(c);
    return s;
}

migration migrate_store(const std::string& path) {
    const io::store_lock lock(path);
    io::store_contents c = io::read_store(path);
    migration m{c.schema_version, io::store_schema_version};
    if (m.from < m.to) {
        // Schema 4 added the lineage of estimates; it follows from the samples and batch records
        // (the run that computed older estimates is not known: their run_id stays 0).
        if (m.from < 4) attach_lineage(c);
        c.schema_version = io::store_schema_version;
        io::write_store(path, c);
    }
    return m;
}

void init_store(const std::string& path, const std::string& city) {
    const io::store_lock lock(path);
    if (io::store_exists(path)) throw store_error(path + ": a store already exists here; init refuses to overwrite it");
    io::store_contents c;
    c.city = city;
    io::write_store(path, c);
}

std::vector<wbe::flag> sorted_flags(std::vector<wbe::flag> flags) {
    std::stable_sort(flags.begin(), flags.end(), [](const wbe::flag& a, const wbe::flag& b) {
        if (a.campaign != b.campaign) return a.campaign > b.campaign;
        if (a.level != b.level) return a.level > b.level;
        if (a.site_id != b.site_id) return a.site_id < b.site_id;
        if (a.drug != b.drug) return a.drug < b.drug;
        if (a.rule != b.rule) return a.rule < b.rule;
        return a.date < b.date;
    });
    return flags;
}

}  // namespace wbe::pipeline
