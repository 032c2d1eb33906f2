#include "wbe/core/accumulators.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <utility>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define WBE_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define WBE_CLONES
#endif

namespace wbe {

double moments::mean() const noexcept { return n_ ? mean_ : std::numeric_limits<double>::quiet_NaN(); }

double moments::variance() const noexcept {
    return n_ > 1 ? m2_ / static_cast<double>(n_ - 1) : std::numeric_limits<double>::quiet_NaN();
}

WBE_CLONES void draw_moments::add(std::size_t first_draw, const double* x, std::size_t n) noexcept {
    std::size_t nan = 0;
    for (std::size_t j = 0; j < n; ++j) nan += std::isnan(x[j]);
    // The lanes in locals: the compiler cannot keep members in registers across stores through x.
    double s1[8], s2[8];
    std::copy(s1_, s1_ + 8, s1);
    std::copy(s2_, s2_ + 8, s2);
    const double k = shift_;
    std::size_t j = 0;
    if (nan == 0) {
        // Up to the next multiple of 8, then whole groups of 8 lane by lane (vectorised).
        for (; j < n && (first_draw + j) % 8 != 0; ++j) {
            const double y = x[j] - k;
            s1[(first_draw + j) % 8] += y;
            s2[(first_draw + j) % 8] += y * y;
        }
        for (; j + 8 <= n; j += 8)
            for (std::size_t l = 0; l < 8; ++l) {
                const double y = x[j + l] - k;
                s1[l] += y;
                s2[l] += y * y;
            }
    }
    for (; j < n; ++j) {
        if (std::isnan(x[j])) continue;
        const double y = x[j] - k;
        s1[(first_draw + j) % 8] += y;
        s2[(first_draw + j) % 8] += y * y;
    }
    std::copy(s1, s1 + 8, s1_);
    std::copy(s2, s2 + 8, s2_);
    n_ += n - nan;
    n_nan_ += nan;
}

namespace {
double tree_sum(const double (&a)[8]) noexcept { return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7])); }
}  // namespace

double draw_moments::mean() const noexcept {
    return n_ ? shift_ + tree_sum(s1_) / static_cast<double>(n_) : std::numeric_limits<double>::quiet_NaN();
}

double draw_moments::variance() const noexcept {
    if (n_ < 2) return std::numeric_limits<double>::quiet_NaN();
    const double s1 = tree_sum(s1_);
    const double m2 = tree_sum(s2_) - s1 * s1 / static_cast<double>(n_);
    return std::max(0.0, m2) / static_cast<double>(n_ - 1);
}

quantile_ranks type7_ranks(std::size_t n, double p) noexcept {
    if (n == 0) return {};
    const double h = static_cast<double>(n - 1) * std::clamp(p, 0.0, 1.0);
    const double fl = std::floor(h);
    quantile_ranks r;
    r.lo = static_cast<std::size_t>(fl);
    r.hi = std::min(r.lo + 1, n - 1);
    r.weight = h - fl;
    return r;
}

double quantile(std::span<double> draws, double p) {
    if (draws.empty()) return std::numeric_limits<double>::quiet_NaN();
    const quantile_ranks r = type7_ranks(draws.size(), p);
    std::nth_element(draws.begin(), draws.begin() + static_cast<std::ptrdiff_t>(r.lo), draws.end());
    const double lo = draws[r.lo];
    if (r.hi == r.lo || r.weight == 0.0) return lo;
    // The next order statistic is the minimum of the part above position lo.
    const double hi = *std::min_element(draws.begin() + static_cast<std::ptrdiff_t>(r.lo) + 1, draws.end());
    return lo + r.weight * (hi - lo);
}

namespace {

// Order-preserving keys: positive doubles get the sign bit set, negative ones all bits flipped,
// so unsigned comparison of keys is numeric comparison of the values (−0 sorts below +0, which
// compare equal as doubles: the order statistics are the same numbers).
constexpr std::uint64_t sign_bit = std::uint64_t{1} << 63;
inline std::uint64_t to_key(double x) noexcept {
    const auto b = std::bit_cast<std::uint64_t>(x);
    return b ^ ((std::uint64_t{0} - (b >> 63)) | sign_bit);
}
inline double from_key(std::uint64_t k) noexcept { return std::bit_cast<double>((k & sign_bit) ? k ^ sign_bit : ~k); }

constexpr unsigned cell_bits = 11;     // ≤ 2048 cells per level (fewer for fewer keys: about 8 per cell)
constexpr std::size_t small_set = 64;  // sorted directly

void select_ranks(std::uint64_t* k, std::size_t n, const std::size_t* ranks, std::uint64_t* found, std::size_t m);

// One level of the selection over n keys in [lo, hi] (lo < hi), read through key(t): count the
// keys per cell, copy the keys of the cells holding a wanted rank in one pass, recurse on each.
// The cell tables live on the stack and the per-rank ones in one small buffer: the Monte Carlo
// engine calls this for every series, on a few hundred to a few thousand keys, where
// allocations would cost as much as the counting.
template <class Key>
void select_level(Key key, std::size_t n, std::uint64_t lo, std::uint64_t hi, const std::size_t* ranks, std::uint64_t* found,
                  std::size_t m) {
    const unsigned width = static_cast<unsigned>(std::bit_width(hi - lo));
    const unsigned bits = std::clamp(static_cast<unsigned>(std::bit_width(n)) - 3u, 4u, cell_bits);
    const unsigned shift = width > bits ? width - bits : 0;
    const std::size_t cells = static_cast<std::size_t>((hi - lo) >> shift) + 1;
    std::uint32_t counts[std::size_t{1} << cell_bits];
    std::uint16_t slot[std::size_t{1} << cell_bits];  // 1 + index of the cell among the wanted, 0 if not wanted
    std::fill(counts, counts + cells, 0u);
    std::fill(slot, slot + cells, std::uint16_t{0});
    for (std::size_t t = 0; t < n; ++t) ++counts[static_cast<std::size_t>((key(t) - lo) >> shift)];
    // Per rank: its wanted cell and the keys below that cell; per wanted cell (ascending,
    // distinct): the cell, its first key in the copy, the next free place there.
    std::vector<std::size_t> table(6 * m);
    std::size_t* const cell_of = table.data();
    std::size_t* const below_cell = cell_of + m;
    std::size_t* const wanted = below_cell + m;
    std::size_t* const start = wanted + m;
    std::size_t* const pos = start + m;
    std::size_t* const local = pos + m;
    std::size_t n_wanted = 0, below = 0, cell = 0, total = 0;
    for (std::size_t i = 0; i < m; ++i) {
        while (below + counts[cell] <= ranks[i]) below += counts[cell++];
        if (n_wanted == 0 || wanted[n_wanted - 1] != cell) {
            wanted[n_wanted] = cell;
            start[n_wanted] = pos[n_wanted] = total;
            ++n_wanted;
            total += counts[cell];
        }
        cell_of[i] = n_wanted - 1;
        below_cell[i] = below;
    }
    for (std::size_t w = 0; w < n_wanted; ++w) slot[wanted[w]] = static_cast<std::uint16_t>(w + 1);
    // Few keys fall into wanted cells, so the branch below is well predicted.
    std::vector<std::uint64_t> copy(total);
    for (std::size_t t = 0; t < n; ++t) {
        const std::uint64_t x = key(t);
        const std::uint16_t sl = slot[static_cast<std::size_t>((x - lo) >> shift)];
        if (sl != 0) [[unlikely]]
            copy[pos[sl - 1]++] = x;
    }
    for (std::size_t i = 0; i < m;) {
        std::size_t j = i;
        for (; j < m && cell_of[j] == cell_of[i]; ++j) local[j - i] = ranks[j] - below_cell[j];
        const std::size_t w = cell_of[i];
        select_ranks(copy.data() + start[w], counts[wanted[w]], local, found + i, j - i);
        i = j;
    }
}

// keys[i] = to_key(v[i]) for i < n, n ≥ 1, and the smallest and largest of them (integer
// min/max: vectorises), so that the selection's passes read keys instead of converting each
// value again.
WBE_CLONES std::pair<std::uint64_t, std::uint64_t> to_keys(const double* v, std::size_t n, std::uint64_t* keys) noexcept {
    std::uint64_t lo = to_key(v[0]), hi = lo;
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint64_t k = to_key(v[i]);
        keys[i] = k;
        lo = std::min(lo, k);
        hi = std::max(hi, k);
    }
    return {lo, hi};
}

// Writes the keys of ranks[i] (0-based, ascending, all < n) of k[0..n) to found[i]; reorders k.
void select_ranks(std::uint64_t* k, std::size_t n, const std::size_t* ranks, std::uint64_t* found, std::size_t m) {
    if (n <= small_set) {
        std::sort(k, k + n);
        for (std::size_t i = 0; i < m; ++i) found[i] = k[ranks[i]];
        return;
    }
    std::uint64_t lo = k[0], hi = k[0];
    for (std::size_t i = 1; i < n; ++i) {
        lo = std::min(lo, k[i]);
        hi = std::max(hi, k[i]);
    }
    if (lo == hi) {
        for (std::size_t i = 0; i < m; ++i) found[i] = lo;
        return;
    }
    select_level([k](std::size_t t) { return k[t]; }, n, lo, hi, ranks, found, m);
}

}  // namespace

void order_statistics(std::span<const double> values, std::span<const std::size_t> ranks, std::span<double> out,
                      quantile_scratch& sc) {
    const std::size_t n = values.size();
    if (ranks.empty()) return;
    if (n == 0) {
        std::fill(out.begin(), out.end(), std::numeric_limits<double>::quiet_NaN());
        return;
    }
    // Distinct ranks for the selection; equal ranks read the same key.
    std::vector<std::size_t> distinct(ranks.begin(), ranks.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    std::vector<std::uint64_t> found(distinct.size());
    // The values as keys (in the scratch; `values` is not reordered), with their range; min and
    // max by value (no NaN).
    sc.keys.resize(n);
    std::uint64_t* const k = sc.keys.data();
    const auto [lo, hi] = to_keys(values.data(), n, k);
    const double vmin = from_key(lo), vmax = from_key(hi);
    if (n <= small_set) {
        select_ranks(k, n, distinct.data(), found.data(), distinct.size());
    } else if (vmin == vmax) {
        std::fill(found.begin(), found.end(), to_key(vmin));  // all equal (−0 and +0 included)
    } else {
        select_level([k](std::size_t t) { return k[t]; }, n, lo, hi, distinct.data(), found.data(), distinct.size());
    }
    for (std::size_t i = 0; i < ranks.size(); ++i)
        out[i] = from_key(found[static_cast<std::size_t>(std::lower_bound(distinct.begin(), distinct.end(), ranks[i]) - distinct.begin())]);
}

void quantiles(std::span<const double> values, std::span<const double> probs, std::span<double> out,
               quantile_scratch& sc) {
    const std::size_t n = values.size();
    if (n == 0) {
        std::fill(out.begin(), out.end(), std::numeric_limits<double>::quiet_NaN());
        return;
    }
    // The order statistics the type-7 quantiles need, ascending.
    std::vector<std::size_t> ranks;
    ranks.reserve(2 * probs.size());
    for (double p : probs) {
        const quantile_ranks r = type7_ranks(n, p);
        ranks.push_back(r.lo);
        ranks.push_back(r.hi);
    }
    std::sort(ranks.begin(), ranks.end());
    std::vector<double> found(ranks.size());
    order_statistics(values, ranks, found, sc);
    const auto value_at = [&](std::size_t rank) {
        return found[static_cast<std::size_t>(std::lower_bound(ranks.begin(), ranks.end(), rank) - ranks.begin())];
    };
    for (std::size_t q = 0; q < probs.size(); ++q) {
        const quantile_ranks r = type7_ranks(n, probs[q]);
        const double lo = value_at(r.lo);
        out[q] = r.hi == r.lo || r.weight == 0.0 ? lo : lo + r.weight * (value_at(r.hi) - lo);
    }
}

}  // namespace wbe
