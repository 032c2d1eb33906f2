// Must not compile: a flow passed where a concentration is expected.
#include "wbe/core/back_calculation.hpp"
int main() {
    const wbe::flow q(1e5);
    const wbe::mass_load l = wbe::load(q, q);
    return l.value() > 0 ? 0 : 1;
}
