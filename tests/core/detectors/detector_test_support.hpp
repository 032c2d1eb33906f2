#pragma once
// Helpers for the detector tests: building series, and reading the peer reference CSVs in place
// (shared/reference; never copied into the project).

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.hpp"
#include "wbe/core/detectors/detector.hpp"

namespace wbe::test {

inline constexpr double nan = std::numeric_limits<double>::quiet_NaN();

/// Quarterly campaigns starting at 2020Q1: time = 2020 + (i + 0.5)/4 (mid-quarter, decimal
/// years), season = quarter, label `2020Q1`...; NaN values stay (gaps with a row).
inline detectors::series quarterly(const std::vector<double>& values, int first_year = 2020) {
    detectors::series s;
    for (std::size_t i = 0; i < values.size(); ++i) {
        detectors::observation o;
        const int year = first_year + static_cast<int>(i / 4);
        const int quarter = static_cast<int>(i % 4) + 1;
        o.campaign = std::to_string(year) + "Q" + std::to_string(quarter);
        o.time = year + (quarter - 0.5) / 4.0;
        o.value = values[i];
        o.season = quarter;
        s.campaigns.push_back(o);
    }
    return s;
}

/// Campaigns `t1`, `t2`, ... at time = index (1-based), for peer cases indexed by period.
inline detectors::series indexed(const std::vector<double>& values) {
    detectors::series s;
    for (std::size_t i = 0; i < values.size(); ++i) {
        detectors::observation o;
        o.campaign = "t" + std::to_string(i + 1);
        o.time = static_cast<double>(i + 1);
        o.value = values[i];
        s.campaigns.push_back(o);
    }
    return s;
}

/// run_columns() with the level column only (the detector's levels-only path) against run():
/// the first campaign whose level differs, with `what` and its index, or success.
inline ::testing::AssertionResult levels_only_equal_run(const detectors::series_detector& d, const detectors::series& s,
                                                        const std::string& what) {
    std::vector<detectors::detection_level> level(s.campaigns.size(), detectors::detection_level::none);
    d.run_columns(s, {level, {}, {}, {}, {}});
    const auto expected = d.run(s);
    for (std::size_t i = 0; i < level.size(); ++i)
        if (level[i] != expected.campaigns[i].level)
            return ::testing::AssertionFailure() << what << " entry " << i << ": levels only " << static_cast<int>(level[i])
                                                 << ", run() " << static_cast<int>(expected.campaigns[i].level);
    return ::testing::AssertionSuccess();
}

/// Marks campaign `i` censored: substitute `value`, limit `limit` (lower end unknown).
inline void censor(detectors::series& s, std::size_t i, double value, double limit) {
    s.campaigns[i].value = value;
    s.campaigns[i].upper = limit;
    s.campaigns[i].censored = true;
}

/// A CSV file read whole: column name → cells as text. Handles double-quoted fields.
class reference_csv {
public:
    explicit reference_csv(const std::filesystem::path& path) {
        std::ifstream in(path);
        if (!in) throw std::runtime_error("cannot open " + path.string());
        std::string line;
        std::getline(in, line);
        header_ = split(line);
        while (std::getline(in, line)) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.empty()) continue;
            const auto cells = split(line);
            for (std::size_t c = 0; c < header_.size(); ++c) columns_[header_[c]].push_back(c < cells.size() ? cells[c] : "");
        }
    }
    /// Cells of `name` as numbers; empty cells are NaN.
    [[nodiscard]] std::vector<double> numbers(const std::string& name) const {
        std::vector<double> out;
        for (const auto& cell : columns_.at(name)) out.push_back(cell.empty() ? nan : std::stod(cell));
        return out;
    }
    [[nodiscard]] std::size_t rows() const { return columns_.empty() ? 0 : columns_.begin()->second.size(); }

private:
    static std::vector<std::string> split(const std::string& line) {
        std::vector<std::string> cells;
        std::string cell;
        bool quoted = false;
        for (char ch : line) {
            if (ch == '"') quoted = !quoted;
            else if (ch == ',' && !quoted) {
                cells.push_back(cell);
                cell.clear();
            } else if (ch != '\r') cell += ch;
        }
        cells.push_back(cell);
        return cells;
    }
    std::vector<std::string> header_;
    std::map<std::string, std::vector<std::string>> columns_;
};

/// The reference case folder `sub` (e.g. `trend`) under WBE_REFERENCE_DIR, or empty when absent.
inline std::filesystem::path reference_folder(const std::string& sub) {
    const std::filesystem::path p = std::filesystem::path(reference_dir()) / sub;
    return std::filesystem::is_directory(p) ? p : std::filesystem::path();
}

}  // namespace wbe::test

/// Skips the test, saying so plainly, when the peer reference folder is absent.
#define WBE_REQUIRE_REFERENCE(folder_var, sub)                                                                  \
    const std::filesystem::path folder_var = ::wbe::test::reference_folder(sub);                               \
    if (folder_var.empty())                                                                                    \
    GTEST_SKIP() << "peer reference folder " << ::wbe::test::reference_dir() << "/" << (sub)                   \
                 << " is absent (set WBE_REFERENCE_DIR): conformance case NOT checked"
