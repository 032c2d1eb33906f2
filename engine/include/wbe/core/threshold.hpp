#pragma once
/// @file threshold.hpp
/// Threshold and ratio rules, and the flags they raise. (The detector suite — baselines,
/// trends, peers — builds on the same `flag` record.)

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "wbe/core/errors.hpp"
#include "wbe/core/estimate.hpp"

namespace wbe {

enum class flag_level { none, watch, alert };
/// Which index of a campaign estimate a rule looks at.
/// `index` is the value of a composite index (composite_index.hpp), in the composite's own unit.
/// `screening`: a venue's screening index (venue_index.hpp), mg/day/1000 person-equivalents.
enum class metric { concentration, load, pnl, consumption, doses, index, screening };

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
    flag();
    std::string site_id;
    std::string site_kind;
    std::string drug;
    std::string campaign;
    std::string date;  ///< sample day for per-sample rules, empty for campaign rules
    std::string rule;  ///< `threshold`, or the ratio rule name
    flag_level level = flag_level::none;
    /// With uncertainty: `exceeds` (P(index > threshold) ≥ p_exceeds), `possible` (≥ p_possible);
    /// `indeterminate` when censoring leaves the threshold inside the value's bounds; empty for
    /// a deterministic comparison.
    std::string certainty;
    double probability;  ///< P(index > reference), NaN without uncertainty
    double value = 0.0;
    double reference = 0.0;  ///< the threshold crossed
    std::string unit;
    std::string explanation;
    std::int64_t run_id = 0;   ///< the run that raised it (set by the pipeline)
    std::string config_hash;   ///< of the config it was raised with
};

/// How probabilities turn into flags (uncertainty.hpp holds the run's values).
struct flag_options {
    double p_exceeds = 0.95;
    double p_possible = 0.5;
    double interval = 0.95;  ///< for the explanation text
};

/// Flags for site-scope campaign estimates. For each rule, the highest level whose threshold
/// is (a) inside the censoring bounds of a consumption value → `indeterminate`; else (b) with
/// an uncertainty probability, exceeded with P ≥ p_possible → `possible`/`exceeds`; else (c)
/// without one, reached by the value (value ≥ threshold). One flag per (site, drug, campaign)
/// at the highest level (and strongest certainty) over the matching rules.
[[nodiscard]] std::vector<flag> evaluate_thresholds(const std::vector<campaign_estimate>& estimates,
                                                    const std::vector<threshold_rule>& rules,
                                                    const flag_options& options = {});
/// Flags for every sample whose ratio exceeds a ratio rule.
[[nodiscard]] std::vector<flag> evaluate_ratios(const std::vector<daily_estimate>& daily,
                                                const std::vector<ratio_rule>& rules);

[[nodiscard]] std::string_view to_string(flag_level l) noexcept;
[[nodiscard]] std::string_view to_string(metric m) noexcept;
[[nodiscard]] std::string_view unit_of(metric m) noexcept;
[[nodiscard]] bool parse_metric(std::string_view text, metric& out) noexcept;
[[nodiscard]] bool parse_flag_level(std::string_view text, flag_level& out) noexcept;

}  // namespace wbe
