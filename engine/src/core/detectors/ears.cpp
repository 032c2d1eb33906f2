// GCC 12 at -O3 reports a false -Wrestrict inside std::string concatenation (GCC bug 105329).
#if defined(__GNUC__) && !defined(__clang__)  // a GCC-only warning: clang does not know it
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include "wbe/core/detectors/ears.hpp"

#include <algorithm>
#include <cmath>

#include "detail.hpp"

namespace wbe::detectors {

using namespace detail;

namespace {

// The guard band between baseline and current value: 0 for C1, 2 for C2 and C3.
std::size_t guard_of(ears_variant v) noexcept { return v == ears_variant::c1 ? 0 : 2; }

}  // namespace

ears_options ears_options::defaults(ears_variant v) noexcept {
    ears_options o;
    o.variant = v;
    if (v == ears_variant::c3) {
        o.watch = 1.0;
        o.alert = 2.0;
    }
    return o;
}

std::string_view ears::name_of(ears_variant v) noexcept {
    switch (v) {
        case ears_variant::c1: return "ears_c1";
        case ears_variant::c2: return "ears_c2";
        case ears_variant::c3: return "ears_c3";
    }
    return "ears";
}

std::vector<parameter_spec> ears::parameters(ears_variant v) {
    const ears_options d = ears_options::defaults(v);
    const std::string stat = v == ears_variant::c3 ? "C3" : v == ears_variant::c2 ? "C2" : "C1";
    return {
        integer_spec("baseline", d.baseline, 3, 1000, "campaigns", "previous values in the baseline (literature: 7)"),
        real_spec("watch", d.watch, -inf, inf, "SD", stat + " above which a campaign is watch"),
        real_spec("alert", d.alert, -inf, inf, "SD",
                  stat + " above which a campaign is alert (Hutwagner 2003: " + num(d.alert) + ")"),
        real_spec("min_sigma", d.min_sigma, 0, inf, "input units", "floor of the baseline SD"),
        censored_spec(d.censored),
    };
}

ears_options ears::options_from(ears_variant v, const parameter_values& values) {
    ears_options o = ears_options::defaults(v);
    o.baseline = static_cast<int>(values.integer("baseline"));
    o.watch = values.real("watch");
    o.alert = values.real("alert");
    o.min_sigma = values.real("min_sigma");
    o.censored = values.choice("censored");
    return o;
}

std::vector<diagnostic> ears::check(const ears_options& o) {
    const auto specs = parameters(o.variant);
    std::vector<diagnostic> out;
    check_option(specs, "baseline", o.baseline, out);
    check_option(specs, "watch", o.watch, out);
    check_option(specs, "alert", o.alert, out);
    check_option(specs, "min_sigma", o.min_sigma, out);
    check_censored(o.censored, out);
    if (!(o.alert > o.watch)) add_problem(out, "alert", o.alert, "must be > watch = " + num(o.watch));
    return out;
}

ears::ears(const ears_options& options) : options_(options) { throw_if_invalid(check(options_)); }

std::size_t ears::min_history() const noexcept {
    const auto b = static_cast<std::size_t>(options_.baseline);
    switch (options_.variant) {
        case ears_variant::c1: return b;
        case ears_variant::c2: return b + 2;
        case ears_variant::c3: return b + 4;
    }
    return b;
}

namespace {
struct buffers {
    std::vector<double> values;        // the campaigns with a value, compressed
    std::vector<std::size_t> index;    // their positions in the series
    std::vector<double> mean, sd;      // baseline mean and floored SD by compressed position
    std::vector<double> window, scaled;
    std::vector<std::string> censoring;  // how censored baseline campaigns entered
    std::vector<double> base_mean, base_var;  // evaluate_levels(): baseline by compressed position − first
};
}  // namespace

void ears::evaluate(const series& s, std::vector<campaign_result>& out, explain e) const {
    const auto& o = options_;
    const auto b = static_cast<std::size_t>(o.baseline);
    const std::size_t g = guard_of(o.variant);
    const std::string label = o.variant == ears_variant::c3 ? "C3" : o.variant == ears_variant::c2 ? "C2" : "C1";
    const std::size_t need = min_history();

    // Campaigns with a value, compressed: position p holds the p-th such campaign.
    // Named references, not a structured binding: clang 14 cannot capture bindings in lambdas.
    buffers& buf = thread_buffers<buffers>();
    auto& values = buf.values;
    auto& index = buf.index;
    auto& mean = buf.mean;
    auto& sd = buf.sd;
    auto& window = buf.window;
    auto& scaled = buf.scaled;
    auto& censoring = buf.censoring;
    values.clear();
    index.clear();
    for (std::size_t i = 0; i < s.campaigns.size(); ++i)
        if (!std::isnan(s.campaigns[i].value)) {
            values.push_back(s.campaigns[i].value);
            index.push_back(i);
        }

    // Baseline mean and floored SD for position p: the b values ending g + 1 before p.
    mean.assign(values.size(), nan);
    sd.assign(values.size(), nan);
    scaled_values(s, false, scaled);
    censoring.assign(values.size(), std::string());
    for (std::size_t p = b + g; p < values.size(); ++p) {
        censoring[p] = baseline_values(s, scaled, index.data() + (p - g - b), b, o.censored == "ros", false, window, e);
        mean_sd(window, mean[p], sd[p]);
        sd[p] = std::max(sd[p], o.min_sigma);
    }
    // C3's terms max(0, C2 − 1); earlier terms use the substitutes of censored values.
    const auto term = [](double c2) { return std::max(0.0, c2 - 1.0); };

    for (std::size_t p = 0; p < values.size(); ++p) {
        const observation& obs = s.campaigns[index[p]];
        campaign_result& r = out[index[p]];
        if (p < need) {
            if (e != explain::none) r.reason = text("needs ", counted{need}, " with a value, has ", integer{p});
            continue;
        }
        const double m = mean[p], sigma = sd[p];
        double carry = 0.0;
        if (o.variant == ears_variant::c3)
            carry = term(standardise(values[p - 1], mean[p - 1], sd[p - 1])) +
                    term(standardise(values[p - 2], mean[p - 2], sd[p - 2]));
        const auto statistic_at = [&](double x) {
            const double c = standardise(x, m, sigma);
            return o.variant == ears_variant::c3 ? carry + term(c) : c;
        };
        const auto level_at = [&](double x) { return level_above(statistic_at(x), o.watch, o.alert); };
        const double stat = statistic_at(obs.value);
        r.expected = m;
        r.statistic = stat;
        if (o.variant != ears_variant::c3)
            r.upper_bound = m + o.watch * sigma;
        else
            r.upper_bound = carry < o.watch ? m + sigma * (1.0 + o.watch - carry) : nan;
        std::string note;
        const detection_level level = obs.censored ? judge(obs, level_at, note) : level_above(stat, o.watch, o.alert);
        set_level(r, level, e, [&] {
            return text(label, " = ", num(stat), crossed(level_above(stat, o.watch, o.alert), o.watch, o.alert),
                        o.variant == ears_variant::c3
                            ? text(" (current term ", num(stat - carry), " + previous two ", num(carry), ")")
                            : std::string(),
                        " from mean ", num(m), " and SD ", num(sigma), " of ", counted{b, "campaign"},
                        g ? text(" before a guard band of ", integer{g}) : std::string(" just before"),
                        std::isnan(r.upper_bound) ? std::string("; flagged whatever this value: the previous two terms exceed watch")
                                                  : text("; watch above ", num(r.upper_bound)),
                        sigma == 0.0 ? "; baseline constant (SD 0)" : "", censoring[p], note);
        });
    }
}

// The levels evaluate() sets for a series without censored values: the same compressed values,
// each baseline's mean_sd() (std::accumulate from 0, the two-pass SD) over the same values in the
// same order — window_mean_var() computes all of them at once —, the same floor, standardise()
// and C3 terms; no bound, no text, no per-campaign strings.
bool ears::evaluate_levels(const series& s, std::span<detection_level> level) const {
    const auto& o = options_;
    const auto b = static_cast<std::size_t>(o.baseline);
    const std::size_t g = guard_of(o.variant);
    const std::size_t need = min_history();
    const bool c3 = o.variant == ears_variant::c3;
    buffers& buf = thread_buffers<buffers>();
    auto& values = buf.values;
    auto& index = buf.index;
    auto& c2 = buf.mean;  // C2 (or C1) by compressed position, for C3's earlier terms
    // Not evaluable unless set below: no value, or too little history. ears works on the values
    // as they are (no log scale).
    if (!uncensored_usable_values(s, false, level, values, index)) return false;
    const std::size_t n = values.size();
    if (n <= need) return true;
    c2.resize(n);
    const auto term = [](double c) { return std::max(0.0, c - 1.0); };
    // The first position with a baseline (C3 needs the C2 of two positions before `need`); its
    // baseline, the b values ending g + 1 before it, starts at position 0 for every variant.
    const std::size_t first = c3 ? b + g : need;
    buf.base_mean.resize(n - first);
    buf.base_var.resize(n - first);
    window_mean_var(values.data() + (first - g - b), n - first, b, buf.base_mean.data(), buf.base_var.data());
    for (std::size_t p = first; p < n; ++p) {
        const double m = buf.base_mean[p - first];
        const double sigma = std::max(std::sqrt(buf.base_var[p - first]), o.min_sigma);
        const double c = standardise(values[p], m, sigma);
        c2[p] = c;
        if (p < need) continue;
        const double stat = c3 ? term(c2[p - 1]) + term(c2[p - 2]) + term(c) : c;
        level[index[p]] = level_above(stat, o.watch, o.alert);
    }
    return true;
}

}  // namespace wbe::detectors
