"""The release record in the database (SQLite and PostGIS): every publication writes the status
of its cells and the members of its group series; the next one, after another intervention was
registered (which also picks the first one's comparison group again), gives nothing away
together with the first: an outsider who solves the equations of both releases at once pins no
secret count.

The generated cases are in tests/indicators/test_releases.py; on the demo, protected apart, the
releases before and after Klingerberg's intervention pinned 72 cells."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import select

from data import db, frames, store
from data.publication.audit import audit_indicator
from data.publication.build import Published
from data.publication.cells import raw_cells
from data.publication.read import ClusterPublication, open_publication
from data.publication.releases import ledger_code
from indicators.audit import attack
from indicators.disclosure import validated_keys
from indicators.intervals import bounds, protected
from indicators.relations import relations
from tests.data.test_publication_databases import INDICATOR, _fill


def _publish(url: str, *, audit: bool = False) -> tuple[ClusterPublication, Published]:
    engine = db.make_engine(url)
    try:
        pub = open_publication(engine, gemeenten=["GM0889"], indicators=[INDICATOR])
        published = pub.published(INDICATOR)
        if audit:  # ``wijkmonitor audit`` attacks with the earlier releases as well
            (found,) = audit_indicator(pub, INDICATOR)
            assert found.ok, found
            delivered = int((published.table["status"] != ".").sum())
            assert found.cellen > delivered  # the first comparison group took part
        return pub, published
    finally:
        engine.dispose()


def _ledger_codes(groups: pd.DataFrame) -> dict[str, str]:
    return {str(r.code): ledger_code(str(r.code), r.leden) for r in frames.rows(groups)}


def _known(published: Published) -> pd.Series:
    """What a release shows, by ledger code and periode."""
    table = published.table
    codes = table["code"].map(lambda c: _ledger_codes(published.groups).get(c, c))
    return pd.Series(table["teller_publ"].to_numpy(), index=codes + "|" + table["periode"])


def test_two_releases_around_a_new_intervention_give_nothing_away_together(
    demo_url: str, db_url: str
) -> None:
    demo = db.make_engine(demo_url)
    areas = store.load_areas(demo, gemeenten=["GM0889"])
    demo.dispose()
    _fill(db_url, areas)
    _, first = _publish(db_url)
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
    pub, second = _publish(db_url, audit=True)
    assert second.table["code"].str.startswith("tweede").any()
    old_groups = set(_ledger_codes(first.groups).values())
    assert old_groups - set(_ledger_codes(second.groups).values())  # a group was chosen again

    # The outsider's system: every cell of the second release, and every group series of the
    # first under its own members, each group under its ledger code.
    groups = pd.concat([first.groups, second.groups], ignore_index=True)
    groups = groups.assign(code=[ledger_code(str(r.code), r.leden) for r in frames.rows(groups)])
    groups = groups.drop_duplicates("code")
    data = pub.data
    cells, links = raw_cells(
        data.signals,
        data.deliveries,
        data.plain_areas,
        indicator=INDICATOR,
        regions=data.cluster.regions,
        groups=groups,
    )
    key = cells["code"] + "|" + cells["periode"]
    raw = cells["teller"].to_numpy(dtype=float)
    knowledge = [key.map(_known(r)).to_numpy(dtype=float) for r in (first, second)]
    lows, highs = zip(*(bounds(k, ~np.isnan(k)) for k in knowledge), strict=True)
    secret = ~np.isnan(raw) & np.isnan(knowledge[0]) & np.isnan(knowledge[1])
    targets = np.flatnonzero(secret & (raw > 0) & (raw < 5)).astype(np.int64)
    assert len(targets) > 20
    found = attack(
        relations(validated_keys(cells), links, np.isnan(raw)),
        np.maximum(*lows),
        np.minimum(*highs),
        ~np.isnan(raw),
        targets,
        known=np.nan_to_num(raw),
    )
    pinned = ~protected(found.lo, found.hi)
    assert not pinned.any(), key.iloc[targets[pinned]].tolist()


def test_a_region_with_other_members_is_a_ghost_and_the_same_one_keeps_its_code() -> None:
    from data.publication.releases import Earlier, as_current, ghost_regions, release_rows

    before = [("rpf", ("GM0983", "GM0889")), ("oost", ("GM0983", "GM0893"))]
    now = [("rpf", ("GM0889", "GM0983")), ("oost", ("GM0983",))]  # same rpf, oost lost one
    groups = pd.DataFrame(columns=["code", "leden"])
    protected = pd.DataFrame(
        {
            "code": ["rpf", "oost", "GM0983"],
            "periode": "2024-01",
            "gemeentecode": ["", "", "GM0983"],
            "status": ["", "x", ""],
            "teller": [40.0, 3.0, 30.0],
            "level": ["regio", "regio", "gemeente"],
        }
    )
    rows = release_rows(protected, groups, before, "controles")
    assert set(rows["code"]) == {ledger_code(r, m) for r, m in before} | {"GM0983"}
    recorded = pd.DataFrame(
        [(r, "regio", m) for r, m in ((ledger_code(r, m), m) for r, m in before)],
        columns=["code", "soort", "leden"],
    )
    earlier = Earlier(rows.drop(columns="gemeentecode"), recorded)
    assert ghost_regions(earlier, now) == [(ledger_code(*before[1]), before[1][1])]
    current = as_current(earlier, groups, now, "controles")
    assert current is not None
    assert set(current["code"]) == {"rpf", ledger_code(*before[1]), "GM0983"}


def test_two_processes_recording_the_same_release_at_once_both_succeed(db_url: str) -> None:
    from data.publication import releases

    rows = pd.DataFrame(
        {
            "code": ["BU08890001", "g:behandeld"],
            "periode": "2024-01",
            "gemeentecode": "GM0889",
            "status": ["x", ""],
            "teller": [2.0, 7.0],
            "level": ["buurt", "groep"],
        }
    )
    groups = pd.DataFrame({"code": ["g:behandeld"], "leden": [("BU08890001", "BU08890002")]})
    record = releases.release_rows(rows, groups, [], INDICATOR)
    engine = db.make_engine(db_url)
    try:
        for _ in range(2):  # both loaded an empty record before either wrote
            releases.record(engine, record, groups, [], INDICATOR, earlier=None)
        with engine.connect() as conn:
            stored = conn.execute(select(db.releases.c.code, db.releases.c.status)).all()
            members = conn.execute(select(db.release_groups.c.leden)).all()
    finally:
        engine.dispose()
    assert sorted(stored) == sorted(zip(record["code"], record["status"], strict=True))
    assert [m[0] for m in members] == ["BU08890001|BU08890002"]


def test_a_record_from_before_the_indeling_column_is_upgraded_and_read(tmp_path: object) -> None:
    """A database whose record predates ``indeling_jaar`` gets the column; its cells read as
    released on the indeling they are published on now (NULL), nothing lost."""
    import sqlite3
    from pathlib import Path

    from data.publication import releases
    from data.publication.scope import Cluster

    path = Path(str(tmp_path)) / "oud.db"
    with sqlite3.connect(path) as conn:  # the record as the previous release made it
        conn.execute(
            "CREATE TABLE releases (indicator VARCHAR(80) NOT NULL, code VARCHAR(200) NOT NULL, "
            "periode VARCHAR(10) NOT NULL, gemeentecode VARCHAR(10) NOT NULL, status VARCHAR(1) "
            "NOT NULL, teller FLOAT, van INTEGER, tot INTEGER, "
            "PRIMARY KEY (indicator, code, periode))"
        )
        conn.execute(
            "INSERT INTO releases VALUES ('illegale_bewoning', 'WK088900', '2022-01', 'GM0889', "
            "'x', 3.0, 1, NULL)"
        )
    engine = db.make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            row = conn.execute(select(db.releases.c.code, db.releases.c.indeling_jaar)).one()
        assert tuple(row) == ("WK088900", None)
        cluster = Cluster(indelingen=(("GM0889", 2014),), regions=())
        earlier = releases.load(engine, cluster, "illegale_bewoning")
        cell = earlier.cells.iloc[0]
        assert (cell["code"], cell["sleutel"], cell["teller"]) == ("WK088900", "WK088900", 3.0)
        assert pd.isna(cell["indeling"])
    finally:
        engine.dispose()
