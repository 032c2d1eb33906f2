// Tests for wbe/core/analyte_model.hpp: parameters, correction factors and doses of residue
// models, and lookups in a model set.

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "test_support.hpp"
#include "wbe/core/analyte_model.hpp"
#include "wbe/core/errors.hpp"

namespace {

// digits_of_agreement scores a NaN result as 17 digits (std::min(17, NaN) is 17): score it 0 here.
double digits_of_agreement(double actual, double expected) {
    return std::isnan(actual) ? 0.0 : wbe::test::digits_of_agreement(actual, expected);
}

wbe::parameter param(double v, wbe::evidence e = wbe::evidence::confirmed) {
    wbe::parameter p;
    p.value = v;
    p.evidence_level = e;
    return p;
}

// science.md §2: methamphetamine ← methamphetamine, MW 149.24, F 0.43, dose 30 mg.
wbe::residue_model methamphetamine() {
    wbe::residue_model r;
    r.residue = "methamphetamine";
    r.name = "Methamphetamine";
    r.aliases = {"METH", "MA"};
    r.molecular_weight = param(149.24);
    wbe::drug_model d;
    d.name = "methamphetamine";
    d.molecular_weight = param(149.24);
    d.excretion_fraction = param(0.43);
    d.dose = param(30.0, wbe::evidence::unconfirmed);
    r.drug = d;
    return r;
}

// science.md §2: cocaine ← benzoylecgonine, MW 303.36 / 289.33, F 0.35; no dose given.
wbe::residue_model benzoylecgonine() {
    wbe::residue_model r;
    r.residue = "benzoylecgonine";
    r.aliases = {"BE"};
    r.molecular_weight = param(289.33);
    wbe::drug_model d;
    d.name = "cocaine";
    d.molecular_weight = param(303.36);
    d.excretion_fraction = param(0.35, wbe::evidence::unconfirmed);
    r.drug = d;
    return r;
}

// science.md §2: heroin ← morphine, CF 3.1 given directly.
wbe::residue_model morphine() {
    wbe::residue_model r;
    r.residue = "morphine";
    r.molecular_weight = param(285.34);
    wbe::drug_model d;
    d.name = "heroin";
    d.correction_factor = param(3.1, wbe::evidence::unconfirmed);
    d.excretion_fraction = param(0.5);  // must be ignored: the given CF wins
    d.dose = param(30.0);
    r.drug = d;
    return r;
}

// norketamine: measured, but no consumption marker (no drug).
wbe::residue_model norketamine() {
    wbe::residue_model r;
    r.residue = "norketamine";
    r.aliases = {"NK"};
    r.molecular_weight = param(223.70);
    return r;
}

TEST(AnalyteModel, ParameterDefaultsToAbsent) {
    const wbe::parameter p;
    EXPECT_TRUE(std::isnan(p.value));
    EXPECT_TRUE(std::isnan(p.rsd));
    EXPECT_FALSE(p.present());
    EXPECT_EQ(p.evidence_level, wbe::evidence::unconfirmed);  // nothing is confirmed by default
    EXPECT_TRUE(param(0.0).present());
}

TEST(AnalyteModel, CfFromMolecularWeightsAndExcretion) {
    // hand-computed: (149.24 / 149.24) / 0.43 = 100/43 = 2.3255813953488372 (science.md §2: CF 2.33)
    EXPECT_GE(digits_of_agreement(methamphetamine().cf(), 2.3255813953488372), 12);
    // hand-computed: (303.36 / 289.33) / 0.35 = 2.99568954876043667 (science.md §2: CF 3.0)
    EXPECT_GE(digits_of_agreement(benzoylecgonine().cf(), 2.9956895487604367), 12);
}

TEST(AnalyteModel, CfGivenDirectly) {
    EXPECT_EQ(morphine().cf(), 3.1);  // science.md §2: heroin ← morphine, CF 3.1
}

TEST(AnalyteModel, CfWithoutDrugIsNaN) { EXPECT_TRUE(std::isnan(norketamine().cf())); }

TEST(AnalyteModel, CfWithBadExcretionThrows) {
    auto r = methamphetamine();
    r.drug->excretion_fraction = wbe::parameter{};  // absent: neither F nor CF
    EXPECT_THROW((void)r.cf(), wbe::numerical_error);
    r.drug->excretion_fraction = param(1.5);
    EXPECT_THROW((void)r.cf(), wbe::numerical_error);
}

TEST(AnalyteModel, DoseMg) {
    EXPECT_EQ(methamphetamine().dose_mg(), 30.0);
    EXPECT_TRUE(std::isnan(benzoylecgonine().dose_mg()));  // drug without a dose
    EXPECT_TRUE(std::isnan(norketamine().dose_mg()));      // no drug at all
}

TEST(AnalyteModel, ConsumptionParametersFromExcretion) {
    const auto r = methamphetamine();
    const auto ps = r.consumption_parameters();
    ASSERT_EQ(ps.size(), 4u);
    EXPECT_EQ(ps[0].first, "methamphetamine.molecular_weight");
    EXPECT_EQ(ps[1].first, "methamphetamine.drug.molecular_weight");
    EXPECT_EQ(ps[2].first, "methamphetamine.drug.excretion_fraction");
    EXPECT_EQ(ps[3].first, "methamphetamine.drug.dose");
    // the pointers point into the model itself
    EXPECT_EQ(ps[0].second, &r.molecular_weight);
    EXPECT_EQ(ps[2].second, &r.drug->excretion_fraction);
    EXPECT_EQ(ps[3].second->evidence_level, wbe::evidence::unconfirmed);
}

TEST(AnalyteModel, ConsumptionParametersWithGivenCfOrNoDose) {
    const auto m = morphine();
    const auto ps = m.consumption_parameters();
    ASSERT_EQ(ps.size(), 2u);
    EXPECT_EQ(ps[0].first, "morphine.drug.correction_factor");
    EXPECT_EQ(ps[1].first, "morphine.drug.dose");
    const auto be = benzoylecgonine().consumption_parameters();
    ASSERT_EQ(be.size(), 3u);  // no dose
    EXPECT_EQ(be[2].first, "benzoylecgonine.drug.excretion_fraction");
    EXPECT_TRUE(norketamine().consumption_parameters().empty());
}

TEST(AnalyteModel, ModelSetFindByIdAndAliasCaseInsensitive) {
    wbe::model_set set;
    set.name = "default";
    set.residues = {methamphetamine(), benzoylecgonine(), morphine(), norketamine()};
    const auto* meth = set.find("methamphetamine");
    ASSERT_NE(meth, nullptr);
    EXPECT_EQ(meth->residue, "methamphetamine");
    EXPECT_EQ(meth, &set.residues[0]);
    EXPECT_EQ(set.find("METHAMPHETAMINE"), meth);
    EXPECT_EQ(set.find("Meth"), meth);
    EXPECT_EQ(set.find("ma"), meth);
    EXPECT_EQ(set.find("be"), &set.residues[1]);
    EXPECT_EQ(set.find("Benzoylecgonine"), &set.residues[1]);
    EXPECT_EQ(set.find("nk"), &set.residues[3]);
    EXPECT_EQ(set.find("cocaine"), nullptr);  // a drug name is not a residue id
    EXPECT_EQ(set.find("methamp"), nullptr);  // no prefix matches
    EXPECT_EQ(set.find("methamphetamine "), nullptr);
    EXPECT_EQ(set.find(""), nullptr);
    EXPECT_EQ(wbe::model_set{}.find("methamphetamine"), nullptr);
}

TEST(AnalyteModel, EvidenceToString) {
    EXPECT_EQ(wbe::to_string(wbe::evidence::confirmed), "confirmed");
    EXPECT_EQ(wbe::to_string(wbe::evidence::unconfirmed), "unconfirmed");
}

}  // namespace
