"""Login, session expiry and role checks. Passwords: argon2 (data.users); OIDC via st.login."""

from __future__ import annotations

import os
import time

import streamlit as st

from dashboard import loaders
from data.access import users
from data.access.users import User

SESSION_MINUTES = int(os.environ.get("WIJKMONITOR_SESSIE_MINUTEN", "30"))
DEMO_USER = User(naam="demo-wethouder", rol="wethouder", gemeenten=("GM0983",))


def demo_login() -> bool:
    """`wijkmonitor serve --demo-login` (local demo only) skips the login as a wethouder of Venlo."""
    return os.environ.get("WIJKMONITOR_DEMO_LOGIN") == "1"


def oidc_configured() -> bool:
    """True when the gemeente configured an identity provider in secrets.toml ([auth])."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:
        return False
    except Exception:
        return False


def current_user() -> User | None:
    """The logged-in user, or None; an idle session expires after SESSION_MINUTES."""
    if demo_login():
        return DEMO_USER
    user: User | None = st.session_state.get("user")
    now = time.time()
    if user is not None and now - st.session_state.get("last_seen", now) > SESSION_MINUTES * 60:
        logout(reason="Uw sessie is verlopen. Log opnieuw in.")
        return None
    if user is None and oidc_configured() and getattr(st.user, "is_logged_in", False):
        email = str(getattr(st.user, "email", ""))
        user = users.load_user(loaders.engine(loaders.settings().db_url), email)
        if user is not None:
            st.session_state["user"] = user
    if user is not None:
        st.session_state["last_seen"] = now
    return user


def logout(*, reason: str = "") -> None:
    for key in ("user", "last_seen"):
        st.session_state.pop(key, None)
    if reason:
        st.session_state["login_message"] = reason


def login_page() -> None:
    """The login form: Gebruikersnaam, Wachtwoord, Inloggen (field names are in the contract)."""
    st.title("Wijkmonitor")
    st.caption("Signalen per buurt voor de wijkgerichte aanpak. Log in met uw account.")
    message = st.session_state.pop("login_message", "")
    if message:
        st.info(message)
    with st.form("login"):
        naam = st.text_input("Gebruikersnaam")
        wachtwoord = st.text_input("Wachtwoord", type="password")
        submitted = st.form_submit_button("Inloggen", type="primary")
    if submitted:
        engine = loaders.engine(loaders.settings().db_url)
        user = users.authenticate(engine, naam.strip(), wachtwoord)
        with engine.begin() as conn:
            users.audit(conn, gebruiker=naam.strip() or "?",
                        actie="inloggen" if user else "inloggen mislukt")  # fmt: skip
        if user is None:
            st.error("Onbekende gebruikersnaam of onjuist wachtwoord.")
        else:
            st.session_state["user"] = user
            st.session_state["last_seen"] = time.time()
            st.rerun()
    if oidc_configured() and st.button("Inloggen met organisatieaccount"):
        st.login()


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
