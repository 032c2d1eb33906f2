#pragma once
/// @file population.hpp
/// Who is served by a plant on a sampling day: population estimators, their combination and a
/// plausibility check against the census figure (science.md §4).
///
/// Every estimate is the median of a log-normal with relative SD `rsd` (log-scale
/// σ = √ln(1 + rsd²)), so that it can enter the Monte Carlo as the population factor and be
/// combined with others in log space.
///
/// | method        | population                                                         |
/// |---------------|--------------------------------------------------------------------|
/// | census        | the site's census / design figure (sites file)                     |
/// | hydrochemical | P = C × Q / k: the day's load of a wastewater parameter (NH4-N, COD, BOD5, TKN, TN, TP) over its per-capita load k (g/person/day), from the literature (models/population/) or calibrated per site on days with a trusted population |
/// | cotinine      | P = C_cot × Q × f_dom / E: the cotinine load, as far as it is domestic (f_dom), over the cotinine excreted per person and day, E = cigarettes per person-day (provincial rate) × mg cotinine per cigarette (Chinese practice; science.md §4) |
/// | combined      | inverse-variance weighting in log space over the methods available |
///
/// Units: C in ng/L (`concentration`; a water-quality value in mg/L is `concentration(mg × 1e6)`),
/// Q in m³/day (`flow`; 10⁴ m³/day via `make_flow`). A load C × Q × 1e-3 is in mg/day (`load`,
/// back_calculation.hpp), so P = load [mg/day] / (k [g/person/day] × 1000).
///
/// The Chinese cotinine formula, population (thousands) = C_cot [ng/L] × Q [10⁴ m³/day] × 10 ×
/// f_dom / (cigarettes × 0.14 mg × 1000), is the same computation: C × Q[10⁴] × 10 is the load in
/// mg/day and cigarettes × 0.14 × 1000 the excretion of 1000 people in mg/day.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wbe/core/campaign.hpp"
#include "wbe/core/date.hpp"
#include "wbe/core/sample.hpp"
#include "wbe/core/site.hpp"
#include "wbe/core/units.hpp"

namespace wbe {

enum class population_method { census, hydrochemical, cotinine, combined };
[[nodiscard]] std::string_view to_string(population_method m) noexcept;  ///< "census", "hydrochemical", …

/// One population estimate: the median of a log-normal with relative SD `rsd`.
struct population_estimate {
    population_method method = population_method::census;
    std::string basis;    ///< what it rests on, e.g. "NH4-N 4.2 g/person/day (calibrated)", "census"
    population value{};   ///< persons; NaN when it cannot be estimated
    double rsd = 0.0;     ///< relative SD (0 = taken as exact)

    /// σ of ln(value): √ln(1 + rsd²).
    [[nodiscard]] double log_sigma() const noexcept;
};

/// The wastewater parameters of the hydrochemical method, canonical spellings.
inline constexpr std::array<std::string_view, 6> water_quality_parameters{"NH4-N", "COD", "BOD5", "TKN", "TN", "TP"};
[[nodiscard]] bool is_water_quality_parameter(std::string_view name) noexcept;
/// The rule text for a name that is not one: "parameter must be one of NH4-N, COD, …".
[[nodiscard]] std::string water_quality_parameter_rule();

/// The per-capita daily load of a wastewater parameter.
struct per_capita_load {
    std::string parameter;     ///< e.g. "NH4-N", "COD", "BOD5"
    double grams_per_person_day = 0.0;
    double rsd = 0.0;          ///< relative SD of the constant (its between-person/between-site spread)
    std::string source;        ///< where the constant comes from (a citation, or "calibrated on …")
};

/// Population from one day's load of a wastewater parameter: C × Q / k.
/// @throws numerical_error for k ≤ 0, a negative concentration or flow, or a negative rsd.
[[nodiscard]] population_estimate hydrochemical_population(concentration c, flow q, const per_capita_load& k);

/// A site's own per-capita load from days whose population is trusted (a census period): the
/// geometric mean of load_d / P over the days, and as rsd the day-to-day scatter of ln(load_d / P)
/// (sample SD, as a relative SD: √(exp(s²) − 1)). Days with a NaN or non-positive value are
/// skipped. @throws numerical_error with fewer than 3 usable days or P ≤ 0.
[[nodiscard]] per_capita_load calibrate_per_capita_load(std::string parameter, std::span<const concentration> c,
                                                        std::span<const flow> q, population census);

/// Inputs of the cotinine method.
struct cotinine_parameters {
    double cigarettes_per_person_day = 0.0;   ///< provincial smoking rate, averaged over all residents
    double mg_cotinine_per_cigarette = 0.14;  ///< cotinine excreted per cigarette smoked (science.md §4)
    double domestic_fraction = 1.0;           ///< share of the plant's cotinine load from residents, (0, 1]
    double rsd = 0.0;                         ///< relative SD of the resulting population
};

/// Cotinine excreted by 1000 people in a day, mg: cigarettes × mg per cigarette × 1000.
[[nodiscard]] double cotinine_excretion_per_1000(const cotinine_parameters& p) noexcept;

/// Population from one day's cotinine load: C_cot × Q × 1e-3 × f_dom / (E_1000 / 1000).
/// @throws numerical_error for a non-positive smoking rate or mg per cigarette, a domestic
/// fraction outside (0, 1], negative inputs or rsd.
[[nodiscard]] population_estimate cotinine_population(concentration cotinine, flow q, const cotinine_parameters& p);

/// Inverse-variance combination in log space: ln P = Σ w_i ln P_i / Σ w_i with w_i = 1/σ_i²,
/// combined σ² = 1/Σ w_i (rsd = √(exp(σ²) − 1)). Estimates with a NaN value are left out; an
/// estimate with rsd 0 is exact and is returned alone (the first such). The basis names the
/// methods and their weights. @throws numerical_error when no estimate has a value.
[[nodiscard]] population_estimate combine_populations(std::span<const population_estimate> estimates);

/// Estimated versus census population.
struct population_check {
    double ratio = 0.0;     ///< estimate / census
    bool departs = false;   ///< ratio > factor or ratio < 1/factor
    std::string reason;     ///< e.g. "estimated 712 000 (cotinine) is 1.42 x the census 500 000 (limit 1.3 x)"
};

/// Flags an estimate that departs from the census figure by more than `factor` (> 1) either way —
/// a sign of a misreported flow or a changed catchment. @throws numerical_error for factor ≤ 1
/// or a non-positive census.
[[nodiscard]] population_check check_population(const population_estimate& estimate, population census, double factor);

// ---- resolving each plant's population per campaign -------------------------------------------

/// Literature constants of the estimators (models/population/constants.yaml).
struct population_constants {
    std::vector<per_capita_load> per_capita;  ///< by parameter: BOD5, COD, TKN, TP (NH4-N, TN: calibrate)
    double mg_cotinine_per_cigarette = 0.14;
    std::string cotinine_source;
    double cotinine_rsd = 0.3;  ///< relative SD of a cotinine population estimate
    [[nodiscard]] const per_capita_load* find(std::string_view parameter) const noexcept;
};

struct population_options {
    bool census = true;          ///< the census figure takes part in the combination
    bool hydrochemical = false;  ///< per water-quality parameter with data
    bool cotinine = false;       ///< needs the site's smoking rate and cotinine results
    std::vector<std::string> parameters;  ///< hydrochemical parameters to use; empty = every one with data
    /// Days whose census population is trusted: each site's per-capita loads are calibrated on
    /// them (needed for NH4-N, which has no literature constant; they replace the literature
    /// constant of the others). `calibrate_to < calibrate_from` = no calibration.
    day_number calibrate_from = 1, calibrate_to = 0;
    double census_rsd = 0.10;    ///< a census figure's RSD when the site gives none (science.md §3)
    double check_factor = 1.3;   ///< estimate / census beyond this either way is reported; 0 = no check
    campaign_period period = campaign_period::quarter;
    std::string cotinine_residue = "cotinine";  ///< the analyte id of cotinine in the batches
    population_constants constants;
};

/// One plant and campaign: every estimate made, the one used, and the census check.
struct site_population {
    std::string site_id;
    std::string campaign;
    double census = 0.0;
    std::vector<population_estimate> estimates;  ///< each method with data (census first)
    std::vector<std::size_t> days;               ///< per estimate: the days it rests on (census: 0)
    population_estimate used;                    ///< the combination of `estimates`, or census alone
    bool checked = false;                        ///< a non-census estimate exists and check_factor > 0
    population_check check;                      ///< estimate used vs census (when `checked`)
    std::vector<std::string> notes;              ///< e.g. "NH4-N: no constant (calibration period has 1 day)"
};

/// The population of every plant in every campaign that has samples: each estimator on the
/// campaign's days (a method's campaign estimate is the geometric mean of its daily estimates,
/// with the method's RSD — the uncertainty of its constant, which averaging days does not
/// remove), combined by `combine_populations`, and checked against the census. Cotinine days
/// use quantified cotinine results and the day's flow; hydrochemical days the parameter and the
/// flow. Sorted by (site, campaign). Venues are skipped (they have no population).
[[nodiscard]] std::vector<site_population> resolve_populations(const std::vector<site>& sites,
                                                               const std::vector<assay_result>& results,
                                                               const std::vector<flow_record>& flows,
                                                               const std::vector<water_quality_record>& water_quality,
                                                               const population_options& options);

/// One row of the store's `populations` table: each estimate of a plant and campaign
/// (`role` "estimate"), then the one its indices use (`role` "used", with the census check).
struct population_row {
    std::string site_id;
    std::string campaign;
    std::string role;    ///< "estimate" or "used"
    std::string method;  ///< census, hydrochemical, cotinine, combined
    double value = 0.0;  ///< persons
    double rsd = 0.0;
    std::int64_t days = 0;     ///< days the estimate rests on (0 for the census)
    std::string basis;
    double census = 0.0;
    double ratio = 0.0;        ///< "used" rows: estimate (without the census) / census; NaN when not checked
    std::int64_t departs = 0;  ///< 1 when the check found the estimate beyond the factor
    std::string note;          ///< the check's reason, or the notes (why a method is missing)
};

/// The rows of `populations`, in their order.
[[nodiscard]] std::vector<population_row> population_rows(const std::vector<site_population>& populations);

}  // namespace wbe
