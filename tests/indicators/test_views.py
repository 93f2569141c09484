"""Shaping disclosed tables for screens: map rows, comparisons, chart tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from indicators.views import (
    compare_periods,
    event_study_table,
    map_frame,
    region_rows,
    series_table,
)


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
    table = disclosed(
        [
            ("BU00010101", "buurt", "2019", 4.0, ""),
            ("BU00010101", "buurt", "2024", 2.5, ""),
            ("BU00010102", "buurt", "2019", np.nan, "x"),
            ("BU00010102", "buurt", "2024", 3.0, ""),
        ]
    )
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
    rows = key_figures(
        {"illegale_bewoning": table, "niet_gebruik": secret},
        code="GM0001",
        periode="2024",
        vorige="2023",
    ).set_index("indicator")
    assert rows.loc["illegale_bewoning", "verschil"] == "-0,5"
    assert (
        rows.loc["niet_gebruik", "verschil"] == "" and rows.loc["niet_gebruik", "waarde"] == "9,0"
    )


def test_event_study_table_is_the_chart_as_text() -> None:
    frame = pd.DataFrame(
        {
            "relatief": [-2, -1, 0, 1],
            "effect": [0.05, -0.1, -0.72, -1234.5],
            "ci_low": [-0.4, -0.5, -1.13, -1300.0],
            "ci_high": [0.5, 0.3, -0.31, -1100.0],
            "fase": ["voor", "voor", "na", "na"],
        }
    )
    table = event_study_table(frame)
    assert list(table["Kwartaal t.o.v. start"]) == [-2, -1, 0, 1]
    assert list(table["Fase"]) == ["vóór de start"] * 2 + ["na de start"] * 2
    assert table["Effect"].iloc[2] == "-0,72" and table["Effect"].iloc[3] == "-1.234,50"
    assert table["95%-interval"].iloc[2] == "-1,13 tot -0,31"


def test_region_rows_one_per_gemeente_in_the_order_given() -> None:
    disclosed = pd.DataFrame(
        {
            "code": ["GM0002", "GM0001", "BU00010001"],
            "level": ["gemeente", "gemeente", "buurt"],
            "periode": ["2024"] * 3,
            "waarde_publ": [12.5, np.nan, 3.0],
            "status": ["", "x", ""],
            "teller_publ": [25.0, np.nan, 5.0],
        }
    )
    rows = region_rows(
        disclosed,
        ["GM0001", "GM0002", "GM0003"],
        {"GM0001": "Een"},
        {"GM0001": 2024, "GM0002": 2014},
        periode="2024",
    )
    assert list(rows["code"]) == ["GM0001", "GM0002", "GM0003"]
    assert list(rows["name"]) == ["Een", "GM0002", "GM0003"]
    assert list(rows["waarde_tekst"]) == ["x", "12,5", "."]
    assert list(rows["teller_tekst"]) == ["x", "25", "."]


def test_map_rows_keeps_every_area_and_marks_the_missing() -> None:
    from indicators.views import map_rows, with_hotspot_classes

    hits = disclosed([("BU00010101", "buurt", "2024", 2.5, "")])
    shapes = pd.DataFrame({"code": ["BU00010101", "BU00010102"], "name": ["Noord", "Zuid"]})
    names = shapes.set_index("code")["name"]
    shown = map_rows(shapes, map_frame(hits, names, indicator="controles", periode="2024"))
    assert list(shown["code"]) == ["BU00010101", "BU00010102"]
    assert list(shown["status"]) == ["", "."]
    assert shown.loc[1, "tooltip"] == "Zuid"
    only_codes = map_rows(
        shapes[["code"]], map_frame(hits, names, indicator="controles", periode="2024")
    )
    assert only_codes.loc[1, "tooltip"] == "BU00010102"
    classes = pd.DataFrame({"code": ["BU00010101"], "gi_klasse": ["hotspot (99%)"]})
    hot = with_hotspot_classes(shown, classes)
    assert list(hot["klasse"]) == ["hotspot (99%)", "niet gepubliceerd"]
    assert hot.loc[1, "tooltip"] == "Zuid\nHotspot-analyse: niet gepubliceerd"
