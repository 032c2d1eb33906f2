// Censored-data statistics where the pipeline summarises (issue: non-detects done properly):
// detection frequency and the method-chosen mean per site campaign, and the pooled summaries
// of venue types and districts, on the embedded example city.

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

#include "test_support.hpp"
#include "wbe/io/hdf5_store.hpp"
#include "wbe/pipeline/pipeline.hpp"

namespace {

using namespace wbe;

const io::store_contents& example_store() {
    static const io::store_contents contents = [] {
        const test::temp_dir dir("censored-pipeline");
        pipeline::context ctx = pipeline::load_context(test::source_dir() + "/config/example.yaml", {dir.file("s.h5"), {}, false});
        ctx.config.estimate.uncertainty.method = uncertainty_method::none;  // not needed here; keeps the test fast
        (void)pipeline::run(ctx);
        return io::read_store(dir.file("s.h5"));
    }();
    return contents;
}

TEST(censored_pipeline, plant_detection_frequencies_match_the_generator) {
    // data/example/generate.py prints the censored shares of the plant rows it wrote:
    // mdma 365/420 censored, benzoylecgonine 342/420.
    std::map<std::string, std::pair<double, double>> detected;  // analyte → (detected days, days)
    for (const auto& c : example_store().campaigns) {
        if (c.scope != "site" || c.site_kind != "wwtp") continue;
        auto& [det, n] = detected[c.analyte];
        det += c.detection_frequency * static_cast<double>(c.n_samples);
        n += static_cast<double>(c.n_samples);
    }
    EXPECT_NEAR(detected["mdma"].first, 420.0 - 365.0, 1e-9);
    EXPECT_EQ(detected["mdma"].second, 420.0);
    EXPECT_NEAR(detected["benzoylecgonine"].first, 420.0 - 342.0, 1e-9);
    // Plant methamphetamine is always quantified.
    EXPECT_NEAR(detected["methamphetamine"].first, 420.0, 1e-9);
}

TEST(censored_pipeline, every_site_campaign_states_its_method) {
    std::size_t plain = 0, not_estimable = 0, censored_methods = 0;
    for (const auto& c : example_store().campaigns) {
        if (c.scope != "site" || c.censoring.rfind("composite:", 0) == 0) continue;  // composites are sums, not samples
        ASSERT_FALSE(c.censored_method.empty()) << c.id << " " << c.analyte << " " << c.campaign;
        const double share = static_cast<double>(c.n_censored) / static_cast<double>(c.n_samples);
        if (c.n_censored == 0) {
            // Nothing censored: the plain mean, equal to the substitution mean.
            EXPECT_EQ(c.censored_method, "plain");
            // Plants' drugs are summarised as consumption; venues and non-drug residues
            // (norketamine, cotinine) as concentration.
            const double mean = c.site_kind == "wwtp" && !c.drug.empty() ? c.consumption_mean : c.conc_mean;
            EXPECT_NEAR(c.censored_mean, mean, 1e-9 * std::abs(mean));
            ++plain;
        } else if (share > 0.8) {
            EXPECT_EQ(c.censored_method, "not_estimable");
            EXPECT_TRUE(std::isnan(c.censored_mean));
            EXPECT_NE(c.censored_note.find("censored share"), std::string::npos) << c.censored_note;
            ++not_estimable;
        } else if (c.censored_method == "kaplan_meier" || c.censored_method == "robust_ros") {
            // The restricted Kaplan–Meier mean lies between all non-detects at 0 and all at their
            // limit (it only moves censored mass down). Robust ROS is not bounded so: with two
            // detects its regression can impute a non-detect above its limit (Helsel 2012, ch. 6),
            // as seen on LS-WWTP-03 benzoylecgonine 2023Q3.
            if (c.site_kind == "wwtp" && !c.drug.empty() && c.censored_method == "kaplan_meier") {
                EXPECT_GE(c.censored_mean, c.consumption_censored_low - 1e-9);
                EXPECT_LE(c.censored_mean, c.consumption_censored_high + 1e-9) << c.censored_method << " " << c.id << " " << c.analyte << " " << c.campaign << " " << c.n_censored << "/" << c.n_samples;
            }
            ++censored_methods;
        }
    }
    EXPECT_GT(plain, 0u);
    EXPECT_GT(not_estimable, 0u);
    EXPECT_GT(censored_methods, 0u);
}

TEST(censored_pipeline, mdma_and_benzoylecgonine_summaries_state_their_method) {
    std::size_t rows = 0;
    for (const auto& g : example_store().summaries) {
        if (g.analyte != "mdma" && g.analyte != "benzoylecgonine") continue;
        ++rows;
        EXPECT_FALSE(g.method.empty());
        EXPECT_EQ(g.n, g.n_censored + static_cast<std::size_t>(std::lround(g.detection_frequency * static_cast<double>(g.n))));
        if (static_cast<double>(g.n_censored) > 0.8 * static_cast<double>(g.n)) {
            EXPECT_EQ(g.method, "not_estimable");
        }
        EXPECT_EQ(g.metric, g.group_kind == "district" ? "consumption" : "concentration");  // both are drugs
    }
    // 3 districts and 4 venue types, 12 campaigns, 2 analytes.
    EXPECT_EQ(rows, (3u + 4u) * 12u * 2u);
}

}  // namespace
