#include "wbe/core/kaplan_meier.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cmath>
#include <limits>
#include <string>

#include <boost/math/distributions/students_t.hpp>

#include "censored_detail.hpp"
#include "wbe/core/errors.hpp"

namespace wbe {
namespace {

// t_{level, df}: the one-sided upper quantile of Student's t.
double t_quantile(double level, std::size_t df) {
    const boost::math::students_t dist(static_cast<double>(df));
    return boost::math::quantile(dist, level);
}

// The plain statistics (EnvStats `enpar`): mean, sample SD, s/√n, t-based UCL, median.
void plain_statistics(std::span<const left_censored> data, const kaplan_meier_options& options,
                      kaplan_meier_result& r) {
    std::vector<double> x(data.size());
    for (std::size_t i = 0; i < data.size(); ++i) x[i] = data[i].value;
    const double n = static_cast<double>(x.size());
    r.plain = true;
    r.mean = detail::mean_of(x);
    r.sd = detail::sample_sd_of(x, r.mean);
    r.se_mean = r.sd / std::sqrt(n);
    r.ucl = r.mean + t_quantile(options.confidence_level, x.size() - 1) * r.se_mean;
    r.median = detail::median_of(std::move(x));
    r.median_is_upper_bound = false;
}

// Values (≥ 0) with their censoring flag as one sortable key: the IEEE bits of a non-negative
// double order like the values, so (bits << 1) | censored sorts by value (−0 and +0 become the
// same key). Sorted by LSD radix, 8 bits a pass, a pass skipped when every key has the same byte
// there (the exponent bytes of values of one magnitude): ~6× std::sort on 10⁶ values (bench/).
void sort_keys(std::vector<std::uint64_t>& keys) {
    std::vector<std::uint64_t> tmp(keys.size());
    for (unsigned shift = 0; shift < 64; shift += 8) {
        std::size_t count[256] = {};
        for (std::uint64_t k : keys) ++count[(k >> shift) & 0xFF];
        if (count[(keys.front() >> shift) & 0xFF] == keys.size()) continue;  // one byte value: nothing moves
        std::size_t pos = 0;
        for (std::size_t& c : count) {
            const std::size_t n = c;
            c = pos;
            pos += n;
        }
        for (std::uint64_t k : keys) tmp[count[(k >> shift) & 0xFF]++] = k;
        keys.swap(tmp);
    }
}

}  // namespace

kaplan_meier_result kaplan_meier(std::span<const left_censored> data, const kaplan_meier_options& options) {
    detail::check_option_open("kaplan_meier_options.confidence_level", options.confidence_level, 0.0, 1.0);
    check_left_censored(data, "kaplan_meier", detected_rule::non_negative);

    kaplan_meier_result r;
    const censoring_counts counts = count_censoring(data);
    r.n = counts.n;
    r.n_censored = counts.n_censored;

    // EnvStats: "'x' must contain at least 2 non-missing, uncensored, distinct values".
    constexpr double inf = std::numeric_limits<double>::infinity();
    double min_detect = inf;
    double min_limit = inf;
    for (const auto& v : data) {
        double& low = v.censored ? min_limit : min_detect;
        low = std::min(low, v.value);
    }
    const bool two_distinct =
        std::any_of(data.begin(), data.end(), [&](const left_censored& v) { return !v.censored && v.value > min_detect; });
    if (!two_distinct)
        throw_numerical_error(std::string("kaplan_meier: distinct detected values = ") +
                              (counts.n_detected == 0 ? "0" : "1") + ": must be >= 2");

    std::vector<left_censored> x(data.begin(), data.end());
    if (options.restricted && counts.n_censored > 0 && min_limit <= min_detect) {
        r.restricted = true;
        for (auto& v : x)
            if (v.censored && v.value == min_limit) v.censored = false;
    }
    std::size_t n_cen = 0;
    for (const auto& v : x) n_cen += v.censored ? 1 : 0;
    r.n_detected = x.size() - n_cen;
    if (n_cen == 0) {
        plain_statistics(x, options, r);
        return r;
    }

    std::vector<std::uint64_t> keys(x.size());
    for (std::size_t i = 0; i < x.size(); ++i)
        keys[i] = (std::bit_cast<std::uint64_t>(x[i].value) << 1) | (x[i].censored ? 1u : 0u);
    sort_keys(keys);

    // Distinct values t_j with n_j = #{≤ t_j} and d_j = #{detected = t_j}.
    struct group {
        double value;
        std::size_t at_or_below;
        std::size_t detected;
    };
    std::vector<group> g;
    for (std::size_t i = 0; i < keys.size();) {
        std::size_t j = i;
        std::size_t d = 0;
        const std::uint64_t v = keys[i] >> 1;
        while (j < keys.size() && (keys[j] >> 1) == v) d += (keys[j++] & 1u) ? 0 : 1;
        g.push_back({std::bit_cast<double>(v), j, d});
        i = j;
    }

    // F(t_j) = Π_{i>j} (1 − d_i/n_i), built from the top; keep only the detected groups.
    std::vector<kaplan_meier_step> steps;
    std::vector<double> m;  // d at each detected value
    std::vector<double> rk;  // n at each detected value
    double f = 1.0;
    for (std::size_t j = g.size(); j-- > 0;) {
        if (g[j].detected > 0) {
            steps.push_back({g[j].value, f});
            m.push_back(static_cast<double>(g[j].detected));
            rk.push_back(static_cast<double>(g[j].at_or_below));
            f *= 1.0 - static_cast<double>(g[j].detected) / static_cast<double>(g[j].at_or_below);
        }
    }
    std::reverse(steps.begin(), steps.end());
    std::reverse(m.begin(), m.end());
    std::reverse(rk.begin(), rk.end());
    const std::size_t k = steps.size();

    // Mean and plug-in variance of the distribution with jumps F_k − F_{k−1} (F_0 = 0).
    double mean = 0.0;
    double prev = 0.0;
    for (const auto& s : steps) {
        mean += s.value * (s.cdf - prev);
        prev = s.cdf;
    }
    double var = 0.0;
    prev = 0.0;
    for (const auto& s : steps) {
        var += (s.value - mean) * (s.value - mean) * (s.cdf - prev);
        prev = s.cdf;
    }

    // se² = Σ_{k≥2} A_{k−1}² m_k / (r_k (r_k − m_k)), A_k = Σ_{i≤k} F_i (y_{i+1} − y_i).
    double se2 = 0.0;
    double a = 0.0;
    for (std::size_t i = 1; i < k; ++i) {
        a += steps[i - 1].cdf * (steps[i].value - steps[i - 1].value);
        se2 += a * a * m[i] / (rk[i] * (rk[i] - m[i]));
    }
    double se = std::sqrt(se2);
    if (options.correct_se) {
        const double md = static_cast<double>(r.n_detected);
        se *= std::sqrt(md / (md - 1.0));
    }

    r.mean = mean;
    r.sd = std::sqrt(var);
    r.se_mean = se;
    r.ucl = mean + t_quantile(options.confidence_level, x.size() - 1) * se;

    // Median of the step function; F exactly 0.5 on a flat stretch → midpoint (R survfit).
    constexpr double tol = 1e-12;
    for (std::size_t i = 0; i < k; ++i) {
        if (steps[i].cdf >= 0.5 - tol) {
            r.median = (std::abs(steps[i].cdf - 0.5) <= tol && i + 1 < k)
                           ? 0.5 * (steps[i].value + steps[i + 1].value)
                           : steps[i].value;
            // F just below the smallest detect: F_1 (1 − m_1/r_1).
            r.median_is_upper_bound = i == 0 && steps[0].cdf * (1.0 - m[0] / rk[0]) >= 0.5 - tol;
            break;
        }
    }
    r.steps = std::move(steps);
    return r;
}

}  // namespace wbe
