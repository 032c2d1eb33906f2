"""wbe — wastewater-based drug epidemiology engine, from Python.

A thin layer over the C++ engine (the private module ``wbe._core``); no formula is implemented
in Python.

- ``open_store(path)``: a :class:`Store` with ``.tables``, ``.read(name)`` (pandas DataFrame, or a
  numpy record array without pandas) and ``.series(site, drug)``.
- ``run``, ``ingest``, ``estimate``, ``flag``: the pipeline stages on a run config (YAML path),
  as ``wbe run``/``ingest``/``estimate``/``flag`` on the command line; each returns its summary.
- ``back_calculate(conc, flow, population, cf, ...)``: the back-calculation chain on numpy
  arrays, reading C-contiguous float64 input in place, with the GIL released.
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
    estimate,
    flag,
    ingest,
    run,
)
from .store import Store, open_store

__all__ = [
    "ConfigError",
    "InputError",
    "NumericalError",
    "Store",
    "StoreError",
    "__version__",
    "back_calculate",
    "estimate",
    "flag",
    "ingest",
    "open_store",
    "run",
]
