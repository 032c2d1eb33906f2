// The wbe command line: parses arguments and calls the pipeline; nothing else lives here.
//
// Exit codes: 0 ok, 1 bad input or config (the message says where), 2 usage, 3 internal error.

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "wbe/core/errors.hpp"
#include "wbe/pipeline/pipeline.hpp"
#include "wbe/pipeline/tables.hpp"
#include "wbe/version.hpp"

namespace wbe::cli {
extern const char* const source_dir;  ///< the project this binary was built from (generated source_dir.cpp)
}  // namespace wbe::cli

namespace {

enum exit_code { ok = 0, bad_input = 1, usage = 2, internal = 3 };

std::string example_config() {
    return (std::filesystem::path(wbe::cli::source_dir) / "config" / "example.yaml").string();
}

int report(const std::exception& e, const char* kind) {
    std::cerr << "wbe: " << kind << ":\n";
    std::string what = e.what();
    std::size_t start = 0;
    while (start <= what.size()) {
        const std::size_t end = what.find('\n', start);
        std::cerr << "  " << what.substr(start, end == std::string::npos ? std::string::npos : end - start) << '\n';
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return 0;
}

// `wbe report` is drawn by the Python package (matplotlib) that the build lays out beside this
// executable: <build>/bin/wbe and <build>/python/wbe/report.py. The executable's own path finds
// it, whatever the working directory and without environment variables.
std::filesystem::path python_package_dir(const char* argv0) {
    std::error_code ec;
    std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) exe = std::filesystem::weakly_canonical(argv0, ec);
    const auto dir = exe.parent_path().parent_path() / "python";
    if (std::filesystem::exists(dir / "wbe" / "report.py", ec)) return dir;
    throw std::runtime_error(fmt::format("the wbe Python package is not beside this executable: no {} (build the target "
                                         "wbe_python_package)",
                                         (dir / "wbe" / "report.py").string()));
}

/// Replaces this process by `python3 -m wbe.report` on the config's store; returns only on failure.
/// The config is read here, so its errors come from the engine with file, line and column.
void exec_report(const std::string& config, const wbe::pipeline::overrides& over, const std::string& output,
                 const std::string& campaign, const char* argv0) {
    const auto ctx = wbe::pipeline::load_context(config, over);
    const std::string& store = ctx.config.store;
    const std::string out = output.empty()
                                ? std::filesystem::path(store).replace_extension().string() + "-report.html"
                                : output;
    std::string path = python_package_dir(argv0).string();
    if (const char* old = std::getenv("PYTHONPATH"); old != nullptr && *old != '\0') path += std::string(":") + old;
    ::setenv("PYTHONPATH", path.c_str(), 1);
    ::setenv("PYTHONSAFEPATH", "1", 1);  // the working directory must not shadow the package
    // Debian's interpreter sees Debian's numpy and matplotlib; another python3 on PATH may not.
    const char* python = ::access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    std::vector<std::string> args{python, "-m", "wbe.report", "--store", store, "--output", out};
    for (const auto& [flag, value] : {std::pair<const char*, const std::string&>{"--config", ctx.config.path},
                                      {"--models-dir", ctx.config.models_dir},
                                      {"--model-set", ctx.config.model_set},
                                      {"--campaign", campaign}}) {
        if (value.empty()) continue;
        args.emplace_back(flag);
        args.push_back(value);
    }
    std::vector<char*> cargs;
    for (auto& a : args) cargs.push_back(a.data());
    cargs.push_back(nullptr);
    std::cout.flush();
    std::cerr.flush();
    ::execvp(python, cargs.data());
    throw std::runtime_error(fmt::format("cannot run {}: {}", python, std::strerror(errno)));
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"wbe — wastewater-based drug epidemiology: assay batches in, per-capita indices and flags out.\n"
                 "Exit codes: 0 ok, 1 bad input or config, 2 usage, 3 internal error."};
    app.set_version_flag("--version", std::string("wbe ") + wbe::engine_version);
    app.require_subcommand(1);

    std::string config;
    std::string store;
    std::vector<std::string> batches;
    std::string city;
    std::string table = "flags";
    wbe::pipeline::table_filter filter;
    std::size_t limit = 40;
    std::string output;

    const auto add_config = [&](CLI::App* c, bool required) {
        auto* o = c->add_option("-c,--config", config, "run config YAML (see config/README.md)");
        if (required) o->required();
        c->add_option("-s,--store", store, "HDF5 store path (overrides the config's store)");
    };

    auto* init = app.add_subcommand("init", "create an empty store");
    init->add_option("store", store, "path of the new HDF5 store")->required();
    init->add_option("--city", city, "city or programme name recorded in the store");

    auto* ingest = app.add_subcommand("ingest", "check and load sites, flows and assay batches into the store");
    add_config(ingest, true);
    ingest->add_option("batches", batches, "batch CSV files (default: the config's inputs.batches)")->check(CLI::ExistingFile);
    bool zero_loq = false;
    ingest->add_flag("--zero-means-below-loq", zero_loq,
                     "the batches write values below the LOQ as 0 (EUDA tables): read a 0 as <LOQ at the row's loq");
    bool supersede = false;
    std::string reason;
    ingest->add_flag("--supersede", supersede,
                     "a batch whose id is stored with other content replaces it (the old one stays on record); "
                     "estimates and flags are recomputed");
    ingest->add_option("--reason", reason, "why the corrected batch replaces the stored one (required with --supersede)");

    auto* migrate = app.add_subcommand("migrate", "upgrade a store of an older schema version to this engine's");
    migrate->add_option("store", store, "path of the HDF5 store")->required();

    auto* history = app.add_subcommand("history", "show a batch's lineage: every version of it with who, when and why");
    std::string history_id;
    history->add_option("batch_id", history_id, "batch id")->required();
    add_config(history, false);

    auto* estimate = app.add_subcommand("estimate", "compute daily and campaign indices from the stored results");
    add_config(estimate, true);

    auto* flag = app.add_subcommand("flag", "apply the threshold, ratio and detector rules to the stored estimates");
    add_config(flag, true);
    std::string compare;
    flag->add_option("--compare", compare,
                     "another run config: print the flags it adds and removes relative to --config, site by site, "
                     "and write nothing")
        ->check(CLI::ExistingFile);

    auto* run = app.add_subcommand("run", "ingest, estimate and flag in one step (no arguments: the embedded example city)");
    add_config(run, false);

    const auto add_filters = [&](CLI::App* c) {
        c->add_option("table", table, "batches, samples, sites, flows, water_quality, estimates_daily, estimates_campaign, "
                                      "campaign_batches, populations, summaries, detections, flags, flag_history, runs; or venues (the venue rows of "
                                      "estimates_campaign: screening values)");
        add_config(c, false);
        c->add_option("--site", filter.site, "only this site (or district/city id)");
        c->add_option("--drug", filter.drug, "only this drug or analyte");
        c->add_option("--campaign", filter.campaign, "only this campaign, e.g. 2024Q1");
        c->add_option("--scope", filter.scope, "estimates_campaign: site, district or city");
    };
    auto* show = app.add_subcommand("show", "print a store table in the terminal");
    add_filters(show);
    show->add_option("-n,--limit", limit, "rows to print (0 = all)");

    auto* rep = app.add_subcommand("report",
                                   "write a self-contained HTML report: the campaign, flagged sites with their plots, "
                                   "venues, data quality, run record (no arguments: the example city)");
    add_config(rep, false);
    std::string campaign;
    rep->add_option("-o,--output", output, "HTML file (default: the store's path with -report.html)");
    rep->add_option("--campaign", campaign, "campaign to summarise, e.g. 2024Q4 (default: the newest)");

    auto* exp = app.add_subcommand("export", "write a store table as tidy CSV");
    add_filters(exp);
    exp->add_option("-o,--output", output, "CSV file (default: standard output)");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? ok : usage;
    }

    try {
        const wbe::pipeline::overrides over{store, batches, zero_loq};
        const auto store_path = [&]() {
            if (!store.empty()) return store;
            return wbe::pipeline::load_context(config.empty() ? example_config() : config).config.store;
        };
        if (*init) {
            wbe::pipeline::init_store(store, city);
            std::cout << "created " << store << '\n';
        } else if (*ingest) {
            auto ctx = wbe::pipeline::load_context(config, over);
            ctx.supersede = supersede;
            ctx.reason = reason;
            const auto s = wbe::pipeline::ingest(ctx);
            std::cout << fmt::format("ingested {} batches ({} results) into {}; {} already stored; {} sites; flows +{} updated {}\n",
                                     s.added.size(), s.n_results, ctx.config.store, s.skipped.size(), s.n_sites,
                                     s.n_flows_added, s.n_flows_updated);
            if (s.n_water_quality_added + s.n_water_quality_updated > 0)
                std::cout << fmt::format("  water quality +{} updated {}\n", s.n_water_quality_added, s.n_water_quality_updated);
            for (const auto& k : s.skipped) std::cout << "  skipped (same content already stored): " << k << '\n';
            for (const auto& k : s.superseded) std::cout << "  superseded: " << k << " (" << reason << ")\n";
            if (s.recomputed) std::cout << "  estimates and flags recomputed\n";
        } else if (*migrate) {
            const auto m = wbe::pipeline::migrate_store(store);
            if (m.from == m.to) std::cout << store << " is already at schema version " << m.to << '\n';
            else std::cout << fmt::format("migrated {} from schema version {} to {}\n", store, m.from, m.to);
        } else if (*history) {
            const auto t = wbe::pipeline::batch_history(store_path(), history_id);
            if (t.rows.empty()) std::cout << "no batch " << history_id << " in the store\n";
            else std::cout << wbe::pipeline::format_table(t, 0);
        } else if (*estimate) {
            const auto ctx = wbe::pipeline::load_context(config, over);
            const auto s = wbe::pipeline::estimate(ctx);
            std::cout << fmt::format("{} daily and {} campaign estimates (model set '{}'); {} censored values substituted; "
                                     "flags cleared, run `wbe flag` next\n",
                                     s.core.n_daily, s.core.n_campaign, s.model_set, s.core.n_censored);
            for (const auto& w : s.core.warnings) std::cout << "warning: " << w << '\n';
            for (const auto& w : s.population_warnings) std::cout << "population check: " << w << '\n';
        } else if (*flag && !compare.empty()) {
            const auto a = wbe::pipeline::load_context(config, over);
            auto over_b = over;
            if (over_b.store.empty()) over_b.store = a.config.store;  // compare on the same estimates
            const auto b = wbe::pipeline::load_context(compare, over_b);
            std::cout << wbe::pipeline::format_comparison(wbe::pipeline::compare_flags(a, b), config, compare);
        } else if (*flag) {
            const auto ctx = wbe::pipeline::load_context(config, over);
            const auto s = wbe::pipeline::flag(ctx);
            std::cout << fmt::format("{} flags ({} alert, {} watch) written to {}\n", s.n_flags, s.n_alert, s.n_watch,
                                     ctx.config.store);
        } else if (*run) {
            const auto ctx = wbe::pipeline::load_context(config.empty() ? example_config() : config, over);
            const auto s = wbe::pipeline::run(ctx);
            std::cout << wbe::pipeline::format_run_summary(s, ctx);
        } else if (*rep) {
            exec_report(config.empty() ? example_config() : config, over, output, campaign, argv[0]);
        } else if (*show) {
            const auto t = wbe::pipeline::store_table(store_path(), table, filter, false);
            std::cout << wbe::pipeline::format_table(t, limit);
        } else if (*exp) {
            const auto t = wbe::pipeline::store_table(store_path(), table, filter, true);
            if (output.empty()) {
                wbe::pipeline::write_csv(t, std::cout);
            } else {
                std::ofstream out(output, std::ios::binary);
                if (!out) wbe::throw_input_error({output, 0, 0}, "", "", "cannot write the output file");
                wbe::pipeline::write_csv(t, out);
                std::cerr << fmt::format("wrote {} rows to {}\n", t.rows.size(), output);
            }
        }
        return ok;
    } catch (const wbe::input_error& e) {
        report(e, "bad input (nothing was written)");
        std::cerr << fmt::format("  {} problem(s)\n", e.diagnostics().size());
        return bad_input;
    } catch (const wbe::config_error& e) {
        report(e, "bad configuration (nothing was written)");
        return bad_input;
    } catch (const wbe::store_error& e) {
        report(e, "store");
        return bad_input;
    } catch (const std::exception& e) {
        report(e, "internal error");
        return internal;
    }
}
