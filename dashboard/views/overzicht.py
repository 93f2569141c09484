"""Overzicht: the gemeente map of the chosen indicator and period, with a table beside it."""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from dashboard import auth, context, loaders
from dashboard.components.maps import HOTSPOT_COLOURS, choropleth, open_clicked
from dashboard.components.metrics import gemeente_key_figures
from dashboard.components.tables import download_buttons
from dashboard.components.widgets import level_choice
from dashboard.downloads import published_rows
from indicators import catalogue
from indicators.hotspots import NO_HOTSPOT_LAYER
from indicators.periods import label
from indicators.register import outline_codes
from indicators.views import periods_with_data, with_hotspot_classes


def render() -> None:
    auth.require()
    selection = context.current()
    if selection is None:
        return
    card = catalogue.get(selection.indicator)
    st.title(f"Overzicht {selection.gemeente_naam}")
    # The key figures stand above the map but are filled after it: the map is sent first.
    figures = st.container()
    args = (selection.url, selection.gemeente, selection.indicator, selection.granularity)
    table = loaders.disclosed(*args)
    periods = periods_with_data(table)
    if not periods:
        with figures:
            gemeente_key_figures(selection.url, selection.gemeente, selection.gemeente_naam)
        st.info(f"Voor {card.naam} is nog niets geleverd.")
        return
    periode = st.select_slider(
        "Periode", options=periods, value=periods[-1], format_func=label, key="periode_overzicht"
    )
    level = level_choice(key="kaartniveau")
    where = (selection.url, selection.gemeente, selection.jaar)
    shown = loaders.map_rows(*where, selection.indicator, selection.granularity, periode, level)
    if (shown["status"] == "x").mean() > 0.5:
        st.info(
            "Meer dan de helft van de gebieden is geheim (x): de aantallen zijn te klein om te "
            "tonen. Kies 'Wijken' of een langere periode (Jaar) voor meer zicht."
        )
    layer = "waarden"
    if level == "buurt" and selection.indicator not in NO_HOTSPOT_LAYER:
        layer = st.radio(
            "Kaartlaag",
            ["waarden", "hotspots"],
            horizontal=True,
            key="kaartlaag",
            format_func=lambda v: "Waarden" if v == "waarden" else "Hotspots (Gi*, FDR 5%)",
        )
    categories = None
    if layer == "hotspots":
        classes = loaders.hotspot_classes(*where, *args[2:], periode)
        shown = with_hotspot_classes(shown, classes)
        categories = HOTSPOT_COLOURS
    left, right = st.columns([3, 2])
    with left:
        st.subheader(f"{card.naam}, {label(periode)}")
        fmap = choropleth(
            loaders.map_layer(selection.url, ((selection.gemeente, selection.jaar),), level),
            shown,
            title=f"{card.naam} ({card.eenheid})",
            tiles_url=loaders.settings().tiles_url,
            outline_codes=outline_codes(loaders.interventions(selection.url)),
            categories=categories,
        )
        result = st_folium(
            fmap,
            height=560,
            use_container_width=True,
            returned_objects=["last_active_drawing"],
            key="kaart",
        )
        open_clicked(result, page="views/wijkprofiel.py")
        st.caption(
            "Dikke rand: buurten met een lopende aanpak. Grijs gestreept: x (geheim, kleine "
            "aantallen). Wit gestreept: . (niet geleverd). Bron: partners; kaart CBS / Kadaster."
        )
    with figures:
        gemeente_key_figures(selection.url, selection.gemeente, selection.gemeente_naam)
    with right:
        st.subheader("Tabel")
        columns = {"name": level.capitalize(), "code": "Code", "waarde_tekst": card.eenheid}
        if card.hit:
            columns["controles_tekst"] = "controles per 1.000 woningen"
        st.dataframe(
            shown[list(columns)].rename(columns=columns),
            hide_index=True,
            width="stretch",
            height=520,
        )
        names = loaders.areas(*where)
        download_buttons(
            published_rows(
                table[table["level"] == level], names.set_index("code")["name"].to_dict()
            ),
            name=f"wijkmonitor-{selection.gemeente}-{selection.indicator}-{selection.granularity}",
            key="download_overzicht",
        )
    if card.hit:
        st.info(
            "Treffers hangen af van de controle-inzet: wie vaker kijkt, vindt meer. Daarom staan "
            "de controles en de treffers per controle in de tooltip van elke buurt."
        )


if __name__ == "__main__":  # Streamlit runs a page file as __main__
    render()
