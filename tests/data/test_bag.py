"""BAG verblijfsobjecten: the PDOK OGC API (cursor paging, RD or lon/lat) and the GeoPackage."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from data.sources.bag import bag_id16, fetch_verblijfsobjecten, read_verblijfsobjecten
from data.sources.http import JsonClient
from data.store import ADDRESS_COLUMNS
from geo.crs import RD
from geo.errors import InputError
from tests.data.pdok_server import BAG, BAG_CURSORS, PdokServer, running, serve_bag

VBO = f"{BAG}/verblijfsobject/items"
BBOX = (143_020.962, 464_148.22, 151_488.611, 471_642.781)  # Baarn


@pytest.fixture
def pdok() -> Iterator[PdokServer]:
    yield from running()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[JsonClient]:
    with JsonClient(cache_dir=tmp_path / "cache", timeout=5, backoff=0.01) as c:
        yield c


def _fetch(pdok: PdokServer, client: JsonClient, **options: bool) -> pd.DataFrame:
    return fetch_verblijfsobjecten(client, base=pdok.base, bbox=BBOX, **options)


# --- OGC API -----------------------------------------------------------------------------------


def test_api_pages_by_cursor_and_maps_the_columns(pdok: PdokServer, client: JsonClient) -> None:
    serve_bag(pdok)
    messages: list[str] = []
    frame = fetch_verblijfsobjecten(client, base=pdok.base, bbox=BBOX, progress=messages.append)
    assert messages == [
        "pagina 1: 10 verblijfsobjecten",
        "pagina 2: 20 verblijfsobjecten",
        "pagina 3: 27 verblijfsobjecten",
    ]
    vbo_requests = [r for r in pdok.requests if r.startswith(VBO)]
    assert "cursor=" not in vbo_requests[0]
    assert [r.split("cursor=")[1].split("&")[0] for r in vbo_requests[1:]] == list(BAG_CURSORS)
    assert list(frame.columns) == ADDRESS_COLUMNS
    assert len(frame) == 27
    assert frame["bag_id"].str.fullmatch(r"\d{16}").all()
    first = frame.set_index("bag_id").loc["0308010000000001"]
    assert first["huisnummer"] == 3
    assert first["huisletter"] == "A"
    assert first["postcode"] == "3743AB"
    assert first["status"] == "Verblijfsobject in gebruik"
    assert frame["gebruiksdoel"].isin(["woonfunctie", "woonfunctie,winkelfunctie"]).all()
    assert (frame["toevoeging"].dropna() == "2").all() and frame["toevoeging"].notna().any()


def test_api_sends_bbox_and_crs_in_rd(pdok: PdokServer, client: JsonClient) -> None:
    serve_bag(pdok)
    _fetch(pdok, client)
    first = pdok.requests[0]
    assert "bbox=143020.962%2C464148.220%2C151488.611%2C471642.781" in first
    assert first.count("http%3A%2F%2Fwww.opengis.net%2Fdef%2Fcrs%2FEPSG%2F0%2F28992") == 2
    assert "limit=1000" in first


def test_pand_id_and_bouwjaar_come_from_the_panden(pdok: PdokServer, client: JsonClient) -> None:
    serve_bag(pdok)
    frame = _fetch(pdok, client)
    assert frame["pand_id"].str.fullmatch(r"0308100000\d{6}").all()
    assert frame["bouwjaar"].notna().all()
    assert frame["bouwjaar"].between(1890, 2025).all()
    # Two verblijfsobjecten share a pand, and so its bouwjaar.
    shared = frame[frame["pand_id"] == "0308100000000001"]
    assert len(shared) == 2
    assert shared["bouwjaar"].nunique() == 1


def test_without_panden_the_uuid_is_not_taken_for_a_pand_id(
    pdok: PdokServer, client: JsonClient
) -> None:
    serve_bag(pdok)
    frame = _fetch(pdok, client, panden=False)
    assert frame["pand_id"].isna().all()
    assert frame["bouwjaar"].isna().all()
    assert not any("/pand/" in r for r in pdok.requests)


@pytest.mark.parametrize(
    ("rd", "content_crs"), [(True, True), (True, False), (False, True), (False, False)]
)
def test_rd_and_lonlat_answers_give_the_same_points(
    pdok: PdokServer, client: JsonClient, rd: bool, content_crs: bool
) -> None:
    serve_bag(pdok, rd=rd, content_crs=content_crs)
    frame = _fetch(pdok, client, panden=False)
    with PdokServer() as reference_server:
        serve_bag(reference_server)
        with JsonClient() as plain:
            reference = fetch_verblijfsobjecten(
                plain, base=reference_server.base, bbox=BBOX, panden=False
            )
    both = frame.merge(reference, on="bag_id", suffixes=("", "_ref"))
    assert len(both) == 27
    assert np.allclose(both["x"], both["x_ref"], atol=0.05)
    assert np.allclose(both["y"], both["y_ref"], atol=0.05)
    assert frame["x"].between(140_000, 155_000).all()
    assert frame["y"].between(460_000, 475_000).all()


# --- GeoPackage --------------------------------------------------------------------------------


def _bag_gpkg(path: Path, *, bouwjaar_column: str = "oorspronkelijk_bouwjaar") -> Path:
    """A small BAG-light-like GeoPackage: ids as integers (leading zero lost), RD points."""
    n = 6
    frame = gpd.GeoDataFrame(
        {
            "identificatie": [308010000000100 + i for i in range(n)],
            "postcode": ["3743 ab", "3743AB", "3742KL", None, "3741BB", "bad"],
            "huisnummer": [1, 3, 5, 7, 9, 11],
            "huisletter": [None, "b", None, None, None, None],
            "toevoeging": [None, None, "bis", None, None, None],
            "gebruiksdoel": ["woonfunctie"] * 5 + ["kantoorfunctie"],
            "oppervlakte": [80.0, 95.5, 60.0, 120.0, 45.0, 300.0],
            "pand_identificatie": [f"0308100000{i // 2:06d}" for i in range(n)],
            bouwjaar_column: [1930, 1930, 1975, 1975, 2005, 2005],
            "status": ["Verblijfsobject in gebruik"] * n,
        },
        geometry=[shapely.Point(147_000 + 100 * i, 468_000 + 50 * i) for i in range(n)],
        crs=RD,
    )
    frame.to_file(path, layer="verblijfsobject", driver="GPKG", engine="pyogrio")
    pand = gpd.GeoDataFrame(
        {"identificatie": ["0308100000000000"]}, geometry=[shapely.box(0, 0, 1, 1)], crs=RD
    )
    pand.to_file(path, layer="pand", driver="GPKG", engine="pyogrio")
    return path


def test_geopackage_layer_is_read_and_mapped(tmp_path: Path) -> None:
    frame = read_verblijfsobjecten(_bag_gpkg(tmp_path / "bag-light.gpkg"))
    assert list(frame.columns) == ADDRESS_COLUMNS
    assert frame["bag_id"].tolist() == [f"0308010000000{100 + i}" for i in range(6)]
    assert frame["postcode"].tolist()[:3] == ["3743AB", "3743AB", "3742KL"]
    assert pd.isna(frame["postcode"].iloc[3]) and pd.isna(frame["postcode"].iloc[5])
    assert frame["huisletter"].iloc[1] == "b"
    assert frame["toevoeging"].iloc[2] == "bis"
    assert frame["pand_id"].iloc[5] == "0308100000000002"
    assert frame["bouwjaar"].tolist() == [1930, 1930, 1975, 1975, 2005, 2005]
    assert frame["oppervlakte"].iloc[1] == 95.5
    assert frame["x"].tolist() == [147_000.0 + 100 * i for i in range(6)]


def test_geopackage_plain_bouwjaar_column_and_bbox(tmp_path: Path) -> None:
    path = _bag_gpkg(tmp_path / "bag.gpkg", bouwjaar_column="bouwjaar")
    frame = read_verblijfsobjecten(path, bbox=(146_950.0, 467_950.0, 147_250.0, 468_200.0))
    assert frame["bag_id"].tolist() == ["0308010000000100", "0308010000000101", "0308010000000102"]
    assert frame["bouwjaar"].tolist() == [1930, 1930, 1975]


def test_geopackage_without_the_layer_names_the_layers(tmp_path: Path) -> None:
    path = tmp_path / "other.gpkg"
    gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(1, 1)], crs=RD).to_file(
        path, layer="panden", driver="GPKG", engine="pyogrio"
    )
    with pytest.raises(InputError, match="geen laag 'verblijfsobject' \\(lagen: panden\\)"):
        read_verblijfsobjecten(path)


def test_not_a_geopackage_or_missing_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="niet gevonden"):
        read_verblijfsobjecten(tmp_path / "weg.gpkg")
    csv = tmp_path / "bag.csv"
    csv.write_text("identificatie\n1\n", encoding="utf-8")
    with pytest.raises(InputError, match="BAG-GeoPackage"):
        read_verblijfsobjecten(csv)


def test_rows_without_id_or_point_are_named(tmp_path: Path) -> None:
    path = tmp_path / "kapot.gpkg"
    gpd.GeoDataFrame(
        {"identificatie": ["0308010000000001", "12345678901234567", "0308010000000003"]},
        geometry=[shapely.Point(147_000, 468_000), shapely.Point(147_001, 468_000), None],
        crs=RD,
    ).to_file(path, layer="verblijfsobject", driver="GPKG", engine="pyogrio")
    with pytest.raises(InputError) as info:
        read_verblijfsobjecten(path)
    assert info.value.problems == [
        "kapot.gpkg, rij 2, kolom identificatie: geen BAG-id van 16 cijfers",
        "kapot.gpkg, rij 3, kolom geometrie: geen punt",
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (308010000000001, "0308010000000001"),
        (308010000000001.0, "0308010000000001"),
        ("0308010000000001", "0308010000000001"),
        ("NL.IMBAG.Verblijfsobject.0308010000000001", "0308010000000001"),
        (
            "https://bag.basisregistraties.overheid.nl/bag/id/pand/0308100000000001",
            "0308100000000001",
        ),
        ("6f71af61-905a-5c49-91a2-76b5a0993b6d", None),
        ("12345678901234567", None),
        (None, None),
        (float("nan"), None),
        (["0308010000000001"], "0308010000000001"),
    ],
)
def test_bag_id16(value: object, expected: str | None) -> None:
    assert bag_id16(value) == expected
