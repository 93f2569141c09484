"""The ring around treated buurten and the choice of comparison buurten."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Polygon, box

from geo.crs import RD, WGS84
from geo.errors import InputError
from indicators.comparison import choose_controls, ring_buurten

PRE = [f"2020-{m:02d}" for m in range(1, 13)]


def grid(n: int = 4, size: float = 100.0) -> gpd.GeoDataFrame:
    """n x n hand-drawn squares in RD, code BU00000rc (row r, column c)."""
    cells = [
        {
            "code": f"BU00000{r}{c}",
            "geometry": box(c * size, r * size, (c + 1) * size, (r + 1) * size),
        }
        for r in range(n)
        for c in range(n)
    ]
    return gpd.GeoDataFrame(cells, geometry="geometry", crs=RD)


def test_ring_is_the_eight_neighbours_of_a_middle_square() -> None:
    ring = ring_buurten(grid(), ["BU0000011"])
    expected = {f"BU00000{r}{c}" for r in range(3) for c in range(3)} - {"BU0000011"}
    assert ring == sorted(expected)


def test_ring_of_two_squares_and_a_distance() -> None:
    squares = grid()
    ring = ring_buurten(squares, ["BU0000011", "BU0000012"])
    assert "BU0000011" not in ring and "BU0000012" not in ring
    assert len(ring) == 10  # 3 x 4 block minus the two treated
    # Shrink one far square away from its neighbours: 1 m does not reach it, 22 m does.
    far = squares.copy()
    far.loc[far["code"] == "BU0000033", "geometry"] = box(310, 310, 400, 400)
    far.loc[far["code"] == "BU0000022", "geometry"] = box(200, 200, 295, 295)
    assert "BU0000033" not in ring_buurten(far, ["BU0000022"])
    assert "BU0000033" in ring_buurten(far, ["BU0000022"], distance_m=22.0)  # 15 * sqrt(2)


def test_empty_geometry_is_never_ring() -> None:
    squares = grid()
    squares.loc[squares["code"] == "BU0000010", "geometry"] = Polygon()
    squares.loc[squares["code"] == "BU0000001", "geometry"] = None
    ring = ring_buurten(squares, ["BU0000011"])
    assert "BU0000010" not in ring and "BU0000001" not in ring and len(ring) == 6


def test_ring_checks_its_input() -> None:
    with pytest.raises(InputError, match="EPSG:28992"):
        ring_buurten(grid().set_crs(WGS84, allow_override=True), ["BU0000011"])
    with pytest.raises(InputError, match="BU0000099"):
        ring_buurten(grid(), ["BU0000099"])


def panel(levels: dict[str, float], noemer: dict[str, float] | None = None) -> pd.DataFrame:
    """12 pre months; teller = level * noemer / 1000 (a flat rate per buurt)."""
    rows = []
    for code, level in levels.items():
        n = (noemer or {}).get(code, 1000.0)
        rows += [(code, p, level * n / 1000, n) for p in PRE]
    return pd.DataFrame(rows, columns=["code", "periode", "teller", "noemer"])


def test_controls_are_the_most_similar_before() -> None:
    levels = {"T1": 2.0, "A": 1.9, "B": 2.2, "C": 0.5, "D": 1.0, "E": 2.05, "R": 2.0}
    frame = panel(levels)
    chosen = choose_controls(frame, ["T1"], ["R"], pre_periods=PRE, n=3)
    assert chosen == ["A", "B", "E"]
    assert choose_controls(frame, ["T1"], ["R"], pre_periods=PRE, n=3) == chosen  # deterministic
    everyone = choose_controls(frame, ["T1"], ["R"], pre_periods=PRE, n=50)
    assert everyone == ["A", "B", "C", "D", "E"]


def test_trend_counts_too() -> None:
    frame = panel({"T1": 2.0, "FLAT": 2.0, "RISING": 2.0, "OTHER": 0.5})
    rising = frame["code"] == "RISING"
    frame.loc[rising, "teller"] = np.linspace(1.0, 3.0, 12)
    assert choose_controls(frame, ["T1"], [], pre_periods=PRE, n=1) == ["FLAT"]


def test_small_denominators_and_missing_data_are_excluded() -> None:
    levels = {"T1": 2.0, "SMALL": 2.0, "GAPPY": 2.0, "OK": 1.0}
    frame = panel(levels, noemer={"SMALL": 40.0})
    gappy = (frame["code"] == "GAPPY") & (frame["periode"] < "2020-08")
    frame.loc[gappy, "teller"] = np.nan
    assert choose_controls(frame, ["T1"], [], pre_periods=PRE) == ["OK"]
    assert choose_controls(frame, ["T1"], [], pre_periods=PRE, min_noemer=10) == ["OK", "SMALL"]


def test_rate_only_panels_keep_their_candidates() -> None:
    # Issue 13: rate-only data (noemer 1) silently gave no comparison buurten at all.
    frame = panel({"T1": 2.0, "A": 1.9, "B": 0.5}, noemer=dict.fromkeys(["T1", "A", "B"], 1.0))
    assert choose_controls(frame, ["T1"], [], pre_periods=PRE) == ["A", "B"]
    # A real count below the minimum still goes.
    counted = panel({"T1": 2.0, "A": 1.9, "B": 0.5}, noemer={"B": 40.0})
    assert choose_controls(counted, ["T1"], [], pre_periods=PRE) == ["A"]


def test_key_figures_break_ties() -> None:
    frame = panel({"T1": 2.0, "BIG": 2.0, "LIKE": 2.0})
    figures = pd.DataFrame(
        {"code": ["T1", "BIG", "LIKE"], "woningen": [1500.0, 9000.0, 1400.0], "inwoners": 3000.0}
    )
    assert choose_controls(frame, ["T1"], [], pre_periods=PRE, n=1, key_figures=figures) == ["LIKE"]


def test_treated_without_data_is_an_input_error() -> None:
    with pytest.raises(InputError, match="voorperiode"):
        choose_controls(panel({"A": 1.0}), ["T1"], [], pre_periods=PRE)
