#include "wbe/core/rng.hpp"

#include <array>
#include <atomic>
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <bit>
#include <cmath>
#include <limits>
#include <numbers>

namespace wbe::rng {

namespace {

// Ziggurat tables for the standard normal density f(x) = exp(−x²/2), 256 layers of equal area
// v; r is the right edge of the base layer (Marsaglia & Tsang 2000, §4: r = 3.6541528853610088,
// v = 0.00492867323399 for 256 layers).
struct ziggurat {
    static constexpr int layers = 256;
    static constexpr double r = 3.6541528853610088;
    static constexpr double v = 0.00492867323399;
    std::array<double, layers + 1> x{};  // x[0] = v / f(r) (base pseudo-width), x[1] = r, …, x[256] = 0
    std::array<double, layers + 1> f{};  // f(x[i])

    ziggurat() {
        const auto dens = [](double t) { return std::exp(-0.5 * t * t); };
        x[0] = v / dens(r);
        x[1] = r;
        // Layer i spans [x[i+1], x[i]] with area x[i] (f(x[i+1]) − f(x[i])) = v:
        // x[i+1] = f⁻¹(v / x[i] + f(x[i])).
        for (int i = 1; i < layers; ++i) {
            const double y = v / x[i] + dens(x[i]);
            x[i + 1] = y >= 1.0 ? 0.0 : std::sqrt(-2.0 * std::log(y));
        }
        x[layers] = 0.0;
        for (int i = 0; i <= layers; ++i) f[i] = dens(x[i]);
    }
};

const ziggurat zig;

}  // namespace

namespace {

constexpr double log2e = 1.4426950408889634074;
constexpr double ln2_hi = 0.6931471803691238164;  // ln 2 split: ln2_hi has 32 significant bits
constexpr double ln2_lo = 1.9082149292705877e-10;
constexpr double shifter = 0x1.8p52;  // t = y + shifter rounds y to an integer in t's low bits
constexpr double exp_limit = 700.0;   // |y| < exp_limit: the polynomial; else (and NaN) std::exp

// exp(y) for |y| < exp_limit: y = k ln2 + r with |r| ≤ ln2/2, exp(r) by its Taylor polynomial to
// degree 13, scaled by 2^k through the exponent bits. Every step a single rounding: fused
// multiply-adds written out (std::fma), so the instruction-set clones agree bit for bit (the
// baseline clone calls libm's fma, exact too); exp_core_avx512 repeats it step for step.
inline double exp_core(double y) noexcept {
    const double t = std::fma(y, log2e, shifter);
    const double k = t - shifter;  // round(y / ln 2)
    const double r = std::fma(-k, ln2_lo, std::fma(-k, ln2_hi, y));
    // Σ r^i / i!, i = 0 … 13, by Estrin's scheme: a dependency chain of depth 5 instead of
    // Horner's 13, so consecutive vectors overlap in the pipeline.
    const double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
    const double q0 = std::fma(r, 1.0, 1.0), q1 = std::fma(r, 1.0 / 6.0, 0.5);
    const double q2 = std::fma(r, 1.0 / 120.0, 1.0 / 24.0), q3 = std::fma(r, 1.0 / 5040.0, 1.0 / 720.0);
    const double q4 = std::fma(r, 1.0 / 362880.0, 1.0 / 40320.0), q5 = std::fma(r, 1.0 / 39916800.0, 1.0 / 3628800.0);
    const double q6 = std::fma(r, 1.0 / 6227020800.0, 1.0 / 479001600.0);
    const double s0 = std::fma(q1, r2, q0), s1 = std::fma(q3, r2, q2), s2 = std::fma(q5, r2, q4);
    const double p = std::fma(std::fma(q6, r4, s2), r8, std::fma(s1, r4, s0));
    // 2^k: k sits in the low bits of t's significand; shifted into the exponent field.
    const std::uint64_t two_k = (std::bit_cast<std::uint64_t>(t) << 52) + (std::uint64_t{1023} << 52);
    return p * std::bit_cast<double>(two_k);
}

inline double exp_one(double y) noexcept { return std::fabs(y) < exp_limit ? exp_core(y) : std::exp(y); }

}  // namespace

double normal(std::uint64_t key, std::uint64_t counter) noexcept {
    const std::uint64_t base = counter << 4;
    for (std::uint64_t attempt = 0; attempt < 15; ++attempt) {
        const std::uint64_t w = word(key, base + attempt);
        const int i = static_cast<int>(w & 0xFF);
        // The sign from bit 8 straight into the IEEE sign bit: a data-dependent 50/50 branch
        // here would cost more than the rest of the draw.
        const std::uint64_t sign_bit = (w & 0x100) << 55;
        const auto with_sign = [sign_bit](double t) { return std::bit_cast<double>(std::bit_cast<std::uint64_t>(t) | sign_bit); };
        const double u = static_cast<double>(w >> 11) * 0x1.0p-53;  // [0, 1)
        const double xv = u * zig.x[static_cast<std::size_t>(i)];
        if (xv < zig.x[static_cast<std::size_t>(i) + 1]) return with_sign(xv);  // inside the layer's rectangle core
        const std::uint64_t w2 = word(key ^ 0xD1B54A32D192ED03ull, base + attempt);
        if (i == 0) {
            // Tail beyond r (Marsaglia 1964): x = −ln(u1)/r, y = −ln(u2), accept when 2y > x²,
            // repeated until accepted (Marsaglia & Tsang 2000, §3). Restarting the whole draw on a
            // rejection instead would give the tail only its acceptance rate α ≈ 1 − 1/r² ≈ 0.93
            // of its mass. The retries use the sub-counters no attempt has used yet.
            for (std::uint64_t a = attempt; a < 15; ++a) {
                const std::uint64_t wt = word(key ^ 0xD1B54A32D192ED03ull, base + a);  // a = attempt: w2
                const double u1 = to_open_unit(wt);
                const double u2 = to_open_unit(mix64(wt + golden_gamma));
                const double t = -std::log(u1) / ziggurat::r;
                if (-2.0 * std::log(u2) > t * t) return with_sign(ziggurat::r + t);
            }
            break;
        }
        // Wedge: accept under the density.
        const double y = zig.f[static_cast<std::size_t>(i)] +
                         to_open_unit(w2) * (zig.f[static_cast<std::size_t>(i) + 1] - zig.f[static_cast<std::size_t>(i)]);
        if (y < std::exp(-0.5 * xv * xv)) return with_sign(xv);
    }
    // 15 rejections in a row (probability < 1e-20): Box–Muller from the last words.
    const double u1 = to_open_unit(word(key, base + 15));
    const double u2 = to_open_unit(mix64(word(key, base + 15)));
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define WBE_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define WBE_CLONES
#endif

#if defined(__x86_64__) && defined(__GNUC__)
// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their own _mm512_undefined_* (a known
// false positive of the intrinsics, not of this code).
#pragma GCC diagnostic push
#if defined(__GNUC__) && !defined(__clang__)  // a GCC-only warning: clang does not know it
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
namespace {

// SplitMix64's words for eight counters at once: mix64(z) lane by lane (the multiplies need
// AVX-512 DQ).
__attribute__((target("avx512f,avx512dq"), always_inline)) inline __m512i mix64_avx512(__m512i z) {
    const __m512i m1 = _mm512_set1_epi64(static_cast<long long>(0xBF58476D1CE4E5B9ull));
    const __m512i m2 = _mm512_set1_epi64(static_cast<long long>(0x94D049BB133111EBull));
    __m512i w = _mm512_xor_si512(z, _mm512_srli_epi64(z, 30));
    w = _mm512_mullo_epi64(w, m1);
    w = _mm512_xor_si512(w, _mm512_srli_epi64(w, 27));
    w = _mm512_mullo_epi64(w, m2);
    return _mm512_xor_si512(w, _mm512_srli_epi64(w, 31));
}

// exp_core for eight arguments, step for step (the same fused multiply-adds and roundings).
__attribute__((target("avx512f,avx512dq"), always_inline)) inline __m512d exp_core_avx512(__m512d y) {
    const __m512d shift = _mm512_set1_pd(shifter);
    const __m512d t = _mm512_fmadd_pd(y, _mm512_set1_pd(log2e), shift);
    const __m512d k = _mm512_sub_pd(t, shift);
    const __m512d r = _mm512_fnmadd_pd(k, _mm512_set1_pd(ln2_lo), _mm512_fnmadd_pd(k, _mm512_set1_pd(ln2_hi), y));
    const __m512d r2 = _mm512_mul_pd(r, r), r4 = _mm512_mul_pd(r2, r2), r8 = _mm512_mul_pd(r4, r4);
    const __m512d one = _mm512_set1_pd(1.0);
    const __m512d q0 = _mm512_fmadd_pd(r, one, one);
    const __m512d q1 = _mm512_fmadd_pd(r, _mm512_set1_pd(1.0 / 6.0), _mm512_set1_pd(0.5));
    const __m512d q2 = _mm512_fmadd_pd(r, _mm512_set1_pd(1.0 / 120.0), _mm512_set1_pd(1.0 / 24.0));
    const __m512d q3 = _mm512_fmadd_pd(r, _mm512_set1_pd(1.0 / 5040.0), _mm512_set1_pd(1.0 / 720.0));
    const __m512d q4 = _mm512_fmadd_pd(r, _mm512_set1_pd(1.0 / 362880.0), _mm512_set1_pd(1.0 / 40320.0));
    const __m512d q5 = _mm512_fmadd_pd(r, _mm512_set1_pd(1.0 / 39916800.0), _mm512_set1_pd(1.0 / 3628800.0));
    const __m512d q6 = _mm512_fmadd_pd(r, _mm512_set1_pd(1.0 / 6227020800.0), _mm512_set1_pd(1.0 / 479001600.0));
    const __m512d s0 = _mm512_fmadd_pd(q1, r2, q0), s1 = _mm512_fmadd_pd(q3, r2, q2), s2 = _mm512_fmadd_pd(q5, r2, q4);
    const __m512d p = _mm512_fmadd_pd(_mm512_fmadd_pd(q6, r4, s2), r8, _mm512_fmadd_pd(s1, r4, s0));
    const __m512i two_k = _mm512_add_epi64(_mm512_slli_epi64(_mm512_castpd_si512(t), 52),
                                           _mm512_set1_epi64(static_cast<long long>(std::uint64_t{1023} << 52)));
    return _mm512_mul_pd(p, _mm512_castsi512_pd(two_k));
}

// The draws of normal_block whose attempt 0 fell outside its layer's core (out + missed[m],
// counter0 + missed[m]), eight at a time, by `normal`'s own steps: the wedge test of an attempt,
// with the density by exp_core, and on a rejection the next attempt (its core first, then its
// wedge), up to four attempts. A wedge test is taken as decided only when y is below, or above,
// the density by more than 2^-40 of it (exp_core is within 2 ulp of std::exp, which `normal`
// uses); the tail layer, a y too close to call and a fifth attempt go to `normal`, which starts
// the draw again. Hence `normal`'s bits, at a few cycles per draw instead of a scalar call that
// mispredicts its way through the wedge (about half the misses are rejected there).
__attribute__((target("avx512f,avx512dq"))) void finish_misses_avx512(std::uint64_t key, std::uint64_t counter0,
                                                                        const std::uint64_t* missed, std::size_t n_missed,
                                                                        double* out, const double* xs, const double* fs) noexcept {
    const __m512i gamma = _mm512_set1_epi64(static_cast<long long>(golden_gamma));
    const __m512i vkey = _mm512_set1_epi64(static_cast<long long>(key));
    const __m512i vkey2 = _mm512_set1_epi64(static_cast<long long>(key ^ 0xD1B54A32D192ED03ull));
    const __m512i c0 = _mm512_set1_epi64(static_cast<long long>(counter0));
    const __m512i byte = _mm512_set1_epi64(0xFF), bit8 = _mm512_set1_epi64(0x100);
    const __m512i zero = _mm512_setzero_si512();
    const __m512d scale = _mm512_set1_pd(0x1.0p-53), half = _mm512_set1_pd(0.5), below_one = _mm512_set1_pd(0x1.fffffffffffffp-1);
    const __m512d minus_half = _mm512_set1_pd(-0.5);
    const __m512d under = _mm512_set1_pd(1.0 - 0x1.0p-40), over = _mm512_set1_pd(1.0 + 0x1.0p-40);
    for (std::size_t m = 0; m < n_missed; m += 8) {
        const __mmask8 live = n_missed - m >= 8 ? __mmask8(0xFF) : static_cast<__mmask8>((1u << (n_missed - m)) - 1u);
        const __m512i idx = _mm512_maskz_loadu_epi64(live, missed + m);
        const __m512i base = _mm512_slli_epi64(_mm512_add_epi64(c0, idx), 4);  // (counter0 + idx) << 4
        __m512d value = _mm512_setzero_pd();
        __mmask8 pending = live, settled = 0;
        for (long long attempt = 0; attempt < 4 && pending != 0; ++attempt) {
            // word(key, base + attempt) = mix64(key + (base + attempt + 1) γ); the wedge's with key ^ K.
            const __m512i step = _mm512_mullo_epi64(_mm512_add_epi64(base, _mm512_set1_epi64(attempt + 1)), gamma);
            const __m512i w = mix64_avx512(_mm512_add_epi64(vkey, step));
            const __m512i i = _mm512_and_si512(w, byte);
            const __m512i sign = _mm512_slli_epi64(_mm512_and_si512(w, bit8), 55);
            const __m512d xv = _mm512_mul_pd(_mm512_mul_pd(_mm512_cvtepi64_pd(_mm512_srli_epi64(w, 11)), scale),
                                             _mm512_i64gather_pd(i, xs, 8));
            const __m512d signed_xv = _mm512_castsi512_pd(_mm512_or_si512(_mm512_castpd_si512(xv), sign));
            const __mmask8 core = _mm512_mask_cmp_pd_mask(pending, xv, _mm512_i64gather_pd(i, xs + 1, 8), _CMP_LT_OQ);
            // The wedge: y = f[i] + to_open_unit(w2) (f[i + 1] − f[i]) against exp(−xv²/2).
            const __mmask8 wedge = _mm512_mask_cmpneq_epi64_mask(static_cast<__mmask8>(pending & ~core), i, zero);
            const __m512i w2 = mix64_avx512(_mm512_add_epi64(vkey2, step));
            __m512d u2 = _mm512_mul_pd(_mm512_add_pd(_mm512_cvtepi64_pd(_mm512_srli_epi64(w2, 11)), half), scale);
            u2 = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(u2, _mm512_set1_pd(1.0), _CMP_LT_OQ), below_one, u2);
            const __m512d f_i = _mm512_mask_i64gather_pd(_mm512_set1_pd(1.0), wedge, i, fs, 8);
            const __m512d f_next = _mm512_mask_i64gather_pd(_mm512_set1_pd(1.0), wedge, i, fs + 1, 8);
            const __m512d y = _mm512_add_pd(f_i, _mm512_mul_pd(u2, _mm512_sub_pd(f_next, f_i)));
            const __m512d density = exp_core_avx512(_mm512_mul_pd(_mm512_mul_pd(minus_half, xv), xv));
            const __mmask8 accept = _mm512_mask_cmp_pd_mask(wedge, y, _mm512_mul_pd(density, under), _CMP_LT_OQ);
            const __mmask8 reject = _mm512_mask_cmp_pd_mask(wedge, y, _mm512_mul_pd(density, over), _CMP_GT_OQ);
            const __mmask8 done = static_cast<__mmask8>(core | accept);
            value = _mm512_mask_mov_pd(value, done, signed_xv);
            settled = static_cast<__mmask8>(settled | done);
            pending = reject;  // on to the next attempt; the rest of `pending` is left to `normal`
        }
        alignas(64) double v[8];
        _mm512_store_pd(v, value);
        for (std::size_t l = 0; l < 8 && m + l < n_missed; ++l) {
            const std::uint64_t at = missed[m + l];
            out[at] = (settled >> l) & 1u ? v[l] : normal(key, counter0 + at);
        }
    }
}

// AVX-512 (F + DQ) normal_block, eight draws per step: attempt 0 of every draw (the one-word
// fast path), with the same words (the counter advances by 16 γ per draw: sub-counter 0 of
// each), the same exact int → double conversion and the same single rounding of u × x[i] as
// `normal`, hence the same bits. GCC does not vectorise the table lookups of the portable loop
// by itself (no gather under its generic tuning). The draws outside their layer's core (≈ 1.5 %)
// are listed without a branch, 256 draws at a time, and finished by finish_misses_avx512.
__attribute__((target("avx512f,avx512dq"))) void normal_avx512(std::uint64_t key, std::uint64_t counter0, std::size_t n, double* out,
                                                                 const double* xs, const double* fs) noexcept {
    constexpr std::size_t chunk = 1024;
    const __m512i step = _mm512_set1_epi64(static_cast<long long>(8 * 16 * golden_gamma));
    __m512i z = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    z = _mm512_mullo_epi64(z, _mm512_set1_epi64(static_cast<long long>(16 * golden_gamma)));
    z = _mm512_add_epi64(z, _mm512_set1_epi64(static_cast<long long>(key + ((counter0 << 4) + 1) * golden_gamma)));
    const __m512i byte = _mm512_set1_epi64(0xFF), bit8 = _mm512_set1_epi64(0x100), eight = _mm512_set1_epi64(8);
    const __m512d scale = _mm512_set1_pd(0x1.0p-53);
    __m512i lane = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);  // j + l
    alignas(64) std::uint64_t missed[chunk + 8];
    const std::size_t whole = n - n % 8;
    for (std::size_t j = 0; j < whole;) {
        const std::size_t end = std::min(whole, j + chunk);
        std::size_t n_missed = 0;
        for (; j < end; j += 8, z = _mm512_add_epi64(z, step), lane = _mm512_add_epi64(lane, eight)) {
            const __m512i w = mix64_avx512(z);
            const __m512i i = _mm512_and_si512(w, byte);
            const __m512i sign = _mm512_slli_epi64(_mm512_and_si512(w, bit8), 55);
            const __m512d x_i = _mm512_i64gather_pd(i, xs, 8);
            const __m512d x_next = _mm512_i64gather_pd(i, xs + 1, 8);
            const __m512d u = _mm512_mul_pd(_mm512_cvtepi64_pd(_mm512_srli_epi64(w, 11)), scale);
            const __m512d xv = _mm512_mul_pd(u, x_i);
            _mm512_storeu_pd(out + j, _mm512_castsi512_pd(_mm512_or_si512(_mm512_castpd_si512(xv), sign)));
            const __mmask8 outside = _mm512_cmp_pd_mask(xv, x_next, _CMP_NLT_UQ);
            _mm512_storeu_si512(missed + n_missed, _mm512_maskz_compress_epi64(outside, lane));
            n_missed += static_cast<std::size_t>(__builtin_popcount(outside));
        }
        if (n_missed != 0) finish_misses_avx512(key, counter0, missed, n_missed, out, xs, fs);
    }
    for (std::size_t j = whole; j < n; ++j) out[j] = normal(key, counter0 + j);  // the tail
}

bool cpu_has_avx512() noexcept {
    static const bool yes = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
    return yes;
}

}  // namespace
#pragma GCC diagnostic pop
#endif


namespace {
std::atomic<int> avx512_state{-1};  // −1: not decided yet; 0 off; 1 on
}  // namespace

bool detail::avx512_enabled() noexcept {
    int st = avx512_state.load(std::memory_order_relaxed);
    if (st < 0) {
#if defined(__x86_64__) && defined(__GNUC__)
        st = cpu_has_avx512() ? 1 : 0;
#else
        st = 0;
#endif
        avx512_state.store(st, std::memory_order_relaxed);
    }
    return st == 1;
}

void detail::enable_avx512(bool on) noexcept {
#if defined(__x86_64__) && defined(__GNUC__)
    avx512_state.store(on && cpu_has_avx512() ? 1 : 0, std::memory_order_relaxed);
#else
    (void)on;
    avx512_state.store(0, std::memory_order_relaxed);
#endif
}

void normal_block(std::uint64_t key, std::uint64_t counter0, std::size_t n, double* out) noexcept {
    // Attempt 0 of every draw (the one-word fast path); a draw outside its layer's core goes on
    // by the full method, which repeats attempt 0 and continues.
    const double* xs = zig.x.data();
#if defined(__x86_64__) && defined(__GNUC__)
    if (detail::avx512_enabled()) {
        normal_avx512(key, counter0, n, out, xs, zig.f.data());
        return;
    }
#endif
    for (std::size_t j = 0; j < n; ++j) {
        const std::uint64_t w = word(key, (counter0 + j) << 4);
        const std::size_t i = static_cast<std::size_t>(w & 0xFF);
        const std::uint64_t sign = (w & 0x100) << 55;
        const double xv = static_cast<double>(w >> 11) * 0x1.0p-53 * xs[i];
        if (xv < xs[i + 1]) [[likely]]
            out[j] = std::bit_cast<double>(std::bit_cast<std::uint64_t>(xv) | sign);
        else
            out[j] = normal(key, counter0 + j);
    }
}

WBE_CLONES void exp_block(double* x, std::size_t n, double mu, double sigma) noexcept {
    // The affine step (rounded as mu + sigma * x written out) and the range check in one pass.
    std::size_t outside = 0;  // counted, not or-ed: the loop vectorises
    for (std::size_t j = 0; j < n; ++j) {
        x[j] = mu + sigma * x[j];
        outside += !(std::fabs(x[j]) < exp_limit);
    }
    if (outside != 0) {  // rare: value by value
        for (std::size_t j = 0; j < n; ++j) x[j] = exp_one(x[j]);
        return;
    }
    for (std::size_t j = 0; j < n; ++j) x[j] = exp_core(x[j]);
}

void lognormal_block(std::uint64_t key, std::uint64_t counter0, std::size_t n, double mu, double sigma, double* out) noexcept {
    normal_block(key, counter0, n, out);
    exp_block(out, n, mu, sigma);
}

}  // namespace wbe::rng
