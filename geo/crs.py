"""The one CRS rule: analysis in RD New (EPSG:28992), WGS84 (EPSG:4326) only where a map is drawn."""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd

from geo.errors import InputError

RD = "EPSG:28992"
WGS84 = "EPSG:4326"


def check_frame(gdf: gpd.GeoDataFrame, *, crs: str, columns: Iterable[str] = ()) -> None:
    """Raise InputError unless ``gdf`` is in ``crs`` and has every column in ``columns``."""
    if gdf.crs is None:
        raise InputError(f"De geodata heeft geen coördinatenstelsel; verwacht {crs}.")
    if gdf.crs.to_epsg() != int(crs.split(":")[1]):
        raise InputError(
            f"De geodata staat in {gdf.crs.to_string()}, verwacht {crs}. "
            f"Projecteer eerst met geo.crs.to_rd()."
        )
    missing = [c for c in columns if c not in gdf.columns]
    if missing:
        raise InputError(f"Kolommen ontbreken: {', '.join(missing)}.")


def to_rd(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``gdf`` in RD New.

    A frame without CRS is taken as RD when its coordinates are metres in the RD range (PDOK WFS
    answers often omit the CRS), and as WGS84 lon/lat otherwise (the GeoJSON default).
    """
    if gdf.crs is None:
        minx, miny, maxx, maxy = gdf.total_bounds if len(gdf) else (0.0, 0.0, 0.0, 0.0)
        in_rd = minx > 1000 and maxx < 300_000 and miny > 250_000 and maxy < 650_000
        gdf = gdf.set_crs(RD if in_rd else WGS84)
    return gdf if gdf.crs.to_epsg() == 28992 else gdf.to_crs(RD)


def to_wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``gdf`` in WGS84 for drawing on a web map."""
    check_frame(gdf, crs=RD)
    return gdf.to_crs(WGS84)
