"""Assign address points to buurten: exactly one buurt per point, or flagged as outside.

Pure: frames in, a new frame out. Both inputs in EPSG:28992. A point on a shared edge or corner
intersects several buurten; the lowest buurtcode wins, so every point counts once. A point in
no buurt keeps its row with ``buurtcode`` NA and ``buiten`` True: never dropped silently.

Large inputs (the 9.9 million BAG verblijfsobjecten of the Netherlands) take a grid shortcut
that gives exactly the same answer as testing every point against the buurten: a cell that no
buurt boundary touches lies wholly inside the same buurten (or outside all), so its points share
one answer, found once per connected run of such cells. Only the points in cells a boundary
crosses (about one in seven nationally) are tested one by one.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from pandas.api.extensions import ExtensionArray
from scipy import ndimage

from geo.crs import RD, check_frame
from geo.errors import InputError

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Geoms = npt.NDArray[np.object_]

# Below this many points the STRtree alone is fast enough; above it, the grid pays off.
GRID_MIN_POINTS = 50_000
# Grid size: at most this many cells (a bool mask and an int32 label each: about 165 MB), and
# not far more cells than points. Nationally this gives 50 m cells.
MAX_CELLS = 33_000_000
CELLS_PER_POINT = 4
# A point this close to a cell edge (as a fraction of the cell) is tested one by one, so that
# rounding in the cell arithmetic can never put it in the wrong cell.
_EDGE = 1e-6
_CHUNK = 1_000_000  # points per block of per-point work


def _codes(buurten: gpd.GeoDataFrame, code_column: str) -> npt.NDArray[np.str_]:
    codes = buurten[code_column]
    if codes.isna().any():
        raise InputError(f"Buurten zonder code in kolom {code_column!r}: vul de codes eerst aan.")
    values: npt.NDArray[np.str_] = codes.astype(str).to_numpy()
    return values


def _ranks(codes: npt.NDArray[np.str_]) -> tuple[Ints, Ints]:
    """The row order of the codes and each row's rank in it: "lowest code" becomes a minimum."""
    order: Ints = np.argsort(codes, kind="stable").astype(np.int64)
    rank = np.empty(len(codes), dtype=np.int64)
    rank[order] = np.arange(len(codes), dtype=np.int64)
    return order, rank


def _lowest(tree: shapely.STRtree, geoms: Geoms, rank: Ints, missing: int) -> Ints:
    """Per geometry the lowest rank of the buurten it intersects (``missing`` for none)."""
    best = np.full(len(geoms), missing, dtype=np.int64)
    if len(geoms):
        query_idx, buurt_idx = tree.query(geoms, predicate="intersects")
        np.minimum.at(best, query_idx, rank[buurt_idx])
    return best


def _boundary_mask(
    buurten: Geoms, origin: tuple[float, float], cell: float, shape: tuple[int, int]
) -> npt.NDArray[np.bool_]:
    """Cells that any buurt boundary touches (a superset: some untouched cells are marked too).

    The boundaries are cut into pieces of at most half a cell, so each piece spans at most two
    cells per axis and the (widened) cell range of its ends covers every cell it passes.
    """
    ny, nx = shape
    lines = shapely.get_parts(shapely.segmentize(shapely.boundary(buurten), cell / 2))
    coords, line = shapely.get_coordinates(lines, return_index=True)
    piece = line[1:] == line[:-1]
    start, end = coords[:-1][piece], coords[1:][piece]
    pad = cell * _EDGE
    mask = np.zeros(ny * nx, dtype=bool)
    bounds = []
    for axis, offset in ((0, origin[0]), (1, origin[1])):
        low = np.minimum(start[:, axis], end[:, axis]) - pad - offset
        high = np.maximum(start[:, axis], end[:, axis]) + pad - offset
        bounds.append(
            (np.floor(low / cell).astype(np.int64), np.floor(high / cell).astype(np.int64))
        )
    (x_lo, x_hi), (y_lo, y_hi) = bounds
    for iy in (y_lo, y_hi):
        for ix in (x_lo, x_hi):
            mask[np.clip(iy, 0, ny - 1) * nx + np.clip(ix, 0, nx - 1)] = True
    return mask.reshape(ny, nx)


def _runs(
    x: Floats, y: Floats, free: npt.NDArray[np.int32], origin: tuple[float, float], cell: float
) -> npt.NDArray[np.int32]:
    """Per point the run of boundary-free cells it lies in (> 0); 0 to test it one by one (a
    boundary cell, or within rounding of a cell edge); -1 beyond the grid (outside every buurt).
    """
    ny, nx = free.shape
    fx, fy = (x - origin[0]) / cell, (y - origin[1]) / cell
    # NaN compares False: off the grid.
    on_grid = (fx >= 0) & (fy >= 0) & (fx < nx - 1) & (fy < ny - 1)
    ix = np.floor(np.where(on_grid, fx, 0.0)).astype(np.int64)
    iy = np.floor(np.where(on_grid, fy, 0.0)).astype(np.int64)
    near_edge = (np.abs(fx - np.rint(fx)) < _EDGE) | (np.abs(fy - np.rint(fy)) < _EDGE)
    runs: npt.NDArray[np.int32] = free[iy, ix]
    runs[near_edge] = 0
    runs[~on_grid] = -1
    return runs


def _grid_lowest(x: Floats, y: Floats, buurten: Geoms, rank: Ints, missing: int) -> Ints:
    """``_lowest`` for points given as coordinates, with the boundary-free-cell shortcut.

    Points are handled in chunks of ``_CHUNK``, so the temporaries stay small.
    """
    tree = shapely.STRtree(buurten)
    best = np.full(len(x), missing, dtype=np.int64)
    usable = ~(shapely.is_missing(buurten) | shapely.is_empty(buurten))
    if not usable.any():
        return best
    x0, y0, x1, y1 = (float(v) for v in shapely.total_bounds(buurten[usable]))
    n_cells = min(MAX_CELLS, CELLS_PER_POINT * len(x))
    cell = max(float(np.sqrt((x1 - x0) * (y1 - y0) / n_cells)), 1e-6 * max(x1 - x0, y1 - y0), 0.01)
    shape = (int((y1 - y0) // cell) + 2, int((x1 - x0) // cell) + 2)
    free, n_free = ndimage.label(~_boundary_mask(buurten[usable], (x0, y0), cell, shape))
    free = free.astype(np.int32, copy=False)
    runs = np.empty(len(x), dtype=np.int32)
    for start in range(0, len(x), _CHUNK):
        part = slice(start, start + _CHUNK)
        runs[part] = _runs(x[part], y[part], free, (x0, y0), cell)
    del free

    # One point per connected run of boundary-free cells answers for the whole run.
    example = np.full(int(n_free) + 1, -1, dtype=np.int64)
    shortcut = np.flatnonzero(runs > 0)
    example[runs[shortcut]] = shortcut
    found = np.flatnonzero(example >= 0)
    run_best = np.full(len(example), missing, dtype=np.int64)
    points = shapely.points(x[example[found]], y[example[found]])
    run_best[found] = _lowest(tree, points, rank, missing)
    best[shortcut] = run_best[runs[shortcut]]
    del shortcut
    one_by_one = np.flatnonzero(runs == 0)
    for start in range(0, len(one_by_one), _CHUNK):
        rows = one_by_one[start : start + _CHUNK]
        best[rows] = _lowest(tree, shapely.points(x[rows], y[rows]), rank, missing)
    return best


def _lowest_xy(x: Floats, y: Floats, buurten: Geoms, rank: Ints) -> Ints:
    missing = len(buurten)
    if len(x) < GRID_MIN_POINTS or missing == 0:
        return _lowest(shapely.STRtree(buurten), shapely.points(x, y), rank, missing)
    return _grid_lowest(x, y, buurten, rank, missing)


def _winners(best: Ints, order: Ints) -> Ints:
    """Row of the winning buurt per point, -1 where none."""
    winner = np.full(len(best), -1, dtype=np.int64)
    inside = best < len(order)
    winner[inside] = order[best[inside]]
    return winner


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
    order, rank = _ranks(codes)
    polygons = np.asarray(buurten.geometry.to_numpy(), dtype=object)
    geoms = np.asarray(points.geometry.to_numpy(), dtype=object)

    missing = len(codes)
    best = np.full(len(geoms), missing, dtype=np.int64)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    plain = present & (shapely.get_type_id(geoms) == shapely.GeometryType.POINT)
    if plain.any():
        shown = geoms if plain.all() else geoms[plain]
        best[plain] = _lowest_xy(shapely.get_x(shown), shapely.get_y(shown), polygons, rank)
    other = present & ~plain
    if other.any():
        best[other] = _lowest(shapely.STRtree(polygons), geoms[other], rank, missing)

    winner = _winners(best, order)
    result = points.copy()
    result[out_column] = pd.array(codes, dtype="string").take(winner, allow_fill=True)
    result["buiten"] = winner < 0
    return result


def assign_buurt_xy(
    x: npt.ArrayLike, y: npt.ArrayLike, buurten: gpd.GeoDataFrame, *, code_column: str = "code"
) -> ExtensionArray:
    """``assign_buurt`` for coordinates: no Point objects, for millions of addresses at once.

    Parameters
    ----------
    x, y : equal-length arrays of RD New (EPSG:28992) coordinates in metres; NaN is outside.
    buurten : as for ``assign_buurt``.

    Returns
    -------
    A string array, one code per point (NA outside every buurt; lowest code on shared edges).
    """
    check_frame(buurten, crs=RD, columns=[code_column])
    xs, ys = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if xs.shape != ys.shape or xs.ndim != 1:
        raise InputError("x en y moeten even lange rijen coördinaten zijn.")
    codes = _codes(buurten, code_column)
    order, rank = _ranks(codes)
    polygons = np.asarray(buurten.geometry.to_numpy(), dtype=object)
    winner = _winners(_lowest_xy(xs, ys, polygons, rank), order)
    taken: ExtensionArray = pd.array(codes, dtype="string").take(winner, allow_fill=True)
    return taken


def count_per_buurt(assigned: pd.DataFrame, *, column: str = "buurtcode") -> pd.Series:
    """Points per buurt code of an ``assign_buurt`` result (points outside are not counted).

    Returns an integer Series indexed by code, sorted by code.
    """
    if column not in assigned.columns:
        raise InputError(f"Kolom {column!r} ontbreekt: wijs de punten eerst toe met assign_buurt.")
    counts: pd.Series = assigned[column].dropna().value_counts().sort_index()
    return counts.astype("int64")
