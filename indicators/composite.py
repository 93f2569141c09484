"""The three sporen at a glance: per indicator the area against its gemeente, and a composite
per spoor that always breaks down into its parts.

The composite of a spoor is the mean of the area's index (rate / gemeente rate x 100) over
the spoor's indicators that are in the composite (``in_samengestelde_score``) and published for
both; secret or missing parts are left out and the composite says how many parts it used.
``arbeidsmigranten``, ``controles`` and ``doorverwijzing_zorg`` are never in a composite.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from indicators import catalogue
from indicators.disclosure import format_cell

PROFILE_COLUMNS = ["spoor", "indicator", "naam", "eenheid", "gebied", "gemeente", "index", "inzet"]


def _cell(table: pd.DataFrame, code: str, periode: str) -> tuple[float, str]:
    row = table[(table["code"] == code) & (table["periode"] == periode)]
    if row.empty:
        return np.nan, "."
    first = row.iloc[0]
    return float(first["waarde_publ"]), str(first["status"])


def profile_rows(
    tables: dict[str, pd.DataFrame], *, code: str, gemeente: str, periode: str
) -> pd.DataFrame:
    """One row per indicator (grouped by spoor) plus one composite row per spoor.

    ``tables`` maps indicator code to its disclosed table (one granularity). Columns
    ``PROFILE_COLUMNS``: texts in Dutch number format; ``index`` is the area's rate as a
    percentage of the gemeente's; ``inzet`` gives controles beside every hit indicator.
    """
    effort = tables.get(catalogue.CONTROLES)
    rows = []
    for spoor in catalogue.SPOREN:
        parts: list[float] = []
        spoor_rows = []
        for card in (c for c in catalogue.CATALOGUE if c.spoor == spoor and c.code in tables):
            value, status = _cell(tables[card.code], code, periode)
            base, base_status = _cell(tables[card.code], gemeente, periode)
            index = value / base * 100 if status == base_status == "" and base > 0 else np.nan
            if card.in_samengestelde_score and np.isfinite(index):
                parts.append(index)
            inzet = ""
            if card.hit and effort is not None:
                inzet = "controles: " + format_cell(*_cell(effort, code, periode))
            spoor_rows.append(
                {
                    "spoor": spoor,
                    "indicator": card.code,
                    "naam": card.naam,
                    "eenheid": card.eenheid,
                    "gebied": format_cell(value, status),
                    "gemeente": format_cell(base, base_status),
                    "index": format_cell(index, "", decimals=0),
                    "inzet": inzet,
                }
            )
        total = sum(1 for c in catalogue.CATALOGUE if c.spoor == spoor and c.in_samengestelde_score)
        composite = float(np.mean(parts)) if parts else np.nan
        rows.append(
            {
                "spoor": spoor,
                "indicator": f"samengesteld:{spoor}",
                "naam": "Samengesteld (index)",
                "eenheid": f"gemeente = 100; {len(parts)} van {total} onderdelen",
                "gebied": format_cell(composite, "", decimals=0),
                "gemeente": "100",
                "index": format_cell(composite, "", decimals=0),
                "inzet": "",
            }
        )
        rows.extend(spoor_rows)
    return pd.DataFrame(rows, columns=PROFILE_COLUMNS)
