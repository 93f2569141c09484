"""Database passwords never appear in output; settings are read in one place only."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.cli import main

ROOT = Path(__file__).resolve().parents[2]
URL = "postgresql://wm:S3cretPw@127.0.0.1:1/wijkmonitor"


def test_serve_prints_the_database_url_without_its_password(tmp_path: Path) -> None:
    env = dict(os.environ, WIJKMONITOR_DB=URL)
    env.pop("WIJKMONITOR_DEMO_LOGIN", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", "serve", "--port", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
    finally:
        process.kill()
        process.wait(timeout=30)
    assert "postgresql://wm:***@127.0.0.1:1/wijkmonitor" in line
    assert "S3cretPw" not in line


def test_a_failing_database_is_reported_without_its_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--db", URL, "areas", "list"]) == 1
    captured = capsys.readouterr()
    assert "S3cretPw" not in captured.err + captured.out
    assert captured.err.startswith("wijkmonitor: ")


@pytest.mark.parametrize("value", ["abc", "0", "-3"])
def test_a_bad_setting_exits_2_naming_the_variable(
    value: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIJKMONITOR_BEWAARTERMIJN_DAGEN", value)
    assert main(["purge"]) == 2
    err = capsys.readouterr().err
    assert f"WIJKMONITOR_BEWAARTERMIJN_DAGEN={value!r}" in err
    assert "geheel getal van 1 of meer" in err and "Traceback" not in err


def test_the_environment_is_read_only_by_the_settings_module() -> None:
    """Every WIJKMONITOR_* variable is a field of data.settings.Settings, read there."""
    readers = []
    for path in [*ROOT.glob("dashboard/**/*.py"), *ROOT.glob("data/**/*.py")]:
        text = path.read_text()
        if re.search(r"os\.environ\.get|os\.getenv|environ\[", text):
            readers.append(str(path.relative_to(ROOT)))
    assert readers == []  # data/settings.py reads os.environ.items() once, parsed and cached
