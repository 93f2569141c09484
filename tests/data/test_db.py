"""The engine and schema of data.db on both backends: SQLite (embedded) and PostGIS."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import shapely
from shapely.geometry import Polygon, box
from sqlalchemy import Engine, create_engine, func, inspect, select, text

from data.db import areas, make_engine, metadata, normalise_url

# A 200 m square around a point in Venlo, in RD New (EPSG:28992).
SQUARE = box(207_900.0, 374_900.0, 208_100.0, 375_100.0)
# A polygon with a hole and coordinates that are not round numbers.
HOLED = Polygon(
    [(208_000.125, 375_000.5), (208_050.25, 375_010.75), (208_020.0, 375_080.0)],
    holes=[[(208_020.0, 375_020.0), (208_030.0, 375_025.0), (208_022.0, 375_040.0)]],
)


def _area(code: str, geometry: object) -> dict[str, object]:
    return {
        "code": code,
        "indeling_jaar": 2024,
        "level": "buurt",
        "name": f"Buurt {code}",
        "parent_code": "WK098301",
        "gemeentecode": "GM0983",
        "inwoners": 1234.0,
        "geometry": geometry,
    }


@pytest.fixture
def engines() -> Iterator[list[Engine]]:
    """Engines made in a test, disposed at its end (before its database is dropped)."""
    made: list[Engine] = []
    yield made
    for engine in made:
        engine.dispose()


def test_schema_is_created_on_first_use(db_url: str, engines: list[Engine]) -> None:
    plain = create_engine(normalise_url(db_url))
    engines.append(plain)
    before = set(inspect(plain).get_table_names())
    assert before.isdisjoint(metadata.tables), "the test database must start empty"

    engine = make_engine(db_url)
    engines.append(engine)

    tables = set(inspect(engine).get_table_names())
    assert set(metadata.tables) <= tables
    columns = {c["name"] for c in inspect(engine).get_columns("areas")}
    assert columns == {c.name for c in areas.columns}


def test_geometry_round_trip(db_url: str, engines: list[Engine]) -> None:
    engine = make_engine(db_url)
    engines.append(engine)
    with engine.begin() as conn:
        conn.execute(
            areas.insert(),
            [_area("BU09830001", SQUARE), _area("BU09830002", HOLED), _area("BU09830003", None)],
        )

    with engine.connect() as conn:
        rows = dict(conn.execute(select(areas.c.code, areas.c.geometry)).all())

    assert set(rows) == {"BU09830001", "BU09830002", "BU09830003"}
    square = rows["BU09830001"]
    assert isinstance(square, Polygon)
    assert square.equals_exact(SQUARE, tolerance=1e-6)
    assert square.area == pytest.approx(200.0 * 200.0)
    holed = rows["BU09830002"]
    assert isinstance(holed, Polygon)
    assert len(holed.interiors) == 1
    assert holed.equals_exact(HOLED, tolerance=1e-6)
    assert rows["BU09830003"] is None


def test_make_engine_twice_keeps_schema_and_rows(db_url: str, engines: list[Engine]) -> None:
    first = make_engine(db_url)
    engines.append(first)
    with first.begin() as conn:
        conn.execute(areas.insert(), [_area("BU09830001", SQUARE)])

    second = make_engine(db_url)
    engines.append(second)

    assert set(metadata.tables) <= set(inspect(second).get_table_names())
    with second.connect() as conn:
        count = conn.execute(select(func.count()).select_from(areas)).scalar_one()
        geometry = conn.execute(select(areas.c.geometry)).scalar_one()
    assert count == 1
    assert shapely.equals_exact(geometry, SQUARE, tolerance=1e-6)


def test_bare_path_and_postgresql_urls_are_normalised() -> None:
    assert normalise_url("wijkmonitor.db") == "sqlite:///wijkmonitor.db"
    assert normalise_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"
    assert normalise_url("postgresql://u@h:5432/db") == "postgresql+psycopg://u@h:5432/db"
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"


def test_plain_postgresql_url_uses_psycopg3(postgis_url: str, engines: list[Engine]) -> None:
    plain = "postgresql://" + postgis_url.split("://", 1)[1]
    engine = make_engine(plain)
    engines.append(engine)
    assert engine.dialect.name == "postgresql"
    assert engine.dialect.driver == "psycopg"
    assert "areas" in inspect(engine).get_table_names()


def test_postgis_geometry_column_has_srid_and_gist_index(
    postgis_url: str, engines: list[Engine]
) -> None:
    engine = make_engine(postgis_url)
    engines.append(engine)
    with engine.begin() as conn:
        conn.execute(areas.insert(), [_area("BU09830001", SQUARE)])

    with engine.connect() as conn:
        srid = conn.execute(text("SELECT ST_SRID(geometry) FROM areas")).scalar_one()
        column = conn.execute(
            text(
                "SELECT srid, type FROM geometry_columns "
                "WHERE f_table_name = 'areas' AND f_geometry_column = 'geometry'"
            )
        ).one()
        indexes = conn.execute(
            text("SELECT indexdef FROM pg_indexes WHERE tablename = 'areas'")
        ).scalars()
        gist = [d for d in indexes if "USING gist" in d and "(geometry)" in d]
        # A real geometry: PostGIS itself computes area and containment.
        area = conn.execute(text("SELECT ST_Area(geometry) FROM areas")).scalar_one()
        inside = (
            conn.execute(
                text(
                    "SELECT code FROM areas WHERE ST_Contains(geometry, "
                    "ST_SetSRID(ST_MakePoint(208000, 375000), 28992))"
                )
            )
            .scalars()
            .all()
        )

    assert srid == 28992
    assert tuple(column) == (28992, "GEOMETRY")
    assert len(gist) == 1, f"expected one GiST index on areas.geometry, got {gist}"
    assert area == pytest.approx(40_000.0)
    assert inside == ["BU09830001"]


def test_sqlite_geometry_is_wkb(sqlite_url: str, engines: list[Engine]) -> None:
    engine = make_engine(sqlite_url)
    engines.append(engine)
    with engine.begin() as conn:
        conn.execute(areas.insert(), [_area("BU09830001", SQUARE)])
    with engine.connect() as conn:
        raw = conn.execute(text("SELECT geometry FROM areas")).scalar_one()
    assert isinstance(raw, bytes)
    assert shapely.from_wkb(raw).equals_exact(SQUARE, tolerance=1e-6)
