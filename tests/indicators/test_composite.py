"""The sporen table: composites break down into published parts; arbeidsmigranten never counts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from indicators import catalogue
from indicators.composite import profile_rows


def table(area: float, gemeente: float, status: str = "") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": ["BU00010101", "GM0001"],
            "periode": ["2024", "2024"],
            "waarde_publ": [area if status == "" else np.nan, gemeente],
            "status": [status, ""],
        }
    )


def test_composite_is_the_mean_of_published_indexes() -> None:
    tables = {
        "illegale_bewoning": table(3.0, 2.0),  # index 150
        "woningsplitsing": table(1.0, 2.0),  # index 50
        "overbewoning": table(0, 2.0, status="x"),  # secret: left out
        "arbeidsmigranten": table(90.0, 10.0),  # never in a composite
        "controles": table(20.0, 10.0),
    }
    rows = profile_rows(tables, code="BU00010101", gemeente="GM0001", periode="2024")
    composite = rows[rows["indicator"] == "samengesteld:ruimtelijk-fysiek"].iloc[0]
    assert composite["gebied"] == "100"
    assert composite["eenheid"].startswith("gemeente = 100; 2 van")
    hits = rows.set_index("indicator")
    assert hits.loc["overbewoning", "gebied"] == "x"
    assert hits.loc["illegale_bewoning", "inzet"] == "controles: 20,0"
    assert hits.loc["arbeidsmigranten", "inzet"] == ""
    assert set(rows["spoor"]) == set(catalogue.SPOREN)


def test_no_published_parts_gives_missing_composite() -> None:
    rows = profile_rows(
        {"niet_gebruik": table(0, 1.0, status="x")},
        code="BU00010101",
        gemeente="GM0001",
        periode="2024",
    )
    composite = rows[rows["indicator"] == "samengesteld:sociaal-maatschappelijk"].iloc[0]
    assert composite["gebied"] == "." and composite["eenheid"].endswith("0 van 4 onderdelen")
