"""Spatial neighbours of areas, for hotspots: shapes that touch (within a small snap distance)."""

from __future__ import annotations

import geopandas as gpd
import shapely

from geo.crs import RD, check_frame


def neighbour_lists(areas: gpd.GeoDataFrame, *, snap_m: float = 1.0) -> dict[str, list[str]]:
    """For each ``code``, the codes of areas within ``snap_m`` metres (EPSG:28992 input).

    Generalised CBS polygons do not always share their edges exactly, hence the snap distance.
    An area without shape or without neighbours gets an empty list (an island), never dropped.
    """
    check_frame(areas, crs=RD, columns=["code"])
    codes = areas["code"].to_numpy()
    geoms = areas.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="dwithin", distance=snap_m)
    keep = (left != right) & ~shapely.is_empty(geoms[left])
    result: dict[str, list[str]] = {str(c): [] for c in codes}
    for i, j in zip(left[keep], right[keep], strict=True):
        result[str(codes[i])].append(str(codes[j]))
    return {code: sorted(set(found)) for code, found in result.items()}
