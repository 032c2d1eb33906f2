// Control for the compile-fail snippets: the same code with correct units compiles.
#include "wbe/core/back_calculation.hpp"
int main() {
    const wbe::concentration c(200.0);
    const wbe::flow q(1e5);
    const wbe::mass_load l = wbe::load(c, q);
    const wbe::concentration sum = c + wbe::concentration(1.0);
    return (l.value() > 0 && sum.value() > 0) ? 0 : 1;
}
