#!/usr/bin/python3
"""A scaled-up programme for the end-to-end and scaling benchmarks, made from the example city.

    /usr/bin/python3 bench/gen_city.py --out DIR --scale 100 [--campaigns 12] [--draws 10000] [--threads 2]
    /usr/bin/python3 bench/gen_city.py --out DIR --sites 1000 ...

data/example/generate.py has no scale option (it writes the one fictional city with its
planted signals), so this script replicates what it wrote, without changing it:

- sites: replica r of the example's 5 plants and 20 venues gets ids `C<r>-WWTP-01`,
  `C<r>-V-01`, … (r = 0000, 0001, …), its own districts and towns (`Dongpan-0003`), the same
  kinds, venue types, populations and population RSDs. `--scale K` takes K replicas (25 K
  sites); `--sites N` takes N sites in the example's ratio (one plant to four venues), plant j
  being plant j mod 5 of replica j div 5 (venues alike).
- campaigns: the example's 12 quarters (2022Q1–2024Q4); `--campaigns C` takes the first C of
  the example's quarters repeated in blocks shifted by 3 years (block 1 is 2025Q1–2027Q4, …;
  29 February becomes 28 February).
- values: every assay row, flow and NH4-N value of a selected site is copied with its site and
  sample ids renamed; the detected concentrations of replica r ≥ 1 are multiplied by one
  log-normal factor per (replica, site) (σ = 0.3, seeded), written with 3 significant digits
  like the example's, and kept as they were when that would put them below their LOQ. Censored
  rows, limits and units are copied as written (the example's ug/L quarter stays ug/L).
- batches: one file per quarter, `batches/<YYYYQn>.csv`, batch id `BC-<YYYYQn>`, holding every
  site's rows of that quarter (the example's layout, wider).
- config.yaml: config/example.yaml (what `wbe run` runs with no arguments) with its paths made
  absolute and pointing here, store DIR/store.h5, and `uncertainty.draws`, `.threads` and
  `.method` from the options.
- city.json: what was written (sites, plants, venues, campaigns, rows, bytes) and the options;
  an existing DIR whose city.json has the same options is left as it is (`--force` rewrites).

Only the standard library, numpy and PyYAML (Debian's python3-yaml) are used.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import shutil
import sys
import zlib
from pathlib import Path

import numpy as np
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EXAMPLE = ROOT / "data" / "example"
EXAMPLE_CONFIG = ROOT / "config" / "example.yaml"
SEED = 20241209
VALUE_SIGMA_LOG = 0.3
PLANTS_PER_REPLICA, VENUES_PER_REPLICA = 5, 20
GENERATOR_VERSION = 1  # bump when the output changes, so that cached programmes are rewritten


def replica_tag(r: int) -> str:
    return f"C{r:04d}"


def renamed_site(site_id: str, r: int) -> str:
    # LS-WWTP-01 -> C0003-WWTP-01, LS-V-07 -> C0003-V-07
    return replica_tag(r) + site_id[site_id.index("-"):]


def shifted(day: str, block: int) -> str:
    if block == 0:
        return day
    d = dt.date.fromisoformat(day)
    y = d.year + 3 * block
    try:
        return d.replace(year=y).isoformat()
    except ValueError:  # 29 February
        return d.replace(year=y, day=28).isoformat()


def quarter_of(day: str) -> str:
    d = dt.date.fromisoformat(day)
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"


def sig3(x: float) -> str:
    """3 significant digits in plain decimal (as the example writes its values)."""
    e = math.floor(math.log10(abs(x)))
    places = 2 - e
    v = round(x, places)
    if v != 0 and math.floor(math.log10(abs(v))) != e:  # 999.6 -> 1000: one place fewer
        places -= 1
        v = round(x, places)
    return str(int(round(v))) if places <= 0 else f"{v:.{places}f}"


def stream(*keys) -> np.random.Generator:
    return np.random.default_rng([SEED] + [zlib.crc32(str(k).encode()) for k in keys])


def select_sites(example_sites: list[dict], scale: int | None, n_sites: int | None) -> list[tuple[int, dict]]:
    """(replica, example site) pairs, plants first."""
    plants = [s for s in example_sites if s["kind"] == "wwtp"]
    venues = [s for s in example_sites if s["kind"] != "wwtp"]
    if len(plants) != PLANTS_PER_REPLICA or len(venues) != VENUES_PER_REPLICA:
        raise SystemExit(f"gen_city: the example has {len(plants)} plants and {len(venues)} venues, "
                         f"expected {PLANTS_PER_REPLICA} and {VENUES_PER_REPLICA}: update gen_city.py")
    if n_sites is None:
        n_plants, n_venues = PLANTS_PER_REPLICA * scale, VENUES_PER_REPLICA * scale
    else:
        n_plants = max(1, round(n_sites * PLANTS_PER_REPLICA / (PLANTS_PER_REPLICA + VENUES_PER_REPLICA)))
        n_venues = max(0, n_sites - n_plants)
    out = [(j // len(plants), plants[j % len(plants)]) for j in range(n_plants)]
    out += [(j // len(venues), venues[j % len(venues)]) for j in range(n_venues)]
    return out


def generate(out: Path, scale: int | None, n_sites: int | None, campaigns: int, draws: int, threads: int,
             method: str) -> dict:
    example_sites_doc = yaml.safe_load((EXAMPLE / "sites.yaml").read_text())
    chosen = select_sites(example_sites_doc["sites"], scale, n_sites)
    wanted = {(r, s["id"]) for r, s in chosen}
    replicas = sorted({r for r, _ in chosen})

    # Quarters: the example's, then shifted blocks, the first `campaigns` of them.
    example_batches = sorted((EXAMPLE / "batches").glob("*.csv"))
    quarters = [p.stem for p in example_batches]
    blocks = math.ceil(campaigns / len(quarters))
    order = [(b, q) for b in range(blocks) for q in quarters][:campaigns]
    keep_block_quarter = set(order)

    out.mkdir(parents=True, exist_ok=True)
    if (out / "batches").exists():
        shutil.rmtree(out / "batches")
    (out / "batches").mkdir()

    # sites.yaml
    sites_out = []
    for r, s in chosen:
        t = dict(s)
        t["id"] = renamed_site(s["id"], r)
        t["name"] = f"{s['name']} #{r}"
        t["district"] = f"{s['district']}-{r:04d}"
        t["towns"] = [f"{town}-{r:04d}" for town in s.get("towns", [])]
        sites_out.append(t)
    doc = {k: v for k, v in example_sites_doc.items() if k != "sites"}
    doc["city"] = f"{example_sites_doc['city']} x{scale}" if n_sites is None else f"{example_sites_doc['city']} {n_sites} sites"
    doc["sites"] = sites_out
    (out / "sites.yaml").write_text("# Generated by bench/gen_city.py from data/example -- do not edit.\n"
                                    + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))

    # flows.csv and water_quality.csv: per selected site and kept quarter
    def copy_daily(name: str) -> int:
        rows = 0
        with open(EXAMPLE / name, newline="") as fin, open(out / name, "w", newline="") as fout:
            reader = csv.DictReader(fin)
            writer = csv.DictWriter(fout, fieldnames=reader.fieldnames, lineterminator="\n")
            writer.writeheader()
            src = list(reader)
            for b in range(blocks):
                for r in replicas:
                    for row in src:
                        if (r, row["site_id"]) not in wanted or (b, quarter_of(row["date"])) not in keep_block_quarter:
                            continue
                        w = dict(row)
                        w["site_id"] = renamed_site(row["site_id"], r)
                        w["date"] = shifted(row["date"], b)
                        writer.writerow(w)
                        rows += 1
        return rows

    n_flows = copy_daily("flows.csv")
    n_wq = copy_daily("water_quality.csv")

    # batches: one file per shifted quarter
    factors: dict[tuple[int, str], float] = {}

    def factor(r: int, site: str) -> float:
        if r == 0:
            return 1.0
        key = (r, site)
        if key not in factors:
            factors[key] = float(np.exp(stream("value", r, site).normal(0.0, VALUE_SIGMA_LOG)))
        return factors[key]

    n_rows = 0
    n_bytes = 0
    for b, q in order:
        src_path = EXAMPLE / "batches" / f"{q}.csv"
        label = shifted(f"{q[:4]}-02-01", b)[:4] + q[4:]
        dst = out / "batches" / f"{label}.csv"
        with open(src_path, newline="") as fin, open(dst, "w", newline="") as fout:
            reader = csv.DictReader(fin)
            writer = csv.DictWriter(fout, fieldnames=reader.fieldnames, lineterminator="\n")
            writer.writeheader()
            src = list(reader)
            for r in replicas:
                for row in src:
                    if (r, row["site_id"]) not in wanted:
                        continue
                    w = dict(row)
                    w["batch_id"] = f"BC-{label}"
                    w["sample_id"] = f"{replica_tag(r)}-B{b}-{row['sample_id'][3:]}"
                    w["site_id"] = renamed_site(row["site_id"], r)
                    w["sample_date"] = shifted(row["sample_date"], b)
                    v = row["value"].strip()
                    if r and v and not row["qualifier"].strip() and v[0] not in "<N":
                        x = float(v) * factor(r, row["site_id"])
                        loq = float(row["loq"]) if row["loq"].strip() else 0.0
                        text = sig3(x)
                        if float(text) >= loq:
                            w["value"] = text
                    writer.writerow(w)
                    n_rows += 1
        n_bytes += dst.stat().st_size

    # config.yaml: the example's, with absolute paths and the requested uncertainty settings
    cfg = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    cfg["name"] = f"bench-{out.name}"
    cfg["store"] = str((out / "store.h5").resolve())
    cfg["inputs"] = {"sites": str((out / "sites.yaml").resolve()), "flows": [str((out / "flows.csv").resolve())],
                     "water_quality": [str((out / "water_quality.csv").resolve())],
                     "batches": [str((out / "batches").resolve())]}
    cfg["models"]["dir"] = str((EXAMPLE_CONFIG.parent / cfg["models"]["dir"]).resolve())
    if isinstance(cfg.get("thresholds"), str):
        cfg["thresholds"] = str((EXAMPLE_CONFIG.parent / cfg["thresholds"]).resolve())
    unc = cfg.setdefault("uncertainty", {})
    unc["method"] = method
    unc["draws"] = draws
    unc["threads"] = threads
    (out / "config.yaml").write_text("# Generated by bench/gen_city.py from config/example.yaml -- do not edit.\n"
                                     + yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True))

    info = {
        "generator_version": GENERATOR_VERSION,
        "options": {"scale": scale, "sites": n_sites, "campaigns": campaigns, "draws": draws, "threads": threads,
                    "method": method},
        "sites": len(chosen), "plants": sum(1 for _, s in chosen if s["kind"] == "wwtp"),
        "venues": sum(1 for _, s in chosen if s["kind"] != "wwtp"), "campaigns": campaigns,
        "assay_rows": n_rows, "batch_bytes": n_bytes, "flow_rows": n_flows, "water_quality_rows": n_wq,
        "config": str((out / "config.yaml").resolve()), "store": cfg["store"],
    }
    (out / "city.json").write_text(json.dumps(info, indent=2) + "\n")
    return info


def ensure(out: Path, scale: int | None = None, n_sites: int | None = None, campaigns: int = 12, draws: int = 10_000,
           threads: int = 2, method: str = "monte_carlo", force: bool = False) -> dict:
    """The programme in `out`, generated unless city.json says it already holds these options.
    Data files depend only on (scale or sites, campaigns); a different draws/threads/method only
    rewrites config.yaml."""
    want = {"scale": scale, "sites": n_sites, "campaigns": campaigns, "draws": draws, "threads": threads, "method": method}
    info_path = out / "city.json"
    if not force and info_path.is_file():
        info = json.loads(info_path.read_text())
        have = info.get("options", {})
        same_data = info.get("generator_version") == GENERATOR_VERSION and all(
            have.get(k) == want[k] for k in ("scale", "sites", "campaigns"))
        if same_data and have == want:
            return info
        if same_data:
            cfg = yaml.safe_load((out / "config.yaml").read_text())
            cfg["uncertainty"].update({"method": method, "draws": draws, "threads": threads})
            (out / "config.yaml").write_text("# Generated by bench/gen_city.py from config/example.yaml -- do not edit.\n"
                                             + yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True))
            info["options"] = want
            info_path.write_text(json.dumps(info, indent=2) + "\n")
            return info
    return generate(out, scale, n_sites, campaigns, draws, threads, method)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, type=Path)
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--scale", type=int, help="replicas of the example city (25 sites each)")
    g.add_argument("--sites", type=int, help="number of sites (1 plant : 4 venues)")
    ap.add_argument("--campaigns", type=int, default=12, help="quarterly campaigns (default 12, the example's)")
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--method", default="monte_carlo", choices=["monte_carlo", "analytic", "none"])
    ap.add_argument("--force", action="store_true", help="rewrite even when city.json matches")
    args = ap.parse_args()
    if args.scale is None and args.sites is None:
        args.scale = 1
    info = ensure(args.out, args.scale, args.sites, args.campaigns, args.draws, args.threads, args.method, args.force)
    json.dump(info, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
