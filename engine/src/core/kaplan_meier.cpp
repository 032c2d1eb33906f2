#include "wbe/core/kaplan_meier.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cmath>
#include <limits>
#include <memory>
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

// Sorts keys[0, n) ascending (`tmp`: n slots of scratch): an LSD radix sort of (key − lo),
// lo ≤ every key ≤ hi, in digits of at most 11 bits (as many passes as the bits of hi − lo need,
// the digit width balanced between them: 0.5…150 spans 56 bits, 6 passes of 10 bits), all digit
// histograms counted in one pass over the keys, a pass skipped when all keys share its digit.
// Small inputs: std::sort. The result is the same ascending sequence either way (the keys are
// integers).
void sort_keys(std::uint64_t* keys, std::uint64_t* tmp, std::size_t n, std::uint64_t lo, std::uint64_t hi) {
    if (n < radix_min_keys) {
        std::sort(keys, keys + n);
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
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint64_t d = keys[i] - lo;
        for (unsigned p = 0; p < passes; ++p) ++count[p * radix + ((d >> (p * width)) & mask)];
    }
    std::uint64_t* src = keys;
    std::uint64_t* dst = tmp;
    for (unsigned p = 0; p < passes; ++p) {
        std::size_t* c = count.data() + p * radix;
        const unsigned shift = p * width;
        if (c[((src[0] - lo) >> shift) & mask] == n) continue;  // one digit value: nothing moves
        std::size_t pos = 0;
        for (std::size_t i = 0; i < radix; ++i) {
            const std::size_t m = c[i];
            c[i] = pos;
            pos += m;
        }
        for (std::size_t i = 0; i < n; ++i) {
            const std::uint64_t k = src[i];
            dst[c[((k - lo) >> shift) & mask]++] = k;
        }
        std::swap(src, dst);
    }
    if (src != keys) std::copy(src, src + n, keys);
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
    const std::size_t n = data.size();

    // One pass over the input, free of branches on the (random) censoring flags, on the value
    // keys (they order like the values). It checks every value (finite; a limit > 0, a detect
    // ≥ 0: check_left_censored's rule, which names the first invalid value when one is found);
    // finds the smallest limit and the smallest and largest detect; and writes the detected
    // keys to the front of `keys` and the limits to its back (both slots written, only the
    // right end advances: when the two ends meet they write the same slot with the same key).
    std::unique_ptr<std::uint64_t[]> keys(new std::uint64_t[n]);  // not value-initialised
    constexpr std::uint64_t all = ~std::uint64_t{0};
    std::uint64_t min_limit_key = all;
    std::uint64_t min_detect_key = all;
    std::uint64_t max_detect_key = 0;
    std::size_t n_detect_slots = 0;   // next detect slot, from the front
    std::size_t n_limit_slots = 0;    // limits written, from the back
    bool all_valid = true;
    for (const auto& v : data) {
        const double x = v.value;
        const bool c = v.censored;
        all_valid &= (std::abs(x) <= std::numeric_limits<double>::max()) & ((x > 0.0) | (!c & (x == 0.0)));
        const std::uint64_t key = key_of(x);
        const std::uint64_t cm = std::uint64_t{0} - static_cast<std::uint64_t>(c);  // all ones when censored
        min_limit_key = std::min(min_limit_key, key | ~cm);
        min_detect_key = std::min(min_detect_key, key | cm);
        max_detect_key = std::max(max_detect_key, key & ~cm);
        keys[n_detect_slots] = key;
        keys[n - 1 - n_limit_slots] = key;
        n_detect_slots += !c;
        n_limit_slots += c;
    }
    if (!all_valid) check_left_censored(data, "kaplan_meier", detected_rule::non_negative);  // throws

    kaplan_meier_result r;
    const std::size_t n_censored = n_limit_slots;
    const std::size_t n_detect_values = n_detect_slots;
    r.n = n;
    r.n_censored = n_censored;

    // EnvStats: "'x' must contain at least 2 non-missing, uncensored, distinct values".
    if (!(max_detect_key > min_detect_key))
        throw_numerical_error(std::string("kaplan_meier: distinct detected values = ") +
                              (n_censored == n ? "0" : "1") + ": must be >= 2");

    // The distinct limits with their counts, ascending.
    const std::span<std::uint64_t> limit_keys(keys.get() + n_detect_values, n_censored);
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
        std::unique_ptr<std::uint64_t[]> tmp(new std::uint64_t[limit_keys.size()]);
        sort_keys(limit_keys.data(), tmp.get(), limit_keys.size(), *llo, *lhi);
        for (std::size_t i = 0; i < limit_keys.size();) {
            std::size_t j = i;
            while (j < limit_keys.size() && limit_keys[j] == limit_keys[i]) ++j;
            limits.push_back({limit_keys[i], j - i});
            i = j;
        }
    }

    // The restricted conversion: the values censored at the smallest limit count as detected
    // there — below or at every detect, so they open the detected values (a group of their own,
    // or the first detect's when a detect equals the limit).
    std::size_t n_converted = 0;
    if (options.restricted && n_censored > 0 && min_limit_key <= min_detect_key) {
        r.restricted = true;
        n_converted = limits.front().count;
        limits.erase(limits.begin());
    }
    const std::size_t n_cen = n_censored - n_converted;
    r.n_detected = n - n_cen;
    if (n_cen == 0) {
        plain_statistics(data, options, r);  // the conversion changes flags only, not values
        return r;
    }

    {
        std::unique_ptr<std::uint64_t[]> tmp(new std::uint64_t[n_detect_values]);
        sort_keys(keys.get(), tmp.get(), n_detect_values, min_detect_key, max_detect_key);
    }
    const std::uint64_t* det = keys.get();

    // The distinct detected values y_k (ascending) with m_k = #{detected = y_k} and
    // r_k = n at y_k = #{detected ≤ y_k} + #{censored with limit ≤ y_k} (a `<y_k` counts as
    // ≤ y_k). Distinct values that are only limits have d = 0: their factor is 1, so they are
    // not kept (F is the same). Walked without a branch on ties: every key writes its group's
    // value and counts, the last key of a group leaving them final.
    std::size_t k = n_converted > 0 ? 1 : 0;
    for (std::size_t i = 1; i < n_detect_values; ++i) k += det[i] != det[i - 1];
    k += (n_converted == 0 || det[0] != min_limit_key) ? 1 : 0;
    std::vector<kaplan_meier_step> steps(k);
    std::unique_ptr<double[]> m(new double[k]);   // d at each detected value
    std::unique_ptr<double[]> rk(new double[k]);  // n at each detected value
    {
        std::unique_ptr<std::size_t[]> detected_le(new std::size_t[k]);  // #{detected ≤ y_k}
        std::size_t g = 0;
        std::uint64_t prev = det[0];
        if (n_converted > 0) {
            steps[0].value = std::bit_cast<double>(min_limit_key);
            detected_le[0] = n_converted;
            rk[0] = static_cast<double>(n_converted);  // no limit is below the smallest one
            prev = min_limit_key;
        }
        std::size_t censored_le = 0;
        std::size_t li = 0;
        for (std::size_t i = 0; i < n_detect_values; ++i) {
            const std::uint64_t v = det[i];
            g += v != prev;
            prev = v;
            while (li < limits.size() && limits[li].key <= v) censored_le += limits[li++].count;
            const std::size_t le = n_converted + i + 1;
            steps[g].value = std::bit_cast<double>(v);
            detected_le[g] = le;
            rk[g] = static_cast<double>(le + censored_le);
        }
        m[0] = static_cast<double>(detected_le[0]);
        for (std::size_t j = 1; j < k; ++j) m[j] = static_cast<double>(detected_le[j] - detected_le[j - 1]);
    }
    // F(y_k) = Π_{i>k} (1 − m_i/r_i), built from the top.
    {
        double f = 1.0;
        for (std::size_t j = k; j-- > 0;) {
            steps[j].cdf = f;
            f *= 1.0 - m[j] / rk[j];
        }
    }

    // Mean of the distribution with jumps F_k − F_{k−1} (F_0 = 0), and beside it (the same
    // forward walk, its own sums) se² = Σ_{k≥2} A_{k−1}² m_k / (r_k (r_k − m_k)),
    // A_k = Σ_{i≤k} F_i (y_{i+1} − y_i).
    double mean = steps[0].value * steps[0].cdf;
    double se2 = 0.0;
    double a = 0.0;
    for (std::size_t i = 1; i < k; ++i) {
        mean += steps[i].value * (steps[i].cdf - steps[i - 1].cdf);
        a += steps[i - 1].cdf * (steps[i].value - steps[i - 1].value);
        se2 += a * a * m[i] / (rk[i] * (rk[i] - m[i]));
    }
    // The plug-in variance about that mean.
    double var = (steps[0].value - mean) * (steps[0].value - mean) * steps[0].cdf;
    for (std::size_t i = 1; i < k; ++i)
        var += (steps[i].value - mean) * (steps[i].value - mean) * (steps[i].cdf - steps[i - 1].cdf);

    double se = std::sqrt(se2);
    if (options.correct_se) {
        const double md = static_cast<double>(r.n_detected);
        se *= std::sqrt(md / (md - 1.0));
    }

    r.mean = mean;
    r.sd = std::sqrt(var);
    r.se_mean = se;
    r.ucl = mean + t_quantile(options.confidence_level, n - 1) * se;

    // Median of the step function (F is non-decreasing: the first step with F ≥ 0.5, found by
    // bisection); F exactly 0.5 on a flat stretch → midpoint (R survfit).
    constexpr double tol = 1e-12;
    const auto it = std::partition_point(steps.begin(), steps.end(),
                                         [&](const kaplan_meier_step& s) { return !(s.cdf >= 0.5 - tol); });
    if (it != steps.end()) {
        const std::size_t i = static_cast<std::size_t>(it - steps.begin());
        r.median = (std::abs(steps[i].cdf - 0.5) <= tol && i + 1 < k) ? 0.5 * (steps[i].value + steps[i + 1].value)
                                                                        : steps[i].value;
        // F just below the smallest detect: F_1 (1 − m_1/r_1).
        r.median_is_upper_bound = i == 0 && steps[0].cdf * (1.0 - m[0] / rk[0]) >= 0.5 - tol;
    }
    r.steps = std::move(steps);
    return r;
}

}  // namespace wbe
