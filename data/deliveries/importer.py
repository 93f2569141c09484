"""Partner deliveries (docs/contract.md, "Partner deliveries"): read, validate and import files.

Each file is all or nothing, in one transaction: its signals, findings, delivery records and
its import-log row. A refused file writes exactly one import-log row (``geweigerd``, with every
problem) in a transaction of its own, and nothing else.

Concurrent imports are safe: on SQLite the write transaction starts with ``BEGIN IMMEDIATE``
(one writer at a time; others wait up to the engine's timeout), on PostgreSQL it takes a
transaction-level advisory lock per ``bron`` before it looks for repeats, so two imports of the
same partner run one after the other and imports of different partners run side by side.
Transient failures (a locked SQLite file, a deadlock, a serialisation failure, a unique
violation from a writer that does not take the lock) are retried a few times.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.exc import DBAPIError

from data import db, store
from data.access.audit import audit, writing
from data.deliveries.locate import DbLocator
from data.deliveries.personal import area_words
from data.deliveries.store import Refused, save_aggregates, save_findings
from data.deliveries.tables import Table, load_table, read_table
from data.deliveries.validation import AGGREGATEN, BEVINDINGEN, ONBEKEND, Validated, validate
from data.settings import UploadLimits
from geo.errors import InputError

__all__ = ["Outcome", "import_files", "known_buurten", "read_table", "refuse", "validate"]

T = TypeVar("T")
ATTEMPTS = 5
_TRANSIENT_SQLSTATES = {"40001", "40P01", "23505", "55P03"}


@dataclass
class Outcome:
    """What happened to one file."""

    bestand: str
    soort: str  # buurtaggregaten | adresbevindingen | interventies | onbekend
    rijen: int
    geaccepteerd: bool
    problemen: list[str] = field(default_factory=list)
    import_id: int | None = None
    vervangen: int = 0


def import_files(
    engine: Engine,
    paths: Iterable[Path | str],
    *,
    vervang: bool,
    gebruiker: str = "cli",
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
    limits: UploadLimits | None = None,
) -> list[Outcome]:
    """Import each partner file on its own, all or nothing; accepted files stay when a later one
    is refused. ``vervang`` replaces rows that repeat earlier imports instead of refusing.
    ``limits`` bound each file before it is parsed (default: the settings' defaults)."""
    say = progress or (lambda _message: None)
    day = today or date.today()
    gemeenten = known_buurten(engine)
    words = known_area_words(engine)
    outcomes = []
    for path in paths:
        outcome = _import_one(
            engine, Path(path), vervang, gebruiker, day, (gemeenten, words), say, limits
        )
        say(f"{outcome.bestand}: {'geaccepteerd' if outcome.geaccepteerd else 'geweigerd'}")
        outcomes.append(outcome)
    return outcomes


def known_area_words(engine: Engine) -> frozenset[str]:
    """The words of every stored area name: "Klingerberg 17-10-2024" names no person."""
    with engine.connect() as conn:
        names = conn.execute(select(db.areas.c.name).distinct()).scalars().all()
    return area_words([str(n) for n in names])


def known_buurten(engine: Engine) -> dict[str, str]:
    """Every stored buurtcode (any indeling) with its gemeentecode."""
    a = db.areas.c
    with engine.connect() as conn:
        rows = conn.execute(select(a.code, a.gemeentecode).where(a.level == "buurt")).all()
    return {str(code): str(gemeente) for code, gemeente in rows}


def _import_one(
    engine: Engine,
    path: Path,
    vervang: bool,
    gebruiker: str,
    today: date,
    known: tuple[dict[str, str], frozenset[str]],
    say: Callable[[str], None],
    limits: UploadLimits | None,
) -> Outcome:
    gemeenten, words = known
    say(f"{path.name}: lezen")
    try:
        table = load_table(path, limits)
    except InputError as exc:
        return refuse(
            engine, path.name, _raw(path), ONBEKEND, 0, [str(exc)], gebruiker, log=[str(exc)]
        )
    say(f"{path.name}: controleren ({len(table.frame)} rijen)")
    checked = validate(
        table.frame,
        bestand=table.bestand,
        known_buurten=gemeenten.keys(),
        today=today,
        locator=DbLocator(engine),
        structural=table.problemen,
        known_words=words,
    )
    rijen = len(table.frame)
    if not checked.geldig:
        return refuse(
            engine,
            table.bestand,
            table.inhoud,
            checked.soort,
            rijen,
            checked.problemen,
            gebruiker,
            log=checked.log,
        )
    say(f"{path.name}: opslaan")
    try:
        import_id, vervangen = _store(engine, table, checked, vervang, gebruiker, gemeenten)
    except Refused as exc:
        return refuse(
            engine,
            table.bestand,
            table.inhoud,
            checked.soort,
            rijen,
            exc.problems,
            gebruiker,
            log=exc.problems,
        )
    return Outcome(table.bestand, checked.soort, rijen, True, [], import_id, vervangen)


def _raw(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def refuse(
    engine: Engine,
    bestand: str,
    inhoud: bytes,
    soort: str,
    rijen: int,
    problemen: list[str],
    gebruiker: str,
    log: list[str] | None = None,
) -> Outcome:
    """Log a refused file (one import-log row and its audit row, a transaction of their own) and
    return its outcome.

    ``log`` is what the import log keeps of the problems: positions and reasons, never a cell
    value (``checks.Problems.log_messages``); without it only the number of problems is kept.
    """
    with writing(engine, "wijkmonitor-import-log") as conn:
        import_id = store.log_import(
            conn,
            bestand=bestand,
            inhoud=inhoud,
            soort=soort,
            rijen=rijen,
            uitkomst="geweigerd",
            melding="\n".join(log) if log is not None else f"{len(problemen)} problemen",
            gebruiker=gebruiker,
        )
        audit(
            conn,
            gebruiker=gebruiker,
            actie="import geweigerd",
            details=f"{Path(bestand).name} ({soort}, {rijen} rijen, import {import_id})",
        )
    return Outcome(bestand, soort, rijen, False, problemen, import_id)


def _store(
    engine: Engine,
    table: Table,
    checked: Validated,
    vervang: bool,
    gebruiker: str,
    gemeenten: dict[str, str],
) -> tuple[int, int]:
    rows = checked.rows
    save = save_aggregates if checked.soort == AGGREGATEN else save_findings
    assert checked.soort in (AGGREGATEN, BEVINDINGEN)

    def work(conn: Connection) -> tuple[int, int]:
        import_id = store.log_import(
            conn,
            bestand=table.bestand,
            inhoud=table.inhoud,
            soort=checked.soort,
            rijen=len(rows),
            uitkomst="geaccepteerd",
            melding=f"{len(rows)} rijen",
            gebruiker=gebruiker,
        )
        vervangen = save(
            conn,
            rows,
            bestand=table.bestand,
            vervang=vervang,
            import_id=import_id,
            gemeenten=gemeenten,
        )
        if vervangen:
            _note_replaced(conn, import_id, len(rows), vervangen)
        audit(
            conn,
            gebruiker=gebruiker,
            actie="import",
            details=f"{table.bestand} ({checked.soort}, {len(rows)} rijen, import {import_id})",
        )
        return import_id, vervangen

    return locked_transaction(engine, sorted(rows["bron"].unique()), work)


def _note_replaced(conn: Connection, import_id: int, rijen: int, vervangen: int) -> None:
    conn.execute(
        db.import_log.update()
        .where(db.import_log.c.id == import_id)
        .values(melding=f"{rijen} rijen; {vervangen} eerder geïmporteerde rijen vervangen")
    )


def locked_transaction(engine: Engine, brons: Sequence[str], work: Callable[[Connection], T]) -> T:
    """Run ``work`` in one transaction holding the import lock for ``brons``; retry transient
    failures. Any other exception rolls the transaction back and propagates."""
    for attempt in range(ATTEMPTS):
        try:
            with engine.connect() as conn:
                _lock(conn, brons)
                result = work(conn)
                conn.commit()
                return result
        except DBAPIError as exc:
            if attempt == ATTEMPTS - 1 or not _transient(exc):
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


def _lock(conn: Connection, brons: Sequence[str]) -> None:
    if conn.dialect.name == "sqlite":
        # The write lock up front, so no other import can slip in between the repeat check and
        # the writes (pysqlite would otherwise begin only at the first INSERT).
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif conn.dialect.name == "postgresql":
        for bron in sorted(brons):
            conn.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                {"key": f"wijkmonitor-import:{bron}"},
            )


def _transient(exc: DBAPIError) -> bool:
    if "database is locked" in str(exc.orig):
        return True
    return getattr(exc.orig, "sqlstate", None) in _TRANSIENT_SQLSTATES
