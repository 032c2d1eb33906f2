#pragma once
/// @file number_text.hpp
/// printf's `%.Pg` without printf, for the numbers in detector reasons. A bulk run formats
/// millions of them (every watch, alert and not_evaluable campaign says why), and glibc's printf
/// converts through multi-precision arithmetic, ~0.2 µs a number.

#include <cstddef>

namespace wbe::detectors {

/// Longest text format_general() writes: sign, 17 digits, point, `e-308`.
inline constexpr std::size_t max_general_chars = 32;

/// Writes `v` to `out` exactly as std::snprintf(out, …, "%.*g", precision, v) does in the C
/// locale (1 ≤ precision ≤ 17; `inf`, `-inf`, `nan`, `-nan` included) and returns the length;
/// no terminating NUL. Decimal digits come from one correctly rounded scaling by a power of ten
/// when that decides them (they then are printf's rounding of the exact binary value); a value
/// whose scaled form lies too close to a rounding tie or a power of ten, or outside 1e±290, goes
/// to std::to_chars, which the standard defines as printf's conversion.
std::size_t format_general(double v, int precision, char* out) noexcept;

}  // namespace wbe::detectors
