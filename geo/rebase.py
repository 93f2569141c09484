"""Re-base figures across a change of buurt division (indeling), explicitly and checkably.

A figure delivered on the buurten of one indeling is split over the buurten of another in
proportion to addresses (preferred: people live at addresses) or, without addresses, to area.
Re-based counts are estimates and may be fractional; the screen says that figures were re-based
and how.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geo.crs import RD, check_frame

WEIGHT_COLUMNS = ["van_code", "naar_code", "gewicht"]


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
