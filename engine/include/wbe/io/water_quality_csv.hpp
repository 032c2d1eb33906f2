#pragma once
/// @file water_quality_csv.hpp
/// Reads daily wastewater quality values of treatment plants (CSV `site_id, date, parameter,
/// value, unit`, optional `notes`) for hydrochemical population estimates: NH4-N, COD, BOD5,
/// TKN, TN or TP in mg/L (= g/m³). Parameter spellings are folded to the canonical ones of
/// water_quality_record. All problems of a file are reported together.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "wbe/core/sample.hpp"

namespace wbe::io {

struct water_quality_file {
    std::string source;
    std::string content_hash;
    std::vector<water_quality_record> records;
};

struct water_quality_read_options {
    /// Kind of a site id (`wwtp`, `venue`), or empty when the site is unknown.
    std::function<std::string(std::string_view)> site_kind;
};

[[nodiscard]] water_quality_file parse_water_quality(std::string_view text, const std::string& source,
                                                     const water_quality_read_options& options);
[[nodiscard]] water_quality_file read_water_quality(const std::string& path, const water_quality_read_options& options);

}  // namespace wbe::io
