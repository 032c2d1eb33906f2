// GCC 12 at -O3 reports a false -Wrestrict inside std::string concatenation (GCC bug 105329).
#if defined(__GNUC__) && !defined(__clang__)  // a GCC-only warning: clang does not know it
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include "wbe/core/detectors/rolling_baseline.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "detail.hpp"

namespace wbe::detectors {

using namespace detail;

namespace {
struct buffers {
    std::vector<std::size_t> history;  // previous campaigns with a positive value
    std::vector<std::size_t> members;  // the baseline's campaigns
    std::vector<double> base, deviations, scaled;
};
}  // namespace

/// 1/Φ⁻¹(3/4): scales the MAD of normal data to its SD (Hampel 1974).
constexpr double mad_to_sd = 1.4826;

std::vector<parameter_spec> rolling_baseline::parameters() {
    const rolling_baseline_options d;
    return {
        integer_spec("window", d.window, 3, 1000, "campaigns", "previous campaigns with a value that form the baseline"),
        integer_spec("min_history", d.min_history, 3, 1000, "campaigns",
                     "fewest baseline campaigns, after exclusions, needed to evaluate"),
        integer_spec("guard", d.guard, 0, 1000, "campaigns", "most recent previous campaigns left out of the baseline"),
        boolean_spec("exclude_alerts", d.exclude_alerts, "leave this detector's earlier alerts out of the baseline"),
        real_spec("watch_z", d.watch_z, 0, inf, "robust SD", "robust z-score above which a campaign is watch", true),
        real_spec("alert_z", d.alert_z, 0, inf, "robust SD", "robust z-score above which a campaign is alert", true),
        real_spec("min_sd", d.min_sd, 0, inf, "ln units", "floor of the MAD-based SD"),
        censored_spec(d.censored),
    };
}

rolling_baseline_options rolling_baseline::options_from(const parameter_values& v) {
    rolling_baseline_options o;
    o.window = static_cast<int>(v.integer("window"));
    o.min_history = static_cast<int>(v.integer("min_history"));
    o.guard = static_cast<int>(v.integer("guard"));
    o.exclude_alerts = v.boolean("exclude_alerts");
    o.watch_z = v.real("watch_z");
    o.alert_z = v.real("alert_z");
    o.min_sd = v.real("min_sd");
    o.censored = v.choice("censored");
    return o;
}

std::vector<diagnostic> rolling_baseline::check(const rolling_baseline_options& o) {
    const auto specs = parameters();
    std::vector<diagnostic> out;
    check_option(specs, "window", o.window, out);
    check_option(specs, "min_history", o.min_history, out);
    check_option(specs, "guard", o.guard, out);
    check_option(specs, "watch_z", o.watch_z, out);
    check_option(specs, "alert_z", o.alert_z, out);
    check_option(specs, "min_sd", o.min_sd, out);
    check_censored(o.censored, out);
    if (o.min_history > o.window)
        add_problem(out, "min_history", o.min_history, "must be <= window = " + std::to_string(o.window));
    if (!(o.alert_z > o.watch_z)) add_problem(out, "alert_z", o.alert_z, "must be > watch_z = " + num(o.watch_z));
    return out;
}

rolling_baseline::rolling_baseline(const rolling_baseline_options& options) : options_(options) {
    throw_if_invalid(check(options_));
}

std::size_t rolling_baseline::min_history() const noexcept {
    return static_cast<std::size_t>(options_.min_history + options_.guard);
}

void rolling_baseline::evaluate(const series& s, std::vector<campaign_result>& out, explain e) const {
    const auto& o = options_;
    const auto window = static_cast<std::size_t>(o.window);
    const auto guard = static_cast<std::size_t>(o.guard);
    const auto need = static_cast<std::size_t>(o.min_history);
    // Named references, not a structured binding: clang 14 cannot capture bindings in lambdas.
    buffers& buf = thread_buffers<buffers>();
    auto& history = buf.history;
    auto& members = buf.members;
    auto& base = buf.base;
    auto& deviations = buf.deviations;
    auto& scaled = buf.scaled;
    history.clear();
    const bool use_ros = o.censored == "ros";
    scaled_values(s, true, scaled);
    for (std::size_t i = 0; i < s.campaigns.size(); ++i) {
        const observation& obs = s.campaigns[i];
        campaign_result& r = out[i];
        if (std::isnan(obs.value)) continue;
        if (!(obs.value > 0.0)) {
            if (e != explain::none) r.reason = "value " + num(obs.value) + " <= 0 has no logarithm (rolling_baseline works on ln values)";
            continue;
        }
        const std::size_t end = history.size() > guard ? history.size() - guard : 0;
        const std::size_t begin = end > window ? end - window : 0;
        members.clear();
        std::size_t excluded = 0;
        for (std::size_t k = begin; k < end; ++k) {
            const std::size_t j = history[k];
            if (o.exclude_alerts && out[j].level == detection_level::alert) {
                ++excluded;
                continue;
            }
            members.push_back(j);
        }
        history.push_back(i);
        const std::string censoring = baseline_values(s, scaled, members.data(), members.size(), use_ros, true, base, e);
        const auto exclusions = [&] {
            return (guard ? ", guard band of " + campaigns(guard, "campaign") : std::string()) +
                   (excluded ? ", " + campaigns(excluded, "earlier alert") + " excluded" : std::string()) + censoring;
        };
        if (base.size() < need) {
            if (e != explain::none) r.reason = text("needs ", counted{need}, " in the baseline, has ", integer{base.size()}, exclusions());
            continue;
        }
        const std::size_t n = base.size();
        const double m = median(base);
        deviations.clear();
        for (double b : base) deviations.push_back(std::abs(b - m));
        const double mad_sd = mad_to_sd * median(deviations);
        const double sd = std::max(mad_sd, o.min_sd);
        const auto level_at = [&](double x) { return level_above((log_or_nan(x) - m) / sd, o.watch_z, o.alert_z); };
        const double z = (scaled[i] - m) / sd;  // scaled[i] = ln(obs.value)
        r.expected = std::exp(m);
        r.upper_bound = std::exp(m + o.watch_z * sd);
        r.statistic = z;
        std::string note;
        const detection_level level = obs.censored ? judge(obs, level_at, note) : level_above(z, o.watch_z, o.alert_z);
        set_level(r, level, e, [&] {
            return text("robust z = ", num(z), crossed(level_above(z, o.watch_z, o.alert_z), o.watch_z, o.alert_z),
                        " from the median of ", counted{n}, " on the ln scale (expected ", num(r.expected),
                        ", watch above ", num(r.upper_bound), "; SD ", num(sd),
                        mad_sd < o.min_sd ? " = floor min_sd" : "", exclusions(), ")", note);
        });
    }
}

namespace {

// Full baselines of two campaigns sorted at once, one per lane of a 2-double vector: the
// comparators of sort_network_8 with constant indices, each a vector min and max. The lanes are
// independent campaigns, and every lane operation is the scalar one of evaluate_levels() to the
// bit (min(x, y) and max(x, y) as std::min's `y < x ? y : x` and std::max's `x < y ? y : x`).
// Without SSE2, lane by lane.
constexpr std::size_t lanes = 2;
#if defined(__SSE2__)
using lane_vector = __m128d;
inline lane_vector lane_min(lane_vector x, lane_vector y) noexcept { return _mm_min_pd(y, x); }  // y < x ? y : x
inline lane_vector lane_max(lane_vector x, lane_vector y) noexcept { return _mm_max_pd(y, x); }  // y > x ? y : x
inline lane_vector lane_set(double v) noexcept { return _mm_set1_pd(v); }
inline lane_vector lane_load(const double* p) noexcept { return _mm_loadu_pd(p); }
inline lane_vector lane_add(lane_vector a, lane_vector b) noexcept { return _mm_add_pd(a, b); }
inline lane_vector lane_sub(lane_vector a, lane_vector b) noexcept { return _mm_sub_pd(a, b); }
inline lane_vector lane_mul(lane_vector a, lane_vector b) noexcept { return _mm_mul_pd(a, b); }
inline lane_vector lane_div(lane_vector a, lane_vector b) noexcept { return _mm_div_pd(a, b); }
inline lane_vector lane_abs(lane_vector a) noexcept { return _mm_andnot_pd(_mm_set1_pd(-0.0), a); }
inline void lane_store(double* p, lane_vector v) noexcept { _mm_storeu_pd(p, v); }
#else
struct lane_vector {
    double v[lanes];
};
template <class F>
inline lane_vector lanewise(lane_vector a, lane_vector b, F f) noexcept {
    return {{f(a.v[0], b.v[0]), f(a.v[1], b.v[1])}};
}
inline lane_vector lane_min(lane_vector x, lane_vector y) noexcept { return lanewise(x, y, [](double a, double b) { return std::min(a, b); }); }
inline lane_vector lane_max(lane_vector x, lane_vector y) noexcept { return lanewise(x, y, [](double a, double b) { return std::max(a, b); }); }
inline lane_vector lane_set(double v) noexcept { return {{v, v}}; }
inline lane_vector lane_load(const double* p) noexcept { return {{p[0], p[1]}}; }
inline lane_vector lane_add(lane_vector a, lane_vector b) noexcept { return lanewise(a, b, [](double x, double y) { return x + y; }); }
inline lane_vector lane_sub(lane_vector a, lane_vector b) noexcept { return lanewise(a, b, [](double x, double y) { return x - y; }); }
inline lane_vector lane_mul(lane_vector a, lane_vector b) noexcept { return lanewise(a, b, [](double x, double y) { return x * y; }); }
inline lane_vector lane_div(lane_vector a, lane_vector b) noexcept { return lanewise(a, b, [](double x, double y) { return x / y; }); }
inline lane_vector lane_abs(lane_vector a) noexcept { return {{std::abs(a.v[0]), std::abs(a.v[1])}}; }
inline void lane_store(double* p, lane_vector v) noexcept { p[0] = v.v[0]; p[1] = v.v[1]; }
#endif

template <std::size_t... k>
inline void sort_lanes(lane_vector (&a)[8], std::index_sequence<k...>) noexcept {
    const auto exchange = [](lane_vector& x, lane_vector& y) {
        const lane_vector lo = lane_min(x, y), hi = lane_max(x, y);
        x = lo;
        y = hi;
    };
    (exchange(a[network::comparators_8[k].first], a[network::comparators_8[k].second]), ...);
}
inline void sort_lanes(lane_vector (&a)[8]) noexcept {
    sort_lanes(a, std::make_index_sequence<std::size(network::comparators_8)>());
}

// The median of the m smallest entries of each lane (sorted), as median() takes it.
inline lane_vector lane_median(const lane_vector (&a)[8], std::size_t m) noexcept {
    return m % 2 ? a[m / 2] : lane_mul(lane_set(0.5), lane_add(a[m / 2 - 1], a[m / 2]));
}

// The levels of history positions k0 and k0 + 1, each with the `m` values before k − guard as
// its baseline (no exclusions): evaluate_levels()'s arithmetic, two lanes at once.
void full_baselines(const double* y, std::size_t k0, std::size_t m, std::size_t guard, double min_sd, double watch_z,
                    double alert_z, const std::size_t* history, std::span<detection_level> level) noexcept {
    lane_vector a[8];
    const double* first = y + (k0 - guard - m);  // lane 0's oldest baseline value; lane 1's is the next
    for (std::size_t j = 0; j < 8; ++j) a[j] = j < m ? lane_load(first + j) : lane_set(inf);
    sort_lanes(a);
    const lane_vector median = lane_median(a, m);
    lane_vector d[8];
    for (std::size_t j = 0; j < 8; ++j) d[j] = j < m ? lane_abs(lane_sub(a[j], median)) : lane_set(inf);
    sort_lanes(d);
    const lane_vector sd = lane_max(lane_mul(lane_set(mad_to_sd), lane_median(d, m)), lane_set(min_sd));
    double z[lanes];
    lane_store(z, lane_div(lane_sub(lane_load(y + k0), median), sd));
    for (std::size_t l = 0; l < lanes; ++l) level[history[k0 + l]] = level_above(z[l], watch_z, alert_z);
}

}  // namespace

// The levels evaluate() sets, by the same arithmetic: the baseline's ln values are the
// multiset evaluate() collects (no censored value, so no imputation; finite, so no NaN or −0),
// the sorting network orders them as median() does, and the deviations |b − m| are the same
// multiset taken from the sorted values, so both medians, sd and z are the same bits.
bool rolling_baseline::evaluate_levels(const series& s, std::span<detection_level> level) const {
    const auto& o = options_;
    if (o.window > 8) return false;
    const auto window = static_cast<std::size_t>(o.window);
    const auto guard = static_cast<std::size_t>(o.guard);
    const auto need = static_cast<std::size_t>(o.min_history);
    buffers& buf = thread_buffers<buffers>();
    auto& history = buf.history;  // campaigns with a positive value
    auto& y = buf.scaled;          // their ln values
    const std::size_t n = s.campaigns.size();
    history.resize(n);
    y.resize(n);
    std::size_t h = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const observation& obs = s.campaigns[i];
        level[i] = detection_level::not_evaluable;  // no value, a value <= 0, or too little history
        if (!(obs.value > 0.0)) continue;
        if (obs.censored || obs.value == inf) return false;
        history[h] = i;
        y[h++] = std::log(obs.value);  // log_or_nan() of a positive value
    }
    // Position k of the history: its baseline is the `window` values before k − guard, without
    // this detector's earlier alerts when exclude_alerts.
    const auto level_at = [&](std::size_t k) {
        const std::size_t end = k > guard ? k - guard : 0;
        const std::size_t begin = end > window ? end - window : 0;
        double a[8];
        std::size_t m = 0;
        if (o.exclude_alerts) {
            for (std::size_t j = begin; j < end; ++j) {
                a[m] = y[j];
                m += level[history[j]] != detection_level::alert;
            }
        } else {
            for (std::size_t j = begin; j < end; ++j) a[m++] = y[j];
        }
        if (m < need) return;
        for (std::size_t j = m; j < 8; ++j) a[j] = inf;
        sort_network_8(a);
        const double median = m % 2 ? a[m / 2] : 0.5 * (a[m / 2 - 1] + a[m / 2]);
        double d[8];
        for (std::size_t j = 0; j < 8; ++j) d[j] = j < m ? std::abs(a[j] - median) : inf;
        sort_network_8(d);
        const double mad = m % 2 ? d[m / 2] : 0.5 * (d[m / 2 - 1] + d[m / 2]);
        const double sd = std::max(mad_to_sd * mad, o.min_sd);
        level[history[k]] = level_above((y[k] - median) / sd, o.watch_z, o.alert_z);
    };
    // From position window + guard on, a baseline is full unless it holds an excluded alert:
    // two positions at once while no alert lies in their windows (`next_clear`: the first
    // position whose window starts after the last alert so far).
    const auto is_alert = [&](std::size_t k) { return level[history[k]] == detection_level::alert; };
    std::size_t next_clear = 0;
    for (std::size_t k = 0; k < h;) {
        if (k >= window + guard && k + lanes <= h && k >= next_clear) {
            full_baselines(y.data(), k, window, guard, o.min_sd, o.watch_z, o.alert_z, history.data(), level);
            if (o.exclude_alerts && is_alert(k)) {
                if (guard == 0) level_at(k + 1);  // its window holds k: again, without it
                next_clear = k + 1 + guard + window;
            }
            if (o.exclude_alerts && is_alert(k + 1)) next_clear = k + 2 + guard + window;
            k += lanes;
        } else {
            level_at(k);
            if (o.exclude_alerts && is_alert(k)) next_clear = k + 1 + guard + window;
            ++k;
        }
    }
    return true;
}

}  // namespace wbe::detectors
