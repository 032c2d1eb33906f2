// Tests for wbe/core/detectors/registry.hpp: every detector is reachable by name with valid
// defaults, configuration problems are reported per key, and one invariant battery runs every
// registered detector over awkward series (empty, short, gaps, zeros, censored, constant, long).

// GCC 12 at -O3 reports a false -Wrestrict inside std::string concatenation (GCC bug 105329).
#if defined(__GNUC__) && !defined(__clang__)  // a GCC-only warning: clang does not know it
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "detector_test_support.hpp"
#include "wbe/core/detectors/registry.hpp"
#include "wbe/core/detectors/rolling_baseline.hpp"

namespace {

using namespace wbe::detectors;

TEST(Registry, NamesAndKinds) {
    EXPECT_EQ(detector_names(),
              "rolling_baseline, percentile_level, ears_c1, ears_c2, ears_c3, cusum, ewma, trend, peer_rank, change");
    ASSERT_NE(find_detector("peer_rank"), nullptr);
    EXPECT_EQ(find_detector("peer_rank")->input, input_kind::cross_section);
    EXPECT_EQ(find_detector("trend")->input, input_kind::series);
    EXPECT_EQ(find_detector("threshold"), nullptr);  // the threshold rules live in threshold.hpp
}

TEST(Registry, EveryEntryDeclaresItsParametersAndBuildsFromDefaults) {
    for (const auto& e : detector_registry()) {
        SCOPED_TRACE(e.name);
        EXPECT_FALSE(e.summary.empty());
        std::set<std::string> names;
        for (const auto& p : e.parameters) {
            EXPECT_TRUE(names.insert(p.name).second) << "duplicate " << p.name;
            EXPECT_FALSE(p.meaning.empty()) << p.name;
            EXPECT_FALSE(check_text(p, p.default_text).has_value()) << p.name << " default " << p.default_text;
        }
        const auto defaults = e.defaults();
        EXPECT_TRUE(e.check(defaults).empty());
        if (e.input == input_kind::series) {
            ASSERT_TRUE(e.make_series);
            EXPECT_EQ(e.make_series(defaults)->name(), e.name);
        } else {
            ASSERT_TRUE(e.make_cross_section);
            EXPECT_EQ(e.make_cross_section(defaults)->name(), e.name);
        }
    }
}

// The declared defaults are the C++ defaults (specs are built from a default options struct).
TEST(Registry, DeclaredDefaultsAreTheOptionDefaults) {
    const auto* e = find_detector("rolling_baseline");
    const auto o = rolling_baseline::options_from(e->defaults());
    const rolling_baseline_options d;
    EXPECT_EQ(o.window, d.window);
    EXPECT_EQ(o.min_history, d.min_history);
    EXPECT_EQ(o.guard, d.guard);
    EXPECT_EQ(o.exclude_alerts, d.exclude_alerts);
    EXPECT_EQ(o.watch_z, d.watch_z);
    EXPECT_EQ(o.alert_z, d.alert_z);
    EXPECT_EQ(o.min_sd, d.min_sd);
}

// What a YAML reader does with `rolling_baseline: {window: 4, min_history: 6, alert_z: 1}`:
// single values pass, the cross-field rules come back naming the key to point at.
TEST(Registry, ConfigurationProblemsNameTheKey) {
    const auto* e = find_detector("rolling_baseline");
    auto v = e->defaults();
    EXPECT_FALSE(v.set("window", "4").has_value());
    EXPECT_FALSE(v.set("min_history", "6").has_value());
    EXPECT_FALSE(v.set("alert_z", "1").has_value());
    const auto problems = e->check(v);
    ASSERT_EQ(problems.size(), 2u);
    EXPECT_EQ(problems[0].field, "min_history");
    EXPECT_EQ(problems[0].to_string(), "<input>: min_history = 6: must be <= window = 4");
    EXPECT_EQ(problems[1].field, "alert_z");
    EXPECT_THROW((void)e->make_series(v), wbe::config_error);
    const auto unknown = v.set("lookback", "8");
    ASSERT_TRUE(unknown.has_value());
    EXPECT_EQ(unknown->rule,
              "unknown parameter of rolling_baseline; known: window, min_history, guard, exclude_alerts, watch_z, "
              "alert_z, min_sd, censored");
}

TEST(Registry, EarsVariantsHaveTheirOwnDefaults) {
    EXPECT_EQ(find_detector("ears_c1")->defaults().real("alert"), 3.0);
    EXPECT_EQ(find_detector("ears_c3")->defaults().real("alert"), 2.0);
    EXPECT_EQ(find_detector("ears_c3")->make_series(find_detector("ears_c3")->defaults())->min_history(), 11u);
}

// ---- The invariant battery ----

std::vector<std::pair<std::string, series>> fixtures() {
    std::vector<std::pair<std::string, series>> f;
    f.emplace_back("empty", series{});
    f.emplace_back("one", wbe::test::quarterly({10}));
    f.emplace_back("all missing", wbe::test::quarterly({wbe::test::nan, wbe::test::nan, wbe::test::nan}));
    f.emplace_back("constant", wbe::test::quarterly(std::vector<double>(16, 7.0)));
    f.emplace_back("zeros and negatives", wbe::test::quarterly({0, 5, -1, 6, 0, 7, 5, 6, 0, 8, 9, 0, 7}));
    auto gappy = wbe::test::quarterly({10, wbe::test::nan, 12, 11, wbe::test::nan, wbe::test::nan, 13, 9, 10, 30, 11});
    f.emplace_back("gaps", gappy);
    auto censored = wbe::test::quarterly({3, 3, 12, 3, 11, 13, 3, 10, 12, 40, 3, 11, 12, 3});
    for (std::size_t i : {0u, 1u, 3u, 6u, 10u, 13u}) wbe::test::censor(censored, i, 3.0, 6.0);
    f.emplace_back("censored", censored);
    auto no_time = wbe::test::quarterly({10, 11, 12, 13, 14, 15, 16, 17, 18});
    for (auto& o : no_time.campaigns) o.time = wbe::test::nan;
    f.emplace_back("no times", no_time);
    std::mt19937 rng(42);
    std::lognormal_distribution<double> ln(2.0, 0.3);
    std::vector<double> random(40);
    for (auto& x : random) x = ln(rng);
    random[33] *= 8.0;  // a spike
    f.emplace_back("random 40 with a spike", wbe::test::quarterly(random));
    return f;
}

TEST(Registry, EverySeriesDetectorSurvivesAwkwardSeries) {
    for (const auto& e : detector_registry()) {
        if (e.input != input_kind::series) continue;
        const auto detector = e.make_series(e.defaults());
        for (const auto& [label, s] : fixtures()) {
            SCOPED_TRACE(e.name + " on " + label);
            detection d;
            ASSERT_NO_THROW(d = detector->run(s));
            ASSERT_EQ(d.campaigns.size(), s.campaigns.size());
            EXPECT_EQ(d.summary.n_none + d.summary.n_watch + d.summary.n_alert + d.summary.n_not_evaluable,
                      s.campaigns.size());
            std::size_t with_value = 0;
            for (std::size_t i = 0; i < s.campaigns.size(); ++i) {
                const auto& r = d.campaigns[i];
                EXPECT_EQ(r.campaign, s.campaigns[i].campaign);
                EXPECT_FALSE(r.reason.empty()) << "campaign " << i << " " << to_string(r.level);
                EXPECT_EQ(r.reason.find('\n'), std::string::npos) << "one line";
                if (std::isnan(s.campaigns[i].value)) {
                    EXPECT_EQ(r.level, detection_level::not_evaluable);
                    continue;
                }
                // below the stated minimum history nothing is evaluated
                if (with_value++ < detector->min_history()) {
                    EXPECT_EQ(r.level, detection_level::not_evaluable) << i;
                }
                if (r.level == detection_level::watch || r.level == detection_level::alert) {
                    EXPECT_FALSE(std::isnan(r.statistic)) << i;
                }
            }
        }
    }
}

TEST(Registry, PlantedSpikeIsFoundByTheBaselineDetectors) {
    const auto all = fixtures();
    const series& s = all.back().second;
    for (const char* name : {"rolling_baseline", "percentile_level", "ewma"}) {
        const auto* e = find_detector(name);
        const auto d = e->make_series(e->defaults())->run(s);
        EXPECT_EQ(d.campaigns[33].level, detection_level::alert) << name << ": " << d.campaigns[33].reason;
    }
}

TEST(Registry, PeerRankSurvivesAwkwardCrossSections) {
    const auto* e = find_detector("peer_rank");
    const auto detector = e->make_cross_section(e->defaults());
    cross_section c;
    c.campaign = "2024Q1";
    EXPECT_TRUE(detector->run(c).campaigns.empty());
    c.sites = {{"A", "wwtp", wbe::test::nan}, {"B", "", 0.0}, {"C", "wwtp", -1.0}, {"D", "wwtp", 1e300}};
    const auto d = detector->run(c);
    ASSERT_EQ(d.campaigns.size(), 4u);
    for (const auto& r : d.campaigns) EXPECT_FALSE(r.reason.empty());
}

}  // namespace

namespace {

// explain::none (levels only, for screening runs) gives the same levels and numbers as
// explain::all and writes no reason at all — for every registered series detector, on a noisy
// series with a jump, a gap and a non-positive value.
TEST(Registry, ExplainNoneKeepsLevelsAndDropsEveryReason) {
    std::mt19937_64 gen(7);
    std::lognormal_distribution<double> noise(std::log(50.0), 0.3);
    std::vector<double> values;
    for (int i = 0; i < 40; ++i) values.push_back(noise(gen));
    values[30] *= 20.0;        // a jump
    values[12] = std::nan("");  // a gap
    values[20] = 0.0;          // no logarithm
    const auto s = wbe::test::quarterly(values);
    std::size_t raised = 0;
    for (const auto& entry : detector_registry()) {
        if (!entry.make_series) continue;
        const auto d = entry.make_series(entry.defaults());
        const detection all = d->run(s, explain::all);
        const detection none = d->run(s, explain::none);
        ASSERT_EQ(all.campaigns.size(), none.campaigns.size()) << entry.name;
        for (std::size_t i = 0; i < all.campaigns.size(); ++i) {
            EXPECT_EQ(all.campaigns[i].level, none.campaigns[i].level) << entry.name << " campaign " << i;
            EXPECT_TRUE(none.campaigns[i].reason.empty()) << entry.name << " campaign " << i << ": " << none.campaigns[i].reason;
            const auto same = [](double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); };
            EXPECT_TRUE(same(all.campaigns[i].statistic, none.campaigns[i].statistic)) << entry.name << " campaign " << i;
            if (all.campaigns[i].level == detection_level::watch || all.campaigns[i].level == detection_level::alert) ++raised;
        }
    }
    EXPECT_GT(raised, 0u);  // the jump is seen, so levels were really compared
}

// run_columns() (the bulk path: caller-owned arrays, per-thread buffers, no text) gives every
// level and the bits of every number that run() gives, for every registered detector at its
// defaults and in variants, on random series with gaps, missing times, censored values with and
// without limits, ties, values <= 0, infinite values and time in days; and on random
// cross-sections with ties (±0 among them), gaps, infinite values and censored sites (half of
// them without, for the levels-only path).
series random_awkward_series(std::mt19937_64& g) {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::normal_distribution<double> eps(0.0, 1.0);
    series s;
    const bool days = u(g) < 0.2, ties = u(g) < 0.3, censored = u(g) < 0.4;
    s.units_per_year = days ? 365.25 : 1.0;
    const auto n = static_cast<int>(u(g) * 36);
    const double mu = 5.0 * u(g);
    double t = 0.0;
    for (int i = 0; i < n; ++i) {
        observation o;
        t += u(g) < 0.2 ? 0.5 : 0.25;
        o.campaign = "c" + std::to_string(i);
        o.time = u(g) < 0.03 ? wbe::test::nan : days ? 365.25 * t : 2015.0 + t;
        o.season = u(g) < 0.05 ? 0 : i % 4 + 1;
        double v = std::exp(mu + 0.5 * eps(g) + (u(g) < 0.05 ? 2.0 : 0.0));
        if (ties) v = std::round(2.0 * v) / 2.0;
        const double r = u(g);
        if (r < 0.06) v = wbe::test::nan;
        else if (r < 0.08) v = 0.0;
        else if (r < 0.09) v = -1.0;
        else if (r < 0.095 && !censored) v = std::numeric_limits<double>::infinity();  // robust ROS refuses an infinite detect
        o.value = v;
        if (censored && std::isfinite(v) && v > 0.0 && u(g) < 0.3) {
            o.censored = true;
            const double c = u(g);
            if (c < 0.7) o.upper = 2.0 * v;
            if (c >= 0.4 && c < 0.7) o.lower = 0.5 * v;
            if (c >= 0.7 && c < 0.8) o.upper = 1.0;  // a common limit
        }
        s.campaigns.push_back(o);
    }
    return s;
}

cross_section random_cross_section(std::mt19937_64& g) {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    cross_section c;
    c.campaign = "2020Q1";
    const auto n = static_cast<std::size_t>(u(g) * 60);
    const bool ties = u(g) < 0.3, censored = u(g) < 0.5;
    const int groups = 1 + static_cast<int>(u(g) * 4);
    for (std::size_t i = 0; i < n; ++i) {
        peer p;
        p.site_id = "s" + std::to_string(i);
        p.group = "g" + std::to_string(static_cast<int>(u(g) * groups));
        double v = std::exp(3.0 * u(g));
        if (ties) v = std::round(v);
        const double r = u(g);
        p.value = r < 0.05 ? wbe::test::nan : r < 0.07 ? 0.0 : r < 0.08 ? -0.0 : r < 0.09 ? std::numeric_limits<double>::infinity() : v;
        if (censored && p.value > 0.0 && std::isfinite(p.value) && u(g) < 0.15) {
            p.censored = true;
            p.upper = u(g) < 0.5 ? 2.0 * v : wbe::test::nan;
        }
        c.sites.push_back(p);
    }
    return c;
}

// Every number column equal to run()'s to the bit, every level equal.
void expect_columns_equal(const detection& d, const std::vector<detection_level>& level,
                          const std::vector<std::vector<double>>& numbers, const std::string& what) {
    ASSERT_EQ(d.campaigns.size(), level.size()) << what;
    for (std::size_t i = 0; i < level.size(); ++i) {
        const campaign_result& r = d.campaigns[i];
        ASSERT_EQ(level[i], r.level) << what << " entry " << i;
        const double expected[] = {r.expected, r.upper_bound, r.statistic, r.p_value};
        for (std::size_t k = 0; k < 4; ++k)
            ASSERT_EQ(std::bit_cast<std::uint64_t>(numbers[k][i]), std::bit_cast<std::uint64_t>(expected[k]))
                << what << " entry " << i << " column " << k;
    }
}

TEST(Registry, RunColumnsEqualsRunBitForBit) {
    std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> configs;
    for (const auto& e : detector_registry()) configs.push_back({e.name, {}});
    configs.push_back({"rolling_baseline", {{"exclude_alerts", "false"}, {"guard", "1"}, {"censored", "substitute"}}});
    configs.push_back({"rolling_baseline", {{"exclude_alerts", "false"}}});
    configs.push_back({"rolling_baseline", {{"guard", "2"}, {"window", "5"}, {"min_history", "3"}, {"alert_z", "3"}}});
    configs.push_back({"rolling_baseline", {{"window", "7"}, {"watch_z", "1"}, {"alert_z", "2"}, {"min_sd", "0"}}});
    configs.push_back({"rolling_baseline", {{"window", "12"}}});
    configs.push_back({"percentile_level", {{"min_sd", "0"}, {"lookback", "12"}}});
    configs.push_back({"percentile_level", {{"lookback", "5"}, {"min_history", "2"}, {"percentile", "0.5"}, {"watch", "2"}, {"alert", "3"}}});
    configs.push_back({"percentile_level", {{"lookback", "10"}, {"percentile", "0.9"}, {"watch", "0.5"}, {"alert", "1"}, {"min_sd", "0.3"}}});
    configs.push_back({"percentile_level", {{"min_sd", "0"}, {"watch", "1"}, {"alert", "2.718281828459045"}}});
    configs.push_back({"cusum", {{"reference", "rolling"}, {"reset", "false"}}});
    configs.push_back({"cusum", {{"reference", "rolling"}, {"guard", "2"}, {"window", "5"}, {"min_history", "3"}, {"k", "0"}, {"h", "2"}, {"watch", "1"}}});
    configs.push_back({"cusum", {{"reset", "false"}, {"window", "4"}, {"log_scale", "false"}, {"min_sd", "0"}}});
    configs.push_back({"cusum", {{"mean", "2"}, {"sd", "0.5"}, {"k", "1"}, {"h", "3"}, {"watch", "1.5"}}});
    configs.push_back({"cusum", {{"mean", "3"}, {"reset", "false"}, {"window", "3"}}});
    configs.push_back({"ears_c1", {{"baseline", "3"}, {"watch", "0.5"}, {"alert", "1"}, {"min_sigma", "0.5"}}});
    configs.push_back({"ears_c2", {{"baseline", "10"}, {"watch", "-1"}, {"alert", "0"}}});
    configs.push_back({"ears_c3", {{"baseline", "4"}, {"watch", "0.5"}, {"alert", "1.5"}, {"censored", "substitute"}}});
    configs.push_back({"ears_c3", {{"baseline", "3"}, {"watch", "-0.5"}, {"alert", "0"}, {"min_sigma", "2"}}});
    configs.push_back({"change", {{"watch", "0.05"}, {"alert", "0.1"}, {"tolerance", "0.01"}}});
    configs.push_back({"change", {{"basis", "quarter"}, {"watch", "0.2"}, {"alert", "0.25"}, {"stable", "0"}}});
    configs.push_back({"ewma", {{"log_scale", "false"}, {"window", "4"}, {"min_history", "2"}}});
    configs.push_back({"ewma", {{"guard", "1"}, {"lambda", "1"}, {"watch_p", "0.3"}}});
    configs.push_back({"trend", {{"min_rise", "0"}, {"watch_p", "0.3"}, {"alert_p", "0.2"}}});
    configs.push_back({"trend", {{"seasonal", "true"}}});
    configs.push_back({"trend", {{"log_scale", "false"}, {"window", "6"}, {"min_history", "3"}, {"min_rise", "0"}}});
    configs.push_back({"change", {{"basis", "quarter"}}});
    configs.push_back({"peer_rank", {{"min_peers", "2"}}});
    configs.push_back({"peer_rank", {{"watch_share", "0.5"}, {"alert_share", "0.5"}, {"min_peers", "3"}}});
    configs.push_back({"peer_rank", {{"watch_share", "1"}, {"alert_share", "0.05"}, {"min_peers", "12"}}});
    std::vector<detection_level> level, levels_only;
    std::vector<std::vector<double>> numbers(4);
    const auto columns = [&](std::size_t n) {
        level.assign(n, detection_level::none);
        for (auto& c : numbers) c.assign(n, -123.0);  // stale values must be overwritten
        return result_columns{level, numbers[0], numbers[1], numbers[2], numbers[3]};
    };
    for (const auto& [name, settings] : configs) {
        const detector_entry* e = find_detector(name);
        ASSERT_NE(e, nullptr) << name;
        auto values = e->defaults();
        std::string what = name;
        for (const auto& [key, text] : settings) {
            ASSERT_FALSE(values.set(key, text).has_value()) << name << " " << key;
            what += " " + key + "=" + text;
        }
        std::mt19937_64 g(2024);  // the same data for every configuration
        if (e->input == input_kind::series) {
            const auto d = e->make_series(values);
            for (int k = 0; k < 2500; ++k) {
                const series s = random_awkward_series(g);
                d->run_columns(s, columns(s.campaigns.size()));
                const detection expected = d->run(s, explain::raised);
                expect_columns_equal(expected, level, numbers, what + " series " + std::to_string(k));
                if (HasFatalFailure()) return;
                // Levels only: a detector may then skip the numbers (evaluate_levels()).
                levels_only.assign(s.campaigns.size(), detection_level::none);
                d->run_columns(s, result_columns{levels_only, {}, {}, {}, {}});
                for (std::size_t i = 0; i < levels_only.size(); ++i)
                    ASSERT_EQ(levels_only[i], expected.campaigns[i].level) << what << " levels only, series " << k << " entry " << i;
            }
        } else {
            const auto d = e->make_cross_section(values);
            for (int k = 0; k < 500; ++k) {
                const cross_section c = random_cross_section(g);
                d->run_columns(c, columns(c.sites.size()));
                const detection expected = d->run(c, explain::raised);
                expect_columns_equal(expected, level, numbers, what + " section " + std::to_string(k));
                if (HasFatalFailure()) return;
                levels_only.assign(c.sites.size(), detection_level::none);
                d->run_columns(c, result_columns{levels_only, {}, {}, {}, {}});
                for (std::size_t i = 0; i < levels_only.size(); ++i)
                    ASSERT_EQ(levels_only[i], expected.campaigns[i].level) << what << " levels only, section " << k << " entry " << i;
            }
        }
    }
}

}  // namespace

// config/README.md documents every registered detector and each of its parameters with the
// default, rule, unit and meaning the code declares (the README must describe the code as it is).
TEST(Registry, ConfigReadmeDocumentsEveryParameter) {
    std::ifstream in(wbe::test::source_dir() + "/config/README.md");
    ASSERT_TRUE(in) << "config/README.md";
    const std::string readme((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const auto& d : wbe::detectors::detector_registry()) {
        const std::size_t at = readme.find("**`" + d.name + "`**");
        ASSERT_NE(at, std::string::npos) << "no section for " << d.name;
        const std::size_t end = readme.find("\n\n", readme.find("| parameter |", at));
        const std::string section = readme.substr(at, end - at);
        for (const auto& p : d.parameters) {
            const std::string row = "| `" + p.name + "` | " + p.default_text + " | " + p.rule() + " | " + p.unit + " | " +
                                    p.meaning + " |";
            EXPECT_NE(section.find(row), std::string::npos) << d.name << ": expected the row\n" << row;
        }
    }
}
