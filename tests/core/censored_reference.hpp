#pragma once
// Reading the peer reference cases of ../shared/reference/censored IN PLACE (never copied):
// the CSV inputs, and a minimal JSON reader for expected.json (no JSON library is installed).
// Shared by the censored-data test files (test_kaplan_meier.cpp, test_ros.cpp, ...).

#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "test_support.hpp"
#include "wbe/core/censored_sample.hpp"

namespace wbe::test {

inline std::filesystem::path censored_reference_dir() { return std::filesystem::path(reference_dir()) / "censored"; }

/// Skips the calling test, saying so plainly, when the reference folder is absent.
#define WBE_REQUIRE_CENSORED_REFERENCE()                                                                     \
    do {                                                                                                     \
        if (!std::filesystem::exists(::wbe::test::censored_reference_dir() / "expected.json"))              \
            GTEST_SKIP() << "peer reference folder " << ::wbe::test::censored_reference_dir()               \
                         << " is absent (set WBE_REFERENCE_DIR): conformance NOT checked";                  \
    } while (false)

// ---- a minimal JSON reader: objects, arrays, numbers (raw text kept), strings, true/false/null.
struct json {
    enum class kind { null, boolean, number, string, array, object };
    kind type = kind::null;
    bool flag = false;
    double num = 0.0;
    std::string text;  // string value, or a number as written
    std::vector<json> items;         // an array's items, or an object's values
    std::vector<std::string> keys;   // an object's keys, keys[i] naming items[i]
    // (Parallel vectors, not a vector of pair<string, json>: a pair of the still incomplete json
    // does not compile with clang and libstdc++, and the sanitizer CI build is clang.)

    const json& operator[](std::string_view key) const {
        for (std::size_t i = 0; i < keys.size(); ++i)
            if (keys[i] == key) return items[i];
        throw std::out_of_range("expected.json: no key \"" + std::string(key) + "\"");
    }
    const json& operator[](std::size_t i) const { return items.at(i); }
    [[nodiscard]] std::size_t size() const { return items.size(); }
    /// A number; the strings "inf" and "-inf" as ±infinity.
    [[nodiscard]] double number() const {
        if (type == kind::number) return num;
        if (type == kind::string && text == "inf") return std::numeric_limits<double>::infinity();
        if (type == kind::string && text == "-inf") return -std::numeric_limits<double>::infinity();
        throw std::runtime_error("expected.json: not a number: " + text);
    }
    [[nodiscard]] std::vector<double> numbers() const {
        std::vector<double> out;
        for (const auto& v : items) out.push_back(v.number());
        return out;
    }
    /// Decimals as printed (0.5 units of the last printed digit is the rounding tolerance).
    [[nodiscard]] int decimals() const {
        const auto dot = text.find('.');
        if (dot == std::string::npos) return 0;
        const auto end = text.find_first_of("eE", dot);
        return static_cast<int>((end == std::string::npos ? text.size() : end) - dot - 1);
    }
};

class json_parser {
public:
    explicit json_parser(std::string_view s) : s_(s) {}
    json parse() {
        json v = value();
        ws();
        if (i_ != s_.size()) fail("trailing text");
        return v;
    }

private:
    [[noreturn]] void fail(const char* what) const {
        throw std::runtime_error("expected.json: " + std::string(what) + " at offset " + std::to_string(i_));
    }
    void ws() {
        while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
    }
    bool eat(char c) {
        ws();
        if (i_ < s_.size() && s_[i_] == c) {
            ++i_;
            return true;
        }
        return false;
    }
    std::string string_literal() {
        if (!eat('"')) fail("expected a string");
        std::string out;
        while (i_ < s_.size() && s_[i_] != '"') {
            if (s_[i_] == '\\' && i_ + 1 < s_.size()) ++i_;  // escapes kept literally (none needed here)
            out += s_[i_++];
        }
        if (i_ >= s_.size()) fail("unterminated string");
        ++i_;
        return out;
    }
    json value() {
        ws();
        if (i_ >= s_.size()) fail("unexpected end");
        json v;
        const char c = s_[i_];
        if (c == '{') {
            ++i_;
            v.type = json::kind::object;
            if (eat('}')) return v;
            do {
                std::string k = string_literal();
                if (!eat(':')) fail("expected ':'");
                v.keys.push_back(std::move(k));
                v.items.push_back(value());
            } while (eat(','));
            if (!eat('}')) fail("expected '}'");
        } else if (c == '[') {
            ++i_;
            v.type = json::kind::array;
            if (eat(']')) return v;
            do v.items.push_back(value());
            while (eat(','));
            if (!eat(']')) fail("expected ']'");
        } else if (c == '"') {
            v.type = json::kind::string;
            v.text = string_literal();
        } else if (s_.substr(i_, 4) == "true" || s_.substr(i_, 5) == "false" || s_.substr(i_, 4) == "null") {
            v.type = s_[i_] == 'n' ? json::kind::null : json::kind::boolean;
            v.flag = s_[i_] == 't';
            i_ += s_[i_] == 'f' ? 5 : 4;
        } else {
            const std::size_t start = i_;
            while (i_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[i_])) || s_[i_] == '-' ||
                                      s_[i_] == '+' || s_[i_] == '.' || s_[i_] == 'e' || s_[i_] == 'E'))
                ++i_;
            if (start == i_) fail("unexpected character");
            v.type = json::kind::number;
            v.text = std::string(s_.substr(start, i_ - start));
            v.num = std::strtod(v.text.c_str(), nullptr);
        }
        return v;
    }

    std::string_view s_;
    std::size_t i_ = 0;
};

inline std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + p.string());
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline json censored_expected() { return json_parser(slurp(censored_reference_dir() / "expected.json")).parse(); }

// ---- the CSV inputs (header line; fields may be "quoted"; no embedded commas in these files).
inline std::vector<std::vector<std::string>> read_csv_rows(const std::filesystem::path& p) {
    std::istringstream in(slurp(p));
    std::vector<std::vector<std::string>> rows;
    std::string line;
    bool header = true;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        if (header) {
            header = false;
            continue;
        }
        std::vector<std::string> fields;
        std::stringstream ls(line);
        std::string f;
        while (std::getline(ls, f, ',')) {
            if (f.size() >= 2 && f.front() == '"' && f.back() == '"') f = f.substr(1, f.size() - 2);
            fields.push_back(f);
        }
        rows.push_back(std::move(fields));
    }
    return rows;
}

/// EnvStats data frames as CSV: `"label",value,TRUE|FALSE` (TRUE = censored at `value`).
inline std::vector<left_censored> read_envstats_csv(const std::string& file) {
    std::vector<left_censored> out;
    for (const auto& r : read_csv_rows(censored_reference_dir() / file)) {
        if (r.size() != 3) throw std::runtime_error(file + ": expected 3 fields");
        if (r[2] != "TRUE" && r[2] != "FALSE") throw std::runtime_error(file + ": Censored = " + r[2]);
        out.push_back({std::stod(r[1]), r[2] == "TRUE"});
    }
    return out;
}

/// statsmodels' basic data as CSV: `res,qual` with qual `ND` (non-detect at res) or `=`.
inline std::vector<left_censored> read_statsmodels_csv(const std::string& file) {
    std::vector<left_censored> out;
    for (const auto& r : read_csv_rows(censored_reference_dir() / file)) {
        if (r.size() != 2 || (r[1] != "ND" && r[1] != "=")) throw std::runtime_error(file + ": bad row");
        out.push_back({std::stod(r[0]), r[1] == "ND"});
    }
    return out;
}

/// Half a unit of the last printed digit of an expected value: the rounding tolerance.
inline double printed_tolerance(const json& v) { return 0.5 * std::pow(10.0, -v.decimals()); }

}  // namespace wbe::test
