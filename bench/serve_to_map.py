"""Phases from opening the link to the first buurt polygon, for a new and a returning visitor.

Run: .venv/bin/python bench/serve_to_map.py [--runs 5] [--db URL] [--trace FILE]

Starts `wijkmonitor serve --demo-login` on the demo database (built into a temporary folder,
about 70 s, unless --db names one), warms it with one page load, then per run:

- new visitor: a new Chromium process and context (empty HTTP cache), as a wethouder opening the
  link from an e-mail;
- returning visitor: a second page in that same context (HTTP cache filled);
- baseline: a static HTML page with the offline Leaflet and the same buurt GeoJSON, served by
  a plain HTTP server in the same run, opened in a new Chromium as well.

The phases are read in the browser: a script in every frame (Playwright init script) notes the
time when the page header (h1), the map frame and the first buurt polygon appear, from the
navigation start of the page. Also printed: websocket bytes and the BackMsgs the browser sent
(a script rerun is one; a page load without a second rerun sends the first and the page's own).
--trace writes a Chromium performance trace of one new visitor (open it in chrome://tracing).
The machine's load average is printed beside the figures: nothing here is a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Playwright, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _serve import (
    ARGS,
    CHROMIUM,
    MAP_FRAME,
    MAP_PATH,
    ROOT,
    build_demo,
    free_port,
    load_average,
    start_server,
    stop_server,
    wait_http,
)

# Notes the first moment each phase is seen, in every frame (the map lives in an iframe).
MARKS_SCRIPT = """
(() => {
  const marks = window.__wm_marks = {};
  const watch = {header: '[data-testid="stMain"] h1, body > h1',
                 frame: 'iframe[title="streamlit_folium.st_folium"]',
                 leaflet: '.leaflet-container', polygon: '.leaflet-overlay-pane path'};
  const check = () => {
    for (const [name, selector] of Object.entries(watch)) {
      if (!(name in marks) && document.querySelector(selector)) {
        marks[name] = performance.timeOrigin + performance.now();
      }
    }
  };
  new MutationObserver(check).observe(document, {childList: true, subtree: true});
  // the map frame's script replaces parts of its document: look every frame as well
  const timer = setInterval(check, 10);
  setTimeout(() => clearInterval(timer), 120000);
})();
"""
PHASES = ("header", "frame", "polygon")


def visit(context: BrowserContext, url: str) -> dict[str, float]:
    """Open ``url`` in a new page; seconds from navigation start to each phase, plus traffic."""
    page = context.new_page()
    traffic = {"ws_received": 0.0, "backmsgs": 0.0}

    def on_ws(ws) -> None:  # type: ignore[no-untyped-def]
        def received(payload: str | bytes) -> None:
            traffic["ws_received"] += len(payload)

        def sent(payload: str | bytes) -> None:
            traffic["backmsgs"] += 1

        ws.on("framereceived", received)
        ws.on("framesent", sent)

    page.on("websocket", on_ws)
    page.goto(url, wait_until="commit")
    page.frame_locator(MAP_FRAME).locator(MAP_PATH).first.wait_for(
        state="attached", timeout=120_000
    )
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=120_000)
    page.wait_for_timeout(1_000)  # a second rerun would start within this second
    origin = page.evaluate("performance.timeOrigin")
    marks: dict[str, float] = {}
    for frame in page.frames:
        found = frame.evaluate("window.__wm_marks || {}")
        for name, at in found.items():
            marks.setdefault(name, at)
    page.close()
    out = {name: (marks[name] - origin) / 1000 for name in PHASES if name in marks}
    return out | traffic


def switch_indicator(context: BrowserContext, url: str) -> float:
    """Seconds from choosing another indicator to the map's legend showing it."""
    page = context.new_page()
    page.goto(url, wait_until="commit")
    page.frame_locator(MAP_FRAME).locator(MAP_PATH).first.wait_for(state="attached")
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=120_000)
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').nth(1).click()
    start = time.monotonic()
    page.get_by_role("option", name="Illegale woningsplitsing").click()
    # the map is mounted anew when its content changes: wait for the new frame's legend
    frame = page.frame_locator(f"{MAP_FRAME} >> nth=-1")
    frame.locator(".wm-legend", has_text="Illegale woningsplitsing").wait_for(timeout=120_000)
    elapsed = time.monotonic() - start
    page.close()
    return elapsed


def chart_via_menu(context: BrowserContext, url: str) -> float:
    """Seconds from clicking Wijkprofiel in the menu of the Overzicht page to its first chart."""
    page = context.new_page()
    page.goto(url, wait_until="commit")
    page.frame_locator(MAP_FRAME).locator(MAP_PATH).first.wait_for(state="attached")
    page.wait_for_timeout(1_000)  # the user looks at the map first
    start = time.monotonic()
    page.locator('[data-testid="stSidebarNav"] a', has_text="Wijkprofiel").first.click()
    page.locator('[data-testid="stPlotlyChart"] .main-svg').first.wait_for(timeout=120_000)
    elapsed = time.monotonic() - start
    page.close()
    return elapsed


def new_browser(p: Playwright) -> Browser:
    return p.chromium.launch(executable_path=CHROMIUM, args=ARGS)


def new_context(browser: Browser) -> BrowserContext:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(MARKS_SCRIPT)
    return context


def baseline_page(db: str, folder: Path) -> str:
    """Write the static Leaflet page with the demo's Venlo buurten; returns its file name."""
    sys.path.insert(0, str(ROOT))
    from data import db as dbm
    from data import store
    from geo.crs import to_wgs84
    from geo.simplify import simplify_coverage

    areas = store.load_areas(dbm.make_engine(db), levels=["buurt"], gemeenten=["GM0983"])
    geojson = to_wgs84(simplify_coverage(areas, tolerance_m=5.0))[["code", "geometry"]].to_json()
    (folder / "static.html").write_text(
        "<html><head><link rel=stylesheet href='leaflet.css'><script src='leaflet.js'></script>"
        "</head><body><h1>Baseline</h1><div id=m style='height:560px'></div><script>"
        f"var m=L.map('m');var g=L.geoJSON({geojson}).addTo(m);m.fitBounds(g.getBounds());"
        "</script></body></html>"
    )
    for name in ("leaflet.js", "leaflet.css"):
        (folder / name).write_bytes((ROOT / "dashboard/static/leaflet" / name).read_bytes())
    return "static.html"


def baseline(p: Playwright, url: str) -> float:
    browser = new_browser(p)
    context = new_context(browser)
    page = context.new_page()
    page.goto(url, wait_until="commit")
    page.locator(MAP_PATH).first.wait_for(state="attached")
    origin = page.evaluate("performance.timeOrigin")
    drawn = page.evaluate("window.__wm_marks.polygon")
    browser.close()
    return float((drawn - origin) / 1000)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", help="an existing demo database (default: build one)")
    parser.add_argument("--trace", type=Path, help="write a Chromium trace of one new visitor")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    db = args.db or build_demo(tmp)
    static_port = free_port()
    name = baseline_page(db, tmp)
    static = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(static_port), "-b", "127.0.0.1"],
        cwd=tmp,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started = time.monotonic()
    server = start_server(db, demo_login=True)
    health = time.monotonic() - started
    new: list[dict[str, float]] = []
    back: list[dict[str, float]] = []
    base: list[float] = []
    switch: list[float] = []
    menu: list[float] = []
    loads = [load_average()]
    try:
        wait_http(f"http://127.0.0.1:{static_port}/{name}")
        with sync_playwright() as p:
            warm = new_browser(p)  # the server's caches are warm for every measured visitor
            visit(new_context(warm), server.url)
            warm.close()
            for _ in range(args.runs):
                browser = new_browser(p)
                context = new_context(browser)
                new.append(visit(context, server.url))
                back.append(visit(context, server.url))
                switch.append(switch_indicator(context, server.url))
                menu.append(chart_via_menu(context, server.url))
                browser.close()
                base.append(baseline(p, f"http://127.0.0.1:{static_port}/{name}"))
                loads.append(load_average())
            if args.trace:
                browser = new_browser(p)
                browser.start_tracing(path=str(args.trace), screenshots=True)
                visit(new_context(browser), server.url)
                browser.stop_tracing()
                browser.close()
        rss = server.peak_rss_mb()
    finally:
        stop_server(server)
        static.terminate()
        static.wait()
    report(args.runs, new, back, base, loads, rss)
    print(
        f"serve -> /_stcore/health {health:.2f} s; returning visitor: choose another indicator "
        f"-> map redrawn {statistics.median(switch):.2f} s, Overzicht -> Wijkprofiel through "
        f"the menu -> first chart {statistics.median(menu):.2f} s (medians)"
    )


def report(
    runs: int,
    new: list[dict[str, float]],
    back: list[dict[str, float]],
    base: list[float],
    loads: list[float],
    rss_mb: float,
) -> None:
    def cell(rows: list[dict[str, float]], key: str) -> str:
        values = [r[key] for r in rows if key in r]
        if not values:
            return "-"
        return f"{statistics.median(values):5.2f} s ({min(values):.2f}-{max(values):.2f})"

    print(
        f"runs: {runs}; machine: {os.cpu_count()} cores; load average (1 min) during the runs: "
        f"{min(loads):.2f}-{max(loads):.2f}; {time.strftime('%Y-%m-%d %H:%M %Z')}"
    )
    print(f"{'phase (median, min-max)':32} {'new visitor':24} {'returning visitor':24}")
    labels = {
        "header": "page header (h1)",
        "frame": "map frame attached",
        "polygon": "first buurt polygon drawn",
    }
    for key in PHASES:
        print(f"{labels[key]:32} {cell(new, key):24} {cell(back, key):24}")
    base_cell = cell([{"polygon": b} for b in base], "polygon")
    print(f"{'baseline: static Leaflet page':32} {base_cell:24} (new browser, same GeoJSON)")
    kib_new = statistics.median(r["ws_received"] for r in new) / 1024
    kib_back = statistics.median(r["ws_received"] for r in back) / 1024
    print(f"{'websocket KiB received':32} {kib_new:<24.1f} {kib_back:<24.1f}")
    sent_new = statistics.median(r["backmsgs"] for r in new)
    sent_back = statistics.median(r["backmsgs"] for r in back)
    print(f"{'BackMsgs sent (reruns and more)':32} {sent_new:<24.0f} {sent_back:<24.0f}")
    print(f"server peak RSS: {rss_mb:.0f} MB")


if __name__ == "__main__":
    main()
