// libFuzzer target: daily wastewater quality (wbe/io/water_quality_csv.hpp) parsed from memory
// against the example city's sites. Documented error: input_error.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "fuzz_support.hpp"
#include "wbe/core/population.hpp"
#include "wbe/io/sites.hpp"
#include "wbe/io/water_quality_csv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::map<std::string, std::string, std::less<>> kinds = [] {
        std::map<std::string, std::string, std::less<>> m;
        for (const auto& s : wbe::io::read_sites(wbe::fuzz::source_dir() + "/data/example/sites.yaml").sites) m[s.id] = s.kind;
        return m;
    }();
    wbe::io::water_quality_read_options opt;
    opt.site_kind = [](std::string_view id) {
        const auto it = kinds.find(id);
        return it == kinds.end() ? std::string() : it->second;
    };
    try {
        const wbe::io::water_quality_file f = wbe::io::parse_water_quality(wbe::fuzz::as_text(data, size), "fuzz.csv", opt);
        wbe::fuzz::check(f.content_hash.size() == 32, "content hash is 32 hex digits");
        for (const auto& r : f.records) {
            wbe::fuzz::check(opt.site_kind(r.site_id) == "wwtp", "water quality only for known plants");
            wbe::fuzz::check(wbe::is_water_quality_parameter(r.parameter), "parameter has its canonical spelling");
            wbe::fuzz::check(std::isfinite(r.mg_per_l), "value is finite");
        }
    } catch (const wbe::input_error& e) {
        wbe::fuzz::check_message(e);
    }
    return 0;
}
