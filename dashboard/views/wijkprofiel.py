"""Wijkprofiel: one buurt or wijk against its gemeente over time, interventions marked."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import auth, context, loaders
from dashboard.briefing import DEFAULT_INDICATORS
from dashboard.components.charts import PLOTLY_CONFIG, trend_chart
from dashboard.components.profile import effort_panel, effort_view, sporen_tables
from dashboard.components.tables import download_buttons
from indicators import catalogue
from indicators.register import start_markers


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
    args = (selection.url, selection.gemeente)
    buurten = areas.loc[(areas["code"] == code) | (areas["parent_code"] == code), "code"]
    markers = start_markers(loaders.interventions(selection.url), buurten)
    st.subheader(f"{card.naam} ({card.eenheid})")
    both_areas = ((names[code], code), (selection.gemeente_naam, selection.gemeente))
    where = (*args, selection.indicator, selection.granularity, both_areas)
    lines, data = loaders.trend(*where)
    figure = loaders.kept(
        ("trendgrafiek", *where, tuple(markers)),
        lambda: trend_chart(lines, eenheid=card.eenheid, markers=markers),
    )
    st.plotly_chart(figure, width="stretch", key="trend", config=PLOTLY_CONFIG)
    with st.expander("Tabel bij de grafiek"):
        st.dataframe(data, hide_index=True, width="stretch")
        download_buttons(
            data, name=f"wijkmonitor-{code}-{selection.indicator}", key="download_trend"
        )
    st.caption(
        "Een onderbroken lijn betekent: geheim (x, kleine aantallen) of niet geleverd (.). "
        "Gebieden die gekozen zijn omdat het er slecht ging, verbeteren vaak ook vanzelf."
    )
    if card.hit:
        effort_lines, rate_lines = loaders.effort_lines(
            *args, selection.granularity, list(both_areas)
        )
        view = loaders.kept(
            ("inzetgrafieken", *args, selection.granularity, both_areas, tuple(markers)),
            lambda: effort_view(effort_lines, rate_lines, markers=markers),
        )
        effort_panel(view)
    _sporen(selection, code)
    _briefing(selection, code, areas)


def _briefing(selection: context.Selection, code: str, areas: pd.DataFrame) -> None:
    """A button for the wethouder's one-page PDF of the wijk (of a buurt: its wijk)."""
    wijk = code if code.startswith("WK") else str(areas.set_index("code").loc[code, "parent_code"])
    indicators = (selection.indicator, *[c for c in DEFAULT_INDICATORS if c != selection.indicator])
    if st.button(
        f"Briefing (PDF) van {wijk} maken", icon=":material/picture_as_pdf:", key="maak_briefing"
    ):
        st.session_state["briefing"] = (wijk, loaders.briefing(selection.url, wijk, indicators))
        auth.audit_action("rapport", f"Wijkbriefing {wijk} ({', '.join(indicators)})")
    made = st.session_state.get("briefing")
    if made and made[0] == wijk:
        st.download_button(
            "Download briefing",
            made[1],
            file_name=f"wijkbriefing-{wijk}.pdf",
            mime="application/pdf",
            key="download_briefing",
            on_click=auth.audit_action,
            args=("download", f"wijkbriefing-{wijk}.pdf"),
        )


def _sporen(selection: context.Selection, code: str) -> None:
    """The three sporen at a glance: every indicator, the area against the gemeente, last year."""
    years = loaders.profile_years(selection.url, selection.gemeente)
    if not years:
        return
    jaar = st.selectbox("Jaar voor het overzicht", years[::-1], key="sporen_jaar")
    rows = loaders.profile(selection.url, selection.gemeente, code, jaar)
    sporen_tables(rows, jaar=jaar, gemeente_naam=selection.gemeente_naam)


if __name__ == "__main__":  # Streamlit runs a page file as __main__
    render()
