"""Retention (AVG): address findings and log rows are kept no longer than the bewaartermijn.

Buurt aggregates stay: the monthly sums of findings live on in ``signals`` (soort
'bevindingen'), and the deliveries table keeps which bron delivered which period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, delete, func, select, update

from data import db
from data.access.audit import audit, purge_before, writing
from data.access.login import forget_expired


@dataclass(frozen=True)
class PurgeSummary:
    grens: date
    bevindingen: int
    importlog: int
    auditlog: int
    audit_grens: date | None = None


def purge(
    engine: Engine,
    *,
    bewaartermijn_dagen: int,
    audit_bewaartermijn_dagen: int = 1826,
    today: date | None = None,
    gebruiker: str = "cli",
) -> PurgeSummary:
    """Delete findings dated, and import-log rows written, before today minus the bewaartermijn;
    audit-log rows before today minus their own (longer) term.

    References from kept rows to a deleted import-log row are cleared first. The audit log loses
    only the start of its chain, and keeps an anchor so that it still verifies. The purge itself
    is written to the audit log (after the deletion, so that row stays), naming that anchor.
    """
    if bewaartermijn_dagen < 1 or audit_bewaartermijn_dagen < 1:
        raise ValueError("De bewaartermijn moet minstens 1 dag zijn.")
    day = today or date.today()
    grens = day - timedelta(days=bewaartermijn_dagen)
    audit_grens = day - timedelta(days=audit_bewaartermijn_dagen)
    moment = _midnight(grens)
    with writing(engine, "wijkmonitor-purge") as conn:
        findings = conn.execute(delete(db.findings).where(db.findings.c.datum < grens)).rowcount
        old_imports = select(db.import_log.c.id).where(db.import_log.c.tijdstip < moment)
        for table in (db.signals, db.deliveries, db.findings):
            conn.execute(
                update(table).where(table.c.import_id.in_(old_imports)).values(import_id=None)
            )
        imports = conn.execute(
            delete(db.import_log).where(db.import_log.c.tijdstip < moment)
        ).rowcount
        # throttle rows hold client addresses: gone once their count and lockout are over
        forget_expired(conn, datetime.now(UTC), timedelta(days=1))
        audits, anchor = purge_before(conn, _midnight(audit_grens))
        audit(
            conn,
            gebruiker=gebruiker,
            actie="purge",
            details=f"grens={grens} bevindingen={findings} importlog={imports} "
            f"auditgrens={audit_grens} auditlog={audits} {anchor}",
        )
    return PurgeSummary(grens, findings, imports, audits, audit_grens)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def count_findings(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(db.findings)).scalar_one())
