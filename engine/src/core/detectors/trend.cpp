// GCC 12 at -O3 reports a false -Wrestrict inside std::string concatenation (GCC bug 105329).
#if defined(__GNUC__) && !defined(__clang__)  // a GCC-only warning: clang does not know it
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include "wbe/core/detectors/trend.hpp"

#include <algorithm>
#include <cmath>

#include "detail.hpp"
#include "wbe/core/detectors/mann_kendall.hpp"
#include "wbe/core/detectors/sen_slope.hpp"

namespace wbe::detectors {

using namespace detail;

std::vector<parameter_spec> trend::parameters() {
    const trend_options d;
    return {
        integer_spec("window", d.window, 3, 1000, "campaigns", "campaigns with a value in the test, the current included"),
        integer_spec("min_history", d.min_history, 2, 1000, "campaigns",
                     "fewest previous campaigns in the window needed to evaluate"),
        real_spec("watch_p", d.watch_p, 0, 1, "", "two-sided p below which a rising trend is watch", true, true),
        real_spec("alert_p", d.alert_p, 0, 1, "", "two-sided p below which a rising trend is alert", true, true),
        boolean_spec("seasonal", d.seasonal, "seasonal Kendall test with the campaign's quarter as season"),
        boolean_spec("log_scale", d.log_scale, "Sen slope on ln(value): a relative change per year"),
        real_spec("min_rise", d.min_rise, 0, inf, "per year",
                  "smallest rise per year that raises a level (fraction with log_scale, else value units)"),
    };
}

trend_options trend::options_from(const parameter_values& v) {
    trend_options o;
    o.window = static_cast<int>(v.integer("window"));
    o.min_history = static_cast<int>(v.integer("min_history"));
    o.watch_p = v.real("watch_p");
    o.alert_p = v.real("alert_p");
    o.seasonal = v.boolean("seasonal");
    o.log_scale = v.boolean("log_scale");
    o.min_rise = v.real("min_rise");
    return o;
}

std::vector<diagnostic> trend::check(const trend_options& o) {
    const auto specs = parameters();
    std::vector<diagnostic> out;
    check_option(specs, "window", o.window, out);
    check_option(specs, "min_history", o.min_history, out);
    check_option(specs, "watch_p", o.watch_p, out);
    check_option(specs, "alert_p", o.alert_p, out);
    check_option(specs, "min_rise", o.min_rise, out);
    if (o.min_history > o.window - 1)
        add_problem(out, "min_history", o.min_history, "must be <= window - 1 = " + std::to_string(o.window - 1));
    if (!(o.alert_p < o.watch_p)) add_problem(out, "alert_p", o.alert_p, "must be < watch_p = " + num(o.watch_p));
    return out;
}

trend::trend(const trend_options& options) : options_(options) { throw_if_invalid(check(options_)); }

std::size_t trend::min_history() const noexcept { return static_cast<std::size_t>(options_.min_history); }

namespace {
struct buffers {
    std::vector<std::size_t> index;  // campaigns usable in a test
    std::vector<double> ys;          // their values on the slope's scale
    std::vector<double> ts;          // their times (evaluate_levels())
    std::vector<double> slopes;      // a window's pairwise slopes (evaluate_levels())
    std::vector<double> codes;       // Mann–Kendall codes of a window with censored values
    std::vector<int> seasons;
    kendall_scratch scratch;
    sliding_mann_kendall kendall;
    sliding_sen_slope plain_sen{false}, seasonal_sen{true};
};
}  // namespace

void trend::evaluate(const series& s, std::vector<campaign_result>& out, explain e) const {
    const auto& o = options_;
    const auto scale = [&](double x) { return o.log_scale ? log_or_nan(x) : x; };
    const auto unscale = [&](double y) { return o.log_scale ? std::exp(y) : y; };
    const auto window = static_cast<std::size_t>(o.window);
    const auto need = static_cast<std::size_t>(o.min_history);

    // Named references, not a structured binding: clang 14 cannot capture bindings in lambdas.
    buffers& buf = thread_buffers<buffers>();
    auto& index = buf.index;
    auto& ys = buf.ys;
    auto& codes = buf.codes;
    auto& seasons = buf.seasons;
    auto& scratch = buf.scratch;
    auto& kendall = buf.kendall;
    auto& plain_sen = buf.plain_sen;
    auto& seasonal_sen = buf.seasonal_sen;
    index.clear();
    ys.clear();
    for (std::size_t i = 0; i < s.campaigns.size(); ++i) {
        const observation& obs = s.campaigns[i];
        if (std::isnan(obs.value)) continue;
        if (!std::isfinite(obs.time)) {
            if (e != explain::none) out[i].reason = "no time for this campaign: the Sen slope needs real time";
            continue;
        }
        const double y = scale(obs.value);
        if (std::isnan(y)) {
            if (e != explain::none) out[i].reason = "value " + num(obs.value) + " <= 0 has no logarithm (trend with log_scale)";
            continue;
        }
        index.push_back(i);
        ys.push_back(y);
    }

    // The window slides with p: `kendall` (values of uncensored windows, not seasonal) and
    // `sliding` (the Sen slope) hold positions [in_begin, in_end) of index.
    sliding_sen_slope& sliding = o.seasonal ? seasonal_sen : plain_sen;
    kendall.clear();
    sliding.clear();
    std::size_t in_begin = 0, in_end = 0;
    for (std::size_t p = 0; p < index.size(); ++p) {
        campaign_result& r = out[index[p]];
        const std::size_t begin = p + 1 > window ? p + 1 - window : 0;
        const std::size_t previous = p - begin;
        if (previous < need) {
            if (e != explain::none) r.reason = text("needs ", counted{need}, " in the window, has ", integer{previous});
            continue;
        }
        // Helsel's recoding: everything below the highest censoring limit is one tie below it.
        double limit = -inf;
        std::size_t n_censored = 0;
        const observation* unseasoned = nullptr;
        for (std::size_t q = begin; q <= p; ++q) {
            const observation& obs = s.campaigns[index[q]];
            if (obs.censored) {
                limit = std::max(limit, range_of(obs).hi);
                ++n_censored;
            }
            if (obs.season == 0 && !unseasoned) unseasoned = &obs;
        }
        if (o.seasonal && unseasoned) {
            if (e != explain::none) r.reason = "the seasonal test needs the season of every campaign in the window; " + unseasoned->campaign +
                       " has none";
            continue;
        }
        // Both ends of the window only move forward: slide to [begin, p].
        if (in_end < begin) {
            kendall.clear();
            sliding.clear();
            in_begin = in_end = begin;
        }
        for (; in_begin < begin; ++in_begin) {
            if (!o.seasonal) kendall.pop_front();
            sliding.pop_front();
        }
        for (; in_end <= p; ++in_end) {
            const observation& obs = s.campaigns[index[in_end]];
            if (!o.seasonal) kendall.push_back(obs.value);
            sliding.push_back(obs.time, ys[in_end], obs.season);
        }
        mann_kendall_result mk;
        if (!o.seasonal && n_censored == 0) {
            mk = kendall.result();  // the codes are the values
        } else {
            const double tie_code = std::nextafter(limit, -inf);
            codes.clear();
            seasons.clear();
            for (std::size_t q = begin; q <= p; ++q) {
                const observation& obs = s.campaigns[index[q]];
                codes.push_back(n_censored && (obs.censored || obs.value < limit) ? tie_code : obs.value);
                seasons.push_back(obs.season);
            }
            mk = o.seasonal ? seasonal_kendall_with(codes, seasons, scratch) : mann_kendall_with(codes, scratch);
        }
        const std::size_t n = p - begin + 1;
        const auto span = [&] {
            return text(counted{n, "campaign"}, " (", s.campaigns[index[begin]].campaign, " to ", s.campaigns[index[p]].campaign,
                        ")");
        };
        if (!(mk.var_s > 0.0)) {
            if (e != explain::none) r.reason = (o.seasonal ? "no season has two distinct values in " : "all values tied in ") + span() +
                       (n_censored ? " after tying censored values below " + num(limit) : std::string());
            continue;
        }
        const sen_slope_result sen = sliding.result();  // no interval
        const double tp = s.campaigns[index[p]].time;
        r.statistic = mk.z;
        r.p_value = mk.p;
        r.expected = std::isnan(sen.slope) ? nan : unscale(sen.intercept + sen.slope * tp);
        const bool rising = mk.s > 0.0 && sen.slope > 0.0;
        const double rise_per_year = o.log_scale ? std::expm1(sen.slope * s.units_per_year) : sen.slope * s.units_per_year;
        const bool large = rise_per_year >= o.min_rise;
        const detection_level raw = level_below(mk.p, o.watch_p, o.alert_p);
        const detection_level level = rising && large ? raw : detection_level::none;
        set_level(r, level, e, [&] {
            const double per_year = sen.slope * s.units_per_year;
            return text(o.seasonal ? "seasonal Kendall" : "Mann-Kendall", " over ", span(), ": S = ", num(mk.s), ", Z = ",
                        num(mk.z), ", p = ", num(mk.p), crossed(raw, o.watch_p, o.alert_p, " < "), "; Sen slope ",
                        o.log_scale ? percent(std::expm1(per_year)) : num(per_year), " per year",
                        rising ? "" : raw != detection_level::none ? " (not rising)" : "",
                        rising && !large && raw != detection_level::none
                            ? text(" (below the minimum rise of ", o.log_scale ? percent(o.min_rise) : num(o.min_rise),
                                   " per year)")
                            : std::string(),
                        n_censored ? text("; ", counted{n_censored, "censored value"}, ": values below ", num(limit),
                                          " tied for S, substitutes in the slope")
                                   : std::string());
        });
    }
}

// The levels evaluate() sets for a series it would take through the uncensored, non-seasonal
// path: the same usable campaigns, windows, Mann–Kendall and level rule; the slope from
// sen_slope_only(), which equals sliding_sen_slope::result()'s to the bit (sen_slope.hpp), and
// only where the level depends on it.
bool trend::evaluate_levels(const series& s, std::span<detection_level> level) const {
    const auto& o = options_;
    if (o.seasonal) return false;
    const auto window = static_cast<std::size_t>(o.window);
    const auto need = static_cast<std::size_t>(o.min_history);
    buffers& buf = thread_buffers<buffers>();
    auto& index = buf.index;
    auto& ys = buf.ys;
    auto& ts = buf.ts;
    auto& kendall = buf.kendall;
    index.clear();
    ys.clear();
    ts.clear();
    for (std::size_t i = 0; i < s.campaigns.size(); ++i) {
        const observation& obs = s.campaigns[i];
        level[i] = detection_level::not_evaluable;
        if (std::isnan(obs.value)) continue;
        if (obs.censored || std::isinf(obs.value)) return false;
        if (!std::isfinite(obs.time)) continue;
        const double y = o.log_scale ? log_or_nan(obs.value) : obs.value;
        if (std::isnan(y)) continue;
        index.push_back(i);
        ys.push_back(y);
        ts.push_back(obs.time);
    }
    kendall.clear();
    std::size_t in_begin = 0, in_end = 0;
    for (std::size_t p = 0; p < index.size(); ++p) {
        const std::size_t begin = p + 1 > window ? p + 1 - window : 0;
        if (p - begin < need) continue;
        if (in_end < begin) {
            kendall.clear();
            in_begin = in_end = begin;
        }
        for (; in_begin < begin; ++in_begin) kendall.pop_front();
        for (; in_end <= p; ++in_end) kendall.push_back(s.campaigns[index[in_end]].value);
        // result()'s S, var(S), Z and p, the last two only for a rising S (else the level is none)
        const double mk_s = kendall.s(), var_s = kendall.var_s();
        if (!(var_s > 0.0)) continue;  // all values tied: not_evaluable
        detection_level& l = level[index[p]];
        l = detection_level::none;
        if (!(mk_s > 0.0)) continue;
        const detection_level raw = level_below(two_sided_normal_p(mann_kendall_z(mk_s, var_s)), o.watch_p, o.alert_p);
        if (raw == detection_level::none) continue;
        const std::size_t n = p - begin + 1;
        const double slope = sen_slope_only({ts.data() + begin, n}, {ys.data() + begin, n}, buf.slopes);
        const double rise_per_year = o.log_scale ? std::expm1(slope * s.units_per_year) : slope * s.units_per_year;
        if (slope > 0.0 && rise_per_year >= o.min_rise) l = raw;
    }
    return true;
}

}  // namespace wbe::detectors
