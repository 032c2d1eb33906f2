// GCC 12 at -O3 reports a false -Wrestrict inside std::string concatenation (GCC bug 105329).
#if defined(__GNUC__) && !defined(__clang__)  // a GCC-only warning: clang does not know it
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include "wbe/core/detectors/trend.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// A z below which two_sided_normal_p(z) ≥ watch_p for sure, squared, for evaluate_levels():
// the z where erfc(z/√2) crosses watch_p (bisection), less a relative 10⁻⁶ — far more than the
// few-ulp errors of erfc, the division and the square root, so a window whose Z is below it has
// p ≥ watch_p (none) however p is rounded. 0 (every rising window computed in full) when watch_p
// is too small for erfc to keep its precision near it.
static double watch_z_squared(double watch_p) {
    if (!(watch_p >= 1e-280)) return watch_p > 0.0 ? 0.0 : inf;  // watch_p ≤ 0: p < watch_p never
    double lo = 0.0, hi = 40.0;  // two_sided_normal_p(0) = 1 ≥ watch_p > two_sided_normal_p(40)
    for (int i = 0; i < 200; ++i) {
        const double mid = 0.5 * (lo + hi);
        (two_sided_normal_p(mid) >= watch_p ? lo : hi) = mid;
    }
    const double z = lo * (1.0 - 1e-6) - 1e-6;
    return z > 0.0 ? z * z : 0.0;
}

trend::trend(const trend_options& options) : options_(options), watch_z2_(0.0) {
    throw_if_invalid(check(options_));
    watch_z2_ = watch_z_squared(options_.watch_p);
}

std::size_t trend::min_history() const noexcept { return static_cast<std::size_t>(options_.min_history); }

namespace {
struct buffers {
    std::vector<std::size_t> index;  // campaigns usable in a test
    std::vector<double> values;      // their values, as Mann–Kendall takes them
    std::vector<double> ys;          // their values on the slope's scale
    std::vector<double> ts;          // their times (evaluate_levels())
    std::vector<double> limits;      // their censoring limits, −∞ when not censored (evaluate())
    std::vector<std::size_t> censored_before, unseasoned_before;  // counts over [0, q) (evaluate())
    std::vector<double> slopes;      // a window's pairwise slopes (evaluate_levels())
    std::vector<double> codes;       // Mann–Kendall codes of a window with censored values
    std::vector<int> seasons;
    kendall_scratch scratch;
    sliding_sen_slope plain_sen{false}, seasonal_sen{true};
};

// Mann–Kendall's S and tie term over a window [begin, end) of values v (no NaN) that only moves
// forward, slid over the values in place (no copy of the window): a value that enters or leaves
// changes S by its sign counts against the rest of the window and the tie term Σ t(t−1)(2t+5) by
// its tie group, as sliding_mann_kendall does, so they are its exact integers, and var_s() its
// var(S) to the bit.
struct kendall_window {
    std::int64_t s = 0;     // S
    std::int64_t ties = 0;  // Σ over tie groups of t(t−1)(2t+5)
    std::size_t begin = 0, end = 0;

    // Slides the window to [first, last), first ≥ begin and last ≥ end.
    void slide(const double* v, std::size_t first, std::size_t last) {
        if (end < first) {
            s = ties = 0;
            begin = end = first;
        }
        if (begin + 1 == first && end + 1 == last && end > first) {
            // The usual step: v[begin] leaves and v[end] enters, both paired with [first, end).
            const double out = v[begin], in = v[end];
            std::int64_t below_out = 0, above_out = 0, below_in = 0, above_in = 0;
            std::size_t q = first;
#if defined(__SSE2__)
            {  // two values at a time: each comparison's mask is −1 in a 64-bit lane
                const __m128d o2 = _mm_set1_pd(out), i2 = _mm_set1_pd(in);
                __m128i bo = _mm_setzero_si128(), ao = bo, bi = bo, ai = bo;
                for (; q + 2 <= end; q += 2) {
                    const __m128d w = _mm_loadu_pd(v + q);
                    bo = _mm_sub_epi64(bo, _mm_castpd_si128(_mm_cmplt_pd(w, o2)));
                    ao = _mm_sub_epi64(ao, _mm_castpd_si128(_mm_cmpgt_pd(w, o2)));
                    bi = _mm_sub_epi64(bi, _mm_castpd_si128(_mm_cmplt_pd(w, i2)));
                    ai = _mm_sub_epi64(ai, _mm_castpd_si128(_mm_cmpgt_pd(w, i2)));
                }
                alignas(16) std::int64_t lanes[8];
                _mm_store_si128(reinterpret_cast<__m128i*>(lanes), bo);
                _mm_store_si128(reinterpret_cast<__m128i*>(lanes + 2), ao);
                _mm_store_si128(reinterpret_cast<__m128i*>(lanes + 4), bi);
                _mm_store_si128(reinterpret_cast<__m128i*>(lanes + 6), ai);
                below_out = lanes[0] + lanes[1];
                above_out = lanes[2] + lanes[3];
                below_in = lanes[4] + lanes[5];
                above_in = lanes[6] + lanes[7];
            }
#endif
            for (; q < end; ++q) {
                below_out += v[q] < out;
                above_out += v[q] > out;
                below_in += v[q] < in;
                above_in += v[q] > in;
            }
            const auto m = static_cast<std::int64_t>(end - first);
            const std::int64_t equal_out = m - below_out - above_out, equal_in = m - below_in - above_in;
            s += (below_out - above_out) + (below_in - above_in);  // − Σ sign(v − out) + Σ sign(in − v)
            ties += 6 * (equal_in * (equal_in + 2) - equal_out * (equal_out + 2));
            begin = first;
            end = last;
        }
        for (; begin < first; ++begin) {  // the first value leaves: its pairs with the rest
            const double x = v[begin];
            std::int64_t below = 0, above = 0;
            for (std::size_t q = begin + 1; q < end; ++q) {
                below += v[q] < x;
                above += v[q] > x;
            }
            const std::int64_t equal = static_cast<std::int64_t>(end - begin - 1) - below - above;  // no NaN
            s -= above - below;
            ties -= 6 * equal * (equal + 2);  // t(t−1)(2t+5) − (t−1)(t−2)(2t+3), t = equal + 1
        }
        for (; end < last; ++end) {  // a value enters: its pairs with the window
            const double x = v[end];
            std::int64_t below = 0, above = 0;
            for (std::size_t q = begin; q < end; ++q) {
                below += v[q] < x;
                above += v[q] > x;
            }
            const std::int64_t equal = static_cast<std::int64_t>(end - begin) - below - above;
            s += below - above;
            ties += 6 * equal * (equal + 2);
        }
    }
    // n(n−1)(2n+5) − ties = 18 var(S), an exact integer: var(S) > 0 exactly when it is.
    [[nodiscard]] std::int64_t var18() const noexcept {
        const auto n = static_cast<std::int64_t>(end - begin);
        return n * (n - 1) * (2 * n + 5) - ties;
    }
    // sliding_mann_kendall::var_s()'s arithmetic on the same exact integers
    [[nodiscard]] double var_s() const noexcept {
        const auto n = static_cast<double>(end - begin);
        return (n * (n - 1.0) * (2.0 * n + 5.0) - static_cast<double>(ties)) / 18.0;
    }
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
    auto& values = buf.values;
    auto& ys = buf.ys;
    auto& limits = buf.limits;
    auto& censored_before = buf.censored_before;
    auto& unseasoned_before = buf.unseasoned_before;
    auto& codes = buf.codes;
    auto& seasons = buf.seasons;
    auto& scratch = buf.scratch;
    index.clear();
    values.clear();
    ys.clear();
    limits.clear();
    censored_before.assign(1, 0);
    unseasoned_before.assign(1, 0);
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
        values.push_back(obs.value);
        ys.push_back(y);
        limits.push_back(obs.censored ? range_of(obs).hi : -inf);
        censored_before.push_back(censored_before.back() + obs.censored);
        unseasoned_before.push_back(unseasoned_before.back() + (obs.season == 0));
    }

    // The window slides with p: `sliding` (the Sen slope) holds positions [in_begin, in_end) of
    // index; `kendall` (S of uncensored windows, not seasonal) slides over `values` itself.
    sliding_sen_slope& sliding = o.seasonal ? buf.seasonal_sen : buf.plain_sen;
    kendall_window kendall;
    sliding.clear();
    sliding.set_capacity(std::min(window, index.size()));  // result() scans the ring's every pair
    std::size_t in_begin = 0, in_end = 0;
    for (std::size_t p = 0; p < index.size(); ++p) {
        campaign_result& r = out[index[p]];
        const std::size_t begin = p + 1 > window ? p + 1 - window : 0;
        const std::size_t previous = p - begin;
        if (previous < need) {
            if (e != explain::none) r.reason = text("needs ", counted{need}, " in the window, has ", integer{previous});
            continue;
        }
        if (o.seasonal && unseasoned_before[p + 1] != unseasoned_before[begin]) {
            if (e != explain::none) {
                std::size_t q = begin;
                while (s.campaigns[index[q]].season != 0) ++q;
                r.reason = "the seasonal test needs the season of every campaign in the window; " +
                           s.campaigns[index[q]].campaign + " has none";
            }
            continue;
        }
        // Helsel's recoding: everything below the highest censoring limit is one tie below it.
        const std::size_t n_censored = censored_before[p + 1] - censored_before[begin];
        double limit = -inf;
        if (n_censored)
            for (std::size_t q = begin; q <= p; ++q) limit = std::max(limit, limits[q]);
        // Both ends of the window only move forward: slide to [begin, p].
        if (in_end < begin) {
            sliding.clear();
            in_begin = in_end = begin;
        }
        for (; in_begin < begin; ++in_begin) sliding.pop_front();
        for (; in_end <= p; ++in_end) {
            const observation& obs = s.campaigns[index[in_end]];
            sliding.push_back(obs.time, ys[in_end], obs.season);
        }
        if (!o.seasonal) kendall.slide(values.data(), begin, p + 1);
        mann_kendall_result mk;
        if (!o.seasonal && n_censored == 0) {  // the codes are the values: sliding_mann_kendall's result
            mk.s = static_cast<double>(kendall.s);
            mk.var_s = kendall.var_s();
            mk.z = mann_kendall_z(mk.s, mk.var_s);
            mk.p = two_sided_normal_p(mk.z);
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
        const detection_level raw = level_below(mk.p, o.watch_p, o.alert_p);
        // The minimum rise matters only to a rising window with a raw level (and expm1 is not free).
        const bool large = rising && raw != detection_level::none &&
                           (o.log_scale ? std::expm1(sen.slope * s.units_per_year) : sen.slope * s.units_per_year) >= o.min_rise;
        const detection_level level = large ? raw : detection_level::none;
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

namespace {

// evaluate_levels()'s slope rule — slope > 0 and a rise per year (expm1(slope·units_per_year) with
// log_scale, else slope·units_per_year) of at least min_rise — is, for min_rise > 0, a cut on the
// slope at ln(1 + min_rise) / units_per_year (min_rise / units_per_year). `lo` and `hi` bracket that
// cut by a relative 10⁻⁶, far more than the few-ulp errors of log1p, expm1 and the products: a
// slope below `lo` surely fails the rule, one at or above `hi` surely passes it. Not `valid` (the
// rule is then applied to the median itself) for min_rise ≤ 0, or a cut so small or large that
// the relative margin would not hold (subnormal, or expm1 near overflow).
struct slope_cut {
    bool valid = false;
    double lo = 0.0, hi = 0.0;
};

slope_cut slope_bracket(const trend_options& o, double units_per_year) {
    const double rise_cut = o.log_scale ? std::log1p(o.min_rise) : o.min_rise;
    const double cut = rise_cut / units_per_year;
    slope_cut c;
    c.valid = o.min_rise > 0.0 && rise_cut >= 1e-290 && rise_cut <= (o.log_scale ? 700.0 : 1e290) && cut >= 1e-290 &&
              cut <= 1e290;
    c.lo = cut * (1.0 - 1e-6);
    c.hi = cut * (1.0 + 1e-6);
    return c;
}

// The side of the cut on which the median of the window's pairwise slopes lies, +1 (surely passes),
// −1 (surely fails) or 0 (between lo and hi: compute the median), without selecting the median —
// which cost more than the rest of the levels path. For the trend path's windows (finite, strictly
// increasing times and finite values) the slopes are the m pairs i < j, none NaN. With k = ⌊m/2⌋,
// sen_slope_only()'s median is the k-th smallest slope for odd m and the mean of the (k−1)-th and
// the k-th for even m, which lies between them (rounding is monotone). The k-th smallest is below
// `lo` exactly when at least k + 1 slopes are, and at or above `hi` exactly when at most k slopes
// are below it; so for even m, #{< lo} ≥ k + 1 puts both middle slopes, and their mean, below lo,
// and #{< hi} ≤ k − 1 both at or above hi. No slope (m = 0): the median is NaN, which fails.
int median_slope_side(std::span<const double> t, std::span<const double> y, const slope_cut& c) {
    const std::size_t len = t.size();
    std::size_t below_lo = 0, below_hi = 0;
    for (std::size_t i = 0; i + 1 < len; ++i) {
        std::size_t j = i + 1;
#if defined(__SSE2__)
        {  // two slopes at a time (the same division); each comparison's mask is −1 in a 64-bit lane
            const __m128d yi = _mm_set1_pd(y[i]), ti = _mm_set1_pd(t[i]), lo = _mm_set1_pd(c.lo), hi = _mm_set1_pd(c.hi);
            __m128i bl = _mm_setzero_si128(), bh = bl;
            for (; j + 2 <= len; j += 2) {
                const __m128d slope =
                    _mm_div_pd(_mm_sub_pd(_mm_loadu_pd(y.data() + j), yi), _mm_sub_pd(_mm_loadu_pd(t.data() + j), ti));
                bl = _mm_sub_epi64(bl, _mm_castpd_si128(_mm_cmplt_pd(slope, lo)));
                bh = _mm_sub_epi64(bh, _mm_castpd_si128(_mm_cmplt_pd(slope, hi)));
            }
            alignas(16) std::int64_t lanes[4];
            _mm_store_si128(reinterpret_cast<__m128i*>(lanes), bl);
            _mm_store_si128(reinterpret_cast<__m128i*>(lanes + 2), bh);
            below_lo += static_cast<std::size_t>(lanes[0] + lanes[1]);
            below_hi += static_cast<std::size_t>(lanes[2] + lanes[3]);
        }
#endif
        for (; j < len; ++j) {
            const double slope = (y[j] - y[i]) / (t[j] - t[i]);
            below_lo += slope < c.lo;
            below_hi += slope < c.hi;
        }
    }
    const std::size_t m = len * (len - 1) / 2, k = m / 2;
    if (m == 0) return -1;
    if (below_lo >= k + 1) return -1;
    if (m % 2 == 1 ? below_hi <= k : below_hi + 1 <= k) return 1;
    return 0;
}

}  // namespace

// The levels evaluate() sets for a series it would take through the uncensored, non-seasonal
// path: the same usable campaigns, windows, Mann–Kendall and level rule; the slope from
// sen_slope_only(), which equals sliding_sen_slope::result()'s to the bit (sen_slope.hpp), and
// only where the level depends on it.
//
// Mann–Kendall slides over the values in place (kendall_window, as in evaluate()). Z and p are
// computed only where S > 0 and (S − 1)² is not below watch_z2_·var(S), both times 18 (below it
// Z is clearly below the watch cut's z and p is above watch_p: none); those windows get
// mann_kendall_z() and two_sided_normal_p() in full. The logarithms of the values (log_scale) are
// taken only for the windows whose Sen slope is needed, and there the slope rule is first decided
// by counting the slopes on either side of its cut (median_slope_side()); only a median within
// 10⁻⁶ of the cut is selected by sen_slope_only().
bool trend::evaluate_levels(const series& s, std::span<detection_level> level) const {
    const auto& o = options_;
    if (o.seasonal) return false;
    const auto window = static_cast<std::size_t>(o.window);
    const auto need = static_cast<std::size_t>(o.min_history);
    buffers& buf = thread_buffers<buffers>();
    auto& index = buf.index;
    auto& vs = buf.values;  // the usable values, as Mann–Kendall takes them
    auto& ys = buf.ys;     // their values on the slope's scale, up to `logged`
    auto& ts = buf.ts;
    index.clear();
    vs.clear();
    ts.clear();
    for (std::size_t i = 0; i < s.campaigns.size(); ++i) {
        const observation& obs = s.campaigns[i];
        level[i] = detection_level::not_evaluable;
        if (std::isnan(obs.value)) continue;
        if (obs.censored || std::isinf(obs.value)) return false;
        if (!std::isfinite(obs.time)) continue;
        if (o.log_scale && !(obs.value > 0.0)) continue;  // log_or_nan() is NaN exactly there
        index.push_back(i);
        vs.push_back(obs.value);
        ts.push_back(obs.time);
    }
    const double* const v = vs.data();
    const double* y = v;
    if (o.log_scale) {
        ys.resize(vs.size());
        y = ys.data();
    }
    std::optional<slope_cut> cut;  // slope_bracket(), at the first window whose slope is needed
    std::size_t logged = 0;        // ys[0, logged) hold ln of vs (those before a window's start may not)
    kendall_window kendall;
    for (std::size_t p = 0; p < index.size(); ++p) {
        const std::size_t begin = p + 1 > window ? p + 1 - window : 0;
        if (p - begin < need) continue;
        kendall.slide(v, begin, p + 1);
        const std::int64_t var18 = kendall.var18();
        if (var18 <= 0) continue;  // all values tied: not_evaluable
        detection_level& l = level[index[p]];
        l = detection_level::none;
        if (kendall.s <= 0) continue;  // not rising: none whatever p
        const double s_minus_1 = static_cast<double>(kendall.s - 1);
        if (18.0 * s_minus_1 * s_minus_1 < watch_z2_ * static_cast<double>(var18)) continue;  // p clearly ≥ watch_p
        const double mk_s = static_cast<double>(kendall.s);
        const detection_level raw =
            level_below(two_sided_normal_p(mann_kendall_z(mk_s, kendall.var_s())), o.watch_p, o.alert_p);
        if (raw == detection_level::none) continue;
        const std::size_t len = p - begin + 1;
        if (o.log_scale)
            for (std::size_t q = std::max(logged, begin); q <= p; ++q) ys[q] = std::log(v[q]);
        logged = p + 1;
        if (!cut) cut = slope_bracket(o, s.units_per_year);
        const int side = cut->valid ? median_slope_side({ts.data() + begin, len}, {y + begin, len}, *cut) : 0;
        if (side > 0) l = raw;
        if (side != 0) continue;
        const double slope = sen_slope_only({ts.data() + begin, len}, {y + begin, len}, buf.slopes);
        const double rise_per_year = o.log_scale ? std::expm1(slope * s.units_per_year) : slope * s.units_per_year;
        if (slope > 0.0 && rise_per_year >= o.min_rise) l = raw;
    }
    return true;
}

}  // namespace wbe::detectors
