#pragma once
/// @file censoring.hpp
/// Censored assay values as data: every value keeps its qualifier and the lab's limits, and
/// a substitution policy turns it into a number only where a number is needed, recording
/// which rule did so (science.md §5).

#include <cstdint>
#include <optional>
#include <string_view>

namespace wbe {

/// What the lab said about a value.
enum class qualifier : std::uint8_t {
    detected,    ///< quantified: the value is a number ≥ LOQ
    below_lod,   ///< `<LOD`: not detected
    below_loq,   ///< `<LOQ`: detected but not quantifiable
    above_uloq,  ///< `>ULOQ`: above the calibrated range; the value is a lower bound
};

/// What a censored value is replaced by.
enum class substitution : std::uint8_t { zero, lod_half, loq_half, loq_sqrt2, loq };

/// An assay value in ng/L with its qualifier and limits. `value` is NaN when censored.
struct censored_value {
    double value = 0.0;
    qualifier qual = qualifier::detected;
    double lod = 0.0;  ///< ng/L; the readers store NaN when the lab gave none
    double loq = 0.0;  ///< ng/L; the readers store NaN when the lab gave none

    [[nodiscard]] constexpr bool censored() const noexcept {
        return qual == qualifier::below_lod || qual == qualifier::below_loq;
    }
};

/// The substitution rule for each kind of censoring; by default `<LOD` → LOD/2 and
/// `<LOQ` → LOQ/2, the most common practice in WBE studies.
struct substitution_policy {
    substitution below_lod = substitution::lod_half;
    substitution below_loq = substitution::loq_half;

    /// The rule that applies to `q` (nothing for detected and >ULOQ values).
    [[nodiscard]] constexpr std::optional<substitution> rule_for(qualifier q) const noexcept {
        if (q == qualifier::below_lod) return below_lod;
        if (q == qualifier::below_loq) return below_loq;
        return std::nullopt;
    }
};

/// The number to compute with: the value itself when quantified (also for >ULOQ, where it is
/// a lower bound), otherwise the policy's substitute. A substitute whose limit is missing is
/// NaN (the reader rejects such rows; see csv_assay).
[[nodiscard]] double substitute(const censored_value& v, const substitution_policy& policy) noexcept;
/// The substitute for one rule and the two limits.
[[nodiscard]] double substitute(substitution rule, double lod, double loq) noexcept;

/// How a value entered a computation: `detected`, `>ULOQ`, or the substitution rule name
/// (`zero`, `lod_half`, `loq_half`, `loq_sqrt2`, `loq`).
[[nodiscard]] std::string_view censoring_method(const censored_value& v, const substitution_policy& policy) noexcept;

[[nodiscard]] std::string_view to_string(qualifier q) noexcept;     ///< "", "<LOD", "<LOQ", ">ULOQ"
[[nodiscard]] std::string_view to_string(substitution s) noexcept;  ///< "zero", "lod_half", ...
/// Parses a qualifier as written in a batch: empty, `=`, `detected` → detected; `<LOD`, `ND`,
/// `n.d.` → below_lod; `<LOQ`, `NQ`, `BLQ` → below_loq; `>ULOQ` → above_uloq (case-insensitive).
[[nodiscard]] std::optional<qualifier> parse_qualifier(std::string_view text) noexcept;
/// Parses a substitution rule name as written by to_string.
[[nodiscard]] std::optional<substitution> parse_substitution(std::string_view text) noexcept;

}  // namespace wbe
