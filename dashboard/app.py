"""Entry point: ``streamlit run dashboard/app.py`` (``wijkmonitor serve`` does this)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import auth, context, loaders
from dashboard.components.charts import preload_plotly_js
from data.access.users import User
from data.db import redact
from data.settings import SettingsError
from geo.errors import WijkmonitorError

FAVICON = Path(__file__).resolve().parent / "static" / "favicon.png"
# WCAG 2.1 AA (docs/toegankelijkheid.md). Streamlit draws captions in the text colour at 60%
# opacity: #828180, a contrast of 3.9:1 on white (4.5:1 needed). #666564 at full opacity keeps
# the muted look at 5.8:1 (5.2:1 on the grey sidebar).
# The second rule hides the (empty) block of LANG_SCRIPT, which would add a gap at the top.
PAGE_STYLE = (
    "<style>[data-testid='stCaptionContainer'] { color: #666564; opacity: 1; }\n"
    "[data-testid='stElementContainer']:has(> [data-testid='stHtml'] > script:only-child) "
    "{ display: none; }</style>"
)
# Streamlit's page says <html lang="en">; ours is Dutch (WCAG 3.1.1), so that screen readers
# read it as Dutch.
# The same block starts loading the chart library early (see charts.preload_plotly_js).
LANG_SCRIPT = f"<script>document.documentElement.lang = 'nl'; {preload_plotly_js()}</script>"


def pages_for(user: User) -> list[st.Page]:
    """The pages this user's role may open; every page checks the role again itself."""
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
    ]
    pages.append(
        st.Page(
            "views/interventies.py",
            title="Interventies",
            icon=":material/insights:",
            url_path="interventies",
        )
    )
    pages.append(
        st.Page(
            "views/vergelijken.py",
            title="Vergelijken",
            icon=":material/compare:",
            url_path="vergelijken",
        )
    )
    if user.rol in ("rpf", "beheerder") or len(user.gemeenten) > 1:
        pages.append(
            st.Page("views/regio.py", title="Regio", icon=":material/hub:", url_path="regio")
        )
    if user.ziet_adressen:
        pages.append(
            st.Page(
                "views/adressen.py",
                title="Adressen",
                icon=":material/home_pin:",
                url_path="adressen",
            )
        )
    if user.beheert:
        pages.append(
            st.Page("views/data.py", title="Data", icon=":material/upload_file:", url_path="data")
        )
    pages.append(
        st.Page(
            "views/indicatoren.py",
            title="Indicatoren",
            icon=":material/menu_book:",
            url_path="indicatoren",
        )
    )
    return pages


def main() -> None:
    st.set_page_config(page_title="Wijkmonitor", page_icon=str(FAVICON), layout="wide")
    st.html(PAGE_STYLE)  # style only: takes no room on the page
    st.html(LANG_SCRIPT, unsafe_allow_javascript=True)
    try:
        settings = loaders.settings()
    except SettingsError as exc:  # a bad WIJKMONITOR_* value: say which, serve nothing
        st.error(f"Wijkmonitor kan niet starten: {exc}", icon=":material/error:")
        return
    try:
        user = auth.current_user()
    except WijkmonitorError as exc:
        st.error(redact(str(exc), settings.db_url), icon=":material/error:")
        return
    if user is None:
        st.navigation([st.Page(auth.login_page, title="Inloggen", icon=":material/login:")]).run()
        return
    navigation = st.navigation(pages_for(user))
    auth.audit_page_view(user, navigation.url_path)
    selection = context.sidebar(user)
    context.header(selection, user)
    st.session_state["selection"] = selection
    try:
        navigation.run()
    except WijkmonitorError as exc:  # bad or missing data: say so in plain Dutch, no traceback
        st.error(redact(str(exc), settings.db_url), icon=":material/error:")


main()
