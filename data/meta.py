"""What the database says about itself: meta rows, the data version, the peildatum."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, delete, func, insert, literal_column, select

from data import db
from data.migrate import VERSIONED
from data.store import load_deliveries, read_frame


def set_meta(conn: Connection, key: str, value: str) -> None:
    conn.execute(delete(db.meta).where(db.meta.c.key == key))
    conn.execute(insert(db.meta).values(key=key, value=value))


def get_meta(conn: Connection | Engine, key: str, default: str = "") -> str:
    frame = read_frame(conn, select(db.meta.c.value).where(db.meta.c.key == key))
    return default if frame.empty else str(frame.iloc[0, 0])


def data_version(conn: Connection | Engine) -> str:
    """A short text that changes whenever stored figures change: the counter that triggers move
    on every change to the tables figures come from (``data.migrate.VERSIONED``, whichever
    program changes them, committed with the change), and the meta values.

    One indexed row (on SQLite also each table's highest rowid, a look-up): counting and summing
    the tables instead took 0,7-1,0 s with the national signals, every 15 s in every dashboard
    process, and missed changes in place (new geometry for the same buurten, a region's
    gemeenten swapped).
    """
    parts = [select(db.data_changes.c.teller).where(db.data_changes.c.id == 1).scalar_subquery()]
    if (conn.engine if isinstance(conn, Connection) else conn).dialect.name == "sqlite":
        # New rows: the highest rowid of each table (the triggers count updates and deletes).
        parts += [
            select(func.max(literal_column("rowid")))
            .select_from(db.metadata.tables[t])
            .scalar_subquery()
            for t in VERSIONED
        ]
    counts = read_frame(conn, select(*parts)).iloc[0]
    meta = read_frame(conn, select(db.meta.c.key, db.meta.c.value).order_by(db.meta.c.key))
    return (
        "-".join("" if pd.isna(v) else str(int(v)) for v in counts)
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
