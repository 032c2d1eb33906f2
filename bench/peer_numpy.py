#!/usr/bin/python3
"""numpy peer of the back-calculation kernel (bench_back_calculation.cpp).

The same computation as a user would write it in numpy, one expression per index:

    pnl = c * q * 1e-3 / p * 1000      # mg/day/1000 inh
    cons = pnl * cf                     # mg/day/1000 inh (drug)
    doses = cons / dose                 # doses/day/1000 inh

Each call allocates its outputs (and numpy's temporaries), as user code does. Timed with
time.perf_counter: every repeat runs the expression `number` times (calibrated so that a repeat
lasts about --min-time seconds) and reports seconds per call; the result is
the median over --repetitions repeats.

Before timing, each size checks that the numpy answer equals the scalar chain of the C++ engine
(load = C*Q*1e-3; PNL = load/P*1000; Cons = PNL*CF; Doses = Cons/dose, evaluated in Python floats
in that order) within 1e-12 relative on a sample of indices.

Run alone:  /usr/bin/python3 bench/peer_numpy.py            (a small table)
            /usr/bin/python3 bench/peer_numpy.py --json     (what bench/run.py reads)
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

SIZES = [10**3, 10**4, 10**5, 10**6, 10**7]
SEED = 20240601
TOLERANCE = 1e-12
CHECK_SAMPLES = 4096

# Benzoylecgonine -> cocaine, as in bench_back_calculation.cpp.
MW_COCAINE = 303.35
MW_BENZOYLECGONINE = 289.33
EXCRETION_FRACTION = 0.35
DOSE_MG = 100.0
CF = (MW_COCAINE / MW_BENZOYLECGONINE) / EXCRETION_FRACTION


def log_uniform(rng: np.random.Generator, lo: float, hi: float, n: int) -> np.ndarray:
    return np.exp(rng.uniform(np.log(lo), np.log(hi), n))


def make_inputs(n: int):
    """Same ranges as the C++ benchmark (a different generator: the values need not match)."""
    rng = np.random.default_rng(SEED + n)
    c = log_uniform(rng, 1.0, 5000.0, n)      # ng/L
    q = log_uniform(rng, 500.0, 1.5e6, n)     # m3/day
    p = log_uniform(rng, 2000.0, 5.0e6, n)    # persons
    return c, q, p


def back_calculate(c, q, p, cf=CF, dose=DOSE_MG):
    pnl = c * q * 1e-3 / p * 1000
    cons = pnl * cf
    doses = cons / dose
    return pnl, cons, doses


def copy(a):
    return a.copy()


def check(c, q, p) -> None:
    """numpy against the C++ scalar chain (load -> normalise -> to_consumption -> to_doses)."""
    pnl, cons, doses = back_calculate(c, q, p)
    n = len(c)
    step = max(1, n // CHECK_SAMPLES)
    for i in list(range(0, n, step)) + [n - 1]:
        ci, qi, pi = float(c[i]), float(q[i]), float(p[i])
        want_pnl = ci * qi * 1e-3 / pi * 1000.0
        want_cons = want_pnl * CF
        want_doses = want_cons / DOSE_MG
        for name, got, want in (("pnl", pnl[i], want_pnl), ("consumption", cons[i], want_cons),
                                ("doses", doses[i], want_doses)):
            if not abs(float(got) - want) <= TOLERANCE * abs(want):
                raise SystemExit(f"numpy peer, n={n}: {name}[{i}] = {got!r}, scalar chain gives {want!r}")


def time_call(fn, min_time: float, repetitions: int) -> float:
    """Median seconds per call over `repetitions` repeats of `number` calls each, with `number`
    chosen so that one repeat lasts about `min_time` seconds."""
    fn()  # warm-up: first-touch of the inputs, numpy's dispatch caches
    number = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - t0
        if elapsed >= min_time / 10:
            break
        number *= 10
    number = max(1, math.ceil(number * min_time / elapsed))
    per_call = []
    for _ in range(repetitions):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        per_call.append((time.perf_counter() - t0) / number)
    return statistics.median(per_call)


def run(sizes, min_time: float, repetitions: int) -> dict:
    results = []
    for n in sizes:
        c, q, p = make_inputs(n)
        check(c, q, p)
        t = time_call(lambda: back_calculate(c, q, p), min_time, repetitions)
        results.append({"stage": "back_calculate", "size": n, "seconds_per_call": t,
                        "items_per_second": n / t, "bytes_per_second": 48 * n / t})
        del c, q, p
        a = np.arange(n, dtype=np.float64) * 0.5
        if not np.array_equal(copy(a), a):
            raise SystemExit(f"numpy peer, n={n}: copy differs from its source")
        t = time_call(lambda: copy(a), min_time, repetitions)
        results.append({"stage": "copy", "size": n, "seconds_per_call": t,
                        "items_per_second": n / t, "bytes_per_second": 16 * n / t})
        del a
    return {
        "numpy_version": np.__version__,
        "python": sys.version.split()[0],
        "python_executable": sys.executable,
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "repetitions": repetitions,
        "min_time": min_time,
        "statistic": "median",
        "results": results,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=SIZES)
    ap.add_argument("--repetitions", type=int, default=5)
    ap.add_argument("--min-time", type=float, default=0.2, help="seconds per repeat (default 0.2)")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args()
    out = run(args.sizes, args.min_time, args.repetitions)
    if args.json:
        json.dump(out, sys.stdout, indent=2)
        print()
        return
    print(f"numpy {out['numpy_version']}, OPENBLAS_CORETYPE={out['openblas_coretype'] or '(not set)'}")
    for r in out["results"]:
        print(f"{r['stage']:<15} {r['size']:>9}  {r['items_per_second'] / 1e6:10.1f} M items/s"
              f"  {r['bytes_per_second'] / 1e9:7.2f} GB/s")


if __name__ == "__main__":
    main()
