"""Load BAG verblijfsobjecten into the database and assign each to its buurt per indeling.

``load_addresses`` replaces stored addresses with the same ``bag_id`` and writes one
``address_buurten`` row per address and stored indeling_jaar; points outside every buurt of an
indeling get no row there and are reported (count and first ids), never dropped silently.
The assignment runs in geopandas for SQLite and PostGIS alike, so both give the same answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, Engine, delete, insert, select

from data import db, store
from data.sources.bag import bag_id16, checked, empty_addresses
from geo.assign import assign_buurt_xy
from geo.crs import RD
from geo.errors import InputError

Progress = Callable[[str], None]
BBox = tuple[float, float, float, float]
EXAMPLES = 5  # ids of points outside every buurt shown in the summary
_CHUNK = 500  # ids per IN (...) list: well below SQLite's limit on bound parameters


@dataclass(frozen=True)
class YearAssignment:
    """The outcome for one indeling_jaar: assigned points, points outside, first outside ids."""

    indeling_jaar: int
    toegewezen: int
    buiten: int
    buiten_voorbeelden: tuple[str, ...]


@dataclass(frozen=True)
class AddressSummary:
    """What ``load_addresses`` wrote."""

    adressen: int
    jaren: tuple[YearAssignment, ...]
    seconds: float

    @property
    def buiten(self) -> int:
        """Points outside every buurt, summed over the indelingen."""
        return sum(j.buiten for j in self.jaren)


def _quiet(_message: str) -> None:
    return None


def _bag_ids(values: pd.Series) -> pd.Series:
    """16-digit ids; the usual case (already 16-digit strings) without a Python call per row."""
    text = values.astype("string")
    ready = text.str.fullmatch(r"\d{16}").fillna(False).to_numpy(dtype=bool)
    if ready.all():
        return text.astype(object)
    return values.map(bag_id16).astype(object)


def buurt_years(conn: Connection | Engine) -> list[int]:
    """Every indeling_jaar with stored buurten, ascending."""
    query = (
        select(db.areas.c.indeling_jaar)
        .where(db.areas.c.level == "buurt")
        .distinct()
        .order_by(db.areas.c.indeling_jaar)
    )
    if isinstance(conn, Engine):
        with conn.connect() as c:
            return [int(v) for (v,) in c.execute(query)]
    return [int(v) for (v,) in conn.execute(query)]


def assign_years(
    conn: Connection | Engine, addresses: pd.DataFrame, years: Sequence[int]
) -> tuple[pd.DataFrame, tuple[YearAssignment, ...]]:
    """Assign ``addresses`` (``bag_id``, RD ``x``/``y``) to the stored buurten of each of ``years``.

    Coordinates go straight to ``geo.assign.assign_buurt_xy``: no Point object per address.
    Returns the ``address_buurten`` rows (``bag_id``, ``indeling_jaar``, ``buurtcode``) and the
    outcome per year.
    """
    x, y = addresses["x"].astype(float).to_numpy(), addresses["y"].astype(float).to_numpy()
    bag_ids = addresses["bag_id"].to_numpy()
    rows, outcomes = [], []
    for jaar in years:
        buurten = store.load_areas(conn, indeling_jaar=jaar, levels=["buurt"])
        codes = pd.Series(assign_buurt_xy(x, y, buurten[["code", "geometry"]]))
        inside = codes.notna().to_numpy()
        rows.append(
            pd.DataFrame(
                {
                    "bag_id": bag_ids[inside],
                    "indeling_jaar": jaar,
                    "buurtcode": codes[inside].astype(str).to_numpy(),
                }
            )
        )
        outside = pd.Series(bag_ids[~inside], dtype=object)
        examples = tuple(str(v) for v in outside.sort_values().head(EXAMPLES))
        outcomes.append(YearAssignment(int(jaar), int(inside.sum()), len(outside), examples))
    links = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    return links, tuple(outcomes)


def _delete_ids(conn: Connection, bag_ids: Sequence[str]) -> None:
    for start in range(0, len(bag_ids), _CHUNK):
        chunk = list(bag_ids[start : start + _CHUNK])
        conn.execute(delete(db.address_buurten).where(db.address_buurten.c.bag_id.in_(chunk)))
        conn.execute(delete(db.addresses).where(db.addresses.c.bag_id.in_(chunk)))


def _insert_links(conn: Connection, links: pd.DataFrame) -> None:
    if links.empty:
        return
    records = [
        {"bag_id": b, "indeling_jaar": int(j), "buurtcode": c}
        for b, j, c in zip(links["bag_id"], links["indeling_jaar"], links["buurtcode"], strict=True)
    ]
    conn.execute(insert(db.address_buurten), records)


def load_addresses(
    engine: Engine, frame: pd.DataFrame, *, progress: Progress | None = None
) -> AddressSummary:
    """Store verblijfsobjecten and assign them to the buurten of every stored indeling.

    Parameters
    ----------
    engine : the database.
    frame : ``data.store.ADDRESS_COLUMNS`` (``bag_id`` 16 digits; ``x``/``y`` in EPSG:28992),
        e.g. from ``data.sources.bag``. A stored address with the same ``bag_id`` is replaced.
    progress : receives a short Dutch message per step.

    Returns
    -------
    AddressSummary with the number of addresses and, per indeling_jaar, how many were assigned
    and how many lie outside every buurt (with the first few of their ids). All or nothing:
    one transaction.
    """
    began = time.perf_counter()
    say = progress or _quiet
    missing = [c for c in store.ADDRESS_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"Kolommen ontbreken in de adressen: {', '.join(missing)}.")
    addresses = checked(
        frame.assign(
            bag_id=_bag_ids(frame["bag_id"]),
            x=pd.to_numeric(frame["x"], errors="coerce"),
            y=pd.to_numeric(frame["y"], errors="coerce"),
        ),
        source="adressen",
    )
    years = buurt_years(engine)
    if not years:
        raise InputError(
            "Er zijn nog geen buurten geladen: laad eerst gebieden met 'wijkmonitor areas load'."
        )
    say(f"{len(addresses)} adressen toewijzen aan buurten (indeling {', '.join(map(str, years))})")
    links, outcomes = assign_years(engine, addresses, years)
    say("Adressen opslaan")
    with engine.begin() as conn:
        _delete_ids(conn, addresses["bag_id"].tolist())
        store.save_addresses(conn, addresses)
        _insert_links(conn, links)
    return AddressSummary(len(addresses), outcomes, round(time.perf_counter() - began, 2))


def reassign_addresses(engine: Engine, *, indeling_jaar: int) -> YearAssignment:
    """Assign every stored address anew to the buurten of ``indeling_jaar`` (after areas load)."""
    with engine.begin() as conn:
        result = conn.execute(select(db.addresses.c.bag_id, db.addresses.c.x, db.addresses.c.y))
        stored = pd.DataFrame([tuple(r) for r in result], columns=["bag_id", "x", "y"])
        conn.execute(
            delete(db.address_buurten).where(db.address_buurten.c.indeling_jaar == indeling_jaar)
        )
        if stored.empty:
            return YearAssignment(indeling_jaar, 0, 0, ())
        links, (outcome,) = assign_years(conn, stored, [indeling_jaar])
        _insert_links(conn, links)
    return outcome


# --- choosing what to load: per gemeente ---------------------------------------------------------


def gemeente_areas(engine: Engine, gemeenten: Sequence[str] | None = None) -> gpd.GeoDataFrame:
    """Stored gemeenten (all, or those named) with ``code`` and geometry in EPSG:28992.

    One row per gemeentecode: the union of its geometry over all stored indelingen. Raises
    InputError when nothing (or not every named gemeente) is stored.
    """
    wanted = sorted({g.upper() for g in gemeenten}) if gemeenten else None
    stored = store.load_areas(engine, gemeenten=wanted, levels=["gemeente"])
    found = set(stored["code"])
    absent = [g for g in wanted or [] if g not in found]
    if absent:
        raise InputError("Gemeente niet geladen; laad eerst haar gebieden.", absent)
    if not found:
        raise InputError(
            "Er zijn nog geen gemeenten geladen: laad eerst gebieden met 'wijkmonitor areas load'."
        )
    merged = {
        code: shapely.union_all(part.geometry.to_numpy()) for code, part in stored.groupby("code")
    }
    return gpd.GeoDataFrame(
        {"code": list(merged)}, geometry=list(merged.values()), crs=RD
    ).reset_index(drop=True)


def addresses_in_gemeenten(
    gemeenten: gpd.GeoDataFrame,
    fetch: Callable[[BBox], pd.DataFrame],
    *,
    progress: Progress | None = None,
) -> tuple[pd.DataFrame, int]:
    """Fetch addresses per gemeente bbox and keep those inside one of ``gemeenten``.

    ``fetch`` takes a bbox (EPSG:28992 metres) and returns ``ADDRESS_COLUMNS``. Returns the
    kept addresses (each ``bag_id`` once) and how many fell in a bbox but outside every gemeente.
    """
    say = progress or _quiet
    parts = []
    for code, geom in zip(gemeenten["code"], gemeenten.geometry, strict=True):
        if geom is None or geom.is_empty:
            continue
        say(f"{code}: verblijfsobjecten ophalen")
        minx, miny, maxx, maxy = (float(v) for v in geom.bounds)
        parts.append(fetch((minx, miny, maxx, maxy)))
    parts = [p for p in parts if not p.empty]
    if not parts:
        return empty_addresses(), 0
    found = pd.concat(parts, ignore_index=True).drop_duplicates("bag_id", keep="last")
    within = assign_buurt_xy(
        found["x"].astype(float), found["y"].astype(float), gemeenten[["code", "geometry"]]
    )
    keep = pd.notna(within)
    return found[keep].reset_index(drop=True), int(np.sum(~keep))
