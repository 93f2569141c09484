"""data.addresses.sql: assignment and aggregation in PostGIS give the answers of the Python path."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from sqlalchemy import Engine, insert, select

from data import db, store
from data.addresses.sql import (
    address_counts_sql,
    aggregate_findings_sql,
    assign_addresses_sql,
    rollup_counts_sql,
)
from data.deliveries.store import monthly_counts
from data.settings import FILES
from geo.areas import normalise_areas
from geo.assign import assign_buurt, count_per_buurt
from geo.crs import RD
from geo.errors import InputError

JAAR = 2024


def _venlo_areas() -> gpd.GeoDataFrame:
    parts = [
        normalise_areas(gpd.read_file(FILES / name, engine="pyogrio"), jaar=JAAR)
        for name in ("cbs_buurt_2024_venlo_wgs84.geojson", "cbs_wijk_2024_venlo_wgs84.geojson")
    ]
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=RD)


def _addresses(buurten: gpd.GeoDataFrame) -> pd.DataFrame:
    """Random points around Venlo (some outside), every boundary vertex (on shared edges and
    corners) and a few points on the middle of an edge."""
    rng = np.random.default_rng(983)
    minx, miny, maxx, maxy = buurten.total_bounds
    n = 6_000
    xs, ys = rng.uniform(minx - 800, maxx + 800, n), rng.uniform(miny - 800, maxy + 800, n)
    rings = buurten.geometry.boundary.to_numpy()
    vertices = shapely.get_coordinates(rings)
    step = max(1, len(vertices) // 1_500)
    vertices = vertices[::step]
    xy = np.vstack([np.column_stack([xs, ys]), vertices])
    frame = pd.DataFrame({c: None for c in store.ADDRESS_COLUMNS}, index=range(len(xy)))
    frame["bag_id"] = [f"0983010{i:09d}" for i in range(len(xy))]
    frame["x"], frame["y"] = xy[:, 0], xy[:, 1]
    return frame


@pytest.fixture
def engine(postgis_url: str) -> Iterator[Engine]:
    engine = db.make_engine(postgis_url)
    yield engine
    engine.dispose()


@pytest.fixture
def loaded(engine: Engine) -> tuple[Engine, gpd.GeoDataFrame, pd.DataFrame]:
    store.save_areas(engine, _venlo_areas())
    buurten = store.load_areas(engine, indeling_jaar=JAAR, levels=["buurt"])
    addresses = _addresses(buurten)
    with engine.begin() as conn:
        store.save_addresses(conn, addresses)
    return engine, buurten, addresses


def _python_assignment(buurten: gpd.GeoDataFrame, addresses: pd.DataFrame) -> pd.DataFrame:
    points = gpd.GeoDataFrame(
        addresses[["bag_id"]],
        geometry=gpd.points_from_xy(addresses["x"], addresses["y"]),
        crs=RD,
    )
    return assign_buurt(points, buurten[["code", "geometry"]])


def test_sql_assignment_gives_every_address_the_buurt_of_assign_buurt(
    loaded: tuple[Engine, gpd.GeoDataFrame, pd.DataFrame],
) -> None:
    engine, buurten, addresses = loaded
    outcome = assign_addresses_sql(engine, JAAR)
    with engine.connect() as conn:
        rows = conn.execute(
            select(db.address_buurten.c.bag_id, db.address_buurten.c.buurtcode).where(
                db.address_buurten.c.indeling_jaar == JAAR
            )
        ).all()
    in_sql = dict(rows)
    expected = _python_assignment(buurten, addresses)
    got = expected["bag_id"].map(in_sql)
    want = expected["buurtcode"].astype(object).where(~expected["buiten"], None)
    differ = expected.loc[got.fillna("-") != want.fillna("-"), "bag_id"]
    assert differ.empty, f"{len(differ)} adressen anders toegewezen, bv. {differ.head().tolist()}"
    assert outcome.toegewezen == int((~expected["buiten"]).sum())
    assert outcome.buiten == int(expected["buiten"].sum()) > 0
    assert outcome.toegewezen + outcome.buiten == len(addresses)
    first_outside = sorted(expected.loc[expected["buiten"], "bag_id"])[:5]
    assert list(outcome.buiten_voorbeelden) == first_outside


def test_sql_assignment_replaces_an_earlier_one(
    loaded: tuple[Engine, gpd.GeoDataFrame, pd.DataFrame],
) -> None:
    engine, _, _ = loaded
    first = assign_addresses_sql(engine, JAAR)
    second = assign_addresses_sql(engine, JAAR)
    with engine.connect() as conn:
        stored = conn.execute(select(db.address_buurten)).all()
    assert first == second
    assert len(stored) == second.toegewezen


def test_address_counts_add_up_over_every_level(
    loaded: tuple[Engine, gpd.GeoDataFrame, pd.DataFrame],
) -> None:
    engine, buurten, addresses = loaded
    assign_addresses_sql(engine, JAAR)
    counts = address_counts_sql(engine, JAAR).set_index("code")
    expected = count_per_buurt(_python_assignment(buurten, addresses))
    buurt = counts[counts["level"] == "buurt"]["adressen"]
    assert buurt.to_dict() == expected.to_dict()
    wijk = expected.groupby(
        expected.index.str[:2].str.replace("BU", "WK") + expected.index.str[2:8]
    )
    assert counts[counts["level"] == "wijk"]["adressen"].to_dict() == wijk.sum().to_dict()
    assert counts.loc["GM0983", "adressen"] == expected.sum()


def _findings(engine: Engine, addresses: pd.DataFrame) -> pd.DataFrame:
    """Findings at known addresses (by bag_id) and at loose points (no bag_id), 2 months."""
    rng = np.random.default_rng(7)
    pick = rng.choice(len(addresses), 400, replace=False)
    frame = pd.DataFrame(
        {
            "bag_id": addresses["bag_id"].to_numpy()[pick],
            "x": addresses["x"].to_numpy()[pick],
            "y": addresses["y"].to_numpy()[pick],
            "datum": rng.choice([date(2024, 10, 17), date(2024, 11, 21)], 400),
            "signaal": rng.choice(["controle", "overbewoning", "brp_afwijking"], 400),
            "bron": rng.choice(["gemeente", "nla"], 400),
        }
    )
    frame.loc[frame.index % 3 == 0, "bag_id"] = None  # located by their own x/y
    records = [
        {**r, "locatie": r["bag_id"] or "punt", "buurtcode": "", "indeling_jaar": JAAR}
        for r in frame.to_dict("records")
    ]
    with engine.begin() as conn:
        conn.execute(insert(db.findings), records)
    return frame


def test_findings_are_counted_per_buurt_and_month_as_in_python(
    loaded: tuple[Engine, gpd.GeoDataFrame, pd.DataFrame],
) -> None:
    engine, buurten, addresses = loaded
    assign_addresses_sql(engine, JAAR)
    findings = _findings(engine, addresses)
    located = _python_assignment(buurten, findings.assign(bag_id=findings.index.astype(str)))
    inside = findings[~located["buiten"].to_numpy()].assign(
        buurtcode=located.loc[~located["buiten"], "buurtcode"].astype(str).to_numpy()
    )
    expected = monthly_counts(inside).astype({"n": "int64"})
    got = aggregate_findings_sql(engine, JAAR)
    keys = ["bron", "buurtcode", "periode", "indicator"]
    pd.testing.assert_frame_equal(
        got.sort_values(keys).reset_index(drop=True),
        expected[[*keys, "n"]].sort_values(keys).reset_index(drop=True),
        check_dtype=False,
    )

    rolled = rollup_counts_sql(engine, JAAR)
    assert rolled.groupby(["level", "periode"])["n"].sum().loc["gemeente"].to_dict() == {
        "2024": len(inside),
        "2024-10": int((inside["datum"] == date(2024, 10, 17)).sum()),
        "2024-11": int((inside["datum"] == date(2024, 11, 21)).sum()),
        "2024-Q4": len(inside),
    }
    for level in ("buurt", "wijk", "gemeente"):
        part = rolled[(rolled["level"] == level) & (rolled["periode"] == "2024-Q4")]
        assert part["n"].sum() == len(inside)
    wijken = rolled.loc[rolled["level"] == "wijk", "code"]
    assert wijken.str.match(r"^WK0983\d{2}$").all()


def test_sqlite_is_refused_with_a_plain_message(sqlite_url: str) -> None:
    engine = db.make_engine(sqlite_url)
    with pytest.raises(InputError, match="PostGIS"):
        assign_addresses_sql(engine, JAAR)
    engine.dispose()
