#include "wbe/core/detectors/mann_kendall.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "detail.hpp"

namespace wbe::detectors {

namespace {

// S = Σ_{i<j} sign(x_j − x_i), by comparisons so that ±∞ codes (e.g. a recoded censored tie)
// compare correctly.
double score(const std::vector<double>& v) {
    long long s = 0;
    const std::size_t n = v.size();
    for (std::size_t i = 0; i + 1 < n; ++i) {
        const double xi = v[i];
        for (std::size_t j = i + 1; j < n; ++j) s += (v[j] > xi) - (v[j] < xi);
    }
    return static_cast<double>(s);
}

// The tie-corrected var(S) of v from its tie term Σ_g t_g(t_g−1)(2t_g+5).
double variance_from(double n, double ties) { return (n * (n - 1.0) * (2.0 * n + 5.0) - ties) / 18.0; }

// The tie term by tie groups, sorting a copy of v in `sorted`.
double ties_by_sorting(const std::vector<double>& v, std::vector<double>& sorted) {
    double ties = 0.0;
    sorted.assign(v.begin(), v.end());
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t i = 0; i < sorted.size();) {
        std::size_t j = i + 1;
        while (j < sorted.size() && sorted[j] == sorted[i]) ++j;
        const double t = static_cast<double>(j - i);
        ties += t * (t - 1.0) * (2.0 * t + 5.0);
        i = j;
    }
    return ties;
}

// Up to this many values, S and the tie term come from one pass over the pairs, without a sort
// (whose comparisons of random values mispredict): a value of a tie group of t values equals
// t − 1 others, so Σ over its values of (c − 1)(2c + 5), c = 1 + the others it equals, is the
// group's t(t − 1)(2t + 5). Every term and partial sum is an integer below
// n(n − 1)(2n + 5) < 2⁵³, so the doubles are those of the sum by groups.
constexpr std::size_t max_pairwise_ties = 4096;

// S and var(S) of v (no NaN), with the buffers of `scratch` other than `values`.
void score_and_variance(const std::vector<double>& v, detail::kendall_scratch& scratch, double& s, double& var_s) {
    const std::size_t n = v.size();
    if (n > max_pairwise_ties) {
        s = score(v);
        var_s = variance_from(static_cast<double>(n), ties_by_sorting(v, scratch.sorted));
        return;
    }
    auto& equal = scratch.equal;  // per value, the others it equals
    equal.assign(n, 0);
    long long sum = 0;
    for (std::size_t i = 0; i + 1 < n; ++i) {
        const double xi = v[i];
        std::size_t equal_i = 0;
        for (std::size_t j = i + 1; j < n; ++j) {
            sum += (v[j] > xi) - (v[j] < xi);
            const std::size_t same = v[j] == xi;
            equal_i += same;
            equal[j] += same;
        }
        equal[i] += equal_i;
    }
    std::size_t ties = 0;
    for (std::size_t others : equal) ties += others * (2 * others + 7);  // (c − 1)(2c + 5), c = others + 1
    s = static_cast<double>(sum);
    var_s = variance_from(static_cast<double>(n), static_cast<double>(ties));
}

mann_kendall_result finish(std::size_t n, double s, double var_s, double pairs) {
    mann_kendall_result r;
    r.n = n;
    r.s = s;
    r.var_s = var_s;
    r.z = mann_kendall_z(s, var_s);
    r.p = two_sided_normal_p(r.z);
    r.tau = pairs > 0.0 ? s / pairs : std::numeric_limits<double>::quiet_NaN();
    return r;
}

// The term t(t − 1)(2t + 5) of a tie group of t values.
std::int64_t tie_term(std::int64_t t) { return t * (t - 1) * (2 * t + 5); }

// The values of x without NaN, in `out`.
void finite_values(std::span<const double> x, std::vector<double>& out) {
    out.clear();
    for (double a : x)
        if (!std::isnan(a)) out.push_back(a);
}

}  // namespace

namespace detail {

mann_kendall_result mann_kendall_with(std::span<const double> x, kendall_scratch& scratch) {
    finite_values(x, scratch.values);
    const std::vector<double>& v = scratch.values;
    const double n = static_cast<double>(v.size());
    double s = 0.0, var_s = 0.0;
    score_and_variance(v, scratch, s, var_s);
    return finish(v.size(), s, var_s, 0.5 * n * (n - 1.0));
}

mann_kendall_result seasonal_kendall_with(std::span<const double> x, std::span<const int> season,
                                          kendall_scratch& scratch) {
    // The non-NaN values by season, ascending, each season in the order of x.
    auto& order = scratch.order;
    order.clear();
    const std::size_t m = std::min(x.size(), season.size());
    for (std::size_t i = 0; i < m; ++i)
        if (!std::isnan(x[i])) order.push_back(i);
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return season[a] != season[b] ? season[a] < season[b] : a < b; });
    std::size_t n = 0;
    double s = 0.0, var_s = 0.0, pairs = 0.0;
    for (std::size_t g = 0; g < order.size();) {
        auto& v = scratch.values;
        v.clear();
        std::size_t h = g;
        for (; h < order.size() && season[order[h]] == season[order[g]]; ++h) v.push_back(x[order[h]]);
        g = h;
        const double k = static_cast<double>(v.size());
        double season_s = 0.0, season_var = 0.0;
        score_and_variance(v, scratch, season_s, season_var);
        n += v.size();
        s += season_s;
        var_s += season_var;
        pairs += 0.5 * k * (k - 1.0);
    }
    return finish(n, s, var_s, pairs);
}

}  // namespace detail

double mann_kendall_z(double s, double var_s) noexcept {
    if (s == 0.0 || !(var_s > 0.0)) return 0.0;
    return (s > 0.0 ? s - 1.0 : s + 1.0) / std::sqrt(var_s);
}

double two_sided_normal_p(double z) noexcept {
    if (std::isnan(z)) return z;
    return std::erfc(std::abs(z) / std::sqrt(2.0));
}

double mann_kendall_variance(std::span<const double> x) {
    std::vector<double> v, sorted;
    finite_values(x, v);
    return variance_from(static_cast<double>(v.size()), ties_by_sorting(v, sorted));
}

mann_kendall_result mann_kendall(std::span<const double> x) {
    detail::kendall_scratch scratch;
    return detail::mann_kendall_with(x, scratch);
}

mann_kendall_result seasonal_kendall(std::span<const double> x, std::span<const int> season) {
    detail::kendall_scratch scratch;
    return detail::seasonal_kendall_with(x, season, scratch);
}

void sliding_mann_kendall::clear() noexcept {
    values_.clear();
    s_ = 0;
    ties_ = 0;
}

void sliding_mann_kendall::push_back(double x) {
    std::int64_t equal = 1;  // the tie group x joins, x included
    for (double v : values_) {
        s_ += (x > v) - (x < v);  // score()'s sign(x_j − x_i) for the pair (v, x)
        equal += x == v;
    }
    ties_ += tie_term(equal) - tie_term(equal - 1);
    values_.push_back(x);
}

void sliding_mann_kendall::pop_front() {
    const double x = values_.front();
    values_.erase(values_.begin());
    std::int64_t equal = 1;  // the tie group x leaves, x included
    for (double v : values_) {
        s_ -= (v > x) - (v < x);  // the pair (x, v)
        equal += x == v;
    }
    ties_ -= tie_term(equal) - tie_term(equal - 1);
}

double sliding_mann_kendall::var_s() const noexcept {
    return variance_from(static_cast<double>(values_.size()), static_cast<double>(ties_));
}

mann_kendall_result sliding_mann_kendall::result() const {
    const double n = static_cast<double>(values_.size());
    return finish(values_.size(), static_cast<double>(s_), variance_from(n, static_cast<double>(ties_)), 0.5 * n * (n - 1.0));
}

}  // namespace wbe::detectors
