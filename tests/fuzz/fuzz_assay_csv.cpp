// libFuzzer target: an assay batch (wbe/io/assay_csv.hpp) parsed from memory, checked against
// the example city's sites and the default model library. Documented error: input_error.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "fuzz_support.hpp"
#include "wbe/io/assay_csv.hpp"
#include "wbe/io/model_library.hpp"
#include "wbe/io/sites.hpp"

namespace {

struct context {
    wbe::model_set models = wbe::io::load_model_set(wbe::fuzz::source_dir() + "/models");
    std::set<std::string, std::less<>> sites;
    context() {
        for (const auto& s : wbe::io::read_sites(wbe::fuzz::source_dir() + "/data/example/sites.yaml").sites) sites.insert(s.id);
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const context ctx;
    const std::string_view text = wbe::fuzz::as_text(data, size);
    // Both readings of a 0: the switch takes another branch of the value checks.
    for (const bool zero_means_below_loq : {false, true}) {
        wbe::io::assay_read_options opt;
        opt.models = &ctx.models;
        opt.site_exists = [](std::string_view id) { return ctx.sites.count(id) > 0; };
        opt.zero_means_below_loq = zero_means_below_loq;
        try {
            const wbe::io::assay_batch b = wbe::io::parse_assay_batch(text, "fuzz.csv", opt);
            // What the reader promises of a batch it accepts.
            wbe::fuzz::check(!b.results.empty(), "an accepted batch has rows");
            wbe::fuzz::check(b.content_hash.size() == 32, "content hash is 32 hex digits");
            for (const auto& r : b.results) {
                wbe::fuzz::check(r.batch_id == b.batch_id, "one batch id per file");
                wbe::fuzz::check(!r.sample_id.empty() && r.sample_id.size() <= wbe::io::max_id_length, "sample id width");
                wbe::fuzz::check(ctx.sites.count(r.site_id) > 0, "site is known");
                wbe::fuzz::check(ctx.models.find(r.analyte) != nullptr, "analyte is known");
                wbe::fuzz::check(std::isnan(r.conc.value) || r.conc.value >= 0.0, "value is NaN or >= 0");
                wbe::fuzz::check(!(r.conc.lod > r.conc.loq), "lod <= loq");
            }
        } catch (const wbe::input_error& e) {
            wbe::fuzz::check_message(e);
            wbe::fuzz::check(!e.diagnostics().empty(), "an input_error holds a diagnostic");
        }
    }
    return 0;
}
