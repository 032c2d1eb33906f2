#!/usr/bin/python3
"""pandas and h5py peers of the io benchmarks (bench_io.cpp), on the files wbe_bench_io wrote.

    /usr/bin/python3 bench/peer_io.py --dir DIR [--sizes 100000 1000000] [--json]

Needs the files of `wbe_bench_io --dir DIR` (assay_N.csv, assay_N.json, store_N.h5, batch_N.h5).

CSV (the same file the engine reads):
  csv_pandas            `pd.read_csv(path)`: plain, types inferred, no checks (the judged peer)
  csv_pandas_validated  `pd.read_csv(path, dtype=str, keep_default_na=False)` plus the checks a
                        careful user writes in pandas: required columns, units (ng/L, ug/L),
                        `<limit` and ND in the value column, numbers, dates (YYYY-MM-DD), known
                        sites and analytes, value >= 0, loq >= lod, a detected value not below
                        its lod, censored rows with their limit, duplicate (sample, analyte)
                        rows, and conversion to ng/L. Its answer (rows, censored, the sums of
                        the detected values and of the loq in ng/L) must equal assay_N.json,
                        which is also what the engine's answer is checked against.
HDF5 (the same compound datasets as the store, read from the engine's file; chunking, shuffle,
deflate level and maxshape taken from it and checked against the store's rule):
  h5_write         every table of store_N.h5 written with h5py into a new file (attributes too)
  h5_write_atomic  the same into `<file>.tmp`, fsync, rename, fsync of the folder — what the
                   store does on every write (the judged peer)
  h5_read          `f["samples"][()]`: the samples table into a numpy structured array (the
                   judged peer for store_read and store_read_raw)
  h5_read_frame    the same, then a pandas DataFrame with the text columns decoded to str
  h5_append_inplace  B rows appended to a copy of store_N.h5 in place: resize + write + close
                   + fsync (a kill mid-write can leave a torn file)
  h5_append_atomic the atomic form: copy the file's bytes to a temporary (no decompression),
                   append in place there, fsync, rename, fsync of the folder (the judged peer
                   for store_append)
Each write is checked once: the file read back equals the engine's table, byte for byte.

Timing: time.perf_counter (wall) and time.process_time (CPU), medians over --repetitions
repeats of one call each (calls are 0.05-10 s); one untimed warm-up call. --no-validated and
--no-frame skip the two context forms that are not judged.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

REQUIRED = ["batch_id", "sample_id", "site_id", "sample_date", "analyte", "value", "unit", "qualifier", "lod", "loq"]
ANALYTES = {"methamphetamine", "amphetamine", "mdma", "ketamine", "norketamine", "benzoylecgonine", "morphine",
            "codeine", "cotinine"}
N_PLANTS, N_VENUES = 500, 2000  # bench_io.cpp's sites
SITES = {f"BX-WWTP-{k:04d}" for k in range(1, N_PLANTS + 1)} | {f"BX-V-{k:04d}" for k in range(1, N_VENUES + 1)}
UNIT_SCALE = {"ng/L": 1.0, "ug/L": 1000.0, "µg/L": 1000.0}


# ---- CSV ---------------------------------------------------------------------------------------
def csv_plain(path: Path) -> pd.DataFrame:
    return pd.read_csv(path)


def csv_validated(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """read_csv plus the checks of the engine's reader, vectorised; returns the frame (value,
    lod, loq in ng/L, censored flag) and the list of problems."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    problems = [f"missing column {c}" for c in REQUIRED if c not in df.columns]
    if problems:
        return df, problems
    scale = df["unit"].map(UNIT_SCALE)
    v = df["value"].str.strip()
    nd = v.isin(["ND", "nd", "n.d."])
    below = v.str.startswith("<")
    number = pd.to_numeric(v.where(~(nd | below) & (v != "")), errors="coerce")
    limit = pd.to_numeric(v.str[1:].where(below), errors="coerce")
    lod = pd.to_numeric(df["lod"].replace("", np.nan), errors="coerce") * scale
    loq = pd.to_numeric(df["loq"].replace("", np.nan), errors="coerce") * scale
    qual = df["qualifier"].str.strip()
    censored = qual.isin(["<LOD", "<LOQ", "ND"]) | nd | below
    date = pd.to_datetime(df["sample_date"], format="%Y-%m-%d", errors="coerce")
    bad = {
        "unknown unit": scale.isna(),
        "bad date": date.isna(),
        "unknown site": ~df["site_id"].isin(SITES),
        "unknown analyte": ~df["analyte"].str.lower().isin(ANALYTES),
        "bad qualifier": ~qual.isin(["", "<LOD", "<LOQ", "ND", ">ULOQ"]),
        "value not a number": ~censored & (v != "") & number.isna(),
        "bad <limit": below & ~(limit > 0),
        "negative value": number < 0,
        "loq < lod": loq < lod,
        "detected below lod": ~censored & (number * scale < lod),
        "empty detected value": ~censored & (v == ""),
        "censored without its limit": censored & lod.isna() & loq.isna() & limit.isna(),
        "duplicate sample and analyte": df.duplicated(["sample_id", "analyte"]),
    }
    for rule, mask in bad.items():
        if mask.any():
            problems.append(f"{rule}: {int(mask.sum())} rows, first line {int(np.flatnonzero(mask.to_numpy())[0]) + 2}")
    df["value_ng_per_l"] = (number * scale).where(~censored)
    df["lod_ng_per_l"] = lod
    df["loq_ng_per_l"] = loq
    df["censored"] = censored
    df["date"] = date
    return df, problems


def check_csv(path: Path, expected: dict) -> dict:
    df, problems = csv_validated(path)
    got = {"rows": len(df), "censored": int(df["censored"].sum()),
           "sum_value_ng_per_l": float(df["value_ng_per_l"].sum()), "sum_loq_ng_per_l": float(df["loq_ng_per_l"].sum())}
    ok = (not problems and got["rows"] == expected["rows"] and got["censored"] == expected["censored"]
          and abs(got["sum_value_ng_per_l"] - expected["sum_value_ng_per_l"]) <= 1e-9 * abs(expected["sum_value_ng_per_l"])
          and abs(got["sum_loq_ng_per_l"] - expected["sum_loq_ng_per_l"]) <= 1e-9 * abs(expected["sum_loq_ng_per_l"]))
    plain = csv_plain(path)
    ok = ok and len(plain) == expected["rows"]
    return {"stage": "csv", "size": expected["rows"], "ok": ok, "got": got, "expected": expected, "problems": problems}


# ---- HDF5 --------------------------------------------------------------------------------------
STORE_DEFLATE_LEVEL = 6  # hdf5_store.cpp, deflate_level (the peer writes its copies with the same filters)


def store_chunk_rows(row_size: int, rows: int) -> int:
    """The store's rule (hdf5_store.cpp, chunk_rows): 64 KiB of rows, at least 1, whatever the
    table holds (tables grow by appends; `rows` is not used)."""
    return max(1, (1 << 16) // row_size)


def load_store(path: Path) -> tuple[dict, list[tuple[str, np.ndarray, dict]]]:
    """Attributes and every dataset of an engine store, with its creation settings."""
    tables = []
    with h5py.File(path, "r") as f:
        attrs = {k: f.attrs[k] for k in f.attrs}
        for name, ds in f.items():
            settings = {"chunks": ds.chunks, "maxshape": ds.maxshape, "shuffle": ds.shuffle,
                        "compression": ds.compression, "compression_opts": ds.compression_opts}
            want = (store_chunk_rows(ds.dtype.itemsize, ds.shape[0]),)
            if (settings["chunks"] != want or not ds.shuffle or ds.compression != "gzip"
                    or ds.compression_opts != STORE_DEFLATE_LEVEL):
                raise SystemExit(f"peer_io: {path}:{name} has settings {settings}, not the store's rule "
                                 f"(chunks {want}, shuffle, gzip {STORE_DEFLATE_LEVEL}): update store_chunk_rows "
                                 "or STORE_DEFLATE_LEVEL")
            tables.append((name, ds[()], settings))
    return attrs, tables


def write_tables(path: str, attrs: dict, tables) -> None:
    with h5py.File(path, "w") as f:
        for k, v in attrs.items():
            f.attrs[k] = v
        for name, data, s in tables:
            f.create_dataset(name, data=data, chunks=s["chunks"], maxshape=s["maxshape"], shuffle=s["shuffle"],
                             compression=s["compression"], compression_opts=s["compression_opts"])


def fsync_file(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def h5_write(out: str, attrs, tables) -> None:
    write_tables(out, attrs, tables)


def h5_write_atomic(out: str, attrs, tables) -> None:
    tmp = out + ".tmp"
    write_tables(tmp, attrs, tables)
    fsync_file(tmp)
    os.replace(tmp, out)
    fsync_dir(os.path.dirname(out) or ".")


def h5_read(path: str) -> np.ndarray:
    with h5py.File(path, "r") as f:
        return f["samples"][()]


def h5_read_frame(path: str) -> pd.DataFrame:
    arr = h5_read(path)
    df = pd.DataFrame(arr)
    for name in arr.dtype.names:
        if arr.dtype[name].kind == "S":
            df[name] = df[name].str.decode("utf-8")
    return df


def append_rows(path: str, batch: np.ndarray, batch_record: np.ndarray) -> None:
    with h5py.File(path, "r+") as f:
        for name, rows in (("samples", batch), ("batches", batch_record)):
            ds = f[name]
            n = ds.shape[0]
            ds.resize((n + len(rows),))
            ds[n:] = rows


def h5_append_inplace(work: str, batch, record) -> None:
    append_rows(work, batch, record)
    fsync_file(work)


def h5_append_atomic(base: str, out: str, batch, record) -> None:
    tmp = out + ".tmp"
    shutil.copyfile(base, tmp)
    append_rows(tmp, batch, record)
    fsync_file(tmp)
    os.replace(tmp, out)
    fsync_dir(os.path.dirname(out) or ".")


def same_rows(a: np.ndarray, b: np.ndarray) -> bool:
    """Byte for byte (NaN fields compare equal to themselves)."""
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


# ---- timing ------------------------------------------------------------------------------------
def median_seconds(fn, repetitions: int, setup=None) -> tuple[float, list[float], float]:
    """Median wall seconds per call, every call's wall seconds, and the median CPU seconds per
    call (this process: pandas, h5py and zlib run on its one thread)."""
    if setup:
        setup()
    fn()  # warm-up
    times, cpu = [], []
    for _ in range(repetitions):
        if setup:
            setup()
        c0 = time.process_time()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(times), times, statistics.median(cpu)


def run(d: Path, sizes: list[int], repetitions: int, validated: bool, frame: bool) -> dict:
    results, checks = [], []

    def record(stage, n, items, fn, setup=None, **extra):
        cpu0 = time.process_time()
        wall0 = time.perf_counter()
        t, times, cpu = median_seconds(fn, repetitions, setup)
        cpu_over_wall = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
        results.append({"stage": stage, "size": n, "seconds": t, "cpu_seconds": cpu, "items_per_second": items / t,
                        "repetitions": repetitions, "times": times, "cpu_over_wall": cpu_over_wall, **extra})

    for n in sizes:
        csv_path = d / f"assay_{n}.csv"
        expected = json.loads((d / f"assay_{n}.json").read_text())
        c = check_csv(csv_path, expected)
        checks.append(c)
        if not c["ok"]:
            raise SystemExit(f"peer_io: the pandas reading of {csv_path} disagrees with the generator: {c}")
        record("csv_pandas", n, n, lambda: csv_plain(csv_path))
        if validated:
            record("csv_pandas_validated", n, n, lambda: csv_validated(csv_path))
        for r in results:
            if r["stage"].startswith("csv") and r["size"] == n:
                r["bytes_per_second"] = expected["bytes"] / r["seconds"]

        store = d / f"store_{n}.h5"
        attrs, tables = load_store(store)
        samples = dict((name, data) for name, data, _ in tables)["samples"]
        out = str(d / f"peer_write_{n}.h5")
        for fn in (h5_write, h5_write_atomic):
            fn(out, attrs, tables)
            back = h5_read(out)
            if not same_rows(back, samples):
                raise SystemExit(f"peer_io: {fn.__name__} did not write back the store's samples table")
        checks.append({"stage": "h5_write", "size": n, "ok": True, "chunks": dict((t[0], t[2]["chunks"]) for t in tables)["samples"]})
        record("h5_write", n, n, lambda: h5_write(out, attrs, tables))
        record("h5_write_atomic", n, n, lambda: h5_write_atomic(out, attrs, tables))
        file_bytes = os.path.getsize(out)
        results[-1]["file_bytes"] = file_bytes
        results[-2]["file_bytes"] = file_bytes
        os.remove(out)

        if not same_rows(h5_read(str(store)), samples):
            raise SystemExit("peer_io: h5_read differs")
        record("h5_read", n, n, lambda: h5_read(str(store)))
        if frame:
            record("h5_read_frame", n, n, lambda: h5_read_frame(str(store)))

        _, btables = load_store(d / f"batch_{n}.h5")
        bt = dict((name, data) for name, data, _ in btables)
        batch, batch_record = bt["samples"], bt["batches"]
        work = str(d / f"peer_append_{n}.h5")
        out = str(d / f"peer_append_out_{n}.h5")
        shutil.copyfile(store, work)
        h5_append_inplace(work, batch, batch_record)
        h5_append_atomic(str(store), out, batch, batch_record)
        for p in (work, out):
            back = h5_read(p)
            if not (len(back) == n + len(batch) and same_rows(back[:n], samples) and same_rows(back[n:], batch)):
                raise SystemExit(f"peer_io: appending to {p} did not give the store's rows followed by the batch")
        checks.append({"stage": "h5_append", "size": n, "ok": True, "rows_appended": len(batch)})
        record("h5_append_inplace", n, len(batch), lambda: h5_append_inplace(work, batch, batch_record),
               setup=lambda: shutil.copyfile(store, work), rows_appended=len(batch))
        record("h5_append_atomic", n, len(batch), lambda: h5_append_atomic(str(store), out, batch, batch_record),
               rows_appended=len(batch))
        for p in (work, out):
            os.remove(p)
    return {
        "pandas_version": pd.__version__, "h5py_version": h5py.__version__, "hdf5_version": h5py.version.hdf5_version,
        "numpy_version": np.__version__, "python": sys.version.split()[0], "python_executable": sys.executable,
        "repetitions": repetitions, "statistic": "median", "results": results, "checks": checks,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", required=True, type=Path, help="the --dir of wbe_bench_io")
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--repetitions", type=int, default=5)
    ap.add_argument("--no-validated", action="store_true", help="skip csv_pandas_validated")
    ap.add_argument("--no-frame", action="store_true", help="skip h5_read_frame")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    out = run(args.dir, args.sizes, args.repetitions, not args.no_validated, not args.no_frame)
    if args.json:
        json.dump(out, sys.stdout, indent=2)
        print()
        return
    print(f"pandas {out['pandas_version']}, h5py {out['h5py_version']} (HDF5 {out['hdf5_version']})")
    for r in out["results"]:
        print(f"{r['stage']:<22} {r['size']:>9}  {r['seconds'] * 1e3:9.1f} ms  {r['items_per_second'] / 1e3:9.1f} k rows/s")


if __name__ == "__main__":
    main()
