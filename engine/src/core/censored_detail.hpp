#pragma once
// Private helpers shared by the censored-data statistics (censored_sample, kaplan_meier, ros,
// censored_mle, censored_summary). Not installed; not part of the API.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include "wbe/core/censored_sample.hpp"

namespace wbe::detail {

inline constexpr double nan = std::numeric_limits<double>::quiet_NaN();

/// Shortest round-trip text of a double, for error messages ("-1", "0.25", "nan").
inline std::string format_number(double x) {
    if (std::isnan(x)) return "nan";
    if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, x);
    return std::string(buf, r.ptr);
}

/// Indices of `data` sorted by value; equal values keep their input order (so that ties are
/// resolved the same way whatever the platform's sort).
inline std::vector<std::size_t> sorted_order(std::span<const left_censored> data) {
    std::vector<std::size_t> idx(data.size());
    std::iota(idx.begin(), idx.end(), std::size_t{0});
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return data[a].value < data[b].value; });
    return idx;
}

/// Arithmetic mean (two-pass corrected, so that it is exact for constant data).
inline double mean_of(std::span<const double> x) {
    if (x.empty()) return nan;
    double s = 0.0;
    for (double v : x) s += v;
    const double m = s / static_cast<double>(x.size());
    double c = 0.0;
    for (double v : x) c += v - m;
    return m + c / static_cast<double>(x.size());
}

/// Sample standard deviation, divisor n − 1 (NaN for fewer than 2 values).
inline double sample_sd_of(std::span<const double> x, double mean) {
    if (x.size() < 2) return nan;
    double ss = 0.0;
    for (double v : x) ss += (v - mean) * (v - mean);
    return std::sqrt(ss / static_cast<double>(x.size() - 1));
}

/// Median: the middle value, or the mean of the two middle values.
inline double median_of(std::vector<double> x) {
    if (x.empty()) return nan;
    const std::size_t h = x.size() / 2;
    std::nth_element(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(h), x.end());
    const double upper = x[h];
    if (x.size() % 2 == 1) return upper;
    const double lower = *std::max_element(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(h));
    return 0.5 * (lower + upper);
}

/// Checks an option that must lie in [lo, hi] (closed) and names it when it does not.
void check_option(const char* name, double value, double lo, double hi);
/// Checks an option that must lie in (lo, hi) (open).
void check_option_open(const char* name, double value, double lo, double hi);

}  // namespace wbe::detail
