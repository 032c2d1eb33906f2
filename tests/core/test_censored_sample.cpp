// Tests for wbe/core/censored_sample.hpp: counts, zipping flags, assay values → left-censored
// values, and the checks with their messages.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "wbe/core/censored_sample.hpp"
#include "wbe/core/errors.hpp"

namespace {

using wbe::left_censored;
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

TEST(CensoredSample, CountsAndShares) {
    const std::vector<left_censored> x{{1, true}, {2, false}, {3, false}, {1, true}, {5, false}};
    const auto c = wbe::count_censoring(x);
    EXPECT_EQ(c.n, 5u);
    EXPECT_EQ(c.n_censored, 2u);
    EXPECT_EQ(c.n_detected, 3u);
    EXPECT_EQ(c.censored_share(), 0.4);
    EXPECT_EQ(c.detection_frequency(), 0.6);
    EXPECT_TRUE(std::isnan(wbe::count_censoring({}).censored_share()));
}

TEST(CensoredSample, ZipsValuesWithFlags) {
    const double v[] = {1.0, 2.0, 3.0};
    const bool c[] = {true, false, true};
    const auto x = wbe::make_left_censored(v, c);
    ASSERT_EQ(x.size(), 3u);
    EXPECT_EQ(x[2].value, 3.0);
    EXPECT_TRUE(x[2].censored);
    EXPECT_FALSE(x[1].censored);
}

TEST(CensoredSample, MismatchedLengthsAreAnError) {
    const double v[] = {1.0, 2.0, 3.0};
    const bool c[] = {true, false};
    try {
        (void)wbe::make_left_censored(v, c);
        ADD_FAILURE() << "no error";
    } catch (const wbe::numerical_error& e) {
        EXPECT_EQ(std::string(e.what()), "censored flags: length = 2: must equal the number of values (3)");
    }
}

TEST(CensoredSample, AssayValuesUseTheirOwnLimit) {
    // LOD = 2, LOQ = 6 ng/L
    const auto lod = wbe::to_left_censored({nan, wbe::qualifier::below_lod, 2.0, 6.0});
    EXPECT_EQ(lod.value, 2.0);
    EXPECT_TRUE(lod.censored);
    const auto loq = wbe::to_left_censored({nan, wbe::qualifier::below_loq, 2.0, 6.0});
    EXPECT_EQ(loq.value, 6.0);
    EXPECT_TRUE(loq.censored);
    const auto det = wbe::to_left_censored({12.5, wbe::qualifier::detected, 2.0, 6.0});
    EXPECT_EQ(det.value, 12.5);
    EXPECT_FALSE(det.censored);
    const auto above = wbe::to_left_censored({5000.0, wbe::qualifier::above_uloq, 2.0, 6.0});
    EXPECT_EQ(above.value, 5000.0);
    EXPECT_FALSE(above.censored);
    // a missing limit stays visible as NaN, and the check rejects it
    const auto missing = wbe::to_left_censored({nan, wbe::qualifier::below_loq, 2.0, nan});
    EXPECT_TRUE(std::isnan(missing.value));
    const std::vector<left_censored> x{missing};
    EXPECT_THROW(wbe::check_left_censored(x, "test", wbe::detected_rule::non_negative), wbe::numerical_error);
}

TEST(CensoredSample, ChecksNameCallerPositionValueAndRule) {
    auto message = [](std::vector<left_censored> x, wbe::detected_rule rule) -> std::string {
        try {
            wbe::check_left_censored(x, "caller", rule);
        } catch (const wbe::numerical_error& e) {
            return e.what();
        }
        return "no error";
    };
    using wbe::detected_rule;
    EXPECT_EQ(message({{1, false}, {0, false}}, detected_rule::non_negative), "no error");
    EXPECT_EQ(message({{1, false}, {0, false}}, detected_rule::positive),
              "caller: value[1] = 0: a detected value must be > 0 (the method works on log values)");
    EXPECT_EQ(message({{-0.5, false}}, detected_rule::non_negative),
              "caller: value[0] = -0.5: a detected value must be >= 0");
    EXPECT_EQ(message({{2, false}, {-1, true}}, detected_rule::non_negative),
              "caller: value[1] = <-1: a limit must be > 0");
    EXPECT_EQ(message({{2, false}, {INFINITY, true}}, detected_rule::non_negative),
              "caller: value[1] = <inf: a limit must be finite and > 0");
    EXPECT_EQ(message({{nan, false}}, detected_rule::non_negative),
              "caller: value[0] = nan: a detected value must be finite");
}

}  // namespace
