// GCC 12 at -O3 reports a false -Wrestrict inside std::string concatenation (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"

#include "detail.hpp"

#include "wbe/core/ros.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>

#include <boost/math/distributions/students_t.hpp>

namespace wbe::detectors::detail {

std::string num(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return buf;
}

std::string exact(double v) {
    if (!std::isfinite(v)) return num(v);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.10g", v);
    return buf;
}

std::string percent(double fraction) {
    if (std::isnan(fraction)) return "nan";
    if (std::isinf(fraction)) return fraction > 0 ? "+inf%" : "-inf%";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%+.3g%%", 100.0 * fraction);
    return buf;
}

std::string campaigns(std::size_t n, std::string_view what) {
    std::string out = std::to_string(n) + " " + std::string(what);
    if (n != 1) out += "s";
    return out;
}

double median(std::vector<double>& v) {
    if (v.empty()) return nan;
    const std::size_t n = v.size();
    const auto mid = v.begin() + static_cast<std::ptrdiff_t>(n / 2);
    std::nth_element(v.begin(), mid, v.end());
    const double upper = *mid;
    if (n % 2 == 1) return upper;
    const double lower = *std::max_element(v.begin(), mid);
    return 0.5 * (lower + upper);
}

void mean_sd(const std::vector<double>& v, double& mean, double& sd) {
    const std::size_t n = v.size();
    mean = n ? std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(n) : nan;
    if (n < 2) {
        sd = nan;
        return;
    }
    double ss = 0.0;  // two-pass: exact enough for short windows, no cancellation
    for (double x : v) ss += (x - mean) * (x - mean);
    sd = std::sqrt(ss / static_cast<double>(n - 1));
}

value_range range_of(double value, double lower, double upper, bool censored) noexcept {
    if (!censored) return {value, value};
    const double hi = std::isfinite(upper) ? upper : value;
    const double lo = std::isfinite(lower) ? lower : 0.0;
    return {std::min(lo, hi), hi};
}

double student_t_upper_p(double t, double df) {
    if (std::isnan(t) || !(df > 0.0)) return nan;
    if (t == inf) return 0.0;
    if (t == -inf) return 1.0;
    if (df == std::floor(df) && df <= 1000.0) {
        // Integer ν: the closed form of Abramowitz & Stegun 26.7.3–26.7.4, with θ = atan(t/√ν),
        //   ν odd:  A = (2/π)[θ + sinθ (cosθ + (2/3)cos³θ + … + (2·4⋯(ν−3))/(1·3⋯(ν−2)) cos^(ν−2)θ)]
        //   ν even: A = sinθ [1 + (1/2)cos²θ + … + (1·3⋯(ν−3))/(2·4⋯(ν−2)) cos^(ν−2)θ]
        // where A = F(t) − F(−t), so the upper tail is (1 − A)/2. A few ns instead of the
        // incomplete beta; below 1e-8 the subtraction loses relative digits, so Boost takes over.
        const int nu = static_cast<int>(df);
        const double theta = std::atan(t / std::sqrt(df));
        const double c = std::cos(theta), s = std::sin(theta), c2 = c * c;
        double a;
        if (nu % 2 == 1) {
            double sum = 0.0;
            if (nu > 1) {
                double term = c;
                sum = c;
                for (int k = 3; k <= nu - 2; k += 2) {
                    term *= c2 * (k - 1) / k;
                    sum += term;
                }
            }
            a = 2.0 / 3.14159265358979323846 * (theta + s * sum);
        } else {
            double term = 1.0, sum = 1.0;
            for (int k = 2; k <= nu - 2; k += 2) {
                term *= c2 * (k - 1) / k;
                sum += term;
            }
            a = s * sum;
        }
        const double p = 0.5 * (1.0 - a);
        if (p > 1e-8) return p;
    }
    const boost::math::students_t dist(df);
    return boost::math::cdf(boost::math::complement(dist, t));
}

double student_t_upper_quantile(double p, double df) {
    if (!(df > 0.0) || !(p > 0.0 && p < 1.0)) return nan;
    const boost::math::students_t dist(df);
    return boost::math::quantile(boost::math::complement(dist, p));
}

std::string crossed(detection_level level, double watch, double alert, std::string_view op) {
    if (level == detection_level::alert) return std::string(op) + "alert " + num(alert);
    if (level == detection_level::watch) return std::string(op) + "watch " + num(watch);
    return {};
}

void throw_if_invalid(const std::vector<diagnostic>& problems) {
    if (!problems.empty()) throw config_error(problems.front());
}

parameter_spec real_spec(std::string name, double def, double min, double max, std::string unit, std::string meaning,
                         bool min_exclusive, bool max_exclusive) {
    parameter_spec s;
    s.name = std::move(name);
    s.type = parameter_type::real;
    s.default_text = format_parameter(def);
    s.min = min;
    s.max = max;
    s.min_exclusive = min_exclusive;
    s.max_exclusive = max_exclusive;
    s.unit = std::move(unit);
    s.meaning = std::move(meaning);
    return s;
}

parameter_spec integer_spec(std::string name, int def, double min, double max, std::string unit, std::string meaning) {
    parameter_spec s;
    s.name = std::move(name);
    s.type = parameter_type::integer;
    s.default_text = std::to_string(def);
    s.min = min;
    s.max = max;
    s.unit = std::move(unit);
    s.meaning = std::move(meaning);
    return s;
}

parameter_spec boolean_spec(std::string name, bool def, std::string meaning) {
    parameter_spec s;
    s.name = std::move(name);
    s.type = parameter_type::boolean;
    s.default_text = def ? "true" : "false";
    s.meaning = std::move(meaning);
    return s;
}

parameter_spec choice_spec(std::string name, std::string def, std::vector<std::string> choices, std::string meaning) {
    parameter_spec s;
    s.name = std::move(name);
    s.type = parameter_type::choice;
    s.default_text = std::move(def);
    s.choices = std::move(choices);
    s.meaning = std::move(meaning);
    return s;
}

diagnostic problem(std::string field, std::string value, std::string rule) {
    diagnostic d;
    d.field = std::move(field);
    d.value = std::move(value);
    d.rule = std::move(rule);
    return d;
}

void add_problem(std::vector<diagnostic>& out, std::string field, double value, std::string rule) {
    out.push_back(problem(std::move(field), format_parameter(value), std::move(rule)));
}

void usable_values(const series& s, std::vector<campaign_result>& out, explain e, bool log_scale, std::string_view detector,
                   std::vector<double>& y, std::vector<std::size_t>& index) {
    y.clear();
    index.clear();
    for (std::size_t i = 0; i < s.campaigns.size(); ++i) {
        const double v = s.campaigns[i].value;
        if (std::isnan(v)) continue;
        const double a = log_scale ? log_or_nan(v) : v;
        if (std::isnan(a)) {
            if (e != explain::none)
                out[i].reason = "value " + num(v) + " <= 0 has no logarithm (" + std::string(detector) + " with log_scale)";
            continue;
        }
        y.push_back(a);
        index.push_back(i);
    }
}

parameter_spec censored_spec(const std::string& def) {
    return choice_spec("censored", def, {"ros", "substitute"},
                       "how censored campaigns enter the baseline: robust-ROS imputations over the window (ros) or "
                       "their substitutes (substitute)");
}

void check_censored(const std::string& value, std::vector<diagnostic>& out) {
    if (value != "ros" && value != "substitute") out.push_back(problem("censored", value, "must be one of: ros, substitute"));
}

std::string baseline_values(const series& s, const std::size_t* idx, std::size_t n, bool use_ros, bool log_scale,
                            std::vector<double>& out, explain e) {
    out.resize(n);
    std::size_t n_censored = 0;
    for (std::size_t k = 0; k < n; ++k) {
        const observation& obs = s.campaigns[idx[k]];
        out[k] = obs.value;
        n_censored += obs.censored;
    }
    const auto to_scale = [&] {
        if (log_scale)
            for (double& v : out) v = log_or_nan(v);
    };
    if (n_censored == 0) {
        to_scale();
        return {};
    }
    const auto share = [&] {
        return "; " + std::to_string(n_censored) + " of " + std::to_string(n) + " baseline campaigns censored";
    };
    if (!use_ros) {
        to_scale();
        return e == explain::none ? std::string() : share() + ", at their substitutes";
    }
    std::vector<left_censored> data(n);
    std::string why;
    for (std::size_t k = 0; k < n && why.empty(); ++k) {
        const observation& obs = s.campaigns[idx[k]];
        const double limit = obs.censored && std::isfinite(obs.upper) ? obs.upper : obs.value;
        if (!(limit > 0.0)) why = "a value or limit <= 0";
        data[k] = {limit, obs.censored};
    }
    if (why.empty()) {
        ros_options ro;
        ro.drop_censored_above_max_detect = false;  // every baseline campaign keeps a value
        const ros_result r = robust_ros(data, ro);
        if (r.method == ros_method::robust_ros) {
            for (std::size_t k = 0; k < n; ++k)
                if (data[k].censored) out[k] = r.values[k];
            to_scale();
            return e == explain::none ? std::string() : share() + ", imputed by robust ROS";
        }
        why = r.fallback_reason.substr(0, r.fallback_reason.find(';'));  // its "replaced by …" does not apply here
    }
    to_scale();
    return e == explain::none ? std::string() : share() + ", at their substitutes (robust ROS not used: " + why + ")";
}

}  // namespace wbe::detectors::detail
