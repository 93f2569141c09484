"""Regio: the gemeenten of an RPF region side by side, on one map and in one table."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard import auth, context, loaders
from dashboard.components.maps import choropleth
from dashboard.components.tables import download_buttons
from data.regions import load_regions
from indicators import catalogue
from indicators.periods import label
from indicators.views import map_frame, periods_with_data, region_rows


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
    tables = {
        g: loaders.disclosed(selection.url, g, int(gemeenten.loc[g, "indeling_jaar"]),
                             selection.indicator, selection.granularity)
        for g in members
    }  # fmt: skip
    periods = sorted(set().union(*(periods_with_data(t) for t in tables.values())))
    if not periods:
        st.info(f"Voor {card.naam} is in deze regio nog niets geleverd.")
        return
    periode = st.select_slider("Periode", options=periods, value=periods[-1], format_func=label,
                               key="periode_regio")  # fmt: skip
    indelingen = {g: int(gemeenten.loc[g, "indeling_jaar"]) for g in members}
    rows = region_rows(tables, gemeenten["name"].to_dict(), indelingen, periode=periode)
    st.subheader(f"{card.naam} ({card.eenheid}), {label(periode)}")
    st.dataframe(
        rows.rename(columns={"name": "Gemeente", "code": "Code", "indeling_jaar": "Indeling",
                             "waarde_tekst": card.eenheid, "teller_tekst": "Aantal (afgerond)"}),
        hide_index=True, width="stretch",
    )  # fmt: skip
    download_buttons(rows, name=f"wijkmonitor-{region}-{selection.indicator}-{periode}",
                     key="download_regio")  # fmt: skip
    st.caption(
        "Elke gemeente staat op haar eigen buurtindeling (kolom Indeling): buurten van "
        "verschillende jaren zijn niet één op één vergelijkbaar."
    )
    shapes = []
    for g in members:
        areas = loaders.areas(selection.url, g, indelingen[g])
        values = map_frame(tables[g], areas.set_index("code")["name"],
                           indicator=selection.indicator, periode=periode)  # fmt: skip
        buurten = areas.loc[areas["level"] == "buurt", ["code", "name", "geometry"]]
        shapes.append(buurten.merge(values, on="code", how="left"))
    shown = gpd.GeoDataFrame(pd.concat(shapes, ignore_index=True), crs=shapes[0].crs)
    shown["status"] = shown["status"].fillna(".")
    shown["tooltip"] = shown["tooltip"].fillna(shown["name"])
    fmap = choropleth(shown, title=f"{card.naam} ({card.eenheid})",
                      tiles_url=loaders.settings().tiles_url)  # fmt: skip
    st_folium(fmap, height=600, use_container_width=True, returned_objects=[], key="regiokaart")


if __name__ == "__main__":  # Streamlit runs a page file as __main__
    render()
