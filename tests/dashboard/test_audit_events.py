"""What the audit log records of the command line: loads, imports, exports, users, purges."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from dashboard.cli import main
from data import db
from data.settings import FILES


def test_command_line_actions_are_audited_and_the_chain_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    run = ["--db", url]
    assert main([*run, "areas", "load", str(FILES / "cbs_buurt_2024_venlo_wgs84.geojson")]) == 0
    good, bad = tmp_path / "goed.csv", tmp_path / "fout.csv"
    good.write_text(
        "buurtcode;periode;indicator;teller;bron\nBU09832501;2024-06;controles;7;gemeente\n"
    )
    bad.write_text("buurtcode;periode;indicator;teller;bron\nBU09832501;2024-06;onzin;7;gemeente\n")
    assert main([*run, "import", str(good), str(bad)]) == 2
    assert main([*run, "export", "--out", str(tmp_path / "x.gpkg")]) == 0
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("een-lang-wachtwoord\n"))
    assert main([*run, "users", "add", "beheer", "--rol", "beheerder"]) == 0
    assert main([*run, "users", "disable", "beheer"]) == 0
    assert main([*run, "users", "remove", "beheer"]) == 0
    assert main([*run, "purge"]) == 0
    engine = db.make_engine(url)
    with engine.connect() as conn:
        actions = list(
            conn.execute(select(db.audit_log.c.actie).order_by(db.audit_log.c.volgnummer)).scalars()
        )
    engine.dispose()
    assert actions == [
        "gebieden geladen",
        "import",
        "import geweigerd",
        "export",
        "gebruiker opgeslagen",
        "gebruiker uitgeschakeld",
        "gebruiker verwijderd",
        "purge",
    ]
    capsys.readouterr()
    assert main([*run, "audit-log", "verify"]) == 0
    assert "Auditlog in orde: 8 regels" in capsys.readouterr().out
