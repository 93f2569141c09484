"""The parts of an effect estimate on screen: the figure with its interval and warnings, the
event study, and the map of which buurten are in which group."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard.components.charts import PLOTLY_CONFIG, event_study_chart
from dashboard.components.maps import choropleth
from data.publication.effects import granularity_of
from geo.simplify import MapLayer
from indicators.effects import EffectResult, nl
from indicators.register import BEHANDELD, OVERIG, RING, VERGELIJKING, group_listing
from indicators.views import event_study_table

GROUP_COLOURS = {BEHANDELD: "#E66100", RING: "#FDB863", VERGELIJKING: "#5D3A9B", OVERIG: "#f2f2f2"}


def effect_summary(result: EffectResult) -> None:
    """The estimate, its 95% interval and design in one sentence, and every warning."""
    per = granularity_of(result)
    words = {"maand": "maanden", "kwartaal": "kwartalen", "jaar": "jaren"}
    st.metric(
        f"Geschat effect per {per}",
        f"{nl(result.effect, 2)} {result.eenheid}",
        help="Gemiddeld over de naperiode: het cijfer in de behandelde buurten min wat het zonder "
        "aanpak naar verwachting was geweest. Negatief = lager.",
    )
    st.markdown(
        f"95%-interval **{nl(result.ci_low, 2)} tot {nl(result.ci_high, 2)}**, "
        f"p = {nl(result.p_value, 3)}; "
        f"{len(result.behandeld)} behandelde buurten, {len(result.controle)} vergelijkingsbuurten, "
        f"{len(result.ring)} buurten in de ring; voorperiode {result.pre_perioden} {words[per]}, "
        f"naperiode {result.post_perioden} {words[per]}; "
        f"pre-trendtoets p = {nl(result.pre_trend_p, 3)}; interval: {result.inferentie}."
    )
    for warning in result.waarschuwingen:
        st.warning(warning, icon=":material/info:")
    st.caption("Wijkmonitor signaleert; een schatting als deze verklaart geen oorzaken.")


def event_study_panel(result: EffectResult) -> None:
    """The event-study chart with its caption and its table (the chart's text alternative)."""
    st.markdown(f"**Effect per {granularity_of(result)} (event study)**")
    st.plotly_chart(
        event_study_chart(result.event_study, eenheid=result.eenheid),
        width="stretch",
        key="event_study",
        config=PLOTLY_CONFIG,
    )
    st.caption(
        "Vóór de start horen de punten rond 0 te liggen: anders liepen de groepen al uiteen."
    )
    with st.expander("Tabel bij de grafiek"):  # the chart's content as text (WCAG 1.1.1)
        st.dataframe(event_study_table(result.event_study), hide_index=True, width="stretch")


def group_map(
    layer: MapLayer, groups: pd.DataFrame, *, treated: Sequence[str], tiles_url: str | None
) -> None:
    """The map of ``indicators.register.effect_groups`` and its table."""
    st.markdown("**Welke buurten in welke groep**")
    fmap = choropleth(
        layer,
        groups,
        title="Groepen",
        tiles_url=tiles_url,
        outline_codes=treated,
        categories=GROUP_COLOURS,
        height=460,
    )
    st_folium(fmap, height=460, use_container_width=True, returned_objects=[], key="groepenkaart")
    with st.expander("Tabel bij de kaart"):  # the map's content as text (WCAG 1.1.1)
        st.dataframe(group_listing(groups), hide_index=True, width="stretch")
