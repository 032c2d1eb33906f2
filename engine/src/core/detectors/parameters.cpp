// GCC 12 at -O3 reports a false -Wrestrict inside std::string concatenation (GCC bug 105329).
#if defined(__GNUC__) && !defined(__clang__)  // a GCC-only warning: clang does not know it
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include "wbe/core/detectors/parameters.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

#include "detail.hpp"

namespace wbe::detectors {

namespace {

std::string_view trim(std::string_view t) {
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
    return t;
}

std::optional<double> parse_real(std::string_view t) {
    t = trim(t);
    if (!t.empty() && t.front() == '+') t.remove_prefix(1);
    double v = 0.0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec != std::errc() || end != t.data() + t.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

std::optional<double> parse_integer(std::string_view t) {
    t = trim(t);
    if (!t.empty() && t.front() == '+') t.remove_prefix(1);
    long v = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec != std::errc() || end != t.data() + t.size()) return std::nullopt;
    return static_cast<double>(v);
}

std::optional<double> parse_boolean(std::string_view t) {
    t = trim(t);
    for (std::string_view yes : {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"})
        if (t == yes) return 1.0;
    for (std::string_view no : {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"})
        if (t == no) return 0.0;
    return std::nullopt;
}

std::string range_text(const parameter_spec& s) {
    const bool has_min = std::isfinite(s.min);
    const bool has_max = std::isfinite(s.max);
    const auto text = [&](double v) {
        return s.type == parameter_type::integer ? std::to_string(static_cast<long long>(v)) : format_parameter(v);
    };
    if (has_min && has_max)
        return std::string(" in ") + (s.min_exclusive ? "(" : "[") + text(s.min) + ", " + text(s.max) +
               (s.max_exclusive ? ")" : "]");
    if (has_min) return std::string(s.min_exclusive ? " > " : " >= ") + text(s.min);
    if (has_max) return std::string(s.max_exclusive ? " < " : " <= ") + text(s.max);
    return {};
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
    return out;
}

}  // namespace

std::string format_parameter(double value) {
    if (std::isnan(value)) return "auto";
    if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
    char buf[64];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    return ec == std::errc() ? std::string(buf, end) : std::string("?");
}

std::string parameter_spec::rule() const {
    switch (type) {
        case parameter_type::real:
            return "must be a number" + range_text(*this) + (allows_auto ? " or auto" : "");
        case parameter_type::integer: return "must be an integer" + range_text(*this);
        case parameter_type::boolean: return "must be true or false";
        case parameter_type::choice: return "must be one of: " + join(choices);
    }
    return {};
}

std::optional<std::string> check_number(const parameter_spec& spec, double v) {
    if (spec.type == parameter_type::choice) return spec.rule();
    if (spec.type == parameter_type::boolean) {
        if (v == 0.0 || v == 1.0) return std::nullopt;
        return spec.rule();
    }
    if (std::isnan(v)) {
        if (spec.allows_auto) return std::nullopt;
        return spec.rule();
    }
    if (!std::isfinite(v)) return spec.rule();
    if (spec.type == parameter_type::integer && v != std::floor(v)) return spec.rule();
    if (spec.min_exclusive ? !(v > spec.min) : !(v >= spec.min)) return spec.rule();
    if (spec.max_exclusive ? !(v < spec.max) : !(v <= spec.max)) return spec.rule();
    return std::nullopt;
}

std::optional<std::string> check_text(const parameter_spec& spec, std::string_view text) {
    switch (spec.type) {
        case parameter_type::real: {
            if (spec.allows_auto && trim(text) == "auto") return std::nullopt;
            const auto v = parse_real(text);
            if (!v) return spec.rule();
            return check_number(spec, *v);
        }
        case parameter_type::integer: {
            const auto v = parse_integer(text);
            if (!v) return spec.rule();
            return check_number(spec, *v);
        }
        case parameter_type::boolean:
            if (!parse_boolean(text)) return spec.rule();
            return std::nullopt;
        case parameter_type::choice:
            if (std::find(spec.choices.begin(), spec.choices.end(), trim(text)) == spec.choices.end())
                return spec.rule();
            return std::nullopt;
    }
    return spec.rule();
}

parameter_values::parameter_values(std::string detector, std::vector<parameter_spec> specs)
    : detector_(std::move(detector)), specs_(std::move(specs)), set_(specs_.size(), false) {
    texts_.reserve(specs_.size());
    for (const auto& s : specs_) texts_.push_back(s.default_text);
}

const parameter_spec* parameter_values::find(std::string_view key) const noexcept {
    for (const auto& s : specs_)
        if (s.name == key) return &s;
    return nullptr;
}

std::optional<diagnostic> parameter_values::set(std::string_view key, std::string_view text) {
    for (std::size_t i = 0; i < specs_.size(); ++i) {
        if (specs_[i].name != key) continue;
        if (auto rule = check_text(specs_[i], text)) return detail::problem(std::string(key), std::string(text), *rule);
        texts_[i] = std::string(trim(text));
        set_[i] = true;
        return std::nullopt;
    }
    std::vector<std::string> names;
    for (const auto& s : specs_) names.push_back(s.name);
    return detail::problem(std::string(key), std::string(text),
                           "unknown parameter of " + detector_ + (names.empty() ? "" : "; known: " + join(names)));
}

std::size_t parameter_values::index_of(std::string_view key, parameter_type expected) const {
    for (std::size_t i = 0; i < specs_.size(); ++i)
        if (specs_[i].name == key) {
            if (specs_[i].type != expected)
                throw std::logic_error("parameter " + std::string(key) + " of " + detector_ + " has another type");
            return i;
        }
    throw std::logic_error("no parameter " + std::string(key) + " in " + detector_);
}

double parameter_values::real(std::string_view key) const {
    const std::string& t = texts_[index_of(key, parameter_type::real)];
    if (t == "auto") return std::numeric_limits<double>::quiet_NaN();
    return parse_real(t).value_or(std::numeric_limits<double>::quiet_NaN());
}

long parameter_values::integer(std::string_view key) const {
    return static_cast<long>(parse_integer(texts_[index_of(key, parameter_type::integer)]).value_or(0.0));
}

bool parameter_values::boolean(std::string_view key) const {
    return parse_boolean(texts_[index_of(key, parameter_type::boolean)]).value_or(0.0) != 0.0;
}

const std::string& parameter_values::choice(std::string_view key) const {
    return texts_[index_of(key, parameter_type::choice)];
}

const std::string& parameter_values::text(std::string_view key) const {
    for (std::size_t i = 0; i < specs_.size(); ++i)
        if (specs_[i].name == key) return texts_[i];
    throw std::logic_error("no parameter " + std::string(key) + " in " + detector_);
}

bool parameter_values::is_set(std::string_view key) const {
    for (std::size_t i = 0; i < specs_.size(); ++i)
        if (specs_[i].name == key) return set_[i];
    return false;
}

void check_option(const std::vector<parameter_spec>& specs, std::string_view name, double value,
                  std::vector<diagnostic>& out) {
    for (const auto& s : specs)
        if (s.name == name) {
            if (auto rule = check_number(s, value)) out.push_back(detail::problem(s.name, format_parameter(value), *rule));
            return;
        }
    throw std::logic_error("no parameter " + std::string(name) + " declared");
}

}  // namespace wbe::detectors
