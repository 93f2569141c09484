"""Issue 12 in a real browser: logins are throttled, a removed user's open session ends at the
next click, and the demo login is refused outside a local demo database."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from dashboard.cli import main
from data import db
from data.access.users import add_user
from tests.e2e.test_browser import _free_port, serve, settle, wait_idle

pytestmark = pytest.mark.e2e
PASSWORD = "correct-paard-batterij"
APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"


def _copy_with_users(demo_url: str, folder: Path) -> str:
    target = folder / "beveiliging.db"
    shutil.copy(Path(demo_url.removeprefix("sqlite:///")), target)
    url = f"sqlite:///{target}"
    engine = db.make_engine(url)
    with engine.begin() as conn:
        for naam in ("wh-blijft", "wh-weg", "wh-slot"):
            add_user(conn, naam, rol="wethouder", wachtwoord=PASSWORD, gemeenten=["GM0983"])
    engine.dispose()
    return url


@pytest.fixture
def served(demo_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A fresh copy of the demo with three users, served with a login: (base URL, db URL)."""
    url = _copy_with_users(demo_url, tmp_path)
    for base in serve(url, tmp_path, demo_login=False):
        yield base, url


def _submit(page: Page, naam: str, wachtwoord: str) -> None:
    page.get_by_label("Gebruikersnaam").fill(naam)
    page.get_by_label("Wachtwoord").fill(wachtwoord)
    page.get_by_role("button", name="Inloggen").click()


def _login(browser: Browser, base: str, naam: str) -> Page:
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.goto(base + "/", wait_until="domcontentloaded")
    _submit(page, naam, PASSWORD)
    page.get_by_text(f"Ingelogd als {naam}").wait_for(timeout=60_000)
    wait_idle(page)
    return page


def test_removed_user_sees_the_login_at_the_next_click(
    served: tuple[str, str], browser: Browser
) -> None:
    base, url = served
    page = _login(browser, base, "wh-weg")
    settle(page)
    assert main(["--db", url, "users", "remove", "wh-weg"]) == 0
    page.locator('[data-testid="stSidebarNav"] a', has_text="Indicatoren").click()
    page.get_by_label("Gebruikersnaam").wait_for(timeout=60_000)
    page.get_by_text("uw account bestaat niet meer").wait_for(timeout=60_000)
    settle(page)  # the run is over: nothing of the page before is left
    assert page.get_by_text("Ingelogd als wh-weg").count() == 0
    other = _login(browser, base, "wh-blijft")  # others carry on
    other.close()
    page.close()


def test_five_wrong_passwords_lock_the_login_also_for_the_right_one(
    served: tuple[str, str], browser: Browser
) -> None:
    base, _ = served
    page = browser.new_page()
    page.goto(base + "/", wait_until="domcontentloaded")
    for attempt in range(1, 5):
        _submit(page, "wh-slot", f"fout-{attempt}-wachtwoord")
        page.get_by_text("Onbekende gebruikersnaam of onjuist wachtwoord.").wait_for(timeout=60_000)
        settle(page)
    _submit(page, "wh-slot", "fout-5-wachtwoord")
    page.get_by_text("Te veel mislukte inlogpogingen").wait_for(timeout=60_000)
    settle(page)
    _submit(page, "wh-slot", PASSWORD)
    settle(page)
    page.get_by_text("Te veel mislukte inlogpogingen").wait_for(timeout=60_000)
    assert page.get_by_text("Ingelogd als wh-slot").count() == 0
    page.close()


def test_serve_refuses_the_demo_login_on_real_data_or_all_interfaces(
    demo_url: str, tmp_path: Path
) -> None:
    url = _copy_with_users(demo_url, tmp_path)
    env = dict(os.environ)
    env.pop("WIJKMONITOR_DEMO_LOGIN", None)
    command = [sys.executable, "-m", "dashboard.cli", "--db"]
    everywhere = subprocess.run(
        [*command, demo_url, "serve", "--demo-login", "--adres", "0.0.0.0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert everywhere.returncode == 2
    assert "alleen op localhost" in everywhere.stderr
    delivery = tmp_path / "uwv.csv"
    delivery.write_text(
        "buurtcode;periode;indicator;teller;bron\nBU09832501;2025-06;uitkering_afwijking;3;uwv\n"
    )
    assert main(["--db", url, "import", str(delivery)]) == 0
    real = subprocess.run(
        [*command, url, "serve", "--demo-login"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert real.returncode == 2
    assert "echte gegevens" in real.stderr


def test_the_variable_alone_gives_no_session_on_real_data(
    demo_url: str, tmp_path: Path, browser: Browser
) -> None:
    """Streamlit started by hand with WIJKMONITOR_DEMO_LOGIN=1 on a database with a real
    delivery: the dashboard checks again and shows the login."""
    url = _copy_with_users(demo_url, tmp_path)
    delivery = tmp_path / "uwv.csv"
    delivery.write_text(
        "buurtcode;periode;indicator;teller;bron\nBU09832501;2025-06;uitkering_afwijking;3;uwv\n"
    )
    assert main(["--db", url, "import", str(delivery)]) == 0
    port = _free_port()
    env = dict(os.environ, WIJKMONITOR_DB=url, WIJKMONITOR_DEMO_LOGIN="1", WIJKMONITOR_TILES="none")
    log = (tmp_path / "streamlit.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(APP),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.3)
        page = browser.new_page()
        try:
            page.goto(base + "/", wait_until="domcontentloaded")
            page.get_by_text("Demo-login niet beschikbaar").wait_for(timeout=60_000)
            page.get_by_label("Gebruikersnaam").wait_for(timeout=60_000)
            settle(page)
            assert page.get_by_text("Ingelogd als").count() == 0
        finally:
            page.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)
