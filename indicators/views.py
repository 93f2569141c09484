"""Shape disclosed indicator tables for the screens: one row per area for a map, one series per area.

Pure: takes the output of ``indicators.disclosure.disclose`` and returns new frames.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import pandas as pd

from indicators import catalogue
from indicators.disclosure import format_cell

# The key figures above the Overzicht map.
KEY_INDICATORS = (
    catalogue.ILLEGALE_BEWONING,
    catalogue.CONTROLES,
    catalogue.WONINGSPLITSING,
    catalogue.BRP_AFWIJKING,
    catalogue.NIET_GEBRUIK,
)


def _cell(row: pd.Series | dict[Hashable, Any]) -> str:
    return format_cell(row["waarde_publ"], row["status"])


def map_frame(
    disclosed: pd.DataFrame,
    names: pd.Series,
    *,
    indicator: str,
    periode: str,
    level: str = "buurt",
    effort: pd.DataFrame | None = None,
    effort_rate: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per area of ``level`` for ``periode``.

    Columns: ``code, waarde_publ, status, teller_publ, waarde_tekst, controles_tekst, tooltip``
    (texts in Dutch number format, 'x' and '.' as CBS writes them).

    ``names`` maps code to name. ``effort`` (disclosed ``controles``) and ``effort_rate``
    (disclosed ``illegale_bewoning_per_controle``) are added to the tooltip of hit indicators,
    so that looking harder never reads as a worse buurt.
    """
    card = catalogue.get(indicator)
    rows = disclosed[(disclosed["periode"] == periode) & (disclosed["level"] == level)]
    out = rows[["code", "waarde_publ", "status", "teller_publ"]].copy()
    out["waarde_tekst"] = rows.apply(_cell, axis=1) if not rows.empty else ""
    out["controles_tekst"] = ""
    lines = out["code"].map(names).fillna(out["code"]) + " (" + out["code"] + ")"
    lines = lines + "\n" + card.naam + ": " + out["waarde_tekst"] + " " + card.eenheid
    for extra, title, unit in (
        (effort, "Controles", catalogue.get(catalogue.CONTROLES).eenheid),
        (effort_rate, "Illegale bewoning per controle", "per 100 controles"),
    ):
        if extra is None or not card.hit:
            continue
        part = extra[(extra["periode"] == periode) & (extra["level"] == level)].set_index("code")
        text = out["code"].map(
            part.apply(_cell, axis=1) if not part.empty else pd.Series(dtype=str)
        )
        text = text.fillna(".")
        if title == "Controles":
            out["controles_tekst"] = text
        lines = lines + "\n" + title + ": " + text + " " + unit
    out["tooltip"] = lines
    return out.reset_index(drop=True)


def map_rows(shapes: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    """The ``map_frame`` rows ``values`` for every area in ``shapes`` (``code`` and optionally
    ``name``), in its order: an area without a published row is missing ('.') and its tooltip
    is its name (or, without a ``name`` column, its code)."""
    shown = shapes.merge(values, on="code", how="left")
    shown["status"] = shown["status"].fillna(".")
    shown["tooltip"] = shown["tooltip"].fillna(shown["name" if "name" in shown else "code"])
    return shown


def with_hotspot_classes(shown: pd.DataFrame, classes: pd.DataFrame) -> pd.DataFrame:
    """``shown`` (from ``map_rows``) with ``klasse``, the Gi* class of ``classes`` per code
    ("niet gepubliceerd" where there is none), also added to the tooltip."""
    gi = classes[["code", "gi_klasse"]].rename(columns={"gi_klasse": "klasse"})
    out = shown.merge(gi, on="code", how="left")
    out["klasse"] = out["klasse"].fillna("niet gepubliceerd")
    out["tooltip"] = out["tooltip"] + "\nHotspot-analyse: " + out["klasse"]
    return out


def area_lines(
    disclosed: pd.DataFrame, areas: Sequence[tuple[str, str]]
) -> list[tuple[str, pd.DataFrame]]:
    """One chart line per (name, code) of ``areas``: the area's ``series``."""
    return [(name, series(disclosed, code)) for name, code in areas]


def series(disclosed: pd.DataFrame, code: str) -> pd.DataFrame:
    """The disclosed rows of one area, in period order."""
    return disclosed[disclosed["code"] == code].sort_values("periode").reset_index(drop=True)


def periods_with_data(disclosed: pd.DataFrame) -> list[str]:
    """Periods in which at least one area has a delivered value, newest last."""
    delivered = disclosed.loc[disclosed["status"] != ".", "periode"]
    return sorted(delivered.unique().tolist())


def region_rows(
    disclosed: pd.DataFrame,
    gemeenten: Sequence[str],
    names: dict[str, str],
    indelingen: dict[str, int],
    *,
    periode: str,
) -> pd.DataFrame:
    """One row per gemeente of a region for ``periode``: name, indeling, value, teller as text.

    ``disclosed`` is the disclosed table of one indicator covering the ``gemeenten`` (their
    own rows at level gemeente); a gemeente without that period gets '.'.
    """
    own = disclosed[(disclosed["level"] == "gemeente") & (disclosed["periode"] == periode)]
    cells = {str(r["code"]): r for r in own.to_dict("records")}
    rows = []
    for code in gemeenten:
        cell = cells.get(code)
        rows.append(
            {
                "code": code,
                "name": names.get(code, code),
                "indeling_jaar": indelingen.get(code),
                "waarde_tekst": "." if cell is None else _cell(cell),
                "teller_tekst": "."
                if cell is None
                else format_cell(cell["teller_publ"], cell["status"], decimals=0),
            }
        )
    return pd.DataFrame(
        rows, columns=["code", "name", "indeling_jaar", "waarde_tekst", "teller_tekst"]
    )


def compare_periods(
    disclosed: pd.DataFrame, names: pd.Series, *, before: str, after: str, level: str = "buurt"
) -> pd.DataFrame:
    """Per area of ``level``: the published value in ``before`` and ``after`` and the change.

    Columns: ``code, name, voor, na, verschil`` as Dutch text. The change is shown only where
    both values are published; otherwise it is 'x' (a value is secret) or '.' (missing).
    """
    rows = disclosed[disclosed["level"] == level]
    one = rows[rows["periode"] == before].set_index("code")
    two = rows[rows["periode"] == after].set_index("code")
    codes = sorted(set(one.index) | set(two.index))
    out = []
    for code in codes:
        a = one.loc[code] if code in one.index else None
        b = two.loc[code] if code in two.index else None
        status_a = "." if a is None else a["status"]
        status_b = "." if b is None else b["status"]
        if (
            a is not None
            and b is not None
            and status_a == status_b == ""
            and pd.notna(a["waarde_publ"])
            and pd.notna(b["waarde_publ"])
        ):
            change = format_cell(b["waarde_publ"] - a["waarde_publ"], "")
            change = change if change.startswith("-") or change == "0,0" else "+" + change
        else:
            change = "x" if "x" in (status_a, status_b) else "."
        out.append(
            {
                "code": code,
                "name": names.get(code, code),
                "voor": "." if a is None else _cell(a),
                "na": "." if b is None else _cell(b),
                "verschil": change,
            }
        )
    return pd.DataFrame(out, columns=["code", "name", "voor", "na", "verschil"])


def series_table(series_list: list[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
    """The data behind a trend chart as a table: one row per period, one column per line.

    Values are Dutch text with 'x' and '.' as CBS writes them: the text alternative of a chart.
    """
    from indicators.periods import label

    columns: dict[str, pd.Series] = {}
    for name, frame in series_list:
        cells = frame.apply(_cell, axis=1) if not frame.empty else pd.Series(dtype=str)
        columns[name] = pd.Series(cells.to_numpy(), index=frame["periode"].to_numpy())
    table = pd.DataFrame(columns).sort_index()
    table = table.fillna(".")
    table.insert(0, "Periode", [label(p) for p in table.index])
    return table.reset_index(drop=True)


def event_study_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The data behind an event-study chart as Dutch text: one row per quarter from the start.

    ``frame`` as ``indicators.effects.EffectResult.event_study``: ``relatief``, ``effect``,
    ``ci_low``, ``ci_high``, ``fase``.
    """
    return pd.DataFrame(
        {
            "Kwartaal t.o.v. start": frame["relatief"].astype(int).to_numpy(),
            "Fase": frame["fase"].map({"voor": "vóór de start", "na": "na de start"}).to_numpy(),
            "Effect": [format_cell(v, "", decimals=2) for v in frame["effect"]],
            "95%-interval": [
                f"{format_cell(lo, '', decimals=2)} tot {format_cell(hi, '', decimals=2)}"
                for lo, hi in zip(frame["ci_low"], frame["ci_high"], strict=True)
            ],
        }
    )


def key_figures(
    tables: dict[str, pd.DataFrame], *, code: str, periode: str, vorige: str
) -> pd.DataFrame:
    """Per indicator the area's published value in ``periode`` and the change since ``vorige``.

    Columns ``indicator, naam, waarde, verschil, slechter_bij_stijging`` (texts in Dutch
    format; the change only where both values are published, else "").
    """
    rows = []
    for indicator, table in tables.items():
        card = catalogue.get(indicator)
        own = table[table["code"] == code]
        now = own[own["periode"] == periode]
        before = own[own["periode"] == vorige]
        change = ""
        if not now.empty and not before.empty:
            a, b = before.iloc[0], now.iloc[0]
            if (
                a["status"] == b["status"] == ""
                and pd.notna(a["waarde_publ"])
                and pd.notna(b["waarde_publ"])
            ):
                change = format_cell(float(b["waarde_publ"]) - float(a["waarde_publ"]), "")
        rows.append(
            {
                "indicator": indicator,
                "naam": card.naam,
                "waarde": "." if now.empty else _cell(now.iloc[0]),
                "verschil": change,
                "slechter_bij_stijging": card.hoger_is_slechter,
            }
        )
    return pd.DataFrame(rows)
