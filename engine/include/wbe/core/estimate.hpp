#pragma once
/// @file estimate.hpp
/// From assay results, flows and sites to daily and campaign indices (deterministic path).
///
/// Options → `estimate(...)` → result with a summary, as every stage of the engine.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wbe/core/analyte_model.hpp"
#include "wbe/core/campaign.hpp"
#include "wbe/core/censored_summary.hpp"
#include "wbe/core/censoring.hpp"
#include "wbe/core/population.hpp"
#include "wbe/core/sample.hpp"
#include "wbe/core/site.hpp"
#include "wbe/core/uncertainty.hpp"

namespace wbe {

/// The venue screening index (venue_index.hpp): per venue sample with a drug residue and a
/// quantified cotinine in the same sample, mg/day/1000 person-equivalents.
struct venue_screening_options {
    bool enabled = false;
    double mg_cotinine_per_cigarette = 0.14;  ///< models/population/constants.yaml
    double excretion_rsd = 0.30;              ///< RSD of the per-person cotinine excretion (ditto)
    std::string cotinine_residue = "cotinine";
};

struct estimate_options {
    substitution_policy censoring{};                     ///< default `<LOD` → LOD/2, `<LOQ` → LOQ/2
    campaign_period period = campaign_period::quarter;
    bool amphetamine_correction = true;  ///< AMP_illicit = max(0, AMP − 0.09 × METH) (science.md §1)
    bool sorption_correction = false;    ///< L / (1 − f_sorb) with the model's sorbed fraction
    bool in_sewer_correction = false;    ///< first order with the model half-life and the site residence time
    uncertainty_options uncertainty;     ///< method none by default: deterministic only
    venue_screening_options venue_screening;  ///< off by default
    /// Parent/metabolite pairs (numerator, denominator residue ids), e.g. ketamine/norketamine:
    /// every sample where both are quantified records the ratio on the numerator's daily row
    /// (the run config takes them from its ratio rules). A residue keeps its first pair.
    std::vector<std::pair<std::string, std::string>> ratio_pairs;
    /// Method choice for the censored-data summaries. Kaplan–Meier is *restricted* here (the
    /// mass below the smallest detect sits at the smallest limit, not at the smallest detect):
    /// a non-detect cannot exceed its limit, and the unrestricted variant can put a campaign's
    /// mean above the mean with every non-detect at its limit.
    censored_summary_options censored_summary = [] {
        censored_summary_options o;
        o.kaplan_meier.restricted = true;
        return o;
    }();
};

/// One site × residue × sample day. Plants carry the whole chain; venues (no flow, no
/// population) carry the concentration only and NaN for the rest.
struct daily_estimate {
    std::string site_id;
    std::string site_kind;
    std::string sample_id;
    day_number day = 0;
    std::string campaign;
    std::string analyte;  ///< residue id
    std::string drug;     ///< drug name; empty for non-markers (norketamine, cotinine)
    qualifier qual = qualifier::detected;
    std::string censoring;  ///< detected, >ULOQ, or the substitution rule applied
    double conc_ng_per_l;   ///< value used (after substitution)
    double flow_m3_per_day;
    double load_mg_per_day; ///< excreted load (after corrections)
    double population;      ///< persons: the plant's population for this campaign (population.hpp)
    std::string population_method;  ///< census, hydrochemical, cotinine or combined
    double pnl;             ///< mg/day/1000 inh
    double consumption;     ///< mg/day/1000 inh
    double doses;           ///< doses/day/1000 inh
    std::string note;       ///< corrections applied, or why an index is missing
    double consumption_median;  ///< uncertainty of `consumption` (NaN without it)
    double consumption_lower;   ///< lower end of the central interval
    double consumption_upper;   ///< upper end of the central interval
    /// Venues: the screening index (venue_index.hpp), mg/day/1000 person-equivalents — not a
    /// consumption — and its central interval; NaN without a quantified cotinine or a smoking rate.
    double screening_index;
    double screening_lower;
    double screening_upper;
    std::string ratio_to;  ///< the denominator of `ratio` (e.g. norketamine); empty when none
    double ratio;          ///< this residue / `ratio_to` in the same sample, both quantified; NaN otherwise
    /// Provenance: the assay batch of this sample's result, and that batch's content hash (set by
    /// the pipeline from the store's batch records; pipeline/lineage.hpp).
    std::string batch_id;
    std::string batch_hash;

    daily_estimate();
};

/// What a row's index is: "consumption" (a plant's drug: per capita), "screening" (a venue's
/// drug: concentration and the screening index, never a consumption) or "concentration" (a
/// non-marker residue such as cotinine or norketamine). Stored beside every estimate.
[[nodiscard]] std::string_view value_kind(std::string_view site_kind, std::string_view drug) noexcept;

/// One site (or district, or the city) × residue × campaign.
struct campaign_estimate {
    std::string scope;  ///< `site`, `district` or `city`
    std::string id;     ///< site id, district name, or city name
    std::string site_kind;  ///< wwtp / venue for sites; wwtp for aggregates (plants only)
    std::string campaign;
    std::string analyte;
    std::string drug;
    std::size_t n_samples = 0;   ///< daily values that entered the mean
    std::size_t n_censored = 0;  ///< of which censored
    std::size_t n_sites = 0;     ///< 1 for sites; plants aggregated for district/city
    double conc_mean;        ///< ng/L (sites only)
    double load_mean;        ///< mg/day (sum over plants for aggregates)
    double population;       ///< persons (sum over plants for aggregates)
    std::string population_method;  ///< sites: census, hydrochemical, cotinine or combined; aggregates: "sum"
    double pnl_mean;
    double consumption_mean;
    double doses_mean;
    std::size_t n_weekday = 0;
    double consumption_weekday;  ///< Tue–Thu samples (EUDA)
    std::size_t n_weekend = 0;
    double consumption_weekend;  ///< Fri–Mon samples (EUDA)
    std::string censoring;       ///< `none`, or the substitution rules used
    /// Consumption with every censored day at 0 and at its limit (LOD or LOQ): the range that
    /// censoring alone leaves open (equal to the mean when nothing is censored).
    double consumption_censored_low;
    double consumption_censored_high;
    std::string uncertainty;     ///< `none`, `monte_carlo` or `analytic`
    double consumption_mc_mean;  ///< mean of the draws (or the analytic mean)
    double consumption_sd;
    double consumption_median;
    double consumption_lower;    ///< quantile (1 − interval) / 2
    double consumption_upper;    ///< quantile (1 + interval) / 2
    double p_exceed_watch;       ///< P(consumption > watch threshold of the matching rule); NaN if none
    double p_exceed_alert;
    double threshold_watch;      ///< the thresholds those probabilities refer to
    double threshold_alert;
    /// Censored-data summary of the daily values (consumption for plants, concentration for
    /// venues; site rows only): the share of quantified days, and the mean and median by the
    /// method the censored share allows (censored_summary.hpp), with that method's name and a
    /// note (or the reason it is not estimable).
    double detection_frequency;
    std::string censored_method;
    double censored_mean;
    double censored_median;
    std::string censored_note;
    /// Venues: the mean of the samples' screening indices and its central interval
    /// (venue_campaign_mean); NaN elsewhere.
    double screening_mean;
    double screening_lower;
    double screening_upper;

    campaign_estimate();
};

/// Censored-data summary of the pooled daily values of a group of sites in one campaign:
/// venues of one type (concentration, ng/L) or plants of one district (consumption).
struct group_summary {
    std::string group_kind;  ///< `venue_type` or `district`
    std::string group;
    std::string analyte;
    std::string campaign;
    std::string metric;      ///< `concentration` or `consumption`
    std::size_t n = 0;
    std::size_t n_censored = 0;
    double detection_frequency;
    std::string method;      ///< censored_method name
    double mean;
    double median;
    std::string note;        ///< method note, or why not estimable

    group_summary();
};

struct estimate_summary {
    std::size_t n_results = 0;        ///< assay results read
    std::size_t n_daily = 0;
    std::size_t n_campaign = 0;
    std::size_t n_censored = 0;       ///< censored results substituted
    std::size_t n_missing_flow = 0;   ///< plant results without a flow on their day
    std::size_t n_corrected_amphetamine = 0;
    std::size_t n_uncertainty_units = 0;  ///< estimates that got an interval
    std::vector<std::string> unconfirmed_parameters;  ///< used by this run, `residue.key`
    std::vector<std::string> warnings;
};

struct estimate_result {
    std::vector<daily_estimate> daily;
    std::vector<campaign_estimate> campaigns;
    std::vector<group_summary> summaries;
    estimate_summary summary;
    std::vector<site_population> populations;  ///< each plant's population per campaign (when given)
};

/// Runs the back-calculation for every result, then aggregates by campaign, district and city.
/// Results are sorted (site, analyte, day) and (scope, id, analyte, campaign), so the output does
/// not depend on the order of the inputs. `city_name` labels the city-scope rows.
///
/// `populations` (resolve_populations, population.hpp) gives each plant's population per
/// campaign and its RSD for the Monte Carlo; a plant and campaign not in it (or an empty list)
/// uses the site's census figure.
[[nodiscard]] estimate_result estimate(const std::vector<site>& sites, const std::vector<assay_result>& results,
                                       const std::vector<flow_record>& flows, const model_set& models,
                                       const estimate_options& options, const std::string& city_name = "city",
                                       const std::vector<site_population>& populations = {});

}  // namespace wbe
