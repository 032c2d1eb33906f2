#pragma once
/// @file registry.hpp
/// Every detector by name: its parameter list and a factory. Adding a detector is one class and
/// one entry in registry.cpp. A configuration reader uses it as
///
///     const auto* entry = find_detector(key);                 // unknown detector → error
///     auto values = entry->defaults();
///     for (auto& [k, v] : pairs)                             // inheritance already merged
///         if (auto d = values.set(k, v)) report(*d, location_of(k));
///     for (auto& d : entry->check(values)) report(d, location_of(d.field));  // cross-field rules
///     auto detector = entry->make_series(values);
///
/// `ears` is one class registered three times (`ears_c1`, `ears_c2`, `ears_c3`), because the
/// literature thresholds differ by variant and every entry has one default per parameter.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "wbe/core/detectors/detector.hpp"
#include "wbe/core/detectors/parameters.hpp"

namespace wbe::detectors {

enum class input_kind : std::uint8_t { series, cross_section };

struct detector_entry {
    std::string name;     ///< the YAML key, e.g. `rolling_baseline`
    std::string summary;  ///< one line: what it detects and the reference it follows
    input_kind input = input_kind::series;
    std::vector<parameter_spec> parameters;

    /// Rules between parameters (e.g. alert cut above watch cut) and every single-value rule,
    /// as diagnostics with field = the parameter to point at. Empty when the values are valid.
    std::function<std::vector<diagnostic>(const parameter_values&)> check;
    /// Set for series detectors. @throws config_error when check() is not empty.
    std::function<std::unique_ptr<series_detector>(const parameter_values&)> make_series;
    /// Set for cross-section detectors. @throws config_error when check() is not empty.
    std::function<std::unique_ptr<cross_section_detector>(const parameter_values&)> make_cross_section;

    /// Every parameter at its default.
    [[nodiscard]] parameter_values defaults() const { return {name, parameters}; }
};

/// All registered detectors, in documentation order.
[[nodiscard]] const std::vector<detector_entry>& detector_registry();
/// The entry named `name`, or nullptr.
[[nodiscard]] const detector_entry* find_detector(std::string_view name) noexcept;
/// `rolling_baseline, percentile_level, ...` for "unknown detector; known: ..." messages.
[[nodiscard]] std::string detector_names();

}  // namespace wbe::detectors
