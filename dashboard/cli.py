"""The ``wijkmonitor`` command line (see docs/contract.md). Exit status: 0 ok, 2 bad input, 1 other.

This module only parses; the handlers live in ``dashboard/cli_*.py``, one module per domain.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from dashboard.cli_admin import cmd_demo, cmd_purge, cmd_regions_add, cmd_serve, cmd_users_add
from dashboard.cli_areas import cmd_addresses_load, cmd_areas_list, cmd_areas_load
from dashboard.cli_effect import cmd_effect, cmd_power
from dashboard.cli_import import cmd_import, cmd_interventions_import
from dashboard.cli_publication import cmd_audit, cmd_publish
from dashboard.cli_report import cmd_export, cmd_report
from dashboard.cli_security import cmd_audit_log_verify, cmd_users_disable, cmd_users_remove
from data.db import redact
from data.settings import Settings, from_env
from geo.errors import InputError, WijkmonitorError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        print(f"wijkmonitor: fout: {message}", file=sys.stderr)
        raise SystemExit(2)


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
        parent: argparse._SubParsersAction[_Parser] = sub,
    ) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = parent.add_parser(name, help=help_text)
        _add_db(p, top=False)
        p.set_defaults(func=func)
        return p

    command("demo", cmd_demo, "bouw de demodatabase (Venlo, fictieve signalen)")
    serve = command("serve", cmd_serve, "start het dashboard")
    serve.add_argument("--port", type=int, default=8501)
    serve.add_argument(
        "--adres", default=None, help="luisteradres (anders WIJKMONITOR_HOST, anders 127.0.0.1)"
    )
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
    load.add_argument("--vernieuw", action="store_true", help="PDOK opnieuw ophalen (geen cache)")
    listing = command("list", cmd_areas_list, "toon geladen gebieden", areas_sub)
    listing.add_argument("--gemeente")
    listing.add_argument("--jaar", type=int)
    listing.add_argument("--json", action="store_true")

    addresses = sub.add_parser("addresses", help="BAG-verblijfsobjecten laden")
    _add_db(addresses, top=False)
    addresses_sub = addresses.add_subparsers(
        dest="addresses_command", required=True, parser_class=_Parser
    )
    address_load = command(
        "load", cmd_addresses_load, "laad BAG-adressen en wijs ze toe aan buurten", addresses_sub
    )
    address_load.add_argument("source", help="BAG GeoPackage (.gpkg) of 'pdok'")
    address_load.add_argument("--gemeente", action="append")
    address_load.add_argument(
        "--vernieuw", action="store_true", help="PDOK opnieuw ophalen (geen cache)"
    )

    deliveries = command("import", cmd_import, "importeer partnerleveringen (CSV of XLSX)")
    deliveries.add_argument("files", nargs="+", metavar="FILE")
    deliveries.add_argument(
        "--vervang", action="store_true", help="eerder geleverde rijen vervangen"
    )

    interventions = sub.add_parser("interventions", help="interventies")
    _add_db(interventions, top=False)
    interventions_sub = interventions.add_subparsers(
        dest="interventions_command", required=True, parser_class=_Parser
    )
    register = command(
        "import", cmd_interventions_import, "leg interventies vast (CSV)", interventions_sub
    )
    register.add_argument("file", metavar="FILE")

    effect = command("effect", cmd_effect, "schat het effect van een interventie op een indicator")
    effect.add_argument("--interventie", required=True)
    effect.add_argument("--indicator", required=True)
    effect.add_argument("--methode", choices=["did", "synth"], default="did")
    effect.add_argument("--periode-per", choices=["maand", "kwartaal", "jaar"], default="maand")
    effect.add_argument("--json", action="store_true")
    power = command("power", cmd_power, "hoe groot moet een effect zijn om het te zien?")
    power.add_argument("--buurt", action="append", required=True)
    power.add_argument("--indicator", required=True)
    power.add_argument("--json", action="store_true")

    report = command(
        "report", cmd_report, "wijkbriefing (--wijk) of RPF-overzicht (--regio/--gemeente) als PDF"
    )
    target = report.add_mutually_exclusive_group(required=True)
    target.add_argument("--wijk")
    target.add_argument("--regio")
    target.add_argument("--gemeente", action="append")
    report.add_argument("--indicator", action="append")
    report.add_argument("--periode")
    report.add_argument("--out", required=True)
    export = command("export", cmd_export, "GeoPackage voor QGIS (openbaarheidsregels toegepast)")
    export.add_argument("--out", required=True)
    export.add_argument("--gemeente", action="append")

    command("purge", cmd_purge, "verwijder adresbevindingen en logregels na de bewaartermijn")

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
    _add_security_commands(sub, users_sub, command)
    _add_publication_commands(sub, command)
    return parser


def _add_publication_commands(
    sub: argparse._SubParsersAction[_Parser],
    command: Callable[..., argparse.ArgumentParser],
) -> None:
    """``publish`` (the whole publication as CSV) and ``audit`` (the attack on it)."""
    publish = command("publish", cmd_publish, "schrijf de hele publicatie (CSV)")
    scope = publish.add_mutually_exclusive_group(required=True)
    scope.add_argument("--gemeente", action="append")
    scope.add_argument("--regio")
    publish.add_argument("--out", required=True)
    audit = command("audit", cmd_audit, "val de publicatie aan zoals een buitenstaander zou doen")
    scope = audit.add_mutually_exclusive_group(required=True)
    scope.add_argument("--gemeente", action="append")
    scope.add_argument("--regio")


def _add_security_commands(
    sub: argparse._SubParsersAction[_Parser],
    users_sub: argparse._SubParsersAction[_Parser],
    command: Callable[..., argparse.ArgumentParser],
) -> None:
    """``users remove``, ``users disable`` and ``audit-log verify`` (issue 12)."""
    remove = command("remove", cmd_users_remove, "verwijder een gebruiker", users_sub)
    remove.add_argument("naam")
    disable = command("disable", cmd_users_disable, "schakel een gebruiker uit", users_sub)
    disable.add_argument("naam")
    audit_log = sub.add_parser("audit-log", help="het auditlog")
    _add_db(audit_log, top=False)
    audit_sub = audit_log.add_subparsers(
        dest="audit_log_command", required=True, parser_class=_Parser
    )
    command("verify", cmd_audit_log_verify, "controleer de hashketen van het auditlog", audit_sub)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    db_url = getattr(args, "db", None)
    settings = None
    try:
        settings = from_env(db_url)
        return int(args.func(args, settings))
    except InputError as exc:
        _fail(str(exc), db_url, settings)
        return 2
    except WijkmonitorError as exc:
        _fail(str(exc), db_url, settings)
        return 1
    except KeyboardInterrupt:
        return 1
    except Exception as exc:  # the contract: any other failure is exit 1 with a message
        if settings is not None and settings.debug:
            raise
        _fail(f"onverwachte fout: {type(exc).__name__}: {exc}", db_url, settings)
        return 1


def _fail(message: str, db_url: str | None, settings: Settings | None) -> None:
    """Print an error without the database password, wherever a driver may have quoted it."""
    url = settings.db_url if settings is not None else db_url
    print(f"wijkmonitor: {redact(message, url)}", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
