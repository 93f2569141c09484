"""Vergelijken: two periods side by side (twin maps, before and after) and the change."""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from dashboard import auth, context, loaders
from dashboard.components.maps import choropleth
from dashboard.components.tables import download_buttons
from dashboard.components.widgets import level_choice
from indicators import catalogue
from indicators.periods import label
from indicators.views import compare_periods, periods_with_data


def render() -> None:
    auth.require()
    selection = context.current()
    if selection is None:
        return
    card = catalogue.get(selection.indicator)
    st.title(f"Vergelijken: {card.naam}")
    table = loaders.disclosed(
        selection.url, selection.gemeente, selection.indicator, selection.granularity
    )
    periods = periods_with_data(table)
    if len(periods) < 2:
        st.info("Er zijn minder dan twee geleverde perioden om te vergelijken.")
        return
    before, after = st.select_slider(
        "Perioden (voor en na)",
        options=periods,
        value=(periods[0], periods[-1]),
        format_func=label,
        key="vergelijk_perioden",
    )
    level = level_choice(key="vergelijk_niveau")
    areas = loaders.areas(selection.url, selection.gemeente, selection.jaar)
    names = areas.set_index("code")["name"]
    layer = loaders.map_layer(selection.url, ((selection.gemeente, selection.jaar),), level)
    columns = st.columns(2)
    for column, periode, key in (
        (columns[0], before, "kaart_voor"),
        (columns[1], after, "kaart_na"),
    ):
        shown = loaders.map_rows(
            selection.url,
            selection.gemeente,
            selection.jaar,
            selection.indicator,
            selection.granularity,
            periode,
            level,
            effort=False,
        )
        with column:
            st.subheader(label(periode))
            fmap = choropleth(
                layer,
                shown,
                title=f"{card.naam} ({card.eenheid})",
                tiles_url=loaders.settings().tiles_url,
                height=480,
            )
            st_folium(fmap, height=480, use_container_width=True, returned_objects=[], key=key)
    st.caption(
        "Beide kaarten gebruiken hun eigen klassenindeling; vergelijk de getallen in de tabel."
    )
    change = compare_periods(table, names, before=before, after=after, level=level)
    st.subheader("Verandering")
    st.dataframe(
        change.rename(
            columns={
                "name": level.capitalize(),
                "code": "Code",
                "voor": label(before),
                "na": label(after),
                "verschil": f"Verschil ({card.eenheid})",
            }
        ),
        hide_index=True,
        width="stretch",
    )
    download_buttons(
        change,
        name=f"wijkmonitor-verschil-{selection.indicator}-{before}-{after}",
        key="download_vergelijken",
    )
    st.caption(
        "Een verschil is alleen te zien waar beide perioden gepubliceerd zijn. Wijkmonitor "
        "signaleert; een verschil verklaart niet waardoor iets veranderde."
    )


if __name__ == "__main__":  # Streamlit runs a page file as __main__
    render()
