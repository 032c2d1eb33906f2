#include "wbe/io/run_config.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>

#include "text_fields.hpp"
#include "wbe/core/date.hpp"
#include "wbe/core/detectors/registry.hpp"
#include "wbe/core/errors.hpp"
#include "wbe/io/csv.hpp"
#include "wbe/io/model_library.hpp"
#include "yaml_util.hpp"

namespace wbe::io {

namespace fs = std::filesystem;

namespace {

std::string resolve(const fs::path& base, const std::string& p) {
    const fs::path q(p);
    return (q.is_absolute() ? q : (base / q)).lexically_normal().string();
}

std::vector<std::string> expand_batches(const detail::yaml_reader& y, const YAML::Node& at, const fs::path& base,
                                        const std::vector<std::string>& entries) {
    std::vector<std::string> out;
    for (const auto& e : entries) {
        const std::string p = resolve(base, e);
        // The error_code forms: a path the system refuses (a name over 255 bytes, a folder that
        // cannot be listed) is a problem of this key, not an internal error (found by
        // tests/fuzz/fuzz_run_config_yaml). One that is no folder is read as a file at ingest.
        std::error_code ec;
        if (fs::is_directory(p, ec)) {
            std::vector<std::string> files;
            for (auto f = fs::directory_iterator(p, ec); !ec && f != fs::directory_iterator(); f.increment(ec))
                if (f->is_regular_file(ec) && f->path().extension() == ".csv") files.push_back(f->path().string());
            if (ec) y.fail(at, "batches", e, "cannot read the folder: " + ec.message());
            std::sort(files.begin(), files.end());
            if (files.empty()) y.fail(at, "batches", e, "folder holds no *.csv batch file");
            out.insert(out.end(), files.begin(), files.end());
        } else {
            out.push_back(p);
        }
    }
    return out;
}


std::vector<detector_setting> read_detector_layer(const detail::yaml_reader& y, const YAML::Node& n, std::string_view what) {
    std::vector<detector_setting> out;
    if (!n.IsMap()) y.fail(n, what, "", std::string(what) + " must map detector names to parameters or on/off");
    for (auto it = n.begin(); it != n.end(); ++it) {
        detector_setting d;
        d.name = it->first.Scalar();
        d.where = y.where(it->first);
        const detectors::detector_entry* entry = detectors::find_detector(d.name);
        if (!entry) y.fail(it->first, d.name, "", "unknown detector (known: " + detectors::detector_names() + ")");
        const YAML::Node v = it->second;
        if (v.IsScalar()) {
            const std::string t = v.Scalar();
            if (t == "on" || t == "true" || t == "yes") d.switched_on = true;
            else if (t == "off" || t == "false" || t == "no") d.enabled = false;
            else y.fail(v, d.name, t, "a detector is a mapping of parameters, on or off");
        } else if (v.IsMap()) {
            detectors::parameter_values probe = entry->defaults();
            for (auto p = v.begin(); p != v.end(); ++p) {
                if (!p->second.IsScalar()) y.fail(p->second, p->first.Scalar(), "", "a detector parameter is a single value");
                detector_param dp{p->first.Scalar(), p->second.Scalar(), y.where(p->second)};
                if (auto diag = probe.set(dp.key, dp.text)) throw_config_error(y.where(p->first), diag->field, diag->value, diag->rule);
                d.params.push_back(std::move(dp));
            }
        } else if (!v.IsNull()) {
            y.fail(v, d.name, "", "a detector is a mapping of parameters, on or off");
        }
        out.push_back(std::move(d));
    }
    return out;
}

void read_detectors(const detail::yaml_reader& y, const YAML::Node& n, detector_settings& d) {
    y.check_map(n, "detectors", {"defaults", "drugs", "site_kinds", "sites"});
    if (n["defaults"]) d.defaults = read_detector_layer(y, n["defaults"], "defaults");
    for (const char* level : {"drugs", "site_kinds", "sites"}) {
        const YAML::Node m = n[level];
        if (!m) continue;
        if (!m.IsMap()) y.fail(m, level, "", std::string(level) + " must map names to detector settings");
        auto& target = std::string(level) == "drugs" ? d.drugs : std::string(level) == "site_kinds" ? d.site_kinds : d.sites;
        for (auto it = m.begin(); it != m.end(); ++it) {
            const std::string key = it->first.Scalar();
            if (std::string(level) == "site_kinds" && key != "wwtp" && key != "venue")
                y.fail(it->first, key, "", "site kind must be wwtp or venue");
            target[key] = read_detector_layer(y, it->second, key);
        }
    }
}

void read_rules(const detail::yaml_reader& y, const YAML::Node& n, run_config& c) {
    y.check_map(n, "thresholds", {"thresholds", "ratios", "detectors"});
    if (n["detectors"]) read_detectors(y, n["detectors"], c.detectors);
    if (const YAML::Node list = n["thresholds"]; list) {
        if (!list.IsSequence()) y.fail(list, "thresholds", "", "thresholds must be a list of rules");
        for (const auto& r : list) {
            y.check_map(r, "threshold rule", {"drug", "site_kind", "metric", "watch", "alert"}, {"drug", "metric"});
            threshold_rule t;
            t.origin = y.where(r);
            t.drug = y.string(r, "drug");
            t.site_kind = y.string_or(r, "site_kind", "wwtp");
            if (t.site_kind != "wwtp" && t.site_kind != "venue" && t.site_kind != "any")
                y.fail(r["site_kind"], "site_kind", t.site_kind, "site_kind must be wwtp, venue or any");
            const std::string m = y.string(r, "metric");
            if (!parse_metric(m, t.what))
                y.fail(r["metric"], "metric", m, "metric must be concentration, load, pnl, consumption, doses or index");
            t.watch = y.number_or(r, "watch", t.watch);
            t.alert = y.number_or(r, "alert", t.alert);
            if (std::isnan(t.watch) && std::isnan(t.alert)) y.fail(r, "watch", "", "a rule needs watch, alert or both");
            if (!std::isnan(t.watch) && !std::isnan(t.alert) && !(t.alert >= t.watch))
                y.fail(r["alert"], "alert", r["alert"].Scalar(), "alert must be >= watch");
            if (!std::isnan(t.watch) && !(t.watch >= 0.0)) y.fail(r["watch"], "watch", r["watch"].Scalar(), "watch must be >= 0");
            if (!std::isnan(t.alert) && !(t.alert >= 0.0)) y.fail(r["alert"], "alert", r["alert"].Scalar(), "alert must be >= 0");
            c.thresholds.push_back(std::move(t));
        }
    }
    if (const YAML::Node list = n["ratios"]; list) {
        if (!list.IsSequence()) y.fail(list, "ratios", "", "ratios must be a list of rules");
        for (const auto& r : list) {
            y.check_map(r, "ratio rule", {"name", "numerator", "denominator", "above", "site_kind", "level", "reason"},
                        {"numerator", "denominator", "above"});
            ratio_rule q;
            q.origin = y.where(r);
            q.name = y.string_or(r, "name", q.name);
            q.numerator = y.string(r, "numerator");
            q.denominator = y.string(r, "denominator");
            q.above = y.number(r, "above");
            if (!(q.above > 0.0)) y.fail(r["above"], "above", r["above"].Scalar(), "above must be > 0");
            q.site_kind = y.string_or(r, "site_kind", q.site_kind);
            if (q.site_kind != "wwtp" && q.site_kind != "venue" && q.site_kind != "any")
                y.fail(r["site_kind"], "site_kind", q.site_kind, "site_kind must be wwtp, venue or any");
            const std::string level = y.string_or(r, "level", "watch");
            if (!parse_flag_level(level, q.level) || q.level == flag_level::none)
                y.fail(r["level"], "level", level, "level must be watch or alert");
            q.reason = y.string_or(r, "reason", "");
            c.ratios.push_back(std::move(q));
        }
    }
}

substitution read_substitution(const detail::yaml_reader& y, const YAML::Node& n, std::string_view key, substitution fallback) {
    const std::string s = y.string_or(n, key, std::string(to_string(fallback)));
    const auto r = parse_substitution(s);
    if (!r) y.fail(n[std::string(key)], key, s, "must be zero, lod_half, loq_half, loq_sqrt2 or loq");
    return *r;
}


factor_distribution read_distribution(const detail::yaml_reader& y, const YAML::Node& n, std::string_view what) {
    y.check_map(n, what, {"family", "rsd", "center", "low", "mode", "high"}, {"family"});
    factor_distribution d;
    const std::string fam = y.string(n, "family");
    if (!parse_distribution_family(fam, d.family))
        y.fail(n["family"], "family", fam, "family must be fixed, normal, lognormal, uniform or triangular");
    const auto allowed = [&](std::initializer_list<std::string_view> keys) {
        for (auto it = n.begin(); it != n.end(); ++it) {
            const std::string k = it->first.Scalar();
            if (k == "family") continue;
            bool ok = false;
            for (auto a : keys) ok = ok || a == k;
            if (!ok) y.fail(it->first, k, "", "key does not apply to family " + fam);
        }
    };
    switch (d.family) {
        case distribution_family::fixed: allowed({}); break;
        case distribution_family::normal: allowed({"rsd"}); break;
        case distribution_family::lognormal: allowed({"rsd", "center"}); break;
        case distribution_family::uniform: allowed({"low", "high"}); break;
        case distribution_family::triangular: allowed({"low", "mode", "high"}); break;
    }
    if (d.family == distribution_family::normal || d.family == distribution_family::lognormal) d.rsd = y.number(n, "rsd");
    if (d.family == distribution_family::lognormal) {
        const std::string c = y.string_or(n, "center", "median");
        if (c == "median") d.center = lognormal_center::median;
        else if (c == "mean") d.center = lognormal_center::mean;
        else y.fail(n["center"], "center", c, "center must be median or mean");
    }
    if (d.family == distribution_family::uniform || d.family == distribution_family::triangular) {
        d.low = y.number(n, "low");
        d.high = y.number(n, "high");
    }
    if (d.family == distribution_family::triangular) d.mode = y.number(n, "mode");
    if (const std::string rule = d.check(); !rule.empty()) {
        // The key the broken rule is about: a triangle's mode outside [low, high] is the mode's fault.
        const char* key = d.family == distribution_family::normal || d.family == distribution_family::lognormal ? "rsd"
                          : d.family == distribution_family::triangular && d.low > 0.0 && d.low <= d.high &&
                                  !(d.low <= d.mode && d.mode <= d.high)
                              ? "mode"
                              : "low";
        const YAML::Node at = n[key] ? n[key] : n;
        y.fail(at, key, at.IsScalar() ? at.Scalar() : std::string(), rule);
    }
    return d;
}

void read_components(const detail::yaml_reader& y, const YAML::Node& n, std::string_view what,
                     const std::function<void(std::string_view, factor_distribution)>& set, bool allow_selectors) {
    std::vector<std::string_view> keys{"analysis", "sampling", "flow", "population", "excretion"};
    if (allow_selectors) keys.insert(keys.end(), {"drug", "site", "method_id"});
    y.check_map(n, what, keys, {});
    for (auto k : {"analysis", "sampling", "flow", "population", "excretion"})
        if (n[k]) set(k, read_distribution(y, n[k], k));
}

void read_uncertainty(const detail::yaml_reader& y, const YAML::Node& n, uncertainty_options& u) {
    y.check_map(n, "uncertainty",
                {"method", "draws", "seed", "interval", "threads", "censored", "from_inputs", "probability", "components",
                 "overrides"});
    const std::string method = y.string_or(n, "method", std::string(to_string(u.method)));
    if (!parse_uncertainty_method(method, u.method))
        y.fail(n["method"], "method", method, "method must be monte_carlo, analytic or none");
    const double draws = y.number_or(n, "draws", static_cast<double>(u.mc.draws));
    if (!(draws >= 1.0 && draws <= 1e9 && draws == std::floor(draws)))
        y.fail(n["draws"], "draws", n["draws"].Scalar(), "draws must be a whole number from 1 to 1e9");
    u.mc.draws = static_cast<std::size_t>(draws);
    const double seed = y.number_or(n, "seed", static_cast<double>(u.mc.seed));
    if (!(seed >= 0.0 && seed < 9007199254740992.0 && seed == std::floor(seed)))
        y.fail(n["seed"], "seed", n["seed"].Scalar(), "seed must be a whole number from 0 to 2^53");
    u.mc.seed = static_cast<std::uint64_t>(seed);
    u.mc.interval = y.number_or(n, "interval", u.mc.interval);
    if (!(u.mc.interval > 0.0 && u.mc.interval < 1.0))
        y.fail(n["interval"], "interval", n["interval"].Scalar(), "interval must be in (0, 1), e.g. 0.95");
    const double threads = y.number_or(n, "threads", 0.0);
    if (!(threads >= 0.0 && threads <= 1024.0 && threads == std::floor(threads)))
        y.fail(n["threads"], "threads", n["threads"].Scalar(), "threads must be a whole number >= 0 (0 = all cores)");
    u.mc.threads = static_cast<unsigned>(threads);
    const std::string cens = y.string_or(n, "censored", "uniform");
    if (cens == "uniform") u.mc.censored = censored_draws::uniform;
    else if (cens == "substitute") u.mc.censored = censored_draws::substitute;
    else y.fail(n["censored"], "censored", cens, "censored must be uniform or substitute");
    u.from_inputs = y.boolean_or(n, "from_inputs", u.from_inputs);
    if (const YAML::Node p = n["probability"]; p) {
        y.check_map(p, "probability", {"exceeds", "possible"});
        u.p_exceeds = y.number_or(p, "exceeds", u.p_exceeds);
        u.p_possible = y.number_or(p, "possible", u.p_possible);
        if (!(u.p_possible > 0.0 && u.p_possible <= u.p_exceeds && u.p_exceeds <= 1.0))
            y.fail(p, "probability", "", "0 < possible <= exceeds <= 1 is required");
    }
    if (const YAML::Node c = n["components"]; c)
        read_components(y, c, "components",
                        [&](std::string_view k, factor_distribution d) {
                            if (k == "analysis") u.defaults.analysis = d;
                            else if (k == "sampling") u.defaults.sampling = d;
                            else if (k == "flow") u.defaults.flow = d;
                            else if (k == "population") u.defaults.population = d;
                            else u.defaults.excretion = d;
                        },
                        false);
    if (const YAML::Node list = n["overrides"]; list) {
        if (!list.IsSequence()) y.fail(list, "overrides", "", "overrides must be a list");
        for (const auto& o : list) {
            uncertainty_override ov;
            ov.origin = y.where(o);
            read_components(y, o, "uncertainty override",
                            [&](std::string_view k, factor_distribution d) {
                                if (k == "analysis") ov.analysis = d;
                                else if (k == "sampling") ov.sampling = d;
                                else if (k == "flow") ov.flow = d;
                                else if (k == "population") ov.population = d;
                                else ov.excretion = d;
                            },
                            true);
            ov.drug = y.string_or(o, "drug", "");
            ov.site = y.string_or(o, "site", "");
            ov.method_id = y.string_or(o, "method_id", "");
            if (ov.drug.empty() && ov.site.empty() && ov.method_id.empty())
                y.fail(o, "overrides", "", "an override needs at least one of drug, site, method_id");
            for (const char* k : {"sampling", "flow", "population", "excretion"})
                if (!ov.method_id.empty() && o[k])
                    y.fail(o[k], k, "", "an override with method_id sets the analysis error only");
            if (!ov.site.empty() && o["excretion"])
                y.fail(o["excretion"], "excretion", "",
                       "the excretion is drawn once per drug for every site: an override with site cannot set it");
            u.overrides.push_back(std::move(ov));
        }
    }
}

// The population constants of the config's model folder (models/population/constants.yaml).
std::string default_constants(const run_config& c) { return (fs::path(c.models_dir) / "population" / "constants.yaml").string(); }

void read_population(const detail::yaml_reader& y, const YAML::Node& n, const fs::path& base, run_config& c) {
    y.check_map(n, "population", {"estimators", "parameters", "calibration", "check_factor", "constants"}, {"estimators"});
    population_options& o = c.population;
    o.census = false;
    const YAML::Node list = n["estimators"];
    if (!list.IsSequence() || list.size() == 0)
        y.fail(list, "estimators", "", "estimators must be a non-empty list of census, hydrochemical, cotinine");
    for (const auto& e : list) {
        const std::string name = e.Scalar();
        if (name == "census") o.census = true;
        else if (name == "hydrochemical") o.hydrochemical = true;
        else if (name == "cotinine") o.cotinine = true;
        else y.fail(e, "estimators", name, "estimator must be census, hydrochemical or cotinine");
    }
    for (const auto& p : y.strings(n, "parameters")) o.parameters.push_back(p);
    if (const YAML::Node ps = n["parameters"])
        for (const auto& e : ps)
            if (!is_water_quality_parameter(e.Scalar())) y.fail(e, "parameters", e.Scalar(), water_quality_parameter_rule());
    if (const YAML::Node cal = n["calibration"]; cal) {
        y.check_map(cal, "calibration", {"from", "to"}, {"from", "to"});
        const auto day_of = [&](std::string_view key) {
            const std::string text = y.string(cal, key);
            const auto d = parse_iso_date(text);
            if (!d) y.fail(cal[std::string(key)], key, text, std::string(key) + " must be a date written YYYY-MM-DD");
            return *d;
        };
        o.calibrate_from = day_of("from");
        o.calibrate_to = day_of("to");
        if (o.calibrate_to < o.calibrate_from) y.fail(cal["to"], "to", cal["to"].Scalar(), "to must not be before from");
    }
    o.check_factor = y.number_or(n, "check_factor", o.check_factor);
    if (!(o.check_factor == 0.0 || o.check_factor > 1.0))
        y.fail(n["check_factor"], "check_factor", n["check_factor"].Scalar(), "check_factor must be > 1 (or 0: no check)");
    if (o.hydrochemical || o.cotinine) {
        c.population_constants = n["constants"] ? resolve(base, y.string(n, "constants")) : default_constants(c);
        o.constants = load_population_constants(c.population_constants);
    }
}

}  // namespace

run_config load_run_config(const std::string& path) {
    std::string text;
    try {
        text = read_file(path);
    } catch (const input_error& e) {
        throw config_error(e.first());
    }
    return load_run_config_text(text, path, fs::path(path).parent_path().string());
}

run_config load_run_config_text(const std::string& text, const std::string& path, const std::string& base_dir) {
    const detail::yaml_reader y(path);
    const YAML::Node n = y.load_text(text);
    y.check_map(n, "run config",
                {"name", "city", "store", "inputs", "models", "censoring", "campaign", "corrections", "thresholds", "uncertainty",
                 "composites", "population", "venues"},
                {"store", "models"});
    const fs::path base(base_dir);
    run_config c;
    c.path = path;
    c.name = y.string_or(n, "name", fs::path(path).stem().string());
    c.city = y.string_or(n, "city", "");
    c.store = resolve(base, y.string(n, "store"));

    if (const YAML::Node in = n["inputs"]; in) {
        y.check_map(in, "inputs", {"sites", "flows", "water_quality", "batches", "zero_means_below_loq"});
        c.zero_means_below_loq = y.boolean_or(in, "zero_means_below_loq", false);
        if (const auto s = y.string_or(in, "sites", ""); !s.empty()) c.sites = resolve(base, s);
        for (const auto& f : y.strings(in, "flows")) c.flows.push_back(resolve(base, f));
        for (const auto& f : y.strings(in, "water_quality")) c.water_quality.push_back(resolve(base, f));
        if (in["batches"]) c.batches = expand_batches(y, in["batches"], base, y.strings(in, "batches"));
    }

    const YAML::Node m = n["models"];
    y.check_map(m, "models", {"dir", "set"}, {"dir"});
    c.models_dir = resolve(base, y.string(m, "dir"));
    c.model_set = y.string_or(m, "set", "default");

    if (const YAML::Node cens = n["censoring"]; cens) {
        y.check_map(cens, "censoring", {"below_lod", "below_loq", "policy"});
        if (cens["policy"]) {
            if (cens["below_lod"] || cens["below_loq"])
                y.fail(cens["policy"], "policy", cens["policy"].Scalar(), "give policy or below_lod/below_loq, not both");
            const substitution s = read_substitution(y, cens, "policy", substitution::loq_half);
            c.estimate.censoring = {s, s};
        } else {
            c.estimate.censoring.below_lod = read_substitution(y, cens, "below_lod", c.estimate.censoring.below_lod);
            c.estimate.censoring.below_loq = read_substitution(y, cens, "below_loq", c.estimate.censoring.below_loq);
        }
    }
    if (const YAML::Node camp = n["campaign"]; camp) {
        y.check_map(camp, "campaign", {"period"});
        const std::string p = y.string_or(camp, "period", "quarter");
        const auto period = parse_campaign_period(p);
        if (!period) y.fail(camp["period"], "period", p, "period must be quarter, month or year");
        c.estimate.period = *period;
    }
    if (const YAML::Node corr = n["corrections"]; corr) {
        y.check_map(corr, "corrections", {"amphetamine_from_methamphetamine", "sorption", "in_sewer"});
        c.estimate.amphetamine_correction = y.boolean_or(corr, "amphetamine_from_methamphetamine", true);
        c.estimate.sorption_correction = y.boolean_or(corr, "sorption", false);
        c.estimate.in_sewer_correction = y.boolean_or(corr, "in_sewer", false);
    }

    c.estimate.uncertainty.method = uncertainty_method::monte_carlo;  // the default of a run config
    if (const YAML::Node u = n["uncertainty"]; u) read_uncertainty(y, u, c.estimate.uncertainty);

    c.population.period = c.estimate.period;
    if (c.estimate.uncertainty.defaults.population.family == distribution_family::lognormal)
        c.population.census_rsd = c.estimate.uncertainty.defaults.population.rsd;
    if (const YAML::Node pop = n["population"]; pop) read_population(y, pop, base, c);

    // Venue screening index: on by default when the population constants can be read.
    bool screening = true;
    bool asked = false;
    if (const YAML::Node v = n["venues"]; v) {
        y.check_map(v, "venues", {"screening_index"});
        screening = y.boolean_or(v, "screening_index", true);
        asked = screening && v["screening_index"];
    }
    if (screening) {
        const std::string file = c.population_constants.empty() ? default_constants(c) : c.population_constants;
        std::error_code ec;
        if (fs::exists(file, ec)) {
            if (c.population_constants.empty()) {
                c.population_constants = file;
                c.population.constants = load_population_constants(file);
            }
            c.estimate.venue_screening.enabled = true;
            c.estimate.venue_screening.mg_cotinine_per_cigarette = c.population.constants.mg_cotinine_per_cigarette;
            c.estimate.venue_screening.excretion_rsd = c.population.constants.cotinine_rsd;
        } else if (asked) {
            y.fail(n["venues"]["screening_index"], "screening_index", "true",
                   "the screening index needs the population constants (" + file + ")");
        }
    }

    if (const YAML::Node list = n["composites"]; list) {
        if (!list.IsSequence()) y.fail(list, "composites", "", "composites must be a list");
        for (const auto& e : list) {
            y.check_map(e, "composite", {"name", "method", "drugs", "base_year"}, {"name", "drugs"});
            composite_options co;
            co.name = y.string(e, "name");
            const std::string m = y.string_or(e, "method", "total_doses");
            if (m == "total_doses") co.method = composite_method::total_doses;
            else if (m == "relative") co.method = composite_method::relative;
            else y.fail(e["method"], "method", m, "method must be total_doses or relative");
            const YAML::Node d = e["drugs"];
            if (!d.IsMap() || d.size() == 0) y.fail(d, "drugs", "", "drugs must map drug names to weights");
            for (auto it = d.begin(); it != d.end(); ++it) {
                const auto w = detail::parse_number(it->second.IsScalar() ? it->second.Scalar() : std::string());
                if (!w || !(*w > 0.0)) y.fail(it->second, it->first.Scalar(), it->second.IsScalar() ? it->second.Scalar() : "", "a weight must be a number > 0");
                co.drugs.emplace_back(it->first.Scalar(), *w);
            }
            const double by = y.number_or(e, "base_year", 0.0);
            if (!(by == 0.0 || (by >= 1900 && by <= 2199 && by == std::floor(by))))
                y.fail(e["base_year"], "base_year", e["base_year"].Scalar(), "base_year must be a year (1900-2199) or 0 for the first year");
            co.base_year = static_cast<int>(by);
            for (const auto& other : c.composites)
                if (other.name == co.name) y.fail(e["name"], "name", co.name, "composite names must be unique");
            c.composites.push_back(std::move(co));
        }
    }

    std::string all = text;
    c.thresholds_source = path;
    if (const YAML::Node t = n["thresholds"]; t) {
        if (t.IsScalar()) {
            const std::string file = resolve(base, t.Scalar());
            const detail::yaml_reader ty(file);
            std::string ttext;
            try {
                ttext = read_file(file);
            } catch (const input_error& e) {
                throw_config_error(y.where(t), "thresholds", t.Scalar(), "cannot read thresholds file " + file);
            }
            all += ttext;
            c.thresholds_source = file;
            read_rules(ty, ty.load_text(ttext), c);
        } else {
            read_rules(y, t, c);
        }
    }
    for (const auto& t : c.thresholds)
        if (t.what == metric::consumption)
            c.estimate.uncertainty.thresholds.push_back({t.drug, t.site_kind, t.watch, t.alert});
    if (!c.population_constants.empty()) all += read_file(c.population_constants);  // its numbers shape the estimates
    for (const auto& r : c.ratios) {
        const std::pair<std::string, std::string> pair{r.numerator, r.denominator};
        if (std::find(c.estimate.ratio_pairs.begin(), c.estimate.ratio_pairs.end(), pair) == c.estimate.ratio_pairs.end())
            c.estimate.ratio_pairs.push_back(pair);
    }
    c.hash = detail::content_hash(all);
    return c;
}

void resolve_rules(run_config& c, const model_set& models) {
    for (const auto& co : c.composites) {
        if (models.find(co.name)) throw_config_error({c.path, 0, 0}, "composites", co.name, "a composite cannot take the name of a residue");
        for (const auto& [drug, w] : co.drugs) {
            bool found = models.find(drug) != nullptr;
            for (const auto& r : models.residues) found = found || (r.drug && r.drug->name == drug);
            if (!found) throw_config_error({c.path, 0, 0}, "composites." + co.name, drug, "unknown drug or residue (not in model set '" + models.name + "')");
        }
    }
    const auto known = [&](const std::string& name) {
        for (const auto& co : c.composites)
            if (co.name == name) return true;
        if (models.find(name)) return true;
        for (const auto& r : models.residues)
            if (r.drug && r.drug->name == name) return true;
        return false;
    };
    for (const auto& t : c.thresholds)
        if (!known(t.drug))
            throw_config_error(t.origin, "drug", t.drug, "unknown drug or residue (not in model set '" + models.name + "')");
    for (auto& r : c.ratios) {
        if (!models.find(r.numerator))
            throw_config_error(r.origin, "numerator", r.numerator, "unknown residue (not in model set '" + models.name + "')");
        if (!models.find(r.denominator))
            throw_config_error(r.origin, "denominator", r.denominator, "unknown residue (not in model set '" + models.name + "')");
        r.numerator = models.find(r.numerator)->residue;
        r.denominator = models.find(r.denominator)->residue;
    }
}

std::vector<detector_instance> detector_resolver::operator()(const site& s, const std::string& drug) {
    // Merge the levels in order: a detector's parameters accumulate, `off` removes it.
    std::vector<detector_setting> merged;
    const auto apply = [&](const std::vector<detector_setting>& layer, bool parameters_enable) {
        for (const auto& d : layer) {
            auto it = std::find_if(merged.begin(), merged.end(), [&](const detector_setting& m) { return m.name == d.name; });
            if (!d.enabled) {
                if (it != merged.end()) merged.erase(it);
                continue;
            }
            if (it == merged.end()) {
                if (!parameters_enable && !d.switched_on) continue;  // adjusts only what runs
                merged.push_back(d);
            } else {
                it->params.insert(it->params.end(), d.params.begin(), d.params.end());
                it->where = d.where;
            }
        }
    };
    apply(settings_.defaults, true);
    if (const auto it = settings_.drugs.find(drug); it != settings_.drugs.end()) apply(it->second, true);
    if (const auto it = settings_.site_kinds.find(s.kind); it != settings_.site_kinds.end()) apply(it->second, false);
    if (const auto it = settings_.sites.find(s.id); it != settings_.sites.end()) apply(it->second, false);

    std::vector<detector_instance> out;
    for (const auto& d : merged) {
        std::string key = d.name;
        for (const auto& p : d.params) key += "|" + p.key + "=" + p.text;
        if (const auto c = cache_.find(key); c != cache_.end()) {
            out.push_back(c->second);
            continue;
        }
        const detectors::detector_entry& entry = *detectors::find_detector(d.name);
        detectors::parameter_values values = entry.defaults();
        for (const auto& p : d.params)
            if (auto diag = values.set(p.key, p.text)) throw_config_error(p.where, diag->field, diag->value, diag->rule);
        for (const auto& diag : entry.check(values)) {
            location where = d.where;
            for (const auto& p : d.params)
                if (p.key == diag.field) where = p.where;
            throw_config_error(where, diag.field, diag.value, diag.rule + " (detector " + d.name + " for " + s.id + ", " + drug + ")");
        }
        detector_instance inst;
        inst.name = d.name;
        if (entry.make_series) inst.series = entry.make_series(values);
        if (entry.make_cross_section) inst.cross = entry.make_cross_section(values);
        cache_.emplace(key, inst);
        out.push_back(std::move(inst));
    }
    return out;
}

}  // namespace wbe::io
