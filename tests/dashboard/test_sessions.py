"""Sessions as an outside review would test them: throttled logins, sessions that end when the
account does, OIDC logout and expiry for real, the demo login only where it belongs."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit import config
from streamlit.testing.v1 import AppTest

from dashboard.cli import main
from data import db
from data.access.users import add_user

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
PASSWORD = "correct-paard-batterij"
LOCKED = "Te veel mislukte inlogpogingen"
OIDC_SECRETS = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "een-lang-geheim-voor-de-cookie",
    "client_id": "wijkmonitor",
    "client_secret": "geheim",
    "server_metadata_url": "https://idp.gemeente.example/.well-known/openid-configuration",
}


@pytest.fixture
def url(demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    target = tmp_path / "sessies.db"
    shutil.copy(Path(demo_url.removeprefix("sqlite:///")), target)
    url = f"sqlite:///{target}"
    engine = db.make_engine(url)
    with engine.begin() as conn:
        add_user(conn, "wh-venlo", rol="wethouder", wachtwoord=PASSWORD, gemeenten=["GM0983"])
        add_user(
            conn, "j.jansen@venlo.nl", rol="wethouder", wachtwoord=PASSWORD, gemeenten=["GM0983"]
        )
    engine.dispose()
    monkeypatch.setenv("WIJKMONITOR_DB", url)
    monkeypatch.setenv("WIJKMONITOR_TILES", "none")
    monkeypatch.delenv("WIJKMONITOR_DEMO_LOGIN", raising=False)
    return url


def submit(at: AppTest, naam: str, wachtwoord: str) -> AppTest:
    inputs = {t.label: t for t in at.text_input}
    inputs["Gebruikersnaam"].input(naam)
    inputs["Wachtwoord"].input(wachtwoord)
    at.button[0].click().run()
    return at


def login(naam: str = "wh-venlo") -> AppTest:
    at = submit(AppTest.from_file(APP, default_timeout=120).run(), naam, PASSWORD)
    assert any(f"Ingelogd als **{naam}**" in c.value for c in at.sidebar.caption)
    return at


def actions(url: str) -> list[tuple[str, str]]:
    engine = db.make_engine(url)
    with engine.connect() as conn:
        a = db.audit_log.c
        rows = conn.execute(select(a.gebruiker, a.actie).order_by(a.volgnummer)).all()
    engine.dispose()
    return [(str(g), str(x)) for g, x in rows]


def logged_in(at: AppTest) -> bool:
    return any("Ingelogd als" in c.value for c in at.sidebar.caption)


def test_five_failures_lock_the_name_also_for_the_right_password(url: str) -> None:
    at = AppTest.from_file(APP, default_timeout=120).run()
    for attempt in range(1, 6):
        submit(at, "wh-venlo", f"fout-wachtwoord-{attempt}")
        errors = [e.value for e in at.error]
        if attempt < 5:
            assert errors == ["Onbekende gebruikersnaam of onjuist wachtwoord."]
    assert LOCKED in errors[0] and "15 minuten" in errors[0]
    submit(at, "wh-venlo", PASSWORD)
    assert not logged_in(at)
    assert LOCKED in at.error[0].value
    log = actions(url)
    assert log.count(("wh-venlo", "inloggen mislukt")) == 5
    assert log.count(("wh-venlo", "geblokkeerd")) == 2  # the name and the client
    assert ("wh-venlo", "inloggen geweigerd (geblokkeerd)") in log
    assert ("wh-venlo", "inloggen") not in log


def test_a_removed_user_is_logged_out_at_the_next_click(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    at = login()
    assert main(["--db", url, "users", "remove", "wh-venlo"]) == 0
    at.run()
    assert not logged_in(at)
    assert {t.label for t in at.text_input} == {"Gebruikersnaam", "Wachtwoord"}
    assert any("account bestaat niet meer" in i.value for i in at.info)
    assert ("wh-venlo", "sessie beëindigd (account verwijderd of uitgeschakeld)") in actions(url)
    assert ("cli", "gebruiker verwijderd") in actions(url)
    assert main(["--db", url, "users", "remove", "wh-venlo"]) == 2  # no such user any more
    assert "bestaat niet" in capsys.readouterr().err


def test_a_disabled_user_is_logged_out_and_cannot_log_in(url: str) -> None:
    at = login()
    assert main(["--db", url, "users", "disable", "wh-venlo"]) == 0
    at.run()
    assert not logged_in(at)
    submit(at, "wh-venlo", PASSWORD)
    assert not logged_in(at)
    assert [e.value for e in at.error] == ["Onbekende gebruikersnaam of onjuist wachtwoord."]


def test_a_role_change_takes_effect_at_the_next_click(url: str) -> None:
    at = login()
    with pytest.raises(ValueError, match=r"not a registered page|Could not find"):
        at.switch_page("views/adressen.py")
    engine = db.make_engine(url)
    with engine.begin() as conn:  # the same password: the session goes on, with the new role
        add_user(conn, "wh-venlo", rol="analist", wachtwoord=PASSWORD, gemeenten=["GM0983"])
    at.run()
    assert logged_in(at) and any("(analist)" in c.value for c in at.sidebar.caption)
    at.switch_page("views/adressen.py").run()
    assert at.title[0].value == "Adressen: vastgelegde bevindingen"
    with engine.begin() as conn:  # a new password ends the session
        add_user(conn, "wh-venlo", rol="analist", wachtwoord=PASSWORD + "!", gemeenten=["GM0983"])
    engine.dispose()
    at.run()
    assert not logged_in(at)


def test_an_idle_session_expires(url: str) -> None:
    at = login()
    at.session_state["last_seen"] = time.time() - 31 * 60
    at.run()
    assert not logged_in(at)
    assert any("sessie is verlopen" in i.value for i in at.info)


def oidc_app(email: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = OIDC_SECRETS
    at.user = {"is_logged_in": True, "email": email}
    return at


def test_oidc_login_is_audited_and_logout_ends_the_provider_session(url: str) -> None:
    at = oidc_app("j.jansen@venlo.nl").run()
    assert not at.exception
    assert logged_in(at)
    assert ("j.jansen@venlo.nl", "inloggen (oidc)") in actions(url)
    at.sidebar.button(key="uitloggen").click().run()
    assert at.user.get("is_logged_in") is False  # st.logout: the identity cookie is gone
    at.run()
    assert not logged_in(at)
    assert ("j.jansen@venlo.nl", "uitloggen") in actions(url)


def test_oidc_idle_expiry_ends_the_provider_session(url: str) -> None:
    at = oidc_app("j.jansen@venlo.nl").run()
    assert logged_in(at)
    at.session_state["last_seen"] = time.time() - 31 * 60
    at.run()
    assert at.user.get("is_logged_in") is False
    at.run()
    assert not logged_in(at)


def test_oidc_user_unknown_to_wijkmonitor_gets_no_session(url: str) -> None:
    at = oidc_app("onbekend@elders.nl").run()
    assert not logged_in(at)
    assert any("geen toegang" in e.value for e in at.error)
    at.run()  # audited once, not at every click
    assert actions(url).count(("onbekend@elders.nl", "inloggen mislukt (oidc)")) == 1


def test_the_data_page_view_is_audited_once_per_visit(url: str) -> None:
    engine = db.make_engine(url)
    with engine.begin() as conn:
        add_user(conn, "beheer", rol="beheerder", wachtwoord=PASSWORD)
    engine.dispose()
    at = login("beheer")
    at.switch_page("views/data.py").run()
    at.run()  # a click on the same page
    assert actions(url).count(("beheer", "pagina bekeken")) == 1


def test_demo_login_variable_alone_grants_nothing_on_real_data(
    url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    delivery = tmp_path / "uwv.csv"
    delivery.write_text(
        "buurtcode;periode;indicator;teller;bron\nBU09832501;2025-06;uitkering_afwijking;3;uwv\n"
    )
    assert main(["--db", url, "import", str(delivery)]) == 0  # now there is real data
    monkeypatch.setenv("WIJKMONITOR_DEMO_LOGIN", "1")
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not logged_in(at)
    assert {t.label for t in at.text_input} == {"Gebruikersnaam", "Wachtwoord"}
    assert any("echte gegevens" in w.value for w in at.warning)


def test_demo_login_variable_alone_grants_nothing_on_all_interfaces(
    demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIJKMONITOR_DB", demo_url)
    monkeypatch.setenv("WIJKMONITOR_DEMO_LOGIN", "1")
    config.set_option("server.address", "0.0.0.0")  # the autouse fixture restores it
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not logged_in(at)
    assert any("alleen op localhost" in w.value for w in at.warning)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("abc", "WIJKMONITOR_BEWAARTERMIJN_DAGEN='abc'"),
        ("0", "WIJKMONITOR_BEWAARTERMIJN_DAGEN='0'"),
    ],
)
def test_a_bad_setting_stops_the_dashboard_with_its_name(
    url: str, monkeypatch: pytest.MonkeyPatch, value: str, expected: str
) -> None:
    monkeypatch.setenv("WIJKMONITOR_BEWAARTERMIJN_DAGEN", value)
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert expected in at.error[0].value and "geheel getal van 1 of meer" in at.error[0].value
