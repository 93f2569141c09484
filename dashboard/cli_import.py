"""``wijkmonitor import`` and ``wijkmonitor interventions import`` (docs/contract.md).

Each file is all or nothing; with several files the accepted ones stay. stderr gives each file's
outcome and, for a refused file, every problem on its own line (file, row, column). Exit status
2 when any file was refused, 0 otherwise.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from dashboard.cli_common import engine_for, nl
from data.deliveries.importer import Outcome, import_files
from data.deliveries.interventions import import_interventions
from data.settings import Settings

_SOORT = {
    "buurtaggregaten": "buurtaggregaten",
    "adresbevindingen": "adresbevindingen",
    "interventies": "interventies",
    "onbekend": "soort onbekend",
}


def outcome_lines(outcome: Outcome) -> list[str]:
    """The outcome of one file in Dutch: a head line, then each problem on its own line."""
    if outcome.geaccepteerd:
        extra = (
            f"; {nl(outcome.vervangen)} eerder geïmporteerde rijen vervangen"
            if outcome.vervangen
            else ""
        )
        return [
            f"{outcome.bestand}: geaccepteerd ({nl(outcome.rijen)} rijen, "
            f"{_SOORT[outcome.soort]}{extra})"
        ]
    n = len(outcome.problemen)
    head = f"{outcome.bestand}: geweigerd ({nl(n)} {'probleem' if n == 1 else 'problemen'})"
    return [head, *(f"  {problem}" for problem in outcome.problemen)]


def _report(outcomes: Sequence[Outcome]) -> int:
    for outcome in outcomes:
        for line in outcome_lines(outcome):
            print(line, file=sys.stderr)
    refused = sum(not o.geaccepteerd for o in outcomes)
    accepted = len(outcomes) - refused
    if len(outcomes) > 1:
        print(
            f"{accepted} van {len(outcomes)} bestanden geaccepteerd, {refused} geweigerd.",
            file=sys.stderr,
        )
    return 2 if refused else 0


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    """``wijkmonitor import FILE [FILE...] [--vervang]``."""
    engine = engine_for(settings)
    try:
        outcomes = import_files(
            engine,
            args.files,
            vervang=bool(getattr(args, "vervang", False)),
            limits=settings.upload,
        )
    finally:
        engine.dispose()
    return _report(outcomes)


def cmd_interventions_import(args: argparse.Namespace, settings: Settings) -> int:
    """``wijkmonitor interventions import FILE``."""
    engine = engine_for(settings)
    try:
        outcome = import_interventions(engine, args.file, limits=settings.upload)
    finally:
        engine.dispose()
    return _report([outcome])
