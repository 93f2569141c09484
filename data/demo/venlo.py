"""The demo database: real Venlo buurten and wijken (indeling 2024) with fictional figures.

Everything in it except the area shapes and names is synthetic and says so (meta ``demo`` = 1,
shown as "Demodata (fictief)"). The generator is deterministic (one ``numpy.random.default_rng``
with ``SEED``) and idempotent: ``build_demo`` first empties the data tables (users and the audit
log stay), then writes

1. the 114 buurten and 21 wijken of Venlo from the shipped CBS files, with synthetic key figures
   (inwoners, woningen, huishoudens, uitkeringen) by buurt type and area;
2. one synthetic BAG-like verblijfsobject per woning, strictly inside its buurt;
3. monthly partner signals 2019-01..2024-12 for every delivered indicator, with the delivery
   record per bron, indicator and month, and deliberate gaps (``NIET_GELEVERD``);
4. the intervention "Wijkgerichte aanpak Klingerberg" with a known true effect (``EFFECTEN``)
   and a small waterbed effect in the ring around it (``WATERBED``);
5. the meta rows ``demo``, ``demo_seed`` and ``peildatum``.

The parameters live in ``data.demo.params`` (with the true effect,
``EXPECTED_EFFECT_ILLEGALE_BEWONING``; see docs/demo.md), the pure generator in
``data.demo.generate``; this module writes what they make to the database.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import Engine, Table, func, select

from data import db, meta, store
from data.demo.findings import import_demo_findings
from data.demo.generate import (
    intervention_frame,
    make_addresses,
    make_deliveries,
    make_signals,
    with_key_figures,
)
from data.demo.params import (
    BEHANDELD,
    BUURT_FILE,
    FASE2,
    INDELING_JAAR,
    PEILDATUM,
    RING_BUFFER_M,
    SEED,
    WIJK_FILE,
)
from data.demo.regio import REGIO_ID, build_regional, store_regional_signals
from data.demo.write import store_deliveries
from data.publication.read import publish_all
from data.publication.scope import region_cluster
from data.settings import FILES
from geo.areas import AREA_COLUMNS, normalise_areas
from geo.crs import RD
from geo.errors import InputError, WijkmonitorError
from indicators.comparison import ring_buurten


@dataclass(frozen=True)
class DemoSummary:
    """What ``build_demo`` wrote."""

    buurten: int
    wijken: int
    gemeenten: int
    addresses: int
    signal_rows: int
    regio_buurten: int
    deliveries: int
    ring: tuple[str, ...]
    seconds: float


# --- building ------------------------------------------------------------------------------------


def build_demo(
    engine: Engine, *, progress: Callable[[str], None] | None = None, publish: bool = True
) -> DemoSummary:
    """Build the demo database on ``engine``: replaces all data, keeps users and the audit log.

    Deterministic (``SEED``) and idempotent. ``progress`` receives a short Dutch message per step.
    With ``publish`` the region's publication is computed and stored last, so that the first
    visitor of the dashboard does not wait for it.
    """
    began = time.perf_counter()
    say = progress or (lambda _message: None)
    rng = np.random.default_rng(SEED)

    say("Database leegmaken")
    with engine.begin() as conn:
        real = meta.real_deliveries(conn)
        if real:
            raise InputError(
                "Deze database bevat echte leveringen; de demo zou ze wissen. Kies een andere "
                "database met --db of WIJKMONITOR_DB."
            )
        store.clear_all(conn)

    say("Buurten en wijken laden")
    raw_buurten = gpd.read_file(FILES / BUURT_FILE, engine="pyogrio")
    raw_wijken = gpd.read_file(FILES / WIJK_FILE, engine="pyogrio")
    buurten = normalise_areas(raw_buurten, jaar=INDELING_JAAR)
    wijken = normalise_areas(raw_wijken, jaar=INDELING_JAAR)
    missing = [b for b in (*BEHANDELD, *FASE2) if b not in set(buurten["code"])]
    if missing:
        raise WijkmonitorError(f"Demobuurten ontbreken in {BUURT_FILE}: {', '.join(missing)}")
    buurten = with_key_figures(buurten, rng)
    areas = gpd.GeoDataFrame(pd.concat([buurten, wijken], ignore_index=True), crs=RD)
    stored = store.save_areas(engine, areas[AREA_COLUMNS])
    stored_buurten = stored[stored["level"] == "buurt"].sort_values("code").reset_index(drop=True)
    ring = ring_buurten(stored_buurten, BEHANDELD, distance_m=RING_BUFFER_M)

    with engine.begin() as conn:
        say("Adressen maken")
        addresses = make_addresses(stored_buurten, rng)
        store.save_addresses(conn, addresses, indeling_jaar=INDELING_JAAR)

        say("Signalen maken")
        signals = make_signals(stored_buurten, ring, rng)
        deliveries = make_deliveries()
        store_deliveries(conn, signals, deliveries, label="demo:")

        say("Interventie vastleggen")
        store.save_interventions(conn, intervention_frame())
        meta.set_meta(conn, "demo", "1")
        meta.set_meta(conn, "demo_seed", str(SEED))
        meta.set_meta(conn, "peildatum", PEILDATUM)

    say("Controleavonden Klingerberg importeren (adresbevindingen)")
    import_demo_findings(engine, np.random.default_rng(SEED + 2))

    say("Regio maken: Beesel en Peel en Maas (indeling 2014), regio rpf-demo")
    regional_rng = np.random.default_rng(SEED + 1)  # its own stream: Venlo stays as it was
    regional = build_regional(engine, regional_rng)
    with engine.begin() as conn:
        store_regional_signals(conn, regional, regional_rng)

    if publish:
        say("Cijfers beveiligen voor publicatie (eenmalig, ongeveer een minuut)")
        cluster, _ = region_cluster(engine, REGIO_ID)
        publish_all(engine, cluster)

    levels = stored["level"].value_counts()
    summary = DemoSummary(
        buurten=int(levels.get("buurt", 0)),
        wijken=int(levels.get("wijk", 0)),
        gemeenten=int(levels.get("gemeente", 0)),
        addresses=len(addresses),
        signal_rows=_count(engine, db.signals),
        regio_buurten=len(regional),
        deliveries=len(deliveries),
        ring=tuple(ring),
        seconds=round(time.perf_counter() - began, 2),
    )
    say(
        f"Klaar: {summary.buurten} buurten, {summary.addresses} adressen, "
        f"{summary.signal_rows} signaalrijen in {summary.seconds:.1f} s"
    )
    return summary


def _count(engine: Engine, table: Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())
