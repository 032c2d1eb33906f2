#pragma once
// Private helpers shared by the detector sources: robust and classical summaries, level rules,
// the censored-range judgement of detector.hpp, and number formatting and text building for
// reasons.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wbe/core/detectors/detector.hpp"
#include "wbe/core/detectors/mann_kendall.hpp"
#include "wbe/core/detectors/parameters.hpp"

namespace wbe::detectors::detail {

inline constexpr double nan = std::numeric_limits<double>::quiet_NaN();
inline constexpr double inf = std::numeric_limits<double>::infinity();

/// `%.4g`, with `inf`/`-inf`/`nan` spelled out.
[[nodiscard]] std::string num(double v);
/// A time or other value that needs its digits (`%.10g`): 2019.125 stays 2019.125.
[[nodiscard]] std::string exact(double v);
/// A relative change as a signed percentage, e.g. `+23%`, `-4.5%`.
[[nodiscard]] std::string percent(double fraction);
/// "1 previous campaign" / "4 previous campaigns".
[[nodiscard]] std::string campaigns(std::size_t n, std::string_view what = "previous campaign");

/// Pieces of text() besides strings: a whole number, and a count with its noun as campaigns()
/// writes it.
struct integer {
    std::size_t n;
};
struct counted {
    std::size_t n;
    std::string_view what = "previous campaign";
};

namespace pieces {
[[nodiscard]] inline std::size_t digits(std::size_t n) noexcept {
    std::size_t d = 1;
    for (; n >= 10; n /= 10) ++d;
    return d;
}
[[nodiscard]] inline std::size_t size_of(std::string_view s) noexcept { return s.size(); }
[[nodiscard]] inline std::size_t size_of(integer i) noexcept { return digits(i.n); }
[[nodiscard]] inline std::size_t size_of(const counted& c) noexcept { return digits(c.n) + 1 + c.what.size() + (c.n != 1); }
inline void append(std::string& out, std::string_view s) { out.append(s); }
inline void append(std::string& out, integer i) {
    char buf[24];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, i.n).ptr);
}
inline void append(std::string& out, const counted& c) {
    append(out, integer{c.n});
    out += ' ';
    out += c.what;
    if (c.n != 1) out += 's';
}
}  // namespace pieces

/// The pieces (strings, string views, C strings, integer, counted) joined, allocated once:
/// a bulk run writes reasons by the million, and `a + b + …` reallocates as the text grows.
template <class... Pieces>
[[nodiscard]] std::string text(const Pieces&... parts) {
    std::string out;
    out.reserve((pieces::size_of(parts) + ... + std::size_t{0}));
    (pieces::append(out, parts), ...);
    return out;
}

/// A detector's working arrays, one set per thread and per `Buffers` type, kept across calls: a
/// bulk run evaluates 10⁵ series, and growing fresh vectors for each cost more allocations than
/// the series has campaigns. The caller clears or resizes what it uses; evaluate() never calls
/// itself, so one set per thread is enough.
template <class Buffers>
[[nodiscard]] Buffers& thread_buffers() {
    thread_local Buffers buffers;
    return buffers;
}

/// Buffers for mann_kendall_with() and seasonal_kendall_with(), kept by the caller across calls.
struct kendall_scratch {
    std::vector<double> values;
    std::vector<double> sorted;
    std::vector<std::size_t> equal;
    std::vector<std::size_t> order;
};
/// mann_kendall() and seasonal_kendall() (the same arithmetic in the same order; they call
/// these) with the caller's buffers: trend tests a window at every campaign, and allocating
/// per window cost as much as the test.
[[nodiscard]] mann_kendall_result mann_kendall_with(std::span<const double> x, kendall_scratch& scratch);
[[nodiscard]] mann_kendall_result seasonal_kendall_with(std::span<const double> x, std::span<const int> season,
                                                        kendall_scratch& scratch);

namespace network {
// An optimal sorting network for 8 values (19 comparators; Knuth, TAOCP vol. 3, §5.3.4).
inline constexpr std::pair<int, int> comparators_8[] = {{0, 2}, {1, 3}, {4, 6}, {5, 7}, {0, 4}, {1, 5}, {2, 6},
                                                        {3, 7}, {0, 1}, {2, 3}, {4, 5}, {6, 7}, {2, 4}, {3, 5},
                                                        {1, 4}, {3, 6}, {1, 2}, {3, 4}, {5, 6}};
inline void compare_exchange(double& x, double& y) noexcept {
    const double lo = std::min(x, y), hi = std::max(x, y);
    x = lo;
    y = hi;
}
// A sorting network for 16 values: 60 comparators in 10 layers, the fewest comparators known
// for 16 (Green's count; Knuth, TAOCP vol. 3, §5.3.4). It sorts all 2¹⁶ inputs of zeros and
// ones, hence every input (the 0–1 principle, ibid.).
inline constexpr std::pair<int, int> comparators_16[] = {
    {0, 13}, {1, 12}, {2, 15}, {3, 14}, {4, 8},   {5, 6},   {7, 11},  {9, 10},  {0, 5},  {1, 7},  {2, 9},   {3, 4},
    {6, 13}, {8, 14}, {10, 15}, {11, 12}, {0, 1}, {2, 3},   {4, 5},   {6, 8},   {7, 9},  {10, 11}, {12, 13}, {14, 15},
    {0, 2},  {1, 3},  {4, 10},  {5, 11},  {6, 7}, {8, 9},   {12, 14}, {13, 15}, {1, 2},  {3, 12}, {4, 6},   {5, 7},
    {8, 10}, {9, 11}, {13, 14}, {1, 4},   {2, 6}, {5, 8},   {7, 10},  {9, 13},  {11, 14}, {2, 4}, {3, 6},   {9, 12},
    {11, 13}, {3, 5}, {6, 8},   {7, 9},   {10, 12}, {3, 4}, {5, 6},   {7, 8},   {9, 10}, {11, 12}, {6, 7},  {8, 9}};
// The comparators unrolled with constant indices, so that the values stay in registers.
template <std::size_t N, const std::pair<int, int> (&comparators)[N], std::size_t... k>
inline void sort_with(double* a, std::index_sequence<k...>) noexcept {
    (compare_exchange(a[comparators[k].first], a[comparators[k].second]), ...);
}
}  // namespace network

/// Sorts the 8 values a[0, 8) ascending by the sorting network (branch-free). Values without
/// NaN and −0 come out as any comparison sort leaves them, to the bit.
inline void sort_network_8(double* a) noexcept {
    constexpr std::size_t n = std::size(network::comparators_8);
    network::sort_with<n, network::comparators_8>(a, std::make_index_sequence<n>());
}
/// sort_network_8() for the 16 values a[0, 16).
inline void sort_network_16(double* a) noexcept {
    constexpr std::size_t n = std::size(network::comparators_16);
    network::sort_with<n, network::comparators_16>(a, std::make_index_sequence<n>());
}

/// The values of `v`, ascending, in sorted[0 .. v.size()), by a sorting network (without the
/// mispredicted branches of a comparison sort) when `v` holds at most 8 values and none is NaN
/// or −0 (whose places a comparison sort may leave otherwise: the same values, other bits).
/// Returns false otherwise.
[[nodiscard]] bool sort_small(const std::vector<double>& v, double (&sorted)[8]);
/// Median of `v` (may reorder it); NaN when empty.
[[nodiscard]] double median(std::vector<double>& v);
/// Mean and sample SD (n − 1) of `v`; SD NaN below 2 values.
void mean_sd(const std::vector<double>& v, double& mean, double& sd);
/// mean_sd() of every window of `len` ≥ 2 consecutive values of `y`, to the bit: window j is
/// y[j, j + len), j = 0 … count − 1; mean[j] = (0 + y[j] + … + y[j + len − 1]) / len and var[j] =
/// the two-pass Σ(y − mean)² / (len − 1), whose square root is mean_sd()'s SD. The levels paths'
/// baselines (and ewma's uncensored ones in evaluate()): the windows are short (7 or 8 values), too short to vectorise along, so SSE2
/// computes neighbouring windows side by side (two per instruction, each adding in its own order:
/// the same bits) instead of one window after the other.
void window_mean_var(const double* y, std::size_t count, std::size_t len, double* mean, double* var);

/// alert when stat > alert, watch when stat > watch, else none (NaN → none).
[[nodiscard]] inline detection_level level_above(double stat, double watch, double alert) noexcept {
    if (stat > alert) return detection_level::alert;
    if (stat > watch) return detection_level::watch;
    return detection_level::none;
}
/// alert when p < alert_p, watch when p < watch_p, else none (NaN → none).
[[nodiscard]] inline detection_level level_below(double p, double watch_p, double alert_p) noexcept {
    if (p < alert_p) return detection_level::alert;
    if (p < watch_p) return detection_level::watch;
    return detection_level::none;
}

/// (x − mean)/sd, with a zero SD giving ±∞ away from the mean and 0 at it.
[[nodiscard]] inline double standardise(double x, double mean, double sd) noexcept {
    if (std::isnan(sd)) return nan;
    if (sd > 0.0) return (x - mean) / sd;
    if (x > mean) return inf;
    if (x < mean) return -inf;
    return std::isnan(x) || std::isnan(mean) ? nan : 0.0;
}

/// The range of the true value: [lower or 0, upper or value] for a censored value, the value
/// itself otherwise.
struct value_range {
    double lo;
    double hi;
};
[[nodiscard]] value_range range_of(double value, double lower, double upper, bool censored) noexcept;
[[nodiscard]] inline value_range range_of(const observation& o) noexcept {
    return range_of(o.value, o.lower, o.upper, o.censored);
}

/// The level of an observation whose level at value x is `level_at(x)` (non-decreasing in x).
/// Quantified: level_at(value). Censored: the common level of both ends of its range, or
/// not_evaluable when they differ. Appends the censored explanation to `note` (the reason) for
/// censored values.
template <class LevelAt>
[[nodiscard]] detection_level judge(const observation& o, LevelAt&& level_at, std::string& note) {
    if (!o.censored) return level_at(o.value);
    const value_range r = range_of(o);
    const detection_level hi = level_at(r.hi);
    const detection_level lo = level_at(r.lo);
    if (hi == lo) {
        note += "; censored (< " + num(r.hi) + "), same level at both ends of its range";
        return hi;
    }
    note += "; censored (< " + num(r.hi) + "): level " + std::string(to_string(lo)) + " at " + num(r.lo) +
            " but " + std::string(to_string(hi)) + " at the limit, cannot tell";
    return detection_level::not_evaluable;
}

/// Upper-tail p of Student's t with `df` degrees of freedom: 1 − F(t); 0 at +∞, 1 at −∞.
[[nodiscard]] double student_t_upper_p(double t, double df);
/// The (1 − p) quantile of Student's t with `df` degrees of freedom.
[[nodiscard]] double student_t_upper_quantile(double p, double df);

/// ln(x) for x > 0, NaN otherwise (−∞ at 0 would poison means).
[[nodiscard]] inline double log_or_nan(double x) noexcept { return x > 0.0 ? std::log(x) : nan; }

/// Sets a result's level, and its reason from `make()` unless the level is `none` under
/// explain::raised (then the text is never built).
template <class MakeReason>
void set_level(campaign_result& r, detection_level level, explain e, MakeReason&& make) {
    r.level = level;
    if (e == explain::all || (e == explain::raised && level != detection_level::none)) r.reason = make();
}

/// Every campaign's value on the analysed scale (ln with `log_scale`, NaN for a value ≤ 0 then),
/// in `out`: computed once per series rather than once per window that holds the campaign.
void scaled_values(const series& s, bool log_scale, std::vector<double>& out);
/// The levels paths' usable values (evaluate_levels()): the campaigns with a value, on the
/// analysed scale, as scaled_values() and usable_values() give them, in `y`, and their positions
/// in `index`; every level up to the last campaign read is set to not_evaluable. false, as soon
/// as a value is censored: the levels path declines such a series.
[[nodiscard]] inline bool uncensored_usable_values(const series& s, bool log_scale, std::span<detection_level> level,
                                                   std::vector<double>& y, std::vector<std::size_t>& index) {
    y.clear();
    index.clear();
    for (std::size_t i = 0; i < s.campaigns.size(); ++i) {
        const observation& obs = s.campaigns[i];
        level[i] = detection_level::not_evaluable;
        if (std::isnan(obs.value)) continue;
        if (obs.censored) return false;
        const double v = log_scale ? log_or_nan(obs.value) : obs.value;
        if (std::isnan(v)) continue;
        y.push_back(v);
        index.push_back(i);
    }
    return true;
}


/// The campaigns of `s` with a usable value, on the analysed scale (`scaled`, from
/// scaled_values()), in `y`, and their positions in `index`. A value ≤ 0 on the log scale is
/// skipped with the reason "value … <= 0 has no logarithm (<detector> with log_scale)".
void usable_values(const series& s, std::span<const double> scaled, std::vector<campaign_result>& out, explain e,
                   std::string_view detector, std::vector<double>& y, std::vector<std::size_t>& index);

/// The `censored` parameter of the baseline detectors: how censored campaigns enter a
/// baseline — "ros" (default) or "substitute".
[[nodiscard]] parameter_spec censored_spec(const std::string& def);
/// Adds the problem of a `censored` value that is neither "ros" nor "substitute".
void check_censored(const std::string& value, std::vector<diagnostic>& out);

/// The baseline values of campaigns idx[0..n) of `s`, on the analysed scale (ln with
/// `log_scale`; `scaled` from scaled_values() with the same `log_scale`), in `out` (same order).
/// Detected campaigns enter at their value. Censored ones
/// (observation::censored; their limit is `upper`, or `value` when `upper` is NaN) enter, with
/// `use_ros`, at their robust-ROS imputation over the window (ros.hpp: Helsel–Cohn plotting
/// positions, ln-scale regression on the detects; censored values above the largest detect are
/// kept, as EnvStats does) — substitution biases a baseline's mean and spread, ROS does not
/// (Helsel 2012, ch. 6) — and at their substitute when ROS is not defensible (fewer than 2
/// detects, more than 80 % censored, a value ≤ 0) or without `use_ros`.
/// Returns a phrase for the reason, built only when `e` is not explain::none: empty when
/// nothing in the window is censored, else e.g. "; 2 of 8 baseline campaigns censored, imputed
/// by robust ROS" or "…, at their substitutes (robust ROS needs 2 detects, has 1)".
std::string baseline_values(const series& s, std::span<const double> scaled, const std::size_t* idx, std::size_t n,
                            bool use_ros, bool log_scale, std::vector<double>& out, explain e);

/// `" > watch 2"`-style phrase naming the cut a raised level crossed, empty for none.
[[nodiscard]] std::string crossed(detection_level level, double watch, double alert, std::string_view op = " > ");

/// Throws config_error with the first diagnostic, when there is one.
void throw_if_invalid(const std::vector<diagnostic>& problems);

/// Specs are built from a default-constructed options struct so that the declared defaults and
/// the C++ defaults can never disagree.
[[nodiscard]] parameter_spec real_spec(std::string name, double def, double min, double max, std::string unit,
                                       std::string meaning, bool min_exclusive = false, bool max_exclusive = false);
[[nodiscard]] parameter_spec integer_spec(std::string name, int def, double min, double max, std::string unit,
                                          std::string meaning);
[[nodiscard]] parameter_spec boolean_spec(std::string name, bool def, std::string meaning);
[[nodiscard]] parameter_spec choice_spec(std::string name, std::string def, std::vector<std::string> choices,
                                         std::string meaning);

/// A diagnostic without a location (the configuration reader adds it). Built member by member:
/// GCC 12 warns falsely about `diagnostic{{}, ...}` (-Wmaybe-uninitialized on location::file).
[[nodiscard]] diagnostic problem(std::string field, std::string value, std::string rule);

/// Appends `rule` for `field` = `value` to `out`.
void add_problem(std::vector<diagnostic>& out, std::string field, double value, std::string rule);

}  // namespace wbe::detectors::detail
