"""Entry point: ``streamlit run dashboard/app.py`` (``wijkmonitor serve`` does this)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import context

FAVICON = Path(__file__).resolve().parent / "static" / "favicon.png"


def main() -> None:
    st.set_page_config(page_title="Wijkmonitor", page_icon=str(FAVICON), layout="wide")
    pages = [
        st.Page(
            "views/overzicht.py",
            title="Overzicht",
            icon=":material/map:",
            url_path="overzicht",
            default=True,
        ),
        st.Page(
            "views/wijkprofiel.py",
            title="Wijkprofiel",
            icon=":material/monitoring:",
            url_path="wijkprofiel",
        ),
        st.Page(
            "views/indicatoren.py",
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
