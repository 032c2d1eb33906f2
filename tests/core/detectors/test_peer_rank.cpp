// Tests for wbe/core/detectors/peer_rank.hpp: hand-worked ranks, percentiles and top shares in a
// cross-section, groups, ties, small groups, censored sites; levels only against run().

// GCC 12 at -O3 reports a false -Wrestrict inside std::string concatenation (GCC bug 105329).
#if defined(__GNUC__) && !defined(__clang__)  // a GCC-only warning: clang does not know it
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "detector_test_support.hpp"
#include "wbe/core/detectors/peer_rank.hpp"

namespace {

using wbe::detectors::cross_section;
using wbe::detectors::detection_level;
using wbe::detectors::peer;
using wbe::detectors::peer_rank;
using wbe::detectors::peer_rank_options;

// 20 WWTPs with values 1..20 (site W1 has 1, W20 has 20).
cross_section twenty() {
    cross_section c;
    c.campaign = "2024Q1";
    for (int i = 1; i <= 20; ++i) c.sites.push_back({"W" + std::to_string(i), "wwtp", double(i), wbe::test::nan, wbe::test::nan, false});
    return c;
}

// Hand-worked, n = 20, defaults (alert top 10% → ranks ≤ 2, watch top 25% → ranks ≤ 5):
// W20 rank 1, percentile (19 + ½)/20 = 97.5 → alert;  W19 rank 2 → alert;  W18 rank 3 → watch;
// W16 rank 5 → watch;  W15 rank 6 → none;  W1 rank 20, percentile 2.5.
// group median = (10 + 11)/2 = 10.5. Watch bound (⌊0.25·20⌋ = 5th highest of the others):
// for W10, 16; for W20 (itself among the top 5), the 6th highest of all, 15.
TEST(PeerRank, HandWorkedTwentySites) {
    const auto d = peer_rank().run(twenty());
    ASSERT_EQ(d.campaigns.size(), 20u);
    const auto& top = d.campaigns[19];
    EXPECT_EQ(top.site_id, "W20");
    EXPECT_EQ(top.campaign, "2024Q1");
    EXPECT_EQ(top.level, detection_level::alert);
    EXPECT_DOUBLE_EQ(top.statistic, 97.5);
    EXPECT_EQ(top.expected, 10.5);
    EXPECT_EQ(top.upper_bound, 15.0);
    EXPECT_NE(top.reason.find("rank 1 of 20 sites in group 'wwtp' in campaign 2024Q1 (percentile 97.5): in the top 10% "
                              "(ranks <= 2)"),
              std::string::npos)
        << top.reason;
    EXPECT_EQ(d.campaigns[18].level, detection_level::alert);
    EXPECT_EQ(d.campaigns[17].level, detection_level::watch);
    EXPECT_EQ(d.campaigns[15].level, detection_level::watch);
    EXPECT_EQ(d.campaigns[14].level, detection_level::none);
    EXPECT_DOUBLE_EQ(d.campaigns[0].statistic, 2.5);
    EXPECT_EQ(d.campaigns[9].upper_bound, 16.0);
    EXPECT_TRUE(std::isnan(top.p_value));
    EXPECT_EQ(d.summary.n_alert, 2u);
    EXPECT_EQ(d.summary.n_watch, 3u);
}

TEST(PeerRank, TiesShareTheBestRank) {
    auto c = twenty();
    c.sites[18].value = 20.0;  // W19 ties W20
    const auto d = peer_rank().run(c);
    EXPECT_EQ(d.campaigns[18].level, detection_level::alert);
    EXPECT_EQ(d.campaigns[19].level, detection_level::alert);
    // percentile of a tie pair at the top: (18 + ½·2)/20 = 95
    EXPECT_DOUBLE_EQ(d.campaigns[19].statistic, 95.0);
    EXPECT_NE(d.campaigns[18].reason.find("rank 1 of 20"), std::string::npos);
}

TEST(PeerRank, GroupsAreRankedApart) {
    auto c = twenty();
    // five karaoke venues with small values: ranked among themselves, not among the WWTPs
    for (int i = 1; i <= 5; ++i) c.sites.push_back({"K" + std::to_string(i), "venue/karaoke", 0.1 * i, wbe::test::nan, wbe::test::nan, false});
    const auto d = peer_rank().run(c);
    const auto& k5 = d.campaigns[24];
    // n = 5: alert needs rank ≤ 0.5 (none can), watch rank ≤ 1.25 → the top venue is watch
    EXPECT_EQ(k5.level, detection_level::watch);
    EXPECT_NE(k5.reason.find("rank 1 of 5 sites in group 'venue/karaoke'"), std::string::npos) << k5.reason;
    EXPECT_EQ(d.campaigns[23].level, detection_level::none);
    EXPECT_EQ(d.campaigns[19].level, detection_level::alert);  // W20 unchanged
}

TEST(PeerRank, SmallGroupAndMissingValues) {
    cross_section c;
    c.campaign = "2024Q2";
    c.sites = {{"A", "venue/bar", 3, wbe::test::nan, wbe::test::nan, false},
               {"B", "venue/bar", 5, wbe::test::nan, wbe::test::nan, false},
               {"C", "venue/bar", wbe::test::nan, wbe::test::nan, wbe::test::nan, false},
               {"D", "venue/bar", 9, wbe::test::nan, wbe::test::nan, false},
               {"E", "venue/bar", 1, wbe::test::nan, wbe::test::nan, false}};
    const auto d = peer_rank().run(c);
    EXPECT_EQ(d.campaigns[0].level, detection_level::not_evaluable);
    EXPECT_EQ(d.campaigns[0].reason, "needs 5 sites with a value in group 'venue/bar' in campaign 2024Q2, has 4");
    EXPECT_EQ(d.campaigns[2].reason, "no value for this site in campaign 2024Q2");
    EXPECT_EQ(d.summary.n_not_evaluable, 5u);
    EXPECT_EQ(d.summary.n_missing, 1u);
    peer_rank_options o;
    o.min_peers = 4;
    EXPECT_EQ(peer_rank(o).run(c).campaigns[3].level, detection_level::watch);  // rank 1 ≤ 0.25·4
}

TEST(PeerRank, CensoredSites) {
    auto c = twenty();
    c.sites[0] = {"W1", "wwtp", 0.5, wbe::test::nan, 1.0, true};  // < 1: rank 20 at either end
    c.sites[5] = {"W6", "wwtp", 3.0, wbe::test::nan, 25.0, true};  // < 25: rank 1 at the limit, low at 0
    const auto d = peer_rank().run(c);
    EXPECT_EQ(d.campaigns[0].level, detection_level::none);
    EXPECT_EQ(d.campaigns[5].level, detection_level::not_evaluable);
    EXPECT_NE(d.campaigns[5].reason.find("censored (< 25): level none at 0 but alert at the limit"), std::string::npos)
        << d.campaigns[5].reason;
    EXPECT_EQ(d.summary.n_censored, 2u);
}

TEST(PeerRank, OrderOfSitesDoesNotMatter) {
    auto c = twenty();
    auto reversed = c;
    std::reverse(reversed.sites.begin(), reversed.sites.end());
    const auto a = peer_rank().run(c), b = peer_rank().run(reversed);
    for (std::size_t i = 0; i < 20; ++i) {
        EXPECT_EQ(a.campaigns[i].level, b.campaigns[19 - i].level);
        EXPECT_EQ(a.campaigns[i].statistic, b.campaigns[19 - i].statistic);
    }
}

TEST(PeerRank, OptionChecks) {
    peer_rank_options o;
    o.alert_share = 0.5;
    o.min_peers = 1;
    const auto problems = peer_rank::check(o);
    ASSERT_EQ(problems.size(), 2u);
    EXPECT_EQ(problems[0].to_string(), "<input>: min_peers = 1: must be an integer in [2, 1000000000]");
    EXPECT_EQ(problems[1].to_string(), "<input>: alert_share = 0.5: must be <= watch_share = 0.25");
}

// Levels only (run_columns() without number columns: evaluate_levels() groups the sites by name
// and makes two selections per group) give run()'s levels: many groups, names of every length
// from empty to long, names that differ only in their last byte or in a trailing NUL, small
// groups, ties and missing values, sites in random order.
TEST(PeerRank, LevelsOnlyEqualRunWithManyGroups) {
    std::mt19937_64 g(3);
    std::vector<std::string> names = {"", std::string(1, '\0'), std::string(2, '\0'), "a", "a" + std::string(1, '\0'),
                                      "venue/karaoke", "venue/karaokf", std::string(40, 'x'), std::string(40, 'x') + "y"};
    for (int k = 0; k < 300; ++k) names.push_back("city/" + std::string(static_cast<std::size_t>(k % 23), 'g') + std::to_string(k));
    std::vector<detection_level> level;
    for (const std::size_t n_groups : {std::size_t{1}, std::size_t{9}, std::size_t{40}, names.size()})
        for (int k = 0; k < 5; ++k) {
            cross_section c;
            c.campaign = "2024Q1";
            for (int i = 0; i < 3000; ++i) {
                const std::string& group = names[g() % n_groups];
                double value = static_cast<double>(g() % 50);
                if (g() % 10 == 0) value = wbe::test::nan;
                c.sites.push_back({"S" + std::to_string(i), group, value, wbe::test::nan, wbe::test::nan, false});
            }
            const peer_rank d;
            level.assign(c.sites.size(), detection_level::none);
            d.run_columns(c, {level, {}, {}, {}, {}});
            const auto expected = d.run(c);
            for (std::size_t i = 0; i < c.sites.size(); ++i)
                ASSERT_EQ(level[i], expected.campaigns[i].level) << n_groups << " groups, cross-section " << k << " site " << i;
        }
}

}  // namespace
