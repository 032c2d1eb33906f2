#pragma once
/// @file tables.hpp
/// Store tables as text: aligned terminal tables (`wbe show`, the run summary) and tidy CSV
/// (`wbe export`). Both read the same column lists, so a column shown is a column exported.

#include <iosfwd>
#include <string>
#include <vector>

#include "wbe/io/hdf5_store.hpp"
#include "wbe/pipeline/pipeline.hpp"

namespace wbe::pipeline {

/// A store table as strings: header plus rows, numbers formatted with 6 significant digits
/// (CSV export uses 17, enough to read back the same double).
struct text_table {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
};

struct table_filter {
    std::string site;      ///< exact site id (or aggregate id), empty = all
    std::string drug;      ///< drug name or analyte, empty = all
    std::string campaign;  ///< exact campaign, empty = all
    std::string scope;     ///< estimates_campaign: site, district, city; empty = all
};

/// Reads a table of the store at `store_path`, keeping the rows that pass `filter` (columns
/// `site_id`/`id`, `drug`/`analyte`, `campaign`, `scope`, where the table has them). Throws
/// store_error for an unknown table (listing the known ones).
[[nodiscard]] text_table store_table(const std::string& store_path, const std::string& table, const table_filter& filter,
                                     bool full_precision);
/// Every stored version of batch `batch_id`, oldest first: status, content hash, source, when,
/// who, why it replaced the previous one, and when and by what it was itself superseded.
[[nodiscard]] text_table batch_history(const std::string& store_path, const std::string& batch_id);
/// The flags as a display table.
[[nodiscard]] text_table flag_table(const std::vector<wbe::flag>& flags);

/// Aligned columns; at most `limit` rows (0 = all), with a "... N more rows" line.
[[nodiscard]] std::string format_table(const text_table& t, std::size_t limit = 0);
/// RFC 4180 CSV (quotes where needed), LF line ends.
void write_csv(const text_table& t, std::ostream& out);

/// `wbe flag --compare`: site by site, `+` flags config b adds, `-` flags it removes, `~` flags
/// it keeps at another level or certainty.
[[nodiscard]] std::string format_comparison(const flag_comparison& c, const std::string& name_a, const std::string& name_b);

/// The run report printed by `wbe run`: what was loaded, computed and flagged.
[[nodiscard]] std::string format_run_summary(const run_summary& s, const context& ctx);

}  // namespace wbe::pipeline
