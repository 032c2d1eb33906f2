#pragma once
/// @file units.hpp
/// Physical quantities of the back-calculation chain as distinct types.
///
/// Each quantity stores one double in a fixed canonical unit; the only way in or out of a
/// unit is an explicit call (`make_concentration(5, concentration_unit::ug_per_l)`,
/// `in(c, concentration_unit::ng_per_l)`). Quantities of different kinds do not mix:
///
///     concentration c = flow{...};          // does not compile: distinct types
///     auto x = c + population{1000};        // does not compile: no operator+ across tags
///     concentration c = 5.0;                // does not compile: the constructor is explicit
///
/// Canonical units:
/// | type          | canonical unit                 |
/// |---------------|--------------------------------|
/// | concentration | ng/L                           |
/// | flow          | m³/day                         |
/// | population    | persons                        |
/// | mass_load     | mg/day                         |
/// | pnl           | mg/day/1000 inhabitants        |
/// | consumption   | mg/day/1000 inhabitants (drug) |
/// | dose_index    | doses/day/1000 inhabitants     |
/// Kernels work on raw doubles in these canonical units.

#include <compare>
#include <optional>
#include <string_view>

namespace wbe {

template <class Tag>
class quantity {
public:
    constexpr quantity() = default;
    /// Wraps a value that is already in the canonical unit of `Tag`.
    constexpr explicit quantity(double canonical_value) noexcept : v_(canonical_value) {}
    /// The value in the canonical unit.
    [[nodiscard]] constexpr double value() const noexcept { return v_; }

    constexpr quantity& operator+=(quantity o) noexcept { v_ += o.v_; return *this; }
    constexpr quantity& operator-=(quantity o) noexcept { v_ -= o.v_; return *this; }
    constexpr quantity& operator*=(double k) noexcept { v_ *= k; return *this; }
    constexpr quantity& operator/=(double k) noexcept { v_ /= k; return *this; }
    friend constexpr quantity operator+(quantity a, quantity b) noexcept { return quantity(a.v_ + b.v_); }
    friend constexpr quantity operator-(quantity a, quantity b) noexcept { return quantity(a.v_ - b.v_); }
    friend constexpr quantity operator*(quantity a, double k) noexcept { return quantity(a.v_ * k); }
    friend constexpr quantity operator*(double k, quantity a) noexcept { return quantity(a.v_ * k); }
    friend constexpr quantity operator/(quantity a, double k) noexcept { return quantity(a.v_ / k); }
    /// The ratio of two quantities of the same kind is a plain number.
    friend constexpr double operator/(quantity a, quantity b) noexcept { return a.v_ / b.v_; }
    friend constexpr auto operator<=>(quantity, quantity) noexcept = default;

private:
    double v_ = 0.0;
};

struct concentration_tag {};
struct flow_tag {};
struct population_tag {};
struct mass_load_tag {};
struct pnl_tag {};
struct consumption_tag {};
struct dose_index_tag {};

using concentration = quantity<concentration_tag>;  ///< ng/L
using flow = quantity<flow_tag>;                    ///< m³/day
using population = quantity<population_tag>;       ///< persons
using mass_load = quantity<mass_load_tag>;          ///< mg/day
using pnl = quantity<pnl_tag>;                      ///< mg/day/1000 inhabitants (residue)
using consumption = quantity<consumption_tag>;      ///< mg/day/1000 inhabitants (drug)
using dose_index = quantity<dose_index_tag>;        ///< doses/day/1000 inhabitants

/// Concentration units a lab reports in.
enum class concentration_unit { ng_per_l, ug_per_l };
/// Flow units of plant records: m³/d, L/d and the 10⁴ m³/d of Chinese reports.
enum class flow_unit { m3_per_day, l_per_day, e4_m3_per_day };

/// Size of one `u` in ng/L.
[[nodiscard]] constexpr double ng_per_l_in(concentration_unit u) noexcept {
    return u == concentration_unit::ug_per_l ? 1000.0 : 1.0;
}
/// Size of one `u` in m³/day.
[[nodiscard]] constexpr double m3_per_day_in(flow_unit u) noexcept {
    switch (u) {
        case flow_unit::l_per_day: return 1e-3;
        case flow_unit::e4_m3_per_day: return 1e4;
        case flow_unit::m3_per_day: break;
    }
    return 1.0;
}

[[nodiscard]] constexpr concentration make_concentration(double v, concentration_unit u) noexcept {
    return concentration(v * ng_per_l_in(u));
}
[[nodiscard]] constexpr flow make_flow(double v, flow_unit u) noexcept { return flow(v * m3_per_day_in(u)); }
[[nodiscard]] constexpr double in(concentration c, concentration_unit u) noexcept { return c.value() / ng_per_l_in(u); }
[[nodiscard]] constexpr double in(flow q, flow_unit u) noexcept { return q.value() / m3_per_day_in(u); }

/// Parses a concentration unit as labs write it: `ng/L`, `ug/L`, `µg/L`, `μg/L` (letters in any
/// case, spaces ignored). Returns nothing for anything else.
[[nodiscard]] std::optional<concentration_unit> parse_concentration_unit(std::string_view text) noexcept;
/// Parses a flow unit: `m3/d`, `m³/d`, `m3/day`, `L/d`, `L/day`, `1e4 m3/d`, `10^4 m3/d`, `10⁴ m³/d`.
[[nodiscard]] std::optional<flow_unit> parse_flow_unit(std::string_view text) noexcept;
/// The canonical spelling (`ng/L`, `ug/L`, `m3/d`, `L/d`, `1e4 m3/d`).
[[nodiscard]] std::string_view to_string(concentration_unit u) noexcept;
[[nodiscard]] std::string_view to_string(flow_unit u) noexcept;

}  // namespace wbe
