#pragma once
/// @file flows_csv.hpp
/// Reads daily plant flows (CSV `site_id, date, flow, unit`, optional `notes`) in m³/d, L/d or
/// 10⁴ m³/d into m³/day. All problems of a file are reported together.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "wbe/core/sample.hpp"

namespace wbe::io {

struct flows_file {
    std::string source;
    std::string content_hash;
    std::vector<flow_record> records;
};

struct flow_read_options {
    /// Kind of a site id (`wwtp`, `venue`), or empty when the site is unknown.
    std::function<std::string(std::string_view)> site_kind;
};

[[nodiscard]] flows_file parse_flows(std::string_view text, const std::string& source, const flow_read_options& options);
[[nodiscard]] flows_file read_flows(const std::string& path, const flow_read_options& options);

}  // namespace wbe::io
