#include "wbe/core/censoring.hpp"

#include <array>
#include <cctype>
#include <cmath>
#include <limits>
#include <string>

namespace wbe {

double substitute(substitution rule, double lod, double loq) noexcept {
    switch (rule) {
        case substitution::zero: return 0.0;
        case substitution::lod_half: return lod / 2.0;
        case substitution::loq_half: return loq / 2.0;
        case substitution::loq_sqrt2: return loq / std::sqrt(2.0);
        case substitution::loq: return loq;
    }
    return std::numeric_limits<double>::quiet_NaN();
}

double substitute(const censored_value& v, const substitution_policy& policy) noexcept {
    if (const auto rule = policy.rule_for(v.qual)) return substitute(*rule, v.lod, v.loq);
    return v.value;
}

std::string_view censoring_method(const censored_value& v, const substitution_policy& policy) noexcept {
    if (const auto rule = policy.rule_for(v.qual)) return to_string(*rule);
    return v.qual == qualifier::above_uloq ? ">ULOQ" : "detected";
}

std::string_view to_string(qualifier q) noexcept {
    switch (q) {
        case qualifier::below_lod: return "<LOD";
        case qualifier::below_loq: return "<LOQ";
        case qualifier::above_uloq: return ">ULOQ";
        case qualifier::detected: break;
    }
    return "";
}

std::string_view to_string(substitution s) noexcept {
    switch (s) {
        case substitution::zero: return "zero";
        case substitution::lod_half: return "lod_half";
        case substitution::loq_half: return "loq_half";
        case substitution::loq_sqrt2: return "loq_sqrt2";
        case substitution::loq: return "loq";
    }
    return "";
}

std::optional<qualifier> parse_qualifier(std::string_view text) noexcept {
    std::string t;
    for (char c : text)
        if (c != ' ') t += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (t.empty() || t == "=" || t == "DETECTED") return qualifier::detected;
    if (t == "<LOD" || t == "ND" || t == "N.D." || t == "<MDL") return qualifier::below_lod;
    if (t == "<LOQ" || t == "NQ" || t == "BLQ" || t == "<MQL") return qualifier::below_loq;
    if (t == ">ULOQ") return qualifier::above_uloq;
    return std::nullopt;
}

std::optional<substitution> parse_substitution(std::string_view text) noexcept {
    static constexpr std::array all{substitution::zero, substitution::lod_half, substitution::loq_half,
                                    substitution::loq_sqrt2, substitution::loq};
    for (auto s : all)
        if (to_string(s) == text) return s;
    return std::nullopt;
}

}  // namespace wbe
