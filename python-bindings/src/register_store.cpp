// A store's tables as numpy columns. The engine reads each table generically (read_raw_table);
// numeric columns are handed to numpy without a copy, text columns become arrays of str.

#include <H5Cpp.h>
#include <pybind11/numpy.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "arrays.hpp"
#include "register.hpp"
#include "wbe/core/errors.hpp"
#include "wbe/io/hdf5_store.hpp"
#include "wbe/pipeline/pipeline.hpp"
#include "wbe/pipeline/tables.hpp"

namespace py = pybind11;
namespace fs = std::filesystem;

namespace wbe::python {
namespace {

py::dict read_table(const fs::path& path, const std::string& name) {
    io::raw_table t;
    {
        py::gil_scoped_release nogil;
        quiet_hdf5_on_this_thread();
        t = io::read_raw_table(path.string(), name);
    }
    py::dict out;
    for (auto& c : t.columns) {
        switch (c.kind) {
            case io::column_data::type::number: out[py::str(c.name)] = adopt(std::move(c.numbers)); break;
            case io::column_data::type::integer: out[py::str(c.name)] = adopt(std::move(c.integers)); break;
            case io::column_data::type::text: out[py::str(c.name)] = texts(c.texts); break;
        }
    }
    return out;
}

// The engine's tables that the store holds: a store written by this engine holds all of them,
// an older schema may lack the newer ones.
std::vector<std::string> tables(const fs::path& path) {
    const std::string p = path.string();
    py::gil_scoped_release nogil;
    quiet_hdf5_on_this_thread();
    if (!fs::exists(path)) throw store_error(p + ": no store here (create one with `wbe init` or `wbe ingest`)");
    if (H5::H5File::isHdf5(p) <= 0) throw store_error(p + ": not an HDF5 file (is it a wbe store?)");
    std::vector<std::string> out;
    try {
        const H5::H5File f(p, H5F_ACC_RDONLY);
        for (const auto& name : io::store_tables())
            if (H5Lexists(f.getId(), name.c_str(), H5P_DEFAULT) > 0) out.push_back(name);
    } catch (const H5::Exception& e) {
        throw store_error(p + ": listing the tables failed: " + e.getDetailMsg());
    }
    return out;
}

// The lineage of one batch id, oldest version first, as columns of str (results: int64).
py::dict batch_history(const fs::path& path, const std::string& batch_id) {
    pipeline::text_table t;
    {
        py::gil_scoped_release nogil;
        quiet_hdf5_on_this_thread();
        t = pipeline::batch_history(path.string(), batch_id);
    }
    py::dict out;
    for (std::size_t c = 0; c < t.header.size(); ++c) {
        if (t.header[c] == "results") {
            std::vector<std::int64_t> n;
            for (const auto& row : t.rows) n.push_back(std::stoll(row[c]));
            out[py::str(t.header[c])] = adopt(std::move(n));
        } else {
            std::vector<std::string> col;
            for (const auto& row : t.rows) col.push_back(row[c]);
            out[py::str(t.header[c])] = texts(col);
        }
    }
    return out;
}

py::dict migrate(const fs::path& path) {
    pipeline::migration m;
    {
        py::gil_scoped_release nogil;
        quiet_hdf5_on_this_thread();
        m = pipeline::migrate_store(path.string());
    }
    py::dict d;
    d["store"] = path.string();
    d["from"] = m.from;
    d["to"] = m.to;
    return d;
}

}  // namespace

void register_store(py::module_& m) {
    m.def("tables", &tables, py::arg("path"),
          "Names of the tables the store at `path` holds, in file order. Raises StoreError (an OSError) "
          "when there is no readable store.");
    m.def("read_table", &read_table, py::arg("path"), py::arg("name"),
          "One table of the store as {column: numpy array}, in stored column order: float64 for numbers, "
          "int64 for integers, object arrays of str for text. Raises StoreError for an unknown table or an "
          "unreadable store.");
    m.def("batch_history", &batch_history, py::arg("path"), py::arg("batch_id"),
          "Every stored version of batch `batch_id`, oldest first, as {column: numpy array} (as `wbe history`): "
          "batch_id, status, content_hash, source, ingested_at, user, results (int64), reason, superseded_at, "
          "superseded_by. No rows when the store has no such batch.");
    m.def("migrate", &migrate, py::arg("path"),
          "Upgrades the store at `path` from an older schema version to this engine's, atomically (as `wbe migrate`); "
          "a current store is left untouched. Returns {'store', 'from', 'to'} (schema versions).");
    m.def("store_tables", &io::store_tables,
          "Names of every table a store of this engine's schema holds, in file order.");
}

}  // namespace wbe::python
