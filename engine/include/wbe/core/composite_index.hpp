#pragma once
/// @file composite_index.hpp
/// A multi-drug index per plant and campaign, stored as one more "drug" so that thresholds and
/// detectors run on it as on any drug.
///
/// | method        | index                                                        | unit                  |
/// |---------------|--------------------------------------------------------------|-----------------------|
/// | `total_doses` | Σ_d w_d × doses_d (doses = consumption / typical dose)        | doses/day/1000 inh    |
/// | `relative`    | Σ_d w_d × 100 × consumption_d / reference_d, reference_d = the median of the plants' campaign consumption of drug d in the base year | points (100 = reference) |
///
/// Non-detects: each drug's value lies between its consumption with every non-detect at 0 and
/// at its limit (campaign_estimate::consumption_censored_low/high); the composite carries the
/// weighted sums of those as its own bounds, so a threshold between them is `indeterminate`.
/// A drug missing from a campaign (not measured) makes the composite missing for that campaign.

#include <string>
#include <utility>
#include <vector>

#include "wbe/core/estimate.hpp"

namespace wbe {

enum class composite_method { total_doses, relative };

struct composite_options {
    std::string name = "composite";  ///< the "drug" name of the index in tables, rules and flags
    composite_method method = composite_method::total_doses;
    std::vector<std::pair<std::string, double>> drugs;  ///< drug name (or residue id) → weight
    int base_year = 0;  ///< `relative`: the year whose plant median is the reference (0 = first year with data)
};

struct composite_result {
    std::vector<campaign_estimate> rows;  ///< one per plant and campaign (scope `site`)
    std::vector<std::string> warnings;    ///< e.g. a drug without a dose, or no base-year data
};

/// Computes the composite from the site-scope plant rows of `estimates`.
[[nodiscard]] composite_result composite_index(const std::vector<campaign_estimate>& estimates, const composite_options& options);

[[nodiscard]] std::string_view to_string(composite_method m) noexcept;

}  // namespace wbe
