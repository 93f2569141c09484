"""Locating address findings: a BAG id, a postcode and house number, or a point, to a buurt.

Addresses come from the ``addresses`` table and their buurt from ``address_buurten`` (the most
recent indeling of that address); points, and addresses without a stored buurt, are matched to
the buurt polygons of each gemeente's most recent indeling. A point on an edge shared by two
buurten goes to the lowest buurtcode, so each finding counts exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import Engine, Select, select

from data import db, store
from geo.assign import assign_buurt
from geo.crs import RD, check_frame

POINT_COLUMNS = [
    "methode",
    "bag_id",
    "postcode",
    "huisnummer",
    "huisletter",
    "toevoeging",
    "x",
    "y",
]
LOCATED_COLUMNS = ["bag_id", "x", "y", "buurtcode", "indeling_jaar", "fout"]
_CHUNK = 500


class Locator(Protocol):
    """Anything that places finding locations in buurten (the database, or a test double)."""

    def locate(self, points: pd.DataFrame) -> pd.DataFrame:
        """``POINT_COLUMNS`` in (``methode``: bag, adres, rd or wgs84; x/y in EPSG:28992 for the
        last two), ``LOCATED_COLUMNS`` out with the same index; ``fout`` is '' when found."""
        ...


def buurt_of_points(x: pd.Series, y: pd.Series, buurten: gpd.GeoDataFrame) -> pd.DataFrame:
    """The buurt (``code``, ``indeling_jaar``) containing each point (EPSG:28992).

    Returns ``buurtcode`` and ``indeling_jaar`` indexed like ``x``; NA where a point lies in no
    buurt. On a shared edge the lowest buurtcode wins.
    """
    check_frame(buurten, crs=RD, columns=["code", "indeling_jaar"])
    points = gpd.GeoDataFrame(
        index=x.index, geometry=gpd.points_from_xy(x.to_numpy(float), y.to_numpy(float)), crs=RD
    )
    assigned = assign_buurt(points, buurten)
    years = dict(zip(buurten["code"], buurten["indeling_jaar"], strict=True))
    codes = assigned["buurtcode"].astype("object").where(~assigned["buiten"], None)
    return pd.DataFrame(
        {"buurtcode": codes, "indeling_jaar": codes.map(years)},
        index=x.index,
    )


def latest_buurten(buurten: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Each gemeente's buurten of its most recent indeling, with geometry."""
    usable = buurten.geometry.map(lambda g: g is not None and not g.is_empty).astype(bool)
    buurten = buurten[usable]
    latest = buurten.groupby("gemeentecode")["indeling_jaar"].transform("max")
    return buurten[buurten["indeling_jaar"] == latest]


def _query(engine: Engine, query: Select[Any]) -> pd.DataFrame:
    with engine.connect() as conn:
        result = conn.execute(query)
        return pd.DataFrame([tuple(r) for r in result], columns=list(result.keys()))


def _chunks(values: Sequence[str]) -> list[list[str]]:
    items = list(values)
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]


class DbLocator:
    """Locate findings with the addresses and buurten stored in the database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._buurten: gpd.GeoDataFrame | None = None

    def locate(self, points: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame(index=points.index, columns=LOCATED_COLUMNS, dtype="object")
        out["fout"] = ""
        coords = points["methode"].isin(["rd", "wgs84"])
        out.loc[coords, "x"] = points.loc[coords, "x"]
        out.loc[coords, "y"] = points.loc[coords, "y"]
        self._by_bag_id(points[points["methode"] == "bag"], out)
        self._by_address(points[points["methode"] == "adres"], out)
        self._assigned_buurt(out)
        todo = (out["fout"] == "") & out["buurtcode"].isna()
        if todo.any():
            found = buurt_of_points(
                out.loc[todo, "x"].astype(float), out.loc[todo, "y"].astype(float), self.buurten()
            )
            out.loc[todo, "buurtcode"] = found["buurtcode"]
            out.loc[todo, "indeling_jaar"] = found["indeling_jaar"]
            outside = todo & out["buurtcode"].isna()
            out.loc[outside, "fout"] = [
                f"punt ({x:.0f}, {y:.0f}) in RD ligt in geen van de geladen buurten."
                for x, y in zip(out.loc[outside, "x"], out.loc[outside, "y"], strict=True)
            ]
        return out

    def buurten(self) -> gpd.GeoDataFrame:
        if self._buurten is None:
            self._buurten = latest_buurten(store.load_areas(self.engine, levels=["buurt"]))
        return self._buurten

    def _addresses(self, column: str, values: Sequence[str]) -> pd.DataFrame:
        a = db.addresses.c
        query = select(a.bag_id, a.postcode, a.huisnummer, a.huisletter, a.toevoeging, a.x, a.y)
        frames = [
            _query(self.engine, query.where(a[column].in_(chunk)))
            for chunk in _chunks(sorted(set(values)))
        ]
        columns = ["bag_id", "postcode", "huisnummer", "huisletter", "toevoeging", "x", "y"]
        frames = [f for f in frames if not f.empty]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)

    def _by_bag_id(self, rows: pd.DataFrame, out: pd.DataFrame) -> None:
        if rows.empty:
            return
        stored = self._addresses("bag_id", rows["bag_id"].tolist()).set_index("bag_id")
        found = rows["bag_id"].isin(stored.index)
        hits = rows[found]
        out.loc[hits.index, "bag_id"] = hits["bag_id"]
        out.loc[hits.index, "x"] = stored.loc[hits["bag_id"], "x"].to_numpy()
        out.loc[hits.index, "y"] = stored.loc[hits["bag_id"], "y"].to_numpy()
        out.loc[rows.index[~found], "fout"] = [
            f"bag_id {b} niet gevonden in de geladen adressen (laad ze met 'wijkmonitor "
            "addresses load')."
            for b in rows.loc[~found, "bag_id"]
        ]

    def _by_address(self, rows: pd.DataFrame, out: pd.DataFrame) -> None:
        if rows.empty:
            return
        stored = self._addresses("postcode", rows["postcode"].tolist())
        stored["sleutel"] = _address_key(stored)
        stored = stored.drop_duplicates("sleutel").set_index("sleutel")
        keys = _address_key(rows)
        found = keys.isin(stored.index)
        match = stored.loc[keys[found]]
        out.loc[rows.index[found], "bag_id"] = match["bag_id"].to_numpy()
        out.loc[rows.index[found], "x"] = match["x"].to_numpy()
        out.loc[rows.index[found], "y"] = match["y"].to_numpy()
        out.loc[rows.index[~found], "fout"] = [
            f"adres {k.replace('|', ' ').strip()} niet gevonden in de geladen adressen."
            for k in keys[~found]
        ]

    def _assigned_buurt(self, out: pd.DataFrame) -> None:
        """The stored buurt of each found address, from its most recent indeling."""
        ids = out["bag_id"].dropna()
        if ids.empty:
            return
        ab = db.address_buurten.c
        query = select(ab.bag_id, ab.buurtcode, ab.indeling_jaar)
        frames = [
            _query(self.engine, query.where(ab.bag_id.in_(chunk)))
            for chunk in _chunks(sorted(set(ids)))
        ]
        links = pd.concat(frames, ignore_index=True)
        if links.empty:
            return
        links = links.sort_values("indeling_jaar").drop_duplicates("bag_id", keep="last")
        links = links.set_index("bag_id")
        known = out["bag_id"].isin(links.index)
        out.loc[known, "buurtcode"] = links.loc[out.loc[known, "bag_id"], "buurtcode"].to_numpy()
        out.loc[known, "indeling_jaar"] = links.loc[
            out.loc[known, "bag_id"], "indeling_jaar"
        ].to_numpy()


def _address_key(frame: pd.DataFrame) -> pd.Series:
    """``postcode|huisnummer|huisletter|toevoeging`` with empty parts for missing ones."""

    def part(column: str) -> pd.Series:
        values = frame[column].astype("object").where(frame[column].notna(), "")
        return values.map(lambda v: str(int(v)) if isinstance(v, float | np.integer) else str(v))

    return (
        part("postcode")
        + "|"
        + part("huisnummer")
        + "|"
        + part("huisletter").str.upper()
        + "|"
        + part("toevoeging").str.upper()
    )
