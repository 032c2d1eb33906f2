// The engine's Monte Carlo (monte_carlo.hpp) on numpy arrays: one value per site-day in, the
// summaries of every daily and campaign estimate out.
//
// The rows are grouped as the pipeline groups them (estimate.cpp): one mc_problem per campaign
// (one drug), one mc_site per site in it, one mc_day per row, with the pipeline's keys — site
// hash(site), campaign combine(site, hash(campaign)), sample combine(site, hash(sample)), analyte
// combine(sample, hash(drug)), excretion hash(drug) — so the same inputs draw the same numbers as
// `wbe estimate`. Labels arrive factorised by the `wbe` package (codes + names); the numbers are
// read from numpy's buffers in place. Building the problems and running them happens with the GIL
// released; problems (campaigns) run in parallel over `threads` and give the same bits for any
// thread count.
//
// The engine reports one central interval per run. A quantile p other than 0.5 and the interval's
// two ends is the lower (p < 0.5) or upper (p > 0.5) end of the central interval |1 − 2p| — one more
// run over the same draws (same seed and keys) per distinct such interval.

#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "arrays.hpp"
#include "register.hpp"
#include "wbe/core/back_calculation.hpp"
#include "wbe/core/censoring.hpp"
#include "wbe/core/errors.hpp"
#include "wbe/core/monte_carlo.hpp"
#include "wbe/core/rng.hpp"
#include "wbe/core/uncertainty.hpp"

namespace py = pybind11;

namespace wbe::python {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr const char* who = "monte_carlo";

// --- distributions from Python values (the keys of a config's uncertainty.components) -------------

double number_of(py::handle v, const std::string& key) {
    if (py::isinstance<py::bool_>(v) || !(py::isinstance<py::float_>(v) || py::isinstance<py::int_>(v)))
        throw_config_error({}, key, py::str(v).cast<std::string>(), "must be a number");
    return v.cast<double>();
}

factor_distribution distribution_of(py::handle v, const std::string& key) {
    if (v.is_none()) return factor_distribution::fixed();
    if (!py::isinstance<py::dict>(v)) {
        // A bare number: the relative SD of a median-centred log-normal factor.
        const factor_distribution d = factor_distribution::lognormal(number_of(v, key));
        if (const std::string rule = d.check(); !rule.empty()) throw_config_error({}, key, py::str(v), rule);
        return d;
    }
    const auto map = v.cast<py::dict>();
    if (!map.contains("family")) throw_config_error({}, key + ".family", "", "required key is missing");
    const std::string family = py::str(map["family"]);
    factor_distribution d;
    if (!parse_distribution_family(family, d.family))
        throw_config_error({}, key + ".family", family,
                           "family must be fixed, normal, lognormal, uniform or triangular");
    std::vector<std::string> allowed;
    switch (d.family) {
        case distribution_family::fixed:
            break;
        case distribution_family::normal:
            allowed = {"rsd"};
            break;
        case distribution_family::lognormal:
            allowed = {"rsd", "center"};
            break;
        case distribution_family::uniform:
            allowed = {"low", "high"};
            break;
        case distribution_family::triangular:
            allowed = {"low", "mode", "high"};
            break;
    }
    for (const auto& [k, value] : map) {
        const std::string name = py::str(k);
        if (name == "family") continue;
        if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
            throw_config_error({}, key + "." + name, "", "key does not apply to family " + family);
        if (name == "center") {
            const std::string c = py::str(value);
            if (c == "median")
                d.center = lognormal_center::median;
            else if (c == "mean")
                d.center = lognormal_center::mean;
            else
                throw_config_error({}, key + ".center", c, "center must be median or mean");
            continue;
        }
        const double x = number_of(value, key + "." + name);
        if (name == "rsd")
            d.rsd = x;
        else if (name == "low")
            d.low = x;
        else if (name == "mode")
            d.mode = x;
        else
            d.high = x;
    }
    for (const auto& k : allowed)
        if (k != "center" && !map.contains(k.c_str()))
            throw_config_error({}, key + "." + k, "", "required key is missing");
    if (const std::string rule = d.check(); !rule.empty()) throw_config_error({}, key, py::str(v), rule);
    return d;
}

// The engine's defaults (uncertainty.hpp), replaced by the components given.
uncertainty_components components_of(const py::dict& given) {
    uncertainty_components c;
    for (const auto& [k, v] : given) {
        const std::string name = py::str(k);
        const std::string key = "uncertainty." + name;
        if (name == "analysis")
            c.analysis = distribution_of(v, key);
        else if (name == "sampling")
            c.sampling = distribution_of(v, key);
        else if (name == "flow")
            c.flow = distribution_of(v, key);
        else if (name == "population")
            c.population = distribution_of(v, key);
        else if (name == "excretion")
            c.excretion = distribution_of(v, key);
        else
            throw_config_error({}, key, "",
                               "unknown component (allowed: analysis, sampling, flow, population, excretion)");
    }
    return c;
}

// --- the run ------------------------------------------------------------------------------------

struct inputs {
    std::span<const double> conc, flow, population, lod, loq;
    std::span<const std::int64_t> site, campaign, qualifier;
    std::vector<std::string> site_names, campaign_names, sample_names, qualifier_names;
    std::string drug;
    double cf = 1.0;
    double load_multiplier = 1e-3;
    substitution_policy policy;
    uncertainty_components components;
    std::vector<std::pair<std::string, std::vector<std::int64_t>>> aggregates;
    std::vector<double> thresholds;
    std::vector<double> quantiles;
    bool daily = true;
    uncertainty_method method = uncertainty_method::monte_carlo;
    mc_options options;
};

// One summary row: the numbers of a draw_summary plus the wanted quantiles.
struct summary_columns {
    std::vector<double> mean, sd, median, lower, upper, quantiles, p_exceed;  // quantiles, p_exceed: row-major
    std::vector<std::int64_t> n;

    void resize(std::size_t rows, std::size_t nq, std::size_t nt) {
        for (auto* v : {&mean, &sd, &median, &lower, &upper}) v->assign(rows, nan);
        quantiles.assign(rows * nq, nan);
        p_exceed.assign(rows * nt, nan);
        n.assign(rows, 0);
    }
    // `by_interval[i]` is the same estimate's summary from the run with the i-th extra interval.
    void set(std::size_t row, const draw_summary& s, const std::vector<const draw_summary*>& by_interval,
             const std::vector<std::pair<int, bool>>& quantile_source, std::size_t nt) {
        mean[row] = s.mean;
        sd[row] = s.sd;
        median[row] = s.median;
        lower[row] = s.lower;
        upper[row] = s.upper;
        n[row] = static_cast<std::int64_t>(s.n);
        const std::size_t nq = quantile_source.size();
        for (std::size_t q = 0; q < nq; ++q) {
            const auto [run, is_upper] = quantile_source[q];
            const draw_summary& from = run < 0 ? s : *by_interval[static_cast<std::size_t>(run)];
            quantiles[row * nq + q] = run == -2 ? s.median : is_upper ? from.upper : from.lower;
        }
        for (std::size_t t = 0; t < nt && t < s.p_exceed.size(); ++t) p_exceed[row * nt + t] = s.p_exceed[t];
    }
};

struct outputs {
    std::vector<std::string> campaign, estimate, scope;
    std::vector<std::int64_t> n_sites, n_days;
    summary_columns campaign_values, daily_values;
    std::size_t n_runs = 0;
};

std::vector<std::vector<mc_result>> run_all(const std::vector<mc_problem>& problems, const inputs& in,
                                            double interval) {
    mc_options o = in.options;
    o.interval = interval;
    if (in.method == uncertainty_method::monte_carlo) return run_monte_carlo(problems, o);
    std::vector<std::vector<mc_result>> out(problems.size());
    for (std::size_t k = 0; k < problems.size(); ++k)
        for (std::size_t e = 0; e < problems[k].estimates.size(); ++e)
            out[k].push_back(analytic_uncertainty(problems[k], e, o));
    return out;
}

outputs compute(const inputs& in) {
    const std::size_t n = in.conc.size();
    const std::size_t n_campaigns = in.campaign_names.size();
    // problems[c]: campaign c; site_index[c]: site code -> index in its problem; rows[c][i]: input rows of site i.
    std::vector<mc_problem> problems(n_campaigns);
    std::vector<std::map<std::int64_t, std::size_t>> site_index(n_campaigns);
    std::vector<std::vector<std::vector<std::size_t>>> rows(n_campaigns);
    std::vector<std::vector<std::int64_t>> site_code(n_campaigns);
    const std::uint64_t drug_key = rng::hash(in.drug);
    for (std::size_t r = 0; r < n; ++r) {
        const auto c = static_cast<std::size_t>(in.campaign.empty() ? 0 : in.campaign[r]);
        mc_problem& pr = problems[c];
        const std::int64_t sc = in.site.empty() ? 0 : in.site[r];
        const std::string& site_name = in.site_names[static_cast<std::size_t>(sc)];
        auto [it, fresh] = site_index[c].emplace(sc, pr.sites.size());
        if (fresh) {
            mc_site s;
            s.site_key = rng::hash(site_name);
            s.campaign_key = rng::combine(s.site_key, rng::hash(in.campaign_names[c]));
            s.population = in.population[r];
            s.population_dist = in.components.population;
            s.flow_dist = in.components.flow;
            s.load_multiplier = in.load_multiplier;
            pr.sites.push_back(std::move(s));
            rows[c].emplace_back();
            site_code[c].push_back(sc);
        }
        mc_site& s = pr.sites[it->second];
        const double p = in.population[r];
        if (!(p == s.population || (std::isnan(p) && std::isnan(s.population))))
            throw py::value_error(std::string(who) + ": population[" + std::to_string(r) + "] = " + std::to_string(p) +
                                  " differs from " + std::to_string(s.population) + ", the population of site '" +
                                  site_name + "' in campaign '" + in.campaign_names[c] +
                                  "' on an earlier row (a site has one population per campaign)");
        mc_day d;
        d.sample_key =
            rng::combine(s.site_key, rng::hash(in.sample_names.empty() ? std::to_string(r) : in.sample_names[r]));
        d.analyte_key = rng::combine(d.sample_key, drug_key);
        d.conc.value = in.conc[r];
        if (!in.qualifier.empty()) {
            const auto q = parse_qualifier(in.qualifier_names[static_cast<std::size_t>(in.qualifier[r])]);
            d.conc.qual = *q;  // checked when the names were read
        }
        d.conc.lod = in.lod.empty() ? nan : in.lod[r];
        d.conc.loq = in.loq.empty() ? nan : in.loq[r];
        if (d.conc.censored()) d.conc.value = nan;  // censored: the value is not known (censoring.hpp)
        d.substitute = substitute(d.conc, in.policy);
        d.flow_m3_per_day = in.flow[r];
        d.analysis = in.components.analysis;
        d.sampling = in.components.sampling;
        s.days.push_back(std::move(d));
        rows[c][it->second].push_back(r);
    }
    outputs out;
    for (std::size_t c = 0; c < n_campaigns; ++c) {
        mc_problem& pr = problems[c];
        pr.drug_key = drug_key;
        pr.cf = in.cf;
        pr.excretion = in.components.excretion;
        for (std::size_t i = 0; i < pr.sites.size(); ++i) {
            pr.estimates.push_back({{i}, in.thresholds, in.daily});
            out.campaign.push_back(in.campaign_names[c]);
            out.estimate.push_back(in.site_names[static_cast<std::size_t>(site_code[c][i])]);
            out.scope.push_back("site");
            out.n_sites.push_back(1);
            out.n_days.push_back(static_cast<std::int64_t>(pr.sites[i].days.size()));
        }
        for (const auto& [name, members] : in.aggregates) {
            mc_estimate e{{}, in.thresholds, false};
            std::int64_t days = 0;
            for (std::int64_t m : members)
                if (const auto it = site_index[c].find(m); it != site_index[c].end()) {
                    e.members.push_back(it->second);
                    days += static_cast<std::int64_t>(pr.sites[it->second].days.size());
                }
            if (e.members.empty()) continue;  // none of its sites in this campaign
            out.campaign.push_back(in.campaign_names[c]);
            out.estimate.push_back(name);
            out.scope.push_back("aggregate");
            out.n_sites.push_back(static_cast<std::int64_t>(e.members.size()));
            out.n_days.push_back(days);
            pr.estimates.push_back(std::move(e));
        }
    }

    // Which run gives each quantile: -2 the median, -1 the main run, i >= 0 the i-th extra interval.
    const double main_interval = in.options.interval;
    std::vector<double> extra;
    std::vector<std::pair<int, bool>> source;
    for (double p : in.quantiles) {
        if (p == 0.5) {
            source.emplace_back(-2, false);
            continue;
        }
        const double interval = p < 0.5 ? 1.0 - 2.0 * p : 2.0 * p - 1.0;
        int run = -1;
        if (interval != main_interval) {
            const auto it = std::find(extra.begin(), extra.end(), interval);
            run = static_cast<int>(it - extra.begin());
            if (it == extra.end()) extra.push_back(interval);
        }
        source.emplace_back(run, p > 0.5);
    }
    const auto results = run_all(problems, in, main_interval);
    std::vector<std::vector<std::vector<mc_result>>> more;
    for (double interval : extra) more.push_back(run_all(problems, in, interval));
    out.n_runs = 1 + extra.size();

    const std::size_t nq = source.size(), nt = in.thresholds.size();
    out.campaign_values.resize(out.campaign.size(), nq, nt);
    out.daily_values.resize(in.daily ? n : 0, nq, nt);
    std::size_t row = 0;
    for (std::size_t c = 0; c < n_campaigns; ++c)
        for (std::size_t e = 0; e < problems[c].estimates.size(); ++e, ++row) {
            std::vector<const draw_summary*> others;
            for (const auto& m : more) others.push_back(&m[c][e].campaign);
            out.campaign_values.set(row, results[c][e].campaign, others, source, nt);
            const mc_estimate& est = problems[c].estimates[e];
            if (!in.daily || est.members.size() != 1) continue;
            const std::vector<std::size_t>& site_rows = rows[c][est.members.front()];
            for (std::size_t i = 0; i < site_rows.size() && i < results[c][e].daily.size(); ++i) {
                std::vector<const draw_summary*> day_others;
                for (const auto& m : more) day_others.push_back(&m[c][e].daily[i]);
                out.daily_values.set(site_rows[i], results[c][e].daily[i], day_others, source, nt);
            }
        }
    return out;
}

py::array_t<double> matrix(std::vector<double>&& v, std::size_t rows, std::size_t cols) {
    py::array_t<double> flat = adopt(std::move(v));
    return flat.reshape({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(cols)});
}

py::dict columns(summary_columns& s, std::size_t rows, std::size_t nq, std::size_t nt) {
    py::dict d;
    d["n"] = adopt(std::move(s.n));
    d["mean"] = adopt(std::move(s.mean));
    d["sd"] = adopt(std::move(s.sd));
    d["median"] = adopt(std::move(s.median));
    d["lower"] = adopt(std::move(s.lower));
    d["upper"] = adopt(std::move(s.upper));
    d["quantiles"] = matrix(std::move(s.quantiles), rows, nq);
    d["p_exceed"] = matrix(std::move(s.p_exceed), rows, nt);
    return d;
}

std::vector<std::string> strings(const py::sequence& s) {
    std::vector<std::string> out;
    out.reserve(s.size());
    for (const auto& x : s) out.push_back(py::str(x));
    return out;
}

py::dict monte_carlo(const f64_array& conc, const f64_array& flow, const f64_array& population, double cf,
                     const std::optional<i64_array>& site, const py::sequence& site_names,
                     const std::optional<i64_array>& campaign, const py::sequence& campaign_names,
                     const std::optional<py::sequence>& sample_names, const std::string& drug,
                     const std::optional<i64_array>& qualifier, const std::optional<py::sequence>& qualifier_names,
                     const std::optional<f64_array>& lod, const std::optional<f64_array>& loq,
                     const std::string& below_lod, const std::string& below_loq, const py::dict& uncertainty,
                     double sorbed_fraction, double in_sewer_factor,
                     const std::vector<std::pair<std::string, std::vector<std::int64_t>>>& aggregates,
                     const std::vector<double>& thresholds, std::size_t draws, std::uint64_t seed, double interval,
                     const std::vector<double>& quantiles, unsigned threads, const std::string& censored, bool daily,
                     const std::string& method) {
    inputs in;
    in.conc = view_1d(conc, who, "conc");
    const std::size_t n = in.conc.size();
    in.flow = view_1d(flow, who, "flow");
    check_length(in.flow.size(), n, who, "flow");
    in.population = view_1d(population, who, "population");
    check_length(in.population.size(), n, who, "population");
    // No codes: every row has code 0 (one site, one campaign), without an array of n zeros.
    if (site) check_length((in.site = view_1d(*site, who, "site")).size(), n, who, "site");
    if (campaign) check_length((in.campaign = view_1d(*campaign, who, "campaign")).size(), n, who, "campaign");
    in.site_names = strings(site_names);
    in.campaign_names = strings(campaign_names);
    if (in.site_names.empty() || in.campaign_names.empty())
        throw py::value_error("monte_carlo: site_names and campaign_names need at least one name");
    for (std::int64_t s : in.site)
        if (s < 0 || static_cast<std::size_t>(s) >= in.site_names.size())
            throw py::value_error("monte_carlo: site code out of range");
    for (std::int64_t c : in.campaign)
        if (c < 0 || static_cast<std::size_t>(c) >= in.campaign_names.size())
            throw py::value_error("monte_carlo: campaign code out of range");
    if (sample_names) {
        in.sample_names = strings(*sample_names);
        check_length(in.sample_names.size(), n, who, "sample");
    }
    in.drug = drug;
    if (qualifier) {
        in.qualifier = view_1d(*qualifier, who, "qualifier");
        check_length(in.qualifier.size(), n, who, "qualifier");
        in.qualifier_names = qualifier_names ? strings(*qualifier_names) : std::vector<std::string>{};
        for (const auto& q : in.qualifier_names)
            if (!parse_qualifier(q))
                throw py::value_error("monte_carlo: qualifier '" + q +
                                      "' is not one of '', '<LOD', 'ND', '<LOQ', 'NQ', '>ULOQ'");
        for (std::int64_t q : in.qualifier)
            if (q < 0 || static_cast<std::size_t>(q) >= in.qualifier_names.size())
                throw py::value_error("monte_carlo: qualifier code out of range");
    }
    if (lod) {
        in.lod = view_1d(*lod, who, "lod");
        check_length(in.lod.size(), n, who, "lod");
    }
    if (loq) {
        in.loq = view_1d(*loq, who, "loq");
        check_length(in.loq.size(), n, who, "loq");
    }
    const auto rule = [](const std::string& text, const char* key) {
        const auto r = parse_substitution(text);
        if (!r) throw_config_error({}, key, text, "must be zero, lod_half, loq_half, loq_sqrt2 or loq");
        return *r;
    };
    in.policy.below_lod = rule(below_lod, "below_lod");
    in.policy.below_loq = rule(below_loq, "below_loq");
    in.components = components_of(uncertainty);
    in.cf = cf;
    in.load_multiplier = make_chain_factors(cf, nan, sorbed_fraction, in_sewer_factor).load_multiplier;
    const std::size_t n_sites = in.site_names.size();
    for (const auto& [name, members] : aggregates)
        for (std::int64_t m : members)
            if (m < 0 || static_cast<std::size_t>(m) >= n_sites)
                throw py::value_error("monte_carlo: aggregate '" + name + "' names a site that has no rows");
    in.aggregates = aggregates;
    in.thresholds = thresholds;
    for (double p : quantiles)
        if (!(p > 0.0 && p < 1.0))
            throw py::value_error("monte_carlo: quantile " + std::to_string(p) + " is not in (0, 1)");
    in.quantiles = quantiles;
    in.daily = daily;
    if (!parse_uncertainty_method(method, in.method) || in.method == uncertainty_method::none)
        throw py::value_error("monte_carlo: method '" + method + "' is not monte_carlo or analytic");
    in.options.draws = draws;
    in.options.seed = seed;
    in.options.interval = interval;
    in.options.threads = threads;
    if (censored == "uniform")
        in.options.censored = censored_draws::uniform;
    else if (censored == "substitute")
        in.options.censored = censored_draws::substitute;
    else
        throw py::value_error("monte_carlo: censored '" + censored + "' is not uniform or substitute");

    outputs out;
    {
        py::gil_scoped_release nogil;
        out = compute(in);  // std::invalid_argument (ValueError) for draws = 0, an interval outside (0, 1), ...
    }
    const std::size_t nq = quantiles.size(), nt = thresholds.size();
    py::dict camp = columns(out.campaign_values, out.campaign.size(), nq, nt);
    camp["campaign"] = texts(out.campaign);
    camp["estimate"] = texts(out.estimate);
    camp["scope"] = texts(out.scope);
    camp["n_sites"] = adopt(std::move(out.n_sites));
    camp["n_days"] = adopt(std::move(out.n_days));
    py::dict result;
    result["campaign"] = camp;
    result["daily"] = daily ? py::object(columns(out.daily_values, n, nq, nt)) : py::object(py::none());
    py::dict summary;
    summary["method"] = std::string(to_string(in.method));
    summary["draws"] = draws;
    summary["seed"] = seed;
    summary["interval"] = interval;
    summary["censored"] = censored;
    summary["threads"] = threads;
    summary["n_campaigns"] = in.campaign_names.size();
    summary["n_rows"] = n;
    summary["n_runs"] = out.n_runs;
    result["summary"] = summary;
    return result;
}

}  // namespace

void register_montecarlo(py::module_& m) {
    m.def("monte_carlo", &monte_carlo, py::arg("conc"), py::arg("flow"), py::arg("population"), py::arg("cf"),
          py::arg("site"), py::arg("site_names"), py::arg("campaign"), py::arg("campaign_names"),
          py::arg("sample_names") = py::none(), py::arg("drug") = "drug", py::arg("qualifier") = py::none(),
          py::arg("qualifier_names") = py::none(), py::arg("lod") = py::none(), py::arg("loq") = py::none(),
          py::arg("below_lod") = "lod_half", py::arg("below_loq") = "loq_half", py::arg("uncertainty") = py::dict(),
          py::arg("sorbed_fraction") = 0.0, py::arg("in_sewer_factor") = 1.0,
          py::arg("aggregates") = std::vector<std::pair<std::string, std::vector<std::int64_t>>>{},
          py::arg("thresholds") = std::vector<double>{}, py::arg("draws") = mc_options{}.draws,
          py::arg("seed") = mc_options{}.seed, py::arg("interval") = mc_options{}.interval,
          py::arg("quantiles") = std::vector<double>{}, py::arg("threads") = 0u, py::arg("censored") = "uniform",
          py::arg("daily") = true, py::arg("method") = "monte_carlo",
          "The engine's Monte Carlo (or analytic) uncertainty over factorised site-day arrays; use "
          "wbe.monte_carlo. Returns {'campaign': columns, 'daily': columns or None, 'summary': dict}.");
}

}  // namespace wbe::python
