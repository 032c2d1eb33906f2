#include "wbe/core/ros.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include <boost/math/distributions/normal.hpp>

#include "censored_detail.hpp"
#include "wbe/core/errors.hpp"

namespace wbe {
namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

void check_positions(const plotting_position_options& o) {
    detail::check_option("plotting_position_options.a", o.a, 0.0, 1.0);
}

// The sample split into sorted detected values and sorted limits, with the sorted order of the
// input rows (equal values in input order).
struct split_sample {
    std::vector<std::size_t> order;
    std::vector<double> detects;
    std::vector<double> limits;
};

split_sample split(std::span<const left_censored> data) {
    split_sample s;
    s.order = detail::sorted_order(data);
    for (std::size_t i : s.order) (data[i].censored ? s.limits : s.detects).push_back(data[i].value);
    return s;
}

std::size_t count_below(const std::vector<double>& sorted, double x) {
    return static_cast<std::size_t>(std::lower_bound(sorted.begin(), sorted.end(), x) - sorted.begin());
}
std::size_t count_at_or_below(const std::vector<double>& sorted, double x) {
    return static_cast<std::size_t>(std::upper_bound(sorted.begin(), sorted.end(), x) - sorted.begin());
}

// The Helsel–Cohn table from sorted detects and limits; O((n + K) log n).
std::vector<cohn_interval> cohn_table(const std::vector<double>& detects, const std::vector<double>& limits) {
    std::vector<double> lower(limits);
    lower.erase(std::unique(lower.begin(), lower.end()), lower.end());
    if (!detects.empty() && (lower.empty() || detects.front() < lower.front())) lower.insert(lower.begin(), detects.front());

    std::vector<cohn_interval> t(lower.size());
    for (std::size_t j = 0; j < t.size(); ++j) {
        auto& row = t[j];
        row.lower_limit = lower[j];
        row.upper_limit = j + 1 < lower.size() ? lower[j + 1] : inf;
        row.nuncen_above = count_below(detects, row.upper_limit) - count_below(detects, row.lower_limit);
        row.nobs_below = count_at_or_below(limits, row.lower_limit) + count_below(detects, row.lower_limit);
        row.ncen_equal = count_at_or_below(limits, row.lower_limit) - count_below(limits, row.lower_limit);
    }
    // PE_j = PE_{j+1} + (1 − PE_{j+1}) A_j / (A_j + B_j), PE_{K+1} = 0. A_j + B_j > 0 always:
    // a limit row counts its own censored values in B, the first detect row has A ≥ 1.
    double pe_above = 0.0;
    for (std::size_t j = t.size(); j-- > 0;) {
        const double a = static_cast<double>(t[j].nuncen_above);
        const double b = static_cast<double>(t[j].nobs_below);
        t[j].prob_exceedance = pe_above + (1.0 - pe_above) * a / (a + b);
        pe_above = t[j].prob_exceedance;
    }
    return t;
}

// Positions in input order for the rows of `data` (all of them; the caller has already left out
// what it drops).
std::vector<double> positions(std::span<const left_censored> data, const split_sample& s,
                              const std::vector<cohn_interval>& t, const plotting_position_options& o) {
    std::vector<double> p(data.size(), detail::nan);
    const double a = o.a;
    const auto pe = [&](std::size_t j) { return j < t.size() ? t[j].prob_exceedance : 0.0; };

    std::size_t j = 0;           // interval of the current detect
    std::size_t rank_det = 0;    // rank within the interval
    std::size_t j_cen = 0;       // interval of the current limit
    std::size_t rank_cen = 0;
    std::vector<std::size_t> censored_rows;  // censored rows in sorted order
    std::vector<double> censored_p;
    for (std::size_t i : s.order) {
        const double x = data[i].value;
        if (!data[i].censored) {
            std::size_t jj = j;
            while (jj + 1 < t.size() && t[jj + 1].lower_limit <= x) ++jj;
            rank_det = (jj == j && rank_det > 0) ? rank_det + 1 : 1;
            j = jj;
            const double m = static_cast<double>(t[j].nuncen_above);
            p[i] = (1.0 - pe(j)) + (pe(j) - pe(j + 1)) * (static_cast<double>(rank_det) - a) / (m + 1.0 - 2.0 * a);
        } else {
            std::size_t jj = j_cen;
            while (t[jj].lower_limit < x) ++jj;  // the row whose lower limit is this limit
            rank_cen = (jj == j_cen && rank_cen > 0) ? rank_cen + 1 : 1;
            j_cen = jj;
            const double c = static_cast<double>(t[jj].ncen_equal);
            p[i] = (1.0 - pe(jj)) * (static_cast<double>(rank_cen) - a) / (c + 1.0 - 2.0 * a);
            censored_rows.push_back(i);
            censored_p.push_back(p[i]);
        }
    }
    if (o.censored == censored_positions::sorted_by_limit) {
        std::sort(censored_p.begin(), censored_p.end());
        for (std::size_t k = 0; k < censored_rows.size(); ++k) p[censored_rows[k]] = censored_p[k];
    }
    return p;
}

}  // namespace

std::vector<cohn_interval> cohn_numbers(std::span<const left_censored> data) {
    check_left_censored(data, "cohn_numbers", detected_rule::non_negative);
    const split_sample s = split(data);
    return cohn_table(s.detects, s.limits);
}

std::vector<double> hirsch_stedinger_positions(std::span<const left_censored> data,
                                               const plotting_position_options& options) {
    check_positions(options);
    check_left_censored(data, "hirsch_stedinger_positions", detected_rule::non_negative);
    const split_sample s = split(data);
    return positions(data, s, cohn_table(s.detects, s.limits), options);
}

std::string_view to_string(ros_method m) noexcept {
    switch (m) {
        case ros_method::no_censoring: return "no_censoring";
        case ros_method::robust_ros: return "robust_ros";
        case ros_method::substitution: return "substitution";
    }
    return "";
}

ros_result robust_ros(std::span<const left_censored> data, const ros_options& options) {
    detail::check_option("ros_options.max_censored_share", options.max_censored_share, 0.0, 1.0);
    detail::check_option("ros_options.substitution_fraction", options.substitution_fraction, 0.0, 1.0);
    if (options.min_detects < 2)
        throw_numerical_error("ros_options.min_detects = " + std::to_string(options.min_detects) +
                              ": must be >= 2 (a regression line needs two points)");
    check_positions(options.positions);
    check_left_censored(data, "robust_ros", detected_rule::positive);
    if (data.empty()) throw_numerical_error("robust_ros: n = 0: needs at least one value");

    ros_result r;
    const censoring_counts counts = count_censoring(data);
    r.n = counts.n;
    r.n_censored = counts.n_censored;
    r.values.resize(data.size());
    r.plotting_positions.assign(data.size(), detail::nan);
    r.intercept = r.slope = detail::nan;

    // Statistics over the sorted values, so that they do not depend on row order to the last bit.
    const auto summarise = [&r] {
        std::vector<double> used;
        used.reserve(r.values.size());
        for (double v : r.values)
            if (!std::isnan(v)) used.push_back(v);
        std::sort(used.begin(), used.end());
        r.mean = detail::mean_of(used);
        r.sd = detail::sample_sd_of(used, r.mean);
        r.median = detail::median_of(std::move(used));
    };

    if (counts.n_censored == 0) {
        r.method = ros_method::no_censoring;
        for (std::size_t i = 0; i < data.size(); ++i) r.values[i] = data[i].value;
        summarise();
        return r;
    }
    const double share = counts.censored_share();
    if (counts.n_detected < options.min_detects || share > options.max_censored_share) {
        r.method = ros_method::substitution;
        r.fallback_reason =
            counts.n_detected < options.min_detects
                ? "detected values = " + std::to_string(counts.n_detected) + ": fewer than " +
                      std::to_string(options.min_detects) + " for a regression"
                : "censored share = " + detail::format_number(share) + ": above " +
                      detail::format_number(options.max_censored_share);
        r.fallback_reason += "; censored values replaced by " + detail::format_number(options.substitution_fraction) +
                             " x limit";
        for (std::size_t i = 0; i < data.size(); ++i)
            r.values[i] = data[i].censored ? options.substitution_fraction * data[i].value : data[i].value;
        summarise();
        return r;
    }

    // Leave out censored values above the largest detect (NADA, statsmodels) if asked.
    double max_detect = 0.0;
    for (const auto& v : data)
        if (!v.censored) max_detect = std::max(max_detect, v.value);
    std::vector<left_censored> kept;
    std::vector<std::size_t> kept_row;  // input row of each kept value
    kept.reserve(data.size());
    kept_row.reserve(data.size());
    for (std::size_t i = 0; i < data.size(); ++i) {
        if (options.drop_censored_above_max_detect && data[i].censored && data[i].value > max_detect) {
            ++r.n_dropped;
            r.values[i] = detail::nan;
            continue;
        }
        kept.push_back(data[i]);
        kept_row.push_back(i);
    }

    const split_sample s = split(kept);
    const std::vector<double> p = positions(kept, s, cohn_table(s.detects, s.limits), options.positions);

    // OLS of ln x on z = Φ⁻¹(p) over the detected values (centred sums, in sorted order so that
    // the fit does not depend on row order to the last bit).
    const boost::math::normal_distribution<double> std_normal;
    std::vector<double> z(kept.size());
    double zbar = 0.0;
    double ybar = 0.0;
    for (std::size_t k : s.order) {
        z[k] = boost::math::quantile(std_normal, p[k]);
        if (!kept[k].censored) {
            zbar += z[k];
            ybar += std::log(kept[k].value);
        }
    }
    const double m = static_cast<double>(s.detects.size());
    zbar /= m;
    ybar /= m;
    double szz = 0.0;
    double szy = 0.0;
    for (std::size_t k : s.order) {
        if (kept[k].censored) continue;
        const double dz = z[k] - zbar;
        szz += dz * dz;
        szy += dz * (std::log(kept[k].value) - ybar);
    }
    r.slope = szy / szz;  // szz > 0: detected positions are distinct
    r.intercept = ybar - r.slope * zbar;

    r.method = ros_method::robust_ros;
    for (std::size_t k = 0; k < kept.size(); ++k) {
        const std::size_t i = kept_row[k];
        r.plotting_positions[i] = p[k];
        r.values[i] = kept[k].censored ? std::exp(r.intercept + r.slope * z[k]) : kept[k].value;
    }
    summarise();
    return r;
}

}  // namespace wbe
