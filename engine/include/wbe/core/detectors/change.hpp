#pragma once
/// @file change.hpp
/// Quarter-on-quarter and year-on-year change, with the EUDA classes.
///
///     change = value_t / value_partner − 1
///
/// where the partner is the campaign one quarter (QoQ) or one year (YoY) earlier: the latest
/// earlier campaign whose time is t − lag within ± `tolerance` (lag and tolerance in years,
/// converted with series::units_per_year), so a gap never pairs the wrong campaigns.
///
/// EUDA class (EUDA wastewater reports; science.md §5): stable when |change| ≤ `stable` (10%),
/// otherwise increase or decrease (boundaries with a 1e-12 tolerance, so that 11/10 − 1 reads
/// as the 10% it is). The class is descriptive: the EUDA band was made for annual city means
/// over 7 days, and one campaign against another moves by more than 10% by noise alone.
///
/// level (on the `basis` change): watch when change > `watch` (+50%), alert when change >
/// `alert` (+100%, a doubling) — our choice. With a campaign ln-SD of 0.25 (15% analysis, 10%
/// sampling, day-to-day scatter), the ratio of two in-control campaigns has ln-SD 0.35, so
/// these are exceeded by 12.6% and 2.5% of campaigns (2.8% and 0.05% at ln-SD 0.15); a +10%
/// level would be exceeded by 39% (33%). statistic = the basis change (a fraction);
/// expected = the partner's value; upper_bound = partner · (1 + watch); p-value: none. The
/// reason gives both changes and their classes.
///
/// Censored values: the change is bounded, [lo_t/hi_p − 1, hi_t/lo_p − 1] with the ranges of
/// detector.hpp (an unknown lower end of the partner makes the upper bound +∞), and the level
/// and class are given only when both bounds agree. Minimum history: the partner campaign.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wbe/core/detectors/detector.hpp"
#include "wbe/core/detectors/parameters.hpp"

namespace wbe::detectors {

enum class change_class : std::uint8_t { stable, increase, decrease };

/// The EUDA class of a relative change: stable when |change| ≤ stable_band.
[[nodiscard]] change_class classify_change(double change, double stable_band = 0.10) noexcept;
[[nodiscard]] std::string_view to_string(change_class c) noexcept;  ///< "stable", "increase", "decrease"

struct change_options {
    std::string basis = "year";  ///< `year` (year-on-year) or `quarter` (quarter-on-quarter) sets the level
    double stable = 0.10;        ///< half-width of the EUDA stable band (the class, not the level)
    double watch = 0.5;          ///< change above which watch (+50%)
    double alert = 1.0;          ///< change above which alert (+100%; > watch)
    double tolerance = 0.125;    ///< years: how far the partner's time may be from t − lag
};

class change final : public series_detector {
public:
    static constexpr std::string_view detector_name = "change";

    explicit change(const change_options& options = {});

    [[nodiscard]] static std::vector<parameter_spec> parameters();
    [[nodiscard]] static change_options options_from(const parameter_values& values);
    [[nodiscard]] static std::vector<diagnostic> check(const change_options& options);

    [[nodiscard]] const change_options& options() const noexcept { return options_; }
    [[nodiscard]] std::string_view name() const noexcept override { return detector_name; }
    [[nodiscard]] std::size_t min_history() const noexcept override { return 1; }

protected:
    void evaluate(const series& s, std::vector<campaign_result>& out, explain e) const override;
    /// Levels only (run_columns() without number columns), for series without censored values:
    /// the basis comparison only (evaluate() also describes the other), no bound.
    bool evaluate_levels(const series& s, std::span<detection_level> level) const override;

private:
    change_options options_;
};

}  // namespace wbe::detectors
