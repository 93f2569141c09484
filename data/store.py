"""Frames in and out of the database. Functions take the caller's engine (or connection)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Executable,
    and_,
    delete,
    false,
    insert,
    or_,
    select,
)

from data import db, frames
from geo.areas import AREA_COLUMNS, KEY_FIGURES, buurt_prefix, dissolve_levels
from geo.crs import RD, check_frame

SIGNAL_COLUMNS = ["buurtcode", "periode", "indicator", "teller", "noemer", "bron", "soort"]


def read_frame(conn: Connection | Engine, query: Executable) -> pd.DataFrame:
    """The rows of ``query`` as a frame (a connection is opened when given an engine)."""
    if isinstance(conn, Engine):
        with conn.connect() as c:
            return read_frame(c, query)
    result = conn.execute(query)
    # Plain tuples: building a frame from Row objects is about ten times slower.
    return pd.DataFrame([tuple(r) for r in result], columns=list(result.keys()))


# --- areas -------------------------------------------------------------------------------------


def save_areas(engine: Engine, new: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Store normalised areas (``geo.areas.AREA_COLUMNS``, EPSG:28992) and complete the hierarchy.

    Rows already stored for the same indeling and gemeenten are merged (a new row replaces the
    stored row of the same code), then wijk and gemeente geometry is derived again from the
    buurten. Returns the stored rows of the touched gemeenten.
    """
    check_frame(new, crs=RD, columns=AREA_COLUMNS)
    stored: list[gpd.GeoDataFrame] = []
    with engine.begin() as conn:
        for jaar, part in new.groupby("indeling_jaar"):
            gemeenten = sorted(part["gemeentecode"].unique())
            old = load_areas(conn, indeling_jaar=int(jaar), gemeenten=gemeenten)
            old = old[~old["code"].isin(part["code"])]
            merged = gpd.GeoDataFrame(pd.concat([old, part], ignore_index=True), crs=RD)
            complete = dissolve_levels(merged)
            conn.execute(
                delete(db.areas).where(
                    and_(
                        db.areas.c.indeling_jaar == int(jaar),
                        db.areas.c.gemeentecode.in_(gemeenten),
                    )
                )
            )
            conn.execute(insert(db.areas), _area_records(complete))
            stored.append(complete)
    return gpd.GeoDataFrame(pd.concat(stored, ignore_index=True), crs=RD)


def _area_records(areas: gpd.GeoDataFrame) -> list[dict[str, object]]:
    records = []
    for row in frames.rows(areas):
        record: dict[str, Any] = {c: getattr(row, c) for c in AREA_COLUMNS}
        for figure in KEY_FIGURES:
            value = record[figure]
            record[figure] = None if pd.isna(value) else float(value)
        record["indeling_jaar"] = int(record["indeling_jaar"])
        records.append(record)
    return records


def load_areas(
    conn: Connection | Engine,
    *,
    indeling_jaar: int | None = None,
    gemeenten: Sequence[str] | None = None,
    levels: Sequence[str] | None = None,
) -> gpd.GeoDataFrame:
    """Return stored areas as a GeoDataFrame in EPSG:28992 with ``AREA_COLUMNS``, sorted by code."""
    query = select(*[db.areas.c[c] for c in AREA_COLUMNS])
    if indeling_jaar is not None:
        query = query.where(db.areas.c.indeling_jaar == indeling_jaar)
    if gemeenten is not None:
        query = query.where(db.areas.c.gemeentecode.in_(list(gemeenten)))
    if levels is not None:
        query = query.where(db.areas.c.level.in_(list(levels)))
    frame = read_frame(conn, query.order_by(db.areas.c.code))
    if frame.empty:
        frame = pd.DataFrame({c: pd.Series(dtype="object") for c in AREA_COLUMNS})
    for figure in KEY_FIGURES:
        frame[figure] = pd.to_numeric(frame[figure]).astype("Float64")
    frame["indeling_jaar"] = frame["indeling_jaar"].astype("int64")
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=RD)


def gemeente_shapes(conn: Connection | Engine) -> pd.DataFrame:
    """Every stored gemeente shape: ``gemeentecode, indeling_jaar, geometry`` (valid, RD)."""
    frame = load_areas(conn, levels=["gemeente"])
    frame = frame[~frame.geometry.isna() & ~frame.geometry.is_empty]
    return pd.DataFrame(
        {
            "gemeentecode": frame["gemeentecode"].astype(str).to_numpy(),
            "indeling_jaar": frame["indeling_jaar"].to_numpy(),
            "geometry": shapely.make_valid(frame.geometry.to_numpy()),
        }
    )


def latest_indeling(conn: Connection | Engine, gemeente: str | None = None) -> int | None:
    """The most recent indeling_jaar stored (for ``gemeente`` if given), or None."""
    from sqlalchemy import func

    query = select(func.max(db.areas.c.indeling_jaar))
    if gemeente is not None:
        query = query.where(db.areas.c.gemeentecode == gemeente)
    frame = read_frame(conn, query)
    value: Any = frame.iloc[0, 0] if not frame.empty else None
    return None if value is None or pd.isna(value) else int(value)


# --- partner signals ---------------------------------------------------------------------------


def log_import(
    conn: Connection,
    *,
    bestand: str,
    inhoud: bytes,
    soort: str,
    rijen: int,
    uitkomst: str,
    melding: str = "",
    gebruiker: str = "cli",
) -> int:
    """Write one import-log row and return its id."""
    result = conn.execute(
        insert(db.import_log).values(
            tijdstip=datetime.now(UTC),
            gebruiker=gebruiker,
            bestand=Path(bestand).name,
            sha256=hashlib.sha256(inhoud).hexdigest(),
            soort=soort,
            rijen=rijen,
            uitkomst=uitkomst,
            melding=melding,
        )
    )
    pk = result.inserted_primary_key
    assert pk is not None
    return int(pk[0])


def save_signals(conn: Connection, signals: pd.DataFrame, *, import_id: int | None) -> None:
    """Insert buurt signals (``SIGNAL_COLUMNS``); the caller's transaction decides all or nothing."""
    if signals.empty:
        return
    records = [
        {
            "buurtcode": r.buurtcode,
            "periode": r.periode,
            "indicator": r.indicator,
            "teller": float(r.teller),
            "noemer": None if pd.isna(r.noemer) else float(r.noemer),
            "bron": r.bron,
            "soort": r.soort,
            "import_id": import_id,
        }
        for r in frames.rows(signals[SIGNAL_COLUMNS])
    ]
    conn.execute(insert(db.signals), records)


def save_deliveries(conn: Connection, deliveries: pd.DataFrame, *, import_id: int | None) -> None:
    """Record which ``bron`` delivered which ``indicator`` and ``periode`` for which gemeente."""
    if deliveries.empty:
        return
    now = datetime.now(UTC)
    records = [
        {**r._asdict(), "import_id": import_id, "geleverd_op": now}
        for r in frames.rows(
            deliveries[["bron", "gemeentecode", "indicator", "periode"]].drop_duplicates()
        )
    ]
    conn.execute(insert(db.deliveries), records)


def load_signals(
    conn: Connection | Engine,
    *,
    buurtcodes: Iterable[str] | None = None,
    gemeenten: Iterable[str] | None = None,
    indicators: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Return stored signals with ``SIGNAL_COLUMNS``."""
    query = select(*[db.signals.c[c] for c in SIGNAL_COLUMNS])
    if buurtcodes is not None:
        query = query.where(db.signals.c.buurtcode.in_(list(buurtcodes)))
    prefixes = None if gemeenten is None else sorted({buurt_prefix(g) for g in gemeenten})
    if prefixes is not None and len(prefixes) <= _MAX_RANGES:
        query = query.where(_in_gemeenten(db.signals.c.buurtcode, prefixes))
    if indicators is not None:
        query = query.where(db.signals.c.indicator.in_(list(indicators)))
    frame = read_frame(conn, query)
    if prefixes is not None and len(prefixes) > _MAX_RANGES:
        frame = frame[frame["buurtcode"].str[:6].isin(prefixes)].reset_index(drop=True)
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in SIGNAL_COLUMNS})
    frame["teller"] = frame["teller"].astype(float)
    frame["noemer"] = pd.to_numeric(frame["noemer"]).astype(float)
    return frame


# Up to this many gemeenten are filtered in SQL; for more (a large region, the whole country)
# one OR of ranges costs more to plan than filtering the indicator's rows in pandas.
_MAX_RANGES = 50


def _in_gemeenten(buurtcode: ColumnElement[str], prefixes: list[str]) -> ColumnElement[bool]:
    """Buurtcode prefixes ('BU0983') as ranges ('BU0983' <= code < 'BU0983~'): an index serves it."""
    return or_(false(), *[and_(buurtcode >= p, buurtcode < p + "~") for p in prefixes])


def load_deliveries(
    conn: Connection | Engine,
    *,
    gemeenten: Iterable[str] | None = None,
    indicators: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Return delivery records: ``bron``, ``gemeentecode``, ``indicator``, ``periode``, ``geleverd_op``."""
    query = select(
        db.deliveries.c.bron,
        db.deliveries.c.gemeentecode,
        db.deliveries.c.indicator,
        db.deliveries.c.periode,
        db.deliveries.c.geleverd_op,
    )
    if gemeenten is not None:
        query = query.where(db.deliveries.c.gemeentecode.in_(list(gemeenten)))
    if indicators is not None:
        query = query.where(db.deliveries.c.indicator.in_(list(indicators)))
    return read_frame(conn, query)


# --- interventions -----------------------------------------------------------------------------


def save_interventions(conn: Connection, interventions: pd.DataFrame) -> None:
    """Insert or replace interventions: ``id, naam, soort, start, eind, partners, buurtcodes``
    and optionally ``starts`` (buurtcode -> the start of that buurt's stage).

    ``buurtcodes`` and ``partners`` are lists of strings.
    """
    ids = list(interventions["id"])
    conn.execute(
        delete(db.intervention_buurten).where(db.intervention_buurten.c.intervention_id.in_(ids))
    )
    conn.execute(delete(db.interventions).where(db.interventions.c.id.in_(ids)))
    for r in frames.rows(interventions):
        conn.execute(
            insert(db.interventions).values(
                id=r.id,
                naam=r.naam,
                soort=r.soort,
                start=r.start,
                eind=None if r.eind is None or pd.isna(r.eind) else r.eind,
                partners="|".join(r.partners),
            )
        )
        starts = getattr(r, "starts", None) or {}
        conn.execute(
            insert(db.intervention_buurten),
            [
                {"intervention_id": r.id, "buurtcode": b, "start": starts.get(b)}
                for b in r.buurtcodes
            ],
        )


def load_interventions(conn: Connection | Engine) -> pd.DataFrame:
    """Return interventions with ``buurtcodes`` and ``partners`` as lists, sorted by start, and
    ``starts``: per buurtcode the start of its stage (the intervention's start where it has no
    stage of its own)."""
    main = read_frame(conn, select(db.interventions).order_by(db.interventions.c.start))
    cols = ["id", "naam", "soort", "start", "eind", "partners", "buurtcodes", "starts"]
    if main.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    links = read_frame(conn, select(db.intervention_buurten))
    buurten = links.groupby("intervention_id")["buurtcode"].apply(lambda s: sorted(s))
    main["buurtcodes"] = main["id"].map(buurten).apply(lambda v: v if isinstance(v, list) else [])
    main["partners"] = main["partners"].apply(lambda p: [x for x in str(p).split("|") if x])
    main["start"] = pd.to_datetime(main["start"]).dt.date
    own = links.assign(start=pd.to_datetime(links["start"]).dt.date)
    stage = {(r.intervention_id, r.buurtcode): r.start for r in frames.rows(own)}
    starts = [
        {b: stage.get((i, b)) if pd.notna(stage.get((i, b))) else s for b in codes}
        for i, s, codes in zip(main["id"], main["start"], main["buurtcodes"], strict=True)
    ]
    main["starts"] = pd.Series(starts, index=main.index, dtype=object)
    main["eind"] = main["eind"].apply(
        lambda d: None if d is None or pd.isna(d) else pd.Timestamp(d).date()
    )
    return main[cols]


# --- addresses and clearing (added for the demo) ---------------------------------------------

ADDRESS_COLUMNS = [
    "bag_id",
    "postcode",
    "huisnummer",
    "huisletter",
    "toevoeging",
    "gebruiksdoel",
    "oppervlakte",
    "pand_id",
    "bouwjaar",
    "status",
    "x",
    "y",
]


def _plain(value: object) -> object:
    """A value the database driver takes: None for any missing value, Python scalars otherwise."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value


def _records(frame: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, object]]:
    values = [[_plain(v) for v in frame[c].tolist()] for c in columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def save_addresses(
    conn: Connection, addresses: pd.DataFrame, *, indeling_jaar: int | None = None
) -> int:
    """Insert verblijfsobjecten (``ADDRESS_COLUMNS``, x/y in EPSG:28992) in one bulk insert.

    With ``indeling_jaar`` and a ``buurtcode`` column, also insert their buurt assignment into
    ``address_buurten``. Insert only: delete rows first when replacing. Returns the row count.
    """
    if addresses.empty:
        return 0
    conn.execute(insert(db.addresses), _records(addresses, ADDRESS_COLUMNS))
    if indeling_jaar is not None and "buurtcode" in addresses.columns:
        links = addresses[["bag_id", "buurtcode"]].assign(indeling_jaar=int(indeling_jaar))
        conn.execute(
            insert(db.address_buurten),
            _records(links, ["bag_id", "indeling_jaar", "buurtcode"]),
        )
    return len(addresses)


def clear_all(
    conn: Connection, *, keep: Sequence[str] = ("users", "audit_log", "audit_head")
) -> None:
    """Delete every row of every table except those named in ``keep`` (users, audit log).

    Children go before parents, so foreign keys hold at every step.
    """
    for table in reversed(db.metadata.sorted_tables):
        if table.name not in keep:
            conn.execute(delete(table))
