#pragma once
/// @file monte_carlo.hpp
/// Uncertainty of daily and campaign indices by Monte Carlo (Jones et al. 2014, Sci Total
/// Environ 487:642; science.md §3), with the correlation structure of the chain:
///
/// | component  | drawn once per draw for                   | enters as  |
/// |------------|-------------------------------------------|------------|
/// | excretion  | the drug (shared by every day and site)   | CF / X     |
/// | population | the site (shared by every day)            | 1 / X      |
/// | flow       | the site and campaign (a meter's bias)    | × X        |
/// | sampling   | the sample and analyte (one draw for AMP and METH in the amphetamine correction) | × X |
/// | analysis   | the sample and analyte                    | × X        |
/// | censoring  | the sample and analyte: `<LOQ` uniform in [LOD, LOQ), `<LOD` uniform in [0, LOD) |
///
/// A campaign mean computed with independent excretion draws per day would be falsely narrow;
/// here each draw uses one excretion factor for all days (and all plants of a district).
///
/// Draws come from a counter-based generator keyed by (seed, entity) with the draw index as counter (rng.hpp):
/// results are bit-identical for any thread count, processing order or block size (the means
/// and SDs come from draw-indexed partial sums, `draw_moments`; the evaluator's vector loops have
/// AVX-512/AVX2/baseline clones, compiled without FMA contraction so every clone rounds alike,
/// and the hand-written AVX-512 kernels have portable twins that give the same bits).
/// Draws are evaluated in blocks, site by site: each site's daily and campaign series are
/// summarised as soon as the site is drawn, while they are in cache, in one pass per series
/// (moments, exceedances and the brackets below; with AVX-512, eight draws a step). Up to
/// `keep_limit` draws per estimate, the first block brackets each wanted quantile (sized for
/// ties and for the first block's sampling error), later blocks count the draws below a bracket
/// and collect those inside it, and the quantiles are selected exactly among the collected
/// (`order_statistics`, accumulators.hpp; a rank outside its bracket — about once in 10⁹ —
/// regenerates the problem's draws; detail::reselected_series counts those);
/// beyond keep_limit the quantiles are found exactly in further passes over regenerated draws (a
/// log-scale histogram; cells holding more than `cell_cap` values are split again; then the
/// values of the bins that hold the wanted ranks, regenerated from their counters), so memory
/// does not grow with the number of draws.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "wbe/core/censoring.hpp"
#include "wbe/core/distributions.hpp"

namespace wbe {

enum class uncertainty_method { none, monte_carlo, analytic };
/// How censored values enter the draws.
enum class censored_draws {
    uniform,     ///< `<LOQ` ~ U[LOD, LOQ), `<LOD` ~ U[0, LOD)
    substitute,  ///< the substitution value of the deterministic chain, no censoring spread
};

struct mc_options {
    std::size_t draws = 10000;
    std::uint64_t seed = 20241130;
    double interval = 0.95;   ///< central interval: quantiles (1 ± interval) / 2
    unsigned threads = 0;     ///< 0 = hardware concurrency
    censored_draws censored = censored_draws::uniform;
    std::size_t block = 1024;       ///< draws evaluated together
    std::size_t keep_limit = 1u << 20;  ///< above: multi-pass exact quantiles, flat memory
    std::size_t cell_cap = 1u << 12;    ///< most values kept per wanted rank beyond keep_limit (bounds memory)
    /// Up to keep_limit: half-width of each quantile's selection bracket, in sampling SDs of the
    /// first block's quantile. Speed and memory only — the quantiles are exact for any value.
    double bracket_sds = 5.0;
};

/// One sample day of one site for one drug.
struct mc_day {
    std::uint64_t sample_key = 0;   ///< hash of (site, sample): sampling error
    std::uint64_t analyte_key = 0;  ///< hash of (site, sample, analyte): analysis error, censoring
    censored_value conc;            ///< ng/L
    double substitute = 0.0;        ///< the deterministic chain's value for censored `conc`
    double flow_m3_per_day = 0.0;   ///< NaN: the day has no flow and no index
    factor_distribution analysis;
    factor_distribution sampling;
    /// Amphetamine from methamphetamine: the load becomes max(0, L − ratio × L_sub), with
    /// L_sub drawn from `sub` (same sample, same sampling error). Unused when ratio = 0.
    double subtract_ratio = 0.0;
    std::uint64_t sub_analyte_key = 0;
    censored_value sub_conc;
    double sub_substitute = 0.0;
    double sub_load_multiplier = 0.0;
};

struct mc_site {
    std::uint64_t site_key = 0;      ///< hash of the site: population
    std::uint64_t campaign_key = 0;  ///< hash of (site, campaign): flow bias
    double population = 0.0;
    factor_distribution population_dist;
    factor_distribution flow_dist;
    double load_multiplier = 1e-3;   ///< as chain_factors::load_multiplier (site-specific in-sewer factor folded in)
    std::vector<mc_day> days;
};

/// One estimate of a problem: a site (one member) or a district/city (several members):
/// Σ mean load / Σ population × 1000 × CF over the members, per draw.
struct mc_estimate {
    std::vector<std::size_t> members;  ///< indices into mc_problem::sites
    std::vector<double> thresholds;    ///< P(index > t) is reported for each
    bool daily = false;                ///< also summarise each day (single-member estimates)
};

/// One drug in one campaign: the sites that measured it and the estimates built on them.
/// Every site is drawn once per draw and shared by all estimates that include it, so a
/// district sees exactly the draws of its plants.
struct mc_problem {
    std::uint64_t drug_key = 0;  ///< hash of the residue: excretion
    double cf = 1.0;
    factor_distribution excretion;
    std::vector<mc_site> sites;
    std::vector<mc_estimate> estimates;
};

/// Summary of the draws of one index.
struct draw_summary {
    std::size_t n = 0;
    double mean;
    double sd;
    double median;
    double lower;  ///< quantile (1 − interval) / 2
    double upper;  ///< quantile (1 + interval) / 2
    std::vector<double> p_exceed;  ///< per threshold

    draw_summary();
};

struct mc_result {
    draw_summary campaign;            ///< the campaign index
    std::vector<draw_summary> daily;  ///< per day of the single member (when `daily`)
};

/// Runs one problem (single thread); one result per estimate, in order.
[[nodiscard]] std::vector<mc_result> run_monte_carlo(const mc_problem& problem, const mc_options& options);
/// Runs many problems in parallel over `options.threads` threads; results in input order and
/// identical for any thread count.
[[nodiscard]] std::vector<std::vector<mc_result>> run_monte_carlo(const std::vector<mc_problem>& problems,
                                                                  const mc_options& options);

/// The analytic answer when every factor is log-normal (or fixed) and nothing is censored
/// (censored days use their substitute, without spread):
/// - each day: ln I = ln I₀ + Σ μ_k ± …, σ² = Σ_k σ_k² with σ_k² = ln(1 + RSD_k²) — exactly
///   log-normal;
/// - the campaign mean of one site: the exact mean and variance of (shared factors) × (mean of
///   independent daily terms), reported as the log-normal with those two moments
///   (Fenton–Wilkinson); exact in mean and SD, approximate in its quantiles.
/// Throws std::invalid_argument for an estimate with several members or a non-log-normal factor.
[[nodiscard]] mc_result analytic_uncertainty(const mc_problem& problem, std::size_t estimate, const mc_options& options);

namespace detail {
/// How many series, since the process started, had a wanted rank outside its selection bracket
/// (or a bracket that filled up) and were selected again from regenerated draws. The answer is
/// exact either way; each one costs its problem a second evaluation, so tests watch this stay
/// at zero where the brackets should hold.
[[nodiscard]] std::size_t reselected_series() noexcept;
}  // namespace detail

}  // namespace wbe
