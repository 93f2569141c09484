"""Wijkprofiel: one buurt or wijk against its gemeente over time, interventions marked."""

from __future__ import annotations

import streamlit as st

from dashboard import auth, context, loaders
from dashboard.components.charts import trend_chart
from indicators import catalogue
from indicators.views import series


def render() -> None:
    auth.require()
    selection = context.current()
    if selection is None:
        return
    card = catalogue.get(selection.indicator)
    areas = loaders.areas(selection.url, selection.gemeente, selection.jaar)
    choices = areas[areas["level"].isin(["wijk", "buurt"])].sort_values("code")
    names = dict(zip(choices["code"], choices["name"], strict=True))
    requested = st.session_state.pop("open_gebied", None)
    if requested in names:  # a click on the Overzicht map
        st.session_state["gebied"] = requested
    elif st.session_state.get("gebied") not in names:
        st.session_state["gebied"] = "WK098325" if "WK098325" in names else next(iter(names))
    code = st.selectbox(
        "Wijk of buurt", list(names), format_func=lambda c: f"{names[c]} ({c})", key="gebied"
    )
    st.title(names[code])
    args = (selection.url, selection.gemeente, selection.jaar)
    table = loaders.disclosed(*args, selection.indicator, selection.granularity)
    buurten = areas.loc[(areas["code"] == code) | (areas["parent_code"] == code), "code"]
    markers = [
        (str(row.start), f"Start {row.naam}")
        for row in loaders.interventions(selection.url).itertuples()
        if set(row.buurtcodes) & set(buurten)
    ]
    st.subheader(f"{card.naam} ({card.eenheid})")
    figure = trend_chart(
        [(names[code], series(table, code)), (selection.gemeente_naam, series(table, selection.gemeente))],
        eenheid=card.eenheid, markers=markers,
    )  # fmt: skip
    st.plotly_chart(figure, width="stretch", key="trend")
    st.caption(
        "Een onderbroken lijn betekent: geheim (x, kleine aantallen) of niet geleverd (.). "
        "Gebieden die gekozen zijn omdat het er slecht ging, verbeteren vaak ook vanzelf."
    )
    if card.hit:
        st.subheader("Inzet: controles en treffers per controle")
        effort = loaders.disclosed(*args, "controles", selection.granularity)
        per_controle = loaders.disclosed(
            *args, "illegale_bewoning_per_controle", selection.granularity
        )
        left, right = st.columns(2)
        with left:
            st.plotly_chart(
                trend_chart(
                    [(names[code], series(effort, code)),
                     (selection.gemeente_naam, series(effort, selection.gemeente))],
                    eenheid="controles per 1.000 woningen", markers=markers, height=300,
                ),
                width="stretch", key="inzet",
            )  # fmt: skip
        with right:
            st.plotly_chart(
                trend_chart(
                    [(names[code], series(per_controle, code)),
                     (selection.gemeente_naam, series(per_controle, selection.gemeente))],
                    eenheid="illegale bewoning per 100 controles", markers=markers, height=300,
                ),
                width="stretch", key="per_controle",
            )  # fmt: skip


if __name__ == "__main__":  # Streamlit runs a page file as __main__
    render()
