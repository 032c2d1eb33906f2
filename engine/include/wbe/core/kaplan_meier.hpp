#pragma once
/// @file kaplan_meier.hpp
/// Kaplan–Meier estimates for left-censored data with any number of detection limits: mean,
/// standard deviation, standard error of the mean, one-sided upper confidence limit, median.
///
/// Maths (the "flipped" or reverse Kaplan–Meier of Helsel 2012 §6.3 and Gillespie et al. 2010,
/// computed directly on the left-censored scale exactly as EnvStats `ppointsCensored(...,
/// prob.method = "kaplan-meier")` and `enparCensored` do):
///
/// Let t_1 < … < t_J be the distinct values in the sample (detected values and limits together),
/// n_j = #{observations ≤ t_j} (a `<t_j` counts as ≤ t_j) and d_j = #{detected values = t_j}.
/// The estimated distribution function is the product over the larger values
///
///     F(t_j) = Π_{i > j} (1 − d_i / n_i),        F(t_J) = 1.
///
/// Its jumps sit at the distinct detected values y_1 < … < y_k (with F_k = F(y_k), m_k = d at
/// y_k, r_k = n at y_k). The mass F_1 that lies somewhere below the smallest detect is put AT
/// y_1 (the "unrestricted" mean of EnvStats, Beal 2010 and ProUCL); so
///
///     mean = Σ_k y_k (F_k − F_{k−1}),   F_0 = 0,
///     sd   = sqrt( Σ_k (y_k − mean)² (F_k − F_{k−1}) )     (plug-in, divisor n, as EnvStats),
///     se²  = Σ_{k=2..K} A_{k−1}² m_k / (r_k (r_k − m_k)),   A_k = Σ_{i≤k} F_i (y_{i+1} − y_i)
///
/// (the left-censored form of the Irwin/Klein–Moeschberger variance of the KM mean; EnvStats
/// enparCensored.km). With `correct_se` the standard error is multiplied by sqrt(m/(m − 1)),
/// m = number of detected values, which makes it exactly s/√n when nothing is censored.
/// The one-sided upper confidence limit is mean + t_{1−α, N−1} · se with N the total sample size
/// (EnvStats `ci.type = "upper"`, `pivot.statistic = "t"`, `ci.sample.size = "Total"`).
///
/// Restricted variant (EnvStats `restricted = TRUE`, `left.censored.min = "Censoring Level"`):
/// when the smallest limit is ≤ the smallest detected value, the values censored at that limit
/// are treated as detected AT the limit, which puts the unknown low mass at the smallest limit
/// instead of at the smallest detect. When that leaves nothing censored, the plain statistics
/// are returned (EnvStats calls `enpar`).
///
/// With no censored value the plain statistics are returned: mean, sample SD (divisor n − 1),
/// se = s/√n, median — EnvStats refuses such data in enparCensored and sends it to `enpar`.
///
/// @see Kaplan, E.L. & Meier, P. (1958). JASA 53, 457–481.
/// @see Helsel, D.R. (2012). Statistics for Censored Environmental Data Using Minitab and R,
///      2nd ed., Wiley, ch. 6 (Kaplan–Meier for left-censored data).
/// @see Beal, D. (2010). A Macro for Calculating Summary Statistics on Left Censored
///      Environmental Data Using the Kaplan–Meier Method. SESUG 2010, paper SDA-09.
/// @see EnvStats (Millard): `enparCensored`, `ppointsCensored` (R package documentation).

#include <cstddef>
#include <span>
#include <vector>

#include "wbe/core/censored_sample.hpp"

namespace wbe {

struct kaplan_meier_options {
    /// Restricted mean: the values censored at the smallest limit count as detected at that
    /// limit (when it is ≤ the smallest detect). Default false, EnvStats' default.
    bool restricted = false;
    /// Level of the one-sided upper confidence limit of the mean, in (0, 1). Default 0.95.
    double confidence_level = 0.95;
    /// Multiply the standard error by sqrt(m/(m − 1)), m = detected values. Default true,
    /// EnvStats' default (`correct.se = TRUE`).
    bool correct_se = true;
    /// Threads for a large sample: an input of at least 65 536 values is read in two halves and
    /// its detects split at a pivot (the median of a sample of them) into two sides, each side
    /// sorted, walked and summed on its own thread; 1 keeps it all on the calling thread, 0 (the
    /// default) uses two when the machine has them. The results are the same to the bit whatever
    /// the threads: the split is made, and the sums are taken per side, on one thread too. (So
    /// from 65 536 values on the numbers may differ from a single loop's in the last place.)
    unsigned threads = 0;
};

/// One jump of the estimated distribution function: F(value) = cdf.
struct kaplan_meier_step {
    double value = 0.0;
    double cdf = 0.0;
};

struct kaplan_meier_result {
    double mean = 0.0;
    double sd = 0.0;       ///< plug-in SD of the KM distribution (sample SD when nothing censored)
    double se_mean = 0.0;  ///< standard error of the mean (bias-corrected when asked)
    double ucl = 0.0;      ///< one-sided upper confidence limit of the mean (Student t, N − 1 df)
    /// Smallest jump value with F ≥ 0.5 (the midpoint to the next jump when F = 0.5 exactly,
    /// as R's survfit does); for no censoring, the ordinary median.
    double median = 0.0;
    /// True when at least half of the distribution lies below the smallest detected value,
    /// where KM cannot place it: the median is then only known to be ≤ `median`.
    bool median_is_upper_bound = false;

    std::size_t n = 0;           ///< values given
    std::size_t n_censored = 0;  ///< censored values given
    std::size_t n_detected = 0;  ///< detected values used (m), after the restricted conversion
    bool restricted = false;     ///< the restricted conversion was applied
    bool plain = false;          ///< nothing (left) censored: plain statistics were returned

    /// The support of the KM distribution: distinct detected values and F there (ascending).
    /// Empty when `plain`.
    std::vector<kaplan_meier_step> steps;
};

/// Kaplan–Meier statistics of a left-censored sample.
/// @param data   values (≥ 0) and limits (> 0); at least two distinct detected values
///               (EnvStats' requirement).
/// @throws numerical_error for invalid values, options, or fewer than two distinct detects.
[[nodiscard]] kaplan_meier_result kaplan_meier(std::span<const left_censored> data,
                                               const kaplan_meier_options& options = {});

}  // namespace wbe
