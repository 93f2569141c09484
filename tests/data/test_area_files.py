"""Area files in every form CBS and PDOK publish, and broken ones: each loads or gets a clear error.

The files are written here from the real Venlo 2024 buurten, in the shapes of the real downloads
(a GeoPackage with gemeenten/wijken/buurten layers, the CBS shapefile zip with upper-case fields).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from dashboard.cli import main
from data.settings import FILES
from data.sources.files import area_layers
from geo.areas import normalise_areas
from geo.crs import RD
from geo.errors import InputError


@pytest.fixture(scope="module")
def venlo() -> gpd.GeoDataFrame:
    raw = gpd.read_file(FILES / "cbs_buurt_2024_venlo_wgs84.geojson")
    return normalise_areas(raw).to_crs(RD)


def _listed(capsys: pytest.CaptureFixture[str], url: str) -> list[dict[str, object]]:
    capsys.readouterr()  # what the load printed
    assert main(["--db", url, "areas", "list", "--gemeente", "GM0983", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_geopackage_with_three_layers(
    venlo: gpd.GeoDataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "wijkenbuurten_2024_v1.gpkg"
    buurten = venlo.rename(columns={"code": "buurtcode", "name": "buurtnaam"})
    buurten["wijkcode"] = buurten["parent_code"]
    buurten["gemeentecode"] = "GM0983"
    buurten["aantal_inwoners"] = 100
    buurten[
        ["buurtcode", "buurtnaam", "wijkcode", "gemeentecode", "aantal_inwoners", "geometry"]
    ].to_file(path, layer="buurten", driver="GPKG")
    wijken = buurten.dissolve("wijkcode").reset_index()[["wijkcode", "geometry"]]
    wijken["wijknaam"] = "Wijk " + wijken["wijkcode"].str[-2:]
    wijken.to_file(path, layer="wijken", driver="GPKG")
    gemeente = buurten.dissolve("gemeentecode").reset_index()[["gemeentecode", "geometry"]]
    gemeente["gemeentenaam"] = "Venlo"
    gemeente.to_file(path, layer="gemeenten", driver="GPKG")
    assert len(area_layers(path)) == 3
    url = f"sqlite:///{tmp_path / 'gpkg.db'}"
    assert main(["--db", url, "areas", "load", str(path)]) == 0  # year from the file name
    records = _listed(capsys, url)
    assert {r["indeling_jaar"] for r in records} == {2024}
    assert sum(r["level"] == "buurt" for r in records) == 114
    wijk = next(r for r in records if r["code"] == "WK098325")
    assert wijk["name"] == "Wijk 25" and wijk["inwoners"] == 200


def test_cbs_shapefile_zip(
    venlo: gpd.GeoDataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "shp"
    folder.mkdir()
    shp = venlo.rename(columns={"code": "BU_CODE", "name": "BU_NAAM"})
    shp["GM_CODE"] = "GM0983"
    shp["AANT_INW"] = -99997  # secret in the source: missing, never a number
    shp["WONINGEN"] = 40
    shp[["BU_CODE", "BU_NAAM", "GM_CODE", "AANT_INW", "WONINGEN", "geometry"]].to_file(
        folder / "buurt_2023_v1.shp"
    )
    archive = tmp_path / "WijkBuurtkaart_2023_v1.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for part in folder.iterdir():
            out.write(part, arcname=f"WijkBuurtkaart_2023_v1/{part.name}")
    url = f"sqlite:///{tmp_path / 'zip.db'}"
    assert main(["--db", url, "areas", "load", str(archive)]) == 0
    buurt = next(r for r in _listed(capsys, url) if r["code"] == "BU09832501")
    assert buurt["indeling_jaar"] == 2023 and buurt["inwoners"] is None and buurt["woningen"] == 40


def test_3d_geometries_become_2d(venlo: gpd.GeoDataFrame) -> None:
    raw = venlo.head(3).copy()
    raw["geometry"] = [shapely.force_3d(g, 12.5) for g in raw.geometry]
    areas = normalise_areas(raw.rename(columns={"code": "statcode"}), jaar=2024)
    assert not shapely.has_z(areas.geometry.to_numpy()).any()


def test_wrong_crs_is_refused_clearly(
    venlo: gpd.GeoDataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """RD metres labelled as WGS84 lon/lat: refused, not silently placed in the sea."""
    wrong = venlo.head(5).rename(columns={"code": "statcode"}).set_crs(4326, allow_override=True)
    path = tmp_path / "buurten_2024.geojson"
    wrong.to_file(path, driver="GeoJSON")
    code = main(["--db", f"sqlite:///{tmp_path / 'w.db'}", "areas", "load", str(path)])
    assert code == 2
    assert "coördinaten" in capsys.readouterr().err


def test_duplicate_codes_are_refused(venlo: gpd.GeoDataFrame) -> None:
    raw = venlo.head(3).rename(columns={"code": "statcode"})
    doubled = gpd.GeoDataFrame(gpd.pd.concat([raw, raw.head(1)]), crs=RD)
    with pytest.raises(InputError, match="Dubbele gebiedscodes"):
        normalise_areas(doubled, jaar=2024)
