#pragma once
/// @file pipeline.hpp
/// The stages the CLI and Python call: ingest → estimate → flag, each reading and writing the
/// store as one atomic step (see hdf5_store.hpp), and `run` doing all three in one write.
///
/// Each stage takes the run config and returns a summary of what it did.

#include <string>
#include <vector>

#include "wbe/core/detect.hpp"
#include "wbe/io/hdf5_store.hpp"
#include "wbe/io/run_config.hpp"

namespace wbe::pipeline {

struct ingest_summary {
    std::vector<std::string> added;    ///< batch ids added
    std::vector<std::string> skipped;  ///< "batch id (file)" already in the store with the same content
    std::size_t n_results = 0;         ///< assay results added
    std::size_t n_sites = 0;           ///< sites in the store after ingest
    std::size_t n_flows_added = 0;
    std::size_t n_flows_updated = 0;
    std::vector<std::string> superseded;  ///< batch ids whose stored content a corrected batch replaced
    bool recomputed = false;              ///< estimates and flags were recomputed after a supersession
    std::size_t n_water_quality_added = 0;
    std::size_t n_water_quality_updated = 0;
};

struct estimate_stage_summary {
    estimate_summary core;
    std::string model_set;
    /// Plants whose estimated population departs from the census beyond the config's factor:
    /// "site campaign: estimated … is 1.42 x the census …".
    std::vector<std::string> population_warnings;
    /// The population estimator each plant used: "LS-WWTP-01 combined; …" ("census" for all
    /// when the config has no `population:` section); a plant whose method changed between
    /// campaigns lists each with its count, e.g. "combined x11, census x1".
    std::string population_methods;
};

struct flag_summary {
    std::size_t n_flags = 0;
    std::size_t n_watch = 0;
    std::size_t n_alert = 0;
};

struct run_summary {
    std::string store;
    std::string city;
    ingest_summary ingest;
    estimate_stage_summary estimate;
    flag_summary flags;
    std::vector<wbe::flag> flag_list;  ///< the stored flags, newest campaign first
    std::string latest_campaign;       ///< newest campaign with estimates
    std::vector<campaign_estimate> latest;  ///< its plant and city rows (for the overview)
    std::vector<campaign_estimate> latest_venues;  ///< its venue rows with a screening index
    double interval = 0.95;                 ///< central interval of the uncertainty columns
};

/// Overrides a command line may set on top of the config.
struct overrides {
    std::string store;                ///< store path instead of the config's
    std::vector<std::string> batches; ///< batch files instead of the config's
    bool zero_means_below_loq = false; ///< the batches code <LOQ as 0 (EUDA tables)
};

/// The config with command-line overrides applied, and its model set loaded and checked.
struct context {
    io::run_config config;
    model_set models;
    std::string model_hash;
    /// `wbe ingest --supersede --reason TEXT`: a batch whose id is stored with other content
    /// replaces it (the old one stays on record as superseded, with who, when and why).
    bool supersede = false;
    std::string reason;
};
[[nodiscard]] context load_context(const std::string& config_path, const overrides& o = {});
/// The same for a config already read (io::load_run_config_text).
[[nodiscard]] context make_context(io::run_config config, const overrides& o = {});

/// Loads sites, flows and batches into the store. All files are checked before anything is
/// written; any problem in any file throws (input_error or config_error) and leaves the store
/// as it was. A batch whose content is already stored is skipped; a known batch id with new
/// content is an error unless `ctx.supersede`: then its results replace the old batch's, the old
/// record stays with status `superseded`, and the stored estimates and flags are recomputed in
/// the same write.
ingest_summary ingest(const context& ctx);
/// Recomputes every estimate from the stored results (and clears the now stale flags).
estimate_stage_summary estimate(const context& ctx);
/// Evaluates the threshold and ratio rules on the stored estimates.
flag_summary flag(const context& ctx);
/// ingest + estimate + flag, written once.
run_summary run(const context& ctx);

/// The flags (and every detector result) a config gives on the estimates of a store, without
/// writing anything.
struct evaluated_flags {
    std::vector<wbe::flag> flags;
    std::vector<detection_record> detections;
};
[[nodiscard]] evaluated_flags evaluate_flags(const io::store_contents& store, const context& ctx);

/// What config `b` changes relative to config `a` on the estimates of a's store (`wbe flag
/// --compare`): flags it adds, removes, and keeps at another level or certainty.
struct flag_comparison {
    std::vector<wbe::flag> added;
    std::vector<wbe::flag> removed;
    std::vector<std::pair<wbe::flag, wbe::flag>> changed;  ///< (a's, b's)
    std::size_t n_a = 0;
    std::size_t n_b = 0;
};
[[nodiscard]] flag_comparison compare_flags(const context& a, const context& b);

/// Creates an empty store (schema and attributes only). Refuses to overwrite an existing one.
/// Upgrades a store of an older schema version to the engine's: read (older columns and tables
/// read as empty), then written whole, atomically, under the store lock. A store of the current
/// version is left untouched. Returns the versions before and after.
struct migration {
    int from = 0;
    int to = 0;
};
migration migrate_store(const std::string& path);

void init_store(const std::string& path, const std::string& city);

/// Flags sorted for display: newest campaign first, alerts before watches, then site.
[[nodiscard]] std::vector<wbe::flag> sorted_flags(std::vector<wbe::flag> flags);

}  // namespace wbe::pipeline
