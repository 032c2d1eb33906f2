#include "wbe/core/kaplan_meier.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <thread>

#include <boost/math/distributions/students_t.hpp>
#include <hwy/contrib/sort/vqsort.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "censored_detail.hpp"
#include "wbe/core/errors.hpp"
#include "wbe/core/rng.hpp"

namespace wbe {
namespace {

// t_{level, df}: the one-sided upper quantile of Student's t, evaluated in double. Boost's
// default policy promotes a double computation to long double: 5.5 µs a quantile on this
// machine, a third of a 1 000-value call; in double 0.7 µs, within 2e-15 relative of the
// promoted value for df 5 … 10⁶ and levels 0.8 … 0.999 (measured).
double t_quantile(double level, std::size_t df) {
    using in_double = boost::math::policies::policy<boost::math::policies::promote_double<false>>;
    const boost::math::students_t_distribution<double, in_double> dist(static_cast<double>(df));
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

// Sorts keys[0, n) ascending with Highway's vqsort, a vectorised quicksort: on the benchmark's
// 580 000 detected keys it takes 4.9 ms where an LSD radix sort in 11-bit digits (this file's
// sort until the sixth session) took 10.7 ms. The keys are integers: any correct sort gives the
// same sequence.
void sort_keys(std::uint64_t* keys, std::size_t n) {
    if (n < 2) return;
    thread_local const hwy::Sorter sorter;  // holds scratch: one per thread
    sorter(keys, n, hwy::SortAscending());
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

    // For up to `expected` keys: 2·min(expected, max_distinct) slots or more (load ≤ 1/2), ≥ 16.
    explicit limit_table(std::size_t expected)
        : log2_size_(static_cast<int>(std::bit_width(std::max<std::size_t>(2 * std::min(expected, max_distinct), 16) - 1))),
          slots_(std::size_t{1} << log2_size_) {}

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
            h = (h + 1) & (slots_.size() - 1);
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
    struct slot {
        std::uint64_t key = 0;
        std::size_t count = 0;
    };
    std::size_t hash(std::uint64_t key) const {
        return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> (64 - log2_size_));
    }
    int log2_size_;
    std::vector<slot> slots_;
    std::size_t distinct_ = 0;
};

// Two ascending lists of distinct limits merged into one, counts of equal limits added.
std::vector<limit_count> merge_limits(const std::vector<limit_count>& a, const std::vector<limit_count>& b) {
    std::vector<limit_count> out;
    out.reserve(a.size() + b.size());
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < a.size() || j < b.size()) {
        if (j == b.size() || (i < a.size() && a[i].key < b[j].key)) {
            out.push_back(a[i++]);
        } else if (i == a.size() || b[j].key < a[i].key) {
            out.push_back(b[j++]);
        } else {
            out.push_back({a[i].key, a[i].count + b[j].count});
            ++i;
            ++j;
        }
    }
    return out;
}

constexpr std::uint64_t no_key = ~std::uint64_t{0};  // above every key (their sign bit is clear)

// Asks for the cache line `ahead` bytes past p. The streaming loops below prefetch a page ahead:
// on this machine the hardware prefetcher restarts at each 4 KB page, and the read pass of 10⁶
// values took 2.9 ms on one thread without, 1.6 ms with (measured; 2 KB–16 KB ahead alike).
constexpr std::ptrdiff_t prefetch_distance = 4096;
inline void prefetch_ahead(const void* p, std::ptrdiff_t ahead = prefetch_distance) {
    __builtin_prefetch(reinterpret_cast<const void*>(reinterpret_cast<std::uintptr_t>(p) + static_cast<std::uintptr_t>(ahead)));
}

// Inputs of at least this many values are split in two parts, each on its own thread.
constexpr std::size_t parallel_min_values = std::size_t{1} << 16;

// What input_half::read()'s pass finds: the lists' lengths, the extremes, validity. Index 0 of
// the detect arrays: the detects below the pivot (from the front of `detects`); 1: those at or
// above it (from the back).
struct read_state {
    std::size_t detected[2] = {0, 0};
    std::size_t censored = 0;  // limits
    std::size_t listed = 0;    // limits written to the list (the others counted as known_limits)
    bool valid = true;
    std::uint64_t min_limit = no_key;
    std::uint64_t min_detect[2] = {no_key, no_key};
    std::uint64_t max_detect[2] = {0, 0};
};

// The first distinct limits read_avx512 meets, up to `capacity`, with their counts: lab data
// carry a few limits, counted by comparing each block's censored lanes with them — no list of
// limit keys to write and count afterwards. Limits beyond them go to the list.
struct known_limits {
    static constexpr int capacity = 8;
    int size = 0;
    std::uint64_t key[capacity] = {};
    std::size_t count[capacity] = {};

    std::vector<limit_count> sorted() const {
        std::vector<limit_count> out;
        for (int j = 0; j < size; ++j) out.push_back({key[j], count[j]});
        std::sort(out.begin(), out.end(), [](const limit_count& a, const limit_count& b) { return a.key < b.key; });
        return out;
    }
};

// The same pass as the portable loop in input_half::read(), eight values at a time, for the
// first n − n % 8 values (the loop takes the rest): the values and flags deinterleaved from the
// 16-byte structs, the checks and the pivot as lane masks, the extremes as masked min/max, and
// each list written by a compress-store of its lanes — in input order, where the portable loop
// writes the upper list backwards: the lists are sorted next, so the results are the same bits.
// The limits are counted as `known` (up to its capacity; the rest listed, as by the loop).
// Returns the values it read.
#if defined(__x86_64__) && defined(__GNUC__)
static_assert(sizeof(left_censored) == 16 && offsetof(left_censored, value) == 0 && offsetof(left_censored, censored) == 8,
              "read_avx512 reads left_censored as two 8-byte words, the flag in the low byte of the second");
__attribute__((target("avx512f"))) std::size_t read_avx512(const left_censored* data, std::size_t n, std::uint64_t pivot,
                                                         std::uint64_t* d, std::uint64_t* l, read_state& st,
                                                         known_limits& known) {
    const std::size_t blocks = n / 8;
    const __m512i even = _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd = _mm512_set_epi64(15, 13, 11, 9, 7, 5, 3, 1);
    const __m512i sign_off = _mm512_set1_epi64(0x7FFF'FFFF'FFFF'FFFF);
    const __m512i max_finite = _mm512_set1_epi64(0x7FEF'FFFF'FFFF'FFFF);  // the bits of DBL_MAX
    const __m512i flag_byte = _mm512_set1_epi64(0xFF);
    const __m512i zero = _mm512_setzero_si512();
    const __m512i piv = _mm512_set1_epi64(static_cast<long long>(pivot));
    __m512i min_limit = _mm512_set1_epi64(-1), min_low = min_limit, min_high = min_limit;
    __m512i max_low = zero, max_high = zero;
    __mmask8 all_valid = 0xFF;
    std::size_t lows = st.detected[0], highs = st.detected[1], cens = st.censored, listed = st.listed;
    const __m512i one = _mm512_set1_epi64(1);
    __m512i known_key[known_limits::capacity];    // each broadcast
    __m512i known_count[known_limits::capacity];  // per lane
    int n_known = 0;
    for (std::size_t b = 0; b < blocks; ++b) {
        const auto* p = reinterpret_cast<const std::uint64_t*>(data + 8 * b);
        prefetch_ahead(p);
        prefetch_ahead(p + 8);
        const __m512i a = _mm512_loadu_si512(p);      // values 0–3 with their flags
        const __m512i c2 = _mm512_loadu_si512(p + 8);  // values 4–7
        const __m512i bits = _mm512_permutex2var_epi64(a, even, c2);
        const __mmask8 c = _mm512_test_epi64_mask(_mm512_permutex2var_epi64(a, odd, c2), flag_byte);
        const __m512i key = _mm512_and_si512(bits, sign_off);
        const __mmask8 finite = _mm512_cmple_epu64_mask(key, max_finite);
        const __mmask8 positive = _mm512_cmp_pd_mask(_mm512_castsi512_pd(bits), _mm512_setzero_pd(), _CMP_GT_OQ);
        const __mmask8 is_zero = _mm512_cmpeq_epi64_mask(key, zero);
        all_valid &= finite & (positive | (is_zero & static_cast<__mmask8>(~c)));
        const __mmask8 high = _mm512_cmpge_epu64_mask(key, piv);
        const __mmask8 low_d = static_cast<__mmask8>(~c & ~high);
        const __mmask8 high_d = static_cast<__mmask8>(~c & high);
        min_limit = _mm512_mask_min_epu64(min_limit, c, min_limit, key);
        min_low = _mm512_mask_min_epu64(min_low, low_d, min_low, key);
        max_low = _mm512_mask_max_epu64(max_low, low_d, max_low, key);
        min_high = _mm512_mask_min_epu64(min_high, high_d, min_high, key);
        max_high = _mm512_mask_max_epu64(max_high, high_d, max_high, key);
        const auto n_low = static_cast<std::size_t>(__builtin_popcount(low_d));
        const auto n_high = static_cast<std::size_t>(__builtin_popcount(high_d));
        _mm512_mask_compressstoreu_epi64(d + lows, low_d, key);
        _mm512_mask_compressstoreu_epi64(d + n - highs - n_high, high_d, key);
        __mmask8 unmatched = c;
        for (int j = 0; j < n_known; ++j) {  // a lane matches one known limit at most
            const __mmask8 hit = _mm512_mask_cmpeq_epi64_mask(c, key, known_key[j]);
            known_count[j] = _mm512_mask_add_epi64(known_count[j], hit, known_count[j], one);
            unmatched &= static_cast<__mmask8>(~hit);
        }
        if (unmatched != 0) [[unlikely]] {  // a new limit: known while there is room, then listed
            alignas(64) std::uint64_t lanes[8];
            _mm512_store_si512(lanes, key);
            while (unmatched != 0 && n_known < known_limits::capacity) {
                known_key[n_known] = _mm512_set1_epi64(static_cast<long long>(lanes[__builtin_ctz(unmatched)]));
                const __mmask8 hit = _mm512_mask_cmpeq_epi64_mask(unmatched, key, known_key[n_known]);
                known_count[n_known] = _mm512_maskz_mov_epi64(hit, one);
                ++n_known;
                unmatched &= static_cast<__mmask8>(~hit);
            }
            _mm512_mask_compressstoreu_epi64(l + listed, unmatched, key);
            listed += static_cast<std::size_t>(__builtin_popcount(unmatched));
        }
        lows += n_low;
        highs += n_high;
        cens += static_cast<std::size_t>(__builtin_popcount(c));
    }
    st.detected[0] = lows;
    st.detected[1] = highs;
    st.censored = cens;
    st.listed = listed;
    for (int j = 0; j < n_known; ++j) {
        alignas(64) std::uint64_t lane[2][8];
        _mm512_store_si512(lane[0], known_key[j]);
        _mm512_store_si512(lane[1], known_count[j]);
        std::size_t total = 0;
        for (int i = 0; i < 8; ++i) total += lane[1][i];
        known.key[known.size] = lane[0][0];
        known.count[known.size++] = total;
    }
    st.valid = st.valid && all_valid == 0xFF;
    // The lanes reduced through memory (GCC 12's _mm512_reduce_* warn about their own headers).
    alignas(64) std::uint64_t lane[5][8];
    _mm512_store_si512(lane[0], min_limit);
    _mm512_store_si512(lane[1], min_low);
    _mm512_store_si512(lane[2], max_low);
    _mm512_store_si512(lane[3], min_high);
    _mm512_store_si512(lane[4], max_high);
    for (int j = 0; j < 8; ++j) {
        st.min_limit = std::min(st.min_limit, lane[0][j]);
        st.min_detect[0] = std::min(st.min_detect[0], lane[1][j]);
        st.max_detect[0] = std::max(st.max_detect[0], lane[2][j]);
        st.min_detect[1] = std::min(st.min_detect[1], lane[3][j]);
        st.max_detect[1] = std::max(st.max_detect[1], lane[4][j]);
    }
    return 8 * blocks;
}
#endif

// One half of the input (or the whole of it), read by one thread.
struct input_half {
    std::span<const left_censored> data;
    // data.size() + 1 slots: the detects below the pivot from the front, those at or above it
    // from the back (reversed).
    std::unique_ptr<std::uint64_t[]> detects;
    std::unique_ptr<std::uint64_t[]> limit_keys;  // data.size() + 1 slots: the limits from the front

    read_state st;
    std::vector<limit_count> limits;  // distinct limits with their counts, ascending

    std::span<std::uint64_t> low() const { return {detects.get(), st.detected[0]}; }
    std::span<std::uint64_t> high() const { return {detects.get() + data.size() - st.detected[1], st.detected[1]}; }

    void read(std::uint64_t pivot) {
        const std::size_t n = data.size();
        detects.reset(new std::uint64_t[n + 1]);  // not value-initialised
        limit_keys.reset(new std::uint64_t[n + 1]);
        // One pass, free of branches on the (random) censoring flags, on the value keys (they
        // order like the values): checks every value (finite; a limit > 0, a detect ≥ 0: the
        // rule of check_left_censored, which names the first invalid value when one is found),
        // finds the smallest limit and the extremes of the detects on either side of the pivot,
        // and writes every key to all three lists' next slots, of which only the right one
        // advances (the two ends of `detects` meet at most in one slot, with one key).
        std::uint64_t* d = detects.get();
        std::uint64_t* l = limit_keys.get();
        read_state s;  // a local: the stores to d and l could alias a member
        known_limits known;
        std::size_t first = 0;
#if defined(__x86_64__) && defined(__GNUC__)
        if (rng::detail::avx512_enabled()) first = read_avx512(data.data(), n, pivot, d, l, s, known);
#endif
        for (const auto& v : data.subspan(first)) {
            prefetch_ahead(&v);
            const double x = v.value;
            const bool c = v.censored;
            s.valid &= (std::abs(x) <= std::numeric_limits<double>::max()) & ((x > 0.0) | (!c & (x == 0.0)));
            const std::uint64_t key = key_of(x);
            const bool high = key >= pivot;
            const bool is_low = !c & !high;
            const bool is_high = !c & high;
            const std::uint64_t cm = std::uint64_t{0} - static_cast<std::uint64_t>(c);  // all ones when censored
            const std::uint64_t lm = std::uint64_t{0} - static_cast<std::uint64_t>(is_low);
            const std::uint64_t hm = std::uint64_t{0} - static_cast<std::uint64_t>(is_high);
            s.min_limit = std::min(s.min_limit, key | ~cm);
            s.min_detect[0] = std::min(s.min_detect[0], key | ~lm);
            s.max_detect[0] = std::max(s.max_detect[0], key & lm);
            s.min_detect[1] = std::min(s.min_detect[1], key | ~hm);
            s.max_detect[1] = std::max(s.max_detect[1], key & hm);
            d[s.detected[0]] = key;
            d[n - 1 - s.detected[1]] = key;
            l[s.listed] = key;
            s.detected[0] += is_low;
            s.detected[1] += is_high;
            s.censored += c;
            s.listed += c;
        }
        st = s;
        if (!st.valid) return;  // the caller names the invalid value
        const std::size_t cens = st.listed;

        // The listed limits, counted in a small table (lab data carry few), or sorted beyond
        // it; then merged with the known ones.
        limit_table table(cens);
        bool table_ok = true;
        for (std::size_t i = 0; i < cens; ++i)
            if (!table.add(l[i])) {
                table_ok = false;
                break;
            }
        if (table_ok) {
            limits = table.sorted();
        } else {
            sort_keys(l, cens);
            for (std::size_t i = 0; i < cens;) {
                std::size_t j = i;
                while (j < cens && l[j] == l[i]) ++j;
                limits.push_back({l[i], j - i});
                i = j;
            }
        }
        if (known.size > 0) limits = merge_limits(known.sorted(), limits);
        limit_keys.reset();
    }
};

// The detects on one side of the pivot, gathered from both halves and sorted by one thread.
struct sorted_side {
    std::unique_ptr<std::uint64_t[]> buffer;
    std::span<const std::uint64_t> keys;
    std::size_t distinct = 0;  // distinct keys

    // `side` 0: below the pivot; 1: at or above it.
    void sort(input_half* halves, std::size_t n_halves, int side) {
        std::size_t n = 0;
        for (std::size_t h = 0; h < n_halves; ++h) n += halves[h].st.detected[side];
        if (n == 0) return;
        std::uint64_t* k = nullptr;
        if (n_halves == 1) {  // sorted where they lie
            k = (side == 0 ? halves[0].low() : halves[0].high()).data();
        } else {
            buffer.reset(new std::uint64_t[n]);
            k = buffer.get();
            std::size_t at = 0;
            for (std::size_t h = 0; h < n_halves; ++h) {
                const auto src = side == 0 ? halves[h].low() : halves[h].high();
                std::copy(src.begin(), src.end(), k + at);
                at += src.size();
            }
        }
        sort_keys(k, n);
        keys = {k, n};
        std::size_t d = 1;
        for (std::size_t i = 1; i < n; ++i) d += k[i] != k[i - 1];
        distinct = d;
    }
};

// Where a walk over sorted detects starts: the group of the previous key (its index and key),
// and #{detected ≤ the previous key}.
struct walk_state {
    std::size_t group;
    std::uint64_t prev;
    std::size_t group_base;  // #{detected} below the current group
    std::size_t detected_le;
};

// The groups: value (and F, later) and d. n at a group is not stored but carried along by the
// loops that need it (r_j = #{detected ≤ y_j} + #{censored with limit ≤ y_j}, see n_at): the
// walk writes 12 bytes a group instead of 32, which was most of its time.
struct walk_output {
    kaplan_meier_step* steps;  // the group values
    std::uint32_t* m;          // d at each group's value (n < 2³² is checked)
    const std::vector<limit_count>* limits;  // the censored values' limits, ascending, with counts
};

// r at a group and the number of limits ≤ its value: what the loops carry from group to group.
struct n_state {
    double r;
    std::size_t limits_le;
};

// Walks sorted detects from `s`, ties without a branch: every key writes its group's value and
// count, the last key of a group leaving them final. A key that differs from the previous one
// opens a group.
void walk_side(std::span<const std::uint64_t> keys, walk_state s, const walk_output& out) {
    std::size_t g = s.group;
    std::uint64_t prev = s.prev;
    std::size_t group_base = s.group_base;
    std::size_t le = s.detected_le;
    for (const std::uint64_t v : keys) {
        // Ties fall at random, and GCC compiles `new_group ? le : group_base` to a branch, often
        // mispredicted (1.2 ms of 290 000 keys; 0.7 ms without it): the base is chosen by a mask
        // the optimiser cannot see through.
        std::uint64_t open = static_cast<std::uint64_t>(v != prev);
        prev = v;
        g += open;
        open = std::uint64_t{0} - open;  // all ones when v opens a group
#if defined(__GNUC__)
        asm("" : "+r"(open));
#endif
        group_base = (le & open) | (group_base & ~open);
        ++le;
        out.steps[g].value = std::bit_cast<double>(v);
        out.m[g] = static_cast<std::uint32_t>(le - group_base);
    }
}

// F at the groups [lo, hi), from the top: F = f at hi − 1, then times (1 − m_j/r_j) going down.
// Returns the product below lo. (This and the sums are kept out of line: inlined into
// kaplan_meier, the calling thread's copy of a loop ran up to twice as slow as the other's.)
// `top`: n at hi − 1; going down, n loses the group's d and the limits above the next value.
[[gnu::noinline]] double cdf_from_top(const walk_output& out, std::size_t lo, std::size_t hi, double f, n_state top) {
    const limit_count* limits = out.limits->data();
    double r = top.r;
    std::size_t li = top.limits_le;
    for (std::size_t j = hi; j-- > lo;) {
        const double mj = out.m[j];
        out.steps[j].cdf = f;
        f *= 1.0 - mj / r;
        if (j == lo) break;
        r -= mj;
        const std::uint64_t below = key_of(out.steps[j - 1].value);
        while (li > 0 && limits[li - 1].key > below) r -= static_cast<double>(limits[--li].count);
    }
    return f;
}

// The forward sums over the groups [lo, hi) (see kaplan_meier's tail): with `scaled`, F_i is
// scale · cdf_i, stored back; f_prev and y_prev are F and y at the group before lo (unused when
// lo is 0). The se² terms count `acc` from lo; with `offset_terms`, Σw and Σ acc·w as well, so
// that se² can be taken about an offset a known later:
// Σ (a + acc_i)² w_i = a² Σw + 2a Σ acc·w + Σ acc² w.
struct forward_sums {
    double mean = 0.0;   // Σ y_i (F_i − F_{i−1})
    double acc = 0.0;    // Σ F_{i−1} (y_i − y_{i−1}): A at hi − 1, less A at lo − 1
    double se2 = 0.0;    // Σ acc_i² w_i, w_i = d_i / (r_i (r_i − d_i))
    double w = 0.0;      // Σ w_i        (offset_terms)
    double acc_w = 0.0;  // Σ acc_i w_i  (offset_terms)
};

// `before`: n at lo − 1 (lo = 0: {0, 0}); going up, n gains the group's d and the limits up to
// its value.
template <bool scaled, bool offset_terms>
[[gnu::noinline]] forward_sums sums_over(const walk_output& out, std::size_t lo, std::size_t hi, double scale,
                                         double f_prev, double y_prev, n_state before) {
    const limit_count* limits = out.limits->data();
    const std::size_t n_limits = out.limits->size();
    forward_sums s;
    std::size_t i = lo;
    double r = before.r;
    std::size_t li = before.limits_le;
    if (lo == 0) {  // F_{−1} = 0, no se² term
        double f0 = out.steps[0].cdf;
        if constexpr (scaled) out.steps[0].cdf = f0 = scale * f0;
        s.mean = out.steps[0].value * f0;
        f_prev = f0;
        y_prev = out.steps[0].value;
        r += out.m[0];
        const std::uint64_t key = key_of(y_prev);
        while (li < n_limits && limits[li].key <= key) r += static_cast<double>(limits[li++].count);
        i = 1;
    }
    for (; i < hi; ++i) {
        const double y = out.steps[i].value;
        const double mi = out.m[i];
        r += mi;
        const std::uint64_t key = key_of(y);
        while (li < n_limits && limits[li].key <= key) r += static_cast<double>(limits[li++].count);
        double f = out.steps[i].cdf;
        if constexpr (scaled) out.steps[i].cdf = f = scale * f;
        s.mean += y * (f - f_prev);
        s.acc += f_prev * (y - y_prev);
        if constexpr (offset_terms) {
            const double w = mi / (r * (r - mi));
            s.w += w;
            s.acc_w += s.acc * w;
            s.se2 += s.acc * s.acc * w;
        } else {
            s.se2 += s.acc * s.acc * mi / (r * (r - mi));
        }
        f_prev = f;
        y_prev = y;
    }
    return s;
}

// Σ (y_i − mean)² (F_i − F_{i−1}) over the groups [lo, hi); f_prev: F at lo − 1 (lo > 0).
[[gnu::noinline]] double variance_over(const walk_output& out, std::size_t lo, std::size_t hi, double mean, double f_prev) {
    double var = 0.0;
    std::size_t i = lo;
    if (lo == 0) {
        var = (out.steps[0].value - mean) * (out.steps[0].value - mean) * out.steps[0].cdf;
        f_prev = out.steps[0].cdf;
        i = 1;
    }
    for (; i < hi; ++i) {
        const double d = out.steps[i].value - mean;
        var += d * d * (out.steps[i].cdf - f_prev);
        f_prev = out.steps[i].cdf;
    }
    return var;
}

// A barrier for the two threads of a call. Their steps are short (tens of µs at 10⁵ values),
// and std::barrier soon puts a waiting thread to sleep: waking it took tens of µs on this VM,
// six times a call. This one spins for up to ~50 µs (each thread has a core: the call uses two
// threads only when the machine has two), then sleeps on the phase (C++20 atomic wait).
class pair_barrier {
public:
    void arrive_and_wait() {
        const unsigned phase = phase_.load(std::memory_order_acquire);
        if (arrived_.fetch_add(1, std::memory_order_acq_rel) == 1) {  // the second to arrive
            arrived_.store(0, std::memory_order_relaxed);
            phase_.store(phase + 1, std::memory_order_release);
            phase_.notify_one();
            return;
        }
        for (int spin = 0; spin < spin_limit; ++spin) {
            if (phase_.load(std::memory_order_acquire) != phase) return;
#if defined(__x86_64__) && defined(__GNUC__)
            __builtin_ia32_pause();
#endif
        }
        phase_.wait(phase, std::memory_order_acquire);
    }

private:
    static constexpr int spin_limit = 1 << 12;  // pause: ~40 cycles (and up to ~140) each
    std::atomic<unsigned> arrived_{0};
    std::atomic<unsigned> phase_{0};
};

// The median of the detected keys among up to 1 024 values read at an even stride: the pivot
// that splits the detects of a large input in two about equal sides. no_key (every detect
// below it) when the sample holds no detect.
std::uint64_t pivot_of(std::span<const left_censored> data) {
    constexpr std::size_t samples = 1024;
    std::uint64_t keys[samples];
    std::size_t m = 0;
    const std::size_t stride = std::max<std::size_t>(1, data.size() / samples);
    for (std::size_t i = 0; i < data.size() && m < samples; i += stride)
        if (!data[i].censored) keys[m++] = key_of(data[i].value);
    if (m == 0) return no_key;
    std::nth_element(keys, keys + m / 2, keys + m);
    return keys[m / 2];
}

}  // namespace

kaplan_meier_result kaplan_meier(std::span<const left_censored> data, const kaplan_meier_options& options) {
    detail::check_option_open("kaplan_meier_options.confidence_level", options.confidence_level, 0.0, 1.0);
    const std::size_t n = data.size();
    if (n > std::numeric_limits<std::uint32_t>::max())  // the counts of tied detects are 32-bit
        throw_numerical_error("kaplan_meier: " + std::to_string(n) + " values: at most 4294967295");

    // A large input is read in two halves on two threads, each splitting its detects at a pivot
    // (the median of a sample); then each thread sorts the detects of one side of the pivot from
    // both halves, so that the two sorted sides follow each other. A small input: one half, one
    // side, on the calling thread.
    const bool large = n >= parallel_min_values;
    const unsigned threads = !large ? 1 : options.threads != 0 ? options.threads : std::thread::hardware_concurrency();
    const std::size_t n_halves = threads >= 2 ? 2 : 1;
    // The pivot splits the detects of a large sample on one thread too: two sorts of half the
    // keys take less time than one of all of them (vqsort: 8.6 against 9.1 ns a key here).
    const std::uint64_t pivot = large ? pivot_of(data) : no_key;
    input_half halves[2];
    sorted_side sides[2];
    halves[0].data = data.first(n_halves == 2 ? n / 2 : n);
    halves[1].data = data.subspan(halves[0].data.size());
    const auto valid = [&] { return halves[0].st.valid && halves[1].st.valid; };
    // Without censored values the plain statistics are returned: nothing to sort.
    const auto needs_sort = [&] { return valid() && halves[0].st.censored + halves[1].st.censored > 0; };
    // Two threads: the helper reads and sorts with this one, then waits at a third barrier
    // for its part of the tail (upper_tail), or to be let go without one (an error, the plain
    // statistics): one thread a call, as starting one takes ~0.1 ms here.
    pair_barrier sync;
    std::function<void(int)> upper_tail;
    std::thread helper;
    bool second_waits = false;  // at the third barrier
    struct let_go {             // on every way out before the tail: release and join
        std::thread& t;
        pair_barrier& sync;
        bool& waits;
        ~let_go() {
            if (waits) {
                waits = false;
                sync.arrive_and_wait();
            }
            if (t.joinable()) t.join();
        }
    } release_second{helper, sync, second_waits};
    if (n_halves == 2) {
        std::exception_ptr failed[2];
        const auto work = [&](int t) {
            try {
                halves[t].read(pivot);
            } catch (...) {
                failed[t] = std::current_exception();
            }
            sync.arrive_and_wait();
            if (failed[0] || failed[1] || !needs_sort()) return;
            try {
                sides[t].sort(halves, 2, t);
            } catch (...) {
                failed[t] = std::current_exception();
            }
        };
        second_waits = true;
        helper = std::thread([&] {  // nothing here throws past `work`
            work(1);
            sync.arrive_and_wait();  // both sorted
            sync.arrive_and_wait();  // the tail, or not
            if (!upper_tail) return;
            for (int step = 0; step < 4; ++step) {
                if (step > 0) sync.arrive_and_wait();
                upper_tail(step);
            }
        });
        work(0);
        sync.arrive_and_wait();
        for (const auto& f : failed)
            if (f) std::rethrow_exception(f);
    } else {
        halves[0].read(pivot);  // halves[1] stays empty: valid, nothing counted
        if (needs_sort()) {
            sides[0].sort(halves, 1, 0);
            sides[1].sort(halves, 1, 1);
        }
    }
    if (!valid()) check_left_censored(data, "kaplan_meier", detected_rule::non_negative);  // throws

    const input_half& h0 = halves[0];
    const input_half& h1 = halves[1];
    const std::uint64_t min_limit_key = std::min(h0.st.min_limit, h1.st.min_limit);
    const std::uint64_t min_detect_key = std::min({h0.st.min_detect[0], h0.st.min_detect[1], h1.st.min_detect[0], h1.st.min_detect[1]});
    const std::uint64_t max_detect_key = std::max({h0.st.max_detect[0], h0.st.max_detect[1], h1.st.max_detect[0], h1.st.max_detect[1]});
    const std::size_t n_censored = h0.st.censored + h1.st.censored;

    kaplan_meier_result r;
    r.n = n;
    r.n_censored = n_censored;

    // EnvStats: "'x' must contain at least 2 non-missing, uncensored, distinct values".
    if (!(max_detect_key > min_detect_key))
        throw_numerical_error(std::string("kaplan_meier: distinct detected values = ") +
                              (n_censored == n ? "0" : "1") + ": must be >= 2");

    std::vector<limit_count> limits = n_halves == 2 ? merge_limits(h0.limits, h1.limits) : h0.limits;

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

    // The distinct detected values y_k (ascending) with m_k = #{detected = y_k} and
    // r_k = n at y_k = #{detected ≤ y_k} + #{censored with limit ≤ y_k} (a `<y_k` counts as
    // ≤ y_k). Distinct values that are only limits have d = 0: their factor is 1, so they are
    // not kept (F is the same). Every key of the first side is below every key of the second,
    // so each side is walked on its own (on two threads for a large input), the second from the
    // state the first ends in.
    const bool converted_apart = n_converted > 0 && min_detect_key != min_limit_key;
    const std::size_t k = sides[0].distinct + sides[1].distinct + (converted_apart ? 1 : 0);
    std::vector<kaplan_meier_step> steps(k);
    std::unique_ptr<std::uint32_t[]> m(new std::uint32_t[k]);  // d at each detected value
    walk_state first{0, min_detect_key, 0, n_converted};
    if (n_converted > 0) {
        steps[0].value = std::bit_cast<double>(min_limit_key);
        m[0] = static_cast<std::uint32_t>(n_converted);
        first.prev = min_limit_key;
    }
    walk_state second = first;
    if (!sides[0].keys.empty()) {
        second.group = (converted_apart ? 1 : 0) + sides[0].distinct - 1;
        second.prev = sides[0].keys.back();
        second.detected_le = n_converted + sides[0].keys.size();
    }
    // F(y_k) = Π_{i>k} (1 − m_i/r_i), built from the top, and the forward sums
    //   mean = Σ_k y_k (F_k − F_{k−1}) (F_0 = 0),  var = Σ_k (y_k − mean)² (F_k − F_{k−1}),
    //   se²  = Σ_{k≥2} A_{k−1}² m_k / (r_k (r_k − m_k)),  A_k = Σ_{i≤k} F_i (y_{i+1} − y_i).
    // A small sample: one loop each, in ascending order. A large one (from 65 536 values, on
    // one thread or two: the arithmetic is the same) in two parts, the groups [0, c) and [c, k)
    // with c = k/2, each part on its own thread when there are two:
    //  - the upper part's F from 1 at the top (as one loop would), its product f below it; the
    //    lower part's product L from 1 at its own top at the same time, then F = f · L;
    //  - each part's sums; the upper part's se² terms about an offset, the lower part's A at its
    //    end: se² = se²_low + (a² Σw + 2a Σ acc·w) + Σ acc² w (non-negative terms, no cancellation);
    //  - mean = mean_low + mean_high, then each part's variance about it, added.
    // The walks go by the sides of the pivot (their keys are sorted apart): on two threads when
    // both have detects.
    const walk_output out{steps.data(), m.get(), &limits};
    // n at group j: #{detected ≤ y_j} (the converted values, then the sorted detects of both
    // sides) + #{censored with limit ≤ y_j}; where a loop starts.
    const auto n_at = [&](std::size_t j) {
        const std::uint64_t key = key_of(steps[j].value);
        std::size_t detected = n_converted;
        for (const auto& side : sides)
            detected += static_cast<std::size_t>(std::upper_bound(side.keys.begin(), side.keys.end(), key) - side.keys.begin());
        n_state at{static_cast<double>(detected), 0};
        while (at.limits_le < limits.size() && limits[at.limits_le].key <= key)
            at.r += static_cast<double>(limits[at.limits_le++].count);
        return at;
    };
    double mean = 0.0;
    double se2 = 0.0;
    double var = 0.0;
    if (!large) {
        walk_side(sides[0].keys, first, out);
        walk_side(sides[1].keys, second, out);
        cdf_from_top(out, 0, k, 1.0, n_at(k - 1));
        const forward_sums s = sums_over<false, false>(out, 0, k, 1.0, 0.0, 0.0, {0.0, 0});
        mean = s.mean;
        se2 = s.se2;
        var = variance_over(out, 0, k, mean, 0.0);
    } else {
        const std::size_t c = k / 2;  // k ≥ 2 (checked above)
        const bool walk_apart = n_halves == 2 && !sides[0].keys.empty() && !sides[1].keys.empty();
        double f = 1.0;  // F at c − 1: the upper part's product
        forward_sums low;
        forward_sums high;
        double var_low = 0.0;
        double var_high = 0.0;
        // Four steps a part; a part's step needs the other's previous step done.
        const auto low_step = [&](int step) {
            if (step == 0) {
                walk_side(sides[0].keys, first, out);
                if (!walk_apart) walk_side(sides[1].keys, second, out);
            } else if (step == 1) {
                cdf_from_top(out, 0, c, 1.0, n_at(c - 1));
            } else if (step == 2) {
                low = sums_over<true, false>(out, 0, c, f, 0.0, 0.0, {0.0, 0});
            } else {
                var_low = variance_over(out, 0, c, low.mean + high.mean, 0.0);
            }
        };
        const auto high_step = [&](int step) {
            if (step == 0) {
                if (walk_apart) walk_side(sides[1].keys, second, out);
            } else if (step == 1) {
                f = cdf_from_top(out, c, k, 1.0, n_at(k - 1));
            } else if (step == 2) {
                high = sums_over<false, true>(out, c, k, 1.0, f, steps[c - 1].value, n_at(c - 1));
            } else {
                var_high = variance_over(out, c, k, low.mean + high.mean, f);
            }
        };
        if (n_halves == 2) {  // nothing in either part throws
            upper_tail = high_step;
            second_waits = false;
            sync.arrive_and_wait();
            for (int step = 0; step < 4; ++step) {
                if (step > 0) sync.arrive_and_wait();
                low_step(step);
            }
            helper.join();
        } else {
            for (int step = 0; step < 4; ++step) {
                low_step(step);
                high_step(step);
            }
        }
        mean = low.mean + high.mean;
        const double a = low.acc;
        se2 = low.se2 + ((a * a * high.w + 2.0 * a * high.acc_w) + high.se2);
        var = var_low + var_high;
    }

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
        r.median_is_upper_bound = i == 0 && steps[0].cdf * (1.0 - m[0] / n_at(0).r) >= 0.5 - tol;
    }
    r.steps = std::move(steps);
    return r;
}

}  // namespace wbe
