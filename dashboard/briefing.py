"""The one-page wijkbriefing for a wethouder (``wijkmonitor report --wijk``), as an A4 PDF.

Map, trend, effect, the three sporen, sources and peildatum on one page. Every number is read
from the publication (``data.publication``): the comparison buurten' line is their published
group series, and the effect is computed from the published group lines.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from reportlab.platypus import Flowable, Paragraph, Spacer
from sqlalchemy import Engine

from dashboard.pdf import blocks, style
from dashboard.pdf.document import write_pdf
from dashboard.pdf.figures import (
    EFFORT,
    GemeenteCijfers,
    area_series,
    check_indicators,
    check_period,
    default_period,
    gemeente_in,
    is_demo,
    load_gemeente,
    peildatum_text,
    trend_periods,
    unit_label,
)
from dashboard.pdf.maps import wijk_map
from dashboard.pdf.trend import trend_drawing
from data import meta, store
from data.publication.cells import group_code
from data.publication.read import ClusterPublication
from geo.areas import gemeente_of
from geo.errors import InputError, WijkmonitorError
from indicators import catalogue
from indicators.periods import label

_WIJK = re.compile(r"^WK\d{6}$")
_MAP_W, _CHART_W, _GAP = 262.0, 257.0, 16.0


# What a briefing shows when nobody chooses: the first indicator gets the map, trend and effect.
DEFAULT_INDICATORS = [
    catalogue.ILLEGALE_BEWONING,
    catalogue.WONINGSPLITSING,
    catalogue.OVERBEWONING,
    catalogue.BRP_AFWIJKING,
    catalogue.UITKERING_AFWIJKING,
    catalogue.NIET_GEBRUIK,
]


def briefing_pdf(
    engine: Engine,
    *,
    wijk: str,
    indicators: list[str],
    periode: str | None,
    out: Path,
    pub: ClusterPublication | None = None,
) -> Path:
    """Write the wijkbriefing of ``wijk`` to ``out`` (one A4 page) and return ``out``.

    ``indicators``: the first is the map, trend and effect indicator; all appear in the sporen
    table. ``periode``: ``YYYY``, ``YYYY-Qn`` or ``YYYY-MM`` for the map and table (default: the
    latest year with data). Raises InputError for an unknown wijk, indicator or period.
    """
    indicators = check_indicators(indicators)
    periode = check_period(periode)
    wijk = wijk.strip().upper()
    if not _WIJK.match(wijk):
        raise InputError(f"Onbekende wijk {wijk!r}: verwacht WK gevolgd door 6 cijfers.")
    gem = (
        load_gemeente(engine, gemeente_of(wijk), indicators)
        if pub is None
        else gemeente_in(pub, gemeente_of(wijk))
    )
    if wijk not in set(gem.areas.loc[gem.areas["level"] == "wijk", "code"]):
        raise InputError(f"Onbekende wijk {wijk}: niet in indeling {gem.indeling_jaar} geladen.")
    periode = periode or default_period([gem], indicators[0])
    intervention = _intervention(engine, gem, wijk)
    result, error = _effect(engine, gem, intervention, indicators[0])
    story = _story(engine, gem, wijk, indicators, periode, intervention, result, error)
    title = f"Wijkbriefing {gem.names()[wijk]}"
    footer = f"Wijkmonitor · Wijkbriefing {wijk}"
    return write_pdf(out, [story], title=title, demo=is_demo(engine), footer=footer)


def _intervention(engine: Engine, gem: GemeenteCijfers, wijk: str) -> pd.Series | None:
    """The latest intervention with a buurt in ``wijk``, or None."""
    buurten = set(gem.areas.loc[gem.areas["parent_code"] == wijk, "code"])
    interventions = store.load_interventions(engine)
    hits = interventions[interventions["buurtcodes"].map(lambda codes: bool(buurten & set(codes)))]
    return None if hits.empty else hits.sort_values("start").iloc[-1]


def _effect(
    engine: Engine, gem: GemeenteCijfers, intervention: pd.Series | None, indicator: str
) -> tuple[Any | None, str | None]:
    """The effect estimate of the intervention on ``indicator``, or (None, why not). For an
    intervention that has not started by the peildatum: its power (``PlannedPower.result``)."""
    if intervention is None:
        return None, None
    from data.publication.effects import effect_for_intervention
    from data.publication.power import planned_power

    try:
        peildatum = meta.peildatum(engine) or date.today()
        if intervention["start"] > peildatum:
            codes = list(intervention["buurtcodes"])
            return planned_power(engine, codes, indicator, pub=gem.pub).result, None
        result = effect_for_intervention(
            engine, str(intervention["id"]), indicator, "did", pub=gem.pub
        )
        return result, None
    except (WijkmonitorError, ValueError, ArithmeticError) as exc:
        return None, str(exc)


def _story(
    engine: Engine,
    gem: GemeenteCijfers,
    wijk: str,
    indicators: list[str],
    periode: str,
    intervention: pd.Series | None,
    result: Any | None,
    error: str | None,
) -> list[Flowable]:
    names = gem.names()
    main = catalogue.get(indicators[0])
    today = style.nl_date(date.today())
    story: list[Flowable] = [
        Paragraph(style.safe(f"Wijkbriefing {names[wijk]}"), style.TITLE),
        blocks.p(
            f"Wijk {wijk} in {gem.naam} ({gem.code}) · buurtindeling {gem.indeling_jaar} · "
            f"cijfers over {label(periode)} · gemaakt op {today}",
            style.SUBTITLE,
        ),
        Spacer(1, 3),
        blocks.p(style.SIGNALS_STATEMENT, style.STATEMENT),
        Spacer(1, 6),
    ]
    left = _map_column(gem, wijk, main.code, periode)
    right = _trend_column(gem, wijk, main.code, periode, intervention, result)
    story.append(blocks.grid([[left, "", right]], [_MAP_W, _GAP, _CHART_W]))
    story.append(Paragraph("Effect van de aanpak", style.HEADING))
    story.extend(blocks.effect_flowables(intervention, result, error, main.code))
    story.append(
        Paragraph(style.safe(f"Drie sporen in één oogopslag ({label(periode)})"), style.HEADING)
    )
    table, starred = blocks.sporen_table(
        gem, indicators=indicators, wijk=wijk, periode=periode, width=style.CONTENT_WIDTH
    )
    story.append(table)
    if starred:
        story.append(blocks.p(blocks.COMPUTED_NOTE, style.SMALL))
    story.append(Paragraph("Bronnen en peildatum", style.HEADING))
    story.extend(
        blocks.sources_flowables([gem], peildatum=peildatum_text(engine), demo=is_demo(engine))
    )
    return story


def _map_column(gem: GemeenteCijfers, wijk: str, indicator: str, periode: str) -> list[Flowable]:
    card = catalogue.get(indicator)
    drawing, legend = wijk_map(gem, wijk, indicator=indicator, periode=periode, width=_MAP_W)
    return [
        blocks.p(f"{card.naam}, {label(periode)}", style.CELL_BOLD),
        blocks.p(f"{unit_label(indicator, periode)}; buurten van de wijk en omgeving", style.SMALL),
        Spacer(1, 2),
        drawing,
        Spacer(1, 3),
        legend,
    ]


def _trend_column(
    gem: GemeenteCijfers,
    wijk: str,
    indicator: str,
    periode: str,
    intervention: pd.Series | None,
    result: Any | None,
) -> list[Flowable]:
    card = catalogue.get(indicator)
    names = gem.names()
    table = gem.published(indicator)
    periods = trend_periods(table, [wijk, gem.code], periode)
    series = [
        (names[wijk], area_series(table, wijk, periods)),
        (gem.naam, area_series(table, gem.code, periods)),
    ]
    if result is not None and getattr(result, "controle", None):
        code = group_code(result.interventie, "controle")
        series.append(
            (f"Vergelijkingsbuurten ({len(result.controle)})", area_series(table, code, periods))
        )
    markers = []
    if intervention is not None:
        markers.append(
            (str(intervention["start"]), f"Start aanpak {label(str(intervention['start'])[:7])}")
        )
    unit = unit_label(indicator, periods[-1] if periods else "2000-Q1")
    out: list[Flowable] = [
        blocks.p(f"Verloop per kwartaal: {card.naam.lower()}", style.CELL_BOLD),
        blocks.p(unit, style.SMALL),
        Spacer(1, 2),
        trend_drawing(series, width=_CHART_W, height=168 if card.hit else 230, markers=markers),
    ]
    if card.hit:
        effort = gem.published(EFFORT)
        out += [
            Spacer(1, 6),
            blocks.p("Inzet: controles (wie vaker kijkt, vindt meer)", style.CELL_BOLD),
            blocks.p(unit_label(EFFORT, "2000-Q1"), style.SMALL),
            Spacer(1, 2),
            trend_drawing(
                [
                    (names[wijk], area_series(effort, wijk, periods)),
                    (gem.naam, area_series(effort, gem.code, periods)),
                ],
                width=_CHART_W,
                height=108,
                markers=markers,
            ),
        ]
    out.append(
        blocks.p(
            "Een onderbroken lijn: geheim (x) of niet geleverd (.). Gebieden die gekozen zijn "
            "omdat het er slecht ging, verbeteren vaak ook vanzelf.",
            style.SMALL,
        )
    )
    return out
