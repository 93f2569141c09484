"""RPF regions: which gemeenten meet together in a Regionaal Platform Fraudebestrijding."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd
from sqlalchemy import Connection, Engine, delete, insert, select

from data import db
from geo.errors import InputError

_GEMEENTE = re.compile(r"^GM\d{4}$")


def add_region(conn: Connection, region_id: str, *, naam: str, gemeenten: Sequence[str]) -> None:
    """Create or replace a region. Raise InputError for a bad id or gemeentecode."""
    problems = [
        f"gemeentecode {g!r} is geen GM + 4 cijfers" for g in gemeenten if not _GEMEENTE.match(g)
    ]
    if not re.match(r"^[a-z0-9][a-z0-9-]{0,99}$", region_id):
        problems.append(f"regio-id {region_id!r}: gebruik kleine letters, cijfers en '-'")
    if not gemeenten:
        problems.append("geef minstens één --gemeente")
    if problems:
        raise InputError("De regio is niet opgeslagen.", problems)
    conn.execute(delete(db.region_gemeenten).where(db.region_gemeenten.c.region_id == region_id))
    conn.execute(delete(db.regions).where(db.regions.c.id == region_id))
    conn.execute(insert(db.regions).values(id=region_id, naam=naam))
    conn.execute(
        insert(db.region_gemeenten),
        [{"region_id": region_id, "gemeentecode": g} for g in dict.fromkeys(gemeenten)],
    )


def load_regions(conn: Connection | Engine) -> pd.DataFrame:
    """Regions with ``id``, ``naam`` and ``gemeenten`` (a sorted list), sorted by id."""
    if isinstance(conn, Engine):
        with conn.connect() as c:
            return load_regions(c)
    regions = conn.execute(select(db.regions.c.id, db.regions.c.naam)).all()
    members = conn.execute(select(db.region_gemeenten)).all()
    by_region: dict[str, list[str]] = {}
    for region_id, gemeente in members:
        by_region.setdefault(region_id, []).append(gemeente)
    return pd.DataFrame(
        [{"id": r, "naam": n, "gemeenten": sorted(by_region.get(r, []))} for r, n in regions],
        columns=["id", "naam", "gemeenten"],
    ).sort_values("id", ignore_index=True)
