#pragma once
/// @file csv.hpp
/// A small RFC 4180 reader that keeps line and column numbers: quoted fields (with `""`
/// escapes and embedded commas or line breaks), LF or CRLF line ends, a UTF-8 byte-order mark,
/// blank lines skipped. Fields are returned as written (quotes removed), never trimmed.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace wbe::io {

struct csv_field {
    std::string text;
    std::size_t column = 0;  ///< 1-based field index
};

struct csv_record {
    std::size_t line = 0;  ///< 1-based physical line where the record starts
    std::vector<csv_field> fields;
};

/// Splits a whole file into records. Malformed quoting (a quote inside an unquoted field, text
/// after a closing quote, an unclosed quote) is reported through `problems` as
/// (line, column, message) and the record is kept as best read.
struct csv_problem {
    std::size_t line = 0;
    std::size_t column = 0;
    std::string message;
};

struct csv_document {
    std::vector<csv_record> records;
    std::vector<csv_problem> problems;
};

[[nodiscard]] csv_document parse_csv(std::string_view text);

/// Reads a file into memory; throws wbe::input_error naming the file when it cannot be read.
[[nodiscard]] std::string read_file(const std::string& path);

}  // namespace wbe::io
