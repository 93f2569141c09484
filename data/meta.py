"""What the database says about itself: meta rows, the data version, the peildatum."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, delete, func, insert, select

from data import db
from data.store import load_deliveries, read_frame


def set_meta(conn: Connection, key: str, value: str) -> None:
    conn.execute(delete(db.meta).where(db.meta.c.key == key))
    conn.execute(insert(db.meta).values(key=key, value=value))


def get_meta(conn: Connection | Engine, key: str, default: str = "") -> str:
    frame = read_frame(conn, select(db.meta.c.value).where(db.meta.c.key == key))
    return default if frame.empty else str(frame.iloc[0, 0])


# Row counts and highest ids of every table the dashboard shows figures from: an import,
# re-import, purge or new indeling changes at least one of them.
_VERSIONED = (
    "areas",
    "address_buurten",
    "signals",
    "deliveries",
    "findings",
    "interventions",
    "intervention_buurten",
    "import_log",
    "regions",
    "region_gemeenten",
)


def data_version(conn: Connection | Engine) -> str:
    """A short text that changes whenever stored figures change (counts, max ids, meta)."""
    parts = []
    for name in _VERSIONED:
        table = db.metadata.tables[name]
        parts.append(select(func.count()).select_from(table).scalar_subquery())
        if "id" in table.c:
            parts.append(select(func.max(table.c.id)).scalar_subquery())
    # A checksum of the counts themselves: a correction in place changes no count or id.
    s = db.signals.c
    parts.append(select(func.sum(s.teller * (s.id % 997 + 1))).scalar_subquery())
    counts = read_frame(conn, select(*parts)).iloc[0]
    meta = read_frame(conn, select(db.meta.c.key, db.meta.c.value).order_by(db.meta.c.key))
    return (
        "-".join("" if pd.isna(v) else str(v) for v in counts)
        + "|"
        + ";".join(f"{k}={v}" for k, v in zip(meta["key"], meta["value"], strict=True))
    )


def real_deliveries(conn: Connection | Engine) -> int:
    """How many accepted imports did not come from the demo (partner files, interventions)."""
    t = db.import_log.c
    query = (
        select(func.count())
        .select_from(db.import_log)
        .where(t.soort != "demo", t.gebruiker != "demo", t.uitkomst == "geaccepteerd")
    )
    count: Any = read_frame(conn, query).iloc[0, 0]
    return int(count)


def peildatum(conn: Connection | Engine) -> date | None:
    """The date of the most recent accepted delivery, the peildatum every screen shows."""
    frame = load_deliveries(conn)
    if frame.empty:
        return None
    return pd.Timestamp(frame["geleverd_op"].max()).date()
