#pragma once
/// @file date.hpp
/// Calendar days as a count since 1970-01-01 (proleptic Gregorian), with the two things the
/// engine needs of them: the weekday and the calendar quarter. The conversion is the
/// days-from-civil algorithm described by H. Hinnant ("chrono-Compatible Low-Level Date
/// Algorithms"), exact for every representable year.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wbe {

struct civil_date {
    int year = 1970;
    unsigned month = 1;  ///< 1..12
    unsigned day = 1;    ///< 1..31
    friend constexpr bool operator==(const civil_date&, const civil_date&) = default;
};

/// Days since 1970-01-01 (negative before).
using day_number = std::int32_t;

[[nodiscard]] constexpr bool is_leap_year(int y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
[[nodiscard]] constexpr unsigned days_in_month(int y, unsigned m) noexcept {
    constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return (m == 2 && is_leap_year(y)) ? 29u : days[(m - 1) % 12];
}
[[nodiscard]] constexpr bool is_valid(const civil_date& d) noexcept {
    return d.month >= 1 && d.month <= 12 && d.day >= 1 && d.day <= days_in_month(d.year, d.month);
}

[[nodiscard]] constexpr day_number to_days(const civil_date& d) noexcept {
    const int y = d.year - (d.month <= 2 ? 1 : 0);
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);                          // [0, 399]
    const unsigned mp = d.month > 2 ? d.month - 3 : d.month + 9;                         // March = 0
    const unsigned doy = (153 * mp + 2) / 5 + d.day - 1;                                 // [0, 365]
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                          // [0, 146096]
    return static_cast<day_number>(era * 146097 + static_cast<int>(doe) - 719468);
}

[[nodiscard]] constexpr civil_date to_civil(day_number z) noexcept {
    const int zz = z + 719468;
    const int era = (zz >= 0 ? zz : zz - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(zz - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int y = static_cast<int>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return civil_date{y + (m <= 2 ? 1 : 0), m, d};
}

/// ISO weekday: 1 = Monday … 7 = Sunday. (1970-01-01 was a Thursday.)
[[nodiscard]] constexpr unsigned iso_weekday(day_number z) noexcept {
    const int w = (z + 3) % 7;  // 0 = Monday
    return static_cast<unsigned>(w >= 0 ? w : w + 7) + 1;
}

/// Strict ISO 8601 calendar date `YYYY-MM-DD` (years 1900–2199) that exists in the calendar.
[[nodiscard]] std::optional<day_number> parse_iso_date(std::string_view text) noexcept;
/// `YYYY-MM-DD`.
[[nodiscard]] std::string format_iso_date(day_number z);

}  // namespace wbe
