#include "text_fields.hpp"

#include <cctype>
#include <cstdio>

#include <fast_float/fast_float.h>
#include <xxhash.h>

namespace wbe::io::detail {

std::optional<double> parse_number(std::string_view s) noexcept {
    s = trim(s);
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    if (s.empty()) return std::nullopt;
    double v = 0.0;
    const auto r = fast_float::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

bool looks_non_finite(std::string_view s) noexcept {
    std::string t;
    for (char c : trim(s)) t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!t.empty() && (t.front() == '+' || t.front() == '-')) t.erase(0, 1);
    return t == "nan" || t == "inf" || t == "infinity" || t == "na" || t == "n/a";
}

header_map map_header(const csv_record& header, const std::vector<std::string_view>& required,
                      const std::vector<std::string_view>& optional) {
    header_map h;
    const std::size_t known = required.size() + optional.size();
    h.index.assign(known, -1);
    const auto name_at = [&](std::size_t k) { return k < required.size() ? required[k] : optional[k - required.size()]; };
    for (std::size_t f = 0; f < header.fields.size(); ++f) {
        std::string name(trim(header.fields[f].text));
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        bool found = false;
        for (std::size_t k = 0; k < known; ++k) {
            if (name_at(k) != name) continue;
            found = true;
            if (h.index[k] >= 0) {
                h.problems_field.push_back(header.fields[f].text);
                h.problems_rule.push_back("duplicate column (first at column " + std::to_string(h.index[k] + 1) + ")");
                h.problems_column.push_back(f + 1);
            } else {
                h.index[k] = static_cast<int>(f);
            }
        }
        if (!found) {
            std::string list;
            for (std::size_t k = 0; k < known; ++k) list += (k ? ", " : "") + std::string(name_at(k));
            h.problems_field.push_back(header.fields[f].text);
            h.problems_rule.push_back("unknown column (expected " + list + ")");
            h.problems_column.push_back(f + 1);
        }
    }
    for (std::size_t k = 0; k < required.size(); ++k) {
        if (h.index[k] < 0) {
            h.problems_field.push_back(std::string(required[k]));
            h.problems_rule.push_back("required column is missing");
            h.problems_column.push_back(0);
        }
    }
    return h;
}

// The readers take UTF-8 text (a UTF-8 byte-order mark is allowed). Anything else — UTF-16,
// a legacy code page such as Latin-1 or GBK, a NUL byte — is refused at its first position,
// once, before any field is read: its bytes would otherwise be stored as names that no tool reads
// back the same way.
void check_encoding(std::string_view text, const std::string& source, wbe::diagnostics_collector& errs) {
    if (text.size() >= 2 && ((text[0] == '\xFF' && text[1] == '\xFE') || (text[0] == '\xFE' && text[1] == '\xFF'))) {
        errs.add({source, 1, 1}, "", "", "file is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8");
        errs.throw_if_any();
    }
    // Positions as the readers give them: the physical line and the field number on it.
    std::size_t line = 1, column = 1;
    bool quoted = false;
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        bool ok = len != 0 && i + len <= text.size();
        for (std::size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
        if (ok && len == 2) ok = c >= 0xC2;  // no overlong forms
        if (!ok) {
            char byte[8];
            std::snprintf(byte, sizeof byte, "0x%02X", c);
            errs.add({source, line, column}, "", "",
                     std::string("text is not UTF-8 (byte ") + byte + "); save the file as UTF-8");
            errs.throw_if_any();
        }
        if (c == 0) {
            errs.add({source, line, column}, "", "", "NUL byte in the text (a binary file?)");
            errs.throw_if_any();
        }
        if (c == '"') {
            quoted = !quoted;  // a doubled quote inside a quoted field toggles twice
        } else if (c == ',' && !quoted) {
            ++column;
        } else if (c == '\n') {
            ++line;
            if (!quoted) column = 1;
        }
        i += len;
    }
}

checked_csv open_csv(std::string_view text, const std::string& source, const std::vector<std::string_view>& required,
                     const std::vector<std::string_view>& optional, wbe::diagnostics_collector& errs) {
    checked_csv t;
    check_encoding(text, source, errs);
    t.doc = parse_csv(text);
    for (const auto& p : t.doc.problems) errs.add({source, p.line, p.column}, "", "", p.message);
    if (t.doc.records.empty()) {
        errs.add({source, 1, 0}, "", "", "file is empty: expected a header line and at least one row");
        errs.throw_if_any();
    }
    t.header = map_header(t.doc.records.front(), required, optional);
    for (std::size_t k = 0; k < t.header.problems_rule.size(); ++k)
        errs.add({source, t.doc.records.front().line, t.header.problems_column[k]}, "column", t.header.problems_field[k],
                 t.header.problems_rule[k]);
    if (!t.header.problems_rule.empty()) errs.throw_if_any();
    return t;
}

std::string content_hash(std::string_view bytes) {
    const XXH128_hash_t h = XXH3_128bits(bytes.data(), bytes.size());
    char buf[33];
    std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                  static_cast<unsigned long long>(h.low64));
    return buf;
}

}  // namespace wbe::io::detail
