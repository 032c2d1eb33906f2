#include "wbe/core/uncertainty.hpp"

namespace wbe {

std::string_view to_string(uncertainty_method m) noexcept {
    switch (m) {
        case uncertainty_method::monte_carlo: return "monte_carlo";
        case uncertainty_method::analytic: return "analytic";
        case uncertainty_method::none: break;
    }
    return "none";
}

bool parse_uncertainty_method(std::string_view t, uncertainty_method& out) noexcept {
    for (auto m : {uncertainty_method::none, uncertainty_method::monte_carlo, uncertainty_method::analytic})
        if (to_string(m) == t) {
            out = m;
            return true;
        }
    return false;
}

std::string_view to_string(censored_draws c) noexcept {
    return c == censored_draws::uniform ? "uniform" : "substitute";
}

}  // namespace wbe
