// wbe._core: the private compiled module under the `wbe` package. Only registrations here.

#include "register.hpp"

#include "wbe/version.hpp"

PYBIND11_MODULE(_core, m) {
    m.doc() = "wbe engine bindings (private; use the `wbe` package)";
    m.attr("__version__") = wbe::engine_version;
    wbe::python::register_errors(m);
    wbe::python::register_store(m);
    wbe::python::register_pipeline(m);
    wbe::python::register_kernels(m);
    wbe::python::register_montecarlo(m);
    wbe::python::register_detectors(m);
    wbe::python::register_censored(m);
}
