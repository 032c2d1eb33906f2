#include "wbe/core/detectors/sen_slope.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include <boost/math/special_functions/erf.hpp>

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

void sliding_sen_slope::sorted_values::clear() noexcept {
    sorted.clear();
    irregular.clear();
}

void sliding_sen_slope::sorted_values::insert(std::vector<entry>& add) {
    const auto end = std::partition(add.begin(), add.end(), [](const entry& e) { return regular(e.value); });
    irregular.insert(irregular.end(), end, add.end());
    std::sort(add.begin(), end, [](const entry& a, const entry& b) { return a.value < b.value; });
    // Merge from the back, in place. The old values are many and the new few: each new value
    // ends one run of old ones, so the inner loop mispredicts once per new value (a merge
    // choosing at every element mispredicts twice).
    std::size_t i = sorted.size(), j = static_cast<std::size_t>(end - add.begin());
    sorted.resize(i + j);
    for (std::size_t w = sorted.size(); j > 0;) {
        const double b = add[j - 1].value;
        while (i > 0 && sorted[i - 1].value > b) sorted[--w] = sorted[--i];
        sorted[--w] = add[--j];
    }
}

void sliding_sen_slope::sorted_values::insert(const entry& e) {
    if (!regular(e.value)) {
        irregular.push_back(e);
        return;
    }
    std::size_t i = sorted.size();
    sorted.push_back(e);
    for (; i > 0 && sorted[i - 1].value > e.value; --i) sorted[i] = sorted[i - 1];
    sorted[i] = e;
}

// Branch-free compaction: which values leave is as random as the values.
void sliding_sen_slope::sorted_values::erase_before(std::size_t first) {
    for (auto* v : {&sorted, &irregular}) {
        std::size_t w = 0;
        for (const entry e : *v) {  // a copy: the store below may overwrite the element
            (*v)[w] = e;
            w += e.owner >= first;
        }
        v->resize(w);
    }
}

double sliding_sen_slope::sorted_values::median() const noexcept {
    const std::size_t n = sorted.size();
    if (n == 0) return nan;
    return n % 2 ? sorted[n / 2].value : 0.5 * (sorted[n / 2 - 1].value + sorted[n / 2].value);
}

void sliding_sen_slope::clear() noexcept {
    points_.clear();
    slopes_.clear();
    xs_.clear();
    ts_.clear();
}

void sliding_sen_slope::push_back(double t, double x, int season) {
    const point p{t, x, season};
    const std::size_t owner = first_ + points_.size();
    added_.clear();
    for (std::size_t i = 0; i < points_.size(); ++i) {
        const point& q = points_[i];
        if (pairs(q, p)) added_.push_back({(p.x - q.x) / (p.t - q.t), first_ + i});  // add_slopes' (x_j − x_i)/(t_j − t_i)
    }
    slopes_.insert(added_);
    xs_.insert({x, owner});
    ts_.insert({t, owner});
    points_.push_back(p);
}

void sliding_sen_slope::pop_front() {
    points_.erase(points_.begin());
    ++first_;
    slopes_.erase_before(first_);
    xs_.erase_before(first_);
    ts_.erase_before(first_);
}

sen_slope_result sliding_sen_slope::result() const {
    sen_slope_result r;
    r.n = points_.size();
    r.n_slopes = slopes_.sorted.size() + slopes_.irregular.size();
    if (r.n_slopes == 0) return r;
    if (slopes_.irregular.empty()) {
        r.slope = slopes_.median();
    } else {
        scratch_.clear();
        if (seasonal_) add_seasonal_slopes(points_, seasons_, scratch_);
        else add_slopes(points_, scratch_);
        r.slope = select_median(scratch_);
    }
    // finish()'s median(x) − slope · median(t); selection's even-n median is 0.5 (lower + upper) too.
    if (xs_.irregular.empty() && ts_.irregular.empty()) r.intercept = xs_.median() - r.slope * ts_.median();
    else r.intercept = conover_intercept(points_, r.slope, scratch_);
    return r;
}

}  // namespace wbe::detectors
