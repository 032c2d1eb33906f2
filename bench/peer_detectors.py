#!/usr/bin/python3
"""numpy/pandas peer of wbe's rolling_baseline detector (exclude_alerts = false), for bench/run.py.

    /usr/bin/python3 bench/peer_detectors.py --dir DIR [--json] [--repetitions N] [--pandas]

DIR holds what `wbe_bench_detectors --write-data DIR` writes: values.f64 (100 000 x 40 float64,
row = series = site * 10 + drug, column = campaign) and levels_rolling_baseline_noexcl.i8 (the
engine's level per campaign: 0 none, 1 watch, 2 alert, 3 not_evaluable), same layout.

The definition (engine/src/core/detectors/rolling_baseline.cpp, defaults but exclude_alerts =
false): for campaign t the baseline is ln x of the (up to) 8 previous campaigns with a value
(window 8, guard 0); fewer than min_history = 4 -> not_evaluable; m = median, MAD = median |b - m|,
sd = max(1.4826 * MAD, min_sd = 0.1), z = (ln x_t - m) / sd; alert when z > 4, watch when
z > 2.5 (strict >), else none. The engine's median of an even count is the mean of the middle two,
as numpy's. The benchmark data has no missing or non-positive values, so "previous campaigns with
a value" are simply the previous campaigns; this peer checks that and refuses other data.

Timed form (what a scientist writes once the data are a (series, campaign) array): ln, then
numpy.lib.stride_tricks.sliding_window_view over the 40-campaign axis, np.median along the window
axis for the baseline median and again for the MAD of the same windows. Windows are 8 wide from
t = 8 on; t = 4..7 use the growing windows 0..t-1 (pandas' rolling(8, min_periods=4) semantics),
one np.median call each. All vectorised over the 100 000 series, one core (numpy's median is
single-threaded; BLAS is not used). Timed: from the (100 000, 40) float64 array in memory to the
(100 000, 40) int8 levels.

`--pandas` also times the pandas form of the median (long data frame, groupby(series) +
shift(1) + rolling(8, min_periods=4).median()) with the MAD still from sliding_window_view —
pandas' rolling().apply for the MAD is a Python call per window (4 M windows) and is not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402
from numpy.lib.stride_tricks import sliding_window_view  # noqa: E402

N_CAMPAIGNS = 40
WINDOW = 8
MIN_HISTORY = 4
WATCH_Z = 2.5
ALERT_Z = 4.0
MIN_SD = 0.1
MAD_TO_SD = 1.4826
NONE, WATCH, ALERT, NOT_EVALUABLE = 0, 1, 2, 3


def levels_from(lnx: np.ndarray, med: np.ndarray, mad: np.ndarray) -> np.ndarray:
    sd = np.maximum(MAD_TO_SD * mad, MIN_SD)
    z = (lnx - med) / sd
    return np.where(z > ALERT_Z, ALERT, np.where(z > WATCH_Z, WATCH, NONE)).astype(np.int8)


def rolling_baseline_numpy(values: np.ndarray) -> np.ndarray:
    """values: (n_series, n_campaigns) > 0, no NaN. Returns int8 levels of the same shape."""
    lnv = np.log(values)
    n, T = lnv.shape
    out = np.full((n, T), NOT_EVALUABLE, dtype=np.int8)
    # t = MIN_HISTORY .. WINDOW-1: growing windows lnv[:, 0:t]
    for t in range(MIN_HISTORY, min(WINDOW, T)):
        b = lnv[:, :t]
        m = np.median(b, axis=1)
        mad = np.median(np.abs(b - m[:, None]), axis=1)
        out[:, t] = levels_from(lnv[:, t], m, mad)
    if T > WINDOW:
        # windows lnv[:, t-8:t] for t = 8 .. T-1: sliding windows 0 .. T-9 of lnv[:, :T-1]
        w = sliding_window_view(lnv[:, :T - 1], WINDOW, axis=1)      # (n, T-8, 8), a view
        m = np.median(w, axis=2)                                        # (n, T-8)
        mad = np.median(np.abs(w - m[:, :, None]), axis=2)
        out[:, WINDOW:] = levels_from(lnv[:, WINDOW:], m, mad)
    return out


def rolling_baseline_pandas(values: np.ndarray) -> np.ndarray:
    """The pandas form: long frame, groupby(series).shift(1).rolling(8, min_periods=4).median();
    MAD from sliding_window_view (rolling.apply would be a Python call per window)."""
    import pandas as pd
    n, T = values.shape
    df = pd.DataFrame({"series": np.repeat(np.arange(n), T), "lnv": np.log(values).ravel()})
    prev = df.groupby("series")["lnv"].shift(1)
    med = (prev.groupby(df["series"]).rolling(WINDOW, min_periods=MIN_HISTORY).median()
           .reset_index(level=0, drop=True).sort_index().to_numpy().reshape(n, T))
    lnv = df["lnv"].to_numpy().reshape(n, T)
    # the MAD needs each window's own median: windows of the NaN-padded previous values
    padded = np.concatenate([np.full((n, WINDOW), np.nan), lnv[:, :T - 1]], axis=1)  # col t+8-1 = lnv[t-1]
    w = sliding_window_view(padded, WINDOW, axis=1)[:, :T]                               # window t = lnv[t-8 .. t-1]
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows at t < 4
        mad = np.nanmedian(np.abs(w - med[:, :, None]), axis=2)
        lev = levels_from(lnv, med, mad)
    lev[np.isnan(med)] = NOT_EVALUABLE
    return lev


def time_it(fn, values: np.ndarray, repetitions: int) -> tuple[list[float], list[float], np.ndarray]:
    walls, cpus, out = [], [], None
    for _ in range(repetitions):
        c0, t0 = time.process_time(), time.perf_counter()
        out = fn(values)
        t1, c1 = time.perf_counter(), time.process_time()
        walls.append(t1 - t0)
        cpus.append(c1 - c0)
    return walls, cpus, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", required=True, help="directory written by wbe_bench_detectors --write-data")
    ap.add_argument("--repetitions", type=int, default=3)
    ap.add_argument("--json", action="store_true", help="print JSON only")
    ap.add_argument("--pandas", action="store_true", help="also time the pandas groupby-rolling median form")
    args = ap.parse_args()

    d = Path(args.dir)
    values = np.fromfile(d / "values.f64", dtype="<f8")
    engine = np.fromfile(d / "levels_rolling_baseline_noexcl.i8", dtype=np.int8)
    if values.size % N_CAMPAIGNS or engine.size != values.size:
        sys.exit(f"peer_detectors: sizes do not match ({values.size} values, {engine.size} levels)")
    values = values.reshape(-1, N_CAMPAIGNS)
    engine = engine.reshape(-1, N_CAMPAIGNS)
    if not np.all(values > 0):  # also false for NaN
        sys.exit("peer_detectors: data has missing or non-positive values; this peer assumes none")

    results, checks = [], []
    variants = [("rolling_baseline", "numpy sliding_window_view + np.median", rolling_baseline_numpy)]
    if args.pandas:
        variants.append(("rolling_baseline_pandas", "pandas groupby.rolling(8).median + sliding_window_view MAD",
                         rolling_baseline_pandas))
    for stage, form, fn in variants:
        walls, cpus, lev = time_it(fn, values, args.repetitions)
        mism = lev != engine
        by_series = int(np.count_nonzero(mism.any(axis=1)))
        examples = [{"series": int(i), "campaign": int(t), "peer": int(lev[i, t]), "engine": int(engine[i, t])}
                    for i, t in np.argwhere(mism)[:5]]
        checks.append({"stage": stage, "campaigns": int(lev.size), "mismatched_campaigns": int(mism.sum()),
                       "mismatched_series": by_series, "series": int(lev.shape[0]), "examples": examples})
        wall = statistics.median(walls)
        results.append({"stage": stage, "form": form, "size": int(values.shape[0]), "campaigns": int(values.size),
                        "repetitions": args.repetitions, "seconds": wall, "seconds_all": walls,
                        "cpu_over_wall": statistics.median(cpus) / wall if wall > 0 else None,
                        "items_per_second": values.shape[0] / wall,
                        "level_counts": {k: int(np.count_nonzero(lev == v)) for k, v in
                                         (("none", NONE), ("watch", WATCH), ("alert", ALERT), ("not_evaluable", NOT_EVALUABLE))}})

    report = {"numpy_version": np.__version__, "python": platform.python_version(),
              "python_executable": sys.executable, "results": results, "checks": checks}
    if args.pandas:
        import pandas as pd
        report["pandas_version"] = pd.__version__
    if args.json:
        print(json.dumps(report))
    else:
        for r, c in zip(results, checks):
            print(f"{r['stage']:<24} {r['form']}: {r['seconds']:.3f} s (median of {r['repetitions']}; "
                  f"CPU/wall {r['cpu_over_wall']:.2f}), {r['items_per_second']:.3g} series/s; "
                  f"levels differ from the engine's at {c['mismatched_campaigns']} of {c['campaigns']} campaigns "
                  f"({c['mismatched_series']} series) {c['examples']}")
    sys.exit(0)


if __name__ == "__main__":
    main()
