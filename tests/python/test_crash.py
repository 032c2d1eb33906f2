"""A killed ingest never leaves a torn store (issue 8).

`wbe ingest` of a large batch is killed with SIGKILL at 50 random moments of its run. After each
kill the store must open, hold exactly the old content or exactly the new content (a checksum of
every table, read with h5py), and a re-run of the same ingest must succeed and give the new
content. The mechanism is the engine's: the whole store is written to `<store>.tmp-<pid>`, fsynced
and renamed over the old file (hdf5_store.cpp), so a kill before the rename leaves the old file
and a stale temporary that the next write removes.
"""
import csv
import hashlib
import os
import random
import shutil
import signal
import subprocess
import time

import h5py
import numpy as np

from conftest import CLI, EXAMPLE_CONFIG, ROOT, run_cli

KILLS = 50
COPIES = 12  # the example's results 12 times over: ~97 000 rows, a write long enough to hit


VOLATILE = {"ingested_at", "superseded_at", "user"}  # when and by whom, not what


def table_checksum(store):
    """SHA-256 over every table's bytes, in name order, without the columns that record when and
    by whom and without `runs`, the log of attempts (a re-run of a completed ingest adds a row)."""
    h = hashlib.sha256()
    with h5py.File(store, "r") as f:
        for name in sorted(f.keys()):
            if name == "runs":
                continue
            data = f[name][()]
            h.update(name.encode())
            for column in data.dtype.names:
                if column not in VOLATILE:
                    h.update(column.encode())
                    h.update(np.ascontiguousarray(data[column]).tobytes())
    return h.hexdigest()


def big_batch(path):
    """The example's 12 batches as one batch with new batch and sample ids, COPIES times over."""
    rows = []
    header = None
    for src in sorted((ROOT / "data" / "example" / "batches").glob("*.csv")):
        with open(src, newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            rows.extend(reader)
    i_batch, i_sample = header.index("batch_id"), header.index("sample_id")
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for k in range(COPIES):
            for r in rows:
                r = list(r)
                r[i_batch] = "LS-BIG"
                r[i_sample] = f"BIG{k}-{r[i_sample]}"
                w.writerow(r)


def test_a_killed_ingest_leaves_the_old_or_the_new_store(tmp_path):
    base = tmp_path / "base.h5"
    run_cli("ingest", "-c", EXAMPLE_CONFIG, "--store", base)
    batch = tmp_path / "big.csv"
    big_batch(batch)
    old = table_checksum(base)

    store = tmp_path / "s.h5"
    args = [str(CLI), "ingest", "-c", str(EXAMPLE_CONFIG), "--store", str(store), str(batch)]

    # The new content, and how long an uninterrupted ingest takes.
    shutil.copy(base, store)
    t0 = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    duration = time.perf_counter() - t0
    new = table_checksum(store)
    assert new != old

    rng = random.Random(20241130)
    outcomes = {"old": 0, "new": 0}
    for k in range(KILLS):
        shutil.copy(base, store)
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.0, duration * 1.1))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        got = table_checksum(store)  # the store opens ...
        assert got in (old, new), f"kill {k}: the store holds neither the old nor the new content"
        outcomes["old" if got == old else "new"] += 1
        # ... and the same ingest, run again, completes it (or finds it done).
        rerun = subprocess.run(args, capture_output=True, text=True)
        assert rerun.returncode == 0, f"kill {k}: re-run failed: {rerun.stderr}"
        assert table_checksum(store) == new
        leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith("s.h5.tmp-")]
        assert leftovers == [], f"kill {k}: stale temporary files after the re-run: {leftovers}"
    # Kills landed on both sides of the rename (the random moments span the whole run).
    assert outcomes["old"] > 0, outcomes
    assert KILLS == sum(outcomes.values())
    print(f"{KILLS} kills over {duration:.2f} s ingests: {outcomes}")
