// The engine's errors as Python exceptions. Input and config errors subclass ValueError and carry
// where the (first) problem is, so a notebook can point at the cell of a CSV; store errors subclass
// OSError, as a file problem would in Python.

#include <H5Cpp.h>

#include <string>
#include <vector>

#include "register.hpp"
#include "wbe/core/errors.hpp"

namespace py = pybind11;

namespace wbe::python {
namespace {

// The classes live as long as the process: the translator may run until interpreter shutdown,
// and a static py::object would be released after it.
struct error_classes {
    PyObject* input = nullptr;
    PyObject* config = nullptr;
    PyObject* store = nullptr;
    PyObject* numerical = nullptr;
};
error_classes classes;

PyObject* add_class(py::module_& m, const char* name, PyObject* base, const char* doc) {
    // "wbe.X": tracebacks and repr name the public package, where the class is re-exported.
    PyObject* cls = PyErr_NewExceptionWithDoc((std::string("wbe.") + name).c_str(), doc, base, nullptr);
    if (!cls) throw py::error_already_set();
    m.attr(name) = py::handle(cls);
    return cls;
}

// Raises `cls` with the engine's full message and the first diagnostic's location as attributes.
// A problem that is in no file (a parameter dict given to a function) has file, line and column
// None. Config errors also carry the key, the value as written and the rule.
void raise_located(PyObject* cls, const char* what, const std::vector<diagnostic>& ds, bool with_key) {
    const diagnostic& first = ds.front();
    const location& where = first.where;
    const bool nowhere = where.file.empty() && where.line == 0;
    // In no file: the message starts with the key, not with the engine's "<input>: ".
    std::string message = what;
    const std::string placeholder = location{}.to_string() + ": ";
    if (nowhere && message.rfind(placeholder, 0) == 0) message.erase(0, placeholder.size());
    py::object e = py::reinterpret_borrow<py::object>(cls)(message);
    e.attr("file") = nowhere ? py::none() : py::object(py::str(where.file));
    e.attr("line") = nowhere ? py::none() : py::object(py::int_(where.line));
    e.attr("column") = nowhere ? py::none() : py::object(py::int_(where.column));
    if (with_key) {
        e.attr("key") = first.field;
        e.attr("value") = first.value;
        e.attr("rule") = first.rule;
    }
    py::list all;
    for (const auto& d : ds) {
        std::string line = d.to_string();
        if (nowhere && line.rfind(placeholder, 0) == 0) line.erase(0, placeholder.size());
        all.append(line);
    }
    e.attr("diagnostics") = all;
    PyErr_SetObject(cls, e.ptr());
}

void translate(std::exception_ptr p) {
    try {
        if (p) std::rethrow_exception(p);
    } catch (const input_error& e) {
        raise_located(classes.input, e.what(), e.diagnostics(), false);
    } catch (const config_error& e) {
        raise_located(classes.config, e.what(), {e.detail()}, true);
    } catch (const store_error& e) {
        PyErr_SetString(classes.store, e.what());
    } catch (const numerical_error& e) {
        PyErr_SetString(classes.numerical, e.what());
    } catch (const H5::Exception& e) {
        // Not a std::exception: without this, Python would see "Caught an unknown exception!".
        PyErr_SetString(classes.store, (e.getFuncName() + ": " + e.getDetailMsg()).c_str());
    }
}

}  // namespace

void quiet_hdf5_on_this_thread() {
    thread_local bool quiet = false;
    if (!quiet) {
        H5::Exception::dontPrint();
        quiet = true;
    }
}

void register_errors(py::module_& m) {
    classes.input = add_class(m, "InputError", PyExc_ValueError,
                              "Bad input data (assay batch, flows, sites). `file`, `line`, `column`: where the first "
                              "problem is (0 = not known); `diagnostics`: every problem, one string each.");
    classes.config = add_class(m, "ConfigError", PyExc_ValueError,
                               "Bad configuration (run config, thresholds, model files, parameter dicts). `file`, `line`, "
                               "`column`: where (None for a dict); `key`: the key (for a config dict, its path, e.g. "
                               "`uncertainty.draws`), `value`: the value as written, `rule`: the rule it breaks; "
                               "`diagnostics`: the problem as one string in a list.");
    classes.store = add_class(m, "StoreError", PyExc_OSError,
                              "The store file cannot be used: missing, not a wbe store, locked by another writer, or "
                              "an HDF5 failure.");
    classes.numerical = add_class(m, "NumericalError", PyExc_ValueError,
                                  "A computation without a meaningful number, e.g. a sorbed fraction outside [0, 1).");
    py::register_exception_translator(&translate);
}

}  // namespace wbe::python
