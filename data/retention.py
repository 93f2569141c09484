"""Retention (AVG): address findings and log rows are kept no longer than the bewaartermijn.

Buurt aggregates stay: the monthly sums of findings live on in ``signals`` (soort
'bevindingen'), and the deliveries table keeps which bron delivered which period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, delete, func, select, update

from data import db
from data.access.users import audit


@dataclass(frozen=True)
class PurgeSummary:
    grens: date
    bevindingen: int
    importlog: int
    auditlog: int


def purge(engine: Engine, *, bewaartermijn_dagen: int, today: date | None = None,
          gebruiker: str = "cli") -> PurgeSummary:  # fmt: skip
    """Delete findings dated, and log rows written, before today minus the bewaartermijn.

    References from kept rows to a deleted import-log row are cleared first. The purge itself
    is written to the audit log (after the deletion, so that row stays).
    """
    if bewaartermijn_dagen < 1:
        raise ValueError("De bewaartermijn moet minstens 1 dag zijn.")
    grens = (today or date.today()) - timedelta(days=bewaartermijn_dagen)
    moment = datetime(grens.year, grens.month, grens.day, tzinfo=UTC)
    with engine.begin() as conn:
        findings = conn.execute(delete(db.findings).where(db.findings.c.datum < grens)).rowcount
        old_imports = select(db.import_log.c.id).where(db.import_log.c.tijdstip < moment)
        for table in (db.signals, db.deliveries, db.findings):
            conn.execute(
                update(table).where(table.c.import_id.in_(old_imports)).values(import_id=None)
            )
        imports = conn.execute(
            delete(db.import_log).where(db.import_log.c.tijdstip < moment)
        ).rowcount
        audits = conn.execute(delete(db.audit_log).where(db.audit_log.c.tijdstip < moment)).rowcount
        audit(conn, gebruiker=gebruiker, actie="purge",
              details=f"grens={grens} bevindingen={findings} importlog={imports} auditlog={audits}")  # fmt: skip
    return PurgeSummary(grens, findings, imports, audits)


def count_findings(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(db.findings)).scalar_one())
