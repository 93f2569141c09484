"""Signals on one indeling: figures delivered on the buurten of another indeling are re-based."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import Connection, Engine, select

from data import db, frames, store
from geo.rebase import (
    HERKOMST,
    address_weights,
    area_weights,
    best_fit,
    joined_since,
    rebase_signals,
    same_place,
)


class Rebased(NamedTuple):
    """Signals on one indeling (``signals_on_indeling``)."""

    signals: pd.DataFrame
    note: str  # how they were re-based, in Dutch ('' when not needed)
    unplaced: tuple[str, ...] = ()  # buurtcodes whose signals were left out (no place found)


def signals_on_indeling(
    engine: Connection | Engine,
    *,
    gemeenten: Sequence[str],
    jaar: int,
    indicators: Sequence[str] | None = None,
) -> Rebased:
    """The gemeenten's signals on the buurten of indeling ``jaar``, a Dutch note on re-basing,
    and the codes whose signals were left out.

    ``indicators`` limits the signals loaded (all when None).

    Signals on buurtcodes of another stored indeling go wholly to the buurt of ``jaar`` that
    holds most of the old buurt's addresses (where both indelingen have assigned addresses) or
    else most of its area (``geo.rebase.best_fit``). Codes of no
    stored indeling are left out, and the note says so.
    """
    signals = store.load_signals(engine, gemeenten=gemeenten, indicators=indicators)
    areas = store.load_areas(engine, gemeenten=gemeenten, levels=["buurt"])
    current = areas[areas["indeling_jaar"] == jaar]
    foreign = signals[~signals["buurtcode"].isin(current["code"])]
    if foreign.empty:
        return Rebased(signals, "")
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
        # only the codes this indeling no longer has: signals on a current code stay on it
        weights = weights[weights["van_code"].isin(codes)]
        missing = codes - set(weights["van_code"])
        how = "elke oude buurt geheel naar de nieuwe buurt met de meeste van haar adressen"
        if missing:
            by_area = area_weights(gpd.GeoDataFrame(old[old["code"].isin(missing)]), current)
            weights = pd.concat([weights, by_area], ignore_index=True)
            how = (
                f"{how}, zonder adressen naar die met het grootste deel van haar oppervlakte"
                if len(weights) > len(by_area)
                else "elke oude buurt geheel naar de nieuwe buurt met het grootste deel van haar"
                " oppervlakte"
            )
        # No number of rows: a row exists only where a count is above 0, and every user
        # reads the note (how many counts of the old buurten were not 0 is not published).
        notes.append(f"signalen van indeling {year} omgerekend naar {jaar} ({how})")
        signals = rebase_signals(signals, best_fit(weights))
    unknown = ~signals["buurtcode"].isin(current["code"])
    unplaced = tuple(sorted(set(signals.loc[unknown, "buurtcode"].astype(str))))
    if unknown.any():
        notes.append("signalen op onbekende buurtcodes weggelaten")
        signals = signals[~unknown]
    return Rebased(signals.reset_index(drop=True), "; ".join(notes), unplaced)


def joined_buurten(engine: Connection | Engine, gemeente: str, jaar: int) -> dict[str, str]:
    """Buurten of ``gemeente`` on indeling ``jaar`` that came to it later than its earliest stored
    indeling (a herindeling in which it kept its code), each with the first month it belongs to
    the gemeente (``geo.rebase.joined_since``). Before that month its partners' deliveries did
    not cover the buurt, so it has no figure there ("."), not a 0."""
    a = db.areas.c
    years = store.read_frame(
        engine, select(a.indeling_jaar).where(a.gemeentecode == gemeente).distinct()
    )
    if len(years) < 2:
        return {}
    areas = store.load_areas(engine, gemeenten=[gemeente], levels=["buurt"])
    by_year = {int(y): gpd.GeoDataFrame(f) for y, f in areas.groupby("indeling_jaar")}
    current = by_year.pop(jaar, gpd.GeoDataFrame(areas.iloc[:0]))
    # Most new indelingen move no gemeente border: only for buurten outside the gemeente's old
    # place are the other gemeenten's shapes read.
    if not joined_since(current, by_year, jaar):
        return {}
    shapes = store.gemeente_shapes(engine)
    shapes = shapes[(shapes["gemeentecode"] != gemeente) | (shapes["indeling_jaar"] == jaar)]
    before = same_place(shapes, [gemeente])["ander"]
    others = shapes[shapes["gemeentecode"].isin(before) & (shapes["indeling_jaar"] < jaar)]
    if others.empty:
        return {}
    return joined_since(current, by_year, jaar, shapely.union_all(others["geometry"].to_numpy()))


def _links(conn: Connection | Engine, codes: list[str]) -> pd.DataFrame:
    t = db.address_buurten
    query = select(t.c.bag_id, t.c.indeling_jaar, t.c.buurtcode).where(t.c.buurtcode.in_(codes))
    return store.read_frame(conn, query)


@dataclass(frozen=True)
class OldAreas:
    """How buurten and wijken of earlier indelingen relate to the current buurten when re-based
    (each old buurt wholly to the current buurt with most of its addresses: ``geo.rebase.
    best_fit``; ``old_areas``).

    ``unions``: old code -> the current buurten its buurten go to, where no other old buurt goes
    to them (a renumbered buurt, a split or moved one: one; a wijk whose buurten were re-divided
    inside it: several): re-based, its count is their sum. ``merged``: old buurt -> the current
    buurt it goes to together with other old buurten (a merge, or a border moved onto a buurt):
    the current buurt's count is the sum of theirs. ``sums``: old wijk -> its old buurten, for a
    wijk that is no union but whose buurten each are one, a merged part (a buurt merged into
    one of another wijk) or a current buurt: its count is the sum of theirs."""

    unions: dict[str, tuple[str, ...]]
    merged: dict[str, str]
    sums: dict[str, tuple[str, ...]] = field(default_factory=dict)


def old_areas(
    engine: Connection | Engine,
    gemeenten: dict[str, int],
    codes: Sequence[str],
    *,
    jaar: int | None = None,
) -> OldAreas:
    """``OldAreas`` for the ``codes`` of earlier indelingen of ``gemeenten`` (gemeente -> the
    indeling it is published on now). Old buurten go where ``signals_on_indeling`` sends their
    signals: to the current buurt with most of their addresses, without addresses most of their
    area; a code the current indeling still has, to itself. Left out: codes that meant
    different buurten in two indelingen. ``jaar``: only the areas of that earlier indeling."""
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
    if jaar is not None:
        old = old[old["indeling_jaar"] == jaar]
    if old.empty:
        return OldAreas({}, {})
    buurten = areas[areas["level"] == "buurt"]
    links = _links(engine, sorted(set(buurten["code"]))).astype({"indeling_jaar": int})
    current = buurten.loc[buurten["nu"], ["code", "indeling_jaar"]]
    kept = set(current["code"].astype(str))
    new_of = links.merge(
        current, left_on=["buurtcode", "indeling_jaar"], right_on=["code", "indeling_jaar"]
    )[["bag_id", "buurtcode"]]
    unions: dict[str, set[tuple[str, ...]]] = {}
    merged: dict[str, set[str]] = {}
    wijken: dict[str, set[tuple[str, ...]]] = {}
    itself: set[str] = set()  # old buurten that are the current buurt of the same code
    for year in sorted(set(old["indeling_jaar"])):
        versions = old[old["indeling_jaar"] == year]
        then = links[links["indeling_jaar"] == year][["bag_id", "buurtcode"]]
        fit = _fit(then.merge(new_of, on="bag_id", suffixes=("_van", "_naar")))
        same = buurten[buurten["indeling_jaar"] == year]
        by_area = sorted(set(same.loc[same["level"] == "buurt", "code"].astype(str)) - set(fit))
        if by_area:  # as ``signals_on_indeling``: without addresses, by area
            fit.update(_area_fit(engine, gemeenten, year, by_area))
        # as ``signals_on_indeling``: signals on a code of the current indeling stay on it
        fit.update({c: c for c in then["buurtcode"].astype(str) if c in kept})
        origins: dict[str, set[str]] = {}
        for van, naar in fit.items():
            origins.setdefault(naar, set()).add(van)
        for row in frames.rows(versions):
            members = (
                [str(row.code)]
                if row.level == "buurt"
                else [str(c) for c in same.loc[same["parent_code"] == row.code, "code"]]
            )
            targets = {fit[m] for m in members if m in fit}
            closed = all(m in fit for m in members) and all(
                origins[t] <= set(members) for t in targets
            )
            unions.setdefault(str(row.code), set()).add(
                tuple(sorted(targets)) if members and closed else ()
            )
            if row.level == "wijk":
                wijken.setdefault(str(row.code), set()).add(tuple(sorted(members)))
                itself |= {m for m in members if fit.get(m) == m and origins[m] == {m}}
        wanted = {fit[c] for c in versions["code"] if c in fit}
        for new_code, olds in origins.items():
            if new_code in wanted and len(olds) >= 2:  # every part of a merge, released or not
                for old_code in olds:
                    merged.setdefault(old_code, set()).add(new_code)
    exact = {c: u.pop() for c, u in unions.items() if len(u) == 1 and next(iter(u))}
    parts = {c: m.pop() for c, m in merged.items() if len(m) == 1}
    sums = {
        wijk: members
        for wijk, found in wijken.items()
        if wijk not in exact and len(found) == 1
        for members in found
        if members and all(b in exact or b in parts or b in itself for b in members)
    }
    return OldAreas(exact, parts, sums)


def _area_fit(
    engine: Connection | Engine, gemeenten: dict[str, int], jaar: int, codes: list[str]
) -> dict[str, str]:
    """Old buurt -> the current buurt with most of its area (``geo.rebase.best_fit``), for the
    ``codes`` of indeling ``jaar``."""
    areas = store.load_areas(engine, gemeenten=list(gemeenten), levels=["buurt"])
    old = areas[(areas["indeling_jaar"] == jaar) & areas["code"].isin(codes)]
    now = areas[areas["indeling_jaar"] == areas["gemeentecode"].map(gemeenten)]
    if old.empty or now.empty:
        return {}
    fit = best_fit(area_weights(gpd.GeoDataFrame(old), gpd.GeoDataFrame(now)))
    return {str(v): str(n) for v, n in zip(fit["van_code"], fit["naar_code"], strict=True)}


def _fit(pairs: pd.DataFrame) -> dict[str, str]:
    """Old buurt -> the current buurt its counts go to when re-based (``geo.rebase.best_fit``):
    the one holding most of its addresses. ``pairs``: per address its old (``buurtcode_van``)
    and current (``buurtcode_naar``) buurt."""
    counts = (
        pairs.groupby(["buurtcode_van", "buurtcode_naar"])
        .size()
        .rename("gewicht")
        .reset_index()
        .rename(columns={"buurtcode_van": "van_code", "buurtcode_naar": "naar_code"})
    )
    fit = best_fit(counts)
    return {str(v): str(n) for v, n in zip(fit["van_code"], fit["naar_code"], strict=True)}
