// GCC 12 at -O3 reports a false -Wrestrict inside std::string concatenation (GCC bug 105329).
#if defined(__GNUC__) && !defined(__clang__)  // a GCC-only warning: clang does not know it
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include "wbe/core/detectors/detector.hpp"

#include <cmath>
#include <string>
#include <utility>

#include "detail.hpp"

namespace wbe::detectors {

std::string_view to_string(detection_level l) noexcept {
    switch (l) {
        case detection_level::none: return "none";
        case detection_level::watch: return "watch";
        case detection_level::alert: return "alert";
        case detection_level::not_evaluable: return "not_evaluable";
    }
    return "not_evaluable";
}

std::optional<detection_level> parse_detection_level(std::string_view text) noexcept {
    for (auto l : {detection_level::none, detection_level::watch, detection_level::alert,
                   detection_level::not_evaluable})
        if (to_string(l) == text) return l;
    return std::nullopt;
}

std::optional<flag_level> to_flag_level(detection_level l) noexcept {
    switch (l) {
        case detection_level::none: return flag_level::none;
        case detection_level::watch: return flag_level::watch;
        case detection_level::alert: return flag_level::alert;
        case detection_level::not_evaluable: break;
    }
    return std::nullopt;
}

std::string detection_summary::brief_report() const {
    std::string out = detector + ": " + detail::campaigns(n_campaigns, "campaign") + ": " + std::to_string(n_none) +
                      " none, " + std::to_string(n_watch) + " watch, " + std::to_string(n_alert) + " alert, " +
                      std::to_string(n_not_evaluable) + " not evaluable";
    if (n_censored || n_missing)
        out += " (" + std::to_string(n_censored) + " censored, " + std::to_string(n_missing) + " missing)";
    return out;
}

namespace {

void count(detection& d) {
    auto& s = d.summary;
    s.n_campaigns = d.campaigns.size();
    for (const auto& r : d.campaigns) {
        switch (r.level) {
            case detection_level::none: ++s.n_none; break;
            case detection_level::watch: ++s.n_watch; break;
            case detection_level::alert: ++s.n_alert; break;
            case detection_level::not_evaluable: ++s.n_not_evaluable; break;
        }
    }
}

// A series must be in time order: finite times strictly increasing. NaN times are allowed
// (detectors that need time leave such campaigns out and say so).
void check_time_order(const series& s) {
    const observation* previous = nullptr;
    for (const auto& o : s.campaigns) {
        if (std::isnan(o.time)) continue;
        if (previous && !(o.time > previous->time))
            throw_input_error({}, "time", detail::exact(o.time),
                              "campaign " + o.campaign + " (t = " + detail::exact(o.time) + ") is not after campaign " +
                                  previous->campaign + " (t = " + detail::exact(previous->time) +
                                  "): a series must be in strictly increasing time order");
        previous = &o;
    }
    if (!(s.units_per_year > 0.0) || !std::isfinite(s.units_per_year))
        throw_input_error({}, "units_per_year", detail::exact(s.units_per_year), "must be a finite number > 0");
}

// evaluate() writes campaign_results; run_columns() keeps one vector of them per thread and
// resets it instead of building one per series: a fresh vector of results with three strings
// each cost about as much as the statistics of a simple detector. explain::none writes no text,
// so the strings stay empty and the reset touches only the numbers.
std::vector<campaign_result>& reset_results(std::size_t n) {
    thread_local std::vector<campaign_result> results;
    results.resize(n);
    for (campaign_result& r : results) {
        r.expected = r.upper_bound = r.statistic = r.p_value = detail::nan;
        r.level = detection_level::not_evaluable;
        r.reason.clear();
    }
    return results;
}

void check_columns(const result_columns& out, std::size_t n) {
    const auto check = [n](std::string_view column, std::size_t size, bool required) {
        if (size == n || (size == 0 && !required)) return;
        throw_input_error({}, std::string(column), std::to_string(size),
                          "a result column must have one entry per campaign (" + std::to_string(n) +
                              (required ? ")" : ") or none"));
    };
    check("level", out.level.size(), true);
    check("expected", out.expected.size(), false);
    check("upper_bound", out.upper_bound.size(), false);
    check("statistic", out.statistic.size(), false);
    check("p_value", out.p_value.size(), false);
}

void copy_columns(const std::vector<campaign_result>& results, const result_columns& out) {
    const std::size_t n = results.size();
    for (std::size_t i = 0; i < n; ++i) out.level[i] = results[i].level;
    const auto copy = [&](std::span<double> column, double campaign_result::*field) {
        if (!column.empty())
            for (std::size_t i = 0; i < n; ++i) column[i] = results[i].*field;
    };
    copy(out.expected, &campaign_result::expected);
    copy(out.upper_bound, &campaign_result::upper_bound);
    copy(out.statistic, &campaign_result::statistic);
    copy(out.p_value, &campaign_result::p_value);
}

}  // namespace

detection series_detector::run(const series& s, explain e) const {
    check_time_order(s);
    detection d;
    d.summary.detector = std::string(name());
    d.campaigns.resize(s.campaigns.size());
    for (std::size_t i = 0; i < s.campaigns.size(); ++i) {
        const observation& o = s.campaigns[i];
        campaign_result& r = d.campaigns[i];
        r.campaign = o.campaign;
        if (o.censored) ++d.summary.n_censored;
        if (std::isnan(o.value)) {
            ++d.summary.n_missing;
            if (e != explain::none) r.reason = "no value for this campaign";
        }
    }
    evaluate(s, d.campaigns, e);
    count(d);
    return d;
}

void series_detector::run_columns(const series& s, const result_columns& out) const {
    check_columns(out, s.campaigns.size());
    check_time_order(s);
    if (out.expected.empty() && out.upper_bound.empty() && out.statistic.empty() && out.p_value.empty() &&
        evaluate_levels(s, out.level))
        return;
    std::vector<campaign_result>& results = reset_results(s.campaigns.size());
    evaluate(s, results, explain::none);
    copy_columns(results, out);
}

bool series_detector::evaluate_levels(const series&, std::span<detection_level>) const { return false; }

std::string series_detector::reason(const series& s, std::size_t i) const {
    detection d = run(s, explain::all);
    return std::move(d.campaigns.at(i).reason);
}

detection cross_section_detector::run(const cross_section& c, explain e) const {
    detection d;
    d.summary.detector = std::string(name());
    d.campaigns.resize(c.sites.size());
    for (std::size_t i = 0; i < c.sites.size(); ++i) {
        const peer& p = c.sites[i];
        campaign_result& r = d.campaigns[i];
        r.campaign = c.campaign;
        r.site_id = p.site_id;
        if (p.censored) ++d.summary.n_censored;
        if (std::isnan(p.value)) {
            ++d.summary.n_missing;
            if (e != explain::none) r.reason = detail::text("no value for this site in campaign ", c.campaign);
        }
    }
    evaluate(c, d.campaigns, e);
    count(d);
    return d;
}

void cross_section_detector::run_columns(const cross_section& c, const result_columns& out) const {
    check_columns(out, c.sites.size());
    if (out.expected.empty() && out.upper_bound.empty() && out.statistic.empty() && out.p_value.empty() &&
        evaluate_levels(c, out.level))
        return;
    std::vector<campaign_result>& results = reset_results(c.sites.size());
    evaluate(c, results, explain::none);
    copy_columns(results, out);
}

bool cross_section_detector::evaluate_levels(const cross_section&, std::span<detection_level>) const { return false; }

std::string cross_section_detector::reason(const cross_section& c, std::size_t i) const {
    detection d = run(c, explain::all);
    return std::move(d.campaigns.at(i).reason);
}

}  // namespace wbe::detectors
