"""Overzicht: the gemeente map of the chosen indicator and period, with a table beside it."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard import loaders
from dashboard.components.maps import choropleth
from dashboard.context import Selection
from indicators import catalogue
from indicators.periods import label
from indicators.views import map_frame, periods_with_data


def render() -> None:
    selection: Selection | None = st.session_state.get("selection")
    if selection is None:
        return
    card = catalogue.get(selection.indicator)
    st.title(f"Overzicht {selection.gemeente_naam}")
    table = loaders.disclosed(
        selection.url, selection.gemeente, selection.jaar, selection.indicator, selection.granularity
    )
    periods = periods_with_data(table)
    if not periods:
        st.info(f"Voor {card.naam} is nog niets geleverd.")
        return
    periode = st.select_slider(
        "Periode", options=periods, value=periods[-1], format_func=label, key="periode_overzicht"
    )
    effort = effort_rate = None
    if card.hit:
        args = (selection.url, selection.gemeente, selection.jaar)
        effort = loaders.disclosed(*args, "controles", selection.granularity)
        effort_rate = loaders.disclosed(*args, "illegale_bewoning_per_controle", selection.granularity)
    areas = loaders.areas(selection.url, selection.gemeente, selection.jaar)
    buurten = areas[areas["level"] == "buurt"]
    names = areas.set_index("code")["name"]
    values = map_frame(
        table, names, indicator=selection.indicator, periode=periode,
        effort=effort, effort_rate=effort_rate,
    )  # fmt: skip
    shown = buurten[["code", "name", "geometry"]].merge(values, on="code", how="left")
    shown["status"] = shown["status"].fillna(".")
    shown["tooltip"] = shown["tooltip"].fillna(shown["name"])
    focus = [b for i in loaders.interventions(selection.url)["buurtcodes"] for b in i]
    left, right = st.columns([3, 2])
    with left:
        st.subheader(f"{card.naam}, {label(periode)}")
        fmap = choropleth(
            shown, title=f"{card.naam} ({card.eenheid})",
            tiles_url=loaders.settings().tiles_url, outline_codes=focus,
        )  # fmt: skip
        st_folium(fmap, height=560, use_container_width=True, returned_objects=[], key="kaart")
        st.caption(
            "Dikke rand: buurten met een lopende aanpak. Grijs gestreept: x (geheim, kleine "
            "aantallen). Wit gestreept: . (niet geleverd). Bron: partners; kaart CBS / Kadaster."
        )
    with right:
        st.subheader("Tabel")
        listing = pd.DataFrame(
            {
                "Buurt": shown["name"],
                "Code": shown["code"],
                card.eenheid: shown["tooltip"].str.split("\n").str[1].str.split(": ").str[1],
            }
        )
        st.dataframe(listing, hide_index=True, use_container_width=True, height=520)
    if card.hit:
        st.info(
            "Treffers hangen af van de controle-inzet: wie vaker kijkt, vindt meer. Daarom staan "
            "de controles en de treffers per controle in de tooltip van elke buurt."
        )
