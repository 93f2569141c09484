"""The login throttle lives in the database: replicas share it, per name and per client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from data import db
from data.access.login import attempt_login
from data.access.users import add_user

PASSWORD = "correct-paard-batterij"
T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def replicas(db_url: str) -> tuple[Engine, Engine]:
    """Two engines on one database: two dashboard replicas behind one PostGIS."""
    first = db.make_engine(db_url)
    with first.begin() as conn:
        add_user(conn, "wh", rol="wethouder", wachtwoord=PASSWORD, gemeenten=["GM0983"])
        add_user(conn, "ander", rol="wethouder", wachtwoord=PASSWORD, gemeenten=["GM0983"])
    second = db.make_engine(db_url)
    yield first, second  # type: ignore[misc]
    first.dispose()
    second.dispose()


def _try(engine: Engine, naam: str, wachtwoord: str, client: str, minutes: float = 0):  # type: ignore[no-untyped-def]
    return attempt_login(
        engine,
        naam,
        wachtwoord,
        client=client,
        pogingen=5,
        blokkade_minuten=15,
        now=T0 + timedelta(minutes=minutes),
    )


def test_failures_on_two_replicas_add_up_and_lock_the_name(
    replicas: tuple[Engine, Engine],
) -> None:
    a, b = replicas
    for i in range(5):  # alternately on each replica, from different clients
        outcome = _try(a if i % 2 else b, "wh", "fout", f"10.0.0.{i}", i)
    assert outcome.geblokkeerd_tot == T0 + timedelta(minutes=4 + 15)
    refused = _try(a, "wh", PASSWORD, "10.0.0.99", 5)
    assert refused.user is None and refused.geblokkeerd_tot is not None
    assert _try(b, "ander", PASSWORD, "10.0.0.99", 5).user is not None  # others may log in
    assert _try(b, "WH", PASSWORD, "10.0.0.99", 18).user is None  # names: case-insensitive
    assert _try(a, "wh", PASSWORD, "10.0.0.99", 19.5).user is not None  # after 15 minutes


def test_one_client_trying_many_names_is_locked(replicas: tuple[Engine, Engine]) -> None:
    a, _ = replicas
    for i in range(5):
        _try(a, f"gok{i}", "fout", "203.0.113.7", i)
    locked = _try(a, "wh", PASSWORD, "203.0.113.7", 6)
    assert locked.user is None and locked.geblokkeerd_tot is not None
    assert _try(a, "wh", PASSWORD, "198.51.100.1", 6).user is not None  # another client may


def test_failures_spread_over_time_never_lock(replicas: tuple[Engine, Engine]) -> None:
    a, _ = replicas
    for i in range(8):  # one typo every 20 minutes: the window starts again each time
        assert _try(a, "wh", "fout", "10.1.1.1", i * 20).geblokkeerd_tot is None
    assert _try(a, "wh", PASSWORD, "10.1.1.1", 170).user is not None


def test_a_login_needs_one_connection_of_the_pool(db_url: str) -> None:
    """A login checks the password on the connection that holds the login lock: with 30
    visitors waiting for that lock, a second connection from the pool was not to be had."""
    from sqlalchemy import create_engine

    db.make_engine(db_url).dispose()  # the schema
    engine = create_engine(db.normalise_url(db_url), pool_size=1, max_overflow=0, pool_timeout=3)
    with engine.begin() as conn:
        add_user(conn, "wh", rol="wethouder", wachtwoord=PASSWORD, gemeenten=["GM0983"])
    outcome = _try(engine, "wh", PASSWORD, "10.0.0.1")
    assert outcome.user is not None and outcome.user.naam == "wh"
    assert _try(engine, "wh", "fout", "10.0.0.1").user is None
    engine.dispose()


def _burst(engine: Engine, tries: list[tuple[str, str, str]]) -> list:  # type: ignore[type-arg]
    """The attempts ``(naam, wachtwoord, client)`` at the same moment, one thread each."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    start = Barrier(len(tries))

    def one(attempt: tuple[str, str, str]):  # type: ignore[no-untyped-def]
        start.wait()
        return _try(engine, *attempt)

    with ThreadPoolExecutor(len(tries)) as pool:
        return list(pool.map(one, tries))


def test_a_burst_of_parallel_guesses_gets_no_more_answers_than_the_throttle_allows(
    replicas: tuple[Engine, Engine],
) -> None:
    """Passwords are checked outside the lock, in parallel; their outcome is only given under
    it. Twelve wrong guesses at once, from twelve addresses: five are answered, the fifth locks
    the name, seven are refused, and so is the right password afterwards."""
    a, _ = replicas
    outcomes = _burst(a, [("wh", f"gok-{i}", f"10.2.0.{i}") for i in range(12)])
    assert all(o.user is None for o in outcomes)
    with a.connect() as conn:
        rows = conn.execute(
            db.audit_log.select().where(db.audit_log.c.gebruiker == "wh")
        ).fetchall()
    actions = [r.actie for r in rows]
    assert actions.count("inloggen mislukt") == 5
    assert actions.count("inloggen geweigerd (geblokkeerd)") == 7
    assert actions.count("geblokkeerd") == 1
    assert _try(a, "wh", PASSWORD, "10.2.0.99").user is None


def test_a_meeting_logs_in_at_once_from_one_address(db_url: str) -> None:
    """Eight members of one RPF meeting behind one address log in in the same second: all in."""
    engine = db.make_engine(db_url)
    with engine.begin() as conn:
        for i in range(8):
            add_user(conn, f"raad-{i}", rol="wethouder", wachtwoord=PASSWORD, gemeenten=["GM0983"])
    outcomes = _burst(engine, [(f"raad-{i}", PASSWORD, "192.0.2.10") for i in range(8)])
    assert sorted(o.user.naam for o in outcomes if o.user) == [f"raad-{i}" for i in range(8)]
    engine.dispose()


def test_no_more_passwords_are_checked_at_once_than_there_are_cores(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More checks at once than cores only makes each slower. The real argon2 runs; the hasher
    only notes how many checks overlap."""
    import os
    import threading

    from argon2 import PasswordHasher

    from data.access import users

    state = {"now": 0, "most": 0}
    guard = threading.Lock()

    class Counting(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            with guard:
                state["now"] += 1
                state["most"] = max(state["most"], state["now"])
            try:
                return super().verify(hash, password)
            finally:
                with guard:
                    state["now"] -= 1

    engine = db.make_engine(db_url)
    with engine.begin() as conn:
        for i in range(8):
            add_user(conn, f"lid-{i}", rol="wethouder", wachtwoord=PASSWORD, gemeenten=["GM0983"])
    monkeypatch.setattr(users, "_HASHER", Counting())
    outcomes = _burst(engine, [(f"lid-{i}", PASSWORD, f"192.0.2.{i}") for i in range(8)])
    assert all(o.user is not None for o in outcomes)
    assert 1 <= state["most"] <= (os.cpu_count() or 1)
    engine.dispose()


def test_hashes_use_owasp_parameters_and_older_ones_still_log_in(db_url: str) -> None:
    """New hashes: argon2id, 19 MiB, 2 passes, 1 lane. A hash with argon2-cffi's former default
    (64 MiB, 3 passes, 4 lanes) still logs in; setting the same password again re-hashes it."""
    from argon2 import PasswordHasher
    from sqlalchemy import select, update

    engine = db.make_engine(db_url)
    with engine.begin() as conn:
        add_user(conn, "nieuw", rol="wethouder", wachtwoord=PASSWORD, gemeenten=["GM0983"])
        add_user(conn, "oud", rol="wethouder", wachtwoord=PASSWORD, gemeenten=["GM0983"])
        old = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4).hash(PASSWORD)
        conn.execute(update(db.users).where(db.users.c.naam == "oud").values(wachtwoord_hash=old))

    def stored(naam: str) -> str:
        with engine.connect() as conn:
            return str(
                conn.execute(
                    select(db.users.c.wachtwoord_hash).where(db.users.c.naam == naam)
                ).scalar_one()
            )

    assert stored("nieuw").startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert _try(engine, "oud", PASSWORD, "10.0.0.1").user is not None
    assert stored("oud") == old  # logging in does not rewrite the hash
    kept = stored("nieuw")
    with engine.begin() as conn:
        add_user(
            conn, "nieuw", rol="wethouder", wachtwoord=PASSWORD, gemeenten=["GM0983", "GM0889"]
        )
        add_user(conn, "oud", rol="wethouder", wachtwoord=PASSWORD, gemeenten=["GM0983"])
    assert stored("nieuw") == kept  # same password, same parameters: sessions keep running
    assert stored("oud").startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert _try(engine, "oud", PASSWORD, "10.0.0.1").user is not None
    engine.dispose()
