"""Overzicht: the gemeente map of the chosen indicator and period, with a table beside it."""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from dashboard import auth, context, loaders
from dashboard.components.maps import HOTSPOT_COLOURS, choropleth
from dashboard.components.tables import download_buttons
from dashboard.downloads import published_rows
from geo.areas import parent_of
from indicators import catalogue
from indicators.hotspots import NO_HOTSPOT_LAYER
from indicators.periods import label
from indicators.views import key_figures, map_frame, periods_with_data


def render() -> None:
    auth.require()
    selection = context.current()
    if selection is None:
        return
    card = catalogue.get(selection.indicator)
    st.title(f"Overzicht {selection.gemeente_naam}")
    # The key figures stand above the map but are filled after it: the map is sent first.
    figures = st.container()
    table = loaders.disclosed(
        selection.url, selection.gemeente, selection.indicator, selection.granularity
    )
    periods = periods_with_data(table)
    if not periods:
        with figures:
            _key_figures(selection)
        st.info(f"Voor {card.naam} is nog niets geleverd.")
        return
    periode = st.select_slider(
        "Periode", options=periods, value=periods[-1], format_func=label, key="periode_overzicht"
    )
    effort = effort_rate = None
    if card.hit:
        args = (selection.url, selection.gemeente)
        effort = loaders.disclosed(*args, "controles", selection.granularity)
        effort_rate = loaders.disclosed(
            *args, "illegale_bewoning_per_controle", selection.granularity
        )
    level = st.radio(
        "Kaart per", ["buurt", "wijk"], format_func=lambda v: v.capitalize() + "en",
        horizontal=True, key="kaartniveau",
    )  # fmt: skip
    areas = loaders.areas(selection.url, selection.gemeente, selection.jaar)
    names = areas.set_index("code")["name"]
    values = map_frame(
        table, names, indicator=selection.indicator, periode=periode, level=level,
        effort=effort, effort_rate=effort_rate,
    )  # fmt: skip
    shown = areas.loc[areas["level"] == level, ["code", "name"]]
    shown = shown.merge(values, on="code", how="left")
    shown["status"] = shown["status"].fillna(".")
    if (shown["status"] == "x").mean() > 0.5:
        st.info(
            "Meer dan de helft van de gebieden is geheim (x): de aantallen zijn te klein om te "
            "tonen. Kies 'Wijken' of een langere periode (Jaar) voor meer zicht."
        )
    shown["tooltip"] = shown["tooltip"].fillna(shown["name"])
    layer = "waarden"
    if level == "buurt" and selection.indicator not in NO_HOTSPOT_LAYER:
        layer = st.radio(
            "Kaartlaag", ["waarden", "hotspots"], horizontal=True, key="kaartlaag",
            format_func=lambda v: "Waarden" if v == "waarden" else "Hotspots (Gi*, FDR 5%)",
        )  # fmt: skip
    categories = None
    if layer == "hotspots":
        classes = loaders.hotspot_classes(selection.url, selection.gemeente, selection.jaar,
                                          selection.indicator, selection.granularity, periode)  # fmt: skip
        shown = shown.merge(classes[["code", "gi_klasse"]].rename(columns={"gi_klasse": "klasse"}),
                            on="code", how="left")  # fmt: skip
        shown["klasse"] = shown["klasse"].fillna("niet gepubliceerd")
        shown["tooltip"] = shown["tooltip"] + "\nHotspot-analyse: " + shown["klasse"]
        categories = HOTSPOT_COLOURS
    focus = [b for i in loaders.interventions(selection.url)["buurtcodes"] for b in i]
    focus += [parent_of(b) for b in focus]
    left, right = st.columns([3, 2])
    with left:
        st.subheader(f"{card.naam}, {label(periode)}")
        members = ((selection.gemeente, selection.jaar),)
        fmap = choropleth(
            loaders.map_layer(selection.url, members, level), shown,
            title=f"{card.naam} ({card.eenheid})",
            tiles_url=loaders.settings().tiles_url, outline_codes=focus, categories=categories,
        )  # fmt: skip
        result = st_folium(fmap, height=560, use_container_width=True,
                           returned_objects=["last_active_drawing"], key="kaart")  # fmt: skip
        _open_clicked(result)
        st.caption(
            "Dikke rand: buurten met een lopende aanpak. Grijs gestreept: x (geheim, kleine "
            "aantallen). Wit gestreept: . (niet geleverd). Bron: partners; kaart CBS / Kadaster."
        )
    with figures:
        _key_figures(selection)
    with right:
        st.subheader("Tabel")
        columns = {"name": level.capitalize(), "code": "Code", "waarde_tekst": card.eenheid}
        if card.hit:
            columns["controles_tekst"] = "controles per 1.000 woningen"
        listing = shown[list(columns)].rename(columns=columns)
        st.dataframe(listing, hide_index=True, width="stretch", height=520)
        download_buttons(
            published_rows(table[table["level"] == level], names.to_dict()),
            name=f"wijkmonitor-{selection.gemeente}-{selection.indicator}-{selection.granularity}",
            key="download_overzicht",
        )
    if card.hit:
        st.info(
            "Treffers hangen af van de controle-inzet: wie vaker kijkt, vindt meer. Daarom staan "
            "de controles en de treffers per controle in de tooltip van elke buurt."
        )


KEY_INDICATORS = (
    "illegale_bewoning",
    "controles",
    "woningsplitsing",
    "brp_afwijking",
    "niet_gebruik",
)


def _key_figures(selection: context.Selection) -> None:
    """The gemeente's latest year beside the year before, with arrows (red = worse)."""
    args = (selection.url, selection.gemeente)
    tables = {c: loaders.disclosed(*args, c, "jaar") for c in KEY_INDICATORS}
    years = periods_with_data(tables["illegale_bewoning"])
    if len(years) < 2:
        return
    figures = key_figures(tables, code=selection.gemeente, periode=years[-1], vorige=years[-2])
    st.caption(
        f"Kerncijfers {selection.gemeente_naam}, {years[-1]} (verschil met {years[-2]}), per jaar"
    )
    for column, row in zip(st.columns(len(figures)), figures.itertuples(), strict=True):
        unit = catalogue.get(row.indicator).eenheid
        with column:
            st.metric(row.naam, row.waarde, delta=row.verschil or None, help=unit,
                      delta_color="inverse" if row.slechter_bij_stijging else "off")  # fmt: skip


def _open_clicked(result: dict[str, object] | None) -> None:
    """A click on a buurt or wijk opens its profile (only clicks rerun the page, not panning)."""
    drawing = (result or {}).get("last_active_drawing") or {}
    properties = drawing.get("properties", {}) if isinstance(drawing, dict) else {}
    code = properties.get("code") if isinstance(properties, dict) else None
    if code and code != st.session_state.get("laatste_klik"):
        st.session_state["laatste_klik"] = code
        st.session_state["open_gebied"] = code
        st.switch_page("views/wijkprofiel.py")


if __name__ == "__main__":  # Streamlit runs a page file as __main__
    render()
