#include "wbe/io/hdf5_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <H5Cpp.h>
#include <libdeflate.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <limits>
#include <thread>

#include "wbe/core/errors.hpp"
#include "wbe/version.hpp"

namespace wbe::io {

namespace fs = std::filesystem;

namespace {

// ---- a typed column of a compound table -----------------------------------------------------
enum class kind { f64, i64, str };

template <class R>
struct field {
    std::string name;
    kind k;
    std::size_t width;  // bytes (strings); 8 otherwise
    std::function<void(const R&, char*)> put;
    std::function<void(R&, const char*)> get;
};

// Copies at most `width` bytes without cutting a UTF-8 sequence; the rest stays zero (NULLPAD).
void put_string(const std::string& s, char* dst, std::size_t width) {
    std::size_t n = std::min(s.size(), width);
    if (n < s.size())
        while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    std::memcpy(dst, s.data(), n);
}
std::string get_string(const char* src, std::size_t width) { return std::string(src, strnlen(src, width)); }

template <class R>
field<R> S(std::string name, std::size_t width, std::string R::*m) {
    return {std::move(name), kind::str, width, [m, width](const R& r, char* d) { put_string(r.*m, d, width); },
            [m, width](R& r, const char* s) { r.*m = get_string(s, width); }};
}
template <class R>
field<R> S(std::string name, std::size_t width, std::function<std::string(const R&)> to,
           std::function<void(R&, std::string)> from) {
    return {std::move(name), kind::str, width, [to, width](const R& r, char* d) { put_string(to(r), d, width); },
            [from, width](R& r, const char* s) { from(r, get_string(s, width)); }};
}
template <class R>
field<R> F(std::string name, double R::*m) {
    return {std::move(name), kind::f64, 8, [m](const R& r, char* d) { std::memcpy(d, &(r.*m), 8); },
            [m](R& r, const char* s) { std::memcpy(&(r.*m), s, 8); }};
}
template <class R>
field<R> F(std::string name, std::function<double(const R&)> to, std::function<void(R&, double)> from) {
    return {std::move(name), kind::f64, 8, [to](const R& r, char* d) { const double v = to(r); std::memcpy(d, &v, 8); },
            [from](R& r, const char* s) { double v; std::memcpy(&v, s, 8); from(r, v); }};
}
template <class R, class I>
field<R> I64(std::string name, I R::*m) {
    return {std::move(name), kind::i64, 8,
            [m](const R& r, char* d) { const auto v = static_cast<std::int64_t>(r.*m); std::memcpy(d, &v, 8); },
            [m](R& r, const char* s) { std::int64_t v; std::memcpy(&v, s, 8); r.*m = static_cast<I>(v); }};
}

// A column holding one value for every row (a property of the whole table, kept per row so that
// a row read alone still carries it); not read back per row.
template <class R>
field<R> I64_value(std::string name, std::int64_t value) {
    return {std::move(name), kind::i64, 8, [value](const R&, char* d) { std::memcpy(d, &value, 8); }, [](R&, const char*) {}};
}

// Dates are stored as ISO strings: readable as they are in h5py and pandas.
template <class R>
field<R> D(std::string name, day_number R::*m) {
    return S<R>(std::move(name), 10, [m](const R& r) { return format_iso_date(r.*m); },
                [m](R& r, std::string s) { r.*m = parse_iso_date(s).value_or(0); });
}

template <class R>
H5::CompType make_type(const std::vector<field<R>>& fields, std::vector<std::size_t>& offsets) {
    std::size_t size = 0;
    offsets.clear();
    for (const auto& f : fields) {
        offsets.push_back(size);
        size += f.width;
    }
    H5::CompType t(size);
    for (std::size_t i = 0; i < fields.size(); ++i) {
        const auto& f = fields[i];
        if (f.k == kind::f64) t.insertMember(f.name, offsets[i], H5::PredType::NATIVE_DOUBLE);
        else if (f.k == kind::i64) t.insertMember(f.name, offsets[i], H5::PredType::NATIVE_INT64);
        else {
            H5::StrType s(H5::PredType::C_S1, f.width);
            s.setStrpad(H5T_STR_NULLPAD);
            t.insertMember(f.name, offsets[i], s);
        }
    }
    return t;
}

// Rows [first, first + n) packed into the compound layout of `fields` at `out` (zeroed).
template <class R>
void pack_rows_into(const std::vector<field<R>>& fields, const std::vector<std::size_t>& off, std::size_t row_size,
                    const std::vector<R>& rows, std::size_t first, std::size_t n, char* out) {
    for (std::size_t r = 0; r < n; ++r)
        for (std::size_t i = 0; i < fields.size(); ++i) fields[i].put(rows[first + r], out + r * row_size + off[i]);
}

// Rows packed into the compound layout of `fields` (the buffer HDF5 writes from).
template <class R>
std::vector<char> pack_rows(const std::vector<field<R>>& fields, const std::vector<std::size_t>& off, std::size_t row_size,
                            const std::vector<R>& rows) {
    std::vector<char> buf(rows.size() * row_size, 0);
    pack_rows_into(fields, off, row_size, rows, 0, rows.size(), buf.data());
    return buf;
}

// Chunks of ~64 KiB whatever the table holds now: a table grows by appends (append_store), and
// its chunk size is fixed when it is created — an empty table of a new store must not get
// one-row chunks.
hsize_t chunk_rows(std::size_t row_size) { return std::max<hsize_t>(1, (1u << 16) / row_size); }

// The deflate level of every table (HDF5's deflate filter records it; readers do not need it).
// libdeflate's 6: the 100x benchmark city's store is 84 MB (zlib's 4 through the library gave
// 90 MB) and takes no longer to write than its 1 or 4 once the chunks are compressed in parallel.
constexpr int deflate_level = 6;

// Writes `rows` into the new chunked table `ds` as HDF5's own filter pipeline would store them —
// each chunk packed into the table's file layout (pack_rows), shuffled (H5Z_filter_shuffle: byte
// i of every row together; the rows of a short last chunk zero, as the library pads edge chunks)
// and deflated into a zlib stream (what H5Z_filter_deflate writes with compress2; here by
// libdeflate, faster than zlib and smaller at the level used) — but with the chunks packed and
// compressed on every core before H5Dwrite_chunk stores them in order. Deflate through the
// library was most of the time a store write took (the 100x benchmark city: 1.5 GB of rows, 7 of
// 9 s), on one thread. Readers see an ordinary shuffled, deflated table.
template <class R>
void write_chunks(hid_t ds, const std::vector<field<R>>& fields, const std::vector<std::size_t>& off, std::size_t row_size,
                  std::size_t chunk_rows, const std::vector<R>& rows, const std::string& name) {
    const std::size_t n_rows = rows.size();
    const std::size_t n_chunks = (n_rows + chunk_rows - 1) / chunk_rows;
    const std::size_t chunk_bytes = chunk_rows * row_size;
    std::vector<std::vector<unsigned char>> packed(n_chunks);
    std::vector<char> failed(n_chunks, 0);
    const auto compress_from = [&](std::size_t first, std::size_t step) {
        std::vector<char> raw(chunk_bytes);
        std::vector<unsigned char> shuffled(chunk_bytes);
        libdeflate_compressor* const z = libdeflate_alloc_compressor(deflate_level);
        if (!z) {
            for (std::size_t k = first; k < n_chunks; k += step) failed[k] = 1;
            return;
        }
        for (std::size_t k = first; k < n_chunks; k += step) {
            const std::size_t r0 = k * chunk_rows;
            const std::size_t nr = std::min(chunk_rows, n_rows - r0);
            std::fill(raw.begin(), raw.end(), 0);
            pack_rows_into(fields, off, row_size, rows, r0, nr, raw.data());
            const auto* src = reinterpret_cast<const unsigned char*>(raw.data());
            for (std::size_t e = 0; e < chunk_rows; ++e)
                for (std::size_t i = 0; i < row_size; ++i) shuffled[i * chunk_rows + e] = src[e * row_size + i];
            packed[k].resize(libdeflate_zlib_compress_bound(z, chunk_bytes));
            const std::size_t size = libdeflate_zlib_compress(z, shuffled.data(), chunk_bytes, packed[k].data(), packed[k].size());
            failed[k] = size == 0;
            packed[k].resize(size);
        }
        libdeflate_free_compressor(z);
    };
    const std::size_t threads = std::min<std::size_t>(std::max(1u, std::thread::hardware_concurrency()), n_chunks);
    std::vector<std::thread> pool;
    for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(compress_from, t, threads);
    compress_from(0, threads);
    for (auto& t : pool) t.join();
    for (std::size_t k = 0; k < n_chunks; ++k) {
        if (failed[k]) throw store_error(name + ": cannot deflate a chunk");
        const hsize_t offset[1] = {static_cast<hsize_t>(k * chunk_rows)};
        if (H5Dwrite_chunk(ds, H5P_DEFAULT, 0, offset, packed[k].size(), packed[k].data()) < 0)
            throw store_error(name + ": cannot write a chunk");
    }
}

template <class R>
void write_table(H5::H5File& file, const std::string& name, const std::vector<field<R>>& fields, const std::vector<R>& rows) {
    std::vector<std::size_t> off;
    const H5::CompType type = make_type(fields, off);
    const std::size_t row_size = type.getSize();
    const hsize_t dims[1] = {rows.size()};
    const hsize_t maxdims[1] = {H5S_UNLIMITED};
    const H5::DataSpace space(1, dims, maxdims);
    H5::DSetCreatPropList plist;
    const hsize_t chunk[1] = {chunk_rows(row_size)};
    plist.setChunk(1, chunk);
    plist.setShuffle();
    plist.setDeflate(deflate_level);
    H5::DataSet ds = file.createDataSet(name, type, space, plist);
    if (!rows.empty()) write_chunks(ds.getId(), fields, off, row_size, static_cast<std::size_t>(chunk[0]), rows, name);
}

// Adds rows at the end of an existing table, in place. The table must have exactly the columns
// this engine writes (it has, in a store of the current schema).
template <class R>
void append_table(H5::H5File& file, const std::string& name, const std::vector<field<R>>& fields, const std::vector<R>& rows) {
    if (rows.empty()) return;
    std::vector<std::size_t> off;
    const H5::CompType type = make_type(fields, off);
    if (!H5Lexists(file.getId(), name.c_str(), H5P_DEFAULT))
        throw store_error(file.getFileName() + ": table " + name + " is missing; cannot append to it");
    H5::DataSet ds = file.openDataSet(name);
    if (!(ds.getCompType() == type))
        throw store_error(file.getFileName() + ": table " + name + " does not have this engine's columns; cannot append to it");
    hsize_t n = 0;
    {
        const H5::DataSpace space = ds.getSpace();
        if (space.getSimpleExtentNdims() != 1) throw store_error(file.getFileName() + ": table " + name + " is not 1-D");
        space.getSimpleExtentDims(&n);
    }
    const std::vector<char> buf = pack_rows(fields, off, type.getSize(), rows);
    const hsize_t total[1] = {n + rows.size()};
    ds.extend(total);
    H5::DataSpace target = ds.getSpace();
    const hsize_t start[1] = {n};
    const hsize_t count[1] = {rows.size()};
    target.selectHyperslab(H5S_SELECT_SET, count, start);
    const H5::DataSpace source(1, count);
    ds.write(buf.data(), type, source, target);
}

// A table's shape and row type are checked before anything is read, since a damaged or hostile
// file can say anything (both found by tests/fuzz/fuzz_store):
// - the row count: a few bytes can claim trillions of rows, which reading would allocate and
//   fill. A store's table cannot: its rows are deflated, at most 1032:1 (the format's limit), and
//   at least 64 bytes wide (each holds a 64-byte id), so it has at most 1032 × file size / 64 rows;
// - the columns: HDF5 1.10.8 does not check that a compound member lies inside its row, and its
//   type conversion then reads outside its buffer.
void check_table(const std::string& path, const std::string& table, hsize_t rows, const H5::CompType& type) {
    const std::size_t row_size = type.getSize();
    std::error_code ec;
    const std::uintmax_t bytes = fs::file_size(path, ec);
    const std::uintmax_t limit = ec ? 0 : bytes * 1032 / std::max<std::size_t>(row_size, 64);
    if (rows > limit)
        throw store_error(path + ": table " + table + " claims " + std::to_string(rows) +
                          " rows, more than a file of this size can hold (a damaged file?)");
    const int members = type.getNmembers();
    for (int m = 0; m < members; ++m) {
        const std::size_t offset = type.getMemberOffset(static_cast<unsigned>(m));
        const std::size_t width = type.getMemberDataType(static_cast<unsigned>(m)).getSize();
        if (width > row_size || offset > row_size - width)
            throw store_error(path + ": table " + table + ": column " + type.getMemberName(static_cast<unsigned>(m)) +
                              " lies outside its " + std::to_string(row_size) + "-byte row (a damaged file?)");
    }
}

template <class R>
std::vector<R> read_table(H5::H5File& file, const std::string& name, const std::vector<field<R>>& fields) {
    std::vector<R> rows;
    if (!H5Lexists(file.getId(), name.c_str(), H5P_DEFAULT)) return rows;
    H5::DataSet ds = file.openDataSet(name);
    const H5::DataSpace space = ds.getSpace();
    if (space.getSimpleExtentNdims() != 1) throw store_error(file.getFileName() + ": table " + name + " is not 1-D");
    hsize_t n = 0;
    space.getSimpleExtentDims(&n);
    // Read only the columns the file has (matched by name): a store of an older schema reads
    // with the newer columns left at their defaults.
    const H5::CompType file_type = ds.getCompType();
    check_table(file.getFileName(), name, n, file_type);
    std::vector<field<R>> present;
    for (const auto& f : fields)
        if (H5Tget_member_index(file_type.getId(), f.name.c_str()) >= 0) present.push_back(f);
    std::vector<std::size_t> off;
    const H5::CompType type = make_type(present, off);
    const std::size_t row_size = type.getSize();
    std::vector<char> buf(n * row_size, 0);
    if (n > 0) ds.read(buf.data(), type);
    rows.resize(n);
    for (std::size_t r = 0; r < n; ++r)
        for (std::size_t i = 0; i < present.size(); ++i) present[i].get(rows[r], buf.data() + r * row_size + off[i]);
    return rows;
}

// ---- the schema (v1) -------------------------------------------------------------------------
const std::vector<field<batch_record>>& batch_fields() {
    using R = batch_record;
    static const std::vector<field<R>> f{S<R>("batch_id", 64, &R::batch_id), S<R>("content_hash", 32, &R::content_hash),
                                         S<R>("source", 256, &R::source), S<R>("ingested_at", 20, &R::ingested_at),
                                         S<R>("status", 16, &R::status), I64<R>("n_results", &R::n_results),
                                         S<R>("user", 64, &R::user), S<R>("reason", 256, &R::reason),
                                         S<R>("superseded_at", 20, &R::superseded_at),
                                         S<R>("superseded_by", 32, &R::superseded_by)};
    return f;
}

const std::vector<field<assay_result>>& sample_fields() {
    using R = assay_result;
    static const std::vector<field<R>> f{
        S<R>("batch_id", 64, &R::batch_id),
        S<R>("sample_id", 64, &R::sample_id),
        S<R>("site_id", 64, &R::site_id),
        D<R>("date", &R::day),
        S<R>("analyte", 32, &R::analyte),
        F<R>("value_ng_per_l", [](const R& r) { return r.conc.value; }, [](R& r, double v) { r.conc.value = v; }),
        S<R>("qualifier", 8, [](const R& r) { return std::string(to_string(r.conc.qual)); },
             [](R& r, std::string s) { r.conc.qual = parse_qualifier(s).value_or(qualifier::detected); }),
        F<R>("lod_ng_per_l", [](const R& r) { return r.conc.lod; }, [](R& r, double v) { r.conc.lod = v; }),
        F<R>("loq_ng_per_l", [](const R& r) { return r.conc.loq; }, [](R& r, double v) { r.conc.loq = v; }),
        S<R>("method_id", 64, &R::method_id),
        S<R>("lab_id", 64, &R::lab_id),
        S<R>("sample_type", 64, &R::sample_type),
        F<R>("recovery_pct", &R::recovery_pct),
        S<R>("notes", 256, &R::notes)};
    return f;
}

std::string join_towns(const std::vector<std::string>& towns) {
    std::string out;
    for (const auto& t : towns) out += (out.empty() ? "" : ";") + t;
    return out;
}
std::vector<std::string> split_towns(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < s.size()) {
        const std::size_t end = s.find(';', start);
        out.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return out;
}

const std::vector<field<site>>& site_fields() {
    using R = site;
    static const std::vector<field<R>> f{
        S<R>("site_id", 64, &R::id),
        S<R>("name", 128, &R::name),
        S<R>("kind", 16, &R::kind),
        S<R>("venue_type", 32, &R::venue_type),
        S<R>("district", 64, &R::district),
        S<R>("towns", 256, [](const R& r) { return join_towns(r.towns); }, [](R& r, std::string s) { r.towns = split_towns(s); }),
        F<R>("population", &R::population),
        F<R>("population_rsd", &R::population_rsd),
        S<R>("population_method", 32, &R::population_method),
        F<R>("residence_time_h", &R::residence_time_h),
        F<R>("smoking_rate", &R::smoking_rate),
        F<R>("domestic_fraction", &R::domestic_fraction)};
    return f;
}

const std::vector<field<flow_record>>& flow_fields() {
    using R = flow_record;
    static const std::vector<field<R>> f{S<R>("site_id", 64, &R::site_id), D<R>("date", &R::day),
                                         F<R>("flow_m3_per_day", &R::flow_m3_per_day), S<R>("source", 256, &R::source)};
    return f;
}

const std::vector<field<water_quality_record>>& water_quality_fields() {
    using R = water_quality_record;
    static const std::vector<field<R>> f{S<R>("site_id", 64, &R::site_id), D<R>("date", &R::day),
                                         S<R>("parameter", 16, &R::parameter), F<R>("mg_per_l", &R::mg_per_l),
                                         S<R>("source", 256, &R::source)};
    return f;
}

const std::vector<field<population_row>>& population_fields() {
    using R = population_row;
    static const std::vector<field<R>> f{
        S<R>("site_id", 64, &R::site_id), S<R>("campaign", 16, &R::campaign), S<R>("role", 16, &R::role),
        S<R>("method", 16, &R::method),   F<R>("population", &R::value),       F<R>("rsd", &R::rsd),
        I64<R>("days", &R::days),         S<R>("basis", 256, &R::basis),      F<R>("census", &R::census),
        F<R>("ratio", &R::ratio),         I64<R>("departs", &R::departs),     S<R>("note", 384, &R::note)};
    return f;
}

std::vector<field<daily_estimate>> daily_fields(const std::string& model_set, std::int64_t run_id) {
    using R = daily_estimate;
    return {S<R>("site_id", 64, &R::site_id),
            S<R>("site_kind", 16, &R::site_kind),
            S<R>("sample_id", 64, &R::sample_id),
            D<R>("date", &R::day),
            S<R>("campaign", 16, &R::campaign),
            S<R>("analyte", 32, &R::analyte),
            S<R>("drug", 32, &R::drug),
            S<R>("qualifier", 8, [](const R& r) { return std::string(to_string(r.qual)); },
                 [](R& r, std::string s) { r.qual = parse_qualifier(s).value_or(qualifier::detected); }),
            S<R>("censoring", 16, &R::censoring),
            F<R>("conc_ng_per_l", &R::conc_ng_per_l),
            F<R>("flow_m3_per_day", &R::flow_m3_per_day),
            F<R>("load_mg_per_day", &R::load_mg_per_day),
            F<R>("population", &R::population),
            S<R>("population_method", 16, &R::population_method),
            F<R>("pnl_mg_per_day_per_1000", &R::pnl),
            F<R>("consumption_mg_per_day_per_1000", &R::consumption),
            F<R>("doses_per_day_per_1000", &R::doses),
            F<R>("consumption_median", &R::consumption_median),
            F<R>("consumption_lower", &R::consumption_lower),
            F<R>("consumption_upper", &R::consumption_upper),
            F<R>("screening_index", &R::screening_index),
            F<R>("screening_lower", &R::screening_lower),
            F<R>("screening_upper", &R::screening_upper),
            S<R>("value_kind", 16, [](const R& r) { return std::string(value_kind(r.site_kind, r.drug)); }, [](R&, std::string) {}),
            S<R>("ratio_to", 32, &R::ratio_to),
            F<R>("ratio", &R::ratio),
            S<R>("note", 64, &R::note),
            S<R>("model_set", 32, [model_set](const R&) { return model_set; }, [](R&, std::string) {}),
            S<R>("batch_id", 64, &R::batch_id),
            S<R>("batch_hash", 32, &R::batch_hash),
            I64_value<R>("run_id", run_id)};
}

std::vector<field<campaign_estimate>> campaign_fields(const std::string& model_set, std::int64_t run_id) {
    using R = campaign_estimate;
    return {S<R>("scope", 16, &R::scope),
            S<R>("id", 64, &R::id),
            S<R>("site_kind", 16, &R::site_kind),
            S<R>("campaign", 16, &R::campaign),
            S<R>("analyte", 32, &R::analyte),
            S<R>("drug", 32, &R::drug),
            I64<R>("n_samples", &R::n_samples),
            I64<R>("n_censored", &R::n_censored),
            I64<R>("n_sites", &R::n_sites),
            F<R>("conc_mean_ng_per_l", &R::conc_mean),
            F<R>("load_mean_mg_per_day", &R::load_mean),
            F<R>("population", &R::population),
            S<R>("population_method", 16, &R::population_method),
            F<R>("pnl_mg_per_day_per_1000", &R::pnl_mean),
            F<R>("consumption_mg_per_day_per_1000", &R::consumption_mean),
            F<R>("doses_per_day_per_1000", &R::doses_mean),
            I64<R>("n_weekday", &R::n_weekday),
            F<R>("consumption_weekday", &R::consumption_weekday),
            I64<R>("n_weekend", &R::n_weekend),
            F<R>("consumption_weekend", &R::consumption_weekend),
            S<R>("censoring", 32, &R::censoring),
            F<R>("consumption_censored_low", &R::consumption_censored_low),
            F<R>("consumption_censored_high", &R::consumption_censored_high),
            S<R>("uncertainty", 16, &R::uncertainty),
            F<R>("consumption_mc_mean", &R::consumption_mc_mean),
            F<R>("consumption_sd", &R::consumption_sd),
            F<R>("consumption_median", &R::consumption_median),
            F<R>("consumption_lower", &R::consumption_lower),
            F<R>("consumption_upper", &R::consumption_upper),
            F<R>("threshold_watch", &R::threshold_watch),
            F<R>("p_exceed_watch", &R::p_exceed_watch),
            F<R>("threshold_alert", &R::threshold_alert),
            F<R>("p_exceed_alert", &R::p_exceed_alert),
            F<R>("detection_frequency", &R::detection_frequency),
            S<R>("censored_method", 16, &R::censored_method),
            F<R>("censored_mean", &R::censored_mean),
            F<R>("censored_median", &R::censored_median),
            S<R>("censored_note", 160, &R::censored_note),
            F<R>("screening_mean", &R::screening_mean),
            F<R>("screening_lower", &R::screening_lower),
            F<R>("screening_upper", &R::screening_upper),
            S<R>("value_kind", 16, [](const R& r) { return std::string(value_kind(r.site_kind, r.drug)); }, [](R&, std::string) {}),
            S<R>("model_set", 32, [model_set](const R&) { return model_set; }, [](R&, std::string) {}),
            I64_value<R>("run_id", run_id)};
}

const std::vector<field<campaign_batch>>& campaign_batch_fields() {
    using R = campaign_batch;
    static const std::vector<field<R>> f{S<R>("scope", 16, &R::scope),        S<R>("id", 64, &R::id),
                                         S<R>("campaign", 16, &R::campaign),  S<R>("analyte", 32, &R::analyte),
                                         S<R>("batch_id", 64, &R::batch_id),  S<R>("batch_hash", 32, &R::batch_hash)};
    return f;
}

const std::vector<field<group_summary>>& summary_fields() {
    using R = group_summary;
    static const std::vector<field<R>> f{S<R>("group_kind", 16, &R::group_kind), S<R>("group", 64, &R::group),
                                         S<R>("analyte", 32, &R::analyte),       S<R>("campaign", 16, &R::campaign),
                                         S<R>("metric", 16, &R::metric),         I64<R>("n", &R::n),
                                         I64<R>("n_censored", &R::n_censored),   F<R>("detection_frequency", &R::detection_frequency),
                                         S<R>("method", 16, &R::method),         F<R>("mean", &R::mean),
                                         F<R>("median", &R::median),             S<R>("note", 160, &R::note)};
    return f;
}

const std::vector<field<flag>>& flag_fields() {
    using R = flag;
    static const std::vector<field<R>> f{
        S<R>("site_id", 64, &R::site_id),
        S<R>("site_kind", 16, &R::site_kind),
        S<R>("drug", 32, &R::drug),
        S<R>("campaign", 16, &R::campaign),
        S<R>("date", 10, &R::date),
        S<R>("rule", 32, &R::rule),
        S<R>("level", 8, [](const R& r) { return std::string(to_string(r.level)); },
             [](R& r, std::string s) { if (!parse_flag_level(s, r.level)) r.level = flag_level::none; }),
        S<R>("certainty", 16, &R::certainty),
        F<R>("probability", &R::probability),
        F<R>("value", &R::value),
        F<R>("reference", &R::reference),
        S<R>("unit", 32, &R::unit),
        S<R>("explanation", 384, &R::explanation),
        I64<R>("run_id", &R::run_id),
        S<R>("config_hash", 32, &R::config_hash)};
    return f;
}

const std::vector<field<detection_record>>& detection_fields() {
    using R = detection_record;
    static const std::vector<field<R>> f{
        S<R>("site_id", 64, &R::site_id),   S<R>("site_kind", 16, &R::site_kind), S<R>("drug", 32, &R::drug),
        S<R>("campaign", 16, &R::campaign), S<R>("detector", 32, &R::detector),   S<R>("metric", 16, &R::metric),
        F<R>("value", &R::value),           F<R>("expected", &R::expected),       F<R>("upper_bound", &R::upper_bound),
        F<R>("statistic", &R::statistic),   F<R>("p_value", &R::p_value),         S<R>("level", 16, &R::level),
        S<R>("reason", 256, &R::reason)};
    return f;
}

const std::vector<field<run_record>>& run_fields() {
    using R = run_record;
    static const std::vector<field<R>> f{
        I64<R>("run_id", &R::run_id),          S<R>("command", 16, &R::command),
        S<R>("started_at", 20, &R::started_at), S<R>("engine_version", 16, &R::engine_version),
        S<R>("config", 256, &R::config),        S<R>("config_hash", 32, &R::config_hash),
        S<R>("model_set", 32, &R::model_set),   S<R>("model_hash", 32, &R::model_hash),
        I64<R>("seed", &R::seed),               S<R>("uncertainty", 16, &R::uncertainty),
        I64<R>("draws", &R::draws),             F<R>("interval", &R::interval),
        I64<R>("n_daily", &R::n_daily),
        I64<R>("n_campaign", &R::n_campaign),   I64<R>("n_flags", &R::n_flags),
        S<R>("unconfirmed", 1024, &R::unconfirmed), S<R>("summary", 512, &R::summary),
        S<R>("populations", 512, &R::populations)};
    return f;
}

void write_string_attr(H5::H5File& f, const std::string& name, const std::string& value) {
    H5::StrType t(H5::PredType::C_S1, std::max<std::size_t>(1, value.size()));
    H5::Attribute a = f.createAttribute(name, t, H5::DataSpace(H5S_SCALAR));
    a.write(t, value);  // an empty value is one NUL byte (HDF5 has no zero-size strings)
}

std::string read_string_attr(H5::H5File& f, const std::string& name) {
    if (!f.attrExists(name)) return {};
    H5::Attribute a = f.openAttribute(name);
    std::string out;
    a.read(a.getStrType(), out);
    if (out == " ") out.clear();  // stores written by 0.1.0 padded an empty value to one space
    return out;
}

// HDF5 prints its error stack to stderr unless told not to, and a thread-safe libhdf5 (Debian's)
// keeps that setting per thread: silence it on each thread that touches a store.
void quiet_hdf5() {
    thread_local bool quiet = false;
    if (!quiet) {
        H5::Exception::dontPrint();
        quiet = true;
    }
}

[[noreturn]] void rethrow_hdf5(const std::string& path, const H5::Exception& e, const std::string& doing) {
    throw store_error(path + ": " + doing + " failed: " + e.getDetailMsg());
}

void fsync_path(const std::string& path, bool directory) {
    const int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd < 0) return;
    ::fsync(fd);
    ::close(fd);
}

}  // namespace

const std::vector<std::string>& store_tables() {
    static const std::vector<std::string> t{"batches",     "samples",   "sites",    "flows",        "water_quality",
                                            "estimates_daily", "estimates_campaign", "campaign_batches", "populations", "summaries",
                                            "detections",  "flags",     "flag_history", "runs"};
    return t;
}

std::string utc_now() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

bool store_exists(const std::string& path) { return fs::exists(path); }

store_lock::store_lock(const std::string& store_path) {
    const std::string lock_path = store_path + ".lock";
    if (const auto dir = fs::path(store_path).parent_path(); !dir.empty()) {
        std::error_code ec;
        fs::create_directories(dir, ec);
    }
    fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw store_error(lock_path + ": cannot open the store lock: " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        char buf[32] = {0};
        const ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
        ::close(fd_);
        fd_ = -1;
        throw store_error(store_path + ": store is locked by pid " + (n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "?") +
                          " (another wbe is writing it); try again when it has finished");
    }
    const std::string pid = std::to_string(::getpid());
    if (::ftruncate(fd_, 0) == 0) {
        [[maybe_unused]] const ssize_t w = ::pwrite(fd_, pid.data(), pid.size(), 0);
    }
}

store_lock::~store_lock() {
    if (fd_ >= 0) {
        ::flock(fd_, LOCK_UN);
        ::close(fd_);
    }
}

store_contents read_store(const std::string& path) {
    quiet_hdf5();
    if (!fs::exists(path)) throw store_error(path + ": no store here (create one with `wbe init` or `wbe ingest`)");
    if (H5::H5File::isHdf5(path) <= 0) throw store_error(path + ": not an HDF5 file (is it a wbe store?)");
    store_contents c;
    try {
        H5::H5File f(path, H5F_ACC_RDONLY);
        if (!f.attrExists("schema_version")) throw store_error(path + ": not a wbe store (no schema_version attribute)");
        int version = 0;
        f.openAttribute("schema_version").read(H5::PredType::NATIVE_INT, &version);
        if (version > store_schema_version)
            throw store_error(path + ": store has schema version " + std::to_string(version) + ", newer than this engine reads (" +
                              std::to_string(store_schema_version) + "); upgrade wbe");
        if (version < 1) throw store_error(path + ": invalid schema_version " + std::to_string(version));
        c.schema_version = version;
        c.city = read_string_attr(f, "city");
        c.batches = read_table(f, "batches", batch_fields());
        c.samples = read_table(f, "samples", sample_fields());
        c.sites = read_table(f, "sites", site_fields());
        c.flows = read_table(f, "flows", flow_fields());
        c.water_quality = read_table(f, "water_quality", water_quality_fields());
        c.estimates_model_set = read_string_attr(f, "estimates_model_set");
        if (f.attrExists("estimates_run_id"))
            f.openAttribute("estimates_run_id").read(H5::PredType::NATIVE_INT64, &c.estimates_run_id);
        c.daily = read_table(f, "estimates_daily", daily_fields(c.estimates_model_set, c.estimates_run_id));
        c.campaigns = read_table(f, "estimates_campaign", campaign_fields(c.estimates_model_set, c.estimates_run_id));
        c.campaign_batches = read_table(f, "campaign_batches", campaign_batch_fields());
        c.populations = read_table(f, "populations", population_fields());
        c.summaries = read_table(f, "summaries", summary_fields());
        c.detections = read_table(f, "detections", detection_fields());
        c.flags = read_table(f, "flags", flag_fields());
        c.flag_history = read_table(f, "flag_history", flag_fields());
        c.runs = read_table(f, "runs", run_fields());
    } catch (const H5::Exception& e) {
        rethrow_hdf5(path, e, "reading the store");
    }
    return c;
}

raw_table read_raw_table(const std::string& path, const std::string& table) {
    quiet_hdf5();
    const auto& known = store_tables();
    if (std::find(known.begin(), known.end(), table) == known.end()) {
        std::string list;
        for (const auto& t : known) list += (list.empty() ? "" : ", ") + t;
        throw store_error("unknown table '" + table + "' (tables: " + list + ")");
    }
    if (!fs::exists(path)) throw store_error(path + ": no store here (create one with `wbe init` or `wbe ingest`)");
    if (H5::H5File::isHdf5(path) <= 0) throw store_error(path + ": not an HDF5 file (is it a wbe store?)");
    raw_table out;
    out.name = table;
    try {
        H5::H5File f(path, H5F_ACC_RDONLY);
        if (!H5Lexists(f.getId(), table.c_str(), H5P_DEFAULT)) return out;
        H5::DataSet ds = f.openDataSet(table);
        const H5::DataSpace space = ds.getSpace();
        if (space.getSimpleExtentNdims() != 1) throw store_error(path + ": table " + table + " is not 1-D");
        hsize_t n = 0;
        space.getSimpleExtentDims(&n);
        out.rows = n;
        // One read of every column through one packed memory type (members matched by name),
        // then the rows sliced into columns: a read per member would pass over the table once
        // per column.
        const H5::CompType file_type = ds.getCompType();
        check_table(path, table, n, file_type);
        const int members = file_type.getNmembers();
        struct member {
            std::size_t offset, width;
        };
        std::vector<member> layout;
        std::size_t row_size = 0;
        for (int m = 0; m < members; ++m) {
            column_data c;
            c.name = file_type.getMemberName(static_cast<unsigned>(m));
            const H5T_class_t cls = file_type.getMemberClass(static_cast<unsigned>(m));
            if (cls == H5T_FLOAT) {
                c.kind = column_data::type::number;
                layout.push_back({row_size, sizeof(double)});
            } else if (cls == H5T_INTEGER) {
                c.kind = column_data::type::integer;
                layout.push_back({row_size, sizeof(std::int64_t)});
            } else if (cls == H5T_STRING) {
                c.kind = column_data::type::text;
                layout.push_back({row_size, file_type.getMemberStrType(static_cast<unsigned>(m)).getSize()});
            } else {
                continue;
            }
            row_size += layout.back().width;
            out.columns.push_back(std::move(c));
        }
        if (out.columns.empty() || n == 0) return out;
        H5::CompType mem(row_size);
        for (std::size_t i = 0; i < out.columns.size(); ++i) {
            const column_data& c = out.columns[i];
            if (c.kind == column_data::type::number) {
                mem.insertMember(c.name, layout[i].offset, H5::PredType::NATIVE_DOUBLE);
            } else if (c.kind == column_data::type::integer) {
                mem.insertMember(c.name, layout[i].offset, H5::PredType::NATIVE_INT64);
            } else {
                H5::StrType st(H5::PredType::C_S1, layout[i].width);
                st.setStrpad(H5T_STR_NULLPAD);
                mem.insertMember(c.name, layout[i].offset, st);
            }
        }
        std::vector<char> buf(static_cast<std::size_t>(n) * row_size);
        ds.read(buf.data(), mem);
        for (std::size_t i = 0; i < out.columns.size(); ++i) {
            column_data& c = out.columns[i];
            const member& l = layout[i];
            if (c.kind == column_data::type::number) {
                c.numbers.resize(n);
                for (hsize_t r = 0; r < n; ++r) std::memcpy(&c.numbers[r], buf.data() + r * row_size + l.offset, sizeof(double));
            } else if (c.kind == column_data::type::integer) {
                c.integers.resize(n);
                for (hsize_t r = 0; r < n; ++r)
                    std::memcpy(&c.integers[r], buf.data() + r * row_size + l.offset, sizeof(std::int64_t));
            } else {
                c.texts.reserve(n);
                for (hsize_t r = 0; r < n; ++r) c.texts.push_back(get_string(buf.data() + r * row_size + l.offset, l.width));
            }
        }
    } catch (const H5::Exception& e) {
        rethrow_hdf5(path, e, "reading table " + table);
    }
    return out;
}

namespace {

// `<store>.tmp-<pid>`: where a write prepares the new store before replacing the old one.
std::string temporary_beside(const std::string& path) { return path + ".tmp-" + std::to_string(::getpid()); }

void create_folder_of(const std::string& path) {
    const fs::path target(path);
    if (target.parent_path().empty()) return;
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    if (ec) throw store_error(path + ": cannot create the store's folder: " + ec.message());
}

// The last step of every write: the finished temporary file is flushed to disk and renamed over
// the store (atomic: a reader sees the old or the new file), then the folder entry is flushed.
void replace_store(const std::string& tmp, const std::string& path) {
    const fs::path target(path);
    fsync_path(tmp, false);
    if (std::rename(tmp.c_str(), path.c_str()) != 0) throw store_error(path + ": cannot replace the store: " + std::strerror(errno));
    fsync_path(target.parent_path().empty() ? std::string(".") : target.parent_path().string(), true);
    // Temporary files of writers that were killed before their rename: the caller holds the
    // store lock, so no other writer is active and every `<store>.tmp-<pid>` left is stale.
    const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
    const std::string prefix = target.filename().string() + ".tmp-";
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.path().filename().string().rfind(prefix, 0) == 0) fs::remove(e.path(), ec);
}

// Runs `write` on the temporary file, then replaces the store with it; on any failure the
// temporary goes and the store is untouched.
template <class Write>
void write_via_temporary(const std::string& path, Write&& write) {
    const std::string tmp = temporary_beside(path);
    try {
        write(tmp);
        replace_store(tmp, path);
    } catch (const H5::Exception& e) {
        std::error_code ec;
        fs::remove(tmp, ec);
        rethrow_hdf5(path, e, "writing the store");
    } catch (...) {
        std::error_code ec;
        fs::remove(tmp, ec);
        throw;
    }
}

}  // namespace

void write_store(const std::string& path, const store_contents& c) {
    quiet_hdf5();
    create_folder_of(path);
    write_via_temporary(path, [&](const std::string& tmp) {
        H5::H5File f(tmp, H5F_ACC_TRUNC);
        const int version = store_schema_version;
        f.createAttribute("schema_version", H5::PredType::NATIVE_INT, H5::DataSpace(H5S_SCALAR))
            .write(H5::PredType::NATIVE_INT, &version);
        write_string_attr(f, "engine_version", engine_version);
        write_string_attr(f, "city", c.city);
        write_string_attr(f, "estimates_model_set", c.estimates_model_set);
        f.createAttribute("estimates_run_id", H5::PredType::NATIVE_INT64, H5::DataSpace(H5S_SCALAR))
            .write(H5::PredType::NATIVE_INT64, &c.estimates_run_id);
        write_table(f, "batches", batch_fields(), c.batches);
        write_table(f, "samples", sample_fields(), c.samples);
        write_table(f, "sites", site_fields(), c.sites);
        write_table(f, "flows", flow_fields(), c.flows);
        write_table(f, "water_quality", water_quality_fields(), c.water_quality);
        write_table(f, "estimates_daily", daily_fields(c.estimates_model_set, c.estimates_run_id), c.daily);
        write_table(f, "estimates_campaign", campaign_fields(c.estimates_model_set, c.estimates_run_id), c.campaigns);
        write_table(f, "campaign_batches", campaign_batch_fields(), c.campaign_batches);
        write_table(f, "populations", population_fields(), c.populations);
        write_table(f, "summaries", summary_fields(), c.summaries);
        write_table(f, "detections", detection_fields(), c.detections);
        write_table(f, "flags", flag_fields(), c.flags);
        write_table(f, "flag_history", flag_fields(), c.flag_history);
        write_table(f, "runs", run_fields(), c.runs);
        f.flush(H5F_SCOPE_GLOBAL);
    });
}

bool stored_alike(const site& a, const site& b) {
    const auto& fields = site_fields();
    std::vector<std::size_t> off;
    const H5::CompType type = make_type(fields, off);
    return pack_rows(fields, off, type.getSize(), std::vector<site>{a}) == pack_rows(fields, off, type.getSize(), std::vector<site>{b});
}

void append_store(const std::string& path, const store_rows& rows) {
    quiet_hdf5();
    if (!fs::exists(path)) throw store_error(path + ": no store here to append to");
    if (H5::H5File::isHdf5(path) <= 0) throw store_error(path + ": not an HDF5 file (is it a wbe store?)");
    write_via_temporary(path, [&](const std::string& tmp) {
        // The file's bytes as they are (no decompression), then the rows appended in place.
        std::error_code ec;
        fs::copy_file(path, tmp, fs::copy_options::overwrite_existing, ec);
        if (ec) throw store_error(path + ": cannot copy the store to " + tmp + ": " + ec.message());
        H5::H5File f(tmp, H5F_ACC_RDWR);
        int version = 0;
        if (f.attrExists("schema_version")) f.openAttribute("schema_version").read(H5::PredType::NATIVE_INT, &version);
        if (version != store_schema_version)
            throw store_error(path + ": store has schema version " + std::to_string(version) + "; appending needs version " +
                              std::to_string(store_schema_version) + " (run `wbe migrate " + path + "`)");
        append_table(f, "batches", batch_fields(), rows.batches);
        append_table(f, "samples", sample_fields(), rows.samples);
        append_table(f, "sites", site_fields(), rows.sites);
        append_table(f, "flows", flow_fields(), rows.flows);
        append_table(f, "water_quality", water_quality_fields(), rows.water_quality);
        append_table(f, "runs", run_fields(), rows.runs);
        if (f.attrExists("engine_version")) f.removeAttr("engine_version");
        write_string_attr(f, "engine_version", engine_version);
        f.flush(H5F_SCOPE_GLOBAL);
    });
}

}  // namespace wbe::io
