"""Handlers of ``demo``, ``serve``, ``regions add`` and ``users add``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dashboard.cli_common import engine_for as _engine
from dashboard.cli_common import nl as _nl
from dashboard.cli_common import say as _say
from data.settings import Settings, server_environment
from geo.errors import InputError

APP = Path(__file__).resolve().parent / "app.py"


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from data.demo.venlo import build_demo

    summary = build_demo(_engine(settings), progress=_say)
    print(
        f"Demodatabase klaar: {summary.buurten} buurten, {summary.wijken} wijken, "
        f"{_nl(summary.addresses)} adressen, {_nl(summary.signal_rows)} signaalregels "
        f"({summary.seconds:.1f} s)."
    )
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from data.access.demo_login import demo_login_refusal
    from data.db import redact_url

    host = args.adres or settings.host
    # WIJKMONITOR_DEMO_LOGIN is only ever set here, after the checks (the dashboard checks again
    # on every run anyway).
    env = server_environment(settings)
    if args.demo_login:
        engine = _engine(settings)
        try:
            refusal = demo_login_refusal(engine, host=host)
        finally:
            engine.dispose()
        if refusal:
            raise InputError(f"--demo-login geweigerd: {refusal}")
        env["WIJKMONITOR_DEMO_LOGIN"] = "1"
    elif settings.demo_login:
        _say("WIJKMONITOR_DEMO_LOGIN genegeerd: de demo-login kan alleen met --demo-login.")
    upload_mb = max(1, settings.upload.max_bytes // (1024 * 1024))
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.port",
        str(args.port),
        "--server.address",
        host,
        "--server.headless",
        "true",
        "--server.enableStaticServing",
        "true",
        "--server.maxUploadSize",
        str(upload_mb),
        "--browser.gatherUsageStats",
        "false",
        # A server, not a development session: no watching of every imported module's file
        # (a walk over sys.modules on the event loop after each run), and no full garbage
        # collection after each run (0,4-0,6 s holding the GIL with the cached tables in
        # memory, while the browser waits for the map's files; bench/serve_to_map.py).
        "--server.fileWatcherType",
        "none",
        "--runner.postScriptGC",
        "false",
        "--client.toolbarMode",
        "minimal",
        "--theme.base",
        "light",
        "--theme.primaryColor",
        "#01689B",
    ]
    _say(
        f"Wijkmonitor start op http://{host}:{args.port} (database: {redact_url(settings.db_url)})"
    )
    # Become Streamlit (exec, no child process): a stop signal then reaches the server itself,
    # so nothing is left running when a supervisor, Docker or a test stops `wijkmonitor serve`.
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, command, env)


def cmd_regions_add(args: argparse.Namespace, settings: Settings) -> int:
    from data.regions import add_region

    gemeenten = [g.upper() for g in args.gemeente]
    with _engine(settings).begin() as conn:
        add_region(conn, args.id, naam=args.naam, gemeenten=gemeenten)
    print(f"Regio {args.id} ({args.naam}) vastgelegd: {', '.join(gemeenten)}.")
    return 0


def cmd_users_add(args: argparse.Namespace, settings: Settings) -> int:
    from data.access.audit import audit, writing
    from data.access.users import add_user

    line = sys.stdin.readline()
    wachtwoord = line.rstrip("\r\n")
    if not wachtwoord:
        raise InputError("Geef het wachtwoord op standaardinvoer (één regel), nooit als argument.")
    with writing(_engine(settings), "wijkmonitor-users") as conn:
        add_user(
            conn,
            args.naam,
            rol=args.rol,
            wachtwoord=wachtwoord,
            gemeenten=[g.upper() for g in args.gemeente],
            regio=args.regio,
        )
        audit(
            conn, gebruiker="cli", actie="gebruiker opgeslagen", details=f"{args.naam} ({args.rol})"
        )
    print(f"Gebruiker {args.naam} ({args.rol}) opgeslagen.")
    return 0


def cmd_purge(args: argparse.Namespace, settings: Settings) -> int:
    from data.retention import purge

    summary = purge(
        _engine(settings),
        bewaartermijn_dagen=settings.bewaartermijn_dagen,
        audit_bewaartermijn_dagen=settings.audit_bewaartermijn_dagen,
    )
    audit_grens = summary.audit_grens.strftime("%d-%m-%Y") if summary.audit_grens else "-"
    print(
        f"Opgeschoond tot {summary.grens.strftime('%d-%m-%Y')} (bewaartermijn "
        f"{settings.bewaartermijn_dagen} dagen): {_nl(summary.bevindingen)} adresbevindingen, "
        f"{_nl(summary.importlog)} importlogregels; auditlog tot {audit_grens} (bewaartermijn "
        f"{settings.audit_bewaartermijn_dagen} dagen): {_nl(summary.auditlog)} regels. "
        "Buurtcijfers blijven staan."
    )
    return 0
