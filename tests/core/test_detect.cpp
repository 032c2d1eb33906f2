// Tests of wbe/core/detect.hpp: series built from campaign estimates, detectors run per site ×
// drug and per peer group, results kept as records and watch/alert turned into flags.

#include "wbe/core/detect.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "wbe/core/detectors/peer_rank.hpp"
#include "wbe/core/detectors/rolling_baseline.hpp"

namespace {

using namespace wbe;

campaign_estimate estimate_of(const std::string& site, const std::string& kind, const std::string& campaign, double value,
                              std::size_t n_censored = 0) {
    campaign_estimate c;
    c.scope = "site";
    c.id = site;
    c.site_kind = kind;
    c.campaign = campaign;
    c.analyte = "ketamine";
    c.drug = "ketamine";
    c.n_samples = 7;
    c.n_censored = n_censored;
    (kind == "wwtp" ? c.consumption_mean : c.conc_mean) = value;
    c.consumption_censored_low = c.consumption_censored_high = value;
    return c;
}

site site_of(const std::string& id, const std::string& kind, const std::string& venue_type = "") {
    site s;
    s.id = id;
    s.kind = kind;
    s.venue_type = venue_type;
    s.population = kind == "wwtp" ? 1e5 : std::nan("");
    return s;
}

TEST(Detect, CampaignTimesAreMidpointsInDecimalYears) {
    // 2024Q1 spans Jan–Mar: midpoint 2024 + 0.5/4; months and years likewise.
    EXPECT_DOUBLE_EQ(time_of_campaign("2024Q1").time, 2024.125);
    EXPECT_EQ(time_of_campaign("2024Q1").season, 1);
    EXPECT_DOUBLE_EQ(time_of_campaign("2023Q4").time, 2023.875);
    EXPECT_EQ(time_of_campaign("2023Q4").season, 4);
    EXPECT_DOUBLE_EQ(time_of_campaign("2024-03").time, 2024.0 + 2.5 / 12.0);
    EXPECT_EQ(time_of_campaign("2024-03").season, 3);
    EXPECT_DOUBLE_EQ(time_of_campaign("2024").time, 2024.5);
    EXPECT_EQ(time_of_campaign("2024").season, 0);
}

TEST(Detect, SeriesAreBuiltInCampaignOrderAndSpikesBecomeFlags) {
    // A plant flat at 10 for 8 quarters, then 40: ln(4) = 1.386 above the median with the SD at
    // its floor 0.1 (MAD 0) → z = 13.9 > alert 4. Rows are given out of order on purpose.
    std::vector<campaign_estimate> est;
    const char* quarters[] = {"2022Q1", "2022Q2", "2022Q3", "2022Q4", "2023Q1", "2023Q2", "2023Q3", "2023Q4", "2024Q1"};
    for (int i = 8; i >= 0; --i) est.push_back(estimate_of("P-1", "wwtp", quarters[i], i == 8 ? 40.0 : 10.0));
    const auto rb = std::make_shared<const detectors::rolling_baseline>();
    const detection_output out = run_detectors(est, {site_of("P-1", "wwtp")}, [&](const site&, const std::string& drug) {
        return drug == "ketamine" ? std::vector<detector_instance>{{"rolling_baseline", rb, nullptr}} : std::vector<detector_instance>{};
    });
    ASSERT_EQ(out.records.size(), 9u);
    EXPECT_EQ(out.records.front().campaign, "2022Q1");
    EXPECT_EQ(out.records.front().level, "not_evaluable");  // no history yet
    EXPECT_NE(out.records.front().reason.find("needs"), std::string::npos) << out.records.front().reason;
    EXPECT_EQ(out.records.back().campaign, "2024Q1");
    EXPECT_EQ(out.records.back().level, "alert");
    EXPECT_EQ(out.records.back().metric, "consumption");
    EXPECT_DOUBLE_EQ(out.records.back().value, 40.0);
    EXPECT_NEAR(out.records.back().expected, 10.0, 1e-12);
    ASSERT_EQ(out.flags.size(), 1u);
    const flag& f = out.flags.front();
    EXPECT_EQ(f.rule, "rolling_baseline");
    EXPECT_EQ(f.level, flag_level::alert);
    EXPECT_EQ(f.site_id, "P-1");
    EXPECT_EQ(f.campaign, "2024Q1");
    EXPECT_EQ(f.unit, "mg/day/1000 inh");
    EXPECT_EQ(f.explanation.rfind("rolling_baseline: ", 0), 0u);
}

TEST(Detect, NoDetectorsNoRecords) {
    const std::vector<campaign_estimate> est{estimate_of("P-1", "wwtp", "2024Q1", 5.0)};
    const detection_output out =
        run_detectors(est, {site_of("P-1", "wwtp")}, [](const site&, const std::string&) { return std::vector<detector_instance>{}; });
    EXPECT_TRUE(out.records.empty());
    EXPECT_TRUE(out.flags.empty());
}

TEST(Detect, PeersAreRankedWithinKindAndVenueType) {
    // Two karaoke bars and three hotels in one campaign: ranks are per venue type.
    std::vector<campaign_estimate> est{estimate_of("K-1", "venue", "2024Q1", 100), estimate_of("K-2", "venue", "2024Q1", 300),
                                       estimate_of("H-1", "venue", "2024Q1", 10), estimate_of("H-2", "venue", "2024Q1", 20),
                                       estimate_of("H-3", "venue", "2024Q1", 30)};
    const std::vector<site> sites{site_of("K-1", "venue", "karaoke"), site_of("K-2", "venue", "karaoke"),
                                  site_of("H-1", "venue", "hotel"), site_of("H-2", "venue", "hotel"),
                                  site_of("H-3", "venue", "hotel")};
    detectors::peer_rank_options o;
    o.min_peers = 2;
    const auto pr = std::make_shared<const detectors::peer_rank>(o);
    const detection_output out = run_detectors(est, sites, [&](const site&, const std::string&) {
        return std::vector<detector_instance>{{"peer_rank", nullptr, pr}};
    });
    ASSERT_EQ(out.records.size(), 5u);
    for (const auto& r : out.records) {
        EXPECT_EQ(r.detector, "peer_rank");
        EXPECT_EQ(r.metric, "concentration");
        // Each group's reason names its own group.
        const bool karaoke = r.site_id[0] == 'K';
        EXPECT_NE(r.reason.find(karaoke ? "venue/karaoke" : "venue/hotel"), std::string::npos) << r.reason;
    }
}

}  // namespace
