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
    wbe::fuzz::read_every_table(path);
    return 0;
}
