"""The regional part of the demo: Beesel and Peel en Maas beside Venlo, region ``rpf-demo``.

Both come from the national 2014 file (indeling 2014, and shown as such: their buurtcodes are
those of 2014) with their own fictional key figures and signals for 2019-01..2024-12, made by
the same generator as Venlo's (``data.demo.generate.make_signals``) without an intervention.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine

from data import regions, store
from data.demo.generate import make_deliveries, make_signals
from data.demo.params import GEMEENTE
from data.demo.write import store_deliveries
from data.settings import FILES
from geo.areas import AREA_COLUMNS, normalise_areas
from geo.crs import RD

REGIO_ID = "rpf-demo"
REGIO_NAAM = "RPF Limburg-Noord (demo)"
INDELING_JAAR = 2014
BUURT_FILE = "cbs_buurt_2014_nl_wgs84_q1e3.topojson"
WIJK_FILE = "cbs_wijk_2014_nl_wgs84_q1e3.topojson"
# Fictional totals in the order of magnitude of the real gemeenten.
GEMEENTEN: dict[str, dict[str, int]] = {
    "GM0889": {"inwoners": 13_500, "woningen": 6_300, "huishoudens": 6_000, "uitkeringen": 1_700},
    "GM1894": {"inwoners": 44_000, "woningen": 18_600, "huishoudens": 18_000, "uitkeringen": 5_600},
}


def _key_figures(
    buurten: gpd.GeoDataFrame, totals: dict[str, int], rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """Spread the gemeente totals over its buurten (weights: lognormal by buurt)."""
    weights = rng.lognormal(0.0, 0.7, len(buurten))
    usable = ~buurten.geometry.is_empty.to_numpy()
    weights = np.where(usable, weights, 0.05)  # a buurt without shape still has a few homes
    out = buurten.copy()
    for figure, total in totals.items():
        share = weights / weights.sum()
        values = np.floor(share * total)
        values[np.argmax(values)] += total - values.sum()
        out[figure] = pd.array(values, dtype="Float64")
    return out


def build_regional(engine: Engine, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Store Beesel and Peel en Maas (indeling 2014) and return their stored buurten."""
    raw_buurten = gpd.read_file(f"TopoJSON:{FILES / BUURT_FILE}", engine="pyogrio")
    raw_wijken = gpd.read_file(f"TopoJSON:{FILES / WIJK_FILE}", engine="pyogrio")
    parts = []
    for gemeente, totals in GEMEENTEN.items():
        buurten = normalise_areas(raw_buurten, jaar=INDELING_JAAR, gemeente=gemeente)
        wijken = normalise_areas(raw_wijken, jaar=INDELING_JAAR, gemeente=gemeente)
        parts += [_key_figures(buurten, totals, rng), wijken]
    areas = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=RD)
    stored = store.save_areas(engine, areas[AREA_COLUMNS])
    return stored[stored["level"] == "buurt"].sort_values("code").reset_index(drop=True)


def store_regional_signals(
    conn: Connection, buurten: gpd.GeoDataFrame, rng: np.random.Generator
) -> int:
    """Signals and deliveries for the regional gemeenten; returns the number of signal rows."""
    total = 0
    for gemeente in GEMEENTEN:
        own = buurten[buurten["gemeentecode"] == gemeente].reset_index(drop=True)
        signals = make_signals(own, [], rng)
        store_deliveries(conn, signals, make_deliveries(gemeente), label=f"demo:{gemeente}:")
        total += len(signals)
    regions.add_region(conn, REGIO_ID, naam=REGIO_NAAM, gemeenten=[GEMEENTE, *GEMEENTEN])
    return total
