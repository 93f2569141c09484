"""The dashboard with all buurten of the Netherlands: Regio and Overzicht in Chromium, and a
profile of what the pages compute.

The database (cached as ``dashboard.db``): the stored national areas of the ``areas`` step, the
synthetic signals and deliveries, a region ``nl`` with every gemeente, and a beheerder who logs
in through the form. ``wijkmonitor serve`` runs on a free port (no background tiles); each page
is timed from the click in the sidebar to the first buurt polygon in its map, first with cold
caches, then again (warm). A page that draws nothing within ``PAGE_TIMEOUT_S`` is reported so.
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
from _nl_steps import Clock, emit
from _serve import ARGS

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-beheerder-wachtwoord"
REGION = "Nederland (alle gemeenten)"
PAGE_TIMEOUT_S = 60
VERSION = 1
FRAME = 'iframe[title="streamlit_folium.st_folium"]'
_MARK_OLD = f"""() => document.querySelectorAll('{FRAME}').forEach(f => {{
    try {{ f.contentWindow.__wmOld = true; }} catch (e) {{}} }})"""
_NEW_MAP_DRAWN = f"""() => Array.from(document.querySelectorAll('{FRAME}')).some(f => {{
    try {{ const w = f.contentWindow;
           return w && !w.__wmOld && !!w.document.querySelector('.leaflet-overlay-pane path');
    }} catch (e) {{ return false; }} }})"""
_PATHS = f"""() => Array.from(document.querySelectorAll('{FRAME}')).map(f => {{
    try {{ return f.contentWindow.document.querySelectorAll('.leaflet-overlay-pane path').length; }}
    catch (e) {{ return 0; }} }})"""


def build_database(cache: Path) -> Path:
    """The national dashboard database, made once per cache (from national.db + signals)."""
    from data import db
    from data.access.users import add_user
    from data.meta import set_meta
    from data.regions import add_region

    target = cache / "dashboard.db"
    marker = cache / "dashboard.json"
    if target.exists() and marker.exists() and json.loads(marker.read_text()) == {"v": VERSION}:
        return target
    target.unlink(missing_ok=True)
    with sqlite3.connect(cache / "national.db") as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    engine = db.make_engine(f"sqlite:///{target}")
    with engine.begin() as conn:
        gemeenten = [
            r[0]
            for r in conn.exec_driver_sql(
                "SELECT code FROM areas WHERE level = 'gemeente' ORDER BY code"
            )
        ]
        add_region(conn, "nl", naam=REGION, gemeenten=gemeenten)
        add_user(conn, "beheerder", rol="beheerder", wachtwoord=PASSWORD)
        set_meta(conn, "peildatum", "2024-12-31")
    engine.dispose()
    signals = pd.read_parquet(cache / "signals.parquet")
    deliveries = pd.read_parquet(cache / "deliveries.parquet")
    with sqlite3.connect(target) as conn:  # plain executemany: 4 million rows in seconds
        conn.executemany(
            "INSERT INTO signals (buurtcode, periode, indicator, teller, noemer, bron, soort) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            signals[["buurtcode", "periode", "indicator", "teller", "noemer", "bron", "soort"]]
            .astype(object)
            .where(signals.notna(), None)
            .itertuples(index=False, name=None),
        )
        conn.executemany(
            "INSERT INTO deliveries (bron, gemeentecode, indicator, periode, geleverd_op) "
            "VALUES (?, ?, ?, ?, '2024-12-31 12:00:00.000000')",
            deliveries[["bron", "gemeentecode", "indicator", "periode"]].itertuples(
                index=False, name=None
            ),
        )
    marker.write_text(json.dumps({"v": VERSION}))
    return target


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(url: str, log: Path) -> tuple[subprocess.Popen, str, float]:
    port = _free_port()
    env = dict(os.environ, WIJKMONITOR_TILES="none")
    env.pop("WIJKMONITOR_DEMO_LOGIN", None)
    began = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", "--db", url, "serve", "--port", str(port)],
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    while time.monotonic() - began < 90:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2):
                return process, base, time.monotonic() - began
        except OSError:
            time.sleep(0.1)
    _stop(process)
    raise SystemExit("het dashboard startte niet binnen 90 s")


def _stop(process: subprocess.Popen) -> None:
    """Stop the server and the streamlit process it started (its own process group)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


def _wait_new_map(page, timeout_s: float) -> float | None:
    began = time.monotonic()
    try:
        page.wait_for_function(_NEW_MAP_DRAWN, timeout=timeout_s * 1000, polling=100)
    except Exception:  # playwright TimeoutError
        return None
    return time.monotonic() - began


def _open(page, title: str, timeout_s: float) -> dict[str, object]:
    """Click ``title`` in the sidebar; seconds until a newly loaded map has a polygon."""
    page.evaluate(_MARK_OLD)
    began = time.monotonic()
    page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
    seconds = _wait_new_map(page, timeout_s)
    result: dict[str, object] = {
        "seconden": None if seconds is None else round(time.monotonic() - began, 2)
    }
    if seconds is not None:
        result["polygonen"] = max(page.evaluate(_PATHS) or [0])
        result["titel"] = page.locator("h1").first.inner_text(timeout=5_000)
    return result


def _choose_gemeente(page, code: str, timeout_s: float) -> dict[str, object]:
    """Pick ``code`` in the sidebar's Gemeente box; seconds until its new map has a polygon."""
    page.evaluate(_MARK_OLD)
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
    began = time.monotonic()
    box.click()
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    seconds = _wait_new_map(page, timeout_s)
    result: dict[str, object] = {
        "seconden": None if seconds is None else round(time.monotonic() - began, 2)
    }
    if seconds is not None:
        result["polygonen"] = max(page.evaluate(_PATHS) or [0])
        result["titel"] = page.locator("h1").first.inner_text(timeout=5_000)
    return result


def _browse(base: str, largest: str) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    out: dict[str, object] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("WIJKMONITOR_CHROMIUM", "/usr/bin/chromium"), args=ARGS
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1300})
        page.goto(base + "/", wait_until="domcontentloaded")
        page.get_by_label("Gebruikersnaam").fill("beheerder")
        page.get_by_label("Wachtwoord").fill(PASSWORD)
        began = time.monotonic()
        page.get_by_role("button", name="Inloggen").click()
        first = _wait_new_map(page, PAGE_TIMEOUT_S)
        out["login -> Overzicht (koud)"] = {
            "seconden": None if first is None else round(time.monotonic() - began, 2),
            "titel": page.locator("h1").first.inner_text(timeout=10_000),
        }
        out["Regio (koud)"] = _open(page, "Regio", PAGE_TIMEOUT_S)
        out["Overzicht (warm)"] = _open(page, "Overzicht", PAGE_TIMEOUT_S)
        if out["Regio (koud)"]["seconden"] is not None:  # type: ignore[index]
            out["Regio (warm)"] = _open(page, "Regio", PAGE_TIMEOUT_S)
            out["Overzicht (warm, opnieuw)"] = _open(page, "Overzicht", PAGE_TIMEOUT_S)
        out[f"Overzicht grootste gemeente {largest} (koud)"] = _choose_gemeente(
            page, largest, PAGE_TIMEOUT_S
        )
        page.close()
        browser.close()
    return out


def _profile_pages(url: str, sample: int) -> dict[str, object]:
    """What the pages compute, outside Streamlit: per gemeente, and the Regio loop extrapolated."""
    from indicators.publish import published_table

    from data import db, store
    from data.regions import load_regions
    from geo.simplify import simplify_coverage

    engine = db.make_engine(url)
    clock = Clock()
    with clock.part("gemeenten (alle gemeentevormen)"):
        store.load_areas(engine, levels=["gemeente"])
    members = load_regions(engine).iloc[0]["gemeenten"]
    step = max(1, len(members) // sample)
    chosen = members[::step][:sample]
    parts = {
        "load_areas + simplify": 0.0,
        "load_signals": 0.0,
        "load_deliveries": 0.0,
        "published_table": 0.0,
    }
    profile = cProfile.Profile()
    for gemeente in chosen:
        t = time.perf_counter()
        areas = simplify_coverage(
            store.load_areas(engine, indeling_jaar=2014, gemeenten=[gemeente]), tolerance_m=5.0
        )
        parts["load_areas + simplify"] += time.perf_counter() - t
        profile.enable()
        t = time.perf_counter()
        signals = store.load_signals(engine, gemeenten=[gemeente])
        parts["load_signals"] += time.perf_counter() - t
        t = time.perf_counter()
        deliveries = store.load_deliveries(engine, gemeenten=[gemeente])
        parts["load_deliveries"] += time.perf_counter() - t
        t = time.perf_counter()
        published_table(
            signals,
            deliveries,
            pd.DataFrame(areas.drop(columns="geometry")),
            indicator="illegale_bewoning",
        )
        parts["published_table"] += time.perf_counter() - t
        profile.disable()
    # What the Regio page now does: every gemeente of one indeling in one pass, one map layer.
    from data.publication.rebase import signals_on_indeling
    from geo.simplify import map_coverage, map_layer

    with clock.part("Regio: signalen alle gemeenten (1 indicator)"):
        signals = signals_on_indeling(
            engine, gemeenten=members, jaar=2014, indicators=["illegale_bewoning"]
        ).signals
    with clock.part("Regio: leveringen alle gemeenten"):
        deliveries = store.load_deliveries(
            engine, gemeenten=members, indicators=["illegale_bewoning"]
        )
    with clock.part("Regio: gebieden alle gemeenten"):
        all_areas = store.load_areas(engine, indeling_jaar=2014, gemeenten=members)
    with clock.part("Regio: published_table alle gemeenten samen"):
        published_table(
            signals,
            deliveries,
            pd.DataFrame(all_areas.drop(columns="geometry")),
            indicator="illegale_bewoning",
        )
    with clock.part("Regio: kaartlaag (map_coverage + map_layer)"):
        layer = map_layer(map_coverage(all_areas[all_areas["level"] == "buurt"]))
    clock.parts["Regio: kaartlaag bytes"] = layer.size
    engine.dispose()
    per = {k: round(v / len(chosen), 3) for k, v in parts.items()}
    stats = pstats.Stats(profile)
    top = sorted(stats.stats.items(), key=lambda kv: -kv[1][3])[:12]  # type: ignore[attr-defined]
    return {
        "steekproef_gemeenten": len(chosen),
        "per_gemeente_s": per,
        "oude_weg_per_gemeente_alle_gemeenten_geschat_s": round(
            sum(per.values()) * len(members), 1
        ),
        "gemeenten": len(members),
        "profiel_top_cumulatief": [
            f"{Path(f).name}:{line} {name} {round(v[3], 2)} s" for (f, line, name), v in top
        ],
        "eenmalig": clock.parts,
    }


def step_dashboard(cache: Path) -> None:
    clock = Clock()
    with clock.part("database bouwen (eenmalig, gecached)"):
        target = build_database(cache)
    url = f"sqlite:///{target}"
    with clock.part("profiel buiten Streamlit"):
        profile = _profile_pages(url, sample=20)
    areas = pd.read_parquet(cache / "areas.parquet", columns=["level", "gemeentecode"])
    largest = str(areas[areas["level"] == "buurt"]["gemeentecode"].value_counts().idxmax())
    process, base, health = _serve(url, cache / "serve.log")
    try:
        with clock.part("Chromium"):
            pages = _browse(base, largest)
    finally:
        _stop(process)
    emit(
        "dashboard",
        clock.total(),
        parts=clock.parts,
        serve_health_s=round(health, 2),
        paginas=pages,
        profiel=profile,
        timeout_s=PAGE_TIMEOUT_S,
    )
