"""geo.assign: one buurt per point, lowest code on shared edges and corners, outside flagged."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from data.settings import FILES
from geo import assign as assign_module
from geo.areas import normalise_areas
from geo.assign import assign_buurt, assign_buurt_xy, count_per_buurt
from geo.crs import RD, WGS84
from geo.errors import InputError


def _grid() -> gpd.GeoDataFrame:
    """Four 100 m squares meeting at (100100, 400100); rows deliberately not in code order.

    BU00000004 | BU00000003
    -----------+-----------
    BU00000002 | BU00000001
    """
    x0, y0 = 100_000.0, 400_000.0
    squares = {
        "BU00000004": shapely.box(x0, y0 + 100, x0 + 100, y0 + 200),
        "BU00000003": shapely.box(x0 + 100, y0 + 100, x0 + 200, y0 + 200),
        "BU00000002": shapely.box(x0, y0, x0 + 100, y0 + 100),
        "BU00000001": shapely.box(x0 + 100, y0, x0 + 200, y0 + 100),
    }
    return gpd.GeoDataFrame({"code": list(squares)}, geometry=list(squares.values()), crs=RD)


def _points(xy: list[tuple[float, float]], index: list[int] | None = None) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"bag_id": [f"{i:016d}" for i in range(len(xy))]},
        geometry=[shapely.Point(x, y) for x, y in xy],
        index=index,
        crs=RD,
    )


def test_point_inside_one_square_gets_that_square() -> None:
    result = assign_buurt(_points([(100_050.0, 400_150.0), (100_150.0, 400_050.0)]), _grid())
    assert result["buurtcode"].tolist() == ["BU00000004", "BU00000001"]
    assert not result["buiten"].any()


def test_point_on_shared_edge_gets_exactly_the_lower_code() -> None:
    # On the edge between BU00000004 (left) and BU00000003 (right), and on the edge between
    # BU00000002 (below) and BU00000004 (above).
    points = _points([(100_100.0, 400_150.0), (100_050.0, 400_100.0)])
    result = assign_buurt(points, _grid())
    assert len(result) == 2
    assert result["buurtcode"].tolist() == ["BU00000003", "BU00000002"]


def test_corner_shared_by_four_squares_gets_the_lowest_code() -> None:
    result = assign_buurt(_points([(100_100.0, 400_100.0)]), _grid())
    assert result["buurtcode"].tolist() == ["BU00000001"]
    assert result["buiten"].tolist() == [False]


def test_row_order_of_buurten_does_not_matter() -> None:
    points = _points([(100_100.0, 400_100.0), (100_100.0, 400_150.0), (100_000.0, 400_050.0)])
    grid = _grid()
    forward = assign_buurt(points, grid)
    backward = assign_buurt(points, grid.iloc[::-1].reset_index(drop=True))
    assert forward["buurtcode"].tolist() == backward["buurtcode"].tolist()


def test_point_outside_is_flagged_not_dropped() -> None:
    points = _points([(100_050.0, 400_050.0), (99_000.0, 400_050.0)], index=[7, 3])
    result = assign_buurt(points, _grid())
    assert list(result.index) == [7, 3]
    assert result.loc[3, "buiten"]
    assert pd.isna(result.loc[3, "buurtcode"])
    assert result.loc[7, "buurtcode"] == "BU00000002"
    assert list(result["bag_id"]) == list(points["bag_id"])


def test_missing_and_empty_point_geometry_count_as_outside() -> None:
    points = gpd.GeoDataFrame(
        {"bag_id": ["a", "b", "c"]},
        geometry=[None, shapely.Point(), shapely.Point(100_050.0, 400_050.0)],
        crs=RD,
    )
    result = assign_buurt(points, _grid())
    assert result["buiten"].tolist() == [True, True, False]


def test_overlapping_buurten_give_the_overlap_to_the_lower_code() -> None:
    buurten = gpd.GeoDataFrame(
        {"code": ["BU00000009", "BU00000005"]},
        geometry=[shapely.box(0, 300_000, 100, 300_100), shapely.box(50, 300_000, 150, 300_100)],
        crs=RD,
    )
    result = assign_buurt(_points([(75.0, 300_050.0), (25.0, 300_050.0)]), buurten)
    assert result["buurtcode"].tolist() == ["BU00000005", "BU00000009"]


def test_no_buurten_means_every_point_outside() -> None:
    empty = gpd.GeoDataFrame({"code": pd.Series([], dtype=str)}, geometry=[], crs=RD)
    result = assign_buurt(_points([(1.0, 300_000.0)]), empty)
    assert result["buiten"].all()
    assert result["buurtcode"].isna().all()


def test_wrong_crs_or_missing_code_column_is_refused() -> None:
    points = _points([(100_050.0, 400_050.0)])
    with pytest.raises(InputError, match="EPSG:28992"):
        assign_buurt(points.to_crs(WGS84), _grid())
    with pytest.raises(InputError, match="code"):
        assign_buurt(points, _grid().rename(columns={"code": "naam"}))


def test_other_code_column_and_output_name() -> None:
    gemeenten = _grid().assign(gemeentecode="GM0001")
    result = assign_buurt(
        _points([(100_050.0, 400_050.0)]),
        gemeenten,
        code_column="gemeentecode",
        out_column="gemeente",
    )
    assert result["gemeente"].tolist() == ["GM0001"]


def test_per_buurt_counts_add_up_to_the_points_inside_venlo() -> None:
    raw = gpd.read_file(FILES / "cbs_buurt_2024_venlo_wgs84.geojson", engine="pyogrio")
    buurten = normalise_areas(raw, jaar=2024)
    rng = np.random.default_rng(983)
    minx, miny, maxx, maxy = buurten.total_bounds
    n = 20_000
    xs, ys = rng.uniform(minx - 500, maxx + 500, n), rng.uniform(miny - 500, maxy + 500, n)
    # Some points exactly on buurt boundaries: the vertices of every polygon.
    vertices = shapely.get_coordinates(buurten.geometry.boundary.to_numpy())[:2_000]
    xs, ys = np.concatenate([xs, vertices[:, 0]]), np.concatenate([ys, vertices[:, 1]])
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xs, ys), crs=RD)

    result = assign_buurt(points, buurten)
    coverage = shapely.union_all(buurten.geometry.to_numpy())
    inside = int(shapely.intersects(coverage, points.geometry.to_numpy()).sum())

    counts = count_per_buurt(result)
    assert len(result) == len(points)
    assert counts.sum() == inside
    assert int(result["buiten"].sum()) == len(points) - inside
    assert set(counts.index) <= set(buurten["code"])
    assert 0 < inside < len(points)


# --- the grid shortcut for large inputs: the same answer as testing every point ----------------


def _venlo_buurten_with_overlap() -> gpd.GeoDataFrame:
    raw = gpd.read_file(FILES / "cbs_buurt_2024_venlo_wgs84.geojson", engine="pyogrio")
    buurten = normalise_areas(raw, jaar=2024)[["code", "geometry"]]
    # One made-up buurt on the edge of town: overlaps several, has the highest code.
    edge = buurten.geometry.union_all().boundary.interpolate(0.3, normalized=True)
    extra = gpd.GeoDataFrame({"code": ["BU09839999"]}, geometry=[edge.buffer(700)], crs=RD)
    return gpd.GeoDataFrame(pd.concat([buurten, extra], ignore_index=True), crs=RD)


def _hard_points(buurten: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Random points, every vertex, midpoints of edges, and NaN: the cases that could differ."""
    rng = np.random.default_rng(2014)
    minx, miny, maxx, maxy = buurten.total_bounds
    xs, ys = (
        rng.uniform(minx - 300, maxx + 300, 30_000),
        rng.uniform(miny - 300, maxy + 300, 30_000),
    )
    rings = shapely.get_parts(shapely.boundary(buurten.geometry.to_numpy()))
    vertices = shapely.get_coordinates(rings)
    middles = (vertices[:-1] + vertices[1:]) / 2
    x = np.concatenate([xs, vertices[:, 0], middles[:, 0], [np.nan, minx]])
    y = np.concatenate([ys, vertices[:, 1], middles[:, 1], [0.0, np.nan]])
    return x, y


def test_grid_shortcut_gives_the_same_buurt_as_testing_every_point(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    buurten = _venlo_buurten_with_overlap()
    x, y = _hard_points(buurten)
    plain = assign_buurt_xy(x, y, buurten)
    monkeypatch.setattr(assign_module, "GRID_MIN_POINTS", 10**9)
    one_by_one = assign_buurt_xy(x, y, buurten)
    monkeypatch.setattr(assign_module, "GRID_MIN_POINTS", 0)
    monkeypatch.setattr(assign_module, "_CHUNK", 7_000)  # several blocks of per-point work
    for cells in (4, 400, 40_000):  # coarse to fine grids: every cell size must agree
        monkeypatch.setattr(assign_module, "CELLS_PER_POINT", cells / len(x))
        grid = assign_buurt_xy(x, y, buurten)
        differ = np.flatnonzero(grid.fillna("-") != one_by_one.fillna("-"))
        assert differ.size == 0, f"{differ.size} punten anders bij {cells} cellen"
    assert len(plain) == len(x)
    assert one_by_one.isna().sum() > 2  # outside Venlo, and the two NaN points
    assert (one_by_one == "BU09839999").sum() > 0  # the overlap goes to lower codes, not all


def test_grid_shortcut_through_assign_buurt_keeps_rows_and_flags(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(assign_module, "GRID_MIN_POINTS", 0)
    points = _points(
        [(100_100.0, 400_100.0), (100_100.0, 400_150.0), (99_000.0, 400_050.0)], index=[5, 9, 2]
    )
    points.loc[10] = [f"{10:016d}", None]
    result = assign_buurt(points, _grid())
    assert list(result.index) == [5, 9, 2, 10]
    assert result["buurtcode"].tolist()[:2] == ["BU00000001", "BU00000003"]
    assert result["buiten"].tolist() == [False, False, True, True]


def test_xy_input_must_be_two_equal_rows() -> None:
    with pytest.raises(InputError, match="even lange"):
        assign_buurt_xy(np.zeros(3), np.zeros(2), _grid())
