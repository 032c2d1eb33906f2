// A store's tables as numpy columns. The engine reads each table generically (read_raw_table);
// numeric columns are handed to numpy without a copy, text columns become arrays of str.

#include <H5Cpp.h>
#include <pybind11/numpy.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "register.hpp"
#include "wbe/core/errors.hpp"
#include "wbe/io/hdf5_store.hpp"

namespace py = pybind11;
namespace fs = std::filesystem;

namespace wbe::python {
namespace {

// The array owns the vector through a capsule, so the engine's buffer becomes numpy's.
template <class T>
py::array_t<T> adopt(std::vector<T>&& v) {
    auto* owned = new std::vector<T>(std::move(v));
    py::capsule owner(owned, [](void* p) { delete static_cast<std::vector<T>*>(p); });
    return py::array_t<T>(static_cast<py::ssize_t>(owned->size()), owned->data(), owner);
}

// dtype object holding str, as pandas.read_hdf gives for fixed-length string fields.
py::array texts(const std::vector<std::string>& v) {
    py::array out(py::dtype("object"), py::array::ShapeContainer{static_cast<py::ssize_t>(v.size())});
    auto** slots = static_cast<PyObject**>(out.mutable_data());
    for (std::size_t i = 0; i < v.size(); ++i) {
        // "replace": a stray byte in a lab's CSV shows as U+FFFD instead of making the table unreadable.
        PyObject* s = PyUnicode_DecodeUTF8(v[i].data(), static_cast<Py_ssize_t>(v[i].size()), "replace");
        if (!s) throw py::error_already_set();
        PyObject* old = slots[i];  // numpy fills a new object array with NULL or None
        slots[i] = s;
        Py_XDECREF(old);
    }
    return out;
}

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

}  // namespace

void register_store(py::module_& m) {
    m.def("tables", &tables, py::arg("path"),
          "Names of the tables the store at `path` holds, in file order. Raises StoreError (an OSError) "
          "when there is no readable store.");
    m.def("read_table", &read_table, py::arg("path"), py::arg("name"),
          "One table of the store as {column: numpy array}, in stored column order: float64 for numbers, "
          "int64 for integers, object arrays of str for text. Raises StoreError for an unknown table or an "
          "unreadable store.");
    m.def("store_tables", &io::store_tables,
          "Names of every table a store of this engine's schema holds, in file order.");
}

}  // namespace wbe::python
