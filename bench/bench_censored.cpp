/// @file bench_censored.cpp
/// Censored-data statistics (issue 5): `wbe::robust_ros` and `wbe::kaplan_meier` on 10³…10⁶
/// left-censored values, next to statsmodels' `impute_ros` and a numpy reverse Kaplan–Meier
/// (bench/peer_censored.py). `bench/run.py` runs both and prints the table.
///
/// Data (the same rule at every size, seed `seed + n`, `std::mt19937_64`): ln x ~ N(0, 1); each
/// value gets one of three detection limits 0.5, 0.8, 1.3 (uniformly at random); x < limit is
/// reported as censored at that limit. Expected censored share Φ(ln 0.5), Φ(ln 0.8), Φ(ln 1.3)
/// averaged = 0.42. Values are rounded to 6 significant digits (as a lab reports them), which
/// makes ties among detects (and so exercises the tie rules) and lets a CSV carry them exactly.
///
/// `wbe_bench_censored --write-data DIR [N...]` writes, per size, `DIR/censored_N.csv` (value,
/// censored) and `DIR/censored_N_wbe.csv` (wbe's ROS values in input order, NaN for dropped ones,
/// plus a last line with the ROS mean and the KM mean) so that the Python peer sees the same
/// values and can compare answers; then exits. Without it, it is a Google Benchmark program.
///
/// Before timing, each size checks that ROS took the regression path (not the substitution
/// fallback), that its imputed values are finite and > 0 and detects unchanged, and that KM ran
/// censored (not `plain`) with a finite mean between the smallest and largest value; failures
/// end that benchmark with SkipWithError. Agreement with statsmodels is checked by the peer.

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "wbe/core/censored_sample.hpp"
#include "wbe/core/kaplan_meier.hpp"
#include "wbe/core/ros.hpp"

namespace {

constexpr std::uint64_t seed = 20240605;
constexpr double limits[3] = {0.5, 0.8, 1.3};

std::vector<wbe::left_censored> make_data(std::size_t n) {
    std::mt19937_64 g(seed + n);
    std::normal_distribution<double> z(0.0, 1.0);
    std::uniform_int_distribution<int> pick(0, 2);
    std::vector<wbe::left_censored> out(n);
    char buf[64];
    for (std::size_t i = 0; i < n; ++i) {
        const double x = std::exp(z(g));
        const double lim = limits[pick(g)];
        if (x < lim) {
            out[i] = {lim, true};
        } else {
            std::snprintf(buf, sizeof buf, "%.6g", x);  // 6 significant digits, exactly as in the CSV
            out[i] = {std::strtod(buf, nullptr), false};
        }
    }
    return out;
}

struct dataset {
    std::size_t n = 0;
    std::vector<wbe::left_censored> data;
    std::string error;

    explicit dataset(std::size_t size) : n(size), data(make_data(size)) { check(); }

    void check() {
        const wbe::ros_result r = wbe::robust_ros(data);
        if (r.method != wbe::ros_method::robust_ros) {
            error = "robust_ros fell back to " + std::string(wbe::to_string(r.method)) + ": " + r.fallback_reason;
            return;
        }
        for (std::size_t i = 0; i < n; ++i) {
            const double v = r.values[i];
            // (An imputed value may exceed its own limit: the fitted line does not know it.)
            if (data[i].censored && !std::isnan(v) && !(v > 0 && std::isfinite(v))) {
                error = "robust_ros: imputed value " + std::to_string(v) + " not finite and > 0";
                return;
            }
            if (!data[i].censored && v != data[i].value) {
                error = "robust_ros: a detected value was changed";
                return;
            }
        }
        const wbe::kaplan_meier_result k = wbe::kaplan_meier(data);
        if (k.plain || !std::isfinite(k.mean) || k.mean <= 0 || k.mean > 1e3) {
            error = "kaplan_meier: unexpected result (plain or non-finite mean)";
        }
    }
};

dataset& data_for(std::size_t n) {
    static std::unique_ptr<dataset> current;
    if (!current || current->n != n) {
        current.reset();
        current = std::make_unique<dataset>(n);
    }
    return *current;
}

void bm_ros(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    dataset& d = data_for(n);
    if (!d.error.empty()) {
        state.SkipWithError(d.error.c_str());
        return;
    }
    for (auto _ : state) {
        wbe::ros_result r = wbe::robust_ros(d.data);
        benchmark::DoNotOptimize(r.mean);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n));
}

void bm_kaplan_meier(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    dataset& d = data_for(n);
    if (!d.error.empty()) {
        state.SkipWithError(d.error.c_str());
        return;
    }
    for (auto _ : state) {
        wbe::kaplan_meier_result k = wbe::kaplan_meier(d.data);
        benchmark::DoNotOptimize(k.mean);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n));
}

BENCHMARK(bm_ros)->Name("ros")->RangeMultiplier(10)->Range(1'000, 1'000'000)->UseRealTime();
BENCHMARK(bm_kaplan_meier)->Name("kaplan_meier")->RangeMultiplier(10)->Range(1'000, 1'000'000)->UseRealTime();

/// `--write-data DIR [N...]`: the inputs and wbe's answers as CSV for the Python peer.
int write_data(const std::string& dir, std::vector<std::size_t> sizes) {
    if (sizes.empty()) sizes = {1'000, 10'000, 100'000, 1'000'000};
    for (std::size_t n : sizes) {
        const auto data = make_data(n);
        const std::string in_path = dir + "/censored_" + std::to_string(n) + ".csv";
        std::FILE* f = std::fopen(in_path.c_str(), "w");
        if (!f) {
            std::perror(in_path.c_str());
            return 1;
        }
        std::fprintf(f, "value,censored\n");
        for (const auto& v : data) std::fprintf(f, "%.17g,%d\n", v.value, v.censored ? 1 : 0);
        std::fclose(f);

        const wbe::ros_result r = wbe::robust_ros(data);
        const wbe::kaplan_meier_result k = wbe::kaplan_meier(data);
        const std::string out_path = dir + "/censored_" + std::to_string(n) + "_wbe.csv";
        f = std::fopen(out_path.c_str(), "w");
        if (!f) {
            std::perror(out_path.c_str());
            return 1;
        }
        std::fprintf(f, "ros_value\n");
        for (double v : r.values) std::fprintf(f, "%.17g\n", v);
        std::fclose(f);
        const std::string sum_path = dir + "/censored_" + std::to_string(n) + "_wbe_summary.csv";
        f = std::fopen(sum_path.c_str(), "w");
        if (!f) {
            std::perror(sum_path.c_str());
            return 1;
        }
        std::fprintf(f, "ros_method,ros_mean,ros_sd,ros_median,ros_dropped,km_mean,km_sd,n_censored\n");
        std::fprintf(f, "%s,%.17g,%.17g,%.17g,%zu,%.17g,%.17g,%zu\n", std::string(wbe::to_string(r.method)).c_str(),
                     r.mean, r.sd, r.median, r.n_dropped, k.mean, k.sd, r.n_censored);
        std::fclose(f);
        std::printf("%s\n", in_path.c_str());
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 3 && std::strcmp(argv[1], "--write-data") == 0) {
        std::vector<std::size_t> sizes;
        for (int i = 3; i < argc; ++i) sizes.push_back(static_cast<std::size_t>(std::strtoull(argv[i], nullptr, 10)));
        return write_data(argv[2], sizes);
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
