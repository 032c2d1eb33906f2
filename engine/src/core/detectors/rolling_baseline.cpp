// GCC 12 at -O3 reports a false -Wrestrict inside std::string concatenation (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"

#include "wbe/core/detectors/rolling_baseline.hpp"

#include <algorithm>
#include <cmath>

#include "detail.hpp"

namespace wbe::detectors {

using namespace detail;

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
    std::vector<std::size_t> history;  // previous campaigns with a positive value
    std::vector<double> base, deviations, scaled;
    std::vector<std::size_t> members;  // the baseline's campaigns
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

}  // namespace wbe::detectors
