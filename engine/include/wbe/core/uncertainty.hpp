#pragma once
/// @file uncertainty.hpp
/// Uncertainty settings of a run: the method, the Monte Carlo options, the distribution of
/// each component (science.md §3 defaults) and the overrides per drug, site and lab method.

#include <optional>
#include <string>
#include <vector>

#include "wbe/core/distributions.hpp"
#include "wbe/core/errors.hpp"
#include "wbe/core/monte_carlo.hpp"

namespace wbe {

/// One distribution per component of the chain (see monte_carlo.hpp for how each enters).
struct uncertainty_components {
    factor_distribution analysis = factor_distribution::lognormal(0.15);    ///< Castiglioni et al. 2013: 6–26%
    factor_distribution sampling = factor_distribution::lognormal(0.10);    ///< Ort et al. 2010: 24 h flow-proportional
    factor_distribution flow = factor_distribution::lognormal(0.10);        ///< common practice 5–10%
    factor_distribution population = factor_distribution::lognormal(0.10);  ///< used when a site gives no population_rsd
    factor_distribution excretion = factor_distribution::lognormal(0.25);   ///< Castiglioni et al. 2013; used when a model gives no rsd
};

/// Replaces components where every selector that is set matches (later overrides win).
struct uncertainty_override {
    std::string drug;       ///< drug name or residue id
    std::string site;       ///< site id (not for excretion, drawn once per drug for every site)
    std::string method_id;  ///< lab method of the sample (analysis only)
    std::optional<factor_distribution> analysis, sampling, flow, population, excretion;
    location origin;
};

/// The thresholds of the consumption rules, for P(index > threshold).
struct exceedance_thresholds {
    std::string drug;
    std::string site_kind;
    double watch;
    double alert;
};

struct uncertainty_options {
    uncertainty_method method = uncertainty_method::none;
    mc_options mc;
    uncertainty_components defaults;
    /// Take each site's population_rsd and each model's excretion (or CF) rsd, keeping the
    /// family of the default component.
    bool from_inputs = true;
    std::vector<uncertainty_override> overrides;
    /// A threshold flag is `exceeds` when P(index > threshold) ≥ p_exceeds and `possible`
    /// when ≥ p_possible.
    double p_exceeds = 0.95;
    double p_possible = 0.5;
    std::vector<exceedance_thresholds> thresholds;
};

[[nodiscard]] std::string_view to_string(uncertainty_method m) noexcept;
[[nodiscard]] bool parse_uncertainty_method(std::string_view text, uncertainty_method& out) noexcept;
[[nodiscard]] std::string_view to_string(censored_draws c) noexcept;

}  // namespace wbe
