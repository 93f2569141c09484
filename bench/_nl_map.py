"""The national buurt map: payload per zoom level (geo.simplify), and what the dashboard's own
folium map of all buurten would weigh, for comparison."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
from _nl_steps import Clock, _stored_buurten, emit

ZOOMS = (6, 7, 8, 9, 10, 11, 12, 13, 14)


def _values(cache: Path, codes: pd.Series) -> pd.Series:
    """Published yearly values of illegale_bewoning 2024 where the disclosure step made them."""
    path = cache / "tables" / "illegale_bewoning.published.parquet"
    if path.exists():
        table = pd.read_parquet(path)
        rows = table[table["periode"] == "2024"].set_index("code")["waarde_publ"]
        return rows.reindex(codes.to_numpy())
    return pd.Series(range(len(codes)), index=codes.to_numpy(), dtype=float) % 97


def step_map(cache: Path) -> None:
    from geo.simplify import decimals_for_zoom, geojson_for_zoom, map_coverage, tolerance_for_zoom

    buurten = _stored_buurten(cache)
    values = _values(cache, buurten["code"])
    clock = Clock()
    with clock.part("map_coverage (herstel, overlap, snap)"):
        coverage = map_coverage(buurten)
    zooms = {}
    for zoom in ZOOMS:
        with clock.part(f"zoom {zoom}"):
            text = geojson_for_zoom(coverage, zoom=zoom, values=values)
        raw = text.encode("utf-8")
        zooms[str(zoom)] = {
            "tolerantie_m": round(tolerance_for_zoom(zoom)),
            "decimalen": decimals_for_zoom(zoom),
            "bytes": len(raw),
            "gzip_bytes": len(gzip.compress(raw, 6)),
            "seconden": clock.parts[f"zoom {zoom}"],
        }
    emit("map", clock.total(), parts=clock.parts, zooms=zooms, **_dashboard_map_size(cache))


def _dashboard_map_size(cache: Path) -> dict[str, object]:
    """The map the Regio page sends for all buurten: zoom bands (geo.simplify.map_layer) and a
    style and tooltip per buurt, as dashboard.components.maps.choropleth builds it."""
    import time

    import pandas as pd

    from dashboard.components.maps import choropleth
    from data import db, store
    from geo.simplify import map_coverage, map_layer

    engine = db.make_engine(f"sqlite:///{cache / 'national.db'}")
    areas = store.load_areas(engine, indeling_jaar=2014, levels=["buurt"])
    engine.dispose()
    began = time.perf_counter()
    layer = map_layer(map_coverage(areas))
    made_layer = time.perf_counter() - began
    shown = pd.DataFrame({"code": areas["code"], "name": areas["name"]})
    shown["waarde_publ"] = _values(cache, shown["code"]).to_numpy()
    shown["status"] = ["" if v == v else "." for v in shown["waarde_publ"]]
    shown["tooltip"] = shown["name"] + " (" + shown["code"] + ")\nIllegale bewoning: ..."
    began = time.perf_counter()
    html = choropleth(layer, shown, title="Illegale bewoning", tiles_url=None).get_root().render()
    return {
        "kaartlaag_zooms": [band.min_zoom for band in layer.bands],
        "kaartlaag_bytes": layer.size,
        "kaartlaag_seconden": round(made_layer, 2),
        "folium_alle_buurten_bytes": len(html.encode("utf-8")),
        "folium_alle_buurten_seconden": round(time.perf_counter() - began, 2),
    }
