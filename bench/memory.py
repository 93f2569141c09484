"""Memory of published tables in a dashboard process: the budget against a count of tables.

Run: .venv/bin/python bench/memory.py --db URL [--budget-mb 1024] [--tables 8]

1. The demo's cluster (Venlo, Beesel, Peel en Maas and their region): bytes per published
   indicator table, as ``data.publication.memory.size_of`` counts them.
2. National-sized tables: the demo's illegale_bewoning table repeated to the row count of the
   whole country (11,691 buurten on indeling 2014, with their wijken and gemeenten), put one
   after another into ``TableMemory(budget)`` and, for comparison, into a plain dict (what a
   count of 64 entries allows); each read back from Parquet, as from the stored publication.
   The process RSS is printed after each table.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from data import db
from data.publication.memory import TableMemory, size_of
from data.publication.read import open_publication
from data.publication.scope import region_cluster
from indicators import catalogue

NATIONAL_AREAS = 11_691 + 2_738 + 403  # buurten, wijken, gemeenten of the 2014 file


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--budget-mb", type=int, default=1024)
    parser.add_argument("--tables", type=int, default=8)
    args = parser.parse_args()
    print(
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}; machine: {os.cpu_count()} cores; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    engine = db.make_engine(args.db)
    cluster, _ = region_cluster(engine, "rpf-demo")
    pub = open_publication(engine, cluster=cluster)
    sizes = {code: size_of(pub.published(code)) for code in catalogue.CODES}
    table = pub.published("illegale_bewoning").table
    areas = table["code"].nunique()
    print(
        f"demo cluster: {len(catalogue.CODES)} indicator tables, {sum(sizes.values()) / 2**20:.1f} MB "
        f"together, largest {max(sizes.values()) / 2**20:.1f} MB "
        f"({len(table):,} rows for {areas} areas); inputs {size_of(pub.data) / 2**20:.1f} MB"
    )
    factor = max(1, round(NATIONAL_AREAS / areas))
    national = [table] * factor
    del pub
    gc.collect()
    start = rss_mb()
    print(f"national-sized table: the demo table x {factor}; process RSS at start {start:.0f} MB")
    for label, keep in (("budget", TableMemory(args.budget_mb * 2**20)), ("dict", {})):
        for i in range(args.tables):
            frame = _national(national, i)
            if isinstance(keep, TableMemory):
                keep.put(("tabel", i), frame)
                held = keep.bytes
            else:
                keep[("tabel", i)] = frame
                held = sum(size_of(v) for v in keep.values())
            del frame
            gc.collect()
            print(
                f"  {label:6} after table {i + 1}: kept {len(keep):2d} tables, "
                f"{held / 2**20:6.0f} MB counted, process RSS {rss_mb():6.0f} MB"
            )
        keep.clear()
        gc.collect()
    print(f"budget: {args.budget_mb} MB (WIJKMONITOR_CACHE_MB)")


def _national(parts: list, i: int):  # type: ignore[no-untyped-def,type-arg]
    """A distinct national-sized table, read back from Parquet as a replica reads the stored
    publication (its own buffers, not views of the demo table's)."""
    import io

    import pandas as pd

    frame = pd.concat(parts, ignore_index=True)
    frame["indicator"] = f"tabel-{i}"
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    del frame
    return pd.read_parquet(io.BytesIO(buffer.getvalue()))


if __name__ == "__main__":
    main()
