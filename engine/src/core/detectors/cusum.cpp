// GCC 12 at -O3 reports a false -Wrestrict inside std::string concatenation (GCC bug 105329).
#if defined(__GNUC__) && !defined(__clang__)  // a GCC-only warning: clang does not know it
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include "wbe/core/detectors/cusum.hpp"

#include <algorithm>
#include <cmath>

#include "detail.hpp"

namespace wbe::detectors {

using namespace detail;

std::vector<parameter_spec> cusum::parameters() {
    const cusum_options d;
    auto mean = real_spec("mean", d.mean, -inf, inf, "analysed scale", "given in-control mean; auto = estimate it");
    mean.allows_auto = true;
    auto sd = real_spec("sd", d.sd, 0, inf, "analysed scale", "given in-control SD; auto = estimate it", true);
    sd.allows_auto = true;
    return {
        real_spec("k", d.k, 0, inf, "SD", "reference value (allowance) subtracted from each standardised value"),
        real_spec("h", d.h, 0, inf, "SD", "decision interval: alert when C+ exceeds it", true),
        real_spec("watch", d.watch, 0, inf, "SD", "watch when C+ exceeds it (below h)", true),
        boolean_spec("reset", d.reset, "restart C+ at 0 after an alert"),
        choice_spec("reference", d.reference, {"first", "rolling"},
                    "estimate mean and SD from the first `window` values or from a rolling window"),
        integer_spec("window", d.window, 2, 1000, "campaigns", "values in the reference window"),
        integer_spec("guard", d.guard, 0, 1000, "campaigns", "rolling reference: most recent values left out"),
        integer_spec("min_history", d.min_history, 2, 1000, "campaigns",
                     "rolling reference: fewest reference values needed to evaluate"),
        std::move(mean),
        std::move(sd),
        boolean_spec("log_scale", d.log_scale, "work on ln(value)"),
        real_spec("min_sd", d.min_sd, 0, inf, "analysed scale", "floor of an estimated SD"),
        censored_spec(d.censored),
    };
}

cusum_options cusum::options_from(const parameter_values& v) {
    cusum_options o;
    o.k = v.real("k");
    o.h = v.real("h");
    o.watch = v.real("watch");
    o.reset = v.boolean("reset");
    o.reference = v.choice("reference");
    o.censored = v.choice("censored");
    o.window = static_cast<int>(v.integer("window"));
    o.guard = static_cast<int>(v.integer("guard"));
    o.min_history = static_cast<int>(v.integer("min_history"));
    o.mean = v.real("mean");
    o.sd = v.real("sd");
    o.log_scale = v.boolean("log_scale");
    o.min_sd = v.real("min_sd");
    return o;
}

std::vector<diagnostic> cusum::check(const cusum_options& o) {
    const auto specs = parameters();
    std::vector<diagnostic> out;
    check_option(specs, "k", o.k, out);
    check_option(specs, "h", o.h, out);
    check_option(specs, "watch", o.watch, out);
    check_censored(o.censored, out);
    if (o.reference != "first" && o.reference != "rolling")
        out.push_back(problem("reference", o.reference, "must be one of: first, rolling"));
    check_option(specs, "window", o.window, out);
    check_option(specs, "guard", o.guard, out);
    check_option(specs, "min_history", o.min_history, out);
    check_option(specs, "mean", o.mean, out);
    check_option(specs, "sd", o.sd, out);
    check_option(specs, "min_sd", o.min_sd, out);
    if (!(o.watch < o.h)) add_problem(out, "watch", o.watch, "must be < h = " + num(o.h));
    if (o.reference == "rolling" && o.min_history > o.window)
        add_problem(out, "min_history", o.min_history, "must be <= window = " + std::to_string(o.window));
    return out;
}

cusum::cusum(const cusum_options& options) : options_(options) { throw_if_invalid(check(options_)); }

std::size_t cusum::min_history() const noexcept {
    const auto& o = options_;
    if (!std::isnan(o.mean) && !std::isnan(o.sd)) return 0;
    if (o.reference == "first") return static_cast<std::size_t>(o.window);
    return static_cast<std::size_t>(o.min_history + o.guard);
}

namespace {
struct buffers {
    std::vector<double> scaled, y, ref;
    std::vector<std::size_t> index;
};
}  // namespace

void cusum::evaluate(const series& s, std::vector<campaign_result>& out, explain e) const {
    const auto& o = options_;
    const auto scale = [&](double x) { return o.log_scale ? log_or_nan(x) : x; };
    const auto unscale = [&](double y) { return o.log_scale ? std::exp(y) : y; };
    const bool given = !std::isnan(o.mean) && !std::isnan(o.sd);
    const bool first = o.reference == "first";
    const auto window = static_cast<std::size_t>(o.window);
    const auto guard = static_cast<std::size_t>(o.guard);
    const auto need = static_cast<std::size_t>(o.min_history);

    // Campaigns with a usable value, on the analysed scale.
    // Named references, not a structured binding: clang 14 cannot capture bindings in lambdas.
    buffers& buf = thread_buffers<buffers>();
    auto& scaled = buf.scaled;
    auto& y = buf.y;
    auto& ref = buf.ref;
    auto& index = buf.index;
    scaled_values(s, o.log_scale, scaled);
    usable_values(s, scaled, out, e, "cusum", y, index);

    // Mean and SD of the reference window (in `ref`), with the given values taking precedence.
    std::string censoring;  // how censored reference campaigns entered, for the reason
    const auto estimate = [&](std::size_t begin, std::size_t end, double& mu, double& sigma, bool& floored) {
        censoring = baseline_values(s, scaled, index.data() + begin, end - begin, o.censored == "ros", o.log_scale, ref, e);
        double m = nan, sd = nan;
        mean_sd(ref, m, sd);
        mu = std::isnan(o.mean) ? m : o.mean;
        floored = std::isnan(o.sd) && !(sd >= o.min_sd);
        sigma = std::isnan(o.sd) ? std::max(sd, o.min_sd) : o.sd;
    };
    double mu = o.mean, sigma = o.sd;
    bool floored = false;
    std::size_t start = 0;  // first position evaluated
    if (!given && first) {
        start = window;
        if (y.size() >= window) estimate(0, window, mu, sigma, floored);
    }
    std::size_t n_reference = 0;  // values in the rolling reference
    const auto source = [&] {
        if (given) return std::string("given mean and SD");
        if (first) return text("reference: first ", counted{window, "campaign"});
        return text("reference: ", counted{n_reference}, guard ? " before a guard band" : "");
    };

    double c_plus = 0.0;
    for (std::size_t p = 0; p < y.size(); ++p) {
        const observation& obs = s.campaigns[index[p]];
        campaign_result& r = out[index[p]];
        if (p < start) {
            if (e != explain::none)
                r.reason = y.size() >= window ? text("reference period: campaign ", integer{p + 1}, " of the ", integer{window},
                                                     " that estimate the in-control mean and SD")
                                              : text("reference period: needs ", counted{window, "campaign"},
                                                     " with a value, the series has ", integer{y.size()});
            continue;
        }
        if (!given && !first) {
            const std::size_t end = p > guard ? p - guard : 0;
            const std::size_t begin = end > window ? end - window : 0;
            if (end - begin < need) {
                if (e != explain::none)
                    r.reason = text("needs ", counted{need}, " in the reference window, has ", integer{end - begin},
                                    guard ? text(" (guard band of ", counted{guard, "campaign"}, ")") : std::string());
                continue;
            }
            estimate(begin, end, mu, sigma, floored);
            n_reference = end - begin;
        }
        const double previous = c_plus;
        const auto c_at = [&](double x) { return std::max(0.0, previous + standardise(scale(x), mu, sigma) - o.k); };
        const auto level_at = [&](double x) { return level_above(c_at(x), o.watch, o.h); };
        c_plus = std::max(0.0, previous + standardise(y[p], mu, sigma) - o.k);
        r.statistic = c_plus;
        r.expected = unscale(mu);
        r.upper_bound = unscale(mu + sigma * (o.watch + o.k - previous));
        std::string note;
        const detection_level raw = level_above(c_plus, o.watch, o.h);
        const detection_level level = obs.censored ? judge(obs, level_at, note) : raw;  // raw is level_at(obs.value)
        const bool restart = o.reset && raw == detection_level::alert;
        set_level(r, level, e, [&] {
            return text("C+ = ", num(c_plus), crossed(raw, o.watch, o.h), " (previous ", num(previous), ", z = ",
                        num(standardise(y[p], mu, sigma)), ", k = ", num(o.k), "; mean ", num(r.expected), ", SD ", num(sigma),
                        o.log_scale ? " ln units" : "", floored ? " = floor min_sd" : "", ", ", source(), censoring,
                        "; watch above ", num(r.upper_bound), restart ? "; C+ restarts at 0" : "", ")", note);
        });
        if (restart) c_plus = 0.0;
    }
}

// The levels evaluate() sets for a series without censored values: the same usable values,
// reference estimates (mean_sd() over the same values in the same order), C⁺ recursion and
// restart; no back-transformed mean or bound, no text.
bool cusum::evaluate_levels(const series& s, std::span<detection_level> level) const {
    const auto& o = options_;
    const bool given = !std::isnan(o.mean) && !std::isnan(o.sd);
    const bool first = o.reference == "first";
    const auto window = static_cast<std::size_t>(o.window);
    const auto guard = static_cast<std::size_t>(o.guard);
    const auto need = static_cast<std::size_t>(o.min_history);
    buffers& buf = thread_buffers<buffers>();
    auto& y = buf.y;
    auto& index = buf.index;
    // Not evaluable unless set below: no value, no logarithm, reference period.
    if (!uncensored_usable_values(s, o.log_scale, level, y, index)) return false;
    // estimate() of evaluate(): mean_sd() of y[begin, end), the given values taking precedence.
    const auto estimate = [&](std::size_t begin, std::size_t end, double& mu, double& sigma) {
        const std::size_t n = end - begin;
        double m = nan, sd = nan;
        if (n) {
            double sum = 0.0;
            for (std::size_t k = begin; k < end; ++k) sum += y[k];
            m = sum / static_cast<double>(n);
        }
        if (n >= 2) {
            double ss = 0.0;
            for (std::size_t k = begin; k < end; ++k) ss += (y[k] - m) * (y[k] - m);
            sd = std::sqrt(ss / static_cast<double>(n - 1));
        }
        mu = std::isnan(o.mean) ? m : o.mean;
        sigma = std::isnan(o.sd) ? std::max(sd, o.min_sd) : o.sd;
    };
    double mu = o.mean, sigma = o.sd;
    std::size_t start = 0;
    if (!given && first) {
        start = window;
        if (y.size() >= window) estimate(0, window, mu, sigma);
    }
    double c_plus = 0.0;
    for (std::size_t p = start; p < y.size(); ++p) {
        if (!given && !first) {
            const std::size_t end = p > guard ? p - guard : 0;
            const std::size_t begin = end > window ? end - window : 0;
            if (end - begin < need) continue;
            estimate(begin, end, mu, sigma);
        }
        c_plus = std::max(0.0, c_plus + standardise(y[p], mu, sigma) - o.k);
        const detection_level raw = level_above(c_plus, o.watch, o.h);
        level[index[p]] = raw;
        if (o.reset && raw == detection_level::alert) c_plus = 0.0;
    }
    return true;
}

}  // namespace wbe::detectors
