#pragma once
/// @file rolling_baseline.hpp
/// A robust baseline from the site's own recent history, on the log scale.
///
/// For campaign t with y = ln(value), take the `window` most recent previous campaigns with a
/// positive value, skipping the `guard` most recent of them, and drop those that this detector
/// itself raised to `alert` (when `exclude_alerts`). With the remaining baseline values b:
///
///     m = median(b)
///     s = max(1.4826 · median|b − m|, min_sd)      MAD scaled to the normal SD (Hampel 1974)
///     z = (y_t − m) / s
///
/// level: alert when z > alert_z, watch when z > watch_z. expected = e^m, upper_bound =
/// e^(m + watch_z·s). p-value: none (a robust z is not referred to a distribution).
///
/// Quarterly defaults: window 8 = two years of quarters (every season twice); min_history 4 =
/// one year; guard 0 (a guard band of a quarter would discard an eighth of an already short
/// baseline; a single-quarter spike, the target here, needs none). min_sd 0.1 ln units: the
/// analysis RSD alone is ~15% (science.md §3), so a baseline scatter below 0.1 in ln is below
/// measurement noise and would turn ties (e.g. repeated censored substitutes, MAD = 0) into
/// infinite z-scores. Cut points 2.5 and 4 robust SDs rather than the textbook 2 and 3: a MAD
/// from 8 values is itself so uncertain that z is heavy-tailed. For in-control log-normal data
/// with ln-SD 0.25 (a typical campaign scatter), simulation (2·10⁶ draws) gives z > 2 for 8.0%
/// and z > 3 for 3.0% of campaigns, but z > 2.5 for 4.9% and z > 4 for 1.2%: the defaults aim
/// at about 5% watch and 1% alert, as percentile_level's do.
///
/// Alert exclusion: the window stays the last `window` campaigns (it does not reach further back
/// to replace excluded alerts), so a sustained rise stops being compared with itself and, once
/// too few non-alert campaigns remain, answers `not_evaluable` saying how many alerts were
/// excluded.
///
/// Censored campaigns in the baseline (`censored`): "ros" (default) replaces them by their
/// robust-ROS imputations over the window before the median and MAD are taken (Helsel 2012,
/// ch. 6; at their substitutes when ROS is not defensible, said in the reason); "substitute"
/// uses the pipeline's substitutes (e.g. LOQ/2) as before.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wbe/core/detectors/detector.hpp"
#include "wbe/core/detectors/parameters.hpp"

namespace wbe::detectors {

struct rolling_baseline_options {
    int window = 8;               ///< previous campaigns (with a value) forming the baseline
    int min_history = 4;          ///< fewest baseline campaigns, after exclusions, to evaluate (≥ 3)
    int guard = 0;                ///< most recent previous campaigns left out of the baseline
    bool exclude_alerts = true;   ///< leave this detector's earlier alerts out of the baseline
    double watch_z = 2.5;         ///< robust SDs above the median that raise watch
    double alert_z = 4.0;         ///< robust SDs above the median that raise alert (> watch_z)
    double min_sd = 0.1;          ///< floor of the robust SD, ln units
    std::string censored = "ros"; ///< censored baseline campaigns: "ros" or "substitute"
};

class rolling_baseline final : public series_detector {
public:
    static constexpr std::string_view detector_name = "rolling_baseline";

    /// @throws config_error naming the first option that breaks its rule.
    explicit rolling_baseline(const rolling_baseline_options& options = {});

    [[nodiscard]] static std::vector<parameter_spec> parameters();
    [[nodiscard]] static rolling_baseline_options options_from(const parameter_values& values);
    /// Every rule the options break (field = parameter name); empty when valid.
    [[nodiscard]] static std::vector<diagnostic> check(const rolling_baseline_options& options);

    [[nodiscard]] const rolling_baseline_options& options() const noexcept { return options_; }
    [[nodiscard]] std::string_view name() const noexcept override { return detector_name; }
    [[nodiscard]] std::size_t min_history() const noexcept override;

protected:
    void evaluate(const series& s, std::vector<campaign_result>& out, explain e) const override;
    /// Levels only (run_columns() without number columns), for windows of at most 8 and series
    /// without censored or infinite values: each value's ln once, the median and MAD of each
    /// baseline by the 8-value sorting network, no e^m, no bound.
    bool evaluate_levels(const series& s, std::span<detection_level> level) const override;

private:
    rolling_baseline_options options_;
};

}  // namespace wbe::detectors
