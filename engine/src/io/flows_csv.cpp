#include "wbe/io/flows_csv.hpp"

#include <map>

#include "text_fields.hpp"
#include "wbe/core/errors.hpp"
#include "wbe/core/units.hpp"
#include "wbe/io/assay_csv.hpp"
#include "wbe/io/csv.hpp"

namespace wbe::io {

namespace {
enum col : std::size_t { c_site_id, c_date, c_flow, c_unit, c_notes };
const std::vector<std::string_view> required_columns{"site_id", "date", "flow", "unit"};
const std::vector<std::string_view> optional_columns{"notes"};
}  // namespace

flows_file parse_flows(std::string_view text, const std::string& source, const flow_read_options& opt) {
    diagnostics_collector errs;
    const auto at = [&](std::size_t line, std::size_t column) { return location{source, line, column}; };
    flows_file out;
    out.source = source;
    out.content_hash = detail::content_hash(text);

    const detail::checked_csv table = detail::open_csv(text, source, required_columns, optional_columns, errs);
    const csv_document& doc = table.doc;
    const csv_record& header = table.header_record();
    const detail::header_map& h = table.header;

    std::map<std::pair<std::string, day_number>, std::size_t> seen;
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
        flow_record f;
        f.source = source;
        f.site_id = field(c_site_id);
        if (f.site_id.empty()) fail(c_site_id, "site_id must not be empty");
        else if (f.site_id.size() > max_id_length) fail(c_site_id, "site_id is longer than 64 characters");
        else if (opt.site_kind) {
            const std::string kind = opt.site_kind(f.site_id);
            if (kind.empty()) fail(c_site_id, "unknown site (not in the sites table)");
            else if (kind != "wwtp") fail(c_site_id, "flows are recorded for treatment plants; this site is a " + kind);
        }
        const auto day = parse_iso_date(field(c_date));
        if (!day) fail(c_date, "date must be a calendar date written YYYY-MM-DD");
        else f.day = *day;
        const auto unit = parse_flow_unit(field(c_unit));
        if (!unit) fail(c_unit, "unit must be m3/d, L/d or 1e4 m3/d");
        const auto v = detail::parse_number(field(c_flow));
        if (!v) fail(c_flow, detail::looks_non_finite(field(c_flow)) ? "flow must be a finite number" : "flow must be a number");
        else if (!(*v > 0.0)) fail(c_flow, "flow must be > 0");
        else if (unit) f.flow_m3_per_day = make_flow(*v, *unit).value();
        if (errs.size() != before) continue;
        const auto [it, fresh] = seen.emplace(std::make_pair(f.site_id, f.day), rec.line);
        if (!fresh) {
            fail(c_date, "duplicate flow: the same site and date are on line " + std::to_string(it->second));
            continue;
        }
        out.records.push_back(std::move(f));
    }
    errs.throw_if_any();
    return out;
}

flows_file read_flows(const std::string& path, const flow_read_options& options) {
    return parse_flows(read_file(path), path, options);
}

}  // namespace wbe::io
