"""Statistics of left-censored samples on numpy arrays: Kaplan–Meier, robust ROS, censored
log-normal maximum likelihood, and the summary that picks the method by the censored share
(``engine/include/wbe/core/kaplan_meier.hpp``, ``ros.hpp``, ``censored_mle.hpp``,
``censored_summary.hpp``; science.md §5).

Every function takes ``values`` and ``censored`` flags of equal length: a censored value is
"below ``values[i]``" (its limit), as ``<0.5`` in a lab report. With ``limits``, a censored row's
limit is taken from ``limits[i]`` instead (its ``values[i]`` may then be NaN). Several limits in
one sample are the normal case. Each returns a dict; invalid values or options raise
NumericalError (a ValueError) with the engine's message, e.g. ``robust_ros: value[3] = -1: a
detected value must be > 0``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from . import _core


def _flags(censored: npt.ArrayLike) -> np.ndarray:
    return np.ascontiguousarray(censored, dtype=bool)


def kaplan_meier(values: npt.ArrayLike, censored: npt.ArrayLike, limits: npt.ArrayLike | None = None, *,
                 restricted: bool = False, confidence_level: float = 0.95, correct_se: bool = True) -> dict[str, Any]:
    """Kaplan–Meier mean, sd, se_mean, ucl (one-sided, Student t) and median of a left-censored
    sample (EnvStats ``enparCensored`` conventions), with ``median_is_upper_bound``, the counts,
    and the support of the estimated distribution (``step_values``, ``step_cdf``). Needs two
    distinct detected values."""
    return _core.kaplan_meier(values, _flags(censored), limits, restricted=restricted,
                              confidence_level=confidence_level, correct_se=correct_se)


def robust_ros(values: npt.ArrayLike, censored: npt.ArrayLike, limits: npt.ArrayLike | None = None, *,
               max_censored_share: float = 0.8, min_detects: int = 2, substitution_fraction: float = 0.5,
               drop_censored_above_max_detect: bool = True, plotting_position: float = 0.0,
               censored_positions: str = "sorted_by_limit") -> dict[str, Any]:
    """Robust regression on order statistics (Helsel & Cohn 1988) on the log scale: ``method``
    (``robust_ros``, ``substitution`` when the sample is too censored — then
    ``fallback_reason`` — or ``no_censoring``), the imputed ``values`` and ``plotting_positions``
    in input order, ``intercept``/``slope`` of the fit, ``mean``, ``sd``, ``median`` and counts."""
    return _core.robust_ros(values, _flags(censored), limits, max_censored_share=max_censored_share,
                            min_detects=min_detects, substitution_fraction=substitution_fraction,
                            drop_censored_above_max_detect=drop_censored_above_max_detect,
                            plotting_position=plotting_position, censored_positions=censored_positions)


def lognormal_mle(values: npt.ArrayLike, censored: npt.ArrayLike, limits: npt.ArrayLike | None = None, *,
                  max_iterations: int = 200, tolerance: float = 1e-10) -> dict[str, Any]:
    """Log-normal maximum likelihood for a left-censored sample: ``meanlog``, ``sdlog`` and their
    standard errors, ``mean``, ``sd``, ``median`` on the original scale, ``log_likelihood``,
    ``iterations``, ``converged`` and counts."""
    return _core.lognormal_mle(values, _flags(censored), limits, max_iterations=max_iterations, tolerance=tolerance)


def censored_summary(values: npt.ArrayLike, censored: npt.ArrayLike, limits: npt.ArrayLike | None = None, *,
                     moderate_max_share: float = 0.5, high_max_share: float = 0.8,
                     moderate_method: str = "kaplan_meier", high_method: str = "robust_ros",
                     confidence_level: float = 0.95) -> dict[str, Any]:
    """The summary with the method the censored share allows (science.md §5): ``plain`` without
    censoring, ``moderate_method`` up to ``moderate_max_share``, ``high_method`` up to
    ``high_max_share``, above it (or with fewer than two distinct detects) ``not_estimable``
    with ``not_estimable_reason`` — the counts and detection frequency are always given. Returns
    ``method``, ``estimable``, ``mean``, ``sd``, ``median``, ``se_mean``, ``ucl``, counts,
    ``censored_share``, ``detection_frequency``, ``not_estimable_reason``, ``note`` and the
    engine's one-line ``report``."""
    return _core.censored_summary(values, _flags(censored), limits, moderate_max_share=moderate_max_share,
                                  high_max_share=high_max_share, moderate_method=moderate_method,
                                  high_method=high_method, confidence_level=confidence_level)
