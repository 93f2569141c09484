"""`wijkmonitor power` on the demo: the contract's JSON, sizes per month from published numbers."""

from __future__ import annotations

import json

import pytest

from dashboard.cli import main


def test_power_json_per_month(demo_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "--db",
        demo_url,
        "power",
        "--buurt",
        "BU09831201",
        "--buurt",
        "bu09831202",
        "--indicator",
        "illegale_bewoning",
        "--json",
    ]
    assert main(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["indicator"] == "illegale_bewoning" and data["eenheid"] == "per 1.000 woningen"
    assert data["buurten"] == ["BU09831201", "BU09831202"]
    assert set(data["mde"]) == {"12", "24", "36"}
    shown = {h: v for h, v in data["mde"].items() if v is not None}
    assert shown and all(v > 0 for v in shown.values())
    # The series are quarterly (buurt months are mostly secret): a quarter is three months.
    assert data["granulariteit"] == "kwartaal"
    for horizon, size in shown.items():
        assert size == pytest.approx(data["mde_per_periode"][horizon] / 3, abs=2e-3)
    if "24" in shown and "36" in shown:
        assert shown["36"] <= shown["24"]  # a longer wait sees smaller effects


def test_power_text_and_bad_input(demo_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--db", demo_url, "power", "--buurt", "BU09832501", "--indicator", "controles"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "na 36 maanden" in out and "80% kans" in out
    assert (
        main(
            [
                "--db",
                demo_url,
                "power",
                "--buurt",
                "BU09832501",
                "--buurt",
                "BU08890101",
                "--indicator",
                "controles",
            ]
        )
        == 2
    )
    assert "één gemeente" in capsys.readouterr().err
