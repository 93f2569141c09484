"""The audit log's hash chain: appended in order, verified, tamper-evident, purged with an anchor,
and never forked by concurrent writers (SQLite and PostGIS)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError

from dashboard.cli import main
from data import db
from data.access.audit import audit, record, verify, writing
from data.retention import purge


@pytest.fixture
def engine(db_url: str) -> Engine:
    engine = db.make_engine(db_url)
    yield engine  # type: ignore[misc]
    engine.dispose()


def _fill(engine: Engine, n: int = 5) -> None:
    for i in range(n):
        record(engine, gebruiker=f"gebruiker{i}", actie="inloggen", details=f"client=10.0.0.{i}")


def _drop_guards(engine: Engine) -> None:
    """What an attacker with database rights would do first: remove the append-only triggers."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
        else:
            conn.exec_driver_sql("DROP TRIGGER audit_log_append_only ON audit_log")


def _verify_cli(db_url: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["--db", db_url, "audit-log", "verify"])
    out, err = capsys.readouterr()
    return code, out + err


def test_an_untouched_chain_verifies(
    engine: Engine, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _fill(engine)
    result = verify(engine)
    assert result.intact and result.rijen == 5 and (result.eerste, result.laatste) == (1, 5)
    code, out = _verify_cli(db_url, capsys)
    assert code == 0 and "Auditlog in orde: 5 regels" in out


def test_rows_cannot_be_changed_or_deleted_by_plain_sql(engine: Engine) -> None:
    _fill(engine, 2)
    for statement in ("UPDATE audit_log SET details = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="alleen-toevoegen"), engine.begin() as conn:
            conn.exec_driver_sql(statement)
    assert verify(engine).rijen == 2


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        ("UPDATE audit_log SET details = 'client=1.2.3.4' WHERE volgnummer = 3", "gewijzigd"),
        ("DELETE FROM audit_log WHERE volgnummer = 2", "ontbreekt"),
        ("DELETE FROM audit_log WHERE volgnummer = 5", "laatste rijen"),
        # two rows swap places: each keeps its own hash but now follows the wrong row (through
        # a free number: the unique index is checked row by row)
        (
            "UPDATE audit_log SET volgnummer = 99 WHERE volgnummer = 2; "
            "UPDATE audit_log SET volgnummer = 2 WHERE volgnummer = 3; "
            "UPDATE audit_log SET volgnummer = 3 WHERE volgnummer = 99",
            "volgorde",
        ),
    ],
)
def test_a_changed_removed_or_reordered_row_fails_verify(
    engine: Engine, db_url: str, capsys: pytest.CaptureFixture[str], tamper: str, expected: str
) -> None:
    _fill(engine)
    _drop_guards(engine)
    with engine.begin() as conn:
        for statement in tamper.split("; "):
            conn.exec_driver_sql(statement)
    result = verify(engine)
    assert not result.intact
    assert any(expected in p for p in result.problemen), result.problemen
    code, out = _verify_cli(db_url, capsys)
    assert code == 1 and "NIET in orde" in out


def test_purge_keeps_the_chain_verifiable_with_its_own_term(
    engine: Engine, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with writing(engine) as conn:
        for year in (2019, 2020, 2023, 2025):
            audit(
                conn,
                gebruiker="oud",
                actie="inloggen",
                details=str(year),
                tijdstip=datetime(year, 6, 1, tzinfo=UTC),
            )
    # data term 30 days, audit term 5 years: only the rows before 24-11-2021 go
    summary = purge(
        engine, bewaartermijn_dagen=30, audit_bewaartermijn_dagen=1826, today=date(2026, 11, 24)
    )
    assert summary.auditlog == 2 and summary.audit_grens == date(2021, 11, 24)
    with engine.connect() as conn:
        details = conn.execute(select(db.audit_log.c.details).order_by(db.audit_log.c.volgnummer))
        kept = list(details.scalars())
    assert kept[:2] == ["2023", "2025"] and "anker=2:" in kept[2]
    result = verify(engine)
    assert result.intact, result.problemen
    assert result.anker == 2 and result.eerste == 3
    code, out = _verify_cli(db_url, capsys)
    assert code == 0 and "opgeschoond tot anker 2" in out


def test_a_moved_anchor_is_noticed(engine: Engine) -> None:
    _fill(engine, 3)
    with engine.begin() as conn:  # cut off the start and move the anchor behind it
        conn.execute(db.audit_head.update().values(purge=1))
        conn.exec_driver_sql("DELETE FROM audit_log WHERE volgnummer = 1")
        row1 = conn.execute(
            select(db.audit_log.c.vorige_hash).where(db.audit_log.c.volgnummer == 2)
        ).scalar_one()
        conn.execute(db.audit_head.update().values(purge=0, anker_volgnummer=1, anker_hash=row1))
    result = verify(engine)
    assert any("anker" in p for p in result.problemen)


def test_concurrent_writers_do_not_fork_the_chain(engine: Engine) -> None:
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(10):
                record(engine, gebruiker=f"w{n}", actie="download", details=str(i))
        except BaseException as exc:  # reported below: a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    result = verify(engine)
    assert result.intact, result.problemen
    assert result.rijen == 60 and result.laatste == 60
    with engine.connect() as conn:
        distinct = conn.execute(select(func.count(func.distinct(db.audit_log.c.vorige_hash))))
        assert distinct.scalar_one() == 60  # every row follows a different row: no fork


def test_rows_written_before_the_chain_are_sealed_on_upgrade(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "oud.db"
    import sqlite3

    with sqlite3.connect(path) as conn:  # the audit table as the previous release made it
        conn.execute(
            "CREATE TABLE audit_log (id INTEGER PRIMARY KEY AUTOINCREMENT, tijdstip DATETIME "
            "NOT NULL, gebruiker VARCHAR(100) NOT NULL, actie VARCHAR(100) NOT NULL, details "
            "TEXT NOT NULL)"
        )
        conn.execute(
            "INSERT INTO audit_log (tijdstip, gebruiker, actie, details) VALUES "
            "('2026-01-02 10:00:00.000000', 'cli', 'purge', ''), "
            "('2026-01-03 10:00:00.000000', 'beheer', 'inloggen', '')"
        )
    engine = db.make_engine(f"sqlite:///{path}")
    result = verify(engine)
    assert result.intact and result.rijen == 2
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_log WHERE hash IS NULL")).scalar() == 0
    engine.dispose()
