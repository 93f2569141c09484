"""Login, roles and what each role may open, through AppTest on a copy of the demo database."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from data import db
from data.access.users import add_user, authenticate

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
PASSWORD = "correct-paard-batterij"


@pytest.fixture
def users_url(demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    source = Path(demo_url.removeprefix("sqlite:///"))
    target = tmp_path / "users.db"
    shutil.copy(source, target)
    url = f"sqlite:///{target}"
    engine = db.make_engine(url)
    with engine.begin() as conn:
        add_user(conn, "wh-venlo", rol="wethouder", wachtwoord=PASSWORD, gemeenten=["GM0983"])
        add_user(conn, "wh-beesel", rol="wethouder", wachtwoord=PASSWORD, gemeenten=["GM0889"])
        add_user(conn, "rpf-lid", rol="rpf", wachtwoord=PASSWORD, regio="rpf-demo")
    engine.dispose()
    monkeypatch.setenv("WIJKMONITOR_DB", url)
    monkeypatch.setenv("WIJKMONITOR_TILES", "none")
    monkeypatch.delenv("WIJKMONITOR_DEMO_LOGIN", raising=False)
    return url


def login(naam: str, wachtwoord: str = PASSWORD) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).run()
    inputs = {t.label: t for t in at.text_input}
    inputs["Gebruikersnaam"].input(naam)
    inputs["Wachtwoord"].input(wachtwoord)
    at.button[0].click().run()
    return at


def test_login_form_has_the_contract_fields(users_url: str) -> None:
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert {t.label for t in at.text_input} == {"Gebruikersnaam", "Wachtwoord"}
    assert at.button[0].label == "Inloggen"
    assert not at.get("component_instance"), "no map before login"


def test_wrong_password_is_refused_and_logged(users_url: str) -> None:
    at = login("wh-venlo", "fout-wachtwoord-000")
    assert not at.exception
    assert "Onbekende gebruikersnaam of onjuist wachtwoord." in [e.value for e in at.error]
    engine = db.make_engine(users_url)
    with engine.connect() as conn:
        actions = conn.execute(select(db.audit_log.c.actie, db.audit_log.c.gebruiker)).all()
    assert ("inloggen mislukt", "wh-venlo") in actions


def test_wethouder_sees_only_own_gemeente(users_url: str) -> None:
    at = login("wh-beesel")
    assert not at.exception
    assert at.selectbox(key="gemeente").options == ["Beesel (GM0889)"]
    assert at.title[0].value == "Overzicht Beesel"
    assert any("indeling 2014" in c.value for c in at.caption)


def test_rpf_sees_the_region(users_url: str) -> None:
    at = login("rpf-lid")
    assert not at.exception
    assert len(at.selectbox(key="gemeente").options) == 3
    at.switch_page("views/regio.py").run()
    assert not at.exception
    assert at.title[0].value == "RPF Limburg-Noord (demo)"
    table = at.dataframe[0].value
    assert list(table["Gemeente"]) == ["Beesel", "Venlo", "Peel en Maas"]  # by gemeentecode
    assert set(table["Indeling"]) == {2024, 2014}


def test_wethouder_cannot_open_the_region_page(users_url: str) -> None:
    at = login("wh-venlo")
    with pytest.raises(ValueError, match=r"not a registered page|Could not find"):
        at.switch_page("views/regio.py")


def test_passwords_are_hashed(users_url: str) -> None:
    engine = db.make_engine(users_url)
    with engine.connect() as conn:
        hashes = conn.execute(select(db.users.c.wachtwoord_hash)).scalars().all()
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)
    assert authenticate(engine, "wh-venlo", PASSWORD) is not None
    assert authenticate(engine, "wh-venlo", PASSWORD + "x") is None
    assert authenticate(engine, "bestaat-niet", PASSWORD) is None


def test_analist_sees_addresses_and_it_is_audited(users_url: str) -> None:
    engine = db.make_engine(users_url)
    with engine.begin() as conn:
        add_user(conn, "analist-venlo", rol="analist", wachtwoord=PASSWORD, gemeenten=["GM0983"])
    at = login("analist-venlo")
    at.switch_page("views/adressen.py").run()
    assert not at.exception
    assert at.title[0].value == "Adressen: vastgelegde bevindingen"
    assert not at.dataframe, "address data only in a static table, without download"
    assert not at.get("download_button")
    table = at.table[0].value
    assert len(table) >= 28  # the demo's two controleavonden in Klingerberg
    assert list(table.index[:1]) == ["17-10-2024"]  # by date, never by address frequency
    with engine.connect() as conn:
        actions = conn.execute(select(db.audit_log.c.actie, db.audit_log.c.gebruiker)).all()
    assert ("adressen bekeken", "analist-venlo") in actions


def test_wethouder_has_no_address_or_data_page(users_url: str) -> None:
    at = login("wh-venlo")
    for page in ("views/adressen.py", "views/data.py"):
        with pytest.raises(ValueError, match=r"not a registered page|Could not find"):
            at.switch_page(page)


def test_beheerder_uploads_a_delivery(users_url: str) -> None:
    engine = db.make_engine(users_url)
    with engine.begin() as conn:
        add_user(conn, "beheer", rol="beheerder", wachtwoord=PASSWORD)
    at = login("beheer")
    at.switch_page("views/data.py").run()
    assert not at.exception
    assert at.title[0].value == "Data"
    assert len(at.dataframe) == 2  # import log and audit log
    log = at.dataframe[0].value
    assert (log["soort"] == "demo").any()


def test_oidc_login_is_offered_only_when_configured(users_url: str) -> None:
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert "Inloggen met organisatieaccount" not in [b.label for b in at.button]
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "een-lang-geheim-voor-de-cookie",
        "client_id": "wijkmonitor",
        "client_secret": "geheim",
        "server_metadata_url": "https://idp.gemeente.example/.well-known/openid-configuration",
    }
    at.run()
    assert not at.exception
    assert "Inloggen met organisatieaccount" in [b.label for b in at.button]


def test_no_way_to_another_gemeentes_addresses(users_url: str) -> None:
    from datetime import date

    from data.access.findings import view_findings
    from data.access.users import load_user

    engine = db.make_engine(users_url)
    with engine.begin() as conn:
        add_user(conn, "analist-beesel", rol="analist", wachtwoord=PASSWORD, gemeenten=["GM0889"])
    at = login("analist-beesel")
    at.query_params["gemeente"] = "GM0983"  # URL parameters choose nothing
    at.session_state["selection"] = None  # a forged selection is rebuilt from the user's rights
    at.switch_page("views/adressen.py").run()
    assert not at.exception
    assert at.selectbox(key="gemeente").options == ["Beesel (GM0889)"]
    assert not at.table or not any(
        str(c).startswith("BU0983") for c in at.table[0].value["buurtcode"]
    )
    user = load_user(engine, "analist-beesel")
    assert user is not None
    with pytest.raises(PermissionError):  # and the data layer refuses on its own
        view_findings(
            engine,
            user,
            gemeente="GM0983",
            buurtcode=None,
            van=date(2019, 1, 1),
            tot=date(2026, 1, 1),
        )
    with engine.connect() as conn:
        details = conn.execute(select(db.audit_log.c.details)).scalars().all()
    assert not any("gemeente=GM0983" in d for d in details)
