"""Shared helpers of the command-line handlers (dashboard/cli_*.py)."""

from __future__ import annotations

import sys

from sqlalchemy import Engine

from data import db
from data.settings import Settings


def nl(number: int) -> str:
    """Dutch thousands separator: 47990 -> 47.990."""
    return f"{number:,}".replace(",", ".")


def say(message: str) -> None:
    """Progress and outcomes for people go to stderr; data (JSON, listings) to stdout."""
    print(message, file=sys.stderr, flush=True)


def engine_for(settings: Settings) -> Engine:
    return db.make_engine(settings.db_url)


def audit_cli(settings: Settings, actie: str, details: str = "") -> None:
    """One audit row for a command-line action (area loads, exports, reports)."""
    from data.access.audit import record

    engine = engine_for(settings)
    try:
        record(engine, gebruiker="cli", actie=actie, details=details)
    finally:
        engine.dispose()
