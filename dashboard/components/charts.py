"""Plotly charts with Dutch labels and number formats (1.234,5)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit

from indicators.disclosure import format_cell
from indicators.periods import label, mid_date, months_of, start_date

# The chart toolbar: a PNG download of every chart (camera icon), no plotly logo.
PLOTLY_CONFIG = {
    "displaylogo": False,
    "toImageButtonOptions": {"format": "png", "scale": 2, "filename": "wijkmonitor-grafiek"},
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}

# Axis text in near-black: Streamlit's chart theme would draw tick labels and axis titles in
# #808495, 3.7:1 on white where WCAG 1.4.3 asks 4.5:1 (#1a1a1a: 17:1). axe cannot measure text
# in an SVG chart, so docs/toegankelijkheid.md lists this as checked by hand.
TEXT_COLOUR = "#1a1a1a"
AXIS_STYLE = {
    "showgrid": True,
    "gridcolor": "#e6e6e6",
    "tickfont": {"color": TEXT_COLOUR},
    "title": {"font": {"color": TEXT_COLOUR}},
}


def _plotly_bundle() -> str | None:
    """File name of Streamlit's own Plotly bundle (4.7 MB, loaded when a first chart arrives)."""
    folder = Path(streamlit.__file__).parent / "static" / "static" / "js"
    found = sorted(folder.glob("PlotlyChart.*.js"))
    return found[0].name if found else None


PLOTLY_BUNDLE = _plotly_bundle()


def preload_plotly_js() -> str:
    """JavaScript that loads Streamlit's Plotly bundle once the page's map has been drawn.

    Streamlit fetches and compiles that bundle only when the first chart's data has arrived,
    which put about 1.4 s between a page title and its first chart; loading it ahead lets a
    later page with charts find it ready (Overzicht -> Wijkprofiel through the menu: 1.9 s ->
    0.7 s, bench/serve_to_map.py). But a new visitor's browser fetched (4.7 MB) and compiled
    (0.7-0.9 s of its main thread) the bundle while the map was still on its way: the
    download starts when the first buurt polygon is drawn, or after 4 s on a page without a map.
    Empty when the bundle is not where Streamlit keeps it (charts then load the usual way).
    """
    if PLOTLY_BUNDLE is None:
        return ""
    return (
        "(function () { if (window.wmPlotly) { return; } "
        'var main = document.querySelector(\'script[type="module"][src*="static/js/index"]\'); '
        "if (!main) { return; } window.wmPlotly = true; var started = Date.now(); "
        "function drawn() { var frames = document.querySelectorAll('iframe'); "
        "for (var i = 0; i < frames.length; i++) { try { var doc = frames[i].contentDocument; "
        "if (doc && doc.querySelector('.leaflet-overlay-pane path')) { return true; } "
        "} catch (e) { } } return false; } "
        "var timer = setInterval(function () { "
        "if (!drawn() && Date.now() - started < 4000) { return; } clearInterval(timer); "
        f"import(new URL({json.dumps('./' + PLOTLY_BUNDLE)}, main.src).href)"
        ".catch(function () { window.wmPlotly = false; }); }, 200); })();"
    )


# Colour-blind safe pair (Okabe-Ito) plus distinct dash styles, readable in black and white.
SERIES_STYLE = (
    {"color": "#0072B2", "dash": "solid"},
    {"color": "#D55E00", "dash": "dash"},
    {"color": "#009E73", "dash": "dot"},
    {"color": "#555555", "dash": "dashdot"},
)


def trend_chart(
    series: Sequence[tuple[str, pd.DataFrame]],
    *,
    eenheid: str,
    markers: Sequence[tuple[str, str]] = (),
    height: int = 380,
) -> go.Figure:
    """Lines of published values over time.

    Parameters
    ----------
    series : (legend name, frame with ``periode``, ``waarde_publ``, ``status``) pairs; suppressed
        ('x') and missing ('.') periods are gaps in the line, never zeros.
    eenheid : the y-axis unit, e.g. "per 1.000 woningen".
    markers : (periode or YYYY-MM-DD date, text) vertical lines, e.g. an intervention start.
    """
    fig = go.Figure()
    for i, (name, frame) in enumerate(series):
        style = SERIES_STYLE[i % len(SERIES_STYLE)]
        x = [mid_date(p) for p in frame["periode"]]
        if "ci_low" in frame and frame["ci_low"].notna().any():
            _band(fig, x, frame, colour=style["color"], name=name)
        text = [
            f"{label(p)}: {format_cell(v, s)}"
            for p, v, s in zip(frame["periode"], frame["waarde_publ"], frame["status"], strict=True)
        ]
        fig.add_trace(
            go.Scatter(
                x=x,
                y=frame["waarde_publ"],
                name=name,
                mode="lines+markers" if len(frame) <= 24 else "lines",
                line={"color": style["color"], "dash": style["dash"], "width": 2.5 - 0.5 * (i > 0)},
                marker={"size": 5},
                connectgaps=False,
                text=text,
                hovertemplate="%{text}<extra>" + name + "</extra>",
            )
        )
    for when, caption in markers:
        at = pd.Timestamp(when) if len(when) == 10 else start_date(when)
        fig.add_shape(
            type="line",
            x0=at,
            x1=at,
            y0=0,
            y1=1,
            yref="paper",
            line={"color": "#333333", "width": 1.5, "dash": "dot"},
        )
        fig.add_annotation(
            x=at,
            y=1,
            yref="paper",
            text=caption,
            showarrow=False,
            xanchor="left",
            yanchor="bottom",
            font={"size": 12},
        )
    periods = [p for _, frame in series for p in frame["periode"]]
    if periods:
        first, last = start_date(min(periods)), pd.Timestamp(f"{months_of(max(periods))[-1]}-28")
        fig.update_xaxes(range=[first, last])
    fig.update_layout(
        separators=",.",
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0},
        yaxis={"title": {"text": eenheid}, "rangemode": "tozero", "tickformat": ",.1f"},
        xaxis={"tickformat": "%Y", "dtick": "M12"},
        hovermode="x unified",
        plot_bgcolor="#ffffff",
        paper_bgcolor="#ffffff",
        font={"family": "Arial, sans-serif", "size": 13, "color": TEXT_COLOUR},
    )
    fig.update_xaxes(AXIS_STYLE)
    fig.update_yaxes(AXIS_STYLE)
    return fig


def _band(
    fig: go.Figure, x: list[pd.Timestamp], frame: pd.DataFrame, *, colour: str, name: str
) -> None:
    """The 95% interval of a line as a light band (small counts: wide band)."""
    fig.add_trace(
        go.Scatter(
            x=x,
            y=frame["ci_high"],
            mode="lines",
            line={"width": 0},
            hoverinfo="skip",
            showlegend=False,
            connectgaps=False,
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=frame["ci_low"],
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor=_transparent(colour),
            name=f"{name}: 95%-interval",
            hoverinfo="skip",
            connectgaps=False,
        )
    )


def _transparent(colour: str, alpha: float = 0.18) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def event_study_chart(frame: pd.DataFrame, *, eenheid: str, height: int = 340) -> go.Figure:
    """Effect per quarter relative to the start, with its 95% interval; 0 marks no effect.

    ``frame``: ``relatief`` (quarter, 0 = first quarter after the start), ``effect``,
    ``ci_low``, ``ci_high``, ``fase`` ("voor"/"na").
    """
    fig = go.Figure()
    for fase, colour, name in (
        ("voor", "#555555", "vóór de start"),
        ("na", "#0072B2", "na de start"),
    ):
        part = frame[frame["fase"] == fase]
        fig.add_trace(
            go.Scatter(
                x=part["relatief"],
                y=part["effect"],
                mode="markers",
                name=name,
                marker={
                    "color": colour,
                    "size": 8,
                    "symbol": "circle" if fase == "na" else "square",
                },
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "color": colour,
                    "array": part["ci_high"] - part["effect"],
                    "arrayminus": part["effect"] - part["ci_low"],
                },
                hovertemplate="kwartaal %{x}: %{y:,.2f}<extra></extra>",
            )
        )
    fig.add_hline(y=0, line={"color": "#333333", "width": 1})
    fig.add_vline(x=-0.5, line={"color": "#333333", "width": 1.5, "dash": "dot"})
    fig.update_layout(
        separators=",.",
        height=height,
        margin={"l": 10, "r": 10, "t": 20, "b": 10},
        xaxis={"title": {"text": "kwartaal ten opzichte van de start (0 = eerste kwartaal)"}},
        yaxis={"title": {"text": f"effect ({eenheid})"}, "tickformat": ",.1f"},
        legend={"orientation": "h", "y": -0.25},
        plot_bgcolor="#ffffff",
        font={"family": "Arial, sans-serif", "size": 13, "color": TEXT_COLOUR},
    )
    fig.update_xaxes(AXIS_STYLE)
    fig.update_yaxes(AXIS_STYLE)
    return fig
