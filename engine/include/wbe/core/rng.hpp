#pragma once
/// @file rng.hpp
/// Counter-based random numbers for Monte Carlo.
///
/// A random word is a pure function of (key, counter): the key names *what* is drawn (the seed
/// and the entity — a drug's excretion, a site's population, one sample's analysis error), the
/// counter names *which* draw. Results therefore do not depend on the thread count, on the
/// order in which estimates are processed, or on how draws are split into blocks, and a draw
/// can be regenerated instead of stored.
///
/// The word for (key, n) is the n-th output of SplitMix64 seeded with `key`:
/// mix(key + (n + 1) γ), γ = 0x9E3779B97F4A7C15 (Steele, Lea & Flood 2014, "Fast splittable
/// pseudorandom number generators", OOPSLA; the mixer is Stafford's variant 13). SplitMix64
/// passes TestU01 BigCrush; as a counter-based generator it costs one multiply-xorshift chain
/// per 64 bits, about 6× less than Philox4x32-10 on this project's machines (measured in
/// bench/). Keys are themselves mixed hashes, so streams of different entities start at
/// unrelated points of the 2^64 cycle.
///
/// Normal deviates come from the ziggurat method (Marsaglia & Tsang 2000, J Stat Softw 5(8)),
/// 256 layers, one word per deviate in ~99% of cases; the rare retries use further counters
/// of the same draw (sub-counters), so the mapping stays a pure function of (key, n).

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace wbe::rng {

/// Stafford's mix13 finaliser (SplitMix64's output function).
[[nodiscard]] constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

inline constexpr std::uint64_t golden_gamma = 0x9E3779B97F4A7C15ull;

/// 64-bit FNV-1a of a string, then mixed: stable across runs, platforms and library versions,
/// unlike std::hash.
[[nodiscard]] constexpr std::uint64_t hash(std::string_view s, std::uint64_t h = 0xCBF29CE484222325ull) noexcept {
    for (char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001B3ull;
    }
    return mix64(h + golden_gamma);
}
/// Combines hashes in order (not commutative: (a, b) ≠ (b, a)).
[[nodiscard]] constexpr std::uint64_t combine(std::uint64_t a, std::uint64_t b) noexcept {
    return mix64(a ^ (b + golden_gamma + (a << 6) + (a >> 2)));
}

/// The random word for (key, counter).
[[nodiscard]] constexpr std::uint64_t word(std::uint64_t key, std::uint64_t counter) noexcept {
    return mix64(key + (counter + 1) * golden_gamma);
}

/// Uniform in the open interval (0, 1) from the top 53 bits: (k + 0.5) / 2^53.
/// For k ≥ 2^52, k + 0.5 needs 54 bits and rounds to even, so k = 2^53 − 1 would give exactly
/// 1; that one word maps to the largest double below 1 instead (every other value unchanged).
[[nodiscard]] constexpr double to_open_unit(std::uint64_t w) noexcept {
    const double u = (static_cast<double>(w >> 11) + 0.5) * 0x1.0p-53;
    return u < 1.0 ? u : 0x1.fffffffffffffp-1;
}

/// Uniform in (0, 1) for (key, counter).
[[nodiscard]] constexpr double uniform(std::uint64_t key, std::uint64_t counter) noexcept {
    return to_open_unit(word(key, counter));
}

/// Standard normal for (key, counter) by the ziggurat method. Counters up to 2^60 are valid
/// (the low 4 bits of the internal counter number the retries).
[[nodiscard]] double normal(std::uint64_t key, std::uint64_t counter) noexcept;

/// out[j] = normal(key, counter0 + j) for j < n, bit for bit: the ziggurat's one-word fast path
/// (≈ 98.5 % of draws) over the whole block, then `normal` for the rest. With AVX-512 both go
/// eight at a time (integer arithmetic, exact conversions and the same single roundings, so the
/// same bits): the fast path, then the misses' wedge tests and further attempts, leaving to
/// `normal` only the tail layer and a wedge test too close to call at 2^-40.
void normal_block(std::uint64_t key, std::uint64_t counter0, std::size_t n, double* out) noexcept;

/// x[j] = exp(mu + sigma x[j]) for j < n (the affine step rounded as written), vectorised:
/// x = k ln2 + r with |r| ≤ ln2/2, exp(r) by its Taylor polynomial to degree 13 (truncation
/// < 5e-18 relative; Estrin's scheme), scaled by 2^k through the exponent bits; within 2 ulp of
/// std::exp (tested). Arguments outside (−700, 700), and NaN, take std::exp (value by value: a
/// result never depends on its neighbours). Each step is one rounding (explicit fused
/// multiply-adds, no contraction), so every instruction-set clone gives the same bits.
void exp_block(double* x, std::size_t n, double mu = 0.0, double sigma = 1.0) noexcept;

/// out[j] = exp(mu + sigma · normal(key, counter0 + j)) for j < n: normal_block, then exp_block.
void lognormal_block(std::uint64_t key, std::uint64_t counter0, std::size_t n, double mu, double sigma, double* out) noexcept;

namespace detail {
/// Whether the hand-written AVX-512 kernels (here and in monte_carlo.cpp) run: true when the CPU
/// has AVX-512 F and DQ, unless turned off. Every kernel has a portable twin that gives the same
/// bits; tests turn the AVX-512 ones off to check that.
[[nodiscard]] bool avx512_enabled() noexcept;
void enable_avx512(bool on) noexcept;  ///< on = only when the CPU has it
}  // namespace detail

}  // namespace wbe::rng
