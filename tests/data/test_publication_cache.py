"""A stored publication stays valid until its own cluster's data change.

Two gemeenten in no region together (Beesel and Peel en Maas, real buurten) each get a small
synthetic delivery and are published and stored. A correction for Beesel then publishes Beesel
again, and Peel en Maas is read from the database as it was stored: its stored row is marked to
show that it is read, not computed again.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import select, update

from data import db, store
from data.publication.cache import StoredPublications, cluster_key
from data.publication.read import open_publication

INDICATOR = "illegale_bewoning"
BEESEL, PEEL = "GM0889", "GM1894"


def _signals(buurten: list[str], seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    periods = [f"2023-{m:02d}" for m in range(1, 13)]
    rows = [(b, p, float(rng.poisson(3.0))) for b in buurten for p in periods]
    return pd.DataFrame(rows, columns=["buurtcode", "periode", "teller"]).assign(
        indicator=INDICATOR, noemer=np.nan, bron="gemeente", soort="aggregaat"
    )


def _fill(url: str, areas: pd.DataFrame) -> dict[str, list[str]]:
    engine = db.make_engine(url)
    buurten: dict[str, list[str]] = {}
    try:
        store.save_areas(engine, areas)
        with engine.begin() as conn:
            for seed, gemeente in enumerate((BEESEL, PEEL)):
                own = areas[(areas["level"] == "buurt") & (areas["gemeentecode"] == gemeente)]
                buurten[gemeente] = sorted(own["code"])
                store.save_signals(conn, _signals(buurten[gemeente], seed), import_id=None)
                deliveries = pd.DataFrame(
                    {
                        "bron": "gemeente",
                        "gemeentecode": gemeente,
                        "indicator": INDICATOR,
                        "periode": [f"2023-{m:02d}" for m in range(1, 13)],
                    }
                )
                store.save_deliveries(conn, deliveries, import_id=None)
    finally:
        engine.dispose()
    return buurten


def _stored(url: str) -> dict[str, str]:
    engine = db.make_engine(url)
    t = db.publications.c
    with engine.connect() as conn:
        found = {r.sleutel: r.versie for r in conn.execute(select(t.sleutel, t.versie))}
    engine.dispose()
    return found


def test_an_import_elsewhere_leaves_a_stored_publication_valid(
    demo_url: str, sqlite_url: str
) -> None:
    demo = db.make_engine(demo_url)
    areas = store.load_areas(demo, gemeenten=[BEESEL, PEEL])
    demo.dispose()
    buurten = _fill(sqlite_url, areas)
    engine = db.make_engine(sqlite_url)
    try:
        beesel = open_publication(engine, gemeenten=[BEESEL], indicators=[INDICATOR])
        peel = open_publication(engine, gemeenten=[PEEL], indicators=[INDICATOR])
        assert beesel.cluster != peel.cluster  # no region joins them
        before_beesel = beesel.published(INDICATOR).table
        peel_table = peel.published(INDICATOR).table
        versions = _stored(sqlite_url)
        key_peel = cluster_key(peel.cluster, INDICATOR)
        key_beesel = cluster_key(beesel.cluster, INDICATOR)
        assert {key_peel, key_beesel} <= set(versions)

        # Mark the stored Peel en Maas publication: only a read of the stored row shows it.
        marked = peel_table.assign(status="gelezen")
        stored = StoredPublications(engine)
        stored.put(key_peel, versions[key_peel], marked, peel.published(INDICATOR).groups)

        # A correction for one Beesel buurt in one month.
        first = buurten[BEESEL][0]
        s = db.signals.c
        with engine.begin() as conn:
            conn.execute(
                update(db.signals)
                .where(s.buurtcode == first, s.periode == "2023-01")
                .values(teller=40.0)
            )

        beesel_again = open_publication(engine, gemeenten=[BEESEL], indicators=[INDICATOR])
        peel_again = open_publication(engine, gemeenten=[PEEL], indicators=[INDICATOR])
        after_beesel = beesel_again.published(INDICATOR).table
        assert (peel_again.published(INDICATOR).table["status"] == "gelezen").all()
        assert _stored(sqlite_url)[key_peel] == versions[key_peel]
        assert _stored(sqlite_url)[key_beesel] != versions[key_beesel]
        cell = (after_beesel["code"] == first) & (after_beesel["periode"] == "2023-01")
        old = (before_beesel["code"] == first) & (before_beesel["periode"] == "2023-01")
        assert after_beesel.loc[cell, "teller_publ"].iloc[0] >= 40
        assert before_beesel.loc[old, "teller_publ"].fillna(0).iloc[0] < 40
    finally:
        engine.dispose()
