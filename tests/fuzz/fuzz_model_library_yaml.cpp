// libFuzzer target: the model library's YAML readers (wbe/io/model_library.hpp), each reading
// the input from a scratch file. The input's first line picks the file, so that one corpus
// covers the three readers and a mutation can move an input between them:
//   `# set ...`       a model set, sets/europe.yaml over the methamphetamine, amphetamine and
//                     ketamine files of models/ (load_model_set(dir, "europe"));
//   `# constants ...` the population constants (load_population_constants);
//   anything else     a residue file, the only file of its folder (load_model_set(dir)).
// Documented error: config_error.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "wbe/io/model_library.hpp"

namespace fs = std::filesystem;

namespace {

struct folders {
    fs::path residue_dir, set_dir, constants;
    folders() {
        const fs::path root = wbe::fuzz::scratch_dir();
        residue_dir = root / "residue";
        fs::create_directories(residue_dir);
        set_dir = root / "set";
        fs::create_directories(set_dir / "sets");
        for (const char* r : {"methamphetamine", "amphetamine", "ketamine"})
            fs::create_symlink(wbe::fuzz::source_dir() + "/models/" + r + ".yaml", set_dir / (std::string(r) + ".yaml"));
        constants = root / "constants.yaml";
    }
};

void check_parameter(const wbe::parameter& p) {
    if (!p.present()) return;
    wbe::fuzz::check(!p.source.empty(), "every parameter has its source");
    wbe::fuzz::check(std::isnan(p.rsd) || p.rsd >= 0.0, "rsd >= 0");
}

void check_set(const wbe::model_set& set) {
    wbe::fuzz::check(!set.residues.empty(), "a set has residues");
    for (const auto& r : set.residues) {
        wbe::fuzz::check(r.molecular_weight.value > 0.0, "molecular weight > 0");
        check_parameter(r.molecular_weight);
        check_parameter(r.sorption_fraction);
        check_parameter(r.in_sewer_half_life);
        if (r.drug) {
            const auto& f = r.drug->excretion_fraction;
            wbe::fuzz::check(!f.present() || (f.value > 0.0 && f.value <= 1.0), "excretion fraction in (0, 1]");
            check_parameter(r.drug->molecular_weight);
            check_parameter(r.drug->excretion_fraction);
            check_parameter(r.drug->correction_factor);
            check_parameter(r.drug->dose);
        }
        wbe::fuzz::check(set.find(r.residue) == &r, "a residue id finds its own model");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const folders f;
    const std::string_view text = wbe::fuzz::as_text(data, size);
    try {
        if (text.starts_with("# set")) {
            wbe::fuzz::write_bytes(f.set_dir / "sets" / "europe.yaml", data, size);
            check_set(wbe::io::load_model_set(f.set_dir.string(), "europe"));
        } else if (text.starts_with("# constants")) {
            wbe::fuzz::write_bytes(f.constants, data, size);
            const wbe::population_constants c = wbe::io::load_population_constants(f.constants.string());
            for (const auto& p : c.per_capita)
                wbe::fuzz::check(p.grams_per_person_day > 0.0 && p.rsd >= 0.0, "per-capita load > 0, rsd >= 0");
        } else {
            wbe::fuzz::write_bytes(f.residue_dir / "methamphetamine.yaml", data, size);
            check_set(wbe::io::load_model_set(f.residue_dir.string()));
        }
    } catch (const wbe::config_error& e) {
        wbe::fuzz::check_message(e);
    }
    return 0;
}
