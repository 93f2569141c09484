"""Interventies: the register, and the before/after analysis of one intervention."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import auth, context, loaders
from dashboard.components import effect_panels
from dashboard.components.charts import PLOTLY_CONFIG, trend_chart
from dashboard.components.effect import effect_summary, event_study_panel, group_map
from data.publication.effects import NO_EFFECT_ANALYSIS, granularity_of
from geo.errors import InputError
from indicators import catalogue
from indicators.effects import EffectResult
from indicators.register import effect_groups, interventions_in, register_table
from indicators.views import series_table


def render() -> None:
    auth.require()
    selection = context.current()
    if selection is None:
        return
    st.title("Interventies")
    register = loaders.interventions(selection.url)
    own = interventions_in(register, selection.gemeente)
    st.subheader("Register")
    if own.empty:
        st.info(f"Voor {selection.gemeente_naam} zijn nog geen interventies vastgelegd.")
        return
    st.dataframe(register_table(own), hide_index=True, width="stretch")
    st.subheader("Heeft het gewerkt?")
    names = dict(zip(own["id"], own["naam"], strict=True))
    chosen = st.selectbox(
        "Interventie", list(names), format_func=names.__getitem__, key="interventie"
    )
    codes = [c for c in catalogue.CODES if c not in NO_EFFECT_ANALYSIS]
    indicator = st.selectbox(
        "Indicator",
        codes,
        index=codes.index(catalogue.ILLEGALE_BEWONING),
        format_func=lambda c: catalogue.get(c).naam,
        key="effect_indicator",
    )
    methode = st.radio(
        "Methode",
        ["did", "synth"],
        horizontal=True,
        key="effect_methode",
        format_func=lambda m: "Verschil-in-verschillen" if m == "did" else "Synthetische controle",
    )
    periode_per = st.radio(
        "Effect per",
        ["maand", "kwartaal", "jaar"],
        horizontal=True,
        key="effect_periode",
        format_func=str.capitalize,
    )
    row = own.set_index("id").loc[chosen]
    effect_panels.power(selection, row, indicator)
    try:
        result = loaders.effect(
            selection.url, selection.gemeente, chosen, indicator, methode, periode_per
        )
    except InputError as exc:
        st.info(str(exc))
        return
    effect_summary(result)
    effect_panels.cohorts(result)
    _charts(selection, result, indicator, row)


def _charts(
    selection: context.Selection, result: EffectResult, indicator: str, row: pd.Series
) -> None:
    card = catalogue.get(indicator)
    per = granularity_of(result)
    left, right = st.columns(2)
    with left:
        event_study_panel(result)
    with right:
        st.markdown(f"**Behandeld, vergelijking en ring per {per}**")
        lines = loaders.group_lines(
            selection.url, selection.gemeente, indicator, per, result.interventie
        )
        markers = [(str(row["start"]), "Start")]
        st.plotly_chart(
            trend_chart(lines, eenheid=f"{card.eenheid} per {per}", markers=markers),
            width="stretch",
            key="groepen",
            config=PLOTLY_CONFIG,
        )
        st.caption("Groepscijfers uit afgeronde aantallen; x = geheim, . = niet geleverd.")
        with st.expander("Tabel bij de grafiek"):
            st.dataframe(series_table(lines), hide_index=True, width="stretch")
    areas = loaders.areas(selection.url, selection.gemeente, selection.jaar)
    groups = effect_groups(
        areas.loc[areas["level"] == "buurt"],
        behandeld=result.behandeld,
        controle=result.controle,
        ring=result.ring,
    )
    layer = loaders.map_layer(selection.url, ((selection.gemeente, selection.jaar),))
    group_map(layer, groups, treated=result.behandeld, tiles_url=loaders.settings().tiles_url)


if __name__ == "__main__":  # Streamlit runs a page file as __main__
    render()
