"""The real dashboard in headless Chromium: map polygons and the trend chart are drawn."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from dashboard.components.charts import PLOTLY_BUNDLE

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(url: str, folder: Path, *, demo_login: bool) -> Iterator[str]:
    """Run `wijkmonitor serve` on a free port until the caller is done; yield its base URL."""
    port = _free_port()
    env = dict(os.environ, WIJKMONITOR_TILES="none")
    env.pop("WIJKMONITOR_DEMO_LOGIN", None)
    log = (folder / "serve.log").open("w")
    command = [sys.executable, "-m", "dashboard.cli", "--db", url, "serve", "--port", str(port)]
    process = subprocess.Popen(
        command + (["--demo-login"] if demo_login else []),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("Het dashboard startte niet binnen 60 s")
    yield base
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def server(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from serve(demo_url, tmp_path_factory.mktemp("serve"), demo_login=True)


# The run is over and nothing is faded as left over from an earlier run.
IDLE = """() => document.querySelector('[data-testid="stApp"]')?.dataset.testScriptState
                 === 'notRunning' && !document.querySelector('[data-stale="true"]')"""


def wait_idle(page: Page) -> None:
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=60_000)


def settle(page: Page) -> None:
    """Until Streamlit is idle; a run can follow shortly after the last (a component's value)."""
    wait_idle(page)
    page.wait_for_function(IDLE, timeout=60_000)
    page.wait_for_timeout(300)
    page.wait_for_function(IDLE, timeout=60_000)


def test_map_draws_buurt_polygons_offline(server: str, browser: Browser) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1300})
    blocked: list[str] = []
    page.on(
        "request",
        lambda r: (
            blocked.append(r.url)
            if "127.0.0.1" not in r.url and not r.url.startswith(("data:", "blob:", "about:"))
            else None
        ),
    )
    page.goto(f"{server}/", wait_until="domcontentloaded")
    frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
    paths = frame.locator(".leaflet-overlay-pane path")
    paths.first.wait_for(state="attached", timeout=60_000)
    wait_idle(page)
    assert paths.count() >= 100  # 113 drawn buurten (one is empty in the CBS source)
    assert "CBS / Kadaster" in frame.locator(".leaflet-control-attribution").inner_text()
    assert "geheim" in frame.locator(".wm-legend").inner_text()
    assert "Demodata (fictief)" in page.inner_text("body")
    assert blocked == [], f"requests outside the app: {blocked[:5]}"
    # Overzicht has no chart, yet once its map is drawn the chart library loads for the next
    # page (a poll of 200 ms after the first polygon: wait for it rather than race it)
    page.wait_for_function(
        "name => performance.getEntriesByType('resource').some(e => e.name.endsWith('/' + name))",
        arg=PLOTLY_BUNDLE,
        timeout=30_000,
    )
    loaded = page.evaluate(
        "performance.getEntriesByType('resource').map(e => e.name.split('/').pop())"
    )
    assert PLOTLY_BUNDLE in loaded, "the Plotly bundle is preloaded"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "overzicht.png"), full_page=True)
    page.close()


def test_trend_chart_is_rendered(server: str, browser: Browser) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    page.goto(f"{server}/wijkprofiel", wait_until="domcontentloaded")
    chart = page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot .main-svg').first
    chart.wait_for(state="visible", timeout=60_000)
    wait_idle(page)
    assert page.locator('[data-testid="stPlotlyChart"] .scatterlayer .trace').count() >= 2
    body = page.inner_text("body")
    assert "Wijk 25 Klingerberg" in body and "Start Wijkgerichte aanpak Klingerberg" in body
    page.screenshot(path=str(ARTIFACTS / "wijkprofiel.png"), full_page=True)
    page.close()


def test_click_on_a_buurt_opens_its_profile(server: str, browser: Browser) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1300})
    page.goto(f"{server}/", wait_until="domcontentloaded")
    frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
    paths = frame.locator(".leaflet-overlay-pane path")
    paths.first.wait_for(state="attached", timeout=60_000)
    wait_idle(page)
    # the largest polygon is the easiest to hit in its middle
    sizes = [paths.nth(i).bounding_box() for i in range(paths.count())]
    index = max(
        range(len(sizes)),
        key=lambda i: (sizes[i] or {"width": 0})["width"] * (sizes[i] or {"height": 0})["height"],
    )
    paths.nth(index).click(force=True)
    page.wait_for_url("**/wijkprofiel", timeout=60_000)
    wait_idle(page)
    page.locator('[data-testid="stPlotlyChart"] .main-svg').first.wait_for(timeout=60_000)
    title = page.locator("h1").first.inner_text()
    assert title and title != "Wijk 25 Klingerberg"  # the clicked buurt, not the default
    page.screenshot(path=str(ARTIFACTS / "klik-wijkprofiel.png"), full_page=True)
    page.close()
