#include "wbe/pipeline/lineage.hpp"

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>

namespace wbe::pipeline {

void attach_lineage(io::store_contents& store) {
    std::unordered_map<std::string, std::string> hash_of;  // active batch id → content hash
    for (const auto& b : store.batches)
        if (b.status == "active") hash_of[b.batch_id] = b.content_hash;

    using key3 = std::tuple<std::string, std::string, std::string>;  // site, campaign, analyte
    std::map<key3, std::set<std::string>> by_residue;
    std::map<std::pair<std::string, std::string>, std::set<std::string>> by_site;  // site, campaign
    // Stores before schema 4 did not keep a daily estimate's batch: its sample's result names it.
    std::map<std::tuple<std::string, std::string, std::string>, std::string> batch_of;  // site, sample, analyte
    std::map<std::pair<std::string, std::string>, std::string> batch_of_sample;          // site, sample
    for (const auto& r : store.samples) {
        batch_of[{r.site_id, r.sample_id, r.analyte}] = r.batch_id;
        batch_of_sample.emplace(std::make_pair(r.site_id, r.sample_id), r.batch_id);
    }
    for (auto& d : store.daily) {
        if (d.batch_id.empty()) {
            if (const auto b = batch_of.find({d.site_id, d.sample_id, d.analyte}); b != batch_of.end()) d.batch_id = b->second;
            else if (const auto s = batch_of_sample.find({d.site_id, d.sample_id}); s != batch_of_sample.end()) d.batch_id = s->second;
        }
        const auto it = hash_of.find(d.batch_id);
        d.batch_hash = it == hash_of.end() ? std::string() : it->second;
        if (d.batch_id.empty()) continue;
        by_residue[{d.site_id, d.campaign, d.analyte}].insert(d.batch_id);
        by_site[{d.site_id, d.campaign}].insert(d.batch_id);
    }
    std::unordered_map<std::string, std::string> district_of;
    for (const auto& s : store.sites) district_of[s.id] = s.district;

    // The batches of each site estimate, then the aggregates as unions over their plants.
    std::map<std::tuple<std::string, std::string, std::string, std::string>, std::set<std::string>> rows;  // scope, id, campaign, analyte
    for (const auto& c : store.campaigns) {
        if (c.scope != "site") continue;
        auto& set = rows[{c.scope, c.id, c.campaign, c.analyte}];
        const auto r = by_residue.find({c.id, c.campaign, c.analyte});
        if (r != by_residue.end()) {
            set = r->second;
        } else if (const auto s = by_site.find({c.id, c.campaign}); s != by_site.end()) {
            set = s->second;  // a composite index: every residue of the site's days
        }
    }
    // The plants of each (campaign, residue) that enter aggregates.
    std::map<std::pair<std::string, std::string>, std::vector<std::string>> plants;  // campaign, analyte → site ids
    for (const auto& m : store.campaigns)
        if (m.scope == "site" && m.site_kind == "wwtp" && !std::isnan(m.pnl_mean)) plants[{m.campaign, m.analyte}].push_back(m.id);
    for (const auto& c : store.campaigns) {
        if (c.scope == "site") continue;
        auto& set = rows[{c.scope, c.id, c.campaign, c.analyte}];
        const auto p = plants.find({c.campaign, c.analyte});
        if (p == plants.end()) continue;
        for (const auto& id : p->second) {
            if (c.scope == "district") {
                const auto d = district_of.find(id);
                if (d == district_of.end() || d->second != c.id) continue;
            }
            const auto& member = rows[{"site", id, c.campaign, c.analyte}];
            set.insert(member.begin(), member.end());
        }
    }
    store.campaign_batches.clear();
    for (const auto& [k, ids] : rows)
        for (const auto& id : ids) {
            const auto h = hash_of.find(id);
            store.campaign_batches.push_back({std::get<0>(k), std::get<1>(k), std::get<2>(k), std::get<3>(k), id,
                                              h == hash_of.end() ? std::string() : h->second});
        }
}

}  // namespace wbe::pipeline
