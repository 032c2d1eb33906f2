// Tests for wbe/core/detectors/parameters.hpp: rule texts, parsing `key: value` text, unknown
// keys, `auto`, and the exact diagnostics a configuration reader will attach a location to.

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "wbe/core/detectors/parameters.hpp"

namespace {

using namespace wbe::detectors;

std::vector<parameter_spec> specs() {
    parameter_spec window;
    window.name = "window";
    window.type = parameter_type::integer;
    window.default_text = "8";
    window.min = 3;
    window.max = 1000;
    parameter_spec z;
    z.name = "watch_z";
    z.default_text = "2.5";
    z.min = 0;
    z.min_exclusive = true;
    parameter_spec mean;
    mean.name = "mean";
    mean.default_text = "auto";
    mean.allows_auto = true;
    parameter_spec reset;
    reset.name = "reset";
    reset.type = parameter_type::boolean;
    reset.default_text = "false";
    parameter_spec reference;
    reference.name = "reference";
    reference.type = parameter_type::choice;
    reference.default_text = "first";
    reference.choices = {"first", "rolling"};
    parameter_spec p;
    p.name = "p";
    p.default_text = "0.05";
    p.min = 0;
    p.max = 1;
    p.min_exclusive = p.max_exclusive = true;
    return {window, z, mean, reset, reference, p};
}

TEST(Parameters, RuleTexts) {
    const auto s = specs();
    EXPECT_EQ(s[0].rule(), "must be an integer in [3, 1000]");
    EXPECT_EQ(s[1].rule(), "must be a number > 0");
    EXPECT_EQ(s[2].rule(), "must be a number or auto");
    EXPECT_EQ(s[3].rule(), "must be true or false");
    EXPECT_EQ(s[4].rule(), "must be one of: first, rolling");
    EXPECT_EQ(s[5].rule(), "must be a number in (0, 1)");
}

TEST(Parameters, DefaultsAndTypedAccess) {
    const parameter_values v("demo", specs());
    EXPECT_EQ(v.integer("window"), 8);
    EXPECT_EQ(v.real("watch_z"), 2.5);
    EXPECT_TRUE(std::isnan(v.real("mean")));
    EXPECT_FALSE(v.boolean("reset"));
    EXPECT_EQ(v.choice("reference"), "first");
    EXPECT_FALSE(v.is_set("window"));
    EXPECT_EQ(v.text("mean"), "auto");
    EXPECT_THROW((void)v.real("window"), std::logic_error);  // a programming error, not a config error
}

TEST(Parameters, SetFromText) {
    parameter_values v("demo", specs());
    EXPECT_FALSE(v.set("window", "12").has_value());
    EXPECT_FALSE(v.set("watch_z", "3e0").has_value());
    EXPECT_FALSE(v.set("mean", "2.75").has_value());
    EXPECT_FALSE(v.set("reset", "yes").has_value());
    EXPECT_FALSE(v.set("reference", "rolling").has_value());
    EXPECT_EQ(v.integer("window"), 12);
    EXPECT_EQ(v.real("watch_z"), 3.0);
    EXPECT_EQ(v.real("mean"), 2.75);
    EXPECT_TRUE(v.boolean("reset"));
    EXPECT_EQ(v.choice("reference"), "rolling");
    EXPECT_TRUE(v.is_set("window"));
    EXPECT_FALSE(v.set("mean", "auto").has_value());
    EXPECT_TRUE(std::isnan(v.real("mean")));
}

// Each problem is key + value + rule with an empty location: the reader adds file:line:col.
TEST(Parameters, ProblemsNameKeyValueAndRule) {
    parameter_values v("demo", specs());
    const auto expect = [&](const char* key, const char* text, const char* message) {
        const auto d = v.set(key, text);
        ASSERT_TRUE(d.has_value()) << key << " = " << text;
        EXPECT_EQ(d->field, key);
        EXPECT_EQ(d->value, text);
        EXPECT_TRUE(d->where.file.empty());
        EXPECT_EQ(d->to_string(), message);
    };
    expect("window", "2", "<input>: window = 2: must be an integer in [3, 1000]");
    expect("window", "8.0", "<input>: window = 8.0: must be an integer in [3, 1000]");
    expect("window", "eight", "<input>: window = eight: must be an integer in [3, 1000]");
    expect("watch_z", "0", "<input>: watch_z = 0: must be a number > 0");
    expect("watch_z", "nan", "<input>: watch_z = nan: must be a number > 0");
    expect("watch_z", "auto", "<input>: watch_z = auto: must be a number > 0");
    expect("watch_z", "2 SD", "<input>: watch_z = 2 SD: must be a number > 0");
    expect("reset", "maybe", "<input>: reset = maybe: must be true or false");
    expect("reference", "median", "<input>: reference = median: must be one of: first, rolling");
    expect("p", "1", "<input>: p = 1: must be a number in (0, 1)");
    expect("windw", "8", "<input>: windw = 8: unknown parameter of demo; known: window, watch_z, mean, reset, reference, p");
    // a rejected value leaves the previous one
    EXPECT_EQ(v.integer("window"), 8);
    // the reader adds the location
    auto d = *v.set("window", "2");
    d.where = {"config/thresholds.yaml", 14, 13};
    EXPECT_EQ(d.to_string(), "config/thresholds.yaml:14:13: window = 2: must be an integer in [3, 1000]");
}

TEST(Parameters, CheckNumberForOptionsBuiltInCpp) {
    const auto s = specs();
    EXPECT_FALSE(check_number(s[0], 8).has_value());
    EXPECT_TRUE(check_number(s[0], 8.5).has_value());
    EXPECT_TRUE(check_number(s[1], 0.0).has_value());
    EXPECT_FALSE(check_number(s[2], std::nan("")).has_value());  // auto allowed
    EXPECT_TRUE(check_number(s[1], std::nan("")).has_value());
    std::vector<wbe::diagnostic> out;
    check_option(s, "window", 2000, out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].to_string(), "<input>: window = 2000: must be an integer in [3, 1000]");
}

TEST(Parameters, FormatParameterRoundTrips) {
    EXPECT_EQ(format_parameter(0.1), "0.1");
    EXPECT_EQ(format_parameter(2.0), "2");
    EXPECT_EQ(format_parameter(1.6448536269514722), "1.6448536269514722");
    EXPECT_EQ(format_parameter(std::nan("")), "auto");
}

}  // namespace
