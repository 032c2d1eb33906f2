// Tests for wbe/core/detectors/detector.hpp: levels and their bridge to flag_level, what run()
// does for every detector (labels, "no value", time order, summary), explain modes; and
// number_text.hpp, the numbers of the reasons.

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "detector_test_support.hpp"
#include "wbe/core/detectors/detector.hpp"
#include "wbe/core/detectors/number_text.hpp"

namespace {

using namespace wbe::detectors;

// A minimal detector: watch above 10, alert above 20, no history needed.
class cut_detector final : public series_detector {
public:
    std::string_view name() const noexcept override { return "cut"; }
    std::size_t min_history() const noexcept override { return 0; }

protected:
    void evaluate(const series& s, std::vector<campaign_result>& out, explain e) const override {
        for (std::size_t i = 0; i < s.campaigns.size(); ++i) {
            if (std::isnan(s.campaigns[i].value)) continue;
            const double v = s.campaigns[i].value;
            out[i].statistic = v;
            out[i].level = v > 20 ? detection_level::alert : v > 10 ? detection_level::watch : detection_level::none;
            if (e == explain::all || out[i].level != detection_level::none) out[i].reason = "value " + std::to_string(int(v));
        }
    }
};

class site_count final : public cross_section_detector {
public:
    std::string_view name() const noexcept override { return "site_count"; }

protected:
    void evaluate(const cross_section& c, std::vector<campaign_result>& out, explain) const override {
        for (std::size_t i = 0; i < c.sites.size(); ++i)
            if (!std::isnan(c.sites[i].value)) {
                out[i].level = detection_level::none;
                out[i].reason = std::to_string(c.sites.size()) + " sites";
            }
    }
};

TEST(Detector, LevelNamesAndFlagLevels) {
    EXPECT_EQ(to_string(detection_level::none), "none");
    EXPECT_EQ(to_string(detection_level::watch), "watch");
    EXPECT_EQ(to_string(detection_level::alert), "alert");
    EXPECT_EQ(to_string(detection_level::not_evaluable), "not_evaluable");
    for (auto l : {detection_level::none, detection_level::watch, detection_level::alert, detection_level::not_evaluable})
        EXPECT_EQ(parse_detection_level(to_string(l)), l);
    EXPECT_FALSE(parse_detection_level("high").has_value());
    EXPECT_EQ(to_flag_level(detection_level::watch), wbe::flag_level::watch);
    EXPECT_EQ(to_flag_level(detection_level::alert), wbe::flag_level::alert);
    EXPECT_EQ(to_flag_level(detection_level::none), wbe::flag_level::none);
    EXPECT_FALSE(to_flag_level(detection_level::not_evaluable).has_value());  // never a flag
}

TEST(Detector, RunLabelsEveryCampaignAndSaysWhenThereIsNoValue) {
    const auto d = cut_detector().run(wbe::test::quarterly({5, wbe::test::nan, 15, 25}));
    ASSERT_EQ(d.campaigns.size(), 4u);
    EXPECT_EQ(d.campaigns[0].campaign, "2020Q1");
    EXPECT_EQ(d.campaigns[3].campaign, "2020Q4");
    EXPECT_EQ(d.campaigns[1].level, detection_level::not_evaluable);
    EXPECT_EQ(d.campaigns[1].reason, "no value for this campaign");
    EXPECT_EQ(d.summary.detector, "cut");
    EXPECT_EQ(d.summary.brief_report(),
              "cut: 4 campaigns: 1 none, 1 watch, 1 alert, 1 not evaluable (0 censored, 1 missing)");
}

TEST(Detector, EmptySeries) {
    const auto d = cut_detector().run({});
    EXPECT_TRUE(d.campaigns.empty());
    EXPECT_EQ(d.summary.brief_report(), "cut: 0 campaigns: 0 none, 0 watch, 0 alert, 0 not evaluable");
}

TEST(Detector, SeriesMustBeInTimeOrder) {
    auto s = wbe::test::quarterly({5, 6, 7});
    std::swap(s.campaigns[1].time, s.campaigns[2].time);
    try {
        (void)cut_detector().run(s);
        FAIL() << "no error";
    } catch (const wbe::input_error& e) {
        EXPECT_STREQ(e.what(),
                     "<input>: time = 2020.375: campaign 2020Q3 (t = 2020.375) is not after campaign 2020Q2 "
                     "(t = 2020.625): a series must be in strictly increasing time order");
    }
    // NaN times are allowed (detectors that need time say so per campaign).
    s = wbe::test::quarterly({5, 6, 7});
    s.campaigns[1].time = wbe::test::nan;
    EXPECT_NO_THROW((void)cut_detector().run(s));
    s.units_per_year = 0.0;
    EXPECT_THROW((void)cut_detector().run(s), wbe::input_error);
}

TEST(Detector, ExplainRaisedLeavesNoneWithoutText) {
    const auto d = cut_detector().run(wbe::test::quarterly({5, 15}), explain::raised);
    EXPECT_TRUE(d.campaigns[0].reason.empty());
    EXPECT_EQ(d.campaigns[1].reason, "value 15");
}

TEST(Detector, CrossSectionRunLabelsSites) {
    cross_section c;
    c.campaign = "2024Q3";
    c.sites = {{"A", "wwtp", 1.0}, {"B", "wwtp", wbe::test::nan}, {"C", "wwtp", 2.0, wbe::test::nan, 3.0, true}};
    const auto d = site_count().run(c);
    ASSERT_EQ(d.campaigns.size(), 3u);
    EXPECT_EQ(d.campaigns[1].site_id, "B");
    EXPECT_EQ(d.campaigns[1].campaign, "2024Q3");
    EXPECT_EQ(d.campaigns[1].reason, "no value for this site in campaign 2024Q3");
    EXPECT_EQ(d.summary.n_censored, 1u);
    EXPECT_EQ(d.summary.n_missing, 1u);
    EXPECT_EQ(d.summary.n_none, 2u);
}

// run_columns() writes the levels and numbers of run() into the caller's arrays (number columns
// optional), refuses arrays of the wrong size, and reason() gives run()'s text afterwards.
TEST(Detector, RunColumnsWritesRunsLevelsIntoTheCallersArrays) {
    const auto s = wbe::test::quarterly({5, wbe::test::nan, 15, 8});
    const detection d = cut_detector().run(s);
    std::vector<detection_level> level(4, detection_level::none);
    std::vector<double> statistic(4, -1.0);
    result_columns out;
    out.level = level;
    out.statistic = statistic;
    cut_detector().run_columns(s, out);
    for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(level[i], d.campaigns[i].level) << i;
        EXPECT_EQ(std::bit_cast<std::uint64_t>(statistic[i]), std::bit_cast<std::uint64_t>(d.campaigns[i].statistic)) << i;
        EXPECT_EQ(cut_detector().reason(s, i), d.campaigns[i].reason) << i;
    }
    out.statistic = std::span(statistic).first(2);
    EXPECT_THROW(cut_detector().run_columns(s, out), wbe::input_error);
    std::vector<detection_level> short_level(3);
    out.level = short_level;
    out.statistic = {};
    EXPECT_THROW(cut_detector().run_columns(s, out), wbe::input_error);
    EXPECT_THROW((void)cut_detector().reason(s, 4), std::out_of_range);

    cross_section c;
    c.campaign = "2024Q3";
    c.sites = {{"A", "wwtp", 1.0}, {"B", "wwtp", wbe::test::nan}};
    std::vector<detection_level> site_level(2);
    result_columns site_out;
    site_out.level = site_level;
    site_count().run_columns(c, site_out);
    EXPECT_EQ(site_level[0], detection_level::none);
    EXPECT_EQ(site_level[1], detection_level::not_evaluable);
    EXPECT_EQ(site_count().reason(c, 1), "no value for this site in campaign 2024Q3");
}

std::string printf_general(double v, int precision) {
    char buf[64];
    const int n = std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    return {buf, static_cast<std::size_t>(n)};
}

std::string general(double v, int precision) {
    char buf[max_general_chars];
    return {buf, format_general(v, precision, buf)};
}

// format_general() against printf itself, at every precision, on values chosen to hit its
// shortcuts' edges: exact binary ties (x.5 after scaling), decimal near-ties, powers of ten and
// their neighbours (the exponent of the rounded value), any bit pattern, and the fallbacks.
TEST(NumberText, EqualsPrintf) {
    std::mt19937_64 g(20240604);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const double special[] = {0.0,     -0.0,   9999.5,  9999.4,  99995.0, 0.00012345, 1e-5,  2019.125, 0.5,
                              1.0625,  1.0635, 0.125,   -2.5,    1e15,    1e22,       1e23,  1e-300,   1e300,
                              5e-324,  std::numeric_limits<double>::max(), std::numeric_limits<double>::infinity(),
                              -std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN()};
    std::size_t checked = 0;
    for (int precision = 1; precision <= 17; ++precision) {
        for (double v : special) {
            ASSERT_EQ(general(v, precision), printf_general(v, precision)) << std::hexfloat << v << " %." << precision << "g";
            ++checked;
        }
        for (int i = 0; i < 20000; ++i) {
            double v = 0.0;
            switch (i % 6) {
                case 0: v = std::bit_cast<double>(g()); break;
                case 1: v = std::exp((u(g) - 0.5) * 80.0) * (g() % 2 ? 1.0 : -1.0); break;
                case 2: v = (std::floor(u(g) * 1e6) + 0.5) * std::pow(10.0, static_cast<int>(g() % 30) - 15); break;
                case 3: {
                    const double ten = std::pow(10.0, static_cast<int>(g() % 40) - 20);
                    v = g() % 3 == 0 ? ten : std::nextafter(ten, g() % 2 ? 0.0 : 1e300);
                    break;
                }
                case 4: v = std::round(u(g) * 1e5) / std::pow(10.0, static_cast<int>(g() % 8)); break;
                default: v = static_cast<double>(g() % 100000) / 8.0; break;
            }
            ASSERT_EQ(general(v, precision), printf_general(v, precision)) << std::hexfloat << v << " %." << precision << "g";
            ++checked;
        }
    }
    EXPECT_GT(checked, 300000u);
}

}  // namespace
