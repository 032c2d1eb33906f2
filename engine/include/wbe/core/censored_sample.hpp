#pragma once
/// @file censored_sample.hpp
/// A left-censored sample as the censored-data statistics take it: each value is either a
/// measurement or a limit below which the true value lies ("<5"). Kaplan–Meier
/// (kaplan_meier.hpp), regression on order statistics (ros.hpp), log-normal maximum likelihood
/// (censored_mle.hpp) and the method-choosing summary (censored_summary.hpp) all read it.
///
/// Several detection limits in one sample are the normal case (labs, runs and dilutions
/// differ); every method here handles them. A censored value's `value` is its own limit.
///
/// @see Helsel, D.R. (2012). Statistics for Censored Environmental Data Using Minitab and R,
///      2nd ed. Wiley, ch. 1–3 (data conventions).

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "wbe/core/censoring.hpp"

namespace wbe {

/// One value of a left-censored sample.
struct left_censored {
    double value = 0.0;     ///< the measured value, or the limit when `censored` (same unit)
    bool censored = false;  ///< true: the true value is below `value` (reported as `<value`)
};

/// How much of a sample is censored.
struct censoring_counts {
    std::size_t n = 0;
    std::size_t n_censored = 0;
    std::size_t n_detected = 0;

    /// n_censored / n (NaN for an empty sample).
    [[nodiscard]] double censored_share() const noexcept;
    /// n_detected / n (NaN for an empty sample).
    [[nodiscard]] double detection_frequency() const noexcept;
};

[[nodiscard]] censoring_counts count_censoring(std::span<const left_censored> data) noexcept;

/// Zips a struct-of-arrays sample (`values[i]` with `censored[i]`, e.g. two numpy arrays).
/// @throws numerical_error when the lengths differ.
[[nodiscard]] std::vector<left_censored> make_left_censored(std::span<const double> values,
                                                            std::span<const bool> censored);

/// An assay value as a left-censored value: `<LOD` → (LOD, censored), `<LOQ` → (LOQ, censored),
/// detected and `>ULOQ` → (value, not censored; a >ULOQ value is a lower bound, used as is).
/// A `<LOQ` value lies in [LOD, LOQ); treating it as `<LOQ` is the usual conservative choice
/// (Helsel 2012, §1.4). A missing limit gives a NaN value, which check_left_censored rejects.
[[nodiscard]] left_censored to_left_censored(const censored_value& v) noexcept;

/// What a detected value may be: any finite value ≥ 0 (Kaplan–Meier), or > 0 (the log-scale
/// methods, ROS and log-normal likelihood).
enum class detected_rule { non_negative, positive };

/// Checks every value of a sample: finite; a limit (censored) > 0; a detected value ≥ 0 or
/// > 0 as `rule` says. The message names the caller, the position, the value and the rule:
/// `robust_ros: value[3] = -1: a detected value must be > 0`.
/// @throws numerical_error on the first value that breaks a rule.
void check_left_censored(std::span<const left_censored> data, std::string_view who, detected_rule rule);

}  // namespace wbe
