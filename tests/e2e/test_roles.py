"""Log in as each role in Chromium, click through the pages, upload a delivery as beheerder."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from data import db
from data.access.users import add_user
from tests.e2e.test_browser import ARTIFACTS, serve, settle, wait_idle

pytestmark = pytest.mark.e2e
PASSWORD = "correct-paard-batterij"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "deliveries"


@pytest.fixture(scope="module")
def server(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("roles")
    target = folder / "rollen.db"
    shutil.copy(Path(demo_url.removeprefix("sqlite:///")), target)
    url = f"sqlite:///{target}"
    engine = db.make_engine(url)
    with engine.begin() as conn:
        add_user(conn, "wethouder", rol="wethouder", wachtwoord=PASSWORD, gemeenten=["GM0983"])
        add_user(conn, "rpf", rol="rpf", wachtwoord=PASSWORD, regio="rpf-demo")
        add_user(conn, "analist", rol="analist", wachtwoord=PASSWORD, gemeenten=["GM0983"])
        add_user(conn, "beheerder", rol="beheerder", wachtwoord=PASSWORD)
    engine.dispose()
    yield from serve(url, folder, demo_login=False)


def login(browser: Browser, base: str, naam: str) -> Page:
    page = browser.new_page(viewport={"width": 1400, "height": 1300})
    page.goto(base + "/", wait_until="domcontentloaded")
    page.get_by_label("Gebruikersnaam").fill(naam)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_text(f"Ingelogd als {naam}").wait_for(timeout=60_000)
    wait_idle(page)
    return page


def nav_titles(page: Page) -> list[str]:
    links = page.locator('[data-testid="stSidebarNav"] a')
    # the text of a link starts with its icon's ligature name ("map"): keep the last line
    return [links.nth(i).inner_text().strip().splitlines()[-1] for i in range(links.count())]


@pytest.mark.parametrize(
    ("naam", "expected"),
    [
        ("wethouder", ["Overzicht", "Wijkprofiel", "Vergelijken", "Indicatoren"]),
        ("rpf", ["Overzicht", "Wijkprofiel", "Vergelijken", "Regio", "Indicatoren"]),
        ("analist", ["Overzicht", "Wijkprofiel", "Vergelijken", "Adressen", "Indicatoren"]),
        ("beheerder", ["Overzicht", "Wijkprofiel", "Vergelijken", "Regio", "Data", "Indicatoren"]),
    ],
)
def test_each_role_sees_its_pages(
    server: str, browser: Browser, naam: str, expected: list[str]
) -> None:
    page = login(browser, server, naam)
    titles = nav_titles(page)
    assert [t for t in expected if t not in titles] == []
    assert not {"Adressen", "Data", "Regio"} - set(expected) & set(titles)
    for title in titles:
        link = page.locator('[data-testid="stSidebarNav"] a').nth(titles.index(title))
        path = (link.get_attribute("href") or "").rsplit("/", 1)[-1]
        link.click()
        page.wait_for_url(f"**/{path}", timeout=60_000)
        page.locator("h1").first.wait_for(timeout=60_000)
        settle(page)  # this page's run is over: what is checked below is this page's
        assert page.locator('[data-testid="stException"]').count() == 0, f"{naam}: {title}"
        page.screenshot(path=str(ARTIFACTS / f"rol-{naam}-{title.lower()}.png"))
    page.close()


def test_wrong_password_is_refused(server: str, browser: Browser) -> None:
    page = browser.new_page()
    page.goto(server + "/", wait_until="domcontentloaded")
    page.get_by_label("Gebruikersnaam").fill("wethouder")
    page.get_by_label("Wachtwoord").fill("niet-het-wachtwoord")
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_text("Onbekende gebruikersnaam of onjuist wachtwoord.").wait_for(timeout=60_000)
    assert page.locator('iframe[title="streamlit_folium.st_folium"]').count() == 0
    page.close()


def test_beheerder_uploads_a_file(server: str, browser: Browser) -> None:
    page = login(browser, server, "beheerder")
    page.locator('[data-testid="stSidebarNav"] a').nth(nav_titles(page).index("Data")).click()
    page.locator("h1", has_text="Data").wait_for(timeout=60_000)
    settle(page)
    upload = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
    upload.set_input_files(
        [str(FIXTURES / "agg_puntkomma_decimaalkomma.csv"), str(FIXTURES / "agg_bsn_kolom.csv")]
    )
    page.get_by_role("button", name="Importeren").click()
    page.get_by_text("agg_puntkomma_decimaalkomma.csv: geaccepteerd").wait_for(timeout=60_000)
    page.get_by_text("agg_bsn_kolom.csv: geweigerd").wait_for(timeout=60_000)
    # Wait for the state the page ends in, not for a count at one moment: the run after the
    # import is over, both logs are drawn under their headings (a rerun may redraw them).
    settle(page)
    page.get_by_role("heading", name="Auditlog").wait_for(timeout=60_000)
    tables = page.locator('[data-testid="stDataFrame"]')
    expect(tables).to_have_count(2, timeout=60_000)  # import log and audit log
    page.wait_for_timeout(1000)  # the grids draw on a canvas after they attach
    page.screenshot(path=str(ARTIFACTS / "data-upload.png"), full_page=True)
    page.close()


def test_login_and_navigation_by_keyboard(server: str, browser: Browser) -> None:
    """WCAG 2.1.1: the login form and the page navigation work without a mouse."""
    page = browser.new_page(viewport={"width": 1400, "height": 1300})
    page.goto(server + "/", wait_until="domcontentloaded")
    page.get_by_label("Gebruikersnaam").focus()
    page.keyboard.type("wethouder")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_text("Ingelogd als wethouder").wait_for(timeout=60_000)
    wait_idle(page)
    link = page.locator('[data-testid="stSidebarNav"] a').nth(nav_titles(page).index("Indicatoren"))
    link.focus()
    page.keyboard.press("Enter")
    page.locator("h1", has_text="Indicatoren").wait_for(timeout=60_000)
    page.close()
