"""Address-level findings for the analyst role: recorded facts, never predictions or rankings.

Every read is written to the audit log in the same transaction: no view without a trace.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Engine, and_, func, select

from data import db
from data.access.audit import audit, writing
from data.access.users import User
from geo.areas import buurt_prefix

COLUMNS = [
    "datum",
    "signaal",
    "bron",
    "zaak_id",
    "postcode",
    "huisnummer",
    "huisletter",
    "toevoeging",
    "buurtcode",
]


def view_findings(
    engine: Engine, user: User, *, gemeente: str, buurtcode: str | None, van: date, tot: date
) -> pd.DataFrame:
    """Findings in ``gemeente`` (optionally one buurt) between ``van`` and ``tot``, by date.

    Only an analyst of that gemeente may read them (PermissionError otherwise). Sorted by date
    and then signal, never by how often an address occurs: this is no risk list.
    """
    if not user.ziet_adressen or gemeente not in user.gemeenten:
        raise PermissionError(
            "Adresgegevens zijn alleen zichtbaar voor analisten van de eigen gemeente."
        )
    f, a = db.findings, db.addresses
    query = (
        select(
            f.c.datum,
            f.c.signaal,
            f.c.bron,
            f.c.zaak_id,
            a.c.postcode,
            a.c.huisnummer,
            a.c.huisletter,
            a.c.toevoeging,
            f.c.buurtcode,
        )
        .select_from(f.outerjoin(a, a.c.bag_id == f.c.bag_id))
        .where(
            and_(
                f.c.buurtcode.startswith(buurt_prefix(gemeente)),
                f.c.datum >= van,
                f.c.datum <= tot,
            )
        )
        .order_by(f.c.datum, f.c.signaal)
    )
    if buurtcode:
        query = query.where(f.c.buurtcode == buurtcode)
    with writing(engine) as conn:  # the read and its audit row: one transaction
        rows = [tuple(r) for r in conn.execute(query)]
        audit(
            conn,
            gebruiker=user.naam,
            actie="adressen bekeken",
            details=f"gemeente={gemeente} buurt={buurtcode or 'alle'} van={van} tot={tot} rijen={len(rows)}",
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def latest_finding_date(engine: Engine, gemeente: str) -> date | None:
    """The date of the newest finding in ``gemeente`` (no address is read, so no audit row)."""
    with engine.connect() as conn:
        value = conn.execute(
            select(func.max(db.findings.c.datum)).where(
                db.findings.c.buurtcode.startswith(buurt_prefix(gemeente))
            )
        ).scalar_one()
    return None if value is None else pd.Timestamp(value).date()
