"""Interventies: the register, and the before/after analysis of one intervention."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard import auth, context, loaders
from dashboard.components import effect_panels
from dashboard.components.charts import PLOTLY_CONFIG, event_study_chart, trend_chart
from dashboard.components.maps import choropleth
from data.publication.cells import group_code
from data.publication.effects import NO_EFFECT_ANALYSIS, granularity_of
from geo.errors import InputError
from indicators import catalogue
from indicators.effects import EffectResult, nl
from indicators.views import event_study_table, series, series_table

GROUP_COLOURS = {
    "behandeld": "#E66100",
    "ring (waterbed, apart gehouden)": "#FDB863",
    "vergelijkingsbuurt": "#5D3A9B",
    "overig": "#f2f2f2",
}


def render() -> None:
    auth.require()
    selection = context.current()
    if selection is None:
        return
    st.title("Interventies")
    register = loaders.interventions(selection.url)
    own = register[
        register["buurtcodes"].map(lambda b: any(c[2:6] == selection.gemeente[2:6] for c in b))
    ]
    st.subheader("Register")
    if own.empty:
        st.info(f"Voor {selection.gemeente_naam} zijn nog geen interventies vastgelegd.")
        return
    shown = own.assign(
        buurten=own["buurtcodes"].map(", ".join), partners=own["partners"].map(", ".join),
        start=own["start"].map(lambda d: d.strftime("%d-%m-%Y")),
        eind=own["eind"].map(lambda d: "" if d is None else d.strftime("%d-%m-%Y")),
    )[["id", "naam", "soort", "buurten", "start", "eind", "partners"]]  # fmt: skip
    st.dataframe(shown, hide_index=True, width="stretch")
    st.subheader("Heeft het gewerkt?")
    names = dict(zip(own["id"], own["naam"], strict=True))
    chosen = st.selectbox(
        "Interventie", list(names), format_func=names.__getitem__, key="interventie"
    )
    codes = [c for c in catalogue.CODES if c not in NO_EFFECT_ANALYSIS]
    indicator = st.selectbox("Indicator", codes, index=codes.index("illegale_bewoning"),
                             format_func=lambda c: catalogue.get(c).naam, key="effect_indicator")  # fmt: skip
    methode = st.radio("Methode", ["did", "synth"], horizontal=True, key="effect_methode",
                       format_func=lambda m: "Verschil-in-verschillen" if m == "did" else "Synthetische controle")  # fmt: skip
    periode_per = st.radio("Effect per", ["maand", "kwartaal", "jaar"], horizontal=True,
                           key="effect_periode", format_func=str.capitalize)  # fmt: skip
    row = own.set_index("id").loc[chosen]
    effect_panels.power(selection, row, indicator)
    try:
        result = loaders.effect(
            selection.url, selection.gemeente, chosen, indicator, methode, periode_per
        )
    except InputError as exc:
        st.info(str(exc))
        return
    _result(result)
    effect_panels.cohorts(result)
    _charts(selection, result, indicator, row)


def _result(result: EffectResult) -> None:
    per = granularity_of(result)
    words = {"maand": "maanden", "kwartaal": "kwartalen", "jaar": "jaren"}
    st.metric(
        f"Geschat effect per {per}",
        f"{nl(result.effect, 2)} {result.eenheid}",
        help="Gemiddeld over de naperiode: het cijfer in de behandelde buurten min wat het zonder "
        "aanpak naar verwachting was geweest. Negatief = lager.",
    )
    st.markdown(
        f"95%-interval **{nl(result.ci_low, 2)} tot {nl(result.ci_high, 2)}**, p = {nl(result.p_value, 3)}; "
        f"{len(result.behandeld)} behandelde buurten, {len(result.controle)} vergelijkingsbuurten, "
        f"{len(result.ring)} buurten in de ring; voorperiode {result.pre_perioden} {words[per]}, "
        f"naperiode {result.post_perioden} {words[per]}; "
        f"pre-trendtoets p = {nl(result.pre_trend_p, 3)}; interval: {result.inferentie}."
    )
    for warning in result.waarschuwingen:
        st.warning(warning, icon=":material/info:")
    st.caption("Wijkmonitor signaleert; een schatting als deze verklaart geen oorzaken.")


def _charts(
    selection: context.Selection, result: EffectResult, indicator: str, row: pd.Series
) -> None:
    card = catalogue.get(indicator)
    left, right = st.columns(2)
    with left:
        per = granularity_of(result)
        st.markdown(f"**Effect per {per} (event study)**")
        st.plotly_chart(event_study_chart(result.event_study, eenheid=result.eenheid), width="stretch",
                        key="event_study", config=PLOTLY_CONFIG)  # fmt: skip
        st.caption(
            "Vóór de start horen de punten rond 0 te liggen: anders liepen de groepen al uiteen."
        )
        with st.expander("Tabel bij de grafiek"):  # the chart's content as text (WCAG 1.1.1)
            st.dataframe(event_study_table(result.event_study), hide_index=True, width="stretch")
    with right:
        st.markdown(f"**Behandeld, vergelijking en ring per {per}**")
        table = loaders.published(selection.url, (selection.gemeente,), indicator)
        table = table[(table["level"] == "groep") & (table["granulariteit"] == per)]
        lines = [(name, series(table, group_code(result.interventie, rol)))
                 for name, rol in (("Behandeld", "behandeld"), ("Vergelijkingsbuurten", "controle"),
                                   ("Ring", "ring"))
                 if group_code(result.interventie, rol) in set(table["code"])]  # fmt: skip
        st.plotly_chart(trend_chart(lines, eenheid=f"{card.eenheid} per {per}",
                                    markers=[(str(row["start"]), "Start")]),
                        width="stretch", key="groepen", config=PLOTLY_CONFIG)  # fmt: skip
        st.caption("Groepscijfers uit afgeronde aantallen; x = geheim, . = niet geleverd.")
        with st.expander("Tabel bij de grafiek"):
            st.dataframe(series_table(lines), hide_index=True, width="stretch")
    areas = loaders.areas(selection.url, selection.gemeente, selection.jaar)
    buurten = areas.loc[areas["level"] == "buurt", ["code", "name"]].copy()
    group = {**{c: "vergelijkingsbuurt" for c in result.controle},
             **{c: "ring (waterbed, apart gehouden)" for c in result.ring},
             **{c: "behandeld" for c in result.behandeld}}  # fmt: skip
    buurten["klasse"] = buurten["code"].map(group).fillna("overig")
    buurten["waarde_publ"] = float("nan")
    buurten["status"] = ""
    buurten["tooltip"] = buurten["name"] + " (" + buurten["code"] + ")\n" + buurten["klasse"]
    st.markdown("**Welke buurten in welke groep**")
    layer = loaders.map_layer(selection.url, ((selection.gemeente, selection.jaar),))
    fmap = choropleth(layer, buurten, title="Groepen", tiles_url=loaders.settings().tiles_url,
                      outline_codes=result.behandeld, categories=GROUP_COLOURS, height=460)  # fmt: skip
    st_folium(fmap, height=460, use_container_width=True, returned_objects=[], key="groepenkaart")
    with st.expander("Tabel bij de kaart"):  # the map's content as text (WCAG 1.1.1)
        listing = buurten[buurten["klasse"] != "overig"]
        order = listing["klasse"].map(list(GROUP_COLOURS).index)
        st.dataframe(
            listing.assign(volgorde=order).sort_values(["volgorde", "code"])[["name", "code", "klasse"]]
            .rename(columns={"name": "Buurt", "code": "Code", "klasse": "Groep"}),
            hide_index=True, width="stretch",
        )  # fmt: skip


if __name__ == "__main__":  # Streamlit runs a page file as __main__
    render()
