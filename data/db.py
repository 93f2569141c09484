"""Engine and schema. One schema for SQLite (the embedded default) and PostGIS: only the URL differs.

Geometry is stored in EPSG:28992: as WKB in a BLOB on SQLite, as a PostGIS ``geometry`` column
(with a GiST index) on PostgreSQL. The ``Geometry`` type below hides the difference; both
give and take shapely geometries.
"""

from __future__ import annotations

from typing import Any

import shapely
from geoalchemy2 import Geometry as PostgisGeometry
from geoalchemy2 import WKBElement
from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

RD_SRID = 28992


class Geometry(TypeDecorator[Any]):
    """A shapely geometry in RD New: PostGIS geometry on PostgreSQL, WKB bytes elsewhere."""

    impl = LargeBinary
    cache_ok = True
    spatial_index = False  # geoalchemy2 reads this; the GiST index is declared on each table

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect is None:  # geoalchemy2's table events probe the type without a dialect
            return LargeBinary()
        if dialect.name == "postgresql":
            return dialect.type_descriptor(
                PostgisGeometry(geometry_type="GEOMETRY", srid=RD_SRID, spatial_index=False)
            )
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        wkb = shapely.to_wkb(value)
        if dialect.name == "postgresql":
            return WKBElement(wkb, srid=RD_SRID)
        return wkb

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, WKBElement):
            data = value.data
            return shapely.from_wkb(
                bytes(data) if not isinstance(data, str) else bytes.fromhex(data)
            )
        return shapely.from_wkb(bytes(value))


metadata = MetaData()

areas = Table(
    "areas",
    metadata,
    Column("code", String(10), primary_key=True),
    Column("indeling_jaar", Integer, primary_key=True),
    Column("level", String(8), nullable=False),
    Column("name", String(200), nullable=False),
    Column("parent_code", String(10), nullable=False),
    Column("gemeentecode", String(6), nullable=False),
    Column("inwoners", Float),
    Column("huishoudens", Float),
    Column("woningen", Float),
    Column("uitkeringen", Float),
    Column("opmerking", String(200), nullable=False, default=""),
    Column("geometry", Geometry),
    Index("ix_areas_gemeente", "gemeentecode", "indeling_jaar"),
    Index("ix_areas_geometry", "geometry", postgresql_using="gist").ddl_if(dialect="postgresql"),
)

addresses = Table(
    "addresses",
    metadata,
    Column("bag_id", String(16), primary_key=True),
    Column("postcode", String(6)),
    Column("huisnummer", Integer),
    Column("huisletter", String(1)),
    Column("toevoeging", String(4)),
    Column("gebruiksdoel", String(200)),
    Column("oppervlakte", Float),
    Column("pand_id", String(16)),
    Column("bouwjaar", Integer),
    Column("status", String(80)),
    Column("x", Float, nullable=False),
    Column("y", Float, nullable=False),
    Index("ix_addresses_postcode", "postcode", "huisnummer"),
)

address_buurten = Table(
    "address_buurten",
    metadata,
    Column("bag_id", String(16), primary_key=True),
    Column("indeling_jaar", Integer, primary_key=True),
    Column("buurtcode", String(10), nullable=False),
    Index("ix_address_buurten_buurt", "buurtcode", "indeling_jaar"),
)

import_log = Table(
    "import_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tijdstip", DateTime(timezone=True), nullable=False),
    Column("gebruiker", String(100), nullable=False),
    Column("bestand", String(500), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("soort", String(40), nullable=False),
    Column("rijen", Integer, nullable=False),
    Column("uitkomst", String(20), nullable=False),  # geaccepteerd | geweigerd
    Column("melding", Text, nullable=False, default=""),
)

# Buurt x periode x indicator per bron. ``soort`` is 'aggregaat' for delivered aggregates and
# 'bevindingen' for the monthly sums of address findings (which survive the purge of findings).
signals = Table(
    "signals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("buurtcode", String(10), nullable=False),
    Column("periode", String(7), nullable=False),
    Column("indicator", String(40), nullable=False),
    Column("teller", Float, nullable=False),
    Column("noemer", Float),
    Column("bron", String(20), nullable=False),
    Column("soort", String(12), nullable=False, default="aggregaat"),
    Column("import_id", Integer, ForeignKey("import_log.id")),
    UniqueConstraint("bron", "buurtcode", "periode", "indicator", "soort", name="uq_signal"),
    # Pages ask for indicators of gemeenten: indicator equal and buurtcode in a range.
    Index("ix_signals_indicator_buurt", "indicator", "buurtcode", "periode"),
    Index("ix_signals_buurt", "buurtcode"),
)

# Which bron delivered which indicator for which period and gemeente: what is not here is
# missing ('.'), never zero.
deliveries = Table(
    "deliveries",
    metadata,
    Column("bron", String(20), primary_key=True),
    Column("gemeentecode", String(6), primary_key=True),
    Column("indicator", String(40), primary_key=True),
    Column("periode", String(7), primary_key=True),
    Column("import_id", Integer, ForeignKey("import_log.id")),
    Column("geleverd_op", DateTime(timezone=True), nullable=False),
    Index("ix_deliveries_gemeente", "gemeentecode", "indicator"),
)

findings = Table(
    "findings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("datum", Date, nullable=False),
    Column("signaal", String(40), nullable=False),
    Column("bron", String(20), nullable=False),
    Column("zaak_id", String(100)),
    Column("bag_id", String(16)),
    Column("locatie", String(100), nullable=False),
    Column("buurtcode", String(10), nullable=False),
    Column("indeling_jaar", Integer, nullable=False),
    Column("x", Float, nullable=False),
    Column("y", Float, nullable=False),
    Column("import_id", Integer, ForeignKey("import_log.id")),
    Index("ix_findings_buurt", "buurtcode", "datum"),
)

interventions = Table(
    "interventions",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("naam", String(300), nullable=False),
    Column("soort", String(20), nullable=False),
    Column("start", Date, nullable=False),
    Column("eind", Date),
    Column("partners", String(300), nullable=False, default=""),
)

intervention_buurten = Table(
    "intervention_buurten",
    metadata,
    Column("intervention_id", String(100), ForeignKey("interventions.id"), primary_key=True),
    Column("buurtcode", String(10), primary_key=True),
    # A stage's own start (an intervention rolled out in stages); NULL: the intervention's start.
    Column("start", Date),
)

regions = Table(
    "regions",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("naam", String(300), nullable=False),
)

region_gemeenten = Table(
    "region_gemeenten",
    metadata,
    Column("region_id", String(100), ForeignKey("regions.id"), primary_key=True),
    Column("gemeentecode", String(6), primary_key=True),
)

users = Table(
    "users",
    metadata,
    Column("naam", String(100), primary_key=True),
    Column("rol", String(20), nullable=False),
    Column("wachtwoord_hash", String(300), nullable=False),
    Column("gemeenten", String(500), nullable=False, default=""),
    Column("regio", String(100)),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tijdstip", DateTime(timezone=True), nullable=False),
    Column("gebruiker", String(100), nullable=False),
    Column("actie", String(100), nullable=False),
    Column("details", Text, nullable=False, default=""),
)

meta = Table(
    "meta",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)


def normalise_url(url: str) -> str:
    """Map ``postgresql://`` to psycopg 3 and a bare file path to a SQLite URL."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if "://" not in url:
        return f"sqlite:///{url}"
    return url


def make_engine(url: str) -> Engine:
    """Create an engine for ``url`` and create the schema on first use."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    else:
        engine = create_engine(url, pool_pre_ping=True)
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")
    metadata.create_all(engine)
    _add_missing_columns(engine)
    # create_all skips the indexes of tables that already exist: add any new ones.
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            for index in table.indexes:
                index.create(conn, checkfirst=True)
    return engine


def _add_missing_columns(engine: Engine) -> None:
    """Add nullable columns that a newer schema has and an existing database lacks.

    ``create_all`` only creates missing tables; a database made by an earlier version keeps
    working after an upgrade because new columns are always nullable.
    """
    from sqlalchemy import inspect

    inspector = inspect(engine)
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            if not inspector.has_table(table.name):
                continue
            present = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in present or not column.nullable:
                    continue
                kind = column.type.compile(dialect=engine.dialect)
                conn.exec_driver_sql(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}')
