// The fused back-calculation kernel (back_calculation.hpp) on numpy arrays.
//
// Inputs are taken as C-contiguous float64: such an array is used in place (zero-copy); anything
// else that numpy can cast safely (a strided view, int or float32 arrays, lists) is first converted
// to one, which is a copy; an unsafe cast (complex, str) is a TypeError. The three outputs are
// allocated once by numpy and filled by the kernel with the GIL released.

#include <pybind11/numpy.h>

#include <limits>
#include <span>
#include <string>

#include "register.hpp"
#include "wbe/core/back_calculation.hpp"

namespace py = pybind11;

namespace wbe::python {
namespace {

using input = py::array_t<double, py::array::c_style>;

std::span<const double> view(const input& a, const char* name) {
    if (a.ndim() != 1)
        throw py::value_error(std::string("back_calculate: ") + name + " must be 1-D, got " + std::to_string(a.ndim()) +
                              " dimensions");
    return {a.data(), static_cast<std::size_t>(a.shape(0))};
}

std::span<double> view(py::array_t<double>& a) { return {a.mutable_data(), static_cast<std::size_t>(a.shape(0))}; }

py::tuple back_calculate(const input& conc, const input& flow, const input& population, double cf, double dose_mg,
                         double sorbed_fraction, double in_sewer_factor) {
    const auto c = view(conc, "conc");
    const auto q = view(flow, "flow");
    const auto p = view(population, "population");
    const chain_factors f = make_chain_factors(cf, dose_mg, sorbed_fraction, in_sewer_factor);
    const auto n = static_cast<py::ssize_t>(c.size());
    py::array_t<double> pnl(n), consumption(n), doses(n);
    const index_arrays out{view(pnl), view(consumption), view(doses)};
    {
        py::gil_scoped_release nogil;
        wbe::back_calculate(c, q, p, f, out);  // throws std::invalid_argument (ValueError) on a length mismatch
    }
    return py::make_tuple(pnl, consumption, doses);
}

}  // namespace

void register_kernels(py::module_& m) {
    m.def("back_calculate", &back_calculate, py::arg("conc"), py::arg("flow"), py::arg("population"), py::arg("cf"),
          py::arg("dose_mg") = std::numeric_limits<double>::quiet_NaN(), py::arg("sorbed_fraction") = 0.0,
          py::arg("in_sewer_factor") = 1.0,
          R"(The back-calculation chain over 1-D arrays of equal length (science.md §1).

conc [ng/L], flow [m³/day], population [persons] -> (pnl, consumption, doses):
    PNL  = C × Q × 1e-3 / (1 − sorbed_fraction) × in_sewer_factor / P × 1000   [mg/day/1000 inh]
    Cons = PNL × cf                                                                [mg/day/1000 inh]
    Doses = Cons / dose_mg                                                         [doses/day/1000 inh]
cf = (MW_drug / MW_residue) / F_excr (NaN: the residue is no consumption marker). A population <= 0
gives NaN; a dose_mg that is NaN or <= 0 gives NaN doses.

C-contiguous float64 inputs are read in place (no copy); other layouts or safely castable dtypes
are converted first (a copy). The GIL is released while the kernel runs.
Raises ValueError when the lengths differ or an input is not 1-D, NumericalError for a
sorbed_fraction outside [0, 1) or an in_sewer_factor below 1.)");
}

}  // namespace wbe::python
