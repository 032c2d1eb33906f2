// Tests for wbe/core/censored_mle.hpp: a case built so that the MLE is known exactly, the score
// equations checked with an independent likelihood, no censoring, invariants and errors.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "censored_reference.hpp"
#include "wbe/core/censored_mle.hpp"
#include "wbe/core/errors.hpp"

namespace {

using wbe::left_censored;

constexpr double pi = 3.14159265358979323846;

// An independent log-likelihood of (μ, σ) on the original scale (std::erfc, not Boost).
double loglik(const std::vector<left_censored>& x, double mu, double sigma) {
    double s = 0.0;
    for (const auto& v : x) {
        const double z = (std::log(v.value) - mu) / sigma;
        s += v.censored ? std::log(0.5 * std::erfc(-z / std::sqrt(2.0)))
                        : -std::log(sigma) - 0.5 * z * z - std::log(v.value) - 0.5 * std::log(2.0 * pi);
    }
    return s;
}

// ---- a 5-value case whose maximum is μ = 0, σ = 1 by construction.
//
// Two values censored at L = 1 (ln L = 0) and three detects with logs y = a − d, a, a + d.
// At (μ, σ) = (0, 1) a censored value has c = (0 − 0)/1 = 0 and λ(0) = φ(0)/Φ(0) = 2φ(0). The
// score equations (censored_mle.hpp, in μ and σ) read
//     ∂ℓ/∂μ = [Σ y_i − 2 λ(0)] / σ = 0        →  3a = 4 φ(0) = 4/√(2π)
//     ∂ℓ/∂σ = [Σ (y_i² − 1) − 2 λ(0)·0] / σ = 0  →  3a² + 2d² = 3
// so a = 4/(3√(2π)) = 0.53192304…, d = √((3 − 3a²)/2) = 1.03710…; the likelihood is strictly
// concave in (μ/σ, 1/σ) (Olsen 1978), so this stationary point is THE maximum. On the original
// scale: mean = e^{1/2}, sd = e^{1/2} √(e − 1), median = 1.
std::vector<left_censored> known_case() {
    const double a = 4.0 / (3.0 * std::sqrt(2.0 * pi));
    const double d = std::sqrt((3.0 - 3.0 * a * a) / 2.0);
    return {{1.0, true}, {std::exp(a - d), false}, {std::exp(a), false}, {1.0, true}, {std::exp(a + d), false}};
}

TEST(CensoredMle, HandBuiltCaseHasItsKnownMaximum) {
    const auto r = wbe::lognormal_mle(known_case());
    EXPECT_TRUE(r.converged);
    EXPECT_NEAR(r.meanlog, 0.0, 1e-12);
    EXPECT_NEAR(r.sdlog, 1.0, 1e-12);
    EXPECT_NEAR(r.mean, std::exp(0.5), 1e-11);
    EXPECT_NEAR(r.sd, std::exp(0.5) * std::sqrt(std::exp(1.0) - 1.0), 1e-11);
    EXPECT_NEAR(r.median, 1.0, 1e-12);
    EXPECT_EQ(r.n, 5u);
    EXPECT_EQ(r.n_censored, 2u);
    EXPECT_NEAR(r.log_likelihood, loglik(known_case(), 0.0, 1.0), 1e-12);
}

// The score equations and a local-maximum check, with the independent likelihood, on the Beal
// lead data (6 limits) when the reference folder is there, and on a built-in sample otherwise.
void expect_stationary_maximum(const std::vector<left_censored>& x) {
    const auto r = wbe::lognormal_mle(x);
    ASSERT_TRUE(r.converged);
    const double mu = r.meanlog;
    const double s = r.sdlog;
    const double h = 1e-5;
    const double g_mu = (loglik(x, mu + h, s) - loglik(x, mu - h, s)) / (2 * h);
    const double g_s = (loglik(x, mu, s + h) - loglik(x, mu, s - h)) / (2 * h);
    EXPECT_NEAR(g_mu, 0.0, 1e-6);
    EXPECT_NEAR(g_s, 0.0, 1e-6);
    const double best = loglik(x, mu, s);
    EXPECT_NEAR(r.log_likelihood, best, 1e-9 * std::abs(best));
    for (double dm : {-0.01, 0.01})
        for (double ds : {-0.01, 0.0, 0.01}) EXPECT_LT(loglik(x, mu + dm, s + ds), best);
    // standard errors: the inverse of the observed information, here from second differences
    // (step relative to σ, so that rounding does not swamp the curvature of a wide fit)
    const double e = 1e-3 * s;
    const double f_mm = (loglik(x, mu + e, s) - 2 * best + loglik(x, mu - e, s)) / (e * e);
    const double f_ss = (loglik(x, mu, s + e) - 2 * best + loglik(x, mu, s - e)) / (e * e);
    const double f_ms = (loglik(x, mu + e, s + e) - loglik(x, mu + e, s - e) - loglik(x, mu - e, s + e) +
                         loglik(x, mu - e, s - e)) / (4 * e * e);
    const double det = f_mm * f_ss - f_ms * f_ms;
    EXPECT_NEAR(r.se_meanlog, std::sqrt(-f_ss / det), 1e-4 * r.se_meanlog);
    EXPECT_NEAR(r.se_sdlog, std::sqrt(-f_mm / det), 1e-4 * r.se_sdlog);
}

TEST(CensoredMle, ScoreIsZeroOnBealLead) {
    WBE_REQUIRE_CENSORED_REFERENCE();
    expect_stationary_maximum(wbe::test::read_envstats_csv("envstats_Beal_2010_Pb.csv"));
}

TEST(CensoredMle, ScoreIsZeroOnAMultiplyCensoredSample) {
    expect_stationary_maximum({{5, true},    {5, true},    {5.5, true},  {5.75, true}, {9.5, true},  {9.5, true},
                               {11, true},   {2, false},   {4.2, false}, {4.62, false}, {5.57, false}, {5.66, false},
                               {5.86, false}, {6.65, false}, {7.5, false}, {7.5, false}, {8.63, false}, {12.2, false},
                               {14.92, false}, {19.64, false}, {22.97, false}});
}

// ---- invariants

TEST(CensoredMle, NoCensoringIsTheClosedForm) {
    const std::vector<left_censored> x{{1, false}, {std::exp(1.0), false}, {std::exp(2.0), false}, {std::exp(5.0), false}};
    // logs 0 1 2 5: mean 2, Σ(y − 2)² = 4 + 1 + 0 + 9 = 14, σ² = 14/4 (divisor n)
    const auto r = wbe::lognormal_mle(x);
    EXPECT_NEAR(r.meanlog, 2.0, 1e-14);
    EXPECT_NEAR(r.sdlog, std::sqrt(3.5), 1e-14);
    EXPECT_NEAR(r.se_meanlog, std::sqrt(3.5) / 2.0, 1e-14);  // σ/√n
    EXPECT_NEAR(r.mean, std::exp(2.0 + 1.75), 1e-10);
    EXPECT_EQ(r.iterations, 0);
}

TEST(CensoredMle, LimitsFarAboveTheDetectsAddNothing) {
    // "<1e30" says nothing: Φ((ln 1e30 − μ)/σ) = 1 to double precision (the upper tail of ln Φ).
    std::vector<left_censored> x{{3.0, false}, {5.0, false}, {11.0, false}, {2.0, false}};
    const auto plain = wbe::lognormal_mle(x);
    x.push_back({1e30, true});
    x.push_back({1e200, true});
    const auto r = wbe::lognormal_mle(x);
    EXPECT_NEAR(r.meanlog, plain.meanlog, 1e-12);
    EXPECT_NEAR(r.sdlog, plain.sdlog, 1e-12);
}

TEST(CensoredMle, LimitsFarBelowTheDetectsConverge) {
    // "<1e-200" with detects 2…11 is strong evidence of a very wide distribution; the first
    // iterations evaluate ln Φ and λ hundreds of SDs into the lower tail (asymptotic series).
    expect_stationary_maximum({{3.0, false}, {5.0, false}, {11.0, false}, {2.0, false}, {1e-30, true}, {1e-200, true}});
}

TEST(CensoredMle, ChangingTheUnitShiftsTheLogMean) {
    auto x = known_case();
    for (auto& v : x) v.value *= 1000.0;
    const auto r = wbe::lognormal_mle(x);
    EXPECT_NEAR(r.meanlog, std::log(1000.0), 1e-11);
    EXPECT_NEAR(r.sdlog, 1.0, 1e-11);
}

TEST(CensoredMle, RowOrderDoesNotMatter) {
    std::vector<left_censored> x{{1, true}, {1, true}, {2, false}, {2.5, false}, {2.8, false}, {3, true},
                                 {3.4, false}, {4, true}, {4.5, false}, {10, true}, {15, false}, {49, false}};
    const auto ref = wbe::lognormal_mle(x);
    std::mt19937 rng(11);
    for (int k = 0; k < 10; ++k) {
        std::shuffle(x.begin(), x.end(), rng);
        const auto r = wbe::lognormal_mle(x);
        EXPECT_NEAR(r.meanlog, ref.meanlog, 1e-12);
        EXPECT_NEAR(r.sdlog, ref.sdlog, 1e-12);
    }
}

// ---- errors

TEST(CensoredMle, InvalidInputIsRejected) {
    try {
        (void)wbe::lognormal_mle(std::vector<left_censored>{{2, true}, {3, false}, {3, false}});
        ADD_FAILURE() << "no error";
    } catch (const wbe::numerical_error& e) {
        EXPECT_EQ(std::string(e.what()), "lognormal_mle: distinct detected values = 1: must be >= 2");
    }
    try {
        (void)wbe::lognormal_mle(std::vector<left_censored>{{2, true}, {3, false}, {-3, true}});
        ADD_FAILURE() << "no error";
    } catch (const wbe::numerical_error& e) {
        EXPECT_EQ(std::string(e.what()), "lognormal_mle: value[2] = <-3: a limit must be > 0");
    }
    wbe::censored_mle_options o;
    o.max_iterations = 0;
    EXPECT_THROW((void)wbe::lognormal_mle(known_case(), o), wbe::numerical_error);
}

}  // namespace
