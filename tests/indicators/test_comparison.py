"""The ring around treated buurten and the choice of comparison buurten."""

from __future__ import annotations

import geopandas as gpd
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


def figures(woningen: dict[str, float], inwoners: float = 2000.0) -> pd.DataFrame:
    return pd.DataFrame(
        {"code": list(woningen), "woningen": list(woningen.values()), "inwoners": inwoners}
    )


def test_controls_are_the_most_similar_on_key_figures() -> None:
    frame = figures({"T1": 1000, "A": 950, "B": 1100, "C": 300, "D": 5000, "E": 1020, "R": 1000})
    chosen = choose_controls(frame, ["T1"], ["R"], n=3)
    assert chosen == ["A", "B", "E"]
    assert choose_controls(frame.sample(frac=1, random_state=1), ["T1"], ["R"], n=3) == chosen
    assert choose_controls(frame, ["T1"], ["R"], n=50) == ["A", "B", "C", "D", "E"]


def test_every_key_figure_counts_and_ties_go_by_code() -> None:
    frame = figures({"T1": 1500, "BIG": 1500, "LIKE": 1500, "TWIN": 1500})
    frame.loc[frame["code"] == "BIG", "inwoners"] = 9000.0
    assert choose_controls(frame, ["T1"], [], n=1) == ["LIKE"]  # LIKE and TWIN tie: by code
    # Two treated buurten: their mean per buurt (log), not their sum.
    frame = figures({"T1": 400, "T2": 1600, "MID": 800, "SUM": 2000})
    assert choose_controls(frame, ["T1", "T2"], [], n=1) == ["MID"]


def test_small_buurten_are_left_out() -> None:
    frame = figures({"T1": 1000, "SMALL": 40, "OK": 600})
    assert choose_controls(frame, ["T1"], [], min_size=("woningen", 50.0)) == ["OK"]
    assert choose_controls(frame, ["T1"], []) == ["OK", "SMALL"]


def test_the_choice_reads_no_count() -> None:
    """Only key figures go in: there is no panel of counts to pass."""
    frame = figures({"T1": 1000, "A": 990, "B": 3000})
    with_counts = frame.assign(teller=[4.0, 1.0, 0.0])
    assert choose_controls(with_counts, ["T1"], [], n=1) == choose_controls(frame, ["T1"], [], n=1)


def test_treated_without_key_figures_is_an_input_error() -> None:
    with pytest.raises(InputError, match="kerncijfers"):
        choose_controls(figures({"A": 1000}), ["T1"], [])
