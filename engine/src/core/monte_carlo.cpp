#include "wbe/core/monte_carlo.hpp"

#include <boost/math/distributions/normal.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <thread>

#include "wbe/core/accumulators.hpp"
#include "wbe/core/rng.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

namespace wbe {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// Component tags mixed into the keys: the same entity gives independent streams per component.
enum component : std::uint64_t { c_excretion = 1, c_population, c_flow, c_sampling, c_analysis, c_censoring, c_day };

std::uint64_t key_of(std::uint64_t seed, std::uint64_t entity, component c) {
    return rng::combine(rng::combine(seed, entity), static_cast<std::uint64_t>(c));
}

double draw_factor(const factor_distribution& f, std::uint64_t key, std::uint64_t d) {
    switch (f.family) {
        case distribution_family::fixed: return 1.0;
        case distribution_family::lognormal: return std::exp(f.log_mu() + f.log_sigma() * rng::normal(key, d));
        default: return f.sample(rng::uniform(key, d), 0.0);
    }
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define WBE_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define WBE_CLONES
#endif

// The per-draw loops of the evaluator, each in an AVX-512 / AVX2 / baseline clone (no
// contraction into FMA in this file: every clone gives the same bits).
WBE_CLONES void multiply(double* out, const double* a, const double* b, std::size_t n) {
    for (std::size_t j = 0; j < n; ++j) out[j] = a[j] * b[j];
}

// mean[j] += base × factor[j] × flow[j], and kept[j] = the same load when kept is not null.
WBE_CLONES void add_loads(double* mean, double* kept, const double* factor, const double* flow, double base, std::size_t n) {
    if (kept) {
        for (std::size_t j = 0; j < n; ++j) {
            const double l = base * factor[j] * flow[j];
            mean[j] += l;
            kept[j] = l;
        }
    } else {
        for (std::size_t j = 0; j < n; ++j) mean[j] += base * factor[j] * flow[j];
    }
}

// out[j] = 1000 cf[j] / pop[j] where pop[j] > 0, else NaN: a one-site index per unit of load.
WBE_CLONES void index_scale(double* out, const double* cf, const double* pop, std::size_t n) {
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    for (std::size_t j = 0; j < n; ++j) out[j] = pop[j] > 0.0 ? 1000.0 * cf[j] / pop[j] : nan;
}

// x[j] = x[j] × by, and x[j] = x[j] / by.
WBE_CLONES void scale_values(double* x, double by, std::size_t n) {
    for (std::size_t j = 0; j < n; ++j) x[j] *= by;
}
WBE_CLONES void divide_values(double* x, double by, std::size_t n) {
    for (std::size_t j = 0; j < n; ++j) x[j] /= by;
}

// A member of a several-site estimate: its mean load and population added where the load is a
// number and the population positive (blended, so the loop vectorises).
WBE_CLONES void add_member(double* load_sum, double* pop_sum, const double* load, const double* pop, std::size_t n) {
    for (std::size_t j = 0; j < n; ++j) {
        const bool ok = !std::isnan(load[j]) && pop[j] > 0.0;
        load_sum[j] = ok ? load_sum[j] + load[j] : load_sum[j];
        pop_sum[j] = ok ? pop_sum[j] + pop[j] : pop_sum[j];
    }
}

// x[j] = Σ load / Σ population × 1000 × cf[j] where the population sum is positive, else NaN.
WBE_CLONES void pooled_index(double* x, const double* pop_sum, const double* cf, std::size_t n) {
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    for (std::size_t j = 0; j < n; ++j) x[j] = pop_sum[j] > 0.0 ? x[j] / pop_sum[j] * 1000.0 * cf[j] : nan;
}

// out[j] = lo + width × uniform(key, d0 + j): a censored value drawn in its interval
// (vectorised: the generator is a multiply-xorshift chain).
WBE_CLONES void uniform_interval(double* out, std::uint64_t key, std::uint64_t d0, std::size_t n, double lo, double width) {
    for (std::size_t j = 0; j < n; ++j) out[j] = lo + width * rng::uniform(key, d0 + j);
}

// The general day of eval_site: load = C × sampling × Q × flow factor × multiplier, less
// ratio × the metabolite's load (same sample, same factors) and at least 0 when `sub` is given;
// added to `mean` and kept in `keep` (when not null). Each product in the order written.
WBE_CLONES void add_day_loads(double* mean, double* keep, const double* conc, const double* samp, const double* fq,
                              const double* sub, double flow, double multiplier, double sub_multiplier, double ratio,
                              std::size_t n) {
    for (std::size_t j = 0; j < n; ++j) {
        double l = conc[j] * samp[j] * flow * fq[j] * multiplier;
        if (sub) {
            const double l2 = sub[j] * samp[j] * flow * fq[j] * sub_multiplier;
            const double d = l - ratio * l2;
            l = 0.0 < d ? d : 0.0;  // std::max(0.0, d), NaN included
        }
        mean[j] += l;
        if (keep) keep[j] = l;
    }
}

// How many of x[0..n) lie in [a, b] (NaN nowhere).
WBE_CLONES std::size_t count_within(const double* x, std::size_t n, double a, double b) {
    std::size_t c = 0;
    for (std::size_t j = 0; j < n; ++j) c += static_cast<std::size_t>((x[j] >= a) & (x[j] <= b));
    return c;
}

// How many of x[0..n) exceed t (NaN exceeds nothing).
WBE_CLONES std::size_t count_above(const double* x, std::size_t n, double t) {
    std::size_t c = 0;
    for (std::size_t j = 0; j < n; ++j) c += x[j] > t;
    return c;
}

// out[j] = draw_factor(f, key, d0 + j) for j < n; log-normal factors by the block generators.
void draw_factor_block(const factor_distribution& f, std::uint64_t key, std::uint64_t d0, std::size_t n, double* out) {
    if (f.family == distribution_family::lognormal) {
        rng::lognormal_block(key, d0, n, f.log_mu(), f.log_sigma(), out);
        return;
    }
    for (std::size_t j = 0; j < n; ++j) out[j] = draw_factor(f, key, d0 + j);
}

// The draws of one index in a block: a[j], or a[j] × b[j] (a site's load times its draw's
// 1000 CF / population), formed where it is read instead of stored.
struct draws_view {
    const double* a = nullptr;
    const double* b = nullptr;
    std::size_t n = 0;
    [[nodiscard]] double operator[](std::size_t j) const noexcept { return b ? a[j] * b[j] : a[j]; }
    void copy_to(std::vector<double>& out) const {
        out.resize(n);
        if (b) multiply(out.data(), a, b, n);
        else std::copy(a, a + n, out.begin());
    }
};

struct day_plan {
    // Fast path: a quantified value whose analysis and sampling errors are both log-normal and
    // no metabolite is subtracted: their product is one log-normal, drawn with one deviate.
    bool fused = false;
    double base = 0.0;  // value × flow × load multiplier
    double mu = 0.0, sigma = 0.0;
    std::uint64_t k_day = 0, k_sampling = 0, k_analysis = 0, k_censoring = 0, k_sub_analysis = 0, k_sub_censoring = 0;
};

// Evaluates draws [d0, d1) of a problem: per site the population and the mean load of each
// draw (and the daily loads where a daily summary is wanted), then each estimate from them.
class evaluator {
public:
    evaluator(const mc_problem& p, const mc_options& o) : p_(p), o_(o) {
        k_exc_ = key_of(o.seed, p.drug_key, c_excretion);
        single_.resize(p.sites.size());
        for (std::size_t e = 0; e < p.estimates.size(); ++e)
            if (p.estimates[e].members.size() == 1) single_[p.estimates[e].members.front()].push_back(e);
            else multi_.push_back(e);
        for (const auto& s : p.sites) {
            k_pop_.push_back(key_of(o.seed, s.site_key, c_population));
            k_flow_.push_back(key_of(o.seed, s.campaign_key, c_flow));
            std::vector<day_plan> plans;
            for (const auto& day : s.days) {
                day_plan pl;
                pl.k_sampling = key_of(o.seed, day.sample_key, c_sampling);
                pl.k_analysis = key_of(o.seed, day.analyte_key, c_analysis);
                pl.k_censoring = key_of(o.seed, day.analyte_key, c_censoring);
                pl.k_day = key_of(o.seed, day.analyte_key, c_day);
                pl.k_sub_analysis = key_of(o.seed, day.sub_analyte_key, c_analysis);
                pl.k_sub_censoring = key_of(o.seed, day.sub_analyte_key, c_censoring);
                pl.fused = !day.conc.censored() && day.subtract_ratio == 0.0 && day.analysis.log_normal_exact() &&
                           day.sampling.log_normal_exact();
                if (pl.fused) {
                    pl.base = day.conc.value * day.flow_m3_per_day * s.load_multiplier;
                    pl.mu = day.analysis.log_mu() + day.sampling.log_mu();
                    pl.sigma = std::hypot(day.analysis.log_sigma(), day.sampling.log_sigma());
                }
                plans.push_back(pl);
            }
            plans_.push_back(std::move(plans));
        }
    }

    // Hands block [d0, d1) to sink(estimate, day, draws) series by series, each as soon as it
    // is complete and while its draws are still in cache: a site's daily series (day = i + 1
    // for day i, when the estimate is daily) and campaign values (day = 0) of its one-site
    // estimates right after the site, then the several-site estimates. The draws are valid
    // during the call only.
    template <class Sink>
    void stream(std::uint64_t d0, std::uint64_t d1, Sink&& sink) {
        const std::size_t nb = static_cast<std::size_t>(d1 - d0);
        const std::size_t ns = p_.sites.size();
        cf_.resize(nb);
        draw_factor_block(p_.excretion, k_exc_, d0, nb, cf_.data());
        for (std::size_t j = 0; j < nb; ++j) cf_[j] = p_.cf / cf_[j];
        mean_load_.resize(ns);
        pop_.resize(ns);
        scale_.resize(p_.estimates.size());
        for (std::size_t s = 0; s < ns; ++s) eval_site(s, d0, nb, sink);
        for (std::size_t e : multi_) {
            const mc_estimate& est = p_.estimates[e];
            auto& out = scale_[e];
            out.assign(nb, 0.0);
            std::vector<double>& sum_p = sum_p_;  // reused across blocks and estimates
            sum_p.assign(nb, 0.0);
            for (std::size_t m : est.members) add_member(out.data(), sum_p.data(), mean_load_[m].data(), pop_[m].data(), nb);
            pooled_index(out.data(), sum_p.data(), cf_.data(), nb);
            sink(e, std::size_t{0}, draws_view{out.data(), nullptr, nb});
        }
    }

    // The same block kept: views[estimate][day] (day as in `stream`; only the campaign value
    // for an estimate that is not daily) stay valid until the next call.
    void eval(std::uint64_t d0, std::uint64_t d1, std::vector<std::vector<draws_view>>& views) {
        views.resize(p_.estimates.size());
        held_.resize(p_.estimates.size());
        for (std::size_t e = 0; e < p_.estimates.size(); ++e) {
            const mc_estimate& est = p_.estimates[e];
            const std::size_t series = 1 + (est.daily && est.members.size() == 1 ? p_.sites[est.members.front()].days.size() : 0);
            views[e].resize(series);
            held_[e].resize(series);
        }
        stream(d0, d1, [&](std::size_t e, std::size_t day, const draws_view& v) {
            v.copy_to(held_[e][day]);
            views[e][day] = {held_[e][day].data(), nullptr, v.n};
        });
    }

private:
    template <class Sink>
    void eval_site(std::size_t s, std::uint64_t d0, std::size_t nb, Sink& sink) {
        const mc_site& site = p_.sites[s];
        auto& pop = pop_[s];
        auto& mean = mean_load_[s];
        pop.resize(nb);
        mean.assign(nb, 0.0);
        fq_.resize(nb);
        draw_factor_block(site.population_dist, k_pop_[s], d0, nb, pop.data());
        scale_values(pop.data(), site.population, nb);
        draw_factor_block(site.flow_dist, k_flow_[s], d0, nb, fq_.data());
        // The site's one-site estimates: index = load × 1000 CF / population, the factor
        // computed once per draw for the campaign value and every day.
        bool keep_days = false;
        for (std::size_t e : single_[s]) {
            auto& scale = scale_[e];
            scale.resize(nb);
            index_scale(scale.data(), cf_.data(), pop.data(), nb);
            keep_days = keep_days || p_.estimates[e].daily;
        }
        const auto days_done = [&](std::size_t i, const std::vector<double>& loads) {
            for (std::size_t e : single_[s])
                if (p_.estimates[e].daily) sink(e, i + 1, draws_view{loads.data(), scale_[e].data(), nb});
        };
        std::size_t n = 0;
        for (std::size_t i = 0; i < site.days.size(); ++i) {
            const mc_day& day = site.days[i];
            const day_plan& pl = plans_[s][i];
            std::vector<double>* keep = keep_days ? &day_loads_ : nullptr;
            if (keep) keep->resize(nb);
            if (std::isnan(day.flow_m3_per_day)) {
                if (keep) {
                    std::fill(keep->begin(), keep->end(), nan);
                    days_done(i, *keep);
                }
                continue;
            }
            ++n;
            if (pl.fused) {
                z_.resize(nb);
                double* z = z_.data();
                rng::lognormal_block(pl.k_day, d0, nb, pl.mu, pl.sigma, z);
                add_loads(mean.data(), keep ? keep->data() : nullptr, z, fq_.data(), pl.base, nb);
                if (keep) days_done(i, *keep);
                continue;
            }
            // The general path (a censored value, or a metabolite subtracted): the factors of the
            // block drawn first, by the block generators (concentration_block), then combined.
            samp_.resize(nb);
            conc_.resize(nb);
            draw_factor_block(day.sampling, pl.k_sampling, d0, nb, samp_.data());
            concentration_block(day.conc, day.substitute, day.analysis, pl.k_analysis, pl.k_censoring, d0, nb, conc_.data());
            if (day.subtract_ratio != 0.0) {
                sub_.resize(nb);
                concentration_block(day.sub_conc, day.sub_substitute, day.analysis, pl.k_sub_analysis, pl.k_sub_censoring, d0, nb,
                                    sub_.data());
            }
            add_day_loads(mean.data(), keep ? keep->data() : nullptr, conc_.data(), samp_.data(), fq_.data(),
                          day.subtract_ratio != 0.0 ? sub_.data() : nullptr, day.flow_m3_per_day, site.load_multiplier,
                          day.sub_load_multiplier, day.subtract_ratio, nb);
            if (keep) days_done(i, *keep);
        }
        if (n) divide_values(mean.data(), static_cast<double>(n), nb);
        else std::fill(mean.begin(), mean.end(), nan);
        for (std::size_t e : single_[s]) sink(e, std::size_t{0}, draws_view{mean.data(), scale_[e].data(), nb});
    }

    const mc_problem& p_;
    const mc_options& o_;
    std::uint64_t k_exc_ = 0;
    std::vector<std::uint64_t> k_pop_, k_flow_;
    std::vector<std::vector<day_plan>> plans_;
    std::vector<std::vector<std::size_t>> single_;  // per site: its one-site estimates
    std::vector<std::size_t> multi_;                // the several-site estimates
    // The concentration of draws d0 … d0 + n − 1 into out: a censored value drawn in its interval
    // (or the substitute), a quantified one times its analysis factor.
    void concentration_block(const censored_value& v, double substitute, const factor_distribution& analysis, std::uint64_t k_ana,
                             std::uint64_t k_cens, std::uint64_t d0, std::size_t n, double* out) {
        if (v.censored()) {
            if (o_.censored == censored_draws::substitute) {
                std::fill(out, out + n, substitute);
                return;
            }
            // draw_censored, the block at once: <LOD in [0, LOD), <LOQ in [LOD, LOQ).
            const double lod = std::isnan(v.lod) ? 0.0 : v.lod;
            const double loq = std::isnan(v.loq) ? lod : v.loq;
            if (v.qual == qualifier::below_lod) uniform_interval(out, k_cens, d0, n, 0.0, lod);
            else uniform_interval(out, k_cens, d0, n, lod, loq - lod);
            return;
        }
        draw_factor_block(analysis, k_ana, d0, n, out);
        scale_values(out, v.value, n);
    }


    std::vector<double> cf_, fq_, sum_p_, z_, samp_, conc_, sub_, day_loads_;
    std::vector<std::vector<double>> mean_load_, pop_;
    std::vector<std::vector<double>> scale_;  // per estimate: 1000 CF / population (one site), the values (several)
    std::vector<std::vector<std::vector<double>>> held_;  // eval's copies, [estimate][day]
};

// Exact order statistics without keeping every draw (the sample-bracket idea of Floyd & Rivest
// 1975, "Expected time bounds for selection", CACM 18:165). The first block of draws is an
// i.i.d. sample of the series; around each wanted quantile p it gives bounds [a, b] that hold
// the whole series' order statistics for p with overwhelming probability (half-width
// `bracket_sds` sampling SDs of a sample quantile, √(p(1−p)/m)). Later blocks only count the
// draws below a and collect those in [a, b]; at the end the wanted ranks are selected among the
// collected ones. When a rank turns out not to lie in its bracket, the series' draws are
// regenerated (same counters, same values) and selected whole. The answer is therefore the
// exact order statistic whatever the bounds; they decide speed and memory only.
struct bracket {
    double a = -std::numeric_limits<double>::infinity();
    double b = std::numeric_limits<double>::infinity();
    std::size_t below = 0;    // draws < a
    std::size_t count = 0;    // draws in [a, b], in values[0, count)
    double* values = nullptr;  // capacity + 8 slots in the thread's arena
    std::size_t capacity = 0;
    bool overflow = false;     // more draws fell inside than the capacity: selected from all draws
};

// below += #(x < a), and x in [a, b] appended at values[count…] (NaN is neither).
void scan_bracket_portable(const double* x, std::size_t n, bracket& br) {
    double* out = br.values;
    std::size_t below = br.below, count = br.count;
    const double a = br.a, b = br.b;
    for (std::size_t j = 0; j < n; ++j) {
        const double v = x[j];
        below += v < a;
        out[count] = v;
        count += (v >= a) & (v <= b);
    }
    br.below = below;
    br.count = count;
}

#if defined(__x86_64__) && defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"
// The same with AVX-512: eight draws per step, the collected ones compressed into a register
// and stored whole (values has 8 spare slots).
__attribute__((target("avx512f"))) void scan_bracket_avx512(const double* x, std::size_t n, bracket& br) {
    double* out = br.values;
    std::size_t below = br.below, count = br.count;
    const __m512d a = _mm512_set1_pd(br.a), b = _mm512_set1_pd(br.b);
    std::size_t j = 0;
    for (; j < n; j += 8) {
        const __mmask8 live = n - j >= 8 ? __mmask8(0xFF) : static_cast<__mmask8>((1u << (n - j)) - 1u);
        const __m512d v = _mm512_maskz_loadu_pd(live, x + j);
        const __mmask8 lt = _mm512_mask_cmp_pd_mask(live, v, a, _CMP_LT_OQ);
        const __mmask8 in = _mm512_mask_cmp_pd_mask(_mm512_mask_cmp_pd_mask(live, v, a, _CMP_GE_OQ), v, b, _CMP_LE_OQ);
        _mm512_storeu_pd(out + count, _mm512_maskz_compress_pd(in, v));
        below += static_cast<std::size_t>(__builtin_popcount(lt));
        count += static_cast<std::size_t>(__builtin_popcount(in));
    }
    br.below = below;
    br.count = count;
}
#pragma GCC diagnostic pop

bool has_avx512f() noexcept { return rng::detail::avx512_enabled(); }  // (F and DQ)
#endif

// A block of n draws into a bracket (the block must fit: at most the bracket's capacity − count
// new values; otherwise the bracket gives up and the series is selected from all its draws).
void scan_bracket(const double* x, std::size_t n, bracket& br) {
    if (br.overflow) return;
    if (br.count + n > br.capacity) {
        br.overflow = true;
        return;
    }
#if defined(__x86_64__) && defined(__GNUC__)
    if (has_avx512f()) {
        scan_bracket_avx512(x, n, br);
        return;
    }
#endif
    scan_bracket_portable(x, n, br);
}

// Streaming state of one index (the campaign value, or one day).
struct series_state {
    draw_moments m;  // block-independent (accumulators.hpp); NaN draws counted apart
    std::vector<std::size_t> exceed;
    std::array<bracket, 3> brackets;  // median, lower, upper (draws ≤ keep_limit)
    // exact selection beyond keep_limit
    double min = std::numeric_limits<double>::infinity();
    double max = -std::numeric_limits<double>::infinity();
    double log_lo = 0.0, log_hi = 0.0;
    std::vector<std::size_t> hist;  // [0] underflow (incl. ≤ 0), [1..B] bins, [B+1] overflow
};

// The bounds of each bracket from the first block of a series (its non-NaN draws), and the
// capacity it needs for `draws` draws in blocks of `block`: the share of the sample inside the
// bounds, with a quarter and a block to spare (a bracket that fills up gives up; see above).
void start_brackets(series_state& s, std::vector<double>& first, const double (&probs)[3], double sds, std::size_t draws,
                    std::size_t block, quantile_scratch& scratch) {
    std::vector<double>& sample = first;  // its NaN dropped
    sample.erase(std::remove_if(sample.begin(), sample.end(), [](double x) { return std::isnan(x); }), sample.end());
    const auto m = static_cast<double>(sample.size());
    if (sample.empty()) {  // every bracket stays (−∞, ∞)
        for (bracket& br : s.brackets) br.capacity = draws;
        return;
    }
    double wanted[6], clamped[6], bound[6];
    for (int i = 0; i < 3; ++i) {
        const double half = sds * std::sqrt(probs[i] * (1.0 - probs[i]) / m) + 1.0 / m;
        wanted[2 * i] = probs[i] - half;
        wanted[2 * i + 1] = probs[i] + half;
    }
    for (int i = 0; i < 6; ++i) clamped[i] = std::clamp(wanted[i], 0.0, 1.0);
    quantiles(sample, clamped, bound, scratch);
    for (int i = 0; i < 3; ++i) {
        bracket& br = s.brackets[i];
        br.a = wanted[2 * i] <= 0.0 ? -std::numeric_limits<double>::infinity() : bound[2 * i];
        br.b = wanted[2 * i + 1] >= 1.0 ? std::numeric_limits<double>::infinity() : bound[2 * i + 1];
        // The share of draws the bracket will hold: its width in probability, or the share of the
        // first block inside [a, b] when that is more — draws that tie (a load clamped at 0, a
        // censored value substituted in every draw) can put far more than the width in it.
        const double inside = static_cast<double>(count_within(sample.data(), sample.size(), br.a, br.b)) / m;
        // The true share can exceed the first block's by its sampling error, √(share (1 − share)
        // / m) (about a third of a small share at m = 1024): six of those on top, so that a
        // bracket gives up (and its problem is evaluated again) about once in 10⁹, not once in
        // 10³ as with a fixed 25 %.
        const double share = std::max(clamped[2 * i + 1] - clamped[2 * i], inside);
        const double most = std::min(1.0, share + 6.0 * std::sqrt(share * (1.0 - share) / m) + 1.0 / m);
        br.capacity = std::min(draws, static_cast<std::size_t>(std::ceil(most * static_cast<double>(draws))) + block);
    }
}

// Places every bracket of `st` in `arena` (grown as needed, reused by the thread's next problem).
void place_brackets(std::vector<series_state>& st, std::vector<double>& arena) {
    std::size_t total = 0;
    for (const auto& s : st)
        for (const bracket& br : s.brackets) total += br.capacity + 8;
    if (arena.size() < total) arena.resize(total);
    double* next = arena.data();
    for (auto& s : st)
        for (bracket& br : s.brackets) {
            br.values = next;
            next += br.capacity + 8;
        }
}

constexpr std::size_t n_bins = 4096;

std::size_t bin_of(const series_state& s, double x) {
    if (!(x > 0.0)) return 0;
    const double lx = std::log(x);
    if (lx < s.log_lo) return 0;
    if (lx >= s.log_hi) return n_bins + 1;
    const auto b = static_cast<std::size_t>((lx - s.log_lo) / (s.log_hi - s.log_lo) * static_cast<double>(n_bins));
    return 1 + std::min(b, n_bins - 1);
}

#if defined(__x86_64__) && defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"
constexpr std::size_t fused_thresholds = 4;  // most thresholds the fused kernel counts

// One bracket's step of add_values_avx512: in = a ≤ x ≤ b as (x ≤ b) and not (x < a), so NaN
// is neither below nor in; the values in are compressed and stored at out + c. An infinite
// bound (the first block puts the lower bracket's a at −∞ and the upper one's b at +∞ whenever
// its quantile lies within the bracket's half-width of 0 or 1) needs no comparison: nothing is
// below −∞, and every draw that is not NaN (`ok`) is below +∞.
__attribute__((target("avx512f"), always_inline)) inline void scan_avx512(__mmask8 live, __mmask8 ok, __m512d x, __m512i one, __m512d lo,
                                                                         __m512d hi, bool lo_inf, bool hi_inf, double* out,
                                                                         std::size_t& c, __m512i& below) {
    const __mmask8 lt = lo_inf ? __mmask8(0) : _mm512_mask_cmp_pd_mask(live, x, lo, _CMP_LT_OQ);
    const __mmask8 le = hi_inf ? ok : _mm512_mask_cmp_pd_mask(live, x, hi, _CMP_LE_OQ);
    const __mmask8 in = static_cast<__mmask8>(le & ~lt);
    _mm512_storeu_pd(out + c, _mm512_maskz_compress_pd(in, x));
    c += static_cast<std::size_t>(__builtin_popcount(in));
    if (!lo_inf) below = _mm512_mask_add_epi64(below, lt, below, one);
}

__attribute__((target("avx512f"), always_inline)) inline std::size_t lane_total(__m512i c) {
    alignas(64) std::uint64_t lane[8];  // (not _mm512_reduce_add_epi64: GCC 12 warns falsely inside it)
    _mm512_store_si512(lane, c);
    return static_cast<std::size_t>(((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7])));
}

// The whole of `add_values` for a bracketed series in one pass with AVX-512, eight draws per
// step: the product a × b formed in registers, then the moments' lanes (draw d in lane d mod 8,
// hence d0 % 8 == 0), the exceedances and the three brackets (none overflowed), each exactly as
// the separate loops below compute them (same roundings, same order of the collected values).
// Counts are kept per lane in vector registers and summed at the end.
template <bool Product, std::size_t NT>
__attribute__((target("avx512f"))) void add_values_avx512(series_state& s, const draws_view& v, const std::vector<double>& thresholds) {
    const std::size_t n = v.n;
    const double* a = v.a;
    const double* b = v.b;
    double* const s1p = s.m.lane_sums();
    double* const s2p = s.m.lane_squares();
    __m512d s1 = _mm512_loadu_pd(s1p), s2 = _mm512_loadu_pd(s2p);
    const __m512d shift = _mm512_set1_pd(s.m.shift());
    const __m512i one = _mm512_set1_epi64(1);
    __m512d thr[NT + 1];
    __m512i exceed[NT + 1];
    for (std::size_t t = 0; t < NT; ++t) {
        thr[t] = _mm512_set1_pd(thresholds[t]);
        exceed[t] = _mm512_setzero_si512();
    }
    bracket& b0 = s.brackets[0];
    bracket& b1 = s.brackets[1];
    bracket& b2 = s.brackets[2];
    const __m512d lo0 = _mm512_set1_pd(b0.a), hi0 = _mm512_set1_pd(b0.b);
    const __m512d lo1 = _mm512_set1_pd(b1.a), hi1 = _mm512_set1_pd(b1.b);
    const __m512d lo2 = _mm512_set1_pd(b2.a), hi2 = _mm512_set1_pd(b2.b);
    double* const out0 = b0.values;
    double* const out1 = b1.values;
    double* const out2 = b2.values;
    std::size_t c0 = b0.count, c1 = b1.count, c2 = b2.count;
    constexpr double inf = std::numeric_limits<double>::infinity();
    const bool inf0[2] = {b0.a == -inf, b0.b == inf}, inf1[2] = {b1.a == -inf, b1.b == inf}, inf2[2] = {b2.a == -inf, b2.b == inf};
    __m512i below0 = _mm512_setzero_si512(), below1 = below0, below2 = below0, nans = below0;
    for (std::size_t j = 0; j < n; j += 8) {
        const __mmask8 live = n - j >= 8 ? __mmask8(0xFF) : static_cast<__mmask8>((1u << (n - j)) - 1u);
        __m512d x = _mm512_maskz_loadu_pd(live, a + j);
        if constexpr (Product) x = _mm512_mul_pd(x, _mm512_maskz_loadu_pd(live, b + j));
        const __mmask8 ok = _mm512_mask_cmp_pd_mask(live, x, x, _CMP_ORD_Q);
        nans = _mm512_mask_add_epi64(nans, static_cast<__mmask8>(live & ~ok), nans, one);
        const __m512d y = _mm512_sub_pd(x, shift);
        s1 = _mm512_mask_add_pd(s1, ok, s1, y);
        s2 = _mm512_mask_add_pd(s2, ok, s2, _mm512_mul_pd(y, y));
        for (std::size_t t = 0; t < NT; ++t)
            exceed[t] = _mm512_mask_add_epi64(exceed[t], _mm512_mask_cmp_pd_mask(live, x, thr[t], _CMP_GT_OQ), exceed[t], one);
        scan_avx512(live, ok, x, one, lo0, hi0, inf0[0], inf0[1], out0, c0, below0);
        scan_avx512(live, ok, x, one, lo1, hi1, inf1[0], inf1[1], out1, c1, below1);
        scan_avx512(live, ok, x, one, lo2, hi2, inf2[0], inf2[1], out2, c2, below2);
    }
    _mm512_storeu_pd(s1p, s1);
    _mm512_storeu_pd(s2p, s2);
    const std::size_t nan_count = lane_total(nans);
    s.m.counted(n - nan_count, nan_count);
    for (std::size_t t = 0; t < NT; ++t) s.exceed[t] += lane_total(exceed[t]);
    b0.count = c0;
    b1.count = c1;
    b2.count = c2;
    b0.below += lane_total(below0);
    b1.below += lane_total(below1);
    b2.below += lane_total(below2);
}

// The kernel for this series' number of thresholds; false when it has none (more than
// fused_thresholds).
template <bool Product>
bool add_values_fused(series_state& s, const draws_view& v, const std::vector<double>& thresholds) {
    switch (thresholds.size()) {
        case 0: add_values_avx512<Product, 0>(s, v, thresholds); return true;
        case 1: add_values_avx512<Product, 1>(s, v, thresholds); return true;
        case 2: add_values_avx512<Product, 2>(s, v, thresholds); return true;
        case 3: add_values_avx512<Product, 3>(s, v, thresholds); return true;
        case 4: add_values_avx512<Product, 4>(s, v, thresholds); return true;
        default: return false;
    }
}
static_assert(fused_thresholds == 4, "add_values_fused dispatches 0 … 4 thresholds");
#pragma GCC diagnostic pop
#endif

// Draws d0 … d0 + v.n − 1 of one series: moments, exceedances (counted without branches; NaN
// exceeds nothing), and either the brackets or the histogram. `tmp` holds the draws when they
// are a product and a loop needs them stored.
void add_values(series_state& s, std::size_t d0, const draws_view& v, const std::vector<double>& thresholds, bool bracketed,
                bool histogram, std::vector<double>& tmp) {
    const std::size_t n = v.n;
#if defined(__x86_64__) && defined(__GNUC__)
    if (bracketed && d0 % 8 == 0 && has_avx512f()) {
        bool room = true;  // else a bracket gives up (scan_bracket), which the loops below handle
        for (const bracket& br : s.brackets) room = room && !br.overflow && br.count + n <= br.capacity;
        if (room && (v.b ? add_values_fused<true>(s, v, thresholds) : add_values_fused<false>(s, v, thresholds))) return;
    }
#endif
    const double* x = v.a;
    if (v.b) {
        v.copy_to(tmp);
        x = tmp.data();
    }
    s.m.add(d0, x, n);
    for (std::size_t t = 0; t < thresholds.size(); ++t) s.exceed[t] += count_above(x, n, thresholds[t]);
    if (bracketed)
        for (bracket& br : s.brackets) scan_bracket(x, n, br);
    if (histogram)
        for (std::size_t j = 0; j < n; ++j) {
            const double y = x[j];
            if (std::isnan(y)) continue;
            ++s.hist[bin_of(s, y)];
            s.min = std::min(s.min, y);
            s.max = std::max(s.max, y);
        }
}

void start_histogram(series_state& s, const std::vector<double>& pilot) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (double x : pilot)
        if (x > 0.0 && std::isfinite(x)) {
            lo = std::min(lo, std::log(x));
            hi = std::max(hi, std::log(x));
        }
    if (!std::isfinite(lo)) lo = hi = 0.0;
    const double pad = std::max(1.0, 0.5 * (hi - lo));  // the pilot's range, widened on both sides
    s.log_lo = lo - pad;
    s.log_hi = hi + pad;
    s.hist.assign(n_bins + 2, 0);
}

// The summary of a bracketed series; false when a wanted rank fell outside its bracket (the
// caller then selects from the regenerated draws).
bool finish_bracketed(series_state& s, const double (&probs)[3], draw_summary& r, quantile_scratch& scratch) {
    r.n = s.m.count();
    r.p_exceed.assign(s.exceed.size(), nan);
    if (r.n == 0) return true;
    r.mean = s.m.mean();
    r.sd = std::sqrt(s.m.variance());
    for (std::size_t t = 0; t < s.exceed.size(); ++t) r.p_exceed[t] = static_cast<double>(s.exceed[t]) / static_cast<double>(r.n);
    double q[3];
    for (int i = 0; i < 3; ++i) {
        bracket& br = s.brackets[i];
        const quantile_ranks rk = type7_ranks(r.n, probs[i]);
        if (br.overflow || rk.lo < br.below || rk.hi >= br.below + br.count) return false;
        const std::size_t ranks[2] = {rk.lo - br.below, rk.hi - br.below};
        double os[2];
        order_statistics(std::span<const double>(br.values, br.count), ranks, os, scratch);
        q[i] = rk.weight == 0.0 ? os[0] : os[0] + rk.weight * (os[1] - os[0]);
    }
    r.median = q[0];
    r.lower = q[1];
    r.upper = q[2];
    return true;
}

std::atomic<std::size_t> reselected{0};  // detail::reselected_series

}  // namespace

std::size_t detail::reselected_series() noexcept { return reselected.load(std::memory_order_relaxed); }

draw_summary::draw_summary() : mean(nan), sd(nan), median(nan), lower(nan), upper(nan) {}

std::vector<mc_result> run_monte_carlo(const mc_problem& problem, const mc_options& o) {
    if (o.draws == 0) throw std::invalid_argument("Monte Carlo needs at least one draw");
    if (!(o.interval > 0.0 && o.interval < 1.0)) throw std::invalid_argument("interval must be in (0, 1)");
    for (const auto& e : problem.estimates)
        for (std::size_t m : e.members)
            if (m >= problem.sites.size()) throw std::invalid_argument("estimate member out of range");
    evaluator ev(problem, o);
    const bool keep = o.draws <= o.keep_limit;  // bracketed selection; beyond: multi-pass, flat memory
    const std::size_t block = std::max<std::size_t>(1, o.block);
    const double probs[3] = {0.5, 0.5 * (1.0 - o.interval), 0.5 * (1.0 + o.interval)};
    static thread_local quantile_scratch scratch;
    static thread_local std::vector<double> arena;  // the brackets' collected draws

    // Series: per estimate, the campaign value then its days.
    struct series_ref {
        std::size_t estimate;
        std::size_t day;  // 0 = campaign, i + 1 = day i
    };
    std::vector<series_ref> refs;
    std::vector<std::size_t> first_series;  // per estimate: its campaign series; day i is first + i + 1
    for (std::size_t e = 0; e < problem.estimates.size(); ++e) {
        const auto& est = problem.estimates[e];
        first_series.push_back(refs.size());
        refs.push_back({e, 0});
        if (est.daily && est.members.size() == 1)
            for (std::size_t i = 0; i < problem.sites[est.members.front()].days.size(); ++i) refs.push_back({e, i + 1});
    }
    std::vector<series_state> st(refs.size());
    for (std::size_t k = 0; k < refs.size(); ++k) st[k].exceed.assign(problem.estimates[refs[k].estimate].thresholds.size(), 0);
    std::vector<std::vector<draws_view>> views;  // of the block ev.eval kept
    std::vector<double> tmp;
    const auto series = [&](std::size_t k) -> const draws_view& { return views[refs[k].estimate][refs[k].day]; };
    const auto thresholds = [&](std::size_t k) -> const std::vector<double>& { return problem.estimates[refs[k].estimate].thresholds; };

    // The moments' shift: the median of each series' first (up to) 64 draws, the same draws
    // whatever the block size.
    ev.eval(0, std::min<std::size_t>(o.draws, 64), views);
    std::vector<double> pilot;
    for (std::size_t k = 0; k < refs.size(); ++k) {
        pilot.clear();
        const draws_view& v = series(k);
        for (std::size_t j = 0; j < v.n; ++j)
            if (const double x = v[j]; std::isfinite(x)) pilot.push_back(x);
        st[k].m = draw_moments(pilot.empty() ? 0.0 : quantile(pilot, 0.5));
    }

    // Pass 1: moments, exceedances, and either the brackets or a histogram, both started from
    // the first block (kept whole); later blocks are summarised series by series as the
    // evaluator completes them.
    for (std::size_t d0 = 0; d0 < o.draws; d0 += block) {
        const std::size_t d1 = std::min(o.draws, d0 + block);
        if (d0 == 0) {
            ev.eval(d0, d1, views);
            for (std::size_t k = 0; k < refs.size(); ++k) {
                series(k).copy_to(tmp);
                if (keep) start_brackets(st[k], tmp, probs, o.bracket_sds, o.draws, block, scratch);
                else start_histogram(st[k], tmp);
            }
            if (keep) place_brackets(st, arena);
            for (std::size_t k = 0; k < refs.size(); ++k) add_values(st[k], d0, series(k), thresholds(k), keep, !keep, tmp);
            continue;
        }
        ev.stream(d0, d1, [&](std::size_t e, std::size_t day, const draws_view& v) {
            const std::size_t k = first_series[e] + day;
            add_values(st[k], d0, v, thresholds(k), keep, !keep, tmp);
        });
    }

    std::vector<draw_summary> out(refs.size());
    if (keep) {
        std::vector<std::size_t> missed;  // series with a rank outside its bracket
        for (std::size_t k = 0; k < refs.size(); ++k)
            if (!finish_bracketed(st[k], probs, out[k], scratch)) missed.push_back(k);
        if (!missed.empty()) {
            reselected.fetch_add(missed.size(), std::memory_order_relaxed);
            // Rare: regenerate the draws of those series and select among all of them.
            std::vector<std::vector<double>> all(missed.size());
            for (std::size_t d0 = 0; d0 < o.draws; d0 += block) {
                ev.eval(d0, std::min(o.draws, d0 + block), views);
                for (std::size_t i = 0; i < missed.size(); ++i) {
                    const draws_view& v = series(missed[i]);
                    for (std::size_t j = 0; j < v.n; ++j)
                        if (const double x = v[j]; !std::isnan(x)) all[i].push_back(x);
                }
            }
            for (std::size_t i = 0; i < missed.size(); ++i) {
                draw_summary& r = out[missed[i]];
                double q[3];
                quantiles(all[i], probs, q, scratch);
                r.median = q[0];
                r.lower = q[1];
                r.upper = q[2];
            }
        }
    } else {
        // Exact order statistics with bounded memory. Pass 1 counted each series in a log-scale
        // histogram; a wanted rank lies in one cell of it. Each further pass regenerates the
        // draws (same counters, same values) and either collects the values of a cell that holds
        // at most `cell_cap` of them, or splits a larger cell into `n_bins` linear sub-cells and
        // counts them, so no pass keeps more than cell_cap values per wanted rank.
        const std::size_t cell_cap = std::max<std::size_t>(1, o.cell_cap);
        struct level {
            double lo, hi;    // linear sub-cell bounds of this refinement
            std::size_t sub;  // the sub-cell the rank is in
        };
        struct want {
            std::size_t series, rank, bin, within, count;
            std::vector<level> path;  // refinements below the first-level bin
            std::vector<std::size_t> counts;  // sub-cell counts, while splitting
            std::vector<double> values;       // collected, once count <= cell_cap
            double lo = 0.0, hi = 0.0;        // bounds of the current cell
            double seen_min = 0.0, seen_max = 0.0;  // of the values counted in the last split pass
            bool resolved = false;
            double answer = nan;
        };
        const auto sub_of = [](double x, double lo, double hi) {
            if (!(hi > lo)) return std::size_t{0};
            const double f = (x - lo) / (hi - lo) * static_cast<double>(n_bins);
            return f <= 0.0 ? std::size_t{0} : std::min(static_cast<std::size_t>(f), n_bins - 1);
        };
        std::vector<want> wants;
        for (std::size_t k = 0; k < refs.size(); ++k) {
            const std::size_t n = st[k].m.count();
            if (n == 0) continue;
            for (double p : probs) {
                const quantile_ranks r = type7_ranks(n, p);
                for (std::size_t rank : {r.lo, r.hi}) {
                    std::size_t cum = 0, b = 0;
                    while (cum + st[k].hist[b] <= rank) cum += st[k].hist[b++];
                    want w{k, rank, b, rank - cum, st[k].hist[b], {}, {}, {}};
                    const double width = (st[k].log_hi - st[k].log_lo) / static_cast<double>(n_bins);
                    w.lo = b == 0 ? st[k].min : std::exp(st[k].log_lo + static_cast<double>(b - 1) * width);
                    w.hi = b == n_bins + 1 ? st[k].max : std::exp(st[k].log_lo + static_cast<double>(b) * width);
                    if (b == 0) w.hi = std::exp(st[k].log_lo);
                    if (b == n_bins + 1) w.lo = std::exp(st[k].log_hi);
                    wants.push_back(std::move(w));
                }
            }
        }
        const auto in_cell = [&](const want& w, double x) {
            if (bin_of(st[w.series], x) != w.bin) return false;
            for (const level& l : w.path)
                if (sub_of(x, l.lo, l.hi) != l.sub) return false;
            return true;
        };
        for (int pass = 0; pass < 64; ++pass) {
            bool pending = false;
            for (auto& w : wants) {
                if (w.resolved) continue;
                pending = true;
                if (w.count <= cell_cap) {
                    w.values.reserve(w.count);
                } else {
                    w.counts.assign(n_bins, 0);
                    w.seen_min = std::numeric_limits<double>::infinity();
                    w.seen_max = -std::numeric_limits<double>::infinity();
                }
            }
            if (!pending) break;
            for (std::size_t d0 = 0; d0 < o.draws; d0 += block) {
                const std::size_t d1 = std::min(o.draws, d0 + block);
                ev.eval(d0, d1, views);
                for (auto& w : wants) {
                    if (w.resolved) continue;
                    const draws_view& v = series(w.series);
                    for (std::size_t j = 0; j < v.n; ++j) {
                        const double x = v[j];
                        if (std::isnan(x) || !in_cell(w, x)) continue;
                        if (w.count <= cell_cap) {
                            w.values.push_back(x);
                        } else {
                            ++w.counts[sub_of(x, w.lo, w.hi)];
                            w.seen_min = std::min(w.seen_min, x);
                            w.seen_max = std::max(w.seen_max, x);
                        }
                    }
                }
            }
            for (auto& w : wants) {
                if (w.resolved) continue;
                if (w.count <= cell_cap) {
                    std::nth_element(w.values.begin(), w.values.begin() + static_cast<std::ptrdiff_t>(w.within), w.values.end());
                    w.answer = w.values[w.within];
                    w.resolved = true;
                    std::vector<double>().swap(w.values);
                    continue;
                }
                if (w.seen_min == w.seen_max) {  // every value of the cell is the same (e.g. loads clamped to 0)
                    w.answer = w.seen_min;
                    w.resolved = true;
                    std::vector<std::size_t>().swap(w.counts);
                    continue;
                }
                std::size_t cum = 0, sub = 0;
                while (cum + w.counts[sub] <= w.within) cum += w.counts[sub++];
                const double width = (w.hi - w.lo) / static_cast<double>(n_bins);
                const double lo = w.lo + static_cast<double>(sub) * width;
                const double hi = sub + 1 == n_bins ? w.hi : w.lo + static_cast<double>(sub + 1) * width;
                w.path.push_back({w.lo, w.hi, sub});
                w.within -= cum;
                w.count = w.counts[sub];
                std::vector<std::size_t>().swap(w.counts);
                if (!(hi > lo)) {  // the cell cannot be split further: all its values are equal
                    w.answer = lo;
                    w.resolved = true;
                }
                w.lo = lo;
                w.hi = hi;
            }
        }
        for (std::size_t k = 0; k < refs.size(); ++k) {
            draw_summary r;
            r.n = st[k].m.count();
            r.p_exceed.resize(thresholds(k).size(), nan);
            if (r.n > 0) {
                r.mean = st[k].m.mean();
                r.sd = std::sqrt(st[k].m.variance());
                for (std::size_t t = 0; t < thresholds(k).size(); ++t)
                    r.p_exceed[t] = static_cast<double>(st[k].exceed[t]) / static_cast<double>(r.n);
                const auto order_stat = [&](std::size_t rank) {
                    for (const auto& w : wants)
                        if (w.series == k && w.rank == rank) return w.answer;
                    return nan;
                };
                double q[3];
                for (int i = 0; i < 3; ++i) {
                    const quantile_ranks rk = type7_ranks(r.n, probs[i]);
                    const double lo = order_stat(rk.lo);
                    q[i] = rk.weight == 0.0 ? lo : lo + rk.weight * (order_stat(rk.hi) - lo);
                }
                r.median = q[0];
                r.lower = q[1];
                r.upper = q[2];
            }
            out[k] = std::move(r);
        }
    }
    std::vector<mc_result> res(problem.estimates.size());
    for (std::size_t k = 0; k < refs.size(); ++k) {
        if (refs[k].day == 0) res[refs[k].estimate].campaign = std::move(out[k]);
        else res[refs[k].estimate].daily.push_back(std::move(out[k]));
    }
    return res;
}

std::vector<std::vector<mc_result>> run_monte_carlo(const std::vector<mc_problem>& problems, const mc_options& o) {
    std::vector<std::vector<mc_result>> out(problems.size());
    unsigned threads = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
    threads = static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(1, problems.size())));
    // The biggest problems first (sites' days plus series), so that no thread is left alone with
    // a big one at the end; the results do not depend on the order.
    std::vector<std::size_t> order(problems.size());
    std::vector<std::size_t> cost(problems.size(), 0);
    for (std::size_t k = 0; k < problems.size(); ++k) {
        order[k] = k;
        for (const auto& s : problems[k].sites) cost[k] += s.days.size() + 2;
        for (const auto& e : problems[k].estimates) cost[k] += e.members.size() + 1;
    }
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return cost[a] > cost[b]; });
    std::atomic<std::size_t> next{0};
    std::exception_ptr failure;
    std::atomic<bool> failed{false};
    const auto work = [&] {
        for (std::size_t n = next++; n < problems.size() && !failed; n = next++) {
            const std::size_t i = order[n];
            try {
                out[i] = run_monte_carlo(problems[i], o);
            } catch (...) {
                if (!failed.exchange(true)) failure = std::current_exception();
            }
        }
    };
    if (threads <= 1) {
        work();
    } else {
        std::vector<std::thread> pool;
        for (unsigned t = 0; t < threads; ++t) pool.emplace_back(work);
        for (auto& t : pool) t.join();
    }
    if (failure) std::rethrow_exception(failure);
    return out;
}

mc_result analytic_uncertainty(const mc_problem& problem, std::size_t estimate, const mc_options& o) {
    if (estimate >= problem.estimates.size()) throw std::invalid_argument("estimate out of range");
    const mc_estimate& unit = problem.estimates[estimate];
    if (unit.members.size() != 1) throw std::invalid_argument("the analytic path covers single-site estimates only");
    const mc_site& s = problem.sites.at(unit.members.front());
    for (const factor_distribution* f : {&problem.excretion, &s.population_dist, &s.flow_dist})
        if (!f->log_normal_exact()) throw std::invalid_argument("the analytic path needs log-normal or fixed factors");
    for (const auto& d : s.days)
        if (!d.analysis.log_normal_exact() || !d.sampling.log_normal_exact() || d.subtract_ratio != 0.0)
            throw std::invalid_argument("the analytic path needs log-normal factors and no metabolite subtraction");

    static const boost::math::normal_distribution<double> std_normal;
    const double z_lo = boost::math::quantile(std_normal, 0.5 * (1.0 - o.interval));
    const double z_hi = boost::math::quantile(std_normal, 0.5 * (1.0 + o.interval));
    const auto lognormal_summary = [&](double mu, double sigma) {
        draw_summary r;
        r.n = 0;
        r.median = std::exp(mu);
        r.mean = std::exp(mu + 0.5 * sigma * sigma);
        r.sd = r.mean * std::sqrt(std::expm1(sigma * sigma));
        r.lower = std::exp(mu + sigma * z_lo);
        r.upper = std::exp(mu + sigma * z_hi);
        for (double t : unit.thresholds)
            r.p_exceed.push_back(t > 0.0 ? boost::math::cdf(boost::math::complement(std_normal, (std::log(t) - mu) / sigma))
                                         : 1.0);
        if (sigma == 0.0)
            for (std::size_t i = 0; i < unit.thresholds.size(); ++i) r.p_exceed[i] = r.median > unit.thresholds[i] ? 1.0 : 0.0;
        return r;
    };

    // Shared factor F = flow × CF / (excretion × population): ln F ~ N(μ_F, σ_F²), with the signs
    // of the log-means following how each factor enters (a divisor negates its μ).
    const double mu_f = s.flow_dist.log_mu() - problem.excretion.log_mu() - s.population_dist.log_mu();
    const double var_f = std::pow(s.flow_dist.log_sigma(), 2) + std::pow(problem.excretion.log_sigma(), 2) +
                         std::pow(s.population_dist.log_sigma(), 2);

    mc_result res;
    // Daily terms D_i × A_i × S_i with D_i the deterministic index of day i.
    std::vector<double> det, mu_e, var_e;
    for (const auto& d : s.days) {
        const double c = d.conc.censored() ? d.substitute : d.conc.value;
        const double di = std::isnan(d.flow_m3_per_day) || !(s.population > 0.0)
                              ? nan
                              : c * d.flow_m3_per_day * s.load_multiplier / s.population * 1000.0 * problem.cf;
        const double me = (d.conc.censored() ? 0.0 : d.analysis.log_mu()) + d.sampling.log_mu();
        const double ve = (d.conc.censored() ? 0.0 : std::pow(d.analysis.log_sigma(), 2)) + std::pow(d.sampling.log_sigma(), 2);
        if (unit.daily) {
            if (std::isnan(di) || !(di > 0.0)) res.daily.emplace_back();
            else res.daily.push_back(lognormal_summary(std::log(di) + me + mu_f, std::sqrt(ve + var_f)));
        }
        if (!std::isnan(di)) {
            det.push_back(di);
            mu_e.push_back(me);
            var_e.push_back(ve);
        }
    }
    if (det.empty()) {
        res.campaign.p_exceed.assign(unit.thresholds.size(), nan);
        return res;
    }
    // Campaign mean M = F × (1/n) Σ D_i E_i, E_i independent:
    //   E[M]  = E[F] (1/n) Σ D_i E[E_i]
    //   E[M²] = E[F²] (1/n²) [Σ D_i² E[E_i²] + Σ_{i≠j} D_i D_j E[E_i] E[E_j]]
    // with E[e^{μ+σZ}] = e^{μ+σ²/2} and E[(e^{μ+σZ})²] = e^{2μ+2σ²}.
    const double n = static_cast<double>(det.size());
    double s1 = 0.0, s2 = 0.0, sq = 0.0;
    for (std::size_t i = 0; i < det.size(); ++i) {
        const double e1 = det[i] * std::exp(mu_e[i] + 0.5 * var_e[i]);
        s1 += e1;
        sq += e1 * e1;
        s2 += det[i] * det[i] * std::exp(2.0 * mu_e[i] + 2.0 * var_e[i]);
    }
    const double ef = std::exp(mu_f + 0.5 * var_f), ef2 = std::exp(2.0 * mu_f + 2.0 * var_f);
    const double m1 = ef * s1 / n;
    const double m2 = ef2 * (s2 + (s1 * s1 - sq)) / (n * n);
    // Fenton–Wilkinson: the log-normal with mean m1 and second moment m2.
    const double sigma2 = std::max(0.0, std::log(m2 / (m1 * m1)));
    draw_summary c = lognormal_summary(std::log(m1) - 0.5 * sigma2, std::sqrt(sigma2));
    c.mean = m1;
    c.sd = std::sqrt(std::max(0.0, m2 - m1 * m1));
    res.campaign = std::move(c);
    return res;
}

}  // namespace wbe
