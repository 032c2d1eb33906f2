#pragma once
/// @file run_config.hpp
/// The run configuration analysts edit (`config/*.yaml`; every key in config/README.md):
/// which store, which inputs, which model set, how to censor and aggregate, and the threshold
/// and ratio rules. Relative paths are relative to the config file's folder.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "wbe/core/composite_index.hpp"
#include "wbe/core/detect.hpp"
#include "wbe/core/estimate.hpp"
#include "wbe/core/population.hpp"
#include "wbe/core/threshold.hpp"

namespace wbe::io {

/// One detector parameter as written in the config.
struct detector_param {
    std::string key;
    std::string text;
    location where;
};
/// A detector at one inheritance level: on (with parameters) or off.
struct detector_setting {
    std::string name;
    bool enabled = true;
    bool switched_on = false;  ///< written `on`: enables the detector at any level
    std::vector<detector_param> params;
    location where;
};
/// The `detectors:` section: settings inherited defaults → drug → site kind → site. At the
/// defaults and drug levels a detector written with parameters (or `{}` or `on`) runs; at the
/// site-kind and site levels parameters only adjust a detector that already runs for that
/// drug, `on` makes it run, and `off` at any level stops it. Parameters merge key by key, the
/// later level winning.
struct detector_settings {
    std::vector<detector_setting> defaults;
    std::map<std::string, std::vector<detector_setting>> drugs, site_kinds, sites;
    [[nodiscard]] bool empty() const noexcept { return defaults.empty() && drugs.empty() && site_kinds.empty() && sites.empty(); }
};

struct run_config {
    std::string path;         ///< the config file
    std::string name;
    std::string city;         ///< label of city-scope rows; empty → the sites file's city
    std::string store;        ///< HDF5 store path (resolved)
    std::string sites;        ///< sites file (resolved), may be empty
    std::vector<std::string> flows;    ///< flow files (resolved)
    std::vector<std::string> water_quality;  ///< water-quality files (resolved), for population estimates
    std::vector<std::string> batches;  ///< batch files (folders expanded to their *.csv, name order)
    bool zero_means_below_loq = false; ///< batches code <LOQ as 0 (EUDA tables); see assay_csv.hpp
    std::string models_dir;
    std::string model_set = "default";
    estimate_options estimate;
    /// `population:` — estimators beyond the census; census alone when the section is absent.
    population_options population;
    std::string population_constants;  ///< the constants file read (resolved), empty when not needed
    std::vector<threshold_rule> thresholds;
    std::vector<ratio_rule> ratios;
    detector_settings detectors;
    std::vector<composite_options> composites;  ///< multi-drug indices (`composites:`)
    std::string thresholds_source;  ///< file the rules came from (the config itself when inline)
    std::string hash;               ///< XXH3-128 of the config and thresholds files
};

/// Reads and checks a run config; throws wbe::config_error with file, line, column and key.
[[nodiscard]] run_config load_run_config(const std::string& path);
/// The same from YAML text that is not a file (e.g. written from a Python dict): `source` names
/// it in messages (as a file would) and relative paths resolve against `base_dir`.
[[nodiscard]] run_config load_run_config_text(const std::string& text, const std::string& source,
                                              const std::string& base_dir);

/// The detectors for one site and drug, with their parameters applied (instances are shared
/// between sites with the same settings). Throws config_error at the offending key.
class detector_resolver {
public:
    explicit detector_resolver(const detector_settings& settings) : settings_(settings) {}
    [[nodiscard]] std::vector<detector_instance> operator()(const site& s, const std::string& drug);

private:
    const detector_settings& settings_;
    std::map<std::string, detector_instance> cache_;
};

/// Checks the rules against a model set (every drug or residue a rule names must exist) and
/// replaces residue aliases in ratio rules by residue ids.
void resolve_rules(run_config& config, const model_set& models);

}  // namespace wbe::io
