"""WCAG 2.1 AA in Chromium: axe-core checks every page of the dashboard and the login page.

What axe can decide must pass; what it cannot (text on a map or in an SVG chart, reported as
"incomplete") is checked by hand, see docs/toegankelijkheid.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page

from data.demo.regio import REGIO_NAAM
from tests.e2e.test_browser import settle
from tests.e2e.test_roles import login, nav_titles
from tests.e2e.test_roles import server as server  # the fixture: the demo plus the users

pytestmark = pytest.mark.e2e

AXE = Axe()  # axe-core 4.12, bundled with axe-playwright-python
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
MAP = 'iframe[title="streamlit_folium.st_folium"]'
CAPTION = '[data-testid="stCaptionContainer"]'
VIEWPORT = {"width": 1400, "height": 1300}  # as login() in test_roles.py
# (page in the navigation, the role that sees it, text of its h1); None: the login page.
PAGES = [
    ("Inloggen", None, "Wijkmonitor"),
    ("Overzicht", "analist", "Overzicht Venlo"),
    ("Wijkprofiel", "analist", "Wijk 25 Klingerberg"),
    ("Interventies", "analist", "Interventies"),
    ("Vergelijken", "analist", "Vergelijken"),
    ("Adressen", "analist", "Adressen"),
    ("Indicatoren", "analist", "Indicatoren"),
    ("Regio", "beheerder", REGIO_NAAM),
    ("Data", "beheerder", "Data"),
]


def show_all(page: Page, heading: str) -> None:
    """Wait for the page, its maps and charts; open the expanders; make the window as tall as
    the page: Streamlit's main area scrolls by itself, and axe skips what is out of view."""
    page.locator("h1", has_text=heading).first.wait_for(timeout=60_000)
    settle(page)
    maps = page.locator(MAP)
    for i in range(maps.count()):
        frame = maps.nth(i).content_frame
        frame.locator(".leaflet-overlay-pane path").first.wait_for(state="attached", timeout=60_000)
        frame.locator(".wm-legend").wait_for(timeout=60_000)
    charts = page.locator('[data-testid="stPlotlyChart"]')
    for i in range(charts.count()):
        charts.nth(i).locator(".main-svg").first.wait_for(state="attached", timeout=60_000)
    page.evaluate("""document.querySelectorAll('[data-testid="stExpander"] details:not([open])')
                     .forEach(details => details.querySelector('summary').click())""")
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1400, "height": max(1300, int(height) + 50)})
    settle(page)


@pytest.fixture(scope="module")
def open_page(server: str, browser: Browser) -> Iterator[Callable[[str], Page]]:
    """Open a page as the role that sees it, ready for axe. One logged-in tab per role: the
    pages are opened through the navigation, as a reload would log out."""
    tabs: dict[str, Page] = {}
    showing: dict[str, str] = {}

    def open_(title: str) -> Page:
        _, naam, heading = next(p for p in PAGES if p[0] == title)
        if naam is None:  # the login page, in a tab of its own
            page = tabs[f"inloggen-{len(tabs)}"] = browser.new_page(viewport=VIEWPORT)
            page.goto(server + "/", wait_until="domcontentloaded")
        else:
            if naam not in tabs:
                tabs[naam] = login(browser, server, naam)
                showing[naam] = "Overzicht"  # the first page after logging in
            page = tabs[naam]
            if showing[naam] != title:
                page.set_viewport_size(VIEWPORT)
                links = page.locator('[data-testid="stSidebarNav"] a')
                links.nth(nav_titles(page).index(title)).click()
                showing[naam] = title
        show_all(page, heading)
        assert page.locator('[data-testid="stException"]').count() == 0, f"{title}: fout"
        return page

    yield open_
    for page in tabs.values():
        page.close()


def axe(
    page: Page, *, context: dict[str, Any] | None = None, rules: list[str] | None = None
) -> dict[str, Any]:
    """axe-core's results for the page and its frames (the maps): violations, passes, ..."""
    for frame in page.frames[1:]:  # axe checks a frame only where it is loaded too
        frame.evaluate(AXE.axe_script)
    run_only = {"type": "rule", "values": rules} if rules else {"type": "tag", "values": TAGS}
    results: dict[str, Any] = AXE.run(page, context=context, options={"runOnly": run_only}).response
    return results


def report(violations: list[dict[str, Any]]) -> str:
    """Rule, impact, help and the elements (a frame's element: 'iframe >> element')."""
    lines = []
    for rule in violations:
        lines.append(f"{rule['id']} ({rule['impact']}): {rule['help']} <{rule['helpUrl']}>")
        for node in rule["nodes"]:
            lines.append(f"    {' >> '.join(node['target'])}")
            lines.append(f"        {' '.join(node['html'].split())[:160]}")
            lines.append(f"        {' '.join(node['failureSummary'].split())}")
    return "\n".join(lines)


def contrast(colour: str) -> float:
    """WCAG contrast ratio against white of a computed CSS colour, 'rgb(...)' or 'rgba(...)'."""
    numbers = [float(n) for n in re.findall(r"[\d.]+", colour)]
    alpha = numbers[3] if len(numbers) > 3 else 1.0
    channels = [(alpha * n + (1 - alpha) * 255) / 255 for n in numbers[:3]]  # over white
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 1.05 / (luminance + 0.05)


def test_map_legend_contrast_is_measured(open_page: Callable[[str], Page]) -> None:
    page = open_page("Overzicht")
    results = axe(page, context={"include": [[MAP, ".wm-legend"]]}, rules=["color-contrast"])
    assert results["violations"] == []
    assert results["incomplete"] == [], report(results["incomplete"])
    assert results["passes"], "axe vond geen legenda"
    frame = page.frame_locator(MAP).first
    assert frame.locator("html").get_attribute("lang") == "nl", "the map's frame is Dutch too"
    legend = frame.locator(".wm-legend")
    assert legend.get_attribute("role") == "group"  # a screen reader reads the classes too
    assert "geheim" in legend.inner_text()


@pytest.mark.parametrize("title", [p[0] for p in PAGES])
def test_page_passes_axe(open_page: Callable[[str], Page], title: str) -> None:
    page = open_page(title)
    assert page.evaluate("document.documentElement.lang") == "nl"  # WCAG 3.1.1
    violations = axe(page)["violations"]
    assert violations == [], f"{title}: WCAG 2.1 AA-overtredingen\n{report(violations)}"
    # our captions are light grey text: their contrast must be measured, not just not failed
    captions = axe(page, context={"include": [CAPTION]}, rules=["color-contrast"])
    assert captions["incomplete"] == [], report(captions["incomplete"])
    measured = {" >> ".join(n["target"]) for r in captions["passes"] for n in r["nodes"]}
    assert len(measured) >= page.locator(f"{CAPTION} p").count() > 0, "onderschrift niet gemeten"
    # axe cannot measure text in an SVG chart ("incomplete"): the charts' text on their white
    # background, measured here
    fills = page.eval_on_selector_all(
        '[data-testid="stPlotlyChart"] svg text',
        "texts => texts.map(t => getComputedStyle(t).fill)",
    )
    assert [f for f in set(fills) if contrast(f) < 4.5] == [], "grafiektekst te licht"
