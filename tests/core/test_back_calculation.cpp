// Tests for wbe/core/back_calculation.hpp: the scalar chain (science.md §1), its invariants, and
// the fused array kernel against the scalar chain.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "test_support.hpp"
#include "wbe/core/back_calculation.hpp"
#include "wbe/core/errors.hpp"

namespace {

// digits_of_agreement scores a NaN result as 17 digits (std::min(17, NaN) is 17): score it 0 here.
double digits_of_agreement(double actual, double expected) {
    return std::isnan(actual) ? 0.0 : wbe::test::digits_of_agreement(actual, expected);
}
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// --- the worked example (science.md §1) ------------------------------------------------------
// C = 200 ng/L, Q = 100 000 m³/d, P = 500 000, CF = 1/0.43 (methamphetamine, F = 0.43).
//   L    = 200 × 100 000 × 1e-3         = 20 000 mg/day
//   PNL  = 20 000 / 500 000 × 1000      = 40 mg/day/1000 inh
//   Cons = 40 / 0.43 = 4000 / 43        = 93.023255813953488… (43 × 93 = 3999, 1/43 = 0.0232558139534883…)

TEST(BackCalculation, WorkedExampleScienceMd) {
    const wbe::concentration c(200.0);
    const wbe::flow q(100000.0);
    const wbe::population p(500000.0);
    const wbe::mass_load l = wbe::load(c, q);
    EXPECT_GE(digits_of_agreement(l.value(), 20000.0), 10);  // science.md §1 worked example
    const wbe::pnl x = wbe::normalise(l, p);
    EXPECT_GE(digits_of_agreement(x.value(), 40.0), 10);     // science.md §1 worked example
    const double cf = wbe::correction_factor(149.24, 149.24, 0.43);
    EXPECT_GE(digits_of_agreement(cf, 2.3255813953488372), 10);  // hand-computed: 1/0.43 = 100/43
    const wbe::consumption cons = wbe::to_consumption(x, cf);
    EXPECT_GE(digits_of_agreement(cons.value(), 93.0232558139535), 10);  // science.md §1: 40/0.43 = 4000/43
}

TEST(BackCalculation, WorkedExampleSameLoadInEveryFlowUnit) {
    // science.md §1: "the same flow written as 10 (10⁴ m³/day) gives the same load"; and as 1e8 L/d.
    const wbe::concentration c(200.0);
    const auto l_e4 = wbe::load(c, wbe::make_flow(10.0, wbe::flow_unit::e4_m3_per_day));
    const auto l_l = wbe::load(c, wbe::make_flow(1e8, wbe::flow_unit::l_per_day));
    const auto l_m3 = wbe::load(c, wbe::make_flow(1e5, wbe::flow_unit::m3_per_day));
    EXPECT_GE(digits_of_agreement(l_e4.value(), 20000.0), 10);
    EXPECT_GE(digits_of_agreement(l_l.value(), 20000.0), 10);
    EXPECT_GE(digits_of_agreement(l_m3.value(), 20000.0), 10);
    // and with the concentration given in µg/L: 0.2 µg/L = 200 ng/L
    const auto l_ug = wbe::load(wbe::make_concentration(0.2, wbe::concentration_unit::ug_per_l), wbe::flow(1e5));
    EXPECT_GE(digits_of_agreement(l_ug.value(), 20000.0), 10);
}

TEST(BackCalculation, WorkedExampleDoses) {
    // hand-computed: 4000/43 mg / 30 mg per dose = 400/129 = 3.1007751937984496 doses/day/1000 inh
    const auto d = wbe::to_doses(wbe::consumption(4000.0 / 43.0), 30.0);
    EXPECT_GE(digits_of_agreement(d.value(), 3.1007751937984496), 12);
    EXPECT_TRUE(std::isnan(wbe::to_doses(wbe::consumption(10.0), nan).value()));
}

// --- correction factor -------------------------------------------------------------------------

TEST(BackCalculation, CorrectionFactorFromMolecularWeights) {
    // hand-computed, science.md §2: cocaine ← BE, (303.36 / 289.33) / 0.35
    //   303.36 / 289.33 = 1.0484913420661528…; / 0.35 = 2.9956895487604366… (table: CF ≈ 3.0)
    EXPECT_GE(digits_of_agreement(wbe::correction_factor(303.36, 289.33, 0.35), 2.9956895487604366), 12);
    // hand-computed: ketamine ← ketamine, F = 0.20 → CF = 5 (science.md §2 table)
    EXPECT_GE(digits_of_agreement(wbe::correction_factor(237.73, 237.73, 0.20), 5.0), 14);
    // F = 1 is allowed: CF is the MW ratio alone, 2 / 1 = 2
    EXPECT_EQ(wbe::correction_factor(2.0, 1.0, 1.0), 2.0);
}

TEST(BackCalculation, CorrectionFactorRejectsBadInputs) {
    EXPECT_THROW((void)wbe::correction_factor(149.24, 149.24, 0.0), wbe::numerical_error);
    EXPECT_THROW((void)wbe::correction_factor(149.24, 149.24, -0.1), wbe::numerical_error);
    EXPECT_THROW((void)wbe::correction_factor(149.24, 149.24, 1.01), wbe::numerical_error);
    EXPECT_THROW((void)wbe::correction_factor(149.24, 149.24, nan), wbe::numerical_error);
    EXPECT_THROW((void)wbe::correction_factor(0.0, 149.24, 0.43), wbe::numerical_error);
    EXPECT_THROW((void)wbe::correction_factor(149.24, 0.0, 0.43), wbe::numerical_error);
    EXPECT_THROW((void)wbe::correction_factor(-149.24, 149.24, 0.43), wbe::numerical_error);
    EXPECT_THROW((void)wbe::correction_factor(149.24, nan, 0.43), wbe::numerical_error);
}

// --- corrections --------------------------------------------------------------------------------

TEST(BackCalculation, CorrectSorption) {
    // hand-computed: 100 / (1 − 0.2) = 125; f = 0 is the identity
    EXPECT_GE(digits_of_agreement(wbe::correct_sorption(wbe::mass_load(100.0), 0.2).value(), 125.0), 15);
    EXPECT_EQ(wbe::correct_sorption(wbe::mass_load(100.0), 0.0).value(), 100.0);
    EXPECT_THROW((void)wbe::correct_sorption(wbe::mass_load(100.0), 1.0), wbe::numerical_error);
    EXPECT_THROW((void)wbe::correct_sorption(wbe::mass_load(100.0), -0.01), wbe::numerical_error);
    EXPECT_THROW((void)wbe::correct_sorption(wbe::mass_load(100.0), nan), wbe::numerical_error);
}

TEST(BackCalculation, CorrectInSewerLoss) {
    // hand-computed: 100 / (1 − 0.5) = 200
    EXPECT_EQ(wbe::correct_in_sewer_loss(wbe::mass_load(100.0), 0.5).value(), 200.0);
    EXPECT_EQ(wbe::correct_in_sewer_loss(wbe::mass_load(100.0), 0.0).value(), 100.0);
    EXPECT_THROW((void)wbe::correct_in_sewer_loss(wbe::mass_load(100.0), 1.0), wbe::numerical_error);
    EXPECT_THROW((void)wbe::correct_in_sewer_loss(wbe::mass_load(100.0), -0.5), wbe::numerical_error);
}

TEST(BackCalculation, CorrectInSewerFirstOrder) {
    const wbe::mass_load l(100.0);
    const double inf = std::numeric_limits<double>::infinity();
    // an infinite half-life is a stable residue: factor exactly 1
    EXPECT_EQ(wbe::correct_in_sewer_first_order(l, inf, 12.0).value(), 100.0);
    // hand-computed: HRT = t½ → exp(ln 2) = 2; HRT = 2 t½ → 4; HRT = 0 → 1
    EXPECT_GE(digits_of_agreement(wbe::correct_in_sewer_first_order(l, 7.0, 7.0).value(), 200.0), 14);
    EXPECT_GE(digits_of_agreement(wbe::correct_in_sewer_first_order(l, 10.0, 20.0).value(), 400.0), 14);
    EXPECT_EQ(wbe::correct_in_sewer_first_order(l, 35.0, 0.0).value(), 100.0);
    // hand-computed: cocaine t½ = 35 h (science.md §2), HRT 5 h: exp(ln2 × 5/35) = 2^(1/7) = 1.1040895136738123
    EXPECT_GE(digits_of_agreement(wbe::correct_in_sewer_first_order(l, 35.0, 5.0).value(), 110.40895136738123), 13);
    EXPECT_THROW((void)wbe::correct_in_sewer_first_order(l, 0.0, 5.0), wbe::numerical_error);
    EXPECT_THROW((void)wbe::correct_in_sewer_first_order(l, -1.0, 5.0), wbe::numerical_error);
    EXPECT_THROW((void)wbe::correct_in_sewer_first_order(l, 35.0, -1.0), wbe::numerical_error);
    EXPECT_THROW((void)wbe::correct_in_sewer_first_order(l, 35.0, inf), wbe::numerical_error);
    EXPECT_THROW((void)wbe::correct_in_sewer_first_order(l, nan, 5.0), wbe::numerical_error);
}

// --- normalisation ------------------------------------------------------------------------------

TEST(BackCalculation, NormaliseRejectsNonPositivePopulation) {
    EXPECT_THROW((void)wbe::normalise(wbe::mass_load(1.0), wbe::population(0.0)), wbe::numerical_error);
    EXPECT_THROW((void)wbe::normalise(wbe::mass_load(1.0), wbe::population(-5.0)), wbe::numerical_error);
    EXPECT_THROW((void)wbe::normalise(wbe::mass_load(1.0), wbe::population(nan)), wbe::numerical_error);
}

TEST(BackCalculation, NormaliseMultiPlantIsSumOfLoadsOverSumOfPopulations) {
    // hand-computed (science.md §1, SCORE/EUDA): plants of 20 000 mg/d for 500 000 inh and
    // 6 000 mg/d for 100 000 inh → 26 000 / 600 000 × 1000 = 130/3 = 43.333… — not the plain
    // mean of 40 and 60 (= 50).
    const std::vector<wbe::mass_load> loads{wbe::mass_load(20000.0), wbe::mass_load(6000.0)};
    const std::vector<wbe::population> pops{wbe::population(500000.0), wbe::population(100000.0)};
    EXPECT_GE(digits_of_agreement(wbe::normalise(loads, pops).value(), 43.333333333333333), 14);
}

TEST(BackCalculation, NormaliseMultiPlantRejectsMismatchAndEmpty) {
    const std::vector<wbe::mass_load> loads{wbe::mass_load(20000.0), wbe::mass_load(6000.0)};
    const std::vector<wbe::population> one{wbe::population(500000.0)};
    EXPECT_THROW((void)wbe::normalise(loads, one), wbe::numerical_error);
    EXPECT_THROW((void)wbe::normalise(std::vector<wbe::mass_load>{}, std::vector<wbe::population>{}),
                 wbe::numerical_error);
}

// --- amphetamine from methamphetamine ---------------------------------------------------------

TEST(BackCalculation, AmphetamineIllicit) {
    // hand-computed (science.md §1): max(0, 1000 − 0.09 × 5000) = 1000 − 450 = 550
    EXPECT_GE(digits_of_agreement(
                  wbe::amphetamine_illicit(wbe::mass_load(1000.0), wbe::mass_load(5000.0)).value(), 550.0), 14);
    // hand-computed: 300 − 450 < 0 → clamped to 0
    EXPECT_EQ(wbe::amphetamine_illicit(wbe::mass_load(300.0), wbe::mass_load(5000.0)).value(), 0.0);
    // hand-computed with another ratio: 1000 − 0.1 × 5000 = 500
    EXPECT_GE(digits_of_agreement(
                  wbe::amphetamine_illicit(wbe::mass_load(1000.0), wbe::mass_load(5000.0), 0.1).value(), 500.0), 14);
    EXPECT_EQ(wbe::amphetamine_per_methamphetamine, 0.09);  // science.md §1
}

// --- invariants (style.md habit 6) ---------------------------------------------------------

TEST(BackCalculation, LoadIsLinearInConcentrationAndFlow) {
    std::mt19937_64 rng(20240101);
    std::uniform_real_distribution<double> conc(0.1, 2000.0), flow(1e3, 1e6), k(0.01, 100.0);
    for (int i = 0; i < 200; ++i) {
        const double c = conc(rng), q = flow(rng), s = k(rng);
        const double base = wbe::load(wbe::concentration(c), wbe::flow(q)).value();
        EXPECT_NEAR(wbe::load(wbe::concentration(s * c), wbe::flow(q)).value(), s * base, 4e-16 * s * base);
        EXPECT_NEAR(wbe::load(wbe::concentration(c), wbe::flow(s * q)).value(), s * base, 4e-16 * s * base);
    }
    // exact for powers of two
    EXPECT_EQ(wbe::load(wbe::concentration(400.0), wbe::flow(1e5)).value(),
              2.0 * wbe::load(wbe::concentration(200.0), wbe::flow(1e5)).value());
}

TEST(BackCalculation, IndexHalvesWhenPopulationDoubles) {
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> load(1.0, 1e5), pop(1e3, 1e7);
    for (int i = 0; i < 200; ++i) {
        const wbe::mass_load l(load(rng));
        const double p = pop(rng);
        EXPECT_DOUBLE_EQ(wbe::normalise(l, wbe::population(2.0 * p)).value(),
                         wbe::normalise(l, wbe::population(p)).value() / 2.0);
    }
    // and through the kernel
    const std::vector<double> c{200.0, 200.0}, q{1e5, 1e5}, p{5e5, 1e6};
    std::vector<double> out(2);
    wbe::back_calculate(c, q, p, wbe::make_chain_factors(1.0, 30.0), {out, {}, {}});
    EXPECT_DOUBLE_EQ(out[1], out[0] / 2.0);
    EXPECT_GE(digits_of_agreement(out[0], 40.0), 14);  // science.md §1 worked example
}

// --- the fused kernel ------------------------------------------------------------------------

TEST(BackCalculation, MakeChainFactors) {
    const auto plain = wbe::make_chain_factors(2.5, 30.0);
    EXPECT_EQ(plain.load_multiplier, 1e-3);  // no correction: ng/L × m³/d → mg/d
    EXPECT_EQ(plain.correction_factor, 2.5);
    EXPECT_EQ(plain.dose_mg, 30.0);
    // hand-computed: 1e-3 / (1 − 0.2) × 2 = 2.5e-3
    const auto corrected = wbe::make_chain_factors(2.5, 30.0, 0.2, 2.0);
    EXPECT_GE(digits_of_agreement(corrected.load_multiplier, 2.5e-3), 15);
    EXPECT_TRUE(std::isnan(wbe::make_chain_factors(2.5, 0.0).dose_mg));
    EXPECT_TRUE(std::isnan(wbe::make_chain_factors(2.5, -1.0).dose_mg));
    EXPECT_TRUE(std::isnan(wbe::make_chain_factors(2.5, nan).dose_mg));
    EXPECT_THROW((void)wbe::make_chain_factors(2.5, 30.0, 1.0), wbe::numerical_error);
    EXPECT_THROW((void)wbe::make_chain_factors(2.5, 30.0, -0.1), wbe::numerical_error);
    EXPECT_THROW((void)wbe::make_chain_factors(2.5, 30.0, 0.0, 0.5), wbe::numerical_error);
    EXPECT_THROW((void)wbe::make_chain_factors(2.5, 30.0, 0.0, std::numeric_limits<double>::infinity()),
                 wbe::numerical_error);
}

struct chain_case {
    double sorbed = 0.0;
    double half_life_h = std::numeric_limits<double>::infinity();
    double hrt_h = 0.0;
};

// The scalar chain of science.md §1, step by step: the oracle for the fused kernel.
struct scalar_result {
    double pnl, cons, doses;
};
scalar_result scalar_chain(double c, double q, double p, double cf, double dose, const chain_case& k) {
    wbe::mass_load l = wbe::load(wbe::concentration(c), wbe::flow(q));
    l = wbe::correct_sorption(l, k.sorbed);
    l = wbe::correct_in_sewer_first_order(l, k.half_life_h, k.hrt_h);
    const wbe::pnl x = wbe::normalise(l, wbe::population(p));
    const wbe::consumption cons = wbe::to_consumption(x, cf);
    return {x.value(), cons.value(), wbe::to_doses(cons, dose).value()};
}

void expect_relative(double actual, double expected, double tol, const char* what, std::size_t i) {
    EXPECT_LE(std::abs(actual - expected), tol * std::abs(expected))
        << what << "[" << i << "]: " << actual << " vs " << expected;
}

void check_kernel_against_scalar_chain(std::size_t n, const chain_case& k, unsigned seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> conc(0.05, 2000.0), flow(1e3, 2e6), pop(1e3, 1e7);
    std::vector<double> c(n), q(n), p(n);
    for (std::size_t i = 0; i < n; ++i) {
        c[i] = conc(rng);
        q[i] = flow(rng);
        p[i] = pop(rng);
    }
    const double cf = 1.0 / 0.43, dose = 30.0;
    const double in_sewer = wbe::correct_in_sewer_first_order(wbe::mass_load(1.0), k.half_life_h, k.hrt_h).value();
    const auto f = wbe::make_chain_factors(cf, dose, k.sorbed, in_sewer);
    std::vector<double> o_pnl(n, -1.0), o_cons(n, -1.0), o_doses(n, -1.0);
    wbe::back_calculate(c, q, p, f, {o_pnl, o_cons, o_doses});
    for (std::size_t i = 0; i < n; ++i) {
        const auto e = scalar_chain(c[i], q[i], p[i], cf, dose, k);
        expect_relative(o_pnl[i], e.pnl, 1e-15, "pnl", i);
        expect_relative(o_cons[i], e.cons, 1e-15, "consumption", i);
        expect_relative(o_doses[i], e.doses, 1e-15, "doses", i);
    }
}

TEST(BackCalculation, KernelEqualsScalarChainWithoutCorrections) {
    for (std::size_t n : {0u, 1u, 7u, 1000u}) {
        SCOPED_TRACE(n);
        check_kernel_against_scalar_chain(n, {}, 11u + static_cast<unsigned>(n));
    }
}

TEST(BackCalculation, KernelEqualsScalarChainWithCorrections) {
    // amphetamine-like sorption 0.35 (science.md §2: 34–41%), cocaine-like t½ 35 h with an 8 h sewer
    const chain_case k{0.35, 35.0, 8.0};
    for (std::size_t n : {0u, 1u, 7u, 1000u}) {
        SCOPED_TRACE(n);
        check_kernel_against_scalar_chain(n, k, 101u + static_cast<unsigned>(n));
    }
}

TEST(BackCalculation, KernelWorkedExampleWithEveryOutput) {
    // science.md §1 worked example; doses hand-computed: 4000/43 / 30 = 400/129
    const std::vector<double> c{200.0}, q{1e5}, p{5e5};
    std::vector<double> a(1), b(1), d(1);
    wbe::back_calculate(c, q, p, wbe::make_chain_factors(1.0 / 0.43, 30.0), {a, b, d});
    EXPECT_GE(digits_of_agreement(a[0], 40.0), 10);
    EXPECT_GE(digits_of_agreement(b[0], 93.0232558139535), 10);
    EXPECT_GE(digits_of_agreement(d[0], 3.1007751937984496), 10);
}

TEST(BackCalculation, KernelSkipsEmptyOutputSpans) {
    const std::vector<double> c{200.0, 100.0}, q{1e5, 1e5}, p{5e5, 5e5};
    const auto f = wbe::make_chain_factors(2.0, 10.0);
    // only consumption: hand-computed PNL 40 and 20 → × CF 2 = 80 and 40
    std::vector<double> cons(2, -1.0);
    wbe::back_calculate(c, q, p, f, {{}, cons, {}});
    EXPECT_GE(digits_of_agreement(cons[0], 80.0), 14);
    EXPECT_GE(digits_of_agreement(cons[1], 40.0), 14);
    // only doses: 80 / 10 = 8 and 40 / 10 = 4
    std::vector<double> doses(2, -1.0);
    wbe::back_calculate(c, q, p, f, {{}, {}, doses});
    EXPECT_GE(digits_of_agreement(doses[0], 8.0), 14);
    EXPECT_GE(digits_of_agreement(doses[1], 4.0), 14);
    // pnl and doses, no consumption
    std::vector<double> x(2, -1.0), y(2, -1.0);
    wbe::back_calculate(c, q, p, f, {x, {}, y});
    EXPECT_GE(digits_of_agreement(x[0], 40.0), 14);
    EXPECT_GE(digits_of_agreement(y[1], 4.0), 14);
    // nothing wanted at all: nothing to do, no throw
    EXPECT_NO_THROW(wbe::back_calculate(c, q, p, f, {}));
}

TEST(BackCalculation, KernelRejectsMismatchedLengths) {
    const std::vector<double> c{1.0, 2.0, 3.0}, q{1.0, 2.0, 3.0}, p{1.0, 2.0, 3.0}, two{1.0, 2.0};
    std::vector<double> out3(3), out2(2);
    const auto f = wbe::make_chain_factors(1.0, 1.0);
    EXPECT_THROW(wbe::back_calculate(c, two, p, f, {out3, {}, {}}), std::invalid_argument);
    EXPECT_THROW(wbe::back_calculate(c, q, two, f, {out3, {}, {}}), std::invalid_argument);
    EXPECT_THROW(wbe::back_calculate(two, q, p, f, {out2, {}, {}}), std::invalid_argument);
    EXPECT_THROW(wbe::back_calculate(c, q, p, f, {out2, {}, {}}), std::invalid_argument);
    EXPECT_THROW(wbe::back_calculate(c, q, p, f, {{}, out2, {}}), std::invalid_argument);
    EXPECT_THROW(wbe::back_calculate(c, q, p, f, {out3, out3, out2}), std::invalid_argument);
    EXPECT_NO_THROW(wbe::back_calculate(c, q, p, f, {out3, out3, out3}));
}

TEST(BackCalculation, KernelNonPositivePopulationGivesNaN) {
    const std::vector<double> c{200.0, 200.0, 200.0, 200.0}, q{1e5, 1e5, 1e5, 1e5}, p{5e5, 0.0, -5e5, nan};
    std::vector<double> a(4), b(4), d(4);
    wbe::back_calculate(c, q, p, wbe::make_chain_factors(1.0 / 0.43, 30.0), {a, b, d});
    EXPECT_GE(digits_of_agreement(a[0], 40.0), 14);  // science.md §1 worked example
    for (std::size_t i = 1; i < 4; ++i) {
        EXPECT_TRUE(std::isnan(a[i])) << i;
        EXPECT_TRUE(std::isnan(b[i])) << i;
        EXPECT_TRUE(std::isnan(d[i])) << i;
    }
}

TEST(BackCalculation, KernelNaNOrNonPositiveDoseGivesNaNDoses) {
    const std::vector<double> c{200.0}, q{1e5}, p{5e5};
    // through make_chain_factors, and a chain_factors filled by hand (documented: NaN or ≤ 0 → NaN)
    for (double dose : {nan, 0.0, -30.0}) {
        for (const bool by_hand : {false, true}) {
            wbe::chain_factors f = wbe::make_chain_factors(1.0 / 0.43, dose);
            if (by_hand) f.dose_mg = dose;
            std::vector<double> a(1), b(1), d(1);
            wbe::back_calculate(c, q, p, f, {a, b, d});
            EXPECT_GE(digits_of_agreement(a[0], 40.0), 14);                 // science.md §1
            EXPECT_GE(digits_of_agreement(b[0], 93.0232558139535), 12);     // science.md §1
            EXPECT_TRUE(std::isnan(d[0])) << "dose " << dose << (by_hand ? " by hand" : "") << ": " << d[0];
        }
    }
    // a default chain_factors has no dose (dose_mg = 0): NaN doses, not infinity
    std::vector<double> d(1);
    wbe::back_calculate(c, q, p, wbe::chain_factors{}, {{}, {}, d});
    EXPECT_TRUE(std::isnan(d[0])) << d[0];
}

TEST(BackCalculation, KernelNaNCorrectionFactorGivesNaNConsumptionButPnl) {
    // a residue that is no consumption marker (norketamine): CF NaN, PNL still computed
    const std::vector<double> c{200.0}, q{1e5}, p{5e5};
    std::vector<double> a(1), b(1), d(1);
    wbe::back_calculate(c, q, p, wbe::make_chain_factors(nan, nan), {a, b, d});
    EXPECT_GE(digits_of_agreement(a[0], 40.0), 14);  // science.md §1 worked example
    EXPECT_TRUE(std::isnan(b[0]));
    EXPECT_TRUE(std::isnan(d[0]));
}

}  // namespace
