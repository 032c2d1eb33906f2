#include "wbe/core/back_calculation.hpp"

#include <cmath>
#include <cstdint>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <limits>
#include <stdexcept>
#include <string>

#include "wbe/core/errors.hpp"

namespace wbe {

mass_load correct_sorption(mass_load l, double sorbed_fraction) {
    if (!(sorbed_fraction >= 0.0 && sorbed_fraction < 1.0))
        throw_numerical_error("sorbed fraction = " + std::to_string(sorbed_fraction) + ": must be in [0, 1)");
    return mass_load(l.value() / (1.0 - sorbed_fraction));
}

mass_load correct_in_sewer_loss(mass_load l, double lost_fraction) {
    if (!(lost_fraction >= 0.0 && lost_fraction < 1.0))
        throw_numerical_error("in-sewer lost fraction = " + std::to_string(lost_fraction) + ": must be in [0, 1)");
    return mass_load(l.value() / (1.0 - lost_fraction));
}

mass_load correct_in_sewer_first_order(mass_load l, double half_life_h, double residence_time_h) {
    if (!(half_life_h > 0.0))
        throw_numerical_error("half-life = " + std::to_string(half_life_h) + " h: must be > 0");
    if (!(residence_time_h >= 0.0) || std::isinf(residence_time_h))
        throw_numerical_error("residence time = " + std::to_string(residence_time_h) + " h: must be finite and >= 0");
    if (std::isinf(half_life_h)) return l;
    return mass_load(l.value() * std::exp(std::log(2.0) / half_life_h * residence_time_h));
}

pnl normalise(mass_load l, population p) {
    if (!(p.value() > 0.0)) throw_numerical_error("population = " + std::to_string(p.value()) + ": must be > 0");
    return pnl(l.value() / p.value() * 1000.0);
}

pnl normalise(std::span<const mass_load> loads, std::span<const population> populations) {
    if (loads.size() != populations.size() || loads.empty())
        throw_numerical_error("population-weighted load needs one population per load and at least one plant");
    double sum_l = 0.0;
    double sum_p = 0.0;
    for (std::size_t i = 0; i < loads.size(); ++i) {
        sum_l += loads[i].value();
        sum_p += populations[i].value();
    }
    return normalise(mass_load(sum_l), population(sum_p));
}

double correction_factor(double mw_drug, double mw_residue, double excretion_fraction) {
    if (!(mw_drug > 0.0) || !(mw_residue > 0.0))
        throw_numerical_error("molecular weights must be > 0");
    if (!(excretion_fraction > 0.0 && excretion_fraction <= 1.0))
        throw_numerical_error("excretion fraction = " + std::to_string(excretion_fraction) + ": must be in (0, 1]");
    return (mw_drug / mw_residue) / excretion_fraction;
}

chain_factors make_chain_factors(double cf, double dose_mg, double sorbed_fraction, double in_sewer_factor) {
    if (!(sorbed_fraction >= 0.0 && sorbed_fraction < 1.0))
        throw_numerical_error("sorbed fraction = " + std::to_string(sorbed_fraction) + ": must be in [0, 1)");
    if (!(in_sewer_factor >= 1.0) || std::isinf(in_sewer_factor))
        throw_numerical_error("in-sewer factor = " + std::to_string(in_sewer_factor) + ": must be finite and >= 1");
    chain_factors f;
    f.load_multiplier = 1e-3 / (1.0 - sorbed_fraction) * in_sewer_factor;
    f.correction_factor = cf;
    f.dose_mg = dose_mg > 0.0 ? dose_mg : std::numeric_limits<double>::quiet_NaN();
    return f;
}

namespace {

/// Values from which the fused kernel writes with streaming stores (outputs ≥ 24 MiB, beyond
/// private caches; measured on bench/: slower than cached stores at 10⁴, equal at 10⁶).
constexpr std::size_t streaming_threshold = std::size_t{1} << 20;

/// The hot loop with all three outputs. A separate function because GCC honours `__restrict`
/// on parameters but not on local pointers: without it the loop needs 12 run-time alias checks
/// (> --param vect-max-version-for-alias-checks=10) and stays scalar.
void fused_all(std::size_t n, const double* __restrict c, const double* __restrict q, const double* __restrict p,
               double m, double cf, double dose, double* __restrict o_pnl, double* __restrict o_cons,
               double* __restrict o_dose) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    std::size_t i = 0;
#if defined(__SSE2__)
    // Arrays far larger than the caches: streaming stores write the outputs without first
    // reading them into the cache (read-for-ownership), 72 → 48 bytes of memory traffic per value.
    const auto misaligned = [](const double* x) { return reinterpret_cast<std::uintptr_t>(x) & 15u; };
    if (n >= streaming_threshold && !misaligned(o_pnl) && !misaligned(o_cons) && !misaligned(o_dose)) {
        const __m128d vm = _mm_set1_pd(m), vk = _mm_set1_pd(1000.0), vcf = _mm_set1_pd(cf);
        const __m128d vdose = _mm_set1_pd(dose), vnan = _mm_set1_pd(nan), zero = _mm_setzero_pd();
        for (; i + 2 <= n; i += 2) {
            const __m128d pv = _mm_loadu_pd(p + i);
            const __m128d ok = _mm_cmpgt_pd(pv, zero);
            const __m128d d = _mm_or_pd(_mm_and_pd(ok, pv), _mm_andnot_pd(ok, vnan));
            const __m128d cq = _mm_mul_pd(_mm_mul_pd(_mm_loadu_pd(c + i), _mm_loadu_pd(q + i)), vm);
            const __m128d x = _mm_mul_pd(_mm_div_pd(cq, d), vk);
            const __m128d y = _mm_mul_pd(x, vcf);
            _mm_stream_pd(o_pnl + i, x);
            _mm_stream_pd(o_cons + i, y);
            _mm_stream_pd(o_dose + i, _mm_div_pd(y, vdose));
        }
        _mm_sfence();
    }
#endif
    for (; i < n; ++i) {
        const double d = p[i] > 0.0 ? p[i] : nan;  // P ≤ 0 or NaN → NaN, without a branch
        const double x = c[i] * q[i] * m / d * 1000.0;
        o_pnl[i] = x;
        o_cons[i] = x * cf;
        o_dose[i] = x * cf / dose;
    }
}

}  // namespace

void back_calculate(std::span<const double> conc, std::span<const double> q, std::span<const double> p,
                    const chain_factors& f, const index_arrays& out) {
    const std::size_t n = conc.size();
    const auto bad = [n](std::size_t m) { return m != n; };
    if (bad(q.size()) || bad(p.size()) || (!out.pnl.empty() && bad(out.pnl.size())) ||
        (!out.consumption.empty() && bad(out.consumption.size())) || (!out.doses.empty() && bad(out.doses.size())))
        throw std::invalid_argument("back_calculate: all arrays must have the same length");

    // One pass, no temporaries: the kernel is memory-bound, so every extra pass over the
    // arrays costs as much as the arithmetic of the whole chain.
    // Same operation order as the scalar chain load() → normalise(): (C×Q×m) / P × 1000.
    const double m = f.load_multiplier;
    const double cf = f.correction_factor;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double dose = f.dose_mg > 0.0 ? f.dose_mg : nan;  // NaN or ≤ 0 dose → NaN doses
    const double* __restrict c_ = conc.data();
    const double* __restrict q_ = q.data();
    const double* __restrict p_ = p.data();
    double* __restrict o_pnl = out.pnl.data();
    double* __restrict o_cons = out.consumption.data();
    double* __restrict o_dose = out.doses.data();

    // Specialised loops, so that each is a straight vectorisable body without branches on
    // which outputs are wanted.
    // Select the divisor, not the result: P ≤ 0 (or NaN) divides by NaN and gives NaN, with no
    // branch around a division (GCC will not if-convert a division that may trap).
    const auto value = [&](std::size_t i) {
        const double d = p_[i] > 0.0 ? p_[i] : nan;
        return c_[i] * q_[i] * m / d * 1000.0;
    };
    if (o_pnl && o_cons && o_dose) {
        fused_all(n, c_, q_, p_, m, cf, dose, o_pnl, o_cons, o_dose);
    } else {
        for (std::size_t i = 0; i < n; ++i) {
            const double x = value(i);
            if (o_pnl) o_pnl[i] = x;
            if (o_cons) o_cons[i] = x * cf;
            if (o_dose) o_dose[i] = x * cf / dose;
        }
    }
}

}  // namespace wbe
