#pragma once
// numpy at the boundary of wbe._core, shared by the register_*.cpp files that take or give arrays.
//
// Inputs are taken as C-contiguous arrays of the engine's element type: such an array is used in
// place (zero-copy); anything else numpy can cast safely (a strided view, int or float32 arrays,
// lists) is first converted to one, which is a copy; an unsafe cast (complex, str) is a TypeError.
// Outputs are the engine's std::vectors handed to numpy without a copy.

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace wbe::python {

using f64_array = pybind11::array_t<double, pybind11::array::c_style>;
using bool_array = pybind11::array_t<bool, pybind11::array::c_style>;
using i64_array = pybind11::array_t<std::int64_t, pybind11::array::c_style>;

/// A 1-D input array as a span over numpy's buffer. Raises ValueError ("who: name must be 1-D")
/// otherwise.
template <class T>
std::span<const T> view_1d(const pybind11::array_t<T, pybind11::array::c_style>& a, const char* who, const char* name) {
    if (a.ndim() != 1)
        throw pybind11::value_error(std::string(who) + ": " + name + " must be 1-D, got " + std::to_string(a.ndim()) +
                                    " dimensions");
    return {a.data(), static_cast<std::size_t>(a.shape(0))};
}

/// Raises ValueError unless `got` == `want` ("who: name has 3 values, expected 4").
inline void check_length(std::size_t got, std::size_t want, const char* who, const char* name) {
    if (got != want)
        throw pybind11::value_error(std::string(who) + ": " + name + " has " + std::to_string(got) +
                                    " values, expected " + std::to_string(want) + " (one per value)");
}

/// The array owns the vector through a capsule, so the engine's buffer becomes numpy's.
template <class T>
pybind11::array_t<T> adopt(std::vector<T>&& v) {
    auto* owned = new std::vector<T>(std::move(v));
    pybind11::capsule owner(owned, [](void* p) { delete static_cast<std::vector<T>*>(p); });
    return pybind11::array_t<T>(static_cast<pybind11::ssize_t>(owned->size()), owned->data(), owner);
}

/// A dtype-object array of str (as pandas.read_hdf gives for fixed-length string fields).
inline pybind11::array texts(const std::vector<std::string>& v) {
    pybind11::array out(pybind11::dtype("object"),
                        pybind11::array::ShapeContainer{static_cast<pybind11::ssize_t>(v.size())});
    auto** slots = static_cast<PyObject**>(out.mutable_data());
    for (std::size_t i = 0; i < v.size(); ++i) {
        // "replace": a stray byte in a lab's CSV shows as U+FFFD instead of making the table unreadable.
        PyObject* s = PyUnicode_DecodeUTF8(v[i].data(), static_cast<Py_ssize_t>(v[i].size()), "replace");
        if (!s) throw pybind11::error_already_set();
        PyObject* old = slots[i];  // numpy fills a new object array with NULL or None
        slots[i] = s;
        Py_XDECREF(old);
    }
    return out;
}

}  // namespace wbe::python
