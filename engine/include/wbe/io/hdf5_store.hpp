#pragma once
/// @file hdf5_store.hpp
/// The programme store: one HDF5 file holding every table as a 1-D compound dataset with
/// fixed-length string fields, so that h5py and `pandas.read_hdf(path, key)` read it with no
/// custom code. Root attributes: `schema_version`, `engine_version`, `city`.
///
/// Tables (dataset names): batches, samples, sites, flows, water_quality, estimates_daily,
/// estimates_campaign, campaign_batches, populations, summaries, detections, flags, flag_history, runs. Units are canonical (ng/L, m³/day, mg/day, mg/day/1000
/// inh); column lists are in data/README.md and README.md.
///
/// Writing is atomic: the new file is prepared as a temporary file beside the store (written
/// whole by write_store, or a copy of the store's bytes with rows appended by append_store), is
/// flushed to disk, and replaces the store by rename(2). A reader therefore sees the old or the
/// new store, never a torn one, and a failed or killed write leaves the old store.
/// Writers hold an exclusive lock (`<store>.lock`, flock) for the whole read-modify-write.

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "wbe/core/detect.hpp"
#include "wbe/core/estimate.hpp"
#include "wbe/core/sample.hpp"
#include "wbe/core/site.hpp"
#include "wbe/core/threshold.hpp"

namespace wbe::io {

/// 1: first release. 2: uncertainty and censored-summary columns (estimates, flags, runs) and the
/// summaries table. 3: population estimates (tables water_quality and populations; population,
/// screening and ratio columns; sites' smoking_rate and domestic_fraction; runs' populations) and
/// batch lineage (user, reason, superseded_at, superseded_by). An older store reads with the newer
/// columns empty (NaN, "" or no rows); the engine writes only stores of its own version, so an
/// older store is upgraded explicitly (`migrate_store`, `wbe migrate`): an engine that rewrote a
/// newer store would drop what it does not know, hence a newer store is refused. 4: audit
/// lineage — estimates_daily's batch_id, batch_hash and run_id, estimates_campaign's run_id,
/// and the table campaign_batches (the batches behind each campaign estimate).
inline constexpr int store_schema_version = 4;

struct batch_record {
    std::string batch_id;
    std::string content_hash;
    std::string source;
    std::string ingested_at;  ///< UTC, ISO 8601
    std::string status = "active";  ///< active, or superseded by a corrected batch of the same id
    std::int64_t n_results = 0;
    std::string user;           ///< who ingested it ($USER)
    std::string reason;         ///< why a corrected batch replaced the previous one (`--reason`)
    std::string superseded_at;  ///< UTC, ISO 8601; empty while active
    std::string superseded_by;  ///< content hash of the batch that replaced it
};

struct run_record {
    std::int64_t run_id = 0;
    std::string command;      ///< ingest, estimate, flag, run
    std::string started_at;   ///< UTC, ISO 8601
    std::string engine_version;
    std::string config;       ///< config file path
    std::string config_hash;
    std::string model_set;
    std::string model_hash;
    std::int64_t seed = 0;    ///< 0 for deterministic runs
    std::string uncertainty = "none";  ///< none, monte_carlo, analytic
    std::int64_t draws = 0;   ///< Monte Carlo draws per estimate
    double interval = std::numeric_limits<double>::quiet_NaN();  ///< central interval of the stored quantiles
    std::int64_t n_daily = 0;
    std::int64_t n_campaign = 0;
    std::int64_t n_flags = 0;
    std::string unconfirmed;  ///< unconfirmed model parameters used, comma-separated
    std::string summary;      ///< one-line summary (counts, warnings)
    std::string populations;  ///< population estimator per plant, e.g. "LS-WWTP-01 combined; LS-WWTP-02 census" (estimate runs)
};

/// One batch behind one campaign estimate (scope, id, campaign, analyte as in
/// estimates_campaign): every estimate is traceable to the batches (ids and content hashes) its
/// daily values came from (pipeline/lineage.hpp).
struct campaign_batch {
    std::string scope;
    std::string id;
    std::string campaign;
    std::string analyte;
    std::string batch_id;
    std::string batch_hash;
};

/// Everything a store holds, in memory.
struct store_contents {
    std::string city;
    int schema_version = store_schema_version;  ///< of the file read (the current one for a new store)
    std::vector<batch_record> batches;
    std::vector<assay_result> samples;
    std::vector<site> sites;
    std::vector<flow_record> flows;
    std::vector<water_quality_record> water_quality;  ///< for population estimates (population.hpp)
    std::string estimates_model_set;  ///< model set of the stored estimates
    std::int64_t estimates_run_id = 0;  ///< the run that computed the stored estimates (0: before schema 4)
    std::vector<daily_estimate> daily;
    std::vector<campaign_estimate> campaigns;
    std::vector<campaign_batch> campaign_batches;  ///< lineage of `campaigns`
    std::vector<population_row> populations;  ///< each plant's population estimates per campaign, and the one used
    std::vector<group_summary> summaries;
    std::vector<detection_record> detections;  ///< every detector result of the latest flag run
    std::vector<flag> flags;                   ///< flags of the latest flag run
    std::vector<flag> flag_history;            ///< flags of earlier runs, with their run id and config hash
    std::vector<run_record> runs;
};

/// Exclusive writer lock on a store; released on destruction. Throws store_error naming the
/// holder's pid when another process writes.
class store_lock {
public:
    explicit store_lock(const std::string& store_path);
    ~store_lock();
    store_lock(const store_lock&) = delete;
    store_lock& operator=(const store_lock&) = delete;

private:
    int fd_ = -1;
};

/// Reads a whole store. Throws store_error when the file is missing, not HDF5, or of a newer
/// schema than this engine reads.
[[nodiscard]] store_contents read_store(const std::string& path);
/// Writes a whole store atomically (temporary file + fsync + rename).
void write_store(const std::string& path, const store_contents& contents);

/// Rows to add at the end of a store's tables (append_store). The other tables cannot grow this
/// way: their rows are recomputed as a whole (estimates, flags) or not ingested.
struct store_rows {
    std::vector<batch_record> batches;
    std::vector<assay_result> samples;
    std::vector<site> sites;
    std::vector<flow_record> flows;
    std::vector<water_quality_record> water_quality;
    std::vector<run_record> runs;
};

/// Adds rows at the end of an existing store's tables, atomically like write_store: the file's
/// bytes are copied to the temporary file beside the store (nothing is decompressed), the rows
/// are appended there in place, and the copy is flushed and renamed over the store. Its cost is
/// a file copy plus the new rows, not a rewrite of every row. The store must be of this engine's
/// schema (store_error otherwise, naming `wbe migrate`); every other row and attribute stays as
/// it is, except `engine_version`, which becomes this engine's.
void append_store(const std::string& path, const store_rows& rows);

/// Whether two sites are the same row once stored (every stored column byte for byte): a site
/// re-read from a sites file that is stored_alike needs no rewrite of the table.
[[nodiscard]] bool stored_alike(const site& a, const site& b);
[[nodiscard]] bool store_exists(const std::string& path);

/// One column of a stored table, whatever its type.
struct column_data {
    enum class type { number, integer, text };
    std::string name;
    type kind = type::number;
    std::vector<double> numbers;
    std::vector<std::int64_t> integers;
    std::vector<std::string> texts;
};

/// A stored table read generically from its compound type (for show, export and Python).
struct raw_table {
    std::string name;
    std::size_t rows = 0;
    std::vector<column_data> columns;
};

/// Reads one table by name. Throws store_error for an unknown table or an unreadable store.
[[nodiscard]] raw_table read_raw_table(const std::string& path, const std::string& table);

/// Names of the tables, in file order.
[[nodiscard]] const std::vector<std::string>& store_tables();

/// Current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
[[nodiscard]] std::string utc_now();

}  // namespace wbe::io
