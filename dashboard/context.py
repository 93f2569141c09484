"""What every page shares: the chosen gemeente, indicator and period, and the page header."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from dashboard import auth, loaders
from data.access.users import User
from indicators import catalogue
from indicators.periods import label

GRANULARITY_LABELS = {"maand": "Maand", "kwartaal": "Kwartaal", "jaar": "Jaar"}
SIGNALS_STATEMENT = (
    "Wijkmonitor **signaleert** waar de leefbaarheid onder druk staat en of een aanpak helpt. "
    "Het tool **verklaart geen oorzaken** en wijst geen adressen of personen aan."
)


@dataclass(frozen=True)
class Selection:
    url: str
    gemeente: str
    gemeente_naam: str
    jaar: int
    indicator: str
    granularity: str


def current() -> Selection | None:
    """The selection the app's sidebar made for this run."""
    selection: Selection | None = st.session_state.get("selection")
    return selection


def sidebar(user: User) -> Selection | None:
    """The shared choices in the sidebar; None when the database holds no areas yet.

    Only the user's own gemeenten (a beheerder: all) can be chosen.
    """
    url = loaders.settings().db_url
    loaders.refresh(url)
    gemeenten = loaders.gemeenten(url)
    if not user.beheert:
        gemeenten = gemeenten[gemeenten["code"].isin(user.gemeenten)]
    if gemeenten.empty:
        st.warning(
            "Er zijn nog geen gebieden geladen. Bouw de demo met `wijkmonitor demo` of laad "
            "buurten met `wijkmonitor areas load`."
        )
        return None
    with st.sidebar:
        names = dict(zip(gemeenten["code"], gemeenten["name"], strict=True))
        if st.session_state.get("gemeente") not in names:  # never a gemeente outside the user's
            st.session_state["gemeente"] = next(iter(names))
        gemeente = st.selectbox(
            "Gemeente", list(names), format_func=lambda c: f"{names[c]} ({c})", key="gemeente"
        )
        indicator = st.selectbox(
            "Indicator",
            list(catalogue.CODES),
            index=list(catalogue.CODES).index(catalogue.ILLEGALE_BEWONING),
            format_func=lambda c: catalogue.get(c).naam,
            key="indicator",
        )
        granularity = st.radio(
            "Periode per",
            list(GRANULARITY_LABELS),
            index=2,
            format_func=GRANULARITY_LABELS.__getitem__,
            horizontal=True,
            key="granularity",
        )
    jaar = int(gemeenten.set_index("code").loc[gemeente, "indeling_jaar"])
    return Selection(url, gemeente, names[gemeente], jaar, indicator, granularity)


def header(selection: Selection | None, user: User) -> None:
    """Demo banner, peildatum, latest delivery per partner, and who is logged in."""
    url = loaders.settings().db_url
    with st.sidebar:
        st.caption(f"Ingelogd als **{user.naam}** ({user.rol})")
        if not auth.demo_login() and st.button("Uitloggen", key="uitloggen"):
            auth.logout(reason="U bent uitgelogd.")
            st.rerun()
    if loaders.meta(url, "demo") == "1":
        st.warning(
            "**Demodata (fictief)**: echte buurtgrenzen van CBS, verzonnen signalen.",
            icon=":material/warning:",
        )
    if selection is None:
        return
    peildatum = loaders.meta(url, "peildatum")
    latest = loaders.deliveries_summary(url, selection.gemeente)
    parts = [
        f"{b}: t/m {label(m)}" for b, m in zip(latest["bron"], latest["laatste_maand"], strict=True)
    ]
    peil = "-".join(reversed(peildatum.split("-"))) if peildatum else "onbekend"
    note = loaders.rebase_note(url, selection.gemeente)
    if note:
        st.info(f"Cijfers op buurtindeling {selection.jaar}: {note}.", icon=":material/sync_alt:")
    st.caption(
        f"Peildatum {peil} · indeling {selection.jaar} · laatste levering per partner: "
        + ("; ".join(parts) if parts else "nog geen leveringen")
    )
