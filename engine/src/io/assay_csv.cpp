#include "wbe/io/assay_csv.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <utility>

#include <xxhash.h>

#include "text_fields.hpp"
#include "wbe/core/errors.hpp"
#include "wbe/core/units.hpp"
#include "wbe/io/csv.hpp"

namespace wbe::io {

namespace {

enum col : std::size_t {
    c_batch_id, c_sample_id, c_site_id, c_sample_date, c_analyte, c_value, c_unit, c_qualifier, c_lod, c_loq,
    c_method_id, c_lab_id, c_recovery_pct, c_sample_type, c_notes
};
const std::vector<std::string_view> required_columns{"batch_id", "sample_id", "site_id", "sample_date", "analyte",
                                                     "value",    "unit",      "qualifier", "lod",       "loq"};
const std::vector<std::string_view> optional_columns{"method_id", "lab_id", "recovery_pct", "sample_type", "notes"};

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr std::size_t n_columns = c_notes + 1;

/// Fewer bytes than any row that yields a result takes (nine commas and a date alone are 19),
/// so that the results reserved for a text with many blank lines stay bounded by its size.
constexpr std::size_t min_row_bytes = 16;

/// Room for the results of `text`: at most one row per line break.
std::size_t rows_at_most(std::string_view text) noexcept {
    return std::min(detail::count_line_feeds(text), text.size() / min_row_bytes) + 1;
}

/// a == b, inline and from the end: the fields compared on every row are short, and sample
/// ids differ in their last bytes after a long shared prefix (calls to memcmp for these
/// compares were ~8 % of the reader's profile).
bool same_text(std::string_view a, std::string_view b) noexcept {
    std::size_t i = a.size();
    if (i != b.size()) return false;
    for (; i >= 8; i -= 8) {
        std::uint64_t x, y;
        std::memcpy(&x, a.data() + i - 8, sizeof x);
        std::memcpy(&y, b.data() + i - 8, sizeof y);
        if (x != y) return false;
    }
    for (; i > 0; --i)
        if (a[i - 1] != b[i - 1]) return false;
    return true;
}

/// What a few spellings resolve to, remembered: a batch repeats a handful of analyte names,
/// units, qualifiers and dates on every row. The spelling last asked for is tried first, then
/// the one remembered after it (rows often cycle through the analytes of a sample in one
/// order). Past `capacity` spellings it resolves every further one afresh.
template <class T>
class spelling_memo {
public:
    template <class Resolve>
    T get(std::string_view spelling, Resolve&& resolve) {
        if (last_ < entries_.size() && same_text(entries_[last_].first, spelling)) return entries_[last_].second;
        if (last_ + 1 < entries_.size() && same_text(entries_[last_ + 1].first, spelling)) return entries_[++last_].second;
        for (std::size_t k = 0; k < entries_.size(); ++k) {
            if (same_text(entries_[k].first, spelling)) {
                last_ = k;
                return entries_[k].second;
            }
        }
        T v = resolve(spelling);
        if (entries_.size() < capacity) {
            last_ = entries_.size();
            entries_.emplace_back(std::string(spelling), v);
        }
        return v;
    }

private:
    static constexpr std::size_t capacity = 16;
    std::vector<std::pair<std::string, T>> entries_;
    std::size_t last_ = 0;
};

/// Entries keyed by an id, for the checks across rows: an open-addressing table (linear
/// probing, at most half full) of full hashes and indices into dense vectors of keys and
/// entries, so a lookup costs one hash and usually one probe. Indices stay valid as the table
/// grows; references do not.
template <class Entry>
class id_table {
public:
    /// The index of `id`'s entry, which is added (value-initialised) when `id` is new.
    std::size_t index_of(std::string_view id) {
        if (2 * (keys_.size() + 1) > slots_.size()) grow();
        const std::uint64_t hash = XXH3_64bits(id.data(), id.size());
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t s = hash & mask;; s = (s + 1) & mask) {
            slot& sl = slots_[s];
            if (sl.index == 0) {
                keys_.emplace_back(id);
                entries_.emplace_back();
                sl = {hash, keys_.size()};
                return keys_.size() - 1;
            }
            if (sl.hash == hash && same_text(keys_[sl.index - 1], id)) return sl.index - 1;
        }
    }
    Entry& operator[](std::size_t index) { return entries_[index]; }

private:
    struct slot {
        std::uint64_t hash = 0;
        std::size_t index = 0;  ///< 1-based; 0: empty
    };
    void grow() {
        std::vector<slot> old(std::max<std::size_t>(64, 2 * slots_.size()));
        old.swap(slots_);
        const std::size_t mask = slots_.size() - 1;
        for (const slot& sl : old) {
            if (sl.index == 0) continue;
            std::size_t s = sl.hash & mask;
            while (slots_[s].index != 0) s = (s + 1) & mask;
            slots_[s] = sl;
        }
    }

    std::vector<slot> slots_;  // a power of two in size
    std::vector<std::string> keys_;
    std::vector<Entry> entries_;
};

/// The rules of one row and the checks across the rows of a batch, fed one record at a time.
/// The state across rows owns its text, so that the records may come from a buffer that is
/// refilled between calls (see forget_last).
class batch_rows {
public:
    batch_rows(const detail::header_map& h, std::size_t n_fields, const std::string& source,
               const assay_read_options& opt, assay_batch& batch)
        : h_(h), n_fields_(n_fields), source_(source), opt_(opt), batch_(batch) {
        for (std::size_t c = 0; c < n_columns; ++c)
            if (h_.index[c] >= 0) present_.emplace_back(c, static_cast<std::size_t>(h_.index[c]));
    }

    /// Checks one record and keeps its result when it breaks no rule; problems go to `errs`.
    void add(const std::vector<std::string_view>& fields, std::size_t line, diagnostics_collector& errs);

    /// Drops the views kept from the last row, before the text they point into changes.
    void forget_last() noexcept {
        last_site_ = {};
        last_sample_ = {};
        last_seen_ = none;
    }

private:
    static constexpr std::size_t none = std::numeric_limits<std::size_t>::max();
    // Rows seen per sample id: where the sample's site and date were first given, and its
    // analytes (a chain through `analytes_seen_`, newest first).
    struct sample_seen {
        std::size_t line = 0;  ///< 0: site and date not seen yet
        std::string site;
        day_number day = 0;
        std::size_t newest_analyte = none;
    };
    struct analyte_seen {
        const residue_model* model;
        std::size_t line;
        std::size_t previous;
    };

    [[nodiscard]] location at(std::size_t line, std::size_t column) const { return location{source_, line, column}; }

    const detail::header_map& h_;
    std::size_t n_fields_;
    const std::string& source_;
    const assay_read_options& opt_;
    assay_batch& batch_;
    std::vector<std::pair<std::size_t, std::size_t>> present_;  // (column, field position)
    std::array<std::string_view, n_columns> trimmed_{};  // the row's fields by column, trimmed

    id_table<sample_seen> seen_samples_;
    std::vector<analyte_seen> analytes_seen_;
    std::size_t batch_line_ = 0;
    spelling_memo<const residue_model*> analytes_;
    spelling_memo<std::optional<concentration_unit>> units_;
    spelling_memo<std::optional<qualifier>> qualifiers_;
    spelling_memo<std::optional<day_number>> dates_;
    // Rows of a sample usually follow each other: the last sample and site looked up are kept
    // at hand (views into the current text).
    std::string_view last_site_;
    bool last_site_exists_ = false;
    std::string_view last_sample_;
    std::size_t last_seen_ = none;
};

void batch_rows::add(const std::vector<std::string_view>& fields, std::size_t line, diagnostics_collector& errs) {
    if (fields.size() != n_fields_) {
        // The column of the first missing field, or of the first field in excess.
        errs.add(at(line, std::min(fields.size(), n_fields_) + 1), "", "",
                 "row has " + std::to_string(fields.size()) + " fields, the header has " + std::to_string(n_fields_));
        return;
    }
    for (const auto& [c, i] : present_) trimmed_[c] = detail::trim(fields[i]);
    const auto field = [&](col c) { return trimmed_[c]; };
    const auto where = [&](col c) { return at(line, static_cast<std::size_t>(h_.index[c]) + 1); };
    const auto name = [](col c) {
        return std::string(c < required_columns.size() ? required_columns[c] : optional_columns[c - required_columns.size()]);
    };
    const std::size_t before = errs.size();
    const auto fail = [&](col c, std::string rule) { errs.add(where(c), name(c), std::string(field(c)), std::move(rule)); };

    assay_result& res = batch_.results.emplace_back();
    res.conc.lod = nan;
    res.conc.loq = nan;
    // identifiers
    for (col c : {c_batch_id, c_sample_id, c_site_id}) {
        if (field(c).empty()) fail(c, name(c) + " must not be empty");
        else if (field(c).size() > max_id_length) fail(c, name(c) + " is longer than " + std::to_string(max_id_length) + " characters");
    }
    const std::string_view sample = field(c_sample_id);
    const std::string_view site = field(c_site_id);
    res.batch_id = field(c_batch_id);
    res.sample_id = sample;
    res.site_id = site;
    if (!res.batch_id.empty()) {
        if (batch_.batch_id.empty()) {
            batch_.batch_id = res.batch_id;
            batch_line_ = line;
        } else if (!same_text(res.batch_id, batch_.batch_id)) {
            fail(c_batch_id, "a batch file holds one batch_id; line " + std::to_string(batch_line_) + " has " + batch_.batch_id);
        }
    }
    if (!site.empty() && opt_.site_exists) {
        if (!same_text(site, last_site_)) {
            last_site_ = site;
            last_site_exists_ = opt_.site_exists(site);
        }
        if (!last_site_exists_) fail(c_site_id, "unknown site (not in the sites table)");
    }

    // date
    const auto day = dates_.get(field(c_sample_date), [](std::string_view t) { return parse_iso_date(t); });
    if (!day) fail(c_sample_date, "sample_date must be a calendar date written YYYY-MM-DD");
    else res.day = *day;

    // analyte
    const residue_model* model =
        opt_.models ? analytes_.get(field(c_analyte), [&](std::string_view t) { return opt_.models->find(t); }) : nullptr;
    if (!model) fail(c_analyte, "unknown analyte (not in the model library" +
                                    (opt_.models ? " '" + opt_.models->name + "'" : std::string()) + ")");
    else res.analyte = model->residue;

    // unit
    const auto unit = units_.get(field(c_unit), [](std::string_view t) { return parse_concentration_unit(t); });
    if (!unit) fail(c_unit, "unit must be ng/L or ug/L");
    const double scale = unit ? ng_per_l_in(*unit) : nan;

    // limits
    const auto limit = [&](col c) -> double {
        const std::string_view t = field(c);
        if (t.empty()) return nan;
        const auto v = detail::parse_number(t);
        if (!v) {
            fail(c, detail::looks_non_finite(t) ? name(c) + " must be a finite number" : name(c) + " must be a number");
            return nan;
        }
        if (!(*v > 0.0)) {
            fail(c, name(c) + " must be > 0");
            return nan;
        }
        return *v * scale;
    };
    const double lod = limit(c_lod);
    const double loq = limit(c_loq);
    if (!std::isnan(lod) && !std::isnan(loq) && loq < lod) fail(c_loq, "loq must be >= lod (" + std::string(field(c_lod)) + ")");

    // qualifier and value
    auto qual = qualifiers_.get(field(c_qualifier), [](std::string_view t) { return parse_qualifier(t); });
    if (!qual) fail(c_qualifier, "qualifier must be empty (detected), <LOD, <LOQ, ND or >ULOQ");
    const std::string_view vt = field(c_value);
    double value = nan;
    bool censored_shorthand = false;
    if (vt.empty()) {
        if (qual && *qual == qualifier::detected) fail(c_value, "value is empty but the qualifier says detected (write <LOQ, <LOD or ND)");
    } else if (vt == "ND" || vt == "nd" || vt == "n.d.") {
        censored_shorthand = true;
        if (qual && *qual != qualifier::detected && *qual != qualifier::below_lod)
            fail(c_value, "ND contradicts qualifier " + std::string(field(c_qualifier)));
        else qual = qualifier::below_lod;
    } else if (vt.front() == '<') {
        censored_shorthand = true;
        const auto x = detail::parse_number(vt.substr(1));
        if (!x || !(*x > 0.0)) {
            fail(c_value, "a censored value is written <limit with a positive limit");
        } else if (qual && *qual == qualifier::above_uloq) {
            fail(c_value, "<limit contradicts qualifier >ULOQ");
        } else {
            const double lim = *x * scale;
            qualifier q = qual && *qual != qualifier::detected ? *qual
                          : (!std::isnan(lod) && lim <= lod * (1 + 1e-12)) ? qualifier::below_lod
                                                                            : qualifier::below_loq;
            qual = q;
            if (q == qualifier::below_lod && std::isnan(lod)) res.conc.lod = lim;
            if (q == qualifier::below_loq && std::isnan(loq)) res.conc.loq = lim;
        }
    } else {
        const auto v = detail::parse_number(vt);
        if (!v) {
            fail(c_value, detail::looks_non_finite(vt) ? "value must be a finite number" : "value must be a number, <limit, ND or empty");
        } else if (*v < 0.0) {
            fail(c_value, "value must be >= 0");
        } else if (*v == 0.0 && opt_.zero_means_below_loq && qual && *qual == qualifier::detected) {
            censored_shorthand = true;
            qual = qualifier::below_loq;
            if (std::isnan(loq)) fail(c_loq, "with zero_means_below_loq a 0 reads as <LOQ and needs its loq");
        } else {
            value = *v * scale;
        }
    }

    if (!std::isnan(lod)) res.conc.lod = lod;
    if (!std::isnan(loq)) res.conc.loq = loq;
    if (qual) {
        res.conc.qual = *qual;
        if (errs.size() == before) {
            const bool censored = *qual == qualifier::below_lod || *qual == qualifier::below_loq;
            if (censored && !censored_shorthand && !std::isnan(value)) {
                // A value reported beside a censoring qualifier must agree with it.
                const double lim = *qual == qualifier::below_lod ? res.conc.lod : res.conc.loq;
                if (!std::isnan(lim) && value >= lim)
                    fail(c_value, "value is not below the " + std::string(*qual == qualifier::below_lod ? "lod" : "loq") +
                                      " although the qualifier is " + std::string(field(c_qualifier)));
            }
            if (*qual == qualifier::below_lod && std::isnan(res.conc.lod))
                fail(c_lod, "a <LOD value needs its lod");
            if (*qual == qualifier::below_loq && std::isnan(res.conc.loq))
                fail(c_loq, "a <LOQ value needs its loq");
            if (*qual == qualifier::detected && !std::isnan(value) && !std::isnan(res.conc.lod) && value < res.conc.lod)
                fail(c_value, "a detected value must not be below its lod (" + std::string(field(c_lod)) + ")");
            if (*qual == qualifier::above_uloq && std::isnan(value))
                fail(c_value, "a >ULOQ value needs the upper limit as its value");
            res.conc.value = censored ? nan : value;
        }
    }

    // optional columns
    res.method_id = field(c_method_id);
    res.lab_id = field(c_lab_id);
    res.sample_type = field(c_sample_type);
    res.notes = field(c_notes);
    for (col c : {c_method_id, c_lab_id, c_sample_type})
        if (field(c).size() > max_id_length) fail(c, name(c) + " is longer than " + std::to_string(max_id_length) + " characters");
    if (!field(c_recovery_pct).empty()) {
        const auto v = detail::parse_number(field(c_recovery_pct));
        if (!v || !(*v > 0.0 && *v <= 200.0)) fail(c_recovery_pct, "recovery_pct must be a number in (0, 200]");
        else res.recovery_pct = *v;
    }

    // consistency across rows
    const bool analyte_known = !sample.empty() && model;
    const bool place_known = !sample.empty() && !site.empty() && day;
    if (analyte_known || place_known) {
        if (last_seen_ == none || !same_text(sample, last_sample_)) {
            last_seen_ = seen_samples_.index_of(sample);
            last_sample_ = sample;
        }
        sample_seen& seen = seen_samples_[last_seen_];
        if (analyte_known) {
            std::size_t first = 0;
            for (std::size_t k = seen.newest_analyte; k != none && !first; k = analytes_seen_[k].previous)
                if (analytes_seen_[k].model == model || analytes_seen_[k].model->residue == model->residue)
                    first = analytes_seen_[k].line;
            if (first)
                errs.add(where(c_analyte), "sample_id, analyte", res.sample_id + ", " + std::string(field(c_analyte)),
                     "duplicate row: the same sample and analyte are on line " + std::to_string(first));
            else {
                analytes_seen_.push_back({model, line, seen.newest_analyte});
                seen.newest_analyte = analytes_seen_.size() - 1;
            }
        }
        if (place_known) {
            if (seen.line == 0) {
                seen.line = line;
                seen.site = site;
                seen.day = res.day;
            } else if (!same_text(seen.site, site) || seen.day != res.day) {
                fail(c_sample_id, "sample has another site or date on line " + std::to_string(seen.line));
            }
        }
    }

    if (errs.size() != before) batch_.results.pop_back();
}

}  // namespace

assay_batch parse_assay_batch(std::string_view text, const std::string& source, const assay_read_options& opt) {
    diagnostics_collector file_errs;  // the file's shape: encoding, quoting, header

    assay_batch batch;
    batch.source = source;
    batch.content_hash = detail::content_hash(text);

    detail::check_encoding(text, source, file_errs);
    csv_reader reader(text);
    const detail::csv_header header = detail::read_header(reader, source, required_columns, optional_columns, file_errs);
    std::vector<std::string_view> fields;
    std::size_t line = 0;
    if (!reader.next(fields, line)) {
        detail::add_problems(reader.problems(), source, file_errs);
        file_errs.add({source, header.line + 1, 0}, "", "", "no data rows after the header");
        file_errs.throw_if_any();
    }
    batch.results.reserve(rows_at_most(text));  // rows are built in place

    batch_rows rows(header.map, header.fields.size(), source, opt, batch);
    diagnostics_collector errs;  // the rows' own problems, reported after the file's
    do {
        rows.add(fields, line, errs);
    } while (reader.next(fields, line));

    if (!reader.problems().empty() || !errs.empty()) {
        detail::add_problems(reader.problems(), source, file_errs);
        for (const diagnostic& d : errs.items()) file_errs.add(d);
        file_errs.throw_if_any();
    }
    return batch;
}

namespace {

/// The rows of a file being read, from the densest of its parts in line feeds per byte: the
/// first chunk (`head`) and samples of 64 KiB at its middle, three quarters and end, so that a
/// file whose first rows are longer than the rest (as when they name longer site ids) is not
/// underestimated; plus a sixteenth, and never more than the file's size allows. Results are
/// built in place in a vector of this capacity: one too small would move every result when it
/// grows. Leaves `in` where it was.
std::size_t estimate_rows(std::ifstream& in, std::string_view head, std::uintmax_t file_size) {
    double density = static_cast<double>(detail::count_line_feeds(head) + 1) / static_cast<double>(head.size());
    const auto resume = in.tellg();
    std::vector<char> sample(std::size_t{1} << 16);
    for (const std::uintmax_t at : {file_size / 2, file_size / 4 * 3, file_size - std::min<std::uintmax_t>(file_size, sample.size())}) {
        in.seekg(static_cast<std::streamoff>(at));
        in.read(sample.data(), static_cast<std::streamsize>(sample.size()));
        const auto got = static_cast<std::size_t>(in.gcount());
        in.clear();
        if (got > 0)
            density = std::max(density, static_cast<double>(detail::count_line_feeds({sample.data(), got})) / static_cast<double>(got));
    }
    in.seekg(resume);
    const double rows = density * static_cast<double>(file_size);
    return std::min(static_cast<std::size_t>(rows + rows / 16), static_cast<std::size_t>(file_size / min_row_bytes)) + 16;
}

/// read_assay_batch's way for a file without problems: the file read a chunk at a time into
/// one buffer, each chunk cut after its last complete record and split, checked and hashed
/// while it is in cache. A batch of 10^6 rows is 110 MB of text: holding it whole means as
/// much fresh memory (page faults, zeroing) and passes over it from main memory; chunks of
/// 256 KiB made the reader ~6 % faster at that size. At the first problem of
/// any kind (encoding, quoting, header, any rule of any row) it gives up and returns nothing,
/// and the caller reads the file whole with parse_assay_batch, which reports every problem of
/// the file in its order. So a file this returns a batch for is one parse_assay_batch accepts,
/// with the same results and hash.
///
/// The cut: after the last line feed outside quotes, counting quotes from the start of the
/// chunk (which is the start of a record). A `""` escape toggles twice; a quote that breaks
/// the quoting rules can put the count off, but only after that quote, which the reader of
/// the chunk that holds it reports (it reads that chunk from a true record start), so a wrong
/// cut never goes unnoticed.
std::optional<assay_batch> read_clean_batch(const std::string& path, const assay_read_options& opt) {
    std::ifstream in(path, std::ios::binary);
    std::error_code ec;
    const auto file_size = std::filesystem::file_size(path, ec);
    if (!in || ec) return std::nullopt;

    assay_batch batch;
    batch.source = path;
    detail::content_hasher hash;
    diagnostics_collector errs;  // any problem ends this way of reading
    std::vector<char> buffer(std::size_t{1} << 18);
    std::size_t held = 0;  // bytes in the buffer: an incomplete record carried over, then new ones
    std::size_t line = 1;
    bool first = true, end = false;
    detail::header_map header;
    std::size_t header_fields = 0;
    std::optional<batch_rows> rows;
    std::vector<std::string_view> fields;
    std::size_t records = 0;
    try {
        while (!end) {
            if (held == buffer.size()) buffer.resize(2 * buffer.size());  // a record longer than the buffer
            in.read(buffer.data() + held, static_cast<std::streamsize>(buffer.size() - held));
            const auto got = static_cast<std::size_t>(in.gcount());
            if (in.bad()) return std::nullopt;
            hash.update({buffer.data() + held, got});
            held += got;
            end = !in;

            std::size_t cut = held;
            if (!end) {
                const std::string_view all(buffer.data(), held);
                if (all.find('"') == std::string_view::npos) {
                    const std::size_t lf = all.rfind('\n');
                    cut = lf == std::string_view::npos ? 0 : lf + 1;
                } else {
                    cut = 0;
                    bool quoted = false;
                    for (std::size_t i = 0; i < held; ++i) {
                        if (all[i] == '"') quoted = !quoted;
                        else if (all[i] == '\n' && !quoted) cut = i + 1;
                    }
                }
                if (cut == 0) continue;  // not one whole record yet
            }
            const std::string_view text(buffer.data(), cut);
            detail::check_encoding(text, path, errs);
            csv_reader reader = first ? csv_reader(text) : csv_reader(text, line);
            if (first) {
                const detail::csv_header h = detail::read_header(reader, path, required_columns, optional_columns, errs);
                header = h.map;
                header_fields = h.fields.size();
                rows.emplace(header, header_fields, path, opt, batch);
                batch.results.reserve(end ? rows_at_most(text) : estimate_rows(in, text, file_size));
                first = false;
            }
            while (reader.next(fields, line)) {
                ++records;
                rows->add(fields, line, errs);
                if (!errs.empty()) return std::nullopt;
            }
            if (!reader.problems().empty()) return std::nullopt;
            line = reader.line();
            rows->forget_last();
            std::memmove(buffer.data(), buffer.data() + cut, held - cut);
            held -= cut;
        }
    } catch (const input_error&) {
        return std::nullopt;
    }
    if (records == 0) return std::nullopt;  // no data rows: reported by the whole-file way
    batch.content_hash = hash.hex();
    return batch;
}

}  // namespace

assay_batch read_assay_batch(const std::string& path, const assay_read_options& options) {
    if (auto batch = read_clean_batch(path, options)) return std::move(*batch);
    return parse_assay_batch(detail::read_bytes(path).text(), path, options);
}

}  // namespace wbe::io
