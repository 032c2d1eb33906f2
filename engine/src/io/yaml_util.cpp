#include "yaml_util.hpp"

#include <cmath>
#include <limits>

#include "text_fields.hpp"
#include "wbe/io/csv.hpp"

namespace wbe::io::detail {

YAML::Node yaml_reader::load_text(const std::string& text) const {
    try {
        return YAML::Load(text);
    } catch (const YAML::Exception& e) {
        throw_config_error({file_, static_cast<std::size_t>(e.mark.line + 1), static_cast<std::size_t>(e.mark.column + 1)},
                           "", "", "YAML syntax error: " + e.msg);
    }
}

YAML::Node yaml_reader::load_file() const {
    std::string text;
    try {
        text = read_file(file_);
    } catch (const input_error& e) {
        throw config_error(e.first());
    }
    return load_text(text);
}

location yaml_reader::where(const YAML::Node& n) const {
    const YAML::Mark m = n.Mark();
    if (m.line < 0) return {file_, 0, 0};
    return {file_, static_cast<std::size_t>(m.line + 1), static_cast<std::size_t>(m.column + 1)};
}

void yaml_reader::fail(const YAML::Node& at, std::string_view key, std::string value, std::string rule) const {
    throw_config_error(where(at), std::string(key), std::move(value), std::move(rule));
}

void yaml_reader::check_map(const YAML::Node& n, std::string_view what, std::initializer_list<std::string_view> allowed,
                            std::initializer_list<std::string_view> required) const {
    check_map(n, what, std::vector<std::string_view>(allowed), std::vector<std::string_view>(required));
}

void yaml_reader::check_map(const YAML::Node& n, std::string_view what, const std::vector<std::string_view>& allowed,
                            const std::vector<std::string_view>& required) const {
    if (!n.IsMap()) fail(n, what, "", std::string(what) + " must be a mapping of keys to values");
    for (auto it = n.begin(); it != n.end(); ++it) {
        const std::string key = it->first.Scalar();
        bool ok = false;
        for (auto a : allowed) ok = ok || a == key;
        if (!ok) {
            std::string list;
            for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
            fail(it->first, key, "", "unknown key in " + std::string(what) + " (allowed: " + list + ")");
        }
    }
    for (auto r : required)
        if (!n[std::string(r)]) fail(n, r, "", "required key is missing in " + std::string(what));
}

std::string yaml_reader::string(const YAML::Node& map, std::string_view key) const {
    const YAML::Node v = map[std::string(key)];
    if (!v) fail(map, key, "", "required key is missing");
    if (!v.IsScalar()) fail(v, key, "", "must be a single value");
    return v.Scalar();
}

std::string yaml_reader::string_or(const YAML::Node& map, std::string_view key, std::string fallback) const {
    const YAML::Node v = map[std::string(key)];
    if (!v || v.IsNull()) return fallback;
    if (!v.IsScalar()) fail(v, key, "", "must be a single value");
    return v.Scalar();
}

double yaml_reader::number(const YAML::Node& map, std::string_view key) const {
    const YAML::Node v = map[std::string(key)];
    if (!v) fail(map, key, "", "required key is missing");
    if (!v.IsScalar()) fail(v, key, "", "must be a number");
    const std::string& s = v.Scalar();
    if (s == ".inf" || s == ".Inf" || s == ".INF" || s == "+.inf") return std::numeric_limits<double>::infinity();
    const auto x = parse_number(s);
    if (!x) fail(v, key, s, "must be a number");
    return *x;
}

double yaml_reader::number_or(const YAML::Node& map, std::string_view key, double fallback) const {
    const YAML::Node v = map[std::string(key)];
    if (!v || v.IsNull()) return fallback;
    return number(map, key);
}

bool yaml_reader::boolean_or(const YAML::Node& map, std::string_view key, bool fallback) const {
    const YAML::Node v = map[std::string(key)];
    if (!v || v.IsNull()) return fallback;
    if (v.IsScalar()) {
        const std::string& s = v.Scalar();
        if (s == "true" || s == "True" || s == "yes") return true;
        if (s == "false" || s == "False" || s == "no") return false;
    }
    fail(v, key, v.IsScalar() ? v.Scalar() : "", "must be true or false");
}

std::vector<std::string> yaml_reader::strings(const YAML::Node& map, std::string_view key) const {
    std::vector<std::string> out;
    const YAML::Node v = map[std::string(key)];
    if (!v || v.IsNull()) return out;
    if (v.IsScalar()) {
        out.push_back(v.Scalar());
        return out;
    }
    if (!v.IsSequence()) fail(v, key, "", "must be a list of values");
    for (const auto& e : v) {
        if (!e.IsScalar()) fail(e, key, "", "list entries must be single values");
        out.push_back(e.Scalar());
    }
    return out;
}

}  // namespace wbe::io::detail
