#pragma once
/// @file accumulators.hpp
/// Mergeable summaries of Monte Carlo draws.

#include <cstddef>
#include <cstdint>
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
    /// The accumulator of n values with this mean and sum of squared deviations (a block
    /// summarised by two passes, to be merged).
    [[nodiscard]] static moments from(std::size_t n, double mean, double m2) noexcept {
        moments r;
        r.n_ = n;
        r.mean_ = mean;
        r.m2_ = m2;
        return r;
    }
    [[nodiscard]] double mean() const noexcept;
    /// Sample variance (n − 1 denominator); NaN below 2 values.
    [[nodiscard]] double variance() const noexcept;

private:
    std::size_t n_ = 0;
    double mean_ = 0.0;
    double m2_ = 0.0;
};

/// Mean and variance of Monte Carlo draws that do not depend on how the draws are split into
/// blocks: eight partial sums of the shifted values y = x − K and of y², draw d going to sum
/// d mod 8, each sum taking its draws in draw order; the sums are combined in a fixed tree.
/// The same draws give the same bits whatever the block size, thread or pass, and the loop
/// vectorises. With n values, S₁ = Σy and S₂ = Σy²:  mean = K + S₁/n,
/// M2 = S₂ − S₁²/n (the shifted-data algorithm; Chan, Golub & LeVeque 1983, "Algorithms for
/// computing the sample variance"). Cancellation costs about log₁₀(1 + ((mean − K)/SD)²)
/// digits, so K should be a typical value (the engine uses the median of the first draws).
class draw_moments {
public:
    explicit draw_moments(double shift = 0.0) noexcept : shift_(shift) {}
    /// Adds draws first_draw … first_draw + n − 1 (NaN draws are counted apart and skipped).
    void add(std::size_t first_draw, const double* x, std::size_t n) noexcept;
    [[nodiscard]] std::size_t count() const noexcept { return n_; }
    [[nodiscard]] std::size_t nan_count() const noexcept { return n_nan_; }
    [[nodiscard]] double mean() const noexcept;
    /// Sample variance (n − 1 denominator); NaN below 2 values.
    [[nodiscard]] double variance() const noexcept;

    /// For fused kernels that add draws while doing other work on them (monte_carlo.cpp): the
    /// shift, the eight lane sums of y and of y² (lane d mod 8 for draw d), which the kernel must
    /// advance exactly as `add` does (y = x − shift; s1 += y; s2 += y × y, unfused, in draw order,
    /// NaN skipped), and the counts it then reports.
    [[nodiscard]] double shift() const noexcept { return shift_; }
    [[nodiscard]] double* lane_sums() noexcept { return s1_; }
    [[nodiscard]] double* lane_squares() noexcept { return s2_; }
    void counted(std::size_t values, std::size_t nans) noexcept {
        n_ += values;
        n_nan_ += nans;
    }

private:
    double shift_;
    double s1_[8] = {}, s2_[8] = {};
    std::size_t n_ = 0, n_nan_ = 0;
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

/// Reusable buffers of `quantiles` (one per thread; not shared).
struct quantile_scratch {
    std::vector<std::uint64_t> keys;
};

/// Type-7 quantiles of `values` at every probability of `probs` (any order), written to `out`
/// (same length); `values` is not reordered. Equals `quantile(values, p)` for each p exactly
/// (the same order statistics and interpolation), in O(n) for all probabilities together:
///
/// the values are mapped to unsigned keys whose integer order is their numeric order (the IEEE
/// bits, sign-flipped); one pass counts the keys in ≤ 2048 equal-width cells of their range, the
/// cells holding the wanted ranks are copied out and the selection recurses on each, each level
/// shrinking the key range 2048-fold, until a cell holds ≤ 64 keys (sorted) or a single key
/// value. For Monte Carlo draws this is two passes over the values, against one nth_element per
/// order statistic (measured in bench/README.md). NaN values are not allowed (the result is
/// then unspecified); the caller drops them. An empty input gives NaN.
void quantiles(std::span<const double> values, std::span<const double> probs, std::span<double> out,
               quantile_scratch& scratch);

/// The order statistics of `values` at 0-based `ranks` (ascending, each < |values|), written to
/// `out` (same length as `ranks`), by the selection of `quantiles`; `values` is not reordered.
/// NaN values are not allowed.
void order_statistics(std::span<const double> values, std::span<const std::size_t> ranks, std::span<double> out,
                      quantile_scratch& scratch);

}  // namespace wbe
