"""The report maps: a wijk in its surroundings, and a whole gemeente with its aandachtswijken."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import pandas as pd
import shapely
from reportlab.graphics.shapes import Drawing

from dashboard.components.classes import class_breaks
from dashboard.pdf.figures import GemeenteCijfers
from dashboard.pdf.mapdraw import choropleth_drawing, legend_drawing


def published_areas(
    gem: GemeenteCijfers, indicator: str, periode: str, *, level: str = "buurt"
) -> gpd.GeoDataFrame:
    """The gemeente's buurten or wijken (RD) with ``status`` and ``waarde_publ`` of one period."""
    table = gem.published(indicator)
    rows = table[(table["level"] == level) & (table["periode"] == periode)]
    values = rows.set_index("code")
    buurten = gem.areas[gem.areas["level"] == level][["code", "parent_code", "geometry"]].copy()
    buurten["status"] = buurten["code"].map(values["status"]).fillna(".")
    buurten["waarde_publ"] = buurten["code"].map(values["waarde_publ"]).astype(float)
    return buurten


def _breaks(buurten: gpd.GeoDataFrame) -> list[float]:
    return class_breaks(buurten["waarde_publ"].where(buurten["status"] == ""))


def wijk_map(
    gem: GemeenteCijfers, wijk: str, *, indicator: str, periode: str, width: float
) -> tuple[Drawing, Drawing]:
    """The wijk (thick outline) among the buurten around it, and the legend."""
    buurten = published_areas(gem, indicator, periode)
    own = buurten[buurten["parent_code"] == wijk]
    wijk_shape = shapely.union_all(own.geometry.to_numpy())
    gemeente = shapely.union_all(buurten.geometry.to_numpy())
    breaks = _breaks(buurten)
    drawing = choropleth_drawing(
        buurten,
        breaks=breaks,
        focus=own.total_bounds,
        width=width,
        height=width * 0.92,
        margin=0.9,
        outlines=[(gemeente, 0.9), *_thin(own.geometry), (wijk_shape, 2.4)],
    )
    legend = legend_drawing(breaks, width=width, outline_text="buurten van de wijk")
    return drawing, legend


def _thin(geometries: gpd.GeoSeries) -> list[tuple[object, float]]:
    return [(g, 0.9) for g in geometries]


def gemeente_map(
    gem: GemeenteCijfers,
    *,
    indicator: str,
    periode: str,
    width: float,
    height: float,
    aandachtswijken: Sequence[str] = (),
) -> tuple[Drawing, Drawing]:
    """The whole gemeente per wijk, its aandachtswijken outlined thick, and the legend.

    Wijken rather than buurten: over a whole gemeente the buurt cells of hit indicators are
    mostly secret, the wijk cells mostly published.
    """
    wijken = published_areas(gem, indicator, periode, level="wijk")
    breaks = _breaks(wijken)
    marked = wijken[wijken["code"].isin(list(aandachtswijken))]
    gemeente = shapely.union_all(wijken.geometry.to_numpy())
    drawing = choropleth_drawing(
        wijken,
        breaks=breaks,
        focus=wijken.total_bounds,
        width=width,
        height=height,
        margin=0.04,
        outlines=[(gemeente, 1.0), *[(g, 2.4) for g in marked.geometry]],
    )
    text = "aandachtswijk" if not marked.empty else None
    return drawing, legend_drawing(breaks, width=width, outline_text=text)


def region_map(
    gemeenten: Sequence[GemeenteCijfers],
    *,
    indicator: str,
    periode: str,
    width: float,
    height: float,
) -> tuple[Drawing, Drawing]:
    """All gemeenten of a region per wijk (each on its own indeling), one set of classes."""
    frames = [published_areas(g, indicator, periode, level="wijk") for g in gemeenten]
    wijken = gpd.GeoDataFrame(
        pd.concat(frames, ignore_index=True), geometry="geometry", crs=frames[0].crs
    )
    breaks = _breaks(wijken)
    borders = [shapely.union_all(f.geometry.to_numpy()) for f in frames]
    drawing = choropleth_drawing(
        wijken,
        breaks=breaks,
        focus=wijken.total_bounds,
        width=width,
        height=height,
        margin=0.03,
        outlines=[(shape, 1.6) for shape in borders],
        labels=[(shape, g.naam) for shape, g in zip(borders, gemeenten, strict=True)],
    )
    return drawing, legend_drawing(breaks, width=width, outline_text="gemeentegrens")
