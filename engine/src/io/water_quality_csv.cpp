#include "wbe/io/water_quality_csv.hpp"

#include <array>
#include <cctype>
#include <map>
#include <optional>
#include <tuple>

#include "text_fields.hpp"
#include "wbe/core/errors.hpp"
#include "wbe/core/population.hpp"
#include "wbe/io/assay_csv.hpp"
#include "wbe/io/csv.hpp"

namespace wbe::io {

namespace {
enum col : std::size_t { c_site_id, c_date, c_parameter, c_value, c_unit, c_notes };
const std::vector<std::string_view> required_columns{"site_id", "date", "parameter", "value", "unit"};
const std::vector<std::string_view> optional_columns{"notes"};

// The spellings plants use, lower-cased, and the canonical name each stands for. NH3-N is how
// Chinese plant records name ammonia nitrogen, the same quantity as NH4-N; CODcr is COD by the
// dichromate method, which is what COD means in the per-capita loads.
struct parameter_spelling {
    std::string_view lower;
    std::string_view canonical;
};
constexpr std::array<parameter_spelling, 11> parameter_spellings{{{"nh4-n", "NH4-N"},
                                                                  {"nh4n", "NH4-N"},
                                                                  {"nh3-n", "NH4-N"},
                                                                  {"cod", "COD"},
                                                                  {"codcr", "COD"},
                                                                  {"cod_cr", "COD"},
                                                                  {"bod", "BOD5"},
                                                                  {"bod5", "BOD5"},
                                                                  {"tkn", "TKN"},
                                                                  {"tn", "TN"},
                                                                  {"tp", "TP"}}};

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::optional<std::string_view> canonical_parameter(std::string_view text) {
    const std::string lower = ascii_lower(text);
    for (const auto& p : parameter_spellings)
        if (p.lower == lower) return p.canonical;
    return std::nullopt;
}

// mg/L and g/m³ are the same concentration, so no value is converted.
bool is_mg_per_l(std::string_view unit) {
    return unit == "mg/L" || unit == "mg/l" || unit == "g/m3" || unit == "g/m\xC2\xB3";
}
}  // namespace

water_quality_file parse_water_quality(std::string_view text, const std::string& source,
                                       const water_quality_read_options& opt) {
    diagnostics_collector errs;
    const auto at = [&](std::size_t line, std::size_t column) { return location{source, line, column}; };
    water_quality_file out;
    out.source = source;
    out.content_hash = detail::content_hash(text);

    const detail::checked_csv table = detail::open_csv(text, source, required_columns, optional_columns, errs);
    const csv_document& doc = table.doc;
    const csv_record& header = table.header_record();
    const detail::header_map& h = table.header;

    std::map<std::tuple<std::string, day_number, std::string>, std::size_t> seen;
    for (std::size_t r = 1; r < doc.records.size(); ++r) {
        const csv_record& rec = doc.records[r];
        if (rec.fields.size() != header.fields.size()) {
            errs.add(at(rec.line, 0), "", "",
                     "row has " + std::to_string(rec.fields.size()) + " fields, the header has " +
                         std::to_string(header.fields.size()));
            continue;
        }
        const auto field = [&](col c) -> std::string_view {
            const int i = h.index[c];
            return i < 0 ? std::string_view() : detail::trim(rec.fields[static_cast<std::size_t>(i)].text);
        };
        const std::size_t before = errs.size();
        const auto fail = [&](col c, std::string rule) {
            const std::string name(c < required_columns.size() ? required_columns[c] : optional_columns[c - required_columns.size()]);
            errs.add(at(rec.line, static_cast<std::size_t>(h.index[c]) + 1), name, std::string(field(c)), std::move(rule));
        };
        water_quality_record w;
        w.source = source;
        w.site_id = field(c_site_id);
        if (w.site_id.empty()) fail(c_site_id, "site_id must not be empty");
        else if (w.site_id.size() > max_id_length) fail(c_site_id, "site_id is longer than 64 characters");
        else if (opt.site_kind) {
            const std::string kind = opt.site_kind(w.site_id);
            if (kind.empty()) fail(c_site_id, "unknown site (not in the sites table)");
            else if (kind != "wwtp") fail(c_site_id, "water quality is recorded for treatment plants; this site is a " + kind);
        }
        const auto day = parse_iso_date(field(c_date));
        if (!day) fail(c_date, "date must be a calendar date written YYYY-MM-DD");
        else w.day = *day;
        // TN (total nitrogen) stays its own parameter: it adds nitrate and nitrite to TKN, so it
        // has its own per-capita load (calibrated per plant), never TKN's.
        if (const auto p = canonical_parameter(field(c_parameter))) w.parameter = *p;
        else fail(c_parameter, water_quality_parameter_rule());
        // A zero concentration gives a zero load, from which no population can be estimated.
        const auto v = detail::parse_number(field(c_value));
        if (!v) fail(c_value, detail::looks_non_finite(field(c_value)) ? "value must be a finite number" : "value must be a number");
        else if (!(*v > 0.0)) fail(c_value, "value must be > 0");
        else w.mg_per_l = *v;
        if (!is_mg_per_l(field(c_unit))) fail(c_unit, "unit must be mg/L (or g/m3)");
        if (errs.size() != before) continue;
        // Keyed by the canonical parameter, so that COD and CODcr on one day are caught too;
        // reported on the parameter column, whose spelling as written shows why they clash.
        const auto [it, fresh] = seen.emplace(std::make_tuple(w.site_id, w.day, w.parameter), rec.line);
        if (!fresh) {
            fail(c_parameter, "duplicate value: the same site, date and parameter are on line " + std::to_string(it->second));
            continue;
        }
        out.records.push_back(std::move(w));
    }
    errs.throw_if_any();
    return out;
}

water_quality_file read_water_quality(const std::string& path, const water_quality_read_options& options) {
    return parse_water_quality(read_file(path), path, options);
}

}  // namespace wbe::io
