"""Time geo.assign.assign_buurt: the demo's addresses into Venlo, 1M points into all NL buurten.

Run: .venv/bin/python bench/assign_buurt.py [--punten 1000000] [--runs 3]

Prints the best and median of ``--runs`` timings for:
- the demo's ~48k synthetic addresses into its 114 Venlo buurten (demo built in a temp folder),
  and ``data.addresses.load_addresses`` on them (upsert + assignment, SQLite);
- ``--punten`` uniformly random points in the bbox of the Netherlands into the 11,691 buurten of
  the national 2014 file (normalised; many points fall in sea or abroad and come back ``buiten``).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from data import db, store
from data.addresses.load import load_addresses
from data.demo.venlo import build_demo
from data.settings import FILES
from geo.areas import normalise_areas
from geo.assign import assign_buurt
from geo.crs import RD


def _time(func: Callable[[], object], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        func()
        times.append(time.perf_counter() - began)
    return min(times), statistics.median(times)


def demo(runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = db.make_engine(f"sqlite:///{Path(tmp) / 'demo.db'}")
        build_demo(engine)
        buurten = store.load_areas(engine, gemeenten=["GM0983"], levels=["buurt"])
        with engine.connect() as conn:
            rows = conn.execute(db.addresses.select()).all()
        addresses = pd.DataFrame([r._asdict() for r in rows])[store.ADDRESS_COLUMNS]
        points = gpd.GeoDataFrame(
            addresses[["bag_id"]],
            geometry=gpd.points_from_xy(addresses["x"], addresses["y"]),
            crs=RD,
        )
        best, median = _time(lambda: assign_buurt(points, buurten), runs)
        print(
            f"demo: {len(points)} punten in {len(buurten)} buurten: "
            f"assign_buurt {best:.3f} s (mediaan {median:.3f} s)"
        )
        best, median = _time(lambda: load_addresses(engine, addresses), runs)
        print(
            f"demo: load_addresses (upsert + toewijzing, SQLite) {best:.2f} s (mediaan {median:.2f} s)"
        )
        engine.dispose()


def _national_buurten() -> gpd.GeoDataFrame:
    raw = gpd.read_file("TopoJSON:" + str(FILES / "cbs_buurt_2014_nl_wgs84_q1e3.topojson"))
    try:
        return normalise_areas(raw, jaar=2014)
    except shapely.errors.GEOSException:
        # GEOS 3.14's make_valid fails on one degenerate MultiPolygon of this file (BU03030550):
        # repair with the "structure" method first until geo.areas does so itself.
        raw["geometry"] = [
            g if g is None or g.is_valid else shapely.make_valid(g, method="structure")
            for g in raw.geometry
        ]
        return normalise_areas(raw, jaar=2014)


def national(n: int, runs: int) -> None:
    buurten = _national_buurten()
    rng = np.random.default_rng(2014)
    minx, miny, maxx, maxy = buurten.total_bounds
    points = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)),
        crs=RD,
    )
    buiten = int(assign_buurt(points, buurten)["buiten"].sum())
    best, median = _time(lambda: assign_buurt(points, buurten), runs)
    print(
        f"NL 2014: {n} punten in {len(buurten)} buurten: assign_buurt {best:.2f} s "
        f"(mediaan {median:.2f} s); {n - buiten} in een buurt, {buiten} buiten"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--punten", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    demo(args.runs)
    national(args.punten, args.runs)


if __name__ == "__main__":
    main()
