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

}  // namespace wbe::detectors
