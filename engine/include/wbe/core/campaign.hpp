#pragma once
/// @file campaign.hpp
/// Grouping daily values into campaigns and summarising them (science.md §5).
///
/// A campaign's value is the mean of its daily per-capita values. The EUDA convention splits
/// the week into weekdays (Tuesday–Thursday samples) and weekend (Friday–Monday samples; a
/// Monday sample covers Sunday night). Districts and the city are population-weighted over
/// their plants: Σ L_i / Σ P_i × 1000, i.e. the population-weighted mean of the plant indices.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "wbe/core/date.hpp"

namespace wbe {

/// How days group into campaigns.
enum class campaign_period { quarter, month, year };

/// The campaign label of a day: `2024Q1` (quarter), `2024-03` (month), `2024` (year).
[[nodiscard]] std::string campaign_label(day_number day, campaign_period period);
[[nodiscard]] std::optional<campaign_period> parse_campaign_period(std::string_view text) noexcept;
[[nodiscard]] std::string_view to_string(campaign_period p) noexcept;

/// EUDA day classes.
enum class day_class { weekday, weekend };
/// Tuesday, Wednesday, Thursday → weekday; Friday … Monday → weekend.
[[nodiscard]] constexpr day_class classify_day(day_number day) noexcept {
    const unsigned w = iso_weekday(day);
    return (w >= 2 && w <= 4) ? day_class::weekday : day_class::weekend;
}

/// Mean of the daily values of one campaign, with the EUDA weekday and weekend means.
/// NaN daily values are skipped (and not counted); means of empty sets are NaN.
struct campaign_mean {
    std::size_t n = 0;
    double mean = 0.0;
    std::size_t n_weekday = 0;
    double weekday_mean = 0.0;
    std::size_t n_weekend = 0;
    double weekend_mean = 0.0;
};

/// `days[i]` is the sample day of `values[i]`; both spans have the same length.
[[nodiscard]] campaign_mean summarise_campaign(std::span<const day_number> days, std::span<const double> values);

/// Population-weighted mean Σ x_i P_i / Σ P_i over the entries where x_i is finite and P_i > 0;
/// equals Σ L_i / Σ P_i × 1000 for per-capita indices. NaN when no entry qualifies.
[[nodiscard]] double population_weighted_mean(std::span<const double> index, std::span<const double> population);

}  // namespace wbe
