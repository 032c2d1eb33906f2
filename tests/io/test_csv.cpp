// Tests of wbe/io/csv.hpp: the RFC 4180 reader that keeps line and column numbers.

#include "wbe/io/csv.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "test_support.hpp"
#include "wbe/core/errors.hpp"

namespace {

using wbe::io::csv_document;
using wbe::io::parse_csv;

std::vector<std::string> texts(const wbe::io::csv_record& r) {
    std::vector<std::string> out;
    for (const auto& f : r.fields) out.push_back(f.text);
    return out;
}

using strings = std::vector<std::string>;

TEST(csv, plain_records_keep_line_and_column_numbers) {
    const csv_document d = parse_csv("a,b,c\n1,2,3\n");
    ASSERT_TRUE(d.problems.empty());
    ASSERT_EQ(d.records.size(), 2u);
    EXPECT_EQ(d.records[0].line, 1u);
    EXPECT_EQ(d.records[1].line, 2u);
    EXPECT_EQ(texts(d.records[1]), (strings{"1", "2", "3"}));
    for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(d.records[1].fields[i].column, i + 1);
}

TEST(csv, last_record_without_line_break) {
    const csv_document d = parse_csv("a,b\n1,2");
    ASSERT_TRUE(d.problems.empty());
    ASSERT_EQ(d.records.size(), 2u);
    EXPECT_EQ(texts(d.records[1]), (strings{"1", "2"}));
}

TEST(csv, quoted_field_with_commas_is_one_field) {
    const csv_document d = parse_csv("x,\"12,5\",y\n");
    ASSERT_TRUE(d.problems.empty());
    ASSERT_EQ(d.records.size(), 1u);
    EXPECT_EQ(texts(d.records[0]), (strings{"x", "12,5", "y"}));
    EXPECT_EQ(d.records[0].fields[2].column, 3u);
}

TEST(csv, doubled_quotes_inside_a_quoted_field_are_one_quote) {
    const csv_document d = parse_csv("\"say \"\"hi\"\"\",\"\"\"\"\n");
    ASSERT_TRUE(d.problems.empty());
    ASSERT_EQ(d.records.size(), 1u);
    EXPECT_EQ(texts(d.records[0]), (strings{"say \"hi\"", "\""}));
}

TEST(csv, empty_quoted_field_is_empty) {
    const csv_document d = parse_csv("a,\"\",c\n");
    ASSERT_TRUE(d.problems.empty());
    EXPECT_EQ(texts(d.records[0]), (strings{"a", "", "c"}));
}

TEST(csv, embedded_line_break_stays_in_the_field_and_advances_the_line_number) {
    const csv_document d = parse_csv("h1,h2\n\"two\nlines\",x\nnext,row\n");
    ASSERT_TRUE(d.problems.empty());
    ASSERT_EQ(d.records.size(), 3u);
    EXPECT_EQ(d.records[1].line, 2u);  // a record is numbered by the line where it starts
    EXPECT_EQ(texts(d.records[1]), (strings{"two\nlines", "x"}));
    EXPECT_EQ(d.records[2].line, 4u);
    EXPECT_EQ(texts(d.records[2]), (strings{"next", "row"}));
}

TEST(csv, crlf_line_ends_are_not_part_of_fields) {
    const csv_document d = parse_csv("a,b\r\n1,2\r\n\"q\r\nr\",3\r\nlast,4\r\n");
    ASSERT_TRUE(d.problems.empty());
    ASSERT_EQ(d.records.size(), 4u);
    EXPECT_EQ(texts(d.records[0]), (strings{"a", "b"}));
    EXPECT_EQ(texts(d.records[1]), (strings{"1", "2"}));
    EXPECT_EQ(d.records[1].line, 2u);
    EXPECT_EQ(texts(d.records[2]), (strings{"q\r\nr", "3"}));  // inside quotes the bytes are kept
    EXPECT_EQ(d.records[2].line, 3u);
    EXPECT_EQ(d.records[3].line, 5u);
    EXPECT_EQ(texts(d.records[3]), (strings{"last", "4"}));
}

TEST(csv, utf8_byte_order_mark_is_dropped) {
    const csv_document d = parse_csv("\xEF\xBB\xBFsite_id,flow\nA,1\n");
    ASSERT_TRUE(d.problems.empty());
    ASSERT_EQ(d.records.size(), 2u);
    EXPECT_EQ(d.records[0].fields[0].text, "site_id");
    EXPECT_EQ(d.records[0].line, 1u);
}

TEST(csv, blank_lines_are_skipped_but_counted) {
    const csv_document d = parse_csv("a\n\nb\r\n\r\n\nc\n\n");
    ASSERT_TRUE(d.problems.empty());
    ASSERT_EQ(d.records.size(), 3u);
    EXPECT_EQ(d.records[0].line, 1u);
    EXPECT_EQ(d.records[1].line, 3u);
    EXPECT_EQ(d.records[2].line, 6u);
    EXPECT_EQ(texts(d.records[2]), (strings{"c"}));
}

TEST(csv, trailing_empty_field_is_kept) {
    const csv_document d = parse_csv("a,b,\n1,2,\n3,4,");
    ASSERT_TRUE(d.problems.empty());
    ASSERT_EQ(d.records.size(), 3u);
    for (const auto& r : d.records) {
        ASSERT_EQ(r.fields.size(), 3u) << "line " << r.line;
        EXPECT_EQ(r.fields[2].text, "");
        EXPECT_EQ(r.fields[2].column, 3u);
    }
}

TEST(csv, fields_are_not_trimmed) {
    const csv_document d = parse_csv(" a , b\t\n");
    EXPECT_EQ(texts(d.records[0]), (strings{" a ", " b\t"}));
}

TEST(csv, empty_text_has_no_records) {
    EXPECT_TRUE(parse_csv("").records.empty());
    EXPECT_TRUE(parse_csv("\xEF\xBB\xBF").records.empty());
    EXPECT_TRUE(parse_csv("\n\r\n\n").records.empty());
}

TEST(csv, unclosed_quote_is_reported_where_it_opened) {
    const csv_document d = parse_csv("a,b\nx,\"open\nmore\n");
    ASSERT_EQ(d.problems.size(), 1u);
    EXPECT_EQ(d.problems[0].line, 2u);
    EXPECT_EQ(d.problems[0].column, 2u);
    EXPECT_EQ(d.problems[0].message, "quoted field is not closed");
    // The record is kept as best read: the rest of the file is in the field.
    ASSERT_EQ(d.records.size(), 2u);
    EXPECT_EQ(d.records[1].fields[1].text, "open\nmore\n");
}

TEST(csv, text_after_the_closing_quote_is_reported) {
    const csv_document d = parse_csv("h1,h2,h3\n1,\"ab\"c,3\n");
    ASSERT_EQ(d.problems.size(), 1u);
    EXPECT_EQ(d.problems[0].line, 2u);
    EXPECT_EQ(d.problems[0].column, 2u);
    EXPECT_EQ(d.problems[0].message, "text after the closing quote of a quoted field");
    ASSERT_EQ(d.records.size(), 2u);
    EXPECT_EQ(texts(d.records[1]), (strings{"1", "abc", "3"}));
}

TEST(csv, text_after_a_quote_that_closes_on_a_later_line_names_that_line) {
    const csv_document d = parse_csv("h1,h2\n1,\"a\nb\"x\n");
    ASSERT_EQ(d.problems.size(), 1u);
    EXPECT_EQ(d.problems[0].line, 3u);
    EXPECT_EQ(d.problems[0].column, 2u);
}

TEST(csv, quote_inside_an_unquoted_field_is_reported) {
    const csv_document d = parse_csv("h1,h2,h3\n1,2,ab\"c\n");
    ASSERT_EQ(d.problems.size(), 1u);
    EXPECT_EQ(d.problems[0].line, 2u);
    EXPECT_EQ(d.problems[0].column, 3u);
    EXPECT_EQ(d.problems[0].message, "quote inside an unquoted field (quote the whole field)");
    EXPECT_EQ(d.records[1].fields[2].text, "ab\"c");
}

// ---- csv_reader: the same split without copies ----------------------------------------------

/// Every record of `text` as read by csv_reader: (line, fields).
std::vector<std::pair<std::size_t, strings>> read_all(wbe::io::csv_reader& reader) {
    std::vector<std::pair<std::size_t, strings>> out;
    std::vector<std::string_view> fields;
    std::size_t line = 0;
    while (reader.next(fields, line)) out.emplace_back(line, strings(fields.begin(), fields.end()));
    EXPECT_TRUE(fields.empty());
    return out;
}

TEST(csv, reader_fields_are_views_into_the_text_unless_quoting_was_undone) {
    const std::string text = "plain,\"quoted, with comma\",\"say \"\"hi\"\"\",\"ab\"c\n";
    wbe::io::csv_reader reader(text);
    std::vector<std::string_view> f;
    std::size_t line = 0;
    ASSERT_TRUE(reader.next(f, line));
    ASSERT_EQ(f.size(), 4u);
    EXPECT_EQ(f[0], "plain");
    EXPECT_EQ(f[1], "quoted, with comma");
    EXPECT_EQ(f[2], "say \"hi\"");
    EXPECT_EQ(f[3], "abc");
    const auto inside = [&](std::string_view v) { return v.data() >= text.data() && v.data() + v.size() <= text.data() + text.size(); };
    EXPECT_TRUE(inside(f[0]));
    EXPECT_TRUE(inside(f[1]));
    EXPECT_FALSE(inside(f[2]));  // rebuilt: "" became "
    EXPECT_FALSE(inside(f[3]));  // rebuilt: text after the closing quote
    // Rebuilt fields stay valid while the reader lives, also across later records.
    const std::string_view kept = f[2];
    EXPECT_FALSE(reader.next(f, line));
    EXPECT_EQ(kept, "say \"hi\"");
    ASSERT_EQ(reader.problems().size(), 1u);
    EXPECT_EQ(reader.problems()[0].column, 4u);
}

TEST(csv, reader_handles_quoted_commas_quotes_and_line_breaks) {
    wbe::io::csv_reader reader("h1,h2,h3\r\n\"a,b\",\"x\"\"\r\ny\",\"\"\r\n\r\nlast,\"\n\",\r\nz");
    const auto records = read_all(reader);
    ASSERT_EQ(records.size(), 4u);
    EXPECT_EQ(records[0], (std::pair<std::size_t, strings>{1, {"h1", "h2", "h3"}}));
    EXPECT_EQ(records[1], (std::pair<std::size_t, strings>{2, {"a,b", "x\"\r\ny", ""}}));
    EXPECT_EQ(records[2], (std::pair<std::size_t, strings>{5, {"last", "\n", ""}}));
    EXPECT_EQ(records[3], (std::pair<std::size_t, strings>{7, {"z"}}));
    EXPECT_TRUE(reader.problems().empty());
}

// The reader looks for separators a machine word at a time: fields of every length, at every
// offset from the start of the text, must split the same.
TEST(csv, field_breaks_are_found_at_every_offset) {
    for (std::size_t lead = 0; lead < 17; ++lead) {
        for (std::size_t len = 0; len < 21; ++len) {
            const std::string a(lead, 'x'), b(len, 'y');
            const char* ends[] = {"\n", "\r\n", "\r", ","};
            for (const char* end : ends) {
                const std::string text = a + "," + b + end + "z";
                const csv_document d = parse_csv(text);
                SCOPED_TRACE(testing::Message() << "lead " << lead << " len " << len << " end " << int(end[0]));
                ASSERT_TRUE(d.problems.empty());
                if (end[0] == ',') {
                    ASSERT_EQ(d.records.size(), 1u);
                    EXPECT_EQ(texts(d.records[0]), (strings{a, b, "z"}));
                } else {
                    ASSERT_EQ(d.records.size(), 2u);
                    EXPECT_EQ(texts(d.records[0]), (strings{a, b}));
                    EXPECT_EQ(texts(d.records[1]), (strings{"z"}));
                    EXPECT_EQ(d.records[1].line, 2u);
                }
            }
        }
    }
}

TEST(csv, every_quote_inside_an_unquoted_field_is_reported_at_any_offset) {
    for (std::size_t at = 0; at < 24; ++at) {
        std::string field(24, 'v');
        field[at] = '"';
        if (at == 0) field = "v" + field;  // a leading quote would open a quoted field
        const csv_document d = parse_csv("h1,h2\n1," + field + "\"w\n");
        SCOPED_TRACE(at);
        ASSERT_EQ(d.problems.size(), 2u);
        for (const auto& p : d.problems) {
            EXPECT_EQ(p.line, 2u);
            EXPECT_EQ(p.column, 2u);
        }
        EXPECT_EQ(d.records.at(1).fields.at(1).text, field + "\"w");
    }
}

TEST(csv, read_file_returns_the_bytes) {
    const wbe::test::temp_dir dir("csv");
    const std::string path = dir.file("x.csv");
    const std::string bytes = "\xEF\xBB\xBF" "a,b\r\n1,2\r\n";
    std::ofstream(path, std::ios::binary) << bytes;
    EXPECT_EQ(wbe::io::read_file(path), bytes);
}

// A file larger than the read buffer: read whole at its size, then to its end.
TEST(csv, read_file_returns_the_bytes_of_a_large_file) {
    const wbe::test::temp_dir dir("csv");
    const std::string path = dir.file("big.csv");
    std::string bytes;
    for (std::size_t k = 0; bytes.size() < (5u << 20) + 17; ++k) bytes += "row," + std::to_string(k * 7919 % 100003) + "\n";
    std::ofstream(path, std::ios::binary) << bytes;
    EXPECT_EQ(wbe::io::read_file(path), bytes);
}

TEST(csv, read_file_of_a_folder_is_an_error) {
    const wbe::test::temp_dir dir("csv");
    try {
        (void)wbe::io::read_file(dir.path().string());
        FAIL() << "no error";
    } catch (const wbe::input_error& e) {
        EXPECT_EQ(std::string(e.what()), dir.path().string() + ": cannot read file");
    }
}

TEST(csv, read_file_of_a_missing_file_names_the_file) {
    const wbe::test::temp_dir dir("csv");
    const std::string path = dir.file("missing.csv");
    try {
        (void)wbe::io::read_file(path);
        FAIL() << "no error";
    } catch (const wbe::input_error& e) {
        EXPECT_EQ(std::string(e.what()), path + ": cannot open file: No such file or directory");
        EXPECT_EQ(e.first().where.file, path);
    }
}

}  // namespace
