// libFuzzer target: the store opener (wbe/io/hdf5_store.hpp) on well-formed HDF5 files with
// hostile content. The input is not a file: it steers the HDF5 library, which writes a file that
// then goes to read_store and to read_raw_table of every table. Each table may be missing, of
// rank 0, 1 or 2, claim many rows it never stores, and hold any mix of the store's column names
// and others, each of any numeric or string type and width (fixed or variable length), with any
// bytes as data; the root attributes may be missing or of the wrong type.
//
// This is the store target that `make fuzz` runs. `fuzz_store` mutates the file's bytes instead,
// and so mostly tests libhdf5's own parsing, which (1.10.8) has memory errors on damaged
// metadata that wbe cannot fix (README.md, "HDF5"). Documented error: store_error.

#include <fuzzer/FuzzedDataProvider.h>
#include <hdf5.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "wbe/io/hdf5_store.hpp"

namespace {

// Each table's column names, from a store the engine writes.
std::map<std::string, std::vector<std::string>> store_columns() {
    const std::string ref = (wbe::fuzz::scratch_dir() / "reference.h5").string();
    wbe::io::write_store(ref, wbe::io::store_contents{});
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& t : wbe::io::store_tables())
        for (const auto& c : wbe::io::read_raw_table(ref, t).columns) out[t].push_back(c.name);
    return out;
}

// A member type of any class, size and padding wbe might meet (the caller closes it).
hid_t member_type(FuzzedDataProvider& in) {
    switch (in.ConsumeIntegralInRange(0, 5)) {
        case 0: return H5Tcopy(in.ConsumeBool() ? H5T_NATIVE_DOUBLE : H5T_NATIVE_FLOAT);
        case 1: {
            const hid_t ints[] = {H5T_NATIVE_INT8,   H5T_NATIVE_UINT8,  H5T_NATIVE_INT16, H5T_NATIVE_UINT16,
                                  H5T_NATIVE_INT32,  H5T_NATIVE_UINT32, H5T_NATIVE_INT64, H5T_NATIVE_UINT64};
            return H5Tcopy(ints[in.ConsumeIntegralInRange<std::size_t>(0, 7)]);
        }
        case 2: {
            const hid_t t = H5Tcopy(H5T_C_S1);
            H5Tset_size(t, H5T_VARIABLE);
            return t;
        }
        case 3: return H5Tcopy(H5T_STD_I64BE);  // the other byte order
        default: {
            const hid_t t = H5Tcopy(H5T_C_S1);
            H5Tset_size(t, in.ConsumeIntegralInRange<std::size_t>(1, 600));
            const H5T_str_t pads[] = {H5T_STR_NULLPAD, H5T_STR_NULLTERM, H5T_STR_SPACEPAD};
            H5Tset_strpad(t, pads[in.ConsumeIntegralInRange(0, 2)]);
            return t;
        }
    }
}

void write_table(FuzzedDataProvider& in, hid_t file, const std::string& name, const std::vector<std::string>& known) {
    // The row type: known and unknown names, in any order, possibly repeated (HDF5 refuses a
    // repeated name; that member is then left out).
    std::vector<std::pair<std::string, hid_t>> members;
    const std::size_t count = in.ConsumeIntegralInRange<std::size_t>(0, known.size() + 2);
    bool variable = false;
    for (std::size_t i = 0; i < count; ++i) {
        const std::string member = !known.empty() && in.ConsumeIntegralInRange(0, 7) != 0
                                       ? known[in.ConsumeIntegralInRange<std::size_t>(0, known.size() - 1)]
                                       : in.ConsumeRandomLengthString(12);
        const hid_t t = member_type(in);
        variable = variable || H5Tis_variable_str(t) > 0;
        members.emplace_back(member, t);
    }
    std::size_t size = 0;
    for (const auto& m : members) size += H5Tget_size(m.second);
    const hid_t row = H5Tcreate(H5T_COMPOUND, std::max<std::size_t>(size, 1));
    std::size_t offset = 0;
    for (const auto& m : members) {
        if (!m.first.empty() && H5Tinsert(row, m.first.c_str(), offset, m.second) >= 0) offset += H5Tget_size(m.second);
        H5Tclose(m.second);
    }

    // The shape: mostly 1-D with a few rows, sometimes a huge row count that is never stored.
    const int rank = in.ConsumeIntegralInRange(0, 7) == 0 ? in.ConsumeIntegralInRange(0, 2) : 1;
    const bool huge = in.ConsumeIntegralInRange(0, 15) == 0;
    hsize_t dims[2] = {huge ? hsize_t{1} << in.ConsumeIntegralInRange(10, 40) : in.ConsumeIntegralInRange<hsize_t>(0, 40),
                       in.ConsumeIntegralInRange<hsize_t>(1, 3)};
    const hsize_t maxdims[2] = {H5S_UNLIMITED, H5S_UNLIMITED};
    const hsize_t chunk[2] = {1, 1};
    const hid_t space = rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, dims, maxdims);
    const hid_t plist = H5Pcreate(H5P_DATASET_CREATE);
    if (rank > 0) {
        H5Pset_chunk(plist, rank, chunk);
        if (in.ConsumeBool()) H5Pset_deflate(plist, 1);
    }
    const hid_t ds = H5Dcreate2(file, name.c_str(), row, space, H5P_DEFAULT, plist, H5P_DEFAULT);
    if (ds >= 0) {
        // Any bytes as the rows (variable-length strings hold pointers: those tables keep their
        // fill value).
        const hsize_t n = rank == 0 ? 1 : rank == 1 ? dims[0] : dims[0] * dims[1];
        if (!huge && !variable && n > 0) {
            std::vector<std::uint8_t> bytes = in.ConsumeBytes<std::uint8_t>(n * H5Tget_size(row));
            bytes.resize(n * H5Tget_size(row));
            H5Dwrite(ds, row, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data());
        }
        H5Dclose(ds);
    }
    H5Pclose(plist);
    H5Sclose(space);
    H5Tclose(row);
}

void write_attribute(FuzzedDataProvider& in, hid_t file, const char* name, bool integer) {
    const int kind = in.ConsumeIntegralInRange(0, 3);  // 0: none, 1: the usual type, 2: string, 3: double
    if (kind == 0) return;
    const hid_t space = H5Screate(H5S_SCALAR);
    if (kind == 1 && integer) {
        const int v = in.ConsumeIntegral<int>();
        const hid_t a = H5Acreate2(file, name, H5T_NATIVE_INT, space, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(a, H5T_NATIVE_INT, &v);
        H5Aclose(a);
    } else if (kind == 3) {
        const double v = in.ConsumeFloatingPoint<double>();
        const hid_t a = H5Acreate2(file, name, H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(a, H5T_NATIVE_DOUBLE, &v);
        H5Aclose(a);
    } else {
        std::string v = in.ConsumeRandomLengthString(300);
        if (v.empty()) v = " ";
        const hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, v.size());
        const hid_t a = H5Acreate2(file, name, t, space, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(a, t, v.data());
        H5Aclose(a);
        H5Tclose(t);
    }
    H5Sclose(space);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const auto columns = store_columns();
    static const std::string path = (wbe::fuzz::scratch_dir() / "store.h5").string();
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    FuzzedDataProvider in(data, size);
    {
        const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        wbe::fuzz::check(file >= 0, "the harness writes its file");
        write_attribute(in, file, "schema_version", true);
        write_attribute(in, file, "city", false);
        write_attribute(in, file, "estimates_model_set", false);
        for (const auto& t : wbe::io::store_tables())
            if (in.ConsumeBool()) write_table(in, file, t, columns.at(t));
        H5Fclose(file);
    }
    wbe::fuzz::read_every_table(path);
    return 0;
}
