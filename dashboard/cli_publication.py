"""``wijkmonitor publish`` and ``wijkmonitor audit``: the whole publication, and the attack on it.

``publish (--gemeente GM.... [--gemeente ...] | --regio ID) --out FILE.csv`` writes every number
any output may show for those gemeenten or that region, one row each. ``audit`` attacks the
publication of the same scope with linear programming and exits 1 when the protection standard
(docs/methoden.md, "Geheimhouding") is broken.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from dashboard.cli_common import audit_cli, engine_for, say
from data.publication.audit import IndicatorAudit, audit_publication
from data.publication.read import ClusterPublication, open_publication, scope_rows, write_csv
from data.publication.scope import region_cluster
from data.settings import Settings
from geo.errors import InputError
from indicators.audit import PROTECTION
from indicators.disclosure import format_cell


def _scope(args: argparse.Namespace) -> tuple[list[str] | None, str | None]:
    gemeenten = [
        c.strip().upper()
        for v in (getattr(args, "gemeente", None) or [])
        for c in v.split(",")
        if c.strip()
    ]
    regio = getattr(args, "regio", None)
    if bool(gemeenten) == bool(regio):
        raise InputError("Kies --gemeente GM.... (een of meer) of --regio ID, niet allebei.")
    return (gemeenten or None), regio


def _open(settings: Settings, gemeenten: list[str] | None, regio: str | None) -> ClusterPublication:
    engine = engine_for(settings)
    try:
        if regio:
            cluster, _ = region_cluster(engine, regio)
            return open_publication(engine, cluster=cluster)
        return open_publication(engine, gemeenten=gemeenten)
    finally:
        engine.dispose()


def cmd_publish(args: argparse.Namespace, settings: Settings) -> int:
    """Write the publication of the gemeenten or region as CSV."""
    gemeenten, regio = _scope(args)
    out = Path(str(args.out))
    if out.suffix.lower() != ".csv":
        raise InputError(f"--out {out}: verwacht een bestand dat eindigt op .csv.")
    pub = _open(settings, gemeenten, regio)
    rows = scope_rows(pub, gemeenten=gemeenten, regio=regio)
    write_csv(rows, out)
    scope = f"regio {regio}" if regio else "gemeente " + ", ".join(gemeenten or [])
    audit_cli(settings, "publicatie", f"{scope} -> {out.name}")
    say(f"Publicatie van {scope}: {len(rows):,} rijen naar {out}.".replace(",", "."))
    return 0


def _line(row: IndicatorAudit) -> str:
    if row.smalste is None:
        interval = "geen geheime cellen met 1 t/m 4"
    else:
        lo, hi = row.smalste
        interval = f"smalste bereikte interval [{lo + 0:.0f}, {hi + 0:.0f}]"
    verdict = "in orde" if row.ok else "GEBROKEN"
    count = format_cell(row.geheim, "", decimals=0)
    text = f"{row.indicator}: {count} geheime cellen, {interval}: {verdict}"
    if row.kleine_sommen:
        text += f" ({row.kleine_sommen} relaties met geheime delen die samen 1 t/m 4 zijn)"
    if row.voorbeelden:
        text += "; bijvoorbeeld " + "; ".join(row.voorbeelden)
    return text


def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    """Attack the publication; print per indicator; exit 1 when the standard is broken."""
    gemeenten, regio = _scope(args)
    pub = _open(settings, gemeenten, regio)
    gemeente_list = ", ".join(pub.cluster.gemeenten)
    print(f"Aanval op de publicatie van {gemeente_list} (alles wat samen gepubliceerd wordt).")
    print(f"Norm: {PROTECTION}")
    print(
        "De aanvaller kent ook wat eerder is uitgegeven: groepsreeksen en regio's die toen "
        "andere leden hadden tellen mee, met wat er toen van getoond is."
    )
    print(
        "Bij een meegeleverde noemer: ':noemer' is de noemer als eigen aantal, ':samen' teller "
        "en noemer samen (een teller is nooit groter dan zijn noemer), over de huidige "
        "aantallen; eerdere versies van gecorrigeerde aantallen per tabel apart."
    )
    results = audit_publication(pub)
    for row in results:
        print(_line(row), flush=True)
    broken = [r for r in results if not r.ok]
    if broken:
        print(f"Norm geschonden bij {len(broken)} indicator(en).")
        return 1
    print("Norm gehaald: geen geheime cel is te herleiden.")
    return 0
