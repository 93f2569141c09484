"""The parts of a wijkprofiel: the inspection effort beside the hits, and the three sporen."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.components.charts import PLOTLY_CONFIG, trend_chart
from indicators import catalogue
from indicators.views import series_table

Lines = list[tuple[str, pd.DataFrame]]


def effort_panel(effort_lines: Lines, rate_lines: Lines, *, markers: list[tuple[str, str]]) -> None:
    """Controles and hits per controle side by side, and both as a table."""
    st.subheader("Inzet: controles en treffers per controle")
    left, right = st.columns(2)
    for column, lines, eenheid, key in (
        (left, effort_lines, "controles per 1.000 woningen", "inzet"),
        (right, rate_lines, "illegale bewoning per 100 controles", "per_controle"),
    ):
        with column:
            st.plotly_chart(
                trend_chart(lines, eenheid=eenheid, markers=markers, height=300),
                width="stretch",
                key=key,
                config=PLOTLY_CONFIG,
            )
    with st.expander("Tabel bij de grafieken"):  # the charts' content as text (WCAG 1.1.1)
        both = [(f"Controles per 1.000 woningen: {n}", f) for n, f in effort_lines]
        both += [(f"Per 100 controles: {n}", f) for n, f in rate_lines]
        st.dataframe(series_table(both), hide_index=True, width="stretch")


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
