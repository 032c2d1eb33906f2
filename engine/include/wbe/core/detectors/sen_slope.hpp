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

#include <cstddef>
#include <cstdint>
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
/// (trend).
///
/// The points sit in a ring of slots and their pairwise slopes in a triangle indexed by slot
/// pair, NaN where two slots make no pair (a slot empty, equal times, other seasons): a step
/// divides out the n − 1 slopes of the entering point and blanks those of the leaving one, and
/// nothing is kept sorted. result() finds the two middle slopes by counting instead. It guesses
/// an interval of values that holds the middle ranks, from the last result's lower middle slope
/// (the anchor; the slopes below it are counted as slopes enter and leave, so its rank in the new
/// window is known) and the spacing of the slopes around it; one branch-free pass counts the
/// slopes below the interval and marks those inside; when the middle ranks fall inside and at
/// most 16 slopes do, those few are sorted by a network and the middle read off. A missed guess
/// is corrected from the pass's counts (a few passes at most, then plain selection); about one
/// result in six needs a second pass at trend's window. Keeping the slopes sorted instead (as
/// this class did before) moves most of them at every step and mispredicts a branch per
/// entering slope; a sorted neighbourhood of the median does not last either, because the
/// median's rank moves by several places a step (the n − 1 slopes of one point share its
/// noise). At trend's 12-campaign window a step and its result take about a third of the time
/// of a sorted update (bench/bench_detectors det_trend: 2.0 → 0.9 s with trend's other changes).
/// The window's x are kept sorted (a branch-free insertion and removal of one value a step) for
/// the intercept's median(x); strictly ascending times are their own order.
///
/// result() equals sen_slope(t, x, 0) — seasonal_sen_slope(t, x, season, 0) when `seasonal` —
/// of the window's points bit for bit: every slope is computed with the same expression, and an
/// order statistic is one value whichever method finds it. Two kinds of value break the second
/// half: a NaN (a slope from an infinite x) has no place in sorted order, and −0 (an
/// underflowing negative slope, or a −0 x or t) equals +0 while its bits differ, so selection
/// may return either zero. While the window holds such a value, result() selects over the
/// window's values in sen_slope()'s order, exactly as sen_slope() does.
class sliding_sen_slope {
public:
    explicit sliding_sen_slope(bool seasonal = false) : seasonal_(seasonal) {}

    /// Makes the ring `points` slots (at least size()). Optional: a window that outgrows the ring
    /// doubles it, copying the slopes; a caller that knows its window sets it, so that no step
    /// regrows the ring and no result() scans the empty pairs of a ring larger than the window
    /// (result() counts over the whole triangle).
    void set_capacity(std::size_t points);
    /// Empties the window.
    void clear() noexcept;
    /// Appends a point after the window's last one. `t` must be finite and `x` not NaN (the
    /// points sen_slope() keeps); `season` only matters when seasonal.
    void push_back(double t, double x, int season = 0);
    /// Removes the window's first point. The window must not be empty.
    void pop_front();
    [[nodiscard]] std::size_t size() const noexcept { return size_; }

    /// n, n_slopes, slope and intercept of the window; no interval (lower, upper, var_s NaN).
    [[nodiscard]] sen_slope_result result() const;

private:
    /// Where result() starts its search for the middle slopes: the lower middle slope of the last
    /// result and the spacing of the slopes near it (NaN before the first).
    struct median_hint {
        double anchor = std::numeric_limits<double>::quiet_NaN();
        double spacing = std::numeric_limits<double>::quiet_NaN();
        std::size_t below = 0;  ///< the window's slopes below anchor (kept by push_back() and pop_front())
    };
    struct point {
        double t;
        double x;
        int season;
    };
    /// The slot of the window's k-th point (0 = oldest).
    [[nodiscard]] std::size_t slot_of(std::size_t k) const noexcept {
        const std::size_t slot = head_ + k;
        return slot < t_.size() ? slot : slot - t_.size();
    }
    /// A ring of `capacity` slots (≥ size()) holding the window from slot 0, its slopes copied.
    void regrow(std::size_t capacity);
    /// sorted_x_ from the window's x.
    void sort_x();
    /// The window's points, oldest first, in scratch_points_ (for the selections in sen_slope()'s
    /// order).
    void window_points() const;

    bool seasonal_;
    // The ring of slots: the window is slots head_, head_ + 1, … (modulo the capacity), oldest
    // first. Per slot its point's t, x and season, the pairs it makes with later points of the
    // window, and whether one of its slopes was irregular (NaN or −0).
    std::vector<double> t_, x_;
    std::vector<int> season_;
    std::vector<std::uint64_t> later_pairs_;  // 64-bit: push_back() adds to two at a time
    std::vector<char> irregular_;
    std::size_t head_ = 0;  ///< slot of the oldest point
    std::size_t size_ = 0;  ///< points in the window
    /// Per pair of slots a < b, at b(b − 1)/2 + a: their slope; NaN where they make no pair or a
    /// slot is empty.
    std::vector<double> slopes_;
    std::size_t n_slopes_ = 0;  ///< pairs with a slope
    /// Window points marked irregular_: while there are any, result() takes sen_slope()'s path (a
    /// mark outlives the slope that set it, which only sends a window that path needlessly).
    std::size_t irregular_points_ = 0;
    std::size_t negative_zero_x_ = 0, negative_zero_t_ = 0;  ///< window points whose x, t is −0
    std::size_t descents_ = 0;  ///< neighbours in the window whose t does not rise (0: t ascending)
    /// While no x is −0: −∞, the window's x ascending, then +∞ (capacity + 3 entries).
    std::vector<double> sorted_x_;
    std::vector<double> entering_;  ///< scratch of push_back(): the slopes that go down a column
    mutable median_hint hint_;      ///< result()'s starting point, from the last result
    mutable std::vector<double> scratch_;        ///< scratch of result(): slopes, x or t to select from
    mutable std::vector<std::uint64_t> marks_;   ///< scratch of result(): slopes inside a guess, one bit each
    mutable std::vector<point> scratch_points_;  ///< scratch of result(): the window in order
    mutable std::vector<int> seasons_;           ///< scratch of result(): the window's seasons
};

}  // namespace wbe::detectors
