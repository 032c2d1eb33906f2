// Tests for wbe/core/censoring.hpp: substitution rules, policies, method names and parsers
// (science.md §5).

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "wbe/core/censoring.hpp"

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// One lab's limits for every test: LOD = 2 ng/L, LOQ = 6 ng/L.
constexpr double lod = 2.0;
constexpr double loq = 6.0;
const wbe::censored_value below_lod{nan, wbe::qualifier::below_lod, lod, loq};
const wbe::censored_value below_loq{nan, wbe::qualifier::below_loq, lod, loq};

struct rule_case {
    wbe::substitution rule;
    double expected;
    const char* name;
};
// hand-computed from LOD = 2, LOQ = 6: 0; 2/2 = 1; 6/2 = 3; 6/√2 = 3√2 = 4.242640687119285; 6
const rule_case rules[] = {
    {wbe::substitution::zero, 0.0, "zero"},
    {wbe::substitution::lod_half, 1.0, "lod_half"},
    {wbe::substitution::loq_half, 3.0, "loq_half"},
    {wbe::substitution::loq_sqrt2, 4.242640687119285, "loq_sqrt2"},
    {wbe::substitution::loq, 6.0, "loq"},
};

TEST(Censoring, EachRuleOnABelowLodValue) {
    for (const auto& r : rules) {
        SCOPED_TRACE(r.name);
        wbe::substitution_policy policy;
        policy.below_lod = r.rule;
        policy.below_loq = wbe::substitution::loq;  // must not be used for a <LOD value
        EXPECT_NEAR(wbe::substitute(below_lod, policy), r.expected, 1e-15);
        EXPECT_EQ(wbe::censoring_method(below_lod, policy), r.name);
    }
}

TEST(Censoring, EachRuleOnABelowLoqValue) {
    for (const auto& r : rules) {
        SCOPED_TRACE(r.name);
        wbe::substitution_policy policy;
        policy.below_lod = wbe::substitution::zero;  // must not be used for a <LOQ value
        policy.below_loq = r.rule;
        EXPECT_NEAR(wbe::substitute(below_loq, policy), r.expected, 1e-15);
        EXPECT_EQ(wbe::censoring_method(below_loq, policy), r.name);
    }
}

TEST(Censoring, SubstituteByRuleAndLimits) {
    for (const auto& r : rules) EXPECT_NEAR(wbe::substitute(r.rule, lod, loq), r.expected, 1e-15) << r.name;
    // a missing limit gives NaN for the rules that need it (zero needs none)
    EXPECT_TRUE(std::isnan(wbe::substitute(wbe::substitution::lod_half, nan, loq)));
    EXPECT_TRUE(std::isnan(wbe::substitute(wbe::substitution::loq_half, lod, nan)));
    EXPECT_EQ(wbe::substitute(wbe::substitution::zero, nan, nan), 0.0);
}

TEST(Censoring, DefaultPolicyIsLodHalfAndLoqHalf) {
    const wbe::substitution_policy policy;
    EXPECT_EQ(policy.below_lod, wbe::substitution::lod_half);
    EXPECT_EQ(policy.below_loq, wbe::substitution::loq_half);
    EXPECT_EQ(wbe::substitute(below_lod, policy), 1.0);  // hand-computed: LOD/2 = 2/2
    EXPECT_EQ(wbe::substitute(below_loq, policy), 3.0);  // hand-computed: LOQ/2 = 6/2
    EXPECT_EQ(wbe::censoring_method(below_lod, policy), "lod_half");
    EXPECT_EQ(wbe::censoring_method(below_loq, policy), "loq_half");
}

TEST(Censoring, DetectedAndAboveUloqPassThrough) {
    const wbe::substitution_policy policy{wbe::substitution::loq, wbe::substitution::loq};
    const wbe::censored_value detected{12.5, wbe::qualifier::detected, lod, loq};
    const wbe::censored_value above{5000.0, wbe::qualifier::above_uloq, lod, loq};
    EXPECT_EQ(wbe::substitute(detected, policy), 12.5);
    EXPECT_EQ(wbe::substitute(above, policy), 5000.0);
    EXPECT_EQ(wbe::censoring_method(detected, policy), "detected");
    EXPECT_EQ(wbe::censoring_method(above, policy), ">ULOQ");
    EXPECT_FALSE(policy.rule_for(wbe::qualifier::detected).has_value());
    EXPECT_FALSE(policy.rule_for(wbe::qualifier::above_uloq).has_value());
    EXPECT_EQ(policy.rule_for(wbe::qualifier::below_lod), wbe::substitution::loq);
}

TEST(Censoring, CensoredPredicate) {
    EXPECT_TRUE(below_lod.censored());
    EXPECT_TRUE(below_loq.censored());
    EXPECT_FALSE((wbe::censored_value{1.0, wbe::qualifier::detected, lod, loq}.censored()));
    // >ULOQ is a lower bound, not a censored-below value
    EXPECT_FALSE((wbe::censored_value{1.0, wbe::qualifier::above_uloq, lod, loq}.censored()));
}

TEST(Censoring, QualifierToString) {
    EXPECT_EQ(wbe::to_string(wbe::qualifier::detected), "");
    EXPECT_EQ(wbe::to_string(wbe::qualifier::below_lod), "<LOD");
    EXPECT_EQ(wbe::to_string(wbe::qualifier::below_loq), "<LOQ");
    EXPECT_EQ(wbe::to_string(wbe::qualifier::above_uloq), ">ULOQ");
}

TEST(Censoring, ParseQualifierAcceptsLabSpellings) {
    using q = wbe::qualifier;
    EXPECT_EQ(wbe::parse_qualifier(""), q::detected);
    EXPECT_EQ(wbe::parse_qualifier("="), q::detected);
    EXPECT_EQ(wbe::parse_qualifier("detected"), q::detected);
    EXPECT_EQ(wbe::parse_qualifier("Detected"), q::detected);
    EXPECT_EQ(wbe::parse_qualifier("<LOD"), q::below_lod);
    EXPECT_EQ(wbe::parse_qualifier("<lod"), q::below_lod);
    EXPECT_EQ(wbe::parse_qualifier("< LOD"), q::below_lod);
    EXPECT_EQ(wbe::parse_qualifier("nd"), q::below_lod);
    EXPECT_EQ(wbe::parse_qualifier("ND"), q::below_lod);
    EXPECT_EQ(wbe::parse_qualifier("n.d."), q::below_lod);
    EXPECT_EQ(wbe::parse_qualifier("<LOQ"), q::below_loq);
    EXPECT_EQ(wbe::parse_qualifier("BLQ"), q::below_loq);
    EXPECT_EQ(wbe::parse_qualifier("NQ"), q::below_loq);
    EXPECT_EQ(wbe::parse_qualifier(">ULOQ"), q::above_uloq);
    EXPECT_EQ(wbe::parse_qualifier(">uloq"), q::above_uloq);
}

TEST(Censoring, ParseQualifierRejectsOthers) {
    for (const char* bad : {"<<LOQ", "<", ">", "LOD", "LOQ", "<ULOQ", ">LOQ", "==", "yes", "0", "<LOD<LOQ"})
        EXPECT_FALSE(wbe::parse_qualifier(bad).has_value()) << '"' << bad << '"';
}

TEST(Censoring, QualifierRoundTrip) {
    for (auto q : {wbe::qualifier::detected, wbe::qualifier::below_lod, wbe::qualifier::below_loq,
                   wbe::qualifier::above_uloq})
        EXPECT_EQ(wbe::parse_qualifier(wbe::to_string(q)), q);
}

TEST(Censoring, SubstitutionToStringAndParseRoundTrip) {
    for (const auto& r : rules) {
        EXPECT_EQ(wbe::to_string(r.rule), r.name);
        EXPECT_EQ(wbe::parse_substitution(r.name), r.rule);
    }
    for (const char* bad : {"", "LOD_HALF", "lod/2", "half", "loq_sqrt", "detected"})
        EXPECT_FALSE(wbe::parse_substitution(bad).has_value()) << '"' << bad << '"';
}

}  // namespace
