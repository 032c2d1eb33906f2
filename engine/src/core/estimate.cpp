#include "wbe/core/estimate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include "wbe/core/back_calculation.hpp"
#include "wbe/core/venue_index.hpp"
#include "wbe/core/censored_summary.hpp"
#include "wbe/core/monte_carlo.hpp"
#include "wbe/core/rng.hpp"

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

// Resolves the distribution of each component for one drug (residue), site and lab method:
// the default, then the model's or site's own RSD (keeping the default's family), then the
// overrides whose selectors all match, in order.
struct resolved_components {
    factor_distribution analysis, sampling, flow, population, excretion;
};

factor_distribution with_rsd(factor_distribution d, double rsd) {
    if (!std::isnan(rsd) && (d.family == distribution_family::lognormal || d.family == distribution_family::normal))
        d.rsd = rsd;
    return d;
}

resolved_components resolve_components(const uncertainty_options& u, const residue_model& m, const site& s,
                                       const std::string& method_id) {
    resolved_components r{u.defaults.analysis, u.defaults.sampling, u.defaults.flow, u.defaults.population,
                          u.defaults.excretion};
    if (u.from_inputs) {
        r.population = with_rsd(r.population, s.population_rsd);
        if (m.drug) {
            const parameter& p = m.drug->correction_factor.present() ? m.drug->correction_factor : m.drug->excretion_fraction;
            r.excretion = with_rsd(r.excretion, p.rsd);
        }
    }
    for (const auto& o : u.overrides) {
        if (!o.drug.empty() && o.drug != m.residue && !(m.drug && o.drug == m.drug->name)) continue;
        if (!o.site.empty() && o.site != s.id) continue;
        if (!o.method_id.empty() && o.method_id != method_id) continue;
        if (o.analysis) r.analysis = *o.analysis;
        // A lab method selects the analysis error only; the excretion is drawn once per drug for
        // every site. Otherwise the result would depend on which sample or plant comes first.
        if (!o.method_id.empty()) continue;
        if (o.sampling) r.sampling = *o.sampling;
        if (o.flow) r.flow = *o.flow;
        if (o.population) r.population = *o.population;
        if (o.excretion && o.site.empty()) r.excretion = *o.excretion;
    }
    return r;
}


// The limit of a censored daily value (LOD for <LOD, LOQ for <LOQ), from its raw result.
template <class Sources>
double limit_of(const Sources& sources, const daily_estimate& d) {
    const auto it = sources.find({d.site_id, d.sample_id, d.analyte});
    if (it == sources.end() || !it->second.result) return std::numeric_limits<double>::quiet_NaN();
    const censored_value& v = it->second.result->conc;
    return d.qual == qualifier::below_lod ? v.lod : v.loq;
}

// Fills the censored-data summary of a campaign estimate (science.md §5: Kaplan–Meier or ROS
// rather than substitution when values are summarised; not estimable above 80% censored).
void apply_summary(campaign_estimate& c, const std::vector<left_censored>& values, const censored_summary_options& o) {
    censored_summary r;
    try {
        r = summarise_censored(values, o);
    } catch (const numerical_error& e) {
        c.censored_method = "not_estimable";
        c.censored_note = e.what();
        return;
    }
    c.detection_frequency = r.detection_frequency;
    c.censored_method = std::string(to_string(r.method));
    c.censored_mean = r.estimable() ? r.mean : std::numeric_limits<double>::quiet_NaN();
    c.censored_median = r.estimable() ? r.median : std::numeric_limits<double>::quiet_NaN();
    c.censored_note = r.estimable() ? r.note : r.not_estimable_reason;
}

}  // namespace

group_summary::group_summary() : detection_frequency(nan), mean(nan), median(nan) {}

std::string_view value_kind(std::string_view site_kind, std::string_view drug) noexcept {
    if (drug.empty()) return "concentration";
    return site_kind == "venue" ? "screening" : "consumption";
}

daily_estimate::daily_estimate()
    : conc_ng_per_l(nan), flow_m3_per_day(nan), load_mg_per_day(nan), population(nan), pnl(nan), consumption(nan),
      doses(nan), consumption_median(nan), consumption_lower(nan), consumption_upper(nan), screening_index(nan), screening_lower(nan), screening_upper(nan), ratio(nan) {}

campaign_estimate::campaign_estimate()
    : conc_mean(nan), load_mean(nan), population(nan), pnl_mean(nan), consumption_mean(nan), doses_mean(nan),
      consumption_weekday(nan), consumption_weekend(nan), consumption_censored_low(nan), consumption_censored_high(nan),
      uncertainty("none"), consumption_mc_mean(nan), consumption_sd(nan), consumption_median(nan), consumption_lower(nan),
      consumption_upper(nan), p_exceed_watch(nan), p_exceed_alert(nan), threshold_watch(nan), threshold_alert(nan),
      detection_frequency(nan), censored_mean(nan), censored_median(nan), screening_mean(nan), screening_lower(nan), screening_upper(nan) {}

estimate_result estimate(const std::vector<site>& sites, const std::vector<assay_result>& results,
                         const std::vector<flow_record>& flows, const model_set& models,
                         const estimate_options& options, const std::string& city_name,
                         const std::vector<site_population>& populations) {
    estimate_result out;
    out.populations = populations;
    // Each plant's population for a campaign: the resolved one, else its census figure.
    std::map<std::pair<std::string, std::string>, const population_estimate*> population_of;
    for (const auto& sp : out.populations) population_of[{sp.site_id, sp.campaign}] = &sp.used;
    const auto population_for = [&](const site& s, const std::string& campaign) -> std::pair<double, std::string> {
        const auto it = population_of.find({s.id, campaign});
        if (it == population_of.end()) return {s.population, s.population_method.empty() ? "census" : s.population_method};
        return {it->second->value.value(), std::string(to_string(it->second->method))};
    };
    auto& sum = out.summary;
    sum.n_results = results.size();

    std::unordered_map<std::string, const site*> site_by_id;
    for (const auto& s : sites) site_by_id.emplace(s.id, &s);
    std::map<flow_key, double> flow_by_day;
    for (const auto& f : flows) flow_by_day[{f.site_id, f.day}] = f.flow_m3_per_day;

    std::set<std::string> used_residues;
    // (site, sample, analyte) → the raw result and the consumption per ng/L of its day, for the
    // censoring bounds and the uncertainty pass.
    struct day_source {
        const assay_result* result = nullptr;
        double cons_per_conc = nan;
        double load_multiplier = nan;
    };
    std::map<std::tuple<std::string, std::string, std::string>, day_source> sources;

    // --- daily chain -------------------------------------------------------------------------
    out.daily.reserve(results.size());
    for (const auto& r : results) {
        const auto sit = site_by_id.find(r.site_id);
        const residue_model* m = models.find(r.analyte);
        if (sit != site_by_id.end() && m != nullptr) sources[{sit->second->id, r.sample_id, m->residue}].result = &r;
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
        d.batch_id = r.batch_id;
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
                std::tie(d.population, d.population_method) = population_for(s, d.campaign);
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
                sources[{s.id, r.sample_id, m->residue}] = {
                    &r, d.population > 0.0 ? d.flow_m3_per_day * cf.load_multiplier / d.population * 1000.0 * cf.correction_factor : nan,
                    cf.load_multiplier};
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

    // --- parent/metabolite ratios per sample ---------------------------------------------------
    if (!options.ratio_pairs.empty()) {
        std::map<std::tuple<std::string, std::string, std::string>, const daily_estimate*> by_sample;
        for (const auto& d : out.daily) by_sample[{d.site_id, d.sample_id, d.analyte}] = &d;
        for (auto& d : out.daily) {
            if (d.qual != qualifier::detected) continue;
            for (const auto& [num, den] : options.ratio_pairs) {
                if (d.analyte != num) continue;
                const auto it = by_sample.find({d.site_id, d.sample_id, den});
                if (it != by_sample.end() && it->second->qual == qualifier::detected && it->second->conc_ng_per_l > 0.0) {
                    d.ratio_to = den;
                    d.ratio = d.conc_ng_per_l / it->second->conc_ng_per_l;
                }
                break;  // the residue's first pair
            }
        }
    }

    // --- venue screening index ----------------------------------------------------------------
    // Per venue sample: each drug residue against the cotinine of the same sample (venue_index.hpp).
    const venue_screening_options& vs = options.venue_screening;
    const auto screening_inputs = [&](const site& s, const residue_model& m) {
        venue_index_inputs in;
        in.cf = m.cf();
        in.cot.cigarettes_per_person_day = s.smoking_rate;
        in.cot.mg_cotinine_per_cigarette = vs.mg_cotinine_per_cigarette;
        in.cot.rsd = vs.excretion_rsd;
        const resolved_components rc = resolve_components(options.uncertainty, m, s, std::string());
        const auto rsd_of = [](const factor_distribution& f, double fallback) {
            return f.family == distribution_family::fixed ? 0.0 : std::isnan(f.rsd) ? fallback : f.rsd;
        };
        in.rsd_residue_analysis = rsd_of(rc.analysis, in.rsd_residue_analysis);
        in.rsd_cotinine_analysis = in.rsd_residue_analysis;
        in.rsd_cf = rsd_of(rc.excretion, in.rsd_cf);
        return in;
    };
    if (vs.enabled) {
        std::map<std::pair<std::string, std::string>, double> cotinine_of;  // (site, sample) → ng/L, quantified
        for (const auto& r : results)
            if (r.analyte == vs.cotinine_residue && !r.conc.censored() && r.conc.value > 0.0)
                cotinine_of[{r.site_id, r.sample_id}] = r.conc.value;
        for (auto& d : out.daily) {
            if (d.site_kind != "venue" || d.drug.empty()) continue;
            const site& s = *site_by_id.at(d.site_id);
            const residue_model& m = *models.find(d.analyte);
            const auto cot = cotinine_of.find({d.site_id, d.sample_id});
            if (cot == cotinine_of.end() || !(s.smoking_rate > 0.0) || std::isnan(d.conc_ng_per_l)) {
                d.note = cot == cotinine_of.end() ? "no screening index: no quantified cotinine in this sample"
                                                  : "no screening index: the site has no smoking_rate";
                continue;
            }
            venue_index_inputs in = screening_inputs(s, m);
            in.residue = concentration(d.conc_ng_per_l);
            in.cotinine = concentration(cot->second);
            const venue_index v = biomarker_normalised_index(in, options.uncertainty.mc.interval);
            d.screening_index = v.value;
            d.screening_lower = v.lower;
            d.screening_upper = v.upper;
        }
    }

    // --- campaigns per site ------------------------------------------------------------------
    struct group {
        std::vector<day_number> days;
        std::vector<double> conc, load, pnl, cons, doses, cons_low, cons_high, screening;
        std::vector<left_censored> censored_values;  // consumption (plants) or concentration (venues)
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
        if (!std::isnan(d.screening_index)) g.screening.push_back(d.screening_index);
        g.load.push_back(d.load_mg_per_day);
        g.pnl.push_back(d.pnl);
        g.cons.push_back(d.consumption);
        g.doses.push_back(d.doses);
        // Censoring bounds: a censored day at 0 and at its limit; the chain is linear in the
        // concentration (the amphetamine correction is not, so those rows keep their value).
        double low = d.consumption, high = d.consumption;
        if ((d.qual == qualifier::below_lod || d.qual == qualifier::below_loq) && d.note.empty()) {
            const auto src = sources.find({d.site_id, d.sample_id, d.analyte});
            if (src != sources.end() && src->second.result) {
                const censored_value& v = src->second.result->conc;
                const double limit = d.qual == qualifier::below_lod ? v.lod : v.loq;
                low = std::isnan(d.consumption) ? nan : 0.0;
                high = limit * src->second.cons_per_conc;
            }
        }
        g.cons_low.push_back(low);
        g.cons_high.push_back(high);
        // The same day as a left-censored value for the censored-data summary: a non-detect at
        // its limit (in consumption units for plants, whose days differ in flow, so several
        // limits), a quantified value as it is.
        {
            const bool cens = d.qual == qualifier::below_lod || d.qual == qualifier::below_loq;
            const bool plant = d.site_kind == "wwtp" && !d.drug.empty();  // else concentration
            const double v = plant ? (cens ? high : d.consumption)
                                   : (cens ? limit_of(sources, d) : d.conc_ng_per_l);
            if (!std::isnan(v)) g.censored_values.push_back({v, cens});
        }
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
        c.consumption_censored_low = mean_of(g.days, g.cons_low).mean;
        c.consumption_censored_high = mean_of(g.days, g.cons_high).mean;
        // The plant's population, not the first day's: a first day without flow has none.
        if (site_by_id.at(c.id)->is_plant()) std::tie(c.population, c.population_method) = population_for(*site_by_id.at(c.id), c.campaign);
        apply_summary(c, g.censored_values, options.censored_summary);
        if (!g.screening.empty()) {
            const site& s = *site_by_id.at(c.id);
            const venue_campaign_index v =
                venue_campaign_mean(g.screening, screening_inputs(s, *models.find(c.analyte)), options.uncertainty.mc.interval);
            c.screening_mean = v.mean;
            c.screening_lower = v.lower;
            c.screening_upper = v.upper;
        }
        out.campaigns.push_back(std::move(c));
    }

    // --- censored-data summaries of venue types and districts ---------------------------------
    {
        std::map<std::tuple<std::string, std::string, std::string, std::string>, std::vector<left_censored>> pooled;
        for (const auto& [key, g] : groups) {
            const site& s = *site_by_id.at(std::get<0>(key));
            const std::string kind = s.is_plant() ? "district" : "venue_type";
            const std::string group = s.is_plant() ? s.district : s.venue_type;
            if (group.empty()) continue;
            auto& v = pooled[{kind, group, std::get<1>(key), std::get<2>(key)}];
            v.insert(v.end(), g.censored_values.begin(), g.censored_values.end());
        }
        for (const auto& [key, values] : pooled) {
            group_summary gs;
            gs.group_kind = std::get<0>(key);
            gs.group = std::get<1>(key);
            gs.analyte = std::get<2>(key);
            gs.campaign = std::get<3>(key);
            const residue_model* gm = models.find(gs.analyte);
            gs.metric = gs.group_kind == "district" && gm && gm->drug ? "consumption" : "concentration";
            campaign_estimate tmp;
            apply_summary(tmp, values, options.censored_summary);
            gs.n = values.size();
            gs.n_censored = static_cast<std::size_t>(std::count_if(values.begin(), values.end(), [](const left_censored& x) { return x.censored; }));
            gs.detection_frequency = tmp.detection_frequency;
            gs.method = tmp.censored_method;
            gs.mean = tmp.censored_mean;
            gs.median = tmp.censored_median;
            gs.note = tmp.censored_note;
            out.summaries.push_back(std::move(gs));
        }
    }

    // --- districts and the city (plants only), population-weighted -----------------------------
    struct agg {
        std::vector<double> pop, pnl, cons, doses, cons_low, cons_high;
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
            a.cons_low.push_back(c.consumption_censored_low);
            a.cons_high.push_back(c.consumption_censored_high);
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
        c.population_method = "sum";
        c.pnl_mean = population_weighted_mean(a.pnl, a.pop);
        c.consumption_mean = population_weighted_mean(a.cons, a.pop);
        c.doses_mean = population_weighted_mean(a.doses, a.pop);
        c.consumption_censored_low = population_weighted_mean(a.cons_low, a.pop);
        c.consumption_censored_high = population_weighted_mean(a.cons_high, a.pop);
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

    // --- uncertainty ---------------------------------------------------------------------------
    const uncertainty_options& uo = options.uncertainty;
    if (uo.method != uncertainty_method::none) {
        // One mc_site per (site, residue, campaign), shared by the site's own unit and by the
        // district and city units, so that they all see the same draws.
        std::map<std::tuple<std::string, std::string, std::string>, mc_site> mc_sites;
        std::map<std::tuple<std::string, std::string, std::string>, std::vector<const daily_estimate*>> days_of;
        for (const auto& d : out.daily)
            if (d.site_kind == "wwtp" && !d.drug.empty()) days_of[{d.site_id, d.analyte, d.campaign}].push_back(&d);
        const residue_model* meth = models.find("methamphetamine");
        const residue_model* amph = models.find("amphetamine");
        for (const auto& [key, days] : days_of) {
            const site& s = *site_by_id.at(std::get<0>(key));
            const residue_model& m = *models.find(std::get<1>(key));
            mc_site ms;
            ms.site_key = rng::hash(s.id);
            ms.campaign_key = rng::combine(ms.site_key, rng::hash(std::get<2>(key)));
            const auto pop = population_of.find({s.id, std::get<2>(key)});
            ms.population = pop == population_of.end() ? s.population : pop->second->value.value();
            const std::string method_id = days.front() && sources.count({s.id, days.front()->sample_id, m.residue})
                                              ? sources.at({s.id, days.front()->sample_id, m.residue}).result->method_id
                                              : std::string();
            const resolved_components rc = resolve_components(uo, m, s, method_id);
            // An estimated population brings its own uncertainty (log-normal, median-centred).
            ms.population_dist = pop == population_of.end() || pop->second->method == population_method::census
                                     ? rc.population
                                     : factor_distribution::lognormal(pop->second->rsd);
            ms.flow_dist = rc.flow;
            for (const daily_estimate* d : days) {
                const day_source& src = sources.at({s.id, d->sample_id, m.residue});
                mc_day md;
                md.sample_key = rng::combine(ms.site_key, rng::hash(d->sample_id));
                md.analyte_key = rng::combine(md.sample_key, rng::hash(m.residue));
                md.conc = src.result->conc;
                md.substitute = d->conc_ng_per_l;
                md.flow_m3_per_day = std::isnan(d->consumption) ? nan : d->flow_m3_per_day;
                const resolved_components dc =
                    src.result->method_id == method_id ? rc : resolve_components(uo, m, s, src.result->method_id);
                md.analysis = dc.analysis;
                md.sampling = dc.sampling;
                if (options.amphetamine_correction && amph && meth && m.residue == amph->residue && !d->note.empty()) {
                    const auto sub = sources.find({s.id, d->sample_id, meth->residue});
                    if (sub != sources.end() && sub->second.result) {
                        md.subtract_ratio = amphetamine_per_methamphetamine;
                        md.sub_analyte_key = rng::combine(md.sample_key, rng::hash(meth->residue));
                        md.sub_conc = sub->second.result->conc;
                        md.sub_substitute = substitute(md.sub_conc, options.censoring);
                        md.sub_load_multiplier = sub->second.load_multiplier;
                    }
                }
                ms.days.push_back(std::move(md));
            }
            mc_sites.emplace(key, std::move(ms));
        }

        const auto thresholds_for = [&](const campaign_estimate& c) {
            std::pair<double, double> t{nan, nan};
            for (const auto& e : uo.thresholds)
                if ((e.drug == c.drug || e.drug == c.analyte) && (e.site_kind == "any" || e.site_kind == c.site_kind))
                    t = {e.watch, e.alert};
            return t;
        };
        // One problem per (residue, campaign): its plants, and the site, district and city
        // estimates built on them.
        std::vector<mc_problem> problems;
        std::map<std::pair<std::string, std::string>, std::size_t> problem_of;  // (analyte, campaign)
        std::vector<std::map<std::string, std::size_t>> member_of;              // site id → index, per problem
        struct placed {
            std::size_t problem, estimate, campaign_row;
        };
        std::vector<placed> placements;
        for (std::size_t i = 0; i < out.campaigns.size(); ++i) {
            const campaign_estimate& c = out.campaigns[i];
            if (c.site_kind != "wwtp" || c.drug.empty() || std::isnan(c.consumption_mean)) continue;
            const residue_model& m = *models.find(c.analyte);
            auto [pit, fresh] = problem_of.emplace(std::make_pair(c.analyte, c.campaign), problems.size());
            if (fresh) {
                mc_problem pr;
                pr.drug_key = rng::hash(m.residue);
                pr.cf = m.cf();
                problems.push_back(std::move(pr));
                member_of.emplace_back();
            }
            mc_problem& pr = problems[pit->second];
            auto& members = member_of[pit->second];
            mc_estimate est;
            for (const auto& s : sites) {
                if (!s.is_plant()) continue;
                if (c.scope == "site" ? s.id != c.id : (c.scope == "district" && s.district != c.id)) continue;
                const auto it = mc_sites.find({s.id, c.analyte, c.campaign});
                if (it == mc_sites.end()) continue;
                auto [mit, added] = members.emplace(s.id, pr.sites.size());
                if (added) {
                    mc_site ms = it->second;
                    ms.load_multiplier = make_chain_factors(m.cf(), m.dose_mg(), sorbed_fraction(m, options),
                                                            in_sewer_factor(m, s, options)).load_multiplier;
                    pr.sites.push_back(std::move(ms));
                    if (pr.sites.size() == 1) pr.excretion = resolve_components(uo, m, s, "").excretion;
                }
                est.members.push_back(mit->second);
            }
            if (est.members.empty()) continue;
            const auto [watch, alert] = thresholds_for(c);
            if (!std::isnan(watch)) est.thresholds.push_back(watch);
            if (!std::isnan(alert)) est.thresholds.push_back(alert);
            est.daily = c.scope == "site";
            placements.push_back({pit->second, pr.estimates.size(), i});
            pr.estimates.push_back(std::move(est));
        }

        std::vector<std::vector<mc_result>> results_mc(problems.size());
        if (uo.method == uncertainty_method::monte_carlo) {
            results_mc = run_monte_carlo(problems, uo.mc);
        } else {
            bool warned = false;
            for (std::size_t k = 0; k < problems.size(); ++k) {
                results_mc[k].resize(problems[k].estimates.size());
                for (std::size_t e = 0; e < problems[k].estimates.size(); ++e) {
                    try {
                        results_mc[k][e] = analytic_uncertainty(problems[k], e, uo.mc);
                    } catch (const std::invalid_argument& ex) {
                        if (!warned)
                            sum.warnings.push_back(std::string("analytic uncertainty not available for some estimates: ") + ex.what());
                        warned = true;
                        results_mc[k][e].campaign.p_exceed.assign(problems[k].estimates[e].thresholds.size(), nan);
                    }
                }
            }
        }

        std::map<std::tuple<std::string, std::string, std::string>, std::size_t> daily_index;
        for (std::size_t i = 0; i < out.daily.size(); ++i)
            daily_index[{out.daily[i].site_id, out.daily[i].sample_id, out.daily[i].analyte}] = i;
        for (const placed& pl : placements) {
            campaign_estimate& c = out.campaigns[pl.campaign_row];
            const mc_result& r = results_mc[pl.problem][pl.estimate];
            if (std::isnan(r.campaign.median)) continue;  // no interval (the analytic path: single sites only)
            c.uncertainty = std::string(to_string(uo.method));
            c.consumption_mc_mean = r.campaign.mean;
            c.consumption_sd = r.campaign.sd;
            c.consumption_median = r.campaign.median;
            c.consumption_lower = r.campaign.lower;
            c.consumption_upper = r.campaign.upper;
            const auto [watch, alert] = thresholds_for(c);
            c.threshold_watch = watch;
            c.threshold_alert = alert;
            std::size_t t = 0;
            if (!std::isnan(watch)) c.p_exceed_watch = t < r.campaign.p_exceed.size() ? r.campaign.p_exceed[t++] : nan;
            if (!std::isnan(alert)) c.p_exceed_alert = t < r.campaign.p_exceed.size() ? r.campaign.p_exceed[t] : nan;
            ++sum.n_uncertainty_units;
            if (c.scope != "site") continue;
            const auto& days = days_of.at({c.id, c.analyte, c.campaign});
            for (std::size_t i = 0; i < days.size() && i < r.daily.size(); ++i) {
                daily_estimate& d = out.daily[daily_index.at({days[i]->site_id, days[i]->sample_id, days[i]->analyte})];
                d.consumption_median = r.daily[i].median;
                d.consumption_lower = r.daily[i].lower;
                d.consumption_upper = r.daily[i].upper;
            }
        }
    }

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
