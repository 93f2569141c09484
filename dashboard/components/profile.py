"""The parts of a wijkprofiel: the inspection effort beside the hits, and the three sporen."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.components.charts import PLOTLY_CONFIG, trend_chart
from indicators import catalogue
from indicators.views import series_table

Lines = list[tuple[str, pd.DataFrame]]


@dataclass(frozen=True)
class EffortView:
    """The effort panel, made once per selection (``effort_view``) and shown by every session."""

    effort: go.Figure
    rate: go.Figure
    table: pd.DataFrame


def effort_view(
    effort_lines: Lines, rate_lines: Lines, *, markers: list[tuple[str, str]]
) -> EffortView:
    """Controles and hits per controle as two charts and one table."""
    both = [(f"Controles per 1.000 woningen: {n}", f) for n, f in effort_lines]
    both += [(f"Per 100 controles: {n}", f) for n, f in rate_lines]
    return EffortView(
        effort=trend_chart(
            effort_lines, eenheid="controles per 1.000 woningen", markers=markers, height=300
        ),
        rate=trend_chart(
            rate_lines, eenheid="illegale bewoning per 100 controles", markers=markers, height=300
        ),
        table=series_table(both),
    )


def effort_panel(view: EffortView) -> None:
    """Controles and hits per controle side by side, and both as a table."""
    st.subheader("Inzet: controles en treffers per controle")
    left, right = st.columns(2)
    for column, figure, key in ((left, view.effort, "inzet"), (right, view.rate, "per_controle")):
        with column:
            st.plotly_chart(figure, width="stretch", key=key, config=PLOTLY_CONFIG)
    with st.expander("Tabel bij de grafieken"):  # the charts' content as text (WCAG 1.1.1)
        st.dataframe(view.table, hide_index=True, width="stretch")


def sporen_tables(rows: pd.DataFrame, *, jaar: str, gemeente_naam: str) -> None:
    """``indicators.composite.profile_rows`` as one table per spoor, side by side."""
    st.subheader(f"Drie sporen in {jaar}")
    columns = {"naam": "Indicator", "gebied": "Gebied", "gemeente": gemeente_naam}
    columns |= {"index": "Index", "inzet": "Inzet"}
    for column, spoor in zip(st.columns(3), catalogue.SPOREN, strict=True):
        part = rows[rows["spoor"] == spoor]
        with column:
            st.markdown(f"**{spoor.capitalize()}**")
            st.dataframe(
                part.rename(columns=columns)[list(columns.values())],
                hide_index=True,
                width="stretch",
            )
    st.caption(
        "Index: het gebied als percentage van de gemeente (100 = gelijk). Samengesteld: het "
        "gemiddelde van de gepubliceerde onderdelen van het spoor; arbeidsmigranten, controles "
        "en doorverwijzingen tellen nooit mee. Naast elk treffercijfer staat de controle-inzet."
    )
