"""The web map in Chromium swaps its geometry to the finer band as the user zooms in, and back."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from playwright.sync_api import Browser, Route

from dashboard.components.maps import STATIC, choropleth
from geo.simplify import map_layer
from tests.geo.test_simplify import _detailed_squares

LEAFLET = Path(__file__).resolve().parents[2] / "dashboard" / "static" / "leaflet"
SITE = "http://wijkmonitor.test"

# Every L.Map on the page, the features drawn, and how many vertices they have together.
DRAWN = """() => {
    const map = Object.values(window).find(v => v instanceof L.Map);
    const areas = Object.values(map._layers).filter(l => l.feature);
    const count = c => typeof c[0] === 'number' ? 1 : c.reduce((n, x) => n + count(x), 0);
    return {zoom: map.getZoom(), features: areas.length,
            vertices: areas.reduce((n, l) => n + count(l.feature.geometry.coordinates), 0)};
}"""
ZOOM = """z => new Promise(done => {
    const map = Object.values(window).find(v => v instanceof L.Map);
    map.once('zoomend', () => setTimeout(done, 50));
    map.setZoom(z, {animate: false});
})"""


def test_zooming_in_swaps_to_finer_geometry(browser: Browser) -> None:
    squares = _detailed_squares(20)
    layer = map_layer(squares)
    assert len(layer.bands) >= 3
    values = pd.DataFrame(
        {
            "code": squares["code"],
            "waarde_publ": range(20),
            "status": "",
            "tooltip": squares["code"],
        }
    )
    html = choropleth(layer, values, title="Test", tiles_url=None).get_root().render()

    def answer(route: Route) -> None:
        path = route.request.url.removeprefix(SITE)
        if path.startswith(STATIC):
            name = path.removeprefix(STATIC + "/")
            kind = "text/css" if name.endswith(".css") else "application/javascript"
            route.fulfill(body=(LEAFLET / name).read_bytes(), content_type=kind)
        elif path == "/":
            route.fulfill(body=html, content_type="text/html")
        else:
            route.fulfill(status=404)

    page = browser.new_page(viewport={"width": 900, "height": 700})
    page.route(f"{SITE}/**", answer)
    page.goto(f"{SITE}/")
    page.locator(".leaflet-overlay-pane path").first.wait_for(state="attached", timeout=30_000)
    seen = {}
    for band in layer.bands:
        page.evaluate(ZOOM, band.min_zoom)
        seen[band.min_zoom] = page.evaluate(DRAWN)
    assert {s["features"] for s in seen.values()} == {20}, "every buurt in every band"
    vertices = [seen[b.min_zoom]["vertices"] for b in layer.bands]
    assert vertices == sorted(vertices) and vertices[0] < vertices[-1], vertices
    page.evaluate(ZOOM, layer.bands[0].min_zoom)
    assert page.evaluate(DRAWN)["vertices"] == vertices[0], "zooming out takes the coarse band"
    page.close()
