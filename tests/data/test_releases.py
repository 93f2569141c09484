"""The release record in the database (SQLite and PostGIS): every publication writes the status
of its cells, and the next one, after an intervention was registered, keeps them.

The attack on two releases together is in tests/indicators/test_releases.py; on the demo,
protected apart, the releases before and after Klingerberg's intervention pinned 72 cells."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import select

from data import db, store
from data.publication import releases
from data.publication.read import open_publication
from tests.data.test_publication_databases import INDICATOR, _fill


def _statuses(url: str) -> pd.DataFrame:
    engine = db.make_engine(url)
    try:
        pub = open_publication(engine, gemeenten=["GM0889"], indicators=[INDICATOR])
        table = pub.published(INDICATOR).table
        t = db.releases.c
        with engine.connect() as conn:
            recorded = pd.DataFrame(
                conn.execute(select(t.code, t.periode, t.status, t.teller)).all(),
                columns=["code", "periode", "status", "teller"],
            )
        assert len(releases.load(engine, pub.cluster, INDICATOR)) == len(recorded)
    finally:
        engine.dispose()
    counts = table[["code", "periode", "status", "teller_publ"]]
    return counts.merge(recorded, on=["code", "periode"], suffixes=("", "_record"))


def test_a_new_intervention_leaves_every_released_status_as_it_was(
    demo_url: str, db_url: str
) -> None:
    demo = db.make_engine(demo_url)
    areas = store.load_areas(demo, gemeenten=["GM0889"])
    demo.dispose()
    _fill(db_url, areas)
    first = _statuses(db_url)
    assert len(first) and (first["status"] != ".").any()
    # the count's status is recorded (a rate may still be withheld for a small noemer)
    shown = first["status_record"] == ""
    assert first.loc[shown, "teller_publ"].notna().all()
    assert (first.loc[first["status_record"] == "x", "teller_publ"].isna()).all()

    buurten = sorted(areas.loc[areas["level"] == "buurt", "code"])
    later = {
        "id": "tweede",
        "naam": "Tweede",
        "soort": "controleavond",
        "start": date(2023, 1, 1),
        "eind": None,
        "partners": ["gemeente"],
        "buurtcodes": buurten[-3:],
    }
    engine = db.make_engine(db_url)
    with engine.begin() as conn:
        store.save_interventions(conn, pd.DataFrame([later]))
    engine.dispose()
    second = _statuses(db_url)
    assert second["code"].str.startswith("tweede").any()  # the new group series is published
    both = first.merge(second, on=["code", "periode"], suffixes=("_1", "_2"))
    assert len(both) == len(first)
    same = (both["teller_1"] == both["teller_2"]) | (
        both["teller_1"].isna() & both["teller_2"].isna()
    )
    kept = both[same]
    assert (kept["status_record_1"] == kept["status_record_2"]).all()
    assert kept["teller_publ_1"].equals(kept["teller_publ_2"])
    # What changed is the first intervention's comparison group, chosen again without the new
    # intervention's buurten: another sum under the same code (docs/methoden.md, open point).
    assert set(both.loc[~same, "code"]) <= {"proef:controle"}
