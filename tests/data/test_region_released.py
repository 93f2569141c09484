"""A region that loses a gemeente (SQLite and PostGIS): its totals were released with the
gemeente in them. Published apart afterwards, the gemeente's cluster and the region's no longer
see that old total, and an outsider who subtracts the new region from the old one gets the
gemeente's secret counts back (on the demo: Beesel's woningsplitsing of 2021-09, 1, pinned to
[1, 4]). A region released before therefore keeps its gemeenten in one cluster, and its old
totals stay in the protection as a ghost."""

from __future__ import annotations

import numpy as np
import pandas as pd

from data import db, frames, store
from data.publication.build import Published
from data.publication.cells import raw_cells
from data.publication.read import open_publication
from data.publication.releases import ledger_code
from data.publication.scope import cluster_of
from data.regions import add_region
from indicators.audit import attack
from indicators.disclosure import validated_keys
from indicators.intervals import bounds, protected
from indicators.relations import relations

INDICATOR = "woningsplitsing"
GEMEENTEN = ("GM0889", "GM0983", "GM1894")  # Beesel, Venlo, Peel en Maas (the demo's)
STAYING = ("GM0983", "GM1894")


def _copy(demo_url: str, url: str) -> None:
    """The demo's areas, signals and deliveries of ``INDICATOR`` for ``GEMEENTEN``, and the
    region over them."""
    demo = db.make_engine(demo_url)
    try:
        areas = store.load_areas(demo, gemeenten=list(GEMEENTEN))
        signals = store.load_signals(demo, gemeenten=list(GEMEENTEN), indicators=[INDICATOR])
        deliveries = store.load_deliveries(demo, gemeenten=list(GEMEENTEN), indicators=[INDICATOR])
    finally:
        demo.dispose()
    engine = db.make_engine(url)
    try:
        store.save_areas(engine, areas)
        with engine.begin() as conn:
            store.save_signals(conn, signals, import_id=None)
            store.save_deliveries(conn, deliveries.drop(columns="geleverd_op"), import_id=None)
            add_region(conn, "rpf", naam="RPF", gemeenten=list(GEMEENTEN))
    finally:
        engine.dispose()


def _known(published: Published, region_code: str) -> pd.Series:
    """What a release shows, by ledger code (the region under ``region_code``) and periode."""
    table = published.table
    ledger = {str(r.code): ledger_code(str(r.code), r.leden) for r in frames.rows(published.groups)}
    codes = table["code"].map(lambda c: ledger.get(c, c)).where(table["code"] != "rpf", region_code)
    known = pd.Series(table["teller_publ"].to_numpy(), index=codes + "|" + table["periode"])
    return known[~known.index.duplicated()]


def test_a_region_that_lost_a_gemeente_still_protects_it(demo_url: str, db_url: str) -> None:
    _copy(demo_url, db_url)
    engine = db.make_engine(db_url)
    try:
        first = open_publication(engine, gemeenten=["GM0889"], indicators=[INDICATOR])
        assert first.cluster.regions == (("rpf", GEMEENTEN),)
        released = first.published(INDICATOR)
        data = first.data
        with engine.begin() as conn:  # Beesel leaves the region
            add_region(conn, "rpf", naam="RPF", gemeenten=list(STAYING))
        # The old region's totals are out: its gemeenten stay published together.
        assert cluster_of(engine, gemeenten=["GM0889"]).gemeenten == GEMEENTEN
        later = open_publication(engine, gemeenten=["GM0889"], indicators=[INDICATOR])
        assert later.cluster.regions == (("rpf", STAYING),)
        # Every publication now out (one, where the clusters are one).
        now = [
            open_publication(engine, gemeenten=[g], indicators=[INDICATOR]).published(INDICATOR)
            for g in ("GM0889", "GM0983")
        ]
    finally:
        engine.dispose()

    # The outsider's system: every cell of both releases, both regions with their members.
    regions = [("oud", GEMEENTEN), ("rpf", STAYING)]
    cells, links = raw_cells(
        data.signals, data.deliveries, data.plain_areas, indicator=INDICATOR, regions=regions
    )
    key = cells["code"] + "|" + cells["periode"]
    raw = cells["teller"].to_numpy(dtype=float)
    knowledge = [
        key.map(known).to_numpy(dtype=float)
        for known in (_known(released, "oud"), *(_known(p, "rpf") for p in now))
    ]
    assert (~np.isnan(knowledge[0]) & key.str.startswith("oud|").to_numpy()).sum() >= 24
    lows, highs = zip(*(bounds(k, ~np.isnan(k)) for k in knowledge), strict=True)
    secret = ~np.isnan(raw) & np.isnan(knowledge).all(axis=0)
    targets = np.flatnonzero(secret & (raw > 0) & (raw < 5)).astype(np.int64)
    assert len(targets) > 100
    found = attack(
        relations(validated_keys(cells), links, np.isnan(raw)),
        np.maximum.reduce(lows),
        np.minimum.reduce(highs),
        ~np.isnan(raw),
        targets,
        known=np.nan_to_num(raw),
    )
    pinned = ~protected(found.lo, found.hi)
    assert not pinned.any(), key.iloc[targets[pinned]].tolist()
