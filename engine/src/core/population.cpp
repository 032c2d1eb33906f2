#include "wbe/core/population.hpp"

#include <boost/math/distributions/normal.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <cstdio>
#include <limits>

#include "censored_detail.hpp"
#include "wbe/core/back_calculation.hpp"
#include "wbe/core/errors.hpp"
#include "wbe/core/venue_index.hpp"

namespace wbe {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
using detail::format_number;

// Throws numerical_error with the text `what()` returns when `ok` is false. The text is built
// only then: these checks run for every venue day of a large run, where formatting every
// message ahead cost more than the arithmetic checked.
template <class Text>
void require(bool ok, Text&& what) {
    if (!ok) throw_numerical_error(what());
}

double rsd_of_log_sigma(double sigma) { return std::sqrt(std::expm1(sigma * sigma)); }

// Significant-digit text for reasons ("712000", "1.42").
std::string short_number(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", x);
    return buf;
}

}  // namespace

bool is_water_quality_parameter(std::string_view name) noexcept {
    return std::find(water_quality_parameters.begin(), water_quality_parameters.end(), name) != water_quality_parameters.end();
}

std::string water_quality_parameter_rule() {
    std::string out = "parameter must be one of ";
    for (std::size_t i = 0; i < water_quality_parameters.size(); ++i)
        out.append(i ? ", " : "").append(water_quality_parameters[i]);
    return out;
}

std::string_view to_string(population_method m) noexcept {
    switch (m) {
        case population_method::census: return "census";
        case population_method::hydrochemical: return "hydrochemical";
        case population_method::cotinine: return "cotinine";
        case population_method::combined: return "combined";
    }
    return "census";
}

double population_estimate::log_sigma() const noexcept { return std::sqrt(std::log1p(rsd * rsd)); }

population_estimate hydrochemical_population(concentration c, flow q, const per_capita_load& k) {
    require(k.grams_per_person_day > 0.0, [&] {
        return "per-capita load of " + k.parameter + " = " + format_number(k.grams_per_person_day) +
               " g/person/day: must be > 0";
    });
    require(k.rsd >= 0.0, [&] { return "rsd of " + k.parameter + " = " + format_number(k.rsd) + ": must be >= 0"; });
    require(!(c.value() < 0.0),
            [&] { return k.parameter + " concentration = " + format_number(c.value()) + " ng/L: must be >= 0"; });
    require(!(q.value() < 0.0), [&] { return "flow = " + format_number(q.value()) + " m3/day: must be >= 0"; });
    population_estimate e;
    e.method = population_method::hydrochemical;
    e.value = population(load(c, q).value() / (k.grams_per_person_day * 1000.0));
    e.rsd = k.rsd;
    e.basis = k.parameter + " " + format_number(k.grams_per_person_day) + " g/person/day (" + k.source + ")";
    return e;
}

per_capita_load calibrate_per_capita_load(std::string parameter, std::span<const concentration> c, std::span<const flow> q,
                                          population census) {
    require(census.value() > 0.0,
            [&] { return "census population = " + format_number(census.value()) + ": must be > 0"; });
    require(c.size() == q.size(), [&] {
        return "calibration of " + parameter + ": " + std::to_string(c.size()) + " concentrations but " +
               std::to_string(q.size()) + " flows";
    });
    std::vector<double> ln_ratio;  // ln(g/person/day)
    for (std::size_t i = 0; i < c.size(); ++i) {
        const double grams = load(c[i], q[i]).value() * 1e-3;
        if (grams > 0.0 && std::isfinite(grams)) ln_ratio.push_back(std::log(grams / census.value()));
    }
    require(ln_ratio.size() >= 3, [&] {
        return "calibration of " + parameter + " needs 3 days with a positive load, has " +
               std::to_string(ln_ratio.size());
    });
    double mean = 0.0;
    for (double v : ln_ratio) mean += v;
    mean /= static_cast<double>(ln_ratio.size());
    double ss = 0.0;
    for (double v : ln_ratio) ss += (v - mean) * (v - mean);
    const double sd = std::sqrt(ss / static_cast<double>(ln_ratio.size() - 1));
    per_capita_load k;
    k.parameter = std::move(parameter);
    k.grams_per_person_day = std::exp(mean);
    k.rsd = rsd_of_log_sigma(sd);
    k.source = "calibrated on " + std::to_string(ln_ratio.size()) + " days at census population " + format_number(census.value());
    return k;
}

double cotinine_excretion_per_1000(const cotinine_parameters& p) noexcept {
    return p.cigarettes_per_person_day * p.mg_cotinine_per_cigarette * 1000.0;
}

population_estimate cotinine_population(concentration cotinine, flow q, const cotinine_parameters& p) {
    require(p.cigarettes_per_person_day > 0.0, [&] {
        return "cigarettes per person and day = " + format_number(p.cigarettes_per_person_day) + ": must be > 0";
    });
    require(p.mg_cotinine_per_cigarette > 0.0, [&] {
        return "mg cotinine per cigarette = " + format_number(p.mg_cotinine_per_cigarette) + ": must be > 0";
    });
    require(p.domestic_fraction > 0.0 && p.domestic_fraction <= 1.0,
            [&] { return "domestic fraction = " + format_number(p.domestic_fraction) + ": must be in (0, 1]"; });
    require(p.rsd >= 0.0,
            [&] { return "rsd of the cotinine population = " + format_number(p.rsd) + ": must be >= 0"; });
    require(!(cotinine.value() < 0.0),
            [&] { return "cotinine = " + format_number(cotinine.value()) + " ng/L: must be >= 0"; });
    require(!(q.value() < 0.0), [&] { return "flow = " + format_number(q.value()) + " m3/day: must be >= 0"; });
    population_estimate e;
    e.method = population_method::cotinine;
    const double domestic_mg = load(cotinine, q).value() * p.domestic_fraction;            // mg/day
    e.value = population(domestic_mg / cotinine_excretion_per_1000(p) * 1000.0);             // persons
    e.rsd = p.rsd;
    e.basis = "cotinine: " + format_number(p.cigarettes_per_person_day) + " cigarettes/person/day x " +
              format_number(p.mg_cotinine_per_cigarette) + " mg, domestic fraction " + format_number(p.domestic_fraction);
    return e;
}

population_estimate combine_populations(std::span<const population_estimate> estimates) {
    double sum_w = 0.0, sum_wx = 0.0;
    std::vector<const population_estimate*> used;
    for (const auto& e : estimates) {
        if (!(e.value.value() > 0.0) || std::isnan(e.rsd)) continue;
        if (e.rsd == 0.0) {
            population_estimate exact = e;
            exact.basis = std::string(to_string(e.method)) + " taken as exact (rsd 0): " + e.basis;
            return exact;
        }
        used.push_back(&e);
        const double w = 1.0 / (e.log_sigma() * e.log_sigma());
        sum_w += w;
        sum_wx += w * std::log(e.value.value());
    }
    require(!used.empty(), [&] { return "no population estimate with a positive value to combine"; });
    if (used.size() == 1) return *used.front();  // itself, not exp(ln x)
    population_estimate c;
    c.method = population_method::combined;
    c.value = population(std::exp(sum_wx / sum_w));
    c.rsd = rsd_of_log_sigma(std::sqrt(1.0 / sum_w));
    std::string basis = "inverse-variance in log space: ";
    for (std::size_t i = 0; i < used.size(); ++i) {
        const double w = 1.0 / (used[i]->log_sigma() * used[i]->log_sigma());
        if (i) basis += ", ";
        basis += std::string(to_string(used[i]->method)) + " " + short_number(used[i]->value.value()) + " (weight " +
                 short_number(w / sum_w) + ")";
    }
    c.basis = basis;
    return c;
}

population_check check_population(const population_estimate& estimate, population census, double factor) {
    require(factor > 1.0, [&] { return "population check factor = " + format_number(factor) + ": must be > 1"; });
    require(census.value() > 0.0,
            [&] { return "census population = " + format_number(census.value()) + ": must be > 0"; });
    population_check r;
    r.ratio = estimate.value.value() / census.value();
    r.departs = r.ratio > factor || r.ratio < 1.0 / factor;
    r.reason = "estimated " + short_number(estimate.value.value()) + " (" + std::string(to_string(estimate.method)) + ") is " +
               short_number(r.ratio) + " x the census " + short_number(census.value()) + " (limit " + short_number(factor) +
               " x either way)";
    return r;
}

const per_capita_load* population_constants::find(std::string_view parameter) const noexcept {
    for (const auto& k : per_capita)
        if (k.parameter == parameter) return &k;
    return nullptr;
}

std::vector<site_population> resolve_populations(const std::vector<site>& sites, const std::vector<assay_result>& results,
                                                 const std::vector<flow_record>& flows,
                                                 const std::vector<water_quality_record>& water_quality,
                                                 const population_options& o) {
    std::map<std::pair<std::string, day_number>, double> flow_of;
    for (const auto& f : flows) flow_of[{f.site_id, f.day}] = f.flow_m3_per_day;
    const auto flow_on = [&](const std::string& site_id, day_number d) {
        const auto it = flow_of.find({site_id, d});
        return it == flow_of.end() ? nan : it->second;
    };
    const auto wanted = [&](const std::string& parameter) {
        return o.parameters.empty() || std::find(o.parameters.begin(), o.parameters.end(), parameter) != o.parameters.end();
    };

    // The campaigns of each plant: those of its samples.
    std::map<std::string, const site*> plant;
    for (const auto& s : sites)
        if (s.is_plant()) plant.emplace(s.id, &s);
    std::map<std::pair<std::string, std::string>, site_population> out;  // (site, campaign)
    for (const auto& r : results)
        if (plant.count(r.site_id)) out[{r.site_id, campaign_label(r.day, o.period)}];

    // Per (site, campaign, method key): ln of the daily estimates.
    std::map<std::tuple<std::string, std::string, std::string>, std::vector<double>> ln_days;

    // Hydrochemical: constants per site and parameter (calibrated when a calibration period is set).
    std::map<std::pair<std::string, std::string>, per_capita_load> constant_of;
    std::map<std::pair<std::string, std::string>, std::string> no_constant;
    if (o.hydrochemical) {
        std::map<std::pair<std::string, std::string>, std::pair<std::vector<concentration>, std::vector<flow>>> calib;
        std::set<std::pair<std::string, std::string>> seen;
        for (const auto& w : water_quality) {
            if (!plant.count(w.site_id) || !wanted(w.parameter)) continue;
            seen.insert({w.site_id, w.parameter});
            const double q = flow_on(w.site_id, w.day);
            if (o.calibrate_from <= o.calibrate_to && w.day >= o.calibrate_from && w.day <= o.calibrate_to && !std::isnan(q)) {
                auto& c = calib[{w.site_id, w.parameter}];
                c.first.push_back(concentration(w.mg_per_l * 1e6));
                c.second.push_back(flow(q));
            }
        }
        for (const auto& key : seen) {
            const site& s = *plant.at(key.first);
            const auto it = calib.find(key);
            const std::size_t n_cal = it == calib.end() ? 0 : it->second.first.size();
            if (n_cal >= 3 && s.population > 0.0) {
                constant_of[key] = calibrate_per_capita_load(key.second, it->second.first, it->second.second, population(s.population));
            } else if (const per_capita_load* k = o.constants.find(key.second)) {
                constant_of[key] = *k;
            } else {
                no_constant[key] = key.second + ": no per-capita constant (no literature value; the calibration period holds " +
                                   std::to_string(n_cal) + " days with flow, 3 needed)";
            }
        }
        for (const auto& w : water_quality) {
            const auto k = constant_of.find({w.site_id, w.parameter});
            if (k == constant_of.end()) continue;
            const double q = flow_on(w.site_id, w.day);
            if (std::isnan(q)) continue;
            const population_estimate e = hydrochemical_population(concentration(w.mg_per_l * 1e6), flow(q), k->second);
            if (e.value.value() > 0.0)
                ln_days[{w.site_id, campaign_label(w.day, o.period), "hydrochemical:" + w.parameter}].push_back(std::log(e.value.value()));
        }
    }
    // Cotinine: quantified results with the day's flow, at sites with a smoking rate.
    if (o.cotinine) {
        for (const auto& r : results) {
            const auto sit = plant.find(r.site_id);
            if (sit == plant.end() || r.analyte != o.cotinine_residue || r.conc.censored()) continue;
            const site& s = *sit->second;
            if (!(s.smoking_rate > 0.0)) continue;
            const double q = flow_on(r.site_id, r.day);
            if (std::isnan(q) || !(r.conc.value > 0.0)) continue;
            cotinine_parameters p;
            p.cigarettes_per_person_day = s.smoking_rate;
            p.mg_cotinine_per_cigarette = o.constants.mg_cotinine_per_cigarette;
            p.domestic_fraction = s.domestic_fraction;
            p.rsd = o.constants.cotinine_rsd;
            const population_estimate e = cotinine_population(concentration(r.conc.value), flow(q), p);
            ln_days[{r.site_id, campaign_label(r.day, o.period), "cotinine"}].push_back(std::log(e.value.value()));
        }
    }

    std::vector<site_population> list;
    for (auto& [key, sp] : out) {
        const site& s = *plant.at(key.first);
        sp.site_id = key.first;
        sp.campaign = key.second;
        sp.census = s.population;
        population_estimate census;
        census.method = population_method::census;
        census.value = population(s.population);
        census.rsd = std::isnan(s.population_rsd) ? o.census_rsd : s.population_rsd;
        census.basis = s.population_method.empty() ? std::string("census") : s.population_method;
        sp.estimates.push_back(census);
        sp.days.push_back(0);
        for (const auto& [nk, why] : no_constant)
            if (nk.first == sp.site_id) sp.notes.push_back(why);
        if (o.cotinine && !(s.smoking_rate > 0.0)) sp.notes.push_back("cotinine: the site has no smoking_rate");
        // Methods in a fixed order: hydrochemical parameters by name, then cotinine.
        std::vector<std::pair<std::string, const std::vector<double>*>> methods;
        for (auto it = ln_days.lower_bound({sp.site_id, sp.campaign, ""});
             it != ln_days.end() && std::get<0>(it->first) == sp.site_id && std::get<1>(it->first) == sp.campaign; ++it)
            methods.emplace_back(std::get<2>(it->first), &it->second);
        std::stable_partition(methods.begin(), methods.end(), [](const auto& m) { return m.first != "cotinine"; });
        for (const auto& [method, lns] : methods) {
            double mean = 0.0;
            for (double v : *lns) mean += v;
            mean /= static_cast<double>(lns->size());
            population_estimate e;
            if (method == "cotinine") {
                e.method = population_method::cotinine;
                e.rsd = o.constants.cotinine_rsd;
                e.basis = "cotinine: " + format_number(s.smoking_rate) + " cigarettes/person/day x " +
                          format_number(o.constants.mg_cotinine_per_cigarette) + " mg, domestic fraction " +
                          format_number(s.domestic_fraction);
            } else {
                const std::string parameter = method.substr(std::string("hydrochemical:").size());
                const per_capita_load& k = constant_of.at({sp.site_id, parameter});
                e.method = population_method::hydrochemical;
                e.rsd = k.rsd;
                e.basis = parameter + " " + short_number(k.grams_per_person_day) + " g/person/day (" + k.source + ")";
            }
            e.value = population(std::exp(mean));
            e.basis += ", geometric mean of " + std::to_string(lns->size()) + " days";
            sp.estimates.push_back(std::move(e));
            sp.days.push_back(lns->size());
        }
        // The estimate used: the combination of the methods taking part.
        std::vector<population_estimate> parts;
        for (std::size_t i = 0; i < sp.estimates.size(); ++i)
            if (i > 0 || o.census) parts.push_back(sp.estimates[i]);
        sp.used = parts.empty() ? sp.estimates.front() : combine_populations(parts);
        if (sp.estimates.size() > 1 && o.check_factor > 0.0 && s.population > 0.0) {
            // The check compares the other methods' combination with the census.
            std::vector<population_estimate> others(sp.estimates.begin() + 1, sp.estimates.end());
            const population_estimate estimated = combine_populations(others);
            sp.checked = true;
            sp.check = check_population(estimated, population(s.population), o.check_factor);
        }
        list.push_back(std::move(sp));
    }
    return list;
}

std::vector<population_row> population_rows(const std::vector<site_population>& populations) {
    std::vector<population_row> rows;
    for (const auto& sp : populations) {
        const auto row = [&](const population_estimate& e, std::string role, std::int64_t days) {
            population_row r;
            r.site_id = sp.site_id;
            r.campaign = sp.campaign;
            r.role = std::move(role);
            r.method = std::string(to_string(e.method));
            r.value = e.value.value();
            r.rsd = e.rsd;
            r.days = days;
            r.basis = e.basis;
            r.census = sp.census;
            r.ratio = nan;
            return r;
        };
        for (std::size_t i = 0; i < sp.estimates.size(); ++i)
            rows.push_back(row(sp.estimates[i], "estimate", static_cast<std::int64_t>(sp.days[i])));
        population_row used = row(sp.used, "used", 0);
        if (sp.checked) {
            used.ratio = sp.check.ratio;
            used.departs = sp.check.departs ? 1 : 0;
            used.note = sp.check.reason;
        }
        for (const auto& n : sp.notes) used.note += (used.note.empty() ? "" : "; ") + n;
        rows.push_back(std::move(used));
    }
    return rows;
}

venue_index biomarker_normalised_index(const venue_index_inputs& in, double interval) {
    require(in.cotinine.value() > 0.0,
            [&] { return "cotinine = " + format_number(in.cotinine.value()) + " ng/L: must be > 0"; });
    require(!(in.residue.value() < 0.0),
            [&] { return "residue = " + format_number(in.residue.value()) + " ng/L: must be >= 0"; });
    require(in.cf > 0.0, [&] { return "correction factor = " + format_number(in.cf) + ": must be > 0"; });
    require(in.cot.cigarettes_per_person_day > 0.0 && in.cot.mg_cotinine_per_cigarette > 0.0, [&] {
        return "cotinine excretion per person = " + format_number(in.cot.cigarettes_per_person_day) + " cigarettes x " +
               format_number(in.cot.mg_cotinine_per_cigarette) + " mg: both must be > 0";
    });
    for (double r : {in.rsd_residue_analysis, in.rsd_cotinine_analysis, in.rsd_cf, in.cot.rsd})
        require(r >= 0.0, [&] { return "rsd = " + format_number(r) + ": must be >= 0"; });
    require(interval > 0.0 && interval < 1.0,
            [&] { return "interval = " + format_number(interval) + ": must be in (0, 1)"; });
    venue_index v;
    v.value = in.residue / in.cotinine * cotinine_excretion_per_1000(in.cot) * in.cf;
    double var = 0.0;
    for (double r : {in.rsd_residue_analysis, in.rsd_cotinine_analysis, in.rsd_cf, in.cot.rsd}) var += std::log1p(r * r);
    v.log_sigma = std::sqrt(var);
    static const boost::math::normal_distribution<double> std_normal;
    const double z = boost::math::quantile(std_normal, 0.5 * (1.0 + interval));
    v.lower = v.value * std::exp(-z * v.log_sigma);
    v.upper = v.value * std::exp(z * v.log_sigma);
    return v;
}

venue_campaign_index venue_campaign_mean(const std::vector<double>& daily_values, const venue_index_inputs& in, double interval) {
    require(interval > 0.0 && interval < 1.0,
            [&] { return "interval = " + format_number(interval) + ": must be in (0, 1)"; });
    venue_campaign_index r;
    double s1 = 0.0, sq = 0.0;
    for (double v : daily_values) {
        if (!(v >= 0.0)) continue;
        s1 += v;
        sq += v * v;
        ++r.n;
    }
    if (r.n == 0) {
        r.mean = r.lower = r.upper = nan;
        return r;
    }
    const double n = static_cast<double>(r.n);
    r.mean = s1 / n;
    const double var_f = std::log1p(in.rsd_cf * in.rsd_cf) + std::log1p(in.cot.rsd * in.cot.rsd);
    const double var_e = std::log1p(in.rsd_residue_analysis * in.rsd_residue_analysis) +
                         std::log1p(in.rsd_cotinine_analysis * in.rsd_cotinine_analysis);
    // Daily medians v_i: E[v_i E_i] = v_i e^{σ_E²/2}, E[(v_i E_i)²] = v_i² e^{2σ_E²}; F likewise.
    const double ee1 = std::exp(0.5 * var_e), ee2 = std::exp(2.0 * var_e);
    const double ef1 = std::exp(0.5 * var_f), ef2 = std::exp(2.0 * var_f);
    const double m1 = ef1 * ee1 * s1 / n;
    const double m2 = ef2 * (ee2 * sq + ee1 * ee1 * (s1 * s1 - sq)) / (n * n);
    if (!(m1 > 0.0)) {
        r.lower = r.upper = r.mean;
        return r;
    }
    const double sigma2 = std::max(0.0, std::log(m2 / (m1 * m1)));
    const double mu = std::log(m1) - 0.5 * sigma2;
    static const boost::math::normal_distribution<double> std_normal;
    const double z = boost::math::quantile(std_normal, 0.5 * (1.0 + interval));
    r.lower = std::exp(mu - z * std::sqrt(sigma2));
    r.upper = std::exp(mu + z * std::sqrt(sigma2));
    return r;
}

}  // namespace wbe
