"""The command line as the contract describes it: exit codes, --db anywhere, JSON listing."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.cli import main
from data.settings import FILES

BUURTEN = str(FILES / "cbs_buurt_2024_venlo_wgs84.geojson")
WIJKEN = str(FILES / "cbs_wijk_2024_venlo_wgs84.geojson")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_areas_load_and_list_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    assert run(capsys, "--db", url, "areas", "load", BUURTEN)[0] == 0
    code, out, _ = run(capsys, "areas", "load", WIJKEN, "--db", url)
    assert code == 0 and "21 wijken" in out and "BU09833202" in out
    code, out, _ = run(capsys, "areas", "list", "--gemeente", "GM0983", "--json", "--db", url)
    assert code == 0
    records = json.loads(out)
    assert [r["code"] for r in records] == sorted(r["code"] for r in records)
    assert len(records) == 114 + 21 + 1
    assert set(records[0]) == {
        "code",
        "name",
        "level",
        "parent_code",
        "indeling_jaar",
        "inwoners",
        "woningen",
    }
    by_code = {r["code"]: r for r in records}
    assert by_code["WK098325"]["name"] == "Wijk 25 Klingerberg"
    assert by_code["WK098325"]["parent_code"] == "GM0983"
    assert by_code["GM0983"]["parent_code"] is None and by_code["GM0983"]["level"] == "gemeente"
    assert by_code["BU09832501"]["inwoners"] is None  # the generalised file has no key figures


def test_db_from_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIJKMONITOR_DB", f"sqlite:///{tmp_path / 'env.db'}")
    assert run(capsys, "areas", "load", BUURTEN)[0] == 0
    assert (tmp_path / "env.db").exists()


def test_bad_input_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    broken = tmp_path / "kapot.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [')
    code, _, err = run(capsys, "--db", url, "areas", "load", str(broken))
    assert code == 2 and "kapot.geojson" in err
    code, _, err = run(capsys, "--db", url, "areas", "load", str(tmp_path / "bestaat-niet.gpkg"))
    assert code == 2 and "niet gevonden" in err
    code, out, _ = run(capsys, "--db", url, "areas", "list", "--json")
    assert code == 0 and json.loads(out) == []


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["bestaat-niet"])
    assert exc.value.code == 2
    assert "fout" in capsys.readouterr().err


def test_console_script_is_installed(tmp_path: Path) -> None:
    exe = shutil.which("wijkmonitor", path=str(Path(sys.executable).parent))
    assert exe is not None
    result = subprocess.run(
        [exe, "areas", "list", "--json", "--db", f"sqlite:///{tmp_path / 'x.db'}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and json.loads(result.stdout) == []


def test_national_topojson_loads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The 2014 national file: arcs come before "Topology", and some shapes break make_valid."""
    url = f"sqlite:///{tmp_path / 'nl.db'}"
    path = str(FILES / "cbs_buurt_2014_nl_wgs84_q1e3.topojson")
    code, out, _ = run(capsys, "--db", url, "areas", "load", path, "--gemeente", "GM0303")
    assert code == 0 and "buurten" in out
    code, out, _ = run(capsys, "--db", url, "areas", "list", "--gemeente", "GM0303", "--json")
    records = json.loads(out)
    assert {r["indeling_jaar"] for r in records} == {2014}
    assert "BU03030550" in {r["code"] for r in records}  # the shape that broke GEOS make_valid
