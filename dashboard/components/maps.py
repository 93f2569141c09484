"""Choropleth maps with folium, working offline: Leaflet is served by the app itself."""

from __future__ import annotations

import json
from collections.abc import Sequence

import folium
import pandas as pd
import streamlit as st
from branca.element import MacroElement
from jinja2 import Template

from dashboard.components.classes import (
    MISSING_FILL,
    SECRET_FILL,
    class_breaks,
    class_rows,
    fill_colour,
)
from geo.simplify import MapLayer, ZoomBand

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
    "background:#ffffff;padding:6px 8px;font:12px/1.4 sans-serif;"
    "color:#1a1a1a;border:1px solid #999;border-radius:4px"
)

# Leaflet from the app's own static folder: no CDN, so the map also works in closed networks.
folium.Map.default_js = [("leaflet", f"{STATIC}/leaflet.js")]
folium.Map.default_css = [("leaflet_css", f"{STATIC}/leaflet.css")]


class _Overlay(MacroElement):
    """Adds the CBS / Kadaster attribution and an HTML legend control to the map."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        document.documentElement.lang = 'nl';  // the map's own frame is Dutch too
        {{ this._parent.get_name() }}.attributionControl.setPrefix(false);
        {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.attribution|tojson }});
        var legend = L.control({position: 'bottomright'});
        legend.onAdd = function () {
            var div = L.DomUtil.create('div', 'wm-legend');
            div.innerHTML = {{ this.legend|tojson }};
            div.setAttribute('role', 'group');
            div.setAttribute('aria-label', {{ this.label|tojson }});
            return div;
        };
        legend.addTo({{ this._parent.get_name() }});
        L.control.scale({imperial: false, position: 'bottomleft'}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, legend_html: str, label: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca leaves __init__ unannotated
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
    layer: MapLayer,
    values: pd.DataFrame,
    *,
    title: str,
    tiles_url: str | None,
    outline_codes: Sequence[str] = (),
    height: int = 560,
    categories: dict[str, str] | None = None,
) -> folium.Map:
    """A folium choropleth of published values, on geometry simplified per zoom band.

    Parameters
    ----------
    layer : the areas' geometry per zoom band (``geo.simplify.map_layer``); the browser swaps
        to the band of the zoom level it shows.
    values : one row per code with ``code``, ``waarde_publ``, ``status`` and ``tooltip``
        (plain text lines joined by newlines: name, value, effort). Codes of ``layer`` without a
        row are drawn as '.' (niet geleverd) with their code as tooltip.
    title : legend title (indicator and unit).
    tiles_url : XYZ URL of the background map, or None for none (tests, closed networks).
    outline_codes : codes drawn with a thick outline (aandachtswijken, selected area).
    categories : instead of classes of ``waarde_publ``, colour by the column ``klasse`` with
        this class -> colour mapping (e.g. hotspots); the legend lists the classes.
    """
    shown = values.drop_duplicates("code").set_index("code")
    breaks = [] if categories else class_breaks(shown["waarde_publ"].where(shown["status"] == ""))
    minx, miny, maxx, maxy = layer.bounds
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
    codes = list(dict.fromkeys(code for band in layer.bands for code in band.geometries))
    rows = shown.reindex(codes)
    known = rows.index.isin(shown.index)
    status = rows["status"].where(known, ".").astype(str)
    if categories:
        klasse = rows["klasse"] if "klasse" in rows else pd.Series(None, index=rows.index)
        fills = [categories.get(str(k), MISSING_FILL) for k in klasse]
    else:
        fills = [
            fill_colour(v, st, breaks, PALETTE)
            for v, st in zip(rows["waarde_publ"], status, strict=True)
        ]
    tooltips = rows["tooltip"].where(known, rows.index.to_series()).astype(str)
    outlined = set(outline_codes)
    props = {
        code: {"t": tip, "f": fill, "d": int(st in ("x", ".")), "o": int(code in outlined)}
        for code, tip, fill, st in zip(codes, tooltips, fills, status, strict=True)
    }
    _Areas(layer, props).add_to(fmap)
    legend = category_legend(categories, title) if categories else legend_html(breaks, title)
    _Overlay(legend, f"Legenda: {title}").add_to(fmap)
    return fmap


class _Areas(MacroElement):
    """The areas as one Leaflet GeoJSON layer whose geometry follows the zoom band.

    Styles and tooltips come from a small table per code, so a band swap sends no style twice.
    A click on an area reaches streamlit-folium as ``last_active_drawing`` with its ``code``.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var data = {{ this.payload }};
            var layer = L.geoJSON(null, {
                style: function (feature) {
                    var p = data.props[feature.properties.code];
                    return {fillColor: p.f, fillOpacity: 0.8, color: p.o ? "#111111" : "#555555",
                            weight: p.o ? 3.5 : 0.8, dashArray: p.d ? "4 3" : null};
                }
            });
            layer.bindTooltip(function (area) {
                var div = document.createElement("div");
                div.style.whiteSpace = "pre-line";
                div.style.fontSize = "13px";
                div.textContent = data.props[area.feature.properties.code].t;
                return div;
            }, {sticky: true});
            layer.on("mouseover", function (e) { e.layer.setStyle({weight: 3, color: "#000000"}); });
            layer.on("mouseout", function (e) { layer.resetStyle(e.layer); });
            var shown = -1;
            function draw() {
                var zoom = map.getZoom(), band = 0;
                for (var i = 0; i < data.bands.length; i++) {
                    if (zoom >= data.bands[i].z) { band = i; }
                }
                if (band === shown) { return; }
                shown = band;
                var features = [], geometries = data.bands[band].g;
                for (var code in geometries) {
                    features.push({type: "Feature", properties: {code: code},
                                   geometry: geometries[code]});
                }
                layer.clearLayers();
                layer.addData(features);
            }
            draw();
            map.on("zoomend", draw);
            layer.addTo(map);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, layer: MapLayer, props: dict[str, dict[str, object]]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca leaves __init__ unannotated
        self._name = "WijkmonitorAreas"
        bands = ",".join(
            f'{{"z":{band.min_zoom},"g":{{{_geometries(band)}}}}}' for band in layer.bands
        )
        # Geometry is numbers only; the tooltips are escaped so no "</script>" can end the block.
        table = json.dumps(props, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
        self.payload = f'{{"props":{table},"bands":[{bands}]}}'


def _geometries(band: ZoomBand) -> str:
    return ",".join(f'"{code}":{text}' for code, text in band.geometries.items())


def open_clicked(result: dict[str, object] | None, *, page: str) -> None:
    """A click on a buurt or wijk opens ``page`` on it (only clicks rerun the page, not panning).

    ``result`` is what ``st_folium`` returned with ``returned_objects=["last_active_drawing"]``.
    """
    drawing = (result or {}).get("last_active_drawing") or {}
    properties = drawing.get("properties", {}) if isinstance(drawing, dict) else {}
    code = properties.get("code") if isinstance(properties, dict) else None
    if code and code != st.session_state.get("laatste_klik"):
        st.session_state["laatste_klik"] = code
        st.session_state["open_gebied"] = code
        st.switch_page(page)
