// GCC 12 at -O3 reports a false -Wrestrict inside std::string concatenation (GCC bug 105329).
#if defined(__GNUC__) && !defined(__clang__)  // a GCC-only warning: clang does not know it
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include "detail.hpp"

#include "wbe/core/detectors/number_text.hpp"
#include "wbe/core/ros.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstdint>
#include <numeric>
#include <utility>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <boost/math/distributions/students_t.hpp>

namespace wbe::detectors {

namespace {

// 10^0 … 10^22: every power of ten a double holds exactly; and the nearest doubles to
// 10^0 … 10^-22 (multiplying by one is faster than dividing by 10^k, and rounds twice).
constexpr double powers_of_ten[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
constexpr double inverse_powers_of_ten[] = {1e-0,  1e-1,  1e-2,  1e-3,  1e-4,  1e-5,  1e-6,  1e-7,
                                            1e-8,  1e-9,  1e-10, 1e-11, 1e-12, 1e-13, 1e-14, 1e-15,
                                            1e-16, 1e-17, 1e-18, 1e-19, 1e-20, 1e-21, 1e-22};

std::size_t general_by_to_chars(double v, int precision, char* out) noexcept {
    return static_cast<std::size_t>(
        std::to_chars(out, out + max_general_chars, v, std::chars_format::general, precision).ptr - out);
}

}  // namespace

// %.Pg prints the P significant digits of |v| rounded to nearest (ties to even, on the exact
// binary value) with X the decimal exponent of the rounded value: style e when X < −4 or
// X ≥ P, else style f; trailing zeros of the fraction and a bare point are dropped.
// Here q = |v|·10^(P−1−X) is one multiplication by an exact power of ten or by the nearest
// double to one, so it is within a relative 2⁻⁵² of the exact product: when q is further than
// `tolerance` from a rounding tie and from 10^(P−1) and 10^P, its rounding and X are those of
// the exact value.
std::size_t format_general(double v, int precision, char* out) noexcept {
    constexpr int max_fast_precision = 15;  // q < 10^15 keeps fractional bits to tell a tie
    if (!std::isfinite(v) || precision < 1 || precision > max_fast_precision) return general_by_to_chars(v, precision, out);
    char* p = out;
    if (std::signbit(v)) *p++ = '-';
    const double a = std::abs(v);
    if (a == 0.0) {
        *p++ = '0';
        return static_cast<std::size_t>(p - out);
    }
    if (!(a > 1e-290 && a < 1e290)) return general_by_to_chars(v, precision, out);
    const double low = powers_of_ten[precision - 1], high = powers_of_ten[precision];
    const double tolerance = high * 0x1p-50;  // 4 × the rounding error of q < 10^P
    // X from the binary exponent e₂: floor(e₂·log₁₀2) (= e₂·78913 >> 18 for |e₂| < 1650) is X
    // or X − 1, corrected by where q lands.
    const int e2 = static_cast<int>((std::bit_cast<std::uint64_t>(a) >> 52) & 0x7ff) - 1023;
    int x = (e2 * 78913) >> 18;
    double q = 0.0;
    for (int tries = 0;; ++tries) {
        const int k = precision - 1 - x;
        if (tries == 3 || k > 22 || k < -22) return general_by_to_chars(v, precision, out);
        q = a * (k >= 0 ? powers_of_ten[k] : inverse_powers_of_ten[-k]);
        if (std::abs(q - low) <= tolerance || std::abs(q - high) <= tolerance) return general_by_to_chars(v, precision, out);
        if (q >= high) ++x;
        else if (q < low) --x;
        else break;
    }
    auto n = static_cast<std::uint64_t>(q);  // 0 < q < 10^15: truncation is floor
    const double fraction = q - static_cast<double>(n);  // exact
    if (std::abs(fraction - 0.5) <= tolerance) return general_by_to_chars(v, precision, out);
    n += fraction > 0.5 ? 1 : 0;
    if (n == static_cast<std::uint64_t>(high)) {  // rounded up to 10^P: 9.9996 → 1.000e+01
        n /= 10;
        ++x;
    }
    char digits[max_fast_precision];
    for (int i = precision - 1; i >= 0; --i) {
        digits[i] = static_cast<char>('0' + n % 10);
        n /= 10;
    }
    int used = precision;  // digits up to the last non-zero one
    while (used > 1 && digits[used - 1] == '0') --used;
    if (x < -4 || x >= precision) {
        *p++ = digits[0];
        if (used > 1) {
            *p++ = '.';
            for (int i = 1; i < used; ++i) *p++ = digits[i];
        }
        *p++ = 'e';
        *p++ = x < 0 ? '-' : '+';
        int e = std::abs(x);
        if (e >= 100) {
            *p++ = static_cast<char>('0' + e / 100);
            e %= 100;
        }
        *p++ = static_cast<char>('0' + e / 10);
        *p++ = static_cast<char>('0' + e % 10);
    } else if (x >= 0) {
        for (int i = 0; i <= x; ++i) *p++ = digits[i];
        if (used > x + 1) {
            *p++ = '.';
            for (int i = x + 1; i < used; ++i) *p++ = digits[i];
        }
    } else {
        *p++ = '0';
        *p++ = '.';
        for (int i = 0; i < -x - 1; ++i) *p++ = '0';
        for (int i = 0; i < used; ++i) *p++ = digits[i];
    }
    return static_cast<std::size_t>(p - out);
}

}  // namespace wbe::detectors

namespace wbe::detectors::detail {

std::string num(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buf[max_general_chars];
    return {buf, format_general(v, 4, buf)};
}

std::string exact(double v) {
    if (!std::isfinite(v)) return num(v);
    char buf[max_general_chars];
    return {buf, format_general(v, 10, buf)};
}

std::string percent(double fraction) {
    if (std::isnan(fraction)) return "nan";
    if (std::isinf(fraction)) return fraction > 0 ? "+inf%" : "-inf%";
    char buf[max_general_chars + 2];
    char* p = buf;
    const double x = 100.0 * fraction;
    if (!std::signbit(x)) *p++ = '+';  // printf's `+` flag
    p += format_general(x, 3, p);
    *p++ = '%';
    return {buf, static_cast<std::size_t>(p - buf)};
}

std::string campaigns(std::size_t n, std::string_view what) {
    std::string out = std::to_string(n) + " " + std::string(what);
    if (n != 1) out += "s";
    return out;
}

bool sort_small(const std::vector<double>& v, double (&sorted)[8]) {
    const std::size_t n = v.size();
    if (n > 8) return false;
    bool irregular = false;
    for (std::size_t i = 0; i < 8; ++i) {
        sorted[i] = i < n ? v[i] : inf;  // padding sorts last; a real +inf before it has the same bits
        irregular |= std::isnan(sorted[i]) || (sorted[i] == 0.0 && std::signbit(sorted[i]));
    }
    if (irregular) return false;
    sort_network_8(sorted);
    return true;
}

double median(std::vector<double>& v) {
    if (v.empty()) return nan;
    const std::size_t n = v.size();
    if (double a[8]; sort_small(v, a)) return n % 2 == 1 ? a[n / 2] : 0.5 * (a[n / 2 - 1] + a[n / 2]);
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

void window_mean_var(const double* y, std::size_t count, std::size_t len, double* mean, double* var) {
    const double n = static_cast<double>(len), n1 = static_cast<double>(len - 1);
    std::size_t j = 0;
#if defined(__SSE2__)
    // Four windows at a time, two per register, sums in registers: lane l of a register holds
    // window j + l, and y[j + k], y[j + 1 + k] are one load. Two registers keep two chains of
    // additions in flight. The lanes add, divide and square exactly as the scalar code below.
    const __m128d n2 = _mm_set1_pd(n), n12 = _mm_set1_pd(n1);
    for (; j + 4 <= count; j += 4) {
        __m128d s0 = _mm_setzero_pd(), s1 = _mm_setzero_pd();
        for (std::size_t k = 0; k < len; ++k) {
            s0 = _mm_add_pd(s0, _mm_loadu_pd(y + j + k));
            s1 = _mm_add_pd(s1, _mm_loadu_pd(y + j + 2 + k));
        }
        const __m128d m0 = _mm_div_pd(s0, n2), m1 = _mm_div_pd(s1, n2);
        __m128d q0 = _mm_setzero_pd(), q1 = _mm_setzero_pd();
        for (std::size_t k = 0; k < len; ++k) {
            const __m128d d0 = _mm_sub_pd(_mm_loadu_pd(y + j + k), m0);
            const __m128d d1 = _mm_sub_pd(_mm_loadu_pd(y + j + 2 + k), m1);
            q0 = _mm_add_pd(q0, _mm_mul_pd(d0, d0));
            q1 = _mm_add_pd(q1, _mm_mul_pd(d1, d1));
        }
        _mm_storeu_pd(mean + j, m0);
        _mm_storeu_pd(mean + j + 2, m1);
        _mm_storeu_pd(var + j, _mm_div_pd(q0, n12));
        _mm_storeu_pd(var + j + 2, _mm_div_pd(q1, n12));
    }
#endif
    for (; j < count; ++j) {
        double sum = 0.0;
        for (std::size_t k = 0; k < len; ++k) sum += y[j + k];
        const double m = sum / n;
        double ss = 0.0;
        for (std::size_t k = 0; k < len; ++k) ss += (y[j + k] - m) * (y[j + k] - m);
        mean[j] = m;
        var[j] = ss / n1;
    }
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
    if (level == detection_level::alert) return text(op, "alert ", num(alert));
    if (level == detection_level::watch) return text(op, "watch ", num(watch));
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

void scaled_values(const series& s, bool log_scale, std::vector<double>& out) {
    out.resize(s.campaigns.size());
    for (std::size_t i = 0; i < s.campaigns.size(); ++i) {
        const double v = s.campaigns[i].value;
        out[i] = log_scale ? log_or_nan(v) : v;
    }
}

void usable_values(const series& s, std::span<const double> scaled, std::vector<campaign_result>& out, explain e,
                   std::string_view detector, std::vector<double>& y, std::vector<std::size_t>& index) {
    y.clear();
    index.clear();
    for (std::size_t i = 0; i < s.campaigns.size(); ++i) {
        const double v = s.campaigns[i].value;
        if (std::isnan(v)) continue;
        const double a = scaled[i];
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

std::string baseline_values(const series& s, std::span<const double> scaled, const std::size_t* idx, std::size_t n,
                            bool use_ros, bool log_scale, std::vector<double>& out, explain e) {
    out.resize(n);
    std::size_t n_censored = 0;
    for (std::size_t k = 0; k < n; ++k) {
        out[k] = scaled[idx[k]];
        n_censored += s.campaigns[idx[k]].censored;
    }
    if (n_censored == 0) return {};
    for (std::size_t k = 0; k < n; ++k) out[k] = s.campaigns[idx[k]].value;
    const auto to_scale = [&] {
        if (log_scale)
            for (double& v : out) v = log_or_nan(v);
    };
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
