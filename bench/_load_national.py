"""The national data beside the demo, for ``bench/load.py --nationaal DIR``.

Adds to the load test's database every gemeente of the 2014 indeling that it does not hold yet
(the input of bench/national.py in ``DIR``: areas with key figures, 3.9 million monthly buurt
signals, the delivery records), in regions of ``REGION_SIZE`` neighbouring gemeenten
(``nl-01``, ``nl-02``, ...), and publishes every region's cluster once (two processes, stored
in the database, where every server reads it). Idempotent: a database that has the regions
already is left as it is.

Why regions of ten: the load test of 2026-12-02 (docs/metingen.md) was measured so. A
region's totals join the programmes of all its gemeenten into one; since the attack looks
gemeente by gemeente first, an RPF region of 40 costs about a minute cold for every indicator
(docs/schaal.md, "Regions"), but the measured runs keep their regions of ten.
"""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import geopandas as gpd
import pandas as pd
from sqlalchemy import Engine

REGION_PREFIX = "nl-"
REGION_SIZE = 10
# What the beheerders of the load test show on the Regio pages: the default indicator, then
# the one bench/load.py switches to.
SHOWN = ("illegale_bewoning", "woningsplitsing")


def add_national(db_url: str, cache: Path) -> list[str]:
    """Store and publish the national data (once); the ids of its regions."""
    from sqlalchemy import select

    from data import db, store
    from data.deliveries.store import insert_signals
    from data.regions import add_region, load_regions

    engine = db.make_engine(db_url)
    known = sorted(r for r in load_regions(engine)["id"] if str(r).startswith(REGION_PREFIX))
    if known:
        engine.dispose()
        _publish(db_url, known)
        return known
    for name in ("areas.parquet", "signals.parquet", "deliveries.parquet"):
        if not (cache / name).exists():
            raise SystemExit(
                f"{cache / name} ontbreekt: maak de invoer met "
                f".venv/bin/python bench/national.py --prepare --cache {cache}"
            )
    began = time.perf_counter()
    with engine.connect() as conn:
        present = set(conn.execute(select(db.areas.c.gemeentecode).distinct()).scalars())
    areas = gpd.read_parquet(cache / "areas.parquet")
    areas = areas[~areas["gemeentecode"].isin(present)]
    gemeenten = areas[areas["level"] == "gemeente"]
    centre = gemeenten.geometry.centroid
    # Neighbours: bands of 25 km from south to north, west to east within a band.
    order = pd.DataFrame(
        {"code": gemeenten["code"], "band": (centre.y // 25_000).astype(int), "x": centre.x}
    ).sort_values(["band", "x"])
    members = [str(g) for g in order["code"]]
    groups = [members[i : i + REGION_SIZE] for i in range(0, len(members), REGION_SIZE)]
    ids = [f"{REGION_PREFIX}{i + 1:02d}" for i in range(len(groups))]
    store.save_areas(engine, areas)
    signals = pd.read_parquet(cache / "signals.parquet")
    signals = signals[("GM" + signals["buurtcode"].str[2:6]).isin(members)]
    deliveries = pd.read_parquet(cache / "deliveries.parquet")
    deliveries = deliveries[deliveries["gemeentecode"].isin(members)]
    with engine.begin() as conn:
        import_id = store.log_import(
            conn,
            bestand="bench-nationaal",
            inhoud=b"",
            soort="signalen",
            rijen=len(signals),
            uitkomst="ok",
            gebruiker="bench",
        )
        insert_signals(conn, signals, import_id=import_id)
        store.save_deliveries(conn, deliveries, import_id=import_id)
        for region_id, group in zip(ids, groups, strict=True):
            add_region(conn, region_id, naam=f"Nederland {region_id[3:]}", gemeenten=group)
    engine.dispose()
    print(
        f"national data: {len(members)} gemeenten in {len(ids)} regions, {len(signals):,} "
        f"signal rows stored in {time.perf_counter() - began:.0f} s"
    )
    _publish(db_url, ids)
    return ids


def _publish(db_url: str, ids: list[str]) -> None:
    """Publish what the load test's beheerders show (``SHOWN``) for every region, and every
    indicator of the region of the gemeente their Overzicht opens with (the first by name);
    what is stored already is only read."""
    from data import db
    from data.regions import load_regions
    from indicators import catalogue

    engine = db.make_engine(db_url)
    names = load_gemeente_names(engine)
    regions = load_regions(engine).set_index("id")["gemeenten"]
    engine.dispose()
    first = min(names, key=lambda g: names[g])
    full = [r for r in ids if first in set(regions[r])]
    work = [(r, list(catalogue.CODES) if r in full else list(SHOWN)) for r in ids]
    began = time.perf_counter()
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_publish_region, [db_url] * len(work), *zip(*work, strict=True)))
    print(f"national regions published (or read) in {time.perf_counter() - began:.0f} s")


def load_gemeente_names(engine: Engine) -> dict[str, str]:
    """Name by gemeentecode, of every gemeente stored."""
    from data import store

    frame = store.load_areas(engine, levels=["gemeente"])
    return {str(c): str(n) for c, n in zip(frame["code"], frame["name"], strict=True)}


def _publish_region(db_url: str, region_id: str, codes: list[str]) -> None:
    """Publish ``codes`` of one region's cluster and store them."""
    from data import db
    from data.publication.read import open_publication
    from data.publication.scope import region_cluster

    engine = db.make_engine(db_url)
    publication = open_publication(engine, cluster=region_cluster(engine, region_id)[0])
    for code in codes:
        publication.published(code)
    engine.dispose()
