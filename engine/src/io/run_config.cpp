#include "wbe/io/run_config.hpp"

#include <algorithm>
#include <filesystem>

#include "text_fields.hpp"
#include "wbe/core/errors.hpp"
#include "wbe/io/csv.hpp"
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
        if (fs::is_directory(p)) {
            std::vector<std::string> files;
            for (const auto& f : fs::directory_iterator(p))
                if (f.is_regular_file() && f.path().extension() == ".csv") files.push_back(f.path().string());
            std::sort(files.begin(), files.end());
            if (files.empty()) y.fail(at, "batches", e, "folder holds no *.csv batch file");
            out.insert(out.end(), files.begin(), files.end());
        } else {
            out.push_back(p);
        }
    }
    return out;
}

void read_rules(const detail::yaml_reader& y, const YAML::Node& n, run_config& c) {
    y.check_map(n, "thresholds", {"thresholds", "ratios"});
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
                y.fail(r["metric"], "metric", m, "metric must be concentration, load, pnl, consumption or doses");
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

}  // namespace

run_config load_run_config(const std::string& path) {
    const detail::yaml_reader y(path);
    std::string text;
    try {
        text = read_file(path);
    } catch (const input_error& e) {
        throw config_error(e.first());
    }
    const YAML::Node n = y.load_text(text);
    y.check_map(n, "run config",
                {"name", "city", "store", "inputs", "models", "censoring", "campaign", "corrections", "thresholds"},
                {"store", "models"});
    const fs::path base = fs::path(path).parent_path();
    run_config c;
    c.path = path;
    c.name = y.string_or(n, "name", fs::path(path).stem().string());
    c.city = y.string_or(n, "city", "");
    c.store = resolve(base, y.string(n, "store"));

    if (const YAML::Node in = n["inputs"]; in) {
        y.check_map(in, "inputs", {"sites", "flows", "batches"});
        if (const auto s = y.string_or(in, "sites", ""); !s.empty()) c.sites = resolve(base, s);
        for (const auto& f : y.strings(in, "flows")) c.flows.push_back(resolve(base, f));
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
    c.hash = detail::content_hash(all);
    return c;
}

void resolve_rules(run_config& c, const model_set& models) {
    const auto known = [&](const std::string& name) {
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

}  // namespace wbe::io
