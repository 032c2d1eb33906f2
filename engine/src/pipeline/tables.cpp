// GCC 12 at -O3 reports a false -Wrestrict inside std::string assignment (GCC bug 105329).
#if defined(__GNUC__) && !defined(__clang__)  // a GCC-only warning: clang does not know it
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include "wbe/pipeline/tables.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <cmath>
#include <map>
#include <ostream>

namespace wbe::pipeline {

namespace {

std::string format_number(double v, bool full) {
    if (std::isnan(v)) return "";
    return full ? fmt::format("{:.17g}", v) : fmt::format("{:.6g}", v);
}

// Display width of UTF-8 text (code points; the engine's text is Latin or CJK-free ids).
std::size_t display_width(const std::string& s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

// Plants (and the city) × drugs of the newest campaign: consumption means, '*' where the mean
// includes substituted non-detects.
std::string format_overview(const run_summary& s) {
    // Columns: drugs by decreasing city (or largest) consumption; a drug measured through another
    // residue is labelled `drug<-residue` (heroin<-morphine is an upper bound, models/README.md).
    std::vector<std::pair<std::string, double>> drug_rank;
    std::vector<std::string> places;
    std::map<std::string, std::string> residue_of;
    for (const auto& c : s.latest) {
        residue_of[c.drug] = c.analyte;
        auto it = std::find_if(drug_rank.begin(), drug_rank.end(), [&](const auto& d) { return d.first == c.drug; });
        if (it == drug_rank.end()) it = drug_rank.insert(drug_rank.end(), {c.drug, 0.0});
        if (std::isfinite(c.consumption_mean)) it->second = std::max(it->second, c.consumption_mean);
        if (std::find(places.begin(), places.end(), c.id) == places.end()) places.push_back(c.id);
    }
    std::stable_sort(drug_rank.begin(), drug_rank.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    std::vector<std::string> drugs;
    for (const auto& d : drug_rank) drugs.push_back(d.first);
    text_table t;
    t.header = {"site", "population"};
    for (const auto& d : drugs) t.header.push_back(residue_of[d] == d ? d : d + "<-" + residue_of[d]);
    bool any_censored = false;
    for (const auto& place : places) {
        std::vector<std::string> row{place, ""};
        for (const auto& d : drugs) {
            std::string cell;
            for (const auto& c : s.latest) {
                if (c.id != place || c.drug != d) continue;
                row[1] = fmt::format("{:.0f}", c.population);
                cell = std::isnan(c.consumption_mean) ? "" : fmt::format("{:.3g}", c.consumption_mean);
                if (!std::isnan(c.consumption_lower))
                    cell += fmt::format(" ({:.3g}-{:.3g})", c.consumption_lower, c.consumption_upper);
                if (c.n_censored > 0) {
                    cell += "*";
                    any_censored = true;
                }
            }
            row.push_back(cell);
        }
        t.rows.push_back(std::move(row));
    }
    const bool intervals = std::any_of(s.latest.begin(), s.latest.end(), [](const campaign_estimate& c) { return !std::isnan(c.consumption_lower); });
    std::string out = fmt::format("Consumption in {} (mg/day/1000 inh, campaign means{}; the city row is population-weighted):\n",
                                  s.latest_campaign, intervals ? fmt::format(" with {:g}% intervals", 100.0 * s.interval) : "");
    out += format_table(t);
    if (any_censored) out += "* the mean includes non-detects replaced by the censoring rule\n";
    return out;
}

// Venues of the newest campaign × drugs: the screening index (mg/day/1000 person-equivalents),
// the highest first, and a label that says what it is not.
std::string format_venues(const run_summary& s, std::size_t shown) {
    std::vector<std::string> drugs;
    std::map<std::string, std::map<std::string, const campaign_estimate*>> by_venue;  // venue → drug → row
    std::map<std::string, double> top;
    for (const auto& c : s.latest_venues) {
        if (std::find(drugs.begin(), drugs.end(), c.drug) == drugs.end()) drugs.push_back(c.drug);
        by_venue[c.id][c.drug] = &c;
        top[c.id] = std::max(top[c.id], c.screening_mean);
    }
    std::map<std::string, double> drug_top;
    for (const auto& c : s.latest_venues) drug_top[c.drug] = std::max(drug_top[c.drug], c.screening_mean);
    std::sort(drugs.begin(), drugs.end(), [&](const std::string& a, const std::string& b) {
        return drug_top[a] > drug_top[b] || (drug_top[a] == drug_top[b] && a < b);
    });
    std::vector<std::string> venues;
    for (const auto& [v, _] : by_venue) venues.push_back(v);
    std::stable_sort(venues.begin(), venues.end(), [&](const std::string& a, const std::string& b) { return top[a] > top[b]; });
    text_table t;
    t.header = {"venue"};
    for (const auto& d : drugs) t.header.push_back(d);
    for (std::size_t i = 0; i < venues.size() && i < shown; ++i) {
        std::vector<std::string> row{venues[i]};
        for (const auto& d : drugs) {
            const auto it = by_venue[venues[i]].find(d);
            if (it == by_venue[venues[i]].end()) {
                row.emplace_back();
                continue;
            }
            const campaign_estimate& c = *it->second;
            std::string cell = fmt::format("{:.3g}", c.screening_mean);
            if (!std::isnan(c.screening_lower)) cell += fmt::format(" ({:.3g}-{:.3g})", c.screening_lower, c.screening_upper);
            if (c.n_censored > 0) cell += "*";
            row.push_back(cell);
        }
        t.rows.push_back(std::move(row));
    }
    std::string out = fmt::format(
        "Venues in {}: screening index (mg/day/1000 person-equivalents: drug per cotinine in the same grab sample, "
        "with {:g}% intervals) — a screening value, not a consumption; highest {} of {}:\n",
        s.latest_campaign, 100.0 * s.interval, std::min(shown, venues.size()), venues.size());
    out += format_table(t);
    return out;
}

}  // namespace

namespace {

// `venues`: the venue rows of estimates_campaign, as a table of their own, labelled as screening
// values (never consumption).
io::raw_table venue_view(const std::string& store_path) {
    const io::raw_table all = io::read_raw_table(store_path, "estimates_campaign");
    const auto col = [&](const char* name) -> const io::column_data& {
        for (const auto& c : all.columns)
            if (c.name == name) return c;
        throw store_error(store_path + ": table estimates_campaign has no column " + name + " (re-run `wbe estimate`)");
    };
    const io::column_data& kind = col("value_kind");
    std::vector<std::size_t> rows;
    for (std::size_t r = 0; r < all.rows; ++r)
        if (kind.texts[r] == "screening") rows.push_back(r);
    io::raw_table v;
    v.name = "venues";
    v.rows = rows.size();
    for (const char* name : {"id", "campaign", "drug", "n_samples", "n_censored", "conc_mean_ng_per_l", "screening_mean",
                             "screening_lower", "screening_upper", "value_kind"}) {
        const io::column_data& src = col(name);
        io::column_data c;
        c.name = std::string(name) == "id" ? "site_id" : name;
        c.kind = src.kind;
        for (std::size_t r : rows) {
            if (src.kind == io::column_data::type::number) c.numbers.push_back(src.numbers[r]);
            else if (src.kind == io::column_data::type::integer) c.integers.push_back(src.integers[r]);
            else c.texts.push_back(src.texts[r]);
        }
        v.columns.push_back(std::move(c));
    }
    return v;
}

}  // namespace

text_table store_table(const std::string& store_path, const std::string& table, const table_filter& filter, bool full) {
    const io::raw_table raw = table == "venues" ? venue_view(store_path) : io::read_raw_table(store_path, table);
    text_table t;
    for (const auto& c : raw.columns) t.header.push_back(c.name);
    const auto column = [&](std::initializer_list<const char*> names) -> const io::column_data* {
        for (const char* n : names)
            for (const auto& c : raw.columns)
                if (c.name == n && c.kind == io::column_data::type::text) return &c;
        return nullptr;
    };
    const io::column_data* site_col = column({"site_id", "id"});
    const io::column_data* drug_col = column({"drug"});
    const io::column_data* analyte_col = column({"analyte"});
    const io::column_data* campaign_col = column({"campaign"});
    const io::column_data* scope_col = column({"scope"});
    for (std::size_t r = 0; r < raw.rows; ++r) {
        if (!filter.site.empty() && site_col && site_col->texts[r] != filter.site) continue;
        if (!filter.drug.empty() && (drug_col || analyte_col)) {
            const bool match = (drug_col && drug_col->texts[r] == filter.drug) || (analyte_col && analyte_col->texts[r] == filter.drug);
            if (!match) continue;
        }
        if (!filter.campaign.empty() && campaign_col && campaign_col->texts[r] != filter.campaign) continue;
        if (!filter.scope.empty() && scope_col && scope_col->texts[r] != filter.scope) continue;
        std::vector<std::string> row;
        row.reserve(raw.columns.size());
        for (const auto& c : raw.columns) {
            switch (c.kind) {
                case io::column_data::type::number: row.push_back(format_number(c.numbers[r], full)); break;
                case io::column_data::type::integer: row.push_back(std::to_string(c.integers[r])); break;
                case io::column_data::type::text: row.push_back(c.texts[r]); break;
            }
        }
        t.rows.push_back(std::move(row));
    }
    return t;
}

text_table batch_history(const std::string& store_path, const std::string& batch_id) {
    const io::store_contents c = io::read_store(store_path);
    text_table t;
    t.header = {"batch_id", "status", "content_hash", "source", "ingested_at", "user", "results", "reason",
                "superseded_at", "superseded_by"};
    std::vector<const io::batch_record*> rows;
    for (const auto& b : c.batches)
        if (b.batch_id == batch_id) rows.push_back(&b);
    std::stable_sort(rows.begin(), rows.end(), [](const auto* a, const auto* b) { return a->ingested_at < b->ingested_at; });
    for (const auto* b : rows)
        t.rows.push_back({b->batch_id, b->status, b->content_hash, b->source, b->ingested_at, b->user, std::to_string(b->n_results),
                          b->reason, b->superseded_at, b->superseded_by});
    return t;
}

text_table flag_table(const std::vector<wbe::flag>& flags) {
    text_table t;
    t.header = {"campaign", "site", "kind", "drug", "rule", "level", "certainty", "P", "value", "reference", "unit", "date"};
    for (const auto& f : flags)
        t.rows.push_back({f.campaign, f.site_id, f.site_kind, f.drug, f.rule, std::string(to_string(f.level)), f.certainty,
                          std::isnan(f.probability) ? "" : fmt::format("{:.3f}", f.probability),
                          fmt::format("{:.4g}", f.value), format_number(f.reference, false), f.unit, f.date});
    return t;
}

std::string format_table(const text_table& t, std::size_t limit) {
    std::vector<std::size_t> w(t.header.size(), 0);
    const std::size_t shown = limit == 0 ? t.rows.size() : std::min(limit, t.rows.size());
    for (std::size_t c = 0; c < t.header.size(); ++c) w[c] = display_width(t.header[c]);
    for (std::size_t r = 0; r < shown; ++r)
        for (std::size_t c = 0; c < t.rows[r].size() && c < w.size(); ++c) w[c] = std::max(w[c], display_width(t.rows[r][c]));
    std::string out;
    const auto line = [&](const std::vector<std::string>& cells) {
        std::string l;
        for (std::size_t c = 0; c < cells.size() && c < w.size(); ++c) {
            l += cells[c];
            if (c + 1 < cells.size()) l += std::string(w[c] - display_width(cells[c]) + 2, ' ');
        }
        while (!l.empty() && l.back() == ' ') l.pop_back();
        out += l + '\n';
    };
    line(t.header);
    for (std::size_t r = 0; r < shown; ++r) line(t.rows[r]);
    if (const std::size_t more = t.rows.size() - shown; more > 0)
        out += fmt::format("... {} more {}\n", more, more == 1 ? "row" : "rows");
    return out;
}

void write_csv(const text_table& t, std::ostream& out) {
    const auto cell = [&](const std::string& s) {
        if (s.find_first_of(",\"\n\r") == std::string::npos) {
            out << s;
            return;
        }
        out << '"';
        for (char c : s) {
            if (c == '"') out << '"';
            out << c;
        }
        out << '"';
    };
    const auto line = [&](const std::vector<std::string>& cells) {
        for (std::size_t c = 0; c < cells.size(); ++c) {
            if (c) out << ',';
            cell(cells[c]);
        }
        out << '\n';
    };
    line(t.header);
    for (const auto& r : t.rows) line(r);
}

std::string format_comparison(const flag_comparison& c, const std::string& a, const std::string& b) {
    std::string out = fmt::format("{} raises {} flags, {} raises {}: {} added, {} removed, {} changed\n", a, c.n_a, b, c.n_b,
                                  c.added.size(), c.removed.size(), c.changed.size());
    std::map<std::string, std::vector<std::string>> by_site;
    const auto line = [](char mark, const wbe::flag& f) {
        return fmt::format("  {} {} {} {} {}{}{}: {}", mark, f.campaign, f.drug, f.rule, to_string(f.level),
                           f.certainty.empty() ? "" : " " + f.certainty, f.date.empty() ? "" : " " + f.date, f.explanation);
    };
    for (const auto& f : c.added) by_site[f.site_id].push_back(line('+', f));
    for (const auto& f : c.removed) by_site[f.site_id].push_back(line('-', f));
    for (const auto& [fa, fb] : c.changed)
        by_site[fb.site_id].push_back(fmt::format("  ~ {} {} {} {}{} -> {}{}", fb.campaign, fb.drug, fb.rule, to_string(fa.level),
                                                  fa.certainty.empty() ? "" : " " + fa.certainty, to_string(fb.level),
                                                  fb.certainty.empty() ? "" : " " + fb.certainty));
    for (auto& [site, lines] : by_site) {
        std::sort(lines.begin(), lines.end());
        out += site + '\n';
        for (const auto& l : lines) out += l + '\n';
    }
    if (by_site.empty()) out += "No difference.\n";
    return out;
}

std::string format_run_summary(const run_summary& s, const context& ctx) {
    std::string out;
    const auto& e = s.estimate.core;
    out += fmt::format("wbe run — {} ({})\n", s.city.empty() ? ctx.config.name : s.city, ctx.config.path);
    out += fmt::format("  ingest:   {} batches added ({} results), {} already stored; {} sites; flows +{} updated {}\n",
                       s.ingest.added.size(), s.ingest.n_results, s.ingest.skipped.size(), s.ingest.n_sites,
                       s.ingest.n_flows_added, s.ingest.n_flows_updated);
    if (s.ingest.n_water_quality_added + s.ingest.n_water_quality_updated > 0)
        out += fmt::format("            water quality +{} updated {}\n", s.ingest.n_water_quality_added,
                           s.ingest.n_water_quality_updated);
    out += fmt::format("  estimate: {} results -> {} daily and {} campaign estimates; {} censored values substituted "
                       "(<LOD -> {}, <LOQ -> {}); model set '{}'\n",
                       e.n_results, e.n_daily, e.n_campaign, e.n_censored, to_string(ctx.config.estimate.censoring.below_lod),
                       to_string(ctx.config.estimate.censoring.below_loq), s.estimate.model_set);
    for (const auto& w : e.warnings) out += fmt::format("  warning:  {}\n", w);
    for (const auto& w : s.estimate.population_warnings) out += fmt::format("  population check: {}\n", w);
    // The detectors named anywhere in the settings (which run where follows their inheritance).
    std::vector<std::string> detector_names;
    const auto note = [&](const std::vector<io::detector_setting>& layer) {
        for (const auto& d : layer)
            if (d.enabled && std::find(detector_names.begin(), detector_names.end(), d.name) == detector_names.end())
                detector_names.push_back(d.name);
    };
    const auto& ds = ctx.config.detectors;
    note(ds.defaults);
    for (const auto* level : {&ds.drugs, &ds.site_kinds, &ds.sites})
        for (const auto& [key, layer] : *level) note(layer);
    std::string detectors;
    for (const auto& n : detector_names) detectors += (detectors.empty() ? "" : ", ") + n;
    out += fmt::format("  flag:     {} flags ({} alert, {} watch) from {} threshold and {} ratio rules{} ({})\n\n", s.flags.n_flags,
                       s.flags.n_alert, s.flags.n_watch, ctx.config.thresholds.size(), ctx.config.ratios.size(),
                       detectors.empty() ? std::string() : " and the detectors " + detectors, ctx.config.thresholds_source);
    if (!s.latest.empty()) out += format_overview(s) + '\n';
    if (!s.latest_venues.empty()) out += format_venues(s, 5) + '\n';
    if (s.flag_list.empty()) {
        out += "No site is flagged.\n";
    } else {
        out += "Flagged sites (newest campaign first):\n";
        out += format_table(flag_table(s.flag_list));
    }
    if (!e.unconfirmed_parameters.empty()) {
        out += "\nUnconfirmed model parameters used by this run (see models/README.md):\n";
        std::string line = " ";
        for (const auto& p : e.unconfirmed_parameters) {
            if (line.size() + p.size() + 2 > 100) {
                out += line + '\n';
                line = " ";
            }
            line += " " + p;
        }
        out += line + '\n';
    }
    out += fmt::format("\nStore: {}\n", s.store);
    return out;
}

}  // namespace wbe::pipeline
