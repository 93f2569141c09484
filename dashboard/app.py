"""Entry point: ``streamlit run dashboard/app.py`` (``wijkmonitor serve`` does this)."""

from __future__ import annotations

import streamlit as st

from dashboard import context
from dashboard.views import indicatoren, overzicht, wijkprofiel


def main() -> None:
    st.set_page_config(
        page_title="Wijkmonitor", page_icon=":material/location_city:", layout="wide"
    )
    pages = [
        st.Page(
            overzicht.render,
            title="Overzicht",
            icon=":material/map:",
            url_path="overzicht",
            default=True,
        ),
        st.Page(
            wijkprofiel.render,
            title="Wijkprofiel",
            icon=":material/monitoring:",
            url_path="wijkprofiel",
        ),
        st.Page(
            indicatoren.render,
            title="Indicatoren",
            icon=":material/menu_book:",
            url_path="indicatoren",
        ),
    ]
    navigation = st.navigation(pages)
    selection = context.sidebar()
    context.header(selection)
    st.session_state["selection"] = selection
    navigation.run()


main()
