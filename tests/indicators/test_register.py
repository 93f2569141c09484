"""The intervention register shaped for screens."""

from __future__ import annotations

from datetime import date

import pandas as pd

from indicators.register import (
    BEHANDELD,
    OVERIG,
    RING,
    VERGELIJKING,
    effect_groups,
    group_listing,
    interventions_in,
    outline_codes,
    register_table,
    start_markers,
)


def register() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["a", "b"],
            "naam": ["Aanpak A", "Aanpak B"],
            "soort": ["wijkaanpak", "overig"],
            "start": [date(2021, 9, 1), date(2022, 1, 15)],
            "eind": [None, date(2023, 1, 1)],
            "partners": [["gemeente", "nla"], []],
            "buurtcodes": [["BU09832501"], ["BU08890101", "BU08890102"]],
        }
    )


def test_interventions_of_one_gemeente_and_their_table() -> None:
    own = interventions_in(register(), "GM0889")
    assert list(own["id"]) == ["b"]
    table = register_table(own)
    assert table.iloc[0].to_dict() == {
        "id": "b",
        "naam": "Aanpak B",
        "soort": "overig",
        "buurten": "BU08890101, BU08890102",
        "start": "15-01-2022",
        "eind": "01-01-2023",
        "partners": "",
    }
    assert outline_codes(own) == ["BU08890101", "BU08890102", "WK088901", "WK088901"]
    assert start_markers(register(), ["BU09832501"]) == [("2021-09-01", "Start Aanpak A")]


def test_effect_groups_treated_wins_and_listing_follows_the_legend() -> None:
    buurten = pd.DataFrame({"code": ["BU1", "BU2", "BU3", "BU4"], "name": ["A", "B", "C", "D"]})
    groups = effect_groups(buurten, behandeld=["BU3"], controle=["BU1", "BU3"], ring=["BU2"])
    assert list(groups["klasse"]) == [VERGELIJKING, RING, BEHANDELD, OVERIG]
    assert groups.loc[2, "tooltip"] == f"C (BU3)\n{BEHANDELD}"
    assert groups["waarde_publ"].isna().all()
    listing = group_listing(groups)
    assert list(listing.columns) == ["Buurt", "Code", "Groep"]
    assert list(listing["Code"]) == ["BU3", "BU2", "BU1"]
