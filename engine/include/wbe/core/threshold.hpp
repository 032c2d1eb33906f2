#pragma once
/// @file threshold.hpp
/// Threshold and ratio rules, and the flags they raise. (The detector suite — baselines,
/// trends, peers — builds on the same `flag` record.)

#include <string>
#include <string_view>
#include <vector>

#include "wbe/core/errors.hpp"
#include "wbe/core/estimate.hpp"

namespace wbe {

enum class flag_level { none, watch, alert };
/// Which index of a campaign estimate a rule looks at.
enum class metric { concentration, load, pnl, consumption, doses };

/// `drug` (a drug name or residue id) at sites of `site_kind` (`wwtp`, `venue`, or `any`):
/// watch when the campaign value ≥ `watch`, alert when ≥ `alert` (either may be NaN = unused).
struct threshold_rule {
    std::string drug;
    std::string site_kind = "wwtp";
    metric what = metric::consumption;
    double watch;
    double alert;
    location origin;  ///< where the rule was defined, for explanations and errors

    threshold_rule();
};

/// Raises `level` on a sample when numerator / denominator (concentrations of the same sample)
/// exceeds `above`. Evaluated only when both residues are quantified: a censored denominator
/// gives only a lower bound that tells nothing about dumping.
struct ratio_rule {
    std::string name = "possible_dumping";
    std::string numerator;
    std::string denominator;
    double above;
    std::string site_kind = "any";
    flag_level level = flag_level::watch;
    std::string reason;  ///< one line added to the explanation
    location origin;

    ratio_rule();
};

struct flag {
    std::string site_id;
    std::string site_kind;
    std::string drug;
    std::string campaign;
    std::string date;  ///< sample day for per-sample rules, empty for campaign rules
    std::string rule;  ///< `threshold`, or the ratio rule name
    flag_level level = flag_level::none;
    double value = 0.0;
    double reference = 0.0;  ///< the threshold crossed
    std::string unit;
    std::string explanation;
};

/// Flags for every site-scope campaign estimate at or above a rule's watch or alert value.
/// One flag per (site, drug, campaign, rule) at the highest level reached.
[[nodiscard]] std::vector<flag> evaluate_thresholds(const std::vector<campaign_estimate>& estimates,
                                                    const std::vector<threshold_rule>& rules);
/// Flags for every sample whose ratio exceeds a ratio rule.
[[nodiscard]] std::vector<flag> evaluate_ratios(const std::vector<daily_estimate>& daily,
                                                const std::vector<ratio_rule>& rules);

[[nodiscard]] std::string_view to_string(flag_level l) noexcept;
[[nodiscard]] std::string_view to_string(metric m) noexcept;
[[nodiscard]] std::string_view unit_of(metric m) noexcept;
[[nodiscard]] bool parse_metric(std::string_view text, metric& out) noexcept;
[[nodiscard]] bool parse_flag_level(std::string_view text, flag_level& out) noexcept;

}  // namespace wbe
