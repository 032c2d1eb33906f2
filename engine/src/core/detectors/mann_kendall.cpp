#include "wbe/core/detectors/mann_kendall.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

namespace wbe::detectors {

namespace {

std::vector<double> finite_values(std::span<const double> x) {
    std::vector<double> v;
    v.reserve(x.size());
    for (double a : x)
        if (!std::isnan(a)) v.push_back(a);
    return v;
}

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

double variance_of(std::vector<double> v) {
    const double n = static_cast<double>(v.size());
    double ties = 0.0;
    std::sort(v.begin(), v.end());
    for (std::size_t i = 0; i < v.size();) {
        std::size_t j = i + 1;
        while (j < v.size() && v[j] == v[i]) ++j;
        const double t = static_cast<double>(j - i);
        ties += t * (t - 1.0) * (2.0 * t + 5.0);
        i = j;
    }
    return (n * (n - 1.0) * (2.0 * n + 5.0) - ties) / 18.0;
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

}  // namespace

double mann_kendall_z(double s, double var_s) noexcept {
    if (s == 0.0 || !(var_s > 0.0)) return 0.0;
    return (s > 0.0 ? s - 1.0 : s + 1.0) / std::sqrt(var_s);
}

double two_sided_normal_p(double z) noexcept {
    if (std::isnan(z)) return z;
    return std::erfc(std::abs(z) / std::sqrt(2.0));
}

double mann_kendall_variance(std::span<const double> x) { return variance_of(finite_values(x)); }

mann_kendall_result mann_kendall(std::span<const double> x) {
    const std::vector<double> v = finite_values(x);
    const double n = static_cast<double>(v.size());
    return finish(v.size(), score(v), variance_of(v), 0.5 * n * (n - 1.0));
}

mann_kendall_result seasonal_kendall(std::span<const double> x, std::span<const int> season) {
    std::map<int, std::vector<double>> by_season;
    const std::size_t m = std::min(x.size(), season.size());
    for (std::size_t i = 0; i < m; ++i)
        if (!std::isnan(x[i])) by_season[season[i]].push_back(x[i]);
    std::size_t n = 0;
    double s = 0.0, var_s = 0.0, pairs = 0.0;
    for (const auto& [label, v] : by_season) {
        const double k = static_cast<double>(v.size());
        n += v.size();
        s += score(v);
        var_s += variance_of(v);
        pairs += 0.5 * k * (k - 1.0);
    }
    return finish(n, s, var_s, pairs);
}

}  // namespace wbe::detectors
