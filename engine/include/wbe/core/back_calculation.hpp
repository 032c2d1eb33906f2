#pragma once
/// @file back_calculation.hpp
/// The WBE back-calculation chain (science.md §1), step by step with units in the signatures,
/// and a fused kernel over arrays for the hot path.
///
/// | step                       | maths                                   | function            |
/// |----------------------------|-----------------------------------------|---------------------|
/// | mass load                  | L = C × Q × 1e-3 (C ng/L, Q m³/d)        | `load`              |
/// | sorption (liquid phase)    | L_tot = L / (1 − f_sorb)                | `correct_sorption`  |
/// | in-sewer loss (fraction)   | L_exc = L_tot / (1 − f_loss)            | `correct_in_sewer_loss` |
/// | in-sewer loss (1st order)  | L_exc = L_tot × exp(k × HRT), k = ln2/t½ | `correct_in_sewer_first_order` |
/// | population-normalised load | PNL = L_exc / P × 1000                  | `normalise`         |
/// | consumption                | Cons = PNL × CF                         | `to_consumption`    |
/// | doses                      | Doses = Cons / dose                     | `to_doses`          |
/// with CF = (MW_drug / MW_residue) / F_excr (`correction_factor`).
///
/// @see Zuccato et al. 2008, Environ Health Perspect 116:1027 (the chain);
///      Castiglioni et al. 2013, Environ Sci Technol 47:1452 (its uncertainty).

#include <span>

#include "wbe/core/units.hpp"

namespace wbe {

/// Mass load [mg/day] = C [ng/L] × Q [m³/day] × 1000 [L/m³] × 1e-6 [mg/ng].
[[nodiscard]] constexpr mass_load load(concentration c, flow q) noexcept {
    return mass_load(c.value() * q.value() * 1e-3);
}

/// Total load when only the liquid phase was analysed: L / (1 − f_sorb), 0 ≤ f_sorb < 1.
[[nodiscard]] mass_load correct_sorption(mass_load l, double sorbed_fraction);
/// Load excreted upstream when a fraction f_loss (0 ≤ f < 1) transformed in the sewer.
[[nodiscard]] mass_load correct_in_sewer_loss(mass_load l, double lost_fraction);
/// First-order in-sewer transformation: L × exp(ln 2 / t½ × HRT). An infinite half-life means
/// stable (factor 1). Both times in hours, t½ > 0, HRT ≥ 0.
[[nodiscard]] mass_load correct_in_sewer_first_order(mass_load l, double half_life_h, double residence_time_h);

/// Population-normalised load [mg/day/1000 inh] = L / P × 1000. Throws numerical_error for P ≤ 0.
[[nodiscard]] pnl normalise(mass_load l, population p);
/// City or district value over several plants (science.md §1, SCORE/EUDA): Σ L_i / Σ P_i × 1000.
[[nodiscard]] pnl normalise(std::span<const mass_load> loads, std::span<const population> populations);

/// CF = (MW_drug / MW_residue) / F_excr. Throws numerical_error unless all are > 0 and F ≤ 1.
[[nodiscard]] double correction_factor(double mw_drug, double mw_residue, double excretion_fraction);
/// Consumption [mg/day/1000 inh] = PNL × CF.
[[nodiscard]] constexpr consumption to_consumption(pnl x, double cf) noexcept { return consumption(x.value() * cf); }
/// Doses/day/1000 inh = consumption / dose [mg].
[[nodiscard]] constexpr dose_index to_doses(consumption c, double dose_mg) noexcept {
    return dose_index(c.value() / dose_mg);
}

/// Median AMP/METH load ratio after methamphetamine use (> 6000 Australian samples; science.md §1).
inline constexpr double amphetamine_per_methamphetamine = 0.09;

/// Amphetamine load not explained as a methamphetamine metabolite: max(0, AMP − r × METH).
[[nodiscard]] constexpr mass_load amphetamine_illicit(mass_load amp, mass_load meth,
                                                      double ratio = amphetamine_per_methamphetamine) noexcept {
    const double v = amp.value() - ratio * meth.value();
    return mass_load(v > 0.0 ? v : 0.0);
}

/// Everything that turns C × Q / P into the three indices, folded into scalars.
struct chain_factors {
    /// Multiplier from the raw load C[ng/L]×Q[m³/d] to the excreted load in mg/day:
    /// 1e-3 × 1/(1 − f_sorb) × in-sewer factor. Use `make_chain_factors`.
    double load_multiplier = 1e-3;
    double correction_factor = 1.0;  ///< CF; NaN when the residue is no consumption marker
    double dose_mg = 0.0;            ///< typical dose; NaN or ≤ 0 gives NaN doses
};

/// Folds the corrections into `chain_factors`. `sorbed_fraction` and `in_sewer_factor` (≥ 1,
/// the multiplier from the chosen in-sewer correction) default to no correction.
[[nodiscard]] chain_factors make_chain_factors(double cf, double dose_mg, double sorbed_fraction = 0.0,
                                               double in_sewer_factor = 1.0);

/// Output arrays of the fused kernel. Any of them may be empty (not computed).
struct index_arrays {
    std::span<double> pnl;          ///< mg/day/1000 inh
    std::span<double> consumption;  ///< mg/day/1000 inh
    std::span<double> doses;        ///< doses/day/1000 inh
};

/// The chain over arrays in one pass: for each i,
/// PNL = C×Q×m/P×1000, Cons = PNL×CF, Doses = Cons/dose, with m from `f`.
/// Inputs in canonical units (ng/L, m³/day, persons). All non-empty spans must have the same
/// length as `conc`; throws std::invalid_argument otherwise. A population ≤ 0 gives NaN.
void back_calculate(std::span<const double> conc_ng_per_l, std::span<const double> flow_m3_per_day,
                    std::span<const double> population, const chain_factors& f, const index_arrays& out);

}  // namespace wbe
