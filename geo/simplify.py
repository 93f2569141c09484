"""Simplify a buurt coverage for web maps without opening gaps or slivers between neighbours.

Two uses:

- ``simplify_coverage``: one gemeente at a fixed tolerance (the dashboard's own maps).
- The national layer per web-map zoom level: ``map_coverage`` turns stored buurten into a clean
  coverage once (invalid shapes repaired, overlaps given to the lower code, shared edges snapped
  to identical vertices), ``simplify_for_zoom`` simplifies every shared edge once for a zoom
  level (GEOS coverage simplification, so neighbours keep sharing it), and ``geojson_for_zoom``
  gives the text a browser draws: EPSG:4326, coordinates rounded to what the zoom can show, only
  ``code`` and ``value`` per buurt.

Pure: frames in, new frames or text out. Analysis CRS in, EPSG:28992; WGS84 only in the GeoJSON.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geo.areas import _polygonal, remove_overlaps
from geo.crs import RD, WGS84, check_frame
from geo.errors import InputError

# Web Mercator ground resolution at the equator (m/px at zoom 0) times cos(52.2 N), the middle of
# the Netherlands: 95,960 m/px at zoom 0, 750 m/px at zoom 7.
_METRES_PER_PIXEL_Z0 = 156_543.03 * math.cos(math.radians(52.2))
_METRES_PER_DEGREE = 111_320.0
# Zoom 7 shows the whole country (264 x 312 km) in about 350 x 420 px.
NATIONAL_ZOOM = 7
MIN_ZOOM, MAX_ZOOM = 5, 18


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


def _check_zoom(zoom: int) -> None:
    if not MIN_ZOOM <= zoom <= MAX_ZOOM:
        raise InputError(f"Zoomniveau {zoom} valt buiten {MIN_ZOOM}-{MAX_ZOOM}.")


def metres_per_pixel(zoom: int) -> float:
    """Ground size of one screen pixel in the Netherlands at a web-map ``zoom`` level."""
    _check_zoom(zoom)
    return float(_METRES_PER_PIXEL_Z0 / 2.0**zoom)


def tolerance_for_zoom(zoom: int) -> float:
    """Simplification tolerance in metres for ``zoom``: one pixel (750 m at zoom 7, 6 m at 14)."""
    return metres_per_pixel(zoom)


def decimals_for_zoom(zoom: int) -> int:
    """Decimals of lon/lat that resolve half a pixel at ``zoom``: 3 up to 8, 4 at 9-12, 5 at 13-15."""
    half_pixel_degrees = metres_per_pixel(zoom) / 2 / _METRES_PER_DEGREE
    return min(7, max(3, math.ceil(-math.log10(half_pixel_degrees))))


def map_coverage(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A clean polygonal coverage of ``areas`` (e.g. the buurten of one indeling) for maps.

    Invalid geometries are repaired (their polygonal part kept), overlaps go to the lower code
    (``geo.areas.remove_overlaps``), and shared edges are snapped to identical vertices (GEOS
    coverage cleaning; overlap left by snapping also goes to the lower code). A few
    sub-square-metre slivers of quantised sources become empty.

    Input: GeoDataFrame in EPSG:28992 with ``code``. Output: the same rows, index and columns
    (sorted as given), geometry replaced; empty geometries stay empty.
    """
    check_frame(areas, crs=RD, columns=["code"])
    geoms = np.array([_polygonal(g) for g in areas.geometry.to_numpy()], dtype=object)
    repaired = areas.set_geometry(gpd.GeoSeries(geoms, index=areas.index, crs=RD))
    disjoint = remove_overlaps(repaired).geometry.to_numpy()
    usable = np.flatnonzero(~shapely.is_empty(disjoint))
    order = usable[np.argsort(areas["code"].to_numpy()[usable], kind="stable")]
    clean = disjoint.copy()
    if len(order):
        clean[order] = shapely.coverage_clean(disjoint[order], merge_strategy="min_index")
    clean = np.array([_polygonal(g) for g in clean], dtype=object)
    return areas.set_geometry(gpd.GeoSeries(clean, index=areas.index, crs=RD))


def simplify_for_zoom(coverage: gpd.GeoDataFrame, *, zoom: int) -> gpd.GeoDataFrame:
    """``coverage`` (from ``map_coverage``) simplified for ``zoom``; EPSG:28992 in and out.

    Every shared edge is simplified once (GEOS coverage simplification, Visvalingam-Whyatt at
    ``tolerance_for_zoom``), so neighbours still share it and no gap or overlap opens. A polygon
    is at most reduced to a triangle, never dropped.
    """
    check_frame(coverage, crs=RD)
    geoms = coverage.geometry.to_numpy()
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    out = geoms.copy()
    if usable.any():
        out[usable] = shapely.coverage_simplify(geoms[usable], tolerance_for_zoom(zoom))
    return coverage.set_geometry(gpd.GeoSeries(out, index=coverage.index, crs=RD))


def _rounded(geoms: npt.NDArray[np.object_], decimals: int) -> npt.NDArray[np.object_]:
    """Round every coordinate. Shared vertices round alike, so shared edges stay shared."""
    rounded: npt.NDArray[np.object_] = shapely.transform(
        geoms, lambda xy: np.round(xy, decimals) + 0.0
    )
    return rounded


def geometries_for_zoom(coverage: gpd.GeoDataFrame, *, zoom: int) -> dict[str, str]:
    """Compact GeoJSON geometry text per code for ``zoom`` (WGS84 lon/lat, rounded).

    ``coverage`` as for ``simplify_for_zoom`` (with ``code``); empty geometries are left out, the
    order of the rows is kept. Coordinates are rounded to ``decimals_for_zoom(zoom)``.
    """
    check_frame(coverage, crs=RD, columns=["code"])
    simplified = simplify_for_zoom(coverage, zoom=zoom)
    geoms = simplified.geometry.to_numpy()
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    shown = simplified[keep]
    lonlat = _rounded(shown.to_crs(WGS84).geometry.to_numpy(), decimals_for_zoom(zoom))
    texts = shapely.to_geojson(lonlat)
    return dict(zip(shown["code"].astype(str).tolist(), texts.tolist(), strict=True))


def geojson_for_zoom(
    coverage: gpd.GeoDataFrame,
    *,
    zoom: int,
    values: pd.Series | None = None,
    value_decimals: int = 1,
) -> str:
    """The GeoJSON FeatureCollection a browser draws at ``zoom``: compact text, WGS84 lon/lat.

    Parameters
    ----------
    coverage : GeoDataFrame in EPSG:28992 with ``code``, from ``map_coverage``.
    zoom : web-map zoom level (``NATIONAL_ZOOM`` shows the whole country).
    values : numbers by code (e.g. the published ``waarde_publ``); missing codes and NaN give
        ``null``. Without ``values`` every ``value`` is ``null``.
    value_decimals : decimals of the values.

    Returns
    -------
    GeoJSON text (EPSG:4326, no crs member): one feature per non-empty geometry, in row order,
    with only the properties ``code`` and ``value``; coordinates rounded to
    ``decimals_for_zoom(zoom)``.
    """
    geometries = geometries_for_zoom(coverage, zoom=zoom)
    codes = list(geometries)
    numbers = (
        values.reindex(codes).to_numpy(dtype=float, na_value=np.nan)
        if values is not None
        else np.full(len(codes), np.nan)
    )
    values_text = [
        "null" if not np.isfinite(v) else repr(round(float(v), value_decimals)) for v in numbers
    ]
    features = [
        f'{{"type":"Feature","properties":{{"code":{json.dumps(code)},"value":{value}}},'
        f'"geometry":{geometries[code]}}}'
        for code, value in zip(codes, values_text, strict=True)
    ]
    return '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"


def fit_zoom(coverage: gpd.GeoDataFrame, *, width_px: int, height_px: int) -> int:
    """The largest zoom level at which all of ``coverage`` fits in ``width_px`` x ``height_px``."""
    check_frame(coverage, crs=RD)
    minx, miny, maxx, maxy = coverage.total_bounds
    extent = max((maxx - minx) / width_px, (maxy - miny) / height_px, 1e-9)
    zoom = math.floor(math.log2(_METRES_PER_PIXEL_Z0 / extent))
    return min(MAX_ZOOM, max(MIN_ZOOM, zoom))


@dataclass(frozen=True)
class ZoomBand:
    """Geometry for zoom levels from ``min_zoom`` up to the next band's: code -> GeoJSON text."""

    min_zoom: int
    geometries: dict[str, str]

    @property
    def size(self) -> int:
        """Bytes of geometry text this band adds to the page."""
        return sum(len(code) + len(text) + 4 for code, text in self.geometries.items())


@dataclass(frozen=True)
class MapLayer:
    """What a browser needs to draw a coverage at every zoom: bounds (lon/lat) and zoom bands."""

    bounds: tuple[float, float, float, float]
    bands: tuple[ZoomBand, ...]
    truncated: bool = False  # finer bands were left out to stay within the byte budget

    @property
    def size(self) -> int:
        return sum(band.size for band in self.bands)


FINEST_BAND_ZOOM = 15  # 3 m per pixel: finer detail than that is not in the CBS buurt files


def map_layer(
    coverage: gpd.GeoDataFrame,
    *,
    width_px: int = 720,
    height_px: int = 560,
    budget_bytes: int = 3_000_000,
    step: int = 2,
) -> MapLayer:
    """Geometry per zoom band for a web map of ``coverage`` (from ``map_coverage``).

    The first band is simplified for the zoom at which the whole coverage fits the map; finer
    bands follow every ``step`` zoom levels up to ``FINEST_BAND_ZOOM``, as long as all bands
    together stay within ``budget_bytes`` (the first band is always sent). A band that would
    be no smaller than the finest one is not repeated: that finest band then serves from its
    own zoom on.
    """
    check_frame(coverage, crs=RD, columns=["code"])
    geoms = coverage.geometry.to_numpy()
    usable = coverage[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if usable.empty:
        raise InputError("Er zijn geen gebieden met een vorm om op de kaart te tekenen.")
    first = fit_zoom(usable, width_px=width_px, height_px=height_px)
    bands: list[ZoomBand] = []
    truncated = False
    for zoom in range(first, max(first, FINEST_BAND_ZOOM) + 1, step):
        band = ZoomBand(zoom, geometries_for_zoom(usable, zoom=zoom))
        if bands and band.geometries == bands[-1].geometries:
            continue
        if bands and sum(b.size for b in bands) + band.size > budget_bytes:
            truncated = True
            break
        bands.append(band)
    minx, miny, maxx, maxy = usable.to_crs(WGS84).total_bounds
    return MapLayer((float(minx), float(miny), float(maxx), float(maxy)), tuple(bands), truncated)
