#pragma once
/// @file errors.hpp
/// The error hierarchy of wbe. Every error says where (file, line, column) and why (the
/// value and the rule it breaks), in one format:
///
///     flows.csv:412:3: flow = -5 m3/d: flow must be > 0
///
/// All errors are thrown through the cold functions at the bottom of this header, so that the
/// formatting lives in one place and the throwing sites stay small.

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace wbe {

/// Where in a file something was found. Lines and columns are 1-based; 0 means "not known"
/// (a whole file, or a YAML document without marks).
struct location {
    std::string file;
    std::size_t line = 0;
    std::size_t column = 0;

    /// `file:line:column`, leaving out the parts that are not known.
    [[nodiscard]] std::string to_string() const;
};

/// One problem with one value: where it is, which field, the value as written, and the rule.
struct diagnostic {
    location where;
    std::string field;  ///< column or key name
    std::string value;  ///< the offending value as written in the input
    std::string rule;   ///< the rule it breaks, e.g. "value must be >= 0"

    /// `file:line:col: field = value: rule`
    [[nodiscard]] std::string to_string() const;
};

/// Base class of every wbe error.
class error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Bad input data (CSV batches, flows, sites). Carries every diagnostic found, so that a lab
/// sees all problems of a batch at once; `what()` lists them one per line.
class input_error : public error {
public:
    explicit input_error(std::vector<diagnostic> diagnostics);
    [[nodiscard]] const std::vector<diagnostic>& diagnostics() const noexcept { return diagnostics_; }
    /// The first diagnostic (there is always at least one).
    [[nodiscard]] const diagnostic& first() const noexcept { return diagnostics_.front(); }

private:
    std::vector<diagnostic> diagnostics_;
};

/// Bad configuration (run config, thresholds, model library): unknown keys, wrong types,
/// values out of range.
class config_error : public error {
public:
    explicit config_error(diagnostic d);
    [[nodiscard]] const diagnostic& detail() const noexcept { return detail_; }

private:
    diagnostic detail_;
};

/// A computation that cannot give a meaningful number (division by a zero population,
/// a non-finite intermediate). Indicates an engine bug or an unchecked input.
class numerical_error : public error {
public:
    using error::error;
};

/// A problem with the store file itself (cannot open, wrong schema, I/O failure).
class store_error : public error {
public:
    using error::error;
};

/// Collects diagnostics while a whole file is checked; `throw_if_any` throws them together.
class diagnostics_collector {
public:
    void add(diagnostic d) { items_.push_back(std::move(d)); }
    void add(location where, std::string field, std::string value, std::string rule);
    [[nodiscard]] bool empty() const noexcept { return items_.empty(); }
    [[nodiscard]] std::size_t size() const noexcept { return items_.size(); }
    [[nodiscard]] const std::vector<diagnostic>& items() const noexcept { return items_; }
    /// Throws an input_error holding every collected diagnostic, if there is any.
    void throw_if_any() const;

private:
    std::vector<diagnostic> items_;
};

[[noreturn]] void throw_input_error(location where, std::string field, std::string value, std::string rule);
[[noreturn]] void throw_config_error(location where, std::string key, std::string value, std::string rule);
[[noreturn]] void throw_numerical_error(const std::string& what);

}  // namespace wbe
