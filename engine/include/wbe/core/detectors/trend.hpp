#pragma once
/// @file trend.hpp
/// A monotonic rise over the recent campaigns: Mann–Kendall (or seasonal Kendall with quarters as
/// seasons) on the `window` most recent campaigns up to and including t, and the Sen slope over
/// real time (mann_kendall.hpp, sen_slope.hpp).
///
/// level: alert when p < alert_p, watch when p < watch_p, in both cases only when the trend
/// rises (S > 0 and Sen slope > 0); a falling or flat trend is `none` whatever its p. p is the
/// two-sided normal p of the reference definitions. statistic = Z; expected = the Sen line at t,
/// median(y) + slope·(t − median(t)) over the window (back-transformed when log_scale);
/// upper_bound: none. The reason states the slope per year (× series::units_per_year), as a
/// percentage when log_scale.
///
/// Censored values (Helsel 2012, Statistics for Censored Environmental Data, §12.1): for S,
/// every value below the highest censoring limit L in the window — censored or not — is recoded
/// to one tie below L, so that no pair is ordered by a substitute; the Sen slope uses the
/// substitutes. Campaigns without a value or without a finite time are left out of the window.
///
/// Quarterly defaults: window 12 (three years: with quarters as seasons, three values per
/// season); min_history 5 previous campaigns (6 points: with n = 6 and no ties the smallest
/// possible p is 0.009, so alert at 0.05 is reachable); alert_p = 0.05 (the conventional α of
/// the references), watch_p = 0.10; not seasonal (seasonal Kendall at 12 campaigns has only
/// 3 values per quarter); log_scale so that the slope reads as a relative change per year.
/// Seasonal: every campaign in the window must carry its season (observation::season), and at
/// least one season needs two values.

#include <span>
#include <string_view>
#include <vector>

#include "wbe/core/detectors/detector.hpp"
#include "wbe/core/detectors/parameters.hpp"

namespace wbe::detectors {

struct trend_options {
    int window = 12;          ///< campaigns (with a value) in the test, the current one included
    int min_history = 5;      ///< fewest previous campaigns in the window to evaluate (≥ 2)
    double watch_p = 0.10;    ///< two-sided p below which a rising trend is watch
    double alert_p = 0.05;    ///< two-sided p below which a rising trend is alert (< watch_p)
    bool seasonal = false;    ///< seasonal Kendall with observation::season as seasons
    bool log_scale = true;    ///< Sen slope on ln(value): a relative change per time
    /// Smallest rise per year that counts: a relative rise (0.10 = +10% per year) with
    /// log_scale, else in the value's unit. The default follows the EUDA convention that a
    /// change within ±10% is "stable" (science.md §5): a significant but smaller drift is no flag.
    double min_rise = 0.10;
};

class trend final : public series_detector {
public:
    static constexpr std::string_view detector_name = "trend";

    explicit trend(const trend_options& options = {});

    [[nodiscard]] static std::vector<parameter_spec> parameters();
    [[nodiscard]] static trend_options options_from(const parameter_values& values);
    [[nodiscard]] static std::vector<diagnostic> check(const trend_options& options);

    [[nodiscard]] const trend_options& options() const noexcept { return options_; }
    [[nodiscard]] std::string_view name() const noexcept override { return detector_name; }
    [[nodiscard]] std::size_t min_history() const noexcept override;

protected:
    void evaluate(const series& s, std::vector<campaign_result>& out, explain e) const override;
    /// Levels only (run_columns() without number columns), not seasonal, for series without
    /// censored or infinite values: Mann–Kendall slides as in evaluate(), and the Sen slope is
    /// looked at only for the windows whose S and p would raise a level (a falling or
    /// insignificant window is `none` whatever its slope) — there the minimum rise is decided by
    /// counting the slopes on either side of its cut, and the median slope selected only when it
    /// lies within 10⁻⁶ of the cut.
    bool evaluate_levels(const series& s, std::span<detection_level> level) const override;

private:
    trend_options options_;
    /// For evaluate_levels(): a rising window with (S − 1)² < watch_z2_·var(S) has p ≥ watch_p.
    double watch_z2_ = 0.0;
};

}  // namespace wbe::detectors
