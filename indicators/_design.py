"""The panel split into groups and periods: what every effect estimator works on.

A panel is a long frame ``code, periode, teller, noemer``. All its periods are of one kind,
``YYYY-MM`` (maand), ``YYYY-Qn`` (kwartaal) or ``YYYY`` (jaar), and ``start`` and ``end`` are of
the same kind. A period counts only where both the treated and the comparison group have data
(a NaN teller is "not delivered" or "secret": either way the period is missing, never zero).
``start`` is one period for all treated codes, or a mapping code -> start for staggered
adoption; ``cohorts`` groups the treated codes by their start.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.errors import InputError
from indicators._placebo import Bools, Wide, to_wide
from indicators.periods import granularity, panel_granularity, period_range

PANEL_COLUMNS = ("code", "periode", "teller", "noemer")
FORMATS = {"maand": "JJJJ-MM", "kwartaal": "JJJJ-Qn", "jaar": "JJJJ"}
# Fewer pre periods than this draw a warning: a year of months (one season cycle), two years of
# quarters (eight points for a level), five years of years (as short as ADH's shortest cases).
MIN_PRE_PERIODS = {"maand": 12, "kwartaal": 8, "jaar": 5}

Start = str | Mapping[str, str]


@dataclass(frozen=True)
class Design:
    """The panel as groups over its periods: what every estimator works on.

    ``pre`` and ``post`` are masks over ``periods``; a period is in neither when the treated or
    the comparison group has no data there. ``granularity``: "maand", "kwartaal" or "jaar".
    """

    periods: tuple[str, ...]
    pre: Bools
    post: Bools
    treated: Wide
    controls: Wide
    ring: Wide
    schaal: float
    granularity: str = "maand"
    start: str = ""


def check_inputs(
    panel: pd.DataFrame, treated: Sequence[str], controls: Sequence[str], ring: Sequence[str]
) -> None:
    """Raise InputError for missing columns, an empty group, or a code in two roles."""
    missing = [c for c in PANEL_COLUMNS if c not in panel.columns]
    if missing:
        raise InputError(f"Het panel mist kolommen: {', '.join(missing)}.")
    if not treated:
        raise InputError("Geen behandelde buurten opgegeven.")
    if not controls:
        raise InputError("Geen vergelijkingsbuurten: een effect is niet te schatten.")
    overlap = sorted(set(controls) & (set(treated) | set(ring)))
    if overlap:
        raise InputError(
            "Behandelde buurten en ringbuurten mogen geen vergelijkingsbuurt zijn: "
            + ", ".join(overlap)
        )


def panel_kind(panel: pd.DataFrame) -> tuple[str, pd.Series]:
    """The panel's granularity and its delivered periods (rows with a teller)."""
    periodes = panel.loc[panel["teller"].notna(), "periode"].astype(str)
    if periodes.empty:
        raise InputError("Het panel bevat geen geleverde perioden.")
    try:
        return panel_granularity(periodes), periodes
    except ValueError as exc:
        raise InputError(str(exc)) from None


def check_period(name: str, value: str | None, kind: str) -> None:
    """``value`` must be a period of the panel's own kind."""
    if value is None:
        return
    try:
        ok = granularity(value) == kind
    except ValueError:
        ok = False
    if not ok:
        raise InputError(
            f"{name} moet {FORMATS[kind]} zijn, zoals de perioden van het panel, niet {value!r}."
        )


def cohorts(start: Start, treated: Sequence[str]) -> list[tuple[str, list[str]]]:
    """(start, sorted codes) per distinct start, earliest first.

    A str start gives one cohort of all treated codes. A mapping must name every treated code
    and nothing else.
    """
    if isinstance(start, str):
        return [(start, sorted(treated))]
    unknown = sorted(set(start) - set(treated))
    missing = sorted(set(treated) - set(start))
    if unknown or missing:
        raise InputError(
            "De startperiodes moeten precies de behandelde buurten noemen"
            + (f"; onbekend: {', '.join(unknown)}" if unknown else "")
            + (f"; zonder start: {', '.join(missing)}" if missing else "")
            + "."
        )
    groups: dict[str, list[str]] = {}
    for code in treated:
        groups.setdefault(str(start[code]), []).append(code)
    return [(s, sorted(codes)) for s, codes in sorted(groups.items())]


def prepare(
    panel: pd.DataFrame,
    *,
    treated: Sequence[str],
    controls: Sequence[str],
    ring: Sequence[str],
    start: str,
    end: str | None,
    schaal: float,
) -> Design:
    """Split ``panel`` (``code, periode, teller, noemer``) into the estimation design.

    The pre period is every period before ``start``; the post period runs from ``start`` to
    ``end`` (or the last period with data). A period counts only where both the treated and the
    comparison buurten have data.
    """
    check_inputs(panel, treated, controls, ring)
    kind, periodes = panel_kind(panel)
    check_period("start", start, kind)
    check_period("eind", end, kind)
    last = min(str(periodes.max()), end) if end else str(periodes.max())
    periods = tuple(period_range(str(periodes.min()), max(last, str(periodes.min()))))
    design_treated = to_wide(panel, list(treated), periods)
    design_controls = to_wide(panel, list(controls), periods)
    observed = (design_treated.noemer.sum(axis=0) > 0) & (design_controls.noemer.sum(axis=0) > 0)
    position = np.array(periods)
    return Design(
        periods=periods,
        pre=(position < start) & observed,
        post=(position >= start) & observed,
        treated=design_treated,
        controls=design_controls,
        ring=to_wide(panel, list(ring), periods),
        schaal=schaal,
        granularity=kind,
        start=start,
    )
