#include "wbe/core/detect.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <tuple>

namespace wbe {

namespace {
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// The series metric of a site estimate: plants' drugs in consumption; venues' drugs in their
// screening index when the run computes one (venue_index.hpp), else concentration; everything
// else in concentration.
bool uses_consumption(const campaign_estimate& c) { return c.site_kind == "wwtp" && !c.drug.empty(); }
bool uses_screening(const campaign_estimate& c, bool screening) { return screening && c.site_kind == "venue" && !c.drug.empty(); }
double series_value(const campaign_estimate& c, bool screening) {
    return uses_consumption(c) ? c.consumption_mean : uses_screening(c, screening) ? c.screening_mean : c.conc_mean;
}

detectors::observation observe(const campaign_estimate& c, bool screening) {
    detectors::observation o;
    o.campaign = c.campaign;
    const campaign_time t = time_of_campaign(c.campaign);
    o.time = t.time;
    o.season = t.season;
    const bool cons = uses_consumption(c);
    o.value = series_value(c, screening);
    if (c.n_censored > 0) {
        // Censored days leave the value between all non-detects at 0 and all at their limit.
        o.censored = true;
        o.lower = cons ? c.consumption_censored_low : nan;
        o.upper = cons ? c.consumption_censored_high : nan;
    }
    return o;
}

flag to_flag(const detection_record& r) {
    flag f;
    f.site_id = r.site_id;
    f.site_kind = r.site_kind;
    f.drug = r.drug;
    f.campaign = r.campaign;
    f.rule = r.detector;
    f.level = r.level == "alert" ? flag_level::alert : flag_level::watch;
    f.value = r.value;
    f.reference = r.upper_bound;
    f.unit = r.metric == "consumption" ? "mg/day/1000 inh"
             : r.metric == "index"     ? ""
             : r.metric == "screening" ? "mg/day/1000 PE (screening)"
                                       : "ng/L";
    f.explanation = r.detector + ": " + r.reason;
    return f;
}

detection_record record_of(const campaign_estimate& c, const std::string& detector, const detectors::campaign_result& r,
                           bool screening) {
    detection_record d;
    d.site_id = c.id;
    d.site_kind = c.site_kind;
    d.drug = c.drug.empty() ? c.analyte : c.drug;
    d.campaign = c.campaign;
    d.detector = detector;
    d.metric = c.censoring.rfind("composite:", 0) == 0 ? "index"
               : uses_consumption(c)                   ? "consumption"
               : uses_screening(c, screening)          ? "screening"
                                                       : "concentration";
    d.value = series_value(c, screening);
    d.expected = r.expected;
    d.upper_bound = r.upper_bound;
    d.statistic = r.statistic;
    d.p_value = r.p_value;
    d.level = std::string(detectors::to_string(r.level));
    d.reason = r.reason;
    return d;
}
// A venue series (or cross-section) is followed on the screening index when the run computed
// one for any of its campaigns: one unit for the whole series, gaps where it is missing.
bool any_screening(const std::vector<const campaign_estimate*>& rows) {
    return std::any_of(rows.begin(), rows.end(), [](const campaign_estimate* c) { return std::isfinite(c->screening_mean); });
}
}  // namespace

detection_record::detection_record() : value(nan), expected(nan), upper_bound(nan), statistic(nan), p_value(nan) {}

campaign_time time_of_campaign(const std::string& label) {
    const int year = std::atoi(label.substr(0, 4).c_str());
    if (label.size() == 6 && label[4] == 'Q') {
        const int q = label[5] - '0';
        return {year + (q - 0.5) / 4.0, q};
    }
    if (label.size() == 7 && label[4] == '-') {
        const int m = std::atoi(label.substr(5).c_str());
        return {year + (m - 0.5) / 12.0, m};
    }
    return {year + 0.5, 0};
}

detection_output run_detectors(const std::vector<campaign_estimate>& estimates, const std::vector<site>& sites,
                               const detector_lookup& lookup) {
    detection_output out;
    std::map<std::string, const site*> site_by_id;
    for (const auto& s : sites) site_by_id.emplace(s.id, &s);

    // Site series, in campaign order (labels sort in time order within one period kind).
    std::map<std::pair<std::string, std::string>, std::vector<const campaign_estimate*>> by_series;  // (site, drug)
    for (const auto& c : estimates)
        if (c.scope == "site") by_series[{c.id, c.drug.empty() ? c.analyte : c.drug}].push_back(&c);

    // Cross-sections: (detector, drug, campaign, group) → members.
    struct cross_entry {
        std::shared_ptr<const detectors::cross_section_detector> detector;
        std::vector<const campaign_estimate*> members;
    };
    std::map<std::tuple<std::string, std::string, std::string, std::string>, cross_entry> crosses;

    for (auto& [key, rows] : by_series) {
        const auto sit = site_by_id.find(key.first);
        if (sit == site_by_id.end()) continue;
        const site& s = *sit->second;
        const std::vector<detector_instance> ds = lookup(s, key.second);
        if (ds.empty()) continue;
        std::sort(rows.begin(), rows.end(), [](const campaign_estimate* a, const campaign_estimate* b) { return a->campaign < b->campaign; });
        detectors::series ser;
        const bool screening = any_screening(rows);
        for (const campaign_estimate* c : rows) ser.campaigns.push_back(observe(*c, screening));
        for (const auto& d : ds) {
            if (d.series) {
                const detectors::detection det = d.series->run(ser, detectors::explain::all);
                for (std::size_t i = 0; i < det.campaigns.size() && i < rows.size(); ++i)
                    out.records.push_back(record_of(*rows[i], d.name, det.campaigns[i], screening));
            } else if (d.cross) {
                const std::string group = s.kind + (s.venue_type.empty() ? "" : "/" + s.venue_type);
                for (const campaign_estimate* c : rows) {
                    auto& e = crosses[{d.name, key.second, c->campaign, group}];
                    if (!e.detector) e.detector = d.cross;
                    e.members.push_back(c);
                }
            }
        }
    }
    for (const auto& [key, e] : crosses) {
        detectors::cross_section cs;
        cs.campaign = std::get<2>(key);
        const bool screening = any_screening(e.members);
        for (const campaign_estimate* c : e.members) {
            const detectors::observation o = observe(*c, screening);
            detectors::peer p;
            p.site_id = c->id;
            p.group = std::get<3>(key);
            p.value = o.value;
            p.lower = o.lower;
            p.upper = o.upper;
            p.censored = o.censored;
            cs.sites.push_back(std::move(p));
        }
        const detectors::detection det = e.detector->run(cs, detectors::explain::all);
        for (const auto& r : det.campaigns) {
            const auto it = std::find_if(e.members.begin(), e.members.end(), [&](const campaign_estimate* c) { return c->id == r.site_id; });
            if (it != e.members.end()) out.records.push_back(record_of(**it, std::get<0>(key), r, screening));
        }
    }
    for (const auto& r : out.records)
        if (r.level == "watch" || r.level == "alert") out.flags.push_back(to_flag(r));
    return out;
}

}  // namespace wbe
