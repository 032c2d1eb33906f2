"""Plots of a wbe store (matplotlib).

Every number drawn comes from the store: campaign means and their interval from
``estimates_campaign``, baselines from the detectors' ``detections`` rows, flags from ``flags``.
Nothing is recomputed here.

- :func:`series`: one site × drug campaign series with its interval band, the detector baseline
  and its band (expected value up to the watch bound), threshold lines, flagged campaigns marked
  by level and certainty, and non-detects as open markers at their limit.
- :func:`series_pair`: the same series on two metrics side by side (venues: screening index and
  concentration).
- :func:`overview`: small multiples, one panel per site of a kind and/or district.
- :func:`ranking`: the sites of one campaign ranked by their value, with intervals and flags.

Figures are made with the Agg canvas directly (``matplotlib.figure.Figure``), not through
``pyplot``: they never open a window, never change the user's backend and are freed like any
Python object. Each function returns the Figure; :func:`series` and :func:`ranking` draw into a
given ``ax`` instead when one is passed.
"""
from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from .store import Store, open_store

__all__ = ["UNITS", "campaign_time", "latest_campaign", "level_style", "overview", "ranking", "series", "series_pair"]

#: Axis units of each metric (the store's canonical units).
UNITS = {
    "consumption": "mg/day/1000 inh.",
    "doses": "doses/day/1000 inh.",
    "index": "index, base-year median = 100",
    "screening": "mg/day/1000 PE",
    "concentration": "ng/L",
}
#: How each metric is named on an axis.
_QUANTITY = {
    "consumption": "consumption",
    "doses": "doses",
    "index": "index",
    "screening": "screening index",
    "concentration": "concentration",
}
#: The unit text the engine writes in the `unit` column of `flags` for each metric.
_FLAG_UNIT = {
    "consumption": "mg/day/1000 inh",
    "screening": "mg/day/1000 PE (screening)",
    "concentration": "ng/L",
}

_SERIES_COLOUR = "#1f4e79"
_BAND_COLOUR = "#9ecae1"
_BASELINE_COLOUR = "#555555"
_LEVEL_COLOUR = {"watch": "#e08a00", "alert": "#c0182a"}
# Marker of a flagged campaign by the flag's certainty ("" = a detector or ratio rule).
_CERTAINTY_MARKER = {"": "o", "exceeds": "D", "possible": "s", "indeterminate": "^"}
_CERTAINTY_TEXT = {
    "": "",
    "exceeds": "exceeds",
    "possible": "possible",
    "indeterminate": "indeterminate (censoring)",
}
# Baseline detectors in order of preference: those that store an expected value and the watch
# bound of every evaluable campaign.
_BASELINE_DETECTORS = ("rolling_baseline", "percentile_level", "ewma", "ears_c1", "ears_c2", "ears_c3", "cusum")


def level_style(level: str, certainty: str = "") -> dict[str, Any]:
    """Marker keyword arguments for a flag of ``level`` (watch, alert) and ``certainty`` (exceeds,
    possible, indeterminate, or empty for detector and ratio rules): an open ring whose colour is
    the level and whose shape is the certainty."""
    return {
        "marker": _CERTAINTY_MARKER.get(certainty, "o"),
        # Concentric when a campaign has both: a watch ring around an alert ring.
        "markersize": (21 if level == "watch" else 16) if not certainty else 11,
        "markerfacecolor": "none",
        "markeredgecolor": _LEVEL_COLOUR.get(level, "black"),
        "markeredgewidth": 2.2 if level == "alert" else 1.8,
        "linestyle": "none",
    }


# --- reading the store --------------------------------------------------------------------------

_cache: dict[tuple[str, str], tuple[tuple[int, int], dict[str, np.ndarray]]] = {}


def _store(store: Store | str | os.PathLike[str]) -> Store:
    return store if isinstance(store, Store) else open_store(store)


def _columns(store: Store, table: str) -> dict[str, np.ndarray]:
    """A table's columns, read once per version of the file (a report draws many plots)."""
    st = os.stat(store.path)
    key = (os.path.realpath(store.path), table)
    stamp = (st.st_mtime_ns, st.st_size)
    hit = _cache.get(key)
    if hit is None or hit[0] != stamp:
        if table in store.tables:
            cols = store.columns(table)
        else:  # an older store without the table: read as empty
            cols = {}
        _cache[key] = (stamp, cols)
        hit = _cache[key]
    return hit[1]


def _col(cols: dict[str, np.ndarray], name: str, n: int, fill: Any = np.nan) -> np.ndarray:
    if name in cols:
        return cols[name]
    return np.full(n, fill, dtype=object if isinstance(fill, str) else float)


def _nrows(cols: dict[str, np.ndarray]) -> int:
    return len(next(iter(cols.values()))) if cols else 0


# --- campaigns on a time axis -------------------------------------------------------------------

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")


def campaign_time(label: str) -> float:
    """The middle of a campaign in decimal years: ``2024Q1`` → 2024.125, ``2024-03`` →
    2024.208, ``2024`` → 2024.5. NaN for a label of another shape."""
    if m := _QUARTER.match(label):
        return int(m[1]) + (int(m[2]) - 0.5) / 4
    if m := _MONTH.match(label):
        return int(m[1]) + (int(m[2]) - 0.5) / 12
    if m := _YEAR.match(label):
        return int(m[1]) + 0.5
    return math.nan


def _campaign_sort_key(label: str) -> tuple[float, str]:
    t = campaign_time(label)
    return (t if not math.isnan(t) else math.inf, label)


def _positions(labels: Sequence[str], all_labels: Iterable[str]) -> np.ndarray:
    """x positions of campaigns: decimal years when every label parses, else their rank among
    ``all_labels``."""
    times = np.array([campaign_time(c) for c in labels], dtype=float)
    if len(times) and not np.isnan(times).any():
        return times
    order = {c: i for i, c in enumerate(sorted(set(all_labels), key=_campaign_sort_key))}
    return np.array([order[c] for c in labels], dtype=float)


def _set_campaign_ticks(ax: Any, x: np.ndarray, labels: Sequence[str], step: int = 1) -> None:
    """Campaign labels as tick labels: every ``step``-th campaign labelled (the newest always),
    a minor tick at each."""
    if len(x) == 0:
        return
    order = np.argsort(x)
    x, labels = np.asarray(x)[order], [labels[i] for i in order]
    n = len(x)
    keep = [i for i in range(n) if (n - 1 - i) % step == 0]
    ax.set_xticks([x[i] for i in keep], [labels[i] for i in keep])
    ax.set_xticks(list(x), minor=True)
    ax._wbe_campaigns = (x, labels)  # for _fit_ticks


def _overlaps(boxes: list[Any], pad: float = 2.0) -> bool:
    boxes = sorted(boxes, key=lambda b: b.x0)
    return any(b.x0 < a.x1 + pad for a, b in zip(boxes, boxes[1:]))


def _fit_ticks(fig: Figure) -> None:
    """Makes the text of ``fig`` fit, measured on the laid-out figure: a y label taller than its
    axes breaks before its unit, a default title wider than the figure drops the site's name,
    and campaign tick labels are thinned until no two overlap. Each pass lays the figure out
    without rasterising it (the costly part); an uncrowded figure takes one pass."""
    axes = [ax for ax in fig.axes if hasattr(ax, "_wbe_campaigns")]
    if not axes:
        return
    if not hasattr(fig.canvas, "get_renderer"):  # a bare Figure(): measure with Agg
        FigureCanvasAgg(fig)
    for _ in range(5):
        fig.draw_without_rendering()
        renderer = fig.canvas.get_renderer()
        changed = False
        for ax in axes:
            changed |= _fit_labels(ax, fig, renderer)
            changed |= _thin_ticks(ax, renderer)
        if not changed:
            return


def _fit_labels(ax: Any, fig: Figure, renderer: Any) -> bool:
    label = ax.yaxis.get_label()
    text = label.get_text()
    changed = False
    if " (" in text and "\n" not in text and \
            label.get_window_extent(renderer).height > ax.get_window_extent(renderer).height:
        i = text.rfind(" (")  # before the unit
        label.set_text(text[:i] + "\n" + text[i + 1:])
        changed = True
    short = getattr(ax, "_wbe_short_title", None)
    title = getattr(ax, "_left_title", ax.title)  # series() titles are left-aligned
    if short and title.get_text() != short and title.get_window_extent(renderer).x1 > fig.bbox.x1:
        title.set_text(short)  # the site's name left out
        changed = True
    return changed


def _thin_ticks(ax: Any, renderer: Any) -> bool:
    texts = [t for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]
    boxes = [t.get_window_extent(renderer) for t in texts]
    if not _overlaps(boxes):
        return False
    x, labels = ax._wbe_campaigns
    step = getattr(ax, "_wbe_step", 1)
    # The step the measured boxes need: widest label (plus a gap) over the spacing of
    # neighbouring campaigns on screen.
    xs = sorted(ax.transData.transform([(v, 0) for v in x])[:, 0])
    spacing = min(b - a for a, b in zip(xs, xs[1:])) if len(xs) > 1 else math.inf
    need = math.ceil((max(b.width for b in boxes) + 6) / spacing) if spacing > 0 else step + 1
    # Quarters: 1, 2, 4 (one label a year), 8 …; other periods: 1, 2, 3, 4, 6, 12 …
    steps = (1, 2, 4, 8, 12, 16, 24, 40) if all(_QUARTER.match(c) for c in labels) else (1, 2, 3, 4, 6, 12, 24, 60)
    nxt = next((s for s in steps if s >= max(need, step + 1)), max(need, step * 2))
    ax._wbe_step = nxt
    _set_campaign_ticks(ax, x, labels, nxt)
    return True


# --- one series ---------------------------------------------------------------------------------


class _Series:
    """The campaign rows of one site × drug, on one metric, as plain arrays."""

    def __init__(self, store: Store, site: str, drug: str, metric: str = "auto") -> None:
        cols = _columns(store, "estimates_campaign")
        n = _nrows(cols)
        scope = _col(cols, "scope", n, "")
        ids = _col(cols, "id", n, "")
        drugs = _col(cols, "drug", n, "")
        analytes = _col(cols, "analyte", n, "")
        keep = (scope == "site") & (ids == site) & ((drugs == drug) | (analytes == drug))
        if not keep.any():
            raise KeyError(f"{store.path}: no campaign series for site {site!r} and drug {drug!r}")
        idx = np.flatnonzero(keep)
        if len(set(analytes[idx])) > 1:
            raise ValueError(f"drug {drug!r} is measured by several residues at {site}: "
                             f"{sorted(set(analytes[idx]))}; pass the residue (analyte) instead")
        idx = np.array(sorted(idx, key=lambda i: _campaign_sort_key(cols["campaign"][i])), dtype=int)
        self.store = store
        self.site = site
        self.drug = drugs[idx[0]] or analytes[idx[0]]
        self.analyte = analytes[idx[0]]
        self.site_kind = _col(cols, "site_kind", n, "")[idx[0]]
        self.campaigns = list(cols["campaign"][idx])
        self.x = _positions(self.campaigns, cols["campaign"][scope == "site"])
        value_kind = _col(cols, "value_kind", n, "")[idx[0]]
        censoring = str(_col(cols, "censoring", n, "")[idx[0]])
        if metric == "auto":
            if value_kind == "screening" and np.isfinite(_col(cols, "screening_mean", n)[idx]).any():
                metric = "screening"
            elif value_kind == "consumption":
                metric = "consumption"
            else:
                metric = "concentration"
        if metric not in ("consumption", "screening", "concentration"):
            raise ValueError(f"metric {metric!r}: must be one of auto, consumption, screening, concentration")
        self.metric = metric
        n_samples = _col(cols, "n_samples", n, 0)[idx].astype(float)
        n_censored = _col(cols, "n_censored", n, 0)[idx].astype(float)
        self.partly_censored = (n_censored > 0) & (n_censored < n_samples)
        self.all_censored = (n_censored > 0) & (n_censored >= n_samples)
        nan = np.full(len(idx), np.nan)
        self.watch, self.alert = nan, nan
        self.limit_kind = "limit"
        if metric == "consumption":
            self.value = _col(cols, "consumption_mg_per_day_per_1000", n)[idx]
            self.lower = _col(cols, "consumption_lower", n)[idx]
            self.upper = _col(cols, "consumption_upper", n)[idx]
            # Every non-detect at its limit (the engine's upper censoring bound of the mean).
            self.limit = _col(cols, "consumption_censored_high", n)[idx]
            self.watch = _col(cols, "threshold_watch", n)[idx]
            self.alert = _col(cols, "threshold_alert", n)[idx]
            if censoring.startswith("composite:"):
                self.unit_key = "index" if censoring == "composite:relative" else "doses"
            else:
                self.unit_key = "consumption"
        elif metric == "screening":
            self.value = _col(cols, "screening_mean", n)[idx]
            self.lower = _col(cols, "screening_lower", n)[idx]
            self.upper = _col(cols, "screening_upper", n)[idx]
            self.limit = self.value  # no limit on this scale: at the substituted value
            self.limit_kind = "substituted value"
            self.unit_key = "screening"
        else:
            self.value = _col(cols, "conc_mean_ng_per_l", n)[idx]
            self.lower, self.upper = nan, nan
            self.limit = self._concentration_limits()
            self.unit_key = "concentration"
        self.unit = UNITS[self.unit_key]

    def _concentration_limits(self) -> np.ndarray:
        """For each campaign with every sample censored: the highest limit of its samples (LOQ for
        `<LOQ`, LOD for `<LOD`) — the campaign mean lies below it."""
        out = np.full(len(self.campaigns), np.nan)
        if not self.all_censored.any():
            return out
        daily = _columns(self.store, "estimates_daily")
        samples = _columns(self.store, "samples")
        nd, ns = _nrows(daily), _nrows(samples)
        if not nd or not ns:
            return out
        keep = (daily["site_id"] == self.site) & (daily["analyte"] == self.analyte)
        limit_of = {}
        sk = (samples["site_id"] == self.site) & (samples["analyte"] == self.analyte)
        for sid, q, lod, loq in zip(samples["sample_id"][sk], samples["qualifier"][sk],
                                    samples["lod_ng_per_l"][sk], samples["loq_ng_per_l"][sk]):
            limit_of[sid] = loq if q == "<LOQ" else lod if q == "<LOD" else np.nan
        pos = {c: i for i, c in enumerate(self.campaigns)}
        for sid, camp in zip(daily["sample_id"][keep], daily["campaign"][keep]):
            i = pos.get(camp)
            if i is not None and self.all_censored[i] and sid in limit_of:
                out[i] = np.nanmax([out[i], limit_of[sid]])
        return out

    @property
    def label(self) -> str:
        """e.g. "methamphetamine consumption (mg/day/1000 inh.)"."""
        name = self.drug if self.drug == self.analyte else f"{self.drug} (from {self.analyte})"
        return f"{name} {_QUANTITY[self.unit_key]} ({self.unit})"

    @property
    def shown(self) -> np.ndarray:
        """The y of each campaign's marker: non-detects at their limit, others at their value."""
        return np.where(self.all_censored & np.isfinite(self.limit), self.limit, self.value)


def _site_names(store: Store) -> dict[str, dict[str, str]]:
    cols = _columns(store, "sites")
    n = _nrows(cols)
    out = {}
    for i in range(n):
        out[cols["site_id"][i]] = {k: str(_col(cols, k, n, "")[i]) for k in ("name", "kind", "venue_type", "district")}
    return out


def _interval_text(store: Store) -> str:
    runs = _columns(store, "runs")
    interval = runs.get("interval")
    p = float(interval[-1]) if interval is not None and len(interval) and np.isfinite(interval[-1]) else 0.95
    lo, hi = 50 * (1 - p), 50 * (1 + p)
    return f"{100 * p:g}% interval ({lo:g}th–{hi:g}th percentile)"


def _flags_for(store: Store, site: str | None, drugs: set[str], campaign: str | None = None) -> list[dict[str, Any]]:
    cols = _columns(store, "flags")
    n = _nrows(cols)
    out = []
    for i in range(n):
        if site is not None and cols["site_id"][i] != site:
            continue
        if cols["drug"][i] not in drugs or (campaign is not None and cols["campaign"][i] != campaign):
            continue
        out.append({k: v[i] for k, v in cols.items()})
    return out


def _baseline(store: Store, s: _Series, detector: str) -> tuple[str, np.ndarray, np.ndarray] | None:
    """(detector, expected, watch bound) per campaign of ``s`` from the `detections` table."""
    det = _columns(store, "detections")
    n = _nrows(det)
    if not n:
        return None
    keep = (det["site_id"] == s.site) & np.isin(det["drug"], [s.drug, s.analyte]) & (det["metric"] == s.metric)
    if detector != "auto":
        names = [detector]
    else:
        names = [d for d in _BASELINE_DETECTORS if (keep & (det["detector"] == d)).any()]
    pos = {c: i for i, c in enumerate(s.campaigns)}
    for name in names:
        rows = np.flatnonzero(keep & (det["detector"] == name))
        expected = np.full(len(pos), np.nan)
        bound = np.full(len(pos), np.nan)
        for r in rows:
            i = pos.get(det["campaign"][r])
            if i is not None:
                expected[i], bound[i] = det["expected"][r], det["upper_bound"][r]
        if (np.isfinite(expected) & np.isfinite(bound)).any():
            return name, expected, bound
    return None


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _draw_series(ax: Any, store: Store, s: _Series, *, baseline: str, flags: bool, compact: bool) -> list[Any]:
    """Draws ``s`` on ``ax``; returns legend handles."""
    handles: list[Any] = []
    x = s.x
    ok_band = np.isfinite(s.lower) & np.isfinite(s.upper)
    if ok_band.any():
        ax.fill_between(x, s.lower, s.upper, where=ok_band, color=_BAND_COLOUR, alpha=0.45, linewidth=0,
                        zorder=1, gid="interval")
        handles.append(Patch(color=_BAND_COLOUR, alpha=0.45, label=_interval_text(store)))

    base = _baseline(store, s, baseline) if baseline not in ("off", None, False) else None
    if base is not None:
        name, expected, bound = base
        ok = np.isfinite(expected) & np.isfinite(bound)
        ax.fill_between(x, expected, bound, where=ok, facecolor="none", edgecolor=_BASELINE_COLOUR, hatch="///",
                        linewidth=0, alpha=0.35, zorder=1.5)
        ax.plot(np.where(ok, x, np.nan), np.where(ok, expected, np.nan), color=_BASELINE_COLOUR, linestyle="--",
                linewidth=1.2, zorder=2, gid=f"baseline-{name}")
        handles.append(Line2D([], [], color=_BASELINE_COLOUR, linestyle="--", label=f"baseline ({name}: expected)"))
        handles.append(Patch(facecolor="none", edgecolor=_BASELINE_COLOUR, hatch="///", alpha=0.6,
                             label="baseline band (expected to watch bound)"))

    # The line joins the campaign means; a campaign whose every sample is a non-detect breaks it.
    line_y = np.where(s.all_censored, np.nan, s.value)
    ax.plot(x, line_y, color=_SERIES_COLOUR, linewidth=1.6, zorder=3, gid="series")
    mk = 5 if compact else 6.5
    det = ~s.partly_censored & ~s.all_censored & np.isfinite(s.value)
    if det.any():
        ax.plot(x[det], s.value[det], "o", color=_SERIES_COLOUR, markersize=mk, zorder=4, gid="detected")
        handles.append(Line2D([], [], marker="o", color=_SERIES_COLOUR, linestyle="-", markersize=mk,
                              label="campaign mean"))
    part = s.partly_censored & np.isfinite(s.value)
    if part.any():
        ax.plot(x[part], s.value[part], "o", color=_SERIES_COLOUR, markerfacecoloralt="white", fillstyle="bottom",
                markersize=mk, zorder=4, gid="partly-censored")
        handles.append(Line2D([], [], marker="o", color=_SERIES_COLOUR, markerfacecoloralt="white",
                              fillstyle="bottom", linestyle="none", markersize=mk,
                              label="some samples non-detect (substituted)"))
    nd = s.all_censored & np.isfinite(s.shown)
    if nd.any():
        ax.plot(x[nd], s.shown[nd], "o", markerfacecolor="white", markeredgecolor=_SERIES_COLOUR,
                markeredgewidth=1.5, markersize=mk, linestyle="none", zorder=4, gid="non-detect")
        handles.append(Line2D([], [], marker="o", markerfacecolor="white", markeredgecolor=_SERIES_COLOUR,
                              markeredgewidth=1.5, linestyle="none", markersize=mk,
                              label=f"all samples non-detect (at their {s.limit_kind})"))

    # Threshold lines: consumption rules store theirs on every row; others are known from flags.
    ymax_data = np.nanmax(np.concatenate([s.shown, s.upper, base[2] if base else []]).astype(float)) \
        if np.isfinite(np.concatenate([s.shown, s.upper])).any() else 1.0
    lines: dict[str, float] = {}
    for level, arr in (("watch", s.watch), ("alert", s.alert)):
        vals = arr[np.isfinite(arr)]
        if len(vals):
            lines[level] = float(np.median(vals))
    flag_rows = _flags_for(store, s.site, {s.drug, s.analyte}) if flags else []
    unit = _FLAG_UNIT.get(s.metric)
    for f in flag_rows:
        if f["rule"] == "threshold" and f["unit"] == unit and f["level"] not in lines and np.isfinite(f["reference"]):
            lines[f["level"]] = float(f["reference"])
    # The axis reaches the data, the baseline band and the watch threshold; an alert threshold
    # far above them is named in a corner instead of squashing the series.
    top = ymax_data * 1.08
    if "watch" in lines:
        top = max(top, lines["watch"] * 1.08)
    above = [(level, v) for level, v in lines.items() if v > top * 1.0001]
    for level, v in lines.items():
        if (level, v) in above:
            continue
        ax.axhline(v, color=_LEVEL_COLOUR[level], linestyle=(0, (6, 3)), linewidth=1.3, zorder=2.5,
                   gid=f"threshold-{level}")
        handles.append(Line2D([], [], color=_LEVEL_COLOUR[level], linestyle=(0, (6, 3)),
                              label=f"{level} threshold {v:g} {s.unit}"))
    for k, (level, v) in enumerate(above):
        ax.annotate(f"{level} threshold {v:g} above ↑", xy=(1, 1), xycoords="axes fraction",
                    xytext=(-3, -3 - 12 * k), textcoords="offset points", ha="right", va="top", fontsize=8,
                    color=_LEVEL_COLOUR[level], zorder=6,
                    bbox={"boxstyle": "square,pad=0.15", "facecolor": "white", "edgecolor": "none"})
    ax.set_ylim(0, top * (1.04 + 0.12 * len(above)))

    # Flagged campaigns: a ring per (level, certainty), coloured by level, shaped by certainty.
    pos = {c: i for i, c in enumerate(s.campaigns)}
    shown = s.shown
    groups: dict[tuple[str, str], list[int]] = {}
    rules: dict[tuple[str, str], list[str]] = {}
    for f in flag_rows:
        i = pos.get(f["campaign"])
        if i is None or not np.isfinite(shown[i]):
            continue
        groups.setdefault((f["level"], f["certainty"]), []).append(i)
        rules.setdefault((f["level"], f["certainty"]), [])
        if f["rule"] not in rules[(f["level"], f["certainty"])]:
            rules[(f["level"], f["certainty"])].append(f["rule"])
    # Rings (detector and ratio rules) first, certainty shapes on top; alerts over watches.
    for key in sorted(groups, key=lambda k: (k[1] != "", k[0] == "alert", k[1])):
        level, certainty = key
        idx = sorted(set(groups[key]))
        style = level_style(level, certainty)
        ax.plot(x[idx], shown[idx], zorder=5, gid=f"flag-{level}-{certainty or 'rule'}", **style)
        handles.append(Line2D([], [], label=_flag_label(level, certainty, rules[key]), **style))

    ax.set_ylabel(s.label if not compact else "")
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    pad = 0.1 if len(x) < 2 else (np.nanmax(x) - np.nanmin(x)) / max(len(x) - 1, 1) * 0.6
    if len(x):
        ax.set_xlim(np.nanmin(x) - pad, np.nanmax(x) + pad)
    ax.tick_params(axis="x", labelsize=9)
    _set_campaign_ticks(ax, x, s.campaigns)
    return handles


def _flag_label(level: str, certainty: str, rules: Sequence[str]) -> str:
    """e.g. "flag: watch, possible (threshold)"."""
    text = f"flag: {level}" + (f", {_CERTAINTY_TEXT.get(certainty, certainty)}" if certainty else "")
    return text + (f" ({', '.join(rules)})" if rules else "")


def series(
    store: Store | str | os.PathLike[str],
    site: str,
    drug: str,
    *,
    metric: str = "auto",
    ax: Any = None,
    baseline: str = "auto",
    flags: bool = True,
    legend: bool = True,
    title: str | None = None,
) -> Figure:
    """Plots the campaign series of ``drug`` (drug name or residue) at ``site``.

    ``metric``: ``consumption`` (plants), ``screening`` (venues' screening index) or
    ``concentration``; ``auto`` takes the site's own (plants: consumption, venues: screening
    index). ``baseline``: a detector name, ``auto`` (the first of rolling_baseline,
    percentile_level, ewma, EARS, cusum stored for this series on this metric) or ``off``.
    Draws into ``ax`` when given (and leaves its figure's layout alone), else on a new
    figure. Returns the Figure.
    """
    st = _store(store)
    s = _Series(st, site, drug, metric)
    own = ax is None
    if own:
        fig = _new_figure(10, 5.0)
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    handles = _draw_series(ax, st, s, baseline=baseline, flags=flags, compact=False)
    ax.set_xlabel("campaign")
    if title is None:
        info = _site_names(st).get(site, {})
        name = info.get("name", "")
        title = f"{site} {name}".strip() + f" — {s.drug}"
        ax._wbe_short_title = f"{site} — {s.drug}"
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    if legend:
        if own:  # below the plot, so that the time axis keeps the figure's width
            ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=8.5,
                      frameon=False)
        else:
            ax.legend(handles=handles, loc="best", fontsize=8, frameon=False)
    _fit_ticks(fig)
    return fig


def series_pair(
    store: Store | str | os.PathLike[str],
    site: str,
    drug: str,
    *,
    metrics: tuple[str, str] = ("screening", "concentration"),
    baseline: str = "auto",
    title: str | None = None,
) -> Figure:
    """Two panels of one site × drug series side by side, on two metrics, with one legend below.
    The default suits venues: the screening index the detectors follow beside the concentration
    the venue threshold rules judge. Returns the Figure."""
    st = _store(store)
    fig = _new_figure(10, 5.0)
    grid = fig.add_gridspec(2, 2, height_ratios=[1, 0.2])
    labels: dict[str, Any] = {}
    for k, metric in enumerate(metrics):
        ax = fig.add_subplot(grid[0, k])
        s = _Series(st, site, drug, metric)
        for h in _draw_series(ax, st, s, baseline=baseline, flags=True, compact=False):
            labels.setdefault(h.get_label(), h)
        ax.set_xlabel("campaign")
        ax.set_title(_QUANTITY[s.unit_key], loc="left", fontsize=10)
    legend_ax = fig.add_subplot(grid[1, :])
    legend_ax.axis("off")
    legend_ax.legend(handles=list(labels.values()), loc="center", ncol=3, fontsize=8.5, frameon=False)
    if title is None:
        title = f"{site} {_site_names(st).get(site, {}).get('name', '')}".strip() + f" — {drug}"
    if title:
        fig.suptitle(title, x=0.01, ha="left", fontsize=11)
    _fit_ticks(fig)
    return fig


# --- small multiples ----------------------------------------------------------------------------


def _sites_with(store: Store, drug: str, kind: str | None, district: str | None) -> list[str]:
    cols = _columns(store, "estimates_campaign")
    n = _nrows(cols)
    keep = (cols["scope"] == "site") & ((cols["drug"] == drug) | (cols["analyte"] == drug))
    if kind:
        keep &= _col(cols, "site_kind", n, "") == kind
    ids = set(cols["id"][keep])
    if district:
        names = _site_names(store)
        ids = {i for i in ids if names.get(i, {}).get("district") == district}
    return sorted(ids)


def overview(
    store: Store | str | os.PathLike[str],
    drug: str,
    *,
    kind: str | None = "wwtp",
    district: str | None = None,
    metric: str = "auto",
    ncols: int = 3,
    sharey: bool = False,
    baseline: str = "auto",
) -> Figure:
    """Small multiples: one panel per site of ``kind`` (``wwtp``, ``venue`` or None for all)
    and/or ``district``, each with the series of ``drug`` as :func:`series` draws it, and one
    legend for all. ``sharey`` puts every panel on one scale. Returns the Figure."""
    st = _store(store)
    sites = _sites_with(st, drug, kind, district)
    if not sites:
        raise KeyError(f"{st.path}: no site of kind {kind!r} and district {district!r} has a series of {drug!r}")
    ncols = max(1, min(ncols, len(sites)))
    nrows = math.ceil((len(sites) + 1) / ncols)  # one slot more, for the legend
    fig = _new_figure(10, 0.6 + 2.5 * nrows)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=sharey)
    names = _site_names(st)
    labels: dict[str, Any] = {}
    ylabel = ""
    for k, site in enumerate(sites):
        ax = axes[k // ncols][k % ncols]
        s = _Series(st, site, drug, metric)
        for h in _draw_series(ax, st, s, baseline=baseline, flags=True, compact=True):
            labels.setdefault(h.get_label(), h)
        ylabel = s.label
        info = names.get(site, {})
        where = f" · {info['district']}" if info.get("district") and not district else ""
        ax.set_title(f"{site}{where}\n{info.get('name', '')}", loc="left", fontsize=9)
        ax.tick_params(labelsize=8)
        # A first guess of the tick step from the panel's width (about 0.6 em a character),
        # which saves _fit_ticks a layout pass; it still checks the rendered labels.
        spacing = fig.get_figwidth() * fig.dpi / ncols * 0.75 / max(len(s.campaigns), 1)
        width = 8 * fig.dpi / 72 * 0.62 * max(map(len, s.campaigns)) + 6
        guess = max(1, math.ceil(width / spacing))
        steps = (1, 2, 4, 8, 12, 16, 24, 40) if all(_QUARTER.match(c) for c in s.campaigns) else (1, 2, 3, 4, 6, 12)
        ax._wbe_step = next((k for k in steps if k >= guess), guess)
        _set_campaign_ticks(ax, s.x, s.campaigns, ax._wbe_step)
    slots = axes.ravel()[len(sites):]
    for ax in slots:
        ax.axis("off")
    # Shared campaign axis: tick labels only on the lowest panel of each column.
    for k in range(len(sites)):
        below = k + ncols < len(sites)
        axes[k // ncols][k % ncols].xaxis.set_tick_params(labelbottom=not below)
    slots[0].legend(handles=list(labels.values()), loc="center left", fontsize=8, frameon=False)
    what = " ".join(x for x in (district, {"wwtp": "plants", "venue": "venues"}.get(kind or "", "sites")) if x)
    fig.suptitle(f"{drug} — {what}, by campaign", x=0.01, ha="left", fontsize=11)
    fig.supylabel(ylabel, fontsize=10)
    fig.supxlabel("campaign", fontsize=10)
    _fit_ticks(fig)
    return fig


# --- ranking ------------------------------------------------------------------------------------


def latest_campaign(store: Store | str | os.PathLike[str], kind: str | None = None) -> str:
    """The newest campaign with site estimates (of sites of ``kind``, when given)."""
    st = _store(store)
    cols = _columns(st, "estimates_campaign")
    n = _nrows(cols)
    keep = cols["scope"] == "site" if n else np.zeros(0, bool)
    if kind:
        keep &= _col(cols, "site_kind", n, "") == kind
    camps = set(cols["campaign"][keep]) if n else set()
    if not camps:
        raise KeyError(f"{st.path}: no campaign estimates")
    return max(camps, key=_campaign_sort_key)


def ranking(
    store: Store | str | os.PathLike[str],
    drug: str,
    *,
    campaign: str | None = None,
    kind: str = "wwtp",
    metric: str = "auto",
    log: bool | str = "auto",
    ax: Any = None,
    title: str | None = None,
) -> Figure:
    """Ranks the sites of ``kind`` by their ``drug`` value in ``campaign`` (default: the newest),
    highest on top, with intervals, non-detects at their limit, flagged sites marked and
    threshold lines. ``log``: a log value axis (``auto``: when values span more than 50×).
    Returns the Figure."""
    st = _store(store)
    campaign = campaign or latest_campaign(st, kind)
    sites = _sites_with(st, drug, kind, None)
    rows = []
    for site in sites:
        s = _Series(st, site, drug, metric)
        if campaign in s.campaigns:
            i = s.campaigns.index(campaign)
            if np.isfinite(s.shown[i]):
                rows.append((site, s, i))
    if not rows:
        raise KeyError(f"{st.path}: no {kind} has a value of {drug!r} in {campaign}")
    rows.sort(key=lambda r: r[1].shown[r[2]])
    s0 = rows[0][1]
    own = ax is None
    if own:
        fig = _new_figure(10, 2.0 + 0.36 * len(rows))
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    names = _site_names(st)
    y = np.arange(len(rows))
    handles: list[Any] = []
    vals = np.array([s.shown[i] for _, s, i in rows])
    lo = np.array([s.lower[i] for _, s, i in rows])
    hi = np.array([s.upper[i] for _, s, i in rows])
    ok = np.isfinite(lo) & np.isfinite(hi)
    if ok.any():
        ax.hlines(y[ok], lo[ok], hi[ok], color=_BAND_COLOUR, linewidth=5, zorder=1)
        handles.append(Line2D([], [], color=_BAND_COLOUR, linewidth=5, label=_interval_text(st)))
    kinds = np.array(["nd" if s.all_censored[i] else "part" if s.partly_censored[i] else "det" for _, s, i in rows])
    for k, style, label in (
        ("det", {"color": _SERIES_COLOUR}, "campaign mean"),
        ("part", {"color": _SERIES_COLOUR, "fillstyle": "bottom", "markerfacecoloralt": "white"},
         "some samples non-detect (substituted)"),
        ("nd", {"markerfacecolor": "white", "markeredgecolor": _SERIES_COLOUR, "markeredgewidth": 1.5},
         f"all samples non-detect (at their {s0.limit_kind})"),
    ):
        m = kinds == k
        if m.any():
            ax.plot(vals[m], y[m], "o", markersize=7, linestyle="none", zorder=3, gid={"nd": "non-detect"}.get(k, k),
                    **style)
            handles.append(Line2D([], [], marker="o", markersize=7, linestyle="none", label=label, **style))
    groups: dict[tuple[str, str], list[int]] = {}
    rules: dict[tuple[str, str], list[str]] = {}
    for r, (site, s, _) in enumerate(rows):
        for f in _flags_for(st, site, {s.drug, s.analyte}, campaign):
            key = (f["level"], f["certainty"])
            groups.setdefault(key, []).append(r)
            rules.setdefault(key, [])
            if f["rule"] not in rules[key]:
                rules[key].append(f["rule"])
    for key in sorted(groups, key=lambda k: (k[1] != "", k[0] == "alert", k[1])):
        idx = sorted(set(groups[key]))
        style = level_style(*key)
        ax.plot(vals[idx], y[idx], zorder=4, gid=f"flag-{key[0]}-{key[1] or 'rule'}", **style)
        handles.append(Line2D([], [], label=_flag_label(key[0], key[1], rules[key]), **style))
    watch = [s.watch[i] for _, s, i in rows if np.isfinite(s.watch[i])]
    alert = [s.alert[i] for _, s, i in rows if np.isfinite(s.alert[i])]
    for level, v in (("watch", watch), ("alert", alert)):
        if v:
            ax.axvline(float(np.median(v)), color=_LEVEL_COLOUR[level], linestyle=(0, (6, 3)), linewidth=1.3, zorder=2)
            handles.append(Line2D([], [], color=_LEVEL_COLOUR[level], linestyle=(0, (6, 3)),
                                  label=f"{level} threshold {float(np.median(v)):g}"))
    positive = np.concatenate([vals, lo[ok], hi[ok]])
    positive = positive[positive > 0]
    if log == "auto":
        log = len(positive) > 1 and positive.max() / positive.min() > 50
    if log:
        # Plain numbers at 1, 2, 5 × 10^k: a reader should not need to decode 10^2.
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    else:
        ax.set_xlim(left=0)
    labels = []
    for site, _, _ in rows:
        name = names.get(site, {}).get("name", "")
        if len(name) > 40:
            name = name[:39] + "…"
        labels.append(site if not name else f"{name} ({site})" if len(name) <= 24 else f"{site}\n{name}")
    ax.set_yticks(y, labels, fontsize=9)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlabel(s0.label + (", log scale" if log else ""))
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if title is None:
        what = {"wwtp": "plants", "venue": "venues"}.get(kind, kind)
        title = f"{s0.drug}: {what} ranked, {campaign}"
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    if own:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.5 / (0.36 * len(rows) + 0.6)),
                  ncol=3, fontsize=8.5, frameon=False)
    else:
        ax.legend(handles=handles, loc="best", fontsize=8, frameon=False)
    return fig
