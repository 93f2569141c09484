"""Signals on one indeling: figures delivered on the buurten of another indeling are re-based."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
from sqlalchemy import Connection, Engine, select

from data import db, frames, store
from geo.rebase import address_weights, area_weights, rebase_signals

HERKOMST = "herkomst"  # the buurtcode a re-based signal row was delivered on


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
    # Each row keeps the buurt it was delivered on (``HERKOMST``): a merged buurt's old parts
    # stay apart in the protection (``data.publication.cells.merged_parts``).
    signals = signals.assign(**{HERKOMST: signals["buurtcode"]})
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


@dataclass(frozen=True)
class OldAreas:
    """How buurten and wijken of earlier indelingen relate to the current buurten, by addresses
    (``old_areas``).

    ``unions``: old code -> the current buurten that together hold exactly its addresses (a
    renumbered buurt: one; a split one: its parts; a wijk whose buurten were re-divided inside
    it): re-based, its count is their sum. ``merged``: old buurt -> the current buurt it lies in
    wholly, together with the other old buurten of that buurt and nothing else (a merge): the
    current buurt's count is the sum of theirs."""

    unions: dict[str, tuple[str, ...]]
    merged: dict[str, str]


def old_areas(
    engine: Connection | Engine, gemeenten: dict[str, int], codes: Sequence[str]
) -> OldAreas:
    """``OldAreas`` for the ``codes`` of earlier indelingen of ``gemeenten`` (gemeente -> the
    indeling it is published on now). Left out: codes whose buurten re-base without addresses
    (by area), or whose border moved (no sum either way), or that meant different buurten in two
    indelingen."""
    a = db.areas.c
    query = select(a.code, a.level, a.parent_code, a.gemeentecode, a.indeling_jaar).where(
        a.gemeentecode.in_(list(gemeenten)) & a.level.in_(["buurt", "wijk"])
    )
    areas = store.read_frame(engine, query)
    if areas.empty:
        return OldAreas({}, {})
    areas["indeling_jaar"] = areas["indeling_jaar"].astype(int)
    areas["nu"] = areas["indeling_jaar"] == areas["gemeentecode"].map(gemeenten).astype(int)
    old = areas[~areas["nu"] & areas["code"].isin(list(codes))]
    if old.empty:
        return OldAreas({}, {})
    buurten = areas[areas["level"] == "buurt"]
    links = _links(engine, sorted(set(buurten["code"]))).astype({"indeling_jaar": int})
    current = buurten.loc[buurten["nu"], ["code", "indeling_jaar"]]
    new_of = links.merge(
        current, left_on=["buurtcode", "indeling_jaar"], right_on=["code", "indeling_jaar"]
    )[["bag_id", "buurtcode"]]
    unions: dict[str, set[tuple[str, ...]]] = {}
    merged: dict[str, set[str]] = {}
    for jaar in sorted(set(old["indeling_jaar"])):
        versions = old[old["indeling_jaar"] == jaar]
        then = links[links["indeling_jaar"] == jaar][["bag_id", "buurtcode"]]
        pairs = then.merge(new_of, on="bag_id", suffixes=("_van", "_naar"))
        same = buurten[buurten["indeling_jaar"] == jaar]
        for row in frames.rows(versions):
            members = (
                [row.code]
                if row.level == "buurt"
                else list(same.loc[same["parent_code"] == row.code, "code"])
            )
            unions.setdefault(str(row.code), set()).add(_exact(pairs, members))
        into = _merges(pairs)
        wanted = {into[c] for c in versions["code"] if c in into}
        for old_code, new_code in into.items():
            if new_code in wanted:  # every part of a merge, released or not
                merged.setdefault(old_code, set()).add(new_code)
    return OldAreas(
        {c: u.pop() for c, u in unions.items() if len(u) == 1 and next(iter(u))},
        {c: m.pop() for c, m in merged.items() if len(m) == 1},
    )


def _exact(pairs: pd.DataFrame, members: list[str]) -> tuple[str, ...]:
    """The current buurten holding exactly the addresses of the old buurten ``members`` (each
    with addresses in both indelingen); () where there are none. ``pairs``: per address its old
    (``buurtcode_van``) and current (``buurtcode_naar``) buurt."""
    inside = pairs["buurtcode_van"].isin(members)
    if not members or not set(members) <= set(pairs.loc[inside, "buurtcode_van"]):
        return ()
    union = set(pairs.loc[inside, "buurtcode_naar"])
    if pairs.loc[pairs["buurtcode_naar"].isin(union), "buurtcode_van"].isin(members).all():
        return tuple(sorted(union))
    return ()


def _merges(pairs: pd.DataFrame) -> dict[str, str]:
    """Old buurt -> current buurt, for current buurten that are a sum of two or more whole old
    buurten (each old one wholly inside, nothing else in it)."""
    links = pairs[["buurtcode_van", "buurtcode_naar"]].drop_duplicates()
    targets = links.groupby("buurtcode_van")["buurtcode_naar"].nunique()
    whole = set(targets[targets == 1].index)
    origins = links.groupby("buurtcode_naar")["buurtcode_van"].agg(set)
    return {
        old: str(new)
        for new, olds in origins.items()
        if len(olds) >= 2 and olds <= whole
        for old in olds
    }
