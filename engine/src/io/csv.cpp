#include "wbe/io/csv.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "text_fields.hpp"
#include "wbe/core/errors.hpp"

namespace wbe::io {

namespace {

// The bytes that end an unquoted field, or break it (a quote).
constexpr std::array<bool, 256> field_break = [] {
    std::array<bool, 256> t{};
    t[static_cast<unsigned char>(',')] = t[static_cast<unsigned char>('\n')] = true;
    t[static_cast<unsigned char>('\r')] = t[static_cast<unsigned char>('"')] = true;
    return t;
}();

bool ends_field(char c) noexcept { return c == ',' || c == '\n' || c == '\r'; }

/// The high bit of each byte of `w` that is a comma, a line feed, a carriage return or a
/// quote. Exact per byte: for x = w ^ (the byte sought, repeated), ((x & 0x7F…) + 0x7F…) | x
/// has a byte's high bit clear only where that byte of x is 0, and the sum cannot carry from one
/// byte into the next.
std::uint64_t field_break_bytes(std::uint64_t w) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101u, low7 = 0x7F7F7F7F7F7F7F7Fu;
    const auto zeros = [](std::uint64_t x) { return ~(((x & low7) + low7) | x | low7); };
    return zeros(w ^ (ones * ',')) | zeros(w ^ (ones * '\n')) | zeros(w ^ (ones * '\r')) | zeros(w ^ (ones * '"'));
}

/// The first field break at or after `i`: its position and its byte; (`n`, NUL) at the end.
struct field_break_at {
    std::size_t pos;
    char byte;
};
field_break_at find_field_break(std::string_view t, std::size_t i) noexcept {
    const std::size_t n = t.size();
#if defined(__SSE2__)
    // 16 bytes at a time where SSE2 is at hand (every x86-64): four compares and a mask.
    const __m128i comma = _mm_set1_epi8(','), lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r'), quote = _mm_set1_epi8('"');
    for (; i + 16 <= n; i += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t.data() + i));
        const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, lf)),
                                         _mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, quote)));
        if (const auto m = static_cast<unsigned>(_mm_movemask_epi8(hit))) {
            const std::size_t at = i + static_cast<std::size_t>(std::countr_zero(m));
            return {at, t[at]};
        }
    }
#endif
    if constexpr (std::endian::native == std::endian::little) {
        for (; i + 8 <= n; i += 8) {
            std::uint64_t w;
            std::memcpy(&w, t.data() + i, sizeof w);
            if (const std::uint64_t m = field_break_bytes(w)) {
                const int high_bit = std::countr_zero(m);  // 8 k + 7 for byte k
                return {i + static_cast<std::size_t>(high_bit / 8), static_cast<char>(w >> (high_bit - 7))};
            }
        }
    }
    while (i < n && !field_break[static_cast<unsigned char>(t[i])]) ++i;
    return {i, i < n ? t[i] : '\0'};
}

}  // namespace

csv_reader::csv_reader(std::string_view text) noexcept : text_(text) {
    if (text_.starts_with("\xEF\xBB\xBF")) text_.remove_prefix(3);
}

csv_reader::csv_reader(std::string_view text, std::size_t first_line) noexcept : text_(text), line_(first_line) {}

// A quoted field starting at pos_ (on its opening quote). Its text is a view into the file
// unless a `""` escape or text after the closing quote forces a rebuilt copy.
std::string_view csv_reader::quoted_field(std::size_t column) {
    const std::string_view t = text_;
    const std::size_t n = t.size();
    const std::size_t open_line = line_;
    const std::size_t start = pos_ + 1;
    std::string* rebuilt = nullptr;
    std::size_t uncopied = start;  // text from here on is not in `rebuilt` yet
    std::size_t i = start;
    bool closed = false;
    while (i < n) {
        const char c = t[i];
        if (c == '"') {
            if (i + 1 < n && t[i + 1] == '"') {
                if (!rebuilt) rebuilt = &rebuilt_.emplace_back();
                rebuilt->append(t.substr(uncopied, i + 1 - uncopied));  // up to and with one quote
                i += 2;
                uncopied = i;
                continue;
            }
            closed = true;
            break;
        }
        if (c == '\n') ++line_;
        ++i;
    }
    const std::size_t end = i;  // the closing quote, or the end of the text
    if (closed) ++i;
    else problems_.push_back({open_line, column, "quoted field is not closed"});
    // After the closing quote only a separator or a line end may follow.
    if (i < n && !ends_field(t[i])) {
        problems_.push_back({line_, column, "text after the closing quote of a quoted field"});
        if (!rebuilt) rebuilt = &rebuilt_.emplace_back();
        rebuilt->append(t.substr(uncopied, end - uncopied));
        const std::size_t rest = i;
        while (i < n && !ends_field(t[i])) ++i;
        rebuilt->append(t.substr(rest, i - rest));
    } else if (rebuilt) {
        rebuilt->append(t.substr(uncopied, end - uncopied));
    }
    pos_ = i;
    return rebuilt ? std::string_view(*rebuilt) : t.substr(start, end - start);
}

bool csv_reader::next(std::vector<std::string_view>& fields, std::size_t& line) {
    fields.clear();
    const std::string_view t = text_;
    const std::size_t n = t.size();
    std::size_t i = pos_;
    // A blank line (only a line break) is skipped.
    while (i < n && (t[i] == '\n' || (t[i] == '\r' && i + 1 < n && t[i + 1] == '\n'))) {
        i += t[i] == '\r' ? 2 : 1;
        ++line_;
    }
    pos_ = i;
    if (i >= n) return false;
    line = line_;
    std::size_t column = 1;
    for (;;) {
        char end;  // the byte after the field
        if (i < n && t[i] == '"') {
            pos_ = i;
            fields.push_back(quoted_field(column));
            i = pos_;
            end = i < n ? t[i] : '\0';
        } else {
            const std::size_t start = i;
            field_break_at b = find_field_break(t, i);
            for (; b.byte == '"'; b = find_field_break(t, b.pos + 1))
                problems_.push_back({line_, column, "quote inside an unquoted field (quote the whole field)"});
            fields.push_back(t.substr(start, b.pos - start));
            i = b.pos;
            end = b.byte;
        }
        if (i >= n) break;
        if (end == ',') {
            ++i;
            ++column;
            if (i >= n) {  // trailing comma at end of file: one more empty field
                fields.emplace_back();
                break;
            }
            continue;
        }
        i += (end == '\r' && i + 1 < n && t[i + 1] == '\n') ? 2 : 1;  // "\r\n", "\r" or "\n"
        ++line_;
        break;
    }
    pos_ = i;
    return true;
}

csv_document parse_csv(std::string_view text) {
    csv_document doc;
    csv_reader reader(text);
    std::vector<std::string_view> fields;
    std::size_t line = 0;
    while (reader.next(fields, line)) {
        csv_record& rec = doc.records.emplace_back();
        rec.line = line;
        rec.fields.reserve(fields.size());
        for (std::size_t k = 0; k < fields.size(); ++k) rec.fields.push_back({std::string(fields[k]), k + 1});
    }
    doc.problems = reader.problems();
    return doc;
}

namespace detail {

file_bytes read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw_input_error({path, 0, 0}, "", "", std::string("cannot open file: ") + std::strerror(errno));
    // Room for the size the file has now and one byte more, so that the first read already
    // meets the end of the file; a file that grows meanwhile, or whose size is not known (a
    // pipe), is read on into a buffer of twice the size.
    std::error_code ec;
    const auto size_now = std::filesystem::file_size(path, ec);
    std::size_t capacity = std::max<std::size_t>(ec ? 0 : static_cast<std::size_t>(size_now) + 1, 1 << 16);
    file_bytes b;
    b.data = std::make_unique_for_overwrite<char[]>(capacity);
    for (;;) {
        in.read(b.data.get() + b.size, static_cast<std::streamsize>(capacity - b.size));
        b.size += static_cast<std::size_t>(in.gcount());
        if (!in) break;  // the end of the file, or a read error (told apart below)
        capacity *= 2;
        auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
        std::memcpy(bigger.get(), b.data.get(), b.size);
        b.data = std::move(bigger);
    }
    if (in.bad()) throw_input_error({path, 0, 0}, "", "", "cannot read file");
    return b;
}

}  // namespace detail

std::string read_file(const std::string& path) { return std::string(detail::read_bytes(path).text()); }

}  // namespace wbe::io
