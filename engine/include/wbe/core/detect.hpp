#pragma once
/// @file detect.hpp
/// Runs the detector suite (detectors/) over the stored campaign estimates: one series per
/// site × drug (plants: consumption, mg/day/1000 inh; venues: concentration, ng/L), one
/// cross-section per drug × campaign × site group for the peer detectors. Every result is kept
/// as a detection record; `watch` and `alert` results also become flags named after the
/// detector.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "wbe/core/detectors/detector.hpp"
#include "wbe/core/estimate.hpp"
#include "wbe/core/site.hpp"
#include "wbe/core/threshold.hpp"

namespace wbe {

/// One configured detector (its parameters already applied).
struct detector_instance {
    std::string name;
    std::shared_ptr<const detectors::series_detector> series;        ///< set for series detectors
    std::shared_ptr<const detectors::cross_section_detector> cross;  ///< set for peer detectors
};

/// The detectors that apply to one site and drug (after the configuration's inheritance).
using detector_lookup = std::function<std::vector<detector_instance>(const site& s, const std::string& drug)>;

/// One detector's answer for one site, drug and campaign.
struct detection_record {
    std::string site_id;
    std::string site_kind;
    std::string drug;
    std::string campaign;
    std::string detector;
    std::string metric;  ///< consumption or concentration
    double value;
    double expected;
    double upper_bound;
    double statistic;
    double p_value;
    std::string level;  ///< none, watch, alert, not_evaluable
    std::string reason;

    detection_record();
};

struct detection_output {
    std::vector<detection_record> records;
    std::vector<flag> flags;
};

/// Decimal-year midpoint of a campaign label (`2024Q1` → 2024.125, `2024-03` → 2024.208…,
/// `2024` → 2024.5) and its season (quarter 1–4, month 1–12, 0 for years).
struct campaign_time {
    double time;
    int season;
};
[[nodiscard]] campaign_time time_of_campaign(const std::string& label);

[[nodiscard]] detection_output run_detectors(const std::vector<campaign_estimate>& estimates, const std::vector<site>& sites,
                                             const detector_lookup& lookup);

}  // namespace wbe
