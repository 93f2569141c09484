"""Registering interventions from a file, on both backends: dialects, replacement by id, and
every problem named by row and column with nothing stored but the log row."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from data import db, store
from data.db import make_engine
from data.deliveries.interventions import import_interventions, validate_interventions
from tests.data.deliveries_seed import FIXTURES, assert_refused_cleanly, snapshot, venlo_buurten


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    made = make_engine(db_url)
    store.save_areas(made, venlo_buurten())
    yield made
    made.dispose()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_windows_1252_semicolons_and_both_date_formats(engine: Engine) -> None:
    outcome = import_interventions(engine, FIXTURES / "interventies_cp1252.csv")
    assert outcome.geaccepteerd, outcome.problemen
    assert (outcome.soort, outcome.rijen) == ("interventies", 2)
    stored = store.load_interventions(engine).set_index("id")
    cafe = stored.loc["venlo-cafe-2025"]
    assert cafe["naam"] == "Aanpak Cafébuurt"
    assert (cafe["soort"], cafe["start"], cafe["eind"]) == ("wijkaanpak", date(2025, 3, 1), None)
    assert cafe["buurtcodes"] == ["BU09831101", "BU09831102"]
    assert cafe["partners"] == ["gemeente", "politie"]
    avond = stored.loc["venlo-controle-2025"]
    assert avond["buurtcodes"] == ["BU09831103", "BU09831104"]
    assert (avond["start"], avond["eind"], avond["partners"]) == (
        date(2025, 1, 15),
        date(2025, 1, 15),
        [],
    )
    with engine.connect() as conn:
        log = conn.execute(select(db.import_log)).one()
    assert (log.soort, log.uitkomst, log.rijen) == ("interventies", "geaccepteerd", 2)


def test_same_id_replaces(engine: Engine, tmp_path: Path) -> None:
    header = "id,naam,soort,buurtcodes,start\n"
    first = write(
        tmp_path / "a.csv", header + "x-1,Eerste,overig,BU09831101 BU09831102,2024-01-01\n"
    )
    second = write(tmp_path / "b.csv", header + "x-1,Tweede,overig,BU09831103,2024-02-01\n")
    assert import_interventions(engine, first).geaccepteerd
    assert import_interventions(engine, second).geaccepteerd
    stored = store.load_interventions(engine)
    assert stored[["id", "naam"]].values.tolist() == [["x-1", "Tweede"]]
    assert stored["buurtcodes"].tolist() == [["BU09831103"]]


def test_every_problem_is_named_and_nothing_is_stored(engine: Engine) -> None:
    before = snapshot(engine)
    outcome = import_interventions(engine, FIXTURES / "interventies_fout.csv")
    assert_refused_cleanly(engine, before, outcome)
    assert [p.split(":")[0] for p in outcome.problemen] == [
        "interventies_fout.csv, rij 3, kolom id",
        "interventies_fout.csv, rij 3, kolom soort",
        "interventies_fout.csv, rij 3, kolom buurtcodes",
        "interventies_fout.csv, rij 3, kolom eind",
        "interventies_fout.csv, rij 4, kolom naam",
        "interventies_fout.csv, rij 4, kolom soort",
        "interventies_fout.csv, rij 4, kolom start",
    ]
    assert "onbekende buurtcode 'BU09839999'" in outcome.problemen[2]
    # A second row of id goed-1 is a stage: it must keep the first row's naam and soort.
    assert "andere naam dan rij 2" in outcome.problemen[4]
    assert "andere soort dan rij 2" in outcome.problemen[5]
    assert "bestaat niet" in outcome.problemen[6]


def test_stages_are_one_intervention_with_a_start_per_buurt(engine: Engine, tmp_path: Path) -> None:
    path = write(
        tmp_path / "fasen.csv",
        "id;naam;soort;buurtcodes;start;eind;partners\n"
        "w-1;Wijkaanpak;wijkaanpak;BU09831103;1-9-2023;;gemeente|nla\n"
        "w-1;Wijkaanpak;wijkaanpak;BU09831101 BU09831102;1-9-2022;;gemeente|politie\n",
    )
    outcome = import_interventions(engine, path)
    assert outcome.geaccepteerd, outcome.problemen
    [row] = store.load_interventions(engine).itertuples(index=False)
    assert (row.id, row.start, row.eind) == ("w-1", date(2022, 9, 1), None)
    assert row.buurtcodes == ["BU09831101", "BU09831102", "BU09831103"]
    assert row.starts == {
        "BU09831101": date(2022, 9, 1),
        "BU09831102": date(2022, 9, 1),
        "BU09831103": date(2023, 9, 1),
    }
    assert row.partners == ["gemeente", "nla", "politie"]


def test_a_buurt_in_two_stages_or_a_repeated_stage_is_refused(
    engine: Engine, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "fasen.csv",
        "id,naam,soort,buurtcodes,start\n"
        "w-1,Wijkaanpak,wijkaanpak,BU09831101,2022-09-01\n"
        "w-1,Wijkaanpak,wijkaanpak,BU09831101 BU09831102,2023-09-01\n"
        "w-1,Wijkaanpak,wijkaanpak,BU09831103,2022-09-01\n",
    )
    before = snapshot(engine)
    outcome = import_interventions(engine, path)
    assert_refused_cleanly(engine, before, outcome)
    assert "rij 3, kolom buurtcodes: buurt BU09831101 staat al in een fase" in outcome.problemen[0]
    assert "rij 4: dubbele regel: zelfde id en start als rij 2" in outcome.problemen[1]


def test_banned_and_unknown_columns_but_naam_is_the_name(engine: Engine, tmp_path: Path) -> None:
    path = write(
        tmp_path / "i.csv",
        "id,naam,soort,buurtcodes,start,bsn,toelichting\n"
        "a-1,Aanpak,overig,BU09831101,2024-01-01,111222333,zie mail\n",
    )
    before = snapshot(engine)
    outcome = import_interventions(engine, path)
    assert_refused_cleanly(engine, before, outcome)
    assert [p.split(":")[0] for p in outcome.problemen] == [
        "i.csv, kolom bsn",
        "i.csv, kolom toelichting",
    ]


def test_missing_columns_and_unreadable_file(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path / "kort.csv", "id,naam\na,b\n")
    before = snapshot(engine)
    outcome = import_interventions(engine, path)
    assert_refused_cleanly(engine, before, outcome)
    assert outcome.problemen == [
        "kort.csv, kolom soort: verplichte kolom ontbreekt.",
        "kort.csv, kolom buurtcodes: verplichte kolom ontbreekt.",
        "kort.csv, kolom start: verplichte kolom ontbreekt.",
    ]
    before = snapshot(engine)
    empty = import_interventions(engine, write(tmp_path / "leeg.csv", ""))
    assert_refused_cleanly(engine, before, empty)
    assert empty.problemen == ["leeg.csv: het bestand is leeg."]


def test_validate_interventions_without_a_database() -> None:
    frame = pd.DataFrame(
        {
            "id": ["a"],
            "naam": ["A"],
            "soort": ["LSI_PROJECT"],
            "buurtcodes": ["BU09831101|BU09831102 BU09831101"],
            "start": ["1-2-2024"],
            "eind": ["2024-12-31"],
        },
        index=[2],
        dtype="str",
    )
    rows, problems = validate_interventions(
        frame, bestand="t.csv", known_buurten={"BU09831101", "BU09831102"}
    )
    assert problems == []
    assert rows.iloc[0]["buurtcodes"] == ["BU09831101", "BU09831102"]
    assert (rows.iloc[0]["soort"], rows.iloc[0]["start"]) == ("lsi_project", date(2024, 2, 1))
    assert rows.iloc[0]["partners"] == []
