"""geo.simplify: per-zoom coverage simplification keeps neighbours together; the national layer
a browser gets stays under 3 MB."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon, box

from data.settings import FILES
from data.sources.files import area_layers
from geo.areas import normalise_areas
from geo.crs import RD
from geo.errors import InputError
from geo.simplify import (
    NATIONAL_ZOOM,
    decimals_for_zoom,
    fit_zoom,
    geojson_for_zoom,
    map_coverage,
    map_layer,
    simplify_for_zoom,
    tolerance_for_zoom,
)

ZOOMS = (NATIONAL_ZOOM, 9, 11, 13)
MAX_NATIONAL_BYTES = 3_000_000


def _shared_lengths(geoms: np.ndarray, pairs: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Length of the common boundary of every pair (i, j)."""
    rings = shapely.boundary(geoms)
    common = shapely.intersection(rings[pairs[0]], rings[pairs[1]])
    lengths: np.ndarray = shapely.length(common)
    return lengths


def _neighbours(geoms: np.ndarray, min_shared_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i < j) of non-empty polygons that share more than ``min_shared_m`` of edge."""
    usable = ~shapely.is_empty(geoms)
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = (left < right) & usable[left] & usable[right]
    pairs = (left[keep], right[keep])
    long_enough = _shared_lengths(geoms, pairs) > min_shared_m
    return pairs[0][long_enough], pairs[1][long_enough]


def _union_shape(geoms: np.ndarray) -> tuple[float, int, int]:
    """Area, number of polygon parts and number of holes of the union."""
    union = shapely.union_all(geoms[~shapely.is_empty(geoms)])
    parts = shapely.get_parts(union)
    return float(union.area), len(parts), int(shapely.get_num_interior_rings(parts).sum())


def _assert_still_a_coverage(before: np.ndarray, after: np.ndarray) -> None:
    pairs = _neighbours(before, 10.0)
    assert len(pairs[0]) > 0
    shared_after = _shared_lengths(after, pairs)
    lost = [(int(i), int(j)) for i, j, s in zip(*pairs, shared_after, strict=True) if s <= 0]
    assert lost == [], f"{len(lost)} buurparen delen geen grens meer"
    usable = ~shapely.is_empty(after)
    assert shapely.coverage_is_valid(after[usable])  # no overlaps, edges matched
    area, parts, holes = _union_shape(after)
    assert area == pytest.approx(float(shapely.area(after[usable]).sum()), rel=1e-9)
    _, parts_before, holes_before = _union_shape(before)
    assert parts <= parts_before  # no sliver split off
    assert holes <= holes_before  # no gap opened


@pytest.fixture(scope="module")
def venlo() -> gpd.GeoDataFrame:
    raw = gpd.read_file(FILES / "cbs_buurt_2024_venlo_wgs84.geojson", engine="pyogrio")
    return map_coverage(normalise_areas(raw, jaar=2024))


@pytest.fixture(scope="module")
def national() -> gpd.GeoDataFrame:
    (raw,) = area_layers(FILES / "cbs_buurt_2014_nl_wgs84_q1e3.topojson")
    return map_coverage(normalise_areas(raw, jaar=2014))


@pytest.mark.parametrize("zoom", ZOOMS)
def test_venlo_neighbours_share_their_edges_at_every_zoom(
    venlo: gpd.GeoDataFrame, zoom: int
) -> None:
    after = simplify_for_zoom(venlo, zoom=zoom)
    assert list(after["code"]) == list(venlo["code"])
    _assert_still_a_coverage(venlo.geometry.to_numpy(), after.geometry.to_numpy())


def test_national_neighbours_share_their_edges_at_the_national_zoom(
    national: gpd.GeoDataFrame,
) -> None:
    after = simplify_for_zoom(national, zoom=NATIONAL_ZOOM)
    _assert_still_a_coverage(national.geometry.to_numpy(), after.geometry.to_numpy())


def test_national_layer_for_the_browser_is_under_3_mb(national: gpd.GeoDataFrame) -> None:
    rng = np.random.default_rng(7)
    values = pd.Series(rng.uniform(0, 250, len(national)), index=national["code"])
    text = geojson_for_zoom(national, zoom=NATIONAL_ZOOM, values=values)
    size = len(text.encode("utf-8"))
    assert size < MAX_NATIONAL_BYTES, f"{size / 1e6:.2f} MB"

    layer = json.loads(text)
    features = layer["features"]
    drawn = national.loc[~national.geometry.is_empty, "code"].tolist()
    assert [f["properties"]["code"] for f in features] == drawn
    assert {tuple(sorted(f["properties"])) for f in features} == {("code", "value")}
    coords = np.concatenate(
        [shapely.get_coordinates(shapely.from_geojson(json.dumps(f["geometry"]))) for f in features]
    )
    assert coords[:, 0].min() > 3.2 and coords[:, 0].max() < 7.3  # lon/lat, not RD
    assert coords[:, 1].min() > 50.7 and coords[:, 1].max() < 53.6
    decimals = decimals_for_zoom(NATIONAL_ZOOM)
    assert np.allclose(coords, np.round(coords, decimals), atol=1e-12, rtol=0)


def test_values_are_rounded_and_missing_values_are_null() -> None:
    squares = gpd.GeoDataFrame(
        {"code": ["BU00000001", "BU00000002", "BU00000003"]},
        geometry=[
            box(150_000, 450_000, 151_000, 451_000),
            box(151_000, 450_000, 152_000, 451_000),
            Polygon(),
        ],
        crs=RD,
    )
    values = pd.Series({"BU00000001": 12.345, "BU00000003": 1.0})
    layer = json.loads(geojson_for_zoom(map_coverage(squares), zoom=12, values=values))
    props = [f["properties"] for f in layer["features"]]
    assert props == [{"code": "BU00000001", "value": 12.3}, {"code": "BU00000002", "value": None}]


def test_invalid_and_overlapping_input_becomes_a_clean_coverage() -> None:
    bow_tie = Polygon([(0, 0), (100, 100), (100, 0), (0, 100), (0, 0)])
    shapes = gpd.GeoDataFrame(
        {"code": ["BU00000002", "BU00000001", "BU00000003"]},
        geometry=[
            shapely.affinity.translate(bow_tie, 150_000, 450_000),
            box(150_050, 450_000, 150_200, 450_100),  # overlaps the bow tie: it has the lower code
            box(150_200, 450_000, 150_300, 450_100.004),  # a near-miss edge, snapped
        ],
        crs=RD,
    )
    clean = map_coverage(shapes)
    geoms = clean.geometry.to_numpy()
    assert shapely.is_valid(geoms).all()
    assert shapely.coverage_is_valid(geoms)
    assert list(clean["code"]) == list(shapes["code"])
    assert geoms[1].area == pytest.approx(150 * 100, rel=1e-6)  # the lower code keeps the overlap
    for zoom in (9, 14):
        after = simplify_for_zoom(clean, zoom=zoom).geometry.to_numpy()
        assert shapely.coverage_is_valid(after)


def test_zoom_levels_map_to_pixels() -> None:
    assert tolerance_for_zoom(NATIONAL_ZOOM) == pytest.approx(750, rel=0.01)
    assert tolerance_for_zoom(8) == pytest.approx(tolerance_for_zoom(7) / 2)
    assert [decimals_for_zoom(z) for z in (7, 8, 9, 12, 13, 16)] == [3, 3, 4, 4, 5, 6]
    with pytest.raises(InputError, match="Zoomniveau"):
        tolerance_for_zoom(30)


def _detailed_squares(n: int) -> gpd.GeoDataFrame:
    """A row of n square buurten of 1 km with a vertex every 2 m: detail only fine zooms show."""
    shapes = []
    for i in range(n):
        x0 = 150_000 + 1_000 * i
        edge = np.linspace(0, 1_000, 501)
        wiggle = 10 * np.sin(edge / 20)  # 10 m of wiggle: gone at zoom 12, kept at 14
        ring = [(x0 + x, 450_000 + w) for x, w in zip(edge, wiggle, strict=True)]
        ring += [(x0 + 1_000, 451_000), (x0, 451_000)]
        shapes.append(Polygon(ring))
    return map_coverage(
        gpd.GeoDataFrame({"code": [f"BU0000{i:04d}" for i in range(n)]}, geometry=shapes, crs=RD)
    )


def test_map_layer_sends_finer_bands_for_closer_zooms() -> None:
    squares = _detailed_squares(20)
    layer = map_layer(squares, width_px=720, height_px=560)
    zooms = [band.min_zoom for band in layer.bands]
    assert zooms[0] == fit_zoom(squares, width_px=720, height_px=560)
    assert zooms == sorted(zooms) and len(zooms) >= 2
    sizes = [band.size for band in layer.bands]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1], "finer bands carry more detail"
    for band in layer.bands:
        assert list(band.geometries) == list(squares["code"])
        assert shapely.coverage_is_valid(shapely.from_geojson(list(band.geometries.values()))), (
            "every band is still a coverage (lon/lat)"
        )
    minx, miny, maxx, maxy = layer.bounds
    assert 5.0 < minx < maxx < 5.7 and 52.0 < miny < maxy < 52.1


def test_map_layer_keeps_within_its_budget_but_always_sends_one_band() -> None:
    squares = _detailed_squares(20)
    full = map_layer(squares)
    assert not full.truncated
    small = map_layer(squares, budget_bytes=full.bands[0].size + 1)
    assert len(small.bands) == 1 and small.bands[0] == full.bands[0]
    assert small.truncated, "the page can say that finer detail was left out"
    tiny = map_layer(squares, budget_bytes=10)
    assert len(tiny.bands) == 1


def test_map_layer_of_the_national_buurten_stays_under_3_mb(national: gpd.GeoDataFrame) -> None:
    layer = map_layer(national)
    assert layer.size < MAX_NATIONAL_BYTES
    assert layer.bands[0].min_zoom == NATIONAL_ZOOM
    assert layer.truncated, "finer national bands do not fit in 3 MB as well"
    drawn = national.loc[~national.geometry.is_empty, "code"].tolist()
    assert list(layer.bands[0].geometries) == drawn


def test_map_layer_refuses_nothing_to_draw() -> None:
    empty = gpd.GeoDataFrame({"code": ["BU00000001"]}, geometry=[Polygon()], crs=RD)
    with pytest.raises(InputError, match="geen gebieden"):
        map_layer(empty)
