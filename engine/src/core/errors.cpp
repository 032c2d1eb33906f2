// GCC 12 at -O3 reports a false -Wrestrict inside std::string concatenation (GCC bug 105329).
#if defined(__GNUC__) && !defined(__clang__)  // a GCC-only warning: clang does not know it
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include "wbe/core/errors.hpp"

namespace wbe {

std::string location::to_string() const {
    std::string out = file.empty() ? std::string("<input>") : file;
    if (line > 0) {
        out.append(":").append(std::to_string(line));
        if (column > 0) out.append(":").append(std::to_string(column));
    }
    return out;
}

std::string diagnostic::to_string() const {
    std::string out = where.to_string();
    out += ": ";
    if (!field.empty()) {
        out += field;
        out += " = ";
        // A value is shown whole up to 80 bytes; a longer one (a 10 MB field) by its start and length.
        constexpr std::size_t shown = 80;
        if (value.empty()) out += "\"\"";
        else if (value.size() <= shown) out += value;
        else {
            std::size_t cut = shown;
            while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 character
            out += value.substr(0, cut) + "… (" + std::to_string(value.size()) + " bytes)";
        }
        out += ": ";
    }
    out += rule;
    return out;
}

namespace {
std::string join(const std::vector<diagnostic>& ds) {
    std::string out;
    for (const auto& d : ds) {
        if (!out.empty()) out += '\n';
        out += d.to_string();
    }
    return out;
}

// An input_error always holds at least one diagnostic, and what() always lists them.
std::vector<diagnostic> non_empty(std::vector<diagnostic> ds) {
    if (ds.empty()) ds.push_back({{}, {}, {}, "input error"});
    return ds;
}
}  // namespace

input_error::input_error(std::vector<diagnostic> diagnostics)
    : error(join(diagnostics = non_empty(std::move(diagnostics)))), diagnostics_(std::move(diagnostics)) {}

config_error::config_error(diagnostic d) : error(d.to_string()), detail_(std::move(d)) {}

void diagnostics_collector::add(location where, std::string field, std::string value, std::string rule) {
    items_.push_back({std::move(where), std::move(field), std::move(value), std::move(rule)});
}

void diagnostics_collector::throw_if_any() const {
    if (!items_.empty()) throw input_error(items_);
}

[[gnu::cold]] void throw_input_error(location where, std::string field, std::string value, std::string rule) {
    throw input_error({{std::move(where), std::move(field), std::move(value), std::move(rule)}});
}

[[gnu::cold]] void throw_config_error(location where, std::string key, std::string value, std::string rule) {
    throw config_error({std::move(where), std::move(key), std::move(value), std::move(rule)});
}

[[gnu::cold]] void throw_numerical_error(const std::string& what) { throw numerical_error(what); }

}  // namespace wbe
