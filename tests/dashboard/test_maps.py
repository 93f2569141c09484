"""The web map: geometry per zoom band in the page, styles and tooltips from one table."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pandas as pd
import pytest

from dashboard.components.classes import MISSING_FILL, SECRET_FILL
from dashboard.components.maps import HOTSPOT_COLOURS, choropleth
from data.settings import FILES
from geo.areas import normalise_areas
from geo.simplify import MapLayer, map_coverage, map_layer


@pytest.fixture(scope="module")
def venlo() -> MapLayer:
    raw = gpd.read_file(FILES / "cbs_buurt_2024_venlo_wgs84.geojson", engine="pyogrio")
    return map_layer(map_coverage(normalise_areas(raw, jaar=2024)))


def _payload(html: str) -> dict[str, object]:
    match = re.search(r"var data = (\{.*?\});\n", html, flags=re.S)
    assert match, "the map carries its areas as one data object"
    data: dict[str, object] = json.loads(match.group(1))
    return data


def _values(layer: MapLayer) -> pd.DataFrame:
    codes = list(layer.bands[0].geometries)
    rows = pd.DataFrame({"code": codes, "waarde_publ": [float(i) for i in range(len(codes))]})
    rows["status"] = ""
    rows.loc[0, "status"] = "x"
    rows.loc[0, "waarde_publ"] = float("nan")
    rows["tooltip"] = "Buurt " + rows["code"] + "\nwaarde"
    rows.loc[1, "tooltip"] = "</script><script>alert(1)</script>"
    return rows.iloc[:-1]  # the last code has no value: drawn as '.'


def test_the_page_holds_every_band_and_one_style_per_area(venlo: MapLayer) -> None:
    values = _values(venlo)
    html = choropleth(venlo, values, title="Test", tiles_url=None).get_root().render()
    data = _payload(html)
    bands = data["bands"]
    assert isinstance(bands, list)
    assert [b["z"] for b in bands] == [b.min_zoom for b in venlo.bands]
    props = data["props"]
    assert isinstance(props, dict)
    assert set(props) == set(venlo.bands[0].geometries)
    first, second, last = values["code"].iloc[0], values["code"].iloc[1], list(props)[-1]
    assert props[first]["f"] == SECRET_FILL and props[first]["d"] == 1
    assert props[last] == {"t": last, "f": MISSING_FILL, "d": 1, "o": 0}
    assert props[second]["t"] == "</script><script>alert(1)</script>"
    assert "</script><script>alert" not in html, "tooltips cannot end the script block"
    assert "CBS / Kadaster" in html


def test_outlines_and_categories(venlo: MapLayer) -> None:
    values = _values(venlo).assign(klasse="hotspot")
    focus = values["code"].iloc[2]
    fmap = choropleth(
        venlo,
        values,
        title="Hotspots",
        tiles_url=None,
        outline_codes=[focus],
        categories=HOTSPOT_COLOURS,
    )
    props = _payload(fmap.get_root().render())["props"]
    assert isinstance(props, dict)
    assert props[focus]["o"] == 1
    assert props[focus]["f"] == HOTSPOT_COLOURS["hotspot"]
