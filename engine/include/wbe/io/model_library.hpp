#pragma once
/// @file model_library.hpp
/// Loads the residue models of a `models/` folder (one YAML per residue) and applies a named
/// set's overrides (`models/sets/<name>.yaml`). Every numeric parameter must carry `value`,
/// `unit`, `source` and `evidence`; anything else is a config_error with file, line and column.

#include <string>

#include "wbe/core/analyte_model.hpp"
#include "wbe/core/population.hpp"

namespace wbe::io {

/// Reads every `*.yaml` in `dir` (in name order) as the set `default`, then, unless `set_name`
/// is `default`, applies `dir/sets/<set_name>.yaml`.
[[nodiscard]] model_set load_model_set(const std::string& dir, const std::string& set_name = "default");

/// Reads the population estimators' constants (`models/population/constants.yaml`): keys
/// `per_capita_loads` (NH4-N, COD, BOD5, TKN, TN, TP: parameters in g/person/day with rsd) and
/// `cotinine` (`mg_per_cigarette` in mg, `population_rsd`); every value with its source and
/// evidence. Throws config_error with file, line and column.
[[nodiscard]] population_constants load_population_constants(const std::string& path);

/// Hash of the files that made the set (for the run record).
[[nodiscard]] std::string model_set_hash(const std::string& dir, const std::string& set_name);

}  // namespace wbe::io
