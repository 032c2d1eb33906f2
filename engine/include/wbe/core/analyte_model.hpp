#pragma once
/// @file analyte_model.hpp
/// The residue models of `models/*.yaml`: molecular weights, excretion, dose, stability and
/// sorption of each measured residue, every number with its source and evidence flag.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wbe {

enum class evidence { confirmed, unconfirmed };

/// One model parameter. `value` is NaN when the parameter is absent.
struct parameter {
    double value;
    double rsd;  ///< relative standard deviation (fraction); NaN when not given
    std::string unit;
    std::string source;
    evidence evidence_level = evidence::unconfirmed;

    parameter();
    [[nodiscard]] bool present() const noexcept;
};

/// What the residue says about a drug's consumption.
struct drug_model {
    std::string name;
    parameter molecular_weight;    ///< g/mol, free base
    parameter excretion_fraction;  ///< F_excr, fraction of the dose excreted as the residue
    parameter correction_factor;   ///< CF given directly (heroin ← morphine), instead of F_excr
    parameter dose;                ///< mg per typical dose; absent → no doses index
};

struct residue_model {
    std::string residue;  ///< id used in batches, e.g. `methamphetamine`
    std::string name;     ///< display name
    std::vector<std::string> aliases;
    parameter molecular_weight;  ///< g/mol, free base
    std::optional<drug_model> drug;
    parameter sorption_fraction;          ///< fraction sorbed to solids (liquid-phase analysis)
    parameter in_sewer_half_life;         ///< hours; +inf = stable
    parameter plausible_max_consumption;  ///< mg/day/1000 inh (science.md §6)
    std::string notes;
    std::string source_file;

    /// CF = (MW_drug / MW_residue) / F_excr, or the given correction factor; NaN without a drug.
    [[nodiscard]] double cf() const;
    /// Dose in mg, NaN when none.
    [[nodiscard]] double dose_mg() const noexcept;
    /// The parameters that enter a consumption estimate, named `residue.key` (e.g.
    /// `ketamine.drug.excretion_fraction`), for audit listings.
    [[nodiscard]] std::vector<std::pair<std::string, const parameter*>> consumption_parameters() const;
};

/// A named set of residue models (`default`, `europe`, …).
struct model_set {
    std::string name;
    std::vector<residue_model> residues;

    /// By residue id or alias, case-insensitively; nullptr when unknown.
    [[nodiscard]] const residue_model* find(std::string_view id_or_alias) const noexcept;
};

[[nodiscard]] std::string_view to_string(evidence e) noexcept;

}  // namespace wbe
