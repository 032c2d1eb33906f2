#pragma once
/// @file ears.hpp
/// The CDC Early Aberration Reporting System methods C1, C2 and C3 (Hutwagner et al. 2003,
/// J Urban Health 80(2 Suppl 1):i89–i96; Fricker, Hegler & Dunfee 2008, Stat Med 27:3407).
/// On the raw scale, as the method is defined (for counts), for venues or programmes sampled
/// more often than quarterly.
///
/// With x̄_t and s_t the mean and sample SD (n − 1) of `baseline` previous values (7 in the
/// literature) and s_t floored at `min_sigma`:
///
///     C1(t) = (x_t − x̄_t) / s_t        baseline = the `baseline` values just before t
///     C2(t) = (x_t − x̄_t) / s_t        baseline ends 2 values before t (guard band of 2)
///     C3(t) = Σ_{i=0..2} max(0, C2(t−i) − 1)
///
/// C3 is the textbook definition: the current C2 term is included. R `surveillance::earsC`
/// leaves it out and so alarms one period late (shared/reference/README.md, known traps).
///
/// Thresholds (alert) as in the literature: C1 and C2 > 3, C3 > 2. Watch (our choice): C1 and
/// C2 > 2, C3 > 1. upper_bound = x̄_t + watch·s_t for C1/C2 — the `upperbound` of R
/// `surveillance` with zα = watch; for C3 it is the x_t at which C3 reaches watch given the two
/// previous terms, x̄_t + s_t·(1 + watch − carry), and NaN when the previous terms alone exceed
/// watch (every value would be flagged). expected = x̄_t. p-value: none.
///
/// Minimum history (previous values): C1 `baseline`, C2 `baseline` + 2, C3 `baseline` + 4
/// (C2 of t−2 needs `baseline` values ending at t−4). A baseline SD of 0 with min_sigma 0 gives
/// C = +∞ above the mean, 0 at it, −∞ below it.
///
/// Registered three times: `ears_c1`, `ears_c2`, `ears_c3`.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wbe/core/detectors/detector.hpp"
#include "wbe/core/detectors/parameters.hpp"

namespace wbe::detectors {

enum class ears_variant : std::uint8_t { c1, c2, c3 };

struct ears_options {
    ears_variant variant = ears_variant::c1;
    int baseline = 7;        ///< values in the baseline (≥ 3, as R surveillance requires)
    double watch = 2.0;      ///< statistic above which watch (C3: 1)
    double alert = 3.0;      ///< statistic above which alert (C3: 2); > watch
    double min_sigma = 0.0;  ///< floor of the baseline SD, input units
    std::string censored = "ros";  ///< censored baseline campaigns: "ros" (robust-ROS imputations) or "substitute"

    /// The literature defaults of `v` (alert 3/3/2, watch 2/2/1).
    [[nodiscard]] static ears_options defaults(ears_variant v) noexcept;
};

class ears final : public series_detector {
public:
    explicit ears(const ears_options& options = {});

    /// `ears_c1`, `ears_c2`, `ears_c3`.
    [[nodiscard]] static std::string_view name_of(ears_variant v) noexcept;
    [[nodiscard]] static std::vector<parameter_spec> parameters(ears_variant v);
    [[nodiscard]] static ears_options options_from(ears_variant v, const parameter_values& values);
    [[nodiscard]] static std::vector<diagnostic> check(const ears_options& options);

    [[nodiscard]] const ears_options& options() const noexcept { return options_; }
    [[nodiscard]] std::string_view name() const noexcept override { return name_of(options_.variant); }
    [[nodiscard]] std::size_t min_history() const noexcept override;

protected:
    void evaluate(const series& s, std::vector<campaign_result>& out, explain e) const override;
    /// Levels only (run_columns() without number columns), for series without censored values:
    /// evaluate()'s baselines and statistic, no bound and no per-campaign text.
    bool evaluate_levels(const series& s, std::span<detection_level> level) const override;

private:
    ears_options options_;
};

}  // namespace wbe::detectors
