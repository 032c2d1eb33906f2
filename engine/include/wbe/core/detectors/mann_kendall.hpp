#pragma once
/// @file mann_kendall.hpp
/// The Mann–Kendall trend test and the seasonal Kendall test, as free functions; and
/// Mann–Kendall over a sliding window.
///
/// For values x_1..x_n in time order (NaN dropped, the rest taken as consecutive):
///
///     S      = Σ_{i<j} sign(x_j − x_i)
///     var(S) = [ n(n−1)(2n+5) − Σ_g t_g(t_g−1)(2t_g+5) ] / 18      t_g = size of tie group g
///     Z      = (S − 1)/√var(S) if S > 0,  0 if S = 0,  (S + 1)/√var(S) if S < 0
///     p      = 2 (1 − Φ(|Z|))                                       two-sided, normal
///     τ      = S / (n(n−1)/2)                                       tau-a
///
/// (Mann 1945; Kendall 1975; Gilbert 1987, Statistical Methods for Environmental Pollution
/// Monitoring, eqs. 16.3–16.5.) The tie term is *subtracted*: forgetting it, or adding it, is the
/// most common Mann–Kendall bug. Conventions as pyMannKendall and EnvStats `kendallTrendTest`
/// (see shared/reference/trend/expected.json `_conventions`).
///
/// The seasonal Kendall test (Hirsch, Slack & Smith 1982, Water Resour. Res. 18:107) computes S
/// and var(S) within each season and sums them; Z and p follow from the sums as above, and
/// τ = ΣS / Σ n_g(n_g−1)/2 (pyMannKendall `seasonal_test`). Covariance between seasons is
/// ignored (Hirsch & Slack 1984 correct for it; not done here).

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace wbe::detectors {

struct mann_kendall_result {
    std::size_t n = 0;  ///< values used (NaN dropped)
    double s = 0.0;
    double var_s = 0.0;  ///< tie-corrected
    double z = 0.0;      ///< continuity-corrected; 0 when S = 0
    double p = 1.0;      ///< two-sided normal
    double tau = std::numeric_limits<double>::quiet_NaN();  ///< tau-a; NaN below 2 values
};

/// Mann–Kendall on `x` in time order; NaN values are dropped. Fewer than 2 values give S = 0,
/// var(S) = 0, Z = 0, p = 1 and τ = NaN. O(n²).
[[nodiscard]] mann_kendall_result mann_kendall(std::span<const double> x);

/// Seasonal Kendall: `season[i]` labels `x[i]` (any integers; 0 is a season like any other).
/// Within each season the values keep their order in `x`. `n` counts the values used.
[[nodiscard]] mann_kendall_result seasonal_kendall(std::span<const double> x, std::span<const int> season);

/// Tie-corrected var(S) of the (finite) values in `x`: [n(n−1)(2n+5) − Σ t(t−1)(2t+5)]/18.
[[nodiscard]] double mann_kendall_variance(std::span<const double> x);
/// Z from S and var(S) with the continuity correction (0 when S = 0 or var(S) = 0).
[[nodiscard]] double mann_kendall_z(double s, double var_s) noexcept;
/// 2(1 − Φ(|z|)), computed as erfc(|z|/√2) so that it keeps its relative precision in the tail.
[[nodiscard]] double two_sided_normal_p(double z) noexcept;

/// Mann–Kendall over a window of values that slides forward: values enter at the end and leave
/// at the front, as in a detector that tests the last `window` campaigns at every campaign
/// (trend slides its own copy of this update over its value array in place, trend.cpp's
/// kendall_window). S and the tie term Σ t(t−1)(2t+5) are integers, updated by the n − 1 pairs of the
/// value that enters or leaves, O(n) per step instead of O(n²): result() equals mann_kendall()
/// of the window's values bit for bit (both are exact integers until n(n−1)(2n+5) reaches 2⁵³,
/// n ≈ 1.6·10⁵).
class sliding_mann_kendall {
public:
    /// Empties the window.
    void clear() noexcept;
    /// Appends a value (not NaN) after the window's last one.
    void push_back(double x);
    /// Removes the window's first value. The window must not be empty.
    void pop_front();
    [[nodiscard]] std::size_t size() const noexcept { return values_.size(); }

    [[nodiscard]] mann_kendall_result result() const;
    /// result().s and result().var_s alone (without Z, p and τ), for a caller that needs p only
    /// for some windows: mann_kendall_z() and two_sided_normal_p() of them are result()'s z and p.
    [[nodiscard]] double s() const noexcept { return static_cast<double>(s_); }
    [[nodiscard]] double var_s() const noexcept;

private:
    std::vector<double> values_;  ///< the window, oldest first
    std::int64_t s_ = 0;          ///< S
    std::int64_t ties_ = 0;       ///< Σ over tie groups of t(t−1)(2t+5)
};

}  // namespace wbe::detectors
