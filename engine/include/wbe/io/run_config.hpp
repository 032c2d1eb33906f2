#pragma once
/// @file run_config.hpp
/// The run configuration analysts edit (`config/*.yaml`; every key in config/README.md):
/// which store, which inputs, which model set, how to censor and aggregate, and the threshold
/// and ratio rules. Relative paths are relative to the config file's folder.

#include <string>
#include <vector>

#include "wbe/core/estimate.hpp"
#include "wbe/core/threshold.hpp"

namespace wbe::io {

struct run_config {
    std::string path;         ///< the config file
    std::string name;
    std::string city;         ///< label of city-scope rows; empty → the sites file's city
    std::string store;        ///< HDF5 store path (resolved)
    std::string sites;        ///< sites file (resolved), may be empty
    std::vector<std::string> flows;    ///< flow files (resolved)
    std::vector<std::string> batches;  ///< batch files (folders expanded to their *.csv, name order)
    bool zero_means_below_loq = false; ///< batches code <LOQ as 0 (EUDA tables); see assay_csv.hpp
    std::string models_dir;
    std::string model_set = "default";
    estimate_options estimate;
    std::vector<threshold_rule> thresholds;
    std::vector<ratio_rule> ratios;
    std::string thresholds_source;  ///< file the rules came from (the config itself when inline)
    std::string hash;               ///< XXH3-128 of the config and thresholds files
};

/// Reads and checks a run config; throws wbe::config_error with file, line, column and key.
[[nodiscard]] run_config load_run_config(const std::string& path);

/// Checks the rules against a model set (every drug or residue a rule names must exist) and
/// replaces residue aliases in ratio rules by residue ids.
void resolve_rules(run_config& config, const model_set& models);

}  // namespace wbe::io
