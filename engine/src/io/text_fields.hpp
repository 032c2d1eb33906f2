#pragma once
// Helpers shared by the CSV readers of io/ (private to the library).

#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wbe/core/errors.hpp"
#include "wbe/io/csv.hpp"

namespace wbe::io::detail {

/// Drops ASCII spaces and tabs at both ends.
inline std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

/// A finite decimal number written in the whole field, else nothing. Accepts a leading `+`.
std::optional<double> parse_number(std::string_view s) noexcept;

/// True when the field reads as NaN or infinity (so the message can say "must be finite").
bool looks_non_finite(std::string_view s) noexcept;

/// The position of each named column in the header, with problems for duplicate and
/// unknown columns and for missing required ones.
struct header_map {
    std::vector<int> index;  ///< per known column: field position or -1
    std::vector<std::string> problems_field, problems_rule;
    std::vector<std::size_t> problems_column;
};
header_map map_header(const csv_record& header, const std::vector<std::string_view>& required,
                      const std::vector<std::string_view>& optional);

/// A CSV file split into records with its header checked: the shared start of every CSV
/// reader. Quoting problems go into `errs` (rows are still read); an empty file, or a header
/// with missing, unknown or duplicate columns, throws everything collected so far, because
/// rows cannot be read against a broken header.
struct checked_csv {
    csv_document doc;
    header_map header;
    [[nodiscard]] const csv_record& header_record() const { return doc.records.front(); }
};
checked_csv open_csv(std::string_view text, const std::string& source, const std::vector<std::string_view>& required,
                     const std::vector<std::string_view>& optional, wbe::diagnostics_collector& errs);

/// XXH3-128 of the bytes as 32 lower-case hex digits.
std::string content_hash(std::string_view bytes);

}  // namespace wbe::io::detail
