// libFuzzer target: a run config (wbe/io/run_config.hpp) read from a scratch file in a
// project-shaped folder (models/, data/ and config/thresholds.yaml as in the repository), then
// its rules resolved against the default model library and its detector settings applied to a
// plant and a venue. Documented error: config_error.

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "wbe/io/model_library.hpp"
#include "wbe/io/run_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const wbe::model_set models = wbe::io::load_model_set(wbe::fuzz::source_dir() + "/models");
    static const std::string path = (wbe::fuzz::config_sandbox() / "fuzz.yaml").string();
    wbe::fuzz::write_bytes(path, data, size);
    try {
        wbe::io::run_config c = wbe::io::load_run_config(path);
        wbe::fuzz::check(c.hash.size() == 32, "config hash is 32 hex digits");
        wbe::fuzz::check(!c.store.empty() && !c.models_dir.empty(), "store and models are required");
        wbe::io::resolve_rules(c, models);
        wbe::site plant, venue;
        plant.id = "P-1";
        plant.kind = "wwtp";
        venue.id = "V-1";
        venue.kind = "venue";
        wbe::io::detector_resolver resolve(c.detectors);
        for (const auto& s : {plant, venue}) {
            (void)resolve(s, "methamphetamine");
            for (const auto& [drug, settings] : c.detectors.drugs) (void)resolve(s, drug);
        }
    } catch (const wbe::config_error& e) {
        wbe::fuzz::check_message(e);
    }
    return 0;
}
