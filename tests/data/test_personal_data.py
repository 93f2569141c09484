"""Personal data is refused per value, in any column, and never echoed or stored (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from dashboard.cli import main
from data import db
from data.access.logs import import_log
from data.deliveries.importer import import_files
from data.deliveries.interventions import import_interventions
from data.deliveries.personal import has_bsn, has_name_with_birth_date
from tests.data.deliveries_seed import seed

HEADER = "datum;signaal;bron;bag_id;zaak_id\n"
GOOD = "2025-02-01;controle;gemeente;0983010099000001;Z-2025-0001\n"


@pytest.fixture
def engine(db_url: str) -> Engine:
    engine = db.make_engine(db_url)
    seed(engine)
    yield engine  # type: ignore[misc]
    engine.dispose()


def _stored(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(db.findings)).scalar_one())


@pytest.mark.parametrize(
    "value",
    [
        "123456782",
        "ZAAK-123456782",
        "Jansen.Piet.1980-02-01",
        "P. Jansen 01-02-1980",
        "jansen_piet_19800201",
    ],
)
def test_one_personal_value_in_zaak_id_refuses_the_file_unquoted(
    engine: Engine, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    path = tmp_path / "controleavond.csv"
    path.write_text(HEADER + GOOD + f"2025-02-02;controle;gemeente;0983010099000001;{value}\n")
    code = main(["--db", db_url, "import", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "controleavond.csv, rij 3, kolom zaak_id:" in err or (
        "controleavond.csv, kolom zaak_id: bevat burgerservicenummers in rij 3" in err
    )
    assert value not in err and "1980" not in err.replace("19800201", "")
    assert _stored(engine) == 0
    log = import_log(engine)
    assert list(log["uitkomst"]) == ["geweigerd"]
    assert value not in log.to_string() and "Jansen" not in log.to_string()
    assert "rij 3" in log["melding"].iloc[0] and "kolom zaak_id" in log["melding"].iloc[0]


def test_a_bsn_in_a_count_column_is_refused_too(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "uwv.csv"
    path.write_text(
        "buurtcode;periode;indicator;teller;noemer;bron\n"
        "BU09831101;2025-01;uitkering_afwijking;123456782;999999999;uwv\n"
    )
    (outcome,) = import_files(engine, [path], vervang=False)
    assert not outcome.geaccepteerd
    assert any("rij 2, kolom teller: bevat een burgerservicenummer" in p for p in outcome.problemen)
    assert not any("123456782" in p for p in outcome.problemen)


def test_a_refused_file_leaves_no_cell_value_in_the_import_log(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "fout.csv"
    path.write_text(
        "buurtcode;periode;indicator;teller;bron\nBU99999999;2025-01;controles;Klingerbergje;uwv\n"
    )
    (outcome,) = import_files(engine, [path], vervang=False)
    shown = "\n".join(outcome.problemen)
    assert "BU99999999" in shown and "Klingerbergje" in shown  # on screen: what to fix
    logged = import_log(engine)["melding"].iloc[0]
    assert "BU99999999" not in logged and "Klingerbergje" not in logged
    assert "fout.csv, rij 2, kolom buurtcode: onbekende buurtcode" in logged
    assert "fout.csv, rij 2, kolom teller: geen geheel getal" in logged


def test_a_personal_header_is_not_repeated(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "kop.csv"
    path.write_text(HEADER.strip() + ";P. Jansen 01-02-1980\n" + GOOD.strip() + ";x\n")
    (outcome,) = import_files(engine, [path], vervang=False)
    assert not outcome.geaccepteerd
    text = "\n".join(outcome.problemen) + import_log(engine).to_string()
    assert "Jansen" not in text and "6e kolom: de kopregel bevat persoonsgegevens" in text


def test_an_intervention_name_with_a_buurt_and_a_date_is_no_person(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "interventies.csv"
    path.write_text(
        "id;naam;soort;buurtcodes;start\n"
        "ca-1;Controleavond Sinselveld 17-10-2024;controleavond;BU09831101;2024-10-17\n"
        "ca-2;J. de Vries 03-04-1975;controleavond;BU09831101;2024-10-17\n"
    )
    outcome = import_interventions(engine, path)
    assert not outcome.geaccepteerd
    assert [p.split(":")[0] for p in outcome.problemen] == ["interventies.csv, rij 3, kolom naam"]


def test_the_detectors() -> None:
    assert has_bsn("111222333") and has_bsn("ref 123456782 ") and has_bsn("012345672")
    assert not has_bsn("0983010099000001") and not has_bsn("123456789") and not has_bsn("")
    assert not has_bsn("09831101")  # 8 digits alone: the column check's (a buurtcode sans BU)
    assert has_name_with_birth_date("van Dijk, J. 1-2-1980")
    assert has_name_with_birth_date("Piet Jansen 1980.02.01")
    for innocent in (
        "DEMO-1-001-cont",
        "CTRL-2024-03-01",
        "2024-03-01",
        "Z-2025-00001",
        "controle-2024-03-01",
        "Jansen 1980-02-30",
    ):
        assert not has_name_with_birth_date(innocent), innocent
