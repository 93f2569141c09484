"""Trend lines of published values as vector graphics (reportlab), legible in black and white.

Each series has its own dash pattern and marker as well as its colour. Secret ("x") and missing
(".") periods are gaps in the line, never zeros.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from reportlab.graphics.shapes import Circle, Drawing, Group, Line, Polygon, PolyLine, Rect, String
from reportlab.lib import colors

from dashboard.pdf.style import FONT, INK, MUTED
from indicators.disclosure import format_cell
from indicators.periods import mid_date, months_of, start_date


@dataclass(frozen=True)
class LineStyle:
    colour: str
    dash: tuple[float, ...] | None
    width: float
    marker: str  # "circle", "square" or "triangle"


STYLES = (
    LineStyle("#000000", None, 1.6, "circle"),
    LineStyle("#0072B2", (4.0, 2.0), 1.2, "square"),
    LineStyle("#D55E00", (1.2, 1.6), 1.3, "triangle"),
    LineStyle("#555555", (6.0, 2.0, 1.0, 2.0), 1.2, "circle"),
)
_LEFT, _RIGHT, _BOTTOM, _TOP = 30.0, 6.0, 14.0, 12.0
_FONT_SIZE = 6.5


def nice_ticks(top: float, count: int = 4) -> list[float]:
    """0 and round steps (1, 2, 2,5 or 5 times a power of ten) up to at least ``top``."""
    if not top > 0 or not math.isfinite(top):
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    n = math.ceil(top / step - 1e-9)
    return [i * step for i in range(n + 1)]


def _marker(kind: str, x: float, y: float, colour: colors.Color) -> Group:
    group = Group()
    r = 1.9
    if kind == "square":
        group.add(
            Rect(
                x - r,
                y - r,
                2 * r,
                2 * r,
                fillColor=colors.white,
                strokeColor=colour,
                strokeWidth=0.9,
            )
        )
    elif kind == "triangle":
        group.add(
            Polygon(
                [x - r * 1.1, y - r, x + r * 1.1, y - r, x, y + r * 1.2],
                fillColor=colour,
                strokeColor=colour,
                strokeWidth=0.5,
            )
        )
    else:
        group.add(Circle(x, y, r * 0.95, fillColor=colour, strokeColor=colour, strokeWidth=0.5))
    return group


def _runs(values: list[float | None]) -> list[list[int]]:
    """Indexes of consecutive shown values: each run is drawn as one line."""
    runs: list[list[int]] = []
    current: list[int] = []
    for i, value in enumerate(values):
        if value is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(i)
    if current:
        runs.append(current)
    return runs


def _shown(frame: pd.DataFrame) -> list[float | None]:
    return [
        float(v) if s == "" and pd.notna(v) else None
        for v, s in zip(frame["waarde_publ"], frame["status"], strict=True)
    ]


@dataclass(frozen=True)
class _Plot:
    """The plot area in points and the data ranges it shows."""

    x0: float
    x1: float
    y0: float
    y1: float
    first: pd.Timestamp
    last: pd.Timestamp
    y_max: float

    def x_of(self, when: pd.Timestamp) -> float:
        share = (when - self.first).total_seconds() / (self.last - self.first).total_seconds()
        return self.x0 + share * (self.x1 - self.x0)

    def y_of(self, value: float) -> float:
        return self.y0 + value / self.y_max * (self.y1 - self.y0)


def trend_drawing(
    series: Sequence[tuple[str, pd.DataFrame]],
    *,
    width: float,
    height: float,
    markers: Sequence[tuple[str, str]] = (),
) -> Drawing:
    """Lines of published values over time, with a legend below the plot.

    Parameters
    ----------
    series : (legend name, frame with ``periode``, ``waarde_publ``, ``status``), at most four.
    markers : (``YYYY-MM-DD`` date or periode, text): dotted vertical lines, e.g. a start.
    """
    legend = _legend([name for name, _ in series], width)
    drawing = Drawing(width, height)
    periods = sorted({p for _, frame in series for p in frame["periode"]})
    if not periods:
        drawing.add(String(4, height / 2, "Geen gegevens.", fontName=FONT, fontSize=8))
        return drawing
    values = [_shown(frame) for _, frame in series]
    top = max((v for vs in values for v in vs if v is not None), default=1.0)
    ticks = nice_ticks(top * 1.08)
    plot = _Plot(
        x0=_LEFT,
        x1=width - _RIGHT,
        y0=legend.height + _BOTTOM,
        y1=height - _TOP,
        first=start_date(periods[0]),
        last=pd.Timestamp(f"{months_of(periods[-1])[-1]}-01") + pd.offsets.MonthBegin(1),
        y_max=ticks[-1],
    )
    _axes(drawing, plot, ticks)
    for when, text in markers:
        _vertical_marker(drawing, plot, when, text)
    for i, ((_, frame), shown) in enumerate(zip(series, values, strict=True)):
        xs = [plot.x_of(mid_date(p)) for p in frame["periode"]]
        _draw_series(drawing, plot, xs, shown, STYLES[i % len(STYLES)])
    drawing.add(legend)
    return drawing


def _vertical_marker(drawing: Drawing, plot: _Plot, when: str, text: str) -> None:
    stamp = pd.Timestamp(when) if len(when) == 10 else start_date(when)
    if not plot.first <= stamp <= plot.last:
        return
    x = plot.x_of(stamp)
    drawing.add(
        Line(
            x, plot.y0, x, plot.y1 + 2, strokeColor=INK, strokeWidth=0.8, strokeDashArray=[1.5, 1.5]
        )
    )
    anchor = "end" if x > (plot.x0 + plot.x1) / 2 else "start"
    drawing.add(
        String(
            x + (-2 if anchor == "end" else 2),
            plot.y1 + 3,
            text,
            fontName=FONT,
            fontSize=_FONT_SIZE,
            fillColor=INK,
            textAnchor=anchor,
        )
    )


def _draw_series(
    drawing: Drawing, plot: _Plot, xs: list[float], shown: list[float | None], style: LineStyle
) -> None:
    colour = colors.HexColor(style.colour)
    for run in _runs(shown):
        points = [(xs[i], plot.y_of(v)) for i in run if (v := shown[i]) is not None]
        if len(points) > 1:
            drawing.add(
                PolyLine(
                    [c for p in points for c in p],
                    strokeColor=colour,
                    strokeWidth=style.width,
                    strokeLineJoin=1,
                    strokeDashArray=list(style.dash) if style.dash else None,
                )
            )
        for x, y in points:
            drawing.add(_marker(style.marker, x, y, colour))


def _axes(drawing: Drawing, plot: _Plot, ticks: list[float]) -> None:
    grid = colors.HexColor("#d9d9d9")
    decimals = 0 if all(float(t).is_integer() for t in ticks) else 1
    for t in ticks:
        y = plot.y_of(t)
        drawing.add(Line(plot.x0, y, plot.x1, y, strokeColor=grid, strokeWidth=0.4))
        drawing.add(
            String(
                plot.x0 - 3,
                y - 2.2,
                format_cell(t, "", decimals=decimals),
                fontName=FONT,
                fontSize=_FONT_SIZE,
                fillColor=MUTED,
                textAnchor="end",
            )
        )
    drawing.add(Line(plot.x0, plot.y0, plot.x1, plot.y0, strokeColor=MUTED, strokeWidth=0.6))
    for year in range(plot.first.year, plot.last.year + 1):
        start = pd.Timestamp(f"{year}-01-01")
        if plot.first <= start <= plot.last:
            x = plot.x_of(start)
            drawing.add(Line(x, plot.y0, x, plot.y0 - 3, strokeColor=MUTED, strokeWidth=0.5))
        # The label sits in the middle of the part of the year that is shown.
        shown_from, shown_to = (
            max(start, plot.first),
            min(pd.Timestamp(f"{year + 1}-01-01"), plot.last),
        )
        if (shown_to - shown_from).days >= 75:
            middle = shown_from + (shown_to - shown_from) / 2
            drawing.add(
                String(
                    plot.x_of(middle),
                    plot.y0 - 9,
                    str(year),
                    fontName=FONT,
                    fontSize=_FONT_SIZE,
                    fillColor=MUTED,
                    textAnchor="middle",
                )
            )


def _legend(names: Sequence[str], width: float) -> Drawing:
    """Legend entries (line sample with marker, then the name), wrapping onto new rows."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    row_h, x, rows = 10.0, 0.0, 1
    placed: list[tuple[float, int, int, str]] = []
    for i, name in enumerate(names):
        w = 22 + stringWidth(name, FONT, 7) + 12
        if x > 0 and x + w > width:
            x, rows = 0.0, rows + 1
        placed.append((x, rows, i, name))
        x += w
    legend = Drawing(width, rows * row_h + 2)
    for x, row, i, name in placed:
        y = legend.height - row * row_h + 2
        style = STYLES[i % len(STYLES)]
        colour = colors.HexColor(style.colour)
        legend.add(
            Line(
                x,
                y + 2.5,
                x + 18,
                y + 2.5,
                strokeColor=colour,
                strokeWidth=style.width,
                strokeDashArray=list(style.dash) if style.dash else None,
            )
        )
        legend.add(_marker(style.marker, x + 9, y + 2.5, colour))
        legend.add(String(x + 22, y, name, fontName=FONT, fontSize=7, fillColor=INK))
    return legend
