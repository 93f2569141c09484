"""CBS area normalisation on the real Venlo 2024 geometry and on hand-made squares."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Polygon, box

from data.settings import FILES
from geo.areas import dissolve_levels, normalise_areas, parent_of, remove_overlaps
from geo.crs import RD
from geo.errors import InputError

BAARN = "tests/fixtures/cbs_buurt_2024_baarn_kerncijfers_wgs84.geojson"


@pytest.fixture(scope="module")
def venlo() -> gpd.GeoDataFrame:
    buurten = normalise_areas(gpd.read_file(FILES / "cbs_buurt_2024_venlo_wgs84.geojson"))
    wijken = normalise_areas(gpd.read_file(FILES / "cbs_wijk_2024_venlo_wgs84.geojson"))
    return dissolve_levels(gpd.GeoDataFrame(pd.concat([buurten, wijken]), crs=RD))


def test_venlo_counts_and_klingerberg(venlo: gpd.GeoDataFrame) -> None:
    counts = venlo["level"].value_counts()
    assert counts["buurt"] == 114 and counts["wijk"] == 21 and counts["gemeente"] == 1
    rows = venlo.set_index("code")
    assert rows.loc["WK098325", "name"] == "Wijk 25 Klingerberg"
    assert rows.loc["BU09832501", "parent_code"] == "WK098325"
    assert rows.loc["BU09832502", "name"] == "Klingerberg-Noord"
    assert rows.loc["GM0983", "name"] == "Venlo"
    assert set(venlo["indeling_jaar"]) == {2024}
    assert venlo.crs.to_epsg() == 28992


def test_empty_buurt_is_kept_and_reported(venlo: gpd.GeoDataFrame) -> None:
    row = venlo.set_index("code").loc["BU09833202"]
    assert row["geometry"].is_empty
    assert row["opmerking"] == "lege geometrie in bron"


def test_every_buurt_inside_its_wijk_and_disjoint(venlo: gpd.GeoDataFrame) -> None:
    rows = venlo.set_index("code")
    buurten = venlo[(venlo["level"] == "buurt") & ~venlo.geometry.is_empty]
    for row in buurten.itertuples():
        wijk = rows.loc[row.parent_code, "geometry"]
        assert row.geometry.difference(wijk).area < 1.0, row.code
    # the lower code keeps any overlap: buurten are pairwise disjoint (up to float noise)
    total = buurten.geometry.area.sum()
    union = buurten.geometry.union_all().area
    assert total == pytest.approx(union, rel=1e-6)
    # and the gemeente is exactly the union of its buurten
    assert rows.loc["GM0983", "geometry"].area == pytest.approx(union, rel=1e-6)


def test_all_geometries_valid(venlo: gpd.GeoDataFrame) -> None:
    assert venlo.geometry.is_valid.all()
    assert set(venlo.geometry.geom_type) <= {"Polygon", "MultiPolygon"}


def test_snake_case_key_figures_and_sentinels() -> None:
    raw = gpd.read_file(BAARN)
    areas = normalise_areas(raw)
    assert len(areas) == 21 and set(areas["indeling_jaar"]) == {2024}
    first = areas.set_index("code").loc["BU03080000"]
    assert first["inwoners"] == 1825 and first["huishoudens"] == 1075
    # -99995 is "not available", never a number
    sentinel_cols = [c for c in raw.columns if (raw[c] == -99995).any()]
    assert sentinel_cols
    assert not (areas[["inwoners", "huishoudens", "woningen", "uitkeringen"]] < 0).any().any()


@pytest.mark.parametrize(
    ("columns", "year"),
    [
        ({"buurtcode": "BU00010101", "buurtnaam": "A", "aantalInwoners": 12, "jaar": 2023}, 2023),
        ({"BU_CODE": "BU00010101", "BU_NAAM": "A", "AANT_INW": 12}, 2022),
        ({"statcode": "BU00010101", "statnaam": "A", "jrstatcode": "2021BU00010101"}, 2021),
    ],
)
def test_naming_conventions(columns: dict[str, object], year: int) -> None:
    raw = gpd.GeoDataFrame([columns], geometry=[box(100000, 400000, 100100, 400100)], crs=RD)
    jaar = None if year != 2022 else 2022
    areas = normalise_areas(raw, jaar=jaar)
    row = areas.iloc[0]
    assert (row["code"], row["name"], row["level"], row["parent_code"]) == (
        "BU00010101",
        "A",
        "buurt",
        "WK000101",
    )
    assert row["indeling_jaar"] == year
    if "aantalInwoners" in columns or "AANT_INW" in columns:
        assert row["inwoners"] == 12


def test_unknown_year_and_bad_codes_are_refused() -> None:
    square = box(150_000, 400_000, 150_001, 400_001)
    raw = gpd.GeoDataFrame({"statcode": ["BU00010101"]}, geometry=[square], crs=RD)
    with pytest.raises(InputError, match="--jaar"):
        normalise_areas(raw)
    raw = gpd.GeoDataFrame({"statcode": ["XX1"]}, geometry=[square], crs=RD)
    with pytest.raises(InputError, match="XX1"):
        normalise_areas(raw, jaar=2024)


def test_overlap_goes_to_lower_code() -> None:
    squares = gpd.GeoDataFrame(
        {"code": ["BU00010102", "BU00010101"]},
        geometry=[box(5, 0, 15, 10), box(0, 0, 10, 10)],
        crs=RD,
    )
    result = remove_overlaps(squares).set_index("code")
    assert result.loc["BU00010101", "geometry"].area == pytest.approx(100)
    assert result.loc["BU00010102", "geometry"].area == pytest.approx(50)


def test_invalid_polygon_is_repaired_and_noted() -> None:
    x, y = 150_000, 400_000
    bowtie = Polygon([(x, y), (x + 10, y + 10), (x + 10, y), (x, y + 10), (x, y)])
    raw = gpd.GeoDataFrame({"statcode": ["BU00010101"]}, geometry=[bowtie], crs=RD)
    areas = normalise_areas(raw, jaar=2024)
    assert areas.geometry.is_valid.all()
    assert areas.iloc[0]["opmerking"] == "ongeldige geometrie hersteld"
    assert areas.geometry.area.iloc[0] == pytest.approx(50)


def test_parent_codes() -> None:
    assert parent_of("BU09832501") == "WK098325"
    assert parent_of("WK098325") == "GM0983"
    assert parent_of("GM0983") == ""


def test_year_in_file_name() -> None:
    from geo.areas import year_in_name

    assert year_in_name("wijkenbuurten_2023_v1.gpkg") == 2023
    assert year_in_name("cbs_buurt_2014_nl_wgs84_q1e3.topojson") == 2014
    assert year_in_name("buurten.geojson") is None
    assert year_in_name("buurten_2022_2023.gpkg") is None  # ambiguous: ask for --jaar
