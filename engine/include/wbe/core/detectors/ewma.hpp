#pragma once
/// @file ewma.hpp
/// The ESSENCE exponentially weighted moving average detector (Roberts 1959; ESSENCE as
/// implemented in CDC's Rnssp `alert_ewma`; Burkom et al. 2020, ESSENCE, medRxiv
/// 10.1101/2020.08.14.20175398).
///
///     E_t = λ y_t + (1 − λ) E_{t−1},  E at the first value = that value   y = ln(value) if log_scale
///     μ_t, s_t = mean and sample SD (n − 1) of the n = `window` previous values before a
///                guard band of g values (s_t floored at min_sd)
///     σ_t = s_t · √( λ/(2−λ) + 1/n − 2(1−λ)^{g+1} (1 − (1−λ)^n) / n )
///     T_t = (E_t − μ_t) / σ_t,   p = 1 − F_t(T_t; n − 1)         one-sided, Student t
///
/// The correction under the root is var(E_t − ȳ)/σ²: var(E) = σ²λ/(2−λ) (Lucas & Saccucci 1990),
/// var(ȳ) = σ²/n, and cov(E_t, ȳ) = (σ²/n) Σ_{m=g+1}^{g+n} λ(1−λ)^m = σ²(1−λ)^{g+1}(1−(1−λ)^n)/n,
/// because E_t weighs the baseline values too. As in ESSENCE, when |T_t| exceeds the alert
/// quantile t_{1−alert_p, n−1}, E_t is clipped to μ_t ± t_{1−alert_p}·σ_t before it is carried
/// on, so that one outlier does not dominate later campaigns. ESSENCE's count-data additive
/// constant and minimum sigma are not applied (our values are ln indices, not counts);
/// `min_sd` floors s_t instead.
///
/// level: alert (ESSENCE red) when p < alert_p = 0.01, watch (yellow) when p < watch_p = 0.05.
/// statistic = T_t; expected = μ_t (back-transformed); upper_bound = the value for which p
/// would equal watch_p: y = (μ_t + t_{1−watch_p}·σ_t − (1−λ)E_{t−1}) / λ.
///
/// Quarterly defaults: λ = 0.4 (ESSENCE); window 8 (two years; ESSENCE uses 28 days); guard 0
/// (ESSENCE: 2 days; at quarterly spacing a guard of 2 would leave the baseline 6 months stale
/// and cut it by a quarter); min_history 4 previous values (ESSENCE starts at 11 daily values;
/// with 3 degrees of freedom the t quantiles are wide, which the p-value honestly reflects).

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wbe/core/detectors/detector.hpp"
#include "wbe/core/detectors/parameters.hpp"

namespace wbe::detectors {

struct ewma_options {
    double lambda = 0.4;      ///< weight of the current value, (0, 1]
    int window = 8;           ///< previous values in the baseline
    int guard = 0;            ///< most recent previous values left out of the baseline
    int min_history = 4;      ///< fewest baseline values to evaluate (≥ 2: one degree of freedom)
    double watch_p = 0.05;    ///< p below which watch (ESSENCE yellow)
    double alert_p = 0.01;    ///< p below which alert (ESSENCE red; < watch_p)
    bool log_scale = true;    ///< work on ln(value)
    double min_sd = 0.1;      ///< floor of the baseline SD, analysed scale
    std::string censored = "ros";  ///< censored baseline campaigns: "ros" (robust-ROS imputations) or "substitute"
};

class ewma final : public series_detector {
public:
    static constexpr std::string_view detector_name = "ewma";

    explicit ewma(const ewma_options& options = {});

    [[nodiscard]] static std::vector<parameter_spec> parameters();
    [[nodiscard]] static ewma_options options_from(const parameter_values& values);
    [[nodiscard]] static std::vector<diagnostic> check(const ewma_options& options);

    [[nodiscard]] const ewma_options& options() const noexcept { return options_; }
    [[nodiscard]] std::string_view name() const noexcept override { return detector_name; }
    [[nodiscard]] std::size_t min_history() const noexcept override;

protected:
    void evaluate(const series& s, std::vector<campaign_result>& out, explain e) const override;
    /// Levels only (run_columns() without number columns), for series without censored values:
    /// evaluate()'s EWMA, baseline and T; Student's p only where T is not clearly below the
    /// watch quantile (p > watch_p there: none), no expected value or bound.
    bool evaluate_levels(const series& s, std::span<detection_level> level) const override;

private:
    ewma_options options_;
    std::vector<double> q_watch_;  ///< t_{1−watch_p, df} for df = 0..window−1 (index = df; [0] unused)
    std::vector<double> q_alert_;  ///< t_{1−alert_p, df}
    std::vector<double> se_factor_;  ///< σ_t/s_t, the root above, for n = 0..window baseline values ([0] unused)
};

}  // namespace wbe::detectors
