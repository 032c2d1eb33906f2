#pragma once
/// @file assay_csv.hpp
/// Reads an assay batch (CSV, one row per sample × analyte; design.md "Inputs") into canonical
/// assay results, checking every row. All problems of a file are reported together as one
/// wbe::input_error; a file with any problem yields nothing.
///
/// Columns: `batch_id, sample_id, site_id, sample_date, analyte, value, unit, qualifier, lod,
/// loq` (required) and `method_id, lab_id, recovery_pct, sample_type, notes` (optional).

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "wbe/core/analyte_model.hpp"
#include "wbe/core/sample.hpp"

namespace wbe::io {

struct assay_batch {
    std::string batch_id;
    std::string source;        ///< file name as given
    std::string content_hash;  ///< XXH3-128 of the file bytes, 32 hex digits
    std::vector<assay_result> results;
};

struct assay_read_options {
    /// Answers whether a site id exists (the reader does not own the sites table). Asked once
    /// per run of consecutive rows with the same site id.
    std::function<bool(std::string_view)> site_exists;
    const model_set* models = nullptr;  ///< resolves analyte ids and aliases
    /// Published tables (the EUDA's among them) write values below the LOQ as 0. With this
    /// switch a 0 with an empty qualifier reads as `<LOQ` at the row's loq (which it then
    /// needs); without it, such a 0 is a detected value below its lod and rejected.
    bool zero_means_below_loq = false;
};

/// Parses and checks `text`, reported as coming from `source`. Throws wbe::input_error with
/// every problem found.
[[nodiscard]] assay_batch parse_assay_batch(std::string_view text, const std::string& source,
                                            const assay_read_options& options);
/// Reads the file and parses it: the same batch, or the same error, as parse_assay_batch of
/// its bytes. A file without problems is read a chunk at a time (never held whole); at the
/// first problem the file is read again whole, to report every problem in order.
[[nodiscard]] assay_batch read_assay_batch(const std::string& path, const assay_read_options& options);

/// Width limits of identifiers, shared with the store's fixed-length string columns.
inline constexpr std::size_t max_id_length = 64;

}  // namespace wbe::io
