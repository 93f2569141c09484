"""Flowables shared by the reports: indicator tables, the effect text, sources and peildatum."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from dashboard.pdf.figures import EFFORT, GemeenteCijfers, delivery_lines, unit_label
from dashboard.pdf.style import (
    ATTRIBUTION,
    BAND,
    BODY,
    BULLET,
    CELL,
    CELL_BOLD,
    CELL_HEAD,
    CELL_HEAD_NUM,
    CELL_NUM,
    CELL_NUM_MUTED,
    CELL_SUB,
    DEMO_TEXT,
    FONT,
    INK,
    RULE,
    SMALL,
    SOORTEN,
    SYMBOLS_NOTE,
    nl_date,
    partners,
    safe,
)
from indicators import catalogue
from indicators.disclosure import format_cell

METHOD_NAMES = {"did": "verschil-in-verschillen", "synth": "synthetische controle"}
COMPUTED_NOTE = "* Berekend uit de afgeronde gepubliceerde aantallen treffers en controles."


def p(text: str, style: Any = CELL) -> Paragraph:
    """A paragraph of plain text (escaped); use ``Paragraph`` directly for markup."""
    return Paragraph(safe(text), style)


def rows_by_spoor(indicators: Sequence[str]) -> list[tuple[str, list[str]]]:
    """The chosen indicators grouped by spoor (catalogue order), ``controles`` always present."""
    wanted = list(dict.fromkeys([*indicators, EFFORT]))
    return [
        (spoor, [c for c in wanted if catalogue.get(c).spoor == spoor])
        for spoor in catalogue.SPOREN
    ]


def table_style(n_head: int, extra: Sequence[tuple[Any, ...]] = ()) -> TableStyle:
    """Thin rules, a grey header band, numbers right-aligned from column 3 on."""
    return TableStyle(
        [
            ("BACKGROUND", (0, 0), (-1, n_head - 1), BAND),
            ("LINEBELOW", (0, n_head - 1), (-1, n_head - 1), 0.6, INK),
            ("LINEBELOW", (0, -1), (-1, -1), 0.6, INK),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("FONTNAME", (0, 0), (-1, -1), FONT),
            ("FONTSIZE", (0, 0), (-1, -1), 7.2),
            ("LEADING", (0, 0), (-1, -1), 8.4),
            ("TEXTCOLOR", (0, 0), (-1, -1), INK),
            ("TOPPADDING", (0, 0), (-1, -1), 1.6),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1.6),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            *extra,
        ]
    )


# Points for spoor, indicator and eenheid: "sociaal-maatschappelijk" fits on one line.
_LABEL_WIDTHS = (89.5, 105.5, 103.0)


def _nums(texts: Sequence[str], style: Any = CELL_NUM) -> list[Paragraph]:
    return [p(t, style) for t in texts]


def _label_cells(spoor: str | None, code: str, periode: str) -> list[Any]:
    card = catalogue.get(code)
    first = p(spoor, CELL_BOLD) if spoor else ""
    return [first, p(card.naam), p(unit_label(code, periode))]


def _widths(total: float, n_values: int) -> list[float]:
    """The label columns, then ``n_values`` equal columns sharing the rest of ``total``."""
    rest = (total - sum(_LABEL_WIDTHS)) / max(n_values, 1)
    return [*_LABEL_WIDTHS, *[rest] * n_values]


def sporen_table(
    gem: GemeenteCijfers, *, indicators: Sequence[str], wijk: str, periode: str, width: float
) -> tuple[Table, bool]:
    """Per spoor its indicators, wijk against gemeente, with effort beside every hit.

    Returns the table and whether a value computed from rounded counts ("*") is in it.
    """
    head = [
        [
            p("Spoor", CELL_HEAD),
            p("Indicator", CELL_HEAD),
            p("Eenheid", CELL_HEAD),
            p("Cijfer", CELL_HEAD_NUM),
            "",
            p("Inzet: controles per 1.000 woningen", CELL_HEAD_NUM),
            "",
            p("Treffers per 100 controles", CELL_HEAD_NUM),
            "",
        ],
        ["", "", "", *_nums(("Wijk", "Gemeente") * 3, CELL_HEAD_NUM)],
    ]
    body: list[list[Any]] = []
    rules: list[tuple[Any, ...]] = []
    starred = False
    areas = (wijk, gem.code)
    for spoor, codes in rows_by_spoor(indicators):
        rules.append(
            ("LINEABOVE", (0, len(head) + len(body)), (-1, len(head) + len(body)), 0.3, RULE)
        )
        for i, code in enumerate(codes):
            values = [gem.value_text(code, area, periode) for area in areas]
            effort = ["", "", "", ""]
            if catalogue.get(code).hit:
                effort = [gem.value_text(EFFORT, area, periode) for area in areas]
                effort += [gem.per_controle_text(code, area, periode) for area in areas]
                starred = starred or any(t.endswith("*") for t in effort)
            body.append(
                [
                    *_label_cells(spoor if i == 0 else None, code, periode),
                    *_nums(values),
                    *_nums(effort),
                ]
            )
        if not codes:
            body.append([p(spoor, CELL_BOLD), p("geen indicator gekozen"), *[""] * 7])
    style = table_style(
        2,
        [
            ("SPAN", (3, 0), (4, 0)),
            ("SPAN", (5, 0), (6, 0)),
            ("SPAN", (7, 0), (8, 0)),
            *[("LINEBEFORE", (c, 0), (c, -1), 0.3, RULE) for c in (3, 5, 7)],
            *rules[1:],
        ],
    )
    return Table(head + body, colWidths=_widths(width, 6), style=style, repeatRows=2), starred


def area_table(
    columns: Sequence[tuple[str, GemeenteCijfers, str]],
    *,
    indicators: Sequence[str],
    periode: str,
    width: float,
) -> tuple[Table, bool]:
    """Indicators (rows, per spoor) for several areas side by side (columns).

    ``columns``: (header text, the gemeente's figures, area code). Every hit indicator is
    followed by its effort row, treffers per 100 controles; ``controles`` is always a row.
    Returns the table and whether a value computed from rounded counts ("*") is in it.
    """
    head = [p("Spoor", CELL_HEAD), p("Indicator", CELL_HEAD), p("Eenheid", CELL_HEAD)]
    head += _nums([text for text, _, _ in columns], CELL_HEAD_NUM)
    body: list[list[Any]] = []
    rules: list[tuple[Any, ...]] = []
    starred = False
    for spoor, codes in rows_by_spoor(indicators):
        rules.append(("LINEABOVE", (0, len(body) + 1), (-1, len(body) + 1), 0.3, RULE))
        for i, code in enumerate(codes):
            values = [gem.value_text(code, area, periode) for _, gem, area in columns]
            body.append([*_label_cells(spoor if i == 0 else None, code, periode), *_nums(values)])
            if catalogue.get(code).hit:
                ratios = [gem.per_controle_text(code, area, periode) for _, gem, area in columns]
                starred = starred or any(t.endswith("*") for t in ratios)
                body.append(
                    [
                        "",
                        p("treffers per controle", CELL_SUB),
                        p("per 100 controles", CELL_SUB),
                        *_nums(ratios, CELL_NUM_MUTED),
                    ]
                )
        if not codes:
            body.append(
                [p(spoor, CELL_BOLD), p("geen indicator gekozen"), *[""] * (len(columns) + 1)]
            )
    widths = _widths(width, len(columns))
    style = table_style(1, rules[1:])
    return Table([head, *body], colWidths=widths, style=style, repeatRows=1), starred


def effect_flowables(
    intervention: pd.Series | None, result: Any, error: str | None, indicator: str
) -> list[Flowable]:
    """The intervention, its estimated effect with interval, and each warning as a bullet."""
    card = catalogue.get(indicator)
    if intervention is None:
        return [
            p("In deze wijk is geen interventie vastgelegd; er is dus geen effectschatting.", BODY)
        ]
    out: list[Flowable] = [Paragraph(_intervention_line(intervention), BODY)]
    if result is None:
        out.append(p(f"Geen effectschatting voor {card.naam.lower()}: {error}", BODY))
        return out
    if hasattr(result, "mde"):  # a planned intervention: what it will be able to show
        out.append(Paragraph(_power_line(result, card), BODY))
        warnings = result.waarschuwingen
    else:
        out.append(Paragraph(_effect_line(result, card), BODY))
        out.extend(
            Paragraph(safe(_cohort_line(c)), BULLET, bulletText="•") for c in result.cohorten
        )
        warnings = result.waarschuwingen
    for warning in warnings:
        out.append(Paragraph(safe(warning), BULLET, bulletText="•"))
    return out


_PLURAL = {"maand": "maanden", "kwartaal": "kwartalen", "jaar": "jaren"}


def _cohort_line(cohort: dict[str, object]) -> str:
    effect, low, high = (
        float(str(cohort.get(k))) if cohort.get(k) is not None else math.nan
        for k in ("effect", "ci_low", "ci_high")
    )
    buurten = cohort.get("behandeld")
    n = len(buurten) if isinstance(buurten, list) else 0
    return (
        f"Fase vanaf {cohort.get('start')} ({n} buurten): {_number(effect)} "
        f"(95%-interval {_number(low)} tot {_number(high)})."
    )


def _power_line(power: Any, card: catalogue.Indicator) -> str:
    per = power.granulariteit
    sizes = "; ".join(
        f"na {months} maanden {'niet te zien' if not math.isfinite(size) else _number(size)}"
        for months, size in power.mde.items()
    )
    return (
        f"De aanpak is nog niet begonnen. Hoe groot moet het effect op {card.naam.lower()} zijn "
        f"om het te kunnen zien (80% kans, 5%-niveau), in {safe(power.eenheid)} per {per}: "
        f"<b>{safe(sizes)}</b>. Kleinere effecten kunnen er zijn, maar zijn in deze buurten "
        "niet van toeval te onderscheiden."
    )


def _intervention_line(row: pd.Series) -> str:
    soort = SOORTEN.get(str(row["soort"]), str(row["soort"]))
    starts = row.get("starts")
    stages = sorted(set(starts.values())) if isinstance(starts, dict) and starts else []
    if len(stages) > 1:
        dates = ", ".join(nl_date(s) for s in stages)
        parts = [f"{soort}, in {len(stages)} fasen gestart op {dates}"]
    else:
        parts = [f"{soort}, gestart {nl_date(row['start'])}"]
    if row.get("eind") is not None and not pd.isna(row["eind"]):
        parts.append(f"geëindigd {nl_date(row['eind'])}")
    if row["partners"]:
        parts.append("partners: " + partners(row["partners"]))
    return f"<b>{safe(row['naam'])}</b> ({safe('; '.join(parts))})."


def _number(value: float, decimals: int = 2) -> str:
    if value is None or not math.isfinite(value):
        return "."
    return format_cell(value, "", decimals=decimals)


def _p_text(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "onbekend"
    return "p < 0,001" if value < 0.001 else f"p = {_number(value, 3)}"


def _effect_line(result: Any, card: catalogue.Indicator) -> str:
    per = str(result.periode_per)
    unit = (
        f"{result.eenheid} per {per}" if card.noemer in catalogue.DENOMINATORS else result.eenheid
    )
    method = METHOD_NAMES.get(result.methode, result.methode)
    plural = _PLURAL.get(per, per)
    text = (
        f"Geschat effect op {card.naam.lower()}: <b>{_number(result.effect)} {safe(unit)}</b> "
        f"(95%-interval {_number(result.ci_low)} tot {_number(result.ci_high)}; "
        f"{_p_text(result.p_value)}), gemiddeld over {result.post_perioden} {plural} na de "
        f"start, tegen {len(result.controle)} vergelijkingsbuurten ({method}). Negatief "
        "betekent: lager dan het zonder aanpak naar verwachting was geweest. "
        f"Toets op gelijke trends in de {result.pre_perioden} {plural} vóór de start: "
        f"{_p_text(result.pre_trend_p)}."
    )
    if result.ring:
        text += (
            f" De {len(result.ring)} aangrenzende buurten (ring) zijn apart gehouden, niet als "
            "vergelijking gebruikt."
        )
    return text


def sources_flowables(
    gemeenten: Sequence[GemeenteCijfers], *, peildatum: str, demo: bool
) -> list[Flowable]:
    """Sources with the CBS / Kadaster attribution, peildatum, latest delivery per partner."""
    indelingen = ", ".join(sorted({str(g.indeling_jaar) for g in gemeenten}))
    bronnen = sorted({b for g in gemeenten for b in g.deliveries["bron"].unique()})
    text = (
        f"Bronnen: buurtgrenzen en kerncijfers CBS Wijk- en Buurtkaart (indeling {indelingen}), "
        f"{ATTRIBUTION}. Signalen: partners {partners(bronnen) or 'geen'} (buurtaggregaten "
        "en per buurt en maand getelde bevindingen; geen adresgegevens)."
    )
    if demo:
        text += f" {DEMO_TEXT}: echte buurtgrenzen, verzonnen signalen."
    out: list[Flowable] = [p(text, SMALL)]
    for gem in gemeenten:
        lines = delivery_lines(gem.deliveries)
        prefix = f"{gem.naam}: " if len(gemeenten) > 1 else ""
        out.append(
            p(
                f"{prefix}Peildatum {peildatum}. Laatste levering per partner: "
                + ("; ".join(lines) if lines else "nog geen leveringen")
                + ".",
                SMALL,
            )
        )
    out.append(p(SYMBOLS_NOTE, SMALL))
    return out


def grid(rows: list[list[Any]], widths: Sequence[float]) -> Table:
    """A borderless layout table (e.g. map beside chart)."""
    return Table(
        rows,
        colWidths=list(widths),
        style=TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        ),
    )
