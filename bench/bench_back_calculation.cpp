/// @file bench_back_calculation.cpp
/// Throughput of the fused back-calculation kernel `wbe::back_calculate` over 10³…10⁷ values,
/// next to a STREAM-like copy at the same sizes (the memory-speed ceiling, design.md
/// "Performance stance"). `bench/run.py` runs this with its numpy peer and prints the table.
///
/// Every size checks its answer before it is timed: a sample of the kernel's outputs is compared
/// with the scalar chain `load → normalise → to_consumption → to_doses`; a relative difference
/// above 1e-12 ends that benchmark with an error instead of a number.
///
/// Byte counts follow STREAM: bytes the program asks to move, without write-allocate traffic.
///   back_calculate: 3 inputs read + 3 outputs written = 48 B per value
///   copy:           1 read + 1 write                  = 16 B per value

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "wbe/core/back_calculation.hpp"
#include "wbe/core/units.hpp"

namespace {

constexpr std::uint64_t seed = 20240601;
constexpr double tolerance = 1e-12;  // relative, kernel vs scalar chain
constexpr std::size_t check_samples = 4096;

/// Benzoylecgonine → cocaine: CF = (MW 303.35 / MW 289.33) / F_excr 0.35 ≈ 3.0; dose 100 mg.
/// The same constants are in bench/peer_numpy.py.
constexpr double mw_cocaine = 303.35;
constexpr double mw_benzoylecgonine = 289.33;
constexpr double excretion_fraction = 0.35;
constexpr double dose_mg = 100.0;

/// Log-uniform on [lo, hi]: residue concentrations, flows and catchments span decades.
double log_uniform(std::mt19937_64& g, double lo, double hi) {
    std::uniform_real_distribution<double> u(std::log(lo), std::log(hi));
    return std::exp(u(g));
}

/// Inputs and preallocated outputs for one size. Only one size is held at a time: the largest
/// needs 6 × 80 MB, and Google Benchmark runs all repetitions of a size back to back.
struct dataset {
    std::size_t n = 0;
    std::vector<double> conc, flow, pop;       // ng/L, m³/day, persons
    std::vector<double> pnl, cons, doses;      // outputs
    wbe::chain_factors factors;
    std::string error;                         // non-empty when the check failed

    explicit dataset(std::size_t size) : n(size), conc(size), flow(size), pop(size), pnl(size), cons(size), doses(size) {
        std::mt19937_64 g(seed + size);
        for (std::size_t i = 0; i < n; ++i) {
            conc[i] = log_uniform(g, 1.0, 5000.0);     // ng/L: LOQ to a heavy-use city
            flow[i] = log_uniform(g, 500.0, 1.5e6);    // m³/day: village plant to a metropolis
            pop[i] = log_uniform(g, 2000.0, 5.0e6);    // persons served
        }
        // No sorption or in-sewer correction: load_multiplier is exactly load()'s 1e-3, so the
        // kernel and the scalar chain below perform the same operations in the same order.
        factors = wbe::make_chain_factors(wbe::correction_factor(mw_cocaine, mw_benzoylecgonine, excretion_fraction),
                                          dose_mg);
        check();
    }

    void run() { wbe::back_calculate(conc, flow, pop, factors, {pnl, cons, doses}); }

    /// Runs the kernel once and compares a spread sample (first, last, and evenly spaced
    /// indices) with the scalar chain.
    void check() {
        std::fill(pnl.begin(), pnl.end(), std::nan(""));
        std::fill(cons.begin(), cons.end(), std::nan(""));
        std::fill(doses.begin(), doses.end(), std::nan(""));
        run();
        const std::size_t step = n > check_samples ? n / check_samples : 1;
        for (std::size_t i = 0; i < n; i += step)
            if (!check_one(i)) return;
        check_one(n - 1);
    }

    bool check_one(std::size_t i) {
        const wbe::pnl x = wbe::normalise(wbe::load(wbe::concentration(conc[i]), wbe::flow(flow[i])),
                                          wbe::population(pop[i]));
        const wbe::consumption c = wbe::to_consumption(x, factors.correction_factor);
        const wbe::dose_index d = wbe::to_doses(c, factors.dose_mg);
        return close(pnl[i], x.value(), "pnl", i) && close(cons[i], c.value(), "consumption", i) &&
               close(doses[i], d.value(), "doses", i);
    }

    bool close(double got, double want, const char* what, std::size_t i) {
        if (std::abs(got - want) <= tolerance * std::abs(want)) return true;  // false for NaN too
        char msg[256];
        std::snprintf(msg, sizeof msg, "n=%zu: %s[%zu] = %.17g, scalar chain gives %.17g (relative tolerance %g)", n,
                      what, i, got, want, tolerance);
        error = msg;
        return false;
    }
};

dataset& data_for(std::size_t n) {
    static std::unique_ptr<dataset> current;
    if (!current || current->n != n) {
        current.reset();  // free the previous size before allocating the next
        current = std::make_unique<dataset>(n);
    }
    return *current;
}

void bm_back_calculate(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    dataset& d = data_for(n);
    if (!d.error.empty()) {
        state.SkipWithError(d.error.c_str());
        return;
    }
    for (auto _ : state) {
        d.run();
        benchmark::ClobberMemory();
    }
    const auto values = static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n);
    state.SetItemsProcessed(values);
    state.SetBytesProcessed(values * 6 * static_cast<std::int64_t>(sizeof(double)));
}

/// STREAM "copy": dst = src, 8 B read + 8 B written per value.
void bm_copy(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    static std::vector<double> src, dst;
    if (src.size() != n) {
        src.assign(n, 0.0);
        dst.assign(n, 0.0);
        for (std::size_t i = 0; i < n; ++i) src[i] = static_cast<double>(i) * 0.5;
        std::memcpy(dst.data(), src.data(), n * sizeof(double));
        if (dst[n - 1] != src[n - 1] || dst[n / 2] != src[n / 2]) {
            state.SkipWithError("copy: destination differs from source");
            return;
        }
    }
    for (auto _ : state) {
        std::memcpy(dst.data(), src.data(), n * sizeof(double));
        benchmark::DoNotOptimize(dst.data());
        benchmark::ClobberMemory();
    }
    const auto values = static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n);
    state.SetItemsProcessed(values);
    state.SetBytesProcessed(values * 2 * static_cast<std::int64_t>(sizeof(double)));
}

// Wall-clock time, as the numpy peer (time.perf_counter) measures it.
BENCHMARK(bm_back_calculate)->Name("back_calculate")->RangeMultiplier(10)->Range(1'000, 10'000'000)->UseRealTime();
BENCHMARK(bm_copy)->Name("copy")->RangeMultiplier(10)->Range(1'000, 10'000'000)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
