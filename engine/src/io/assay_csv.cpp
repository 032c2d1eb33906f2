#include "wbe/io/assay_csv.hpp"

#include <cmath>
#include <limits>
#include <map>
#include <tuple>

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

}  // namespace

assay_batch parse_assay_batch(std::string_view text, const std::string& source, const assay_read_options& opt) {
    diagnostics_collector errs;
    const auto at = [&](std::size_t line, std::size_t column) { return location{source, line, column}; };

    assay_batch batch;
    batch.source = source;
    batch.content_hash = detail::content_hash(text);

    const detail::checked_csv table = detail::open_csv(text, source, required_columns, optional_columns, errs);
    const csv_document& doc = table.doc;
    const csv_record& header = table.header_record();
    const detail::header_map& h = table.header;
    if (doc.records.size() == 1) {
        errs.add(at(header.line + 1, 0), "", "", "no data rows after the header");
        errs.throw_if_any();
    }

    struct first_seen {
        std::size_t line;
        std::string site;
        day_number day;
    };
    std::map<std::pair<std::string, std::string>, std::size_t> seen_pair;  // (sample, analyte) → line
    std::map<std::string, first_seen> seen_sample;
    std::size_t batch_line = 0;

    for (std::size_t r = 1; r < doc.records.size(); ++r) {
        const csv_record& rec = doc.records[r];
        const std::size_t line = rec.line;
        if (rec.fields.size() != header.fields.size()) {
            // The column of the first missing field, or of the first field in excess.
            errs.add(at(line, std::min(rec.fields.size(), header.fields.size()) + 1),
                     "", "",
                     "row has " + std::to_string(rec.fields.size()) + " fields, the header has " +
                         std::to_string(header.fields.size()));
            continue;
        }
        const auto field = [&](col c) -> std::string_view {
            const int i = h.index[c];
            return i < 0 ? std::string_view() : detail::trim(rec.fields[static_cast<std::size_t>(i)].text);
        };
        const auto where = [&](col c) { return at(line, static_cast<std::size_t>(h.index[c]) + 1); };
        const auto name = [](col c) {
            return std::string(c < required_columns.size() ? required_columns[c] : optional_columns[c - required_columns.size()]);
        };
        const std::size_t before = errs.size();
        const auto fail = [&](col c, std::string rule) { errs.add(where(c), name(c), std::string(field(c)), std::move(rule)); };

        assay_result res;
        res.conc.lod = nan;
        res.conc.loq = nan;
        // identifiers
        for (col c : {c_batch_id, c_sample_id, c_site_id}) {
            if (field(c).empty()) fail(c, name(c) + " must not be empty");
            else if (field(c).size() > max_id_length) fail(c, name(c) + " is longer than " + std::to_string(max_id_length) + " characters");
        }
        res.batch_id = field(c_batch_id);
        res.sample_id = field(c_sample_id);
        res.site_id = field(c_site_id);
        if (!res.batch_id.empty()) {
            if (batch.batch_id.empty()) {
                batch.batch_id = res.batch_id;
                batch_line = line;
            } else if (res.batch_id != batch.batch_id) {
                fail(c_batch_id, "a batch file holds one batch_id; line " + std::to_string(batch_line) + " has " + batch.batch_id);
            }
        }
        if (!res.site_id.empty() && opt.site_exists && !opt.site_exists(res.site_id))
            fail(c_site_id, "unknown site (not in the sites table)");

        // date
        const auto day = parse_iso_date(field(c_sample_date));
        if (!day) fail(c_sample_date, "sample_date must be a calendar date written YYYY-MM-DD");
        else res.day = *day;

        // analyte
        const residue_model* model = opt.models ? opt.models->find(field(c_analyte)) : nullptr;
        if (!model) fail(c_analyte, "unknown analyte (not in the model library" +
                                        (opt.models ? " '" + opt.models->name + "'" : std::string()) + ")");
        else res.analyte = model->residue;

        // unit
        const auto unit = parse_concentration_unit(field(c_unit));
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
        auto qual = parse_qualifier(field(c_qualifier));
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
            } else if (*v == 0.0 && opt.zero_means_below_loq && qual && *qual == qualifier::detected) {
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
        if (!res.sample_id.empty() && model) {
            const auto key = std::make_pair(res.sample_id, res.analyte);
            const auto [it, fresh] = seen_pair.emplace(key, line);
            if (!fresh)
                errs.add(where(c_analyte), "sample_id, analyte", res.sample_id + ", " + std::string(field(c_analyte)),
                         "duplicate row: the same sample and analyte are on line " + std::to_string(it->second));
        }
        if (!res.sample_id.empty() && !res.site_id.empty() && day) {
            const auto [it, fresh] = seen_sample.emplace(res.sample_id, first_seen{line, res.site_id, res.day});
            if (!fresh && (it->second.site != res.site_id || it->second.day != res.day))
                fail(c_sample_id, "sample has another site or date on line " + std::to_string(it->second.line));
        }

        if (errs.size() == before) batch.results.push_back(std::move(res));
    }
    errs.throw_if_any();
    return batch;
}

assay_batch read_assay_batch(const std::string& path, const assay_read_options& options) {
    return parse_assay_batch(read_file(path), path, options);
}

}  // namespace wbe::io
