"""The ``wijkmonitor`` command line (see CONTRACT.md). Exit status: 0 ok, 2 bad input, 1 other."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from sqlalchemy import Engine

from data import db, store
from data.settings import Settings, from_env
from geo.errors import InputError, WijkmonitorError

if TYPE_CHECKING:
    import geopandas as gpd

    from data.sources.http import JsonClient

APP = Path(__file__).resolve().parent / "app.py"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"wijkmonitor: fout: {message}", file=sys.stderr)
        raise SystemExit(2)


def _nl(number: int) -> str:
    """Dutch thousands separator: 47990 -> 47.990."""
    return f"{number:,}".replace(",", ".")


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _engine(settings: Settings) -> Engine:
    return db.make_engine(settings.db_url)


# --- commands ------------------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from data.demo import build_demo

    summary = build_demo(_engine(settings), progress=_say)
    print(
        f"Demodatabase klaar: {summary.buurten} buurten, {summary.wijken} wijken, "
        f"{_nl(summary.addresses)} adressen, {_nl(summary.signal_rows)} signaalregels "
        f"({summary.seconds:.1f} s)."
    )
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    env = dict(os.environ, WIJKMONITOR_DB=settings.db_url)
    if args.demo_login:
        env["WIJKMONITOR_DEMO_LOGIN"] = "1"
    command = [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.port", str(args.port),
        "--server.address", args.adres,
        "--server.headless", "true",
        "--server.enableStaticServing", "true",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "minimal",
        "--theme.base", "light",
        "--theme.primaryColor", "#01689B",
    ]  # fmt: skip
    _say(f"Wijkmonitor start op http://{args.adres}:{args.port} (database: {settings.db_url})")
    return subprocess.call(command, env=env)


def _pdok_client(args: argparse.Namespace, settings: Settings) -> JsonClient:
    """The HTTP client for PDOK: cache under the cache folder, ``--vernieuw`` fetches again."""
    from data.sources.http import JsonClient

    return JsonClient(
        cache_dir=Path(settings.cache_dir) / "pdok",
        timeout=float(getattr(settings, "http_timeout", 30.0)),
        refresh=bool(getattr(args, "vernieuw", False)),
    )


def _gemeente_codes(value: str | Sequence[str] | None) -> list[str] | None:
    """``--gemeente`` given once, several times, or comma separated; None when absent."""
    if not value:
        return None
    values = [value] if isinstance(value, str) else list(value)
    return [code.strip().upper() for v in values for code in v.split(",") if code.strip()]


def _pdok_areas(args: argparse.Namespace, settings: Settings) -> gpd.GeoDataFrame:
    from data.sources.pdok import load_cbs_areas

    if args.jaar is None:
        raise InputError("Geef bij 'pdok' het jaar van de indeling op met --jaar JJJJ.")
    gemeente = args.gemeente.upper() if args.gemeente else None
    waar = f"gemeente {gemeente}" if gemeente else "heel Nederland"
    _say(f"PDOK ({settings.pdok_api}): wijken en buurten {args.jaar} van {waar} ophalen...")
    with _pdok_client(args, settings) as client:
        return load_cbs_areas(
            client, base=settings.pdok_api, jaar=args.jaar, gemeente=gemeente, progress=_say
        )


def cmd_areas_load(args: argparse.Namespace, settings: Settings) -> int:
    from data.sources.files import area_layers
    from geo.areas import normalise_areas

    if args.source == "pdok":
        new = _pdok_areas(args, settings)
    else:
        path = Path(args.source)
        _say(f"{path.name} lezen...")
        frames = [
            normalise_areas(layer, jaar=args.jaar, gemeente=args.gemeente)
            for layer in area_layers(path)
        ]
        new = pd.concat(frames, ignore_index=True).set_crs(frames[0].crs, allow_override=True)
    _say(f"{len(new)} gebieden opslaan...")
    stored = store.save_areas(_engine(settings), new)
    counts = stored["level"].value_counts()
    jaren = ", ".join(str(j) for j in sorted(stored["indeling_jaar"].unique()))
    print(
        f"Geladen (indeling {jaren}): {counts.get('gemeente', 0)} gemeente(n), "
        f"{counts.get('wijk', 0)} wijken, {counts.get('buurt', 0)} buurten."
    )
    for row in stored[stored["opmerking"] != ""].itertuples():
        print(f"  let op: {row.code} {row.name}: {row.opmerking}")
    return 0


def cmd_addresses_load(args: argparse.Namespace, settings: Settings) -> int:
    """``addresses load SOURCE [--gemeente GM....]... [--vernieuw]``: BAG into the database.

    SOURCE is a BAG GeoPackage or ``pdok``; per gemeente (default: every stored gemeente) the
    verblijfsobjecten in its bbox are read, those inside the gemeente kept and assigned to the
    buurten of every stored indeling.
    """
    from data.addresses import addresses_in_gemeenten, gemeente_areas, load_addresses
    from data.sources.bag import fetch_verblijfsobjecten, read_verblijfsobjecten

    engine = _engine(settings)
    gemeenten = gemeente_areas(engine, _gemeente_codes(getattr(args, "gemeente", None)))
    codes = ", ".join(gemeenten["code"])
    with _pdok_client(args, settings) as client:
        if args.source == "pdok":
            _say(f"PDOK ({settings.pdok_api}): BAG-verblijfsobjecten van {codes} ophalen...")

            def fetch(bbox: tuple[float, float, float, float]) -> pd.DataFrame:
                return fetch_verblijfsobjecten(
                    client, base=settings.pdok_api, bbox=bbox, progress=_say
                )

        else:
            path = Path(args.source)
            _say(f"{path.name} lezen ({codes})...")

            def fetch(bbox: tuple[float, float, float, float]) -> pd.DataFrame:
                return read_verblijfsobjecten(path, bbox=bbox)

        found, elders = addresses_in_gemeenten(gemeenten, fetch, progress=_say)
    if found.empty:
        raise InputError(f"{args.source}: geen verblijfsobjecten gevonden in {codes}.")
    summary = load_addresses(engine, found, progress=_say)
    print(
        f"Geladen: {_nl(summary.adressen)} verblijfsobjecten in {codes} ({summary.seconds:.1f} s)."
    )
    if elders:
        print(
            f"  {_nl(elders)} verblijfsobjecten buiten {codes} niet geladen (wel in de zoekrechthoek)."
        )
    for jaar in summary.jaren:
        line = f"  indeling {jaar.indeling_jaar}: {_nl(jaar.toegewezen)} toegewezen aan een buurt"
        if jaar.buiten:
            line += (
                f"; {_nl(jaar.buiten)} buiten elke buurt, "
                f"bijvoorbeeld {', '.join(jaar.buiten_voorbeelden)}"
            )
        print(line + ".")
    return 0


def cmd_areas_list(args: argparse.Namespace, settings: Settings) -> int:
    engine = _engine(settings)
    gemeente = args.gemeente.upper() if args.gemeente else None
    jaar = args.jaar or store.latest_indeling(engine, gemeente)
    areas = store.load_areas(
        engine,
        indeling_jaar=jaar,
        gemeenten=[gemeente] if gemeente else None,
    )
    records = [
        {
            "code": r.code,
            "name": r.name,
            "level": r.level,
            "parent_code": r.parent_code or None,
            "indeling_jaar": int(r.indeling_jaar),
            "inwoners": None if pd.isna(r.inwoners) else round(float(r.inwoners)),
            "woningen": None if pd.isna(r.woningen) else round(float(r.woningen)),
        }
        for r in areas.sort_values("code").itertuples()
    ]
    if args.json:
        print(json.dumps(records, ensure_ascii=False, indent=1))
        return 0
    if not records:
        print("Geen gebieden geladen.")
        return 0
    for rec in records:
        inw = "." if rec["inwoners"] is None else _nl(int(rec["inwoners"]))
        print(f"{rec['code']:<11} {rec['level']:<9} {rec['name']:<40} inwoners {inw}")
    return 0


def cmd_regions_add(args: argparse.Namespace, settings: Settings) -> int:
    from data.regions import add_region

    gemeenten = [g.upper() for g in args.gemeente]
    with _engine(settings).begin() as conn:
        add_region(conn, args.id, naam=args.naam, gemeenten=gemeenten)
    print(f"Regio {args.id} ({args.naam}) vastgelegd: {', '.join(gemeenten)}.")
    return 0


def cmd_users_add(args: argparse.Namespace, settings: Settings) -> int:
    from data.users import add_user, audit

    line = sys.stdin.readline()
    wachtwoord = line.rstrip("\r\n")
    if not wachtwoord:
        raise InputError("Geef het wachtwoord op standaardinvoer (één regel), nooit als argument.")
    with _engine(settings).begin() as conn:
        add_user(
            conn, args.naam, rol=args.rol, wachtwoord=wachtwoord,
            gemeenten=[g.upper() for g in args.gemeente], regio=args.regio,
        )  # fmt: skip
        audit(
            conn, gebruiker="cli", actie="gebruiker opgeslagen", details=f"{args.naam} ({args.rol})"
        )
    print(f"Gebruiker {args.naam} ({args.rol}) opgeslagen.")
    return 0


# --- parser ------------------------------------------------------------------------------------


def _add_db(parser: argparse.ArgumentParser, *, top: bool) -> None:
    parser.add_argument(
        "--db",
        default=None if top else argparse.SUPPRESS,
        help="SQLAlchemy-URL van de database (anders WIJKMONITOR_DB, anders sqlite:///wijkmonitor.db)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="wijkmonitor", description="Wijkmonitor: signaleren per buurt, LSI-aanpak."
    )
    _add_db(parser, top=True)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def command(
        name: str,
        func: Callable[..., int],
        help_text: str,
        parent: argparse._SubParsersAction = sub,
    ) -> argparse.ArgumentParser:  # type: ignore[type-arg]
        p = parent.add_parser(name, help=help_text)
        _add_db(p, top=False)
        p.set_defaults(func=func)
        return p

    command("demo", cmd_demo, "bouw de demodatabase (Venlo, fictieve signalen)")
    serve = command("serve", cmd_serve, "start het dashboard")
    serve.add_argument("--port", type=int, default=8501)
    serve.add_argument("--adres", default=os.environ.get("WIJKMONITOR_HOST", "127.0.0.1"))
    serve.add_argument(
        "--demo-login", action="store_true", help="alleen lokaal: inloggen overslaan"
    )

    areas = sub.add_parser("areas", help="gebieden laden en tonen")
    _add_db(areas, top=False)
    areas_sub = areas.add_subparsers(dest="areas_command", required=True, parser_class=_Parser)
    load = command("load", cmd_areas_load, "laad buurten/wijken/gemeenten", areas_sub)
    load.add_argument(
        "source", help="bestand (GeoJSON, TopoJSON, GeoPackage, shapefile-zip) of 'pdok'"
    )
    load.add_argument("--jaar", type=int)
    load.add_argument("--gemeente")
    listing = command("list", cmd_areas_list, "toon geladen gebieden", areas_sub)
    listing.add_argument("--gemeente")
    listing.add_argument("--jaar", type=int)
    listing.add_argument("--json", action="store_true")

    regions = sub.add_parser("regions", help="RPF-regio's")
    _add_db(regions, top=False)
    regions_sub = regions.add_subparsers(
        dest="regions_command", required=True, parser_class=_Parser
    )
    region_add = command("add", cmd_regions_add, "leg een regio vast", regions_sub)
    region_add.add_argument("id")
    region_add.add_argument("--naam", required=True)
    region_add.add_argument("--gemeente", action="append", required=True)

    users = sub.add_parser("users", help="dashboardgebruikers")
    _add_db(users, top=False)
    users_sub = users.add_subparsers(dest="users_command", required=True, parser_class=_Parser)
    user_add = command(
        "add", cmd_users_add, "maak of wijzig een gebruiker (wachtwoord op stdin)", users_sub
    )
    user_add.add_argument("naam")
    user_add.add_argument(
        "--rol", required=True, choices=["wethouder", "rpf", "analist", "beheerder"]
    )
    user_add.add_argument("--gemeente", action="append", default=[])
    user_add.add_argument("--regio")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    settings = from_env(getattr(args, "db", None))
    try:
        return int(args.func(args, settings))
    except InputError as exc:
        print(f"wijkmonitor: {exc}", file=sys.stderr)
        return 2
    except WijkmonitorError as exc:
        print(f"wijkmonitor: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 1
    except Exception as exc:  # the contract: any other failure is exit 1 with a message
        if os.environ.get("WIJKMONITOR_DEBUG"):
            raise
        print(f"wijkmonitor: onverwachte fout: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
