#pragma once
// One registration function per family of wbe._core; module.cpp only calls them.

#include <pybind11/pybind11.h>

namespace wbe::python {

/// Exception classes (wbe.InputError, ConfigError, StoreError, NumericalError) and the translator
/// from the engine's errors and H5::Exception to them.
void register_errors(pybind11::module_& m);
/// tables(path), read_table(path, name): a store's tables as numpy columns.
void register_store(pybind11::module_& m);
/// run, ingest, estimate, flag: the pipeline stages on a run config.
void register_pipeline(pybind11::module_& m);
/// back_calculate: the fused back-calculation kernel on numpy arrays.
void register_kernels(pybind11::module_& m);

/// Turns off HDF5's printing of its error stack on the calling thread. Call before engine work
/// that reaches HDF5: in Debian's thread-safe HDF5 that setting is per thread, and the engine turns
/// it off only on the thread that loads it, so errors on other Python threads would be printed to
/// stderr besides being raised.
void quiet_hdf5_on_this_thread();

}  // namespace wbe::python
