"""Properties of the aggregate import, with generated files in every dialect: a valid file is
accepted and its teller sum stored exactly; one bad cell refuses the file and is named by its
row and column, and the refusal leaves only its log row."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from data import db
from data.db import make_engine
from data.deliveries.importer import import_files
from indicators import catalogue
from tests.data.deliveries_seed import TODAY, assert_refused_cleanly, seed, snapshot

BUURTEN = ["BU09831101", "BU09831102", "BU09831103", "BU09831104", "BU09831201"]
DELIVERED = [c.code for c in catalogue.CATALOGUE if not c.afgeleid]
COLUMNS = ["buurtcode", "periode", "indicator", "teller", "noemer", "bron"]


@dataclass(frozen=True)
class Row:
    buurtcode: str
    periode: str
    indicator: str
    teller: int
    noemer_tienden: int  # noemer in tenths, so every value is exact in any notation
    bron: str

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.bron, self.buurtcode, self.periode, self.indicator)


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    encoding: str
    noemer_style: str
    upper_header: bool
    column_order: tuple[int, ...]


periods = st.one_of(
    st.builds(lambda y, m: f"{y}-{m:02d}", st.integers(1990, 2025), st.integers(1, 12)),
    st.builds(lambda y, q: f"{y}-Q{q}", st.integers(1990, 2025), st.integers(1, 4)),
    st.integers(1990, 2025).map(str),
)


@st.composite
def rows(draw: st.DrawFn) -> Row:
    teller = draw(st.integers(0, 10**6))
    return Row(
        draw(st.sampled_from(BUURTEN)),
        draw(periods),
        draw(st.sampled_from(DELIVERED)),
        teller,
        draw(st.integers(max(teller * 10, 1), teller * 10 + 10**7)),
        draw(st.sampled_from(catalogue.BRONNEN)),
    )


# One row per series and year: periods of different lengths that overlap (1990 and 1990-01) in
# one series are refused by design ("lever per reeks één soort periode").
valid_files = st.lists(
    rows(),
    min_size=1,
    max_size=25,
    unique_by=lambda r: (r.bron, r.buurtcode, r.indicator, r.periode[:4]),
)
dialects = st.builds(
    Dialect,
    st.sampled_from([",", ";"]),
    st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
    st.sampled_from(["punt", "komma", "duizendtal"]),
    st.booleans(),
    st.permutations(range(len(COLUMNS))).map(tuple),
)


def noemer_text(tienden: int, style: str) -> str:
    whole, tenth = divmod(tienden, 10)
    if style == "punt":
        return f"{whole}.{tenth}"
    if style == "komma":
        return f"{whole},{tenth}"
    return f"{whole:,}".replace(",", ".") + f",{tenth}"


def write(
    path: Path, file_rows: list[Row], dialect: Dialect, bad: dict[int, str] | None = None
) -> None:
    """Write the rows; ``bad`` maps a row number (0-based) to the column holding ``BAD``."""
    order = [COLUMNS[i] for i in dialect.column_order]
    header = [c.upper() if dialect.upper_header else c for c in order]
    lines = [dialect.delimiter.join(header)]
    for number, row in enumerate(file_rows):
        cells = {
            "buurtcode": row.buurtcode,
            "periode": row.periode,
            "indicator": row.indicator,
            "teller": str(row.teller),
            "noemer": noemer_text(row.noemer_tienden, dialect.noemer_style),
            "bron": row.bron,
        }
        if bad and number in bad:
            cells[bad[number][0]] = bad[number][1]
        lines.append(dialect.delimiter.join(_quote(cells[c], dialect.delimiter) for c in order))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(dialect.encoding))


def _quote(value: str, delimiter: str) -> str:
    return f'"{value}"' if delimiter in value else value


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    made = make_engine(f"sqlite:///{tmp_path_factory.mktemp('eigenschappen') / 'p.db'}")
    seed(made)
    yield made
    made.dispose()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bestanden")


@settings(max_examples=60, deadline=None)
@given(file_rows=valid_files, dialect=dialects)
def test_valid_file_is_stored_exactly(
    engine: Engine, folder: Path, file_rows: list[Row], dialect: Dialect
) -> None:
    path = folder / "geldig.csv"
    write(path, file_rows, dialect)
    [outcome] = import_files(engine, [path], vervang=True, today=TODAY)
    assert outcome.geaccepteerd, outcome.problemen
    s = db.signals.c
    with engine.connect() as conn:
        count, teller, noemer = conn.execute(
            select(func.count(), func.sum(s.teller), func.sum(s.noemer)).where(
                s.import_id == outcome.import_id
            )
        ).one()
    assert count == len(file_rows)
    assert teller == sum(r.teller for r in file_rows)
    assert round(noemer * 10) == sum(r.noemer_tienden for r in file_rows)


BAD_VALUES = {
    "buurtcode": ["BU0983", "BU99999999", "", "XX09831101", "09831101"],
    "periode": ["2025-13", "1989-12", "2025-Q5", "25-01", "", "2999", "2025/01"],
    "indicator": ["illegale_bewoning_per_controle", "onbekend", "", "controle"],
    "teller": ["-1", "1,5", "abc", "", "1e3", "2.5"],
    "noemer": ["0", "-5", "abc", "0,0", "1,2,3"],
    "bron": ["gemeentes", "", "cbs", "gemeente x"],
}


@st.composite
def bad_cells(draw: st.DrawFn) -> tuple[str, str]:
    column = draw(st.sampled_from(COLUMNS))
    return column, draw(st.sampled_from(BAD_VALUES[column]))


@settings(max_examples=60, deadline=None)
@given(
    file_rows=valid_files,
    dialect=dialects,
    where=st.integers(0, 24),
    cell=bad_cells(),
)
def test_one_bad_cell_refuses_the_file_and_is_named(
    engine: Engine,
    folder: Path,
    file_rows: list[Row],
    dialect: Dialect,
    where: int,
    cell: tuple[str, str],
) -> None:
    number = where % len(file_rows)
    path = folder / "fout.csv"
    write(path, file_rows, dialect, bad={number: cell})
    before = snapshot(engine)
    [outcome] = import_files(engine, [path], vervang=True, today=TODAY)
    assert_refused_cleanly(engine, before, outcome)
    named = f"fout.csv, rij {number + 2}, kolom {cell[0]}: "
    assert any(p.startswith(named) for p in outcome.problemen), (named, outcome.problemen)
