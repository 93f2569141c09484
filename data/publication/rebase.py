"""Signals on one indeling: figures delivered on the buurten of another indeling are re-based."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import pandas as pd
from sqlalchemy import Connection, Engine, select

from data import db, store
from geo.rebase import address_weights, area_weights, rebase_signals


def signals_on_indeling(
    engine: Connection | Engine,
    *,
    gemeenten: Sequence[str],
    jaar: int,
    indicators: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, str]:
    """The gemeenten's signals on the buurten of indeling ``jaar``, and a Dutch note on re-basing.

    ``indicators`` limits the signals loaded (all when None).

    Signals on buurtcodes of another stored indeling are split over the buurten of ``jaar`` by
    addresses (where both indelingen have assigned addresses) or else by area. Codes of no
    stored indeling are left out, and the note says so.
    """
    signals = store.load_signals(engine, gemeenten=gemeenten, indicators=indicators)
    areas = store.load_areas(engine, gemeenten=gemeenten, levels=["buurt"])
    current = areas[areas["indeling_jaar"] == jaar]
    foreign = signals[~signals["buurtcode"].isin(current["code"])]
    if foreign.empty:
        return signals, ""
    notes = []
    for year in sorted(set(areas["indeling_jaar"]) - {jaar}):
        old = areas[areas["indeling_jaar"] == year]
        codes = set(foreign["buurtcode"]) & set(old["code"])
        if not codes:
            continue
        weights = address_weights(
            _links(engine, sorted(codes | set(current["code"]))), van=year, naar=jaar
        )
        missing = codes - set(weights["van_code"])
        how = "adresgewogen"
        if missing:
            by_area = area_weights(gpd.GeoDataFrame(old[old["code"].isin(missing)]), current)
            weights = pd.concat([weights, by_area], ignore_index=True)
            how = (
                "adresgewogen, waar adressen ontbreken op oppervlakte"
                if len(weights) > len(by_area)
                else "op oppervlakte"
            )
        rows = signals["buurtcode"].isin(codes)
        notes.append(f"{int(rows.sum())} rijen van indeling {year} omgerekend naar {jaar} ({how})")
        signals = rebase_signals(signals, weights)
    unknown = ~signals["buurtcode"].isin(current["code"])
    if unknown.any():
        notes.append(f"{int(unknown.sum())} rijen op onbekende buurtcodes weggelaten")
        signals = signals[~unknown]
    return signals.reset_index(drop=True), "; ".join(notes)


def _links(conn: Connection | Engine, codes: list[str]) -> pd.DataFrame:
    t = db.address_buurten
    query = select(t.c.bag_id, t.c.indeling_jaar, t.c.buurtcode).where(t.c.buurtcode.in_(codes))
    return store.read_frame(conn, query)
