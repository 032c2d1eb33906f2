"""wbe — wastewater-based drug epidemiology engine, from Python.

A thin layer over the C++ engine (the private module ``wbe._core``); no formula is implemented
in Python.

- ``open_store(path)``: a :class:`Store` with ``.tables``, ``.read(name)`` (pandas DataFrame, or a
  numpy record array without pandas), ``.series(site, drug)`` and ``.history(batch_id)``.
- ``run``, ``ingest``, ``estimate``, ``flag``: the pipeline stages on a run config (a YAML path or
  a dict of the same schema), as ``wbe run``/``ingest``/``estimate``/``flag``; ``ingest`` also
  supersedes a corrected batch; ``migrate(store)`` upgrades an older store.
- ``back_calculate(conc, flow, population, cf, ...)``: the back-calculation chain on numpy
  arrays, reading C-contiguous float64 input in place, with the GIL released.
- ``monte_carlo(conc, flow, population, cf, ...)``: the engine's Monte Carlo uncertainty on
  site-day arrays: daily and campaign mean, median, quantiles and exceedance probabilities.
- ``detect(name, campaigns, values, params=...)`` and ``detectors()``: any registered detector on
  a series given as arrays.
- ``kaplan_meier``, ``robust_ros``, ``lognormal_mle``, ``censored_summary``: censored statistics
  on (values, censored flags) arrays.
- Errors: :class:`InputError` and :class:`ConfigError` (``ValueError`` subclasses with ``file``,
  ``line``, ``column`` and ``diagnostics``), :class:`NumericalError` (``ValueError``) and
  :class:`StoreError` (``OSError``).
"""
from ._core import (
    ConfigError,
    InputError,
    NumericalError,
    StoreError,
    __version__,
    back_calculate,
)
from .censored import censored_summary, kaplan_meier, lognormal_mle, robust_ros
from .detectors import detect, detectors
from .montecarlo import MonteCarloResult, monte_carlo
from .pipeline import estimate, flag, ingest, migrate, run
from .store import Store, open_store

__all__ = [
    "ConfigError",
    "InputError",
    "MonteCarloResult",
    "NumericalError",
    "Store",
    "StoreError",
    "__version__",
    "back_calculate",
    "censored_summary",
    "detect",
    "detectors",
    "estimate",
    "flag",
    "ingest",
    "kaplan_meier",
    "lognormal_mle",
    "migrate",
    "monte_carlo",
    "open_store",
    "robust_ros",
    "run",
]
