#pragma once
/// @file sample.hpp
/// One assay result (a sample × analyte row of a batch, in canonical units) and one daily
/// flow record.

#include <string>

#include "wbe/core/censoring.hpp"
#include "wbe/core/date.hpp"

namespace wbe {

struct assay_result {
    std::string batch_id;
    std::string sample_id;
    std::string site_id;
    day_number day = 0;
    std::string analyte;       ///< canonical residue id (aliases resolved)
    censored_value conc;       ///< ng/L
    std::string method_id;
    std::string lab_id;
    std::string sample_type;   ///< composite_24h, grab, …
    double recovery_pct;       ///< NaN when not given
    std::string notes;

    assay_result();
};

struct flow_record {
    std::string site_id;
    day_number day = 0;
    double flow_m3_per_day = 0.0;
    std::string source;  ///< file the record came from
};

/// One day's value of a wastewater quality parameter at a plant, for population estimates
/// (population.hpp): NH4-N, COD, BOD5, TKN, TN or TP, in mg/L.
struct water_quality_record {
    std::string site_id;
    day_number day = 0;
    std::string parameter;  ///< canonical spelling: "NH4-N", "COD", "BOD5", "TKN", "TN", "TP"
    double mg_per_l = 0.0;
    std::string source;     ///< file the record came from
};

}  // namespace wbe
