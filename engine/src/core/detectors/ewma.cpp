// GCC 12 at -O3 reports a false -Wrestrict inside std::string concatenation (GCC bug 105329).
#if defined(__GNUC__) && !defined(__clang__)  // a GCC-only warning: clang does not know it
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include "wbe/core/detectors/ewma.hpp"

#include <algorithm>
#include <cmath>

#include "detail.hpp"

namespace wbe::detectors {

using namespace detail;

std::vector<parameter_spec> ewma::parameters() {
    const ewma_options d;
    return {
        real_spec("lambda", d.lambda, 0, 1, "", "weight of the current value in the moving average (ESSENCE: 0.4)",
                  true),
        integer_spec("window", d.window, 2, 1000, "campaigns", "previous values in the baseline"),
        integer_spec("guard", d.guard, 0, 1000, "campaigns", "most recent previous values left out of the baseline"),
        integer_spec("min_history", d.min_history, 2, 1000, "campaigns", "fewest baseline values needed to evaluate"),
        real_spec("watch_p", d.watch_p, 0, 1, "", "one-sided p below which a campaign is watch (ESSENCE yellow)", true,
                  true),
        real_spec("alert_p", d.alert_p, 0, 1, "", "one-sided p below which a campaign is alert (ESSENCE red)", true,
                  true),
        boolean_spec("log_scale", d.log_scale, "work on ln(value)"),
        real_spec("min_sd", d.min_sd, 0, inf, "analysed scale", "floor of the baseline SD"),
        censored_spec(d.censored),
    };
}

ewma_options ewma::options_from(const parameter_values& v) {
    ewma_options o;
    o.lambda = v.real("lambda");
    o.window = static_cast<int>(v.integer("window"));
    o.guard = static_cast<int>(v.integer("guard"));
    o.min_history = static_cast<int>(v.integer("min_history"));
    o.watch_p = v.real("watch_p");
    o.alert_p = v.real("alert_p");
    o.log_scale = v.boolean("log_scale");
    o.min_sd = v.real("min_sd");
    o.censored = v.choice("censored");
    return o;
}

std::vector<diagnostic> ewma::check(const ewma_options& o) {
    const auto specs = parameters();
    std::vector<diagnostic> out;
    check_option(specs, "lambda", o.lambda, out);
    check_option(specs, "window", o.window, out);
    check_option(specs, "guard", o.guard, out);
    check_option(specs, "min_history", o.min_history, out);
    check_option(specs, "watch_p", o.watch_p, out);
    check_option(specs, "alert_p", o.alert_p, out);
    check_option(specs, "min_sd", o.min_sd, out);
    check_censored(o.censored, out);
    if (o.min_history > o.window)
        add_problem(out, "min_history", o.min_history, "must be <= window = " + std::to_string(o.window));
    if (!(o.alert_p < o.watch_p)) add_problem(out, "alert_p", o.alert_p, "must be < watch_p = " + num(o.watch_p));
    return out;
}

ewma::ewma(const ewma_options& options) : options_(options) {
    throw_if_invalid(check(options_));
    // The quantiles depend only on the degrees of freedom, and σ_t/s_t only on the number of
    // baseline values: computed once, not per campaign.
    const auto n = static_cast<std::size_t>(options_.window);
    q_watch_.assign(n, nan);
    q_alert_.assign(n, nan);
    for (std::size_t df = 1; df < n; ++df) {
        q_watch_[df] = student_t_upper_quantile(options_.watch_p, static_cast<double>(df));
        q_alert_[df] = student_t_upper_quantile(options_.alert_p, static_cast<double>(df));
    }
    // var(E_t − ȳ)/σ², derived in ewma.hpp
    const double lambda = options_.lambda;
    const auto guard = static_cast<std::size_t>(options_.guard);
    se_factor_.assign(n + 1, nan);
    for (std::size_t k = 1; k <= n; ++k) {
        const double nn = static_cast<double>(k);
        const double correction = lambda / (2.0 - lambda) + 1.0 / nn -
                                  2.0 * std::pow(1.0 - lambda, static_cast<double>(guard + 1)) *
                                      (1.0 - std::pow(1.0 - lambda, nn)) / nn;
        se_factor_[k] = std::sqrt(std::max(correction, 0.0));
    }
}

std::size_t ewma::min_history() const noexcept { return static_cast<std::size_t>(options_.min_history + options_.guard); }

namespace {
struct buffers {
    std::vector<double> scaled, y, base;
    std::vector<std::size_t> index;
    std::vector<double> base_mean, base_var;     // the full baselines' mean and variance
    std::vector<std::size_t> censored_before;    // evaluate(): censored usable values in [0, q)
};

// Mean and variance of the baseline y[begin, end) (end − begin ≥ 2) as mean_sd() computes them
// (its SD is the root of this variance), in place.
void mean_var(const std::vector<double>& y, std::size_t begin, std::size_t end, double& mean, double& var) {
    double sum = 0.0;
    for (std::size_t k = begin; k < end; ++k) sum += y[k];
    mean = sum / static_cast<double>(end - begin);
    double ss = 0.0;
    for (std::size_t k = begin; k < end; ++k) ss += (y[k] - mean) * (y[k] - mean);
    var = ss / static_cast<double>(end - begin - 1);
}
}  // namespace

void ewma::evaluate(const series& s, std::vector<campaign_result>& out, explain e) const {
    const auto& o = options_;
    const double lambda = o.lambda;
    const auto scale = [&](double x) { return o.log_scale ? log_or_nan(x) : x; };
    const auto unscale = [&](double y) { return o.log_scale ? std::exp(y) : y; };
    const auto window = static_cast<std::size_t>(o.window);
    const auto guard = static_cast<std::size_t>(o.guard);
    const auto need = static_cast<std::size_t>(o.min_history);

    // Named references, not a structured binding: clang 14 cannot capture bindings in lambdas.
    buffers& buf = thread_buffers<buffers>();
    auto& scaled = buf.scaled;
    auto& y = buf.y;
    auto& base = buf.base;
    auto& index = buf.index;
    auto& censored_before = buf.censored_before;
    scaled_values(s, o.log_scale, scaled);
    usable_values(s, scaled, out, e, "ewma", y, index);
    censored_before.resize(index.size() + 1);
    censored_before[0] = 0;
    for (std::size_t q = 0; q < index.size(); ++q) censored_before[q + 1] = censored_before[q] + s.campaigns[index[q]].censored;
    // A baseline without censored values is y[begin, end) itself; the full ones (from position
    // guard + window on) get their mean and variance all at once, as evaluate_levels() does.
    const std::size_t first_full = guard + window;
    const std::size_t n_full = y.size() > first_full ? y.size() - first_full : 0;
    buf.base_mean.resize(n_full);
    buf.base_var.resize(n_full);
    window_mean_var(y.data(), n_full, window, buf.base_mean.data(), buf.base_var.data());

    double smoothed = nan;  // E_{t−1}
    for (std::size_t p = 0; p < y.size(); ++p) {
        const observation& obs = s.campaigns[index[p]];
        campaign_result& r = out[index[p]];
        const double previous = smoothed;
        smoothed = p == 0 ? y[p] : lambda * y[p] + (1.0 - lambda) * previous;
        const std::size_t end = p > guard ? p - guard : 0;
        const std::size_t begin = end > window ? end - window : 0;
        const std::size_t n = end - begin;
        if (n < need) {
            if (e != explain::none)
                r.reason = text("needs ", counted{need}, " in the baseline, has ", integer{n},
                                guard ? text(" (guard band of ", counted{guard, "campaign"}, ")") : std::string());
            continue;
        }
        std::string censoring;
        double mu = nan, sd = nan;
        if (censored_before[end] != censored_before[begin]) {
            censoring = baseline_values(s, scaled, index.data() + begin, n, o.censored == "ros", o.log_scale, base, e);
            mean_sd(base, mu, sd);
        } else {  // baseline_values() would copy y[begin, end): mean_sd() of it, without the copy
            double var = nan;
            if (p >= first_full) {
                mu = buf.base_mean[p - first_full];
                var = buf.base_var[p - first_full];
            } else {
                mean_var(y, begin, end, mu, var);
            }
            sd = std::sqrt(var);
        }
        const bool floored = sd < o.min_sd;
        sd = std::max(sd, o.min_sd);
        const double sigma = sd * se_factor_[n];
        const double df = static_cast<double>(n) - 1.0;
        const auto p_at = [&](double x) {
            const double e_x = lambda * scale(x) + (1.0 - lambda) * previous;
            return student_t_upper_p(standardise(e_x, mu, sigma), df);
        };
        const auto level_at = [&](double x) { return level_below(p_at(x), o.watch_p, o.alert_p); };
        const double t = standardise(smoothed, mu, sigma);
        const double pv = student_t_upper_p(t, df);
        const double q_watch = q_watch_[n - 1];
        const double q_alert = q_alert_[n - 1];
        r.statistic = t;
        r.p_value = pv;
        r.expected = unscale(mu);
        r.upper_bound = unscale((mu + q_watch * sigma - (1.0 - lambda) * previous) / lambda);
        std::string note;
        // Uncensored, p_at(obs.value) is pv: the same expressions of the same values.
        const detection_level level = obs.censored ? judge(obs, level_at, note) : level_below(pv, o.watch_p, o.alert_p);
        const bool clipped = std::abs(t) > q_alert;
        set_level(r, level, e, [&] {
            return text("EWMA ", num(smoothed), " is T = ", num(t), " SE from the baseline mean, p = ", num(pv),
                        crossed(level_below(pv, o.watch_p, o.alert_p), o.watch_p, o.alert_p, " < "), " (Student t, ",
                        num(df), " df; mean ", num(r.expected), " and SD ", num(sd), o.log_scale ? " ln units" : "",
                        floored ? " = floor min_sd" : "", " of ", counted{n}, guard ? " before a guard band" : "", censoring,
                        "; watch above ", num(r.upper_bound),
                        clipped ? "; EWMA clipped to the alert limit for later campaigns" : "", ")", note);
        });
        if (clipped) smoothed = mu + (t > 0 ? q_alert : -q_alert) * sigma;
    }
}

// The levels evaluate() sets for a series without censored values: the same usable values,
// EWMA (clipping included), baseline mean and SD, σ and T, by the same expressions. p decides
// the level, and p > watch_p (none) wherever T is below the watch quantile t_{1−watch_p}: there
// the Student t tail is skipped, with a relative margin of 10⁻⁶ — far beyond the rounding of
// the quantile and of student_t_upper_p().
bool ewma::evaluate_levels(const series& s, std::span<detection_level> level) const {
    const auto& o = options_;
    const double lambda = o.lambda;
    const auto window = static_cast<std::size_t>(o.window);
    const auto guard = static_cast<std::size_t>(o.guard);
    const auto need = static_cast<std::size_t>(o.min_history);
    buffers& buf = thread_buffers<buffers>();
    auto& y = buf.y;
    auto& index = buf.index;
    if (!uncensored_usable_values(s, o.log_scale, level, y, index)) return false;
    // From position guard + window on, the baseline is the full window y[p − guard − window,
    // p − guard): its mean and variance do not depend on the smoothing, so window_mean_var()
    // computes them all at once, as mean_sd() would.
    const std::size_t first_full = guard + window;
    const std::size_t n_full = y.size() > first_full ? y.size() - first_full : 0;
    buf.base_mean.resize(n_full);
    buf.base_var.resize(n_full);
    window_mean_var(y.data(), n_full, window, buf.base_mean.data(), buf.base_var.data());
    double smoothed = nan;  // E_{t−1}
    for (std::size_t p = 0; p < y.size(); ++p) {
        const double previous = smoothed;
        smoothed = p == 0 ? y[p] : lambda * y[p] + (1.0 - lambda) * previous;
        const std::size_t end = p > guard ? p - guard : 0;
        const std::size_t begin = end > window ? end - window : 0;
        const std::size_t n = end - begin;
        if (n < need) continue;
        double mu, var;
        if (p >= first_full) {
            mu = buf.base_mean[p - first_full];
            var = buf.base_var[p - first_full];
        } else {  // a baseline still growing (n >= 2)
            mean_var(y, begin, end, mu, var);
        }
        const double sd = std::max(std::sqrt(var), o.min_sd);
        const double sigma = sd * se_factor_[n];
        const double df = static_cast<double>(n) - 1.0;
        const double t = standardise(smoothed, mu, sigma);
        const double q_watch = q_watch_[n - 1];
        const double q_alert = q_alert_[n - 1];
        const bool clearly_below = t < q_watch - 1e-6 * (1.0 + std::abs(q_watch));  // false for NaN
        level[index[p]] = clearly_below ? detection_level::none
                                        : level_below(student_t_upper_p(t, df), o.watch_p, o.alert_p);
        if (std::abs(t) > q_alert) smoothed = mu + (t > 0 ? q_alert : -q_alert) * sigma;
    }
    return true;
}

}  // namespace wbe::detectors
