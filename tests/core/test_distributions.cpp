// Tests for wbe/core/distributions.hpp: the factor distributions of the chain's components.
// Sample moments of each family against the exact mean() and variance(), and those against
// closed forms computed here; the log-normal's centring; the truncated normal's positivity;
// the validation rules and the family names.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "wbe/core/distributions.hpp"
#include "wbe/core/rng.hpp"

namespace {

using wbe::distribution_family;
using wbe::factor_distribution;
using wbe::lognormal_center;

factor_distribution make(distribution_family f, double rsd, double low = 1.0, double mode = 1.0, double high = 1.0) {
    factor_distribution d;
    d.family = f;
    d.rsd = rsd;
    d.low = low;
    d.mode = mode;
    d.high = high;
    return d;
}

struct sample_stats {
    double mean, variance, m4, median;
    double lo, hi;
};

// n draws as monte_carlo.cpp makes them: u from one key, z from another, both counter-based.
sample_stats draw(const factor_distribution& d, std::size_t n, std::uint64_t key) {
    std::vector<double> x(n);
    for (std::size_t i = 0; i < n; ++i)
        x[i] = d.sample(wbe::rng::uniform(key, i), wbe::rng::normal(wbe::rng::combine(key, 1), i));
    sample_stats s{};
    for (double v : x) s.mean += v;
    s.mean /= static_cast<double>(n);
    for (double v : x) {
        const double e = v - s.mean;
        s.variance += e * e;
        s.m4 += e * e * e * e;
    }
    s.variance /= static_cast<double>(n - 1);
    s.m4 /= static_cast<double>(n);
    s.lo = *std::min_element(x.begin(), x.end());
    s.hi = *std::max_element(x.begin(), x.end());
    std::nth_element(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(n / 2), x.end());
    s.median = x[n / 2];
    return s;
}

// Standard normal density and distribution function, independent of Boost.
double phi(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2.0 * std::numbers::pi); }
double Phi(double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); }

// N(1, s²) truncated to (0, ∞): with α = −1/s and λ = φ(α)/(1 − Φ(α)),
// E = 1 + s λ and Var = s² (1 + α λ − λ²) (Johnson, Kotz & Balakrishnan 1994, §10.1).
double truncated_mean(double s) {
    const double a = -1.0 / s;
    return 1.0 + s * phi(a) / (1.0 - Phi(a));
}
double truncated_variance(double s) {
    const double a = -1.0 / s, lam = phi(a) / (1.0 - Phi(a));
    return s * s * (1.0 + a * lam - lam * lam);
}

// ---- exact moments vs closed forms --------------------------------------------------------------

TEST(Distributions, ExactMomentsMatchClosedForms) {
    // Log-normal, median 1, rsd 0.5: σ² = ln 1.25; E = e^{σ²/2} = √1.25; Var = (e^{σ²} − 1) e^{σ²} = 0.25 × 1.25.
    const auto ln_med = factor_distribution::lognormal(0.5);
    EXPECT_NEAR(ln_med.mean(), std::sqrt(1.25), 1e-15);
    EXPECT_NEAR(ln_med.variance(), 0.3125, 1e-15);
    // Log-normal, mean 1: E = 1 and Var = rsd² (the rsd is the exact coefficient of variation).
    const auto ln_mean = factor_distribution::lognormal(0.5, lognormal_center::mean);
    EXPECT_NEAR(ln_mean.mean(), 1.0, 1e-15);
    EXPECT_NEAR(ln_mean.variance(), 0.25, 1e-15);
    // Truncated normal, s = 2: α = −0.5, λ = φ(0.5)/Φ(0.5) = 0.35206533/0.69146246 = 0.50916043,
    // E = 1 + 2λ = 2.0183209, Var = 4 (1 − 0.5 λ − λ²) = 4 × 0.48617544 = 1.9447017.
    const auto nrm2 = make(distribution_family::normal, 2.0);
    EXPECT_NEAR(nrm2.mean(), 2.0183209, 1e-7);
    EXPECT_NEAR(nrm2.variance(), 1.9447017, 1e-7);
    EXPECT_NEAR(nrm2.mean(), truncated_mean(2.0), 1e-13);
    EXPECT_NEAR(nrm2.variance(), truncated_variance(2.0), 1e-13);
    // Barely truncated (s = 0.2, α = −5): E ≈ 1 + 0.2 φ(5) = 1 + 2.97·10⁻⁷.
    const auto nrm02 = make(distribution_family::normal, 0.2);
    EXPECT_NEAR(nrm02.mean(), truncated_mean(0.2), 1e-14);
    EXPECT_NEAR(nrm02.variance(), truncated_variance(0.2), 1e-14);
    // Uniform(0.5, 1.5): E = 1, Var = 1/12. Triangular(0.5, 0.8, 2): E = 3.3/3 = 1.1,
    // Var = (0.25 + 0.64 + 4 − 0.4 − 1 − 1.6)/18 = 1.89/18 = 0.105.
    EXPECT_NEAR(make(distribution_family::uniform, 0, 0.5, 1, 1.5).mean(), 1.0, 1e-15);
    EXPECT_NEAR(make(distribution_family::uniform, 0, 0.5, 1, 1.5).variance(), 1.0 / 12.0, 1e-15);
    EXPECT_NEAR(make(distribution_family::triangular, 0, 0.5, 0.8, 2.0).mean(), 1.1, 1e-15);
    EXPECT_NEAR(make(distribution_family::triangular, 0, 0.5, 0.8, 2.0).variance(), 0.105, 1e-15);
    // Fixed, and the zero-spread limits of the random families.
    EXPECT_EQ(factor_distribution::fixed().mean(), 1.0);
    EXPECT_EQ(factor_distribution::fixed().variance(), 0.0);
    EXPECT_EQ(make(distribution_family::normal, 0.0).mean(), 1.0);
    EXPECT_EQ(make(distribution_family::normal, 0.0).variance(), 0.0);
    EXPECT_EQ(factor_distribution::lognormal(0.0).variance(), 0.0);
}

// ---- sample moments vs exact moments ------------------------------------------------------------

struct family_case {
    const char* name;
    factor_distribution d;
};

TEST(Distributions, SampleMeanAndVarianceMatchTheExactMoments) {
    const std::vector<family_case> cases = {
        {"lognormal median rsd 0.5", factor_distribution::lognormal(0.5)},
        {"lognormal mean rsd 0.5", factor_distribution::lognormal(0.5, lognormal_center::mean)},
        {"lognormal median rsd 0.15", factor_distribution::lognormal(0.15)},
        {"normal rsd 0.2", make(distribution_family::normal, 0.2)},
        {"normal rsd 2 (truncated)", make(distribution_family::normal, 2.0)},
        {"uniform 0.5-1.5", make(distribution_family::uniform, 0, 0.5, 1, 1.5)},
        {"triangular 0.5/0.8/2", make(distribution_family::triangular, 0, 0.5, 0.8, 2.0)},
        {"triangular mode = high", make(distribution_family::triangular, 0, 0.5, 2.0, 2.0)},
    };
    constexpr std::size_t n = 100000;
    for (const auto& c : cases) {
        const sample_stats s = draw(c.d, n, wbe::rng::hash(c.name));
        // SE of the mean √(Var/n); SE of the variance √((μ₄ − σ⁴)/n), both from the sample.
        const double se_mean = std::sqrt(c.d.variance() / n);
        const double se_var = std::sqrt((s.m4 - s.variance * s.variance) / n);
        EXPECT_NEAR(s.mean, c.d.mean(), 5 * se_mean) << c.name;
        EXPECT_NEAR(s.variance, c.d.variance(), 5 * se_var) << c.name;
        const bool bounded = c.d.family == distribution_family::uniform || c.d.family == distribution_family::triangular;
        EXPECT_GE(s.lo, bounded ? c.d.low : 0.0) << c.name;
        if (bounded) {
            EXPECT_LE(s.hi, c.d.high) << c.name;
        }
    }
    // Fixed: every draw is exactly 1.
    const sample_stats f = draw(factor_distribution::fixed(), 1000, 1);
    EXPECT_EQ(f.lo, 1.0);
    EXPECT_EQ(f.hi, 1.0);
}

// ---- the log-normal's centring ------------------------------------------------------------------

TEST(Distributions, LognormalSigmaAndCentre) {
    // σ² = ln(1 + RSD²): for RSD 0.25, ln 1.0625 = 0.060624621816434843.
    const auto d = factor_distribution::lognormal(0.25);
    EXPECT_NEAR(d.log_sigma() * d.log_sigma(), 0.060624621816434843, 1e-16);
    EXPECT_EQ(d.log_mu(), 0.0);  // median 1
    const auto m = factor_distribution::lognormal(0.25, lognormal_center::mean);
    EXPECT_NEAR(m.log_mu(), -0.5 * 0.060624621816434843, 1e-16);  // μ = −σ²/2: mean 1
    // z = 0 is the median: exactly 1 for `center: median`, e^{−σ²/2} for `center: mean`.
    EXPECT_EQ(d.sample(0.5, 0.0), 1.0);
    EXPECT_NEAR(m.sample(0.5, 0.0), std::exp(-0.5 * 0.060624621816434843), 1e-16);
    // Other families have no log-normal parameters.
    EXPECT_EQ(make(distribution_family::normal, 0.3).log_sigma(), 0.0);
    EXPECT_EQ(factor_distribution::fixed().log_sigma(), 0.0);
    EXPECT_TRUE(d.log_normal_exact());
    EXPECT_TRUE(factor_distribution::fixed().log_normal_exact());
    EXPECT_FALSE(make(distribution_family::normal, 0.3).log_normal_exact());
    EXPECT_FALSE(make(distribution_family::uniform, 0, 0.5, 1, 1.5).log_normal_exact());
    EXPECT_FALSE(make(distribution_family::triangular, 0, 0.5, 1, 1.5).log_normal_exact());
}

TEST(Distributions, LognormalSampleMedianAndMean) {
    // RSD 0.5: σ = √ln 1.25 = 0.47238. SE of a sample median = 1.2533 σ m / √n (m the median),
    // SE of the mean = √(Var/n).
    constexpr std::size_t n = 100000;
    const double sigma = std::sqrt(std::log(1.25));
    const sample_stats med = draw(factor_distribution::lognormal(0.5), n, 11);
    EXPECT_NEAR(med.median, 1.0, 5 * 1.2533 * sigma / std::sqrt(n));
    const sample_stats mean = draw(factor_distribution::lognormal(0.5, lognormal_center::mean), n, 12);
    EXPECT_NEAR(mean.mean, 1.0, 5 * 0.5 / std::sqrt(n));
    EXPECT_NEAR(mean.median, std::exp(-0.5 * sigma * sigma), 5 * 1.2533 * sigma * 0.8944 / std::sqrt(n));
}

// ---- the truncated normal stays positive --------------------------------------------------------

TEST(Distributions, TruncatedNormalIsNeverAtOrBelowZero) {
    for (double rsd : {0.5, 2.0, 50.0}) {
        const auto d = make(distribution_family::normal, rsd);
        const sample_stats s = draw(d, 100000, 77);
        EXPECT_GT(s.lo, 0.0) << "rsd " << rsd;
        // The extreme uniforms the generator can give: 2⁻⁵⁴ and 1 − 2⁻⁵³.
        EXPECT_GT(d.sample(wbe::rng::to_open_unit(0), 0.0), 0.0) << "rsd " << rsd;
        EXPECT_TRUE(std::isfinite(d.sample(wbe::rng::to_open_unit(~0ull), 0.0))) << "rsd " << rsd;
    }
    // u near 1: a + u(1 − a) rounds to 1 for some rsd, where Φ⁻¹ is infinite (Boost throws,
    // and sample() is noexcept). A sweep of rsd values must give finite factors.
    const double u_max = wbe::rng::to_open_unit(~0ull);
    for (double rsd = 0.01; rsd < 100.0; rsd *= 1.01) {
        const double x = make(distribution_family::normal, rsd).sample(u_max, 0.0);
        ASSERT_TRUE(std::isfinite(x) && x > 1.0) << "rsd " << rsd;
    }
}

TEST(Distributions, UniformAndTriangularInverseCdf) {
    const auto u = make(distribution_family::uniform, 0, 0.8, 1, 1.6);
    EXPECT_DOUBLE_EQ(u.sample(0.25, 0.0), 1.0);  // 0.8 + 0.25 × 0.8
    const auto t = make(distribution_family::triangular, 0, 0.5, 0.8, 2.0);
    // F(mode) = (mode − low)/(high − low) = 0.3/1.5 = 0.2: u = 0.2 gives the mode.
    EXPECT_NEAR(t.sample(0.2, 0.0), 0.8, 1e-15);
    // u = 0.1 < 0.2: low + √(u w (mode − low)) = 0.5 + √(0.1 × 1.5 × 0.3) = 0.5 + √0.045.
    EXPECT_NEAR(t.sample(0.1, 0.0), 0.5 + std::sqrt(0.045), 1e-15);
    // u = 0.6 > 0.2: high − √((1 − u) w (high − mode)) = 2 − √(0.4 × 1.5 × 1.2) = 2 − √0.72.
    EXPECT_NEAR(t.sample(0.6, 0.0), 2.0 - std::sqrt(0.72), 1e-15);
    // A degenerate triangle is its point.
    EXPECT_EQ(make(distribution_family::triangular, 0, 1.2, 1.2, 1.2).sample(0.3, 0.0), 1.2);
}

// ---- validation ---------------------------------------------------------------------------------

TEST(Distributions, CheckNamesTheBrokenRule) {
    EXPECT_EQ(factor_distribution::fixed().check(), "");
    EXPECT_EQ(factor_distribution::lognormal(0.15).check(), "");
    EXPECT_EQ(factor_distribution::lognormal(0.0).check(), "");
    EXPECT_EQ(factor_distribution::lognormal(-0.1).check(), "rsd must be a finite number >= 0");
    EXPECT_EQ(make(distribution_family::normal, -0.1).check(), "rsd must be a finite number >= 0");
    EXPECT_EQ(make(distribution_family::normal, std::nan("")).check(), "rsd must be a finite number >= 0");
    EXPECT_EQ(factor_distribution::lognormal(INFINITY).check(), "rsd must be a finite number >= 0");

    EXPECT_EQ(make(distribution_family::uniform, 0, 0.8, 1, 1.2).check(), "");
    EXPECT_EQ(make(distribution_family::uniform, 0, 1.2, 1, 0.8).check(), "low must be <= high");
    EXPECT_EQ(make(distribution_family::uniform, 0, 0.0, 1, 1.2).check(), "low must be > 0 (a factor on a positive quantity)");
    EXPECT_EQ(make(distribution_family::uniform, 0, -1.0, 1, 1.2).check(), "low must be > 0 (a factor on a positive quantity)");
    EXPECT_EQ(make(distribution_family::uniform, 0, 0.8, 1, INFINITY).check(), "low and high must be finite");

    EXPECT_EQ(make(distribution_family::triangular, 0, 0.8, 1.0, 1.2).check(), "");
    EXPECT_EQ(make(distribution_family::triangular, 0, 0.8, 1.5, 1.2).check(), "low <= mode <= high is required");
    EXPECT_EQ(make(distribution_family::triangular, 0, 0.8, 0.5, 1.2).check(), "low <= mode <= high is required");
    EXPECT_EQ(make(distribution_family::triangular, 0, 1.2, 1.0, 0.8).check(), "low <= mode <= high is required");
    EXPECT_EQ(make(distribution_family::triangular, 0, 0.0, 1.0, 1.2).check(),
              "low must be > 0 (a factor on a positive quantity)");
    EXPECT_EQ(make(distribution_family::triangular, 0, 0.8, std::nan(""), 1.2).check(), "low, mode and high must be finite");
}

TEST(Distributions, FamilyNamesRoundTrip) {
    for (auto f : {distribution_family::fixed, distribution_family::normal, distribution_family::lognormal,
                   distribution_family::uniform, distribution_family::triangular}) {
        distribution_family out = distribution_family::fixed;
        ASSERT_TRUE(wbe::parse_distribution_family(wbe::to_string(f), out)) << wbe::to_string(f);
        EXPECT_EQ(out, f);
    }
    EXPECT_EQ(wbe::to_string(distribution_family::lognormal), "lognormal");
    EXPECT_EQ(wbe::to_string(distribution_family::triangular), "triangular");
    distribution_family out = distribution_family::uniform;
    EXPECT_FALSE(wbe::parse_distribution_family("gamma", out));
    EXPECT_FALSE(wbe::parse_distribution_family("Lognormal", out));  // names are exact
    EXPECT_FALSE(wbe::parse_distribution_family("", out));
    EXPECT_EQ(out, distribution_family::uniform);  // unchanged on failure
}

}  // namespace
