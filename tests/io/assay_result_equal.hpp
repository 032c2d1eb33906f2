#pragma once
// One assay result equal to another, column by column, NaN equal to NaN: shared by the reader's
// tests (chunked vs whole-text reading) and the store's (a round trip through HDF5).

#include <gtest/gtest.h>

#include <cmath>

#include "wbe/core/sample.hpp"

namespace wbe::test {

inline ::testing::AssertionResult same_number(double a, double b) {
    if (a == b || (std::isnan(a) && std::isnan(b))) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << a << " != " << b;
}

inline void expect_same_result(const assay_result& x, const assay_result& y) {
    EXPECT_EQ(x.batch_id, y.batch_id);
    EXPECT_EQ(x.sample_id, y.sample_id);
    EXPECT_EQ(x.site_id, y.site_id);
    EXPECT_EQ(x.day, y.day);
    EXPECT_EQ(x.analyte, y.analyte);
    EXPECT_EQ(x.conc.qual, y.conc.qual);
    EXPECT_TRUE(same_number(x.conc.value, y.conc.value));
    EXPECT_TRUE(same_number(x.conc.lod, y.conc.lod));
    EXPECT_TRUE(same_number(x.conc.loq, y.conc.loq));
    EXPECT_EQ(x.method_id, y.method_id);
    EXPECT_EQ(x.lab_id, y.lab_id);
    EXPECT_EQ(x.sample_type, y.sample_type);
    EXPECT_TRUE(same_number(x.recovery_pct, y.recovery_pct));
    EXPECT_EQ(x.notes, y.notes);
}

}  // namespace wbe::test
