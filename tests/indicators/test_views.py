"""Shaping disclosed tables for screens: map rows, comparisons, chart tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from indicators.views import compare_periods, map_frame, series_table


def disclosed(rows: list[tuple[str, str, str, float, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["code", "level", "periode", "waarde_publ", "status"]).assign(
        teller_publ=np.nan
    )


def test_map_frame_puts_effort_beside_hits() -> None:
    hits = disclosed(
        [("BU00010101", "buurt", "2024", 2.5, ""), ("BU00010102", "buurt", "2024", np.nan, "x")]
    )
    effort = disclosed(
        [("BU00010101", "buurt", "2024", 40.0, ""), ("BU00010102", "buurt", "2024", 12.0, "")]
    )
    names = pd.Series({"BU00010101": "Noord", "BU00010102": "Zuid"})
    frame = map_frame(hits, names, indicator="illegale_bewoning", periode="2024", effort=effort)
    row = frame.set_index("code").loc["BU00010101"]
    assert row["waarde_tekst"] == "2,5" and row["controles_tekst"] == "40,0"
    assert "Controles: 40,0" in row["tooltip"]
    assert frame.set_index("code").loc["BU00010102", "waarde_tekst"] == "x"


def test_compare_periods_only_where_both_are_published() -> None:
    table = disclosed([
        ("BU00010101", "buurt", "2019", 4.0, ""), ("BU00010101", "buurt", "2024", 2.5, ""),
        ("BU00010102", "buurt", "2019", np.nan, "x"), ("BU00010102", "buurt", "2024", 3.0, ""),
    ])  # fmt: skip
    names = pd.Series({"BU00010101": "Noord", "BU00010102": "Zuid"})
    change = compare_periods(table, names, before="2019", after="2024").set_index("code")
    assert change.loc["BU00010101", "verschil"] == "-1,5"
    assert change.loc["BU00010102", "verschil"] == "x"


def test_series_table_is_the_chart_as_text() -> None:
    one = disclosed(
        [("GM0001", "gemeente", "2023", 1234.5, ""), ("GM0001", "gemeente", "2024", np.nan, ".")]
    )
    table = series_table([("Gemeente", one)])
    assert list(table["Periode"]) == ["2023", "2024"]
    assert list(table["Gemeente"]) == ["1.234,5", "."]


def test_key_figures_change_only_between_published_values() -> None:
    from indicators.views import key_figures

    table = disclosed(
        [("GM0001", "gemeente", "2023", 2.0, ""), ("GM0001", "gemeente", "2024", 1.5, "")]
    )
    secret = disclosed(
        [("GM0001", "gemeente", "2023", np.nan, "x"), ("GM0001", "gemeente", "2024", 9.0, "")]
    )
    rows = key_figures({"illegale_bewoning": table, "niet_gebruik": secret}, code="GM0001",
                       periode="2024", vorige="2023").set_index("indicator")  # fmt: skip
    assert rows.loc["illegale_bewoning", "verschil"] == "-0,5"
    assert (
        rows.loc["niet_gebruik", "verschil"] == "" and rows.loc["niet_gebruik", "waarde"] == "9,0"
    )
