#include "wbe/core/analyte_model.hpp"

#include <cctype>
#include <cmath>
#include <limits>

#include "wbe/core/back_calculation.hpp"

namespace wbe {

parameter::parameter()
    : value(std::numeric_limits<double>::quiet_NaN()), rsd(std::numeric_limits<double>::quiet_NaN()) {}

bool parameter::present() const noexcept { return !std::isnan(value); }

double residue_model::cf() const {
    if (!drug) return std::numeric_limits<double>::quiet_NaN();
    if (drug->correction_factor.present()) return drug->correction_factor.value;
    return correction_factor(drug->molecular_weight.value, molecular_weight.value, drug->excretion_fraction.value);
}

double residue_model::dose_mg() const noexcept {
    return (drug && drug->dose.present()) ? drug->dose.value : std::numeric_limits<double>::quiet_NaN();
}

std::vector<std::pair<std::string, const parameter*>> residue_model::consumption_parameters() const {
    std::vector<std::pair<std::string, const parameter*>> out;
    if (!drug) return out;
    const std::string p = residue + ".";
    if (drug->correction_factor.present()) {
        out.emplace_back(p + "drug.correction_factor", &drug->correction_factor);
    } else {
        out.emplace_back(p + "molecular_weight", &molecular_weight);
        out.emplace_back(p + "drug.molecular_weight", &drug->molecular_weight);
        out.emplace_back(p + "drug.excretion_fraction", &drug->excretion_fraction);
    }
    if (drug->dose.present()) out.emplace_back(p + "drug.dose", &drug->dose);
    return out;
}

namespace {
bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}
}  // namespace

const residue_model* model_set::find(std::string_view id) const noexcept {
    for (const auto& r : residues) {
        if (iequals(r.residue, id)) return &r;
        for (const auto& a : r.aliases)
            if (iequals(a, id)) return &r;
    }
    return nullptr;
}

std::string_view to_string(evidence e) noexcept { return e == evidence::confirmed ? "confirmed" : "unconfirmed"; }

}  // namespace wbe
