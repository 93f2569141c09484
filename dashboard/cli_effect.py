"""``wijkmonitor effect``: an intervention's effect on an indicator (see CONTRACT.md).

The lead wires ``cmd_effect`` into ``dashboard.cli`` as ``effect --interventie ID --indicator
CODE [--methode did|synth] [--json]``.
"""

from __future__ import annotations

import argparse
import json

from data import db
from data.publication.effects import effect_for_intervention
from data.settings import Settings
from indicators.effects import EffectResult, nl

METHODE_NAMEN = {"did": "verschil-in-verschillen", "synth": "synthetische controle"}


def format_effect(result: EffectResult) -> str:
    """A short Dutch text: the effect with its interval, p-value, groups and warnings."""
    methode = METHODE_NAMEN.get(result.methode, result.methode)
    pre_trend = "niet te toetsen" if result.pre_trend_p is None else nl(result.pre_trend_p, 3)
    lines = [
        f"Effect van {result.interventie} op {result.indicator} ({methode}):",
        f"  {nl(result.effect)} {result.eenheid} per maand "
        f"(95%-interval {nl(result.ci_low)} tot {nl(result.ci_high)}), p = {nl(result.p_value, 3)}",
        "  Negatief betekent: lager dan het zonder aanpak naar verwachting was geweest.",
        f"  Behandelde buurten: {len(result.behandeld)}; vergelijkingsbuurten: "
        f"{len(result.controle)}; ring (waterbed, apart gehouden): {len(result.ring)}",
        f"  Voorperiode {result.pre_perioden} maanden, naperiode {result.post_perioden} maanden; "
        f"pre-trendtoets p = {pre_trend}",
        "Let op:",
        *[f"  - {w}" for w in result.waarschuwingen],
        "Wijkmonitor signaleert; een schatting als deze verklaart geen oorzaken.",
    ]
    return "\n".join(lines)


def cmd_effect(args: argparse.Namespace, settings: Settings) -> int:
    """Estimate and print; InputError (exit 2) for an unknown intervention or indicator."""
    engine = db.make_engine(settings.db_url)
    try:
        result = effect_for_intervention(
            engine, args.interventie, args.indicator, getattr(args, "methode", None) or "did"
        )
    finally:
        engine.dispose()
    if getattr(args, "json", False):
        print(json.dumps(result.to_json_dict(), ensure_ascii=False))
    else:
        print(format_effect(result))
    return 0
