"""Engine and schema. One schema for SQLite (the embedded default) and PostGIS: only the URL differs.

Geometry is stored in EPSG:28992: as WKB in a BLOB on SQLite, as a PostGIS ``geometry`` column
(with a GiST index) on PostgreSQL. The ``Geometry`` type below hides the difference; both
give and take shapely geometries.
"""

from __future__ import annotations

import re
from typing import Any

import shapely
from geoalchemy2 import Geometry as PostgisGeometry
from geoalchemy2 import WKBElement
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
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
    text,
    true,
)
from sqlalchemy.engine import Dialect, make_url
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
    # A disabled user cannot log in, and open sessions end at their next click.
    Column("actief", Boolean, nullable=False, default=True, server_default=true()),
)

# Failed logins per user name and per client, in the database so that every dashboard replica
# behind one PostGIS sees the same count (``data.access.throttle``).
login_attempts = Table(
    "login_attempts",
    metadata,
    Column("sleutel", String(200), primary_key=True),  # "naam:<naam>" or "client:<adres>"
    Column("mislukt", Integer, nullable=False),
    Column("eerste", DateTime(timezone=True), nullable=False),
    Column("geblokkeerd_tot", DateTime(timezone=True)),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tijdstip", DateTime(timezone=True), nullable=False),
    Column("gebruiker", String(100), nullable=False),
    Column("actie", String(100), nullable=False),
    Column("details", Text, nullable=False, default=""),
    # The hash chain (``data.access.audit``): position, the previous row's hash, this row's hash.
    Column("volgnummer", Integer),
    Column("vorige_hash", String(64)),
    Column("hash", String(64)),
    Index("ix_audit_log_volgnummer", "volgnummer", unique=True),
)

# One row (id 1): the end of the audit chain and its anchor after a purge. Every append locks
# this row first, so concurrent writers (several dashboards, the CLI) never fork the chain.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("volgnummer", Integer, nullable=False, default=0),
    Column("hash", String(64), nullable=False),
    Column("anker_volgnummer", Integer, nullable=False, default=0),
    Column("anker_hash", String(64), nullable=False),
    # 1 only inside a purge's transaction: the append-only triggers let that purge delete.
    Column("purge", Integer, nullable=False, default=0),
)

meta = Table(
    "meta",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

# One row (id 1): a counter that triggers move on every change to a table the dashboard shows
# figures from (``data.migrate.VERSIONED``), whichever program makes it (data.meta.data_version).
data_changes = Table(
    "data_changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("teller", BigInteger, nullable=False),
)

# The publication of a cluster, one indicator per row, as computed for one data version: every
# process (CLI, dashboard replicas, reports) reads it instead of protecting the figures again.
publications = Table(
    "publications",
    metadata,
    Column("sleutel", String(500), primary_key=True),
    Column("versie", Text, nullable=False),
    Column("tabel", LargeBinary, nullable=False),
    Column("groepen", LargeBinary, nullable=False),
)

# What has left the server, per cell: its status then and the raw count it had. A later
# publication keeps the status of every cell whose count is unchanged (data.publication.releases),
# so that two releases together never give more away than the last one alone.
releases = Table(
    "releases",
    metadata,
    Column("indicator", String(80), primary_key=True),
    Column("code", String(200), primary_key=True),
    Column("periode", String(10), primary_key=True),
    Column("gemeentecode", String(10), nullable=False, index=True),
    Column("status", String(1), nullable=False),
    Column("teller", Float, nullable=True),
    Column("van", Integer, nullable=True),  # the release it first went out in (NULL: 0)
    Column("tot", Integer, nullable=True),  # the first release that left it out (NULL: none)
    # The indeling of the gemeente it was released on (NULL: a region cell, or recorded before
    # this column). A later indeling that gives the code to another area renames the cell and
    # its versions to ``code@indeling_jaar`` (data.publication.releases).
    Column("indeling_jaar", Integer, nullable=True),
)

# Earlier versions of a cell whose count changed (a correction): released from ``van`` until
# release ``tot``. A publication solves every earlier release with its own (indicators.versions).
release_versions = Table(
    "release_versions",
    metadata,
    Column("indicator", String(80), primary_key=True),
    Column("code", String(200), primary_key=True),
    Column("periode", String(10), primary_key=True),
    Column("tot", Integer, primary_key=True, autoincrement=False),
    Column("gemeentecode", String(10), nullable=False, index=True),
    Column("status", String(1), nullable=False),
    Column("teller", Float, nullable=True),
    Column("van", Integer, nullable=True),
)

# The members of every group series and region released (code: ``releases.ledger_code``).
release_groups = Table(
    "release_groups",
    metadata,
    Column("indicator", String(80), primary_key=True),
    Column("code", String(200), primary_key=True),
    Column("gemeentecode", String(10), nullable=False, index=True),
    Column("soort", String(10), nullable=False),  # "groep" (buurten) or "regio" (gemeenten)
    Column("leden", Text, nullable=False),
)


_PASSWORD_IN_URL = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*):(?P<pw>[^/\s]*)@")


def redact_url(url: str) -> str:
    """``url`` with its password replaced by ``***``: safe for messages, logs and pages."""
    return _PASSWORD_IN_URL.sub(lambda m: f"{m.group('head')}:***@", url)


def redact(text: str, url: str | None = None) -> str:
    """``text`` with every database password in it replaced by ``***``.

    Both the ``user:password@`` form of any URL in the text and, when ``url`` is given, its
    password wherever else it appears (a driver may quote it on its own).
    """
    text = redact_url(text)
    if url:
        try:
            password = make_url(normalise_url(url)).password
        except Exception:  # an unparsable URL: the regex above is all we can do
            password = None
        if password and len(str(password)) >= 3:
            text = text.replace(str(password), "***")
    return text


def normalise_url(url: str) -> str:
    """Map ``postgresql://`` to psycopg 3 and a bare file path to a SQLite URL."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if "://" not in url:
        return f"sqlite:///{url}"
    return url


def write_lock(conn: Connection, key: str) -> None:
    """Serialise writers at the start of a transaction: on SQLite take the database's write lock
    up front (``BEGIN IMMEDIATE``: a read-then-write transaction could otherwise fail when
    another writer commits in between), on PostgreSQL a transaction-level advisory lock on
    ``key``. Call it before anything else in the transaction."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


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
    with engine.begin() as conn:
        write_lock(conn, "wijkmonitor-schema")  # replicas starting together: one at a time
        metadata.create_all(conn)
        from data.migrate import upgrade

        upgrade(conn)
    return engine
