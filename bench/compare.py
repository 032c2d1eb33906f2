#!/usr/bin/python3
"""Compares benchmark results (bench/run.py's JSON) with a baseline; exit 1 on a regression.

    /usr/bin/python3 bench/compare.py RESULTS.json [RESULTS2.json ...]          (against bench/baseline.json)
    /usr/bin/python3 bench/compare.py --baseline OTHER.json RESULTS.json
    /usr/bin/python3 bench/compare.py --write-baseline bench/baseline.json RUN1.json RUN2.json RUN3.json

What is compared: the `summary` rows of run.py's JSON, by key (`csv_ingest/1000000`,
`monte_carlo/10000`, `e2e/100x`, …).

- `ratio` and `fraction` rows hold wbe's speed divided by its peer's (numpy, pandas, h5py,
  statsmodels; or the copy bandwidth, or wbe on one thread), both measured in the same run,
  minutes apart on the same machine. Load from other work slows both sides, so the ratio
  is what carries from run to run and what is judged: a ratio below baseline × (1 − band)
  is a REGRESSION (exit status 1); above baseline × (1 + band) it is reported as improved.
- The io rows also carry `ratio_cpu`, the same ratio from CPU time (both sides run on one
  thread, so it is the ratio of the work done); it is what is compared for them unless
  --wall: in three runs under a load average of 3.5-6 it moved 2-15 % where the wall-clock
  ratio moved up to 33 % (10^5 rows) and 57 % (the 50 ms h5py append). fsync waits are in the
  wall time only; the store's ratio to h5py with and without fsync shows them apart.
- `absolute` rows (the e2e wall time and peak RSS, all detectors' seconds, the Monte Carlo
  memory growth) have no peer in the same run; they move with the machine's load and with
  the machine itself, so they are reported (slower / faster beyond --absolute-band) but fail
  the comparison only with --strict-absolute.

Repetitions: every row of one run.py JSON is already a median (of --repetitions repetitions
for wbe and for the peer). Giving several results files takes, per key, the median of their
ratios before comparing — the way to compare on a noisy day: run run.py three times and pass
all three. --write-baseline does the same for the baseline and records, per key, the spread
of the runs (max/min − 1), so that the band of a key is max(--band, 1.5 × its spread), at
most 0.6 (ratios; 1.0 for absolute rows): a key that moved by 30 % between the baseline's own
runs is not flagged for moving 30 %, and even the noisiest key still catches a fall to 40 %.
A --band given to the comparison can widen a key's stored band, not narrow it.

The band (default 0.25, i.e. a ratio may fall to 75 % of the baseline): on this 2-core VM,
shared with other builds (load average 3-6), three runs of the same binaries moved most ratios
by 2-17 % (max/min); the 10^6-row io ratios by 5-10 %; the rows whose timing is tiny or whose
peer or thread count meets the load (statsmodels ROS, KM at 10^3, back_calculate at 10^7, the
2-thread speed-ups, appending 10^4 rows with h5py) by 25-85 % — bench/README.md ("Baseline,
compare and noise") lists them. 25 % is above the common spread with a margin, so one run
flags a real loss of a quarter or more; the noisy keys get their own wider band from the
baseline's spread.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_BASELINE = HERE / "baseline.json"
DEFAULT_BAND = 0.25
DEFAULT_ABSOLUTE_BAND = 0.5
SPREAD_FACTOR = 1.5
MAX_BAND = {"ratio": 0.6, "fraction": 0.6, "absolute": 1.0}  # a wider band could never flag anything


def load_rows(path: Path) -> tuple[dict, dict[str, dict]]:
    doc = json.loads(path.read_text())
    if "summary" not in doc:
        raise SystemExit(f"compare.py: {path} has no `summary` (written by bench/run.py after issue 9?)")
    return doc, {r["key"]: r for r in doc["summary"]}


def load_of(doc: dict) -> float | None:
    """The run's load: the median of the 1-minute load averages run.py sampled after each part,
    or, for older files, Google Benchmark's at the start."""
    if doc.get("load_samples"):
        return statistics.median(doc["load_samples"])
    la = (doc.get("machine") or {}).get("load_avg") or []
    return la[0] if la else None


LOAD_WARNING = 1.5  # load averages further apart than this: say so (cache-bound ratios drop under load)


def metric(row: dict) -> float | None:
    """The compared number: the ratio (higher is better) or, for absolute rows, the value
    (lower is better)."""
    return row["ratio"] if row["kind"] in ("ratio", "fraction") else row.get("value")


def spread(vals: list[float]) -> float | None:
    return (max(vals) / min(vals) - 1.0) if vals and min(vals) > 0 else None


def merge(runs: list[dict[str, dict]]) -> dict[str, dict]:
    """Per key: the median of the runs' metrics and their spread (max/min - 1); for rows with a
    CPU-time ratio (`ratio_cpu`: one thread on each side, the io stages) the same for it."""
    keys = list(dict.fromkeys(k for rows in runs for k in rows))
    out = {}
    for k in keys:
        rows = [rows[k] for rows in runs if k in rows and metric(rows[k]) is not None]
        if not rows:
            continue
        vals = [metric(r) for r in rows]
        cpu = [r["ratio_cpu"] for r in rows if r.get("ratio_cpu")]
        first = rows[0]
        out[k] = {"stage": first["stage"], "size": first["size"], "kind": first["kind"], "unit": first.get("unit"),
                  "target": first.get("target", ""), "metric": statistics.median(vals), "runs": len(vals),
                  "values": vals, "spread": spread(vals),
                  "metric_cpu": statistics.median(cpu) if len(cpu) == len(rows) else None,
                  "values_cpu": cpu if len(cpu) == len(rows) else None,
                  "spread_cpu": spread(cpu) if len(cpu) == len(rows) else None}
    return out


def write_baseline(out: Path, paths: list[Path], band: float) -> None:
    docs, runs = zip(*(load_rows(p) for p in paths))
    rows = merge(list(runs))
    for r in rows.values():
        base = band if r["kind"] != "absolute" else DEFAULT_ABSOLUTE_BAND
        r["band"] = round(min(MAX_BAND[r["kind"]], max(base, SPREAD_FACTOR * (r["spread"] or 0.0))), 3)
        if r["metric_cpu"] is not None:
            r["band_cpu"] = round(min(MAX_BAND[r["kind"]], max(base, SPREAD_FACTOR * (r["spread_cpu"] or 0.0))), 3)
    doc = {
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "from": [str(p) for p in paths],
        "commands": [d.get("command") for d in docs],
        "machine": docs[0].get("machine"),
        "load_avg": [load_of(d) for d in docs],
        "build_type": docs[0].get("build_type"),
        "default_band": band,
        "spread_factor": SPREAD_FACTOR,
        "rows": rows,
    }
    out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"wrote {out}: {len(rows)} keys from {len(paths)} run(s)")


def compare(baseline: dict, new: dict[str, dict], band: float, absolute_band: float, strict_absolute: bool,
            wall: bool) -> int:
    base_rows = baseline["rows"]
    table = [("stage", "size", "clock", "baseline", "new", "change", "band", "status")]
    regressions = 0
    for key, b in base_rows.items():
        n = new.get(key)
        kind = b["kind"]
        clock = "wall"
        if n is not None and not wall and b.get("metric_cpu") is not None and n.get("metric_cpu") is not None:
            clock = "cpu"  # the work ratio: both sides one thread; other load moves it far less
            b = dict(b, metric=b["metric_cpu"], band=b.get("band_cpu", b.get("band")))
            n = dict(n, metric=n["metric_cpu"], runs=n["runs"])
        fmt = (lambda x: f"{x:.0%}") if kind == "fraction" else (lambda x: f"{x:.3g}x") if kind == "ratio" else \
              (lambda x, u=b.get("unit") or "": f"{x:.3g} {u}".strip())
        if n is None:
            table.append((b["stage"], b["size"], "", fmt(b["metric"]), "-", "", "", "not measured"))
            continue
        kb = b.get("band", band if kind != "absolute" else absolute_band)
        kb = max(kb, band if kind != "absolute" else absolute_band)
        change = n["metric"] / b["metric"] - 1.0 if b["metric"] else 0.0
        if kind in ("ratio", "fraction"):
            if n["metric"] < b["metric"] * (1 - kb):
                status, regressions = "REGRESSION", regressions + 1
            elif n["metric"] > b["metric"] * (1 + kb):
                status = "improved"
            else:
                status = "ok"
        else:  # lower is better
            if n["metric"] > b["metric"] * (1 + kb):
                status = "slower" + (" (REGRESSION)" if strict_absolute else " (absolute: not judged)")
                regressions += strict_absolute
            elif n["metric"] < b["metric"] * (1 - kb):
                status = "faster"
            else:
                status = "ok"
        runs = f" ({n['runs']} runs)" if n["runs"] > 1 else ""
        table.append((b["stage"], b["size"], clock, fmt(b["metric"]), fmt(n["metric"]) + runs, f"{change:+.0%}", f"±{kb:.0%}",
                      status))
    for key, n in new.items():
        if key not in base_rows:
            table.append((n["stage"], n["size"], "", "-", f"{n['metric']:.3g}", "", "", "new (not in baseline)"))
    widths = [max(len(str(r[i])) for r in table) for i in range(len(table[0]))]
    for k, r in enumerate(table):
        print("  ".join(str(v).ljust(widths[i]) if i in (0, 2, 7) else str(v).rjust(widths[i]) for i, v in enumerate(r)))
        if k == 0:
            print("  ".join("-" * w for w in widths))
    print(f"\n{regressions} regression(s) beyond the band" if regressions else "\nno regression beyond the band")
    return 1 if regressions else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", nargs="+", type=Path, help="run.py JSON file(s); several: medians per key")
    ap.add_argument("--baseline", type=Path, default=DEFAULT_BASELINE, help="default bench/baseline.json")
    ap.add_argument("--band", type=float, default=DEFAULT_BAND, help="relative noise band of ratios (default 0.25)")
    ap.add_argument("--absolute-band", type=float, default=DEFAULT_ABSOLUTE_BAND,
                    help="relative band of absolute rows (default 0.5)")
    ap.add_argument("--strict-absolute", action="store_true", help="absolute rows beyond their band fail too")
    ap.add_argument("--wall", action="store_true",
                    help="compare wall-clock ratios everywhere (default: CPU-time ratios where a row has one)")
    ap.add_argument("--write-baseline", type=Path, metavar="OUT",
                    help="write a baseline from the results files (medians and spreads) instead of comparing")
    args = ap.parse_args()
    if args.write_baseline:
        write_baseline(args.write_baseline, args.results, args.band)
        return
    baseline = json.loads(args.baseline.read_text())
    loaded = [load_rows(p) for p in args.results]
    new = merge([rows for _, rows in loaded])
    print(f"baseline {args.baseline} ({baseline.get('created', '?')}, {len(baseline.get('from', []))} run(s)); "
          f"new: {', '.join(map(str, args.results))}")
    base_load = [x for x in baseline.get("load_avg", []) if x is not None]
    new_load = [x for x in (load_of(d) for d, _ in loaded) if x is not None]
    if base_load and new_load:
        b, n = statistics.median(base_load), statistics.median(new_load)
        print(f"load average: baseline {b:.1f}, new {n:.1f}"
              + (f" -- more than {LOAD_WARNING} apart: cache-bound ratios (back_calculate at 1e6, kaplan_meier) and "
                 f"the 2-thread rows move with the load; rerun when the load is like the baseline's, or pass "
                 f"several runs" if abs(n - b) > LOAD_WARNING else ""))
    sys.exit(compare(baseline, new, args.band, args.absolute_band, args.strict_absolute, args.wall))


if __name__ == "__main__":
    main()
