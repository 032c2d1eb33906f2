// libFuzzer target: daily plant flows (wbe/io/flows_csv.hpp) parsed from memory against the
// example city's sites. Documented error: input_error.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "fuzz_support.hpp"
#include "wbe/io/assay_csv.hpp"
#include "wbe/io/flows_csv.hpp"
#include "wbe/io/sites.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::map<std::string, std::string, std::less<>> kinds = [] {
        std::map<std::string, std::string, std::less<>> m;
        for (const auto& s : wbe::io::read_sites(wbe::fuzz::source_dir() + "/data/example/sites.yaml").sites) m[s.id] = s.kind;
        return m;
    }();
    wbe::io::flow_read_options opt;
    opt.site_kind = [](std::string_view id) {
        const auto it = kinds.find(id);
        return it == kinds.end() ? std::string() : it->second;
    };
    try {
        const wbe::io::flows_file f = wbe::io::parse_flows(wbe::fuzz::as_text(data, size), "fuzz.csv", opt);
        wbe::fuzz::check(f.content_hash.size() == 32, "content hash is 32 hex digits");
        for (const auto& r : f.records) {
            wbe::fuzz::check(opt.site_kind(r.site_id) == "wwtp", "flows only for known plants");
            wbe::fuzz::check(std::isfinite(r.flow_m3_per_day) && r.flow_m3_per_day > 0.0, "flow is finite and > 0");
        }
    } catch (const wbe::input_error& e) {
        wbe::fuzz::check_message(e);
    }
    return 0;
}
