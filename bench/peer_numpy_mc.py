#!/usr/bin/python3
"""numpy peer of the Monte Carlo benchmark (bench_monte_carlo.cpp).

The same programme and the same computation as `wbe::run_monte_carlo`, written as a scientist
would vectorise it with numpy.random.default_rng:

- S plants x 7 daily samples (S = round(N / 7)), split over campaigns exactly as the C++
  benchmark does (problem k takes 5 + (17k mod 46) plants); one problem per campaign, one drug;
- per problem and per draw: the excretion factor shared by every plant and day, population and
  flow per plant, analysis x sampling per sample (one log-normal with the summed log-variance,
  as the engine's fast path draws it), the mean load per plant, then the indices

      daily index   = load_day / pop x 1000 x CF          (per plant and day)
      site index    = mean load / pop x 1000 x CF         (per plant)
      city index    = sum(mean load) / sum(pop) x 1000 x CF  (per problem)

- each index summarised over its draws like the engine does: mean, SD, median, 2.5 % and
  97.5 % quantiles (np.percentile, linear interpolation = the engine's type 7), and
  P(index > t) for the two thresholds.

A problem is processed whole with arrays of shape (plants, days, draws): memory is bounded by
the largest problem (50 plants x 7 days x 10^4 draws x 8 B = 28 MB per array), not by the
programme (10^5 site-days x 10^4 draws would be 8 GB).

Before timing, each size checks the first plant's site estimate (campaign value and its 7 days)
against the analytic log-normal answer (the formula of wbe::analytic_uncertainty) within 4
Monte Carlo standard errors, as the C++ benchmark does.

numpy's random generators and elementwise ufuncs run on one thread (no BLAS call is made), so
this is numpy per core.

Run alone:  /usr/bin/python3 bench/peer_numpy_mc.py            (a small table)
            /usr/bin/python3 bench/peer_numpy_mc.py --json     (what bench/run.py reads)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time

import numpy as np

SIZES = [10**3, 10**4, 10**5]
SEED = 20240601
DRAWS = 10_000
DAYS = 7

CF = (303.35 / 289.33) / 0.35           # benzoylecgonine -> cocaine
THRESHOLDS = (500.0, 1000.0)            # mg/day/1000 inh
INTERVAL = 0.95


def log_sigma(rsd: float) -> float:
    return math.sqrt(math.log1p(rsd * rsd))


SIG_ANALYSIS, SIG_SAMPLING = log_sigma(0.15), log_sigma(0.10)
SIG_FLOW, SIG_POP, SIG_EXC = log_sigma(0.10), log_sigma(0.10), log_sigma(0.25)
SIG_DAY = math.hypot(SIG_ANALYSIS, SIG_SAMPLING)   # analysis x sampling as one log-normal


def plants_in_problem(k: int) -> int:
    return 5 + (17 * k) % 46


def partition(plants: int) -> list[int]:
    sizes, left, k = [], plants, 0
    while left > 0:
        if left < 5 and sizes:
            sizes[-1] += left
            break
        sizes.append(min(plants_in_problem(k), left))
        left -= sizes[-1]
        k += 1
    return sizes


class Problem:
    """One campaign: base[s, d] = C x Q x 1e-3 (the deterministic load), pop[s]."""

    def __init__(self, base: np.ndarray, pop: np.ndarray):
        self.base = base
        self.pop = pop


def make_programme(n: int) -> list[Problem]:
    """Same ranges as the C++ benchmark (another generator: the values need not match)."""
    rng = np.random.default_rng(SEED + n)
    plants = max(1, (n + DAYS // 2) // DAYS)
    problems = []
    for size in partition(plants):
        pop = np.round(np.exp(rng.uniform(math.log(1e4), math.log(2e6), size)))
        level = np.exp(rng.uniform(math.log(200.0), math.log(1500.0), size))
        lpcd = np.exp(rng.uniform(math.log(150.0), math.log(400.0), size))
        flow = pop[:, None] * lpcd[:, None] * 1e-3 * rng.lognormal(0.0, 0.15, (size, DAYS))
        index = level[:, None] * rng.lognormal(0.0, 0.3, (size, DAYS))
        conc = index * pop[:, None] / (flow * CF)
        problems.append(Problem(conc * flow * 1e-3, pop))
    return problems


def summarise(x: np.ndarray) -> dict:
    """x: (series, draws) -> per series mean, sd, median, lower, upper, p_exceed[t]."""
    lo, hi = 50.0 * (1.0 - INTERVAL), 50.0 * (1.0 + INTERVAL)
    median, lower, upper = np.percentile(x, [50.0, lo, hi], axis=1)
    return {"mean": x.mean(axis=1), "sd": x.std(axis=1, ddof=1), "median": median, "lower": lower,
            "upper": upper, "p_exceed": np.stack([(x > t).mean(axis=1) for t in THRESHOLDS], axis=1)}


def run_problem(rng: np.random.Generator, p: Problem, draws: int = DRAWS) -> dict:
    s, d = p.base.shape
    cf = CF / rng.lognormal(0.0, SIG_EXC, draws)                    # (draws,)  shared
    pop = p.pop[:, None] * rng.lognormal(0.0, SIG_POP, (s, draws))  # (s, draws)
    fq = rng.lognormal(0.0, SIG_FLOW, (s, draws))                   # (s, draws)
    load = rng.lognormal(0.0, SIG_DAY, (s, d, draws))               # (s, d, draws)
    load *= p.base[:, :, None]
    load *= fq[:, None, :]
    mean_load = load.mean(axis=1)                                   # (s, draws)
    scale = 1000.0 * cf / pop                                       # (s, draws)
    load *= scale[:, None, :]                                       # daily index, in place
    site = mean_load * scale
    city = mean_load.sum(axis=0) / pop.sum(axis=0) * 1000.0 * cf
    return {"daily": summarise(load.reshape(s * d, draws)), "site": summarise(site),
            "city": summarise(city[None, :])}


def run_programme(problems: list[Problem], seed: int = SEED) -> list[dict]:
    rng = np.random.default_rng(seed)
    return [run_problem(rng, p) for p in problems]


# --- answer check -----------------------------------------------------------------------------

Z975 = 1.959963984540054


def norm_sf(x: float) -> float:
    return 0.5 * math.erfc(x / math.sqrt(2.0))


def lognormal_summary(mu: float, sigma: float) -> dict:
    return {"median": math.exp(mu), "lower": math.exp(mu - Z975 * sigma), "upper": math.exp(mu + Z975 * sigma),
            "p_exceed": [norm_sf((math.log(t) - mu) / sigma) for t in THRESHOLDS], "sigma": sigma}


def analytic_site(p: Problem, site: int) -> tuple[dict, list[dict]]:
    """wbe::analytic_uncertainty for a single plant: exact log-normal days, Fenton-Wilkinson
    campaign mean."""
    var_f = SIG_FLOW**2 + SIG_POP**2 + SIG_EXC**2
    ve = SIG_DAY**2
    det = p.base[site] / p.pop[site] * 1000.0 * CF
    days = [lognormal_summary(math.log(di), math.sqrt(ve + var_f)) for di in det]
    n = len(det)
    e1 = det * math.exp(0.5 * ve)
    s1, sq = e1.sum(), (e1 * e1).sum()
    s2 = (det * det * math.exp(2.0 * ve)).sum()
    m1 = math.exp(0.5 * var_f) * s1 / n
    m2 = math.exp(2.0 * var_f) * (s2 + (s1 * s1 - sq)) / (n * n)
    sigma2 = max(0.0, math.log(m2 / (m1 * m1)))
    return lognormal_summary(math.log(m1) - 0.5 * sigma2, math.sqrt(sigma2)), days


def log_quantile_se(sigma: float, p: float, n: int) -> float:
    z = 0.0 if p == 0.5 else (-Z975 if p < 0.5 else Z975)
    phi = math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    return sigma * math.sqrt(p * (1.0 - p)) / (phi * math.sqrt(n))


def compare(what: str, got: dict, i: int, want: dict, n: int) -> None:
    for name, p in (("median", 0.5), ("lower", 0.025), ("upper", 0.975)):
        tol = 4.0 * log_quantile_se(want["sigma"], p, n)
        g = float(got[name][i])
        if not abs(math.log(g) - math.log(want[name])) <= tol:
            raise SystemExit(f"numpy MC peer: {what} {name}: {g:.6g}, analytic {want[name]:.6g} (|d ln| > 4 SE = {tol:.3g})")
    for t, pw in enumerate(want["p_exceed"]):
        tol = 4.0 * math.sqrt(pw * (1.0 - pw) / n) + 0.002
        g = float(got["p_exceed"][i, t])
        if not abs(g - pw) <= tol:
            raise SystemExit(f"numpy MC peer: {what} P(> threshold {t}): {g:.4f}, analytic {pw:.4f} (tolerance {tol:.4f})")


def check(problems: list[Problem]) -> None:
    r = run_problem(np.random.default_rng(SEED), problems[0])
    camp, days = analytic_site(problems[0], 0)
    compare("site 0 campaign", r["site"], 0, camp, DRAWS)
    for i, want in enumerate(days):
        compare(f"site 0 day {i}", r["daily"], i, want, DRAWS)   # daily rows: site-major


# --- timing -----------------------------------------------------------------------------------

def time_programme(problems: list[Problem], min_time: float, repetitions: int) -> tuple[list[float], float]:
    """Wall seconds per programme, one value per repeat (a repeat runs the programme `number`
    times, number = 1 once a call takes min_time), and the process CPU time over the wall time
    of all repeats (about 1: numpy ran on one core)."""
    c0, t0 = time.process_time(), time.perf_counter()
    run_programme(problems)            # also the warm-up
    first = time.perf_counter() - t0
    if first >= min_time:
        times = [first]                # a call that long needs no warm-up; it counts
        for _ in range(repetitions - 1):
            t1 = time.perf_counter()
            run_programme(problems)
            times.append(time.perf_counter() - t1)
        return times, (time.process_time() - c0) / (time.perf_counter() - t0)
    number = max(1, math.ceil(min_time / first))
    times = []
    c0, t0 = time.process_time(), time.perf_counter()
    for _ in range(repetitions):
        t1 = time.perf_counter()
        for _ in range(number):
            run_programme(problems)
        times.append((time.perf_counter() - t1) / number)
    return times, (time.process_time() - c0) / (time.perf_counter() - t0)


def run(sizes, min_time: float, repetitions: dict[int, int]) -> dict:
    results = []
    for n in sizes:
        problems = make_programme(n)
        check(problems)
        site_days = sum(p.base.size for p in problems)
        times, cpu_over_wall = time_programme(problems, min_time, repetitions[n])
        t = statistics.median(times)
        results.append({"stage": "monte_carlo", "size": n, "site_days": site_days, "draws": DRAWS,
                        "plants": sum(len(p.pop) for p in problems), "problems": len(problems),
                        "seconds_per_call": t, "times": times, "items_per_second": site_days * DRAWS / t,
                        "cpu_over_wall": cpu_over_wall,
                        "cv": statistics.pstdev(times) / statistics.mean(times) if len(times) > 1 else None})
    return {
        "numpy_version": np.__version__,
        "python": sys.version.split()[0],
        "python_executable": sys.executable,
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "min_time": min_time,
        "statistic": "median",
        "results": results,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=SIZES)
    ap.add_argument("--repetitions", type=int, nargs="+", default=[5],
                    help="repeats; one value for all sizes or one per size (default 5)")
    ap.add_argument("--min-time", type=float, default=0.5, help="seconds per repeat at least (default 0.5)")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args()
    reps = args.repetitions * len(args.sizes) if len(args.repetitions) == 1 else args.repetitions
    if len(reps) != len(args.sizes):
        ap.error("--repetitions: one value, or one per size")
    out = run(args.sizes, args.min_time, dict(zip(args.sizes, reps)))
    if args.json:
        json.dump(out, sys.stdout, indent=2)
        print()
        return
    print(f"numpy {out['numpy_version']}, OPENBLAS_CORETYPE={out['openblas_coretype'] or '(not set)'}")
    for r in out["results"]:
        print(f"monte_carlo {r['size']:>7} ({r['site_days']} site-days, {r['problems']} problems)  "
              f"{r['seconds_per_call']:8.3f} s  {r['items_per_second'] / 1e6:8.2f} M site-day draws/s"
              f"  (CPU/wall {r['cpu_over_wall']:.2f})")


if __name__ == "__main__":
    main()
