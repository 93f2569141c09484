"""Regio: the gemeenten of an RPF region side by side, on one map and in one table."""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from dashboard import auth, context, loaders
from dashboard.components.maps import choropleth
from dashboard.components.tables import download_buttons
from data.regions import load_regions
from indicators import catalogue
from indicators.periods import label


def render() -> None:
    user = auth.require()
    selection = context.current()
    if selection is None:
        return
    card = catalogue.get(selection.indicator)
    regions = load_regions(loaders.engine(selection.url))
    if user.regio:
        regions = regions[regions["id"] == user.regio]
    if regions.empty:
        st.info("Er is nog geen regio vastgelegd (wijkmonitor regions add).")
        return
    names = dict(zip(regions["id"], regions["naam"], strict=True))
    region = st.selectbox("Regio", list(names), format_func=names.__getitem__, key="regio")
    members = regions.set_index("id").loc[region, "gemeenten"]
    gemeenten = loaders.gemeenten(selection.url).set_index("code")
    members = [g for g in members if g in gemeenten.index and (user.beheert or g in user.gemeenten)]
    st.title(names[region])
    indelingen = tuple((g, int(gemeenten.loc[g, "indeling_jaar"])) for g in members)
    where = (selection.url, region)
    _, periods = loaders.region_table(
        *where, tuple(members), selection.indicator, selection.granularity
    )
    if not periods:
        st.info(f"Voor {card.naam} is in deze regio nog niets geleverd.")
        return
    periode = st.select_slider(
        "Periode", options=periods, value=periods[-1], format_func=label, key="periode_regio"
    )
    rows, shown = loaders.region_view(
        *where, indelingen, selection.indicator, selection.granularity, periode
    )
    st.subheader(f"{card.naam} ({card.eenheid}), {label(periode)}")
    left, right = st.columns([3, 2])
    with right:
        st.dataframe(
            rows.rename(
                columns={
                    "name": "Gemeente",
                    "code": "Code",
                    "indeling_jaar": "Indeling",
                    "waarde_tekst": card.eenheid,
                    "teller_tekst": "Aantal (afgerond)",
                }
            ),
            hide_index=True,
            width="stretch",
        )
        download_buttons(
            rows, name=f"wijkmonitor-{region}-{selection.indicator}-{periode}", key="download_regio"
        )
        st.caption(
            "Elke gemeente staat op haar eigen buurtindeling (kolom Indeling): buurten van "
            "verschillende jaren zijn niet één op één vergelijkbaar."
        )
    with left:
        layer = loaders.map_layer(selection.url, tuple(sorted(indelingen)))
        fmap = choropleth(
            layer,
            shown,
            title=f"{card.naam} ({card.eenheid})",
            tiles_url=loaders.settings().tiles_url,
        )
        st_folium(fmap, height=600, use_container_width=True, returned_objects=[], key="regiokaart")
        st.caption(
            "Per buurt; grijs gestreept: x (geheim), wit gestreept: . (niet geleverd). "
            "Kaart CBS / Kadaster."
        )
        if layer.truncated:
            st.caption(
                "Voor zoveel buurten tegelijk zijn de grenzen vereenvoudigd, ook als u inzoomt. "
                "Kies een gemeente in Overzicht voor de fijne grenzen."
            )


if __name__ == "__main__":  # Streamlit runs a page file as __main__
    render()
