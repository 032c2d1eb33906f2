#include "wbe/core/accumulators.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace wbe {

double moments::mean() const noexcept { return n_ ? mean_ : std::numeric_limits<double>::quiet_NaN(); }

double moments::variance() const noexcept {
    return n_ > 1 ? m2_ / static_cast<double>(n_ - 1) : std::numeric_limits<double>::quiet_NaN();
}

quantile_ranks type7_ranks(std::size_t n, double p) noexcept {
    if (n == 0) return {};
    const double h = static_cast<double>(n - 1) * std::clamp(p, 0.0, 1.0);
    const double fl = std::floor(h);
    quantile_ranks r;
    r.lo = static_cast<std::size_t>(fl);
    r.hi = std::min(r.lo + 1, n - 1);
    r.weight = h - fl;
    return r;
}

double quantile(std::span<double> draws, double p) {
    if (draws.empty()) return std::numeric_limits<double>::quiet_NaN();
    const quantile_ranks r = type7_ranks(draws.size(), p);
    std::nth_element(draws.begin(), draws.begin() + static_cast<std::ptrdiff_t>(r.lo), draws.end());
    const double lo = draws[r.lo];
    if (r.hi == r.lo || r.weight == 0.0) return lo;
    // The next order statistic is the minimum of the part above position lo.
    const double hi = *std::min_element(draws.begin() + static_cast<std::ptrdiff_t>(r.lo) + 1, draws.end());
    return lo + r.weight * (hi - lo);
}

}  // namespace wbe
