"""The wbe report: one self-contained HTML file for a store (``wbe report``).

Sections, in this order: a summary of the latest campaign (flags, plant and city indices,
rankings), the flagged sites with their plots and the engine's explanations (latest campaign
first), an overview of every plant, the venue screening table, data quality (censoring shares,
batches, unconfirmed model parameters, detectors that could not judge) and the run record.

Every number is read from the store (``estimates_campaign``, ``flags``, ``detections``,
``batches``, ``runs`` …); this module only selects, formats and draws. Images are PNG embedded as
base64 ``data:`` URIs and the style sheet is inline, so the file needs nothing else — no network,
no neighbouring files.

Command line (what ``wbe report`` runs)::

    python3 -m wbe.report --store out/example.h5 --output out/example-report.html \\
        [--campaign 2024Q4] [--config config/example.yaml] [--models-dir models --model-set default]
"""
from __future__ import annotations

import argparse
import base64
import datetime as _dt
import html
import importlib
import io
import math
import os
import pathlib
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .store import Store, open_store

try:
    from . import plot as _plot
except ImportError as _e:  # matplotlib missing: main() says so instead of a traceback
    _plot = None  # type: ignore[assignment]
    _PLOT_ERROR: ImportError | None = _e
else:
    _PLOT_ERROR = None

__all__ = ["build_html", "write", "main"]

_LEVEL_RANK = {"alert": 2, "watch": 1}
_CERTAINTY_RANK = {"exceeds": 3, "": 2, "possible": 1, "indeterminate": 0}
_KIND_TEXT = {"wwtp": "plant", "venue": "venue"}

_CSS = """
:root { --ink:#1d2733; --muted:#5b6672; --line:#d9dee4; --alert:#c0182a; --watch:#b86e00;
        --alert-bg:#fde4e6; --watch-bg:#fff1d6; --band:#eef3f8; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: var(--ink);
       margin: 0 auto; padding: 24px 32px 64px; max-width: 1300px; font-size: 15px; line-height: 1.45;
       background: #fff; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 21px; margin: 40px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--ink); }
h3 { font-size: 17px; margin: 0 0 6px; }
h4 { font-size: 15px; margin: 18px 0 6px; }
p { margin: 6px 0 10px; }
.meta, .note { color: var(--muted); font-size: 13px; }
nav { margin: 12px 0 8px; font-size: 14px; }
nav a { margin-right: 14px; color: var(--ink); }
table { border-collapse: collapse; margin: 8px 0 14px; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--band); font-weight: 600; }
th.group { text-align: center; border-bottom: 2px solid #fff; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.alert td, td.alert { background: var(--alert-bg); }
tr.watch td, td.watch { background: var(--watch-bg); }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12.5px; font-weight: 600;
         margin-right: 6px; color: #fff; }
.badge.alert { background: var(--alert); } .badge.watch { background: var(--watch); }
.badge.quiet { background: #7a8591; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; margin: 12px 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; }
.card .big { font-size: 26px; font-weight: 700; }
.card.alert { border-color: var(--alert); } .card.watch { border-color: var(--watch); }
article.flagged { border: 1px solid var(--line); border-left: 6px solid var(--muted); border-radius: 4px;
                  padding: 12px 16px; margin: 16px 0; }
article.flagged.alert { border-left-color: var(--alert); }
article.flagged.watch { border-left-color: var(--watch); }
ul.why { margin: 6px 0 8px; padding-left: 20px; }
ul.why li { margin: 3px 0; }
figure { margin: 10px 0; }
figure img { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 13px; }
details { margin: 6px 0; } summary { cursor: pointer; color: var(--muted); }
code { font-size: 13px; }
.wide { overflow-x: auto; }
.nowrap { white-space: nowrap; }
table.matrix { width: 100%; }
table.matrix th, table.matrix td { padding: 4px 6px; }
table.matrix th { overflow-wrap: anywhere; font-size: 12.5px; }
table.matrix td:first-child { min-width: 180px; }
"""


# --- small helpers ------------------------------------------------------------------------------


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _num(v: Any, digits: int = 3) -> str:
    """A value as the command line prints it: 3 significant digits, no exponent."""
    try:
        v = float(v)
    except (TypeError, ValueError):
        return _e(v)
    if not math.isfinite(v):
        return "–"
    if v == 0:
        return "0"
    if abs(v) >= 10 ** digits:
        return f"{v:,.0f}"
    return f"{v:.{digits}g}"


def _interval(v: float, lo: float, hi: float, mark: str = "") -> str:
    """A value with its interval on a second line, e.g. 238 / (137–425)."""
    if not math.isfinite(v):
        return "–"
    if math.isfinite(lo) and math.isfinite(hi):
        return f"{_num(v)}{mark}<br><span class=meta>{_num(lo)}–{_num(hi)}</span>"
    return _num(v) + mark


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], *, num: Iterable[int] = (),
           row_class: Sequence[str] | None = None, cell_class: Sequence[Sequence[str]] | None = None,
           css: str = "", groups: Sequence[tuple[str, int]] = ()) -> str:
    """An HTML table; cells are HTML already escaped; columns in ``num`` right-aligned; ``groups``:
    a first header row of (label, columns spanned)."""
    num = set(num)
    out = [f"<div class=wide><table class='{css}'><thead>" if css else "<div class=wide><table><thead>"]
    if groups:
        out.append("<tr>" + "".join(f"<th colspan={n} class=group>{g}</th>" for g, n in groups) + "</tr>")
    out.append("<tr>")
    out += [f"<th class=num>{h}</th>" if i in num else f"<th>{h}</th>" for i, h in enumerate(headers)]
    out.append("</tr></thead><tbody>")
    for r, row in enumerate(rows):
        cls = row_class[r] if row_class and row_class[r] else ""
        out.append(f"<tr class='{cls}'>" if cls else "<tr>")
        for i, cell in enumerate(row):
            classes = ["num"] if i in num else []
            if cell_class and cell_class[r][i]:
                classes.append(cell_class[r][i])
            out.append(f"<td class='{' '.join(classes)}'>{cell}</td>" if classes else f"<td>{cell}</td>")
        out.append("</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def _png(fig: Any, alt: str) -> str:
    """The figure as an <img> with the PNG embedded (base64 data URI)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f"<img alt='{_e(alt)}' src='data:image/png;base64,{data}'>"


def _figure(fig: Any, alt: str, caption: str = "") -> str:
    cap = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f"<figure>{_png(fig, alt)}{cap}</figure>"


def _rows(cols: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    n = len(next(iter(cols.values()))) if cols else 0
    keys = list(cols)
    return [{k: cols[k][i] for k in keys} for i in range(n)]


def _level_class(flags: Sequence[dict[str, Any]]) -> str:
    levels = {f["level"] for f in flags}
    return "alert" if "alert" in levels else "watch" if "watch" in levels else ""


def _severity(f: dict[str, Any]) -> tuple[int, int]:
    return (_LEVEL_RANK.get(f["level"], 0), _CERTAINTY_RANK.get(f["certainty"], 0))


def _flag_title(f: dict[str, Any]) -> str:
    bits = [f["rule"], f["level"]]
    if f["certainty"]:
        p = f["probability"]
        bits.append(f["certainty"] + (f", P = {p:.3f}" if math.isfinite(p) else ""))
    return " · ".join(bits)


# --- the data a report needs, read once ---------------------------------------------------------


class _Data:
    def __init__(self, store: Store, campaign: str | None) -> None:
        self.store = store
        tables = set(store.tables)

        def read(name: str) -> list[dict[str, Any]]:
            return _rows(_plot._columns(store, name)) if name in tables else []

        self.campaign_rows = read("estimates_campaign")
        self.flags = read("flags")
        self.detections = read("detections")
        self.batches = read("batches")
        self.runs = read("runs")
        self.sites = {r["site_id"]: r for r in read("sites")}
        self.populations = read("populations")
        daily = _plot._columns(store, "estimates_daily") if "estimates_daily" in tables else {}
        self.daily = daily
        site_rows = [r for r in self.campaign_rows if r["scope"] == "site"]
        if not site_rows:
            raise KeyError(f"{store.path}: the store has no campaign estimates (run `wbe estimate` first)")
        campaigns = sorted({r["campaign"] for r in site_rows}, key=_plot._campaign_sort_key)
        self.campaigns = campaigns
        if campaign is None:
            campaign = campaigns[-1]
        elif campaign not in campaigns:
            raise KeyError(f"{store.path}: no campaign {campaign!r}; the store has {', '.join(campaigns)}")
        self.campaign = campaign
        cities = [r["id"] for r in self.campaign_rows if r["scope"] == "city"]
        self.city = cities[0] if cities else ""

    def site_name(self, site: str) -> str:
        return str(self.sites.get(site, {}).get("name", ""))

    def site_label(self, site: str) -> str:
        name = self.site_name(site)
        return f"<span class=nowrap>{_e(site)}</span><br><span class=meta>{_e(name)}</span>" if name else _e(site)

    def flags_in(self, campaign: str) -> list[dict[str, Any]]:
        return [f for f in self.flags if f["campaign"] == campaign]

    def latest_run(self) -> dict[str, Any] | None:
        return max(self.runs, key=lambda r: r["run_id"]) if self.runs else None

    def estimating_run(self) -> dict[str, Any] | None:
        """The latest run that computed the stored estimates (`wbe run`, `wbe estimate`, or an
        ingest that recomputed them): its record holds the unconfirmed parameters they used."""
        done = [r for r in self.runs if r.get("n_campaign", 0) > 0]
        return max(done, key=lambda r: r["run_id"]) if done else self.latest_run()

    def headline_drugs(self) -> list[str]:
        """Drugs a reader looks at first: those with plant thresholds or flags in the campaign,
        else the two highest city consumptions."""
        out: list[str] = []
        for r in self.campaign_rows:
            if r["scope"] == "site" and r["site_kind"] == "wwtp" and math.isfinite(r["threshold_watch"]) \
                    and r["drug"] not in out:
                out.append(r["drug"])
        for f in self.flags_in(self.campaign):
            if f["site_kind"] == "wwtp" and f["drug"] not in out and self.has_series(f["site_id"], f["drug"]):
                out.append(f["drug"])
        if not out:
            city = [r for r in self.campaign_rows if r["scope"] == "city" and r["campaign"] == self.campaign
                    and r["value_kind"] == "consumption" and math.isfinite(r["consumption_mg_per_day_per_1000"])]
            city.sort(key=lambda r: -r["consumption_mg_per_day_per_1000"])
            out = [r["drug"] for r in city[:2]]
        return out

    def has_series(self, site: str, drug: str) -> bool:
        return any(r["scope"] == "site" and r["id"] == site and drug in (r["drug"], r["analyte"])
                   for r in self.campaign_rows)


# --- sections -----------------------------------------------------------------------------------


def _summary(d: _Data) -> str:
    c = d.campaign
    out = [f"<h2 id=summary>Summary of campaign {_e(c)}</h2>"]
    daily = d.daily
    n_plant_samples = n_venue_samples = 0
    plants: set[str] = set()
    venues: set[str] = set()
    if daily:
        keep = daily["campaign"] == c
        for kind, sid, site in zip(daily["site_kind"][keep], daily["sample_id"][keep], daily["site_id"][keep]):
            (plants if kind == "wwtp" else venues).add(site)
        samples = {(k, s) for k, s in zip(daily["site_kind"][keep], daily["sample_id"][keep])}
        n_plant_samples = sum(1 for k, _ in samples if k == "wwtp")
        n_venue_samples = len(samples) - n_plant_samples
    flags = sorted(d.flags_in(c), key=lambda f: (-_severity(f)[0], -_severity(f)[1], f["site_id"], f["drug"],
                                                 f["rule"], f["date"]))
    levels = Counter(f["level"] for f in flags)
    flagged_sites = {f["site_id"] for f in flags}
    earlier = [f for f in d.flags if f["campaign"] != c]
    cls = "alert" if levels.get("alert") else "watch" if levels.get("watch") else ""
    out.append("<div class=cards>")
    out.append(f"<div class=card><div class=big>{len(plants)}</div>plants, {n_plant_samples} samples</div>")
    out.append(f"<div class=card><div class=big>{len(venues)}</div>venues, {n_venue_samples} grab samples</div>")
    out.append(f"<div class='card {cls}'><div class=big>{len(flags)}</div>flags at {len(flagged_sites)} sites: "
               f"{levels.get('alert', 0)} alert, {levels.get('watch', 0)} watch</div>")
    out.append(f"<div class=card><div class=big>{len(earlier)}</div>flags in the "
               f"{len(d.campaigns) - 1} earlier campaigns</div>")
    out.append("</div>")
    if flags:
        rows, rc = [], []
        for f in flags:
            kind = _KIND_TEXT.get(f["site_kind"], f["site_kind"])
            p = f["probability"]
            rule = _e(f["rule"]) + (f"<br><span class=meta>{_e(f['date'])}</span>" if f["date"] else "")
            rows.append([d.site_label(f["site_id"]), _e(kind), _e(f["drug"]), rule,
                         f"<span class='badge {_e(f['level'])}'>{_e(f['level'])}</span>", _e(f["certainty"]),
                         _num(p) if math.isfinite(p) else "", _num(f["value"]), _num(f["reference"]),
                         _e(f["unit"])])
            rc.append(f["level"])
        out.append(f"<h4>Flags raised in {_e(c)}</h4>")
        out.append(_table(["site", "kind", "drug", "rule", "level", "certainty", "P(exceed)", "value",
                           "reference", "unit"], rows, num=(6, 7, 8), row_class=rc))
        out.append("<p class=note>Why each was raised, with its plot: <a href='#flagged'>flagged sites</a>. "
                   "<i>exceeds</i>: P(index above the threshold) ≥ 0.95 under the uncertainty model; "
                   "<i>possible</i>: P ≥ 0.5; <i>indeterminate</i>: non-detects leave the campaign mean on "
                   "both sides of the threshold.</p>")
    else:
        out.append(f"<p>No flag was raised in {_e(c)}.</p>")
    out.append(_plant_table(d))
    for drug in d.headline_drugs():
        try:
            fig = _plot.ranking(d.store, drug, campaign=c, kind="wwtp")
        except KeyError:
            continue
        out.append(_figure(fig, f"{drug}: plants ranked in {c}",
                           f"{_e(drug)} at each plant in {_e(c)}, highest first, with the 95% interval "
                           "and the thresholds."))
    return "".join(out)


def _plant_table(d: _Data) -> str:
    c = d.campaign
    rows = [r for r in d.campaign_rows if r["campaign"] == c and r["value_kind"] == "consumption"
            and r["site_kind"] == "wwtp"]
    if not rows:
        return ""
    city_value = {r["drug"]: r["consumption_mg_per_day_per_1000"] for r in rows if r["scope"] == "city"}
    # Highest city value first; composite indices (another unit) last.
    drugs = sorted({(r["drug"], r["analyte"]) for r in rows},
                   key=lambda da: -np.nan_to_num(city_value.get(da[0], -1.0), nan=-1.0))
    composite = {r["drug"] for r in rows if str(r["censoring"]).startswith("composite:")}
    drugs = [x for x in drugs if x[0] not in composite] + [x for x in drugs if x[0] in composite]
    flagged = {(f["site_id"], f["drug"]): f["level"] for f in sorted(d.flags_in(c), key=_severity)}
    order = {"site": 0, "district": 1, "city": 2}
    entities = sorted({(r["scope"], r["id"]) for r in rows}, key=lambda e: (order.get(e[0], 3), e[1]))
    cell = {(r["scope"], r["id"], r["drug"]): r for r in rows}
    head = ["site / district / city", "population"]
    for drug, analyte in drugs:
        head.append(_e(drug) + (f"<br><span class=meta>from {_e(analyte)}</span>" if drug != analyte else ""))
    body, classes, rc = [], [], []
    for scope, ident in entities:
        label = d.site_label(ident) if scope == "site" else f"<b>{_e(ident)}</b><br><span class=meta>{_e(scope)}</span>"
        pop = next((r["population"] for r in rows if r["scope"] == scope and r["id"] == ident), math.nan)
        line, cls = [label, f"{pop:,.0f}" if math.isfinite(pop) else "–"], ["", ""]
        for drug, _ in drugs:
            r = cell.get((scope, ident, drug))
            if r is None:
                line.append("")
                cls.append("")
                continue
            line.append(_interval(r["consumption_mg_per_day_per_1000"], r["consumption_lower"], r["consumption_upper"],
                                  "*" if r["n_censored"] > 0 else ""))
            cls.append(flagged.get((ident, drug), "") if scope == "site" else "")
        body.append(line)
        classes.append(cls)
        rc.append("")
    units = [_plot.UNITS["consumption"]]
    if composite:
        units.append("composite indices in their own unit (" + ", ".join(sorted(composite)) + ": "
                     + ", ".join(sorted({_composite_unit(r) for r in rows if r["drug"] in composite})) + ")")
    return (f"<h4>Plant, district and city indices in {_e(c)}</h4>"
            + _table(head, body, num=range(1, len(head)), cell_class=classes, css="matrix")
            + f"<p class=note>Campaign means in {_e('; '.join(units))}, with their "
              f"{_e(_plot._interval_text(d.store))} below; district and city rows are population-weighted. "
              "* the mean includes non-detects replaced by the censoring rule. Shaded cells carry a flag in "
              "this campaign.</p>")


def _composite_unit(row: dict[str, Any]) -> str:
    return _plot.UNITS["index" if row["censoring"] == "composite:relative" else "doses"]


def _flagged(d: _Data) -> str:
    c = d.campaign
    out = ["<h2 id=flagged>Flagged sites</h2>"]
    if not d.flags:
        out.append("<p>The store holds no flags (run <code>wbe flag</code> to evaluate the rules).</p>")
        return "".join(out)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for f in d.flags:
        groups[(f["site_id"], f["drug"])].append(f)

    def key(g: tuple[str, str]) -> tuple[Any, ...]:
        fs = groups[g]
        now = [f for f in fs if f["campaign"] == c]
        last = max((f["campaign"] for f in fs), key=_plot._campaign_sort_key)
        best = max(map(_severity, now)) if now else (0, 0)
        return (0 if now else 1, -best[0], -best[1], -_plot._campaign_sort_key(last)[0], g)

    ordered = sorted(groups, key=key)
    now = [g for g in ordered if any(f["campaign"] == c for f in groups[g])]
    before = [g for g in ordered if g not in now]
    out.append(f"<p>{len(now)} site × drug series flagged in {_e(c)}, then {len(before)} flagged only in earlier "
               "campaigns. Each plot shows the campaign means with their interval, the detector baseline, "
               "the thresholds and every flagged campaign (colour: level; shape: certainty).</p>")
    if now:
        out.append(f"<h3 style='margin-top:18px'>Flagged in {_e(c)}</h3>")
        out += [_flag_card(d, g, groups[g]) for g in now]
    if before:
        out.append("<h3 style='margin-top:24px'>Flagged in earlier campaigns only</h3>")
        out += [_flag_card(d, g, groups[g]) for g in before]
    return "".join(out)


def _flag_card(d: _Data, group: tuple[str, str], flags: list[dict[str, Any]]) -> str:
    site, drug = group
    c = d.campaign
    now = sorted([f for f in flags if f["campaign"] == c], key=_severity, reverse=True)
    shown_campaign = c if now else max((f["campaign"] for f in flags), key=_plot._campaign_sort_key)
    head_flags = now or sorted([f for f in flags if f["campaign"] == shown_campaign], key=_severity, reverse=True)
    info = d.sites.get(site, {})
    kind = _KIND_TEXT.get(str(info.get("kind", flags[0]["site_kind"])), flags[0]["site_kind"])
    where = " · ".join(x for x in (kind, str(info.get("venue_type", "")), str(info.get("district", ""))) if x)
    cls = _level_class(head_flags)
    out = [f"<article class='flagged {cls}'>"]
    out.append(f"<h3>{_e(site)} {_e(d.site_name(site))} — {_e(drug)}</h3>")
    out.append(f"<p class=meta>{_e(where)}</p>")
    out.append("<p>" + "".join(f"<span class='badge {_e(f['level'])}'>{_e(f['campaign'])}: {_e(_flag_title(f))}"
                               "</span>" for f in head_flags) + "</p>")
    if d.has_series(site, drug):
        out.append(_series_figure(d, site, drug, str(info.get("kind", ""))))
    out.append("<ul class=why>")
    for f in head_flags:
        date = f" on {_e(f['date'])}" if f["date"] else ""
        out.append(f"<li><b>{_e(f['campaign'])}{date} · {_e(_flag_title(f))}</b>: {_e(f['explanation'])}</li>")
    out.append("</ul>")
    dets = [r for r in d.detections if r["site_id"] == site and r["drug"] == drug and r["campaign"] == shown_campaign]
    if dets:
        out.append(f"<p class=meta>Detectors in {_e(shown_campaign)}: " + "; ".join(
            f"<b>{_e(r['detector'])}</b> {_e(r['level'])} — {_e(r['reason'])}" for r in dets) + "</p>")
    rest = sorted([f for f in flags if f not in head_flags], key=lambda f: _plot._campaign_sort_key(f["campaign"]),
                  reverse=True)
    if rest:
        campaigns = sorted({f["campaign"] for f in rest}, key=_plot._campaign_sort_key)
        rows = [[_e(f["campaign"]), _e(f["rule"]), f"<span class='badge {_e(f['level'])}'>{_e(f['level'])}</span>",
                 _e(f["certainty"]), _num(f["probability"]) if math.isfinite(f["probability"]) else "",
                 _num(f["value"]), _num(f["reference"]), _e(f["explanation"])] for f in rest]
        out.append(f"<details><summary>{len(rest)} more flags of this series ({_e(campaigns[0])}–"
                   f"{_e(campaigns[-1])})</summary>"
                   + _table(["campaign", "rule", "level", "certainty", "P", "value", "reference", "explanation"],
                            rows, num=(4, 5, 6)) + "</details>")
    out.append("</article>")
    return "".join(out)


def _series_figure(d: _Data, site: str, drug: str, kind: str) -> str:
    if kind == "venue":
        # Venues: the screening index (what the detectors follow) beside the concentration (what
        # the venue threshold rules judge).
        fig = _plot.series_pair(d.store, site, drug, title="")
        return _figure(fig, f"{site} {drug} series",
                       "Left: the screening index (mg/day/1000 person-equivalents, a screening value, not a "
                       "consumption) that the detectors follow; right: the concentration the venue threshold "
                       "rules judge.")
    fig = _plot.series(d.store, site, drug, title="")
    return _figure(fig, f"{site} {drug} series")


def _overview(d: _Data) -> str:
    out = ["<h2 id=overview>All plants</h2>",
           "<p>One panel per plant (each on its own scale), with the same marks as above.</p>"]
    for drug in d.headline_drugs():
        try:
            fig = _plot.overview(d.store, drug, kind="wwtp")
        except KeyError:
            continue
        out.append(_figure(fig, f"{drug} at every plant"))
    return "".join(out)


def _venues(d: _Data) -> str:
    c = d.campaign
    out = ["<h2 id=venues>Venue screening</h2>",
           "<p>Venues (hotels, karaoke bars, clubs, bath houses) have no flow meter and no population, so they "
           "get no consumption. Each value below is a <b>screening index</b>: the drug per unit of cotinine in "
           "the same grab sample, scaled to mg/day/1000 person-equivalents. It can rank venues and show a "
           "venue's jump against its own history; it cannot say how many people used a drug. "
           "One to three grab samples cover a few hours of a venue's use.</p>"]
    rows = [r for r in d.campaign_rows if r["scope"] == "site" and r["site_kind"] == "venue" and r["campaign"] == c
            and r["value_kind"] == "screening"]
    if not rows:
        out.append(f"<p>No venue has a screening index in {_e(c)}.</p>")
        return "".join(out)
    drugs = sorted({r["drug"] for r in rows}, key=lambda x: -max(
        (r["screening_mean"] for r in rows if r["drug"] == x and math.isfinite(r["screening_mean"])), default=0))
    flagged = {(f["site_id"], f["drug"]): f["level"] for f in sorted(d.flags_in(c), key=_severity)}
    cell = {(r["id"], r["drug"]): r for r in rows}
    venues = sorted({r["id"] for r in rows}, key=lambda v: (str(d.sites.get(v, {}).get("venue_type", "")), v))
    n_samples = {}
    for r in rows:
        n_samples[r["id"]] = max(n_samples.get(r["id"], 0), int(r["n_samples"]))
    head = ["venue", "type", "district", "samples"] + [_e(x) for x in drugs]
    body, classes = [], []
    for v in venues:
        info = d.sites.get(v, {})
        line = [d.site_label(v), _e(str(info.get("venue_type", "")).replace("_", " ")), _e(info.get("district", "")),
                str(n_samples[v])]
        cls = ["", "", "", ""]
        for drug in drugs:
            r = cell.get((v, drug))
            if r is None:
                line.append("")
            else:
                line.append(_interval(r["screening_mean"], r["screening_lower"], r["screening_upper"],
                                      "*" if r["n_censored"] > 0 else ""))
            cls.append(flagged.get((v, drug), ""))
        body.append(line)
        classes.append(cls)
    out.append(f"<h4>Screening index in {_e(c)} ({_e(_plot.UNITS['screening'])}, with the interval)</h4>")
    out.append(_table(head, body, num=range(3, len(head)), cell_class=classes, css="matrix"))
    out.append("<p class=note>* includes non-detects replaced by the censoring rule. Shaded cells carry a flag "
               "in this campaign.</p>")
    for drug in [x for x in d.headline_drugs() if x in drugs]:
        try:
            fig = _plot.ranking(d.store, drug, campaign=c, kind="venue")
        except KeyError:
            continue
        out.append(_figure(fig, f"{drug}: venues ranked in {c}",
                           f"{_e(drug)} screening index of each venue in {_e(c)}, highest first."))
    return "".join(out)


def _censoring_table(d: _Data) -> str:
    daily = d.daily
    if not daily:
        return "<p>No daily estimates.</p>"
    c = d.campaign
    counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for analyte, kind, q, camp in zip(daily["analyte"], daily["site_kind"], daily["qualifier"], daily["campaign"]):
        for scope in ("all", "now") if camp == c else ("all",):
            counts[(analyte, kind)][(scope, "n")] += 1
            if q:
                counts[(analyte, kind)][(scope, "censored")] += 1
    not_estimable: Counter = Counter()
    n_campaigns: Counter = Counter()
    for r in d.campaign_rows:
        if r["scope"] == "site" and r["censored_method"]:
            n_campaigns[(r["analyte"], r["site_kind"])] += 1
            if r["censored_method"] == "not_estimable":
                not_estimable[(r["analyte"], r["site_kind"])] += 1
    drug_of = {a: dr for a, dr in zip(daily["analyte"], daily["drug"])}
    analytes = sorted({a for a, _ in counts})

    def share(cn: Counter, scope: str) -> tuple[str, str]:
        n, k = cn[(scope, "n")], cn[(scope, "censored")]
        if not n:
            return "–", ""
        s = k / n
        return f"{k} / {n} ({100 * s:.0f}%)", ("alert" if s > 0.8 else "watch" if s >= 0.5 else "")

    head = ["residue", "drug"]
    for _ in ("wwtp", "venue"):
        head += [_e(c), "all campaigns", "campaigns not estimable"]
    body, classes = [], []
    for a in analytes:
        line, cls = [_e(a), _e(drug_of.get(a, "")) if drug_of.get(a, "") != a else ""], ["", ""]
        for kind in ("wwtp", "venue"):
            cn = counts.get((a, kind), Counter())
            for scope in ("now", "all"):
                text, k = share(cn, scope)
                line.append(text)
                cls.append(k)
            ne, nc = not_estimable[(a, kind)], n_campaigns[(a, kind)]
            line.append(f"{ne} of {nc}" if nc else "–")
            cls.append("")
        body.append(line)
        classes.append(cls)
    return (_table(head, body, num=range(2, len(head)), cell_class=classes,
                   groups=[("", 2), ("plants: non-detects", 3), ("venues: non-detects", 3)])
            + "<p class=note>Non-detects (&lt;LOD, &lt;LOQ) among the results of each residue; shaded red "
              "above 80%, amber from 50%. <i>Campaigns not estimable</i>: site campaigns whose censored share "
              "is too high for a censored-data mean (Kaplan–Meier, ROS, MLE), so their campaign mean rests "
              "on the substitution rule alone.</p>")


def _model_parameters(models_dir: str | None, model_set: str | None) -> dict[str, dict[str, Any]]:
    """residue → parsed model file, with the set's overrides as ``{"overrides": {...}}``."""
    if not models_dir or not os.path.isdir(models_dir):
        return {}
    try:
        yaml = importlib.import_module("yaml")
    except ImportError:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for p in sorted(pathlib.Path(models_dir).glob("*.yaml")):
        try:
            doc = yaml.safe_load(p.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(doc, dict) and "residue" in doc:
            out[str(doc["residue"])] = {"doc": doc, "file": p.name, "override": {}}
    if model_set and model_set != "default":
        p = pathlib.Path(models_dir) / "sets" / f"{model_set}.yaml"
        try:
            doc = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
            for residue, over in (doc.get("overrides") or {}).items():
                if str(residue) in out and isinstance(over, dict):
                    out[str(residue)]["override"] = over
                    out[str(residue)]["set_file"] = f"sets/{p.name}"
        except (OSError, yaml.YAMLError, AttributeError):
            pass
    return out


def _lookup(models: dict[str, dict[str, Any]], dotted: str) -> tuple[dict[str, Any] | None, str]:
    residue, _, path = dotted.partition(".")
    m = models.get(residue)
    if not m:
        return None, ""
    if path in m["override"] and isinstance(m["override"][path], dict):
        return m["override"][path], m.get("set_file", "")
    node: Any = m["doc"]
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return (node, m["file"]) if isinstance(node, dict) else (None, m["file"])


def _quality(d: _Data, models_dir: str | None, model_set: str | None) -> str:
    c = d.campaign
    out = ["<h2 id=quality>Data quality</h2>", "<h4>Non-detects by residue</h4>", _censoring_table(d)]

    out.append("<h4>Batches</h4>")
    status = Counter(b["status"] for b in d.batches)
    superseded = [b for b in d.batches if b["status"] == "superseded"]
    out.append(f"<p>{len(d.batches)} batch versions stored: "
               + ", ".join(f"{n} {_e(s)}" for s, n in sorted(status.items())) + ". "
               + (f"<b>{len(superseded)} superseded</b> by a corrected batch (kept on record, not used)."
                  if superseded else "None superseded.")
               + " Batches rejected at ingest are not in the store: ingest writes a batch whole or not at all, "
                 "so a rejected batch leaves no record here — its errors were reported by "
                 "<code>wbe ingest</code> with file, line and column.</p>")
    if d.batches:
        rows, rc = [], []
        for b in sorted(d.batches, key=lambda b: (b["batch_id"], b["ingested_at"])):
            rows.append([_e(b["batch_id"]), _e(b["status"]), str(b["n_results"]), _e(b["ingested_at"]),
                         _e(b["user"]), _e(os.path.basename(str(b["source"]))), _e(b["reason"]),
                         _e(b["superseded_at"]), _e(str(b["superseded_by"])[:12])])
            rc.append("watch" if b["status"] == "superseded" else "")
        out.append(_table(["batch", "status", "results", "ingested", "by", "file", "reason", "superseded at",
                           "superseded by (hash)"], rows, num=(2,), row_class=rc))

    run = d.estimating_run()
    out.append("<h4>Unconfirmed model parameters used</h4>")
    unconfirmed = [u for u in str(run["unconfirmed"]).split(",") if u] if run else []
    if not unconfirmed:
        out.append("<p>The estimates used no parameter whose evidence is <i>unconfirmed</i>.</p>")
    else:
        models = _model_parameters(models_dir, model_set or (str(run["model_set"]) if run else None))
        rows = []
        for u in unconfirmed:
            p, where = _lookup(models, u)
            if p is None:
                rows.append([f"<code>{_e(u)}</code>", "", "", _e(where)])
            else:
                unit = str(p.get("unit", ""))
                value = f"{_e(p.get('value', ''))} {_e(unit if unit != '1' else '')}".strip()
                rows.append([f"<code>{_e(u)}</code>", value, _e(p.get("source", "")), _e(where)])
        note = ("" if models else "<p class=note>Values and sources are in the model files of the run's model "
                "set (pass the config to <code>wbe report</code> to list them here).</p>")
        out.append(f"<p>The estimates (run {_e(run['run_id'])}, <code>wbe {_e(run['command'])}</code>, model set "
                   f"<b>{_e(run['model_set'])}</b>) used {len(unconfirmed)} parameters "
                   "whose evidence is <i>unconfirmed</i> (models/README.md): indices that depend on them carry "
                   "that uncertainty beyond their interval.</p>"
                   + _table(["parameter", "value", "source", "file"], rows) + note)

    out.append(f"<h4>Detectors in {_e(c)}</h4>")
    dets = [r for r in d.detections if r["campaign"] == c]
    if not dets:
        out.append("<p>No detector results for this campaign.</p>")
    else:
        by: dict[str, Counter] = defaultdict(Counter)
        reasons: dict[str, Counter] = defaultdict(Counter)
        for r in dets:
            by[r["detector"]][r["level"]] += 1
            if r["level"] == "not_evaluable":
                reasons[r["detector"]][_reason_kind(str(r["reason"]))] += 1
        rows = []
        for det in sorted(by):
            cn = by[det]
            why = "; ".join(f"{_e(k)} ({n})" for k, n in reasons[det].most_common(3))
            rows.append([_e(det), str(cn["alert"]), str(cn["watch"]), str(cn["none"]), str(cn["not_evaluable"]), why])
        out.append(_table(["detector", "alert", "watch", "none", "not evaluable", "why not evaluable"], rows,
                          num=(1, 2, 3, 4)))

    notes = []
    if run and run["summary"]:
        notes.append(f"Run {_e(run['run_id'])} ({_e(run['command'])}): {_e(run['summary'])}.")
    departs = [p for p in d.populations if p["role"] == "used" and p["departs"]]
    for p in departs:
        notes.append(f"Population check: {_e(p['site_id'])} {_e(p['campaign'])} — estimate / census = "
                     f"{_num(p['ratio'])} ({_e(p['method'])}).")
    if notes:
        out.append("<h4>Notes</h4><ul class=why>" + "".join(f"<li>{n}</li>" for n in notes) + "</ul>")
    return "".join(out)


def _reason_kind(reason: str) -> str:
    """A detector's not-evaluable reason without its counts ("needs 4 previous campaigns …")."""
    head = reason.split(",")[0]
    return "".join(ch if not ch.isdigit() else "N" for ch in head).replace("NN", "N")


def _run_record(d: _Data, store_path: str, config: str | None) -> str:
    out = ["<h2 id=run>Run record</h2>"]
    run = d.latest_run()
    if run is None:
        out.append("<p>The store records no run.</p>")
    else:
        fields = ["run_id", "command", "started_at", "engine_version", "config", "config_hash", "model_set",
                  "model_hash", "uncertainty", "seed", "draws", "interval", "n_daily", "n_campaign", "n_flags",
                  "summary", "populations"]
        rows = [[_e(k), _e(run[k])] for k in fields if k in run]
        out.append("<h4>Latest run</h4>" + _table(["field", "value"], rows))
        if len(d.runs) > 1:
            older = sorted(d.runs, key=lambda r: r["run_id"], reverse=True)[1:]
            rows = [[str(r["run_id"]), _e(r["command"]), _e(r["started_at"]), _e(r["engine_version"]),
                     _e(os.path.basename(str(r["config"]))), _e(str(r["config_hash"])[:12]), _e(r["model_set"]),
                     str(r["seed"]), str(r["n_flags"])] for r in older]
            out.append(f"<details><summary>{len(older)} earlier runs</summary>"
                       + _table(["run", "command", "started", "engine", "config", "config hash", "model set", "seed",
                                 "flags"], rows, num=(0, 7, 8)) + "</details>")
    attrs = _store_attributes(store_path)
    rows = [["store", _e(os.path.abspath(store_path))]]
    rows += [[_e(k), _e(v)] for k, v in attrs.items()]
    if config:
        rows.append(["config given to the report", _e(config)])
    from . import __version__ as version  # the package is imported by then
    rows.append(["report written", _e(_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                                     + f" by wbe {version}")])
    out.append("<h4>Store</h4>" + _table(["", ""], rows))
    return "".join(out)


def _store_attributes(path: str) -> dict[str, str]:
    try:
        h5py = importlib.import_module("h5py")
        with h5py.File(path, "r") as f:
            return {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in sorted(f.attrs.items())}
    except Exception:  # noqa: BLE001 - the attributes are a courtesy; the tables were read already
        return {}


# --- public API ---------------------------------------------------------------------------------


def build_html(
    store: Store | str | os.PathLike[str],
    *,
    campaign: str | None = None,
    config: str | os.PathLike[str] | None = None,
    models_dir: str | os.PathLike[str] | None = None,
    model_set: str | None = None,
) -> str:
    """The report of ``store`` as one HTML document (str). ``campaign``: the campaign to summarise
    (default: the newest with estimates). ``models_dir`` and ``model_set`` (as resolved from the
    run config; ``wbe report`` passes them) let the data-quality section quote the value and source
    of each unconfirmed parameter; ``config`` is only recorded. Raises StoreError for a missing
    store and KeyError for an unknown campaign."""
    if _PLOT_ERROR is not None:
        raise ImportError(f"the report draws with matplotlib: {_PLOT_ERROR} (Debian: python3-matplotlib)")
    st = store if isinstance(store, Store) else open_store(store)
    d = _Data(st, campaign)
    title = f"wbe report — {d.city + ', ' if d.city else ''}campaign {d.campaign}"
    sections = [
        _summary(d),
        _flagged(d),
        _overview(d),
        _venues(d),
        _quality(d, os.fspath(models_dir) if models_dir else None, model_set),
        _run_record(d, st.path, os.fspath(config) if config else None),
    ]
    nav = "".join(f"<a href='#{k}'>{_e(v)}</a>" for k, v in (
        ("summary", "Summary"), ("flagged", "Flagged sites"), ("overview", "All plants"), ("venues", "Venues"),
        ("quality", "Data quality"), ("run", "Run record")))
    first, last = (d.campaigns[0], d.campaigns[-1]) if d.campaigns else ("", "")
    return ("<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width, initial-scale=1'>"
            f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
            f"<header><h1>{_e(title)}</h1><p class=meta>Store {_e(os.path.abspath(st.path))} · "
            f"{len(d.campaigns)} campaigns ({_e(first)}–{_e(last)})</p><nav>{nav}</nav></header>"
            f"<main>{''.join(sections)}</main></body></html>\n")


def write(
    store: Store | str | os.PathLike[str],
    output: str | os.PathLike[str],
    **kwargs: Any,
) -> pathlib.Path:
    """Writes :func:`build_html` to ``output`` (via a temporary file, renamed into place) and
    returns its path."""
    text = build_html(store, **kwargs)
    out = pathlib.Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)
    return out


def _fail(kind: str, message: str) -> None:
    sys.stderr.write(f"wbe: {kind}:\n" + "".join(f"  {line}\n" for line in str(message).splitlines()))


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m wbe.report``: exit codes as the command line's (0 ok, 1 bad input or store,
    2 usage, 3 internal error)."""
    ap = argparse.ArgumentParser(prog="wbe report", description="Write a self-contained HTML report of a wbe store.")
    ap.add_argument("--store", required=True, help="the HDF5 store")
    ap.add_argument("--output", "-o", help="the HTML file (default: STORE with -report.html)")
    ap.add_argument("--campaign", help="campaign to summarise (default: the newest)")
    ap.add_argument("--config", help="run config (recorded in the report)")
    ap.add_argument("--models-dir", help="the config's models.dir (to quote unconfirmed parameters)")
    ap.add_argument("--model-set", help="the config's models.set")
    args = ap.parse_args(argv)
    output = args.output or str(pathlib.Path(args.store).with_suffix("")) + "-report.html"
    from . import StoreError

    try:
        path = write(args.store, output, campaign=args.campaign, config=args.config, models_dir=args.models_dir,
                     model_set=args.model_set)
    except StoreError as e:
        _fail("store", str(e))
        return 1
    except KeyError as e:
        _fail("bad input", e.args[0] if e.args else str(e))
        return 1
    except OSError as e:
        _fail("bad input", f"{output}: cannot write the report: {e.strerror or e}")
        return 1
    except ImportError as e:
        _fail("internal error", str(e))
        return 3
    except Exception as e:  # noqa: BLE001 - reported as the CLI reports internal errors
        _fail("internal error", f"{type(e).__name__}: {e}")
        return 3
    print(f"wrote the report of {args.store} to {path.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
