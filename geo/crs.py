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
    minx, miny, maxx, maxy = _bounds(gdf)
    if gdf.crs is None:
        in_rd = minx > 1000 and maxx < 300_000 and miny > 250_000 and maxy < 650_000
        gdf = gdf.set_crs(RD if in_rd else WGS84)
    elif gdf.crs.is_geographic and (abs(minx) > 180 or abs(maxx) > 180 or abs(maxy) > 90):
        raise InputError(
            f"De coördinaten ({minx:.0f}, {miny:.0f}) passen niet bij het opgegeven stelsel "
            f"{gdf.crs.to_string()} (lengte- en breedtegraden): staan ze in RD (EPSG:28992)? "
            "Zet het juiste coördinatenstelsel in het bestand."
        )
    rd = gdf if gdf.crs.to_epsg() == 28992 else gdf.to_crs(RD)
    minx, miny, maxx, maxy = _bounds(rd)
    if len(rd) and not (minx > -50_000 and maxx < 350_000 and miny > 250_000 and maxy < 700_000):
        raise InputError(
            "De coördinaten liggen niet in Nederland na omzetting naar RD (EPSG:28992): "
            "controleer het coördinatenstelsel van het bestand."
        )
    return rd


def _bounds(gdf: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    """Bounds of the non-empty geometries; (0, 0, 0, 0) when there are none."""
    usable = gdf.geometry[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    if usable.empty:
        return (0.0, 0.0, 0.0, 0.0)
    minx, miny, maxx, maxy = usable.total_bounds
    return float(minx), float(miny), float(maxx), float(maxy)


def to_wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``gdf`` in WGS84 for drawing on a web map."""
    check_frame(gdf, crs=RD)
    return gdf.to_crs(WGS84)
