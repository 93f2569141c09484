"""``wijkmonitor effect`` and ``wijkmonitor power`` (docs/cli.md).

``effect --interventie ID --indicator CODE [--methode did|synth] [--periode-per
maand|kwartaal|jaar] [--json]``: an intervention's effect, from its published group lines.
``power --buurt BU... --indicator CODE [--json]``: the minimum detectable effect of a planned one.
"""

from __future__ import annotations

import argparse
import json

from dashboard.cli_common import engine_for
from data.publication.effects import effect_for_intervention, granularity_of
from data.publication.power import PlannedPower, planned_power
from data.settings import Settings
from indicators.effects import EffectResult, nl

METHODE_NAMEN = {"did": "verschil-in-verschillen", "synth": "synthetische controle"}


WOORDEN = {"maand": "maanden", "kwartaal": "kwartalen", "jaar": "jaren"}


def format_effect(result: EffectResult) -> str:
    """A short Dutch text: the effect with its interval, p-value, groups and warnings."""
    methode = METHODE_NAMEN.get(result.methode, result.methode)
    pre_trend = "niet te toetsen" if result.pre_trend_p is None else nl(result.pre_trend_p, 3)
    per = granularity_of(result)
    lines = [
        f"Effect van {result.interventie} op {result.indicator} ({methode}):",
        f"  {nl(result.effect)} {result.eenheid} per {per} "
        f"(95%-interval {nl(result.ci_low)} tot {nl(result.ci_high)}), p = {nl(result.p_value, 3)}",
        "  Negatief betekent: lager dan het zonder aanpak naar verwachting was geweest.",
        f"  Behandelde buurten: {len(result.behandeld)}; vergelijkingsbuurten: "
        f"{len(result.controle)}; ring (waterbed, apart gehouden): {len(result.ring)}",
        f"  Voorperiode {result.pre_perioden} {WOORDEN[per]}, naperiode {result.post_perioden} "
        f"{WOORDEN[per]}; pre-trendtoets p = {pre_trend}; interval: {result.inferentie}",
        "Let op:",
        *[f"  - {w}" for w in result.waarschuwingen],
        "Wijkmonitor signaleert; een schatting als deze verklaart geen oorzaken.",
    ]
    return "\n".join(lines)


def cmd_effect(args: argparse.Namespace, settings: Settings) -> int:
    """Estimate and print; InputError (exit 2) for an unknown intervention or indicator."""
    engine = engine_for(settings)
    try:
        result = effect_for_intervention(
            engine,
            args.interventie,
            args.indicator,
            getattr(args, "methode", None) or "did",
            periode_per=getattr(args, "periode_per", None) or "maand",
        )
    finally:
        engine.dispose()
    if getattr(args, "json", False):
        print(json.dumps(result.to_json_dict(), ensure_ascii=False))
    else:
        print(format_effect(result))
    return 0


def format_power(planned: PlannedPower) -> str:
    """The minimum detectable effects as Dutch text."""
    result = planned.result
    lines = [
        f"Hoe groot moet een effect op {planned.indicator} zijn om het te zien "
        f"(80% kans, 5%-niveau), {len(planned.buurten)} buurten:",
    ]
    for months, size in planned.per_month().items():
        shown = "niet te zien" if size == float("inf") else f"{nl(size)} {result.eenheid} per maand"
        lines.append(f"  na {months} maanden: {shown}")
    lines += [f"  - {w}" for w in result.waarschuwingen]
    lines.append(
        "Berekend op gepubliceerde cijfers: de lijn van deze buurten is daaruit samengesteld."
    )
    return "\n".join(lines)


def cmd_power(args: argparse.Namespace, settings: Settings) -> int:
    """Print the minimum detectable effects for a planned intervention on ``--buurt``."""
    engine = engine_for(settings)
    try:
        planned = planned_power(engine, list(args.buurt or []), args.indicator)
    finally:
        engine.dispose()
    if getattr(args, "json", False):
        print(json.dumps(planned.to_json_dict(), ensure_ascii=False))
    else:
        print(format_power(planned))
    return 0
