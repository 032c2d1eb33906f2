"""The engine's Monte Carlo uncertainty (``engine/include/wbe/core/monte_carlo.hpp``) on numpy
arrays: one row per site-day, summaries per day and per campaign estimate.

Nothing is computed here: labels are turned into codes (``numpy.unique``) and the results into
tables; the draws, sums and quantiles are the engine's.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from . import _core
from .store import _frame

if TYPE_CHECKING:
    from .store import Table


@dataclass
class MonteCarloResult:
    """What :func:`monte_carlo` returns.

    - ``campaign``: one row per estimate and campaign — every site (``scope`` ``site``) and every
      aggregate (``scope`` ``aggregate``) — with ``campaign``, ``estimate`` (site label or
      aggregate name), ``scope``, ``n_sites``, ``n_days``, ``n`` (draws with a value), ``mean``,
      ``sd``, ``median``, ``lower``, ``upper`` (the central ``interval``), one column ``q<p>`` per
      wanted quantile and one ``p_exceed_<t>`` per threshold.
    - ``daily``: one row per input row, in input order, with the same summary columns (NaN for a
      day without flow); None when ``daily=False``.
    - ``summary``: method, draws, seed, interval, censored, threads, counts, and ``n_runs`` (1 +
      one run per extra central interval the quantiles needed).
    """

    campaign: Table
    daily: Table | None
    summary: dict[str, Any] = field(default_factory=dict)


def _codes(labels: Any, name: str) -> tuple[np.ndarray | None, list[str]]:
    """Codes into the sorted distinct labels, or (None, [label]) for one label for every row."""
    if labels is None:
        return None, [name]
    arr = np.asarray(labels)
    if arr.ndim == 0:
        return None, [str(arr.item())]
    names, codes = np.unique(arr, return_inverse=True)
    return codes.astype(np.int64), [str(x) for x in names]


def _label(x: float) -> str:
    return np.format_float_positional(x, trim="-") if 1e-4 <= abs(x) < 1e15 else repr(x)


def _table(cols: dict[str, Any], quantiles: Sequence[float], thresholds: Sequence[float],
           first: Sequence[str] = ()) -> Table:
    out: dict[str, np.ndarray] = {k: cols[k] for k in first}
    for k in ["n", "mean", "sd", "median", "lower", "upper"]:
        out[k] = cols[k]
    for j, p in enumerate(quantiles):
        out[f"q{_label(p)}"] = cols["quantiles"][:, j]
    for j, t in enumerate(thresholds):
        out[f"p_exceed_{_label(t)}"] = cols["p_exceed"][:, j]
    return _frame(out)


def monte_carlo(conc: npt.ArrayLike, flow: npt.ArrayLike, population: npt.ArrayLike, cf: float, *,
                site: Any = None, campaign: Any = None, sample: Any = None, drug: str = "drug",
                qualifier: Any = None, lod: npt.ArrayLike | None = None, loq: npt.ArrayLike | None = None,
                below_lod: str = "lod_half", below_loq: str = "loq_half",
                uncertainty: Mapping[str, Any] | None = None, sorbed_fraction: float = 0.0,
                in_sewer_factor: float = 1.0, aggregates: Mapping[str, Sequence[Any]] | None = None,
                thresholds: Sequence[float] = (), draws: int = 10000, seed: int = 20241130,
                interval: float = 0.95, quantiles: Sequence[float] = (), threads: int = 0,
                censored: str = "uniform", daily: bool = True, method: str = "monte_carlo") -> MonteCarloResult:
    """Uncertainty of the daily and campaign indices (consumption, mg/day/1000 inh) by the
    engine's Monte Carlo, or its analytic log-normal answer (``method="analytic"``), on arrays.

    One row per site-day: ``conc`` [ng/L], ``flow`` [m³/day] (NaN: the day has no index) and
    ``population`` [persons; one value per site and campaign], with labels ``site`` and
    ``campaign`` (arrays of str or int; None = one site / one campaign) and ``sample`` (the
    sample id, default the row number). ``cf`` is the drug's correction factor (CF = MW ratio /
    excretion fraction); ``sorbed_fraction`` and ``in_sewer_factor`` as in :func:`back_calculate`.

    Censoring: ``qualifier`` per row (``""``, ``"<LOD"``/``"ND"``, ``"<LOQ"``, ``">ULOQ"``) with
    ``lod``/``loq`` [ng/L]; a censored row's ``conc`` is ignored — its draws are uniform in its
    interval (``censored="uniform"``) or its substitute by ``below_lod``/``below_loq``
    (``censored="substitute"``).

    ``uncertainty``: the components as in a run config's ``uncertainty.components`` —
    ``analysis``, ``sampling``, ``flow``, ``population``, ``excretion`` — each a mapping
    (``{"family": "lognormal", "rsd": 0.15}``, ``normal``, ``uniform``, ``triangular``,
    ``fixed``), a number (the RSD of a median-centred log-normal), or None (fixed); a component
    left out takes the engine's default (science.md §3). A bad key or value is a ConfigError
    naming it.

    Each campaign is one problem of the engine (one drug): every site is an estimate with its
    days, and each ``aggregates`` entry ``{name: [site labels]}`` is one more (Σ load / Σ
    population over the sites it holds in that campaign). The excretion factor is drawn once
    per draw for all sites (their shared CF), the population once per site, the flow bias once
    per site and campaign, sampling and analysis errors per row. Keys are those of ``wbe
    estimate``, so the same inputs give the same numbers as the pipeline.

    ``draws``, ``seed``, ``interval`` (central interval of ``lower``/``upper``), ``threads`` (0 =
    all cores; campaigns run in parallel; the results do not depend on it), ``thresholds`` (P(index
    > t) for each), ``quantiles`` (any p in (0, 1); each p other than 0.5 and the interval's ends
    costs one more run over the same draws, see MonteCarloResult.summary["n_runs"]).

    C-contiguous float64 arrays are read in place (no copy); other input is converted first. The
    GIL is released while the engine runs.
    """
    site_codes, site_names = _codes(site, "site")
    campaign_codes, campaign_names = _codes(campaign, "campaign")
    sample_names = None if sample is None else [str(x) for x in np.asarray(sample).tolist()]
    qualifier_codes = qualifier_names = None
    if qualifier is not None:
        qualifier_codes, qualifier_names = _codes(np.asarray(qualifier, dtype=str), "")
        if qualifier_codes is None:  # one qualifier for every row
            qualifier_codes = np.zeros(np.shape(conc)[0], dtype=np.int64)
    index = {name: i for i, name in enumerate(site_names)}
    aggregate_list = []
    for name, members in (aggregates or {}).items():
        codes = []
        for m in members:
            if str(m) not in index:
                raise ValueError(f"monte_carlo: aggregate {name!r} names site {m!r}, which has no rows")
            codes.append(index[str(m)])
        aggregate_list.append((str(name), codes))
    raw = _core.monte_carlo(
        conc, flow, population, float(cf), site_codes, site_names, campaign_codes, campaign_names,
        sample_names=sample_names, drug=drug, qualifier=qualifier_codes, qualifier_names=qualifier_names,
        lod=lod, loq=loq, below_lod=below_lod, below_loq=below_loq, uncertainty=dict(uncertainty or {}),
        sorbed_fraction=sorbed_fraction, in_sewer_factor=in_sewer_factor, aggregates=aggregate_list,
        thresholds=[float(t) for t in thresholds], draws=draws, seed=seed, interval=interval,
        quantiles=[float(p) for p in quantiles], threads=threads, censored=censored, daily=daily, method=method)
    campaign_table = _table(raw["campaign"], quantiles, thresholds,
                            first=["campaign", "estimate", "scope", "n_sites", "n_days"])
    daily_table = None if raw["daily"] is None else _table(raw["daily"], quantiles, thresholds)
    return MonteCarloResult(campaign_table, daily_table, raw["summary"])
