// Statistics of left-censored samples (censored_sample.hpp and the methods beside it) on numpy
// arrays: (values, censored flags) — a censored value's `value` is its limit — or, with `limits`,
// the limit taken from there for the censored rows. The sample is zipped into the engine's
// left_censored values (one copy, 16 bytes a value), the method runs with the GIL released, and
// every result comes back as a dict. Invalid values or options raise NumericalError (a
// ValueError) with the engine's message.

#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "arrays.hpp"
#include "register.hpp"
#include "wbe/core/censored_mle.hpp"
#include "wbe/core/censored_sample.hpp"
#include "wbe/core/censored_summary.hpp"
#include "wbe/core/kaplan_meier.hpp"
#include "wbe/core/ros.hpp"

namespace py = pybind11;

namespace wbe::python {
namespace {

std::vector<left_censored> sample_of(const f64_array& values, const bool_array& censored,
                                     const std::optional<f64_array>& limits, const char* who) {
    const auto v = view_1d(values, who, "values");
    const auto c = view_1d(censored, who, "censored");
    check_length(c.size(), v.size(), who, "censored");
    if (!limits) return make_left_censored(v, c);
    const auto l = view_1d(*limits, who, "limits");
    check_length(l.size(), v.size(), who, "limits");
    std::vector<left_censored> out(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) out[i] = {c[i] ? l[i] : v[i], c[i]};
    return out;
}

template <class F>
auto without_gil(F f) {
    py::gil_scoped_release nogil;
    return f();
}

py::dict kaplan_meier(const f64_array& values, const bool_array& censored, const std::optional<f64_array>& limits,
                      bool restricted, double confidence_level, bool correct_se) {
    const auto data = sample_of(values, censored, limits, "kaplan_meier");
    const kaplan_meier_options o{restricted, confidence_level, correct_se};
    kaplan_meier_result r = without_gil([&] { return wbe::kaplan_meier(data, o); });
    std::vector<double> step_value, step_cdf;
    for (const auto& s : r.steps) {
        step_value.push_back(s.value);
        step_cdf.push_back(s.cdf);
    }
    py::dict d;
    d["method"] = "kaplan_meier";
    d["mean"] = r.mean;
    d["sd"] = r.sd;
    d["se_mean"] = r.se_mean;
    d["ucl"] = r.ucl;
    d["median"] = r.median;
    d["median_is_upper_bound"] = r.median_is_upper_bound;
    d["n"] = r.n;
    d["n_censored"] = r.n_censored;
    d["n_detected"] = r.n_detected;
    d["restricted"] = r.restricted;
    d["plain"] = r.plain;
    d["step_values"] = adopt(std::move(step_value));
    d["step_cdf"] = adopt(std::move(step_cdf));
    return d;
}

censored_positions positions_of(const std::string& s) {
    if (s == "sorted_by_limit") return censored_positions::sorted_by_limit;
    if (s == "within_limit") return censored_positions::within_limit;
    throw py::value_error("ros: censored_positions '" + s + "' is not sorted_by_limit or within_limit");
}

py::dict ros(const f64_array& values, const bool_array& censored, const std::optional<f64_array>& limits,
             double max_censored_share, std::size_t min_detects, double substitution_fraction,
             bool drop_censored_above_max_detect, double plotting_position, const std::string& censored_positions) {
    const auto data = sample_of(values, censored, limits, "robust_ros");
    ros_options o;
    o.max_censored_share = max_censored_share;
    o.min_detects = min_detects;
    o.substitution_fraction = substitution_fraction;
    o.drop_censored_above_max_detect = drop_censored_above_max_detect;
    o.positions.a = plotting_position;
    o.positions.censored = positions_of(censored_positions);
    ros_result r = without_gil([&] { return robust_ros(data, o); });
    py::dict d;
    d["method"] = std::string(to_string(r.method));
    d["fallback_reason"] = r.fallback_reason;
    d["values"] = adopt(std::move(r.values));
    d["plotting_positions"] = adopt(std::move(r.plotting_positions));
    d["intercept"] = r.intercept;
    d["slope"] = r.slope;
    d["mean"] = r.mean;
    d["sd"] = r.sd;
    d["median"] = r.median;
    d["n"] = r.n;
    d["n_censored"] = r.n_censored;
    d["n_dropped"] = r.n_dropped;
    return d;
}

py::dict mle(const f64_array& values, const bool_array& censored, const std::optional<f64_array>& limits,
             int max_iterations, double tolerance) {
    const auto data = sample_of(values, censored, limits, "lognormal_mle");
    const censored_mle_options o{max_iterations, tolerance};
    const censored_mle_result r = without_gil([&] { return lognormal_mle(data, o); });
    py::dict d;
    d["method"] = "lognormal_mle";
    d["meanlog"] = r.meanlog;
    d["sdlog"] = r.sdlog;
    d["se_meanlog"] = r.se_meanlog;
    d["se_sdlog"] = r.se_sdlog;
    d["mean"] = r.mean;
    d["sd"] = r.sd;
    d["median"] = r.median;
    d["log_likelihood"] = r.log_likelihood;
    d["iterations"] = r.iterations;
    d["converged"] = r.converged;
    d["n"] = r.n;
    d["n_censored"] = r.n_censored;
    return d;
}

censored_method method_of(const std::string& s, const char* key) {
    const auto m = parse_censored_method(s);
    if (!m || !(*m == censored_method::kaplan_meier || *m == censored_method::robust_ros ||
                *m == censored_method::lognormal_mle))
        throw py::value_error(std::string("censored_summary: ") + key + " '" + s +
                              "' is not kaplan_meier, robust_ros or lognormal_mle");
    return *m;
}

py::dict summary(const f64_array& values, const bool_array& censored, const std::optional<f64_array>& limits,
                 double moderate_max_share, double high_max_share, const std::string& moderate_method,
                 const std::string& high_method, double confidence_level) {
    const auto data = sample_of(values, censored, limits, "censored_summary");
    censored_summary_options o;
    o.moderate_max_share = moderate_max_share;
    o.high_max_share = high_max_share;
    o.moderate_method = method_of(moderate_method, "moderate_method");
    o.high_method = method_of(high_method, "high_method");
    o.kaplan_meier.confidence_level = confidence_level;
    const censored_summary r = without_gil([&] { return summarise_censored(data, o); });
    py::dict d;
    d["method"] = std::string(to_string(r.method));
    d["estimable"] = r.estimable();
    d["mean"] = r.mean;
    d["sd"] = r.sd;
    d["median"] = r.median;
    d["se_mean"] = r.se_mean;
    d["ucl"] = r.ucl;
    d["n"] = r.n;
    d["n_censored"] = r.n_censored;
    d["n_detected"] = r.n_detected;
    d["censored_share"] = r.censored_share;
    d["detection_frequency"] = r.detection_frequency;
    d["not_estimable_reason"] = r.not_estimable_reason;
    d["note"] = r.note;
    d["report"] = r.brief_report();
    return d;
}

}  // namespace

void register_censored(py::module_& m) {
    const kaplan_meier_options km;
    m.def("kaplan_meier", &kaplan_meier, py::arg("values"), py::arg("censored"), py::arg("limits") = py::none(),
          py::arg("restricted") = km.restricted, py::arg("confidence_level") = km.confidence_level,
          py::arg("correct_se") = km.correct_se,
          "Kaplan-Meier statistics of a left-censored sample (kaplan_meier.hpp; EnvStats enparCensored).");
    const ros_options ro;
    m.def("robust_ros", &ros, py::arg("values"), py::arg("censored"), py::arg("limits") = py::none(),
          py::arg("max_censored_share") = ro.max_censored_share, py::arg("min_detects") = ro.min_detects,
          py::arg("substitution_fraction") = ro.substitution_fraction,
          py::arg("drop_censored_above_max_detect") = ro.drop_censored_above_max_detect,
          py::arg("plotting_position") = ro.positions.a, py::arg("censored_positions") = "sorted_by_limit",
          "Robust regression on order statistics (ros.hpp; Helsel & Cohn 1988), with the substitution fallback.");
    const censored_mle_options mo;
    m.def("lognormal_mle", &mle, py::arg("values"), py::arg("censored"), py::arg("limits") = py::none(),
          py::arg("max_iterations") = mo.max_iterations, py::arg("tolerance") = mo.tolerance,
          "Log-normal maximum likelihood for a left-censored sample (censored_mle.hpp).");
    const censored_summary_options so;
    m.def("censored_summary", &summary, py::arg("values"), py::arg("censored"), py::arg("limits") = py::none(),
          py::arg("moderate_max_share") = so.moderate_max_share, py::arg("high_max_share") = so.high_max_share,
          py::arg("moderate_method") = std::string(to_string(so.moderate_method)),
          py::arg("high_method") = std::string(to_string(so.high_method)),
          py::arg("confidence_level") = so.kaplan_meier.confidence_level,
          "The summary with the method the censored share allows (censored_summary.hpp), or not_estimable with "
          "the reason.");
}

}  // namespace wbe::python
