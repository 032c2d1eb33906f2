#pragma once
// One registration function per family of wbe._core; module.cpp only calls them.

#include <pybind11/pybind11.h>

namespace wbe::python {

/// Exception classes (wbe.InputError, ConfigError, StoreError, NumericalError) and the translator
/// from the engine's errors and H5::Exception to them.
void register_errors(pybind11::module_& m);
/// tables, read_table, batch_history, migrate: a store's tables as numpy columns, its maintenance.
void register_store(pybind11::module_& m);
/// run, ingest, estimate, flag: the pipeline stages on a run config (a file or YAML text).
void register_pipeline(pybind11::module_& m);
/// back_calculate: the fused back-calculation kernel on numpy arrays.
void register_kernels(pybind11::module_& m);
/// monte_carlo: the engine's Monte Carlo (or analytic) uncertainty on site-day arrays.
void register_montecarlo(pybind11::module_& m);
/// detect, detector_registry: the registered detectors on a series (or cross-sections) as arrays.
void register_detectors(pybind11::module_& m);
/// kaplan_meier, robust_ros, lognormal_mle, censored_summary: censored statistics on arrays.
void register_censored(pybind11::module_& m);

/// Turns off HDF5's printing of its error stack on the calling thread. Call before engine work
/// that reaches HDF5: in Debian's thread-safe HDF5 that setting is per thread, and the engine turns
/// it off only on the thread that loads it, so errors on other Python threads would be printed to
/// stderr besides being raised.
void quiet_hdf5_on_this_thread();

}  // namespace wbe::python
