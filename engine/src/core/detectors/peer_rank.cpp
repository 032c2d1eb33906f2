// GCC 12 at -O3 reports a false -Wrestrict inside std::string concatenation (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"

#include "wbe/core/detectors/peer_rank.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "detail.hpp"

namespace wbe::detectors {

using namespace detail;

std::vector<parameter_spec> peer_rank::parameters() {
    const peer_rank_options d;
    return {
        real_spec("watch_share", d.watch_share, 0, 1, "", "top share of the group that is watch", true),
        real_spec("alert_share", d.alert_share, 0, 1, "", "top share of the group that is alert", true),
        integer_spec("min_peers", d.min_peers, 2, 1e9, "sites", "fewest sites with a value in the group, the site included"),
    };
}

peer_rank_options peer_rank::options_from(const parameter_values& v) {
    peer_rank_options o;
    o.watch_share = v.real("watch_share");
    o.alert_share = v.real("alert_share");
    o.min_peers = static_cast<int>(v.integer("min_peers"));
    return o;
}

std::vector<diagnostic> peer_rank::check(const peer_rank_options& o) {
    const auto specs = parameters();
    std::vector<diagnostic> out;
    check_option(specs, "watch_share", o.watch_share, out);
    check_option(specs, "alert_share", o.alert_share, out);
    check_option(specs, "min_peers", o.min_peers, out);
    if (!(o.alert_share <= o.watch_share))
        add_problem(out, "alert_share", o.alert_share, "must be <= watch_share = " + num(o.watch_share));
    return out;
}

peer_rank::peer_rank(const peer_rank_options& options) : options_(options) { throw_if_invalid(check(options_)); }

void peer_rank::evaluate(const cross_section& c, std::vector<campaign_result>& out, explain e) const {
    const auto& o = options_;
    std::map<std::string, std::vector<double>> groups;  // sorted ascending values per group
    for (const auto& p : c.sites)
        if (!std::isnan(p.value)) groups[p.group].push_back(p.value);
    std::map<std::string, double> medians;
    for (auto& [g, v] : groups) {
        std::sort(v.begin(), v.end());
        const std::size_t n = v.size();
        medians[g] = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    }

    for (std::size_t i = 0; i < c.sites.size(); ++i) {
        const peer& site = c.sites[i];
        campaign_result& r = out[i];
        if (std::isnan(site.value)) continue;
        const std::vector<double>& all = groups[site.group];
        const std::size_t n = all.size();
        const std::string where = "group '" + site.group + "' in campaign " + c.campaign;
        if (n < static_cast<std::size_t>(o.min_peers)) {
            if (e != explain::none) r.reason = "needs " + std::to_string(o.min_peers) + " sites with a value in " + where + ", has " +
                       std::to_string(n);
            continue;
        }
        const double nn = static_cast<double>(n);
        const double self = site.value;
        // Counts among the other sites of the group, by binary search on the sorted values.
        const auto above = [&](double x) {
            const auto k = static_cast<std::size_t>(all.end() - std::upper_bound(all.begin(), all.end(), x));
            return k - (self > x ? 1 : 0);
        };
        const auto below = [&](double x) {
            const auto k = static_cast<std::size_t>(std::lower_bound(all.begin(), all.end(), x) - all.begin());
            return k - (self < x ? 1 : 0);
        };
        const auto rank_of = [&](double x) { return 1 + above(x); };
        const auto level_at = [&](double x) {
            const auto rank = static_cast<double>(rank_of(x));
            if (rank <= o.alert_share * nn + 1e-9) return detection_level::alert;
            if (rank <= o.watch_share * nn + 1e-9) return detection_level::watch;
            return detection_level::none;
        };
        const std::size_t rank = rank_of(self);
        const std::size_t n_below = below(self);
        const std::size_t n_equal = n - rank + 1 - n_below;  // the site and its ties
        const double percentile = 100.0 * (static_cast<double>(n_below) + 0.5 * static_cast<double>(n_equal)) / nn;
        const auto k = static_cast<std::size_t>(std::floor(o.watch_share * nn + 1e-9));
        // k-th highest of the others: the k-th highest of all, or the (k+1)-th when the site is among the top k.
        double bound = nan;
        if (k >= 1 && k + 1 <= n) {
            const double kth = all[n - k];
            bound = self >= kth ? all[n - k - 1] : kth;
        }
        r.expected = medians[site.group];
        r.upper_bound = bound;
        r.statistic = percentile;
        std::string note;
        const detection_level level = judge(
            observation{c.campaign, nan, site.value, site.lower, site.upper, site.censored, 0}, level_at, note);
        set_level(r, level, e, [&] {
            const detection_level raw = level_at(self);
            const double share = raw == detection_level::alert ? o.alert_share : o.watch_share;
            return "rank " + std::to_string(rank) + " of " + std::to_string(n) + " sites in " + where +
                   " (percentile " + num(percentile) + ")" +
                   (raw != detection_level::none ? ": in the top " + num(100.0 * share) + "% (ranks <= " +
                                                       num(std::floor(share * nn + 1e-9)) + ")"
                                                 : std::string()) +
                   "; group median " + num(r.expected) + ", watch from " + num(bound) + note;
        });
    }
}

}  // namespace wbe::detectors
