#!/usr/bin/python3
"""End-to-end `wbe run` on scaled-up programmes (bench/gen_city.py), and how time and peak memory
scale with sites, campaigns, draws and threads.

    /usr/bin/python3 bench/e2e.py --build build [--scales 10 100] [--sites 10 100 1000] ...

Every measurement is one process `/usr/bin/time -f ... <build>/bin/wbe run -c <dir>/config.yaml`
on a fresh store (the store, its lock and temporary files are removed first): wall clock
(GNU time's %e, the same as time.perf_counter around it to 10 ms), user and system CPU, and
peak resident set (%M, KiB; GNU time's own floor is ~2 MiB, below anything wbe reaches).
Each run checks its answer: `wbe run` exits 0 and reports as many results ingested and daily
estimates as the generator wrote assay rows.

The programmes live in <work>/city_* (default: <build>/bench/e2e) and are generated once;
gen_city.py leaves a folder whose city.json matches the options alone.

Parts (each can be switched off by giving its option with no values):
  --scales K…            e2e: K replicas of the example city, --draws draws, --threads threads
                         (default 10 100, 10^4 draws, 2 threads; the target: 100x < 30 s)
  --sites N…             scaling with sites (12 campaigns, --scaling-draws-fixed draws, 2 threads)
  --campaigns C…         scaling with campaigns (250 sites, same draws)
  --draws-sweep D…       scaling with draws (25 sites, 12 campaigns, 2 threads)
  --threads-sweep T…     thread scaling (250 sites, 10^4 draws; the e2e 10x run stands for its own
                         thread count)
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import gen_city  # noqa: E402  (bench/gen_city.py)

E2E_SCALES = [10, 100]
E2E_DRAWS = 10_000
E2E_THREADS = 2
TARGET_E2E_SECONDS = 30.0     # 100x the example city, 10^4 draws, 2 threads
TARGET_E2E_SCALE = 100
SCALING_SITES = [10, 100, 1000]          # 10^4 takes minutes: ask for it
SCALING_CAMPAIGNS = [4, 12, 24]          # 48 (324 360 rows, ~25 s) is --campaigns 4 12 24 48
SCALING_DRAWS = [1_000, 10_000, 100_000]
SCALING_THREADS = [1, 2]
SCALING_FIXED_DRAWS = 1_000              # sites and campaigns sweeps: MC cost / 10, so they fit minutes
SCALING_FIXED_SITES = 250                # campaigns and threads sweeps
GNU_TIME = "/usr/bin/time"
LOG = sys.stdout  # progress lines; stderr when --json prints the results on stdout


def run_once(wbe: Path, info: dict) -> dict:
    cfg = Path(info["config"])
    store = Path(info["store"])
    for p in store.parent.glob(store.name + "*"):  # store.h5, .lock, .tmp-<pid>
        p.unlink()
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        cmd = [GNU_TIME, "-f", "%e %U %S %M", "-o", tf.name, str(wbe), "run", "-c", str(cfg)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        fields = tf.read().split()
    if proc.returncode != 0:
        raise SystemExit(f"e2e: {shlex.join(cmd)} exited with {proc.returncode}:\n{proc.stderr[-3000:]}")
    wall, user, sys_, rss = float(fields[-4]), float(fields[-3]), float(fields[-2]), int(fields[-1])
    head = "\n".join(proc.stdout.splitlines()[:6])
    m = re.search(r"batches added \((\d+) results\)", head)
    d = re.search(r"estimate:\s+(\d+) results -> (\d+) daily and (\d+) campaign estimates", head)
    f = re.search(r"flag:\s+(\d+) flags", head)
    ok = bool(m and d and int(m.group(1)) == info["assay_rows"] and int(d.group(2)) == info["assay_rows"])
    if not ok:
        raise SystemExit(f"e2e: {shlex.join(cmd)}: expected {info['assay_rows']} results ingested and estimated, got:\n{head}")
    return {"seconds": wall, "user_seconds": user, "system_seconds": sys_, "peak_rss_kib": rss,
            "daily": int(d.group(2)), "campaign_estimates": int(d.group(3)), "flags": int(f.group(1)) if f else None,
            "store_bytes": store.stat().st_size}


def measure(wbe: Path, info: dict, repetitions: int, label: str) -> dict:
    print(f"running: wbe run -c {info['config']}  ({label}; {info['sites']} sites, {info['campaigns']} campaigns, "
          f"{info['assay_rows']} rows, {info['options']['draws']} draws, {info['options']['threads']} threads)", file=LOG, flush=True)
    runs = [run_once(wbe, info) for _ in range(repetitions)]
    out = {k: statistics.median(r[k] for r in runs) for k in ("seconds", "user_seconds", "system_seconds", "peak_rss_kib")}
    out["times"] = [r["seconds"] for r in runs]
    out["cpu_over_wall"] = (out["user_seconds"] + out["system_seconds"]) / out["seconds"]
    for k in ("daily", "campaign_estimates", "flags", "store_bytes"):
        out[k] = runs[-1][k]
    out.update({"sites": info["sites"], "plants": info["plants"], "venues": info["venues"], "campaigns": info["campaigns"],
                "assay_rows": info["assay_rows"], "draws": info["options"]["draws"],
                "threads": info["options"]["threads"], "repetitions": repetitions})
    print(f"         {out['seconds']:.2f} s wall, {out['user_seconds'] + out['system_seconds']:.2f} s CPU, "
          f"peak RSS {out['peak_rss_kib'] / 1024:.0f} MiB", file=LOG, flush=True)
    return out


def run(build: Path, work: Path, scales: list[int], sites: list[int], campaigns: list[int], draws_sweep: list[int],
        threads_sweep: list[int], draws: int, threads: int, fixed_draws: int, repetitions: int) -> dict:
    wbe = build / "bin" / "wbe"
    if not wbe.is_file():
        raise SystemExit(f"e2e: {wbe} not found: build it first")
    work.mkdir(parents=True, exist_ok=True)
    e2e, scaling = [], []
    for k in scales:
        info = gen_city.ensure(work / f"city_x{k}", scale=k, draws=draws, threads=threads)
        r = measure(wbe, info, repetitions, f"e2e {k}x")
        e2e.append({"stage": "e2e", "scale": k, **r})
    for n in sites:
        info = gen_city.ensure(work / f"city_s{n}", n_sites=n, draws=fixed_draws, threads=threads)
        scaling.append({"axis": "sites", "value": n, **measure(wbe, info, repetitions, f"sites {n}")})
    for c in campaigns:
        info = gen_city.ensure(work / f"city_s{SCALING_FIXED_SITES}_c{c}", n_sites=SCALING_FIXED_SITES, campaigns=c,
                               draws=fixed_draws, threads=threads)
        scaling.append({"axis": "campaigns", "value": c, **measure(wbe, info, repetitions, f"campaigns {c}")})
    for dr in draws_sweep:
        info = gen_city.ensure(work / "city_x1", scale=1, draws=dr, threads=threads)
        scaling.append({"axis": "draws", "value": dr, **measure(wbe, info, repetitions, f"draws {dr}")})
    for t in threads_sweep:
        # The e2e run at 10x is this very programme (250 sites, 12 campaigns): reuse it.
        same = next((r for r in e2e if r["sites"] == SCALING_FIXED_SITES and r["campaigns"] == 12 and r["draws"] == draws
                     and r["threads"] == t), None)
        if same is not None:
            scaling.append({"axis": "threads", "value": t, **{k: v for k, v in same.items() if k not in ("stage", "scale")},
                            "from": f"e2e {same['scale']}x"})
            continue
        info = gen_city.ensure(work / f"city_s{SCALING_FIXED_SITES}", n_sites=SCALING_FIXED_SITES, draws=draws, threads=t)
        scaling.append({"axis": "threads", "value": t, **measure(wbe, info, repetitions, f"threads {t}")})
    one = next((s for s in scaling if s["axis"] == "threads" and s["value"] == 1), None)
    for s in scaling:
        if s["axis"] == "threads" and one:
            s["speedup"] = one["seconds"] / s["seconds"]
    return {"e2e": e2e, "scaling": scaling, "target_seconds": TARGET_E2E_SECONDS, "target_scale": TARGET_E2E_SCALE,
            "fixed": {"draws": fixed_draws, "sites": SCALING_FIXED_SITES, "threads": threads}}


def print_tables(res: dict) -> None:
    if res["e2e"]:
        print("\nend to end: wbe run (ingest + estimate + flag, one store write), fresh store")
        hdr = ("scale", "sites", "campaigns", "assay rows", "draws", "threads", "wall s", "CPU s", "CPU/wall", "peak RSS", "store")
        rows = [hdr] + [(f"{r['scale']}x", r["sites"], r["campaigns"], r["assay_rows"], r["draws"], r["threads"],
                         f"{r['seconds']:.2f}", f"{r['user_seconds'] + r['system_seconds']:.2f}", f"{r['cpu_over_wall']:.2f}",
                         f"{r['peak_rss_kib'] / 1024:.0f} MiB", f"{r['store_bytes'] / 2**20:.0f} MiB") for r in res["e2e"]]
        _print(rows)
    if res["scaling"]:
        print(f"\nscaling: wbe run, fresh store; sites and campaigns at {res['fixed']['draws']} draws, campaigns and "
              f"threads at {res['fixed']['sites']} sites")
        hdr = ("axis", "value", "sites", "campaigns", "assay rows", "draws", "threads", "wall s", "CPU s", "peak RSS",
               "us/row (CPU)", "speed-up")
        rows = [hdr] + [(s["axis"], s["value"], s["sites"], s["campaigns"], s["assay_rows"], s["draws"], s["threads"],
                         f"{s['seconds']:.2f}", f"{s['user_seconds'] + s['system_seconds']:.2f}",
                         f"{s['peak_rss_kib'] / 1024:.0f} MiB",
                         f"{(s['user_seconds'] + s['system_seconds']) / s['assay_rows'] * 1e6:.1f}",
                         f"{s['speedup']:.2f}x" if s.get("speedup") else "") for s in res["scaling"]]
        _print(rows)


def _print(rows) -> None:
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    for k, r in enumerate(rows):
        print("  ".join(str(v).rjust(widths[i]) for i, v in enumerate(r)))
        if k == 0:
            print("  ".join("-" * w for w in widths))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--work", type=Path, help="where the programmes are generated (default <build>/bench/e2e)")
    ap.add_argument("--scales", type=int, nargs="*", default=E2E_SCALES)
    ap.add_argument("--draws", type=int, default=E2E_DRAWS)
    ap.add_argument("--threads", type=int, default=E2E_THREADS)
    ap.add_argument("--sites", type=int, nargs="*", default=SCALING_SITES)
    ap.add_argument("--campaigns", type=int, nargs="*", default=SCALING_CAMPAIGNS)
    ap.add_argument("--draws-sweep", type=int, nargs="*", default=SCALING_DRAWS)
    ap.add_argument("--threads-sweep", type=int, nargs="*", default=SCALING_THREADS)
    ap.add_argument("--scaling-draws-fixed", type=int, default=SCALING_FIXED_DRAWS)
    ap.add_argument("--repetitions", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.json:
        global LOG
        LOG = sys.stderr
    build = Path(args.build).resolve()
    res = run(build, args.work or build / "bench" / "e2e", args.scales, args.sites, args.campaigns, args.draws_sweep,
              args.threads_sweep, args.draws, args.threads, args.scaling_draws_fixed, args.repetitions)
    if args.json:
        json.dump(res, sys.stdout, indent=2)
        print()
    else:
        print_tables(res)


if __name__ == "__main__":
    main()
