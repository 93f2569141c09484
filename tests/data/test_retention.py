"""Retention: findings and log rows past the bewaartermijn go; buurt aggregates stay."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from data import db
from data.retention import count_findings, purge


def _copy(demo_url: str, tmp_path: Path) -> str:
    target = tmp_path / "purge.db"
    shutil.copy(Path(demo_url.removeprefix("sqlite:///")), target)
    return f"sqlite:///{target}"


def test_purge_removes_old_findings_and_logs_but_keeps_aggregates(
    demo_url: str, tmp_path: Path
) -> None:
    engine = db.make_engine(_copy(demo_url, tmp_path))
    with engine.begin() as conn:
        sums_before = conn.execute(
            select(func.sum(db.signals.c.teller)).where(db.signals.c.soort == "bevindingen")
        ).scalar_one()
    assert count_findings(engine) > 0
    # the demo's controleavonden are in Oct/Nov 2024: a limit of 09-11-2024 keeps November
    summary = purge(engine, bewaartermijn_dagen=745, today=date(2026, 11, 24))
    assert summary.grens == date(2024, 11, 9)
    with engine.connect() as conn:
        dates = set(conn.execute(select(db.findings.c.datum)).scalars())
        sums_after = conn.execute(
            select(func.sum(db.signals.c.teller)).where(db.signals.c.soort == "bevindingen")
        ).scalar_one()
        audit = conn.execute(select(db.audit_log.c.gebruiker, db.audit_log.c.actie)).all()
    assert dates == {date(2024, 11, 21)} and summary.bevindingen > 0
    assert sums_after == sums_before, "buurt aggregates stay"
    # the audit log has its own, longer term (tests/data/test_audit_log.py): the demo's rows stay
    assert summary.auditlog == 0 and ("demo", "import") in audit
    assert ("cli", "purge") in audit


def test_purge_everything_old_keeps_the_database_consistent(demo_url: str, tmp_path: Path) -> None:
    engine = db.make_engine(_copy(demo_url, tmp_path))
    summary = purge(engine, bewaartermijn_dagen=1, today=date(2100, 1, 1))
    assert summary.importlog > 0 and count_findings(engine) == 0
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(db.signals)).scalar_one() > 0
        assert conn.execute(select(func.count()).select_from(db.import_log)).scalar_one() == 0
