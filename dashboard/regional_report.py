"""The RPF overview (``wijkmonitor report --regio`` or several ``--gemeente``), as an A4 PDF.

Page 1: the gemeenten side by side (a map and a table of indicators, each gemeente on its own
indeling, stated). Then one page per gemeente: its map with the aandachtswijken (wijken holding
intervention buurten), those wijken and their interventions, and its key indicators.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
from reportlab.platypus import Flowable, Paragraph, Spacer
from sqlalchemy import Engine

from dashboard.pdf import blocks, style
from dashboard.pdf.document import write_pdf
from dashboard.pdf.figures import (
    EFFORT,
    PER_CONTROLE,
    GemeenteCijfers,
    check_indicators,
    check_period,
    default_period,
    gemeente_in,
    is_demo,
    peildatum_text,
    unit_label,
)
from dashboard.pdf.maps import gemeente_map, region_map
from data import store
from data.publication.read import open_publication
from data.regions import load_regions
from geo.errors import InputError
from indicators import catalogue
from indicators.periods import label

_MAX_WIJK_COLUMNS = 4


def regional_pdf(
    engine: Engine,
    *,
    regio: str | None,
    gemeenten: list[str],
    indicators: list[str],
    periode: str | None,
    out: Path,
) -> Path:
    """Write the RPF overview of region ``regio`` (or of ``gemeenten``) to ``out``.

    1 + n pages for n gemeenten. ``indicators``: the first colours the maps; all are in the
    tables. ``periode`` as in ``briefing_pdf`` (default: the latest year with data). Raises
    InputError for an unknown region, gemeente, indicator or period.
    """
    indicators = check_indicators(list(indicators))
    periode = check_period(periode)
    title, codes = _members(engine, regio, gemeenten)
    unknown = [c for c in codes if store.latest_indeling(engine, c) is None]
    if unknown:
        raise InputError(
            f"Onbekende gemeente(n): {', '.join(unknown)}: er zijn geen gebieden van geladen."
        )
    needed = sorted({*indicators, EFFORT, catalogue.ILLEGALE_BEWONING, PER_CONTROLE})
    pub = open_publication(engine, gemeenten=codes, indicators=needed)
    members = [gemeente_in(pub, code) for code in codes]
    if not regio:
        title = "Regio-overzicht " + ", ".join(g.naam for g in members)
    periode = periode or default_period(members, indicators[0])
    interventions = store.load_interventions(engine)
    peildatum = peildatum_text(engine)
    demo = is_demo(engine)
    pages = [_summary(members, title, indicators, periode, peildatum, demo)]
    pages += [_gemeente_page(g, interventions, indicators, periode, peildatum) for g in members]
    return write_pdf(out, pages, title=title, demo=demo, footer=f"Wijkmonitor · {title}")


def _members(engine: Engine, regio: str | None, gemeenten: list[str]) -> tuple[str, list[str]]:
    """The report title and the gemeentecodes, from the region or the given list."""
    if regio:
        regions = load_regions(engine)
        found = regions[regions["id"] == regio]
        if found.empty:
            known = ", ".join(regions["id"]) or "geen"
            raise InputError(f"Onbekende regio {regio!r}; bekend: {known}.")
        row = found.iloc[0]
        if not row["gemeenten"]:
            raise InputError(f"Regio {regio!r} heeft geen gemeenten.")
        return f"RPF-overzicht {row['naam']}", list(row["gemeenten"])
    codes = list(dict.fromkeys(g.strip().upper() for g in gemeenten if g.strip()))
    if not codes:
        raise InputError("Geef --regio ID of minstens één --gemeente GM....")
    return "Regio-overzicht", codes


def _header(title: str, subtitle: str) -> list[Flowable]:
    return [
        Paragraph(style.safe(title), style.TITLE),
        blocks.p(subtitle, style.SUBTITLE),
        Spacer(1, 3),
        blocks.p(style.SIGNALS_STATEMENT, style.STATEMENT),
        Spacer(1, 6),
    ]


def _summary(
    members: list[GemeenteCijfers],
    title: str,
    indicators: list[str],
    periode: str,
    peildatum: str,
    demo: bool,
) -> list[Flowable]:
    card = catalogue.get(indicators[0])
    listed = "; ".join(f"{g.naam} ({g.code}, indeling {g.indeling_jaar})" for g in members)
    today = style.nl_date(date.today())
    page = _header(title, f"{listed} · cijfers over {label(periode)} · gemaakt op {today}")
    width = style.CONTENT_WIDTH * 0.58
    drawing, legend = region_map(
        members, indicator=card.code, periode=periode, width=width, height=width * 0.8
    )
    left: list[Flowable] = [
        blocks.p(
            f"{card.naam}, {label(periode)} ({unit_label(card.code, periode)})", style.CELL_BOLD
        ),
        Spacer(1, 2),
        drawing,
        Spacer(1, 3),
        legend,
    ]
    right = [blocks.p(text, style.SMALL) for text in _indeling_notes(members)]
    page.append(blocks.grid([[left, "", right]], [width, 14, style.CONTENT_WIDTH - width - 14]))
    page.append(
        Paragraph(style.safe(f"De gemeenten naast elkaar ({label(periode)})"), style.HEADING)
    )
    columns = [(f"{g.naam}\n{g.code}, indeling {g.indeling_jaar}", g, g.code) for g in members]
    table, starred = blocks.area_table(
        [(text.replace("\n", " "), g, code) for text, g, code in columns],
        indicators=indicators,
        periode=periode,
        width=style.CONTENT_WIDTH,
    )
    page.append(table)
    if starred:
        page.append(blocks.p(blocks.COMPUTED_NOTE, style.SMALL))
    page.append(Paragraph("Bronnen en peildatum", style.HEADING))
    page.extend(blocks.sources_flowables(members, peildatum=peildatum, demo=demo))
    return page


def _indeling_notes(members: list[GemeenteCijfers]) -> list[str]:
    notes = [
        "Elke gemeente staat op haar eigen buurtindeling (zie de kolomkoppen). Buurten van "
        "verschillende indelingsjaren zijn niet één op één vergelijkbaar; vergelijk gemeenten "
        "op hun totaal.",
    ]
    for g in members:
        levels = g.areas["level"].value_counts()
        notes.append(
            f"{g.naam} ({g.code}): indeling {g.indeling_jaar}, {levels.get('wijk', 0)} wijken, "
            f"{levels.get('buurt', 0)} buurten."
        )
    notes.append(
        "Aandachtswijken zijn wijken met een buurt waarin een interventie loopt; ze staan per "
        "gemeente op de volgende pagina's."
    )
    return notes


def aandachtswijken(gem: GemeenteCijfers, interventions: pd.DataFrame) -> dict[str, list[str]]:
    """Wijkcode -> ids of the interventions with a buurt in that wijk (this gemeente only)."""
    parent = gem.areas.set_index("code")["parent_code"]
    found: dict[str, list[str]] = {}
    for row in interventions.to_dict("records"):
        wijken = sorted({str(parent[c]) for c in row["buurtcodes"] if c in parent.index})
        for wijk in wijken:
            found.setdefault(wijk, []).append(str(row["id"]))
    return dict(sorted(found.items()))


def _gemeente_page(
    gem: GemeenteCijfers,
    interventions: pd.DataFrame,
    indicators: list[str],
    periode: str,
    peildatum: str,
) -> list[Flowable]:
    names = gem.names()
    wijken = aandachtswijken(gem, interventions)
    levels = gem.areas["level"].value_counts()
    page = _header(
        f"{gem.naam} ({gem.code})",
        f"Buurtindeling {gem.indeling_jaar} · {levels.get('wijk', 0)} wijken, "
        f"{levels.get('buurt', 0)} buurten · cijfers over {label(periode)}",
    )
    card = catalogue.get(indicators[0])
    width = style.CONTENT_WIDTH * 0.58
    drawing, legend = gemeente_map(
        gem,
        indicator=card.code,
        periode=periode,
        width=width,
        height=width * 1.02,
        aandachtswijken=list(wijken),
    )
    left: list[Flowable] = [
        blocks.p(
            f"{card.naam}, {label(periode)} ({unit_label(card.code, periode)})", style.CELL_BOLD
        ),
        Spacer(1, 2),
        drawing,
        Spacer(1, 3),
        legend,
    ]
    right = _aandacht_flowables(wijken, names, interventions)
    page.append(blocks.grid([[left, "", right]], [width, 14, style.CONTENT_WIDTH - width - 14]))
    page.append(Paragraph(style.safe(f"Kerncijfers ({label(periode)})"), style.HEADING))
    shown = list(wijken)[:_MAX_WIJK_COLUMNS]
    columns = [(f"Gemeente {gem.naam}", gem, gem.code)]
    columns += [(f"{names.get(w, w)} ({w})", gem, w) for w in shown]
    table, starred = blocks.area_table(
        columns, indicators=indicators, periode=periode, width=style.CONTENT_WIDTH
    )
    page.append(table)
    if len(wijken) > len(shown):
        page.append(
            blocks.p(
                f"Nog {len(wijken) - len(shown)} aandachtswijken: zie het dashboard.", style.SMALL
            )
        )
    if starred:
        page.append(blocks.p(blocks.COMPUTED_NOTE, style.SMALL))
    page.append(Spacer(1, 4))
    page.extend(blocks.sources_flowables([gem], peildatum=peildatum, demo=False))
    return page


def _aandacht_flowables(
    wijken: dict[str, list[str]], names: dict[str, str], interventions: pd.DataFrame
) -> list[Flowable]:
    out: list[Flowable] = [Paragraph("Aandachtswijken en interventies", style.CELL_BOLD)]
    if not wijken:
        out.append(blocks.p("Geen interventies vastgelegd in deze gemeente.", style.BODY))
        return out
    by_id = {str(row["id"]): row for row in interventions.to_dict("records")}
    for wijk, ids in wijken.items():
        out.append(Spacer(1, 3))
        out.append(blocks.p(f"{names.get(wijk, wijk)} ({wijk})", style.CELL_BOLD))
        for ident in ids:
            row = by_id[ident]
            period = f"vanaf {style.nl_date(row['start'])}"
            if row["eind"] is not None and not pd.isna(row["eind"]):
                period = f"{style.nl_date(row['start'])} t/m {style.nl_date(row['eind'])}"
            partner_text = style.partners(row["partners"]) or "geen partners vastgelegd"
            soort = style.SOORTEN.get(str(row["soort"]), str(row["soort"]))
            text = (
                f"{row['naam']} ({soort}, {period}; {len(row['buurtcodes'])} buurten; "
                f"partners: {partner_text})"
            )
            out.append(Paragraph(style.safe(text), style.BULLET, bulletText="•"))
    return out
