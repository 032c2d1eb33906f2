#include "wbe/core/detectors/registry.hpp"

#include "detail.hpp"
#include "wbe/core/detectors/change.hpp"
#include "wbe/core/detectors/cusum.hpp"
#include "wbe/core/detectors/ears.hpp"
#include "wbe/core/detectors/ewma.hpp"
#include "wbe/core/detectors/peer_rank.hpp"
#include "wbe/core/detectors/percentile_level.hpp"
#include "wbe/core/detectors/rolling_baseline.hpp"
#include "wbe/core/detectors/trend.hpp"

namespace wbe::detectors {

namespace {

// The entry of a series detector D with static parameters(), options_from(), check().
template <class D>
detector_entry series_entry(std::string summary) {
    detector_entry e;
    e.name = std::string(D::detector_name);
    e.summary = std::move(summary);
    e.input = input_kind::series;
    e.parameters = D::parameters();
    e.check = [](const parameter_values& v) { return D::check(D::options_from(v)); };
    e.make_series = [](const parameter_values& v) -> std::unique_ptr<series_detector> {
        return std::make_unique<D>(D::options_from(v));
    };
    return e;
}

detector_entry ears_entry(ears_variant variant, std::string summary) {
    detector_entry e;
    e.name = std::string(ears::name_of(variant));
    e.summary = std::move(summary);
    e.input = input_kind::series;
    e.parameters = ears::parameters(variant);
    e.check = [variant](const parameter_values& v) { return ears::check(ears::options_from(variant, v)); };
    e.make_series = [variant](const parameter_values& v) -> std::unique_ptr<series_detector> {
        return std::make_unique<ears>(ears::options_from(variant, v));
    };
    return e;
}

detector_entry peer_rank_entry() {
    detector_entry e;
    e.name = std::string(peer_rank::detector_name);
    e.summary = "rank of a site among the sites of its group in the same campaign; top shares are watch and alert";
    e.input = input_kind::cross_section;
    e.parameters = peer_rank::parameters();
    e.check = [](const parameter_values& v) { return peer_rank::check(peer_rank::options_from(v)); };
    e.make_cross_section = [](const parameter_values& v) -> std::unique_ptr<cross_section_detector> {
        return std::make_unique<peer_rank>(peer_rank::options_from(v));
    };
    return e;
}

std::vector<detector_entry> build() {
    std::vector<detector_entry> r;
    r.push_back(series_entry<rolling_baseline>(
        "robust z-score (median, MAD) of ln value against the site's previous campaigns"));
    r.push_back(series_entry<percentile_level>(
        "CDC NWSS activity level: exp of SDs above the 10th-percentile baseline of the look-back"));
    r.push_back(ears_entry(ears_variant::c1, "EARS C1: z against the mean and SD of the previous 7 values"));
    r.push_back(ears_entry(ears_variant::c2, "EARS C2: C1 with a 2-value guard band"));
    r.push_back(ears_entry(ears_variant::c3, "EARS C3 (textbook): sum of max(0, C2 - 1) over t, t-1, t-2"));
    r.push_back(series_entry<cusum>("tabular upper CUSUM on standardised values (Montgomery 9.1)"));
    r.push_back(series_entry<ewma>("ESSENCE EWMA with a Student-t p-value: red p < 0.01, yellow p < 0.05"));
    r.push_back(series_entry<trend>("Mann-Kendall or seasonal Kendall with the Sen slope over real time"));
    r.push_back(peer_rank_entry());
    r.push_back(series_entry<change>("quarter-on-quarter and year-on-year change with EUDA classes (stable +/-10%)"));
    return r;
}

}  // namespace

const std::vector<detector_entry>& detector_registry() {
    static const std::vector<detector_entry> entries = build();
    return entries;
}

const detector_entry* find_detector(std::string_view name) noexcept {
    for (const auto& e : detector_registry())
        if (e.name == name) return &e;
    return nullptr;
}

std::string detector_names() {
    std::string out;
    for (const auto& e : detector_registry()) out += (out.empty() ? "" : ", ") + e.name;
    return out;
}

}  // namespace wbe::detectors
