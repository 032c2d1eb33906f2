#include "wbe/core/units.hpp"

#include <array>
#include <cctype>
#include <string>

namespace wbe {
namespace {

// Lower-cases ASCII, drops spaces, and folds the Unicode spellings labs use (µ, μ, ³, ⁴) to ASCII.
// The superscript ⁴ folds to `^4`, so that `10⁴ m³/d` reads as `10^4 m3/d` and `104 m3/d` stays unknown.
std::string normalise(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == ' ' || c == '\t') continue;
        if (c < 0x80) {
            out += static_cast<char>(std::tolower(c));
            continue;
        }
        const std::string_view rest = s.substr(i);
        struct fold { std::string_view utf8; std::string_view ascii; };
        static constexpr std::array<fold, 4> folds{{{"\xC2\xB5", "u"},           // µ micro sign
                                                    {"\xCE\xBC", "u"},           // μ Greek mu
                                                    {"\xC2\xB3", "3"},           // ³
                                                    {"\xE2\x81\xB4", "^4"}}};   // ⁴
        bool folded = false;
        for (const auto& f : folds) {
            if (rest.starts_with(f.utf8)) {
                out += f.ascii;
                i += f.utf8.size() - 1;
                folded = true;
                break;
            }
        }
        if (!folded) out += static_cast<char>(c);
    }
    return out;
}

}  // namespace

std::optional<concentration_unit> parse_concentration_unit(std::string_view text) noexcept {
    try {
        const std::string n = normalise(text);
        if (n == "ng/l") return concentration_unit::ng_per_l;
        if (n == "ug/l") return concentration_unit::ug_per_l;
    } catch (...) {
    }
    return std::nullopt;
}

std::optional<flow_unit> parse_flow_unit(std::string_view text) noexcept {
    try {
        const std::string n = normalise(text);
        if (n == "m3/d" || n == "m3/day") return flow_unit::m3_per_day;
        if (n == "l/d" || n == "l/day") return flow_unit::l_per_day;
        if (n == "1e4m3/d" || n == "10^4m3/d" || n == "1e4m3/day" || n == "10^4m3/day")
            return flow_unit::e4_m3_per_day;
    } catch (...) {
    }
    return std::nullopt;
}

std::string_view to_string(concentration_unit u) noexcept {
    return u == concentration_unit::ug_per_l ? "ug/L" : "ng/L";
}

std::string_view to_string(flow_unit u) noexcept {
    switch (u) {
        case flow_unit::l_per_day: return "L/d";
        case flow_unit::e4_m3_per_day: return "1e4 m3/d";
        case flow_unit::m3_per_day: break;
    }
    return "m3/d";
}

}  // namespace wbe
