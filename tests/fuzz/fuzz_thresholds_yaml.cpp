// libFuzzer target: a thresholds file (`thresholds: FILE` of a run config, wbe/io/run_config.hpp:
// threshold, ratio and detector rules), read through a fixed run config that names it, then
// resolved against the default model library and applied to a plant and a venue. Documented
// error: config_error.

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

#include "fuzz_support.hpp"
#include "wbe/io/model_library.hpp"
#include "wbe/io/run_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const wbe::model_set models = wbe::io::load_model_set(wbe::fuzz::source_dir() + "/models");
    static const std::string config = [] {
        const std::string p = (wbe::fuzz::config_sandbox() / "rules.yaml").string();
        std::ofstream(p) << "store: ../out/fuzz.h5\nmodels: {dir: ../models}\nthresholds: fuzz-thresholds.yaml\n";
        return p;
    }();
    static const std::string path = (wbe::fuzz::config_sandbox() / "fuzz-thresholds.yaml").string();
    wbe::fuzz::write_bytes(path, data, size);
    try {
        wbe::io::run_config c = wbe::io::load_run_config(config);
        wbe::io::resolve_rules(c, models);
        for (const auto& t : c.thresholds) wbe::fuzz::check(!(t.alert < t.watch), "alert >= watch");
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
