"""Choropleth maps with folium, working offline: Leaflet is served by the app itself."""

from __future__ import annotations

import json
from collections.abc import Sequence

import folium
import geopandas as gpd
import shapely
from branca.element import MacroElement
from jinja2 import Template

from dashboard.components.classes import (
    MISSING_FILL,
    SECRET_FILL,
    class_breaks,
    class_rows,
    fill_colour,
)
from geo.crs import to_wgs84

STATIC = "/app/static/leaflet"
ATTRIBUTION = "CBS / Kadaster"
# ColorBrewer PuBu: sequential, colour-blind safe, readable in greyscale.
PALETTE = ("#f1eef6", "#bdc9e1", "#74a9cf", "#2b8cbe", "#045a8d")
# Hotspot classes: orange/purple, a pair that colour-blind readers tell apart.
HOTSPOT_COLOURS = {
    "hotspot": "#E66100",
    "coldspot": "#5D3A9B",
    "niet significant": "#e8e8e8",
    "geen buren": "#ffffff",
    "niet gepubliceerd": SECRET_FILL,
}
_LEGEND_STYLE = (
    "background:rgba(255,255,255,0.92);padding:6px 8px;font:12px/1.4 sans-serif;"
    "color:#1a1a1a;border:1px solid #999;border-radius:4px"
)

# Leaflet from the app's own static folder: no CDN, so the map also works in closed networks.
folium.Map.default_js = [("leaflet", f"{STATIC}/leaflet.js")]
folium.Map.default_css = [("leaflet_css", f"{STATIC}/leaflet.css")]


class _Overlay(MacroElement):  # type: ignore[misc]
    """Adds the CBS / Kadaster attribution and an HTML legend control to the map."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.setPrefix(false);
        {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.attribution|tojson }});
        var legend = L.control({position: 'bottomright'});
        legend.onAdd = function () {
            var div = L.DomUtil.create('div', 'wm-legend');
            div.innerHTML = {{ this.legend|tojson }};
            div.setAttribute('role', 'img');
            div.setAttribute('aria-label', {{ this.label|tojson }});
            return div;
        };
        legend.addTo({{ this._parent.get_name() }});
        L.control.scale({imperial: false, position: 'bottomleft'}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, legend_html: str, label: str) -> None:
        super().__init__()
        self._name = "WijkmonitorOverlay"
        self.attribution = ATTRIBUTION
        self.legend = legend_html
        self.label = label


def legend_html(breaks: Sequence[float], title: str) -> str:
    """The legend: one row per class, plus 'x' (geheim) and '.' (niet geleverd)."""
    rows = [f"<div class='wm-legend-title'><b>{title}</b></div>"]
    rows += [_legend_row(colour, text) for colour, text in class_rows(breaks, PALETTE)]
    rows.append(_legend_row(SECRET_FILL, "x = geheim (kleine aantallen)"))
    rows.append(_legend_row(MISSING_FILL, ". = niet geleverd / onbekend"))
    return f"<div style='{_LEGEND_STYLE}'>{''.join(rows)}</div>"


def category_legend(categories: dict[str, str], title: str) -> str:
    """A legend with one row per class."""
    rows = [f"<div class='wm-legend-title'><b>{title}</b></div>"]
    rows += [_legend_row(colour, name) for name, colour in categories.items()]
    return f"<div style='{_LEGEND_STYLE}'>{''.join(rows)}</div>"


def _legend_row(colour: str, text: str) -> str:
    swatch = (
        f"<span style='display:inline-block;width:14px;height:14px;background:{colour};"
        "border:1px solid #555;margin-right:6px;vertical-align:middle'></span>"
    )
    return f"<div>{swatch}{text}</div>"


def choropleth(
    areas: gpd.GeoDataFrame,
    *,
    title: str,
    tiles_url: str | None,
    outline_codes: Sequence[str] = (),
    height: int = 560,
    categories: dict[str, str] | None = None,
) -> folium.Map:
    """A folium choropleth of published values.

    Parameters
    ----------
    areas : GeoDataFrame in EPSG:28992 with ``code``, ``name``, ``waarde_publ``, ``status`` and
        ``tooltip`` (plain text lines joined by newlines: name, value, effort).
    title : legend title (indicator and unit).
    tiles_url : XYZ URL of the background map, or None for none (tests, closed networks).
    outline_codes : codes drawn with a thick outline (aandachtswijken, selected area).
    categories : instead of classes of ``waarde_publ``, colour by the column ``klasse`` with
        this class -> colour mapping (e.g. hotspots); the legend lists the classes.
    """
    geoms = areas.geometry.to_numpy()
    shown = areas[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    wgs = to_wgs84(shown)
    breaks = [] if categories else class_breaks(wgs["waarde_publ"].where(wgs["status"] == ""))
    minx, miny, maxx, maxy = wgs.total_bounds
    fmap = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        tiles=None,
        zoom_control=True,
        control_scale=False,
        prefer_canvas=False,
        height=height,
    )
    if tiles_url:
        folium.TileLayer(
            tiles=tiles_url,
            attr="Kaartgegevens © Kadaster (BRT-Achtergrondkaart)",
            name="Achtergrond",
            max_zoom=19,
        ).add_to(fmap)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    features = []
    outlined = set(outline_codes)
    for row in wgs.itertuples():
        geometry = json.loads(shapely.to_geojson(row.geometry))
        features.append(
            {
                "type": "Feature",
                "geometry": _rounded(geometry),
                "properties": {
                    "code": row.code,
                    "tooltip": row.tooltip,
                    "fill": categories.get(row.klasse, MISSING_FILL)
                    if categories
                    else fill_colour(row.waarde_publ, row.status, breaks, PALETTE),
                    "dash": "4 3" if row.status in ("x", ".") else None,
                    "outline": row.code in outlined,
                },
            }
        )
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name="buurten",
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "fillOpacity": 0.8,
            "color": "#111111" if f["properties"]["outline"] else "#555555",
            "weight": 3.5 if f["properties"]["outline"] else 0.8,
            "dashArray": f["properties"]["dash"],
        },
        highlight_function=lambda f: {"weight": 3, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(
            fields=["tooltip"],
            labels=False,
            sticky=True,
            style="white-space: pre-line; font-size: 13px;",
        ),
    ).add_to(fmap)
    legend = category_legend(categories, title) if categories else legend_html(breaks, title)
    _Overlay(legend, f"Legenda: {title}").add_to(fmap)
    return fmap


def _rounded(geometry: dict[str, object]) -> dict[str, object]:
    """Round lon/lat to 5 decimals (about 1 m): halves the payload, invisible on the map."""

    def walk(value: object) -> object:
        if isinstance(value, list):
            if value and isinstance(value[0], float):
                return [round(v, 5) for v in value]
            return [walk(v) for v in value]
        return value

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}
