// libFuzzer target: the store opener (wbe/io/hdf5_store.hpp). The input is written to a scratch
// file and opened read-only the two ways the engine reads a store: whole (read_store, as every
// command does) and table by table (read_raw_table, as show, export and Python do).
// Documented error: store_error. HDF5 itself parses the file; it is not instrumented (Debian's
// libhdf5), so a fault inside it shows as a crash in an HDF5 frame (tests/fuzz/README.md).

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "wbe/io/hdf5_store.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string path = (wbe::fuzz::scratch_dir() / "store.h5").string();
    wbe::fuzz::write_bytes(path, data, size);
    try {
        const wbe::io::store_contents c = wbe::io::read_store(path);
        wbe::fuzz::check(c.schema_version >= 1 && c.schema_version <= wbe::io::store_schema_version, "schema version is known");
    } catch (const wbe::store_error& e) {
        wbe::fuzz::check_message(e);
    }
    for (const auto& table : wbe::io::store_tables()) {
        try {
            const wbe::io::raw_table t = wbe::io::read_raw_table(path, table);
            for (const auto& col : t.columns) {
                const std::size_t n = col.kind == wbe::io::column_data::type::number    ? col.numbers.size()
                                      : col.kind == wbe::io::column_data::type::integer ? col.integers.size()
                                                                                        : col.texts.size();
                wbe::fuzz::check(n == t.rows, "every column has a value per row");
            }
        } catch (const wbe::store_error& e) {
            wbe::fuzz::check_message(e);
        }
    }
    return 0;
}
