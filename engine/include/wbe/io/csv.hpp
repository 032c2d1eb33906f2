#pragma once
/// @file csv.hpp
/// A small RFC 4180 reader that keeps line and column numbers: quoted fields (with `""`
/// escapes and embedded commas or line breaks), LF or CRLF line ends, a UTF-8 byte-order mark,
/// blank lines skipped. Fields are returned as written (quotes removed), never trimmed.

#include <cstddef>
#include <deque>
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

/// The whole file as records of owned fields (a copy of what csv_reader returns).
[[nodiscard]] csv_document parse_csv(std::string_view text);

/// The same split, one record at a time and without copying: each field is a view into the
/// text, except a quoted field whose text had to be rebuilt (`""` escapes, text after the
/// closing quote), which points into storage of the reader. Views stay valid while both the
/// text and the reader live. Problems are collected in text order, as parse_csv reports them.
class csv_reader {
public:
    explicit csv_reader(std::string_view text) noexcept;
    /// A reader of text that continues a file at a record boundary: no byte-order mark is
    /// looked for, and lines are counted from `first_line`.
    csv_reader(std::string_view text, std::size_t first_line) noexcept;

    /// Reads the next record into `fields` (cleared first) and the physical line where it
    /// starts into `line`; false, with `fields` empty, when the text is exhausted.
    bool next(std::vector<std::string_view>& fields, std::size_t& line);

    [[nodiscard]] const std::vector<csv_problem>& problems() const noexcept { return problems_; }
    /// The physical line the reader has got to (after the last record read, and after the
    /// blank lines that follow it once next() has returned false).
    [[nodiscard]] std::size_t line() const noexcept { return line_; }

private:
    std::string_view quoted_field(std::size_t column);

    std::string_view text_;
    std::size_t pos_ = 0;
    std::size_t line_ = 1;
    std::vector<csv_problem> problems_;
    std::deque<std::string> rebuilt_;  // deque: growing it keeps earlier strings in place
};

/// Reads a file into memory; throws wbe::input_error naming the file when it cannot be read.
[[nodiscard]] std::string read_file(const std::string& path);

}  // namespace wbe::io
