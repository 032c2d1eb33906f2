// Must not compile: a raw double silently becoming a concentration.
#include "wbe/core/back_calculation.hpp"
int main() {
    const wbe::mass_load l = wbe::load(200.0, wbe::flow(1e5));
    return l.value() > 0 ? 0 : 1;
}
