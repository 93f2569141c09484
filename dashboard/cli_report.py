"""``wijkmonitor report`` and ``wijkmonitor export`` (docs/contract.md).

``report --wijk WK...`` writes the one-page wijkbriefing, ``report --regio ID`` or several
``--gemeente`` the RPF overview; ``export --out FILE.gpkg`` the GeoPackage for QGIS. Bad input
(unknown wijk, region, gemeente, indicator or period) raises InputError: exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dashboard.briefing import DEFAULT_INDICATORS
from dashboard.cli_common import audit_cli, engine_for
from data.settings import Settings
from geo.errors import InputError


def _codes(values: list[str] | str | None) -> list[str]:
    """``--gemeente`` given once, several times, or comma separated."""
    if not values:
        return []
    items = [values] if isinstance(values, str) else list(values)
    return [c.strip().upper() for v in items for c in v.split(",") if c.strip()]


def _out(value: object, suffix: str) -> Path:
    if not value:
        raise InputError(f"Geef het uitvoerbestand op met --out BESTAND{suffix}.")
    path = Path(str(value))
    if path.suffix.lower() != suffix:
        raise InputError(f"--out {path}: verwacht een bestand dat eindigt op {suffix}.")
    return path


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    """``report (--wijk WK | --regio ID | --gemeente GM [--gemeente ...]) [--indicator CODE]...
    [--periode P] --out FILE.pdf``."""
    out = _out(getattr(args, "out", None), ".pdf")
    wijk = getattr(args, "wijk", None)
    regio = getattr(args, "regio", None)
    gemeenten = _codes(getattr(args, "gemeente", None))
    if sum((bool(wijk), bool(regio), bool(gemeenten))) != 1:
        raise InputError("Kies precies één van --wijk WK......, --regio ID of --gemeente GM.....")
    indicators = list(getattr(args, "indicator", None) or DEFAULT_INDICATORS)
    periode = getattr(args, "periode", None)
    engine = engine_for(settings)
    try:
        if wijk:
            from dashboard.briefing import briefing_pdf

            briefing_pdf(engine, wijk=wijk, indicators=indicators, periode=periode, out=out)
            soort = "Wijkbriefing"
        else:
            from dashboard.regional_report import regional_pdf

            regional_pdf(
                engine,
                regio=regio,
                gemeenten=gemeenten,
                indicators=indicators,
                periode=periode,
                out=out,
            )
            soort = "RPF-overzicht"
    finally:
        engine.dispose()
    waarvan = wijk or regio or ",".join(gemeenten)
    audit_cli(settings, "rapport", f"{soort} {waarvan} ({', '.join(indicators)}) -> {out.name}")
    print(f"{soort} geschreven: {out} ({out.stat().st_size // 1024} kB).")
    return 0


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """``export --out FILE.gpkg [--gemeente GM....]...``."""
    from data.publication.export import export_gpkg, layer_names

    out = _out(getattr(args, "out", None), ".gpkg")
    gemeenten = _codes(getattr(args, "gemeente", None)) or None
    engine = engine_for(settings)
    try:
        print("Exporteren (openbaarheidsregels toegepast)...", file=sys.stderr, flush=True)
        export_gpkg(engine, out, gemeenten=gemeenten)
    finally:
        engine.dispose()
    audit_cli(settings, "export", f"GeoPackage {','.join(gemeenten or ['alle'])} -> {out.name}")
    layers = ", ".join(name for name in layer_names(out) if name != "layer_styles")
    print(f"GeoPackage geschreven: {out} (lagen: {layers}).")
    return 0
