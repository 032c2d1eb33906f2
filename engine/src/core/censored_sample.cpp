#include "wbe/core/censored_sample.hpp"

#include <cmath>
#include <limits>
#include <string>

#include "censored_detail.hpp"
#include "wbe/core/errors.hpp"

namespace wbe {

double censoring_counts::censored_share() const noexcept {
    return n == 0 ? detail::nan : static_cast<double>(n_censored) / static_cast<double>(n);
}

double censoring_counts::detection_frequency() const noexcept {
    return n == 0 ? detail::nan : static_cast<double>(n_detected) / static_cast<double>(n);
}

censoring_counts count_censoring(std::span<const left_censored> data) noexcept {
    censoring_counts c;
    c.n = data.size();
    for (const auto& v : data) c.n_censored += v.censored ? 1 : 0;
    c.n_detected = c.n - c.n_censored;
    return c;
}

std::vector<left_censored> make_left_censored(std::span<const double> values, std::span<const bool> censored) {
    if (values.size() != censored.size())
        throw_numerical_error("censored flags: length = " + std::to_string(censored.size()) +
                              ": must equal the number of values (" + std::to_string(values.size()) + ")");
    std::vector<left_censored> out(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) out[i] = {values[i], censored[i]};
    return out;
}

left_censored to_left_censored(const censored_value& v) noexcept {
    switch (v.qual) {
        case qualifier::below_lod: return {v.lod, true};
        case qualifier::below_loq: return {v.loq, true};
        case qualifier::detected:
        case qualifier::above_uloq: break;
    }
    return {v.value, false};
}

void check_left_censored(std::span<const left_censored> data, std::string_view who, detected_rule rule) {
    // Fast path: one branch-free pass (the censored flags are random, a branch on them mispredicts
    // about every other value); only a sample with an invalid value is walked again below to name
    // the first one. Valid: finite, and > 0, or = 0 for a detected value under the non-negative rule.
    const bool zero_ok = rule == detected_rule::non_negative;
    bool all_valid = true;
    for (const auto& v : data) {
        const double x = v.value;
        all_valid &= (std::abs(x) <= std::numeric_limits<double>::max()) & ((x > 0.0) | (!v.censored & zero_ok & (x == 0.0)));
    }
    if (all_valid) return;
    for (std::size_t i = 0; i < data.size(); ++i) {
        const auto& v = data[i];
        const char* broken = nullptr;
        if (!std::isfinite(v.value))
            broken = v.censored ? "a limit must be finite and > 0" : "a detected value must be finite";
        else if (v.censored && !(v.value > 0.0))
            broken = "a limit must be > 0";
        else if (!v.censored && rule == detected_rule::positive && !(v.value > 0.0))
            broken = "a detected value must be > 0 (the method works on log values)";
        else if (!v.censored && v.value < 0.0)
            broken = "a detected value must be >= 0";
        if (broken)
            throw_numerical_error(std::string(who) + ": value[" + std::to_string(i) + "] = " +
                                  (v.censored ? "<" : "") + detail::format_number(v.value) + ": " + broken);
    }
}

namespace detail {

void check_option(const char* name, double value, double lo, double hi) {
    if (!(value >= lo && value <= hi))
        throw_numerical_error(std::string(name) + " = " + format_number(value) + ": must be in [" + format_number(lo) +
                              ", " + format_number(hi) + "]");
}

void check_option_open(const char* name, double value, double lo, double hi) {
    if (!(value > lo && value < hi))
        throw_numerical_error(std::string(name) + " = " + format_number(value) + ": must be in (" + format_number(lo) +
                              ", " + format_number(hi) + ")");
}

}  // namespace detail
}  // namespace wbe
