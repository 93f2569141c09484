"""Shared fixtures: database URLs for the embedded SQLite store and for PostGIS.

``db_url`` runs a test on both backends. The PostGIS server comes from
``WIJKMONITOR_TEST_POSTGIS`` (set by ``scripts/test.sh``, which starts a private server); every
test gets a fresh, empty database with the postgis extension, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import URL, make_url

POSTGIS_ENV = "WIJKMONITOR_TEST_POSTGIS"


def _on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _libpq_conninfo(url: URL, database: str) -> str:
    """A psycopg connection string for ``database`` on the server of a SQLAlchemy URL."""
    return url.set(drivername="postgresql", database=database).render_as_string(hide_password=False)


def _admin(url: URL) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(_libpq_conninfo(url, "postgres"), autocommit=True, connect_timeout=10)


def _drop_database(url: URL, name: str) -> None:
    with _admin(url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that uses a PostGIS database carries the ``postgis`` marker."""
    for item in items:
        if "postgis_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgis)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database file (not yet created) in the test's own folder."""
    return f"sqlite:///{tmp_path / 't.db'}"


@pytest.fixture(scope="session")
def _postgis_server() -> URL:
    """The server of ``WIJKMONITOR_TEST_POSTGIS``; skip (fail on CI) when it is not set."""
    raw = os.environ.get(POSTGIS_ENV, "").strip()
    if not raw:
        message = (
            f"{POSTGIS_ENV} is not set: the PostGIS tests need the server that "
            "scripts/test.sh starts (run: bash scripts/test.sh)"
        )
        if _on_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    url = make_url(raw)
    try:
        with _admin(url) as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"{POSTGIS_ENV}={raw} does not answer ({exc}); start it with "
            "scripts/postgis.sh start or run bash scripts/test.sh",
            pytrace=False,
        )
    return url


@pytest.fixture(scope="session")
def _postgis_template(_postgis_server: URL) -> Iterator[str]:
    """A template database with postgis, made once per run: copying it is faster than
    CREATE EXTENSION in every test's database."""
    name = f"wm_template_{uuid.uuid4().hex[:12]}"
    with _admin(_postgis_server) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        with psycopg.connect(
            _libpq_conninfo(_postgis_server, name), autocommit=True, connect_timeout=10
        ) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        yield name
    finally:
        _drop_database(_postgis_server, name)


@pytest.fixture
def postgis_url(_postgis_server: URL, _postgis_template: str) -> Iterator[str]:
    """A URL to a fresh, empty PostGIS database (extension created), dropped after the test.

    Dispose the engines you make on it; the drop ends any connection still open.
    """
    name = f"wm_{uuid.uuid4().hex[:16]}"
    with _admin(_postgis_server) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(_postgis_template)
            )
        )
    try:
        yield _postgis_server.set(database=name).render_as_string(hide_password=False)
    finally:
        _drop_database(_postgis_server, name)


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgis", id="postgis", marks=pytest.mark.postgis),
    ]
)
def db_url(request: pytest.FixtureRequest) -> str:
    """The same test on the embedded SQLite store and on PostGIS."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("postgis_url"))


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One demo database (SQLite) per test session, for the dashboard and browser tests."""
    from data.db import make_engine
    from data.demo.venlo import build_demo

    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    engine = make_engine(url)
    build_demo(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def demo_publication(demo_url: str):  # type: ignore[no-untyped-def]
    """The publication of the demo's one cluster (Venlo, Beesel, Peel en Maas and rpf-demo),
    every indicator computed once per test session."""
    from data.db import make_engine
    from data.publication.read import open_publication
    from data.publication.scope import region_cluster
    from indicators import catalogue

    engine = make_engine(demo_url)
    cluster, _ = region_cluster(engine, "rpf-demo")
    pub = open_publication(engine, cluster=cluster)
    for code in catalogue.CODES:
        pub.published(code)
    engine.dispose()
    return pub
