#!/usr/bin/python3
"""Python peer of the censored-data statistics (bench_censored.cpp, issue 5).

- ROS: `statsmodels.imputation.ros.impute_ros(values, censored)` (Debian python3-statsmodels),
  then the mean of the imputed array — what a scientist calls. Its defaults equal the engine's
  (`max_fraction_censored` 0.8, `min_uncensored` 2, substitution 0.5, plotting-position a = 0,
  censored positions sorted by limit, censored values above the largest detect dropped).
- Kaplan–Meier, two peers (both timed, both checked):
  * statsmodels (`km_statsmodels_mean` below, the issue's named package): Helsel's flipping,
    y = M − x with M = the largest value, detects are events, non-detects right-censored at
    M − limit; `statsmodels.duration.survfunc.SurvfuncRight(y, status)` (it also computes
    Greenwood standard errors: one call is what a user makes); the mean from the survival curve
    in x units: Σ x_k (S_{k−1} − S_k) over its event times, plus the mass S_last left below the
    smallest detect put AT the smallest detect (the "unrestricted" mean, as wbe). Tie rule:
    SurvfuncRight counts an observation censored at time t in the risk set of an event at t
    (n = #{time ≥ t}); flipped, a `<L` is right-censored at M − L, so it counts in n at a
    detect equal to L — exactly the left-censored rule n_j = #{x ≤ t_j} in which `<t_j` counts
    (its value is below t_j, so ≤ t_j), the rule of EnvStats and wbe. So no nudging is needed;
    `check_tie_rule` verifies it on a hand case before timing (1, 2, <2, 3, 4: mean 2.2; with
    the `<2` out of the risk set at 2 it would be 2.0). M − (M − x) is x to ~1 ulp of M (the
    checked mean agrees to ≤ 1e-12), and distinct values closer than an ulp of M would merge:
    not so with 6 significant digits.
  * the reverse ("flipped") Kaplan–Meier mean of left-censored data written in numpy as a
    scientist would (`km_mean` below): the distinct values t_j, n_j = #{x ≤ t_j}
  (a `<t_j` counts as ≤ t_j) by `searchsorted` on the sorted values, d_j = detects equal to t_j
  by `bincount`, F(t_j) = Π_{i>j} (1 − d_i/n_i) by a reversed `cumprod`, and
  mean = Σ_k y_k (F_k − F_{k−1}) over the detected distinct values y_k (the mass below the
  smallest detect put at it: the "unrestricted" mean of EnvStats/ProUCL, the engine's default).

Inputs are read from the CSVs that `wbe_bench_censored --write-data DIR` writes (the same values
on both sides); reading is not timed. Before timing, each size checks answers against wbe's (the
`*_wbe.csv` files from the same run): ROS — the sorted imputed values and the mean within 1e-6
relative, at the sizes in --check-sizes (statsmodels takes ~12 µs per value, so only 10³ and
10⁴ by default); KM — the statsmodels and the numpy mean each within 1e-9 relative of wbe's at
every size either runs. A mismatch exits with 1.

Timing: time.perf_counter, median over the repetitions of seconds per call; a call that takes
longer than --min-time is timed alone (one call per repetition, the first doubles as warm-up).

    /usr/bin/python3 bench/peer_censored.py --dir build/bench/censored [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels
from statsmodels.duration.survfunc import SurvfuncRight
from statsmodels.imputation.ros import impute_ros

ROS_SIZES = [10**3, 10**4, 10**5]      # statsmodels: ~0.14 s, 1.2 s, 11 s per call here; 10^6 ~2 min
KM_SIZES = [10**3, 10**4, 10**5, 10**6]            # numpy reverse KM
KM_SM_SIZES = [10**3, 10**4, 10**5, 10**6]         # SurvfuncRight: ~0.5 ms, 2 ms, 20 ms, 0.25 s per call here
CHECK_SIZES = [10**3, 10**4]
ROS_TOLERANCE = 1e-6
KM_TOLERANCE = 1e-9


def km_mean(values: np.ndarray, censored: np.ndarray) -> float:
    """Reverse Kaplan–Meier mean of a left-censored sample (see the module comment)."""
    t = np.unique(values)                                          # distinct values, ascending
    n_le = np.searchsorted(np.sort(values), t, side="right")       # n_j = #{x <= t_j}
    d = np.bincount(np.searchsorted(t, values[~censored]), minlength=len(t))  # detects at t_j
    factor = 1.0 - d / n_le
    F = np.append(np.cumprod(factor[::-1])[::-1][1:], 1.0)          # F(t_j) = prod_{i>j} factor_i
    jump = d > 0
    y, Fy = t[jump], F[jump]
    return float(np.sum(y * np.diff(Fy, prepend=0.0)))


def km_statsmodels_mean(values: np.ndarray, censored: np.ndarray) -> float:
    """Kaplan–Meier mean of a left-censored sample by statsmodels' SurvfuncRight on flipped values
    (see the module comment)."""
    M = float(values.max())
    sf = SurvfuncRight(M - values, (~censored).astype(np.float64))
    S = sf.surv_prob                      # S after each event time, event times ascending
    x = M - sf.surv_times                 # the distinct detected values, descending
    mass = -np.diff(S, prepend=1.0)       # the KM probability at each of them
    return float(np.sum(x * mass) + x[-1] * S[-1])  # what is left below the smallest detect, at it


def check_tie_rule() -> None:
    """A `<L` is in the risk set of a detect equal to L (n_j = #{x <= t_j}): 1, 2, <2, 3, 4 ->
    F = .4, .6, .8, 1 at 1, 2, 3, 4 and mean 2.2 (2.0 if the <2 were left out at 2)."""
    v = np.array([1.0, 2.0, 2.0, 3.0, 4.0])
    c = np.array([False, False, True, False, False])
    for name, fn in (("statsmodels", km_statsmodels_mean), ("numpy", km_mean)):
        m = fn(v, c)
        if abs(m - 2.2) > 1e-12:
            raise SystemExit(f"peer_censored: {name} KM tie rule: mean {m!r} on 1, 2, <2, 3, 4 (expected 2.2)")


def ros_mean(values: np.ndarray, censored: np.ndarray) -> tuple[np.ndarray, float]:
    imputed = impute_ros(values, censored)
    return imputed, float(np.mean(imputed))


def time_call(fn, min_time: float, repetitions: int, first: float | None = None) -> tuple[float, int]:
    """Median seconds per call; `first` = the duration of a call already made (warm-up)."""
    if first is None:
        t0 = time.perf_counter()
        fn()
        first = time.perf_counter() - t0
    if first >= min_time:  # slow: one call per repetition, the warm-up counts as the first
        per_call = [first]
        for _ in range(repetitions - 1):
            t0 = time.perf_counter()
            fn()
            per_call.append(time.perf_counter() - t0)
        return statistics.median(per_call), 1
    number = max(1, math.ceil(min_time / max(first, 1e-9)))
    per_call = []
    for _ in range(repetitions):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        per_call.append((time.perf_counter() - t0) / number)
    return statistics.median(per_call), number


def load(d: Path, n: int):
    df = pd.read_csv(d / f"censored_{n}.csv")
    values = df["value"].to_numpy(dtype=np.float64)
    censored = df["censored"].to_numpy() != 0
    wbe_values = pd.read_csv(d / f"censored_{n}_wbe.csv")["ros_value"].to_numpy(dtype=np.float64)
    summary = pd.read_csv(d / f"censored_{n}_wbe_summary.csv").iloc[0]
    return values, censored, wbe_values, summary


def rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-300)


KM_PEERS = (  # stage in the results, function, label, the name used in messages
    ("kaplan_meier_statsmodels", km_statsmodels_mean, "statsmodels SurvfuncRight (flipped)", "statsmodels"),
    ("kaplan_meier", km_mean, "numpy reverse Kaplan-Meier", "numpy"),
)


def run(d: Path, ros_sizes, km_sizes, km_sm_sizes, check_sizes, repetitions: dict[int, int], min_time: float) -> dict:
    results, checks = [], []
    check_tie_rule()
    for n in sorted(set(ros_sizes) | set(km_sizes) | set(km_sm_sizes)):
        values, censored, wbe_values, summary = load(d, n)
        reps = repetitions.get(n, 5)
        # Kaplan–Meier: check (numpy at every size, as before; statsmodels where it runs), then time.
        for stage, fn, label, who in KM_PEERS:
            if stage == "kaplan_meier_statsmodels" and n not in km_sm_sizes:
                continue
            m = fn(values, censored)
            e = rel(m, float(summary["km_mean"]))
            checks.append({"stage": stage, "size": n, "what": "mean", who: m,
                           "wbe": float(summary["km_mean"]), "relative_difference": e})
            if not e <= KM_TOLERANCE:
                raise SystemExit(f"peer_censored, n={n}: {who} KM mean {m!r}, wbe {summary['km_mean']!r} "
                                 f"(relative {e:.3g} > {KM_TOLERANCE:g})")
            if n in (km_sm_sizes if stage == "kaplan_meier_statsmodels" else km_sizes):
                t, number = time_call(lambda: fn(values, censored), min_time, reps)
                results.append({"stage": stage, "size": n, "seconds_per_call": t, "calls_per_repeat": number,
                                "repetitions": reps, "items_per_second": n / t, "peer": label})
        if n not in ros_sizes:
            continue
        first = None
        if n in check_sizes:
            t0 = time.perf_counter()
            imputed, mean = ros_mean(values, censored)
            first = time.perf_counter() - t0
            ours = np.sort(wbe_values[~np.isnan(wbe_values)])
            theirs = np.sort(imputed[~np.isnan(imputed)])
            if ours.shape != theirs.shape:
                raise SystemExit(f"peer_censored, n={n}: statsmodels kept {theirs.size} values, wbe {ours.size}")
            ev = float(np.max(np.abs(ours - theirs) / np.abs(theirs)))
            em = rel(float(summary["ros_mean"]), mean)
            checks.append({"stage": "ros", "size": n, "what": "sorted imputed values (max) and mean",
                           "relative_difference_values": ev, "relative_difference_mean": em,
                           "statsmodels_mean": mean, "wbe_mean": float(summary["ros_mean"])})
            if not (ev <= ROS_TOLERANCE and em <= ROS_TOLERANCE):
                raise SystemExit(f"peer_censored, n={n}: ROS differs from statsmodels: values {ev:.3g}, "
                                 f"mean {em:.3g} relative (> {ROS_TOLERANCE:g})")
        t, number = time_call(lambda: ros_mean(values, censored), min_time, reps, first)
        results.append({"stage": "ros", "size": n, "seconds_per_call": t, "calls_per_repeat": number,
                        "repetitions": reps, "items_per_second": n / t, "checked": n in check_sizes,
                        "peer": "statsmodels.imputation.ros.impute_ros"})
    return {
        "numpy_version": np.__version__, "pandas_version": pd.__version__,
        "statsmodels_version": statsmodels.__version__,
        "python": sys.version.split()[0], "python_executable": sys.executable,
        "min_time": min_time, "statistic": "median", "results": results, "checks": checks,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", required=True, help="where wbe_bench_censored --write-data wrote the CSVs")
    ap.add_argument("--ros-sizes", type=int, nargs="*", default=ROS_SIZES)
    ap.add_argument("--km-sizes", type=int, nargs="*", default=KM_SIZES, help="numpy KM sizes")
    ap.add_argument("--km-statsmodels-sizes", type=int, nargs="*", default=KM_SM_SIZES,
                    help="statsmodels SurvfuncRight KM sizes")
    ap.add_argument("--check-sizes", type=int, nargs="*", default=CHECK_SIZES)
    ap.add_argument("--repetitions", type=int, nargs="+", default=[5],
                    help="one count, or one per size of the union of the --*-sizes (ascending)")
    ap.add_argument("--min-time", type=float, default=0.2, help="seconds per repeat (default 0.2)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    sizes = sorted(set(args.ros_sizes) | set(args.km_sizes) | set(args.km_statsmodels_sizes))
    reps = args.repetitions * len(sizes) if len(args.repetitions) == 1 else args.repetitions
    if len(reps) != len(sizes):
        ap.error("--repetitions: give one count or one per size")
    out = run(Path(args.dir), args.ros_sizes, args.km_sizes, args.km_statsmodels_sizes, args.check_sizes,
              dict(zip(sizes, reps)), args.min_time)
    if args.json:
        json.dump(out, sys.stdout, indent=2)
        print()
        return
    print(f"statsmodels {out['statsmodels_version']}, numpy {out['numpy_version']}, pandas {out['pandas_version']}")
    for c in out["checks"]:
        print("check", c)
    for r in out["results"]:
        print(f"{r['stage']:<24} {r['size']:>9}  {r['items_per_second'] / 1e3:12.1f} k items/s  "
              f"{r['seconds_per_call']:.4g} s/call")


if __name__ == "__main__":
    main()
