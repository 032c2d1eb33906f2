#include "wbe/core/campaign.hpp"

#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

namespace wbe {

std::string campaign_label(day_number day, campaign_period period) {
    const civil_date c = to_civil(day);
    char buf[40];
    switch (period) {
        case campaign_period::quarter: std::snprintf(buf, sizeof buf, "%04dQ%u", c.year, (c.month - 1) / 3 + 1); break;
        case campaign_period::month: std::snprintf(buf, sizeof buf, "%04d-%02u", c.year, c.month); break;
        case campaign_period::year: std::snprintf(buf, sizeof buf, "%04d", c.year); break;
    }
    return buf;
}

std::optional<campaign_period> parse_campaign_period(std::string_view text) noexcept {
    if (text == "quarter") return campaign_period::quarter;
    if (text == "month") return campaign_period::month;
    if (text == "year") return campaign_period::year;
    return std::nullopt;
}

std::string_view to_string(campaign_period p) noexcept {
    switch (p) {
        case campaign_period::month: return "month";
        case campaign_period::year: return "year";
        case campaign_period::quarter: break;
    }
    return "quarter";
}

campaign_mean summarise_campaign(std::span<const day_number> days, std::span<const double> values) {
    if (days.size() != values.size()) throw std::invalid_argument("summarise_campaign: days and values differ in length");
    double sum = 0.0, sum_wd = 0.0, sum_we = 0.0;
    campaign_mean r;
    for (std::size_t i = 0; i < values.size(); ++i) {
        const double v = values[i];
        if (std::isnan(v)) continue;
        ++r.n;
        sum += v;
        if (classify_day(days[i]) == day_class::weekday) {
            ++r.n_weekday;
            sum_wd += v;
        } else {
            ++r.n_weekend;
            sum_we += v;
        }
    }
    const double nan = std::numeric_limits<double>::quiet_NaN();
    r.mean = r.n ? sum / static_cast<double>(r.n) : nan;
    r.weekday_mean = r.n_weekday ? sum_wd / static_cast<double>(r.n_weekday) : nan;
    r.weekend_mean = r.n_weekend ? sum_we / static_cast<double>(r.n_weekend) : nan;
    return r;
}

double population_weighted_mean(std::span<const double> index, std::span<const double> population) {
    if (index.size() != population.size())
        throw std::invalid_argument("population_weighted_mean: index and population differ in length");
    double sum_xp = 0.0, sum_p = 0.0;
    for (std::size_t i = 0; i < index.size(); ++i) {
        if (!std::isfinite(index[i]) || !(population[i] > 0.0)) continue;
        sum_xp += index[i] * population[i];
        sum_p += population[i];
    }
    return sum_p > 0.0 ? sum_xp / sum_p : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace wbe
