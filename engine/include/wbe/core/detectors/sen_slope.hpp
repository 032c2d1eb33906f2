#pragma once
/// @file sen_slope.hpp
/// The Theil–Sen slope over REAL time differences, Conover's intercept and Gilbert's confidence
/// interval, as free functions.
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
#include <limits>
#include <span>

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

/// Seasonal Sen slope: only pairs with season[i] == season[j] contribute slopes.
[[nodiscard]] sen_slope_result seasonal_sen_slope(std::span<const double> t, std::span<const double> x,
                                                  std::span<const int> season, double confidence = 0.95);

}  // namespace wbe::detectors
