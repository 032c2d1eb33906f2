#pragma once
/// @file ros.hpp
/// Regression on order statistics (ROS) for left-censored data with several detection limits:
/// Hirsch–Stedinger plotting positions from the Helsel–Cohn numbers, and robust ROS on the log
/// scale.
///
/// Maths. Let DL_1 < … < DL_K be the distinct limits of the censored values. When the smallest
/// value of the sample is a detect below DL_1, an interval starting at that value is put first
/// (statsmodels; EnvStats starts it at −∞, with the same result). For each interval
/// j = [L_j, L_{j+1}) (L_{K+1} = +∞), Helsel & Cohn (1988) count
///
///     A_j = nuncen_above = #{detected x : L_j ≤ x < L_{j+1}}
///     B_j = nobs_below   = #{censored at a limit ≤ L_j} + #{detected x < L_j}
///     C_j = ncen_equal   = #{censored at limit L_j}
///
/// and the probability of exceeding L_j follows from the top down (Hirsch & Stedinger 1987):
///
///     PE_{K+1} = 0,    PE_j = PE_{j+1} + (1 − PE_{j+1}) · A_j / (A_j + B_j).
///
/// The i-th smallest detect of interval j (i = 1..A_j) and the i-th censored value at L_j
/// (i = 1..C_j) get the plotting positions (a = plotting-position constant, 0 in Helsel–Cohn)
///
///     p = (1 − PE_j) + (PE_j − PE_{j+1}) · (i − a) / (A_j + 1 − 2a)        detected,
///     p = (1 − PE_j) · (i − a) / (C_j + 1 − 2a)                           censored.
///
/// Robust ROS (Helsel & Cohn 1988; Helsel 2012 §6.2) fits ln x = b_0 + b_1 Φ⁻¹(p) by ordinary
/// least squares on the detected values only, imputes each censored value as
/// exp(b_0 + b_1 Φ⁻¹(p)), keeps the detected values as they are, and takes the mean, SD
/// (divisor n − 1) and median of the combined values.
///
/// Conventions that differ between the peers, and the choices made here:
/// - which censored value gets which position: EnvStats keeps each limit's positions with that
///   limit (`within_limit`); statsmodels (and NADA) sorts all censored positions and hands them
///   out in order of the limits (`sorted_by_limit`, the default), so that a lower limit never
///   gets a larger imputed value. The set of positions, hence the set of imputed values and
///   every summary statistic, is the same either way;
/// - censored values above the largest detect: NADA and statsmodels drop them (the default,
///   `drop_censored_above_max_detect`); EnvStats keeps them (their PE is 0, so they spread over
///   the whole fitted distribution). Dropping does not change the Cohn numbers of the other
///   intervals.
/// - fallback: with fewer than `min_detects` detected values, or a censored share above
///   `max_censored_share`, the regression is not attempted and each censored value is replaced
///   by `substitution_fraction` × its limit (statsmodels `impute_ros`), and the result says so.
///
/// Ties: tied detects get consecutive ranks (distinct positions), as in both peers. Only the
/// assignment of imputed values among censored values with the same limit depends on row order;
/// every statistic does not.
///
/// @see Helsel, D.R. & Cohn, T.A. (1988). Estimation of descriptive statistics for multiply
///      censored water quality data. Water Resour. Res. 24(12), 1997–2004.
/// @see Hirsch, R.M. & Stedinger, J.R. (1987). Plotting positions for historical floods and
///      their precision. Water Resour. Res. 23(4), 715–727.
/// @see Helsel, D.R. (2012). Statistics for Censored Environmental Data Using Minitab and R,
///      2nd ed., Wiley, ch. 6.
/// @see EnvStats `ppointsCensored(prob.method = "hirsch-stedinger")`; statsmodels
///      `statsmodels.imputation.ros` (`cohn_numbers`, `plotting_positions`, `impute_ros`).

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wbe/core/censored_sample.hpp"

namespace wbe {

/// One interval [lower_limit, upper_limit) of the Helsel–Cohn table.
struct cohn_interval {
    double lower_limit = 0.0;
    double upper_limit = 0.0;  ///< +∞ for the last interval
    std::size_t nuncen_above = 0;  ///< A_j
    std::size_t nobs_below = 0;    ///< B_j
    std::size_t ncen_equal = 0;    ///< C_j
    double prob_exceedance = 0.0;  ///< PE_j
};

/// The Helsel–Cohn table, one row per interval, ascending. Without censored values it has one
/// interval [min, +∞) with PE = 1; without detected values one row per limit with PE = 0.
/// @throws numerical_error for invalid values (see check_left_censored).
[[nodiscard]] std::vector<cohn_interval> cohn_numbers(std::span<const left_censored> data);

/// Which censored value gets which of the censored plotting positions (see the file comment).
enum class censored_positions {
    sorted_by_limit,  ///< statsmodels / NADA: all censored positions sorted, assigned by limit
    within_limit,     ///< EnvStats: each limit keeps its own positions
};

struct plotting_position_options {
    /// Plotting-position constant a in (i − a)/(n + 1 − 2a), in [0, 1]. Default 0 (Weibull),
    /// as Helsel & Cohn (1988) and statsmodels; EnvStats' `plot.pos.con` defaults to 0.375.
    double a = 0.0;
    censored_positions censored = censored_positions::sorted_by_limit;
};

/// Hirsch–Stedinger plotting positions, one per value, in input order.
/// @throws numerical_error for invalid values or options.
[[nodiscard]] std::vector<double> hirsch_stedinger_positions(std::span<const left_censored> data,
                                                             const plotting_position_options& options = {});

struct ros_options {
    /// Above this censored share (n_censored / n), no regression: substitution. In [0, 1].
    /// Default 0.8 (statsmodels `max_fraction_censored`; NADA warns above 80%).
    double max_censored_share = 0.8;
    /// Fewer detected values than this: substitution. At least 2. Default 2.
    std::size_t min_detects = 2;
    /// The substitute is this fraction of the limit, in [0, 1]. Default 0.5 (limit/2).
    double substitution_fraction = 0.5;
    /// Drop censored values whose limit exceeds the largest detect (NADA, statsmodels). Default
    /// true; false keeps them (EnvStats).
    bool drop_censored_above_max_detect = true;
    plotting_position_options positions;
};

/// How the values of a ROS result were obtained.
enum class ros_method {
    no_censoring,  ///< nothing censored: the values as given
    robust_ros,    ///< regression on order statistics
    substitution,  ///< fallback: censored values replaced by a fraction of their limit
};
[[nodiscard]] std::string_view to_string(ros_method m) noexcept;  ///< "no_censoring", "robust_ros", "substitution"

struct ros_result {
    ros_method method = ros_method::no_censoring;
    std::string fallback_reason;  ///< why substitution was used (empty otherwise)

    /// Input order: detected values unchanged, censored values imputed (or substituted);
    /// NaN for a dropped value.
    std::vector<double> values;
    /// Input order: the Hirsch–Stedinger position of each value (NaN when dropped or when the
    /// regression was not run).
    std::vector<double> plotting_positions;
    double intercept = 0.0;  ///< b_0 of ln x = b_0 + b_1 z (NaN unless robust_ros)
    double slope = 0.0;      ///< b_1 (NaN unless robust_ros)

    double mean = 0.0;    ///< mean of the values used
    double sd = 0.0;      ///< sample SD (divisor n − 1) of the values used; NaN below 2 values
    double median = 0.0;  ///< median of the values used

    std::size_t n = 0;           ///< values given
    std::size_t n_censored = 0;  ///< censored values given
    std::size_t n_dropped = 0;   ///< censored values above the largest detect left out
};

/// Robust regression on order statistics on the log scale, with the substitution fallback.
/// @param data  detected values > 0 and limits > 0 (log scale); an empty sample is an error.
/// @throws numerical_error for invalid values or options.
[[nodiscard]] ros_result robust_ros(std::span<const left_censored> data, const ros_options& options = {});

}  // namespace wbe
