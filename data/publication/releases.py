"""What earlier releases showed, so that a new publication stays consistent with them.

A publication is protected against the numbers published *with* it. But figures leave the
server again and again (a CSV in October, a briefing in November), and between two releases the
relations can change: an intervention is registered (its group series ties buurten of several
wijken), a region is formed, a quarter or a year becomes complete. Protected from scratch, the
new release may hide a cell the old one showed and show a total the old one hid; an outsider
holding both solves the equations of both at once, and on the demo that pinned 72 secret cells
(``tests/data/test_releases.py``).

So every cell's status is recorded when it is published (``record``), with the raw count it
had; the next publication of the cluster keeps the status of every cell whose count is still
the same (``indicators.disclosure.disclose``, ``released``): shown stays shown with the same
rounded value, secret stays secret, and a new relation is protected around them (its new total
is hidden where needed). A corrected count is a new cell.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, delete, insert, select, tuple_

from data import db
from data.publication.scope import Cluster
from indicators.disclosure import RELEASE_COLUMNS

CHUNK = 500


def load(engine: Engine, cluster: Cluster, indicator: str) -> pd.DataFrame:
    """Earlier releases of ``indicator`` (and of its protected noemer) in ``cluster``:
    ``indicator`` and ``RELEASE_COLUMNS``."""
    t = db.releases.c
    names = [indicator, indicator + ":noemer"]
    region_ids = [r for r, _ in cluster.regions]
    where = t.indicator.in_(names) & (
        t.gemeentecode.in_(list(cluster.gemeenten)) | t.code.in_(region_ids or [""])
    )
    query = select(t.indicator, t.code, t.periode, t.status, t.teller).where(where)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return pd.DataFrame(rows, columns=["indicator", *RELEASE_COLUMNS])


def record(engine: Engine, rows: pd.DataFrame) -> None:
    """Store ``rows`` (``indicator, gemeentecode`` and ``RELEASE_COLUMNS``) as the latest
    release of their cells, replacing what was recorded of them."""
    if rows.empty:
        return
    columns = ["indicator", "code", "periode", "gemeentecode", "status", "teller"]
    records: list[dict[str, object]] = [
        dict(zip(columns, (*row[:5], None if pd.isna(row[5]) else float(row[5])), strict=True))
        for row in rows[columns].itertuples(index=False, name=None)
    ]
    t = db.releases.c
    with engine.begin() as conn:
        for start in range(0, len(records), CHUNK):
            chunk = records[start : start + CHUNK]
            keys = [(r["indicator"], r["code"], r["periode"]) for r in chunk]
            conn.execute(
                delete(db.releases).where(tuple_(t.indicator, t.code, t.periode).in_(keys))
            )
            conn.execute(insert(db.releases), chunk)
