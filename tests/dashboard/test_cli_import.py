"""The import commands' handlers as the contract describes them: each file's outcome on stderr,
every problem on its own line with file, row and column; exit 2 when any file was refused."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dashboard.cli_import import cmd_import, cmd_interventions_import
from data import db, store
from data.db import make_engine
from data.settings import Settings
from tests.data.deliveries_seed import FIXTURES, seed


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    engine = make_engine(url)
    seed(engine)
    engine.dispose()
    return Settings(db_url=url)


def count(settings: Settings, table: object) -> int:
    engine = make_engine(settings.db_url)
    with engine.connect() as conn:
        value = conn.execute(select(func.count()).select_from(table)).scalar_one()  # type: ignore[arg-type]
    engine.dispose()
    return int(value)


def test_refused_file_lists_every_problem(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "leveringen.csv"
    path.write_text(
        "buurtcode;periode;indicator;teller;noemer;bron;opmerking\n"
        "BU09831101;2025-01;controles;-3;;gemeente;\n"
        "BU09839999;2025-01;uitkering_afwijking;12;10;uwv;\n",
        encoding="utf-8",
    )
    code = cmd_import(argparse.Namespace(files=[str(path)], vervang=False), settings)
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.splitlines() == [
        "leveringen.csv: geweigerd (4 problemen)",
        "  leveringen.csv, kolom opmerking: onbekende kolom / vrije tekst niet toegestaan. "
        "Toegestane kolommen: bron, buurtcode, indicator, noemer, periode, teller.",
        "  leveringen.csv, rij 2, kolom teller: negatief aantal (-3): een teller is een geheel "
        "getal van 0 of meer.",
        "  leveringen.csv, rij 3, kolom buurtcode: onbekende buurtcode 'BU09839999': niet in de "
        "geladen gebieden.",
        "  leveringen.csv, rij 3, kolom teller: teller (12) is groter dan de noemer (10).",
    ]
    assert count(settings, db.signals) == 0 and count(settings, db.import_log) == 1


def test_several_files_accepted_ones_stay(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [str(FIXTURES / n) for n in ("agg_utf8_bom.csv", "leeg.csv", "bev_ddmmjjjj.csv")]
    code = cmd_import(argparse.Namespace(files=files, vervang=False), settings)
    err = capsys.readouterr().err.splitlines()
    assert code == 2
    assert err == [
        "agg_utf8_bom.csv: geaccepteerd (2 rijen, buurtaggregaten)",
        "leeg.csv: geweigerd (1 probleem)",
        "  leeg.csv: het bestand is leeg.",
        "bev_ddmmjjjj.csv: geaccepteerd (4 rijen, adresbevindingen)",
        "2 van 3 bestanden geaccepteerd, 1 geweigerd.",
    ]
    assert count(settings, db.findings) == 4


def test_repeat_then_vervang(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(FIXTURES / "agg_utf8_bom.csv")]
    assert cmd_import(argparse.Namespace(files=files, vervang=False), settings) == 0
    assert cmd_import(argparse.Namespace(files=files, vervang=False), settings) == 2
    assert "al eerder geïmporteerd" in capsys.readouterr().err
    assert cmd_import(argparse.Namespace(files=files, vervang=True), settings) == 0
    assert capsys.readouterr().err == (
        "agg_utf8_bom.csv: geaccepteerd (2 rijen, buurtaggregaten; 2 eerder geïmporteerde "
        "rijen vervangen)\n"
    )
    assert count(settings, db.signals) == 2


def test_interventions_import(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    good = argparse.Namespace(file=str(FIXTURES / "interventies_cp1252.csv"))
    assert cmd_interventions_import(good, settings) == 0
    assert (
        capsys.readouterr().err == "interventies_cp1252.csv: geaccepteerd (2 rijen, interventies)\n"
    )
    bad = argparse.Namespace(file=str(FIXTURES / "interventies_fout.csv"))
    assert cmd_interventions_import(bad, settings) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "interventies_fout.csv: geweigerd (7 problemen)"  # a stage differs twice
    assert all(line.startswith("  interventies_fout.csv, rij ") for line in err[1:])
    engine = make_engine(settings.db_url)
    assert len(store.load_interventions(engine)) == 2
    engine.dispose()


def test_on_a_copy_of_the_demo(
    demo_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo holds 2019..2024; a 2025 delivery for a demo buurt is accepted beside it."""
    source = Path(demo_url.removeprefix("sqlite:///"))
    copy = tmp_path / "demo.db"
    shutil.copy(source, copy)
    settings = Settings(db_url=f"sqlite:///{copy}")
    before = count(settings, db.signals)
    code = cmd_import(
        argparse.Namespace(
            files=[str(FIXTURES / "agg_puntkomma_decimaalkomma.csv")], vervang=False
        ),
        settings,
    )
    assert code == 0, capsys.readouterr().err
    assert count(settings, db.signals) == before + 4
