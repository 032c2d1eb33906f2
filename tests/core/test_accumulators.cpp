// Tests for wbe/core/accumulators.hpp: streaming moments that merge exactly like one pass over
// the pooled values (style.md habit 6), and type-7 quantiles as numpy computes them.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "wbe/core/accumulators.hpp"
#include "wbe/core/rng.hpp"

namespace {

using wbe::moments;

struct two_pass {
    double mean, variance;
};
// The textbook two-pass estimate: mean, then Σ(x − mean)² / (n − 1).
two_pass reference(const std::vector<double>& x, std::size_t from = 0, std::size_t to = std::size_t(-1)) {
    to = std::min(to, x.size());
    const double n = static_cast<double>(to - from);
    double m = 0.0;
    for (std::size_t i = from; i < to; ++i) m += x[i];
    m /= n;
    double s = 0.0;
    for (std::size_t i = from; i < to; ++i) s += (x[i] - m) * (x[i] - m);
    return {m, s / (n - 1.0)};
}

moments accumulate(const std::vector<double>& x, std::size_t from = 0, std::size_t to = std::size_t(-1)) {
    moments m;
    for (std::size_t i = from; i < std::min(to, x.size()); ++i) m.add(x[i]);
    return m;
}

// Log-normal values around 10⁹ with spread 10³: a large mean relative to the spread is where a
// naive Σx² − n·mean² loses every digit and Welford does not.
std::vector<double> values(std::size_t n, std::uint64_t key) {
    std::vector<double> x(n);
    for (std::size_t i = 0; i < n; ++i) x[i] = 1e9 + 1e3 * std::exp(wbe::rng::normal(key, i));
    return x;
}

double rel(double a, double b) { return std::abs(a - b) / std::abs(b); }

// ---- moments ------------------------------------------------------------------------------------

TEST(Accumulators, EmptyAndSingleValue) {
    moments m;
    EXPECT_EQ(m.count(), 0u);
    EXPECT_TRUE(std::isnan(m.mean()));
    EXPECT_TRUE(std::isnan(m.variance()));
    m.add(3.5);
    EXPECT_EQ(m.count(), 1u);
    EXPECT_EQ(m.mean(), 3.5);
    EXPECT_TRUE(std::isnan(m.variance()));  // n − 1 = 0
    m.add(5.5);
    EXPECT_EQ(m.mean(), 4.5);
    EXPECT_EQ(m.variance(), 2.0);  // (1 + 1)/1
}

TEST(Accumulators, MomentsMatchTwoPass) {
    // {2, 4, 4, 4, 5, 5, 7, 9}: mean 5, Σ(x − 5)² = 32, sample variance 32/7.
    const std::vector<double> small = {2, 4, 4, 4, 5, 5, 7, 9};
    const moments s = accumulate(small);
    EXPECT_EQ(s.count(), 8u);
    EXPECT_NEAR(s.mean(), 5.0, 1e-15);
    EXPECT_NEAR(s.variance(), 32.0 / 7.0, 1e-14);

    const std::vector<double> x = values(10000, 5);
    const moments m = accumulate(x);
    const two_pass r = reference(x);
    EXPECT_LT(rel(m.mean(), r.mean), 1e-14);
    // Each x ~10⁹ carries a rounding of ~10⁻⁷ against deviations ~10³: ~10⁻¹⁰ relative per term.
    EXPECT_LT(rel(m.variance(), r.variance), 1e-9);
}

TEST(Accumulators, MergeEqualsOnePassOverThePooledValues) {
    const std::vector<double> x = values(1000, 9);
    const moments all = accumulate(x);
    const two_pass r = reference(x);
    for (std::size_t cut : {std::size_t(1), std::size_t(2), std::size_t(17), std::size_t(500), std::size_t(999)}) {
        moments a = accumulate(x, 0, cut);
        const moments b = accumulate(x, cut);
        a.merge(b);
        EXPECT_EQ(a.count(), 1000u) << cut;
        EXPECT_LT(rel(a.mean(), all.mean()), 1e-14) << cut;
        EXPECT_LT(rel(a.variance(), all.variance()), 1e-9) << cut;
        EXPECT_LT(rel(a.variance(), r.variance), 1e-9) << cut;
    }
    // Many parts, merged in a tree as threads would: the same as one pass.
    std::vector<moments> parts;
    for (std::size_t i = 0; i < 1000; i += 37) parts.push_back(accumulate(x, i, i + 37));
    while (parts.size() > 1) {
        std::vector<moments> next;
        for (std::size_t i = 0; i + 1 < parts.size(); i += 2) {
            next.push_back(parts[i]);
            next.back().merge(parts[i + 1]);
        }
        if (parts.size() % 2) next.push_back(parts.back());
        parts = std::move(next);
    }
    EXPECT_EQ(parts[0].count(), 1000u);
    EXPECT_LT(rel(parts[0].mean(), r.mean), 1e-14);
    EXPECT_LT(rel(parts[0].variance(), r.variance), 1e-9);
    // Exact on small integers: {1, 2, 3} + {10, 20}: mean 36/5 = 7.2,
    // Σ(x − 7.2)² = 38.44 + 27.04 + 17.64 + 7.84 + 163.84 = 254.8, variance 254.8/4 = 63.7.
    moments a = accumulate({1, 2, 3});
    a.merge(accumulate({10, 20}));
    EXPECT_NEAR(a.mean(), 7.2, 1e-14);
    EXPECT_NEAR(a.variance(), 63.7, 1e-12);
}

TEST(Accumulators, MergeWithEmpty) {
    const moments full = accumulate({1.0, 2.0, 4.0});
    moments a = full;
    a.merge(moments{});  // empty into full: unchanged
    EXPECT_EQ(a.count(), 3u);
    EXPECT_EQ(a.mean(), full.mean());
    EXPECT_EQ(a.variance(), full.variance());
    moments e;
    e.merge(full);  // full into empty: a copy
    EXPECT_EQ(e.count(), 3u);
    EXPECT_EQ(e.mean(), full.mean());
    EXPECT_EQ(e.variance(), full.variance());
    moments ee;
    ee.merge(moments{});  // empty + empty
    EXPECT_EQ(ee.count(), 0u);
    EXPECT_TRUE(std::isnan(ee.mean()));
    moments one = accumulate({5.0});
    one.merge(accumulate({7.0}));  // two singletons: mean 6, variance (1 + 1)/1 = 2
    EXPECT_EQ(one.mean(), 6.0);
    EXPECT_EQ(one.variance(), 2.0);
}

// ---- quantiles ----------------------------------------------------------------------------------

// numpy.quantile(x, p) (method 'linear', Hyndman & Fan type 7) on a sorted copy, written out.
double numpy_quantile(std::vector<double> x, double p) {
    std::sort(x.begin(), x.end());
    const double h = (static_cast<double>(x.size()) - 1.0) * p;
    const auto lo = static_cast<std::size_t>(std::floor(h));
    const std::size_t hi = std::min(lo + 1, x.size() - 1);
    return x[lo] + (h - std::floor(h)) * (x[hi] - x[lo]);
}

double q(std::vector<double> x, double p) { return wbe::quantile(x, p); }

TEST(Accumulators, QuantileType7HandCases) {
    // numpy.quantile([1, 2, 3, 4], p): h = 3p.
    EXPECT_DOUBLE_EQ(q({1, 2, 3, 4}, 0.25), 1.75);  // h = 0.75: 1 + 0.75 (2 − 1)
    EXPECT_DOUBLE_EQ(q({1, 2, 3, 4}, 0.5), 2.5);    // h = 1.5
    EXPECT_DOUBLE_EQ(q({1, 2, 3, 4}, 0.75), 3.25);  // h = 2.25
    EXPECT_EQ(q({1, 2, 3, 4}, 0.0), 1.0);
    EXPECT_EQ(q({1, 2, 3, 4}, 1.0), 4.0);
    EXPECT_DOUBLE_EQ(q({4, 1, 3, 2}, 0.25), 1.75);  // order of the input does not matter
    // numpy.quantile(range(1, 11), 0.9) = 9.1: h = 8.1, 9 + 0.1 (10 − 9).
    EXPECT_NEAR(q({10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, 0.9), 9.1, 1e-14);
    // numpy.quantile(range(101), 0.025) = 2.5 and 0.975 → 97.5: the 95% interval of 0..100.
    std::vector<double> r(101);
    std::iota(r.begin(), r.end(), 0.0);
    EXPECT_NEAR(q(r, 0.025), 2.5, 1e-13);
    EXPECT_NEAR(q(r, 0.975), 97.5, 1e-13);
    // Ties, one value, no value.
    EXPECT_EQ(q({3, 3, 3, 1}, 0.5), 3.0);  // sorted 1 3 3 3, h = 1.5: 3
    EXPECT_EQ(q({7}, 0.3), 7.0);
    std::vector<double> none;
    EXPECT_TRUE(std::isnan(wbe::quantile(none, 0.5)));
}

TEST(Accumulators, QuantileEqualsNumpyDefinitionOnRandomSets) {
    for (std::size_t n : {2u, 3u, 10u, 101u, 1000u, 1001u}) {
        std::vector<double> x(n);
        for (std::size_t i = 0; i < n; ++i) x[i] = wbe::rng::normal(n, i);
        for (double p : {0.0, 0.025, 0.1, 0.5, 0.9, 0.975, 1.0}) {
            std::vector<double> copy = x;
            EXPECT_EQ(wbe::quantile(copy, p), numpy_quantile(x, p)) << "n " << n << " p " << p;
        }
    }
}

// `quantiles` (the multi-rank radix selection) must give exactly what sorting gives, on data
// built to stress it: ties, negatives and both zeros, one huge outlier that leaves every other
// value in one cell, infinities, a range that needs several levels, and sizes around the
// direct-sort cut-off.
TEST(Accumulators, QuantilesEqualSortingOnAdversarialSets) {
    const std::vector<double> probs = {0.5, 0.025, 0.975, 0.0, 1.0, 0.1, 0.9, 0.3333};
    std::vector<std::vector<double>> sets;
    for (std::size_t n : {1u, 2u, 63u, 64u, 65u, 1000u, 10000u, 100001u}) {
        std::vector<double> x(n);
        for (std::size_t i = 0; i < n; ++i) x[i] = std::exp(0.4 * wbe::rng::normal(n, i)) * 700.0;
        sets.push_back(x);  // log-normal draws, the Monte Carlo case
        for (std::size_t i = 0; i < n; ++i) x[i] = wbe::rng::normal(n + 7, i);
        sets.push_back(x);  // both signs
        for (std::size_t i = 0; i < n; ++i) x[i] = static_cast<double>(i % 3);
        sets.push_back(x);  // three distinct values
        for (std::size_t i = 0; i < n; ++i) x[i] = (i % 2) ? 0.0 : -0.0;
        sets.push_back(x);  // signed zeros only
        for (std::size_t i = 0; i < n; ++i) x[i] = 1.0 + static_cast<double>(i % 5) * 1e-15;
        if (n > 3) x[n / 2] = 1e300;
        sets.push_back(x);  // near-equal values and one outlier: several levels
        if (n > 3) {
            x[0] = std::numeric_limits<double>::infinity();
            x[1] = -std::numeric_limits<double>::infinity();
            x[2] = std::numeric_limits<double>::denorm_min();
        }
        sets.push_back(x);
    }
    wbe::quantile_scratch sc;
    for (const auto& x : sets) {
        std::vector<double> got(probs.size());
        const std::vector<double> before = x;
        wbe::quantiles(x, probs, got, sc);
        EXPECT_EQ(x, before);  // not reordered
        for (std::size_t q = 0; q < probs.size(); ++q) {
            std::vector<double> copy = x;
            const double want = wbe::quantile(copy, probs[q]);
            if (std::isnan(want)) {
                EXPECT_TRUE(std::isnan(got[q]));
            } else {
                EXPECT_EQ(got[q], want) << "n " << x.size() << " p " << probs[q];
            }
        }
    }
    std::vector<double> none, out(2);
    wbe::quantiles(none, std::vector<double>{0.5, 0.9}, out, sc);
    EXPECT_TRUE(std::isnan(out[0]) && std::isnan(out[1]));
}

TEST(Accumulators, Type7Ranks) {
    // n = 4, p = 0.25: h = 0.75 → ranks 0 and 1, weight 0.75 of the higher.
    auto r = wbe::type7_ranks(4, 0.25);
    EXPECT_EQ(r.lo, 0u);
    EXPECT_EQ(r.hi, 1u);
    EXPECT_DOUBLE_EQ(r.weight, 0.75);
    // n = 10 000, p = 0.025: h = 9999 × 0.025 = 249.975.
    r = wbe::type7_ranks(10000, 0.025);
    EXPECT_EQ(r.lo, 249u);
    EXPECT_EQ(r.hi, 250u);
    EXPECT_NEAR(r.weight, 0.975, 1e-10);
    // p = 1: the last value, nothing above it.
    r = wbe::type7_ranks(5, 1.0);
    EXPECT_EQ(r.lo, 4u);
    EXPECT_EQ(r.hi, 4u);
    EXPECT_EQ(r.weight, 0.0);
    // Exact hits have weight 0; p is clamped to [0, 1].
    r = wbe::type7_ranks(5, 0.5);
    EXPECT_EQ(r.lo, 2u);
    EXPECT_EQ(r.weight, 0.0);
    r = wbe::type7_ranks(5, -0.1);
    EXPECT_EQ(r.lo, 0u);
    EXPECT_EQ(r.weight, 0.0);
    r = wbe::type7_ranks(5, 1.5);
    EXPECT_EQ(r.lo, 4u);
    EXPECT_EQ(r.hi, 4u);
    // One value; no value.
    r = wbe::type7_ranks(1, 0.7);
    EXPECT_EQ(r.lo, 0u);
    EXPECT_EQ(r.hi, 0u);
    r = wbe::type7_ranks(0, 0.7);
    EXPECT_EQ(r.lo, 0u);
    EXPECT_EQ(r.hi, 0u);
    EXPECT_EQ(r.weight, 0.0);
}

// order_statistics (the Monte Carlo's bracketed selection): the k-th smallest for any ranks,
// repeated ones included, equals indexing the sorted values; the input is not reordered.
TEST(Accumulators, OrderStatisticsEqualIndexingTheSortedValues) {
    wbe::quantile_scratch sc;
    for (std::size_t n : {std::size_t(1), std::size_t(5), std::size_t(64), std::size_t(65), std::size_t(3000)}) {
        std::vector<double> x(n);
        for (std::size_t i = 0; i < n; ++i) x[i] = std::ldexp(wbe::rng::uniform(7, i) - 0.3, static_cast<int>(i % 40) - 20);
        if (n > 10) x[3] = x[7] = x[9];  // ties
        const std::vector<double> before = x;
        std::vector<double> sorted = x;
        std::sort(sorted.begin(), sorted.end());
        const std::vector<std::size_t> ranks = {0, n / 3, n / 3, n / 2, n - 1};
        std::vector<double> got(ranks.size());
        wbe::order_statistics(x, ranks, got, sc);
        for (std::size_t i = 0; i < ranks.size(); ++i) EXPECT_EQ(got[i], sorted[ranks[i]]) << "n " << n << " rank " << ranks[i];
        EXPECT_EQ(x, before);
    }
}

}  // namespace
