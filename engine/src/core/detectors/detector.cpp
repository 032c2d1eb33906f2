// GCC 12 at -O3 reports a false -Wrestrict inside std::string concatenation (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"

#include "wbe/core/detectors/detector.hpp"

#include <cmath>

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

}  // namespace wbe::detectors
