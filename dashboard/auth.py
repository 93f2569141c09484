"""Login, sessions and role checks. Passwords: argon2 (data.access.users), throttled
(data.access.login); OIDC via st.login.

Every run checks the session's user against the database: a removed or disabled user, or a
changed password, ends the session at the next click, and a change of role or gemeenten takes
effect at once. Idle sessions expire after ``sessie_minuten``; for an OIDC user, expiry and
logout also end the identity-provider session (st.logout), which would otherwise log them in
again on the next run.
"""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import streamlit as st

from dashboard import loaders
from data.access import users
from data.access.audit import record
from data.access.demo_login import demo_login_refusal
from data.access.login import attempt_login
from data.access.users import User
from data.settings import Settings

DEMO_USER = User(naam="demo-wethouder", rol="wethouder", gemeenten=("GM0983",))
TIMEZONE = ZoneInfo("Europe/Amsterdam")
AUDITED_PAGES = {"data": "Data", "adressen": "Adressen"}
_REMOVED = (
    "Uw sessie is beëindigd: uw account bestaat niet meer of is uitgeschakeld. Vraag de "
    "beheerder om toegang."
)


def demo_login_refused() -> str | None:
    """Why a requested demo login is refused here (None when it was not asked for or allowed).

    WIJKMONITOR_DEMO_LOGIN is only a request: the database must be the demo and the server must
    listen on localhost, checked again on every run.
    """
    settings = loaders.settings()
    if not settings.demo_login:
        return None
    host = st.get_option("server.address")
    engine = loaders.engine(settings.db_url)
    return demo_login_refusal(engine, host=str(host) if host else None)


def demo_login() -> bool:
    """True when this run may skip the login as a wethouder of Venlo (the local demo)."""
    return loaders.settings().demo_login and demo_login_refused() is None


def oidc_configured() -> bool:
    """True when the gemeente configured an identity provider in secrets.toml ([auth])."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file, or one that does not parse: no OIDC
        return False


def _oidc_logged_in() -> bool:
    return oidc_configured() and bool(getattr(st.user, "is_logged_in", False))


def current_user() -> User | None:
    """The logged-in user as the database has them now, or None."""
    if demo_login():
        return DEMO_USER
    settings = loaders.settings()
    engine = loaders.engine(settings.db_url)
    user: User | None = st.session_state.get("user")
    now = time.time()
    if user is not None and now - st.session_state.get("last_seen", now) > (
        settings.sessie_minuten * 60
    ):
        end_session("Uw sessie is verlopen. Log opnieuw in.", actie="sessie verlopen")
        return None
    if user is None and _oidc_logged_in():
        user = _oidc_user(settings)
    if user is None:
        return None
    fresh = users.load_user(engine, user.naam)
    if fresh is None:
        end_session(_REMOVED, actie="sessie beëindigd (account verwijderd of uitgeschakeld)")
        return None
    if not st.session_state.get("oidc") and fresh.wachtwoord_versie != user.wachtwoord_versie:
        end_session(
            "Uw wachtwoord is gewijzigd. Log opnieuw in.",
            actie="sessie beëindigd (wachtwoord gewijzigd)",
        )
        return None
    st.session_state["user"] = fresh
    st.session_state["last_seen"] = now
    return fresh


def _oidc_user(settings: Settings) -> User | None:
    """The Wijkmonitor user of the identity provider's e-mail address; each login audited."""
    email = str(getattr(st.user, "email", "") or "")
    engine = loaders.engine(settings.db_url)
    user = users.load_user(engine, email) if email else None
    if user is None:
        if st.session_state.get("oidc_refused") != email:  # once per session, not per click
            st.session_state["oidc_refused"] = email
            record(
                engine,
                gebruiker=email or "?",
                actie="inloggen mislukt (oidc)",
                details="geen (actieve) Wijkmonitor-gebruiker met dit e-mailadres",
            )
        return None
    record(engine, gebruiker=user.naam, actie="inloggen (oidc)", details=_client(settings))
    st.session_state["oidc"] = True
    return user


def end_session(reason: str, *, actie: str = "uitloggen") -> None:
    """End this session for real: audited, state cleared, and logged out at the provider."""
    user: User | None = st.session_state.get("user")
    if user is not None:
        record(loaders.engine(loaders.settings().db_url), gebruiker=user.naam, actie=actie)
    oidc = st.session_state.get("oidc", False)
    for key in ("user", "last_seen", "oidc", "bekeken"):
        st.session_state.pop(key, None)
    if reason:
        st.session_state["login_message"] = reason
    if oidc or _oidc_logged_in():
        st.logout()


def logout(*, reason: str = "") -> None:
    """The user's own logout (the sidebar button)."""
    end_session(reason, actie="uitloggen")


def _client(settings: Settings) -> str:
    """The client's address: the connection's, or (only behind a trusted proxy) the address
    the proxy saw, the last entry of X-Forwarded-For."""
    if settings.vertrouw_proxy:
        forwarded = str(st.context.headers.get("X-Forwarded-For", "") or "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    address = st.context.ip_address
    return address if isinstance(address, str) and address else "lokaal"


def _locked_message(until: datetime) -> str:
    local = until.astimezone(TIMEZONE)
    minutes = max(1, round((until - datetime.now(until.tzinfo)).total_seconds() / 60))
    return (
        "Te veel mislukte inlogpogingen. Inloggen is geblokkeerd tot "
        f"{local.strftime('%H:%M')} uur (nog ongeveer {minutes} minuten), ook met het juiste "
        "wachtwoord. Wacht tot dan, of vraag de beheerder om hulp."
    )


def login_page() -> None:
    """The login form: Gebruikersnaam, Wachtwoord, Inloggen (field names are in the contract)."""
    settings = loaders.settings()
    st.title("Wijkmonitor")
    st.caption("Signalen per buurt voor de wijkgerichte aanpak. Log in met uw account.")
    refusal = demo_login_refused()
    if refusal:
        st.warning(f"Demo-login niet beschikbaar: {refusal}", icon=":material/lock:")
    message = st.session_state.pop("login_message", "")
    if message:
        st.info(message)
    if st.session_state.get("oidc_refused"):
        st.error(
            f"Uw organisatieaccount ({st.session_state['oidc_refused']}) heeft geen toegang tot "
            "Wijkmonitor. Vraag de beheerder om een account."
        )
    with st.form("login"):
        naam = st.text_input("Gebruikersnaam")
        wachtwoord = st.text_input("Wachtwoord", type="password")
        submitted = st.form_submit_button("Inloggen", type="primary")
    if submitted:
        attempt = attempt_login(
            loaders.engine(settings.db_url),
            naam,
            wachtwoord,
            client=_client(settings),
            pogingen=settings.login_pogingen,
            blokkade_minuten=settings.blokkade_minuten,
        )
        if attempt.user is not None:
            st.session_state["user"] = attempt.user
            st.session_state["last_seen"] = time.time()
            st.rerun()
        elif attempt.geblokkeerd_tot is not None:
            st.error(_locked_message(attempt.geblokkeerd_tot))
        else:
            st.error("Onbekende gebruikersnaam of onjuist wachtwoord.")
    if oidc_configured() and st.button("Inloggen met organisatieaccount"):
        st.login()


def audit_page_view(user: User, url_path: str) -> None:
    """Write a view of an audited page (Data, Adressen) once per visit, not once per click."""
    previous = st.session_state.get("bekeken")
    st.session_state["bekeken"] = url_path
    if url_path in AUDITED_PAGES and previous != url_path:
        record(
            loaders.engine(loaders.settings().db_url),
            gebruiker=user.naam,
            actie="pagina bekeken",
            details=AUDITED_PAGES[url_path],
        )


def audit_action(actie: str, details: str = "") -> None:
    """Write an action of the logged-in user (a download, a report) to the audit log.

    Usable as a widget callback: ``on_click=auth.audit_action, args=("download", name)``.
    """
    user: User | None = st.session_state.get("user") or (DEMO_USER if demo_login() else None)
    record(
        loaders.engine(loaders.settings().db_url),
        gebruiker=user.naam if user else "?",
        actie=actie,
        details=details,
    )


def require(*roles: str) -> User:
    """Stop the page unless the logged-in user has one of ``roles`` (all roles when empty)."""
    user = current_user()
    if user is None:
        st.error("U bent niet ingelogd.")
        st.stop()
    assert user is not None
    if roles and user.rol not in roles:
        st.error("Deze pagina is niet beschikbaar voor uw rol.")
        st.stop()
    return user
