"""Dashboard users: roles, their gemeenten or region, argon2 password hashes, and the audit log."""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, delete, insert, select, update

from data import db
from data.access.audit import audit
from geo.errors import InputError

__all__ = [
    "ROLES",
    "User",
    "add_user",
    "audit",
    "authenticate",
    "disable_user",
    "load_user",
    "remove_user",
]

ROLES = ("wethouder", "rpf", "analist", "beheerder")
# Argon2id with the parameters of OWASP's Password Storage Cheat Sheet (19 MiB, 2 passes, 1 lane):
# 0,03 s of one core per check. argon2-cffi's default (RFC 9106's second recommendation, 64 MiB,
# 3 passes, 4 lanes) took 0,26 s of CPU, and thirty logins in the same second then queued for
# 8 CPU-seconds on 2 cores (bench/load.py: p95 6,7-7,6 s to log in). Guessing stays throttled
# (data.access.login); these parameters set the price of guessing offline, from a stolen database.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Hashes checked at once in this process: one per core; more at once only makes each slower.
_HASHING = threading.BoundedSemaphore(os.cpu_count() or 1)


@dataclass(frozen=True)
class User:
    """Who is logged in: ``gemeenten`` bounds everything the user sees."""

    naam: str
    rol: str
    gemeenten: tuple[str, ...] = ()
    regio: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    wachtwoord_versie: str = ""

    @property
    def ziet_adressen(self) -> bool:
        """Only analysts see address-level findings, and only of their own gemeenten."""
        return self.rol == "analist"

    @property
    def beheert(self) -> bool:
        return self.rol == "beheerder"


def add_user(
    conn: Connection,
    naam: str,
    *,
    rol: str,
    wachtwoord: str,
    gemeenten: Sequence[str] = (),
    regio: str | None = None,
) -> None:
    """Create or update a user. The password is hashed with argon2id, never stored."""
    problems = []
    if not re.match(r"^[A-Za-z0-9._@-]{2,100}$", naam):
        problems.append("gebruikersnaam: 2-100 tekens, letters, cijfers, . _ @ -")
    if rol not in ROLES:
        problems.append(f"rol {rol!r}: kies uit {', '.join(ROLES)}")
    if len(wachtwoord) < 12:
        problems.append("wachtwoord: minstens 12 tekens")
    problems += [
        f"gemeentecode {g!r} is geen GM + 4 cijfers"
        for g in gemeenten
        if not re.match(r"^GM\d{4}$", g)
    ]
    if rol == "rpf" and not regio:
        problems.append("een rpf-gebruiker heeft een --regio nodig")
    if rol in ("wethouder", "analist") and not gemeenten:
        problems.append(f"een {rol} heeft minstens één --gemeente nodig")
    if problems:
        raise InputError(f"Gebruiker {naam!r} is niet opgeslagen.", problems)
    old = conn.execute(
        select(db.users.c.wachtwoord_hash).where(db.users.c.naam == naam)
    ).scalar_one_or_none()
    # The same password keeps its hash, so a change of role or gemeente leaves open sessions
    # running (with the new rights); a new password ends them (``password_version``), and so
    # does a hash made with other parameters than today's, which is made again here.
    keep = old and _matches(old, wachtwoord) and not _HASHER.check_needs_rehash(old)
    wachtwoord_hash = old if keep else _HASHER.hash(wachtwoord)
    conn.execute(delete(db.users).where(db.users.c.naam == naam))
    conn.execute(
        insert(db.users).values(
            naam=naam,
            rol=rol,
            wachtwoord_hash=wachtwoord_hash,
            gemeenten="|".join(gemeenten),
            regio=regio,
            actief=True,
        )
    )


def _matches(wachtwoord_hash: str, wachtwoord: str) -> bool:
    try:
        with _HASHING:
            return bool(_HASHER.verify(wachtwoord_hash, wachtwoord))
    except (VerificationError, InvalidHashError):
        return False


def remove_user(conn: Connection, naam: str) -> None:
    """Delete a user; raise InputError when there is none of that name."""
    if conn.execute(delete(db.users).where(db.users.c.naam == naam)).rowcount == 0:
        raise InputError(f"Gebruiker {naam!r} bestaat niet; zie de namen met 'users add'.")


def disable_user(conn: Connection, naam: str) -> None:
    """Disable a user (kept for the record, cannot log in); ``users add`` enables again."""
    changed = conn.execute(
        update(db.users).where(db.users.c.naam == naam).values(actief=False)
    ).rowcount
    if changed == 0:
        raise InputError(f"Gebruiker {naam!r} bestaat niet; zie de namen met 'users add'.")


def password_version(wachtwoord_hash: str) -> str:
    """A short fingerprint of the stored hash: it changes exactly when the password does."""
    return hashlib.sha256(wachtwoord_hash.encode()).hexdigest()[:16]


def _connected(bind: Engine | Connection) -> AbstractContextManager[Connection]:
    """A connection of ``bind``: the caller's own when given one (no second one from the pool)."""
    return nullcontext(bind) if isinstance(bind, Connection) else bind.connect()


def authenticate(bind: Engine | Connection, naam: str, wachtwoord: str) -> User | None:
    """The user when name and password match, else None (same answer for both failures).

    Pass the caller's connection when it holds one: asking the pool for a second connection
    while holding a lock that 30 others wait for emptied the pool (SQLAlchemy's TimeoutError
    after 30 s, bench/load.py at 30 visitors).
    """
    with _connected(bind) as conn:
        row = conn.execute(select(db.users).where(db.users.c.naam == naam)).first()
    if row is None or not row.actief:
        with _HASHING:  # spend the same time, so a wrong name is not distinguishable
            _HASHER.hash(wachtwoord)
        return None
    if not _matches(row.wachtwoord_hash, wachtwoord):
        return None
    return load_user(bind, naam)


def load_user(bind: Engine | Connection, naam: str) -> User | None:
    """The stored, active user with the gemeenten of their region resolved, or None (removed,
    disabled or unknown)."""
    with _connected(bind) as conn:
        row = conn.execute(select(db.users).where(db.users.c.naam == naam)).first()
        if row is None or not row.actief:
            return None
        gemeenten = [g for g in row.gemeenten.split("|") if g]
        if row.regio:
            members = conn.execute(
                select(db.region_gemeenten.c.gemeentecode).where(
                    db.region_gemeenten.c.region_id == row.regio
                )
            ).scalars()
            gemeenten += [g for g in members if g not in gemeenten]
    return User(
        naam=row.naam,
        rol=row.rol,
        gemeenten=tuple(gemeenten),
        regio=row.regio,
        wachtwoord_versie=password_version(row.wachtwoord_hash),
    )
