#pragma once
/// @file percentile_level.hpp
/// The CDC NWSS wastewater viral activity level, adapted to quarterly series.
///
/// For campaign t, take the `lookback` most recent previous campaigns with a positive value,
/// y_i = ln(value_i), sorted ascending into y_(0) ≤ … ≤ y_(n−1):
///
///     baseline = y_(⌊p·(n−1)⌋)                  p-th percentile, lower nearest rank (p = 0.10)
///     sd       = max(SD(y), min_sd)              sample SD (n − 1) over the same window
///     level    = exp((ln value_t − baseline) / sd)
///
/// (CDC NWSS "Wastewater viral activity level" methodology, 2024; science.md §7.) level: alert
/// when level > alert, watch when level > watch. expected = e^baseline (the low reference the
/// level counts from), upper_bound = e^(baseline + sd·ln watch); statistic = the level;
/// p-value: none.
///
/// Cut points. The NWSS categories (as published for SARS-CoV-2 in 2024, evidence: unconfirmed:
/// very low ≤ 2, low ≤ 3.4, moderate ≤ 5.3, high ≤ 7.8, very high above) describe activity and
/// are meant to be reached often: the level counts SDs from the 10th percentile, so a typical
/// value already sits near e^1.3 ≈ 3.6. As flags on an 8-campaign window of in-control
/// log-normal data they would raise watch ("high", 5.3) for 43% and alert ("very high", 7.8)
/// for 31% of campaigns (simulation, 2·10⁶ draws). The defaults are therefore the levels that
/// in-control data exceed 5% and 1% of the time with the default window: watch 35, alert 115
/// (same simulation: 5.0% and 0.97%). Set watch 5.3, alert 7.8 for the NWSS categories. With
/// fewer points (while the history builds up) the same cut points are exceeded more often.
///
/// Departures from NWSS, for quarterly data (4 points a year, where NWSS has ~100):
/// - look-back counted in campaigns: 8 = the NWSS 24 months; NWSS requires 56 days of data, we
///   require `min_history` = 4 previous campaigns (one year, each season once);
/// - the window holds previous campaigns only, so a new peak never widens its own SD (our
///   choice; the NWSS 24-month window can contain the sample being judged);
/// - with n ≤ 10 the lower-nearest-rank 10th percentile is the minimum of the window; this is
///   the definition applied as written, and the reason states the window size;
/// - min_sd 0.1 ln units floors the SD (NWSS has none), as in rolling_baseline; set it to 0 for
///   the NWSS formula exactly (an SD of 0 then answers not_evaluable).

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wbe/core/detectors/detector.hpp"
#include "wbe/core/detectors/parameters.hpp"

namespace wbe::detectors {

struct percentile_level_options {
    int lookback = 8;         ///< previous campaigns (with a value) in the window
    int min_history = 4;      ///< fewest previous campaigns to evaluate (≥ 2)
    double percentile = 0.10; ///< baseline percentile p, lower nearest rank
    double watch = 35.0;      ///< level above which watch (5% of in-control campaigns; NWSS "high": 5.3)
    double alert = 115.0;     ///< level above which alert (1%; NWSS "very high": 7.8; > watch)
    double min_sd = 0.1;      ///< floor of the SD, ln units
    std::string censored = "ros";  ///< censored look-back campaigns: "ros" (robust-ROS imputations) or "substitute"
};

/// The lower-nearest-rank percentile of `sorted` (ascending, non-empty): sorted[⌊p·(n−1)⌋].
[[nodiscard]] double lower_nearest_rank(const std::vector<double>& sorted, double p) noexcept;

class percentile_level final : public series_detector {
public:
    static constexpr std::string_view detector_name = "percentile_level";

    explicit percentile_level(const percentile_level_options& options = {});

    [[nodiscard]] static std::vector<parameter_spec> parameters();
    [[nodiscard]] static percentile_level_options options_from(const parameter_values& values);
    [[nodiscard]] static std::vector<diagnostic> check(const percentile_level_options& options);

    [[nodiscard]] const percentile_level_options& options() const noexcept { return options_; }
    [[nodiscard]] std::string_view name() const noexcept override { return detector_name; }
    [[nodiscard]] std::size_t min_history() const noexcept override;

protected:
    void evaluate(const series& s, std::vector<campaign_result>& out, explain e) const override;
    /// Levels only (run_columns() without number columns), for series without censored values:
    /// evaluate()'s window, mean, SD and percentile; the level's e^z only where z is within a
    /// relative 10⁻⁹ of ln watch or ln alert; no expected value or bound.
    bool evaluate_levels(const series& s, std::span<detection_level> level) const override;

private:
    percentile_level_options options_;
};

}  // namespace wbe::detectors
