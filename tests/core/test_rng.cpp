// Tests for wbe/core/rng.hpp: the counter-based generator behind Monte Carlo. Every value is a
// pure function of (key, counter); uniforms lie strictly inside (0, 1); the ziggurat normals
// have the moments, the distribution function and the tail mass of N(0, 1).

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <set>
#include <vector>

#include "wbe/core/rng.hpp"

namespace {

using namespace wbe::rng;

// Φ(x) = erfc(−x/√2)/2, written out here so that the oracle does not share code with the engine.
double std_normal_cdf(double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); }

// ---- pure functions of (key, counter) -----------------------------------------------------------

TEST(Rng, WordUniformNormalArePureFunctionsOfKeyAndCounter) {
    // Same inputs → the same output, whatever was drawn in between and in any order.
    std::vector<std::uint64_t> w;
    std::vector<double> u, z;
    for (std::uint64_t n = 0; n < 1000; ++n) {
        w.push_back(word(42, n));
        u.push_back(uniform(42, n));
        z.push_back(normal(42, n));
    }
    for (std::uint64_t k = 1000; k-- > 0;) {  // backwards, with other keys interleaved
        (void)normal(7, k);
        EXPECT_EQ(word(42, k), w[k]);
        EXPECT_EQ(uniform(42, k), u[k]);
        EXPECT_EQ(normal(42, k), z[k]);
    }
    // constexpr: the mapping is fixed at compile time too.
    static_assert(word(1, 2) == word(1, 2));
    static_assert(word(1, 2) != word(1, 3) && word(1, 2) != word(2, 2));
}

TEST(Rng, DifferentKeyOrCounterGivesDifferentValues) {
    // 200 keys × 200 counters: 40 000 words, all distinct (a collision among 4·10⁴ random 64-bit
    // words has probability ≈ n²/2⁶⁵ ≈ 4·10⁻¹¹), and so are their normals.
    std::set<std::uint64_t> words;
    std::set<double> normals;
    for (std::uint64_t key = 0; key < 200; ++key)
        for (std::uint64_t n = 0; n < 200; ++n) {
            words.insert(word(hash("entity") + key, n));
            normals.insert(normal(hash("entity") + key, n));
        }
    EXPECT_EQ(words.size(), 40000u);
    EXPECT_EQ(normals.size(), 40000u);
    EXPECT_NE(uniform(1, 0), uniform(2, 0));
    EXPECT_NE(uniform(1, 0), uniform(1, 1));
    EXPECT_NE(normal(1, 0), normal(2, 0));
    EXPECT_NE(normal(1, 0), normal(1, 1));
}

// ---- frozen values ------------------------------------------------------------------------------

// These values freeze the stream mapping: every stored Monte Carlo result depends on them.
// Changing one changes every interval the engine has ever written for a given seed.
TEST(Rng, WordIsSplitMix64) {
    // word(key, n) is the n-th output of SplitMix64 seeded with `key`; for seed 0 the reference
    // implementation (Steele, Lea & Flood 2014; Vigna's splitmix64.c) gives these three.
    EXPECT_EQ(word(0, 0), 0xE220A8397B1DCDAFull);
    EXPECT_EQ(word(0, 1), 0x6E789E6AA1B965F4ull);
    EXPECT_EQ(word(0, 2), 0x06C45D188009454Full);
}

TEST(Rng, HashAndCombineAreStable) {
    // hash = mix64(FNV-1a-64(s) + γ). FNV-1a-64("a") = 0xAF63DC4C8601EC8C and FNV-1a-64("") is
    // the offset basis 0xCBF29CE484222325 (published FNV test vectors).
    EXPECT_EQ(hash("a"), mix64(0xAF63DC4C8601EC8Cull + golden_gamma));
    EXPECT_EQ(hash(""), mix64(0xCBF29CE484222325ull + golden_gamma));
    // Computed once (this engine, 2024): frozen.
    EXPECT_EQ(hash(""), 0xC3817C016BA4FF30ull);
    EXPECT_EQ(hash("a"), 0x5F29C2AADD9B8527ull);
    EXPECT_EQ(hash("LS-WWTP-04"), 0x3ED647D0EAB185F6ull);
    EXPECT_EQ(combine(1, 2), 0x3706970B052F16B1ull);
    EXPECT_EQ(combine(2, 1), 0x3FADB6BDE9285E98ull);  // not commutative
    EXPECT_EQ(normal(1, 0), 0.61677671546837942);
    EXPECT_EQ(normal(1, 1), -1.1223364894917174);
    // Order matters in a string and in a combination.
    EXPECT_NE(hash("ab"), hash("ba"));
    EXPECT_NE(combine(hash("P1"), hash("2024Q1")), combine(hash("2024Q1"), hash("P1")));
}

// ---- uniforms -----------------------------------------------------------------------------------

TEST(Rng, OpenUnitNeverReachesZeroOrOne) {
    // The extreme words: k = 0 → 0.5 / 2⁵³ = 2⁻⁵⁴; k = 2⁵³ − 1 → (2⁵³ − 0.5)/2⁵³ rounds to 1 in
    // double, so it must be mapped below 1 (the largest double below 1 is 1 − 2⁻⁵³).
    EXPECT_EQ(to_open_unit(0), 0x1.0p-54);
    EXPECT_LT(to_open_unit(~0ull), 1.0);
    EXPECT_EQ(to_open_unit(~0ull), 1.0 - 0x1.0p-53);
    EXPECT_EQ(to_open_unit(~0ull - (1ull << 11)), 1.0 - 0x1.0p-52);  // k = 2⁵³ − 2: (k + 0.5) rounds to k (even)
    EXPECT_EQ(to_open_unit(1ull << 63), 0.5 + 0x1.0p-54);          // k = 2⁵²: exact in (0.5, 1)
    double lo = 1.0, hi = 0.0, sum = 0.0;
    constexpr std::uint64_t n = 1000000;
    for (std::uint64_t i = 0; i < n; ++i) {
        const double x = uniform(123, i);
        lo = std::min(lo, x);
        hi = std::max(hi, x);
        sum += x;
    }
    EXPECT_GT(lo, 0.0);
    EXPECT_LT(hi, 1.0);
    EXPECT_LT(lo, 1e-4);      // 10⁶ draws: P(min > 10⁻⁴) = (1 − 10⁻⁴)^10⁶ ≈ e⁻¹⁰⁰
    EXPECT_GT(hi, 1 - 1e-4);
    // Mean 1/2, SE = 1/√(12 n) = 2.9·10⁻⁴: 5 SE.
    EXPECT_NEAR(sum / n, 0.5, 5 * 2.9e-4);
}

// ---- normals ------------------------------------------------------------------------------------

TEST(Rng, NormalMomentsAndKolmogorovSmirnov) {
    constexpr std::size_t n = 1000000;
    std::vector<double> z(n);
    for (std::size_t i = 0; i < n; ++i) z[i] = normal(hash("ks"), i);
    double m = 0.0;
    for (double x : z) m += x;
    m /= n;
    double m2 = 0.0, m3 = 0.0, m4 = 0.0;
    for (double x : z) {
        const double d = x - m;
        m2 += d * d;
        m3 += d * d * d;
        m4 += d * d * d * d;
    }
    m2 /= n;
    m3 /= n;
    m4 /= n;
    // N(0,1): mean 0 (SE 1/√n = 0.001), variance 1 (SE √(2/n) = 0.0014), skewness 0
    // (SE √(6/n) = 0.0024), kurtosis 3 (SE √(24/n) = 0.0049). Bounds: 5 SE.
    EXPECT_NEAR(m, 0.0, 0.005);
    EXPECT_NEAR(m2, 1.0, 0.007);
    EXPECT_NEAR(m3 / std::pow(m2, 1.5), 0.0, 0.012);
    EXPECT_NEAR(m4 / (m2 * m2), 3.0, 0.025);

    // Kolmogorov–Smirnov D = sup |F_n − Φ|. Under H0, P(√n D > 1.95) ≈ 0.001 (Kolmogorov
    // distribution), so D < 1.95/√n = 0.00195 unless the generator is wrong.
    std::sort(z.begin(), z.end());
    double d = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        const double f = std_normal_cdf(z[i]);
        d = std::max({d, f - static_cast<double>(i) / n, static_cast<double>(i + 1) / n - f});
    }
    EXPECT_LT(d, 1.95 / std::sqrt(static_cast<double>(n))) << "KS D = " << d;
    RecordProperty("ks_d_sqrt_n", std::to_string(d * std::sqrt(static_cast<double>(n))));
    // Symmetry: the sign bit is independent of the magnitude.
    const auto positive = std::count_if(z.begin(), z.end(), [](double x) { return x > 0.0; });
    EXPECT_NEAR(static_cast<double>(positive) / n, 0.5, 5 * 0.0005);  // SE = 1/(2√n)
}

TEST(Rng, ZigguratTailMatchesTheNormalTail) {
    // The base layer's tail beyond r = 3.6541528853610088 (Marsaglia & Tsang 2000) is sampled by
    // Marsaglia's 1964 method: P(|Z| > r) = erfc(r/√2) = 2.58·10⁻⁴. With n = 3·10⁷ the count
    // is binomial, SE = √(n p (1 − p)) ≈ 88: within 4 SE. (Restarting the whole draw when the
    // tail method rejects, instead of retrying in the tail, leaves the tail α ≈ 1 − 1/r² ≈ 0.93
    // of its mass: 7% ≈ 6 SE low.) Beyond r + 0.5 the mass is erfc((r + 0.5)/√2), which checks
    // the tail's shape, not only its weight.
    constexpr double r = 3.6541528853610088;
    constexpr std::uint64_t n = 30000000;
    std::uint64_t beyond_r = 0, beyond_r5 = 0;
    double tail_min = std::numeric_limits<double>::infinity();
    for (std::uint64_t i = 0; i < n; ++i) {
        const double a = std::abs(normal(hash("tail"), i));
        if (a > r) {
            ++beyond_r;
            tail_min = std::min(tail_min, a);
        }
        if (a > r + 0.5) ++beyond_r5;
    }
    const double p = std::erfc(r / std::numbers::sqrt2);
    const double p5 = std::erfc((r + 0.5) / std::numbers::sqrt2);
    const double expected = n * p, se = std::sqrt(n * p * (1 - p));
    const double expected5 = n * p5, se5 = std::sqrt(n * p5 * (1 - p5));
    EXPECT_NEAR(static_cast<double>(beyond_r), expected, 4 * se) << "expected " << expected;
    EXPECT_NEAR(static_cast<double>(beyond_r5), expected5, 4 * se5) << "expected " << expected5;
    EXPECT_GT(tail_min, r);
    RecordProperty("tail_count", std::to_string(beyond_r) + " vs " + std::to_string(expected));
}

}  // namespace

// normal_block is `normal` at consecutive counters, bit for bit, whatever the block length and
// start (the vectorised fast path, its tail and the slow-path draws included), with the AVX-512
// kernel and with the portable loop.
TEST(Rng, NormalBlockEqualsNormalBitForBit) {
    for (bool avx512 : {true, false}) {
        wbe::rng::detail::enable_avx512(avx512);
        for (std::uint64_t key : {std::uint64_t{1}, std::uint64_t{0xDEADBEEF}, wbe::rng::hash("site")}) {
            for (std::uint64_t start : {std::uint64_t{0}, std::uint64_t{3}, std::uint64_t{1} << 40}) {
                for (std::size_t n : {0u, 1u, 7u, 8u, 9u, 1000u, 4099u, 100003u}) {
                    std::vector<double> block(n);
                    wbe::rng::normal_block(key, start, n, block.data());
                    for (std::size_t j = 0; j < n; ++j)
                        ASSERT_EQ(std::bit_cast<std::uint64_t>(block[j]), std::bit_cast<std::uint64_t>(wbe::rng::normal(key, start + j)))
                            << "key " << key << " start " << start << " j " << j << (avx512 ? " (AVX-512)" : " (portable)");
                }
            }
        }
    }
    wbe::rng::detail::enable_avx512(true);
}

// exp_block against std::exp (glibc's exp is correctly rounded in practice): within 2 ulp over
// the range the Monte Carlo uses and beyond, and std::exp itself outside (−700, 700) and at NaN.
TEST(Rng, ExpBlockWithinTwoUlpOfStdExp) {
    std::vector<double> x;
    for (int i = -70000; i <= 70000; ++i) x.push_back(i * 0.01 + 0.00123 * (i % 7));  // (−700, 700)
    for (double v : {0.0, -0.0, 1e-300, -1e-300, 0.5 * std::numbers::ln2, -0.5 * std::numbers::ln2, 699.999, -699.999})
        x.push_back(v);
    std::vector<double> y = x;
    wbe::rng::exp_block(y.data(), y.size());
    double worst = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double want = std::exp(x[i]);
        const double ulp = std::nextafter(want, std::numeric_limits<double>::infinity()) - want;
        worst = std::max(worst, std::fabs(y[i] - want) / ulp);
    }
    EXPECT_LE(worst, 2.0);
    // Outside the polynomial's range the block falls back to std::exp for all its values.
    std::vector<double> edge = {1.0, 710.0, -745.0, -800.0, std::numeric_limits<double>::quiet_NaN(),
                                std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()};
    std::vector<double> e = edge;
    wbe::rng::exp_block(e.data(), e.size());
    for (std::size_t i = 0; i < edge.size(); ++i) {
        if (std::isnan(edge[i])) EXPECT_TRUE(std::isnan(e[i]));
        else EXPECT_EQ(e[i], std::exp(edge[i])) << edge[i];
    }
}
