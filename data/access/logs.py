"""The import log and the audit log, read for the beheerder's Data page."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, select

from data import db

TIMEZONE = "Europe/Amsterdam"


def _local(frame: pd.DataFrame) -> pd.DataFrame:
    """Timestamps as Dutch local time text: 28-11-2026 12:45 (stored in UTC)."""
    if frame.empty:
        return frame
    stamps = pd.to_datetime(frame["tijdstip"], utc=True).dt.tz_convert(TIMEZONE)
    return frame.assign(tijdstip=stamps.dt.strftime("%d-%m-%Y %H:%M"))


def import_log(engine: Engine, *, limit: int = 200) -> pd.DataFrame:
    """The newest import-log rows: who, when, file, hash, rows, outcome, message."""
    t = db.import_log
    query = (
        select(
            t.c.tijdstip,
            t.c.gebruiker,
            t.c.bestand,
            t.c.sha256,
            t.c.soort,
            t.c.rijen,
            t.c.uitkomst,
            t.c.melding,
        )
        .order_by(t.c.id.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        result = conn.execute(query)
        return _local(pd.DataFrame([tuple(r) for r in result], columns=list(result.keys())))


def audit_log(engine: Engine, *, limit: int = 200) -> pd.DataFrame:
    """The newest audit-log rows: who did what, when."""
    t = db.audit_log
    query = (
        select(t.c.tijdstip, t.c.gebruiker, t.c.actie, t.c.details)
        .order_by(t.c.id.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        result = conn.execute(query)
        return _local(pd.DataFrame([tuple(r) for r in result], columns=list(result.keys())))
