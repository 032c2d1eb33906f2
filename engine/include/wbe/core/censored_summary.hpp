#pragma once
/// @file censored_summary.hpp
/// One call that summarises a left-censored sample (mean, SD, median, and for Kaplan–Meier the
/// standard error and upper confidence limit) with the method its censored share allows, and
/// says which method it used — or why no number is defensible (science.md §5).
///
/// The rule, with the default cut points (all configurable in censored_summary_options):
///
/// | sample (checked in this order)             | method                                     |
/// |---------------------------------------------|--------------------------------------------|
/// | no values                                   | not estimable                              |
/// | nothing censored (s = 0)                    | plain statistics (mean, sample SD, median) |
/// | censored share s > 0.8 (`high_max_share`)   | not estimable                              |
/// | fewer than 2 distinct detected values       | not estimable                              |
/// | 0 < s ≤ 0.5 (`moderate_max_share`)          | Kaplan–Meier (`moderate_method`)           |
/// | 0.5 < s ≤ 0.8                               | robust ROS (`high_method`)                 |
///
/// Whatever the method, the counts (n, censored, detected) and the detection frequency are
/// always filled in: above 80% censoring they are the numbers to report.
///
/// Kaplan–Meier needs no distributional assumption and is preferred while it can still see the
/// middle of the distribution; ROS borrows a log-normal shape for the censored part, which is
/// what is left when more than half the values are censored (the guidance of Helsel 2012, ch. 6:
/// KM while censoring is moderate, ROS or MLE for heavier censoring, and beyond ~80% only the
/// detection frequency and bounds). Above 80% no summary value is returned (science.md §5; NADA
/// and statsmodels also warn above 80%).
///
/// @see Helsel, D.R. (2012). Statistics for Censored Environmental Data Using Minitab and R,
///      2nd ed., Wiley, ch. 6.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "wbe/core/censored_mle.hpp"
#include "wbe/core/censored_sample.hpp"
#include "wbe/core/kaplan_meier.hpp"
#include "wbe/core/ros.hpp"

namespace wbe {

/// The method behind a summary; recorded beside every stored summary.
enum class censored_method : std::uint8_t {
    plain,          ///< nothing censored: ordinary statistics
    kaplan_meier,   ///< kaplan_meier.hpp
    robust_ros,     ///< ros.hpp
    lognormal_mle,  ///< censored_mle.hpp
    substitution,   ///< ROS fell back to substitution (only when its own limits are stricter)
    not_estimable,  ///< no defensible number; see the reason
};

/// "plain", "kaplan_meier", "robust_ros", "lognormal_mle", "substitution", "not_estimable".
[[nodiscard]] std::string_view to_string(censored_method m) noexcept;
[[nodiscard]] std::optional<censored_method> parse_censored_method(std::string_view text) noexcept;

struct censored_summary_options {
    /// Censored shares in (0, moderate_max_share] use `moderate_method`. In [0, 1]. Default 0.5.
    double moderate_max_share = 0.5;
    /// Censored shares in (moderate_max_share, high_max_share] use `high_method`; above it the
    /// summary is not estimable. In [moderate_max_share, 1]. Default 0.8 (science.md §5).
    double high_max_share = 0.8;
    /// kaplan_meier, robust_ros or lognormal_mle. Default kaplan_meier.
    censored_method moderate_method = censored_method::kaplan_meier;
    /// kaplan_meier, robust_ros or lognormal_mle. Default robust_ros.
    censored_method high_method = censored_method::robust_ros;

    kaplan_meier_options kaplan_meier;  ///< also gives the confidence level of the plain UCL
    ros_options ros;
    censored_mle_options mle;
};

struct censored_summary {
    censored_method method = censored_method::not_estimable;
    double mean = 0.0;     ///< NaN when not estimable
    double sd = 0.0;       ///< NaN when not estimable (or fewer than 2 values)
    double median = 0.0;   ///< NaN when not estimable
    double se_mean = 0.0;  ///< plain and Kaplan–Meier only, NaN otherwise
    double ucl = 0.0;      ///< one-sided upper confidence limit; plain and Kaplan–Meier only

    std::size_t n = 0;
    std::size_t n_censored = 0;
    std::size_t n_detected = 0;
    double censored_share = 0.0;       ///< n_censored / n (NaN when n = 0)
    double detection_frequency = 0.0;  ///< n_detected / n (NaN when n = 0)

    std::string not_estimable_reason;  ///< empty unless method == not_estimable
    /// What else a reader must know: the restricted KM, dropped values, a median that is only an
    /// upper bound, a ROS fallback. Empty when nothing.
    std::string note;

    [[nodiscard]] bool estimable() const noexcept { return method != censored_method::not_estimable; }
    /// One line: `kaplan_meier: n = 29, censored = 10 (34.5%), mean = 325.34, sd = 1651.1, ...`.
    [[nodiscard]] std::string brief_report() const;
};

/// Summarises a left-censored sample with the method its censored share allows.
/// @throws numerical_error for invalid values (see check_left_censored; a log-scale method, when
///         chosen, also rejects a detected 0) or options.
[[nodiscard]] censored_summary summarise_censored(std::span<const left_censored> data,
                                                  const censored_summary_options& options = {});

}  // namespace wbe
