// Tests for wbe/core/date.hpp: civil ↔ day-number conversion, weekdays, and the strict ISO parser.

#include <gtest/gtest.h>

#include <string>

#include "wbe/core/date.hpp"

namespace {

// The test's own calendar, written independently of the engine: Gregorian leap rule and month lengths.
bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
unsigned month_length(int y, unsigned m) {
    static const unsigned len[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : len[m - 1];
}
wbe::civil_date next_day(wbe::civil_date d) {
    if (++d.day > month_length(d.year, d.month)) {
        d.day = 1;
        if (++d.month > 12) {
            d.month = 1;
            ++d.year;
        }
    }
    return d;
}

TEST(Date, KnownDayNumbers) {
    // hand-computed: 1970-01-01 is day 0 by definition.
    EXPECT_EQ(wbe::to_days({1970, 1, 1}), 0);
    EXPECT_EQ(wbe::to_days({1969, 12, 31}), -1);
    // hand-computed: 2000-01-01 = 30 × 365 + 7 leap days (1972…1996) = 10 957;
    // 2000-03-01 = 10 957 + 31 (Jan) + 29 (Feb of the leap year 2000) = 11 017.
    EXPECT_EQ(wbe::to_days({2000, 1, 1}), 10957);
    EXPECT_EQ(wbe::to_days({2000, 3, 1}), 11017);
    // hand-computed: 2024-01-01 = 54 × 365 + 13 leap days (1972…2020) = 19 723; 2024-02-29 = +31 +28 = 19 782.
    EXPECT_EQ(wbe::to_days({2024, 1, 1}), 19723);
    EXPECT_EQ(wbe::to_days({2024, 2, 29}), 19782);
    // hand-computed: 1900-01-01 = −(70 × 365 + 17 leap days 1904…1968) = −25 567.
    EXPECT_EQ(wbe::to_days({1900, 1, 1}), -25567);
    EXPECT_EQ(wbe::to_civil(11017), (wbe::civil_date{2000, 3, 1}));
    EXPECT_EQ(wbe::to_civil(-1), (wbe::civil_date{1969, 12, 31}));
    EXPECT_EQ(wbe::to_civil(19782), (wbe::civil_date{2024, 2, 29}));
}

TEST(Date, RoundTripEveryDay1900To2199) {
    // Walk the test's own calendar day by day and check both directions at each step.
    wbe::civil_date d{1900, 1, 1};
    wbe::day_number z = -25567;  // hand-computed above
    int failures = 0;
    for (; d.year < 2200 && failures < 10; d = next_day(d), ++z) {
        if (wbe::to_days(d) != z || !(wbe::to_civil(z) == d)) {
            ADD_FAILURE() << d.year << "-" << d.month << "-" << d.day << " vs day " << z;
            ++failures;
        }
    }
    // 300 years = 300 × 365 + 73 leap days (75 multiples of 4 from 1900 to 2196, less 1900 and 2100;
    // 2000 is leap) = 109 573 days
    EXPECT_EQ(z, -25567 + 109573);
    EXPECT_EQ(wbe::to_days({2199, 12, 31}), -25567 + 109573 - 1);
}

TEST(Date, RoundTripWideRange) {
    // far beyond the parser's range, including years before 0 (proleptic Gregorian)
    for (wbe::day_number z = -1'000'000; z <= 1'000'000; z += 37) {
        const wbe::civil_date c = wbe::to_civil(z);
        ASSERT_TRUE(wbe::is_valid(c)) << z;
        ASSERT_EQ(wbe::to_days(c), z);
    }
    // hand-computed: 0001-01-01 is 719 162 days before 1970-01-01 (proleptic Gregorian)
    EXPECT_EQ(wbe::to_days({1, 1, 1}), -719162);
}

TEST(Date, LeapYearsAndValidity) {
    EXPECT_TRUE(wbe::is_leap_year(2024));
    EXPECT_TRUE(wbe::is_leap_year(2000));  // divisible by 400
    EXPECT_FALSE(wbe::is_leap_year(1900)); // divisible by 100 only
    EXPECT_FALSE(wbe::is_leap_year(2100));
    EXPECT_FALSE(wbe::is_leap_year(2023));
    EXPECT_TRUE(wbe::is_valid({2024, 2, 29}));
    EXPECT_FALSE(wbe::is_valid({2023, 2, 29}));
    EXPECT_FALSE(wbe::is_valid({1900, 2, 29}));
    EXPECT_TRUE(wbe::is_valid({2000, 2, 29}));
    EXPECT_FALSE(wbe::is_valid({2023, 4, 31}));
    EXPECT_TRUE(wbe::is_valid({2023, 12, 31}));
    EXPECT_FALSE(wbe::is_valid({2023, 13, 1}));
    EXPECT_FALSE(wbe::is_valid({2023, 0, 1}));
    EXPECT_FALSE(wbe::is_valid({2023, 1, 0}));
    EXPECT_EQ(wbe::days_in_month(2024, 2), 29u);
    EXPECT_EQ(wbe::days_in_month(2023, 2), 28u);
    EXPECT_EQ(wbe::days_in_month(2023, 9), 30u);
}

TEST(Date, IsoWeekdayOfKnownDates) {
    // calendar facts: 1970-01-01 Thursday, 1969-12-31 Wednesday, 2000-01-01 Saturday,
    // 2024-01-01 Monday, 2024-02-29 Thursday, 1900-01-01 Monday.
    EXPECT_EQ(wbe::iso_weekday(0), 4u);
    EXPECT_EQ(wbe::iso_weekday(-1), 3u);
    EXPECT_EQ(wbe::iso_weekday(10957), 6u);
    EXPECT_EQ(wbe::iso_weekday(19723), 1u);
    EXPECT_EQ(wbe::iso_weekday(19782), 4u);
    EXPECT_EQ(wbe::iso_weekday(-25567), 1u);
    // the week of 2024-01-01: Monday … Sunday
    for (unsigned i = 0; i < 7; ++i) EXPECT_EQ(wbe::iso_weekday(19723 + static_cast<int>(i)), i + 1);
}

TEST(Date, IsoWeekdayCyclesForNegativeDays) {
    // consecutive days step through 1…7 without a jump at day 0 or below it
    for (wbe::day_number z = -3000; z < 3000; ++z) {
        const unsigned w = wbe::iso_weekday(z), next = wbe::iso_weekday(z + 1);
        ASSERT_GE(w, 1u);
        ASSERT_LE(w, 7u);
        ASSERT_EQ(next, w == 7 ? 1u : w + 1) << z;
    }
}

TEST(Date, ParseIsoDateAcceptsValidDates) {
    EXPECT_EQ(wbe::parse_iso_date("1970-01-01"), 0);
    EXPECT_EQ(wbe::parse_iso_date("2000-03-01"), 11017);  // hand-computed above
    EXPECT_EQ(wbe::parse_iso_date("2024-02-29"), 19782);  // hand-computed above
    EXPECT_EQ(wbe::parse_iso_date("1900-01-01"), -25567); // the first year accepted
    EXPECT_EQ(wbe::parse_iso_date("2199-12-31"), 84005);  // the last day accepted: −25 567 + 109 573 − 1
}

TEST(Date, ParseIsoDateIsStrict) {
    for (const char* bad : {"2023-02-29",  "2023-02-30", "2023-04-31", "2023-13-01", "2023-00-10", "2023-01-00",
                            "2023-2-3",    "2023-02-3",  "23-02-03",   "2023/02/03", "2023.02.03", "20230203",
                            "1899-12-31",  "2200-01-01", "2023-02-03 ", " 2023-02-03", "2023-02-03T00:00",
                            "abcd-ef-gh",  "2023-0a-03", "2023-02-0x", "+023-02-03", "-023-02-03", "", "2023-02--3"}) {
        EXPECT_FALSE(wbe::parse_iso_date(bad).has_value()) << '"' << bad << '"';
    }
}

TEST(Date, FormatIsoDate) {
    EXPECT_EQ(wbe::format_iso_date(0), "1970-01-01");
    EXPECT_EQ(wbe::format_iso_date(19782), "2024-02-29");
    EXPECT_EQ(wbe::format_iso_date(-25567), "1900-01-01");
    for (wbe::day_number z = -25567; z <= 84005; z += 97) {
        const auto back = wbe::parse_iso_date(wbe::format_iso_date(z));
        ASSERT_TRUE(back.has_value()) << z;
        ASSERT_EQ(*back, z);
    }
}

}  // namespace
