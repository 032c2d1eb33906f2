#include "wbe/core/censored_mle.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <boost/math/distributions/normal.hpp>

#include "censored_detail.hpp"
#include "wbe/core/errors.hpp"

namespace wbe {
namespace {

const boost::math::normal_distribution<double> std_normal;
constexpr double log_sqrt_2pi = 0.91893853320467274178;  // ½ ln 2π

// Below this, Φ(c) underflows; use the asymptotic series
// Φ(c) = φ(c)/(−c) · (1 − 1/c² + 3/c⁴ − 15/c⁶ + 105/c⁸ − …)   (Abramowitz & Stegun 26.2.12).
constexpr double tail_cut = -37.0;

double mills_series(double c) {
    const double q = 1.0 / (c * c);
    return 1.0 - q * (1.0 - 3.0 * q * (1.0 - 5.0 * q * (1.0 - 7.0 * q)));
}

// ln Φ(c), accurate in both tails.
double log_cdf(double c) {
    if (c > 0.0) return std::log1p(-boost::math::cdf(boost::math::complement(std_normal, c)));
    if (c > tail_cut) return std::log(boost::math::cdf(std_normal, c));
    return -0.5 * c * c - log_sqrt_2pi - std::log(-c) + std::log(mills_series(c));
}

// λ(c) = φ(c)/Φ(c), the inverse Mills ratio of the left tail.
double mills(double c) {
    if (c > tail_cut) return boost::math::pdf(std_normal, c) / boost::math::cdf(std_normal, c);
    return -c / mills_series(c);
}

// The standardised problem: y = detected logs, l = limit logs, both centred and scaled.
struct problem {
    std::vector<double> y;
    std::vector<double> l;

    // ℓ(θ, h) without constants; −∞ outside h > 0.
    [[nodiscard]] double loglik(double theta, double h) const {
        if (!(h > 0.0)) return -std::numeric_limits<double>::infinity();
        double s = static_cast<double>(y.size()) * std::log(h);
        for (double v : y) {
            const double u = h * v - theta;
            s -= 0.5 * u * u;
        }
        for (double v : l) s += log_cdf(h * v - theta);
        return s;
    }

    // Gradient (gt, gh) and Hessian (htt, hth, hhh) at (θ, h); see the header for the formulas.
    void derivatives(double theta, double h, double& gt, double& gh, double& htt, double& hth, double& hhh) const {
        const double nd = static_cast<double>(y.size());
        gt = 0.0;
        gh = nd / h;
        htt = -nd;
        hth = 0.0;
        hhh = -nd / (h * h);
        for (double v : y) {
            const double u = h * v - theta;
            gt += u;
            gh -= u * v;
            hth += v;
            hhh -= v * v;
        }
        for (double v : l) {
            const double c = h * v - theta;
            const double lam = mills(c);
            const double g = -lam * (c + lam);
            gt -= lam;
            gh += lam * v;
            htt += g;
            hth -= g * v;
            hhh += g * v * v;
        }
    }
};

}  // namespace

censored_mle_result lognormal_mle(std::span<const left_censored> data, const censored_mle_options& options) {
    if (options.max_iterations < 1)
        throw_numerical_error("censored_mle_options.max_iterations = " + std::to_string(options.max_iterations) +
                              ": must be >= 1");
    detail::check_option_open("censored_mle_options.tolerance", options.tolerance, 0.0, 1.0);
    check_left_censored(data, "lognormal_mle", detected_rule::positive);

    censored_mle_result r;
    const censoring_counts counts = count_censoring(data);
    r.n = counts.n;
    r.n_censored = counts.n_censored;

    std::vector<double> ly;
    std::vector<double> ll;
    for (const auto& v : data) (v.censored ? ll : ly).push_back(std::log(v.value));
    const double a = detail::mean_of(ly);
    double ss = 0.0;
    for (double v : ly) ss += (v - a) * (v - a);
    const double b = std::sqrt(ss / static_cast<double>(ly.size()));  // the MLE of σ without censoring
    if (!(b > 0.0))
        throw_numerical_error(std::string("lognormal_mle: distinct detected values = ") + (ly.empty() ? "0" : "1") +
                              ": must be >= 2");

    double mu = a;
    double sigma = b;
    double se_mu = detail::nan;
    double se_sigma = detail::nan;
    if (counts.n_censored == 0) {
        // Closed form; the observed information is diag(n/σ², 2n/σ²).
        const double n = static_cast<double>(ly.size());
        se_mu = sigma / std::sqrt(n);
        se_sigma = sigma / std::sqrt(2.0 * n);
        r.converged = true;
    } else {
        problem p;
        p.y.reserve(ly.size());
        p.l.reserve(ll.size());
        for (double v : ly) p.y.push_back((v - a) / b);
        for (double v : ll) p.l.push_back((v - a) / b);

        double theta = 0.0;  // μ' = 0, σ' = 1: the detects' own moments
        double h = 1.0;
        double f = p.loglik(theta, h);
        double gt = 0, gh = 0, htt = 0, hth = 0, hhh = 0;
        for (int it = 1; it <= options.max_iterations; ++it) {
            r.iterations = it;
            p.derivatives(theta, h, gt, gh, htt, hth, hhh);
            // Newton step Δ = −H⁻¹ g; H is negative definite (strict concavity, ≥ 2 distinct detects).
            const double det = htt * hhh - hth * hth;
            double dt = -(hhh * gt - hth * gh) / det;
            double dh = -(-hth * gt + htt * gh) / det;
            const bool newton = det > 0.0 && htt < 0.0 && std::isfinite(dt) && std::isfinite(dh);
            if (!newton) {  // safeguard: gradient ascent
                dt = gt;
                dh = gh;
            } else if (std::abs(dt) + std::abs(dh) <= options.tolerance * (1.0 + std::abs(theta) + h)) {
                // Newton converges quadratically: a step this small leaves an error far below it.
                theta += dt;
                h += dh;
                r.converged = true;
                break;
            }
            double step = 1.0;
            double f_new = p.loglik(theta + dt, h + dh);
            while (!(f_new >= f) && step > 1e-12) {
                step *= 0.5;
                f_new = p.loglik(theta + step * dt, h + step * dh);
            }
            if (!(f_new >= f)) break;  // no ascent possible: at the maximum within rounding
            theta += step * dt;
            h += step * dh;
            f = f_new;
        }
        // A stall within rounding is a maximum if the gradient is negligible.
        p.derivatives(theta, h, gt, gh, htt, hth, hhh);
        const double scale = static_cast<double>(data.size());
        if (!r.converged && std::abs(gt) + std::abs(gh) <= 1e-8 * scale) r.converged = true;
        if (!r.converged)
            throw_numerical_error("lognormal_mle: no convergence after " + std::to_string(r.iterations) +
                                  " iterations (gradient = " + detail::format_number(gt) + ", " +
                                  detail::format_number(gh) + ")");

        // Cov(θ, h) = (−H)⁻¹; delta method to (μ', σ') = (θ/h, 1/h); then back to the log scale.
        const double det = htt * hhh - hth * hth;
        const double vtt = -hhh / det;
        const double vth = hth / det;
        const double vhh = -htt / det;
        const double j11 = 1.0 / h;
        const double j12 = -theta / (h * h);
        const double j22 = -1.0 / (h * h);
        const double var_mu = j11 * j11 * vtt + 2.0 * j11 * j12 * vth + j12 * j12 * vhh;
        const double var_sigma = j22 * j22 * vhh;
        mu = a + b * theta / h;
        sigma = b / h;
        if (det > 0.0 && var_mu > 0.0 && var_sigma > 0.0) {
            se_mu = b * std::sqrt(var_mu);
            se_sigma = b * std::sqrt(var_sigma);
        }
    }

    r.meanlog = mu;
    r.sdlog = sigma;
    r.se_meanlog = se_mu;
    r.se_sdlog = se_sigma;
    r.mean = std::exp(mu + 0.5 * sigma * sigma);
    r.sd = r.mean * std::sqrt(std::expm1(sigma * sigma));
    r.median = std::exp(mu);

    // ℓ on the original scale, constants included.
    double ll_total = 0.0;
    for (const auto& v : data) {
        const double lx = std::log(v.value);
        const double z = (lx - mu) / sigma;
        ll_total += v.censored ? log_cdf(z) : -std::log(sigma) - 0.5 * z * z - lx - log_sqrt_2pi;
    }
    r.log_likelihood = ll_total;
    return r;
}

}  // namespace wbe
