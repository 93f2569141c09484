"""The audit log: append-only, every row chained to the one before by a SHA-256 hash.

Each row stores its position (``volgnummer``), the previous row's hash and its own hash over
its content and that previous hash. Changing, removing or reordering a row breaks the chain,
and ``verify`` says where. The head row (``audit_head``) holds the end of the chain, so that
removing the newest rows shows too, and after a purge the anchor: the last removed row, which
the purge's own audit row names. Triggers refuse UPDATE and DELETE outside a purge
(``data.migrate``).

Every append first locks the head row (an UPDATE: a row lock on PostgreSQL, the write lock on
SQLite), in the caller's transaction: concurrent writers queue, the chain never forks, and an
audit row commits or rolls back with the action it records.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, delete, func, insert, select, update

from data import db

GENESIS = "0" * 64
_GEBRUIKER_MAX = 100
_ACTIE_MAX = 100


def _iso(moment: datetime) -> str:
    """A timestamp as stored and hashed: UTC, microseconds (SQLite returns it without zone)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_hash(
    volgnummer: int, tijdstip: datetime, gebruiker: str, actie: str, details: str, vorige: str
) -> str:
    """The SHA-256 of one row's content and the previous row's hash (canonical JSON)."""
    content = [volgnummer, _iso(tijdstip), gebruiker, actie, details, vorige]
    text = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def ensure_head(conn: Connection) -> None:
    """Create the head row (an empty chain) when it is not there yet."""
    h = db.audit_head
    if conn.execute(select(h.c.id).where(h.c.id == 1)).first() is None:
        conn.execute(
            insert(h).values(
                id=1, volgnummer=0, hash=GENESIS, anker_volgnummer=0, anker_hash=GENESIS, purge=0
            )
        )


def seal_unchained(conn: Connection) -> int:
    """Chain audit rows written before the chain existed (an upgraded database), oldest first."""
    a = db.audit_log
    rows = conn.execute(
        select(a.c.id, a.c.tijdstip, a.c.gebruiker, a.c.actie, a.c.details)
        .where(a.c.volgnummer.is_(None))
        .order_by(a.c.id)
    ).all()
    for row in rows:
        _append(conn, row.tijdstip, row.gebruiker, row.actie, row.details or "", row_id=row.id)
    return len(rows)


def audit(
    conn: Connection,
    *,
    gebruiker: str,
    actie: str,
    details: str = "",
    tijdstip: datetime | None = None,
) -> None:
    """Append one row to the audit log in the caller's transaction.

    Never put cell values of partner files, passwords or other personal data in ``details``.
    """
    _append(
        conn,
        tijdstip or datetime.now(UTC),
        gebruiker[:_GEBRUIKER_MAX] or "?",
        actie[:_ACTIE_MAX],
        details,
    )


def _append(
    conn: Connection,
    tijdstip: datetime,
    gebruiker: str,
    actie: str,
    details: str,
    *,
    row_id: int | None = None,
) -> None:
    h = db.audit_head
    # The UPDATE comes first: it takes the lock before the head is read.
    conn.execute(update(h).where(h.c.id == 1).values(volgnummer=h.c.volgnummer + 1))
    head = conn.execute(select(h.c.volgnummer, h.c.hash).where(h.c.id == 1)).one()
    volgnummer = int(head.volgnummer)
    moment = tijdstip if tijdstip.tzinfo else tijdstip.replace(tzinfo=UTC)
    digest = row_hash(volgnummer, moment, gebruiker, actie, details, head.hash)
    values = dict(volgnummer=volgnummer, vorige_hash=head.hash, hash=digest)
    a = db.audit_log
    if row_id is None:
        conn.execute(
            insert(a).values(
                tijdstip=moment, gebruiker=gebruiker, actie=actie, details=details, **values
            )
        )
    else:
        conn.execute(update(a).where(a.c.id == row_id).values(**values))
    conn.execute(update(h).where(h.c.id == 1).values(hash=digest))


@contextmanager
def writing(engine: Engine, key: str = "wijkmonitor-audit") -> Iterator[Connection]:
    """A write transaction that starts with the write lock (see ``db.write_lock``)."""
    with engine.connect() as conn:
        db.write_lock(conn, key)
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()


def record(engine: Engine, *, gebruiker: str, actie: str, details: str = "") -> None:
    """Append one audit row in a transaction of its own."""
    with writing(engine) as conn:
        audit(conn, gebruiker=gebruiker, actie=actie, details=details)


# --- verification -------------------------------------------------------------------------------


@dataclass
class Verification:
    """The outcome of ``verify``: how many rows, the chain's ends, and every break found."""

    rijen: int = 0
    eerste: int | None = None
    laatste: int | None = None
    kop_hash: str = GENESIS
    anker: int = 0
    problemen: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problemen


def verify(conn: Connection | Engine) -> Verification:
    """Walk the chain from the anchor to the head and report every changed, removed or
    reordered row (by volgnummer)."""
    if isinstance(conn, Engine):
        with conn.connect() as connection:
            return verify(connection)
    h, a = db.audit_head, db.audit_log
    head = conn.execute(select(h).where(h.c.id == 1)).first()
    result = Verification()
    if head is None:
        result.problemen.append("de kop van de keten (audit_head) ontbreekt.")
        return result
    result.kop_hash, result.anker = head.hash, int(head.anker_volgnummer)
    expected, previous = int(head.anker_volgnummer) + 1, head.anker_hash
    query = select(
        a.c.id,
        a.c.tijdstip,
        a.c.gebruiker,
        a.c.actie,
        a.c.details,
        a.c.volgnummer,
        a.c.vorige_hash,
        a.c.hash,
    ).order_by(a.c.volgnummer, a.c.id)
    anchor_named = head.anker_volgnummer == 0
    for row in conn.execute(query):
        result.rijen += 1
        _check_row(row, expected, previous, result)
        if row.volgnummer is not None:
            expected = int(row.volgnummer) + 1
        result.eerste = result.eerste if result.eerste is not None else row.volgnummer
        result.laatste = row.volgnummer
        previous = row.hash
        if row.actie == "purge" and f"anker={head.anker_volgnummer}:{head.anker_hash}" in (
            row.details or ""
        ):
            anchor_named = True
    if (result.laatste or int(head.anker_volgnummer)) != int(head.volgnummer) or (
        previous != head.hash
    ):
        result.problemen.append(
            f"de keten eindigt bij volgnummer {result.laatste or head.anker_volgnummer}, maar de "
            f"kop verwijst naar volgnummer {head.volgnummer}: de laatste rijen zijn verwijderd of "
            "gewijzigd."
        )
    if not anchor_named:
        result.problemen.append(
            f"het anker (volgnummer {head.anker_volgnummer}) wordt door geen purge-regel genoemd: "
            "het begin van de keten is verplaatst."
        )
    return result


def _check_row(
    row: Row[*tuple[Any, ...]], expected: int, previous: str, result: Verification
) -> None:
    volgnummer = row.volgnummer
    if volgnummer is None:
        result.problemen.append(f"rij {row.id} heeft geen volgnummer (buiten de keten).")
        return
    if volgnummer > expected:
        gap = f"{expected}" if volgnummer == expected + 1 else f"{expected} t/m {volgnummer - 1}"
        result.problemen.append(f"volgnummer {gap} ontbreekt: rij(en) verwijderd.")
    elif volgnummer < expected:
        result.problemen.append(f"volgnummer {volgnummer} staat dubbel of niet op zijn plaats.")
    if row.vorige_hash != previous:
        result.problemen.append(
            f"volgnummer {volgnummer}: verwijst niet naar de rij ervoor (volgorde veranderd of "
            "rij ertussen verwijderd)."
        )
    digest = row_hash(
        volgnummer, row.tijdstip, row.gebruiker, row.actie, row.details or "", row.vorige_hash or ""
    )
    if digest != row.hash:
        result.problemen.append(f"volgnummer {volgnummer}: de inhoud is gewijzigd.")


# --- purge --------------------------------------------------------------------------------------


def purge_before(conn: Connection, moment: datetime) -> tuple[int, str]:
    """Delete the rows before ``moment`` that form the start of the chain; return the anchor.

    Only a prefix goes (up to the first row at or after ``moment``), so the rest still verifies
    from the anchor. The caller appends the purge's own row, naming ``anker=<nr>:<hash>``.
    Returns the number of rows deleted and that anchor text.
    """
    h, a = db.audit_head, db.audit_log
    conn.execute(update(h).where(h.c.id == 1).values(purge=1))  # also: the head's lock
    first_kept = conn.execute(
        select(func.min(a.c.volgnummer)).where(a.c.tijdstip >= moment)
    ).scalar_one()
    cut = a.c.volgnummer < first_kept if first_kept is not None else a.c.volgnummer.is_not(None)
    last = conn.execute(
        select(a.c.volgnummer, a.c.hash).where(cut).order_by(a.c.volgnummer.desc()).limit(1)
    ).first()
    deleted = 0
    if last is not None:
        deleted = conn.execute(delete(a).where(cut)).rowcount
        conn.execute(
            update(h)
            .where(h.c.id == 1)
            .values(anker_volgnummer=last.volgnummer, anker_hash=last.hash)
        )
    conn.execute(update(h).where(h.c.id == 1).values(purge=0))
    anchor = conn.execute(select(h.c.anker_volgnummer, h.c.anker_hash).where(h.c.id == 1)).one()
    return deleted, f"anker={anchor.anker_volgnummer}:{anchor.anker_hash}"
