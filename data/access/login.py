"""Logging in with name and password, throttled per user name and per client.

After ``pogingen`` failed attempts within ``blokkade_minuten`` for one user name, or from one
client, further attempts for that name or from that client are refused for ``blokkade_minuten``,
also with the right password. The counts live in the database (``login_attempts``), so every
dashboard replica behind one database sees the same ones. Every attempt, every refusal and
every lockout is written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, delete, insert, select, update

from data import db
from data.access.audit import audit, writing
from data.access.users import User, authenticate, load_user

_KEY_MAX = 200


@dataclass(frozen=True)
class Attempt:
    """The outcome of one login attempt: the user, or why not (``geblokkeerd_tot`` when locked)."""

    user: User | None
    geblokkeerd_tot: datetime | None = None


def keys(naam: str, client: str) -> tuple[str, str]:
    """The two throttle keys of an attempt: the user name (case-insensitive) and the client."""
    return (f"naam:{naam.strip().lower()}"[:_KEY_MAX], f"client:{client}"[:_KEY_MAX])


def attempt_login(
    engine: Engine,
    naam: str,
    wachtwoord: str,
    *,
    client: str,
    pogingen: int,
    blokkade_minuten: int,
    now: datetime | None = None,
) -> Attempt:
    """Check the password, then, under a write lock, the throttle; count a failure or clear the
    name's count.

    The password is checked (argon2id, 0,2 s of a core) before the lock, so that logins in the
    same second use every core instead of queueing behind one lock. Its outcome is only given
    after the throttle has been consulted under the lock: a burst of parallel guesses gets at
    most ``pogingen`` answers, the rest are refused as locked, also the right password. A name
    or client that is already locked costs no hash.
    """
    moment = now or datetime.now(UTC)
    naam = naam.strip()
    shown = naam or "?"
    name_key, client_key = keys(naam, client)
    window = timedelta(minutes=blokkade_minuten)
    with engine.connect() as conn:
        locked = locked_until(conn, (name_key, client_key), moment)
    checked = None
    if locked is None and naam and wachtwoord:
        checked = authenticate(engine, naam, wachtwoord)
    with writing(engine, "wijkmonitor-login") as conn:
        locked = locked or locked_until(conn, (name_key, client_key), moment)
        if locked is not None:
            audit(
                conn,
                gebruiker=shown,
                actie="inloggen geweigerd (geblokkeerd)",
                details=f"client={client} tot={locked.isoformat(timespec='minutes')}",
            )
            return Attempt(None, locked)
        # Read again under the lock: a user disabled meanwhile does not log in.
        user = load_user(conn, checked.naam) if checked is not None else None
        if user is not None:
            conn.execute(delete(db.login_attempts).where(db.login_attempts.c.sleutel == name_key))
            audit(conn, gebruiker=user.naam, actie="inloggen", details=f"client={client}")
            return Attempt(user)
        audit(conn, gebruiker=shown, actie="inloggen mislukt", details=f"client={client}")
        newly = [
            k for k in (name_key, client_key) if _count_failure(conn, k, moment, pogingen, window)
        ]
        for key in newly:
            audit(
                conn,
                gebruiker=shown,
                actie="geblokkeerd",
                details=f"{key.split(':', 1)[0]} na {pogingen} mislukte pogingen, "
                f"{blokkade_minuten} minuten, client={client}",
            )
    return Attempt(None, moment + window if newly else None)


def locked_until(conn: Connection, sleutels: tuple[str, ...], moment: datetime) -> datetime | None:
    """The latest end of a running lockout of any of ``sleutels``, or None."""
    t = db.login_attempts.c
    ends = conn.execute(select(t.geblokkeerd_tot).where(t.sleutel.in_(sleutels))).scalars()
    running = [_aware(e) for e in ends if e is not None and _aware(e) > moment]
    return max(running) if running else None


def _count_failure(
    conn: Connection, key: str, moment: datetime, pogingen: int, window: timedelta
) -> bool:
    """Add one failure to ``key``; True when this failure starts a lockout.

    Failures older than the window (counted from the first) start a new count, so that the
    occasional typo of many users behind one address never adds up to a lockout.
    """
    t = db.login_attempts
    row = conn.execute(select(t).where(t.c.sleutel == key)).first()
    if row is None or _aware(row.eerste) + window <= moment:
        conn.execute(delete(t).where(t.c.sleutel == key))
        conn.execute(insert(t).values(sleutel=key, mislukt=1, eerste=moment, geblokkeerd_tot=None))
        failures = 1
    else:
        failures = int(row.mislukt) + 1
        conn.execute(update(t).where(t.c.sleutel == key).values(mislukt=failures))
    if failures < pogingen:
        return False
    # The lockout starts now; the count starts again after it.
    conn.execute(
        update(t)
        .where(t.c.sleutel == key)
        .values(geblokkeerd_tot=moment + window, mislukt=0, eerste=moment + window)
    )
    return True


def forget_expired(conn: Connection, moment: datetime, window: timedelta) -> int:
    """Delete throttle rows whose count and lockout are both over (they hold client addresses)."""
    t = db.login_attempts.c
    return conn.execute(
        delete(db.login_attempts).where(
            t.eerste <= moment - window,
            (t.geblokkeerd_tot.is_(None)) | (t.geblokkeerd_tot <= moment),
        )
    ).rowcount


def _aware(moment: datetime) -> datetime:
    """SQLite gives timestamps back without their zone; they are stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
