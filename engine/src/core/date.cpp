#include "wbe/core/date.hpp"

#include <cstdio>

namespace wbe {

std::optional<day_number> parse_iso_date(std::string_view t) noexcept {
    if (t.size() != 10 || t[4] != '-' || t[7] != '-') return std::nullopt;
    const auto digits = [&](std::size_t from, std::size_t count, int& out) {
        out = 0;
        for (std::size_t i = from; i < from + count; ++i) {
            if (t[i] < '0' || t[i] > '9') return false;
            out = out * 10 + (t[i] - '0');
        }
        return true;
    };
    int y = 0, m = 0, d = 0;
    if (!digits(0, 4, y) || !digits(5, 2, m) || !digits(8, 2, d)) return std::nullopt;
    if (y < 1900 || y > 2199) return std::nullopt;
    const civil_date c{y, static_cast<unsigned>(m), static_cast<unsigned>(d)};
    if (!is_valid(c)) return std::nullopt;
    return to_days(c);
}

std::string format_iso_date(day_number z) {
    const civil_date c = to_civil(z);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", c.year, c.month, c.day);
    return buf;
}

}  // namespace wbe
