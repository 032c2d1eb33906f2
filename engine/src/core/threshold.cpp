#include "wbe/core/threshold.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <tuple>

namespace wbe {

namespace {
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

double value_of(const campaign_estimate& c, metric m) {
    switch (m) {
        case metric::concentration: return c.conc_mean;
        case metric::load: return c.load_mean;
        case metric::pnl: return c.pnl_mean;
        case metric::consumption: return c.consumption_mean;
        case metric::doses: return c.doses_mean;
        case metric::index: return c.consumption_mean;  // a composite keeps its value there
        case metric::screening: return c.screening_mean;
    }
    return nan;
}

std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return buf;
}

// Orders certainties for keeping the strongest of several matching rules.
int certainty_rank(const std::string& c) {
    if (c == "exceeds" || c.empty()) return 3;
    if (c == "possible") return 2;
    return 1;  // indeterminate
}

bool kind_matches(const std::string& rule_kind, const std::string& site_kind) {
    return rule_kind == "any" || rule_kind == site_kind;
}
}  // namespace

threshold_rule::threshold_rule() : watch(nan), alert(nan) {}
flag::flag() : probability(nan) {}
ratio_rule::ratio_rule() : above(nan) {}

std::vector<flag> evaluate_thresholds(const std::vector<campaign_estimate>& estimates,
                                      const std::vector<threshold_rule>& rules, const flag_options& options) {
    std::vector<flag> out;
    for (const auto& c : estimates) {
        if (c.scope != "site") continue;
        for (const auto& r : rules) {
            if (!kind_matches(r.site_kind, c.site_kind)) continue;
            if (r.drug != c.drug && r.drug != c.analyte) continue;
            const double v = value_of(c, r.what);
            if (std::isnan(v)) continue;
            // Censoring leaves the value anywhere between the bounds: a threshold inside them is
            // undecidable whatever the substitution or the draws say.
            const bool bounded = (r.what == metric::consumption || r.what == metric::index) && c.n_censored > 0 &&
                                 !std::isnan(c.consumption_censored_low) && !std::isnan(c.consumption_censored_high);
            const auto straddles = [&](double t) {
                return bounded && c.consumption_censored_low < t && t <= c.consumption_censored_high;
            };
            // Probabilities exist for consumption rules when the estimate carries uncertainty for
            // exactly this rule's thresholds.
            const auto probability = [&](double t) {
                if (r.what != metric::consumption) return nan;
                if (t == c.threshold_alert) return c.p_exceed_alert;
                if (t == c.threshold_watch) return c.p_exceed_watch;
                return nan;
            };
            flag_level level = flag_level::none;
            double ref = nan;
            double p = nan;
            std::string certainty;
            for (const auto& [lv, t] : {std::pair{flag_level::alert, r.alert}, std::pair{flag_level::watch, r.watch}}) {
                if (std::isnan(t)) continue;
                const double pt = probability(t);
                if (straddles(t)) {
                    level = lv;
                    certainty = "indeterminate";
                } else if (!std::isnan(pt)) {
                    if (pt >= options.p_possible) {
                        level = lv;
                        certainty = pt >= options.p_exceeds ? "exceeds" : "possible";
                    }
                } else if (v >= t) {
                    level = lv;
                }
                if (level != flag_level::none) {
                    ref = t;
                    p = pt;
                    break;
                }
            }
            if (level == flag_level::none) continue;
            flag f;
            f.site_id = c.id;
            f.site_kind = c.site_kind;
            f.drug = r.drug;
            f.campaign = c.campaign;
            f.rule = "threshold";
            f.level = level;
            f.certainty = certainty;
            f.probability = p;
            f.value = v;
            f.reference = ref;
            f.unit = std::string(unit_of(r.what));
            const std::string measured =
                " (mean of " + std::to_string(c.n_samples) + (c.n_samples == 1 ? " sample" : " samples") +
                (c.n_censored ? ", " + std::to_string(c.n_censored) + " censored" : std::string()) + ")";
            const std::string origin = r.origin.file.empty() ? std::string() : " [" + r.origin.to_string() + "]";
            const std::string head = r.drug + " " + std::string(to_string(r.what)) + " " + number(v) + (f.unit.empty() ? "" : " " + f.unit);
            if (certainty == "indeterminate") {
                f.explanation = head + measured + ": with censored days between 0 and their limit it lies in [" +
                                number(c.consumption_censored_low) + ", " + number(c.consumption_censored_high) +
                                "], which contains the " + std::string(to_string(level)) + " threshold " + number(ref) +
                                " (indeterminate)" + origin;
            } else if (!certainty.empty()) {
                f.explanation = head + measured + ", median " + number(c.consumption_median) + " (" +
                                number(100.0 * options.interval) + "% interval " + number(c.consumption_lower) + "-" +
                                number(c.consumption_upper) + "): P(> " + std::string(to_string(level)) + " threshold " +
                                number(ref) + ") = " + number(p) + " (" + certainty + ")" + origin;
            } else {
                f.explanation = head + measured + " >= " + std::string(to_string(level)) + " threshold " + number(ref) + origin;
            }
            out.push_back(std::move(f));
        }
    }
    // Keep the highest level per (site, drug, campaign) when several rules match.
    std::map<std::tuple<std::string, std::string, std::string>, std::size_t> best;
    std::vector<flag> kept;
    for (auto& f : out) {
        const auto key = std::make_tuple(f.site_id, f.drug, f.campaign);
        const auto it = best.find(key);
        if (it == best.end()) {
            best.emplace(key, kept.size());
            kept.push_back(std::move(f));
        } else if (f.level > kept[it->second].level ||
                   (f.level == kept[it->second].level && certainty_rank(f.certainty) > certainty_rank(kept[it->second].certainty))) {
            kept[it->second] = std::move(f);
        }
    }
    return kept;
}

std::vector<flag> evaluate_ratios(const std::vector<daily_estimate>& daily, const std::vector<ratio_rule>& rules) {
    std::vector<flag> out;
    if (rules.empty()) return out;
    // (site, sample, analyte): sample ids are unique within a batch only, not across sites.
    std::map<std::tuple<std::string, std::string, std::string>, const daily_estimate*> by_sample;
    for (const auto& d : daily) by_sample[{d.site_id, d.sample_id, d.analyte}] = &d;
    for (const auto& r : rules) {
        for (const auto& d : daily) {
            if (d.analyte != r.numerator || !kind_matches(r.site_kind, d.site_kind)) continue;
            const auto den = by_sample.find({d.site_id, d.sample_id, r.denominator});
            if (den == by_sample.end()) continue;
            const daily_estimate& e = *den->second;
            if (d.qual != qualifier::detected || e.qual != qualifier::detected) continue;
            if (!(e.conc_ng_per_l > 0.0)) continue;
            const double ratio = d.conc_ng_per_l / e.conc_ng_per_l;
            if (!(ratio > r.above)) continue;
            flag f;
            f.site_id = d.site_id;
            f.site_kind = d.site_kind;
            f.drug = d.drug.empty() ? d.analyte : d.drug;
            f.campaign = d.campaign;
            f.date = format_iso_date(d.day);
            f.rule = r.name;
            f.level = r.level;
            f.value = ratio;
            f.reference = r.above;
            f.unit = r.numerator + "/" + r.denominator;
            f.explanation = r.numerator + "/" + r.denominator + " = " + number(ratio) + " in sample " + d.sample_id +
                            " (" + number(d.conc_ng_per_l) + " / " + number(e.conc_ng_per_l) + " ng/L) > " +
                            number(r.above) + (r.reason.empty() ? std::string() : ": " + r.reason);
            out.push_back(std::move(f));
        }
    }
    return out;
}

std::string_view to_string(flag_level l) noexcept {
    switch (l) {
        case flag_level::watch: return "watch";
        case flag_level::alert: return "alert";
        case flag_level::none: break;
    }
    return "none";
}

std::string_view to_string(metric m) noexcept {
    switch (m) {
        case metric::concentration: return "concentration";
        case metric::load: return "load";
        case metric::pnl: return "pnl";
        case metric::consumption: return "consumption";
        case metric::doses: return "doses";
        case metric::index: return "index";
        case metric::screening: return "screening";
    }
    return "";
}

std::string_view unit_of(metric m) noexcept {
    switch (m) {
        case metric::concentration: return "ng/L";
        case metric::load: return "mg/day";
        case metric::pnl: return "mg/day/1000 inh";
        case metric::consumption: return "mg/day/1000 inh";
        case metric::doses: return "doses/day/1000 inh";
        case metric::index: return "";  // a composite's own unit (doses/day/1000 inh or points)
        case metric::screening: return "mg/day/1000 PE (screening)";
    }
    return "";
}

bool parse_metric(std::string_view t, metric& out) noexcept {
    for (metric m : {metric::concentration, metric::load, metric::pnl, metric::consumption, metric::doses, metric::index,
                     metric::screening})
        if (to_string(m) == t) {
            out = m;
            return true;
        }
    return false;
}

bool parse_flag_level(std::string_view t, flag_level& out) noexcept {
    for (flag_level l : {flag_level::none, flag_level::watch, flag_level::alert})
        if (to_string(l) == t) {
            out = l;
            return true;
        }
    return false;
}

}  // namespace wbe
