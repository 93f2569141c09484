"""Time from `wijkmonitor serve` to a rendered map in Chromium, and the bytes sent to the browser.

Run: .venv/bin/python bench/serve_to_map.py [--runs 3]
Needs the demo database (built into a temporary folder here) and Debian's chromium.
Prints, per run: seconds from process start to health, to the first buurt polygon (cold server),
and again on a warm server (a second page load), the redraw after choosing another indicator,
the Wijkprofiel chart on a warm server (opened in a new tab, and reached through the menu from
the Overzicht page), plus websocket bytes received per page load.
A plain static Leaflet page with the same GeoJSON is the baseline: the floor for drawing it.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MAP_PATH = ".leaflet-overlay-pane path"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_health(base: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("server did not start")


def load_page(browser, url: str) -> tuple[float, int]:
    page = browser.new_page()
    received = [0]

    def on_ws(ws) -> None:
        ws.on(
            "framereceived",
            lambda payload: received.__setitem__(
                0, received[0] + len(payload if isinstance(payload, bytes) else payload.encode())
            ),
        )

    page.on("websocket", on_ws)
    start = time.monotonic()
    page.goto(url, wait_until="commit")
    frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
    frame.locator(MAP_PATH).first.wait_for(state="attached", timeout=120_000)
    elapsed = time.monotonic() - start
    page.wait_for_timeout(500)
    page.close()
    return elapsed, received[0]


def switch_indicator(browser, url: str) -> float:
    """Seconds from choosing another indicator to the map's legend showing it (warm server)."""
    page = browser.new_page()
    page.goto(url, wait_until="commit")
    frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
    frame.locator(MAP_PATH).first.wait_for(state="attached", timeout=120_000)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=120_000)
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').nth(1).click()
    start = time.monotonic()
    page.get_by_role("option", name="Illegale woningsplitsing").click()
    # the map is mounted anew when its content changes: wait for the new frame's legend
    frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"] >> nth=-1')
    frame.locator(".wm-legend", has_text="Illegale woningsplitsing").wait_for(timeout=120_000)
    elapsed = time.monotonic() - start
    page.close()
    return elapsed


def chart_visible(browser, url: str) -> float:
    """Seconds from opening the Wijkprofiel page to its first chart drawn (warm server)."""
    page = browser.new_page()
    start = time.monotonic()
    page.goto(url, wait_until="commit")
    page.locator('[data-testid="stPlotlyChart"] .main-svg').first.wait_for(timeout=120_000)
    elapsed = time.monotonic() - start
    page.close()
    return elapsed


def chart_via_menu(browser, url: str) -> float:
    """Seconds from clicking Wijkprofiel in the menu on the Overzicht page to its first chart:
    how a user gets there (the page is not reloaded, as with a new tab)."""
    page = browser.new_page()
    page.goto(url, wait_until="commit")
    frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
    frame.locator(MAP_PATH).first.wait_for(state="attached", timeout=120_000)
    page.wait_for_timeout(1_000)  # the user looks at the map first
    start = time.monotonic()
    page.locator('[data-testid="stSidebarNav"] a', has_text="Wijkprofiel").first.click()
    page.locator('[data-testid="stPlotlyChart"] .main-svg').first.wait_for(timeout=120_000)
    elapsed = time.monotonic() - start
    page.close()
    return elapsed


def baseline_static(browser, geojson: str, tmp: Path, port: int) -> float:
    html = tmp / "static.html"
    html.write_text(
        "<html><head><link rel=stylesheet href='leaflet.css'><script src='leaflet.js'></script>"
        "</head><body><div id=m style='height:600px'></div><script>"
        f"var m=L.map('m');var g=L.geoJSON({geojson}).addTo(m);m.fitBounds(g.getBounds());"
        "</script></body></html>"
    )
    for name in ("leaflet.js", "leaflet.css"):
        (tmp / name).write_bytes((ROOT / "dashboard/static/leaflet" / name).read_bytes())
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "-b", "127.0.0.1"],
        cwd=tmp,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_health_static(f"http://127.0.0.1:{port}/static.html")
    page = browser.new_page()
    start = time.monotonic()
    page.goto(f"http://127.0.0.1:{port}/static.html", wait_until="commit")
    page.locator(MAP_PATH).first.wait_for(state="attached")
    elapsed = time.monotonic() - start
    page.close()
    server.terminate()
    return elapsed


def wait_health_static(url: str) -> None:
    for _ in range(100):
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    tmp = Path(tempfile.mkdtemp())
    db = f"sqlite:///{tmp / 'demo.db'}"
    subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "--db", db, "demo"], check=True, capture_output=True
    )
    sys.path.insert(0, str(ROOT))
    from data import db as dbm
    from data import store
    from geo.crs import to_wgs84
    from geo.simplify import simplify_coverage

    areas = store.load_areas(dbm.make_engine(db), levels=["buurt"])
    geojson = to_wgs84(simplify_coverage(areas, tolerance_m=5.0))[["code", "geometry"]].to_json()

    cold, warm, health, ws_bytes, switch, chart, menu = [], [], [], [], [], [], []
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=os.environ.get("WIJKMONITOR_CHROMIUM", "/usr/bin/chromium"), args=ARGS
        )
        # One browser context for all page loads: a returning user's HTTP cache, as in real use.
        browser = chromium.new_context(viewport={"width": 1400, "height": 1300})
        base_times = [baseline_static(browser, geojson, tmp, free_port()) for _ in range(runs)]
        for _ in range(runs):
            port = free_port()
            env = dict(os.environ, WIJKMONITOR_TILES="none")
            t0 = time.monotonic()
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "dashboard.cli",
                    "--db",
                    db,
                    "serve",
                    "--port",
                    str(port),
                    "--demo-login",
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            base = f"http://127.0.0.1:{port}"
            wait_health(base, time.monotonic() + 60)
            health.append(time.monotonic() - t0)
            first, _ = load_page(browser, base + "/")
            cold.append(health[-1] + first)
            second, size2 = load_page(browser, base + "/")
            warm.append(second)
            ws_bytes.append(size2)
            switch.append(switch_indicator(browser, base + "/"))
            chart_visible(browser, base + "/wijkprofiel")  # warms its caches
            chart.append(chart_visible(browser, base + "/wijkprofiel"))
            menu.append(chart_via_menu(browser, base + "/"))
            proc.terminate()
            proc.wait()
        chromium.close()

    def fmt(values: list[float]) -> str:
        return f"median {statistics.median(values):6.2f} s  (min {min(values):.2f}, max {max(values):.2f})"

    print(f"runs: {runs}; machine: {os.cpu_count()} cores")
    print(f"serve -> health                     {fmt(health)}")
    print(f"serve -> first buurt polygon (cold) {fmt(cold)}")
    print(f"page open -> map drawn (warm)       {fmt(warm)}")
    print(f"switch indicator -> map redrawn     {fmt(switch)}")
    print(
        f"Wijkprofiel open -> chart (warm)    {fmt(chart)}  (new tab: page and libraries load anew)"
    )
    print(f"menu Overzicht -> Wijkprofiel chart {fmt(menu)}")
    print(f"baseline: static Leaflet page       {fmt(base_times)}")
    print(f"GeoJSON of the buurten (simplified) {len(geojson) / 1024:6.1f} KiB")
    print(f"websocket bytes per page load       {statistics.median(ws_bytes) / 1024:6.1f} KiB")


if __name__ == "__main__":
    main()
