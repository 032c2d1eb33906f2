#include "wbe/core/kaplan_meier.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cmath>
#include <limits>
#include <string>

#include <boost/math/distributions/students_t.hpp>

#include "censored_detail.hpp"
#include "wbe/core/errors.hpp"

namespace wbe {
namespace {

// t_{level, df}: the one-sided upper quantile of Student's t.
double t_quantile(double level, std::size_t df) {
    const boost::math::students_t dist(static_cast<double>(df));
    return boost::math::quantile(dist, level);
}

// The plain statistics (EnvStats `enpar`): mean, sample SD, s/√n, t-based UCL, median.
void plain_statistics(std::span<const left_censored> data, const kaplan_meier_options& options,
                      kaplan_meier_result& r) {
    std::vector<double> x(data.size());
    for (std::size_t i = 0; i < data.size(); ++i) x[i] = data[i].value;
    const double n = static_cast<double>(x.size());
    r.plain = true;
    r.mean = detail::mean_of(x);
    r.sd = detail::sample_sd_of(x, r.mean);
    r.se_mean = r.sd / std::sqrt(n);
    r.ucl = r.mean + t_quantile(options.confidence_level, x.size() - 1) * r.se_mean;
    r.median = detail::median_of(std::move(x));
    r.median_is_upper_bound = false;
}

// A detected value (≥ 0) as a sortable key: the IEEE bits of a non-negative double order like
// the values; the sign bit is cleared so that −0 and +0 are one key (+0).
constexpr std::uint64_t value_bits = ~(std::uint64_t{1} << 63);
inline std::uint64_t key_of(double v) { return std::bit_cast<std::uint64_t>(v) & value_bits; }

// Below this many keys std::sort beats the radix sort's fixed cost (histograms of 2^11 counters).
constexpr std::size_t radix_min_keys = 1024;

// Sorts the keys ascending: an LSD radix sort of (key − lo), lo ≤ every key ≤ hi, in digits of at
// most 11 bits (as many passes as the bits of hi − lo need, the digit width balanced between
// them: 0.5…150 spans 56 bits, 6 passes of 10 bits), all digit histograms counted in one pass
// over the keys, a pass skipped when all keys share its digit. Small inputs: std::sort. The
// result is the same ascending sequence either way (the keys are integers).
void sort_keys(std::vector<std::uint64_t>& keys, std::uint64_t lo, std::uint64_t hi) {
    const std::size_t n = keys.size();
    if (n < radix_min_keys) {
        std::sort(keys.begin(), keys.end());
        return;
    }
    constexpr unsigned max_digit_bits = 11;
    const unsigned bits = static_cast<unsigned>(std::bit_width(hi - lo));
    if (bits == 0) return;  // all keys equal
    const unsigned passes = (bits + max_digit_bits - 1) / max_digit_bits;
    const unsigned width = (bits + passes - 1) / passes;
    const std::size_t radix = std::size_t{1} << width;
    const std::uint64_t mask = radix - 1;

    std::vector<std::size_t> count(passes * radix, 0);
    for (std::uint64_t k : keys) {
        const std::uint64_t d = k - lo;
        for (unsigned p = 0; p < passes; ++p) ++count[p * radix + ((d >> (p * width)) & mask)];
    }
    std::vector<std::uint64_t> tmp(n);
    for (unsigned p = 0; p < passes; ++p) {
        std::size_t* c = count.data() + p * radix;
        const unsigned shift = p * width;
        if (c[((keys.front() - lo) >> shift) & mask] == n) continue;  // one digit value: nothing moves
        std::size_t pos = 0;
        for (std::size_t i = 0; i < radix; ++i) {
            const std::size_t m = c[i];
            c[i] = pos;
            pos += m;
        }
        const std::uint64_t* src = keys.data();
        std::uint64_t* dst = tmp.data();
        for (std::size_t i = 0; i < n; ++i) {
            const std::uint64_t k = src[i];
            dst[c[((k - lo) >> shift) & mask]++] = k;
        }
        keys.swap(tmp);
    }
}

// The distinct limits of the censored values with their counts, ascending. Lab data carry a few
// limits, so they are counted in a small open-addressing table (no sort of the censored values);
// beyond `max_distinct` distinct limits the censored keys are sorted like the detects instead.
struct limit_count {
    std::uint64_t key;
    std::size_t count;
};

class limit_table {
public:
    static constexpr std::size_t max_distinct = 1024;

    // false once more than max_distinct distinct keys were seen (the table is then abandoned).
    bool add(std::uint64_t key) {
        std::size_t h = hash(key);
        for (;;) {
            slot& s = slots_[h];
            if (s.count != 0 && s.key == key) {
                ++s.count;
                return true;
            }
            if (s.count == 0) {
                if (distinct_ == max_distinct) return false;
                s.key = key;
                s.count = 1;
                ++distinct_;
                return true;
            }
            h = (h + 1) & (size - 1);
        }
    }

    std::vector<limit_count> sorted() const {
        std::vector<limit_count> out;
        out.reserve(distinct_);
        for (const slot& s : slots_)
            if (s.count != 0) out.push_back({s.key, s.count});
        std::sort(out.begin(), out.end(), [](const limit_count& a, const limit_count& b) { return a.key < b.key; });
        return out;
    }

private:
    static constexpr unsigned log2_size = 11;
    static constexpr std::size_t size = std::size_t{1} << log2_size;  // load ≤ 1/2
    struct slot {
        std::uint64_t key = 0;
        std::size_t count = 0;
    };
    static std::size_t hash(std::uint64_t key) {
        return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> (64 - log2_size));
    }
    std::vector<slot> slots_ = std::vector<slot>(size);
    std::size_t distinct_ = 0;
};

}  // namespace

kaplan_meier_result kaplan_meier(std::span<const left_censored> data, const kaplan_meier_options& options) {
    detail::check_option_open("kaplan_meier_options.confidence_level", options.confidence_level, 0.0, 1.0);
    check_left_censored(data, "kaplan_meier", detected_rule::non_negative);

    kaplan_meier_result r;
    // One pass, free of branches on the (random) censoring flags, on the value keys (they order
    // like the values): the censored count, the smallest limit, the smallest and largest detect.
    constexpr std::uint64_t all = ~std::uint64_t{0};
    std::size_t n_censored = 0;
    std::uint64_t min_limit_key = all;
    std::uint64_t min_detect_key = all;
    std::uint64_t max_detect_key = 0;
    for (const auto& v : data) {
        const std::uint64_t key = key_of(v.value);
        const std::uint64_t c = std::uint64_t{0} - static_cast<std::uint64_t>(v.censored);  // all ones when censored
        n_censored += v.censored;
        min_limit_key = std::min(min_limit_key, key | ~c);
        min_detect_key = std::min(min_detect_key, key | c);
        max_detect_key = std::max(max_detect_key, key & ~c);
    }
    r.n = data.size();
    r.n_censored = n_censored;

    // EnvStats: "'x' must contain at least 2 non-missing, uncensored, distinct values".
    if (!(max_detect_key > min_detect_key))
        throw_numerical_error(std::string("kaplan_meier: distinct detected values = ") +
                              (n_censored == data.size() ? "0" : "1") + ": must be >= 2");

    // The restricted conversion: values censored at the smallest limit count as detected there.
    const bool convert = options.restricted && n_censored > 0 && min_limit_key <= min_detect_key;
    const std::uint64_t converted_key = convert ? min_limit_key : all;  // all: no value has this key
    const auto is_censored = [&](const left_censored& v) { return v.censored & (key_of(v.value) != converted_key); };
    std::size_t n_cen = 0;
    if (convert) {
        r.restricted = true;
        for (const auto& v : data) n_cen += is_censored(v) ? 1 : 0;
    } else {
        n_cen = n_censored;
    }
    r.n_detected = data.size() - n_cen;
    if (n_cen == 0) {
        plain_statistics(data, options, r);  // the conversion changes flags only, not values
        return r;
    }

    // The detected values as sortable keys, the censored ones apart (written branch-free: both
    // arrays get every key, only the right index advances; one slot of slack each). The censored
    // ones are then counted per distinct limit.
    std::vector<std::uint64_t> keys(r.n_detected + 1);
    std::vector<std::uint64_t> limit_keys(n_cen + 1);
    std::uint64_t lo = ~std::uint64_t{0};
    std::uint64_t hi = 0;
    {
        std::size_t i = 0;
        std::size_t j = 0;
        for (const auto& v : data) {
            const std::uint64_t key = key_of(v.value);
            const bool c = is_censored(v);
            const std::uint64_t mask = std::uint64_t{0} - static_cast<std::uint64_t>(c);
            keys[i] = key;
            limit_keys[j] = key;
            i += !c;
            j += c;
            lo = std::min(lo, key | mask);
            hi = std::max(hi, key & ~mask);
        }
        keys.pop_back();
        limit_keys.pop_back();
    }
    std::vector<limit_count> limits;
    limit_table table;
    bool table_ok = true;
    for (std::uint64_t key : limit_keys)
        if (!table.add(key)) {
            table_ok = false;
            break;
        }
    if (table_ok) {
        limits = table.sorted();
    } else {
        const auto [llo, lhi] = std::minmax_element(limit_keys.begin(), limit_keys.end());
        sort_keys(limit_keys, *llo, *lhi);
        for (std::size_t i = 0; i < limit_keys.size();) {
            std::size_t j = i;
            while (j < limit_keys.size() && limit_keys[j] == limit_keys[i]) ++j;
            limits.push_back({limit_keys[i], j - i});
            i = j;
        }
    }
    std::vector<std::uint64_t>().swap(limit_keys);
    sort_keys(keys, lo, hi);

    // The distinct detected values y_k (ascending) with m_k = #{detected = y_k} and
    // r_k = n at y_k = #{detected ≤ y_k} + #{censored with limit ≤ y_k} (a `<y_k` counts as
    // ≤ y_k). Distinct values that are only limits have d = 0: their factor is 1, so they are
    // not kept (F is the same).
    std::vector<kaplan_meier_step> steps;
    std::vector<double> m;   // d at each detected value
    std::vector<double> rk;  // n at each detected value
    {
        std::size_t censored_le = 0;
        std::size_t li = 0;
        for (std::size_t i = 0; i < keys.size();) {
            const std::uint64_t v = keys[i];
            std::size_t j = i + 1;
            while (j < keys.size() && keys[j] == v) ++j;
            while (li < limits.size() && limits[li].key <= v) censored_le += limits[li++].count;
            steps.push_back({std::bit_cast<double>(v), 0.0});
            m.push_back(static_cast<double>(j - i));
            rk.push_back(static_cast<double>(j + censored_le));
            i = j;
        }
    }
    const std::size_t k = steps.size();
    // F(y_k) = Π_{i>k} (1 − m_i/r_i), built from the top.
    {
        double f = 1.0;
        for (std::size_t j = k; j-- > 0;) {
            steps[j].cdf = f;
            f *= 1.0 - m[j] / rk[j];
        }
    }

    // Mean and plug-in variance of the distribution with jumps F_k − F_{k−1} (F_0 = 0).
    double mean = 0.0;
    double prev = 0.0;
    for (const auto& s : steps) {
        mean += s.value * (s.cdf - prev);
        prev = s.cdf;
    }
    double var = 0.0;
    prev = 0.0;
    for (const auto& s : steps) {
        var += (s.value - mean) * (s.value - mean) * (s.cdf - prev);
        prev = s.cdf;
    }

    // se² = Σ_{k≥2} A_{k−1}² m_k / (r_k (r_k − m_k)), A_k = Σ_{i≤k} F_i (y_{i+1} − y_i).
    double se2 = 0.0;
    double a = 0.0;
    for (std::size_t i = 1; i < k; ++i) {
        a += steps[i - 1].cdf * (steps[i].value - steps[i - 1].value);
        se2 += a * a * m[i] / (rk[i] * (rk[i] - m[i]));
    }
    double se = std::sqrt(se2);
    if (options.correct_se) {
        const double md = static_cast<double>(r.n_detected);
        se *= std::sqrt(md / (md - 1.0));
    }

    r.mean = mean;
    r.sd = std::sqrt(var);
    r.se_mean = se;
    r.ucl = mean + t_quantile(options.confidence_level, data.size() - 1) * se;

    // Median of the step function; F exactly 0.5 on a flat stretch → midpoint (R survfit).
    constexpr double tol = 1e-12;
    for (std::size_t i = 0; i < k; ++i) {
        if (steps[i].cdf >= 0.5 - tol) {
            r.median = (std::abs(steps[i].cdf - 0.5) <= tol && i + 1 < k)
                           ? 0.5 * (steps[i].value + steps[i + 1].value)
                           : steps[i].value;
            // F just below the smallest detect: F_1 (1 − m_1/r_1).
            r.median_is_upper_bound = i == 0 && steps[0].cdf * (1.0 - m[0] / rk[0]) >= 0.5 - tol;
            break;
        }
    }
    r.steps = std::move(steps);
    return r;
}

}  // namespace wbe
