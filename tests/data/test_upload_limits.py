"""Upload limits are checked before parsing: an XLSX shared-strings bomb is refused cheaply."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from dashboard.cli import main
from data.settings import FILES

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "deliveries"
ROOT = Path(__file__).resolve().parents[2]
# Peak memory of one `wijkmonitor import` in a fresh interpreter, in kB (Linux ru_maxrss).
MEASURE = (
    "import resource, sys\n"
    "from dashboard.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, 'EXIT', code)\n"
)


def small_xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["buurtcode", "periode", "indicator", "teller", "bron"])
    sheet.append(["BU09832501", "2024-06", "controles", 3, "gemeente"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


SHARED_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def bomb(strings: int = 3_000_000) -> bytes:
    """A real workbook with a shared-strings part of millions of strings (each its own object
    once read): about 84 MB of XML, under the unpacked limit, in a zip of a few hundred kB."""
    source = zipfile.ZipFile(io.BytesIO(small_xlsx()))
    out = io.BytesIO()
    item = b"<si><t>abcdefghijkl</t></si>"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename == "[Content_Types].xml":  # where openpyxl looks for the part
                override = b'<Override PartName="/xl/sharedStrings.xml" ContentType="%s"/>'
                data = data.replace(b"</Types>", override % SHARED_TYPE + b"</Types>")
            target.writestr(entry.filename, data)
        with target.open("xl/sharedStrings.xml", "w") as part:
            part.write(
                b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.'
                b'openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">'
                % (strings, strings)
            )
            for _ in range(strings // 10_000):
                part.write(item * 10_000)
            part.write(b"</sst>")
    return out.getvalue()


def peak_kb(*argv: str) -> tuple[int, int]:
    """Run `wijkmonitor` in a fresh interpreter; its peak memory (kB) and exit status."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("PEAK"))
    _, peak, _, code = line.split()
    return int(peak), int(code)


def test_shared_strings_bomb_is_refused_with_little_memory(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bom.db'}"
    assert (
        main(["--db", url, "areas", "load", str(FILES / "cbs_buurt_2024_venlo_wgs84.geojson")]) == 0
    )
    small = tmp_path / "klein.xlsx"
    small.write_bytes(small_xlsx())
    loaded = tmp_path / "bom.xlsx"
    loaded.write_bytes(bomb())
    assert loaded.stat().st_size < 1024 * 1024  # a small upload
    ordinary, ordinary_code = peak_kb("--db", url, "import", str(small))
    refused, refused_code = peak_kb("--db", url, "import", str(loaded))
    assert ordinary_code == 0 and refused_code == 2
    print(f"piekgeheugen: gewone import {ordinary // 1024} MB, bom {refused // 1024} MB")
    assert refused - ordinary < 100 * 1024, "a bomb may cost at most ~100 MB more"


def test_the_bomb_is_named_and_logged_as_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'bom.db'}"
    path = tmp_path / "bom.xlsx"
    path.write_bytes(bomb(600_000))
    assert main(["--db", url, "import", str(path)]) == 2
    err = capsys.readouterr().err
    assert "bom.xlsx: geweigerd" in err and "WIJKMONITOR_MAX_XLSX_TEKSTEN" in err


@pytest.mark.parametrize(
    ("variable", "value", "content", "expected"),
    [
        ("WIJKMONITOR_MAX_RIJEN", "2", "buurtcode;periode\n" + "BU1;2024\n" * 3, "3 regels"),
        ("WIJKMONITOR_MAX_KOLOMMEN", "3", "a;b;c;d\n1;2;3;4\n", "4 kolommen"),
        (
            "WIJKMONITOR_MAX_BESTAND_MB",
            "1",
            "a;b\n" + "1;2\n" * 300_000,
            "meer dan de toegestane 1 MB",
        ),
    ],
)
def test_csv_limits_from_the_settings(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    content: str,
    expected: str,
) -> None:
    monkeypatch.setenv(variable, value)
    path = tmp_path / "groot.csv"
    path.write_text(content)
    assert main(["--db", f"sqlite:///{tmp_path / 'l.db'}", "import", str(path)]) == 2
    err = capsys.readouterr().err
    assert expected in err and variable in err


def test_xlsx_unpacked_size_and_dtd_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    monkeypatch.setenv("WIJKMONITOR_MAX_XLSX_UITGEPAKT_MB", "1")
    path = tmp_path / "uitgepakt.xlsx"
    path.write_bytes(bomb(100_000))  # about 2,8 MB unpacked
    assert main(["--db", url, "import", str(path)]) == 2
    assert "WIJKMONITOR_MAX_XLSX_UITGEPAKT_MB" in capsys.readouterr().err
    monkeypatch.delenv("WIJKMONITOR_MAX_XLSX_UITGEPAKT_MB")
    source = zipfile.ZipFile(io.BytesIO(small_xlsx()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename == "xl/workbook.xml":
                data = b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + data.split(b"?>", 1)[-1]
            target.writestr(entry, data)
    path = tmp_path / "dtd.xlsx"
    path.write_bytes(out.getvalue())
    assert main(["--db", url, "import", str(path)]) == 2
    assert "bevat een DTD" in capsys.readouterr().err
