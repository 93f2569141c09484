"""Helpers for the import tests: a database with Venlo's 2024 buurten and a few test addresses,
and a snapshot of every table an import may touch (to prove a refusal changed nothing)."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import geopandas as gpd
import pandas as pd
from sqlalchemy import Engine, select

from data import db, store
from data.deliveries.importer import Outcome
from data.settings import FILES
from geo.areas import normalise_areas

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "deliveries"
TODAY = date(2025, 12, 31)  # the fixture corpus is dated against this day
# bag_id, postcode, huisnummer, huisletter, toevoeging, buurtcode (see fixtures/deliveries).
ADRESSEN = [
    ("0983010099000001", "5900AA", 1, None, None, "BU09831101"),
    ("0983010099000002", "5900AA", 3, "A", None, "BU09831101"),
    ("0983010099000003", "5900AB", 10, None, "2", "BU09831102"),
    ("0983010099000004", "5900AB", 12, None, None, "BU09831102"),
    ("0983010099000005", "5900AC", 7, None, None, "BU09831103"),
]
TOUCHED = (
    db.signals,
    db.deliveries,
    db.findings,
    db.interventions,
    db.intervention_buurten,
    db.import_log,
)


@cache
def venlo_buurten() -> gpd.GeoDataFrame:
    """Venlo's buurten (indeling 2024) as ``data.store.save_areas`` takes them."""
    raw = gpd.read_file(FILES / "cbs_buurt_2024_venlo_wgs84.geojson", engine="pyogrio")
    return normalise_areas(raw, jaar=2024)


def address_frame() -> pd.DataFrame:
    """The test addresses, each at the representative point of its buurt (EPSG:28992)."""
    buurten = venlo_buurten().set_index("code")
    rows = []
    for bag_id, postcode, nummer, letter, toevoeging, buurtcode in ADRESSEN:
        point = buurten.loc[buurtcode, "geometry"].representative_point()
        rows.append(
            {
                "bag_id": bag_id,
                "postcode": postcode,
                "huisnummer": nummer,
                "huisletter": letter,
                "toevoeging": toevoeging,
                "gebruiksdoel": "woonfunctie",
                "oppervlakte": 80.0,
                "pand_id": None,
                "bouwjaar": 1960,
                "status": "Verblijfsobject in gebruik",
                "x": round(point.x, 2),
                "y": round(point.y, 2),
                "buurtcode": buurtcode,
            }
        )
    return pd.DataFrame(rows)


def seed(engine: Engine) -> None:
    """Store the buurten and the test addresses (with their buurt for indeling 2024)."""
    store.save_areas(engine, venlo_buurten())
    with engine.begin() as conn:
        store.save_addresses(conn, address_frame(), indeling_jaar=2024)


def snapshot(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table an import writes, sorted, per table name."""
    with engine.connect() as conn:
        return {
            table.name: sorted((tuple(r) for r in conn.execute(select(table))), key=repr)
            for table in TOUCHED
        }


def assert_refused_cleanly(
    engine: Engine, before: dict[str, list[tuple[object, ...]]], outcome: Outcome
) -> None:
    """The refusal wrote exactly one import-log row (``geweigerd``, naming the problems) and
    nothing else (besides its audit-log row)."""
    assert not outcome.geaccepteerd
    assert outcome.problemen
    after = snapshot(engine)
    for name, rows in before.items():
        if name != "import_log":
            assert after[name] == rows, f"{name} changed by a refused import"
    new = [r for r in after["import_log"] if r not in before["import_log"]]
    assert len(after["import_log"]) == len(before["import_log"]) + 1
    assert len(new) == 1
    row = dict(zip([c.name for c in db.import_log.columns], new[0], strict=True))
    assert row["id"] == outcome.import_id
    assert row["uitkomst"] == "geweigerd"
    assert row["bestand"] == outcome.bestand
    # every problem, by the same position, but never a cell value (those stay on screen)
    logged = row["melding"].split("\n")
    assert [line.split(": ", 1)[0] for line in logged] == [
        p.split(": ", 1)[0] for p in outcome.problemen
    ]


def signal_rows(engine: Engine, **where: object) -> pd.DataFrame:
    """Stored signals matching ``where`` (column=value), sorted."""
    query = select(db.signals)
    for column, value in where.items():
        query = query.where(db.signals.c[column] == value)
    with engine.connect() as conn:
        result = conn.execute(query)
        frame = pd.DataFrame([tuple(r) for r in result], columns=list(result.keys()))
    return frame.sort_values(["bron", "buurtcode", "periode", "indicator"]).reset_index(drop=True)
