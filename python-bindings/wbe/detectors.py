"""The engine's detectors (``engine/include/wbe/core/detectors/``) on numpy arrays.

``detect(name, campaigns, values, ...)`` runs one registered detector — the keys of the
``detectors:`` section of ``config/thresholds.yaml`` — on one site's series, or for ``peer_rank``
on the sites of each campaign, and returns the common detector shape. ``detectors()`` lists the
registry with every parameter's default, rule, unit and meaning.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from . import _core
from .store import _frame

if TYPE_CHECKING:
    from .store import Table


def detectors() -> list[dict[str, Any]]:
    """Every registered detector, in documentation order: ``name`` (its config key), ``summary``,
    ``input`` (``series`` or ``cross_section``) and ``parameters`` (``name``, ``default`` as
    written in YAML, ``rule``, ``unit``, ``meaning``)."""
    return _core.detector_registry()


def detect(name: str, campaigns: npt.ArrayLike, values: npt.ArrayLike, *, lower: npt.ArrayLike | None = None,
           upper: npt.ArrayLike | None = None, censored: npt.ArrayLike | None = None,
           params: Mapping[str, Any] | None = None, sites: npt.ArrayLike | None = None,
           groups: npt.ArrayLike | None = None, explain: str = "all") -> Table:
    """Runs detector ``name`` (e.g. ``rolling_baseline``, ``trend``, ``ears_c2``, ``peer_rank``;
    see :func:`detectors`) with ``params``, a dict with the keys and values of the detector's
    entry in ``config/thresholds.yaml`` (``{"window": 8, "watch_z": 3.5}``). The values are
    validated by the engine as a config file's are: an unknown key or a value that breaks its
    rule is a ConfigError naming the key, the value and the rule (``file``/``line``/``column``
    None).

    ``campaigns``: campaign labels (``"2024Q1"``, ``"2024-03"``, ``"2024"``: real time from the
    label, as the pipeline does) or integer quarter indices (time in quarters, index 0 a first
    quarter, e.g. ``4 * year + quarter - 1``), in time order for a series. ``values``: the
    campaign values (NaN: no value). Censored campaigns: ``censored`` flags with the value a
    substitute and ``upper`` its limit; ``lower``/``upper`` bound the true value (detector.hpp).

    Series detectors read the rows as one site's series. ``peer_rank`` reads them as sites:
    ``sites`` (ids) and ``groups`` (default one group) per row, one cross-section per campaign.

    Returns one row per input row, in input order: ``campaign`` (``site_id`` for peer_rank),
    ``value``, ``expected``, ``upper_bound`` (the lowest value that raises watch), ``statistic``,
    ``p_value``, ``level`` (``none``, ``watch``, ``alert``, ``not_evaluable``) and ``reason`` —
    the columns of the store's ``detections`` table — as a pandas DataFrame (a numpy record array
    without pandas). With pandas, ``.attrs`` holds ``detector``, ``parameters`` (every parameter
    as text, defaults included) and ``summary`` (the engine's brief report). ``explain``: ``all``
    (a reason on every row), ``raised`` (not on ``none`` rows) or ``none``.
    """
    values = np.ascontiguousarray(values, dtype=np.float64)
    labels = np.asarray(campaigns)
    quarters = None
    label_list = None
    if labels.dtype.kind in "iu":
        quarters = np.ascontiguousarray(labels, dtype=np.int64)
    else:
        label_list = [str(x) for x in labels.tolist()]

    def texts(a: Any) -> list[str] | None:
        return None if a is None else [str(x) for x in np.asarray(a).tolist()]

    raw = _core.detect(name, values, labels=label_list, quarters=quarters, lower=lower, upper=upper,
                       censored=None if censored is None else np.asarray(censored, dtype=bool),
                       params=dict(params or {}), sites=texts(sites), groups=texts(groups), explain=explain)
    cols = raw["columns"]
    ordered = {"campaign": cols["campaign"]}
    if "site_id" in cols:
        ordered["site_id"] = cols["site_id"]
    ordered["value"] = values
    for k in ["expected", "upper_bound", "statistic", "p_value", "level", "reason"]:
        ordered[k] = cols[k]
    table = _frame(ordered)
    if hasattr(table, "attrs"):
        table.attrs.update(detector=name, parameters=raw["parameters"], summary="\n".join(raw["summary"]))
    return table
