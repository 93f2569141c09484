"""Assign address points to buurten: exactly one buurt per point, or flagged as outside.

Pure: frames in, a new frame out. Both inputs in EPSG:28992. A point on a shared edge or corner
intersects several buurten; the lowest buurtcode wins, so every point counts once. A point in
no buurt keeps its row with ``buurtcode`` NA and ``buiten`` True: never dropped silently.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.crs import RD, check_frame
from geo.errors import InputError


def _codes(buurten: gpd.GeoDataFrame, code_column: str) -> np.ndarray:
    codes = buurten[code_column]
    if codes.isna().any():
        raise InputError(f"Buurten zonder code in kolom {code_column!r}: vul de codes eerst aan.")
    values: np.ndarray = codes.astype(str).to_numpy()
    return values


def assign_buurt(
    points: gpd.GeoDataFrame,
    buurten: gpd.GeoDataFrame,
    *,
    code_column: str = "code",
    out_column: str = "buurtcode",
) -> gpd.GeoDataFrame:
    """Give every point the code of the buurt it lies in (edges and corners included).

    Parameters
    ----------
    points : GeoDataFrame in EPSG:28992, any columns; Point geometries (None or empty
        geometries are treated as outside every buurt).
    buurten : GeoDataFrame in EPSG:28992 with ``code_column`` (``code`` in
        ``geo.areas.AREA_COLUMNS``); polygons may touch or overlap, empty geometries are ignored.
    code_column : the column of ``buurten`` that holds the code to hand out.
    out_column : the name of the new code column on the points.

    Returns
    -------
    GeoDataFrame in EPSG:28992: ``points`` (same index, order and columns) plus ``out_column``
    (string; NA outside every buurt) and ``buiten`` (bool, True where no buurt was found).
    Where a point intersects several buurten (shared edge or corner, or an overlap), the
    lowest code wins.
    """
    check_frame(points, crs=RD)
    check_frame(buurten, crs=RD, columns=[code_column])
    codes = _codes(buurten, code_column)
    # Rank the codes once, so "lowest code" is an integer minimum over the hits.
    order = np.argsort(codes, kind="stable")
    rank = np.empty(len(codes), dtype=np.int64)
    rank[order] = np.arange(len(codes))

    # The STRtree over the buurten (geopandas' sindex, as sjoin uses) answers all points at once.
    point_idx, buurt_idx = buurten.sindex.query(points.geometry.to_numpy(), predicate="intersects")
    missing = len(codes)
    best = np.full(len(points), missing, dtype=np.int64)
    np.minimum.at(best, point_idx, rank[buurt_idx])

    outside = best == missing
    winner = np.full(len(points), -1, dtype=np.int64)
    winner[~outside] = order[best[~outside]]
    result = points.copy()
    result[out_column] = pd.array(codes, dtype="string").take(winner, allow_fill=True)
    result["buiten"] = outside
    return result


def count_per_buurt(assigned: pd.DataFrame, *, column: str = "buurtcode") -> pd.Series:
    """Points per buurt code of an ``assign_buurt`` result (points outside are not counted).

    Returns an integer Series indexed by code, sorted by code.
    """
    if column not in assigned.columns:
        raise InputError(f"Kolom {column!r} ontbreekt: wijs de punten eerst toe met assign_buurt.")
    counts: pd.Series = assigned[column].dropna().value_counts().sort_index()
    return counts.astype("int64")
