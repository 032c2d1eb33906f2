/// @file bench_monte_carlo.cpp
/// Throughput of the Monte Carlo uncertainty engine `wbe::run_monte_carlo` (monte_carlo.hpp) on a
/// synthetic monitoring programme of 10³, 10⁴ and 10⁵ site-days × 10⁴ draws, with 1 and 2
/// threads, and (`--memory DRAWS`) the peak memory of one estimate for a given number of draws.
/// `bench/run.py` runs this with its numpy peer (bench/peer_numpy_mc.py) and prints the table.
///
/// The programme, formed as `wbe run` forms it (estimate.cpp, "uncertainty"):
/// - S plants × 7 daily samples, S = round(N / 7), so site-days = 7S ≈ N; one drug
///   (benzoylecgonine → cocaine); every value quantified (no censoring);
/// - the plants are split over campaigns, one `mc_problem` per (drug, campaign): problem k
///   takes 5 + (17k mod 46) plants (5…50, mean ≈ 27; the same rule is in peer_numpy_mc.py),
///   the last one takes what is left (or joins the previous one when fewer than 5 are left);
/// - per problem: one site estimate per plant (`daily = true`: the campaign value and each of
///   its 7 days are summarised, as for every site in `wbe run`) and one city estimate over all
///   its plants; two thresholds (watch 500, alert 1000 mg/day/1000 inh) on each;
/// - every factor log-normal with the engine defaults (uncertainty.hpp): analysis 0.15,
///   sampling 0.10, flow 0.10, population 0.10, excretion 0.25 (RSD, median-centred).
///
/// Items = site-days × draws per call (one "site-day draw" = one draw of one day's load, the
/// unit of work; the summaries are included in the time).
///
/// Before anything is timed, each size checks its answer: the first plant's site estimate
/// (campaign value and its 7 days) against `wbe::analytic_uncertainty` — median, 2.5 % and
/// 97.5 % quantiles within 4 Monte Carlo standard errors (log scale), P(> threshold) within
/// 4 binomial SEs + 0.002 — and the first problems' results with 2 threads bit-identical to 1
/// thread. A failure ends the benchmark with SkipWithError.
///
/// Memory mode: `wbe_bench_mc --memory DRAWS [KEEP_LIMIT]` runs one plant × 7 days, one site
/// estimate (daily, as above: 8 summarised series) with DRAWS draws on one thread and prints
/// one JSON line with the process's peak RSS (VmHWM) before and after the run. Above `keep_limit`
/// (default 2^20) the engine takes its two-pass path.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "wbe/core/monte_carlo.hpp"
#include "wbe/core/rng.hpp"

namespace {

constexpr std::uint64_t seed = 20240601;
constexpr std::size_t draws = 10'000;
constexpr std::size_t days_per_plant = 7;

// Benzoylecgonine → cocaine, as in bench_back_calculation.cpp.
constexpr double cf = (303.35 / 289.33) / 0.35;
constexpr double watch = 500.0, alert = 1000.0;  // mg/day/1000 inh (of cocaine)

// Engine defaults (uncertainty.hpp), RSD of log-normal factors with median 1.
constexpr double rsd_analysis = 0.15, rsd_sampling = 0.10, rsd_flow = 0.10, rsd_population = 0.10,
                 rsd_excretion = 0.25;

double log_uniform(std::mt19937_64& g, double lo, double hi) {
    std::uniform_real_distribution<double> u(std::log(lo), std::log(hi));
    return std::exp(u(g));
}

/// Plants in problem k (same rule in peer_numpy_mc.py).
std::size_t plants_in_problem(std::size_t k) { return 5 + (17 * k) % 46; }

std::vector<std::size_t> partition(std::size_t plants) {
    std::vector<std::size_t> sizes;
    std::size_t left = plants;
    for (std::size_t k = 0; left > 0; ++k) {
        const std::size_t want = plants_in_problem(k);
        if (left < 5 && !sizes.empty()) {
            sizes.back() += left;
            break;
        }
        sizes.push_back(std::min(want, left));
        left -= sizes.back();
    }
    return sizes;
}

/// One plant with 7 daily samples of one campaign. Index around 200–1500 mg/day/1000 inh.
wbe::mc_site make_site(std::mt19937_64& g, const std::string& id, const std::string& campaign, std::size_t n_days) {
    const std::uint64_t residue = wbe::rng::hash("benzoylecgonine");
    wbe::mc_site s;
    s.site_key = wbe::rng::hash(id);
    s.campaign_key = wbe::rng::combine(s.site_key, wbe::rng::hash(campaign));
    s.population = std::round(log_uniform(g, 1.0e4, 2.0e6));
    s.population_dist = wbe::factor_distribution::lognormal(rsd_population);
    s.flow_dist = wbe::factor_distribution::lognormal(rsd_flow);
    s.load_multiplier = 1e-3;
    const double level = log_uniform(g, 200.0, 1500.0);  // the plant's typical index
    const double lpcd = log_uniform(g, 150.0, 400.0);    // litres per person per day
    std::lognormal_distribution<double> day_to_day(0.0, 0.3), flow_var(0.0, 0.15);
    for (std::size_t i = 0; i < n_days; ++i) {
        wbe::mc_day d;
        const std::string sample = id + "-" + campaign + "-d" + std::to_string(i);
        d.sample_key = wbe::rng::combine(s.site_key, wbe::rng::hash(sample));
        d.analyte_key = wbe::rng::combine(d.sample_key, residue);
        d.flow_m3_per_day = s.population * lpcd * 1e-3 * flow_var(g);
        // index = C × Q × 1e-3 / P × 1000 × CF  ⇒  C = index × P / (Q × CF)
        const double index = level * day_to_day(g);
        d.conc.value = index * s.population / (d.flow_m3_per_day * cf);  // ng/L
        d.conc.qual = wbe::qualifier::detected;
        d.conc.lod = 1.0;
        d.conc.loq = 3.0;
        d.substitute = d.conc.value;
        d.analysis = wbe::factor_distribution::lognormal(rsd_analysis);
        d.sampling = wbe::factor_distribution::lognormal(rsd_sampling);
        s.days.push_back(std::move(d));
    }
    return s;
}

std::vector<wbe::mc_problem> make_programme(std::size_t nominal_site_days, std::size_t& site_days) {
    std::mt19937_64 g(seed + nominal_site_days);
    const std::size_t plants = std::max<std::size_t>(1, (nominal_site_days + days_per_plant / 2) / days_per_plant);
    std::vector<wbe::mc_problem> problems;
    std::size_t plant = 0;
    site_days = 0;
    const auto sizes = partition(plants);
    for (std::size_t k = 0; k < sizes.size(); ++k) {
        wbe::mc_problem p;
        p.drug_key = wbe::rng::hash("benzoylecgonine");
        p.cf = cf;
        p.excretion = wbe::factor_distribution::lognormal(rsd_excretion);
        char campaign[32];  // (snprintf: GCC 12 warns falsely on "C" + std::to_string(k), -Wrestrict)
        std::snprintf(campaign, sizeof campaign, "C%zu", k);
        wbe::mc_estimate city;
        city.thresholds = {watch, alert};
        for (std::size_t i = 0; i < sizes[k]; ++i, ++plant) {
            char id[32];
            std::snprintf(id, sizeof id, "WWTP-%06zu", plant);
            p.sites.push_back(make_site(g, id, campaign, days_per_plant));
            site_days += days_per_plant;
            wbe::mc_estimate est;
            est.members = {i};
            est.thresholds = {watch, alert};
            est.daily = true;
            p.estimates.push_back(std::move(est));
            city.members.push_back(i);
        }
        p.estimates.push_back(std::move(city));
        problems.push_back(std::move(p));
    }
    return problems;
}

wbe::mc_options options(unsigned threads, std::size_t n_draws = draws) {
    wbe::mc_options o;
    o.draws = n_draws;
    o.threads = threads;
    return o;
}

// --- answer checks ------------------------------------------------------------------------------

/// Standard error of a quantile of a normal sample on the log scale: σ √(p(1−p)) / (φ(z_p) √n).
double log_quantile_se(double sigma, double p, std::size_t n) {
    const double z = p == 0.5 ? 0.0 : (p < 0.5 ? -1.959963984540054 : 1.959963984540054);
    const double phi = std::exp(-0.5 * z * z) / std::sqrt(2.0 * 3.141592653589793);
    return sigma * std::sqrt(p * (1.0 - p)) / (phi * std::sqrt(static_cast<double>(n)));
}

std::string compare(const char* what, const wbe::draw_summary& mc, const wbe::draw_summary& an, std::size_t n) {
    // σ of the log index from the analytic interval.
    const double sigma = (std::log(an.upper) - std::log(an.lower)) / (2.0 * 1.959963984540054);
    const struct {
        const char* name;
        double got, want, p;
    } qs[] = {{"median", mc.median, an.median, 0.5}, {"lower", mc.lower, an.lower, 0.025}, {"upper", mc.upper, an.upper, 0.975}};
    char msg[320];
    for (const auto& q : qs) {
        const double tol = 4.0 * log_quantile_se(sigma, q.p, n);
        if (!(std::abs(std::log(q.got) - std::log(q.want)) <= tol)) {
            std::snprintf(msg, sizeof msg, "%s %s: Monte Carlo %.6g, analytic %.6g (|Δ ln| > 4 SE = %.3g)", what, q.name, q.got,
                          q.want, tol);
            return msg;
        }
    }
    for (std::size_t t = 0; t < an.p_exceed.size(); ++t) {
        const double p = an.p_exceed[t];
        const double tol = 4.0 * std::sqrt(p * (1.0 - p) / static_cast<double>(n)) + 0.002;
        if (!(std::abs(mc.p_exceed.at(t) - p) <= tol)) {
            std::snprintf(msg, sizeof msg, "%s P(> threshold %zu): Monte Carlo %.4f, analytic %.4f (tolerance %.4f)", what, t,
                          mc.p_exceed[t], p, tol);
            return msg;
        }
    }
    return {};
}

bool same(const wbe::draw_summary& a, const wbe::draw_summary& b) {
    const auto eq = [](double x, double y) { return x == y || (std::isnan(x) && std::isnan(y)); };
    return a.n == b.n && eq(a.mean, b.mean) && eq(a.sd, b.sd) && eq(a.median, b.median) && eq(a.lower, b.lower) &&
           eq(a.upper, b.upper) && a.p_exceed == b.p_exceed;
}

/// Empty when the answer is right; else what is wrong.
std::string check(const std::vector<wbe::mc_problem>& problems) {
    const wbe::mc_options o = options(1);
    const auto mc = wbe::run_monte_carlo(problems.front(), o);
    const auto an = wbe::analytic_uncertainty(problems.front(), 0, o);
    std::string err = compare("site 0 campaign", mc[0].campaign, an.campaign, o.draws);
    for (std::size_t i = 0; err.empty() && i < an.daily.size(); ++i)
        err = compare(("site 0 day " + std::to_string(i)).c_str(), mc[0].daily.at(i), an.daily[i], o.draws);
    if (!err.empty()) return err;
    // The city estimates have no analytic oracle; they share the site draws, and the engine's
    // thread-count invariance is checked on the first problems (bit-identical summaries).
    const std::vector<wbe::mc_problem> head(problems.begin(),
                                            problems.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(4, problems.size())));
    const auto r1 = wbe::run_monte_carlo(head, options(1));
    const auto r2 = wbe::run_monte_carlo(head, options(2));
    for (std::size_t k = 0; k < head.size(); ++k)
        for (std::size_t e = 0; e < r1[k].size(); ++e) {
            bool ok = same(r1[k][e].campaign, r2[k][e].campaign) && r1[k][e].daily.size() == r2[k][e].daily.size();
            for (std::size_t i = 0; ok && i < r1[k][e].daily.size(); ++i) ok = same(r1[k][e].daily[i], r2[k][e].daily[i]);
            if (!ok) return "problem " + std::to_string(k) + " estimate " + std::to_string(e) + ": 2 threads differ from 1 thread";
        }
    return {};
}

struct programme {
    std::size_t nominal = 0, site_days = 0, plants = 0;
    std::vector<wbe::mc_problem> problems;
    std::string error;
};

programme& programme_for(std::size_t n) {
    static std::unique_ptr<programme> current;
    if (!current || current->nominal != n) {
        current.reset();
        current = std::make_unique<programme>();
        current->nominal = n;
        current->problems = make_programme(n, current->site_days);
        for (const auto& p : current->problems) current->plants += p.sites.size();
        current->error = check(current->problems);
        if (!current->error.empty()) current->error = "n=" + std::to_string(n) + ": " + current->error;
    }
    return *current;
}

void bm_monte_carlo(benchmark::State& state, unsigned threads) {
    const auto n = static_cast<std::size_t>(state.range(0));
    programme& p = programme_for(n);
    if (!p.error.empty()) {
        state.SkipWithError(p.error.c_str());
        return;
    }
    const wbe::mc_options o = options(threads);
    for (auto _ : state) {
        auto r = wbe::run_monte_carlo(p.problems, o);
        benchmark::DoNotOptimize(r.data());
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(p.site_days * draws));
    state.counters["site_days"] = static_cast<double>(p.site_days);
    state.counters["plants"] = static_cast<double>(p.plants);
    state.counters["problems"] = static_cast<double>(p.problems.size());
    state.counters["draws"] = static_cast<double>(draws);
    state.counters["threads"] = threads;
}

// Wall-clock time (UseRealTime): the 2-thread run's CPU time of the main thread means nothing.
BENCHMARK_CAPTURE(bm_monte_carlo, 1t, 1u)->Name("monte_carlo")->RangeMultiplier(10)->Range(1'000, 100'000)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(bm_monte_carlo, 2t, 2u)->Name("monte_carlo_2t")->RangeMultiplier(10)->Range(1'000, 100'000)->UseRealTime()->Unit(benchmark::kMillisecond);

// --- memory mode --------------------------------------------------------------------------------

/// Peak resident set of this process image, KiB: VmHWM from /proc/self/status. (getrusage's
/// ru_maxrss would do, but on Linux it also carries the peak of the image before execve — the
/// Python interpreter that started us, ~14 MiB — so it cannot show a smaller peak.)
long peak_rss_kib() {
    std::FILE* f = std::fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long kib = -1;
    while (std::fgets(line, sizeof line, f))
        if (std::strncmp(line, "VmHWM:", 6) == 0) kib = std::strtol(line + 6, nullptr, 10);
    std::fclose(f);
    return kib;
}

int memory_mode(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s --memory DRAWS [KEEP_LIMIT]\n", argv[0]);
        return 2;
    }
    const std::size_t n_draws = std::strtoull(argv[2], nullptr, 10);
    wbe::mc_options o = options(1, n_draws);
    if (argc >= 4) o.keep_limit = std::strtoull(argv[3], nullptr, 10);
    std::mt19937_64 g(seed);
    wbe::mc_problem p;
    p.drug_key = wbe::rng::hash("benzoylecgonine");
    p.cf = cf;
    p.excretion = wbe::factor_distribution::lognormal(rsd_excretion);
    p.sites.push_back(make_site(g, "WWTP-000000", "C0", days_per_plant));
    wbe::mc_estimate est;
    est.members = {0};
    est.thresholds = {watch, alert};
    est.daily = true;
    p.estimates.push_back(est);
    const long before = peak_rss_kib();
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = wbe::run_monte_carlo(p, o);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const long after = peak_rss_kib();
    const auto an = wbe::analytic_uncertainty(p, 0, o);
    std::printf(
        "{\"draws\": %zu, \"keep_limit\": %zu, \"two_pass\": %s, \"series\": %zu, \"seconds\": %.4f, "
        "\"peak_rss_kib_before\": %ld, \"peak_rss_kib\": %ld, \"median\": %.10g, \"analytic_median\": %.10g}\n",
        n_draws, o.keep_limit, n_draws > o.keep_limit ? "true" : "false", 1 + r[0].daily.size(), secs, before, after,
        r[0].campaign.median, an.campaign.median);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 2 && std::string_view(argv[1]) == "--memory") return memory_mode(argc, argv);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
