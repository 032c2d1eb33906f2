// Tests for wbe/core/censored_summary.hpp: the method chosen by censored share, its boundaries,
// the not-estimable reasons, configurable cut points and methods, invariants and errors.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "censored_reference.hpp"
#include "wbe/core/censored_summary.hpp"
#include "wbe/core/errors.hpp"

namespace {

using wbe::censored_method;
using wbe::left_censored;

// n values: `censored` of them <1 (below every detect), the rest detects 2, 3, 4, …
std::vector<left_censored> sample(int n, int censored) {
    std::vector<left_censored> x;
    for (int i = 0; i < censored; ++i) x.push_back({1.0, true});
    for (int i = 0; i < n - censored; ++i) x.push_back({2.0 + i, false});
    return x;
}

TEST(CensoredSummary, NoCensoringIsPlain) {
    const std::vector<left_censored> x{{3, false}, {1, false}, {4, false}, {1.5, false}, {9, false}, {2.5, false}};
    const auto s = wbe::summarise_censored(x);
    EXPECT_EQ(s.method, censored_method::plain);
    EXPECT_NEAR(s.mean, 3.5, 1e-15);           // hand: 21/6
    EXPECT_NEAR(s.sd, std::sqrt(8.4), 1e-14);  // hand: 42/5
    EXPECT_EQ(s.median, 2.75);
    EXPECT_NEAR(s.se_mean, std::sqrt(8.4 / 6.0), 1e-14);
    EXPECT_EQ(s.detection_frequency, 1.0);
    EXPECT_EQ(s.n_censored, 0u);
    EXPECT_TRUE(s.not_estimable_reason.empty());
}

TEST(CensoredSummary, UpToHalfCensoredIsKaplanMeier) {
    for (int censored : {1, 5, 10}) {  // 5%, 25%, exactly 50%
        SCOPED_TRACE(censored);
        const auto x = sample(20, censored);
        const auto s = wbe::summarise_censored(x);
        EXPECT_EQ(s.method, censored_method::kaplan_meier);
        const auto k = wbe::kaplan_meier(x);
        EXPECT_EQ(s.mean, k.mean);
        EXPECT_EQ(s.sd, k.sd);
        EXPECT_EQ(s.se_mean, k.se_mean);
        EXPECT_EQ(s.ucl, k.ucl);
        EXPECT_EQ(s.median, k.median);
    }
}

TEST(CensoredSummary, AboveHalfUpToEightyPercentIsRos) {
    for (int censored : {11, 14, 16}) {  // 55%, 70%, exactly 80%
        SCOPED_TRACE(censored);
        const auto x = sample(20, censored);
        const auto s = wbe::summarise_censored(x);
        EXPECT_EQ(s.method, censored_method::robust_ros);
        const auto r = wbe::robust_ros(x);
        EXPECT_EQ(s.mean, r.mean);
        EXPECT_EQ(s.sd, r.sd);
        EXPECT_EQ(s.median, r.median);
        EXPECT_TRUE(std::isnan(s.se_mean));
        EXPECT_TRUE(std::isnan(s.ucl));
    }
}

TEST(CensoredSummary, AboveEightyPercentIsNotEstimable) {
    const auto s = wbe::summarise_censored(sample(20, 17));  // 85%
    EXPECT_EQ(s.method, censored_method::not_estimable);
    EXPECT_FALSE(s.estimable());
    EXPECT_EQ(s.not_estimable_reason, "censored share = 0.85: must be <= 0.8 for a censored-data estimate");
    EXPECT_TRUE(std::isnan(s.mean));
    EXPECT_TRUE(std::isnan(s.median));
    // the counts are still there: the detection frequency is the one defensible number
    EXPECT_EQ(s.n, 20u);
    EXPECT_EQ(s.n_censored, 17u);
    EXPECT_NEAR(s.detection_frequency, 0.15, 1e-15);
    EXPECT_EQ(s.brief_report(),
              "not_estimable: n = 20, censored = 17: censored share = 0.85: must be <= 0.8 for a censored-data estimate");
}

TEST(CensoredSummary, FewerThanTwoDistinctDetectsIsNotEstimable) {
    const std::vector<left_censored> x{{1, true}, {3, false}, {3, false}, {1, true}};
    const auto s = wbe::summarise_censored(x);
    EXPECT_EQ(s.method, censored_method::not_estimable);
    EXPECT_EQ(s.not_estimable_reason, "distinct detected values = 1: at least 2 are needed to estimate from censored data");
    const std::vector<left_censored> none;
    EXPECT_EQ(wbe::summarise_censored(none).not_estimable_reason, "n = 0: no values");
}

TEST(CensoredSummary, CutPointsAndMethodsAreConfigurable) {
    const auto x = sample(20, 17);  // 85%
    wbe::censored_summary_options o;
    o.high_max_share = 0.9;
    o.ros.max_censored_share = 0.9;
    EXPECT_EQ(wbe::summarise_censored(x, o).method, censored_method::robust_ros);
    // a stricter ROS than the band: the summary says that ROS fell back, and why
    o.ros.max_censored_share = 0.8;
    const auto sub = wbe::summarise_censored(x, o);
    EXPECT_EQ(sub.method, censored_method::substitution);
    EXPECT_EQ(sub.note, "censored share = 0.85: above 0.8; censored values replaced by 0.5 x limit");

    wbe::censored_summary_options m;
    m.moderate_method = censored_method::robust_ros;
    m.high_method = censored_method::lognormal_mle;
    EXPECT_EQ(wbe::summarise_censored(sample(20, 5), m).method, censored_method::robust_ros);
    const auto mle = wbe::summarise_censored(sample(20, 12), m);
    EXPECT_EQ(mle.method, censored_method::lognormal_mle);
    EXPECT_NEAR(mle.mean, wbe::lognormal_mle(sample(20, 12)).mean, 1e-12);
}

TEST(CensoredSummary, NotesSayWhatAReaderMustKnow) {
    wbe::censored_summary_options o;
    o.kaplan_meier.restricted = true;
    const std::vector<left_censored> x{{1, true}, {2, true}, {2, false}, {5, false}, {6, false}};
    const auto s = wbe::summarise_censored(x, o);
    EXPECT_EQ(s.method, censored_method::kaplan_meier);
    EXPECT_EQ(s.note, "restricted Kaplan-Meier: values censored at the smallest limit counted at it");
    // a ROS band with a limit above the largest detect
    const std::vector<left_censored> y{{1, true}, {1, true}, {1, true}, {50, true}, {2, false}, {3, false}, {4, false}};
    const auto r = wbe::summarise_censored(y);  // 4/7 = 57% → ROS
    EXPECT_EQ(r.method, censored_method::robust_ros);
    EXPECT_EQ(r.note, "1 censored values above the largest detect left out");
}

TEST(CensoredSummary, RowOrderDoesNotMatter) {
    auto x = sample(30, 12);
    x[3].value = 0.5;
    x[7].value = 1.5;  // several limits
    const auto ref = wbe::summarise_censored(x);
    std::mt19937 rng(3);
    for (int k = 0; k < 10; ++k) {
        std::shuffle(x.begin(), x.end(), rng);
        const auto s = wbe::summarise_censored(x);
        EXPECT_EQ(s.method, ref.method);
        EXPECT_EQ(s.mean, ref.mean);
        EXPECT_EQ(s.sd, ref.sd);
        EXPECT_EQ(s.median, ref.median);
    }
}

TEST(CensoredSummary, BealLeadIsKaplanMeierWithItsCounts) {
    WBE_REQUIRE_CENSORED_REFERENCE();
    const auto x = wbe::test::read_envstats_csv("envstats_Beal_2010_Pb.csv");
    const auto s = wbe::summarise_censored(x);
    EXPECT_EQ(s.method, censored_method::kaplan_meier);  // 10/29 = 34.5% censored
    EXPECT_NEAR(100.0 * s.censored_share, 34.48276, 5e-6);  // expected.json: "34.48276%"
    EXPECT_EQ(s.brief_report().substr(0, 50), "kaplan_meier: n = 29, censored = 10 (34.5%), mean ");
}

TEST(CensoredSummary, MethodNamesRoundTrip) {
    for (auto m : {censored_method::plain, censored_method::kaplan_meier, censored_method::robust_ros,
                   censored_method::lognormal_mle, censored_method::substitution, censored_method::not_estimable})
        EXPECT_EQ(wbe::parse_censored_method(wbe::to_string(m)), m);
    EXPECT_FALSE(wbe::parse_censored_method("km").has_value());
}

TEST(CensoredSummary, InvalidOptionsNameTheField) {
    auto message = [](const wbe::censored_summary_options& o) -> std::string {
        try {
            (void)wbe::summarise_censored(sample(5, 1), o);
        } catch (const wbe::numerical_error& e) {
            return e.what();
        }
        return "no error";
    };
    wbe::censored_summary_options o;
    o.high_max_share = 0.4;
    EXPECT_EQ(message(o), "censored_summary_options.high_max_share = 0.4: must be in [0.5, 1]");
    o = {};
    o.moderate_method = censored_method::plain;
    EXPECT_EQ(message(o),
              "censored_summary_options.moderate_method = plain: must be kaplan_meier, robust_ros or lognormal_mle");
    o = {};
    o.moderate_max_share = -0.1;
    EXPECT_EQ(message(o), "censored_summary_options.moderate_max_share = -0.1: must be in [0, 1]");
}

}  // namespace
