#include "wbe/core/estimate.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <numeric>
#include <set>
#include <string_view>
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

// The maps of `estimate` are keyed by site, sample, residue and campaign. Keyed by tuples of
// std::string they dominated its time on large programmes (a key built, and its strings copied,
// at every lookup; memcmp at every comparison). Each string is instead interned once to a small
// integer id; tuples of ids hash cheaply, and where an order matters the ids are replaced by
// their ranks in std::string order, so that integer keys sort exactly as the string tuples did.
// The views point into the inputs (or into storage of the call), which outlive the table.
class string_ids {
public:
    static constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();

    std::uint32_t add(std::string_view s) {
        const auto [it, fresh] = ids_.try_emplace(s, static_cast<std::uint32_t>(strings_.size()));
        if (fresh) strings_.push_back(s);
        return it->second;
    }
    /// `none` for a string never added.
    [[nodiscard]] std::uint32_t find(std::string_view s) const {
        const auto it = ids_.find(s);
        return it == ids_.end() ? none : it->second;
    }
    [[nodiscard]] std::string_view operator[](std::uint32_t id) const { return strings_[id]; }
    [[nodiscard]] std::size_t size() const noexcept { return strings_.size(); }
    /// Each id's rank among the strings in std::string order (equal to std::string_view's).
    [[nodiscard]] std::vector<std::uint32_t> ranks() const {
        std::vector<std::uint32_t> by_string(strings_.size());
        for (std::uint32_t i = 0; i < by_string.size(); ++i) by_string[i] = i;
        std::sort(by_string.begin(), by_string.end(), [&](std::uint32_t a, std::uint32_t b) { return strings_[a] < strings_[b]; });
        std::vector<std::uint32_t> rank(strings_.size());
        for (std::uint32_t r = 0; r < by_string.size(); ++r) rank[by_string[r]] = r;
        return rank;
    }

private:
    std::unordered_map<std::string_view, std::uint32_t> ids_;
    std::vector<std::string_view> strings_;
};

// A tuple of ids (or ranks; unused fields 0). std::array compares lexicographically.
using id_tuple = std::array<std::uint32_t, 4>;

struct id_tuple_hash {
    static std::uint64_t mix(std::uint64_t x) noexcept {  // SplitMix64's finaliser
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
        return x ^ (x >> 31);
    }
    std::size_t operator()(const id_tuple& k) const noexcept {
        return mix(mix(std::uint64_t{k[0]} << 32 | k[1]) ^ (std::uint64_t{k[2]} << 32 | k[3]));
    }
};

template <class T>
using id_map = std::unordered_map<id_tuple, T, id_tuple_hash>;

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


// (site, sample, analyte) → the raw result and the consumption per ng/L of its day, for the
// censoring bounds and the uncertainty pass.
struct day_source {
    const assay_result* result = nullptr;
    double cons_per_conc = nan;
    double load_multiplier = nan;
};

// The limit of a censored daily value (LOD for <LOD, LOQ for <LOQ), from its raw result.
double limit_of(const day_source& source, qualifier qual) {
    if (!source.result) return std::numeric_limits<double>::quiet_NaN();
    const censored_value& v = source.result->conc;
    return qual == qualifier::below_lod ? v.lod : v.loq;
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
    auto& sum = out.summary;
    sum.n_results = results.size();

    // Sites by id (the first site of an id stands for it), and the ids of the strings that key
    // the maps below (string_ids).
    string_ids site_ids, analyte_ids, sample_ids, campaign_ids;
    std::vector<const site*> site_of;  // site id → site
    for (const auto& s : sites)
        if (site_ids.add(s.id) == site_of.size()) site_of.push_back(&s);
    // The campaign of a day, labelled once per day.
    std::deque<std::string> campaign_labels;  // the strings behind campaign_ids
    std::unordered_map<day_number, std::uint32_t> campaign_of_day;
    const auto campaign_of = [&](day_number day) {
        const auto [it, fresh] = campaign_of_day.try_emplace(day, 0);
        if (fresh) it->second = campaign_ids.add(campaign_labels.emplace_back(campaign_label(day, options.period)));
        return it->second;
    };
    // A residue's model, as models.find(residue) gives it, by residue id.
    std::vector<const residue_model*> model_of;
    const auto residue_id = [&](const residue_model& m) {
        const std::uint32_t id = analyte_ids.add(m.residue);
        if (id == model_of.size()) model_of.push_back(models.find(m.residue));
        return id;
    };
    // model_set::find compares every id and alias case-insensitively: once per spelling.
    std::unordered_map<std::string_view, const residue_model*> model_by_name;

    // Each plant's population for a campaign: the resolved one, else its census figure.
    id_map<const population_estimate*> population_of;  // (site, campaign)
    for (const auto& sp : out.populations) {
        const std::uint32_t s = site_ids.find(sp.site_id);
        if (s != string_ids::none) population_of[{s, campaign_ids.add(sp.campaign), 0, 0}] = &sp.used;
    }
    const auto population_for = [&](std::uint32_t site_id, std::uint32_t campaign) -> std::pair<double, std::string> {
        const site& s = *site_of[site_id];
        const auto it = population_of.find({site_id, campaign, 0, 0});
        if (it == population_of.end()) return {s.population, s.population_method.empty() ? "census" : s.population_method};
        return {it->second->value.value(), std::string(to_string(it->second->method))};
    };

    id_map<double> flow_by_day;  // (site, day)
    flow_by_day.reserve(flows.size());
    for (const auto& f : flows) {
        const std::uint32_t s = site_ids.find(f.site_id);
        if (s != string_ids::none) flow_by_day[{s, static_cast<std::uint32_t>(f.day), 0, 0}] = f.flow_m3_per_day;
    }

    std::vector<char> used_residue;  // by residue id: a drug with an index
    // (site, sample, analyte) → the raw result and the consumption per ng/L of its day, for the
    // censoring bounds and the uncertainty pass.
    std::vector<day_source> sources;
    // (site, sample) → (analyte, index in sources) of each of its results: a sample has a few
    // results, found by a short scan, and comes with one lookup rather than one per result.
    id_map<std::uint32_t> sample_of;
    std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>> sources_of_sample;
    const auto find_source = [&](std::uint32_t site, std::uint32_t sample, std::uint32_t analyte) {
        const auto it = sample_of.find({site, sample, 0, 0});
        if (it != sample_of.end())
            for (const auto& [a, source] : sources_of_sample[it->second])
                if (a == analyte) return source;
        return string_ids::none;
    };
    // The ids of each daily row, kept beside out.daily.
    struct row_ids {
        std::uint32_t site, analyte, sample, campaign, source;
    };
    std::vector<row_ids> ids;

    // --- daily chain -------------------------------------------------------------------------
    // First the ids of every result, then the rows, built directly in their sorted order
    // (site, analyte, day, sample) rather than sorted afterwards: the rows are big.
    std::vector<row_ids> ids_of_result(results.size());
    std::vector<const residue_model*> model_of_result(results.size(), nullptr);  // nullptr: skipped
    struct sort_key {
        std::uint32_t site, analyte;
        day_number day;
        std::uint32_t sample, result;
    };
    std::vector<sort_key> order;
    order.reserve(results.size());
    sources.reserve(results.size());
    {
        // A sample's results usually come together: the last site, sample and day are looked up once.
        const std::string* last_site = nullptr;
        const std::string* last_sample = nullptr;
        std::uint32_t site_id = string_ids::none, sample_site = string_ids::none, sample_id = 0, sample_entry = 0;
        std::uint32_t campaign = string_ids::none;
        day_number last_day = 0;
        for (std::uint32_t j = 0; j < results.size(); ++j) {
            const assay_result& r = results[j];
            if (!last_site || *last_site != r.site_id) site_id = site_ids.find(r.site_id);
            last_site = &r.site_id;
            const auto [mit, fresh] = model_by_name.try_emplace(r.analyte, nullptr);
            if (fresh) mit->second = models.find(r.analyte);
            const residue_model* m = mit->second;
            if (site_id == string_ids::none || m == nullptr) {
                sum.warnings.push_back("result " + r.sample_id + "/" + r.analyte + " skipped: unknown " +
                                       (m == nullptr ? "analyte" : "site"));
                continue;
            }
            if (sample_site != site_id || *last_sample != r.sample_id) {
                sample_id = sample_ids.add(r.sample_id);
                const auto [it, new_sample] = sample_of.try_emplace({site_id, sample_id, 0, 0}, static_cast<std::uint32_t>(sources_of_sample.size()));
                if (new_sample) sources_of_sample.emplace_back();
                sample_site = site_id;
                sample_entry = it->second;
            }
            last_sample = &r.sample_id;
            if (campaign == string_ids::none || r.day != last_day) campaign = campaign_of(r.day);
            last_day = r.day;
            row_ids& k = ids_of_result[j];
            k = {site_id, residue_id(*m), sample_id, campaign, string_ids::none};
            auto& of_sample = sources_of_sample[sample_entry];
            for (const auto& [a, source] : of_sample)
                if (a == k.analyte) k.source = source;
            if (k.source == string_ids::none) {
                k.source = static_cast<std::uint32_t>(sources.size());
                sources.emplace_back();
                of_sample.emplace_back(k.analyte, k.source);
            }
            sources[k.source].result = &r;  // the last result of a key stands for it
            model_of_result[j] = m;
            order.push_back({k.site, k.analyte, r.day, k.sample, j});
        }
    }

    // Ranks of the ids in string order: integer keys that sort as the strings they stand for.
    const std::vector<std::uint32_t> site_rank = site_ids.ranks(), analyte_rank = analyte_ids.ranks(),
                                     campaign_rank = campaign_ids.ranks();

    std::sort(sum.warnings.begin(), sum.warnings.end());  // skipped results, independent of input order
    // Sorted by (site, analyte, day, sample) as ranks. std::sort on these keys, in the order of
    // the results, makes the same comparisons as it made on the rows with string keys, hence the
    // same permutation (ties included).
    {
        const std::vector<std::uint32_t> sample_rank = sample_ids.ranks();
        for (sort_key& o : order) {
            o.site = site_rank[o.site];
            o.analyte = analyte_rank[o.analyte];
            o.sample = sample_rank[o.sample];
        }
        std::sort(order.begin(), order.end(), [](const sort_key& a, const sort_key& b) {
            return std::tie(a.site, a.analyte, a.day, a.sample) < std::tie(b.site, b.analyte, b.day, b.sample);
        });
    }

    out.daily.reserve(order.size());
    ids.reserve(order.size());
    // The result whose chain a source's consumption per ng/L comes from, + 1: the last one with a flow.
    std::vector<std::uint32_t> source_chain(sources.size(), 0);
    for (const sort_key& o : order) {
        const assay_result& r = results[o.result];
        const residue_model* m = model_of_result[o.result];
        const row_ids& k = ids_of_result[o.result];
        const site& s = *site_of[k.site];
        daily_estimate& d = out.daily.emplace_back();
        d.site_id = s.id;
        d.site_kind = s.kind;
        d.sample_id = r.sample_id;
        d.batch_id = r.batch_id;
        d.day = r.day;
        d.campaign = campaign_ids[k.campaign];
        d.analyte = m->residue;
        d.drug = m->drug ? m->drug->name : std::string();
        d.qual = r.conc.qual;
        d.censoring = std::string(censoring_method(r.conc, options.censoring));
        d.conc_ng_per_l = substitute(r.conc, options.censoring);
        if (r.conc.censored()) ++sum.n_censored;

        if (s.is_plant()) {
            const auto f = flow_by_day.find({k.site, static_cast<std::uint32_t>(r.day), 0, 0});
            if (f == flow_by_day.end()) {
                ++sum.n_missing_flow;
                d.note = "no flow for this day";
            } else {
                d.flow_m3_per_day = f->second;
                std::tie(d.population, d.population_method) = population_for(k.site, k.campaign);
                const chain_factors cf = make_chain_factors(m->cf(), m->dose_mg(), sorbed_fraction(*m, options),
                                                            in_sewer_factor(*m, s, options));
                d.load_mg_per_day = d.conc_ng_per_l * d.flow_m3_per_day * cf.load_multiplier;
                double idx[3];
                back_calculate({&d.conc_ng_per_l, 1}, {&d.flow_m3_per_day, 1}, {&d.population, 1}, cf,
                               {{&idx[0], 1}, {&idx[1], 1}, {&idx[2], 1}});
                d.pnl = idx[0];
                d.consumption = idx[1];
                d.doses = idx[2];
                if (m->drug) {
                    if (used_residue.size() <= k.analyte) used_residue.resize(k.analyte + 1, 0);
                    used_residue[k.analyte] = 1;
                }
                if (o.result + 1 > source_chain[k.source]) {
                    source_chain[k.source] = o.result + 1;
                    day_source& src = sources[k.source];
                    src.cons_per_conc = d.population > 0.0 ? d.flow_m3_per_day * cf.load_multiplier / d.population * 1000.0 * cf.correction_factor : nan;
                    src.load_multiplier = cf.load_multiplier;
                }
            }
        }
        ids.push_back(k);
    }
    // The row of each (site, sample, analyte), the last one should a key repeat.
    std::vector<std::uint32_t> row_of_source(sources.size());
    for (std::uint32_t i = 0; i < ids.size(); ++i) row_of_source[ids[i].source] = i;

    // --- amphetamine from methamphetamine ----------------------------------------------------
    // AMP_illicit = max(0, AMP − 0.09 × METH) on the excreted loads of the same sample; the rest
    // of the chain is then recomputed from the corrected load.
    if (options.amphetamine_correction) {
        const residue_model* amp = models.find("amphetamine");
        const residue_model* meth = models.find("methamphetamine");
        if (amp && meth) {
            const std::uint32_t amp_id = analyte_ids.find(amp->residue), meth_id = analyte_ids.find(meth->residue);
            id_map<double> meth_load;  // (site, sample) → load
            for (std::size_t i = 0; i < out.daily.size(); ++i)
                if (ids[i].analyte == meth_id && !std::isnan(out.daily[i].load_mg_per_day))
                    meth_load[{ids[i].site, ids[i].sample, 0, 0}] = out.daily[i].load_mg_per_day;
            for (std::size_t i = 0; i < out.daily.size(); ++i) {
                daily_estimate& d = out.daily[i];
                if (ids[i].analyte != amp_id || std::isnan(d.load_mg_per_day)) continue;
                const auto it = meth_load.find({ids[i].site, ids[i].sample, 0, 0});
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
        std::vector<std::pair<std::uint32_t, std::uint32_t>> pair_ids;  // (numerator, denominator)
        for (const auto& [num, den] : options.ratio_pairs) pair_ids.emplace_back(analyte_ids.find(num), analyte_ids.find(den));
        for (std::size_t i = 0; i < out.daily.size(); ++i) {
            daily_estimate& d = out.daily[i];
            if (d.qual != qualifier::detected) continue;
            for (std::size_t p = 0; p < pair_ids.size(); ++p) {
                if (ids[i].analyte != pair_ids[p].first) continue;
                const std::uint32_t source = find_source(ids[i].site, ids[i].sample, pair_ids[p].second);
                if (source != string_ids::none) {
                    const daily_estimate& den = out.daily[row_of_source[source]];
                    if (den.qual == qualifier::detected && den.conc_ng_per_l > 0.0) {
                        d.ratio_to = options.ratio_pairs[p].second;
                        d.ratio = d.conc_ng_per_l / den.conc_ng_per_l;
                    }
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
        id_map<double> cotinine_of;  // (site, sample) → ng/L, quantified
        for (const auto& r : results) {
            if (r.analyte != vs.cotinine_residue || r.conc.censored() || !(r.conc.value > 0.0)) continue;
            // A site or sample without a daily row is never looked up.
            const std::uint32_t s = site_ids.find(r.site_id), sample = sample_ids.find(r.sample_id);
            if (s != string_ids::none && sample != string_ids::none) cotinine_of[{s, sample, 0, 0}] = r.conc.value;
        }
        for (std::size_t i = 0; i < out.daily.size(); ++i) {
            daily_estimate& d = out.daily[i];
            if (d.site_kind != "venue" || d.drug.empty()) continue;
            const site& s = *site_of[ids[i].site];
            const residue_model& m = *model_of[ids[i].analyte];
            const auto cot = cotinine_of.find({ids[i].site, ids[i].sample, 0, 0});
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
        std::uint32_t site, analyte, campaign;
        std::vector<std::uint32_t> rows;             // into out.daily, in its order
        std::vector<left_censored> censored_values;  // consumption (plants) or concentration (venues)
    };
    std::vector<group> groups;
    id_map<std::uint32_t> group_of;  // (site, analyte, campaign) → index in groups
    for (std::uint32_t i = 0, gi = 0; i < ids.size(); ++i) {
        const row_ids& k = ids[i];
        // The rows of a group follow each other (sorted by day, a campaign being a period): the
        // previous row's group first.
        if (i == 0 || k.site != ids[i - 1].site || k.analyte != ids[i - 1].analyte || k.campaign != ids[i - 1].campaign) {
            const auto [it, fresh] = group_of.try_emplace({k.site, k.analyte, k.campaign, 0}, static_cast<std::uint32_t>(groups.size()));
            if (fresh) groups.push_back({k.site, k.analyte, k.campaign, {}, {}});
            gi = it->second;
        }
        groups[gi].rows.push_back(i);
    }
    // In (site, analyte, campaign) order, as the strings sort.
    std::vector<std::uint32_t> group_order(groups.size());
    std::iota(group_order.begin(), group_order.end(), 0u);
    std::sort(group_order.begin(), group_order.end(), [&](std::uint32_t a, std::uint32_t b) {
        const group& x = groups[a];
        const group& y = groups[b];
        return std::make_tuple(site_rank[x.site], analyte_rank[x.analyte], campaign_rank[x.campaign]) <
               std::make_tuple(site_rank[y.site], analyte_rank[y.analyte], campaign_rank[y.campaign]);
    });
    // (scope, id, analyte, campaign) of each campaign row: scope 0 site (id a site id), 1 district
    // (id in `districts`), 2 city.
    std::vector<id_tuple> campaign_keys;
    string_ids districts;
    out.campaigns.reserve(groups.size());
    campaign_keys.reserve(groups.size());
    {
        std::vector<day_number> days;
        std::vector<double> conc, load, pnl, cons, doses, cons_low, cons_high, screening;
        const auto mean_of = [&](const std::vector<double>& v) { return summarise_campaign(days, v); };
        for (const std::uint32_t gi : group_order) {
            group& g = groups[gi];
            for (auto* v : {&conc, &load, &pnl, &cons, &doses, &cons_low, &cons_high, &screening}) v->clear();
            days.clear();
            std::size_t n_censored = 0;
            std::set<std::string> rules;
            for (const std::uint32_t i : g.rows) {
                const daily_estimate& d = out.daily[i];
                const day_source& src = sources[ids[i].source];
                days.push_back(d.day);
                conc.push_back(d.conc_ng_per_l);
                if (!std::isnan(d.screening_index)) screening.push_back(d.screening_index);
                load.push_back(d.load_mg_per_day);
                pnl.push_back(d.pnl);
                cons.push_back(d.consumption);
                doses.push_back(d.doses);
                // Censoring bounds: a censored day at 0 and at its limit; the chain is linear in the
                // concentration (the amphetamine correction is not, so those rows keep their value).
                const bool cens = d.qual == qualifier::below_lod || d.qual == qualifier::below_loq;
                double low = d.consumption, high = d.consumption;
                if (cens && d.note.empty() && src.result) {
                    low = std::isnan(d.consumption) ? nan : 0.0;
                    high = limit_of(src, d.qual) * src.cons_per_conc;
                }
                cons_low.push_back(low);
                cons_high.push_back(high);
                // The same day as a left-censored value for the censored-data summary: a non-detect at
                // its limit (in consumption units for plants, whose days differ in flow, so several
                // limits), a quantified value as it is.
                const bool plant = d.site_kind == "wwtp" && !d.drug.empty();  // else concentration
                const double v = plant ? (cens ? high : d.consumption) : (cens ? limit_of(src, d.qual) : d.conc_ng_per_l);
                if (!std::isnan(v)) g.censored_values.push_back({v, cens});
                if (cens) {
                    ++n_censored;
                    rules.insert(d.censoring);
                }
            }
            const daily_estimate& first = out.daily[g.rows.front()];
            campaign_estimate& c = out.campaigns.emplace_back();
            c.scope = "site";
            c.id = site_ids[g.site];
            c.analyte = analyte_ids[g.analyte];
            c.campaign = campaign_ids[g.campaign];
            c.site_kind = first.site_kind;
            c.drug = first.drug;
            c.n_sites = 1;
            c.n_censored = n_censored;
            c.censoring = policy_label(rules);
            const campaign_mean conc_mean = mean_of(conc);
            c.n_samples = conc_mean.n;
            c.conc_mean = conc_mean.mean;
            c.load_mean = mean_of(load).mean;
            c.pnl_mean = mean_of(pnl).mean;
            const campaign_mean cons_mean = mean_of(cons);
            c.consumption_mean = cons_mean.mean;
            c.n_weekday = cons_mean.n_weekday;
            c.consumption_weekday = cons_mean.weekday_mean;
            c.n_weekend = cons_mean.n_weekend;
            c.consumption_weekend = cons_mean.weekend_mean;
            c.doses_mean = mean_of(doses).mean;
            c.consumption_censored_low = mean_of(cons_low).mean;
            c.consumption_censored_high = mean_of(cons_high).mean;
            // The plant's population, not the first day's: a first day without flow has none.
            const site& s = *site_of[g.site];
            if (s.is_plant()) std::tie(c.population, c.population_method) = population_for(g.site, g.campaign);
            apply_summary(c, g.censored_values, options.censored_summary);
            if (!screening.empty()) {
                const venue_campaign_index v =
                    venue_campaign_mean(screening, screening_inputs(s, *model_of[g.analyte]), options.uncertainty.mc.interval);
                c.screening_mean = v.mean;
                c.screening_lower = v.lower;
                c.screening_upper = v.upper;
            }
            campaign_keys.push_back({0, g.site, g.analyte, g.campaign});
        }
    }

    // --- censored-data summaries of venue types and districts ---------------------------------
    {
        // (kind, group, analyte, campaign); kind 0 `district`, 1 `venue_type` (their string order).
        string_ids names;
        struct pool {
            id_tuple key;
            std::vector<left_censored> values;
        };
        std::vector<pool> pools;
        id_map<std::uint32_t> pool_of;
        for (const std::uint32_t gi : group_order) {
            const group& g = groups[gi];
            const site& s = *site_of[g.site];
            const std::string& name = s.is_plant() ? s.district : s.venue_type;
            if (name.empty()) continue;
            const id_tuple key{s.is_plant() ? 0u : 1u, names.add(name), g.analyte, g.campaign};
            const auto [it, fresh] = pool_of.try_emplace(key, static_cast<std::uint32_t>(pools.size()));
            if (fresh) pools.push_back({key, {}});
            auto& v = pools[it->second].values;
            v.insert(v.end(), g.censored_values.begin(), g.censored_values.end());
        }
        const std::vector<std::uint32_t> name_rank = names.ranks();
        const auto rank_of = [&](const id_tuple& k) {
            return id_tuple{k[0], name_rank[k[1]], analyte_rank[k[2]], campaign_rank[k[3]]};
        };
        std::sort(pools.begin(), pools.end(), [&](const pool& a, const pool& b) { return rank_of(a.key) < rank_of(b.key); });
        out.summaries.reserve(pools.size());
        for (const pool& p : pools) {
            const std::vector<left_censored>& values = p.values;
            group_summary gs;
            gs.group_kind = p.key[0] == 0 ? "district" : "venue_type";
            gs.group = names[p.key[1]];
            gs.analyte = analyte_ids[p.key[2]];
            gs.campaign = campaign_ids[p.key[3]];
            const residue_model* gm = model_of[p.key[2]];
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
        id_tuple key;  // as campaign_keys
        std::string_view id;
        std::vector<double> pop, pnl, cons, doses, cons_low, cons_high;
        double load = 0.0;
        std::size_t n_samples = 0, n_censored = 0, n_weekday = 0, n_weekend = 0;
        std::vector<double> cons_wd, pop_wd, cons_we, pop_we;
        std::set<std::string> rules;
        std::string drug;
    };
    std::vector<agg> aggs;
    id_map<std::uint32_t> agg_of;
    for (std::size_t i = 0; i < out.campaigns.size(); ++i) {  // the site rows, in order
        const campaign_estimate& c = out.campaigns[i];
        if (c.site_kind != "wwtp" || std::isnan(c.pnl_mean)) continue;
        const id_tuple& ck = campaign_keys[i];
        const site& s = *site_of[ck[1]];
        for (const std::uint32_t scope : {1u, 2u}) {
            const std::string& id = scope == 1 ? s.district : city_name;
            if (id.empty()) continue;
            const id_tuple key{scope, scope == 1 ? districts.add(id) : 0u, ck[2], ck[3]};
            const auto [it, fresh] = agg_of.try_emplace(key, static_cast<std::uint32_t>(aggs.size()));
            if (fresh) {
                aggs.emplace_back();
                aggs.back().key = key;
                aggs.back().id = id;
            }
            auto& a = aggs[it->second];
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
    // Districts, then the city, each by (name, analyte, campaign): with the site rows before them,
    // the order of (scope site/district/city, id, analyte, campaign), whose keys are unique.
    {
        const std::vector<std::uint32_t> district_rank = districts.ranks();
        const auto rank_of = [&](const id_tuple& k) {
            return id_tuple{k[0], k[0] == 1 ? district_rank[k[1]] : 0u, analyte_rank[k[2]], campaign_rank[k[3]]};
        };
        out.campaigns.reserve(out.campaigns.size() + aggs.size());
        campaign_keys.reserve(out.campaigns.size() + aggs.size());
        std::vector<std::uint32_t> agg_order(aggs.size());
        std::iota(agg_order.begin(), agg_order.end(), 0u);
        std::sort(agg_order.begin(), agg_order.end(),
                  [&](std::uint32_t a, std::uint32_t b) { return rank_of(aggs[a].key) < rank_of(aggs[b].key); });
        for (const std::uint32_t ai : agg_order) {
            const agg& a = aggs[ai];
            campaign_estimate& c = out.campaigns.emplace_back();
            c.scope = a.key[0] == 1 ? "district" : "city";
            c.id = a.id;
            c.analyte = analyte_ids[a.key[2]];
            c.campaign = campaign_ids[a.key[3]];
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
            campaign_keys.push_back(a.key);
        }
    }

    // --- uncertainty ---------------------------------------------------------------------------
    const uncertainty_options& uo = options.uncertainty;
    if (uo.method != uncertainty_method::none) {
        // One mc_site per (site, residue, campaign) of a plant's drug (a group), shared by the
        // site's own unit and by the district and city units, so that they all see the same draws.
        std::vector<mc_site> mc_sites;
        std::vector<std::uint32_t> mc_of_group(groups.size(), string_ids::none);
        const residue_model* meth = models.find("methamphetamine");
        const residue_model* amph = models.find("amphetamine");
        const std::uint32_t meth_id = meth ? analyte_ids.find(meth->residue) : string_ids::none;
        for (std::uint32_t gi = 0; gi < groups.size(); ++gi) {
            const group& g = groups[gi];
            const daily_estimate& first = out.daily[g.rows.front()];
            if (first.site_kind != "wwtp" || first.drug.empty()) continue;
            const site& s = *site_of[g.site];
            const residue_model& m = *model_of[g.analyte];
            mc_site ms;
            ms.site_key = rng::hash(s.id);
            ms.campaign_key = rng::combine(ms.site_key, rng::hash(campaign_ids[g.campaign]));
            const auto pop = population_of.find({g.site, g.campaign, 0, 0});
            ms.population = pop == population_of.end() ? s.population : pop->second->value.value();
            // A row's source is keyed by its residue id, which is m.residue.
            const std::string& method_id = sources[ids[g.rows.front()].source].result->method_id;
            const resolved_components rc = resolve_components(uo, m, s, method_id);
            // An estimated population brings its own uncertainty (log-normal, median-centred).
            ms.population_dist = pop == population_of.end() || pop->second->method == population_method::census
                                     ? rc.population
                                     : factor_distribution::lognormal(pop->second->rsd);
            ms.flow_dist = rc.flow;
            const std::uint64_t residue_hash = rng::hash(m.residue);
            const bool subtracts = options.amphetamine_correction && amph && meth && m.residue == amph->residue;
            ms.days.reserve(g.rows.size());
            for (const std::uint32_t i : g.rows) {
                const daily_estimate& d = out.daily[i];
                const day_source& src = sources[ids[i].source];
                mc_day md;
                md.sample_key = rng::combine(ms.site_key, rng::hash(d.sample_id));
                md.analyte_key = rng::combine(md.sample_key, residue_hash);
                md.conc = src.result->conc;
                md.substitute = d.conc_ng_per_l;
                md.flow_m3_per_day = std::isnan(d.consumption) ? nan : d.flow_m3_per_day;
                const resolved_components dc =
                    src.result->method_id == method_id ? rc : resolve_components(uo, m, s, src.result->method_id);
                md.analysis = dc.analysis;
                md.sampling = dc.sampling;
                if (subtracts && !d.note.empty()) {
                    const std::uint32_t sub = find_source(g.site, ids[i].sample, meth_id);
                    if (sub != string_ids::none && sources[sub].result) {
                        const day_source& meth_src = sources[sub];
                        md.subtract_ratio = amphetamine_per_methamphetamine;
                        md.sub_analyte_key = rng::combine(md.sample_key, rng::hash(meth->residue));
                        md.sub_conc = meth_src.result->conc;
                        md.sub_substitute = substitute(md.sub_conc, options.censoring);
                        md.sub_load_multiplier = meth_src.load_multiplier;
                    }
                }
                ms.days.push_back(std::move(md));
            }
            mc_of_group[gi] = static_cast<std::uint32_t>(mc_sites.size());
            mc_sites.push_back(std::move(ms));
        }

        const auto thresholds_for = [&](const campaign_estimate& c) {
            std::pair<double, double> t{nan, nan};
            for (const auto& e : uo.thresholds)
                if ((e.drug == c.drug || e.drug == c.analyte) && (e.site_kind == "any" || e.site_kind == c.site_kind))
                    t = {e.watch, e.alert};
            return t;
        };
        // The plants behind a campaign row, in the order of `sites`: those of its id (site
        // rows), of its district, or all of them (the city).
        std::vector<std::uint32_t> site_id_of(sites.size()), all_plants;
        std::vector<std::vector<std::uint32_t>> plants_of_site(site_ids.size()), plants_of_district(districts.size());
        for (std::uint32_t k = 0; k < sites.size(); ++k) {
            site_id_of[k] = site_ids.find(sites[k].id);
            if (!sites[k].is_plant()) continue;
            all_plants.push_back(k);
            plants_of_site[site_id_of[k]].push_back(k);
            if (const std::uint32_t d = districts.find(sites[k].district); d != string_ids::none) plants_of_district[d].push_back(k);
        }
        // One problem per (residue, campaign): its plants, and the site, district and city
        // estimates built on them.
        std::vector<mc_problem> problems;
        id_map<std::size_t> problem_of;                                     // (analyte, campaign)
        std::vector<std::unordered_map<std::uint32_t, std::size_t>> member_of;  // site id → index, per problem
        struct placed {
            std::size_t problem, estimate, campaign_row;
        };
        std::vector<placed> placements;
        for (std::size_t i = 0; i < out.campaigns.size(); ++i) {
            const campaign_estimate& c = out.campaigns[i];
            if (c.site_kind != "wwtp" || c.drug.empty() || std::isnan(c.consumption_mean)) continue;
            const id_tuple& ck = campaign_keys[i];
            const residue_model& m = *model_of[ck[2]];
            auto [pit, fresh] = problem_of.emplace(id_tuple{ck[2], ck[3], 0, 0}, problems.size());
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
            const std::vector<std::uint32_t>& plants =
                ck[0] == 0 ? plants_of_site[ck[1]] : ck[0] == 1 ? plants_of_district[ck[1]] : all_plants;
            for (const std::uint32_t k : plants) {
                const site& s = sites[k];
                const auto it = group_of.find({site_id_of[k], ck[2], ck[3], 0});
                if (it == group_of.end() || mc_of_group[it->second] == string_ids::none) continue;
                auto [mit, added] = members.emplace(site_id_of[k], pr.sites.size());
                if (added) {
                    // A group's mc_site joins this one problem (its residue and campaign) once.
                    mc_site ms = std::move(mc_sites[mc_of_group[it->second]]);
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
            const id_tuple& ck = campaign_keys[pl.campaign_row];
            const auto& days = groups[group_of.at({ck[1], ck[2], ck[3], 0})].rows;
            for (std::size_t i = 0; i < days.size() && i < r.daily.size(); ++i) {
                daily_estimate& d = out.daily[row_of_source[ids[days[i]].source]];
                d.consumption_median = r.daily[i].median;
                d.consumption_lower = r.daily[i].lower;
                d.consumption_upper = r.daily[i].upper;
            }
        }
    }

    // --- audit -------------------------------------------------------------------------------
    std::set<std::string> used_residues;
    for (std::uint32_t id = 0; id < used_residue.size(); ++id)
        if (used_residue[id]) used_residues.emplace(analyte_ids[id]);
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
