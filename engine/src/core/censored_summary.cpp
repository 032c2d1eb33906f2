#include "wbe/core/censored_summary.hpp"

#include <array>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <boost/math/distributions/students_t.hpp>

#include "censored_detail.hpp"
#include "wbe/core/errors.hpp"

namespace wbe {
namespace {

constexpr std::array all_methods{censored_method::plain,         censored_method::kaplan_meier,
                                 censored_method::robust_ros,    censored_method::lognormal_mle,
                                 censored_method::substitution,  censored_method::not_estimable};

void check_method(const char* name, censored_method m) {
    if (m != censored_method::kaplan_meier && m != censored_method::robust_ros && m != censored_method::lognormal_mle)
        throw_numerical_error(std::string(name) + " = " + std::string(to_string(m)) +
                              ": must be kaplan_meier, robust_ros or lognormal_mle");
}

void check_options(const censored_summary_options& o) {
    detail::check_option("censored_summary_options.moderate_max_share", o.moderate_max_share, 0.0, 1.0);
    detail::check_option("censored_summary_options.high_max_share", o.high_max_share, o.moderate_max_share, 1.0);
    check_method("censored_summary_options.moderate_method", o.moderate_method);
    check_method("censored_summary_options.high_method", o.high_method);
}

void append_note(std::string& note, const std::string& text) {
    if (!note.empty()) note += "; ";
    note += text;
}

void not_estimable(censored_summary& s, std::string reason) {
    s.method = censored_method::not_estimable;
    s.mean = s.sd = s.median = s.se_mean = s.ucl = detail::nan;
    s.not_estimable_reason = std::move(reason);
}

void plain(std::span<const left_censored> data, const censored_summary_options& o, censored_summary& s) {
    std::vector<double> x(data.size());
    for (std::size_t i = 0; i < data.size(); ++i) x[i] = data[i].value;
    s.method = censored_method::plain;
    s.mean = detail::mean_of(x);
    s.sd = detail::sample_sd_of(x, s.mean);
    s.se_mean = s.sd / std::sqrt(static_cast<double>(x.size()));
    s.ucl = detail::nan;
    if (x.size() >= 2) {
        const boost::math::students_t t(static_cast<double>(x.size() - 1));
        s.ucl = s.mean + boost::math::quantile(t, o.kaplan_meier.confidence_level) * s.se_mean;
    }
    s.median = detail::median_of(std::move(x));
}

void run(censored_method m, std::span<const left_censored> data, const censored_summary_options& o,
         censored_summary& s) {
    s.se_mean = s.ucl = detail::nan;
    switch (m) {
        case censored_method::kaplan_meier: {
            const kaplan_meier_result k = kaplan_meier(data, o.kaplan_meier);
            s.method = k.plain ? censored_method::plain : censored_method::kaplan_meier;
            s.mean = k.mean;
            s.sd = k.sd;
            s.median = k.median;
            s.se_mean = k.se_mean;
            s.ucl = k.ucl;
            if (k.restricted)
                append_note(s.note, "restricted Kaplan-Meier: values censored at the smallest limit counted at it");
            if (k.plain) append_note(s.note, "nothing left censored after the restricted conversion");
            if (k.median_is_upper_bound)
                append_note(s.note, "median is an upper bound: half the values lie below the smallest detect");
            return;
        }
        case censored_method::robust_ros: {
            const ros_result r = robust_ros(data, o.ros);
            s.method = r.method == ros_method::substitution ? censored_method::substitution : censored_method::robust_ros;
            s.mean = r.mean;
            s.sd = r.sd;
            s.median = r.median;
            if (r.method == ros_method::substitution) append_note(s.note, r.fallback_reason);
            if (r.n_dropped > 0)
                append_note(s.note, std::to_string(r.n_dropped) + " censored values above the largest detect left out");
            return;
        }
        case censored_method::lognormal_mle: {
            const censored_mle_result r = lognormal_mle(data, o.mle);
            s.method = censored_method::lognormal_mle;
            s.mean = r.mean;
            s.sd = r.sd;
            s.median = r.median;
            return;
        }
        case censored_method::plain:
        case censored_method::substitution:
        case censored_method::not_estimable: break;  // excluded by check_options
    }
}

}  // namespace

std::string_view to_string(censored_method m) noexcept {
    switch (m) {
        case censored_method::plain: return "plain";
        case censored_method::kaplan_meier: return "kaplan_meier";
        case censored_method::robust_ros: return "robust_ros";
        case censored_method::lognormal_mle: return "lognormal_mle";
        case censored_method::substitution: return "substitution";
        case censored_method::not_estimable: return "not_estimable";
    }
    return "";
}

std::optional<censored_method> parse_censored_method(std::string_view text) noexcept {
    for (auto m : all_methods)
        if (to_string(m) == text) return m;
    return std::nullopt;
}

std::string censored_summary::brief_report() const {
    char buf[320];
    if (!estimable()) {
        std::snprintf(buf, sizeof buf, "not_estimable: n = %zu, censored = %zu: %s", n, n_censored,
                      not_estimable_reason.c_str());
        return buf;
    }
    std::snprintf(buf, sizeof buf, "%s: n = %zu, censored = %zu (%.1f%%), mean = %.6g, sd = %.6g, median = %.6g",
                  std::string(to_string(method)).c_str(), n, n_censored, 100.0 * censored_share, mean, sd, median);
    std::string out = buf;
    if (!std::isnan(ucl)) {
        std::snprintf(buf, sizeof buf, ", se = %.6g, ucl = %.6g", se_mean, ucl);
        out += buf;
    }
    if (!note.empty()) out += " (" + note + ")";
    return out;
}

censored_summary summarise_censored(std::span<const left_censored> data, const censored_summary_options& options) {
    check_options(options);
    check_left_censored(data, "summarise_censored", detected_rule::non_negative);

    censored_summary s;
    const censoring_counts c = count_censoring(data);
    s.n = c.n;
    s.n_censored = c.n_censored;
    s.n_detected = c.n_detected;
    s.censored_share = c.censored_share();
    s.detection_frequency = c.detection_frequency();

    if (c.n == 0) {
        not_estimable(s, "n = 0: no values");
        return s;
    }
    if (c.n_censored == 0) {
        plain(data, options, s);
        return s;
    }
    if (s.censored_share > options.high_max_share) {
        not_estimable(s, "censored share = " + detail::format_number(s.censored_share) + ": must be <= " +
                             detail::format_number(options.high_max_share) + " for a censored-data estimate");
        return s;
    }
    std::size_t distinct = 0;
    double first = 0.0;
    for (const auto& v : data) {
        if (v.censored) continue;
        if (distinct == 0) {
            first = v.value;
            distinct = 1;
        } else if (v.value != first) {
            distinct = 2;
            break;
        }
    }
    if (distinct < 2) {
        not_estimable(s, "distinct detected values = " + std::to_string(distinct) +
                             ": at least 2 are needed to estimate from censored data");
        return s;
    }
    run(s.censored_share <= options.moderate_max_share ? options.moderate_method : options.high_method, data, options,
        s);
    return s;
}

}  // namespace wbe
