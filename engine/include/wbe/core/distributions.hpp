#pragma once
/// @file distributions.hpp
/// Uncertainty of one factor of the back-calculation chain, as a distribution of a
/// multiplicative factor around the nominal value (1 = the value used by the deterministic
/// chain). science.md §3 gives the default relative SDs (RSD) per component.
///
/// | family       | parameters                 | factor X                                                   |
/// |--------------|----------------------------|------------------------------------------------------------|
/// | `fixed`      | –                          | X = 1                                                      |
/// | `normal`     | rsd                        | N(1, rsd²) truncated to X > 0 (inverse-CDF sampling)       |
/// | `lognormal`  | rsd, center = median|mean  | X = exp(μ + σZ), σ² = ln(1 + rsd²); μ = 0 (median 1) or −σ²/2 (mean 1) |
/// | `uniform`    | low, high                  | U(low, high)                                               |
/// | `triangular` | low, mode, high            | triangular(low, mode, high)                                |
///
/// For the log-normal, `rsd` is the coefficient of variation of X (exact: CV² = e^{σ²} − 1).
/// With `center: median` (the default) the nominal value is the median of the factor, so the
/// Monte Carlo median converges to the deterministic value; with `center: mean` it is the mean.

#include <string>
#include <string_view>

namespace wbe {

enum class distribution_family { fixed, normal, lognormal, uniform, triangular };
enum class lognormal_center { median, mean };

struct factor_distribution {
    distribution_family family = distribution_family::fixed;
    double rsd = 0.0;
    lognormal_center center = lognormal_center::median;
    double low = 1.0;
    double mode = 1.0;
    double high = 1.0;

    /// The factor for a uniform `u` in (0, 1) (normal families use `z`, a standard normal drawn
    /// with `u`; both come from one counter-based draw).
    [[nodiscard]] double sample(double u, double z) const noexcept;
    /// An empty string when the parameters are valid, else the rule they break
    /// (e.g. "rsd must be >= 0").
    [[nodiscard]] std::string check() const;
    /// True for log-normal and fixed factors (the analytic path handles exactly these).
    [[nodiscard]] bool log_normal_exact() const noexcept;
    /// ln X ~ N(log_mu, log_sigma²) for log-normal (and fixed: 0, 0) factors.
    [[nodiscard]] double log_mu() const noexcept;
    [[nodiscard]] double log_sigma() const noexcept;
    /// E[X] and Var[X] (exact for every family).
    [[nodiscard]] double mean() const noexcept;
    [[nodiscard]] double variance() const noexcept;

    [[nodiscard]] static factor_distribution lognormal(double rsd, lognormal_center c = lognormal_center::median) noexcept;
    [[nodiscard]] static factor_distribution fixed() noexcept { return {}; }
};

[[nodiscard]] std::string_view to_string(distribution_family f) noexcept;
[[nodiscard]] bool parse_distribution_family(std::string_view text, distribution_family& out) noexcept;

}  // namespace wbe
