#include "wbe/core/composite_index.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "wbe/core/detect.hpp"

namespace wbe {

namespace {
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

double median_of(std::vector<double> v) {
    v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
    if (v.empty()) return nan;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}
}  // namespace

std::string_view to_string(composite_method m) noexcept { return m == composite_method::relative ? "relative" : "total_doses"; }

composite_result composite_index(const std::vector<campaign_estimate>& estimates, const composite_options& o) {
    composite_result out;
    if (o.drugs.empty()) return out;
    const auto matches = [](const campaign_estimate& c, const std::string& d) { return c.drug == d || c.analyte == d; };

    // Each component's scale: 1/dose for total doses, 100/reference for the relative index.
    std::map<std::string, double> scale;
    for (const auto& [drug, weight] : o.drugs) {
        if (o.method == composite_method::total_doses) {
            // doses = consumption / dose, so the dose is consumption / doses of any row.
            double dose = nan;
            for (const auto& c : estimates)
                if (c.scope == "site" && c.site_kind == "wwtp" && matches(c, drug) && c.doses_mean > 0.0 && c.consumption_mean > 0.0) {
                    dose = c.consumption_mean / c.doses_mean;
                    break;
                }
            if (std::isnan(dose)) out.warnings.push_back("composite " + o.name + ": " + drug + " has no dose or no data; it counts as missing");
            scale[drug] = weight / dose;
        } else {
            int year = o.base_year;
            if (year == 0) {
                year = 10000;
                for (const auto& c : estimates)
                    if (c.scope == "site" && c.site_kind == "wwtp" && matches(c, drug))
                        year = std::min(year, static_cast<int>(std::floor(time_of_campaign(c.campaign).time)));
            }
            std::vector<double> base;
            for (const auto& c : estimates)
                if (c.scope == "site" && c.site_kind == "wwtp" && matches(c, drug) &&
                    static_cast<int>(std::floor(time_of_campaign(c.campaign).time)) == year)
                    base.push_back(c.consumption_mean);
            const double ref = median_of(base);
            if (!(ref > 0.0)) out.warnings.push_back("composite " + o.name + ": " + drug + " has no positive reference in " + std::to_string(year));
            scale[drug] = weight * 100.0 / ref;
        }
    }

    // Sum per (plant, campaign).
    struct acc {
        double value = 0.0, low = 0.0, high = 0.0;
        std::size_t parts = 0, n_samples = 0, n_censored = 0;
        double population = nan;
        std::string population_method;
    };
    std::map<std::pair<std::string, std::string>, acc> sums;
    for (const auto& c : estimates) {
        if (c.scope != "site" || c.site_kind != "wwtp") continue;
        for (const auto& [drug, weight] : o.drugs) {
            if (!matches(c, drug)) continue;
            auto& a = sums[{c.id, c.campaign}];
            const double k = scale.at(drug);
            a.value += k * c.consumption_mean;
            a.low += k * c.consumption_censored_low;
            a.high += k * c.consumption_censored_high;
            a.n_samples += c.n_samples;
            a.n_censored += c.n_censored;
            a.population = c.population;
            a.population_method = c.population_method;
            ++a.parts;
        }
    }
    for (const auto& [key, a] : sums) {
        campaign_estimate r;
        r.scope = "site";
        r.id = key.first;
        r.site_kind = "wwtp";
        r.campaign = key.second;
        r.analyte = o.name;
        r.drug = o.name;
        r.n_sites = 1;
        r.n_samples = a.n_samples;
        r.n_censored = a.n_censored;
        r.population = a.population;
        r.population_method = a.population_method;
        r.censoring = std::string("composite:") + std::string(to_string(o.method));
        const bool complete = a.parts == o.drugs.size();
        r.consumption_mean = complete ? a.value : nan;
        r.consumption_censored_low = complete ? a.low : nan;
        r.consumption_censored_high = complete ? a.high : nan;
        out.rows.push_back(std::move(r));
    }
    return out;
}

}  // namespace wbe
