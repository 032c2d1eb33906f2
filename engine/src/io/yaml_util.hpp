#pragma once
// Strict YAML reading for io/ (private): every unknown key, missing key and wrong type is a
// wbe::config_error naming file, line, column and key. yaml-cpp marks are 0-based; ours 1-based.

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "wbe/core/errors.hpp"

namespace wbe::io::detail {

class yaml_reader {
public:
    explicit yaml_reader(std::string file) : file_(std::move(file)) {}

    /// Parses a whole file; syntax errors become config_error with the parser's mark.
    YAML::Node load_file() const;
    YAML::Node load_text(const std::string& text) const;

    [[nodiscard]] const std::string& file() const noexcept { return file_; }
    [[nodiscard]] location where(const YAML::Node& n) const;

    /// Fails unless `n` is a map whose keys are all in `allowed` and include every `required`.
    void check_map(const YAML::Node& n, std::string_view what, std::initializer_list<std::string_view> allowed,
                   std::initializer_list<std::string_view> required = {}) const;
    void check_map(const YAML::Node& n, std::string_view what, const std::vector<std::string_view>& allowed,
                   const std::vector<std::string_view>& required) const;

    [[nodiscard]] std::string string(const YAML::Node& map, std::string_view key) const;  ///< required scalar
    [[nodiscard]] std::string string_or(const YAML::Node& map, std::string_view key, std::string fallback) const;
    [[nodiscard]] double number(const YAML::Node& map, std::string_view key) const;  ///< required; .inf allowed
    [[nodiscard]] double number_or(const YAML::Node& map, std::string_view key, double fallback) const;
    [[nodiscard]] bool boolean_or(const YAML::Node& map, std::string_view key, bool fallback) const;
    [[nodiscard]] std::vector<std::string> strings(const YAML::Node& map, std::string_view key) const;  ///< optional list

    [[noreturn]] void fail(const YAML::Node& at, std::string_view key, std::string value, std::string rule) const;

private:
    std::string file_;
};

}  // namespace wbe::io::detail
