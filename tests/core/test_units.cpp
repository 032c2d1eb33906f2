// Tests for wbe/core/units.hpp: quantities, unit conversions and the unit parsers.
// (That a flow does not pass for a concentration is tested by compile_fail/.)

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <type_traits>

#include "test_support.hpp"
#include "wbe/core/units.hpp"

namespace {

// digits_of_agreement scores a NaN result as 17 digits (std::min(17, NaN) is 17): score it 0 here.
double digits_of_agreement(double actual, double expected) {
    return std::isnan(actual) ? 0.0 : wbe::test::digits_of_agreement(actual, expected);
}

TEST(Units, QuantitiesOfDifferentKindsAreDistinctTypes) {
    static_assert(!std::is_same_v<wbe::concentration, wbe::flow>);
    static_assert(!std::is_convertible_v<double, wbe::concentration>);  // explicit constructor
    static_assert(!std::is_convertible_v<wbe::flow, wbe::concentration>);
    SUCCEED();
}

TEST(Units, ArithmeticWithinOneKind) {
    const wbe::mass_load a(3.0);
    const wbe::mass_load b(5.0);
    EXPECT_EQ((a + b).value(), 8.0);   // hand-computed: 3 + 5
    EXPECT_EQ((b - a).value(), 2.0);   // hand-computed: 5 − 3
    EXPECT_EQ((a * 2.0).value(), 6.0);
    EXPECT_EQ((2.0 * a).value(), 6.0);
    EXPECT_EQ((b / 2.0).value(), 2.5);
    EXPECT_EQ(b / a, 5.0 / 3.0);       // the ratio of two loads is a plain number
    EXPECT_LT(a, b);
    EXPECT_EQ(a, wbe::mass_load(3.0));
    wbe::mass_load c(1.0);
    c += a;
    c *= 4.0;
    c -= b;
    c /= 11.0;
    EXPECT_EQ(c.value(), 1.0);  // hand-computed: ((1 + 3) × 4 − 5) / 11 = 1
    EXPECT_EQ(wbe::population().value(), 0.0);
}

TEST(Units, ConcentrationMicrogramsToNanograms) {
    // hand-computed: 1 µg = 1000 ng, so 0.2 µg/L = 200 ng/L (the science.md §1 worked example's C)
    EXPECT_EQ(wbe::ng_per_l_in(wbe::concentration_unit::ng_per_l), 1.0);
    EXPECT_EQ(wbe::ng_per_l_in(wbe::concentration_unit::ug_per_l), 1000.0);
    const auto c = wbe::make_concentration(0.2, wbe::concentration_unit::ug_per_l);
    EXPECT_GE(digits_of_agreement(c.value(), 200.0), 15);
    EXPECT_EQ(wbe::make_concentration(200.0, wbe::concentration_unit::ng_per_l).value(), 200.0);
    EXPECT_GE(digits_of_agreement(wbe::in(wbe::concentration(200.0), wbe::concentration_unit::ug_per_l), 0.2), 15);
    EXPECT_EQ(wbe::in(wbe::concentration(200.0), wbe::concentration_unit::ng_per_l), 200.0);
}

TEST(Units, FlowUnitsToCubicMetresPerDay) {
    // hand-computed: 1 L = 1e-3 m³; 1 (10⁴ m³/d) = 10 000 m³/d. science.md §1: 100 000 m³/d
    // = 10 × 10⁴ m³/d = 1e8 L/d.
    EXPECT_EQ(wbe::m3_per_day_in(wbe::flow_unit::m3_per_day), 1.0);
    EXPECT_EQ(wbe::m3_per_day_in(wbe::flow_unit::l_per_day), 1e-3);
    EXPECT_EQ(wbe::m3_per_day_in(wbe::flow_unit::e4_m3_per_day), 1e4);
    EXPECT_EQ(wbe::make_flow(1e5, wbe::flow_unit::m3_per_day).value(), 1e5);
    EXPECT_EQ(wbe::make_flow(10.0, wbe::flow_unit::e4_m3_per_day).value(), 1e5);
    EXPECT_GE(digits_of_agreement(wbe::make_flow(1e8, wbe::flow_unit::l_per_day).value(), 1e5), 15);
    const wbe::flow q(1e5);
    EXPECT_EQ(wbe::in(q, wbe::flow_unit::e4_m3_per_day), 10.0);
    EXPECT_GE(digits_of_agreement(wbe::in(q, wbe::flow_unit::l_per_day), 1e8), 15);
    EXPECT_EQ(wbe::in(q, wbe::flow_unit::m3_per_day), 1e5);
}

TEST(Units, ParseConcentrationUnitSpellings) {
    using u = wbe::concentration_unit;
    EXPECT_EQ(wbe::parse_concentration_unit("ng/L"), u::ng_per_l);
    EXPECT_EQ(wbe::parse_concentration_unit("ng/l"), u::ng_per_l);
    EXPECT_EQ(wbe::parse_concentration_unit("NG/L"), u::ng_per_l);
    EXPECT_EQ(wbe::parse_concentration_unit(" ng / L "), u::ng_per_l);
    EXPECT_EQ(wbe::parse_concentration_unit("ug/L"), u::ug_per_l);
    EXPECT_EQ(wbe::parse_concentration_unit("ug/l"), u::ug_per_l);
    EXPECT_EQ(wbe::parse_concentration_unit("\xC2\xB5g/L"), u::ug_per_l);  // µ U+00B5 micro sign
    EXPECT_EQ(wbe::parse_concentration_unit("\xCE\xBCg/L"), u::ug_per_l);  // μ U+03BC Greek mu
    EXPECT_EQ(wbe::parse_concentration_unit("\xCE\xBCg/l"), u::ug_per_l);
}

TEST(Units, ParseConcentrationUnitRejectsOthers) {
    for (const char* bad : {"", "mg/L", "g/L", "ng/mL", "ng", "ng/L/d", "pg/L", "mg/m3", "ppb", "\xCE\xBC/L",
                            "\xE2\x84\xA6g/L" /* Ω */}) {
        EXPECT_FALSE(wbe::parse_concentration_unit(bad).has_value()) << '"' << bad << '"';
    }
}

TEST(Units, ParseFlowUnitSpellings) {
    using u = wbe::flow_unit;
    EXPECT_EQ(wbe::parse_flow_unit("m3/d"), u::m3_per_day);
    EXPECT_EQ(wbe::parse_flow_unit("M3/D"), u::m3_per_day);
    EXPECT_EQ(wbe::parse_flow_unit("m3/day"), u::m3_per_day);
    EXPECT_EQ(wbe::parse_flow_unit("m\xC2\xB3/d"), u::m3_per_day);  // m³/d
    EXPECT_EQ(wbe::parse_flow_unit("L/d"), u::l_per_day);
    EXPECT_EQ(wbe::parse_flow_unit("l/d"), u::l_per_day);
    EXPECT_EQ(wbe::parse_flow_unit("L/day"), u::l_per_day);
    EXPECT_EQ(wbe::parse_flow_unit("1e4 m3/d"), u::e4_m3_per_day);
    EXPECT_EQ(wbe::parse_flow_unit("1E4 m3/d"), u::e4_m3_per_day);
    EXPECT_EQ(wbe::parse_flow_unit("1e4m3/d"), u::e4_m3_per_day);
    EXPECT_EQ(wbe::parse_flow_unit("10^4 m3/d"), u::e4_m3_per_day);
    EXPECT_EQ(wbe::parse_flow_unit("10^4 m3/day"), u::e4_m3_per_day);
    EXPECT_EQ(wbe::parse_flow_unit("10\xE2\x81\xB4 m\xC2\xB3/d"), u::e4_m3_per_day);  // 10⁴ m³/d
    EXPECT_EQ(wbe::parse_flow_unit("10\xE2\x81\xB4 m3/d"), u::e4_m3_per_day);          // 10⁴ m3/d
}

TEST(Units, ParseFlowUnitRejectsOthers) {
    // "104 m3/d" is not 10⁴ m³/d: folding the superscript ⁴ must not make it one.
    for (const char* bad : {"", "mg/m3", "m3", "m3/h", "m3/s", "ML/d", "kL/d", "1e3 m3/d", "10^3 m3/d", "104 m3/d",
                            "10 4 m3/d", "ng/L", "m\xC2\xB2/d" /* m²/d */}) {
        EXPECT_FALSE(wbe::parse_flow_unit(bad).has_value()) << '"' << bad << '"';
    }
}

TEST(Units, ToStringRoundTrip) {
    // The canonical spellings are fixed (they appear in output files).
    EXPECT_EQ(wbe::to_string(wbe::concentration_unit::ng_per_l), "ng/L");
    EXPECT_EQ(wbe::to_string(wbe::concentration_unit::ug_per_l), "ug/L");
    EXPECT_EQ(wbe::to_string(wbe::flow_unit::m3_per_day), "m3/d");
    EXPECT_EQ(wbe::to_string(wbe::flow_unit::l_per_day), "L/d");
    EXPECT_EQ(wbe::to_string(wbe::flow_unit::e4_m3_per_day), "1e4 m3/d");
    for (auto u : {wbe::concentration_unit::ng_per_l, wbe::concentration_unit::ug_per_l})
        EXPECT_EQ(wbe::parse_concentration_unit(wbe::to_string(u)), u);
    for (auto u : {wbe::flow_unit::m3_per_day, wbe::flow_unit::l_per_day, wbe::flow_unit::e4_m3_per_day})
        EXPECT_EQ(wbe::parse_flow_unit(wbe::to_string(u)), u);
}

TEST(Units, ConversionsAreConstexpr) {
    static_assert(wbe::make_flow(10.0, wbe::flow_unit::e4_m3_per_day).value() == 1e5);
    static_assert(wbe::make_concentration(2.0, wbe::concentration_unit::ug_per_l).value() == 2000.0);
    SUCCEED();
}

}  // namespace
