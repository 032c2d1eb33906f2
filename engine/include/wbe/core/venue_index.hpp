#pragma once
/// @file venue_index.hpp
/// A screening index for venue samples (hotels, karaoke bars, clubs): no flow meter and no
/// population, so no per-capita consumption. wbe's definition (no published method exists):
///
///     index = (C_r / C_cot) × E_1000 × CF      mg of drug per day per 1000 person-equivalents
///
/// the residue's concentration per unit of cotinine concentration in the same sample (the flow
/// cancels), scaled by the cotinine that 1000 people excrete in a day (E_1000 =
/// cigarettes/person/day × mg cotinine per cigarette × 1000, population.hpp) and converted to
/// the drug by the residue's correction factor CF. "Person-equivalents" are the people whose
/// cotinine the sample holds: the index assumes the venue's users smoke like the province's
/// residents, which at a karaoke bar they may well not — it is a screening value, comparable
/// in order of magnitude with plant indices, never a consumption estimate. It rises linearly
/// with the drug and falls inversely with cotinine.
///
/// Uncertainty: the product of log-normal factors — analysis of the residue and of cotinine,
/// the per-person cotinine excretion (smoking rate × mg per cigarette; `cotinine_parameters::rsd`)
/// and the CF — so ln index is normal with σ² = Σ ln(1 + RSD_i²) (science.md §3), and the
/// interval is exp(ln index ± z σ).

#include <cstddef>
#include <string>
#include <vector>

#include "wbe/core/population.hpp"
#include "wbe/core/units.hpp"

namespace wbe {

struct venue_index_inputs {
    concentration residue{};   ///< the drug residue, ng/L (a quantified value)
    concentration cotinine{};  ///< cotinine in the same sample, ng/L (quantified)
    double cf = 1.0;           ///< residue → drug correction factor (MW ratio / excretion fraction)
    cotinine_parameters cot;   ///< smoking rate, mg per cigarette; `rsd` = RSD of the per-person excretion
    double rsd_residue_analysis = 0.15;   ///< science.md §3 default analysis RSD
    double rsd_cotinine_analysis = 0.15;
    double rsd_cf = 0.25;                 ///< science.md §3: excretion/CF RSD where not known
};

struct venue_index {
    double value = 0.0;   ///< mg/day/1000 person-equivalents (median of the log-normal)
    double lower = 0.0;   ///< lower end of the central interval
    double upper = 0.0;   ///< upper end
    double log_sigma = 0.0;
    std::string kind = "screening";  ///< always: a venue value is a screening value
};

/// The biomarker-normalised index with its central `interval` (e.g. 0.95).
/// @throws numerical_error for a non-positive cotinine concentration, a negative residue, a
/// non-positive CF, smoking rate or mg per cigarette, a negative RSD or interval outside (0, 1).
[[nodiscard]] venue_index biomarker_normalised_index(const venue_index_inputs& in, double interval = 0.95);

/// The campaign mean of a venue's daily indices with its central interval. The samples share the
/// per-person cotinine excretion and the CF (one log-normal factor F, σ_F² = ln(1 + rsd_cot²) +
/// ln(1 + rsd_cf²)); their analysis errors are independent (E_i, σ_E² = ln(1 + rsd_r²) +
/// ln(1 + rsd_c²)). The mean M = F × (1/n) Σ v_i E_i, with v_i the daily medians, is approximated
/// by the log-normal of the same first two moments (Fenton–Wilkinson), exactly as
/// `analytic_uncertainty` (monte_carlo.hpp) does for a plant's campaign mean.
struct venue_campaign_index {
    double mean = 0.0;    ///< mean of the daily medians (the point value reported)
    double lower = 0.0;
    double upper = 0.0;
    std::size_t n = 0;
};
[[nodiscard]] venue_campaign_index venue_campaign_mean(const std::vector<double>& daily_values, const venue_index_inputs& shared,
                                                        double interval = 0.95);

}  // namespace wbe
