#pragma once
/// @file cusum.hpp
/// The tabular (upper) CUSUM on standardised values (Page 1954; Montgomery, Introduction to
/// Statistical Quality Control, §9.1.2, eq. 9.2):
///
///     z_t = (y_t − μ) / σ                  y = ln(value) when log_scale, else value
///     C⁺_t = max(0, C⁺_{t−1} + z_t − k)    C⁺_0 = 0;  k and h in SD units
///
/// alert when C⁺_t > h, watch when C⁺_t > watch. With `reset`, C⁺ restarts at 0 after an
/// alert (Montgomery's table does not reset: C⁺ = 5.28 at period 29, 5.30 at 30). A campaign
/// without a value leaves C⁺ unchanged. statistic = C⁺_t; expected = μ (back-transformed);
/// upper_bound = the value for which C⁺_t would reach watch, μ + σ(watch + k − C⁺_{t−1});
/// p-value: none.
///
/// μ and σ: given (`mean`, `sd`, on the analysed scale), or estimated (mean and sample SD,
/// σ floored at `min_sd`) from a reference window: `first` = the first `window` values (Phase I;
/// those campaigns answer not_evaluable "reference period"), `rolling` = the `window` previous
/// values before a `guard` band, needing `min_history` of them.
///
/// Quarterly defaults: k = 0.5 and h = 5 (Montgomery's recommendation: a 1 SD shift is
/// detected in ~10 periods at known parameters). Reference `first` with window 8 (two years):
/// the classic Phase I/II design; a rolling reference would absorb the sustained shift CUSUM
/// exists to find. Estimating μ and σ from 8 values shortens the in-control run length a lot
/// (Jones, Champ & Rigdon 2004, J Qual Technol 36:95): simulated on in-control log-normal series
/// (ln-SD 0.25, 40 quarters, 5000 series), without reset an underestimated μ keeps C⁺ above h
/// and 7.2% of evaluated campaigns are alert; with `reset` 1.2% are. Hence reset = true, and
/// watch = 3 (5.2% of evaluated campaigns in the same simulation; our choice, Montgomery
/// defines no second level). After an alert a sustained shift of 2 SD adds 1.5 a quarter to
/// C⁺: watch two quarters later, alert again after four.

#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wbe/core/detectors/detector.hpp"
#include "wbe/core/detectors/parameters.hpp"

namespace wbe::detectors {

struct cusum_options {
    double k = 0.5;               ///< reference value (allowance), SD units
    double h = 5.0;               ///< decision interval: alert when C⁺ > h, SD units
    double watch = 3.0;           ///< watch when C⁺ > watch (< h), SD units
    bool reset = true;            ///< restart C⁺ at 0 after an alert
    std::string reference = "first";  ///< `first` or `rolling`: where μ and σ are estimated
    int window = 8;               ///< values in the reference window
    int guard = 0;                ///< rolling only: most recent previous values left out
    int min_history = 4;          ///< rolling only: fewest reference values to evaluate (≥ 2)
    double mean = std::numeric_limits<double>::quiet_NaN();  ///< given μ (analysed scale); NaN = estimate
    double sd = std::numeric_limits<double>::quiet_NaN();    ///< given σ (analysed scale); NaN = estimate
    bool log_scale = true;        ///< work on ln(value)
    double min_sd = 0.1;          ///< floor of an estimated σ, analysed scale
    std::string censored = "ros"; ///< censored reference campaigns: "ros" (robust-ROS imputations) or "substitute"
};

class cusum final : public series_detector {
public:
    static constexpr std::string_view detector_name = "cusum";

    explicit cusum(const cusum_options& options = {});

    [[nodiscard]] static std::vector<parameter_spec> parameters();
    [[nodiscard]] static cusum_options options_from(const parameter_values& values);
    [[nodiscard]] static std::vector<diagnostic> check(const cusum_options& options);

    [[nodiscard]] const cusum_options& options() const noexcept { return options_; }
    [[nodiscard]] std::string_view name() const noexcept override { return detector_name; }
    [[nodiscard]] std::size_t min_history() const noexcept override;

protected:
    void evaluate(const series& s, std::vector<campaign_result>& out, explain e) const override;
    /// Levels only (run_columns() without number columns), for series without censored values:
    /// evaluate()'s reference estimates and C⁺ (with its restart), no back-transformed mean or
    /// bound.
    bool evaluate_levels(const series& s, std::span<detection_level> level) const override;

private:
    cusum_options options_;
};

}  // namespace wbe::detectors
