// libFuzzer target: the sites file (wbe/io/sites.hpp) in YAML, read from a scratch file (the
// reader takes a path). Documented error: config_error.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "fuzz_support.hpp"
#include "wbe/io/assay_csv.hpp"
#include "wbe/io/sites.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string path = (wbe::fuzz::scratch_dir() / "sites.yaml").string();
    wbe::fuzz::write_bytes(path, data, size);
    try {
        const wbe::io::sites_file f = wbe::io::read_sites(path);
        std::set<std::string> ids;
        for (const auto& s : f.sites) {
            wbe::fuzz::check(!s.id.empty() && s.id.size() <= wbe::io::max_id_length, "site id width");
            wbe::fuzz::check(ids.insert(s.id).second, "site ids are unique");
            wbe::fuzz::check(s.kind == "wwtp" || s.kind == "venue", "kind is wwtp or venue");
            wbe::fuzz::check(!s.is_plant() || s.population > 0.0, "a plant has a population > 0");
            wbe::fuzz::check(s.domestic_fraction > 0.0 && s.domestic_fraction <= 1.0, "domestic_fraction in (0, 1]");
        }
    } catch (const wbe::config_error& e) {
        wbe::fuzz::check_message(e);
    }
    return 0;
}
