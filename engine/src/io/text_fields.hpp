#pragma once
// Helpers shared by the CSV readers of io/ (private to the library).

#include <cmath>
#include <memory>
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

/// Refuses text that is not UTF-8 (or holds a NUL byte) at its first bad position: adds that
/// one problem to `errs` and throws everything collected.
void check_encoding(std::string_view text, const std::string& source, wbe::diagnostics_collector& errs);

/// The streaming form of open_csv, for readers that take rows one at a time from a csv_reader
/// over text already checked with check_encoding. Reads the header record and maps it. When
/// the file is empty or the header is broken it throws as open_csv does (every quoting problem
/// of the file, then the header's); otherwise it adds nothing to `errs`: the caller adds the
/// reader's quoting problems, at the end, before its own row problems, which is open_csv's order.
struct csv_header {
    std::vector<std::string_view> fields;
    std::size_t line = 0;
    header_map map;
};
csv_header read_header(csv_reader& reader, const std::string& source, const std::vector<std::string_view>& required,
                       const std::vector<std::string_view>& optional, wbe::diagnostics_collector& errs);

/// Adds quoting problems as diagnostics of `source`.
void add_problems(const std::vector<csv_problem>& problems, const std::string& source, wbe::diagnostics_collector& errs);

/// A file's bytes, in a buffer that is not zero-filled before the read (a std::string would
/// be: ~10 % of reading a large batch).
struct file_bytes {
    std::unique_ptr<char[]> data;
    std::size_t size = 0;
    [[nodiscard]] std::string_view text() const noexcept { return {data.get(), size}; }
};
/// Reads a whole file; throws wbe::input_error naming the file when it cannot be opened or read.
file_bytes read_bytes(const std::string& path);

/// The number of line feeds in the text.
std::size_t count_line_feeds(std::string_view text) noexcept;

/// XXH3-128 of the bytes as 32 lower-case hex digits.
std::string content_hash(std::string_view bytes);

/// The same hash of bytes that come piece by piece: hex() of the pieces equals content_hash
/// of their concatenation.
class content_hasher {
public:
    content_hasher();
    ~content_hasher();
    content_hasher(const content_hasher&) = delete;
    content_hasher& operator=(const content_hasher&) = delete;
    void update(std::string_view bytes) noexcept;
    [[nodiscard]] std::string hex() const;

private:
    void* state_;  // XXH3_state_t, kept out of this header
};

}  // namespace wbe::io::detail
