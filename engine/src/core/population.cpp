#include "wbe/core/population.hpp"

#include <boost/math/distributions/normal.hpp>

#include <cmath>
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

void require(bool ok, const std::string& what) {
    if (!ok) throw_numerical_error(what);
}

double rsd_of_log_sigma(double sigma) { return std::sqrt(std::expm1(sigma * sigma)); }

// Significant-digit text for reasons ("712000", "1.42").
std::string short_number(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", x);
    return buf;
}

}  // namespace

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
    require(k.grams_per_person_day > 0.0, "per-capita load of " + k.parameter + " = " + format_number(k.grams_per_person_day) +
                                              " g/person/day: must be > 0");
    require(k.rsd >= 0.0, "rsd of " + k.parameter + " = " + format_number(k.rsd) + ": must be >= 0");
    require(!(c.value() < 0.0), k.parameter + " concentration = " + format_number(c.value()) + " ng/L: must be >= 0");
    require(!(q.value() < 0.0), "flow = " + format_number(q.value()) + " m3/day: must be >= 0");
    population_estimate e;
    e.method = population_method::hydrochemical;
    e.value = population(load(c, q).value() / (k.grams_per_person_day * 1000.0));
    e.rsd = k.rsd;
    e.basis = k.parameter + " " + format_number(k.grams_per_person_day) + " g/person/day (" + k.source + ")";
    return e;
}

per_capita_load calibrate_per_capita_load(std::string parameter, std::span<const concentration> c, std::span<const flow> q,
                                          population census) {
    require(census.value() > 0.0, "census population = " + format_number(census.value()) + ": must be > 0");
    require(c.size() == q.size(), "calibration of " + parameter + ": " + std::to_string(c.size()) + " concentrations but " +
                                      std::to_string(q.size()) + " flows");
    std::vector<double> ln_ratio;  // ln(g/person/day)
    for (std::size_t i = 0; i < c.size(); ++i) {
        const double grams = load(c[i], q[i]).value() * 1e-3;
        if (grams > 0.0 && std::isfinite(grams)) ln_ratio.push_back(std::log(grams / census.value()));
    }
    require(ln_ratio.size() >= 3, "calibration of " + parameter + " needs 3 days with a positive load, has " +
                                      std::to_string(ln_ratio.size()));
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
    require(p.cigarettes_per_person_day > 0.0,
            "cigarettes per person and day = " + format_number(p.cigarettes_per_person_day) + ": must be > 0");
    require(p.mg_cotinine_per_cigarette > 0.0,
            "mg cotinine per cigarette = " + format_number(p.mg_cotinine_per_cigarette) + ": must be > 0");
    require(p.domestic_fraction > 0.0 && p.domestic_fraction <= 1.0,
            "domestic fraction = " + format_number(p.domestic_fraction) + ": must be in (0, 1]");
    require(p.rsd >= 0.0, "rsd of the cotinine population = " + format_number(p.rsd) + ": must be >= 0");
    require(!(cotinine.value() < 0.0), "cotinine = " + format_number(cotinine.value()) + " ng/L: must be >= 0");
    require(!(q.value() < 0.0), "flow = " + format_number(q.value()) + " m3/day: must be >= 0");
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
    require(!used.empty(), "no population estimate with a positive value to combine");
    population_estimate c;
    c.method = used.size() == 1 ? used.front()->method : population_method::combined;
    c.value = population(std::exp(sum_wx / sum_w));
    c.rsd = rsd_of_log_sigma(std::sqrt(1.0 / sum_w));
    std::string basis = used.size() == 1 ? std::string() : "inverse-variance in log space: ";
    for (std::size_t i = 0; i < used.size(); ++i) {
        const double w = 1.0 / (used[i]->log_sigma() * used[i]->log_sigma());
        if (i) basis += ", ";
        basis += std::string(to_string(used[i]->method)) + " " + short_number(used[i]->value.value()) + " (weight " +
                 short_number(w / sum_w) + ")";
    }
    c.basis = used.size() == 1 ? used.front()->basis : basis;
    return c;
}

population_check check_population(const population_estimate& estimate, population census, double factor) {
    require(factor > 1.0, "population check factor = " + format_number(factor) + ": must be > 1");
    require(census.value() > 0.0, "census population = " + format_number(census.value()) + ": must be > 0");
    population_check r;
    r.ratio = estimate.value.value() / census.value();
    r.departs = r.ratio > factor || r.ratio < 1.0 / factor;
    r.reason = "estimated " + short_number(estimate.value.value()) + " (" + std::string(to_string(estimate.method)) + ") is " +
               short_number(r.ratio) + " x the census " + short_number(census.value()) + " (limit " + short_number(factor) +
               " x either way)";
    return r;
}

venue_index biomarker_normalised_index(const venue_index_inputs& in, double interval) {
    require(in.cotinine.value() > 0.0, "cotinine = " + format_number(in.cotinine.value()) + " ng/L: must be > 0");
    require(!(in.residue.value() < 0.0), "residue = " + format_number(in.residue.value()) + " ng/L: must be >= 0");
    require(in.cf > 0.0, "correction factor = " + format_number(in.cf) + ": must be > 0");
    require(in.cot.cigarettes_per_person_day > 0.0 && in.cot.mg_cotinine_per_cigarette > 0.0,
            "cotinine excretion per person = " + format_number(in.cot.cigarettes_per_person_day) + " cigarettes x " +
                format_number(in.cot.mg_cotinine_per_cigarette) + " mg: both must be > 0");
    for (double r : {in.rsd_residue_analysis, in.rsd_cotinine_analysis, in.rsd_cf, in.cot.rsd})
        require(r >= 0.0, "rsd = " + format_number(r) + ": must be >= 0");
    require(interval > 0.0 && interval < 1.0, "interval = " + format_number(interval) + ": must be in (0, 1)");
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

}  // namespace wbe
