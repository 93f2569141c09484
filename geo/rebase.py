"""Re-base figures across a change of buurt division (indeling), explicitly and checkably.

The shares of each buurt of one indeling in the buurten of another follow its addresses
(preferred: people live at addresses) or, without addresses, its area. A count delivered on an
old buurt goes wholly to the new buurt with the largest share (``best_fit``): re-based counts
stay whole, and every count published on the new buurten is a sum of delivered ones. Splitting a
count by its shares would publish weighted sums that an outsider who knows the shares (public
addresses) solves together with what was published on the old buurten (docs/methoden.md). The
screen says that figures were re-based and how.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import RD, check_frame

WEIGHT_COLUMNS = ["van_code", "naar_code", "gewicht"]
HERKOMST = "herkomst"  # the buurtcode a re-based signal row was delivered on
# Two gemeentecodes on different indelingen are the same place (a gemeentelijke herindeling) when
# their overlap is at least this share of the smaller one: a border correction between
# neighbours moves less, and quantised shapes overlap their neighbours by slivers only.
SAME_PLACE = 0.05


def address_weights(links: pd.DataFrame, *, van: int, naar: int) -> pd.DataFrame:
    """Share of each ``van`` buurt's addresses that lie in each ``naar`` buurt.

    ``links``: ``bag_id, indeling_jaar, buurtcode`` (an address's buurt per indeling). Returns
    ``WEIGHT_COLUMNS``; per ``van_code`` the weights sum to 1. Buurten without addresses in
    both indelingen are absent (use ``area_weights`` for them).
    """
    old = links.loc[links["indeling_jaar"] == van, ["bag_id", "buurtcode"]]
    new = links.loc[links["indeling_jaar"] == naar, ["bag_id", "buurtcode"]]
    pairs = old.merge(new, on="bag_id", suffixes=("_van", "_naar"))
    counts = pairs.groupby(["buurtcode_van", "buurtcode_naar"]).size().rename("n").reset_index()
    counts["gewicht"] = counts["n"] / counts.groupby("buurtcode_van")["n"].transform("sum")
    counts = counts.rename(columns={"buurtcode_van": "van_code", "buurtcode_naar": "naar_code"})
    return counts[WEIGHT_COLUMNS].sort_values(["van_code", "naar_code"], ignore_index=True)


def area_weights(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame) -> pd.DataFrame:
    """Share of each old buurt's area inside each new buurt (both EPSG:28992, column ``code``)."""
    check_frame(old, crs=RD, columns=["code"])
    check_frame(new, crs=RD, columns=["code"])
    usable_old = old[~old.geometry.is_empty][["code", "geometry"]]
    usable_new = new[~new.geometry.is_empty][["code", "geometry"]]
    pieces = gpd.overlay(usable_old, usable_new, how="intersection", keep_geom_type=True)
    pieces["area"] = pieces.geometry.area
    pieces = pieces[pieces["area"] > 1.0]  # slivers from generalisation are no real overlap
    total = pieces.groupby("code_1")["area"].transform("sum")
    out = pd.DataFrame(
        {
            "van_code": pieces["code_1"],
            "naar_code": pieces["code_2"],
            "gewicht": pieces["area"] / total,
        }
    )
    return out.sort_values(["van_code", "naar_code"], ignore_index=True)


def best_fit(weights: pd.DataFrame) -> pd.DataFrame:
    """Each ``van_code`` wholly (``gewicht`` 1) to its ``naar_code`` with the largest weight;
    on a tie, the lowest code."""
    if weights.empty:
        return weights[WEIGHT_COLUMNS].copy()
    ranked = weights.sort_values(
        ["van_code", "gewicht", "naar_code"], ascending=[True, False, True], kind="stable"
    )
    best = ranked.drop_duplicates("van_code").assign(gewicht=1.0)
    return best[WEIGHT_COLUMNS].reset_index(drop=True)


def rebase_signals(signals: pd.DataFrame, weights: pd.DataFrame) -> pd.DataFrame:
    """Move signals of ``van_code`` buurten to ``naar_code`` buurten, split by ``gewicht``.

    ``signals``: ``buurtcode, teller, noemer`` and any other columns. Rows whose buurtcode is
    not a ``van_code`` pass unchanged; split rows keep their other columns. A delivered
    noemer is split like the teller (both are counts in the old buurt).
    """
    moving = signals["buurtcode"].isin(weights["van_code"])
    split = signals[moving].merge(weights, left_on="buurtcode", right_on="van_code")
    split["teller"] = split["teller"] * split["gewicht"]
    split["noemer"] = split["noemer"] * split["gewicht"]
    split["buurtcode"] = split["naar_code"]
    split = split.drop(columns=WEIGHT_COLUMNS)
    return pd.concat([signals[~moving], split[signals.columns]], ignore_index=True)


def same_place(shapes: pd.DataFrame, gemeenten: Sequence[str]) -> pd.DataFrame:
    """``gemeentecode, ander``: for each of ``gemeenten``, the other gemeentecodes that cover the
    same place on another indeling (``SAME_PLACE``): its predecessors or successors in a
    gemeentelijke herindeling. ``shapes``: ``gemeentecode, indeling_jaar, geometry`` (RD)."""
    pairs: list[tuple[str, str]] = []
    for g in gemeenten:
        own = shapes[shapes["gemeentecode"] == g]
        if own.empty:
            continue
        shape = shapely.union_all(own["geometry"].to_numpy())
        others = shapes[
            (shapes["gemeentecode"] != g) & ~shapes["indeling_jaar"].isin(own["indeling_jaar"])
        ]
        geoms = others["geometry"].to_numpy()
        touching = shapely.intersects(geoms, shape)
        overlap = shapely.area(shapely.intersection(geoms[touching], shape))
        smaller = np.minimum(shapely.area(geoms[touching]), shape.area)
        same = overlap >= SAME_PLACE * smaller
        pairs += [(g, str(h)) for h in others["gemeentecode"].to_numpy()[touching][same]]
    return pd.DataFrame(sorted(set(pairs)), columns=["gemeentecode", "ander"])


def joined_since(
    current: gpd.GeoDataFrame,
    earlier: dict[int, gpd.GeoDataFrame],
    jaar: int,
    predecessors: shapely.Geometry | None = None,
) -> dict[str, str]:
    """The first month each current buurt belongs to its gemeente, where that is later than its
    earliest stored indeling: a buurt taken over in a herindeling (``"2025-01"``).

    ``current``: the gemeente's buurten on indeling ``jaar``; ``earlier``: its buurten on each
    earlier stored indeling; ``predecessors``: the shapes of the other gemeenten that covered
    part of its place on an earlier indeling (``same_place``; None: not asked), all EPSG:28992.
    An indeling governs the months from January of its year until the next stored one; the
    earliest also the months before it. A buurt came from elsewhere on an indeling when less
    than half its area lies inside the gemeente's buurten then and at least half inside a
    predecessor (so a border drawn more coarsely in an older file takes no buurt away).
    Buurten that never came from elsewhere are absent (no cut-off), as are empty shapes.
    """
    check_frame(current, crs=RD, columns=["code"])
    years = sorted(y for y in earlier if y < jaar)
    if not years or current.empty:
        return {}
    shapes = current[~current.geometry.is_empty & (current.geometry.area > 0)]
    if predecessors is None:
        elsewhere = pd.Series(1.0, index=shapes.index)
    else:
        elsewhere = shapes.geometry.intersection(predecessors).area / shapes.geometry.area
    since: dict[str, str] = {}
    for year, following in zip(years, [*years[1:], jaar], strict=True):
        old = earlier[year]
        check_frame(old, crs=RD, columns=["code"])
        territory = old.geometry[~old.geometry.is_empty].union_all()
        inside = shapes.geometry.intersection(territory).area / shapes.geometry.area
        for code in shapes.loc[(inside < 0.5) & (elsewhere >= 0.5), "code"]:
            since[str(code)] = f"{following:04d}-01"  # the latest year outside wins
    return since
