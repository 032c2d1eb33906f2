#include "wbe/io/sites.hpp"

#include <cmath>
#include <filesystem>
#include <limits>
#include <set>

#include "text_fields.hpp"
#include "wbe/core/errors.hpp"
#include "wbe/io/assay_csv.hpp"
#include "wbe/io/csv.hpp"
#include "yaml_util.hpp"

namespace wbe::io {

namespace {

const std::set<std::string> known_kinds{"wwtp", "venue"};

// Checks shared by both formats; `fail(key, value, rule)` reports at the site's location.
template <class Fail>
void check_site(const site& s, Fail&& fail) {
    if (s.id.empty()) fail("id", s.id, "id must not be empty");
    if (s.id.size() > max_id_length) fail("id", s.id, "id is longer than 64 characters");
    if (!known_kinds.count(s.kind)) fail("kind", s.kind, "kind must be wwtp or venue");
    if (s.kind == "wwtp" && !(s.population > 0.0))
        fail("population", std::to_string(s.population), "a treatment plant needs a population > 0");
    if (s.kind == "venue" && s.venue_type.empty()) fail("venue_type", "", "a venue needs its venue_type");
    if (!std::isnan(s.population_rsd) && !(s.population_rsd >= 0.0))
        fail("population_rsd", std::to_string(s.population_rsd), "population_rsd must be >= 0");
    if (!std::isnan(s.residence_time_h) && !(s.residence_time_h >= 0.0))
        fail("residence_time_h", std::to_string(s.residence_time_h), "residence_time_h must be >= 0");
    if (!std::isnan(s.smoking_rate) && !(s.smoking_rate > 0.0))
        fail("smoking_rate", std::to_string(s.smoking_rate), "smoking_rate (cigarettes per person and day) must be > 0");
    if (!(s.domestic_fraction > 0.0 && s.domestic_fraction <= 1.0))
        fail("domestic_fraction", std::to_string(s.domestic_fraction), "domestic_fraction must be in (0, 1]");
}

sites_file read_yaml(const std::string& path) {
    const detail::yaml_reader y(path);
    const std::string text = [&] {
        try {
            return read_file(path);
        } catch (const input_error& e) {
            throw config_error(e.first());
        }
    }();
    const YAML::Node root = y.load_text(text);
    y.check_map(root, "sites file", {"city", "smoking_rate", "sites"}, {"sites"});
    sites_file out;
    out.source = path;
    out.content_hash = detail::content_hash(text);
    out.city = y.string_or(root, "city", "");
    // The province's smoking rate for every site that does not give its own (plants: cotinine
    // population; venues: the screening index).
    const double smoking_rate = y.number_or(root, "smoking_rate", std::numeric_limits<double>::quiet_NaN());
    if (root["smoking_rate"] && !(smoking_rate > 0.0))
        y.fail(root["smoking_rate"], "smoking_rate", root["smoking_rate"].Scalar(), "smoking_rate (cigarettes per person and day) must be > 0");
    const YAML::Node list = root["sites"];
    if (!list.IsSequence()) y.fail(list, "sites", "", "sites must be a list");
    std::set<std::string> ids;
    for (const auto& n : list) {
        y.check_map(n, "site",
                    {"id", "name", "kind", "venue_type", "district", "towns", "population", "population_rsd",
                     "population_method", "residence_time_h", "smoking_rate", "domestic_fraction"},
                    {"id", "kind"});
        site s;
        s.id = y.string(n, "id");
        s.name = y.string_or(n, "name", s.id);
        s.kind = y.string(n, "kind");
        s.venue_type = y.string_or(n, "venue_type", "");
        s.district = y.string_or(n, "district", "");
        s.towns = y.strings(n, "towns");
        s.population = y.number_or(n, "population", s.population);
        s.population_rsd = y.number_or(n, "population_rsd", s.population_rsd);
        s.population_method = y.string_or(n, "population_method", s.kind == "wwtp" ? "census" : "");
        s.residence_time_h = y.number_or(n, "residence_time_h", s.residence_time_h);
        s.smoking_rate = y.number_or(n, "smoking_rate", smoking_rate);
        s.domestic_fraction = y.number_or(n, "domestic_fraction", s.domestic_fraction);
        // Report the value as written (empty when the key is missing), not as re-formatted.
        check_site(s, [&](const std::string& key, const std::string&, const std::string& rule) {
            const YAML::Node at = n[key] ? n[key] : n;
            y.fail(at, key, n[key] && n[key].IsScalar() ? n[key].Scalar() : std::string(), rule);
        });
        if (!ids.insert(s.id).second) y.fail(n["id"], "id", s.id, "duplicate site id");
        out.sites.push_back(std::move(s));
    }
    return out;
}

sites_file read_csv_sites(const std::string& path) {
    const std::string text = read_file(path);
    sites_file out;
    out.source = path;
    out.content_hash = detail::content_hash(text);
    diagnostics_collector errs;
    const std::vector<std::string_view> req{"id", "kind"};
    const std::vector<std::string_view> opt{"name", "venue_type", "district", "towns", "population",
                                            "population_rsd", "population_method", "residence_time_h",
                                            "smoking_rate", "domestic_fraction"};
    const detail::checked_csv table = detail::open_csv(text, path, req, opt, errs);
    const csv_document& doc = table.doc;
    const detail::header_map& h = table.header;
    std::set<std::string> ids;
    for (std::size_t r = 1; r < doc.records.size(); ++r) {
        const auto& rec = doc.records[r];
        if (rec.fields.size() != doc.records.front().fields.size()) {
            errs.add({path, rec.line, 0}, "", "", "row has " + std::to_string(rec.fields.size()) + " fields, the header has " +
                                                     std::to_string(doc.records.front().fields.size()));
            continue;
        }
        const auto field = [&](std::size_t k) -> std::string {
            const int i = h.index[k];
            return i < 0 ? std::string() : std::string(detail::trim(rec.fields[static_cast<std::size_t>(i)].text));
        };
        const auto col_of = [&](std::size_t k) { return h.index[k] < 0 ? std::size_t{0} : static_cast<std::size_t>(h.index[k]) + 1; };
        const auto key_index = [&](std::string_view key) -> std::size_t {
            for (std::size_t k = 0; k < req.size(); ++k) if (req[k] == key) return k;
            for (std::size_t k = 0; k < opt.size(); ++k) if (opt[k] == key) return req.size() + k;
            return 0;
        };
        const auto number = [&](std::size_t k, double fallback) {
            const std::string t = field(k);
            if (t.empty()) return fallback;
            const auto v = detail::parse_number(t);
            if (!v) {
                errs.add({path, rec.line, col_of(k)}, std::string(k < req.size() ? req[k] : opt[k - req.size()]), t, "must be a number");
                return fallback;
            }
            return *v;
        };
        site s;
        s.id = field(0);
        s.kind = field(1);
        s.name = field(2).empty() ? s.id : field(2);
        s.venue_type = field(3);
        s.district = field(4);
        const std::string towns = field(5);
        std::size_t start = 0;
        while (start < towns.size()) {
            const std::size_t end = towns.find(';', start);
            const auto t = detail::trim(std::string_view(towns).substr(start, end == std::string::npos ? std::string::npos : end - start));
            if (!t.empty()) s.towns.emplace_back(t);
            if (end == std::string::npos) break;
            start = end + 1;
        }
        s.population = number(6, s.population);
        s.population_rsd = number(7, s.population_rsd);
        s.population_method = field(8).empty() && s.kind == "wwtp" ? "census" : field(8);
        s.residence_time_h = number(9, s.residence_time_h);
        s.smoking_rate = number(10, s.smoking_rate);
        s.domestic_fraction = number(11, s.domestic_fraction);
        check_site(s, [&](const std::string& key, const std::string&, const std::string& rule) {
            errs.add({path, rec.line, col_of(key_index(key))}, key, field(key_index(key)), rule);
        });
        if (!s.id.empty() && !ids.insert(s.id).second) errs.add({path, rec.line, col_of(0)}, "id", s.id, "duplicate site id");
        out.sites.push_back(std::move(s));
    }
    errs.throw_if_any();
    return out;
}

}  // namespace

sites_file read_sites(const std::string& path) {
    const std::string ext = std::filesystem::path(path).extension().string();
    if (ext == ".csv") return read_csv_sites(path);
    if (ext == ".yaml" || ext == ".yml") return read_yaml(path);
    throw_config_error({path, 0, 0}, "sites", path, "sites file must end in .yaml, .yml or .csv");
}

}  // namespace wbe::io
