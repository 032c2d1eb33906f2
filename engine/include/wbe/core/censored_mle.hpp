#pragma once
/// @file censored_mle.hpp
/// Maximum likelihood for a log-normal distribution from left-censored data with any number of
/// detection limits (Helsel 2012 ch. 5; El-Shaarawi & Dolan 1989; EnvStats `elnormCensored`,
/// `method = "mle"`).
///
/// Maths. With y = ln x, a detect y_i and a limit l_i = ln L_i, the log-likelihood of
/// (μ, σ) is
///
///     ℓ = Σ_detected [ −ln σ − ½ ((y_i − μ)/σ)² − ln x_i − ½ ln 2π ] + Σ_censored ln Φ((l_i − μ)/σ).
///
/// It is maximised in Olsen's (1978) parameters θ = μ/σ, h = 1/σ, where it is concave (the
/// Tobit likelihood):
///
///     ℓ = Σ_det [ ln h − ½ (h y_i − θ)² ] + Σ_cen ln Φ(h l_i − θ) + const,
///     ∂ℓ/∂θ = Σ_det u_i − Σ_cen λ(c_i),           u = h y − θ, c = h l − θ, λ = φ/Φ,
///     ∂ℓ/∂h = Σ_det (1/h − u_i y_i) + Σ_cen λ(c_i) l_i,
///     ∂²ℓ/∂θ² = −n_det + Σ_cen g(c_i),             g(c) = −λ(c)(c + λ(c)) < 0,
///     ∂²ℓ/∂θ∂h = Σ_det y_i − Σ_cen g(c_i) l_i,
///     ∂²ℓ/∂h² = Σ_det (−1/h² − y_i²) + Σ_cen g(c_i) l_i².
///
/// Newton steps with step halving (the step is kept only when ℓ rises and h stays > 0) converge
/// from the moment estimates of the detected logs; the logs are centred and scaled first so that
/// the iteration does not depend on the unit. Standard errors of (μ, σ) come from the inverse
/// observed information by the delta method (μ = θ/h, σ = 1/h).
///
/// On the original scale: mean = exp(μ + σ²/2), sd = mean · sqrt(exp(σ²) − 1), median = exp(μ)
/// (plug-in, as EnvStats `elnormAltCensored`/`elnormCensored` report them).
///
/// With no censored value the maximum is in closed form: μ = mean of ln x, σ² = Σ (ln x − μ)²/n
/// (divisor n: the plain log-normal MLE).
///
/// @see Helsel, D.R. (2012). Statistics for Censored Environmental Data Using Minitab and R,
///      2nd ed., Wiley, ch. 5 (maximum likelihood).
/// @see Olsen, R.J. (1978). Note on the uniqueness of the maximum likelihood estimator for the
///      Tobit model. Econometrica 46(5), 1211–1215.
/// @see El-Shaarawi, A.H. & Dolan, D.M. (1989). Maximum likelihood estimation of water quality
///      concentrations from censored data. Can. J. Fish. Aquat. Sci. 46, 1033–1039.

#include <cstddef>
#include <span>

#include "wbe/core/censored_sample.hpp"

namespace wbe {

struct censored_mle_options {
    /// Newton iterations allowed. Default 200.
    int max_iterations = 200;
    /// Stop when a Newton step changes (θ, h) by less than this, relative. Default 1e-10
    /// (the error after such a step is of the order of its square).
    double tolerance = 1e-10;
};

struct censored_mle_result {
    double meanlog = 0.0;  ///< μ̂, mean of ln x
    double sdlog = 0.0;    ///< σ̂, SD of ln x (MLE, divisor n when nothing is censored)
    double se_meanlog = 0.0;  ///< from the observed information (NaN when not positive definite)
    double se_sdlog = 0.0;
    double mean = 0.0;    ///< exp(μ̂ + σ̂²/2)
    double sd = 0.0;      ///< mean · sqrt(exp(σ̂²) − 1)
    double median = 0.0;  ///< exp(μ̂)
    double log_likelihood = 0.0;  ///< ℓ at the maximum, including the constants (on x, not ln x)

    int iterations = 0;
    bool converged = false;
    std::size_t n = 0;
    std::size_t n_censored = 0;
};

/// Log-normal maximum likelihood for a left-censored sample.
/// @param data  detected values > 0 and limits > 0, at least two distinct detected values.
/// @throws numerical_error for invalid values or options, fewer than two distinct detects, or
///         when the iteration fails to converge.
[[nodiscard]] censored_mle_result lognormal_mle(std::span<const left_censored> data,
                                                const censored_mle_options& options = {});

}  // namespace wbe
