#pragma once
/// @file sites.hpp
/// Reads the sites of a programme from YAML (`city:`, an optional province-wide `smoking_rate:`
/// and a `sites:` list) or CSV (columns `id, name, kind, venue_type, district, towns,
/// population, population_rsd, population_method, residence_time_h, smoking_rate,
/// domestic_fraction`; towns separated by `;`). `smoking_rate` (cigarettes per person and day)
/// and `domestic_fraction` serve the cotinine population method (population.hpp).

#include <string>
#include <vector>

#include "wbe/core/site.hpp"

namespace wbe::io {

struct sites_file {
    std::string city;  ///< city name (YAML `city:`), empty when not given
    std::string source;
    std::string content_hash;
    std::vector<site> sites;
};

/// By extension: `.yaml`/`.yml` or `.csv`. Problems are config_error (YAML) or input_error (CSV),
/// each with file, line and column.
[[nodiscard]] sites_file read_sites(const std::string& path);

}  // namespace wbe::io
