"""A choropleth of published buurt values as vector graphics (reportlab), from RD polygons.

Classes come from ``dashboard.components.classes.class_breaks`` (the dashboard's own classes);
the palette is ColorBrewer PuBu without its near-white class, so that "." (white) and the lowest
class differ in greyscale. "x" is light grey with black hatching.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from reportlab.graphics.shapes import Drawing, Group, Line, Path, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth
from shapely.geometry.base import BaseGeometry

from dashboard.components import classes
from dashboard.pdf.style import ATTRIBUTION, BOLD, FONT, INK, MUTED
from geo.crs import RD, check_frame
from geo.simplify import simplify_coverage

PALETTE = ("#d0d1e6", "#a6bddb", "#74a9cf", "#2b8cbe", "#045a8d")
SECRET_FILL = "#d9d9d9"
MISSING_FILL = "#ffffff"
_HATCH_PT = 3.4  # hatch spacing in points
_HATCH_INK = colors.HexColor("#555555")


@dataclass(frozen=True)
class Extent:
    """A map window in RD metres, already matched to the drawing's aspect ratio."""

    minx: float
    miny: float
    maxx: float
    maxy: float

    @property
    def box(self) -> BaseGeometry:
        return shapely.box(self.minx, self.miny, self.maxx, self.maxy)


def fit_extent(
    bounds: Sequence[float], *, width: float, height: float, margin: float = 0.08
) -> Extent:
    """Grow ``bounds`` (minx, miny, maxx, maxy) by ``margin`` and to the ratio width:height."""
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    dx, dy = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    dx, dy = dx * (1 + 2 * margin), dy * (1 + 2 * margin)
    if dx / dy < width / height:
        dx = dy * width / height
    else:
        dy = dx * height / width
    return Extent(cx - dx / 2, cy - dy / 2, cx + dx / 2, cy + dy / 2)


def fill_colour(value: float, status: str, breaks: Sequence[float]) -> str:
    """The fill of one published cell on paper: a class colour, light grey for "x", white for "."."""
    return classes.fill_colour(
        value, status, breaks, PALETTE, secret=SECRET_FILL, missing=MISSING_FILL
    )


class _Projector:
    def __init__(self, extent: Extent, width: float, height: float) -> None:
        self.extent = extent
        self.scale = width / (extent.maxx - extent.minx)
        self.height = height

    def points(self, coords: np.ndarray) -> list[float]:
        x = (coords[:, 0] - self.extent.minx) * self.scale
        y = (coords[:, 1] - self.extent.miny) * self.scale
        return [float(v) for v in np.round(np.column_stack([x, y]).ravel(), 2)]


def _path(geometry: BaseGeometry, proj: _Projector, **style: object) -> Path | None:
    """One (multi)polygon as a single even-odd path, holes included."""
    path = Path(fillMode=0, **style)
    empty = True
    for polygon in getattr(geometry, "geoms", [geometry]):
        if polygon.geom_type != "Polygon" or polygon.is_empty:
            continue
        for ring in [polygon.exterior, *polygon.interiors]:
            pts = proj.points(np.asarray(ring.coords))
            path.moveTo(pts[0], pts[1])
            for i in range(2, len(pts), 2):
                path.lineTo(pts[i], pts[i + 1])
            path.closePath()
            empty = False
    return None if empty else path


def _hatching(area: BaseGeometry, proj: _Projector) -> list[Line]:
    """Diagonal lines clipped to ``area`` (the secret buurten)."""
    if area.is_empty:
        return []
    ext = proj.extent
    step = _HATCH_PT / proj.scale
    span = (ext.maxx - ext.minx) + (ext.maxy - ext.miny)
    lines = [
        shapely.LineString([(ext.minx - span + t, ext.miny), (ext.minx + t, ext.miny + span)])
        for t in np.arange(0.0, 2 * span, step)
    ]
    clipped = shapely.intersection(shapely.MultiLineString(lines), area)
    out = []
    for part in getattr(clipped, "geoms", [clipped]):
        if part.geom_type != "LineString" or part.is_empty:
            continue
        pts = proj.points(np.asarray(part.coords))
        out.append(Line(pts[0], pts[1], pts[-2], pts[-1], strokeColor=_HATCH_INK, strokeWidth=0.3))
    return out


def _nice_length(metres: float) -> float:
    for step in (50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000):
        if step >= metres:
            return float(step)
    return 50000.0


def _scale_bar(proj: _Projector) -> Group:
    ext = proj.extent
    metres = _nice_length((ext.maxx - ext.minx) / 5)
    length = metres * proj.scale
    text = f"{metres / 1000:g} km".replace(".", ",") if metres >= 1000 else f"{metres:g} m"
    group = Group()
    group.add(Rect(4, 4, length + 10, 17, fillColor=colors.white, strokeColor=None))
    group.add(Line(8, 8, 8 + length, 8, strokeColor=INK, strokeWidth=1.6))
    for x in (8, 8 + length):
        group.add(Line(x, 6, x, 11, strokeColor=INK, strokeWidth=0.8))
    group.add(String(8, 12, text, fontName=FONT, fontSize=6, fillColor=INK))
    return group


def choropleth_drawing(
    buurten: gpd.GeoDataFrame,
    *,
    breaks: Sequence[float],
    focus: Sequence[float],
    width: float,
    height: float,
    outlines: Sequence[tuple[BaseGeometry, float]] = (),
    labels: Sequence[tuple[BaseGeometry, str]] = (),
    margin: float = 0.08,
) -> Drawing:
    """A vector choropleth of published values.

    Parameters
    ----------
    buurten : GeoDataFrame in EPSG:28992 with ``status`` and ``waarde_publ`` (published values
        only); buurten outside the window are clipped away.
    breaks : class upper bounds (``class_breaks``); focus : bounds (RD) to show, with ``margin``.
    outlines : (geometry in RD, line width in points) drawn over the fills, e.g. the wijk.
    labels : (geometry, text) written at a point inside the geometry.
    """
    check_frame(buurten, crs=RD, columns=("status", "waarde_publ"))
    extent = fit_extent(focus, width=width, height=height, margin=margin)
    proj = _Projector(extent, width, height)
    shown = _clipped(buurten, extent, tolerance=0.35 / proj.scale)
    drawing = Drawing(width, height)
    drawing.add(Rect(0, 0, width, height, fillColor=colors.HexColor("#f7f7f7"), strokeColor=None))
    for row in shown.itertuples():
        fill = fill_colour(row.waarde_publ, row.status, breaks)
        path = _path(row.geometry, proj, fillColor=colors.HexColor(fill), strokeColor=None)
        if path is not None:
            drawing.add(path)
    secret = shown.loc[shown["status"] == "x", "geometry"]
    for line in _hatching(shapely.union_all(secret.to_numpy()), proj):
        drawing.add(line)
    edge = {"fillColor": None, "strokeColor": colors.HexColor("#6b6b6b"), "strokeWidth": 0.35}
    for geom in shown.geometry:
        path = _path(geom, proj, **edge)
        if path is not None:
            drawing.add(path)
    for geometry, line_width in outlines:
        geom = shapely.intersection(geometry, extent.box)
        path = _path(geom, proj, fillColor=None, strokeColor=INK, strokeWidth=line_width)
        if path is not None:
            drawing.add(path)
    for geometry, text in labels:
        drawing.add(_label(geometry, text, proj))
    drawing.add(_scale_bar(proj))
    drawing.add(Rect(0, 0, width, height, fillColor=None, strokeColor=MUTED, strokeWidth=0.5))
    _attribution(drawing, width)
    return drawing


def _attribution(drawing: Drawing, width: float) -> None:
    """'CBS / Kadaster' bottom right, on a white label so that it reads over any fill."""
    text_w = stringWidth(ATTRIBUTION, FONT, 6)
    drawing.add(
        Rect(width - text_w - 7, 1, text_w + 6, 9, fillColor=colors.white, strokeColor=None)
    )
    drawing.add(
        String(
            width - 4, 3.5, ATTRIBUTION, fontName=FONT, fontSize=6, fillColor=INK, textAnchor="end"
        )
    )


def _clipped(buurten: gpd.GeoDataFrame, extent: Extent, *, tolerance: float) -> gpd.GeoDataFrame:
    """The buurten touching the window, simplified below what the eye sees, cut to the window."""
    window = extent.box
    near = buurten[buurten.intersects(window)]
    if near.empty:
        return near
    simple = simplify_coverage(near, tolerance_m=tolerance)
    return simple.set_geometry(simple.intersection(window))


def _label(geometry: BaseGeometry, text: str, proj: _Projector) -> Group:
    """A bold name at a point inside ``geometry``, on a white label."""
    point = geometry.representative_point()
    x, y = proj.points(np.asarray([[point.x, point.y]]))
    size = 6.5
    half = stringWidth(text, BOLD, size) / 2 + 2
    group = Group()
    group.add(
        Rect(
            x - half,
            y - size / 2 - 1.5,
            2 * half,
            size + 2.5,
            fillColor=colors.white,
            strokeColor=None,
            fillOpacity=0.85,
        )
    )
    group.add(
        String(
            x, y - size / 3, text, fontName=BOLD, fontSize=size, fillColor=INK, textAnchor="middle"
        )
    )
    return group


def legend_drawing(
    breaks: Sequence[float], *, width: float, outline_text: str | None = None
) -> Drawing:
    """The legend: one swatch per class, then "x" (hatched) and "." (white), then the outline."""
    rows = classes.class_rows(breaks, PALETTE)
    rows.append((SECRET_FILL, "x  geheim"))
    rows.append((MISSING_FILL, ".  niet geleverd"))
    columns = 2 if width > 200 else 1
    per_column = -(-(len(rows) + (outline_text is not None)) // columns)
    row_h = 10.0
    drawing = Drawing(width, per_column * row_h + 2)
    col_w = width / columns
    for i, (fill, text) in enumerate(rows):
        x, y = (i // per_column) * col_w, drawing.height - (i % per_column + 1) * row_h
        drawing.add(_swatch(x, y, fill, hatched=fill == SECRET_FILL))
        drawing.add(String(x + 15, y + 1.5, text, fontName=FONT, fontSize=6.8, fillColor=INK))
    if outline_text is not None:
        i = len(rows)
        x, y = (i // per_column) * col_w, drawing.height - (i % per_column + 1) * row_h
        drawing.add(Rect(x, y, 11, 7, fillColor=None, strokeColor=INK, strokeWidth=1.8))
        drawing.add(
            String(x + 15, y + 1.5, outline_text, fontName=FONT, fontSize=6.8, fillColor=INK)
        )
    return drawing


def _swatch(x: float, y: float, fill: str, *, hatched: bool) -> Group:
    group = Group()
    group.add(
        Rect(x, y, 11, 7, fillColor=colors.HexColor(fill), strokeColor=MUTED, strokeWidth=0.4)
    )
    if hatched:  # the map's "/" hatching, clipped to the 11 x 7 swatch
        for t in np.arange(-5.6, 11, _HATCH_PT):
            s0, s1 = max(0.0, -t), min(7.0, 11.0 - t)
            if s0 < s1:
                group.add(
                    Line(
                        x + t + s0,
                        y + s0,
                        x + t + s1,
                        y + s1,
                        strokeColor=_HATCH_INK,
                        strokeWidth=0.3,
                    )
                )
    return group
