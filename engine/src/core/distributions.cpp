#include "wbe/core/distributions.hpp"

#include <boost/math/distributions/normal.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace wbe {

factor_distribution factor_distribution::lognormal(double rsd, lognormal_center c) noexcept {
    factor_distribution d;
    d.family = distribution_family::lognormal;
    d.rsd = rsd;
    d.center = c;
    return d;
}

double factor_distribution::log_sigma() const noexcept {
    return family == distribution_family::lognormal ? std::sqrt(std::log1p(rsd * rsd)) : 0.0;
}

double factor_distribution::log_mu() const noexcept {
    if (family != distribution_family::lognormal || center == lognormal_center::median) return 0.0;
    const double s = log_sigma();
    return -0.5 * s * s;
}

bool factor_distribution::log_normal_exact() const noexcept {
    return family == distribution_family::lognormal || family == distribution_family::fixed;
}

double factor_distribution::sample(double u, double z) const noexcept {
    switch (family) {
        case distribution_family::fixed: return 1.0;
        case distribution_family::lognormal: return std::exp(log_mu() + log_sigma() * z);
        case distribution_family::normal: {
            if (rsd == 0.0) return 1.0;
            // N(1, rsd²) truncated to (0, ∞) by inverse CDF: X = 1 + rsd Φ⁻¹(a + u(1 − a)),
            // a = Φ(−1/rsd). Exact, and one uniform per draw keeps the counter mapping fixed.
            static const boost::math::normal_distribution<double> std_normal;
            const double a = boost::math::cdf(std_normal, -1.0 / rsd);
            // a + u(1 − a) can round to 1 for u near 1 (Φ⁻¹(1) = ∞ throws): keep p below 1.
            const double p = std::min(a + u * (1.0 - a), 0x1.fffffffffffffp-1);
            const double x = 1.0 + rsd * boost::math::quantile(std_normal, p);
            return x > 0.0 ? x : std::numeric_limits<double>::min();
        }
        case distribution_family::uniform: return low + (high - low) * u;
        case distribution_family::triangular: {
            const double w = high - low;
            if (w == 0.0) return low;
            const double f = (mode - low) / w;
            return u < f ? low + std::sqrt(u * w * (mode - low)) : high - std::sqrt((1.0 - u) * w * (high - mode));
        }
    }
    return 1.0;
}

std::string factor_distribution::check() const {
    const auto finite = [](double x) { return std::isfinite(x); };
    switch (family) {
        case distribution_family::fixed: return {};
        case distribution_family::normal:
        case distribution_family::lognormal:
            if (!finite(rsd) || rsd < 0.0) return "rsd must be a finite number >= 0";
            return {};
        case distribution_family::uniform:
            if (!finite(low) || !finite(high)) return "low and high must be finite";
            if (!(low > 0.0)) return "low must be > 0 (a factor on a positive quantity)";
            if (low > high) return "low must be <= high";
            return {};
        case distribution_family::triangular:
            if (!finite(low) || !finite(mode) || !finite(high)) return "low, mode and high must be finite";
            if (!(low > 0.0)) return "low must be > 0 (a factor on a positive quantity)";
            if (!(low <= mode && mode <= high)) return "low <= mode <= high is required";
            return {};
    }
    return "unknown family";
}

double factor_distribution::mean() const noexcept {
    switch (family) {
        case distribution_family::fixed: return 1.0;
        case distribution_family::lognormal: {
            const double s = log_sigma();
            return std::exp(log_mu() + 0.5 * s * s);
        }
        case distribution_family::normal: {
            if (rsd == 0.0) return 1.0;
            // Truncated normal on (0, ∞): E = 1 + rsd φ(α)/(1 − Φ(α)), α = −1/rsd.
            static const boost::math::normal_distribution<double> n;
            const double a = -1.0 / rsd;
            return 1.0 + rsd * boost::math::pdf(n, a) / boost::math::cdf(boost::math::complement(n, a));
        }
        case distribution_family::uniform: return 0.5 * (low + high);
        case distribution_family::triangular: return (low + mode + high) / 3.0;
    }
    return 1.0;
}

double factor_distribution::variance() const noexcept {
    switch (family) {
        case distribution_family::fixed: return 0.0;
        case distribution_family::lognormal: {
            const double s2 = log_sigma() * log_sigma();
            return std::expm1(s2) * std::exp(2.0 * log_mu() + s2);
        }
        case distribution_family::normal: {
            if (rsd == 0.0) return 0.0;
            static const boost::math::normal_distribution<double> n;
            const double a = -1.0 / rsd;
            const double lam = boost::math::pdf(n, a) / boost::math::cdf(boost::math::complement(n, a));
            return rsd * rsd * (1.0 + a * lam - lam * lam);
        }
        case distribution_family::uniform: return (high - low) * (high - low) / 12.0;
        case distribution_family::triangular:
            return (low * low + mode * mode + high * high - low * mode - low * high - mode * high) / 18.0;
    }
    return 0.0;
}

std::string_view to_string(distribution_family f) noexcept {
    switch (f) {
        case distribution_family::fixed: return "fixed";
        case distribution_family::normal: return "normal";
        case distribution_family::lognormal: return "lognormal";
        case distribution_family::uniform: return "uniform";
        case distribution_family::triangular: return "triangular";
    }
    return "";
}

bool parse_distribution_family(std::string_view t, distribution_family& out) noexcept {
    for (auto f : {distribution_family::fixed, distribution_family::normal, distribution_family::lognormal,
                   distribution_family::uniform, distribution_family::triangular})
        if (to_string(f) == t) {
            out = f;
            return true;
        }
    return false;
}

}  // namespace wbe
