"""Re-basing across an indeling change: totals are preserved, weights sum to 1."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo.crs import RD
from geo.rebase import (
    address_weights,
    area_weights,
    best_fit,
    joined_since,
    rebase_signals,
    same_place,
)

X, Y = 150_000, 400_000


def test_address_weights_follow_the_addresses() -> None:
    links = pd.DataFrame(
        {
            "bag_id": ["a", "b", "c", "d", "a", "b", "c", "d"],
            "indeling_jaar": [2014] * 4 + [2024] * 4,
            "buurtcode": ["BU1"] * 4 + ["BU1", "BU1", "BU1", "BU2"],
        }
    )
    weights = address_weights(links, van=2014, naar=2024)
    assert weights.to_dict("records") == [
        {"van_code": "BU1", "naar_code": "BU1", "gewicht": 0.75},
        {"van_code": "BU1", "naar_code": "BU2", "gewicht": 0.25},
    ]


def test_area_weights_of_a_split_buurt() -> None:
    old = gpd.GeoDataFrame({"code": ["BU_OUD"]}, geometry=[box(X, Y, X + 100, Y + 100)], crs=RD)
    new = gpd.GeoDataFrame(
        {"code": ["BU_A", "BU_B"]},
        geometry=[box(X, Y, X + 30, Y + 100), box(X + 30, Y, X + 100, Y + 100)],
        crs=RD,
    )
    weights = area_weights(old, new).set_index("naar_code")["gewicht"]
    assert weights["BU_A"] == pytest.approx(0.3) and weights["BU_B"] == pytest.approx(0.7)


def test_rebase_preserves_totals_and_passes_other_rows() -> None:
    signals = pd.DataFrame(
        {
            "buurtcode": ["BU1", "BU3"],
            "periode": ["2024-01", "2024-01"],
            "indicator": ["x", "x"],
            "teller": [8.0, 5.0],
            "noemer": [np.nan, 40.0],
        }
    )
    weights = pd.DataFrame(
        {"van_code": ["BU1", "BU1"], "naar_code": ["BU1", "BU2"], "gewicht": [0.75, 0.25]}
    )
    out = rebase_signals(signals, weights)
    assert out["teller"].sum() == pytest.approx(13.0)
    assert out.set_index("buurtcode").loc["BU2", "teller"] == pytest.approx(2.0)
    assert out.set_index("buurtcode").loc["BU3", "noemer"] == 40.0
    assert list(out.columns) == list(signals.columns)


def test_best_fit_sends_each_old_buurt_wholly_to_its_largest_share() -> None:
    weights = pd.DataFrame(
        {
            "van_code": ["BU1", "BU1", "BU2", "BU2", "BU3"],
            "naar_code": ["BU8", "BU9", "BU8", "BU9", "BU9"],
            "gewicht": [0.25, 0.75, 0.5, 0.5, 1.0],
        }
    )
    fit = best_fit(weights)
    assert fit.to_dict("records") == [
        {"van_code": "BU1", "naar_code": "BU9", "gewicht": 1.0},
        {"van_code": "BU2", "naar_code": "BU8", "gewicht": 1.0},  # a tie: the lowest code
        {"van_code": "BU3", "naar_code": "BU9", "gewicht": 1.0},
    ]
    signals = pd.DataFrame(
        {"buurtcode": ["BU1", "BU2"], "teller": [3.0, 1.0], "noemer": [np.nan, np.nan]}
    )
    out = rebase_signals(signals, fit).set_index("buurtcode")["teller"]
    assert out.to_dict() == {"BU9": 3.0, "BU8": 1.0}  # whole counts, nothing split


def test_joined_since_names_the_buurten_taken_over_and_when() -> None:
    """Territory 2014: x 0-2; 2019: x 0-3 (took over x 2-3); 2025: x 0-4 (took over x 3-4).
    A buurt half inside counts as inside; an empty shape gets no cut-off."""
    frame = lambda codes, boxes: gpd.GeoDataFrame(  # noqa: E731
        {"code": codes}, geometry=boxes, crs=RD
    )
    current = frame(
        ["a", "b", "c", "d", "e"],
        [box(0, 0, 2, 1), box(2, 0, 3, 1), box(3, 0, 4, 1), box(1.5, 1, 2.5, 2), box(0, 0, 0, 0)],
    )
    earlier = {
        2014: frame(["o1", "o2"], [box(0, 0, 1, 2), box(1, 0, 2, 2)]),
        2019: frame(["p1"], [box(0, 0, 3, 2)]),
    }
    assert joined_since(current, earlier, 2025) == {"b": "2019-01", "c": "2025-01"}
    assert joined_since(current, {}, 2025) == {}
    # Only a buurt that lay in a predecessor gemeente came from elsewhere: "b" lay outside the
    # 2014 buurten but in no predecessor (a border drawn coarsely), "c" lay in one.
    predecessor = box(2.8, -1, 6, 3)
    assert joined_since(current, earlier, 2025, predecessor) == {"c": "2025-01"}


def test_same_place_finds_predecessors_not_neighbours() -> None:
    shapes = pd.DataFrame(
        {
            "gemeentecode": ["GM0001", "GM0002", "GM0003", "GM0001"],
            "indeling_jaar": [2025, 2014, 2014, 2014],
            "geometry": [
                box(0, 0, 10, 10),
                box(6, 0, 10, 10),
                box(10, 0, 20, 10),
                box(0, 0, 6, 10),
            ],
        }
    )
    assert same_place(shapes, ["GM0001"]).to_dict("records") == []  # GM0001 holds 2014 itself
    own_now = shapes[(shapes["gemeentecode"] != "GM0001") | (shapes["indeling_jaar"] == 2025)]
    found = same_place(own_now, ["GM0001"])
    assert found["ander"].tolist() == ["GM0002"]  # GM0003 only touches it
