#pragma once
/// @file site.hpp
/// Sampling sites: treatment plants (per-capita indices) and venues (screening only).

#include <string>
#include <vector>

namespace wbe {

struct site {
    std::string id;
    std::string name;
    std::string kind;        ///< `wwtp` or `venue`
    std::string venue_type;  ///< venues: hotel, karaoke, club, bath_house, …; empty for plants
    std::string district;    ///< administrative district used for aggregation
    std::vector<std::string> towns;
    double population;       ///< persons served (plants); NaN for venues
    double population_rsd;   ///< relative SD of the population figure; NaN when unknown
    std::string population_method;  ///< census, design, …
    double residence_time_h;        ///< sewer residence time (for in-sewer correction); NaN when unknown
    /// Cotinine population method (population.hpp): cigarettes smoked per resident and day in the
    /// catchment's province; NaN when unknown (the method is then not used for the site).
    double smoking_rate;
    /// Share of the plant's cotinine load that comes from residents, (0, 1]; default 1.
    double domestic_fraction;

    site();
    [[nodiscard]] bool is_plant() const noexcept { return kind == "wwtp"; }
};

}  // namespace wbe
