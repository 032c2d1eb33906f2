#pragma once
/// @file detector.hpp
/// The one shape every detector has (issue 4): a site × drug series of campaigns goes in, one
/// result per campaign comes out — expected value, upper bound, statistic, p-value, level and a
/// one-line reason. Cross-section detectors (peer_rank) take the sites of one campaign instead
/// and give the same result shape, one result per site.
///
/// Conventions shared by every detector (each header states its own details):
/// - **History.** "Previous campaigns" are the earlier campaigns *that have a value*: a campaign
///   with a NaN value (a gap) is skipped, so a window of 8 reaches back over gaps. Each detector
///   states its minimum history and answers `not_evaluable` below it, with the count it needs
///   and the count it has.
/// - **Missing values.** A campaign whose value is NaN is `not_evaluable` ("no value").
/// - **Censored values.** `value` is the substitute the pipeline chose (e.g. LOQ/2) and `upper`
///   the limit; the true value lies in [`lower`, `upper`] (`lower` NaN = unknown, i.e. down to
///   0). In baselines a censored value enters at its robust-ROS imputation over the window
///   (detectors' `censored: ros`, the default) or at its substitute (`censored: substitute`, or
///   when the window has too few detects for ROS). The current campaign's level is
///   judged at both ends of its range: every detector's level is non-decreasing in the current
///   value, so when the two ends give the same level that is the level, and otherwise the
///   campaign is `not_evaluable` ("censored: below 4.0, level between none and alert").
/// - **Log scale.** Detectors that work on ln(value) skip values ≤ 0 in baselines and answer
///   `not_evaluable` for a current value ≤ 0; give censored values a positive substitute.
/// - **Levels.** A statistic *above* its cut point raises the level (p-values: *below*).
/// - `upper_bound` is the lowest value of the current campaign that would raise `watch` (the
///   flagging bound), on the scale of the input; NaN where a detector has none.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wbe/core/threshold.hpp"

namespace wbe::detectors {

/// The level a detector gives one campaign. Kept apart from wbe::flag_level on purpose:
/// flag_level is ordered by severity (compared with `>` when keeping the highest flag) and
/// parsed as a configurable rule level; `not_evaluable` is neither a severity nor a level a rule
/// may raise. to_flag_level() bridges the two.
enum class detection_level : std::uint8_t { none, watch, alert, not_evaluable };

[[nodiscard]] std::string_view to_string(detection_level l) noexcept;  ///< "none", "watch", "alert", "not_evaluable"
[[nodiscard]] std::optional<detection_level> parse_detection_level(std::string_view text) noexcept;
/// none/watch/alert → the flag level of the same name; not_evaluable → nothing (never a flag).
[[nodiscard]] std::optional<flag_level> to_flag_level(detection_level l) noexcept;

/// One campaign of a site × drug series.
struct observation {
    std::string campaign;                                    ///< label, e.g. `2024Q1`
    double time = std::numeric_limits<double>::quiet_NaN();  ///< real time (see series::units_per_year); strictly increasing
    double value = std::numeric_limits<double>::quiet_NaN(); ///< campaign value (an index); NaN = no value
    double lower = std::numeric_limits<double>::quiet_NaN(); ///< lower end of the value's range or interval; NaN = unknown
    double upper = std::numeric_limits<double>::quiet_NaN(); ///< upper end; for a censored value its limit
    bool censored = false;  ///< `value` is a substitute; the true value is below `upper` (or `value` when `upper` is NaN)
    int season = 0;         ///< 1–4 for calendar quarters, 0 = unknown (only the seasonal trend needs it)
};

/// A site × drug series of campaigns in time order.
struct series {
    std::vector<observation> campaigns;
    /// Time units in one year: 1 for decimal years (the default), 365.25 for days. Used to find
    /// the campaign a quarter or a year earlier and to state slopes per year.
    double units_per_year = 1.0;
};

/// One site of a cross-section (all sites of one campaign).
struct peer {
    std::string site_id;
    std::string group;  ///< sites are ranked within their group: site kind and venue type, e.g. `venue/karaoke`
    double value = std::numeric_limits<double>::quiet_NaN();
    double lower = std::numeric_limits<double>::quiet_NaN();
    double upper = std::numeric_limits<double>::quiet_NaN();
    bool censored = false;
};

/// The sites of one campaign.
struct cross_section {
    std::string campaign;
    std::vector<peer> sites;
};

/// A detector's answer for one campaign (or, for a cross-section, one site).
struct campaign_result {
    std::string campaign;
    std::string site_id;  ///< cross-section detectors only
    double expected = std::numeric_limits<double>::quiet_NaN();     ///< what the baseline expects, input scale
    double upper_bound = std::numeric_limits<double>::quiet_NaN();  ///< lowest value that raises watch, input scale
    double statistic = std::numeric_limits<double>::quiet_NaN();    ///< the detector's test statistic
    double p_value = std::numeric_limits<double>::quiet_NaN();      ///< NaN where the detector defines none
    detection_level level = detection_level::not_evaluable;
    std::string reason;  ///< one line; always set for not_evaluable, watch and alert
};

/// How a result was obtained: counts per level, censored and missing campaigns.
struct detection_summary {
    std::string detector;
    std::size_t n_campaigns = 0;
    std::size_t n_none = 0;
    std::size_t n_watch = 0;
    std::size_t n_alert = 0;
    std::size_t n_not_evaluable = 0;
    std::size_t n_censored = 0;  ///< campaigns whose value is censored
    std::size_t n_missing = 0;   ///< campaigns without a value

    /// e.g. `rolling_baseline: 12 campaigns: 7 none, 1 watch, 0 alert, 4 not evaluable (2 censored, 1 missing)`
    [[nodiscard]] std::string brief_report() const;
};

/// One result per input campaign (or site), in input order, and the summary.
struct detection {
    std::vector<campaign_result> campaigns;
    detection_summary summary;
};

/// Caller-owned arrays for a levels-and-numbers run (series_detector::run_columns), one entry per
/// campaign (or site) in input order. `level` is required; a number column may be left empty
/// when the caller does not want it. The values are those of run() to the bit.
struct result_columns {
    std::span<detection_level> level;
    std::span<double> expected;
    std::span<double> upper_bound;
    std::span<double> statistic;
    std::span<double> p_value;
};

/// Which results carry a reason. `raised` skips the text of `none` results (for bulk runs): then
/// not_evaluable, watch and alert still say why. `none` writes no text at all — levels and
/// numbers only, for screening runs that only count or rank (the levels are the same).
enum class explain : std::uint8_t { all, raised, none };

/// A detector over one site × drug series. Implementations override evaluate(); run() checks the
/// series, fills the campaign labels and the "no value" answers, and counts the summary.
class series_detector {
public:
    virtual ~series_detector() = default;

    /// The registry name, e.g. `rolling_baseline`.
    [[nodiscard]] virtual std::string_view name() const noexcept = 0;
    /// Previous campaigns with a value needed before a campaign can be evaluated.
    [[nodiscard]] virtual std::size_t min_history() const noexcept = 0;

    /// One result per campaign of `s`, in order.
    /// @throws input_error when two finite times are not strictly increasing (the series is not
    ///         in time order: a caller's bug, not a data gap).
    [[nodiscard]] detection run(const series& s, explain e = explain::all) const;

    /// Levels and numbers of every campaign of `s` into the caller's arrays, without any text
    /// or per-series allocation: the bulk path (flagging every series of a history, where a
    /// campaign label and a reason string per campaign cost as much as the statistics). The
    /// same evaluate() as run(s, explain::none), into a result buffer kept per thread — or, when
    /// every number column is empty, the detector's evaluate_levels() where it has one (the
    /// same levels without the numbers that only the columns would show).
    /// @throws input_error as run(), and when a non-empty column's size is not s.campaigns.size().
    void run_columns(const series& s, const result_columns& out) const;

    /// The reason run(s, explain::all) gives campaign `i`, for the few rows a caller stores or
    /// prints after run_columns(): it evaluates the whole series again, with text.
    [[nodiscard]] std::string reason(const series& s, std::size_t i) const;

protected:
    /// Fills `out` (already sized, labelled, and `not_evaluable` "no value" where value is NaN;
    /// every other entry `not_evaluable` with an empty reason, to be overwritten).
    virtual void evaluate(const series& s, std::vector<campaign_result>& out, explain e) const = 0;
    /// Levels only, for run_columns() without number columns: writes every entry of `level`
    /// (one per campaign, already checked in size and time order) exactly as evaluate() would
    /// set it and returns true; or returns false, having written nothing that matters, for a
    /// series it does not handle (then evaluate() runs). The default handles none.
    virtual bool evaluate_levels(const series& s, std::span<detection_level> level) const;
};

/// A detector over the sites of one campaign.
class cross_section_detector {
public:
    virtual ~cross_section_detector() = default;

    [[nodiscard]] virtual std::string_view name() const noexcept = 0;
    /// One result per site of `c`, in order (campaign = c.campaign, site_id set).
    [[nodiscard]] detection run(const cross_section& c, explain e = explain::all) const;
    /// Levels and numbers of every site of `c` into the caller's arrays (see
    /// series_detector::run_columns(); with every number column empty, evaluate_levels() first).
    void run_columns(const cross_section& c, const result_columns& out) const;
    /// The reason run(c, explain::all) gives site `i`.
    [[nodiscard]] std::string reason(const cross_section& c, std::size_t i) const;

protected:
    virtual void evaluate(const cross_section& c, std::vector<campaign_result>& out, explain e) const = 0;
    /// Levels only, as series_detector::evaluate_levels(): every entry of `level` (one per site)
    /// as evaluate() would set it and true, or false for a cross-section it does not handle.
    virtual bool evaluate_levels(const cross_section& c, std::span<detection_level> level) const;
};

}  // namespace wbe::detectors
