// GCC 12 at -O3 reports a false -Wrestrict inside std::string concatenation (GCC bug 105329).
#if defined(__GNUC__) && !defined(__clang__)  // a GCC-only warning: clang does not know it
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include "wbe/core/detectors/peer_rank.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <unordered_map>
#include <utility>

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
    // The sites with a value by group, each group's name looked up once per site.
    struct group {
        std::vector<std::pair<double, std::size_t>> members;  // (value, site)
        std::vector<double> values;                           // sorted ascending
        double median = nan;
    };
    std::vector<group> groups;
    std::unordered_map<std::string_view, std::size_t> group_index;
    std::vector<std::size_t> group_of(c.sites.size());
    for (std::size_t i = 0; i < c.sites.size(); ++i) {
        const peer& p = c.sites[i];
        if (std::isnan(p.value)) continue;
        const auto [it, added] = group_index.try_emplace(p.group, groups.size());
        if (added) groups.emplace_back();
        group_of[i] = it->second;
        groups[it->second].members.emplace_back(p.value, i);
    }
    // Each site's counts of higher and lower values in its group, from its place in the sorted
    // group: a run of equal values shares them. Sorting (value, site) by value alone makes the
    // comparisons, and so the moves, of sorting the values alone: `values` is the order it gives,
    // ±0 included.
    std::vector<std::size_t> n_higher(c.sites.size()), n_lower(c.sites.size());
    for (group& g : groups) {
        std::sort(g.members.begin(), g.members.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        const std::size_t n = g.members.size();
        g.values.resize(n);
        for (std::size_t k = 0; k < n; ++k) g.values[k] = g.members[k].first;
        g.median = n % 2 ? g.values[n / 2] : 0.5 * (g.values[n / 2 - 1] + g.values[n / 2]);
        for (std::size_t begin = 0; begin < n;) {
            std::size_t end = begin + 1;
            while (end < n && g.values[end] == g.values[begin]) ++end;
            for (std::size_t k = begin; k < end; ++k) {
                n_lower[g.members[k].second] = begin;
                n_higher[g.members[k].second] = n - end;
            }
            begin = end;
        }
    }

    for (std::size_t i = 0; i < c.sites.size(); ++i) {
        const peer& site = c.sites[i];
        campaign_result& r = out[i];
        if (std::isnan(site.value)) continue;
        const group& g = groups[group_of[i]];
        const std::vector<double>& all = g.values;
        const std::size_t n = all.size();
        if (n < static_cast<std::size_t>(o.min_peers)) {
            if (e != explain::none)
                r.reason = text("needs ", integer{static_cast<std::size_t>(o.min_peers)}, " sites with a value in group '",
                                site.group, "' in campaign ", c.campaign, ", has ", integer{n});
            continue;
        }
        const double nn = static_cast<double>(n);
        const double self = site.value;
        const auto level_of = [&](std::size_t rank) {
            const auto rk = static_cast<double>(rank);
            if (rk <= o.alert_share * nn + 1e-9) return detection_level::alert;
            if (rk <= o.watch_share * nn + 1e-9) return detection_level::watch;
            return detection_level::none;
        };
        const std::size_t rank = 1 + n_higher[i];
        const std::size_t n_below = n_lower[i];
        const std::size_t n_equal = n - rank + 1 - n_below;  // the site and its ties
        const double percentile = 100.0 * (static_cast<double>(n_below) + 0.5 * static_cast<double>(n_equal)) / nn;
        const auto k = static_cast<std::size_t>(std::floor(o.watch_share * nn + 1e-9));
        // k-th highest of the others: the k-th highest of all, or the (k+1)-th when the site is among the top k.
        double bound = nan;
        if (k >= 1 && k + 1 <= n) {
            const double kth = all[n - k];
            bound = self >= kth ? all[n - k - 1] : kth;
        }
        r.expected = g.median;
        r.upper_bound = bound;
        r.statistic = percentile;
        std::string note;
        detection_level level = level_of(rank);
        if (site.censored) {
            // The rank another value would have among the other sites of the group.
            const auto rank_of = [&](double x) {
                const auto above = static_cast<std::size_t>(all.end() - std::upper_bound(all.begin(), all.end(), x));
                return 1 + above - (self > x ? 1 : 0);
            };
            level = judge(observation{c.campaign, nan, site.value, site.lower, site.upper, site.censored, 0},
                          [&](double x) { return level_of(rank_of(x)); }, note);
        }
        set_level(r, level, e, [&] {
            const detection_level raw = level_of(rank);
            const double share = raw == detection_level::alert ? o.alert_share : o.watch_share;
            return text("rank ", integer{rank}, " of ", integer{n}, " sites in group '", site.group, "' in campaign ",
                        c.campaign, " (percentile ", num(percentile), ")",
                        raw != detection_level::none
                            ? text(": in the top ", num(100.0 * share), "% (ranks <= ", num(std::floor(share * nn + 1e-9)), ")")
                            : std::string(),
                        "; group median ", num(r.expected), ", watch from ", num(bound), note);
        });
    }
}

namespace {
struct level_buffers {
    std::vector<std::vector<double>> values;  // by group, the sites' values
    std::vector<std::size_t> group_of;        // by site
    std::unordered_map<std::string_view, std::size_t> group_index;
};
}  // namespace

// The levels evaluate() sets for a cross-section without censored sites. evaluate() gives rank
// r = 1 + #{values > x} the level alert when r <= alert_share·n + 1e-9 (the same expression
// here), i.e. r <= k_a = ⌊alert_share·n + 1e-9⌋ (r is a whole number, floor is exact); and
// #{values > x} < k is exactly x >= the k-th highest value (NaN sites are not in the group; ±0
// compare equal in both). So two selections per group (nth_element, the second within the part
// above the first) replace the sort, and each site compares its value with two numbers.
bool peer_rank::evaluate_levels(const cross_section& c, std::span<detection_level> level) const {
    const auto& o = options_;
    level_buffers& buf = thread_buffers<level_buffers>();
    auto& values = buf.values;
    auto& group_of = buf.group_of;
    auto& group_index = buf.group_index;
    group_index.clear();
    std::size_t n_groups = 0;
    group_of.resize(c.sites.size());
    for (std::size_t i = 0; i < c.sites.size(); ++i) {
        const peer& p = c.sites[i];
        // Declined while grouping rather than in a pass of its own: one pass over the sites, so
        // the lookups overlap the loads of a cross-section too large for the L1 cache.
        if (p.censored) return false;
        if (std::isnan(p.value)) continue;
        const auto found = group_index.try_emplace(p.group, n_groups);
        if (found.second) {
            if (values.size() <= n_groups) values.emplace_back();
            values[n_groups++].clear();
        }
        group_of[i] = found.first->second;
        values[found.first->second].push_back(p.value);
    }
    // Per group: the values at or above which a site is alert / watch (NaN: none is, not even +∞).
    std::vector<std::pair<double, double>>& cuts = thread_buffers<std::vector<std::pair<double, double>>>();
    cuts.assign(n_groups, {nan, nan});
    const auto min_peers = static_cast<std::size_t>(o.min_peers);
    for (std::size_t k = 0; k < n_groups; ++k) {
        std::vector<double>& v = values[k];
        const std::size_t n = v.size();
        if (n < min_peers) continue;  // not_evaluable, below
        const double nn = static_cast<double>(n);
        const auto top = [nn](double share) {
            return static_cast<std::size_t>(std::floor(std::min(share * nn + 1e-9, nn)));
        };
        const std::size_t k_alert = top(o.alert_share), k_watch = top(o.watch_share);  // k_alert <= k_watch <= n
        // The watch cut first, over all values; then the alert cut among the k_watch highest
        // values it leaves above it (the k_alert-th highest of all is the k_alert-th highest of
        // those): at the defaults the second selection runs over a quarter of the group, not
        // nine tenths.
        auto top_begin = v.begin();
        if (k_watch >= 1) {
            const auto at = v.begin() + static_cast<std::ptrdiff_t>(n - k_watch);
            std::nth_element(v.begin(), at, v.end());
            cuts[k].second = *at;
            top_begin = at;
        }
        if (k_alert == k_watch) {
            cuts[k].first = cuts[k].second;
        } else if (k_alert >= 1) {
            const auto at = v.begin() + static_cast<std::ptrdiff_t>(n - k_alert);
            std::nth_element(top_begin, at, v.end());
            cuts[k].first = *at;
        }
    }
    for (std::size_t i = 0; i < c.sites.size(); ++i) {
        const double x = c.sites[i].value;
        if (std::isnan(x)) {
            level[i] = detection_level::not_evaluable;
            continue;
        }
        const std::size_t g = group_of[i];
        if (values[g].size() < min_peers) {
            level[i] = detection_level::not_evaluable;
            continue;
        }
        level[i] = x >= cuts[g].first ? detection_level::alert : x >= cuts[g].second ? detection_level::watch : detection_level::none;
    }
    return true;
}

}  // namespace wbe::detectors
