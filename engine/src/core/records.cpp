// Constructors of the plain record types (site.hpp, sample.hpp): NaN defaults need <limits>,
// which the headers keep out.
#include <limits>

#include "wbe/core/sample.hpp"
#include "wbe/core/site.hpp"

namespace wbe {

namespace {
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
}

site::site() : population(nan), population_rsd(nan), residence_time_h(nan), smoking_rate(nan), domestic_fraction(1.0) {}

assay_result::assay_result() : recovery_pct(nan) {}

}  // namespace wbe
