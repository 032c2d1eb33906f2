// The registered detectors (detectors/registry.hpp) on numpy arrays.
//
// A detector is made exactly as the config reader makes it (run_config.cpp): the registry entry's
// defaults, each key of the parameter dict set from its text (unknown key, bad value: ConfigError
// naming the key, the value and the rule), then the entry's cross-field check, then its factory.
// A Python value becomes the text a YAML file would hold: True/False -> true/false, a number ->
// the shortest text that reads back the same (format_parameter), a str as it is.
//
// Series detectors take one site's campaigns in time order; cross-section detectors (peer_rank)
// take the sites of each campaign. The result is the common detector shape, one row per input row.

#include <pybind11/stl.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "arrays.hpp"
#include "register.hpp"
#include "wbe/core/detect.hpp"
#include "wbe/core/detectors/detector.hpp"
#include "wbe/core/detectors/parameters.hpp"
#include "wbe/core/detectors/registry.hpp"
#include "wbe/core/errors.hpp"

namespace py = pybind11;

namespace wbe::python {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr const char* who = "detect";

std::string text_of(py::handle v) {
    if (py::isinstance<py::bool_>(v)) return v.cast<bool>() ? "true" : "false";
    if (py::isinstance<py::int_>(v)) return py::str(v);
    if (py::isinstance<py::float_>(v)) return detectors::format_parameter(v.cast<double>());
    return py::str(v);
}

const detectors::detector_entry& entry_of(const std::string& name) {
    const detectors::detector_entry* e = detectors::find_detector(name);
    if (!e) throw_config_error({}, "detector", name, "unknown detector (known: " + detectors::detector_names() + ")");
    return *e;
}

detectors::parameter_values values_of(const detectors::detector_entry& entry, const py::dict& params) {
    detectors::parameter_values values = entry.defaults();
    for (const auto& [k, v] : params) {
        const std::string key = py::str(k);
        if (auto d = values.set(key, text_of(v))) throw_config_error({}, d->field, d->value, d->rule);
    }
    for (const auto& d : entry.check(values))
        throw_config_error({}, d.field, d.value, d.rule + " (detector " + entry.name + ")");
    return values;
}

detectors::explain explain_of(const std::string& e) {
    if (e == "all") return detectors::explain::all;
    if (e == "raised") return detectors::explain::raised;
    if (e == "none") return detectors::explain::none;
    throw py::value_error("detect: explain '" + e + "' is not all, raised or none");
}

struct detected {
    std::vector<detectors::campaign_result> rows;
    std::vector<std::string> reports;
};

py::dict to_columns(const detected& d, bool cross) {
    const std::size_t n = d.rows.size();
    std::vector<std::string> campaign(n), site(n), level(n), reason(n);
    std::vector<double> expected(n), upper(n), statistic(n), p_value(n);
    for (std::size_t i = 0; i < n; ++i) {
        const auto& r = d.rows[i];
        campaign[i] = r.campaign;
        site[i] = r.site_id;
        expected[i] = r.expected;
        upper[i] = r.upper_bound;
        statistic[i] = r.statistic;
        p_value[i] = r.p_value;
        level[i] = std::string(detectors::to_string(r.level));
        reason[i] = r.reason;
    }
    py::dict out;
    out["campaign"] = texts(campaign);
    if (cross) out["site_id"] = texts(site);
    out["expected"] = adopt(std::move(expected));
    out["upper_bound"] = adopt(std::move(upper));
    out["statistic"] = adopt(std::move(statistic));
    out["p_value"] = adopt(std::move(p_value));
    out["level"] = texts(level);
    out["reason"] = texts(reason);
    return out;
}

std::vector<std::string> strings(const py::sequence& s) {
    std::vector<std::string> out;
    out.reserve(s.size());
    for (const auto& x : s) out.push_back(py::str(x));
    return out;
}

py::dict detect(const std::string& name, const f64_array& values, const std::optional<py::sequence>& labels,
                const std::optional<i64_array>& quarters, const std::optional<f64_array>& lower,
                const std::optional<f64_array>& upper, const std::optional<bool_array>& censored,
                const py::dict& params, const std::optional<py::sequence>& sites,
                const std::optional<py::sequence>& groups, const std::string& explain) {
    const detectors::detector_entry& entry = entry_of(name);
    const detectors::parameter_values parameters = values_of(entry, params);
    const detectors::explain e = explain_of(explain);
    const auto v = view_1d(values, who, "values");
    const std::size_t n = v.size();
    std::span<const double> lo, hi;
    std::span<const bool> cens;
    if (lower) check_length((lo = view_1d(*lower, who, "lower")).size(), n, who, "lower");
    if (upper) check_length((hi = view_1d(*upper, who, "upper")).size(), n, who, "upper");
    if (censored) check_length((cens = view_1d(*censored, who, "censored")).size(), n, who, "censored");
    if (labels.has_value() == quarters.has_value())
        throw py::value_error("detect: give campaign labels or quarter indices");
    std::vector<std::string> label;
    std::span<const std::int64_t> quarter;
    if (labels)
        check_length((label = strings(*labels)).size(), n, who, "campaigns");
    else
        check_length((quarter = view_1d(*quarters, who, "campaigns")).size(), n, who, "campaigns");
    std::vector<std::string> site_ids, group_ids;
    const bool cross = entry.input == detectors::input_kind::cross_section;
    if (cross) {
        if (!sites) throw py::value_error("detect: " + name + " ranks the sites of a campaign: give `sites`");
        check_length((site_ids = strings(*sites)).size(), n, who, "sites");
        if (groups) check_length((group_ids = strings(*groups)).size(), n, who, "groups");
    } else if (sites || groups) {
        throw py::value_error("detect: " + name + " follows one series: `sites` and `groups` are for peer_rank");
    }
    // Quarter indices: real time in quarters (units_per_year 4), index 0 a first quarter; as labels their decimal text.
    if (!labels)
        for (std::int64_t q : quarter) label.push_back(std::to_string(q));

    detected out;
    {
        py::gil_scoped_release nogil;
        const auto fill = [&](std::size_t i, double& value, double& l, double& u, bool& c) {
            value = v[i];
            l = lo.empty() ? nan : lo[i];
            u = hi.empty() ? nan : hi[i];
            c = !cens.empty() && cens[i];
        };
        if (!cross) {
            detectors::series s;
            if (!labels) s.units_per_year = 4.0;
            for (std::size_t i = 0; i < n; ++i) {
                detectors::observation o;
                o.campaign = label[i];
                if (labels) {
                    const campaign_time t = time_of_campaign(label[i]);
                    o.time = t.time;
                    o.season = t.season;
                } else {
                    o.time = static_cast<double>(quarter[i]);
                    o.season = static_cast<int>(((quarter[i] % 4) + 4) % 4) + 1;
                }
                fill(i, o.value, o.lower, o.upper, o.censored);
                s.campaigns.push_back(std::move(o));
            }
            const auto detector = entry.make_series(parameters);
            detectors::detection d = detector->run(s, e);
            out.rows = std::move(d.campaigns);
            out.reports.push_back(d.summary.brief_report());
        } else {
            // One cross-section per campaign, in order of first appearance; results back to their rows.
            const auto detector = entry.make_cross_section(parameters);
            std::map<std::string, std::size_t> index;
            std::vector<detectors::cross_section> sections;
            std::vector<std::vector<std::size_t>> rows_of;
            for (std::size_t i = 0; i < n; ++i) {
                auto [it, fresh] = index.emplace(label[i], sections.size());
                if (fresh) {
                    sections.push_back({label[i], {}});
                    rows_of.emplace_back();
                }
                detectors::peer p;
                p.site_id = site_ids[i];
                p.group = group_ids.empty() ? std::string("all") : group_ids[i];
                fill(i, p.value, p.lower, p.upper, p.censored);
                sections[it->second].sites.push_back(std::move(p));
                rows_of[it->second].push_back(i);
            }
            out.rows.resize(n);
            for (std::size_t k = 0; k < sections.size(); ++k) {
                detectors::detection d = detector->run(sections[k], e);
                for (std::size_t j = 0; j < d.campaigns.size() && j < rows_of[k].size(); ++j)
                    out.rows[rows_of[k][j]] = std::move(d.campaigns[j]);
                out.reports.push_back(sections[k].campaign + ": " + d.summary.brief_report());
            }
        }
    }
    py::dict result;
    result["columns"] = to_columns(out, cross);
    result["summary"] = out.reports;
    py::dict used;
    for (const auto& spec : parameters.specs()) used[py::str(spec.name)] = parameters.text(spec.name);
    result["parameters"] = used;
    return result;
}

// The registry as data: what a notebook needs to find a detector and its keys.
py::list registry() {
    py::list out;
    for (const auto& e : detectors::detector_registry()) {
        py::list params;
        for (const auto& p : e.parameters) {
            py::dict d;
            d["name"] = p.name;
            d["default"] = p.default_text;
            d["rule"] = p.rule();
            d["unit"] = p.unit;
            d["meaning"] = p.meaning;
            params.append(d);
        }
        py::dict d;
        d["name"] = e.name;
        d["summary"] = e.summary;
        d["input"] = e.input == detectors::input_kind::series ? "series" : "cross_section";
        d["parameters"] = params;
        out.append(d);
    }
    return out;
}

}  // namespace

void register_detectors(py::module_& m) {
    m.def("detect", &detect, py::arg("name"), py::arg("values"), py::arg("labels") = py::none(),
          py::arg("quarters") = py::none(), py::arg("lower") = py::none(), py::arg("upper") = py::none(),
          py::arg("censored") = py::none(), py::arg("params") = py::dict(), py::arg("sites") = py::none(),
          py::arg("groups") = py::none(), py::arg("explain") = "all",
          "Runs the registered detector `name` with `params` (the keys of config/thresholds.yaml) on one series "
          "(or, for peer_rank, the sites of each campaign); use wbe.detect. Returns {'columns', 'summary', "
          "'parameters'}.");
    m.def("detector_registry", &registry,
          "Every registered detector: name, summary, input (series or cross_section) and its parameters "
          "(name, default, rule, unit, meaning).");
}

}  // namespace wbe::python
