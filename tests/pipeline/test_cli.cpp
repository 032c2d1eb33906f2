// Tests of the `wbe` command line (engine/cli/main.cpp), run as a separate process: exit codes
// (0 ok, 1 bad input or config, 2 usage), messages that say where, and the subcommands on the
// example city.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.hpp"
#include "wbe/version.hpp"

namespace {

namespace fs = std::filesystem;

struct cli_result {
    int code = -1;
    std::string out;
    std::string err;
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

/// Runs `wbe <args>` in `cwd`, capturing stdout and stderr.
cli_result wbe_cli(const std::string& args, const fs::path& cwd) {
    const fs::path out = cwd / ".cli-stdout";
    const fs::path err = cwd / ".cli-stderr";
    const std::string cmd = "cd " + quoted(cwd.string()) + " && " + quoted(wbe::test::paths::cli) + " " + args + " >" +
                            quoted(out.string()) + " 2>" + quoted(err.string()) + " </dev/null";
    const int status = std::system(cmd.c_str());
    cli_result r;
    r.code = (status != -1 && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string example_config() { return quoted(wbe::test::source_dir() + "/config/example.yaml"); }

TEST(cli, every_subcommand_has_help) {
    const wbe::test::temp_dir dir("cli");
    for (const std::string sub : {"", "init", "ingest", "estimate", "flag", "run", "show", "export", "history", "migrate", "report"}) {
        SCOPED_TRACE("wbe " + sub + " --help");
        const cli_result r = wbe_cli(sub + " --help", dir.path());
        EXPECT_EQ(r.code, 0) << r.err;
        EXPECT_TRUE(contains(r.out, "Usage")) << r.out;
        if (!sub.empty()) {
            EXPECT_TRUE(contains(r.out, sub)) << r.out;
        }
    }
}

TEST(cli, version) {
    const wbe::test::temp_dir dir("cli");
    const cli_result r = wbe_cli("--version", dir.path());
    EXPECT_EQ(r.code, 0);
    EXPECT_EQ(r.out, std::string("wbe ") + wbe::engine_version + "\n");
}

TEST(cli, usage_errors_exit_2) {
    const wbe::test::temp_dir dir("cli");
    const std::vector<std::string> cases{"", "frobnicate", "ingest", "estimate", "flag", "init",
                                         "ingest -c " + example_config() + " no-such-batch.csv", "show flags --limit many"};
    for (const std::string& args : cases) {
        SCOPED_TRACE("wbe " + args);
        const cli_result r = wbe_cli(args, dir.path());
        EXPECT_EQ(r.code, 2) << r.out << r.err;
        EXPECT_FALSE(r.err.empty());
    }
}

TEST(cli, ingest_of_the_bad_batch_exits_1_and_says_where) {
    const wbe::test::temp_dir dir("cli");
    fs::copy_file(wbe::test::source_dir() + "/data/example/bad_batch.csv", dir.path() / "bad_batch.csv");
    const cli_result r = wbe_cli("ingest -c " + example_config() + " --store store.h5 bad_batch.csv", dir.path());
    EXPECT_EQ(r.code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "wbe: bad input (nothing was written):\n")) << r.err;
    EXPECT_TRUE(contains(r.err, "\n  bad_batch.csv:4:6: value = -3.2: value must be >= 0\n")) << r.err;
    EXPECT_TRUE(contains(r.err, "\n  bad_batch.csv:14:4: sample_date = 2023-02-30: sample_date must be a calendar date written "
                                "YYYY-MM-DD\n"))
        << r.err;
    EXPECT_TRUE(contains(r.err, "\n  bad_batch.csv:20:11: row has 10 fields, the header has 13\n")) << r.err;
    EXPECT_TRUE(contains(r.err, "\n  12 problem(s)\n")) << r.err;
    EXPECT_FALSE(fs::exists(dir.path() / "store.h5"));
}

TEST(cli, config_errors_exit_1) {
    const wbe::test::temp_dir dir("cli");
    std::ofstream(dir.path() / "c.yaml") << "store: s.h5\nmodels: {dir: " << wbe::test::source_dir() << "/models}\ncolour: red\n";
    const cli_result r = wbe_cli("estimate -c c.yaml", dir.path());
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(contains(r.err, "wbe: bad configuration (nothing was written):\n  c.yaml:3:1: colour = \"\": unknown key in run "
                                "config"))
        << r.err;
}

TEST(cli, run_show_and_export_on_the_example_city) {
    const wbe::test::temp_dir dir("cli");
    const cli_result run = wbe_cli("run -c " + example_config() + " --store store.h5", dir.path());
    ASSERT_EQ(run.code, 0) << run.out << run.err;
    EXPECT_TRUE(contains(run.out, "26 flags (22 alert, 4 watch)")) << run.out;
    EXPECT_TRUE(contains(run.out, "Flagged sites (newest campaign first):\ncampaign  site")) << run.out;
    EXPECT_TRUE(contains(run.out, "LS-WWTP-04")) << run.out;
    EXPECT_TRUE(contains(run.out, "possible_dumping")) << run.out;
    EXPECT_TRUE(contains(run.out, "\nStore: store.h5\n")) << run.out;
    EXPECT_TRUE(fs::exists(dir.path() / "store.h5"));

    const cli_result show = wbe_cli("show flags --store store.h5", dir.path());
    EXPECT_EQ(show.code, 0) << show.err;
    EXPECT_TRUE(contains(show.out, "LS-V-09")) << show.out;
    EXPECT_TRUE(contains(show.out, "possible_dumping")) << show.out;
    EXPECT_EQ(std::count(show.out.begin(), show.out.end(), '\n'), 27) << show.out;  // header + 26 flags

    const cli_result limited = wbe_cli("show estimates_campaign --store store.h5 --scope city -n 3", dir.path());
    EXPECT_EQ(limited.code, 0) << limited.err;
    EXPECT_TRUE(contains(limited.out, "Lanshui")) << limited.out;
    EXPECT_TRUE(contains(limited.out, " more rows\n")) << limited.out;

    const cli_result exported = wbe_cli("export estimates_campaign --store store.h5 -o out.csv", dir.path());
    EXPECT_EQ(exported.code, 0) << exported.err;
    const std::string csv = slurp(dir.path() / "out.csv");
    const std::string header = csv.substr(0, csv.find('\n'));
    EXPECT_EQ(header.rfind("scope,id,", 0), 0u) << header;
    EXPECT_TRUE(contains(header, ",consumption_mg_per_day_per_1000,")) << header;
    const auto lines = std::count(csv.begin(), csv.end(), '\n');
    EXPECT_TRUE(contains(exported.err, "wrote " + std::to_string(lines - 1) + " rows to out.csv")) << exported.err;

    const cli_result to_stdout = wbe_cli("export flags --store store.h5 --site LS-WWTP-01", dir.path());
    EXPECT_EQ(to_stdout.code, 0) << to_stdout.err;
    // header + the dumping flag + the rolling-baseline alert it causes
    EXPECT_EQ(std::count(to_stdout.out.begin(), to_stdout.out.end(), '\n'), 3) << to_stdout.out;
    EXPECT_TRUE(contains(to_stdout.out, "2023-08-15")) << to_stdout.out;

    // Venues: a table of their own in the run summary and in `wbe show venues`, labelled as
    // screening values.
    EXPECT_TRUE(contains(run.out, "screening index (mg/day/1000 person-equivalents")) << run.out;
    EXPECT_TRUE(contains(run.out, "a screening value, not a consumption")) << run.out;
    const cli_result venues = wbe_cli("show venues --store store.h5 --campaign 2024Q2 --drug ketamine -n 0", dir.path());
    EXPECT_EQ(venues.code, 0) << venues.err;
    EXPECT_EQ(venues.out.rfind("site_id  campaign  drug", 0), 0u) << venues.out;
    EXPECT_EQ(std::count(venues.out.begin(), venues.out.end(), '\n'), 21) << venues.out;  // header + 20 venues
    EXPECT_TRUE(contains(venues.out, "LS-V-09")) << venues.out;
    EXPECT_FALSE(contains(venues.out, "LS-WWTP")) << venues.out;
    EXPECT_TRUE(contains(venues.out, "screening\n")) << venues.out;

    const cli_result unknown = wbe_cli("show estimates --store store.h5", dir.path());
    EXPECT_EQ(unknown.code, 1);
    EXPECT_TRUE(contains(unknown.err, "unknown table 'estimates'")) << unknown.err;
}

TEST(cli, supersede_and_history) {
    const wbe::test::temp_dir dir("cli");
    ASSERT_EQ(wbe_cli("ingest -c " + example_config() + " --store store.h5", dir.path()).code, 0);
    std::string text = slurp(fs::path(wbe::test::source_dir()) / "data/example/batches/2022Q1.csv");
    text.replace(text.find(",methamphetamine,143,"), 21, ",methamphetamine,430,");
    std::ofstream(dir.path() / "fixed.csv", std::ios::binary) << text;
    const cli_result refused = wbe_cli("ingest -c " + example_config() + " --store store.h5 fixed.csv", dir.path());
    EXPECT_EQ(refused.code, 1);
    EXPECT_TRUE(contains(refused.err, "ingest with --supersede --reason TEXT")) << refused.err;
    const cli_result done = wbe_cli("ingest -c " + example_config() + " --store store.h5 --supersede --reason \"typo on line 2\" fixed.csv",
                                    dir.path());
    EXPECT_EQ(done.code, 0) << done.err;
    EXPECT_TRUE(contains(done.out, "superseded: LS-2022Q1 (typo on line 2)")) << done.out;
    const cli_result h = wbe_cli("history LS-2022Q1 --store store.h5", dir.path());
    EXPECT_EQ(h.code, 0) << h.err;
    EXPECT_TRUE(contains(h.out, "superseded")) << h.out;
    EXPECT_TRUE(contains(h.out, "typo on line 2")) << h.out;
    EXPECT_EQ(std::count(h.out.begin(), h.out.end(), '\n'), 3) << h.out;  // header + 2 versions
}

TEST(cli, a_store_that_is_not_hdf5_exits_1) {
    const wbe::test::temp_dir dir("cli");
    std::ofstream(dir.path() / "junk.h5") << "not a store\n";
    const cli_result show = wbe_cli("show flags --store junk.h5", dir.path());
    EXPECT_EQ(show.code, 1);
    EXPECT_TRUE(contains(show.err, "wbe: store:\n  junk.h5: not an HDF5 file (is it a wbe store?)\n")) << show.err;
    const cli_result run = wbe_cli("run -c " + example_config() + " --store junk.h5", dir.path());
    EXPECT_EQ(run.code, 1);
    EXPECT_TRUE(contains(run.err, "not an HDF5 file")) << run.err;
    EXPECT_EQ(slurp(dir.path() / "junk.h5"), "not a store\n");
}

TEST(cli, init_creates_a_store_once) {
    const wbe::test::temp_dir dir("cli");
    const cli_result first = wbe_cli("init new.h5 --city Testville", dir.path());
    EXPECT_EQ(first.code, 0) << first.err;
    EXPECT_EQ(first.out, "created new.h5\n");
    const cli_result second = wbe_cli("init new.h5", dir.path());
    EXPECT_EQ(second.code, 1);
    EXPECT_TRUE(contains(second.err, "init refuses to overwrite it")) << second.err;
}

}  // namespace

TEST(cli, flag_compare_prints_the_difference_and_writes_nothing) {
    const wbe::test::temp_dir dir("cli");
    ASSERT_EQ(wbe_cli("run -c " + example_config() + " --store store.h5", dir.path()).code, 0);
    const std::string before = slurp(dir.path() / "store.h5");
    const std::string sensitive = wbe::test::source_dir() + "/config/example-sensitive.yaml";
    const cli_result r = wbe_cli("flag -c " + example_config() + " --store store.h5 --compare " + sensitive, dir.path());
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(contains(r.out, " raises 26 flags, ")) << r.out;
    EXPECT_TRUE(contains(r.out, "\nLS-WWTP-02\n")) << r.out;
    EXPECT_TRUE(contains(r.out, "  + 2023Q3 methamphetamine threshold watch: ")) << r.out;
    EXPECT_EQ(slurp(dir.path() / "store.h5"), before);
    // A missing compare file is a usage error.
    EXPECT_EQ(wbe_cli("flag -c " + example_config() + " --store store.h5 --compare nowhere.yaml", dir.path()).code, 2);
}
