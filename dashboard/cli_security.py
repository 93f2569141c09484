"""Handlers of ``users remove``, ``users disable`` and ``audit-log verify``.

A removed or disabled user's open dashboard sessions end at their next click: every run checks
the session's user against the database (``dashboard.auth``).
"""

from __future__ import annotations

import argparse
import sys

from dashboard.cli_common import engine_for, nl
from data.settings import Settings


def cmd_users_remove(args: argparse.Namespace, settings: Settings) -> int:
    """``users remove NAAM``: delete the user (exit 2 when there is none of that name)."""
    from data.access.audit import audit, writing
    from data.access.users import remove_user

    with writing(engine_for(settings), "wijkmonitor-users") as conn:
        remove_user(conn, args.naam)
        audit(conn, gebruiker="cli", actie="gebruiker verwijderd", details=args.naam)
    print(f"Gebruiker {args.naam} verwijderd; open sessies eindigen bij de volgende klik.")
    return 0


def cmd_users_disable(args: argparse.Namespace, settings: Settings) -> int:
    """``users disable NAAM``: the user stays on record but cannot log in."""
    from data.access.audit import audit, writing
    from data.access.users import disable_user

    with writing(engine_for(settings), "wijkmonitor-users") as conn:
        disable_user(conn, args.naam)
        audit(conn, gebruiker="cli", actie="gebruiker uitgeschakeld", details=args.naam)
    print(
        f"Gebruiker {args.naam} uitgeschakeld; open sessies eindigen bij de volgende klik. "
        "Weer inschakelen: 'users add' met het wachtwoord."
    )
    return 0


def cmd_audit_log_verify(args: argparse.Namespace, settings: Settings) -> int:
    """``audit-log verify``: exit 0 with a summary when the chain is intact, else 1."""
    from data.access.audit import verify

    engine = engine_for(settings)
    try:
        result = verify(engine)
    finally:
        engine.dispose()
    if not result.intact:
        print(
            f"Auditlog NIET in orde: {nl(len(result.problemen))} probleem/problemen.",
            file=sys.stderr,
        )
        for problem in result.problemen:
            print(f"  {problem}", file=sys.stderr)
        return 1
    if result.rijen == 0:
        print("Auditlog in orde: nog geen regels.")
        return 0
    begin = (
        f"vanaf volgnummer {result.eerste} (eerdere regels opgeschoond tot anker {result.anker})"
        if result.anker
        else f"volgnummer {result.eerste} t/m {result.laatste}"
    )
    print(
        f"Auditlog in orde: {nl(result.rijen)} regels, {begin}, keten ongebroken. "
        f"Laatste hash: {result.kop_hash} (noteer die elders om later ook herberekening te zien)."
    )
    return 0
