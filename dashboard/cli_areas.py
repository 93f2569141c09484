"""Handlers of ``areas load``, ``areas list`` and ``addresses load``."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from dashboard.cli_common import audit_cli
from dashboard.cli_common import engine_for as _engine
from dashboard.cli_common import nl as _nl
from dashboard.cli_common import say as _say
from data import store
from data.settings import Settings
from geo.errors import InputError

if TYPE_CHECKING:
    import geopandas as gpd

    from data.sources.http import JsonClient


def _pdok_client(args: argparse.Namespace, settings: Settings) -> JsonClient:
    """The HTTP client for PDOK: cache under the cache folder, ``--vernieuw`` fetches again."""
    from data.sources.http import JsonClient

    return JsonClient(
        cache_dir=Path(settings.cache_dir) / "pdok",
        timeout=settings.http_timeout,
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
    from geo.areas import normalise_areas, year_in_name

    if args.source == "pdok":
        new = _pdok_areas(args, settings)
    else:
        path = Path(args.source)
        _say(f"{path.name} lezen...")
        guess = year_in_name(path.name)
        frames = [
            normalise_areas(layer, jaar=args.jaar, gemeente=args.gemeente, fallback_jaar=guess)
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
    notes = stored[stored["opmerking"] != ""]
    for row in notes.head(20).itertuples():
        print(f"  let op: {row.code} {row.name}: {row.opmerking}")
    if len(notes) > 20:
        counts_by_note = notes["opmerking"].value_counts()
        summary = "; ".join(f"{n}x {note}" for note, n in counts_by_note.items())
        print(f"  ... en {len(notes) - 20} meer ({summary}).")
    _reassign(args, settings, sorted(int(j) for j in stored["indeling_jaar"].unique()))
    audit_cli(
        settings,
        "gebieden geladen",
        f"{Path(args.source).name}: indeling {jaren}, {len(stored)} gebieden",
    )
    return 0


def _reassign(args: argparse.Namespace, settings: Settings, jaren: list[int]) -> None:
    """Stored addresses get their buurt in the newly loaded indelingen too."""
    from data.addresses.load import reassign_addresses

    for jaar in jaren:
        outcome = reassign_addresses(_engine(settings), indeling_jaar=jaar)
        if outcome.toegewezen or outcome.buiten:
            print(
                f"  indeling {jaar}: {_nl(outcome.toegewezen)} adressen toegewezen aan een buurt"
                + (f", {_nl(outcome.buiten)} buiten elke buurt" if outcome.buiten else "")
                + "."
            )


def cmd_addresses_load(args: argparse.Namespace, settings: Settings) -> int:
    """``addresses load SOURCE [--gemeente GM....]... [--vernieuw]``: BAG into the database.

    SOURCE is a BAG GeoPackage or ``pdok``; per gemeente (default: every stored gemeente) the
    verblijfsobjecten in its bbox are read, those inside the gemeente kept and assigned to the
    buurten of every stored indeling.
    """
    from data.addresses.load import addresses_in_gemeenten, gemeente_areas, load_addresses
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
    audit_cli(
        settings,
        "adressen geladen",
        f"{Path(args.source).name}: {codes}, {summary.adressen} verblijfsobjecten",
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
