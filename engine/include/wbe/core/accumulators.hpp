#pragma once
/// @file accumulators.hpp
/// Mergeable summaries of Monte Carlo draws.

#include <cstddef>
#include <span>
#include <vector>

namespace wbe {

/// Count, mean and sum of squared deviations of a stream (Welford 1962), mergeable.
///
/// Merge (Chan, Golub & LeVeque 1979): for parts A and B with n = n_A + n_B and
/// δ = mean_B − mean_A,
///     mean = mean_A + δ n_B / n,
///     M2   = M2_A + M2_B + δ² n_A n_B / n,
/// which follows from writing Σ(x − mean)² of each part around the pooled mean. Merging the
/// accumulators of two sets of draws therefore equals accumulating the pooled draws (up to
/// rounding).
class moments {
public:
    void add(double x) noexcept {
        ++n_;
        const double d = x - mean_;
        mean_ += d / static_cast<double>(n_);
        m2_ += d * (x - mean_);
    }
    void merge(const moments& o) noexcept {
        if (o.n_ == 0) return;
        if (n_ == 0) {
            *this = o;
            return;
        }
        const double n = static_cast<double>(n_ + o.n_);
        const double delta = o.mean_ - mean_;
        mean_ += delta * static_cast<double>(o.n_) / n;
        m2_ += o.m2_ + delta * delta * static_cast<double>(n_) * static_cast<double>(o.n_) / n;
        n_ += o.n_;
    }
    [[nodiscard]] std::size_t count() const noexcept { return n_; }
    [[nodiscard]] double mean() const noexcept;
    /// Sample variance (n − 1 denominator); NaN below 2 values.
    [[nodiscard]] double variance() const noexcept;

private:
    std::size_t n_ = 0;
    double mean_ = 0.0;
    double m2_ = 0.0;
};

/// Quantile of `draws` at probability p by linear interpolation between order statistics
/// (Hyndman & Fan 1996 type 7, numpy's default): h = (n − 1) p, x_⌊h⌋ + (h − ⌊h⌋)(x_⌊h⌋+1 − x_⌊h⌋).
/// Reorders `draws` (nth_element). NaN for an empty set.
[[nodiscard]] double quantile(std::span<double> draws, double p);

/// The two order statistics a type-7 quantile needs, by rank (0-based) — used by the
/// two-pass exact selection of monte_carlo.cpp.
struct quantile_ranks {
    std::size_t lo = 0;
    std::size_t hi = 0;
    double weight = 0.0;  ///< of the higher order statistic
};
[[nodiscard]] quantile_ranks type7_ranks(std::size_t n, double p) noexcept;

}  // namespace wbe
