// The pipeline stages on a run config, as the CLI calls them. Each returns its summary as a dict.
// The GIL is released for the whole stage (config, models, store I/O and the computation), so
// other Python threads run meanwhile; HDF5 (Debian's build is thread-safe) serialises file access.

#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "register.hpp"
#include "wbe/io/run_config.hpp"
#include "wbe/pipeline/pipeline.hpp"

namespace py = pybind11;
namespace fs = std::filesystem;

namespace wbe::python {
namespace {

// Where the config comes from: a file, or YAML text (a dict written by the `wbe` package) with the
// name it has in messages and the folder its relative paths resolve against.
struct config_source {
    std::optional<fs::path> path;
    std::optional<std::string> text;
    std::string source;
    fs::path base_dir;
};

struct stage_args {
    config_source config;
    pipeline::overrides over;
    bool supersede = false;
    std::string reason;
};

using path_list = std::optional<std::vector<fs::path>>;

config_source make_source(const std::optional<fs::path>& config, const std::optional<std::string>& text,
                          const std::string& source, const std::optional<fs::path>& base_dir) {
    if (config.has_value() == text.has_value())
        throw py::value_error("give a config path or config_text, not both and not neither");
    return {config, text, source, base_dir ? *base_dir : fs::current_path()};
}

stage_args make_args(config_source config, const std::optional<fs::path>& store, const path_list& batches,
                     bool zero_means_below_loq) {
    stage_args a{std::move(config), {}, false, {}};
    if (store) a.over.store = store->string();
    if (batches)
        for (const auto& b : *batches) a.over.batches.push_back(b.string());
    a.over.zero_means_below_loq = zero_means_below_loq;
    return a;
}

pipeline::context load(const stage_args& a) {
    pipeline::context ctx =
        a.config.text
            ? pipeline::make_context(
                  io::load_run_config_text(*a.config.text, a.config.source, a.config.base_dir.string()), a.over)
            : pipeline::load_context(a.config.path->string(), a.over);
    ctx.supersede = a.supersede;
    ctx.reason = a.reason;
    return ctx;
}

py::dict to_dict(const pipeline::ingest_summary& s) {
    py::dict d;
    d["added"] = s.added;
    d["skipped"] = s.skipped;
    d["n_results"] = s.n_results;
    d["n_sites"] = s.n_sites;
    d["n_flows_added"] = s.n_flows_added;
    d["n_flows_updated"] = s.n_flows_updated;
    d["superseded"] = s.superseded;
    d["recomputed"] = s.recomputed;
    d["n_water_quality_added"] = s.n_water_quality_added;
    d["n_water_quality_updated"] = s.n_water_quality_updated;
    return d;
}

py::dict to_dict(const pipeline::estimate_stage_summary& s) {
    py::dict d;
    d["model_set"] = s.model_set;
    d["n_results"] = s.core.n_results;
    d["n_daily"] = s.core.n_daily;
    d["n_campaign"] = s.core.n_campaign;
    d["n_censored"] = s.core.n_censored;
    d["n_missing_flow"] = s.core.n_missing_flow;
    d["n_corrected_amphetamine"] = s.core.n_corrected_amphetamine;
    d["n_uncertainty_units"] = s.core.n_uncertainty_units;
    d["unconfirmed_parameters"] = s.core.unconfirmed_parameters;
    d["warnings"] = s.core.warnings;
    d["population_warnings"] = s.population_warnings;
    d["population_methods"] = s.population_methods;
    return d;
}

py::dict to_dict(const pipeline::flag_summary& s) {
    py::dict d;
    d["n_flags"] = s.n_flags;
    d["n_watch"] = s.n_watch;
    d["n_alert"] = s.n_alert;
    return d;
}

py::dict to_dict(const pipeline::run_summary& s) {
    py::dict d;
    d["city"] = s.city;
    d["latest_campaign"] = s.latest_campaign;
    d["ingest"] = to_dict(s.ingest);
    d["estimate"] = to_dict(s.estimate);
    d["flags"] = to_dict(s.flags);
    return d;
}

// Runs `stage` on the loaded context without the GIL; returns its dict with the store path.
template <class Stage>
py::dict run_stage(const stage_args& a, Stage stage) {
    std::string store;
    auto summary = [&] {
        py::gil_scoped_release nogil;
        quiet_hdf5_on_this_thread();
        const auto ctx = load(a);
        store = ctx.config.store;
        return stage(ctx);
    }();
    py::dict d = to_dict(summary);
    d["store"] = store;
    return d;
}

using opt_path = std::optional<fs::path>;
using opt_text = std::optional<std::string>;

py::dict ingest(const opt_path& config, const opt_path& store, const path_list& batches, bool zero_means_below_loq,
                bool supersede, const std::string& reason, const opt_text& config_text, const std::string& source,
                const opt_path& base_dir) {
    stage_args a = make_args(make_source(config, config_text, source, base_dir), store, batches, zero_means_below_loq);
    a.supersede = supersede;
    a.reason = reason;
    return run_stage(a, [](const pipeline::context& ctx) { return pipeline::ingest(ctx); });
}

py::dict estimate(const opt_path& config, const opt_path& store, const opt_text& config_text, const std::string& source,
                  const opt_path& base_dir) {
    return run_stage(make_args(make_source(config, config_text, source, base_dir), store, std::nullopt, false),
                     [](const pipeline::context& ctx) { return pipeline::estimate(ctx); });
}

py::dict flag(const opt_path& config, const opt_path& store, const opt_text& config_text, const std::string& source,
              const opt_path& base_dir) {
    return run_stage(make_args(make_source(config, config_text, source, base_dir), store, std::nullopt, false),
                     [](const pipeline::context& ctx) { return pipeline::flag(ctx); });
}

py::dict run(const opt_path& config, const opt_path& store, const path_list& batches, bool zero_means_below_loq,
             const opt_text& config_text, const std::string& source, const opt_path& base_dir) {
    return run_stage(
        make_args(make_source(config, config_text, source, base_dir), store, batches, zero_means_below_loq),
        [](const pipeline::context& ctx) { return pipeline::run(ctx); });
}

}  // namespace

void register_pipeline(py::module_& m) {
    // Every stage takes its config as a path (`config`) or as YAML text (`config_text`, named
    // `source` in messages, relative paths against `base_dir`, default the current directory).
    m.def("ingest", &ingest, py::arg("config") = py::none(), py::arg("store") = py::none(),
          py::arg("batches") = py::none(), py::arg("zero_means_below_loq") = false, py::arg("supersede") = false,
          py::arg("reason") = "", py::arg("config_text") = py::none(), py::arg("source") = "<config text>",
          py::arg("base_dir") = py::none(),
          "Checks and loads the config's sites, flows and batches (or `batches`) into the store (or `store`). "
          "Any problem in any file raises InputError or ConfigError and writes nothing. `zero_means_below_loq`: "
          "the batches write values below the LOQ as 0 (EUDA tables). `supersede` (with a `reason`): a batch whose "
          "id is stored with other content replaces it, the old version stays on record, and estimates and flags "
          "are recomputed. Returns the summary: batches added, skipped and superseded, counts, store path.");
    m.def("estimate", &estimate, py::arg("config") = py::none(), py::arg("store") = py::none(),
          py::arg("config_text") = py::none(), py::arg("source") = "<config text>", py::arg("base_dir") = py::none(),
          "Recomputes every daily and campaign estimate from the stored results (and clears stale flags). "
          "Returns counts, warnings, population_warnings, model set and store path.");
    m.def("flag", &flag, py::arg("config") = py::none(), py::arg("store") = py::none(),
          py::arg("config_text") = py::none(), py::arg("source") = "<config text>", py::arg("base_dir") = py::none(),
          "Applies the threshold, ratio and detector rules to the stored estimates. Returns n_flags, n_watch, "
          "n_alert and the store path.");
    m.def("run", &run, py::arg("config") = py::none(), py::arg("store") = py::none(), py::arg("batches") = py::none(),
          py::arg("zero_means_below_loq") = false, py::arg("config_text") = py::none(),
          py::arg("source") = "<config text>", py::arg("base_dir") = py::none(),
          "ingest + estimate + flag in one atomic write. Returns {'store', 'city', 'latest_campaign', 'ingest', "
          "'estimate', 'flags'}, the last three as the stages return them.");
}

}  // namespace wbe::python
