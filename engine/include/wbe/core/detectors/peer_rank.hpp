#pragma once
/// @file peer_rank.hpp
/// Where a site stands among its peers — the sites of the same group (site kind and venue type)
/// in the same campaign. A cross-section detector: it takes the sites of one campaign.
///
/// Within a group of n sites with a value, for a site with value x:
///
///     rank       = 1 + #{peers with value > x}        (ties share the best rank)
///     percentile = 100 · (#{value < x} + ½ #{value = x}) / n     (mid-rank; the site counts
///                                                                 itself among the equal)
///
/// The site is in the top share q when rank ≤ q·n. level: alert when in the top `alert_share`,
/// watch when in the top `watch_share`. So a group smaller than 1/q has no site in its top q:
/// with the defaults, alert needs 10 sites and watch 4. statistic = percentile; expected = the
/// group median; upper_bound = the value of the ⌊watch_share·n⌋-th highest site (a value at or
/// above it is in the top watch share), NaN when ⌊watch_share·n⌋ = 0; p-value: none.
///
/// Below `min_peers` sites with a value in the group: not_evaluable. Censored sites are ranked
/// at their substitute, and a censored site's own level is judged at both ends of its range
/// (detector.hpp). Defaults: top 10% alert, top 25% watch, at least 5 sites.

#include <span>
#include <string_view>
#include <vector>

#include "wbe/core/detectors/detector.hpp"
#include "wbe/core/detectors/parameters.hpp"

namespace wbe::detectors {

struct peer_rank_options {
    double watch_share = 0.25;  ///< top share of the group that is watch, (0, 1]
    double alert_share = 0.10;  ///< top share that is alert, (0, watch_share]
    int min_peers = 5;          ///< fewest sites with a value in the group (the site included)
};

class peer_rank final : public cross_section_detector {
public:
    static constexpr std::string_view detector_name = "peer_rank";

    explicit peer_rank(const peer_rank_options& options = {});

    [[nodiscard]] static std::vector<parameter_spec> parameters();
    [[nodiscard]] static peer_rank_options options_from(const parameter_values& values);
    [[nodiscard]] static std::vector<diagnostic> check(const peer_rank_options& options);

    [[nodiscard]] const peer_rank_options& options() const noexcept { return options_; }
    [[nodiscard]] std::string_view name() const noexcept override { return detector_name; }

protected:
    void evaluate(const cross_section& c, std::vector<campaign_result>& out, explain e) const override;
    /// Levels only (run_columns() without number columns), for cross-sections without censored
    /// sites: per group, the values of the k-th highest site for k = ⌊share·n + 10⁻⁹⌋ (alert and
    /// watch shares) by selection instead of a sort (rank ≤ k exactly when the value is at or
    /// above the k-th highest); no median, percentile or bound.
    bool evaluate_levels(const cross_section& c, std::span<detection_level> level) const override;

private:
    peer_rank_options options_;
};

}  // namespace wbe::detectors
