#include "wbe/core/detectors/sen_slope.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <map>
#include <vector>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <boost/math/special_functions/erf.hpp>

#include "detail.hpp"

namespace wbe::detectors {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

struct point {
    double t;
    double x;
};

std::vector<point> finite_points(std::span<const double> t, std::span<const double> x) {
    std::vector<point> p;
    const std::size_t m = std::min(t.size(), x.size());
    p.reserve(m);
    for (std::size_t i = 0; i < m; ++i)
        if (std::isfinite(t[i]) && !std::isnan(x[i])) p.push_back({t[i], x[i]});
    return p;
}

template <class Points>
void add_slopes(const Points& p, std::vector<double>& slopes) {
    for (std::size_t i = 0; i + 1 < p.size(); ++i)
        for (std::size_t j = i + 1; j < p.size(); ++j)
            if (p[j].t != p[i].t) slopes.push_back((p[j].x - p[i].x) / (p[j].t - p[i].t));
}

double sorted_median(const std::vector<double>& v) {
    const std::size_t n = v.size();
    if (n == 0) return nan;
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Tie-group statistics of one variable: Σt(t−1)(2t+5), Σt(t−1)(t−2), Σt(t−1).
struct tie_sums {
    double a = 0.0, b = 0.0, c = 0.0;
};
tie_sums ties_of(std::vector<double> v) {
    tie_sums s;
    std::sort(v.begin(), v.end());
    for (std::size_t i = 0; i < v.size();) {
        std::size_t j = i + 1;
        while (j < v.size() && v[j] == v[i]) ++j;
        const double t = static_cast<double>(j - i);
        s.a += t * (t - 1.0) * (2.0 * t + 5.0);
        s.b += t * (t - 1.0) * (t - 2.0);
        s.c += t * (t - 1.0);
        i = j;
    }
    return s;
}

// Kendall's var(S) with ties in both variables (Kendall 1975, eq. 4.4; EnvStats `vark`).
double kendall_variance(const std::vector<point>& p) {
    const double n = static_cast<double>(p.size());
    if (p.size() < 2) return 0.0;
    std::vector<double> t, x;
    for (const auto& q : p) {
        t.push_back(q.t);
        x.push_back(q.x);
    }
    const tie_sums tt = ties_of(std::move(t));
    const tie_sums tx = ties_of(std::move(x));
    const double v1 = (n * (n - 1.0) * (2.0 * n + 5.0) - tt.a - tx.a) / 18.0;
    const double v2 = p.size() > 2 ? tt.b * tx.b / (9.0 * n * (n - 1.0) * (n - 2.0)) : 0.0;
    const double v3 = tt.c * tx.c / (2.0 * n * (n - 1.0));
    return v1 + v2 + v3;
}

// R's approx(1:N, sorted, xout = rank): linear between neighbours, NaN outside [1, N].
double at_rank(const std::vector<double>& sorted, double rank) {
    const double n = static_cast<double>(sorted.size());
    if (!(rank >= 1.0 && rank <= n)) return nan;
    const double lo = std::floor(rank);
    const std::size_t i = static_cast<std::size_t>(lo) - 1;
    if (rank == lo) return sorted[i];
    return sorted[i] + (rank - lo) * (sorted[i + 1] - sorted[i]);
}

bool wants_interval(double confidence) { return confidence > 0.0 && confidence < 1.0; }

// Median by selection (reorders v); NaN when empty.
double select_median(std::vector<double>& v) {
    const std::size_t n = v.size();
    if (n == 0) return nan;
    const auto mid = v.begin() + static_cast<std::ptrdiff_t>(n / 2);
    std::nth_element(v.begin(), mid, v.end());
    return n % 2 ? *mid : 0.5 * (*std::max_element(v.begin(), mid) + *mid);
}

// Conover's intercept, median(x) − slope · median(t) over all points (any type with t and x).
template <class Points>
double conover_intercept(const Points& all, double slope, std::vector<double>& scratch) {
    scratch.clear();
    for (const auto& q : all) scratch.push_back(q.x);
    const double mx = select_median(scratch);
    scratch.clear();
    for (const auto& q : all) scratch.push_back(q.t);
    return mx - slope * select_median(scratch);
}

sen_slope_result finish(const std::vector<point>& all, std::vector<double> slopes, double var_s, double confidence) {
    sen_slope_result r;
    r.n = all.size();
    r.n_slopes = slopes.size();
    r.var_s = var_s;
    if (slopes.empty()) return r;
    const bool interval = wants_interval(confidence) && var_s > 0.0;
    if (interval) {
        std::sort(slopes.begin(), slopes.end());
        r.slope = sorted_median(slopes);
    } else {
        r.slope = select_median(slopes);
    }
    std::vector<double> scratch;
    scratch.reserve(all.size());
    r.intercept = conover_intercept(all, r.slope, scratch);
    if (interval) {
        // z_{1−α/2} = √2 · erfc⁻¹(α)
        const double z = std::sqrt(2.0) * boost::math::erfc_inv(1.0 - confidence);
        const double c = z * std::sqrt(var_s);
        const double n = static_cast<double>(slopes.size());
        r.lower = at_rank(slopes, (n - c) / 2.0);
        r.upper = at_rank(slopes, (n + c) / 2.0 + 1.0);
    }
    return r;
}

// The slopes of seasonal_sen_slope() in its order: season by season, ascending, and within a
// season the pairs of add_slopes().
template <class Points>
void add_seasonal_slopes(const Points& p, std::vector<int>& seasons, std::vector<double>& slopes) {
    seasons.clear();
    for (const auto& q : p) seasons.push_back(q.season);
    std::sort(seasons.begin(), seasons.end());
    seasons.erase(std::unique(seasons.begin(), seasons.end()), seasons.end());
    for (int season : seasons)
        for (std::size_t i = 0; i + 1 < p.size(); ++i) {
            if (p[i].season != season) continue;
            for (std::size_t j = i + 1; j < p.size(); ++j)
                if (p[j].season == season && p[j].t != p[i].t) slopes.push_back((p[j].x - p[i].x) / (p[j].t - p[i].t));
        }
}

}  // namespace

sen_slope_result sen_slope(std::span<const double> t, std::span<const double> x, double confidence) {
    const std::vector<point> p = finite_points(t, x);
    std::vector<double> slopes;
    slopes.reserve(p.size() * (p.size() > 0 ? p.size() - 1 : 0) / 2);
    add_slopes(p, slopes);
    return finish(p, std::move(slopes), wants_interval(confidence) ? kendall_variance(p) : nan, confidence);
}

double sen_slope_only(std::span<const double> t, std::span<const double> x, std::vector<double>& slopes) {
    // finite_points() and add_slopes() without the copy: pairs of kept points in their order.
    const auto kept = [&](std::size_t i) { return std::isfinite(t[i]) && !std::isnan(x[i]); };
    slopes.clear();
    const std::size_t m = std::min(t.size(), x.size());
    for (std::size_t i = 0; i + 1 < m; ++i) {
        if (!kept(i)) continue;
        for (std::size_t j = i + 1; j < m; ++j)
            if (kept(j) && t[j] != t[i]) slopes.push_back((x[j] - x[i]) / (t[j] - t[i]));
    }
    return select_median(slopes);  // finish() without an interval; NaN without slopes
}

sen_slope_result seasonal_sen_slope(std::span<const double> t, std::span<const double> x, std::span<const int> season,
                                    double confidence) {
    std::map<int, std::vector<point>> by_season;
    std::vector<point> all;
    const std::size_t m = std::min({t.size(), x.size(), season.size()});
    for (std::size_t i = 0; i < m; ++i)
        if (std::isfinite(t[i]) && !std::isnan(x[i])) {
            by_season[season[i]].push_back({t[i], x[i]});
            all.push_back({t[i], x[i]});
        }
    std::vector<double> slopes;
    double var_s = wants_interval(confidence) ? 0.0 : nan;
    for (const auto& [label, p] : by_season) {
        add_slopes(p, slopes);
        if (wants_interval(confidence)) var_s += kendall_variance(p);
    }
    return finish(all, std::move(slopes), var_s, confidence);
}

namespace {

// ---- The middle slopes of a sliding window, by counting (sliding_sen_slope::result()) ----------
//
// The slopes are the non-NaN values of a triangle v[0, len) (NaN marks a slot pair without a
// slope), m of them, none −0 (the caller selects otherwise). Wanted: the values of ranks
// k1 = ⌊(m − 1)/2⌋ and k2 = ⌊m/2⌋ (0-based), whose mean (or, for odd m, the one value) is the
// median. With `below` values under lo and the `inside` values in [lo, hi] sorted, these are
// inside[k1 − below] and inside[k2 − below] whenever below ≤ k1 and below + inside > k2. The
// search guesses [lo, hi] from a value of known rank (an anchor: the last window's lower middle
// slope, the values below it counted as slopes enter and leave) and the spacing of the values
// near it, est(k) = anchor + (k − rank + ½)·spacing, with a margin of `margin` ranks each side.
// A pass that misses tells how many values lie below and inside, which gives a new anchor and
// spacing; bounds proven by the passes so far (value(k1) ≥ L, value(k2) ≤ H) clamp every guess.

constexpr std::size_t max_sorted = 16;  // values sorted by a network at the end of a search
constexpr double margin = 3.0;          // ranks beyond the middle ones in a guess
constexpr int max_passes = 4;           // passes before plain selection

#if defined(__SSE2__)
std::size_t lane_sum(__m128i v) noexcept {
    alignas(16) std::int64_t lanes[2];
    _mm_store_si128(reinterpret_cast<__m128i*>(lanes), v);
    return static_cast<std::size_t>(lanes[0] + lanes[1]);
}
#endif

// The values of v[0, len) below x (NaN: none).
std::size_t count_below(const double* v, std::size_t len, double x) noexcept {
    std::size_t i = 0, below = 0;
#if defined(__SSE2__)
    {  // two values at a time: each comparison's mask is −1 in a 64-bit lane
        const __m128d x2 = _mm_set1_pd(x);
        __m128i b = _mm_setzero_si128();
        for (; i + 2 <= len; i += 2) b = _mm_sub_epi64(b, _mm_castpd_si128(_mm_cmplt_pd(_mm_loadu_pd(v + i), x2)));
        below = lane_sum(b);
    }
#endif
    for (; i < len; ++i) below += v[i] < x;
    return below;
}

// One pass of the search: the values of v[0, len) below lo, and those in [lo, hi], counted and
// marked in `marks` (bit i % 64 of word i / 64). NaN is neither.
struct bracket_count {
    std::size_t below = 0;
    std::size_t inside = 0;
};
bracket_count count_bracket(const double* v, std::size_t len, double lo, double hi, std::uint64_t* marks) noexcept {
    bracket_count c;
    std::uint64_t bits = 0;  // the current word, stored when full: an |= to memory per value would
                             // chain every value to the store of the one before
    std::size_t i = 0;
#if defined(__SSE2__)
    {  // eight values at a time, two per comparison; their 8 bits go in at a constant shift each
        const __m128d lo2 = _mm_set1_pd(lo), hi2 = _mm_set1_pd(hi);
        __m128i below = _mm_setzero_si128(), inside = below;
        const auto pair = [&](std::size_t k) {
            const __m128d x = _mm_loadu_pd(v + k);
            const __m128d lt = _mm_cmplt_pd(x, lo2);
            const __m128d in = _mm_andnot_pd(lt, _mm_cmple_pd(x, hi2));
            below = _mm_sub_epi64(below, _mm_castpd_si128(lt));
            inside = _mm_sub_epi64(inside, _mm_castpd_si128(in));
            return static_cast<std::uint64_t>(_mm_movemask_pd(in));
        };
        for (; i + 8 <= len; i += 8) {
            const std::uint64_t byte = pair(i) | pair(i + 2) << 2 | pair(i + 4) << 4 | pair(i + 6) << 6;
            bits |= byte << (i % 64);
            if (i % 64 == 56) {
                marks[i / 64] = bits;
                bits = 0;
            }
        }
        c.below = lane_sum(below);
        c.inside = lane_sum(inside);
    }
#endif
    for (; i < len; ++i) {
        const bool lt = v[i] < lo, in = !lt && v[i] <= hi;
        c.below += lt;
        c.inside += in;
        bits |= static_cast<std::uint64_t>(in) << (i % 64);
        if (i % 64 == 63) {
            marks[i / 64] = bits;
            bits = 0;
        }
    }
    if (len % 64 != 0) marks[len / 64] = bits;
    return c;
}

// The marked values of v, in out[0, n) (n = the number of marks), in index order.
void gather_marked(const double* v, std::size_t len, const std::uint64_t* marks, double* out) noexcept {
    std::size_t n = 0;
    for (std::size_t w = 0; w * 64 < len; ++w)
        for (std::uint64_t bits = marks[w]; bits != 0; bits &= bits - 1)
            out[n++] = v[w * 64 + static_cast<std::size_t>(std::countr_zero(bits))];
}

// a[0, n), n ≤ 16, sorted ascending in a[0, n) by a network (+∞ pads the rest; a real +∞ sorts
// with the same bits).
void sort_few(double (&a)[max_sorted], std::size_t n) noexcept {
    std::fill(a + n, a + max_sorted, std::numeric_limits<double>::infinity());
    if (n <= 8) detail::sort_network_8(a);
    else detail::sort_network_16(a);
}

// The spacing of sorted values near ranks j1 ≤ j2 of a[0, n): the mean gap over `margin` ranks
// each side, or NaN when that is not a positive finite number.
double spacing_near(const double* a, std::size_t n, std::size_t j1, std::size_t j2) noexcept {
    const std::size_t r = static_cast<std::size_t>(margin);
    const std::size_t lo = j1 >= r ? j1 - r : 0, hi = std::min(j2 + r, n - 1);
    if (hi <= lo) return nan;
    const double s = (a[hi] - a[lo]) / static_cast<double>(hi - lo);
    return s > 0.0 && s < std::numeric_limits<double>::infinity() ? s : nan;
}

struct middle {
    double lower;  // rank k1
    double upper;  // rank k2
};

// Where the next search starts (sliding_sen_slope::median_hint's fields).
struct search_start {
    double& anchor;
    double& spacing;
    std::size_t& below;  // values below anchor
};

// The middle values by selection over all of them, as select_median(), and the start of the next
// search.
middle select_middle(const double* v, std::size_t len, std::size_t m, const search_start& next,
                     std::vector<double>& scratch) {
    scratch.clear();
    for (std::size_t i = 0; i < len; ++i)
        if (!std::isnan(v[i])) scratch.push_back(v[i]);
    const std::size_t k1 = (m - 1) / 2, k2 = m / 2;
    const auto first = scratch.begin(), mid = first + static_cast<std::ptrdiff_t>(k2);
    std::nth_element(first, mid, scratch.end());
    const middle r{k1 == k2 ? *mid : *std::max_element(first, mid), *mid};
    // The values `margin` ranks beyond the middle ones, for the spacing: each side is already
    // on its side of the upper middle value.
    const std::size_t d = static_cast<std::size_t>(margin);
    const std::size_t lo = k1 >= d ? k1 - d : 0, hi = std::min(k2 + d, m - 1);
    double v_lo = r.lower, v_hi = r.upper;
    if (hi > k2) {
        std::nth_element(mid + 1, first + static_cast<std::ptrdiff_t>(hi), scratch.end());
        v_hi = scratch[hi];
    }
    if (lo < k1) {
        std::nth_element(first, first + static_cast<std::ptrdiff_t>(lo), mid);
        v_lo = scratch[lo];
    }
    next.anchor = r.lower;
    next.below = count_below(v, len, r.lower);
    const double s = hi > lo ? (v_hi - v_lo) / static_cast<double>(hi - lo) : nan;
    next.spacing = s > 0.0 && s < std::numeric_limits<double>::infinity() ? s : nan;
    return r;
}

// The middle values of the m non-NaN values of v[0, len) (none −0), searched from `start` (the
// anchor's count of values below it must be this window's), which is updated for the next
// window. `marks` holds (len + 63)/64 words.
middle middle_values(const double* v, std::size_t len, std::size_t m, const search_start& start, std::uint64_t* marks,
                     std::vector<double>& scratch) {
    constexpr double inf = std::numeric_limits<double>::infinity();
    const std::size_t k1 = (m - 1) / 2, k2 = m / 2;
    double lo = -inf, hi = inf;              // the guess: every value when there are few
    double known_lo = -inf, known_hi = inf;  // L and H above
    double anchor = start.anchor, rank = 0.0, step = start.spacing;
    if (m > max_sorted) {
        if (!(std::isfinite(anchor) && step > 0.0 && step < inf)) return select_middle(v, len, m, start, scratch);
        if (start.below <= k1) known_lo = anchor;  // value(k1) ≥ anchor
        if (start.below > k2) known_hi = anchor;   // value(k2) < anchor
        rank = static_cast<double>(start.below);
    }
    for (int pass = 0; pass < max_passes; ++pass) {
        if (m > max_sorted) {
            lo = std::max(known_lo, anchor + (static_cast<double>(k1) - rank + 0.5 - margin) * step);
            hi = std::min(known_hi, anchor + (static_cast<double>(k2) - rank + 0.5 + margin) * step);
        }
        const bracket_count c = count_bracket(v, len, lo, hi, marks);
        const std::size_t upto = c.below + c.inside;
        if (c.below <= k1 && upto > k2 && c.inside <= max_sorted) {
            double a[max_sorted];
            gather_marked(v, len, marks, a);
            sort_few(a, c.inside);
            const std::size_t j1 = k1 - c.below, j2 = k2 - c.below;
            std::size_t first = j1;  // of the values equal to the new anchor
            while (first > 0 && a[first - 1] == a[j1]) --first;
            const double s = spacing_near(a, c.inside, j1, j2);
            start.anchor = a[j1];
            start.below = c.below + first;
            start.spacing = std::isnan(s) ? start.spacing : std::isnan(start.spacing) ? s : 0.5 * (start.spacing + s);
            return {a[j1], a[j2]};
        }
        if (c.below <= k1) known_lo = std::max(known_lo, lo);
        if (upto > k2) known_hi = std::min(known_hi, hi);
        if (c.below > k2) known_hi = std::min(known_hi, lo);  // value(k2) < lo
        if (upto <= k1) known_lo = std::max(known_lo, hi);    // value(k1) > hi
        // lo has a known rank (the values below it) and the pass measured the spacing in [lo, hi]
        anchor = lo;
        rank = static_cast<double>(c.below);
        step = c.inside >= 2 ? (hi - lo) / static_cast<double>(c.inside) : 2.0 * step;
    }
    return select_middle(v, len, m, start, scratch);
}

bool negative_zero(double v) noexcept { return v == 0.0 && std::signbit(v); }
bool regular(double v) noexcept { return !std::isnan(v) && !negative_zero(v); }

// Where the slope of slots a ≠ b sits in the triangle: row max(a, b), column min(a, b).
std::size_t pair_index(std::size_t a, std::size_t b) noexcept {
    return a < b ? b * (b - 1) / 2 + a : a * (a - 1) / 2 + b;
}

// The slopes of a point entering the window against slots [b0, b1) of the ring (t, x, season),
// into out[b0, b1): add_slopes()' (x_j − x_i)/(t_j − t_i), or NaN where the two make no pair.
// Branch-free: every division is done and the NaN or ±∞ of a non-pair dropped. Counts the pairs
// (adding one to later_pairs[b] of each partner), the slopes below `anchor`, and whether a slope
// is irregular (NaN or −0).
struct entering {
    double t, x;
    int season;
    bool seasonal;
    double anchor;
    std::size_t pairs = 0, below = 0;
    bool irregular = false;
};
void slopes_against(entering& e, const double* ts, const double* xs, const int* seasons, std::uint64_t* later_pairs,
                    std::size_t b0, std::size_t b1, double* out) noexcept {
    std::size_t b = b0;
#if defined(__SSE2__)
    {  // two slots at a time; a mask is −1 in each 64-bit lane where it holds
        const __m128d t2 = _mm_set1_pd(e.t), x2 = _mm_set1_pd(e.x), anchor2 = _mm_set1_pd(e.anchor);
        const __m128d nan2 = _mm_set1_pd(nan), zero = _mm_setzero_pd();
        const __m128i season2 = _mm_set1_epi32(e.season);
        __m128i pairs = _mm_setzero_si128(), below = pairs;
        int irregular = 0;
        for (; b + 2 <= b1; b += 2) {
            const __m128d tb = _mm_loadu_pd(ts + b);
            __m128d pair = _mm_cmpneq_pd(t2, tb);
            if (e.seasonal) {  // the two seasons' equality, widened from 32-bit to 64-bit lanes
                const __m128i same = _mm_cmpeq_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(seasons + b)), season2);
                pair = _mm_and_pd(pair, _mm_castsi128_pd(_mm_unpacklo_epi32(same, same)));
            }
            const __m128d slope = _mm_div_pd(_mm_sub_pd(x2, _mm_loadu_pd(xs + b)), _mm_sub_pd(t2, tb));
            const __m128d entry = _mm_or_pd(_mm_and_pd(pair, slope), _mm_andnot_pd(pair, nan2));
            _mm_storeu_pd(out + b, entry);
            below = _mm_sub_epi64(below, _mm_castpd_si128(_mm_cmplt_pd(entry, anchor2)));
            const __m128i pair_i = _mm_castpd_si128(pair);
            pairs = _mm_sub_epi64(pairs, pair_i);
            auto* later = reinterpret_cast<__m128i*>(later_pairs + b);
            _mm_storeu_si128(later, _mm_sub_epi64(_mm_loadu_si128(later), pair_i));
            // NaN, or ±0 with its sign bit: the sign bits of (unordered | (== 0 & slope))
            const __m128d odd = _mm_or_pd(_mm_cmpunord_pd(slope, slope), _mm_and_pd(_mm_cmpeq_pd(slope, zero), slope));
            irregular |= _mm_movemask_pd(_mm_and_pd(odd, pair));
        }
        e.pairs += lane_sum(pairs);
        e.below += lane_sum(below);
        e.irregular = e.irregular || irregular != 0;
    }
#endif
    for (; b < b1; ++b) {
        const bool pair = e.t != ts[b] && (!e.seasonal || e.season == seasons[b]);
        const double slope = (e.x - xs[b]) / (e.t - ts[b]);
        out[b] = pair ? slope : nan;
        e.below += out[b] < e.anchor;
        later_pairs[b] += pair;
        e.pairs += pair;
        e.irregular = e.irregular || (pair && !regular(slope));
    }
}

// The values v[0, n) below x (NaN: none), each then set to NaN.
std::size_t count_below_and_blank(double* v, std::size_t n, double x) noexcept {
    const std::size_t below = count_below(v, n, x);
    std::fill_n(v, n, nan);
    return below;
}

// Sorted values with sentinels: a[0] = −∞, the n values ascending in a[1, n], +∞ from a[n + 1] on
// (at least to a[n + 2]). Branch-free insertion of v: b[i] = min(a[i], max(a[i − 1], v)) is a[i]
// below v's place, v at it and a[i − 1] above it; from the top down, so that a[i − 1] is still
// the old one.
void insert_sorted(double* a, std::size_t n, double v) noexcept {
    std::size_t i = n + 1;  // the highest index written
#if defined(__SSE2__)
    const __m128d v2 = _mm_set1_pd(v);
    for (; i >= 2; i -= 2)
        _mm_storeu_pd(a + i - 1, _mm_min_pd(_mm_loadu_pd(a + i - 1), _mm_max_pd(_mm_loadu_pd(a + i - 2), v2)));
#endif
    for (; i >= 1; --i) a[i] = std::min(a[i], std::max(a[i - 1], v));
}
// The same with one value equal to v removed: b[i] = a[i] below v's first place, a[i + 1] from it;
// from the bottom up.
void erase_sorted(double* a, std::size_t n, double v) noexcept {
    std::size_t i = 1;
#if defined(__SSE2__)
    const __m128d v2 = _mm_set1_pd(v);
    for (; i + 1 <= n; i += 2) {
        const __m128d here = _mm_loadu_pd(a + i), lt = _mm_cmplt_pd(here, v2);
        _mm_storeu_pd(a + i, _mm_or_pd(_mm_and_pd(lt, here), _mm_andnot_pd(lt, _mm_loadu_pd(a + i + 1))));
    }
#endif
    for (; i <= n; ++i) a[i] = a[i] < v ? a[i] : a[i + 1];
}

}  // namespace

void sliding_sen_slope::set_capacity(std::size_t points) {
    if (points != t_.size()) regrow(std::max(points, size_));
}

void sliding_sen_slope::regrow(std::size_t capacity) {
    if (size_ == 0) {  // nothing to keep: the buffers are reused
        t_.assign(capacity, 0.0);
        x_.assign(capacity, 0.0);
        season_.assign(capacity, 0);
        later_pairs_.assign(capacity, 0);
        irregular_.assign(capacity, 0);
        slopes_.assign(capacity * (capacity > 0 ? capacity - 1 : 0) / 2, nan);
        head_ = 0;
        entering_.resize(capacity);
        sort_x();
        marks_.resize((slopes_.size() + 63) / 64);
        return;
    }
    std::vector<double> t(capacity), x(capacity);
    std::vector<int> season(capacity);
    std::vector<std::uint64_t> later_pairs(capacity);
    std::vector<char> irregular(capacity);
    std::vector<double> slopes(capacity * (capacity > 0 ? capacity - 1 : 0) / 2, nan);
    for (std::size_t j = 0; j < size_; ++j) {
        const std::size_t b = slot_of(j);
        t[j] = t_[b];
        x[j] = x_[b];
        season[j] = season_[b];
        later_pairs[j] = later_pairs_[b];
        irregular[j] = irregular_[b];
        for (std::size_t i = 0; i < j; ++i) slopes[j * (j - 1) / 2 + i] = slopes_[pair_index(slot_of(i), b)];
    }
    t_.swap(t);
    x_.swap(x);
    season_.swap(season);
    later_pairs_.swap(later_pairs);
    irregular_.swap(irregular);
    slopes_.swap(slopes);
    head_ = 0;
    entering_.resize(capacity);
    sort_x();
    marks_.resize((slopes_.size() + 63) / 64);
}

void sliding_sen_slope::sort_x() {
    sorted_x_.assign(t_.size() + 3, std::numeric_limits<double>::infinity());
    sorted_x_[0] = -std::numeric_limits<double>::infinity();
    for (std::size_t k = 0; k < size_; ++k) sorted_x_[k + 1] = x_[slot_of(k)];
    std::sort(sorted_x_.begin() + 1, sorted_x_.begin() + 1 + static_cast<std::ptrdiff_t>(size_));
}

void sliding_sen_slope::clear() noexcept {
    head_ = size_ = 0;
    std::fill(slopes_.begin(), slopes_.end(), nan);
    std::fill(sorted_x_.begin() + (sorted_x_.empty() ? 0 : 1), sorted_x_.end(), std::numeric_limits<double>::infinity());
    n_slopes_ = irregular_points_ = 0;
    negative_zero_x_ = negative_zero_t_ = descents_ = 0;
    hint_ = {};
}

void sliding_sen_slope::push_back(double t, double x, int season) {
    if (size_ == t_.size()) regrow(std::max<std::size_t>(2 * t_.size(), 4));
    const std::size_t capacity = t_.size(), s = slot_of(size_);
    if (size_ > 0 && !(t > t_[slot_of(size_ - 1)])) ++descents_;
    // sorted_x_ holds the window's x while none is −0 (which equals +0 with other bits, so the
    // insertions and removals could mix them up); it is rebuilt when the last −0 leaves.
    if (negative_zero(x)) ++negative_zero_x_;
    else if (negative_zero_x_ == 0) insert_sorted(sorted_x_.data(), size_, x);
    negative_zero_t_ += negative_zero(t);
    // The slopes with the window's slots: those below s are s's row of the triangle (contiguous),
    // [head_, s), or [0, s) and [head_, capacity) when the window wraps around the ring's end;
    // those above s go down their column.
    entering e{t, x, season, seasonal_, hint_.anchor};
    const bool wraps = head_ > s;
    const std::size_t row = s * (s > 0 ? s - 1 : 0) / 2, first = wraps ? 0 : head_;
    slopes_against(e, t_.data(), x_.data(), season_.data(), later_pairs_.data(), first, s, slopes_.data() + row);
    if (wraps) {
        slopes_against(e, t_.data(), x_.data(), season_.data(), later_pairs_.data(), head_, capacity, entering_.data());
        for (std::size_t b = head_; b < capacity; ++b) slopes_[b * (b - 1) / 2 + s] = entering_[b];
    }
    t_[s] = t;
    x_[s] = x;
    season_[s] = season;
    later_pairs_[s] = 0;
    irregular_[s] = 0;
    n_slopes_ += e.pairs;
    hint_.below += e.below;
    ++size_;
    if (e.irregular) {  // mark both points of every irregular slope (rare: infinite x, or −0)
        for (std::size_t k = 0; k + 1 < size_; ++k) {
            const std::size_t b = slot_of(k);
            const double slope = slopes_[pair_index(b, s)];
            if (t != t_[b] && (!seasonal_ || season == season_[b]) && !regular(slope)) {
                irregular_points_ += !irregular_[b];
                irregular_[b] = 1;
            }
        }
        irregular_[s] = 1;
        ++irregular_points_;
    }
}

void sliding_sen_slope::pop_front() {
    const std::size_t a = head_, capacity = t_.size();
    n_slopes_ -= later_pairs_[a];  // all of the oldest point's pairs are with later points
    irregular_points_ -= irregular_[a] != 0;
    negative_zero_t_ -= negative_zero(t_[a]);
    if (size_ > 1 && !(t_[slot_of(1)] > t_[a])) --descents_;
    // An empty slot's pairs are NaN: blank a's with every other slot (no need to tell which hold
    // a point), counting those below the search's anchor on the way.
    const double anchor = hint_.anchor;
    const std::size_t row = a * (a > 0 ? a - 1 : 0) / 2;
    std::size_t below = count_below_and_blank(slopes_.data() + row, a, anchor);
    for (std::size_t b = a + 1; b < capacity; ++b) {
        const std::size_t i = b * (b - 1) / 2 + a;
        below += slopes_[i] < anchor;
        slopes_[i] = nan;
    }
    hint_.below -= below;
    head_ = a + 1 == capacity ? 0 : a + 1;
    --size_;
    if (negative_zero(x_[a])) {
        if (--negative_zero_x_ == 0) sort_x();
    } else if (negative_zero_x_ == 0) {
        erase_sorted(sorted_x_.data(), size_ + 1, x_[a]);
    }
}

void sliding_sen_slope::window_points() const {
    scratch_points_.clear();
    for (std::size_t k = 0; k < size_; ++k) {
        const std::size_t b = slot_of(k);
        scratch_points_.push_back({t_[b], x_[b], season_[b]});
    }
}

sen_slope_result sliding_sen_slope::result() const {
    sen_slope_result r;
    r.n = size_;
    r.n_slopes = n_slopes_;
    if (n_slopes_ == 0) return r;
    bool ordered = false;  // scratch_points_ holds the window
    const auto in_order = [&]() -> const std::vector<point>& {
        if (!ordered) window_points();
        ordered = true;
        return scratch_points_;
    };
    if (irregular_points_ == 0) {
        const middle mid = middle_values(slopes_.data(), slopes_.size(), n_slopes_,
                                         {hint_.anchor, hint_.spacing, hint_.below}, marks_.data(), scratch_);
        r.slope = n_slopes_ % 2 ? mid.upper : 0.5 * (mid.lower + mid.upper);  // select_median()'s
    } else {
        scratch_.clear();
        if (seasonal_) add_seasonal_slopes(in_order(), seasons_, scratch_);
        else add_slopes(in_order(), scratch_);
        r.slope = select_median(scratch_);
    }
    // finish()'s median(x) − slope · median(t). Without −0 a median is an order statistic, one
    // value whichever way it is found: the middle of the sorted x, and of the times when they
    // ascend strictly (no ties there either). With −0, select_median() over the window in order.
    const std::size_t half = size_ / 2;
    const auto middle_of = [&](const auto& value_at) {
        return size_ % 2 == 1 ? value_at(half) : 0.5 * (value_at(half - 1) + value_at(half));
    };
    const auto ordered_median = [&](double point::*field) {
        scratch_.clear();
        for (const point& q : in_order()) scratch_.push_back(q.*field);
        return select_median(scratch_);
    };
    const double mx =
        negative_zero_x_ == 0 ? middle_of([&](std::size_t k) { return sorted_x_[k + 1]; }) : ordered_median(&point::x);
    double mt;
    if (descents_ == 0) mt = middle_of([&](std::size_t k) { return t_[slot_of(k)]; });
    else if (negative_zero_t_ == 0 && size_ <= max_sorted) {
        double a[max_sorted];
        for (std::size_t k = 0; k < size_; ++k) a[k] = t_[slot_of(k)];
        sort_few(a, size_);
        mt = middle_of([&](std::size_t k) { return a[k]; });
    } else {
        mt = ordered_median(&point::t);  // the order statistic too when no t is −0
    }
    r.intercept = mx - r.slope * mt;
    return r;
}

}  // namespace wbe::detectors
