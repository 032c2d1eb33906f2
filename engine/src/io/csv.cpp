#include "wbe/io/csv.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "wbe/core/errors.hpp"

namespace wbe::io {

csv_document parse_csv(std::string_view text) {
    csv_document doc;
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);

    std::size_t i = 0;
    std::size_t line = 1;
    const std::size_t n = text.size();
    while (i < n) {
        csv_record rec;
        rec.line = line;
        std::size_t column = 1;
        bool end_of_record = false;
        // A blank line (only a line break) is skipped.
        if (text[i] == '\n' || (text[i] == '\r' && i + 1 < n && text[i + 1] == '\n')) {
            i += text[i] == '\r' ? 2 : 1;
            ++line;
            continue;
        }
        while (!end_of_record) {
            csv_field field;
            field.column = column;
            if (i < n && text[i] == '"') {
                const std::size_t open_line = line;
                ++i;
                bool closed = false;
                while (i < n) {
                    const char c = text[i];
                    if (c == '"') {
                        if (i + 1 < n && text[i + 1] == '"') {
                            field.text += '"';
                            i += 2;
                            continue;
                        }
                        ++i;
                        closed = true;
                        break;
                    }
                    if (c == '\n') ++line;
                    field.text += c;
                    ++i;
                }
                if (!closed) {
                    doc.problems.push_back({open_line, column, "quoted field is not closed"});
                }
                // After the closing quote only a separator or a line end may follow.
                if (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
                    doc.problems.push_back({line, column, "text after the closing quote of a quoted field"});
                    while (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r') field.text += text[i++];
                }
            } else {
                const std::size_t start = i;
                while (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
                    if (text[i] == '"')
                        doc.problems.push_back({line, column, "quote inside an unquoted field (quote the whole field)"});
                    ++i;
                }
                field.text.assign(text.substr(start, i - start));
            }
            rec.fields.push_back(std::move(field));
            if (i >= n) {
                end_of_record = true;
            } else if (text[i] == ',') {
                ++i;
                ++column;
                if (i >= n) {  // trailing comma at end of file: one more empty field
                    rec.fields.push_back({std::string(), column});
                    end_of_record = true;
                }
            } else if (text[i] == '\r') {
                i += (i + 1 < n && text[i + 1] == '\n') ? 2 : 1;
                ++line;
                end_of_record = true;
            } else {  // '\n'
                ++i;
                ++line;
                end_of_record = true;
            }
        }
        doc.records.push_back(std::move(rec));
    }
    return doc;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw_input_error({path, 0, 0}, "", "", std::string("cannot open file: ") + std::strerror(errno));
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) throw_input_error({path, 0, 0}, "", "", "cannot read file");
    return std::move(ss).str();
}

}  // namespace wbe::io
