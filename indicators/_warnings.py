"""The plain-Dutch warnings that every effect estimate carries (docs/principes.md)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from indicators._design import MIN_PRE_PERIODS
from indicators._placebo import Floats, Inference, rate, to_wide
from indicators.disclosure import format_cell
from indicators.periods import period_word

if TYPE_CHECKING:
    from indicators._design import Design

MIN_CONTROLS = 10
MAX_MISSING_SHARE = 0.10  # missing or secret periods beyond this share draw a warning
PRE_TREND_ALPHA = 0.10
EFFORT_CHANGE = 0.25  # a change in controles of more than 25% relative to the comparison
REGRESSIE = (
    "Buurten die gekozen zijn omdat het er slecht ging, verbeteren vaak ook zonder aanpak "
    "(regressie naar het gemiddelde)"
)
MEER_CONTROLES = "Er werd na de start meer gecontroleerd; meer controles vinden meer"
MINDER_CONTROLES = "Er werd na de start minder gecontroleerd; minder controles vinden minder"


def nl(value: float | None, decimals: int = 2) -> str:
    """A number the Dutch way (``-0,88``); "." when missing or infinite."""
    if value is None or not math.isfinite(value):
        return "."
    return format_cell(value, "", decimals=decimals)


def _weighted_level(values: Floats, weights: Floats, mask: np.ndarray) -> float:
    w = np.where(mask & np.isfinite(values), weights, 0.0)
    total = float(w.sum())
    return float((w * np.nan_to_num(values)).sum() / total) if total > 0 else math.nan


def pre_levels(design: Design) -> tuple[float, float]:
    """Noemer-weighted pre-period rate of the treated and of the comparison buurten."""
    levels = []
    for group in (design.treated, design.controls):
        teller, noemer = group.total()
        levels.append(_weighted_level(rate(teller, noemer, design.schaal), noemer, design.pre))
    return levels[0], levels[1]


def _regression(design: Design, eenheid: str, hoger_is_slechter: bool) -> str:
    treated, controls = pre_levels(design)
    worse = treated > controls if hoger_is_slechter else treated < controls
    if worse:
        richting = "hoger" if hoger_is_slechter else "lager"
        return (
            f"Vóór de start lag het cijfer in de behandelde buurten {richting} dan in de "
            f"vergelijkingsbuurten ({nl(treated)} tegen {nl(controls)} {eenheid}). "
            f"{REGRESSIE}: een deel van een verbetering kan daaraan liggen."
        )
    return (
        f"{REGRESSIE}. Hier lag het cijfer vóór de start niet slechter dan in de "
        f"vergelijkingsbuurten ({nl(treated)} tegen {nl(controls)} {eenheid})."
    )


def buurten(n: int) -> str:
    """ "1 buurt", "12 buurten"."""
    return f"{n} buurt" if n == 1 else f"{n} buurten"


def _waterbed(
    design: Design, waterbed: Inference | None, eenheid: str, ring_buurten: int | None
) -> str:
    if waterbed is None:
        return (
            "Er is geen ring van aangrenzende buurten met gegevens; of problemen naar de buren "
            "zijn verschoven (waterbedeffect), is niet onderzocht."
        )
    # One ring code without a count may be a summed line: then no number rather than "1".
    n = len(design.ring.codes) if ring_buurten is None else ring_buurten
    if ring_buurten is None and n == 1:
        ring = "de ring van aangrenzende buurten"
    else:
        ring = "de aangrenzende buurt" if n == 1 else f"de ring van {n} aangrenzende buurten"
    return (
        f"Waterbedeffect: in {ring} (apart gehouden, geen "
        f"vergelijkingsbuurten) veranderde het cijfer met {nl(waterbed.effect)} {eenheid} "
        f"(95%-interval {nl(waterbed.ci_low)} tot {nl(waterbed.ci_high)}); problemen kunnen "
        "zich naar de buren verplaatsen."
    )


def effort_change(design: Design, effort: pd.DataFrame) -> float | None:
    """Relative change in ``controles`` rate after the start, treated against comparison.

    (treated post / treated pre) / (comparison post / comparison pre) - 1, each a
    noemer-weighted mean over the months where the effort panel was delivered; None when
    it cannot be computed.
    """
    ratios = []
    for group in (design.treated, design.controls):
        wide = to_wide(effort, list(group.codes), design.periods)
        teller, noemer = wide.total()
        values = rate(teller, noemer, 1.0)
        before = _weighted_level(values, noemer, design.pre)
        after = _weighted_level(values, noemer, design.post)
        if not (before > 0 and math.isfinite(after)):
            return None
        ratios.append(after / before)
    return ratios[0] / ratios[1] - 1.0 if ratios[1] > 0 else None


def _effort(design: Design, effort: pd.DataFrame | None) -> str | None:
    if effort is None:
        return None
    change = effort_change(design, effort)
    if change is None or abs(change) <= EFFORT_CHANGE:
        return None
    head = MEER_CONTROLES if change > 0 else MINDER_CONTROLES
    return (
        f"{head}: in de behandelde buurten veranderde het aantal controles per woning met "
        f"{change:+.0%} ten opzichte van de vergelijkingsbuurten. Lees dit effect naast "
        "'controles' en 'illegale bewoning per controle'."
    )


def effect_warnings(
    design: Design,
    main: Inference,
    waterbed: Inference | None,
    *,
    eenheid: str,
    effort: pd.DataFrame | None,
    hoger_is_slechter: bool,
    ring_buurten: int | None = None,
    n_vergelijkingsbuurten: int | None = None,
) -> list[str]:
    """The warnings of one estimate, in a fixed order; see docs/principes.md.

    ``ring_buurten``, ``n_vergelijkingsbuurten``: the buurten behind summed ring and comparison
    lines (None: count the codes with data).
    """
    out = [
        _regression(design, eenheid, hoger_is_slechter),
        _waterbed(design, waterbed, eenheid, ring_buurten),
    ]
    n_pre = int(design.pre.sum())
    kind = design.granularity
    if n_pre < MIN_PRE_PERIODS[kind]:
        out.append(
            f"Korte voorperiode: {period_word(kind, n_pre)} (minder dan {MIN_PRE_PERIODS[kind]}); "
            "de vergelijking met de tijd vóór de start is onzeker."
        )
    missing = _missing(design)
    if missing:
        out.append(missing)
    if main.pre_trend_p is None:
        out.append("De trend vóór de start kon niet worden getoetst (te weinig gegevens).")
    elif main.pre_trend_p < PRE_TREND_ALPHA:
        out.append(
            "De trend vóór de start verschilt tussen de behandelde buurten en de "
            f"vergelijkingsbuurten (pre-trendtoets p = {nl(main.pre_trend_p, 3)}); het effect "
            "kan deels een voortgezette trend zijn."
        )
    effort_text = _effort(design, effort)
    if effort_text:
        out.append(effort_text)
    n_controls = n_vergelijkingsbuurten
    if n_controls is None:
        n_controls = int((design.controls.noemer.sum(axis=1) > 0).sum())
    # One comparison code without a count may be a summed line of any size: no claim then.
    unknown = n_vergelijkingsbuurten is None and n_controls == 1
    if n_controls < MIN_CONTROLS and not unknown:
        out.append(
            f"Weinig vergelijkingsbuurten ({n_controls}, minder dan {MIN_CONTROLS}); de "
            "vergelijkingsreeks is daardoor onrustig en het interval onzeker."
        )
    if main.inferentie == "tijdreeks":
        out.append(
            "Het interval komt uit de tijdreeks: er is één vergelijkingsreeks (of te weinig "
            "vergelijkingsbuurten voor placebogroepen), dus wordt de spreiding van het verschil "
            "tussen de behandelde buurten en de vergelijking over de perioden gebruikt, met "
            "een correctie voor samenhang tussen opeenvolgende perioden (Newey-West)."
        )
    if main.inferentie == "conformeel":
        out.append(
            "Het interval komt uit conformele inferentie over de tijd (Chernozhukov, Wüthrich en "
            "Zhu 2021): er zijn te weinig vergelijkingsbuurten voor placebogroepen, dus worden "
            "de perioden zelf als vergelijking gebruikt."
        )
    if not (math.isfinite(main.ci_low) and math.isfinite(main.ci_high)):
        if main.inferentie in ("conformeel", "tijdreeks"):
            out.append(
                f"Te weinig {period_word(kind, 2).split()[1]} voor een 95%-interval; het effect "
                "is onzeker."
            )
        else:
            out.append(
                "Te weinig vergelijkingsbuurten voor een 95%-interval; het effect is onzeker."
            )
    return out


def _missing(design: Design) -> str | None:
    """A warning when many periods of the treated or comparison series are missing or secret.

    A missing period is dropped, not imputed. When a count of 1-4 is secret, the periods
    that drop out are the low ones, so what remains overstates the rate: coarser periods
    (quarters, years) have larger counts and fewer secrets.
    """
    grid = np.ones(len(design.periods), dtype=bool)
    parts = []
    for name, group in (("behandelde", design.treated), ("vergelijkings", design.controls)):
        missing = int((grid & (group.noemer.sum(axis=0) <= 0)).sum())
        if missing > MAX_MISSING_SHARE * len(grid):
            parts.append(f"{period_word(design.granularity, missing)} in de {name}reeks")
    if not parts:
        return None
    return (
        f"Van {period_word(design.granularity, len(grid))} ontbreken er "
        f"{' en '.join(parts)} (niet geleverd of geheim); die vallen weg. Geheime kleine "
        "aantallen vallen vooral in rustige perioden weg, wat het cijfer kan vertekenen: kies "
        "zo nodig een grovere periode (kwartaal of jaar)."
    )
