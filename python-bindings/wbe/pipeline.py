"""The pipeline stages (``wbe ingest``/``estimate``/``flag``/``run``/``migrate``) from Python.

Each stage takes its run config as a path (YAML file; relative paths in it resolve against the
file's folder) or as a dict with the same schema (``config/README.md``); relative paths in a dict
resolve against ``base_dir``, by default the current working directory at the call. The engine
reads a dict with the same reader and rules as a file; an error in it is a ConfigError whose
``key`` is the key path in the dict (e.g. ``uncertainty.draws``) and whose ``file``, ``line`` and
``column`` are None. Errors in files a dict names (a thresholds file, sites, batches) keep their
file, line and column.
"""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, Callable, Union

from . import _config, _core

PathLike = Union[str, "os.PathLike[str]"]
Config = Union[PathLike, Mapping[str, Any]]


def _call(stage: Callable[..., dict[str, Any]], config: Config, base_dir: PathLike | None,
          **kwargs: Any) -> dict[str, Any]:
    if isinstance(config, Mapping):
        d = _config.DictConfig(config)
        try:
            return stage(config_text=d.text, source=_config.SOURCE,
                         base_dir=os.fspath(base_dir) if base_dir is not None else os.getcwd(), **kwargs)
        except _core.ConfigError as e:
            d.reraise(e)
            raise
    if base_dir is not None:
        raise TypeError("base_dir is for a config dict; a config file's paths resolve against its folder")
    return stage(config=config, **kwargs)


def ingest(config: Config, store: PathLike | None = None, batches: Sequence[PathLike] | None = None,
           zero_means_below_loq: bool = False, *, supersede: bool = False, reason: str = "",
           base_dir: PathLike | None = None) -> dict[str, Any]:
    """Checks and loads the config's sites, flows and batches (or ``batches``) into the store (or
    ``store``), as ``wbe ingest``. Any problem in any file raises InputError or ConfigError and
    writes nothing. A batch already stored with the same content is skipped.

    ``supersede=True`` with a ``reason`` (as ``--supersede --reason``): a batch whose id is stored
    with other content replaces it; the old version stays on record as superseded (see
    ``Store.history``) and the stored estimates and flags are recomputed in the same write.
    Without it such a batch is an InputError.

    Returns ``added``, ``skipped``, ``superseded``, ``recomputed``, counts and ``store``.
    """
    return _call(_core.ingest, config, base_dir, store=store, batches=batches,
                 zero_means_below_loq=zero_means_below_loq, supersede=supersede, reason=reason)


def estimate(config: Config, store: PathLike | None = None, *, base_dir: PathLike | None = None) -> dict[str, Any]:
    """Recomputes every daily and campaign estimate from the stored results (and clears the stale
    flags), as ``wbe estimate``. Returns counts, ``warnings``, ``population_warnings``, model set
    and ``store``."""
    return _call(_core.estimate, config, base_dir, store=store)


def flag(config: Config, store: PathLike | None = None, *, base_dir: PathLike | None = None) -> dict[str, Any]:
    """Applies the threshold, ratio and detector rules to the stored estimates, as ``wbe flag``.
    Returns ``n_flags``, ``n_watch``, ``n_alert`` and ``store``."""
    return _call(_core.flag, config, base_dir, store=store)


def run(config: Config, store: PathLike | None = None, batches: Sequence[PathLike] | None = None,
        zero_means_below_loq: bool = False, *, base_dir: PathLike | None = None) -> dict[str, Any]:
    """ingest + estimate + flag in one atomic write, as ``wbe run``. Returns ``store``, ``city``,
    ``latest_campaign`` and the ``ingest``, ``estimate`` and ``flags`` summaries."""
    return _call(_core.run, config, base_dir, store=store, batches=batches,
                 zero_means_below_loq=zero_means_below_loq)


def migrate(store: PathLike) -> dict[str, Any]:
    """Upgrades a store of an older schema version to this engine's, atomically under the store
    lock (as ``wbe migrate``); a current store is left untouched. Writing stages refuse an older
    store until it is migrated. Returns ``{'store', 'from', 'to'}`` (schema versions)."""
    return _core.migrate(store)
