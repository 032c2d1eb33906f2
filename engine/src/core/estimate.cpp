#include "wbe/core/estimate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include "wbe/core/back_calculation.hpp"

namespace wbe {

namespace {
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

struct flow_key {
    std::string site;
    day_number day;
    friend bool operator<(const flow_key& a, const flow_key& b) { return std::tie(a.site, a.day) < std::tie(b.site, b.day); }
};

// The in-sewer multiplier of one residue at one site, or 1 when the correction is off.
double in_sewer_factor(const residue_model& m, const site& s, const estimate_options& o) {
    if (!o.in_sewer_correction || !m.in_sewer_half_life.present() || std::isnan(s.residence_time_h)) return 1.0;
    return correct_in_sewer_first_order(mass_load(1.0), m.in_sewer_half_life.value, s.residence_time_h).value();
}

double sorbed_fraction(const residue_model& m, const estimate_options& o) {
    return (o.sorption_correction && m.sorption_fraction.present()) ? m.sorption_fraction.value : 0.0;
}

std::string policy_label(const std::set<std::string>& rules) {
    if (rules.empty()) return "none";
    std::string out;
    for (const auto& r : rules) out += (out.empty() ? "" : "+") + r;
    return out;
}
}  // namespace

daily_estimate::daily_estimate()
    : conc_ng_per_l(nan), flow_m3_per_day(nan), load_mg_per_day(nan), population(nan), pnl(nan), consumption(nan),
      doses(nan) {}

campaign_estimate::campaign_estimate()
    : conc_mean(nan), load_mean(nan), population(nan), pnl_mean(nan), consumption_mean(nan), doses_mean(nan),
      consumption_weekday(nan), consumption_weekend(nan) {}

estimate_result estimate(const std::vector<site>& sites, const std::vector<assay_result>& results,
                         const std::vector<flow_record>& flows, const model_set& models,
                         const estimate_options& options, const std::string& city_name) {
    estimate_result out;
    auto& sum = out.summary;
    sum.n_results = results.size();

    std::unordered_map<std::string, const site*> site_by_id;
    for (const auto& s : sites) site_by_id.emplace(s.id, &s);
    std::map<flow_key, double> flow_by_day;
    for (const auto& f : flows) flow_by_day[{f.site_id, f.day}] = f.flow_m3_per_day;

    std::set<std::string> used_residues;

    // --- daily chain -------------------------------------------------------------------------
    out.daily.reserve(results.size());
    for (const auto& r : results) {
        const auto sit = site_by_id.find(r.site_id);
        const residue_model* m = models.find(r.analyte);
        if (sit == site_by_id.end() || m == nullptr) {
            sum.warnings.push_back("result " + r.sample_id + "/" + r.analyte + " skipped: unknown " +
                                   (m == nullptr ? "analyte" : "site"));
            continue;
        }
        const site& s = *sit->second;
        daily_estimate d;
        d.site_id = s.id;
        d.site_kind = s.kind;
        d.sample_id = r.sample_id;
        d.day = r.day;
        d.campaign = campaign_label(r.day, options.period);
        d.analyte = m->residue;
        d.drug = m->drug ? m->drug->name : std::string();
        d.qual = r.conc.qual;
        d.censoring = std::string(censoring_method(r.conc, options.censoring));
        d.conc_ng_per_l = substitute(r.conc, options.censoring);
        if (r.conc.censored()) ++sum.n_censored;

        if (s.is_plant()) {
            const auto f = flow_by_day.find({s.id, r.day});
            if (f == flow_by_day.end()) {
                ++sum.n_missing_flow;
                d.note = "no flow for this day";
            } else {
                d.flow_m3_per_day = f->second;
                d.population = s.population;
                const chain_factors cf = make_chain_factors(m->cf(), m->dose_mg(), sorbed_fraction(*m, options),
                                                            in_sewer_factor(*m, s, options));
                d.load_mg_per_day = d.conc_ng_per_l * d.flow_m3_per_day * cf.load_multiplier;
                double idx[3];
                back_calculate({&d.conc_ng_per_l, 1}, {&d.flow_m3_per_day, 1}, {&d.population, 1}, cf,
                               {{&idx[0], 1}, {&idx[1], 1}, {&idx[2], 1}});
                d.pnl = idx[0];
                d.consumption = idx[1];
                d.doses = idx[2];
                if (m->drug) used_residues.insert(m->residue);
            }
        }
        out.daily.push_back(std::move(d));
    }

    std::sort(sum.warnings.begin(), sum.warnings.end());  // skipped results, independent of input order
    std::sort(out.daily.begin(), out.daily.end(), [](const daily_estimate& a, const daily_estimate& b) {
        return std::tie(a.site_id, a.analyte, a.day, a.sample_id) < std::tie(b.site_id, b.analyte, b.day, b.sample_id);
    });

    // --- amphetamine from methamphetamine ----------------------------------------------------
    // AMP_illicit = max(0, AMP − 0.09 × METH) on the excreted loads of the same sample; the rest
    // of the chain is then recomputed from the corrected load.
    if (options.amphetamine_correction) {
        const residue_model* amp = models.find("amphetamine");
        const residue_model* meth = models.find("methamphetamine");
        if (amp && meth) {
            std::map<std::pair<std::string, std::string>, double> meth_load;  // (site, sample) → load
            for (const auto& d : out.daily)
                if (d.analyte == meth->residue && !std::isnan(d.load_mg_per_day))
                    meth_load[{d.site_id, d.sample_id}] = d.load_mg_per_day;
            for (auto& d : out.daily) {
                if (d.analyte != amp->residue || std::isnan(d.load_mg_per_day)) continue;
                const auto it = meth_load.find({d.site_id, d.sample_id});
                if (it == meth_load.end()) continue;
                d.load_mg_per_day = amphetamine_illicit(mass_load(d.load_mg_per_day), mass_load(it->second)).value();
                d.pnl = d.population > 0.0 ? normalise(mass_load(d.load_mg_per_day), population(d.population)).value()
                                           : nan;  // as back_calculate: no population, no index
                d.consumption = to_consumption(wbe::pnl(d.pnl), amp->cf()).value();
                d.doses = to_doses(wbe::consumption(d.consumption), amp->dose_mg()).value();
                d.note = "corrected: max(0, AMP - 0.09 x METH)";
                ++sum.n_corrected_amphetamine;
            }
        }
    }

    // --- campaigns per site ------------------------------------------------------------------
    struct group {
        std::vector<day_number> days;
        std::vector<double> conc, load, pnl, cons, doses;
        std::size_t n_censored = 0;
        std::set<std::string> rules;
        const daily_estimate* first = nullptr;
    };
    std::map<std::tuple<std::string, std::string, std::string>, group> groups;  // (site, analyte, campaign)
    for (const auto& d : out.daily) {
        auto& g = groups[{d.site_id, d.analyte, d.campaign}];
        if (!g.first) g.first = &d;
        g.days.push_back(d.day);
        g.conc.push_back(d.conc_ng_per_l);
        g.load.push_back(d.load_mg_per_day);
        g.pnl.push_back(d.pnl);
        g.cons.push_back(d.consumption);
        g.doses.push_back(d.doses);
        if (d.qual == qualifier::below_lod || d.qual == qualifier::below_loq) {
            ++g.n_censored;
            g.rules.insert(d.censoring);
        }
    }
    const auto mean_of = [](const std::vector<day_number>& days, const std::vector<double>& v) {
        return summarise_campaign(days, v);
    };
    for (const auto& [key, g] : groups) {
        campaign_estimate c;
        c.scope = "site";
        c.id = std::get<0>(key);
        c.analyte = std::get<1>(key);
        c.campaign = std::get<2>(key);
        c.site_kind = g.first->site_kind;
        c.drug = g.first->drug;
        c.n_sites = 1;
        c.n_censored = g.n_censored;
        c.censoring = policy_label(g.rules);
        const campaign_mean conc = mean_of(g.days, g.conc);
        c.n_samples = conc.n;
        c.conc_mean = conc.mean;
        c.load_mean = mean_of(g.days, g.load).mean;
        c.pnl_mean = mean_of(g.days, g.pnl).mean;
        const campaign_mean cons = mean_of(g.days, g.cons);
        c.consumption_mean = cons.mean;
        c.n_weekday = cons.n_weekday;
        c.consumption_weekday = cons.weekday_mean;
        c.n_weekend = cons.n_weekend;
        c.consumption_weekend = cons.weekend_mean;
        c.doses_mean = mean_of(g.days, g.doses).mean;
        // The plant's population, not the first day's: a first day without flow has none.
        c.population = site_by_id.at(c.id)->population;
        out.campaigns.push_back(std::move(c));
    }

    // --- districts and the city (plants only), population-weighted -----------------------------
    struct agg {
        std::vector<double> pop, pnl, cons, doses;
        double load = 0.0;
        std::size_t n_samples = 0, n_censored = 0, n_weekday = 0, n_weekend = 0;
        std::vector<double> cons_wd, pop_wd, cons_we, pop_we;
        std::set<std::string> rules;
        std::string drug;
    };
    std::map<std::tuple<std::string, std::string, std::string, std::string>, agg> aggs;  // (scope, id, analyte, campaign)
    for (const auto& c : out.campaigns) {
        if (c.site_kind != "wwtp" || std::isnan(c.pnl_mean)) continue;
        const site& s = *site_by_id.at(c.id);
        for (const auto& [scope, id] : {std::pair<std::string, std::string>{"district", s.district},
                                        std::pair<std::string, std::string>{"city", city_name}}) {
            if (id.empty()) continue;
            auto& a = aggs[{scope, id, c.analyte, c.campaign}];
            a.drug = c.drug;
            a.pop.push_back(c.population);
            a.pnl.push_back(c.pnl_mean);
            a.cons.push_back(c.consumption_mean);
            a.doses.push_back(c.doses_mean);
            a.load += c.load_mean;
            a.n_samples += c.n_samples;
            a.n_censored += c.n_censored;
            if (c.n_weekday) {
                a.cons_wd.push_back(c.consumption_weekday);
                a.pop_wd.push_back(c.population);
                a.n_weekday += c.n_weekday;
            }
            if (c.n_weekend) {
                a.cons_we.push_back(c.consumption_weekend);
                a.pop_we.push_back(c.population);
                a.n_weekend += c.n_weekend;
            }
            if (c.censoring != "none") {
                // A site label may join several rules (`lod_half+loq_half`): keep each rule once.
                for (std::size_t b = 0, e; b <= c.censoring.size(); b = e + 1) {
                    e = std::min(c.censoring.find('+', b), c.censoring.size());
                    a.rules.insert(c.censoring.substr(b, e - b));
                }
            }
        }
    }
    for (const auto& [key, a] : aggs) {
        campaign_estimate c;
        c.scope = std::get<0>(key);
        c.id = std::get<1>(key);
        c.analyte = std::get<2>(key);
        c.campaign = std::get<3>(key);
        c.site_kind = "wwtp";
        c.drug = a.drug;
        c.n_sites = a.pop.size();
        c.n_samples = a.n_samples;
        c.n_censored = a.n_censored;
        c.censoring = policy_label(a.rules);
        c.load_mean = a.load;
        double p = 0.0;
        for (double x : a.pop) p += x;
        c.population = p;
        c.pnl_mean = population_weighted_mean(a.pnl, a.pop);
        c.consumption_mean = population_weighted_mean(a.cons, a.pop);
        c.doses_mean = population_weighted_mean(a.doses, a.pop);
        c.n_weekday = a.n_weekday;
        c.consumption_weekday = population_weighted_mean(a.cons_wd, a.pop_wd);
        c.n_weekend = a.n_weekend;
        c.consumption_weekend = population_weighted_mean(a.cons_we, a.pop_we);
        out.campaigns.push_back(std::move(c));
    }

    std::sort(out.campaigns.begin(), out.campaigns.end(), [](const campaign_estimate& a, const campaign_estimate& b) {
        const auto rank = [](const std::string& s) { return s == "site" ? 0 : s == "district" ? 1 : 2; };
        return std::make_tuple(rank(a.scope), std::cref(a.id), std::cref(a.analyte), std::cref(a.campaign)) <
               std::make_tuple(rank(b.scope), std::cref(b.id), std::cref(b.analyte), std::cref(b.campaign));
    });

    // --- audit -------------------------------------------------------------------------------
    for (const auto& residue : used_residues) {
        for (const auto& [name, p] : models.find(residue)->consumption_parameters())
            if (p->evidence_level == evidence::unconfirmed) sum.unconfirmed_parameters.push_back(name);
    }
    if (sum.n_missing_flow)
        sum.warnings.push_back(std::to_string(sum.n_missing_flow) +
                               " plant results have no flow for their day: their indices are missing");
    sum.n_daily = out.daily.size();
    sum.n_campaign = out.campaigns.size();
    return out;
}

}  // namespace wbe
