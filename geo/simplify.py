"""Simplify a buurt coverage for web maps without opening gaps or slivers between neighbours."""

from __future__ import annotations

import geopandas as gpd
import shapely

from geo.crs import RD, check_frame


def simplify_coverage(areas: gpd.GeoDataFrame, *, tolerance_m: float) -> gpd.GeoDataFrame:
    """Return ``areas`` with shared edges simplified once, so neighbours keep sharing them.

    Input and output in EPSG:28992. Uses GEOS coverage simplification; where the input is not a
    valid coverage (overlaps left in), falls back to per-polygon simplification.
    """
    check_frame(areas, crs=RD)
    geoms = areas.geometry.to_numpy()
    usable = ~shapely.is_empty(geoms) & ~shapely.is_missing(geoms)
    out = geoms.copy()
    try:
        out[usable] = shapely.coverage_simplify(geoms[usable], tolerance_m)
    except shapely.errors.GEOSException:
        out[usable] = shapely.simplify(geoms[usable], tolerance_m, preserve_topology=True)
    return areas.set_geometry(gpd.GeoSeries(out, index=areas.index, crs=RD))
