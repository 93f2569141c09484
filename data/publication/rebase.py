"""Signals on one indeling: figures delivered on the buurten of another indeling are re-based."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import pandas as pd
from sqlalchemy import Connection, Engine, select

from data import db, frames, store
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


def exact_unions(
    engine: Connection | Engine, gemeenten: dict[str, int], codes: Sequence[str]
) -> dict[str, tuple[str, ...]]:
    """Per code of a buurt or wijk of an earlier indeling (of ``gemeenten``: gemeente -> the
    indeling it is published on now): the current buurten that together hold exactly its
    addresses, where there are such.

    Re-based by addresses, such an old area's count is the sum of the counts of those buurten
    (a renumbered buurt: one; a split one: its parts), so what a release showed of it is a sum
    over the current table. Left out: codes whose buurten re-base without addresses (by area),
    whose current buurten also hold addresses of other old buurten (a merge or a moved border:
    no sum of current buurten), or whose code meant different buurten in two indelingen.
    """
    a = db.areas.c
    query = select(a.code, a.level, a.parent_code, a.gemeentecode, a.indeling_jaar).where(
        a.gemeentecode.in_(list(gemeenten)) & a.level.in_(["buurt", "wijk"])
    )
    areas = store.read_frame(engine, query)
    areas["jaar_nu"] = areas["gemeentecode"].map(gemeenten)
    areas["nu"] = areas["indeling_jaar"].astype(int) == areas["jaar_nu"].astype(int)
    old = areas[~areas["nu"] & areas["code"].isin(list(codes))]
    if old.empty:
        return {}
    buurten = areas[areas["level"] == "buurt"]
    links = _links(engine, sorted(set(buurten["code"])))
    current = buurten.loc[buurten["nu"], ["code", "indeling_jaar"]].astype({"indeling_jaar": int})
    new_of = links.astype({"indeling_jaar": int}).merge(
        current, left_on=["buurtcode", "indeling_jaar"], right_on=["code", "indeling_jaar"]
    )
    out: dict[str, tuple[str, ...]] = {}
    for code, versions in old.groupby("code"):
        unions = set()
        for row in frames.rows(versions):
            jaar = int(row.indeling_jaar)
            same = buurten[buurten["indeling_jaar"].astype(int) == jaar]
            members = (
                [row.code]
                if row.level == "buurt"
                else list(same.loc[same["parent_code"] == row.code, "code"])
            )
            then = links[links["indeling_jaar"].astype(int) == jaar]
            unions.add(_exact(then, new_of, members))
        if len(unions) == 1 and (union := unions.pop()):
            out[str(code)] = union
    return out


def _exact(old_links: pd.DataFrame, new_of: pd.DataFrame, members: list[str]) -> tuple[str, ...]:
    """The current buurten holding exactly the addresses of the old buurten ``members`` (each
    with addresses in both indelingen); () where there are none."""
    pairs = old_links[["bag_id", "buurtcode"]].merge(
        new_of[["bag_id", "buurtcode"]], on="bag_id", suffixes=("_van", "_naar")
    )
    inside = pairs["buurtcode_van"].isin(members)
    if not members or not set(members) <= set(pairs.loc[inside, "buurtcode_van"]):
        return ()
    union = set(pairs.loc[inside, "buurtcode_naar"])
    if pairs.loc[pairs["buurtcode_naar"].isin(union), "buurtcode_van"].isin(members).all():
        return tuple(sorted(union))
    return ()
