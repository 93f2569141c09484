"""The data version moves with every change to the tables figures come from, on both backends,
whichever program makes the change, and only once the change is committed."""

from __future__ import annotations

import pytest
from shapely.geometry import box
from sqlalchemy import Engine, insert, text

from data import db
from data.access.users import add_user
from data.meta import data_version, set_meta
from data.migrate import SQLITE_COUNTED, VERSIONED
from data.regions import add_region

SQUARE = box(207_900.0, 374_900.0, 208_100.0, 375_100.0)


@pytest.fixture
def engine(db_url: str) -> Engine:
    made = db.make_engine(db_url)
    yield made  # type: ignore[misc]
    made.dispose()


def _area(code: str) -> dict[str, object]:
    return {
        "code": code,
        "indeling_jaar": 2024,
        "level": "buurt",
        "name": f"Buurt {code}",
        "parent_code": "WK098301",
        "gemeentecode": "GM0983",
        "geometry": SQUARE,
    }


def _counter(version: str) -> int:
    """The triggers' count: the first part of a data version."""
    return int(version.split("|")[0].split("-")[0])


def test_every_change_in_place_moves_the_version(engine: Engine) -> None:
    seen = [data_version(engine)]

    def moved() -> bool:
        seen.append(data_version(engine))
        return seen[-1] != seen[-2]

    with engine.begin() as conn:
        conn.execute(insert(db.areas), [_area("BU09830101"), _area("BU09830102")])
    assert moved()
    with engine.begin() as conn:  # new geometry for the same buurt: no count or id changes
        conn.execute(text("UPDATE areas SET name = 'Nieuwe naam' WHERE code = 'BU09830101'"))
    assert moved()
    with engine.begin() as conn:
        add_region(conn, "r1", naam="Regio", gemeenten=["GM0983", "GM0889"])
    assert moved()
    with engine.begin() as conn:  # the same number of gemeenten, one swapped
        add_region(conn, "r1", naam="Regio", gemeenten=["GM0983", "GM1507"])
    assert moved()
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM areas WHERE code = 'BU09830102'"))
    assert moved()
    with engine.begin() as conn:
        set_meta(conn, "peildatum", "2025-01-31")
    assert moved()
    # Writing what no figure comes from leaves the version (and every kept page) as it was.
    with engine.begin() as conn:
        add_user(
            conn, "wh", rol="wethouder", wachtwoord="correct-paard-batterij", gemeenten=["GM0983"]
        )
    assert not moved()
    assert not moved()  # reading neither


def test_every_table_figures_come_from_has_its_trigger(engine: Engine) -> None:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            names = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
            expected = {f"{t}_{op.lower()}_telt" for t in VERSIONED for op in SQLITE_COUNTED}
        else:
            names = conn.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))
            expected = {f"{t}_telt" for t in VERSIONED}
        assert expected <= {str(n) for (n,) in names}
    assert set(VERSIONED) <= set(db.metadata.tables)


def test_the_version_moves_when_the_change_is_committed_not_before(
    engine: Engine, db_url: str
) -> None:
    """A reader that saw the new version must find the new data: a version visible before its
    data would keep the old figures under the new version until the next change."""
    before = data_version(engine)
    reader = db.make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(insert(db.areas), [_area("BU09830103")])
        assert data_version(reader) == before  # not committed yet
    assert data_version(reader) != before
    reader.dispose()


def test_a_second_start_keeps_the_count(db_url: str) -> None:
    first = db.make_engine(db_url)
    with first.begin() as conn:
        conn.execute(insert(db.areas), [_area("BU09830104")])
    version = data_version(first)
    first.dispose()
    second = db.make_engine(db_url)  # create_all and upgrade again: nothing reset or doubled
    assert data_version(second) == version
    with second.begin() as conn:
        conn.execute(text("UPDATE areas SET name = 'x' WHERE code = 'BU09830104'"))
    counted = _counter(data_version(second))
    assert counted == _counter(version) + 1  # one trigger per change, not two
    second.dispose()
