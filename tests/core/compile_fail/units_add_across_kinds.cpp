// Must not compile: adding a population to a concentration.
#include "wbe/core/back_calculation.hpp"
int main() {
    const wbe::concentration c(200.0);
    const auto sum = c + wbe::population(1000.0);
    return sum.value() > 0 ? 0 : 1;
}
