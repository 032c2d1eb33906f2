#pragma once
/// @file sen_slope.hpp
/// The Theil–Sen slope over REAL time differences, Conover's intercept and Gilbert's confidence
/// interval, as free functions; and the slope and intercept of a sliding window.
///
///     slope     = median over pairs i < j with t_j ≠ t_i of (x_j − x_i) / (t_j − t_i)
///     intercept = median(x) − slope · median(t)                     (Conover 1980)
///
/// (Theil 1950; Sen 1968, JASA 63:1379.) The divisor is the real time difference: with uneven
/// sampling, dividing by index gaps (as pyMannKendall's `sens_slope` does) is wrong; EnvStats
/// `kendallTrendTest` divides by time, and the sulfate reference case checks exactly this. With
/// t = index the two agree, which the 360-value pyMannKendall case checks.
///
/// Confidence interval (Gilbert 1987, §16.5.1; EnvStats interpolation): with N' slopes sorted
/// ascending and C = z_{1−α/2} √var(S),
///
///     M1 = (N' − C)/2,   M2 = (N' + C)/2,
///     lower = slope of rank M1,  upper = slope of rank M2 + 1      (1-based ranks)
///
/// where a fractional rank interpolates linearly between neighbours (R `approx`), and a rank
/// outside [1, N'] gives NaN (sample too small for the normal approximation). var(S) here is
/// Kendall's variance with ties in both x and t (EnvStats `vark`); with distinct times it is
/// the Mann–Kendall tie-corrected variance.
///
/// Seasonal Sen slope (Hirsch, Slack & Smith 1982): the median of the slopes of pairs within the
/// same season only; intercept as above over all points; the interval uses the summed seasonal
/// var(S) and the within-season slopes.

#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <vector>

namespace wbe::detectors {

struct sen_slope_result {
    std::size_t n = 0;         ///< points with finite t and x
    std::size_t n_slopes = 0;  ///< pairs with t_j ≠ t_i (N')
    double slope = std::numeric_limits<double>::quiet_NaN();      ///< x units per t unit
    double intercept = std::numeric_limits<double>::quiet_NaN();  ///< x at t = 0
    double lower = std::numeric_limits<double>::quiet_NaN();      ///< confidence interval of the slope
    double upper = std::numeric_limits<double>::quiet_NaN();
    double var_s = std::numeric_limits<double>::quiet_NaN();      ///< the var(S) the interval used
};

/// Sen slope of `x` over `t` (same length; pairs where either is NaN are left out).
/// No pair with distinct times gives NaN slope and intercept. O(n²) memory and time.
/// A `confidence` outside (0, 1), e.g. 0, skips the interval (and var(S)): lower, upper and
/// var_s stay NaN, and the slope is found by selection instead of a full sort.
[[nodiscard]] sen_slope_result sen_slope(std::span<const double> t, std::span<const double> x,
                                         double confidence = 0.95);

/// The slope of sen_slope(t, x, 0), to the bit (the same slopes in the same order, the same
/// selection), with the caller's buffer for the slopes: for a caller that needs the slope of a
/// few windows only (trend's levels, evaluated only where Mann–Kendall raises a level).
[[nodiscard]] double sen_slope_only(std::span<const double> t, std::span<const double> x, std::vector<double>& slopes);

/// Seasonal Sen slope: only pairs with season[i] == season[j] contribute slopes.
[[nodiscard]] sen_slope_result seasonal_sen_slope(std::span<const double> t, std::span<const double> x,
                                                  std::span<const int> season, double confidence = 0.95);

/// The Sen slope of a window of points that slides forward: points enter at the end and leave
/// at the front, as in a detector that tests the last `window` campaigns at every campaign
/// (trend). The window's pairwise slopes, x and t are kept sorted: a step divides out the n − 1
/// slopes of the entering point (not all n(n − 1)/2), sorts them, merges them into the sorted
/// slopes and drops those of the leaving point. The moves are still O(n²) but predictable,
/// where selecting the median of the slopes anew (and of x and t) mispredicts a branch at about
/// every other comparison of random values: about 3× faster at the 12-campaign window of trend.
///
/// result() equals sen_slope(t, x, 0) — seasonal_sen_slope(t, x, season, 0) when `seasonal` —
/// of the window's points bit for bit: every slope is computed with the same expression, and an
/// order statistic of sorted values is the value selection finds. Two kinds of value break the
/// second half: a NaN (a slope from an infinite x) has no place in sorted order, and −0 (an
/// underflowing negative slope, or a −0 x or t) equals +0 while its bits differ, so selection
/// may return either zero. While the window holds such a value, result() selects over the
/// window's values in sen_slope()'s order, exactly as sen_slope() does.
class sliding_sen_slope {
public:
    explicit sliding_sen_slope(bool seasonal = false) : seasonal_(seasonal) {}

    /// Empties the window.
    void clear() noexcept;
    /// Appends a point after the window's last one. `t` must be finite and `x` not NaN (the
    /// points sen_slope() keeps); `season` only matters when seasonal.
    void push_back(double t, double x, int season = 0);
    /// Removes the window's first point. The window must not be empty.
    void pop_front();
    [[nodiscard]] std::size_t size() const noexcept { return points_.size(); }

    /// n, n_slopes, slope and intercept of the window; no interval (lower, upper, var_s NaN).
    [[nodiscard]] sen_slope_result result() const;

private:
    struct point {
        double t;
        double x;
        int season;
    };
    /// A value and the sequence number of the point whose leaving removes it (for a slope, the
    /// older point of its pair).
    struct entry {
        double value;
        std::size_t owner;
    };
    /// A multiset of values kept ascending, removed by owner. NaN and −0 are kept apart (for
    /// the reasons above): while there are any, the sorted values do not give the median.
    struct sorted_values {
        std::vector<entry> sorted;     ///< ascending by value; no NaN, no −0
        std::vector<entry> irregular;  ///< NaN and −0

        /// Whether a value goes to `sorted`: not NaN, not −0.
        [[nodiscard]] static bool regular(double v) noexcept { return !std::isnan(v) && !(v == 0.0 && std::signbit(v)); }

        void clear() noexcept;
        /// Inserts the values of `add` (reordering it).
        void insert(std::vector<entry>& add);
        /// Inserts one value.
        void insert(const entry& e);
        /// Removes the values owned by points before sequence number `first`.
        void erase_before(std::size_t first);
        /// The median of the sorted values; NaN when there are none.
        [[nodiscard]] double median() const noexcept;
    };
    /// Whether a pair contributes a slope: distinct times (and the same season when seasonal).
    [[nodiscard]] bool pairs(const point& a, const point& b) const noexcept {
        return a.t != b.t && (!seasonal_ || a.season == b.season);
    }

    bool seasonal_;
    std::vector<point> points_;  ///< the window, oldest first
    std::size_t first_ = 0;      ///< sequence number of points_.front()
    sorted_values slopes_;       ///< the window's slopes (pairs with distinct times)
    sorted_values xs_, ts_;      ///< the window's x and t, for the intercept
    std::vector<entry> added_;   ///< scratch: the entering point's slopes
    mutable std::vector<double> scratch_;  ///< scratch of result(): slopes, x or t to select from
    mutable std::vector<int> seasons_;     ///< scratch of result(): the window's seasons
};

}  // namespace wbe::detectors
