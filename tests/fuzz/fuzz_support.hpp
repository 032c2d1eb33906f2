#pragma once
// Shared helpers of the libFuzzer targets (tests/fuzz/README.md).
//
// A target feeds one input to one reader and lets through only the errors that reader documents
// (input_error, config_error or store_error, each target says which). Any other exception
// escapes LLVMFuzzerTestOneInput, and libFuzzer reports it as a crash ("deadly signal" after
// std::terminate), exactly like a sanitizer report, a hang (-timeout) or a failed check below.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include <unistd.h>

#include "wbe/core/errors.hpp"
#include "wbe/io/hdf5_store.hpp"

namespace wbe::fuzz {

/// The project, defined in the generated fuzz_paths.cpp (tests/fuzz/CMakeLists.txt).
namespace paths {
extern const char* const source_dir;
}  // namespace paths

inline std::string source_dir() { return paths::source_dir; }

/// The input as text (the CSV readers take a string_view; the YAML and HDF5 readers a file).
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

/// A scratch folder of this process under $TMPDIR (or /tmp), removed at a normal exit (a crash
/// leaves it for inspection). Readers that only take a path read the input from a file here;
/// each input overwrites the previous one.
class scratch {
public:
    scratch() {
        const char* base = std::getenv("TMPDIR");
        dir_ = std::filesystem::path(base && *base ? base : "/tmp") / ("wbe-fuzz-" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
    }
    ~scratch() {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    scratch(const scratch&) = delete;
    scratch& operator=(const scratch&) = delete;
    [[nodiscard]] const std::filesystem::path& dir() const noexcept { return dir_; }

private:
    std::filesystem::path dir_;
};

inline const std::filesystem::path& scratch_dir() {
    static const scratch s;
    return s.dir();
}

/// A project-shaped folder in the scratch folder, so that a config's relative paths resolve as
/// in the repository: `config/` (with copies of config/thresholds*.yaml) beside `models` and
/// `data`, which link to the repository's own. Returns the `config/` folder.
inline const std::filesystem::path& config_sandbox() {
    static const std::filesystem::path dir = [] {
        namespace fs = std::filesystem;
        const fs::path root = scratch_dir() / "project";
        fs::create_directories(root / "config");
        fs::create_directories(root / "out");
        fs::create_symlink(source_dir() + "/models", root / "models");
        fs::create_symlink(source_dir() + "/data", root / "data");
        for (const char* f : {"thresholds.yaml", "thresholds-sensitive.yaml"})
            fs::copy_file(source_dir() + "/config/" + f, root / "config" / f);
        return root / "config";
    }();
    return dir;
}

/// Writes the bytes to `path` (created or truncated).
inline void write_bytes(const std::filesystem::path& path, const std::uint8_t* data, std::size_t size) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!out) {
        std::fprintf(stderr, "fuzz harness: cannot write %s\n", path.c_str());
        std::abort();
    }
}

/// A property that must hold for every input a reader accepts; a violation is a finding.
inline void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz check failed: %s\n", what);
        std::abort();
    }
}

/// Every documented error names where it happened: a message is never empty.
inline void check_message(const wbe::error& e) { check(e.what() != nullptr && *e.what() != '\0', "error message is empty"); }

/// The store targets' reading of a file: read_store, then read_raw_table of every table; each
/// may refuse the file only with a store_error, and a table it returns has a value per row in
/// every column.
inline void read_every_table(const std::string& path) {
    try {
        const wbe::io::store_contents c = wbe::io::read_store(path);
        check(c.schema_version >= 1 && c.schema_version <= wbe::io::store_schema_version, "schema version is known");
    } catch (const wbe::store_error& e) {
        check_message(e);
    }
    for (const auto& table : wbe::io::store_tables()) {
        try {
            const wbe::io::raw_table t = wbe::io::read_raw_table(path, table);
            for (const auto& col : t.columns) {
                const std::size_t n = col.kind == wbe::io::column_data::type::number    ? col.numbers.size()
                                      : col.kind == wbe::io::column_data::type::integer ? col.integers.size()
                                                                                        : col.texts.size();
                check(n == t.rows, "every column has a value per row");
            }
        } catch (const wbe::store_error& e) {
            check_message(e);
        }
    }
}

}  // namespace wbe::fuzz
