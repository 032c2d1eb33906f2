#pragma once
// Shared helpers for the GoogleTest suites.

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <string>

#include <unistd.h>

namespace wbe::test {

/// Digits of agreement between a computed and an expected value: -log10(|a − e| / |e|),
/// capped at 17 (exact). The NIST-StRD way of scoring certified cases.
inline double digits_of_agreement(double actual, double expected) {
    if (std::isnan(actual) || std::isnan(expected)) return 0.0;  // min(17, NaN) would read as exact
    if (actual == expected) return 17.0;
    const double rel = std::abs(actual - expected) / (expected == 0.0 ? 1.0 : std::abs(expected));
    return std::min(17.0, -std::log10(rel));
}

/// Paths of this build, defined in the generated test_paths.cpp (tests/CMakeLists.txt).
namespace paths {
extern const char* const source_dir;             ///< the project
extern const char* const compat_dir;             ///< tests/compat: frozen files of older schemas
extern const char* const default_reference_dir;  ///< ../shared/reference beside the project
extern const char* const cli;                    ///< the `wbe` executable
}  // namespace paths

inline std::string source_dir() { return paths::source_dir; }

/// `WBE_REFERENCE_DIR` or the default `../shared/reference` beside the project.
inline std::string reference_dir() {
    if (const char* env = std::getenv("WBE_REFERENCE_DIR"); env && *env) return env;
    return paths::default_reference_dir;
}

/// A fresh empty folder under the build tree, removed at scope exit.
class temp_dir {
public:
    explicit temp_dir(const std::string& name) {
        const char* base = std::getenv("TMPDIR");
        static int counter = 0;
        path_ = std::filesystem::path(base ? base : "/tmp") /
                ("wbe-test-" + name + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

}  // namespace wbe::test
