#include "wbe/core/rng.hpp"

#include <array>
#include <bit>
#include <cmath>
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

}  // namespace wbe::rng
