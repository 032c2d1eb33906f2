// Tests for wbe/core/monte_carlo.hpp: Monte Carlo propagation against its analytic oracle,
// its limits, its correlation structure, its reproducibility and its errors.
//
// The fixture is one plant, 7 sample days, every component log-normal (science.md §3 defaults).
// Hand-computed deterministic indices (index = C × Q × 10⁻³ / P × 1000 × CF, P = 100 000,
// CF = 2.5, so index = C × Q × 2.5·10⁻⁵):
//
//   day   C [ng/L]  Q [m³/d]   load C×Q×10⁻³ [mg/d]   index
//    0      100      50 000          5 000              125
//    1      120      40 000          4 800              120
//    2       80      60 000          4 800              120
//    3      150      50 000          7 500              187.5
//    4       90      55 000          4 950              123.75
//    5      110      45 000          4 950              123.75
//    6      130      50 000          6 500              162.5
//   mean load 38 500 / 7 = 5 500 mg/d; campaign index 962.5 / 7 = 137.5
//
// Monte Carlo standard errors used as tolerances (n draws):
//   mean: sd/√n;  quantile q_p: √(p(1−p)/n) / f(q_p), which for a log-normal with log-SD σ is
//   q_p σ √(p(1−p)/n) / φ(z_p) — on the log scale σ √(p(1−p)/n) / φ(z_p);
//   a probability: √(p(1−p)/n);  a sample SD: sd √((κ − 1)/(4n)), κ the kurtosis.
// Bounds are 4 SE; the seed is fixed, so each check is deterministic and the printed "max |z|"
// is the measured agreement.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>
#include <vector>

#include "wbe/core/monte_carlo.hpp"
#include "wbe/core/rng.hpp"

namespace {

using namespace wbe;
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

constexpr double population = 100000.0, cf = 2.5, load_multiplier = 1e-3;
constexpr double conc_of[7] = {100, 120, 80, 150, 90, 110, 130};
constexpr double flow_of[7] = {50000, 40000, 60000, 50000, 55000, 45000, 50000};
constexpr double det_of[7] = {125, 120, 120, 187.5, 123.75, 123.75, 162.5};  // header table
constexpr double det_campaign = 137.5;                                          // 962.5 / 7

// RSDs of the five components (log-normal, median 1); 0 ⇒ fixed.
struct rsds {
    double analysis = 0.15, sampling = 0.10, flow = 0.10, population = 0.10, excretion = 0.25;
};
factor_distribution ln(double rsd) { return rsd > 0 ? factor_distribution::lognormal(rsd) : factor_distribution::fixed(); }

mc_day day(const std::string& site, int i, double conc, double flow, const rsds& r) {
    mc_day d;
    d.sample_key = rng::combine(rng::hash(site), rng::hash("S" + std::to_string(i)));
    d.analyte_key = rng::combine(d.sample_key, rng::hash("ketamine"));
    d.conc = {conc, qualifier::detected, 0.5, 2.0};
    d.flow_m3_per_day = flow;
    d.analysis = ln(r.analysis);
    d.sampling = ln(r.sampling);
    return d;
}

mc_site plant(const std::string& id, double pop, const rsds& r) {
    mc_site s;
    s.site_key = rng::hash(id);
    s.campaign_key = rng::combine(s.site_key, rng::hash("2024Q1"));
    s.population = pop;
    s.population_dist = ln(r.population);
    s.flow_dist = ln(r.flow);
    s.load_multiplier = load_multiplier;
    return s;
}

// The 7-day plant of the header, one single-site estimate with daily summaries.
mc_problem seven_days(const rsds& r = {}, std::vector<double> thresholds = {}) {
    mc_problem p;
    p.drug_key = rng::hash("ketamine");
    p.cf = cf;
    p.excretion = ln(r.excretion);
    mc_site s = plant("P1", population, r);
    for (int i = 0; i < 7; ++i) s.days.push_back(day("P1", i, conc_of[i], flow_of[i], r));
    p.sites.push_back(std::move(s));
    p.estimates.push_back({{0}, std::move(thresholds), true});
    return p;
}

// One day: C = 100 ng/L, Q = 50 000 m³/d → index 125 (header, day 0).
mc_problem one_day(const rsds& r, std::vector<double> thresholds = {}) {
    mc_problem p = seven_days(r, std::move(thresholds));
    p.sites[0].days.resize(1);
    return p;
}

mc_options options(std::size_t draws) {
    mc_options o;
    o.draws = draws;
    o.threads = 1;
    return o;
}

double sigma2(double rsd) { return std::log1p(rsd * rsd); }
double phi(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2.0 * std::numbers::pi); }
constexpr double z975 = 1.959963984540054;  // Φ⁻¹(0.975)

// SE of ln q_p for a log-normal with log-SD σ from n draws.
double se_log_quantile(double sigma, double p, double z, std::size_t n) {
    return sigma * std::sqrt(p * (1 - p) / static_cast<double>(n)) / phi(z);
}

// Kurtosis of a log-normal with log-variance s2: e^{4s²} + 2e^{3s²} + 3e^{2s²} − 3.
double lognormal_kurtosis(double s2) { return std::exp(4 * s2) + 2 * std::exp(3 * s2) + 3 * std::exp(2 * s2) - 3; }

bool same(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }
void expect_identical(const draw_summary& a, const draw_summary& b, const std::string& what) {
    EXPECT_EQ(a.n, b.n) << what;
    EXPECT_TRUE(same(a.mean, b.mean)) << what << " mean " << a.mean << " vs " << b.mean;
    EXPECT_TRUE(same(a.sd, b.sd)) << what << " sd " << a.sd << " vs " << b.sd;
    EXPECT_TRUE(same(a.median, b.median)) << what << " median " << a.median << " vs " << b.median;
    EXPECT_TRUE(same(a.lower, b.lower)) << what << " lower " << a.lower << " vs " << b.lower;
    EXPECT_TRUE(same(a.upper, b.upper)) << what << " upper " << a.upper << " vs " << b.upper;
    ASSERT_EQ(a.p_exceed.size(), b.p_exceed.size()) << what;
    for (std::size_t t = 0; t < a.p_exceed.size(); ++t) EXPECT_TRUE(same(a.p_exceed[t], b.p_exceed[t])) << what << " p" << t;
}
void expect_identical(const std::vector<mc_result>& a, const std::vector<mc_result>& b, const std::string& what) {
    ASSERT_EQ(a.size(), b.size()) << what;
    for (std::size_t e = 0; e < a.size(); ++e) {
        expect_identical(a[e].campaign, b[e].campaign, what + " estimate " + std::to_string(e));
        ASSERT_EQ(a[e].daily.size(), b[e].daily.size()) << what;
        for (std::size_t i = 0; i < a[e].daily.size(); ++i)
            expect_identical(a[e].daily[i], b[e].daily[i], what + " estimate " + std::to_string(e) + " day " + std::to_string(i));
    }
}

// ---- (1) Monte Carlo vs the analytic answer ------------------------------------------------------

TEST(MonteCarlo, DailyQuantilesMatchTheExactLognormalAt1e5Draws) {
    // Every factor log-normal and nothing censored: each day is exactly log-normal with median
    // the deterministic index and σ² = Σ ln(1 + RSD²) over the five components.
    constexpr std::size_t n = 100000;
    const mc_problem p = seven_days();
    const mc_options o = options(n);
    const mc_result mc = run_monte_carlo(p, o).at(0);
    const mc_result an = analytic_uncertainty(p, 0, o);
    const double sigma = std::sqrt(sigma2(0.15) + sigma2(0.10) + sigma2(0.10) + sigma2(0.10) + sigma2(0.25));
    ASSERT_EQ(mc.daily.size(), 7u);
    ASSERT_EQ(an.daily.size(), 7u);
    double max_z = 0.0;
    for (int i = 0; i < 7; ++i) {
        // The analytic answer itself: median = deterministic index, quantiles e^{±1.96σ}.
        EXPECT_NEAR(an.daily[i].median, det_of[i], 1e-12 * det_of[i]) << "day " << i;
        EXPECT_NEAR(an.daily[i].lower, det_of[i] * std::exp(-z975 * sigma), 1e-11 * det_of[i]) << "day " << i;
        EXPECT_NEAR(an.daily[i].upper, det_of[i] * std::exp(z975 * sigma), 1e-11 * det_of[i]) << "day " << i;
        EXPECT_EQ(mc.daily[i].n, n);
        const struct {
            double mc, an, p, z;
        } q[] = {{mc.daily[i].median, an.daily[i].median, 0.5, 0.0},
                 {mc.daily[i].lower, an.daily[i].lower, 0.025, -z975},
                 {mc.daily[i].upper, an.daily[i].upper, 0.975, z975}};
        for (const auto& c : q) {
            const double z = (std::log(c.mc) - std::log(c.an)) / se_log_quantile(sigma, c.p, c.z, n);
            max_z = std::max(max_z, std::abs(z));
            EXPECT_LT(std::abs(z), 4.0) << "day " << i << " p " << c.p << ": MC " << c.mc << " analytic " << c.an;
        }
        // Mean within 4 SE (SE = analytic sd / √n).
        EXPECT_NEAR(mc.daily[i].mean, an.daily[i].mean, 4 * an.daily[i].sd / std::sqrt(n)) << "day " << i;
    }
    std::printf("[ agreement ] daily median/2.5%%/97.5%%, 7 days, 1e5 draws: max |MC - analytic| = %.2f SE\n", max_z);
}

TEST(MonteCarlo, CampaignMeanAndSdMatchTheAnalyticMoments) {
    constexpr std::size_t n = 100000;
    const mc_problem p = seven_days();
    const mc_options o = options(n);
    const mc_result mc = run_monte_carlo(p, o).at(0);
    const mc_result an = analytic_uncertainty(p, 0, o);
    // E[campaign] = E[F] × mean of D_i E[A_i S_i]; with median-1 factors E[X] = e^{σ²/2} and F
    // = flow × CF / (excretion × population) has E[F] = e^{(σ_Q² + σ_X² + σ_P²)/2}.
    const double e_f = std::exp(0.5 * (sigma2(0.10) + sigma2(0.25) + sigma2(0.10)));
    const double e_day = std::exp(0.5 * (sigma2(0.15) + sigma2(0.10)));
    EXPECT_NEAR(an.campaign.mean, det_campaign * e_f * e_day, 1e-12 * det_campaign);
    const double cv2 = std::pow(an.campaign.sd / an.campaign.mean, 2);
    const double kurt = lognormal_kurtosis(std::log1p(cv2));
    const double se_mean = an.campaign.sd / std::sqrt(n);
    const double se_sd = an.campaign.sd * std::sqrt((kurt - 1) / (4.0 * n));
    const double z_mean = (mc.campaign.mean - an.campaign.mean) / se_mean;
    const double z_sd = (mc.campaign.sd - an.campaign.sd) / se_sd;
    EXPECT_LT(std::abs(z_mean), 4.0) << mc.campaign.mean << " vs " << an.campaign.mean;
    EXPECT_LT(std::abs(z_sd), 4.0) << mc.campaign.sd << " vs " << an.campaign.sd;
    // The campaign mean is not exactly log-normal; Fenton–Wilkinson's quantiles are an
    // approximation, close here (the shared factors dominate): within 2%.
    EXPECT_NEAR(mc.campaign.median / an.campaign.median, 1.0, 0.02);
    EXPECT_NEAR(mc.campaign.lower / an.campaign.lower, 1.0, 0.02);
    EXPECT_NEAR(mc.campaign.upper / an.campaign.upper, 1.0, 0.02);
    std::printf("[ agreement ] campaign, 1e5 draws: mean z = %.2f, sd z = %.2f (SE); FW quantiles / MC - 1: "
                "median %.4f, 2.5%% %.4f, 97.5%% %.4f\n",
                z_mean, z_sd, an.campaign.median / mc.campaign.median - 1, an.campaign.lower / mc.campaign.lower - 1,
                an.campaign.upper / mc.campaign.upper - 1);
}

TEST(MonteCarlo, OneDayCampaignIsExactlyLognormal) {
    // With one day the campaign mean is that day: exactly log-normal, so Fenton–Wilkinson is exact
    // and the campaign quantiles must agree as the daily ones do.
    constexpr std::size_t n = 100000;
    const mc_problem p = one_day({});
    const mc_options o = options(n);
    const mc_result mc = run_monte_carlo(p, o).at(0);
    const mc_result an = analytic_uncertainty(p, 0, o);
    const double sigma = std::sqrt(sigma2(0.15) + sigma2(0.10) + sigma2(0.10) + sigma2(0.10) + sigma2(0.25));
    EXPECT_NEAR(an.campaign.median, 125.0, 1e-11);
    EXPECT_NEAR(an.campaign.upper, an.daily[0].upper, 1e-11);
    for (const auto& [m, a, pr, z] : {std::tuple{mc.campaign.median, an.campaign.median, 0.5, 0.0},
                                      std::tuple{mc.campaign.lower, an.campaign.lower, 0.025, -z975},
                                      std::tuple{mc.campaign.upper, an.campaign.upper, 0.975, z975}})
        EXPECT_LT(std::abs(std::log(m / a)) / se_log_quantile(sigma, pr, z, n), 4.0) << "p " << pr;
    // The campaign value of each draw is the day's value of that draw.
    EXPECT_EQ(mc.campaign.median, mc.daily[0].median);
    EXPECT_EQ(mc.campaign.upper, mc.daily[0].upper);
}

// ---- (2) the deterministic limit ---------------------------------------------------------------

TEST(MonteCarlo, MedianConvergesToTheDeterministicValueAsEveryRsdVanishes) {
    constexpr std::size_t n = 10000;
    double previous = std::numeric_limits<double>::infinity();
    for (double r : {0.3, 0.1, 0.01, 0.001, 1e-6}) {
        const mc_result mc = run_monte_carlo(seven_days({r, r, r, r, r}), options(n)).at(0);
        // Daily medians are the deterministic indices in law (median-1 factors); the MC error is
        // 1.2533 σ/√n with σ = √5 × √ln(1 + r²).
        const double sigma = std::sqrt(5 * sigma2(r));
        for (int i = 0; i < 7; ++i)
            EXPECT_NEAR(mc.daily[i].median / det_of[i], 1.0, 4 * 1.2533 * sigma / std::sqrt(n) + 1e-14) << "rsd " << r;
        // The campaign median tends to the mean of the daily indices, 137.5.
        const double err = std::abs(mc.campaign.median / det_campaign - 1.0);
        EXPECT_LT(err, previous) << "rsd " << r;
        previous = err;
    }
    EXPECT_LT(previous, 1e-5);
    // RSD exactly 0: every draw is the deterministic value (no spread at all).
    const mc_result zero = run_monte_carlo(seven_days({0, 0, 0, 0, 0}), options(1000)).at(0);
    EXPECT_NEAR(zero.campaign.median, det_campaign, 1e-13 * det_campaign);
    EXPECT_EQ(zero.campaign.sd, 0.0);
    EXPECT_EQ(zero.campaign.lower, zero.campaign.upper);
    for (int i = 0; i < 7; ++i) {
        EXPECT_NEAR(zero.daily[i].median, det_of[i], 1e-13 * det_of[i]);
        EXPECT_EQ(zero.daily[i].sd, 0.0);
    }
    // Log-normal factors with rsd 0 (not `fixed`) give the same: e^{0 × z} = 1.
    rsds lognormal_zero{0, 0, 0, 0, 0};
    mc_problem p = seven_days(lognormal_zero);
    p.excretion = factor_distribution::lognormal(0.0);
    p.sites[0].flow_dist = factor_distribution::lognormal(0.0);
    EXPECT_EQ(run_monte_carlo(p, options(1000)).at(0).campaign.sd, 0.0);
}

TEST(MonteCarlo, IntervalsWidenAsAnRsdGrows) {
    double previous = 0.0;
    for (double r : {0.0, 0.05, 0.15, 0.3, 0.6}) {
        rsds x;
        x.analysis = r;
        const mc_result mc = run_monte_carlo(seven_days(x), options(10000)).at(0);
        const double width = (mc.campaign.upper - mc.campaign.lower) / mc.campaign.median;
        EXPECT_GT(width, previous) << "analysis rsd " << r;
        previous = width;
    }
}

// ---- (3) reproducibility -------------------------------------------------------------------------

// Four problems that exercise every path: the fused log-normal path, two plants with a district
// and censored days, non-log-normal families with the metabolite subtraction, a day without flow.
std::vector<mc_problem> mixed_problems() {
    std::vector<mc_problem> ps;
    ps.push_back(seven_days({}, {130.0, 160.0}));

    mc_problem two = seven_days({}, {150.0});
    two.drug_key = rng::hash("methamphetamine");
    two.sites[0].days[2].conc = {nan, qualifier::below_loq, 0.5, 2.0};
    two.sites[0].days[2].substitute = 1.0;
    two.sites[0].days[4].conc = {nan, qualifier::below_lod, 0.5, 2.0};
    two.sites[0].days[4].substitute = 0.25;
    mc_site b = plant("P2", 50000.0, {});
    b.days.push_back(day("P2", 0, 200, 20000, {}));
    b.days.push_back(day("P2", 1, 300, 25000, {}));
    two.sites.push_back(std::move(b));
    two.estimates.push_back({{1}, {150.0}, true});
    two.estimates.push_back({{0, 1}, {150.0, 250.0}, false});
    ps.push_back(std::move(two));

    mc_problem families = seven_days({}, {50.0});
    families.drug_key = rng::hash("amphetamine");
    families.excretion.family = distribution_family::triangular;
    families.excretion.low = 0.7;
    families.excretion.mode = 1.0;
    families.excretion.high = 1.5;
    families.sites[0].population_dist.family = distribution_family::uniform;
    families.sites[0].population_dist.low = 0.8;
    families.sites[0].population_dist.high = 1.2;
    families.sites[0].flow_dist.family = distribution_family::normal;
    families.sites[0].flow_dist.rsd = 0.2;
    for (auto& d : families.sites[0].days) {
        d.subtract_ratio = 0.09;
        d.sub_analyte_key = rng::combine(d.sample_key, rng::hash("methamphetamine"));
        d.sub_conc = {600.0, qualifier::detected, 0.5, 1.5};
        d.sub_load_multiplier = load_multiplier;
    }
    ps.push_back(std::move(families));

    mc_problem gap = seven_days({}, {137.5});
    gap.drug_key = rng::hash("cocaine");
    gap.sites[0].days[3].flow_m3_per_day = nan;
    ps.push_back(std::move(gap));
    return ps;
}

TEST(MonteCarlo, SameSeedGivesBitIdenticalResultsForAnyThreadsBlocksOrderAndQuantileMethod) {
    const std::vector<mc_problem> ps = mixed_problems();
    mc_options base = options(5000);
    base.block = 1024;
    const auto ref = run_monte_carlo(ps, base);
    ASSERT_EQ(ref.size(), ps.size());
    // One problem at a time through the single-problem overload.
    for (std::size_t k = 0; k < ps.size(); ++k) expect_identical(run_monte_carlo(ps[k], base), ref[k], "single " + std::to_string(k));

    mc_options two_threads = base;
    two_threads.threads = 2;
    const auto t2 = run_monte_carlo(ps, two_threads);
    for (std::size_t k = 0; k < ps.size(); ++k) expect_identical(t2[k], ref[k], "threads 2, problem " + std::to_string(k));

    for (std::size_t block : {std::size_t(1), std::size_t(7), std::size_t(100), std::size_t(5000), std::size_t(100000)}) {
        mc_options o = base;
        o.block = block;
        const auto r = run_monte_carlo(ps, o);
        for (std::size_t k = 0; k < ps.size(); ++k)
            expect_identical(r[k], ref[k], "block " + std::to_string(block) + ", problem " + std::to_string(k));
    }

    // Shuffled order: problem k at position perm[k].
    const std::vector<std::size_t> perm = {2, 0, 3, 1};
    std::vector<mc_problem> shuffled(ps.size());
    for (std::size_t k = 0; k < ps.size(); ++k) shuffled[perm[k]] = ps[k];
    const auto sh = run_monte_carlo(shuffled, two_threads);
    for (std::size_t k = 0; k < ps.size(); ++k) expect_identical(sh[perm[k]], ref[k], "shuffled, problem " + std::to_string(k));

    // The selection brackets decide speed only: brackets of zero width miss the wanted ranks
    // (the series' draws are then regenerated and selected whole), narrow ones miss some, wide
    // ones hold every draw — the same order statistics each time.
    for (double sds : {0.0, 0.3, 1.0, 50.0}) {
        mc_options o = base;
        o.bracket_sds = sds;
        const auto r = run_monte_carlo(ps, o);
        for (std::size_t k = 0; k < ps.size(); ++k)
            expect_identical(r[k], ref[k], "bracket sds " + std::to_string(sds) + ", problem " + std::to_string(k));
    }

    // Two-pass exact quantiles (keep_limit below the draws) equal the bracketed quantiles. A
    // block of 16 gives a 16-draw pilot for the histogram, so many draws land in its under- and
    // overflow bins.
    for (std::size_t block : {std::size_t(16), std::size_t(1024)}) {
        mc_options o = base;
        o.keep_limit = 0;
        o.block = block;
        o.threads = 2;
        const auto r = run_monte_carlo(ps, o);
        for (std::size_t k = 0; k < ps.size(); ++k)
            expect_identical(r[k], ref[k], "two-pass, block " + std::to_string(block) + ", problem " + std::to_string(k));
    }
    // With a cell cap far below the draws per histogram cell, every wanted cell is split again
    // (and again) before its values are collected: still the exact order statistics. A cap of 1
    // forces the deepest refinement, down to cells that hold a single value.
    for (std::size_t cap : {std::size_t(1), std::size_t(3), std::size_t(50)}) {
        mc_options o = base;
        o.keep_limit = 0;
        o.cell_cap = cap;
        const auto r = run_monte_carlo(ps, o);
        for (std::size_t k = 0; k < ps.size(); ++k)
            expect_identical(r[k], ref[k], "refined cells, cap " + std::to_string(cap) + ", problem " + std::to_string(k));
    }
}

// The hand-written AVX-512 kernels (normal_block's fast path, the fused per-block summary)
// against their portable twins: the same bits, for every problem of mixed_problems, with 0 to 5
// thresholds (the fused summary counts at most 4; more take the separate loops), a block that
// is not a multiple of 8 (only the portable loops take draws that do not start a lane group) and
// a bracket that overflows (bracket_sds 50 holds every draw; 0.3 misses). On a CPU without
// AVX-512 both runs are portable and the test compares a run with itself.
TEST(MonteCarlo, PortableKernelsGiveTheSameBitsAsAvx512) {
    std::vector<mc_problem> ps = mixed_problems();
    for (std::size_t t = 0; t <= 5; ++t) {
        mc_problem p = seven_days({}, {});
        p.drug_key = rng::hash("thresholds " + std::to_string(t));
        for (std::size_t i = 0; i < t; ++i) p.estimates[0].thresholds.push_back(110.0 + 10.0 * static_cast<double>(i));
        ps.push_back(std::move(p));
    }
    struct variant {
        std::size_t block;
        double sds;
    };
    for (const variant v : {variant{1024, 5.0}, variant{1000, 5.0}, variant{1024, 50.0}, variant{1024, 0.3}}) {
        mc_options o = options(3000);
        o.block = v.block;
        o.bracket_sds = v.sds;
        const auto fast = run_monte_carlo(ps, o);
        rng::detail::enable_avx512(false);
        const auto portable = run_monte_carlo(ps, o);
        rng::detail::enable_avx512(true);
        for (std::size_t k = 0; k < ps.size(); ++k)
            expect_identical(portable[k], fast[k],
                             "block " + std::to_string(v.block) + ", sds " + std::to_string(v.sds) + ", problem " + std::to_string(k));
    }
}

// The selection brackets hold where draws tie: a load clamped at 0 by the metabolite subtraction
// in most draws (the median is 0, shared by thousands of draws), and a plant with no spread at
// all (every draw the same). A bracket sized by its width in probability alone filled up there,
// and each such series sent its whole problem through a second evaluation (found on the 100x
// benchmark city: 12 of 55 problems had ~1 500 such series each). Also 1 000 series with
// ordinary spread at 10⁴ draws: a bracket's share can exceed the first block's by a few of its
// sampling SDs, which a fixed 25 % margin did not cover (1 to 4 series per 500-plant problem).
TEST(MonteCarlo, SelectionBracketsHoldForTiesAndForManySeries) {
    const std::size_t before = detail::reselected_series();

    mc_problem clamped = seven_days({}, {1.0});
    for (auto& d : clamped.sites[0].days) {
        d.subtract_ratio = 0.5;
        d.sub_analyte_key = rng::combine(d.sample_key, rng::hash("methamphetamine"));
        d.sub_conc = {2.2 * d.conc.value, qualifier::detected, 0.5, 1.5};  // L − 0.5 × 2.2 L < 0 in most draws
        d.sub_load_multiplier = load_multiplier;
    }
    const auto c = run_monte_carlo(clamped, options(10000));
    for (const draw_summary& d : c[0].daily) EXPECT_EQ(d.median, 0.0);  // two draws in three are 0

    const auto fixed = run_monte_carlo(seven_days({0, 0, 0, 0, 0}, {100.0}), options(10000));
    EXPECT_DOUBLE_EQ(fixed[0].campaign.median, det_campaign);
    EXPECT_DOUBLE_EQ(fixed[0].campaign.lower, det_campaign);
    EXPECT_DOUBLE_EQ(fixed[0].daily[3].upper, det_of[3]);

    mc_problem many = seven_days({}, {130.0});
    for (int k = 1; k < 125; ++k) {
        const std::string id = "P" + std::to_string(k + 1);
        mc_site s = plant(id, population, {});
        for (int i = 0; i < 7; ++i) s.days.push_back(day(id, i, conc_of[i], flow_of[i], {}));
        many.sites.push_back(std::move(s));
        many.estimates.push_back({{static_cast<std::size_t>(k)}, {130.0}, true});
    }
    const auto m = run_monte_carlo(many, options(10000));
    ASSERT_EQ(m.size(), 125u);
    EXPECT_EQ(detail::reselected_series() - before, 0u) << "series selected again from regenerated draws";
}

TEST(MonteCarlo, DifferentSeedGivesDifferentDraws) {
    const mc_problem p = seven_days({}, {137.5});
    mc_options a = options(2000), b = options(2000);
    b.seed = a.seed + 1;
    const mc_result ra = run_monte_carlo(p, a).at(0), rb = run_monte_carlo(p, b).at(0);
    EXPECT_NE(ra.campaign.median, rb.campaign.median);
    EXPECT_NE(ra.campaign.mean, rb.campaign.mean);
    EXPECT_NE(ra.campaign.lower, rb.campaign.lower);
    for (int i = 0; i < 7; ++i) EXPECT_NE(ra.daily[i].median, rb.daily[i].median) << "day " << i;
    // … but the same distribution: the medians agree within MC error (σ_c ≈ 0.3, n = 2000:
    // SE ≈ 1.2533 × 0.3 / √2000 ≈ 0.8% of the median; the difference of two has √2 × that).
    EXPECT_NEAR(ra.campaign.median / rb.campaign.median, 1.0, 4 * std::sqrt(2.0) * 0.0085);
}

TEST(MonteCarlo, DrawsAreSharedNotReorderedWhenTheDrawCountChanges) {
    // Draw d of 1000 is draw d of 2000: the first 1000 draws are the same, so a run with n draws
    // is a prefix of a run with more. With all factors fixed but the excretion, the campaign
    // value of draw d is 137.5 / X_d; the minimum over 2000 draws is ≤ the minimum over 1000.
    rsds only_excretion{0, 0, 0, 0, 0.25};
    mc_options o = options(1000);
    o.interval = 1.0 - 1e-12;  // lower ≈ the minimum, upper ≈ the maximum
    const mc_result small = run_monte_carlo(seven_days(only_excretion), o).at(0);
    o.draws = 2000;
    const mc_result large = run_monte_carlo(seven_days(only_excretion), o).at(0);
    EXPECT_LE(large.campaign.lower, small.campaign.lower * (1 + 1e-9));
    EXPECT_GE(large.campaign.upper, small.campaign.upper * (1 - 1e-9));
}

// ---- (4) shared vs independent excretion ---------------------------------------------------------

TEST(MonteCarlo, SharedExcretionGivesAWiderCampaignIntervalThanIndependentDraws) {
    // Shared: one excretion factor (RSD 0.25) per draw for all 7 days. Independent: the same
    // uncertainty drawn per day instead, by folding it into each day's analysis error:
    // ln(1 + RSD'²) = ln(1 + 0.15²) + ln(1 + 0.25²), i.e. 1 + RSD'² = 1.0225 × 1.0625.
    // Excretion enters as 1/X; 1/X is log-normal with the same σ and median 1, so each day's law
    // is the same in both structures — only the campaign mean differs.
    constexpr std::size_t n = 100000;
    const mc_problem shared = seven_days();
    rsds ind;
    ind.analysis = std::sqrt(1.0225 * 1.0625 - 1.0);
    ind.excretion = 0.0;
    const mc_problem independent = seven_days(ind);
    ASSERT_EQ(independent.excretion.family, distribution_family::fixed);
    const mc_options o = options(n);
    const mc_result ms = run_monte_carlo(shared, o).at(0), mi = run_monte_carlo(independent, o).at(0);
    const mc_result as = analytic_uncertainty(shared, 0, o), ai = analytic_uncertainty(independent, 0, o);

    // Each day: the same log-normal in both structures.
    for (int i = 0; i < 7; ++i) {
        EXPECT_NEAR(as.daily[i].upper, ai.daily[i].upper, 1e-10 * as.daily[i].upper) << "day " << i;
        EXPECT_NEAR(as.daily[i].lower, ai.daily[i].lower, 1e-10 * as.daily[i].lower) << "day " << i;
    }
    // The campaign: wider with the shared factor, in Monte Carlo and analytically.
    const double w_shared = (ms.campaign.upper - ms.campaign.lower) / ms.campaign.median;
    const double w_ind = (mi.campaign.upper - mi.campaign.lower) / mi.campaign.median;
    EXPECT_GT(w_shared, 1.2 * w_ind) << "shared " << w_shared << " independent " << w_ind;
    EXPECT_GT(as.campaign.sd / as.campaign.mean, ai.campaign.sd / ai.campaign.mean);
    // Same mean in law (E[1/X] is the same whether shared or not): both analytic means agree.
    EXPECT_NEAR(as.campaign.mean, ai.campaign.mean, 1e-12 * as.campaign.mean);

    // Each structure matches its own analytic moments.
    for (const auto& [mc, an, name] : {std::tuple{&ms, &as, "shared"}, std::tuple{&mi, &ai, "independent"}}) {
        const double kurt = lognormal_kurtosis(std::log1p(std::pow(an->campaign.sd / an->campaign.mean, 2)));
        const double z_mean = (mc->campaign.mean - an->campaign.mean) / (an->campaign.sd / std::sqrt(n));
        const double z_sd = (mc->campaign.sd - an->campaign.sd) / (an->campaign.sd * std::sqrt((kurt - 1) / (4.0 * n)));
        EXPECT_LT(std::abs(z_mean), 4.0) << name;
        EXPECT_LT(std::abs(z_sd), 4.0) << name;
        std::printf("[ agreement ] %s excretion: campaign mean z = %.2f, sd z = %.2f; relative 95%% width %.4f\n", name, z_mean,
                    z_sd, (mc->campaign.upper - mc->campaign.lower) / mc->campaign.median);
    }
}

// ---- (5) censored days --------------------------------------------------------------------------

// One day, every component fixed: index = C × 50 000 × 10⁻³ / 100 000 × 1000 × 2.5 = 1.25 C.
mc_problem censored_day(qualifier q, double substitute, std::vector<double> thresholds) {
    mc_problem p = one_day({0, 0, 0, 0, 0}, std::move(thresholds));
    p.sites[0].days[0].conc = {nan, q, 0.5, 2.0};  // LOD 0.5, LOQ 2 ng/L
    p.sites[0].days[0].substitute = substitute;
    p.sites[0].days[0].analysis = factor_distribution::lognormal(0.15);  // not applied to a censored value
    return p;
}

TEST(MonteCarlo, BelowLoqIsDrawnInLodToLoq) {
    // [LOD, LOQ) × 1.25 = [0.625, 2.5).
    mc_options o = options(10000);
    o.interval = 1.0 - 1e-9;  // lower/upper ≈ the smallest and largest draws
    const mc_result r = run_monte_carlo(censored_day(qualifier::below_loq, 1.0, {0.625, 2.5}), o).at(0);
    const draw_summary& d = r.daily.at(0);
    EXPECT_GE(d.lower, 0.625);
    EXPECT_LT(d.upper, 2.5);
    // 10⁴ uniform draws reach within 0.5% of both ends (P(miss) = 0.995^10⁴ ≈ e⁻⁵⁰).
    EXPECT_LT(d.lower, 0.625 + 0.01);
    EXPECT_GT(d.upper, 2.5 - 0.01);
    EXPECT_EQ(d.p_exceed.at(0), 1.0);  // every draw > LOD × 1.25
    EXPECT_EQ(d.p_exceed.at(1), 0.0);  // none ≥ LOQ × 1.25
    // Uniform on [0.625, 2.5): mean 1.5625, SD 1.875/√12 = 0.5413; SE of the mean 0.0054.
    EXPECT_NEAR(d.mean, 1.5625, 4 * 0.5413 / 100);
    EXPECT_NEAR(d.sd, 0.5413, 0.01);
    EXPECT_EQ(r.campaign.median, d.median);
}

TEST(MonteCarlo, BelowLodIsDrawnInZeroToLod) {
    // [0, LOD) × 1.25 = [0, 0.625).
    mc_options o = options(10000);
    o.interval = 1.0 - 1e-9;
    const mc_result r = run_monte_carlo(censored_day(qualifier::below_lod, 0.25, {0.0, 0.625}), o).at(0);
    const draw_summary& d = r.daily.at(0);
    EXPECT_GE(d.lower, 0.0);
    EXPECT_LT(d.lower, 0.01);
    EXPECT_LT(d.upper, 0.625);
    EXPECT_GT(d.upper, 0.615);
    EXPECT_EQ(d.p_exceed.at(0), 1.0);  // (0, LOD): never exactly 0
    EXPECT_EQ(d.p_exceed.at(1), 0.0);
    EXPECT_NEAR(d.mean, 0.3125, 4 * (0.625 / std::sqrt(12.0)) / 100);
}

TEST(MonteCarlo, SubstituteModeUsesTheSubstituteInEveryDraw) {
    mc_options o = options(1000);
    o.censored = censored_draws::substitute;
    // <LOQ → LOQ/2 = 1 ng/L → 1.25; <LOD → LOD/2 = 0.25 → 0.3125.
    for (const auto& [q, sub, want] : {std::tuple{qualifier::below_loq, 1.0, 1.25}, std::tuple{qualifier::below_lod, 0.25, 0.3125}}) {
        const mc_result r = run_monte_carlo(censored_day(q, sub, {}), o).at(0);
        EXPECT_DOUBLE_EQ(r.daily[0].median, want);
        EXPECT_DOUBLE_EQ(r.daily[0].lower, want);
        EXPECT_DOUBLE_EQ(r.daily[0].upper, want);
        EXPECT_EQ(r.daily[0].sd, 0.0);
    }
    // The analytic path treats a censored day as its substitute too.
    const mc_result an = analytic_uncertainty(censored_day(qualifier::below_loq, 1.0, {}), 0, o);
    EXPECT_DOUBLE_EQ(an.daily[0].median, 1.25);
    EXPECT_EQ(an.daily[0].upper, an.daily[0].lower);  // σ = 0: no component applies to it
}

TEST(MonteCarlo, ADayWithoutFlowHasNoDailySummaryAndLeavesTheCampaign) {
    rsds fixed{0, 0, 0, 0, 0};
    mc_problem p = seven_days(fixed);
    p.sites[0].days[3].flow_m3_per_day = nan;  // the 187.5 day
    const mc_result r = run_monte_carlo(p, options(100)).at(0);
    EXPECT_EQ(r.daily[3].n, 0u);
    EXPECT_TRUE(std::isnan(r.daily[3].median));
    // Campaign of the other six: (962.5 − 187.5) / 6 = 129.1666…
    EXPECT_NEAR(r.campaign.median, 775.0 / 6.0, 1e-12);
    EXPECT_NEAR(analytic_uncertainty(p, 0, options(100)).campaign.median, 775.0 / 6.0, 1e-12);
}

// ---- (6) districts -------------------------------------------------------------------------------

// Plant P1 (the header's 7 days, P = 100 000, mean load 5 500 mg/d) and plant P2 (P = 50 000;
// 200 ng/L × 20 000 m³/d → 4 000 mg/d, 300 × 25 000 → 7 500; mean load 5 750 mg/d).
// P2's index: 5 750 / 50 000 × 1000 × 2.5 = 287.5. The district: Σ mean loads / Σ populations
// × 1000 × CF = 11 250 / 150 000 × 2 500 = 187.5 (= the population-weighted mean
// (137.5 × 10⁵ + 287.5 × 5·10⁴) / 1.5·10⁵).
mc_problem district(const rsds& r) {
    mc_problem p = seven_days(r);
    mc_site b = plant("P2", 50000.0, r);
    b.days.push_back(day("P2", 0, 200, 20000, r));
    b.days.push_back(day("P2", 1, 300, 25000, r));
    p.sites.push_back(std::move(b));
    p.estimates.push_back({{1}, {}, true});
    p.estimates.push_back({{0, 1}, {}, false});
    return p;
}

TEST(MonteCarlo, DistrictIsSumOfMeanLoadsOverSumOfPopulations) {
    const auto r = run_monte_carlo(district({0, 0, 0, 0, 0}), options(100));
    ASSERT_EQ(r.size(), 3u);
    EXPECT_NEAR(r[0].campaign.median, 137.5, 1e-12);
    EXPECT_NEAR(r[1].campaign.median, 287.5, 1e-12);
    EXPECT_NEAR(r[2].campaign.median, 187.5, 1e-12);
    EXPECT_TRUE(r[2].daily.empty());  // daily summaries only for single-site estimates
    // The district sees exactly the draws of its plants: with only the shared excretion random,
    // every draw of the district is 187.5/X and of P1 137.5/X, so all quantiles keep that ratio.
    const auto e = run_monte_carlo(district({0, 0, 0, 0, 0.25}), options(2000));
    for (const auto& [a, b] : {std::pair{e[2].campaign.median, e[0].campaign.median}, std::pair{e[2].campaign.lower, e[0].campaign.lower},
                               std::pair{e[2].campaign.upper, e[0].campaign.upper}})
        EXPECT_NEAR(a / b, 187.5 / 137.5, 1e-13);
}

TEST(MonteCarlo, DistrictIntervalIsNarrowerWithIndependentPlantErrors) {
    // Only flow and population uncertain (RSD 0.3 each, independent per plant): the district
    // averages two independent errors, so its relative interval is narrower than either plant's.
    const auto r = run_monte_carlo(district({0, 0, 0.3, 0.3, 0}), options(20000));
    const auto rel = [](const draw_summary& s) { return (s.upper - s.lower) / s.median; };
    EXPECT_LT(rel(r[2].campaign), rel(r[0].campaign));
    EXPECT_LT(rel(r[2].campaign), rel(r[1].campaign));
    std::printf("[ agreement ] relative 95%% width: P1 %.3f, P2 %.3f, district %.3f\n", rel(r[0].campaign), rel(r[1].campaign),
                rel(r[2].campaign));
}

// ---- (7) exceedance probabilities ----------------------------------------------------------------

TEST(MonteCarlo, ExceedanceProbabilitiesMatchTheAnalyticOnes) {
    constexpr std::size_t n = 100000;
    const std::vector<double> t = {100.0, 137.5, 180.0};
    double max_z = 0.0;
    // Days (exactly log-normal) of the 7-day plant, and the campaign of a one-day plant.
    const mc_problem seven = seven_days({}, t), single = one_day({}, t);
    const mc_options o = options(n);
    const mc_result m7 = run_monte_carlo(seven, o).at(0), a7 = analytic_uncertainty(seven, 0, o);
    const mc_result m1 = run_monte_carlo(single, o).at(0), a1 = analytic_uncertainty(single, 0, o);
    std::vector<std::pair<const draw_summary*, const draw_summary*>> pairs;
    for (int i = 0; i < 7; ++i) pairs.emplace_back(&m7.daily[i], &a7.daily[i]);
    pairs.emplace_back(&m1.campaign, &a1.campaign);
    for (const auto& [mc, an] : pairs)
        for (std::size_t k = 0; k < t.size(); ++k) {
            const double p = an->p_exceed.at(k);
            const double z = (mc->p_exceed.at(k) - p) / std::sqrt(p * (1 - p) / n);
            max_z = std::max(max_z, std::abs(z));
            EXPECT_LT(std::abs(z), 4.0) << "threshold " << t[k] << ": MC " << mc->p_exceed[k] << " analytic " << p;
        }
    // Day 0 (median 125): P(> 137.5) = 1 − Φ(ln(1.1)/σ), σ² = Σ ln(1 + RSD²).
    const double sigma = std::sqrt(sigma2(0.15) + 3 * sigma2(0.10) + sigma2(0.25));
    EXPECT_NEAR(a7.daily[0].p_exceed[1], 0.5 * std::erfc(std::log(1.1) / sigma / std::numbers::sqrt2), 1e-12);
    // The 7-day campaign (Fenton–Wilkinson): close to Monte Carlo, not exact.
    for (std::size_t k = 0; k < t.size(); ++k) EXPECT_NEAR(m7.campaign.p_exceed[k], a7.campaign.p_exceed[k], 0.02);
    std::printf("[ agreement ] P(exceed), 8 exact log-normals x 3 thresholds, 1e5 draws: max |z| = %.2f; campaign FW - MC: "
                "%.4f %.4f %.4f\n",
                max_z, a7.campaign.p_exceed[0] - m7.campaign.p_exceed[0], a7.campaign.p_exceed[1] - m7.campaign.p_exceed[1],
                a7.campaign.p_exceed[2] - m7.campaign.p_exceed[2]);
    // Analytic edge cases: a threshold ≤ 0 is always exceeded; without spread, 0 or 1.
    const mc_result flat = analytic_uncertainty(one_day({0, 0, 0, 0, 0}, {0.0, 124.0, 126.0}), 0, o);
    EXPECT_EQ(flat.campaign.p_exceed, (std::vector<double>{1.0, 1.0, 0.0}));
}

// ---- (8) the metabolite subtraction ---------------------------------------------------------------

TEST(MonteCarlo, MetaboliteSubtractionNeverGivesANegativeLoad) {
    // AMP 10 ng/L minus 0.09 × METH 100 ng/L = 1 ng/L → index 1.25 (one day, Q = 50 000, all
    // fixed); with AMP 5 ng/L: max(0, 5 − 9) = 0.
    const auto amph = [](double amp, const rsds& r, qualifier meth_q = qualifier::detected) {
        mc_problem p = one_day(r, {0.0});
        mc_day& d = p.sites[0].days[0];
        d.conc.value = amp;
        d.subtract_ratio = 0.09;
        d.sub_analyte_key = rng::combine(d.sample_key, rng::hash("methamphetamine"));
        d.sub_conc = {meth_q == qualifier::detected ? 100.0 : nan, meth_q, 50.0, 150.0};
        d.sub_substitute = 75.0;
        d.sub_load_multiplier = load_multiplier;
        return p;
    };
    EXPECT_NEAR(run_monte_carlo(amph(10, {0, 0, 0, 0, 0}), options(10)).at(0).campaign.median, 1.25, 1e-12);
    EXPECT_EQ(run_monte_carlo(amph(5, {0, 0, 0, 0, 0}), options(10)).at(0).campaign.median, 0.0);
    // With uncertainty the difference straddles 0 in many draws: all draws stay ≥ 0, some are 0.
    mc_options o = options(20000);
    o.interval = 1.0 - 1e-9;
    for (const auto q : {qualifier::detected, qualifier::below_loq}) {
        const mc_result r = run_monte_carlo(amph(10, {0.3, 0.1, 0.1, 0.1, 0.25}, q), o).at(0);
        EXPECT_GE(r.campaign.lower, 0.0);
        EXPECT_GE(r.daily[0].lower, 0.0);
        EXPECT_EQ(r.daily[0].lower, 0.0);  // the clamp is reached
        EXPECT_GT(r.campaign.p_exceed[0], 0.0);
        EXPECT_LT(r.campaign.p_exceed[0], 1.0);
    }
}

// ---- (9) errors ----------------------------------------------------------------------------------

TEST(MonteCarlo, InvalidOptionsAndProblemsThrow) {
    const mc_problem p = seven_days();
    mc_options o = options(100);
    o.draws = 0;
    EXPECT_THROW((void)run_monte_carlo(p, o), std::invalid_argument);
    for (double interval : {0.0, 1.0, 1.5, -0.5, nan}) {
        mc_options b = options(100);
        b.interval = interval;
        EXPECT_THROW((void)run_monte_carlo(p, b), std::invalid_argument) << interval;
    }
    mc_problem bad = p;
    bad.estimates.push_back({{0, 1}, {}, false});  // site 1 does not exist
    EXPECT_THROW((void)run_monte_carlo(bad, options(100)), std::invalid_argument);
    // Through the parallel overload too, whichever thread meets it.
    mc_options two = options(100);
    two.threads = 2;
    EXPECT_THROW((void)run_monte_carlo(std::vector<mc_problem>{p, bad, p}, two), std::invalid_argument);
    try {
        (void)run_monte_carlo(bad, options(100));
    } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()), "estimate member out of range");
    }
}

TEST(MonteCarlo, AnalyticRefusesWhatItCannotAnswer) {
    const mc_options o = options(100);
    EXPECT_THROW((void)analytic_uncertainty(district({}), 2, o), std::invalid_argument);  // two members
    EXPECT_THROW((void)analytic_uncertainty(seven_days(), 1, o), std::invalid_argument);  // no such estimate
    mc_problem u = seven_days();
    u.sites[0].flow_dist.family = distribution_family::uniform;
    u.sites[0].flow_dist.low = 0.9;
    u.sites[0].flow_dist.high = 1.1;
    EXPECT_THROW((void)analytic_uncertainty(u, 0, o), std::invalid_argument);
    mc_problem t = seven_days();
    t.excretion.family = distribution_family::triangular;
    EXPECT_THROW((void)analytic_uncertainty(t, 0, o), std::invalid_argument);
    mc_problem nrm = seven_days();
    nrm.sites[0].days[5].analysis.family = distribution_family::normal;
    EXPECT_THROW((void)analytic_uncertainty(nrm, 0, o), std::invalid_argument);
    mc_problem sub = seven_days();
    sub.sites[0].days[0].subtract_ratio = 0.09;
    EXPECT_THROW((void)analytic_uncertainty(sub, 0, o), std::invalid_argument);
    try {
        (void)analytic_uncertainty(district({}), 2, o);
    } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()), "the analytic path covers single-site estimates only");
    }
}

}  // namespace
