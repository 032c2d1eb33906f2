#pragma once
/// @file parameters.hpp
/// What a detector declares about its parameters, so that a generic configuration reader can
/// validate `key: value` pairs without knowing the detector: name, type, default, allowed range
/// or choices, unit and meaning. The core reports a problem as key + value + rule (a
/// wbe::diagnostic with an empty location); the reader that knows the file adds line and column.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wbe/core/errors.hpp"

namespace wbe::detectors {

enum class parameter_type : std::uint8_t {
    real,     ///< a finite number
    integer,  ///< a whole number
    boolean,  ///< `true`/`false` (also `yes`/`no`, `on`/`off`)
    choice,   ///< one of `choices`
};

/// One parameter a detector declares.
struct parameter_spec {
    std::string name;
    parameter_type type = parameter_type::real;
    std::string default_text;  ///< the default as it is written in YAML
    double min = -std::numeric_limits<double>::infinity();  ///< real/integer: lowest allowed
    double max = std::numeric_limits<double>::infinity();   ///< real/integer: highest allowed
    bool min_exclusive = false;  ///< the bound itself is not allowed
    bool max_exclusive = false;
    /// Real only: the text `auto` is accepted and means "estimated from the data" (NaN).
    bool allows_auto = false;
    std::vector<std::string> choices;  ///< choice only
    std::string unit;                  ///< e.g. `campaigns`, `ln units`, `SD`; empty when unitless
    std::string meaning;               ///< one line for documentation and error messages

    /// The rule a value must meet, e.g. `must be an integer >= 3`, `must be a number in (0, 1]`,
    /// `must be one of: first, rolling`.
    [[nodiscard]] std::string rule() const;
};

/// Checks a text value against its spec. Returns the rule it breaks, or nothing when it is valid.
[[nodiscard]] std::optional<std::string> check_text(const parameter_spec& spec, std::string_view text);
/// Checks an already typed number (real, integer or boolean as 0/1) against the spec's range:
/// for options built in C++ rather than read from text. Returns the rule it breaks.
[[nodiscard]] std::optional<std::string> check_number(const parameter_spec& spec, double value);

/// The values of every parameter one detector declares: the defaults, overridden key by key.
class parameter_values {
public:
    /// All defaults. `detector` names the detector in messages about unknown keys.
    parameter_values(std::string detector, std::vector<parameter_spec> specs);

    /// Sets `key` from its text as written in a configuration file. Returns a diagnostic with
    /// field = key, value = text and the rule broken when the key is not a parameter of this
    /// detector or the text breaks the rule; the location is left empty for the reader to fill.
    /// On a problem the previous value stays.
    [[nodiscard]] std::optional<diagnostic> set(std::string_view key, std::string_view text);

    [[nodiscard]] double real(std::string_view key) const;  ///< NaN for `auto`
    [[nodiscard]] long integer(std::string_view key) const;
    [[nodiscard]] bool boolean(std::string_view key) const;
    [[nodiscard]] const std::string& choice(std::string_view key) const;
    /// The value as text (as set, or the default), e.g. for a report or a configuration hash.
    [[nodiscard]] const std::string& text(std::string_view key) const;
    /// Whether `key` was set rather than left at its default.
    [[nodiscard]] bool is_set(std::string_view key) const;

    [[nodiscard]] const std::string& detector() const noexcept { return detector_; }
    [[nodiscard]] const std::vector<parameter_spec>& specs() const noexcept { return specs_; }
    [[nodiscard]] const parameter_spec* find(std::string_view key) const noexcept;

private:
    [[nodiscard]] std::size_t index_of(std::string_view key, parameter_type expected) const;

    std::string detector_;
    std::vector<parameter_spec> specs_;
    std::vector<std::string> texts_;
    std::vector<bool> set_;
};

/// Appends a diagnostic (empty location) when `value` breaks the rule of the spec named `name`
/// in `specs`: the way a detector's options check their single-value rules.
void check_option(const std::vector<parameter_spec>& specs, std::string_view name, double value,
                  std::vector<diagnostic>& out);

/// A number as a configuration file would show it (shortest text that reads back the same).
[[nodiscard]] std::string format_parameter(double value);

}  // namespace wbe::detectors
