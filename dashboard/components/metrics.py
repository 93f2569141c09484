"""A row of key figures: value, change and unit per indicator (red when the change is worse)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import loaders
from data import frames
from indicators import catalogue


def metric_row(figures: pd.DataFrame) -> None:
    """One ``st.metric`` per row of ``indicators.views.key_figures``, side by side."""
    for column, row in zip(st.columns(len(figures)), frames.rows(figures), strict=True):
        unit = catalogue.get(row.indicator).eenheid
        with column:
            st.metric(
                row.naam,
                row.waarde,
                delta=row.verschil or None,
                help=unit,
                delta_color="inverse" if row.slechter_bij_stijging else "off",
            )


def gemeente_key_figures(url: str, gemeente: str, naam: str) -> None:
    """The gemeente's key figures of its last full year against the year before, if any."""
    key = loaders.key_figures(url, gemeente)
    if key is None:
        return
    jaar, vorig, figures = key
    st.caption(f"Kerncijfers {naam}, {jaar} (verschil met {vorig}), per jaar")
    metric_row(figures)
