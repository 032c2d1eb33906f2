/// @file bench_io.cpp
/// The io edge (issue 9): the assay batch reader with its validation (wbe/io/assay_csv.hpp) and
/// the HDF5 store's table write, read and append (wbe/io/hdf5_store.hpp), on generated data
/// that bench/peer_io.py reads too (pandas read_csv, h5py).
///
///     wbe_bench_io --dir DIR [--sizes 100000,1000000] [--append-rows 10000] [--models DIR]
///                  [Google Benchmark flags]
///
/// Before registering anything it writes, per size N, into DIR:
///   assay_N.csv         one assay batch of N rows (13 columns, the example city's layout)
///   assay_N.json        what a correct reader must find in it (rows, censored, sums), for the peer
///   store_N.h5          a store whose samples table holds those N rows (written by write_store)
///   batch_N.h5          a store holding only the B rows that the append benchmark adds
/// and checks its answers: the reader returns N results whose censored count and value sums
/// equal the generator's; read_store and read_raw_table return N rows equal to what was written.
/// A failed check ends that benchmark with SkipWithError.
///
/// Benchmarks (items = rows; wall clock):
///   assay_csv/N     read_assay_batch(path): file read, XXH3 content hash, RFC 4180 split and
///                   every row check (known site and analyte, units, limits, qualifiers,
///                   duplicates); bytes = file size
///   store_write/N   write_store of a store whose samples table holds N rows: packing into the
///                   compound type, chunked (64 KiB of rows), shuffle + deflate 4, then fsync,
///                   rename(2) and fsync of the folder — the store's only way of writing
///   store_read/N    read_store: every table, the samples into std::vector<assay_result>
///   store_read_raw/N  read_raw_table(path, "samples"): columns (what Python and `wbe show` use)
///   store_append/N  append_store of one more batch (B results and a batch record) to a store of
///                   N rows: copy of the file's bytes, append in place, fsync, rename (atomic);
///                   items = the B appended rows
///   store_ingest/N  read_store + append_store: the store work of `wbe ingest` of that batch

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "wbe/core/errors.hpp"
#include "wbe/io/assay_csv.hpp"
#include "wbe/io/hdf5_store.hpp"
#include "wbe/io/model_library.hpp"

#ifndef WBE_BENCH_MODELS_DIR
#define WBE_BENCH_MODELS_DIR "models"
#endif

namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t seed = 20241209;
constexpr const char* analytes[] = {"methamphetamine", "amphetamine", "mdma",     "ketamine", "norketamine",
                                    "benzoylecgonine", "morphine",    "codeine", "cotinine"};
constexpr std::size_t n_analytes = std::size(analytes);
constexpr std::size_t n_plants = 500;    // the 100x example city: 500 plants and 2000 venues
constexpr std::size_t n_venues = 2000;

std::string site_id(std::size_t k) {
    char buf[32];
    if (k < n_plants) std::snprintf(buf, sizeof buf, "BX-WWTP-%04zu", k + 1);
    else std::snprintf(buf, sizeof buf, "BX-V-%04zu", k - n_plants + 1);
    return buf;
}

/// `digits` (100…999) × 10^exp10 written in plain decimal, e.g. (143, -1) → "14.3".
std::string decimal(int digits, int exp10) {
    std::string s = std::to_string(digits);
    if (exp10 >= 0) return s + std::string(static_cast<std::size_t>(exp10), '0');
    const std::size_t point = static_cast<std::size_t>(-exp10);
    if (point < s.size()) return s.substr(0, s.size() - point) + "." + s.substr(s.size() - point);
    return "0." + std::string(point - s.size(), '0') + s;
}

/// What a correct reader finds in a generated file.
struct expected_answer {
    std::size_t rows = 0, censored = 0, ug_per_l = 0, written_below = 0, written_nd = 0;
    double sum_value_ng_per_l = 0;  ///< detected values, ng/L
    double sum_loq_ng_per_l = 0;    ///< every row, ng/L
};

/// One batch of `n` rows in the example city's column order (data/example/batches): samples of
/// 9 analytes each, round-robin over 2500 sites, 7 days of 2024Q1; about 84 % detected values
/// with 3 significant digits, 8 % `<LOQ` in the qualifier column, 6 % `<limit` and 2 % `ND`
/// written in the value column; one row in ten reports in ug/L (values and limits).
expected_answer write_assay_csv(const fs::path& path, std::size_t n) {
    std::mt19937_64 g(seed + n);
    std::uniform_int_distribution<int> digits(100, 999), exp10(-2, 1), pct(0, 99);
    expected_answer e;
    std::string out;
    out.reserve(n * 140);
    out += "batch_id,sample_id,site_id,sample_date,analyte,value,unit,qualifier,lod,loq,method_id,lab_id,sample_type\n";
    const std::string batch = "BX-" + std::to_string(n);
    const std::size_t sites = n_plants + n_venues;
    for (std::size_t r = 0; r < n; ++r) {
        const std::size_t sample = r / n_analytes;
        const std::size_t a = r % n_analytes;
        const std::size_t s = sample % sites;
        const std::size_t day = (sample / sites) % 7;
        const bool ug = pct(g) < 10;
        const double scale = ug ? 1000.0 : 1.0;
        // limits: lod 0.5, loq 1.5 ng/L (0.0005, 0.0015 ug/L)
        const char* lod = ug ? "0.0005" : "0.5";
        const char* loq = ug ? "0.0015" : "1.5";
        std::string value, qual;
        const int kind = pct(g);
        if (kind < 84) {
            const int d = digits(g);
            const int x = exp10(g);  // 1.00 … 9990 ng/L; all above the loq
            const int xx = ug ? x - 3 : x;
            value = decimal(d, xx);
            e.sum_value_ng_per_l += std::strtod(value.c_str(), nullptr) * scale;
        } else if (kind < 92) {
            qual = "<LOQ";
            ++e.censored;
        } else if (kind < 98) {
            value = ug ? "<0.0015" : "<1.5";
            ++e.censored;
            ++e.written_below;
        } else {
            value = "ND";
            ++e.censored;
            ++e.written_nd;
        }
        if (ug) ++e.ug_per_l;
        e.sum_loq_ng_per_l += std::strtod(loq, nullptr) * scale;
        char date[16];
        std::snprintf(date, sizeof date, "2024-01-%02zu", 8 + day);
        char sid[64];
        std::snprintf(sid, sizeof sid, "%s-S%07zu", batch.c_str(), sample);
        out += batch;
        out += ',';
        out += sid;
        out += ',';
        out += site_id(s);
        out += ',';
        out += date;
        out += ',';
        out += analytes[a];
        out += ',';
        out += value;
        out += ',';
        out += ug ? "ug/L" : "ng/L";
        out += ',';
        out += qual;
        out += ',';
        out += lod;
        out += ',';
        out += loq;
        out += s < n_plants ? ",LCMSMS-DRUGS-v3,BX-LAB,composite_24h\n" : ",LCMSMS-DRUGS-v3,BX-LAB,grab\n";
    }
    e.rows = n;
    std::ofstream f(path, std::ios::binary);
    f.write(out.data(), static_cast<std::streamsize>(out.size()));
    if (!f) throw std::runtime_error("cannot write " + path.string());
    return e;
}

void write_expected(const fs::path& path, const expected_answer& e, std::uintmax_t bytes) {
    std::ofstream f(path);
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "{\"rows\": %zu, \"bytes\": %ju, \"censored\": %zu, \"ug_per_l\": %zu, \"written_below\": %zu, "
                  "\"written_nd\": %zu, \"sum_value_ng_per_l\": %.17g, \"sum_loq_ng_per_l\": %.17g}\n",
                  e.rows, bytes, e.censored, e.ug_per_l, e.written_below, e.written_nd, e.sum_value_ng_per_l,
                  e.sum_loq_ng_per_l);
    f << buf;
}

struct options {
    fs::path dir;
    fs::path models = WBE_BENCH_MODELS_DIR;
    std::vector<std::size_t> sizes{100'000, 1'000'000};
    std::size_t append_rows = 10'000;
};

struct context {
    wbe::model_set models;
    std::unordered_set<std::string> sites;
    wbe::io::assay_read_options read_options;
};

context& ctx() {
    static context c;
    return c;
}

struct size_data {
    std::size_t n = 0;
    fs::path csv, store, batch_store, append_out;
    expected_answer expected;
    std::string error;  // non-empty: the check failed
};

std::vector<size_data>& all_sizes() {
    static std::vector<size_data> v;
    return v;
}

std::string check_batch(const wbe::io::assay_batch& b, const expected_answer& e) {
    std::size_t censored = 0;
    double sum = 0, sum_loq = 0;
    for (const auto& r : b.results) {
        if (r.conc.qual == wbe::qualifier::below_lod || r.conc.qual == wbe::qualifier::below_loq) ++censored;
        else sum += r.conc.value;
        sum_loq += r.conc.loq;
    }
    char msg[512];
    if (b.results.size() != e.rows || censored != e.censored ||
        std::abs(sum - e.sum_value_ng_per_l) > 1e-9 * std::abs(e.sum_value_ng_per_l) ||
        std::abs(sum_loq - e.sum_loq_ng_per_l) > 1e-9 * std::abs(e.sum_loq_ng_per_l)) {
        std::snprintf(msg, sizeof msg,
                      "reader gives %zu rows, %zu censored, value sum %.12g, loq sum %.12g; the generator wrote %zu, %zu, "
                      "%.12g, %.12g",
                      b.results.size(), censored, sum, sum_loq, e.rows, e.censored, e.sum_value_ng_per_l, e.sum_loq_ng_per_l);
        return msg;
    }
    return {};
}

bool same_samples(const std::vector<wbe::assay_result>& a, const std::vector<wbe::assay_result>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto& x = a[i];
        const auto& y = b[i];
        const auto same_num = [](double u, double v) { return (std::isnan(u) && std::isnan(v)) || u == v; };
        if (x.sample_id != y.sample_id || x.site_id != y.site_id || x.day != y.day || x.analyte != y.analyte ||
            x.conc.qual != y.conc.qual || !same_num(x.conc.value, y.conc.value) || !same_num(x.conc.lod, y.conc.lod) ||
            !same_num(x.conc.loq, y.conc.loq) || x.sample_type != y.sample_type)
            return false;
    }
    return true;
}

wbe::io::batch_record record_of(const wbe::io::assay_batch& b) {
    wbe::io::batch_record r;
    r.batch_id = b.results.empty() ? "" : b.results.front().batch_id;
    r.content_hash = b.content_hash;
    r.source = b.source;
    r.ingested_at = "2024-12-09T00:00:00Z";
    r.n_results = static_cast<std::int64_t>(b.results.size());
    return r;
}

/// Writes the files of one size and checks the reader and the store on them.
size_data prepare(const options& o, std::size_t n) {
    size_data d;
    d.n = n;
    d.csv = o.dir / ("assay_" + std::to_string(n) + ".csv");
    d.store = o.dir / ("store_" + std::to_string(n) + ".h5");
    d.batch_store = o.dir / ("batch_" + std::to_string(n) + ".h5");
    d.append_out = o.dir / ("append_" + std::to_string(n) + ".h5");
    d.expected = write_assay_csv(d.csv, n);
    write_expected(o.dir / ("assay_" + std::to_string(n) + ".json"), d.expected, fs::file_size(d.csv));
    try {
        const auto batch = wbe::io::read_assay_batch(d.csv.string(), ctx().read_options);
        d.error = check_batch(batch, d.expected);
        if (!d.error.empty()) return d;
        wbe::io::store_contents c;
        c.city = "bench";
        c.batches.push_back(record_of(batch));
        c.samples = batch.results;
        wbe::io::write_store(d.store.string(), c);
        // The batch the append benchmark adds: the first B rows under another batch id.
        wbe::io::store_contents add;
        add.city = "bench";
        const std::size_t b = std::min(o.append_rows, n);
        add.samples.assign(batch.results.begin(), batch.results.begin() + static_cast<std::ptrdiff_t>(b));
        for (auto& r : add.samples) {
            r.batch_id = "BX-APPEND";
            r.sample_id += "-A";
        }
        wbe::io::batch_record rec = record_of(batch);
        rec.batch_id = "BX-APPEND";
        rec.content_hash = "append";
        rec.n_results = static_cast<std::int64_t>(b);
        add.batches.push_back(rec);
        wbe::io::write_store(d.batch_store.string(), add);

        const auto back = wbe::io::read_store(d.store.string());
        if (!same_samples(back.samples, c.samples)) {
            d.error = "read_store does not give back the samples that write_store wrote";
            return d;
        }
        const auto raw = wbe::io::read_raw_table(d.store.string(), "samples");
        if (raw.rows != n) d.error = "read_raw_table gives " + std::to_string(raw.rows) + " rows, not " + std::to_string(n);
    } catch (const std::exception& e) {
        d.error = e.what();
    }
    return d;
}

void bm_assay_csv(benchmark::State& state, const size_data* d) {
    if (!d->error.empty()) {
        state.SkipWithError(d->error.c_str());
        return;
    }
    const std::string path = d->csv.string();
    for (auto _ : state) {
        auto b = wbe::io::read_assay_batch(path, ctx().read_options);
        benchmark::DoNotOptimize(b.results.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * d->n));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * fs::file_size(d->csv)));
}

void bm_store_write(benchmark::State& state, const size_data* d) {
    if (!d->error.empty()) {
        state.SkipWithError(d->error.c_str());
        return;
    }
    const wbe::io::store_contents c = wbe::io::read_store(d->store.string());
    const std::string out = (d->store.parent_path() / ("write_" + std::to_string(d->n) + ".h5")).string();
    for (auto _ : state) wbe::io::write_store(out, c);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * d->n));
    state.counters["file_bytes"] = static_cast<double>(fs::file_size(out));
    fs::remove(out);
}

void bm_store_read(benchmark::State& state, const size_data* d) {
    if (!d->error.empty()) {
        state.SkipWithError(d->error.c_str());
        return;
    }
    const std::string path = d->store.string();
    for (auto _ : state) {
        auto c = wbe::io::read_store(path);
        if (c.samples.size() != d->n) {
            state.SkipWithError("read_store: wrong row count");
            break;
        }
        benchmark::DoNotOptimize(c.samples.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * d->n));
}

void bm_store_read_raw(benchmark::State& state, const size_data* d) {
    if (!d->error.empty()) {
        state.SkipWithError(d->error.c_str());
        return;
    }
    const std::string path = d->store.string();
    for (auto _ : state) {
        auto t = wbe::io::read_raw_table(path, "samples");
        if (t.rows != d->n) {
            state.SkipWithError("read_raw_table: wrong row count");
            break;
        }
        benchmark::DoNotOptimize(t.columns.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * d->n));
}

/// One more batch of B rows into a store of N rows, as pipeline::ingest writes it
/// (io::append_store): the store's bytes copied to a temporary beside it, the B results and the
/// batch record appended there in place, fsync, rename(2), fsync of the folder. Each iteration
/// starts from a fresh copy of store_N.h5 (copied while the clock is paused). With
/// `read_first`, each iteration also reads the whole store before appending, as `wbe ingest`
/// does to check the batch against everything stored.
void append_batch(benchmark::State& state, const size_data* d, bool read_first) {
    if (!d->error.empty()) {
        state.SkipWithError(d->error.c_str());
        return;
    }
    const wbe::io::store_contents add = wbe::io::read_store(d->batch_store.string());
    wbe::io::store_rows rows;
    rows.samples = add.samples;
    rows.batches = add.batches;
    const std::string out = d->append_out.string();
    for (auto _ : state) {
        state.PauseTiming();
        fs::copy_file(d->store, out, fs::copy_options::overwrite_existing);
        state.ResumeTiming();
        if (read_first) {
            const wbe::io::store_contents before = wbe::io::read_store(out);
            benchmark::DoNotOptimize(before.samples.data());
        }
        wbe::io::append_store(out, rows);
    }
    if (wbe::io::read_raw_table(out, "samples").rows != d->n + add.samples.size()) state.SkipWithError("append: wrong row count");
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * add.samples.size()));
    state.counters["rows_before"] = static_cast<double>(d->n);
    state.counters["rows_appended"] = static_cast<double>(add.samples.size());
    fs::remove(out);
}

void bm_store_append(benchmark::State& state, const size_data* d) { append_batch(state, d, false); }

/// What the store work of `wbe ingest` of one more batch costs in all: read_store, then the
/// append. No peer: h5py appends without reading.
void bm_store_ingest(benchmark::State& state, const size_data* d) { append_batch(state, d, true); }

std::vector<std::size_t> parse_sizes(const std::string& s) {
    std::vector<std::size_t> v;
    std::stringstream in(s);
    std::string item;
    while (std::getline(in, item, ','))
        if (!item.empty()) v.push_back(static_cast<std::size_t>(std::stod(item)));
    return v;
}

[[noreturn]] void usage(const char* msg) {
    std::fprintf(stderr,
                 "wbe_bench_io: %s\nusage: wbe_bench_io --dir DIR [--sizes N,N...] [--append-rows B] [--models DIR] "
                 "[Google Benchmark flags]\n",
                 msg);
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage((a + " needs a value").c_str());
            return argv[++i];
        };
        if (a == "--dir") o.dir = value();
        else if (a == "--sizes") o.sizes = parse_sizes(value());
        else if (a == "--append-rows") o.append_rows = static_cast<std::size_t>(std::stod(value()));
        else if (a == "--models") o.models = value();
        else usage(("unknown argument " + a).c_str());
    }
    if (o.dir.empty()) usage("--dir is required");
    fs::create_directories(o.dir);

    context& c = ctx();
    try {
        c.models = wbe::io::load_model_set(o.models.string(), "default");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "wbe_bench_io: cannot load the models from %s: %s\n", o.models.c_str(), e.what());
        return 1;
    }
    for (std::size_t k = 0; k < n_plants + n_venues; ++k) c.sites.insert(site_id(k));
    c.read_options.models = &c.models;
    c.read_options.site_exists = [&c](std::string_view id) { return c.sites.count(std::string(id)) > 0; };

    auto& sizes = all_sizes();
    sizes.reserve(o.sizes.size());
    for (const std::size_t n : o.sizes) sizes.push_back(prepare(o, n));
    for (const auto& d : sizes) {
        const std::string n = std::to_string(d.n);
        benchmark::RegisterBenchmark(("assay_csv/" + n).c_str(), bm_assay_csv, &d)->UseRealTime()->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(("store_write/" + n).c_str(), bm_store_write, &d)->UseRealTime()->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(("store_read/" + n).c_str(), bm_store_read, &d)->UseRealTime()->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(("store_read_raw/" + n).c_str(), bm_store_read_raw, &d)->UseRealTime()->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(("store_append/" + n).c_str(), bm_store_append, &d)->UseRealTime()->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(("store_ingest/" + n).c_str(), bm_store_ingest, &d)->UseRealTime()->Unit(benchmark::kMillisecond);
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
