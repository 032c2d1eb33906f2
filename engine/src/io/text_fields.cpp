#include "text_fields.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

namespace {

/// True when none of the 32 bytes at `p` has its high bit set or is NUL: plain ASCII, which
/// the UTF-8 check can step over whole. Per 8-byte word, `(w - 0x01…) & ~w` has a byte's high
/// bit set only if some byte of the word is 0 (the borrow can mark bytes above a zero byte,
/// never a word without one); OR-ed with `w` itself, any high bit means "look closer".
bool plain_ascii_block(const char* p) noexcept {
#if defined(__SSE2__)
    // The same with SSE2 (every x86-64): a byte's mask bit is its high bit, or set when it is 0.
    const __m128i zero = _mm_setzero_si128();
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16));
    const __m128i flags = _mm_or_si128(_mm_or_si128(a, _mm_cmpeq_epi8(a, zero)), _mm_or_si128(b, _mm_cmpeq_epi8(b, zero)));
    return _mm_movemask_epi8(flags) == 0;
#else
    constexpr std::uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    std::uint64_t flags = 0;
    for (int k = 0; k < 4; ++k) {
        std::uint64_t w;
        std::memcpy(&w, p + 8 * k, sizeof w);
        flags |= w | ((w - ones) & ~w);
    }
    return (flags & highs) == 0;
#endif
}

// The position of a byte as the readers give it: the physical line and the field number on
// it (a comma inside a quoted field does not count; a line break inside one keeps the column).
// All bytes before `pos` are valid UTF-8, so the ASCII quote, comma and line feed are never
// part of a multi-byte sequence.
std::pair<std::size_t, std::size_t> text_position(std::string_view text, std::size_t pos) noexcept {
    std::size_t line = 1, column = 1;
    bool quoted = false;
    for (std::size_t i = 0; i < pos; ++i) {
        const char c = text[i];
        if (c == '"') {
            quoted = !quoted;  // a doubled quote inside a quoted field toggles twice
        } else if (c == ',' && !quoted) {
            ++column;
        } else if (c == '\n') {
            ++line;
            if (!quoted) column = 1;
        }
    }
    return {line, column};
}

[[gnu::cold, noreturn]] void refuse_encoding(std::string_view text, std::size_t pos, std::string rule,
                                             const std::string& source, wbe::diagnostics_collector& errs) {
    const auto [line, column] = text_position(text, pos);
    errs.add({source, line, column}, "", "", std::move(rule));
    errs.throw_if_any();
    std::abort();  // throw_if_any threw: errs holds at least this diagnostic
}

}  // namespace

// The readers take UTF-8 text (a UTF-8 byte-order mark is allowed). Anything else — UTF-16,
// a legacy code page such as Latin-1 or GBK, a NUL byte — is refused at its first position,
// once, before any field is read: its bytes would otherwise be stored as names that no tool reads
// back the same way.
//
// The rule, per sequence: a lead byte 0x01–0x7F stands alone; 0xC2–0xDF, 0xE0–0xEF and
// 0xF0–0xF7 are followed by 1, 2 and 3 bytes 0x80–0xBF that the text still holds; anything
// else (a stray continuation byte, 0xC0, 0xC1, 0xF8–0xFF, a truncated sequence) is refused
// at its first byte, and so is 0x00. Files are nearly all ASCII, so 32-byte blocks without a
// high bit or a NUL are stepped over whole; a block with either is decoded sequence by
// sequence, the last one possibly running past the block's end.
void check_encoding(std::string_view text, const std::string& source, wbe::diagnostics_collector& errs) {
    if (text.size() >= 2 && ((text[0] == '\xFF' && text[1] == '\xFE') || (text[0] == '\xFE' && text[1] == '\xFF'))) {
        errs.add({source, 1, 1}, "", "", "file is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8");
        errs.throw_if_any();
    }
    constexpr std::size_t block = 32;
    const std::size_t n = text.size();
    std::size_t i = 0;
    while (i < n) {
        if (n - i >= block && plain_ascii_block(text.data() + i)) {
            i += block;
            continue;
        }
        const std::size_t stop = std::min(n, i + block);
        while (i < stop) {
            const auto c = static_cast<unsigned char>(text[i]);
            if (c - 1u < 0x7Fu) {  // 0x01–0x7F
                ++i;
                continue;
            }
            const std::size_t len = c == 0 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
            bool ok = len != 0 && i + len <= n;
            for (std::size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
            if (ok && len == 2) ok = c >= 0xC2;  // no overlong forms
            if (!ok) {
                char byte[8];
                std::snprintf(byte, sizeof byte, "0x%02X", c);
                refuse_encoding(text, i, std::string("text is not UTF-8 (byte ") + byte + "); save the file as UTF-8",
                                source, errs);
            }
            if (c == 0) refuse_encoding(text, i, "NUL byte in the text (a binary file?)", source, errs);
            i += len;
        }
    }
}

checked_csv open_csv(std::string_view text, const std::string& source, const std::vector<std::string_view>& required,
                     const std::vector<std::string_view>& optional, wbe::diagnostics_collector& errs) {
    checked_csv t;
    check_encoding(text, source, errs);
    t.doc = parse_csv(text);
    add_problems(t.doc.problems, source, errs);
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

void add_problems(const std::vector<csv_problem>& problems, const std::string& source, wbe::diagnostics_collector& errs) {
    for (const auto& p : problems) errs.add({source, p.line, p.column}, "", "", p.message);
}

csv_header read_header(csv_reader& reader, const std::string& source, const std::vector<std::string_view>& required,
                       const std::vector<std::string_view>& optional, wbe::diagnostics_collector& errs) {
    csv_header h;
    if (!reader.next(h.fields, h.line)) {
        add_problems(reader.problems(), source, errs);
        errs.add({source, 1, 0}, "", "", "file is empty: expected a header line and at least one row");
        errs.throw_if_any();
    }
    csv_record record;
    record.line = h.line;
    for (std::size_t k = 0; k < h.fields.size(); ++k) record.fields.push_back({std::string(h.fields[k]), k + 1});
    h.map = map_header(record, required, optional);
    if (!h.map.problems_rule.empty()) {
        // The rows cannot be read against this header; report the quoting of the whole file too.
        std::vector<std::string_view> rest;
        std::size_t line = 0;
        while (reader.next(rest, line)) {
        }
        add_problems(reader.problems(), source, errs);
        for (std::size_t k = 0; k < h.map.problems_rule.size(); ++k)
            errs.add({source, h.line, h.map.problems_column[k]}, "column", h.map.problems_field[k], h.map.problems_rule[k]);
        errs.throw_if_any();
    }
    return h;
}

std::size_t count_line_feeds(std::string_view text) noexcept {
    if (text.empty()) return 0;
    std::size_t n = 0;
    const char* const end = text.data() + text.size();
    for (const char* p = text.data(); (p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)))); ++p)
        ++n;
    return n;
}

namespace {

std::string hex_digits(XXH128_hash_t h) {
    char buf[33];
    std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                  static_cast<unsigned long long>(h.low64));
    return buf;
}

}  // namespace

std::string content_hash(std::string_view bytes) { return hex_digits(XXH3_128bits(bytes.data(), bytes.size())); }

content_hasher::content_hasher() : state_(XXH3_createState()) {
    if (!state_) throw std::bad_alloc();
    XXH3_128bits_reset(static_cast<XXH3_state_t*>(state_));
}

content_hasher::~content_hasher() { XXH3_freeState(static_cast<XXH3_state_t*>(state_)); }

void content_hasher::update(std::string_view bytes) noexcept {
    XXH3_128bits_update(static_cast<XXH3_state_t*>(state_), bytes.data(), bytes.size());
}

std::string content_hasher::hex() const { return hex_digits(XXH3_128bits_digest(static_cast<const XXH3_state_t*>(state_))); }

}  // namespace wbe::io::detail
