// GCC 12 at -O3 reports a false -Wrestrict inside std::string concatenation (GCC bug 105329).
#if defined(__GNUC__) && !defined(__clang__)  // a GCC-only warning: clang does not know it
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include "wbe/core/detectors/percentile_level.hpp"

#include <algorithm>
#include <cmath>

#include "detail.hpp"

namespace wbe::detectors {

using namespace detail;

namespace {

// The index ⌊p·(n−1)⌋ of lower_nearest_rank(), n > 0.
std::size_t nearest_rank(std::size_t n, double p) noexcept {
    const auto k = static_cast<std::size_t>(std::floor(p * static_cast<double>(n - 1)));
    return std::min(k, n - 1);
}

}  // namespace

double lower_nearest_rank(const std::vector<double>& sorted, double p) noexcept {
    if (sorted.empty()) return nan;
    return sorted[nearest_rank(sorted.size(), p)];
}

namespace {
struct buffers {
    std::vector<std::size_t> history;  // previous campaigns with a positive value, in time order
    std::vector<double> window, scaled;
    std::vector<double> y;             // evaluate_levels(): the ln values of `history`
    std::vector<double> base_mean, base_var;  // evaluate_levels(): the full windows' mean_sd()
};
}  // namespace

std::vector<parameter_spec> percentile_level::parameters() {
    const percentile_level_options d;
    return {
        integer_spec("lookback", d.lookback, 2, 1000, "campaigns",
                     "previous campaigns with a value in the window (NWSS: 24 months)"),
        integer_spec("min_history", d.min_history, 2, 1000, "campaigns", "fewest previous campaigns needed to evaluate"),
        real_spec("percentile", d.percentile, 0, 1, "", "baseline percentile, lower nearest rank (NWSS: 0.10)"),
        real_spec("watch", d.watch, 0, inf, "", "level above which a campaign is watch (in-control 5%; NWSS high: 5.3)", true),
        real_spec("alert", d.alert, 0, inf, "", "level above which a campaign is alert (in-control 1%; NWSS very high: 7.8)", true),
        real_spec("min_sd", d.min_sd, 0, inf, "ln units", "floor of the SD over the window (0 = NWSS exactly)"),
        censored_spec(d.censored),
    };
}

percentile_level_options percentile_level::options_from(const parameter_values& v) {
    percentile_level_options o;
    o.lookback = static_cast<int>(v.integer("lookback"));
    o.min_history = static_cast<int>(v.integer("min_history"));
    o.percentile = v.real("percentile");
    o.watch = v.real("watch");
    o.alert = v.real("alert");
    o.min_sd = v.real("min_sd");
    o.censored = v.choice("censored");
    return o;
}

std::vector<diagnostic> percentile_level::check(const percentile_level_options& o) {
    const auto specs = parameters();
    std::vector<diagnostic> out;
    check_option(specs, "lookback", o.lookback, out);
    check_option(specs, "min_history", o.min_history, out);
    check_option(specs, "percentile", o.percentile, out);
    check_option(specs, "watch", o.watch, out);
    check_option(specs, "alert", o.alert, out);
    check_option(specs, "min_sd", o.min_sd, out);
    check_censored(o.censored, out);
    if (o.min_history > o.lookback)
        add_problem(out, "min_history", o.min_history, "must be <= lookback = " + std::to_string(o.lookback));
    if (!(o.alert > o.watch)) add_problem(out, "alert", o.alert, "must be > watch = " + num(o.watch));
    return out;
}

percentile_level::percentile_level(const percentile_level_options& options) : options_(options) {
    throw_if_invalid(check(options_));
}

std::size_t percentile_level::min_history() const noexcept { return static_cast<std::size_t>(options_.min_history); }

void percentile_level::evaluate(const series& s, std::vector<campaign_result>& out, explain e) const {
    const auto& o = options_;
    const auto lookback = static_cast<std::size_t>(o.lookback);
    const auto need = static_cast<std::size_t>(o.min_history);
    // Named references, not a structured binding: clang 14 cannot capture bindings in lambdas.
    buffers& buf = thread_buffers<buffers>();
    auto& history = buf.history;
    auto& window = buf.window;
    auto& scaled = buf.scaled;
    history.clear();
    scaled_values(s, true, scaled);
    for (std::size_t i = 0; i < s.campaigns.size(); ++i) {
        const observation& obs = s.campaigns[i];
        campaign_result& r = out[i];
        if (std::isnan(obs.value)) continue;
        if (!(obs.value > 0.0)) {
            if (e != explain::none) r.reason = "value " + num(obs.value) + " <= 0 has no logarithm (percentile_level works on ln values)";
            continue;
        }
        const std::size_t n = std::min(history.size(), lookback);
        history.push_back(i);
        if (n < need) {
            if (e != explain::none) r.reason = text("needs ", counted{need}, ", has ", integer{n});
            continue;
        }
        const std::string censoring =
            baseline_values(s, scaled, history.data() + (history.size() - 1 - n), n, o.censored == "ros", true, window, e);
        double mean = 0.0, sd = 0.0;
        mean_sd(window, mean, sd);
        double sorted[8];
        double baseline = nan;
        if (sort_small(window, sorted)) {
            baseline = sorted[nearest_rank(n, o.percentile)];
        } else {
            std::sort(window.begin(), window.end());
            baseline = lower_nearest_rank(window, o.percentile);
        }
        if (!(std::max(sd, o.min_sd) > 0.0)) {
            r.expected = std::exp(baseline);
            if (e != explain::none) r.reason = "the " + campaigns(n) + " in the look-back all have the same value: SD 0 (set min_sd > 0)";
            continue;
        }
        const double used_sd = std::max(sd, o.min_sd);
        const auto level_of = [&](double x) { return std::exp((log_or_nan(x) - baseline) / used_sd); };
        const auto level_at = [&](double x) { return level_above(level_of(x), o.watch, o.alert); };
        const double level = std::exp((scaled[i] - baseline) / used_sd);  // level_of(obs.value)
        r.expected = std::exp(baseline);
        r.upper_bound = std::exp(baseline + used_sd * std::log(o.watch));
        r.statistic = level;
        std::string note;
        const detection_level l = obs.censored ? judge(obs, level_at, note) : level_above(level, o.watch, o.alert);
        set_level(r, l, e, [&] {
            const auto rank = static_cast<std::size_t>(std::floor(o.percentile * static_cast<double>(n - 1)));
            return text("activity level ", num(level), crossed(level_above(level, o.watch, o.alert), o.watch, o.alert),
                        " (baseline ", num(r.expected), " = sorted value ", integer{rank + 1}, " of ", counted{n}, ", SD ",
                        num(used_sd), sd < o.min_sd ? " = floor min_sd" : "", " ln units", censoring, "; watch above ",
                        num(r.upper_bound), ")", note);
        });
    }
}

// The levels evaluate() sets for a series without censored values: the same history of
// positive values, look-back window (in time order), mean_sd() (window_mean_var() for the full
// windows), percentile by rank (the minimum when the rank is 0; values without NaN or −0 have
// one value at each rank, whatever finds it) and SD floor, and z = (ln value − baseline)/sd by
// the same expressions. The level compares e^z with watch and alert; e^z is computed only where
// z is within a relative 10⁻⁹ of ln watch or ln alert (elsewhere exp's and log's rounding, below
// 10⁻¹⁵, cannot change the comparison).
bool percentile_level::evaluate_levels(const series& s, std::span<detection_level> level) const {
    const auto& o = options_;
    const auto lookback = static_cast<std::size_t>(o.lookback);
    const auto need = static_cast<std::size_t>(o.min_history);
    buffers& buf = thread_buffers<buffers>();
    auto& y = buf.y;
    auto& window = buf.window;
    auto& history = buf.history;
    const std::size_t n_campaigns = s.campaigns.size();
    y.resize(n_campaigns);
    history.resize(n_campaigns);
    std::size_t h = 0;  // campaigns with a positive value
    for (std::size_t i = 0; i < n_campaigns; ++i) {
        const observation& obs = s.campaigns[i];
        level[i] = detection_level::not_evaluable;  // no value, a value <= 0, too little history, SD 0
        if (obs.censored) return false;
        if (!(obs.value > 0.0)) continue;
        history[h] = i;
        y[h++] = std::log(obs.value);  // log_or_nan() of a positive value
    }
    // From position lookback on, the window is the full y[q − lookback, q): window_mean_var()
    // gives all their mean_sd()s at once.
    const std::size_t n_full = h > lookback ? h - lookback : 0;
    buf.base_mean.resize(n_full);
    buf.base_var.resize(n_full);
    window_mean_var(y.data(), n_full, lookback, buf.base_mean.data(), buf.base_var.data());
    const double ln_watch = std::log(o.watch), ln_alert = std::log(o.alert);
    const double watch_lo = ln_watch - 1e-9 * (1.0 + std::abs(ln_watch)), watch_hi = ln_watch + 1e-9 * (1.0 + std::abs(ln_watch));
    const double alert_lo = ln_alert - 1e-9 * (1.0 + std::abs(ln_alert)), alert_hi = ln_alert + 1e-9 * (1.0 + std::abs(ln_alert));
    for (std::size_t q = need; q < h; ++q) {
        const std::size_t i = history[q];
        const std::size_t n = std::min(q, lookback);
        if (n < need) continue;
        const double* w = y.data() + (q - n);  // the window, oldest first, as baseline_values() gives it
        double mean, var;
        if (q >= lookback) {
            mean = buf.base_mean[q - lookback];
            var = buf.base_var[q - lookback];
        } else {  // mean_sd(): std::accumulate from 0, then the two-pass SD
            double sum = 0.0;
            for (std::size_t k = 0; k < n; ++k) sum += w[k];
            mean = sum / static_cast<double>(n);
            double ss = 0.0;
            for (std::size_t k = 0; k < n; ++k) ss += (w[k] - mean) * (w[k] - mean);
            var = ss / static_cast<double>(n - 1);  // n >= min_history >= 2
        }
        const double sd = std::sqrt(var);
        const double used_sd = std::max(sd, o.min_sd);
        if (!(used_sd > 0.0)) continue;
        const std::size_t rank = nearest_rank(n, o.percentile);
        double baseline;
        if (rank == 0) {  // the minimum (the default p = 0.1 up to 10 values): the same value, no sort
            baseline = w[0];
            for (std::size_t k = 1; k < n; ++k) baseline = std::min(baseline, w[k]);
        } else if (n <= 8) {  // ln of positive values: no NaN, no −0 (sort_small()'s network)
            double a[8];
            for (std::size_t k = 0; k < 8; ++k) a[k] = k < n ? w[k] : inf;
            sort_network_8(a);
            baseline = a[rank];
        } else {  // the value of rank `rank`: the same whichever way the window is ordered
            window.assign(w, w + n);
            std::nth_element(window.begin(), window.begin() + static_cast<std::ptrdiff_t>(rank), window.end());
            baseline = window[rank];
        }
        const double z = (y[q] - baseline) / used_sd;
        if (z < watch_lo) level[i] = detection_level::none;
        else if (z > watch_hi && z < alert_lo) level[i] = detection_level::watch;
        else if (z > alert_hi) level[i] = detection_level::alert;
        else level[i] = level_above(std::exp(z), o.watch, o.alert);  // near a cut, NaN, or cut points at ∞
    }
    return true;
}

}  // namespace wbe::detectors
