// libFuzzer target: an assay batch (wbe/io/assay_csv.hpp) parsed from memory, checked against
// the example city's sites and the default model library. Documented error: input_error.
// Differential too: read_assay_batch reads a file a chunk at a time on its own fast path and
// must give the same batch, or the same error, as parse_assay_batch of the same bytes.

#include <cmath>
#include <cstring>
#include <optional>
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

/// What a reading gave: the batch, or the error's message.
struct outcome {
    std::optional<wbe::io::assay_batch> batch;
    std::string error;
};

template <class Read>
outcome reading(Read&& read) {
    outcome o;
    try {
        o.batch = read();
    } catch (const wbe::input_error& e) {
        o.error = e.what();
    }
    return o;
}

bool same_value(double a, double b) { return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0; }

void check_same(const outcome& whole, const outcome& file) {
    wbe::fuzz::check(whole.batch.has_value() == file.batch.has_value(), "read_assay_batch accepts what parse_assay_batch accepts");
    if (!whole.batch) {
        wbe::fuzz::check(whole.error == file.error, "read_assay_batch reports parse_assay_batch's error");
        return;
    }
    const auto &a = *whole.batch, &b = *file.batch;
    wbe::fuzz::check(a.batch_id == b.batch_id && a.content_hash == b.content_hash && a.results.size() == b.results.size(),
                     "read_assay_batch gives parse_assay_batch's batch");
    for (std::size_t i = 0; i < a.results.size(); ++i) {
        const auto &x = a.results[i], &y = b.results[i];
        wbe::fuzz::check(x.sample_id == y.sample_id && x.site_id == y.site_id && x.day == y.day && x.analyte == y.analyte &&
                             x.conc.qual == y.conc.qual && same_value(x.conc.value, y.conc.value) &&
                             same_value(x.conc.lod, y.conc.lod) && same_value(x.conc.loq, y.conc.loq) &&
                             x.method_id == y.method_id && x.lab_id == y.lab_id && x.sample_type == y.sample_type &&
                             same_value(x.recovery_pct, y.recovery_pct) && x.notes == y.notes,
                         "read_assay_batch gives parse_assay_batch's rows");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const context ctx;
    const std::string_view text = wbe::fuzz::as_text(data, size);
    const std::filesystem::path file = wbe::fuzz::scratch_dir() / "fuzz.csv";
    wbe::fuzz::write_bytes(file, data, size);
    // Both readings of a 0: the switch takes another branch of the value checks.
    for (const bool zero_means_below_loq : {false, true}) {
        wbe::io::assay_read_options opt;
        opt.models = &ctx.models;
        opt.site_exists = [](std::string_view id) { return ctx.sites.count(id) > 0; };
        opt.zero_means_below_loq = zero_means_below_loq;
        const outcome whole = reading([&] { return wbe::io::parse_assay_batch(text, file.string(), opt); });
        check_same(whole, reading([&] { return wbe::io::read_assay_batch(file.string(), opt); }));
        if (whole.batch) {
            const wbe::io::assay_batch& b = *whole.batch;
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
        } else {
            wbe::fuzz::check(!whole.error.empty(), "an input_error has a message");
        }
    }
    return 0;
}
