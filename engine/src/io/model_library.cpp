#include "wbe/io/model_library.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "text_fields.hpp"
#include "wbe/core/errors.hpp"
#include "wbe/io/csv.hpp"
#include "yaml_util.hpp"

namespace wbe::io {

namespace fs = std::filesystem;

namespace {

parameter read_parameter(const detail::yaml_reader& y, const YAML::Node& n, std::string_view key) {
    y.check_map(n, key, {"value", "rsd", "unit", "source", "evidence"}, {"value", "unit", "source", "evidence"});
    parameter p;
    p.value = y.number(n, "value");
    p.rsd = y.number_or(n, "rsd", p.rsd);
    if (!std::isnan(p.rsd) && !(p.rsd >= 0.0)) y.fail(n["rsd"], "rsd", n["rsd"].Scalar(), "rsd must be >= 0");
    p.unit = y.string(n, "unit");
    p.source = y.string(n, "source");
    if (p.source.empty()) y.fail(n["source"], "source", "", "every parameter needs its source");
    const std::string ev = y.string(n, "evidence");
    if (ev == "confirmed") p.evidence_level = evidence::confirmed;
    else if (ev == "unconfirmed") p.evidence_level = evidence::unconfirmed;
    else y.fail(n["evidence"], "evidence", ev, "evidence must be confirmed or unconfirmed");
    return p;
}

void check_positive(const detail::yaml_reader& y, const YAML::Node& n, std::string_view key, const parameter& p) {
    // Point at the value as written (std::to_string would print 1e-9 as 0.000000).
    if (!(p.value > 0.0)) y.fail(n["value"], key, n["value"].Scalar(), std::string(key) + " must be > 0");
}

drug_model read_drug(const detail::yaml_reader& y, const YAML::Node& n) {
    y.check_map(n, "drug", {"name", "molecular_weight", "excretion_fraction", "correction_factor", "dose"},
                {"name", "molecular_weight"});
    drug_model d;
    d.name = y.string(n, "name");
    d.molecular_weight = read_parameter(y, n["molecular_weight"], "molecular_weight");
    check_positive(y, n["molecular_weight"], "molecular_weight", d.molecular_weight);
    const bool has_f = static_cast<bool>(n["excretion_fraction"]);
    const bool has_cf = static_cast<bool>(n["correction_factor"]);
    if (has_f == has_cf)
        y.fail(n, "drug", d.name, "give exactly one of excretion_fraction and correction_factor");
    if (has_f) {
        d.excretion_fraction = read_parameter(y, n["excretion_fraction"], "excretion_fraction");
        if (!(d.excretion_fraction.value > 0.0 && d.excretion_fraction.value <= 1.0))
            y.fail(n["excretion_fraction"]["value"], "excretion_fraction", n["excretion_fraction"]["value"].Scalar(),
                   "excretion_fraction must be in (0, 1]");
    } else {
        d.correction_factor = read_parameter(y, n["correction_factor"], "correction_factor");
        check_positive(y, n["correction_factor"], "correction_factor", d.correction_factor);
    }
    if (n["dose"]) {
        d.dose = read_parameter(y, n["dose"], "dose");
        check_positive(y, n["dose"], "dose", d.dose);
    }
    return d;
}

residue_model read_residue(const std::string& path) {
    const detail::yaml_reader y(path);
    const YAML::Node n = y.load_file();
    y.check_map(n, "residue model",
                {"residue", "name", "aliases", "molecular_weight", "drug", "sorption_fraction", "in_sewer_half_life",
                 "plausible_max_consumption", "notes"},
                {"residue", "name", "molecular_weight"});
    residue_model m;
    m.source_file = path;
    m.residue = y.string(n, "residue");
    m.name = y.string(n, "name");
    m.aliases = y.strings(n, "aliases");
    m.molecular_weight = read_parameter(y, n["molecular_weight"], "molecular_weight");
    check_positive(y, n["molecular_weight"], "molecular_weight", m.molecular_weight);
    if (n["drug"]) m.drug = read_drug(y, n["drug"]);
    if (n["sorption_fraction"]) {
        m.sorption_fraction = read_parameter(y, n["sorption_fraction"], "sorption_fraction");
        if (!(m.sorption_fraction.value >= 0.0 && m.sorption_fraction.value < 1.0))
            y.fail(n["sorption_fraction"]["value"], "sorption_fraction", n["sorption_fraction"]["value"].Scalar(),
                   "sorption_fraction must be in [0, 1)");
    }
    if (n["in_sewer_half_life"]) {
        m.in_sewer_half_life = read_parameter(y, n["in_sewer_half_life"], "in_sewer_half_life");
        check_positive(y, n["in_sewer_half_life"], "in_sewer_half_life", m.in_sewer_half_life);
    }
    if (n["plausible_max_consumption"])
        m.plausible_max_consumption = read_parameter(y, n["plausible_max_consumption"], "plausible_max_consumption");
    m.notes = y.string_or(n, "notes", "");
    const std::string stem = fs::path(path).stem().string();
    if (stem != m.residue) y.fail(n["residue"], "residue", m.residue, "residue id must match the file name '" + stem + "'");
    return m;
}

std::vector<std::string> yaml_files(const std::string& dir) {
    std::vector<std::string> files;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        // The error_code form: an entry whose status cannot be read (no permission) is a config
        // error naming it, not a std::filesystem_error out of the reader (nor silently skipped:
        // the set would lack that residue).
        if (e.path().extension() != ".yaml") continue;
        std::error_code entry_ec;
        const bool regular = e.is_regular_file(entry_ec);
        if (entry_ec)
            throw_config_error({e.path().string(), 0, 0}, "models", e.path().string(), "cannot read the model file: " + entry_ec.message());
        if (regular) files.push_back(e.path().string());
    }
    if (ec) throw_config_error({dir, 0, 0}, "models", dir, "cannot read the model folder: " + ec.message());
    std::sort(files.begin(), files.end());
    return files;
}

void apply_set(model_set& set, const std::string& path) {
    const detail::yaml_reader y(path);
    const YAML::Node n = y.load_file();
    y.check_map(n, "model set", {"set", "description", "overrides"}, {"set", "overrides"});
    set.name = y.string(n, "set");
    if (set.name != fs::path(path).stem().string())
        y.fail(n["set"], "set", set.name, "set name must match the file name");
    const YAML::Node ov = n["overrides"];
    if (!ov.IsMap()) y.fail(ov, "overrides", "", "overrides must map residue ids to parameters");
    for (auto it = ov.begin(); it != ov.end(); ++it) {
        const std::string id = it->first.Scalar();
        residue_model* m = nullptr;
        for (auto& r : set.residues)
            if (r.residue == id) m = &r;
        if (!m) y.fail(it->first, id, id, "override for a residue that has no model file");
        if (!it->second.IsMap()) y.fail(it->second, id, "", "overrides of a residue must map keys to parameters");
        for (auto p = it->second.begin(); p != it->second.end(); ++p) {
            const std::string key = p->first.Scalar();
            const parameter v = read_parameter(y, p->second, key);
            parameter* target = nullptr;
            if (key == "molecular_weight") target = &m->molecular_weight;
            else if (key == "sorption_fraction") target = &m->sorption_fraction;
            else if (key == "in_sewer_half_life") target = &m->in_sewer_half_life;
            else if (key == "plausible_max_consumption") target = &m->plausible_max_consumption;
            else if (m->drug && key == "drug.molecular_weight") target = &m->drug->molecular_weight;
            else if (m->drug && key == "drug.excretion_fraction" && m->drug->excretion_fraction.present())
                target = &m->drug->excretion_fraction;
            else if (m->drug && key == "drug.correction_factor" && m->drug->correction_factor.present())
                target = &m->drug->correction_factor;
            else if (m->drug && key == "drug.dose") target = &m->drug->dose;
            if (!target)
                y.fail(p->first, key, key,
                       "unknown or inapplicable parameter (allowed: molecular_weight, sorption_fraction, "
                       "in_sewer_half_life, plausible_max_consumption, drug.molecular_weight, drug.excretion_fraction, "
                       "drug.correction_factor, drug.dose; a drug key needs a drug block with that parameter)");
            // An override obeys the rule of the value it replaces (read_residue, read_drug).
            if (key == "sorption_fraction") {
                if (!(v.value >= 0.0 && v.value < 1.0))
                    y.fail(p->second["value"], key, p->second["value"].Scalar(), "sorption_fraction must be in [0, 1)");
            } else if (key == "drug.excretion_fraction") {
                if (!(v.value > 0.0 && v.value <= 1.0))
                    y.fail(p->second["value"], key, p->second["value"].Scalar(), "excretion_fraction must be in (0, 1]");
            } else if (key != "plausible_max_consumption") {
                check_positive(y, p->second, key, v);
            }
            *target = v;
        }
    }
}

std::string set_path(const std::string& dir, const std::string& set_name) {
    return (fs::path(dir) / "sets" / (set_name + ".yaml")).string();
}

}  // namespace

model_set load_model_set(const std::string& dir, const std::string& set_name) {
    model_set set;
    set.name = "default";
    for (const auto& f : yaml_files(dir)) set.residues.push_back(read_residue(f));
    if (set.residues.empty()) throw_config_error({dir, 0, 0}, "models", dir, "the model folder holds no *.yaml file");
    // Ids and aliases must be unambiguous, or a batch's analyte could resolve two ways.
    for (std::size_t i = 0; i < set.residues.size(); ++i) {
        const auto& r = set.residues[i];
        std::vector<std::string> names = r.aliases;
        names.push_back(r.residue);
        for (const auto& name : names) {
            const residue_model* other = set.find(name);
            if (other && other != &r)
                throw_config_error({r.source_file, 0, 0}, "aliases", name,
                                   "name is also used by " + other->source_file);
        }
    }
    if (set_name != "default") {
        const std::string path = set_path(dir, set_name);
        std::error_code ec;  // a name the system refuses (over 255 bytes) is no such set either
        if (!fs::exists(path, ec))
            throw_config_error({path, 0, 0}, "models.set", set_name, "no such model set (expected " + path + ")");
        apply_set(set, path);
    }
    return set;
}

population_constants load_population_constants(const std::string& path) {
    const detail::yaml_reader y(path);
    const YAML::Node root = y.load_file();
    y.check_map(root, "population constants", {"per_capita_loads", "cotinine"}, {});
    population_constants c;
    if (const YAML::Node loads = root["per_capita_loads"]) {
        if (!loads.IsMap()) y.fail(loads, "per_capita_loads", "", "per_capita_loads must be a map of parameter: {value, rsd, unit, source, evidence}");
        for (const auto& kv : loads) {
            // A key that is a list or map (`[a, b]: ...`) is no parameter name; `as<std::string>`
            // threw yaml-cpp's bad conversion out of the reader here (found by review of
            // tests/fuzz/fuzz_model_library_yaml).
            const std::string name = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
            if (!is_water_quality_parameter(name)) y.fail(kv.first, "per_capita_loads", name, water_quality_parameter_rule());
            const parameter p = read_parameter(y, kv.second, name);
            check_positive(y, kv.second, name, p);
            if (p.unit != "g/person/day") y.fail(kv.second["unit"], "unit", p.unit, "unit must be g/person/day");
            if (std::isnan(p.rsd)) y.fail(kv.second, name, "", "a per-capita load needs its rsd");
            c.per_capita.push_back({name, p.value, p.rsd, p.source});
        }
    }
    if (const YAML::Node cot = root["cotinine"]) {
        y.check_map(cot, "cotinine", {"mg_per_cigarette", "population_rsd"}, {"mg_per_cigarette", "population_rsd"});
        const parameter mg = read_parameter(y, cot["mg_per_cigarette"], "mg_per_cigarette");
        check_positive(y, cot["mg_per_cigarette"], "mg_per_cigarette", mg);
        if (mg.unit != "mg") y.fail(cot["mg_per_cigarette"]["unit"], "unit", mg.unit, "unit must be mg");
        const parameter rsd = read_parameter(y, cot["population_rsd"], "population_rsd");
        if (!(rsd.value >= 0.0)) y.fail(cot["population_rsd"]["value"], "population_rsd", cot["population_rsd"]["value"].Scalar(), "population_rsd must be >= 0");
        c.mg_cotinine_per_cigarette = mg.value;
        c.cotinine_source = mg.source;
        c.cotinine_rsd = rsd.value;
    }
    return c;
}

std::string model_set_hash(const std::string& dir, const std::string& set_name) {
    std::string all;
    for (const auto& f : yaml_files(dir)) all += read_file(f);
    if (set_name != "default") all += read_file(set_path(dir, set_name));
    return detail::content_hash(all);
}

}  // namespace wbe::io
