// GCC 12 at -O3 reports a false -Wrestrict inside std::string concatenation (GCC bug 105329).
#if defined(__GNUC__) && !defined(__clang__)  // a GCC-only warning: clang does not know it
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include "wbe/core/detectors/change.hpp"

#include <algorithm>
#include <cmath>

#include "detail.hpp"

namespace wbe::detectors {

using namespace detail;

namespace {
// Ratios like 11/10 − 1 = 0.10000000000000009 must read as the 10% they are written as.
constexpr double boundary_eps = 1e-12;
}  // namespace

change_class classify_change(double change, double stable_band) noexcept {
    if (change > stable_band + boundary_eps) return change_class::increase;
    if (change < -stable_band - boundary_eps) return change_class::decrease;
    return change_class::stable;
}

std::string_view to_string(change_class c) noexcept {
    switch (c) {
        case change_class::stable: return "stable";
        case change_class::increase: return "increase";
        case change_class::decrease: return "decrease";
    }
    return "stable";
}

std::vector<parameter_spec> change::parameters() {
    const change_options d;
    return {
        choice_spec("basis", d.basis, {"year", "quarter"},
                    "which change sets the level: year-on-year or quarter-on-quarter"),
        real_spec("stable", d.stable, 0, inf, "fraction", "half-width of the EUDA stable band (EUDA: 0.10)"),
        real_spec("watch", d.watch, 0, inf, "fraction", "change above which a campaign is watch (0.5 = +50%)", true),
        real_spec("alert", d.alert, 0, inf, "fraction", "change above which a campaign is alert (1 = doubling)", true),
        real_spec("tolerance", d.tolerance, 0, 0.125, "years",
                  "how far the partner campaign's time may be from exactly a quarter or a year earlier", true),
    };
}

change_options change::options_from(const parameter_values& v) {
    change_options o;
    o.basis = v.choice("basis");
    o.stable = v.real("stable");
    o.watch = v.real("watch");
    o.alert = v.real("alert");
    o.tolerance = v.real("tolerance");
    return o;
}

std::vector<diagnostic> change::check(const change_options& o) {
    const auto specs = parameters();
    std::vector<diagnostic> out;
    if (o.basis != "year" && o.basis != "quarter") out.push_back(problem("basis", o.basis, "must be one of: year, quarter"));
    check_option(specs, "stable", o.stable, out);
    check_option(specs, "watch", o.watch, out);
    check_option(specs, "alert", o.alert, out);
    check_option(specs, "tolerance", o.tolerance, out);
    if (!(o.alert > o.watch)) add_problem(out, "alert", o.alert, "must be > watch = " + num(o.watch));
    return out;
}

change::change(const change_options& options) : options_(options) { throw_if_invalid(check(options_)); }

namespace {

struct comparison {
    bool found = false;           ///< a partner campaign at the lag
    const observation* partner = nullptr;
    const char* what = "";        ///< the lag: "a year", "a quarter"
    double at = nan;              ///< the partner's time sought, t − lag
    double tolerance = nan;       ///< ± this
    double change = nan;          ///< at the values (substitutes)
    double lo = nan, hi = nan;    ///< bounds over the censored ranges
};

comparison compare(const series& s, std::size_t i, double lag_years, double tolerance_years, const char* what) {
    comparison c;
    const observation& cur = s.campaigns[i];
    const double lag = lag_years * s.units_per_year;
    const double tol = tolerance_years * s.units_per_year;
    c.what = what;
    c.at = cur.time - lag;
    c.tolerance = tol;
    for (std::size_t j = i; j-- > 0;) {
        const observation& o = s.campaigns[j];
        if (!std::isfinite(o.time)) continue;
        if (std::abs(cur.time - o.time - lag) <= tol) {
            c.partner = &o;
            break;
        }
        if (cur.time - o.time > lag + tol) break;  // earlier campaigns are further away still
    }
    if (!c.partner) return c;  // problem() says why there is no change
    const observation& p = *c.partner;
    if (std::isnan(p.value) || (!(p.value > 0.0) && !p.censored)) return c;
    c.found = true;
    const value_range rc = range_of(cur);
    const value_range rp = range_of(p);
    c.change = cur.value / p.value - 1.0;
    c.lo = rc.lo / rp.hi - 1.0;
    c.hi = rp.lo > 0.0 ? rc.hi / rp.lo - 1.0 : inf;
    return c;
}

// Why a comparison found no change (built for reasons only).
std::string problem(const comparison& c) {
    if (!c.partner) return text("no campaign ", c.what, " earlier (t = ", exact(c.at), " +/- ", exact(c.tolerance), ")");
    const observation& p = *c.partner;
    if (std::isnan(p.value)) return text("the campaign ", c.what, " earlier (", p.campaign, ") has no value");
    return text("the campaign ", c.what, " earlier (", p.campaign, ") has value ", num(p.value), ": no relative change");
}

// "year-on-year +23% vs 2023Q1 (12.3 vs 10): increase", with bounds for censored values.
std::string describe(const comparison& c, const char* name, double stable) {
    if (!c.found) return text(name, ": ", problem(c));
    const change_class lo = classify_change(c.lo, stable), hi = classify_change(c.hi, stable);
    return text(name, " ", percent(c.change), " vs ", c.partner->campaign, " (", num(c.partner->value),
                c.partner->censored ? " censored" : "", ")",
                c.lo != c.hi ? text(", between ", percent(c.lo), " and ", percent(c.hi)) : std::string(), ": ",
                lo == hi ? std::string(to_string(lo)) : text("between ", to_string(lo), " and ", to_string(hi)));
}

}  // namespace

void change::evaluate(const series& s, std::vector<campaign_result>& out, explain e) const {
    const auto& o = options_;
    const bool yearly = o.basis == "year";
    for (std::size_t i = 0; i < s.campaigns.size(); ++i) {
        const observation& obs = s.campaigns[i];
        campaign_result& r = out[i];
        if (std::isnan(obs.value)) continue;
        if (!std::isfinite(obs.time)) {
            if (e != explain::none) r.reason = "no time for this campaign: the partner campaign is found by time";
            continue;
        }
        const comparison year = compare(s, i, 1.0, o.tolerance, "a year");
        const comparison quarter = compare(s, i, 0.25, o.tolerance, "a quarter");
        const comparison& basis = yearly ? year : quarter;
        const auto both = [&] {
            return text(describe(year, "year-on-year", o.stable), "; ", describe(quarter, "quarter-on-quarter", o.stable));
        };
        if (!basis.found) {
            if (e != explain::none) r.reason = text(problem(basis), " (", both(), ")");
            continue;
        }
        r.statistic = basis.change;
        r.expected = basis.partner->value;
        r.upper_bound = basis.partner->value * (1.0 + o.watch);
        const detection_level lo = level_above(basis.lo, o.watch + boundary_eps, o.alert + boundary_eps);
        const detection_level hi = level_above(basis.hi, o.watch + boundary_eps, o.alert + boundary_eps);
        const detection_level level = lo == hi ? lo : detection_level::not_evaluable;
        set_level(r, level, e, [&] {
            if (level == detection_level::not_evaluable)
                return text(both(), "; censored: level between ", to_string(lo), " and ", to_string(hi));
            if (level != detection_level::none)
                return text(both(), "; ", yearly ? "year-on-year" : "quarter-on-quarter", crossed(level, o.watch, o.alert));
            return both();
        });
    }
}

namespace {

// compare()'s partner: the latest earlier campaign whose time is within `tol` of t − lag, by the
// same scan; nullptr when there is none.
const observation* partner_of(const series& s, std::size_t i, double lag, double tol) noexcept {
    const double t = s.campaigns[i].time;
    for (std::size_t j = i; j-- > 0;) {
        const observation& o = s.campaigns[j];
        if (!std::isfinite(o.time)) continue;
        if (std::abs(t - o.time - lag) <= tol) return &o;
        if (t - o.time > lag + tol) break;
    }
    return nullptr;
}

}  // namespace

// The levels evaluate() sets for a series without censored values: only the basis comparison
// (evaluate() also describes the other one), whose bounds are then both the change itself.
bool change::evaluate_levels(const series& s, std::span<detection_level> level) const {
    const auto& o = options_;
    const double lag_years = o.basis == "year" ? 1.0 : 0.25;
    const double lag = lag_years * s.units_per_year;
    const double tol = o.tolerance * s.units_per_year;
    const double watch = o.watch + boundary_eps, alert = o.alert + boundary_eps;
    for (const observation& obs : s.campaigns)
        if (obs.censored) return false;
    for (std::size_t i = 0; i < s.campaigns.size(); ++i) {
        const observation& obs = s.campaigns[i];
        level[i] = detection_level::not_evaluable;  // no value, no time, no partner with a value > 0
        if (std::isnan(obs.value) || !std::isfinite(obs.time)) continue;
        const observation* p = partner_of(s, i, lag, tol);
        if (!p || !(p->value > 0.0)) continue;  // NaN or <= 0 (uncensored): no relative change
        level[i] = level_above(obs.value / p->value - 1.0, watch, alert);
    }
    return true;
}

}  // namespace wbe::detectors
