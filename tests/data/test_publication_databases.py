"""`publish`, `audit` and `effect --json` give the same answers on SQLite and on PostGIS.

One small synthetic gemeente (Beesel's real buurten, fixed random signals, an intervention on two
buurten) is written to both databases; the commands run through the command line on each.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard.cli import main
from data import db, store

INDICATOR = "illegale_bewoning"


def _fill(url: str, areas: pd.DataFrame) -> None:
    rng = np.random.default_rng(20261130)
    buurten = sorted(areas.loc[areas["level"] == "buurt", "code"])
    periods = [f"{2022 + m // 12}-{m % 12 + 1:02d}" for m in range(30)]
    rows = [(b, p, float(rng.poisson(2.5))) for b in buurten for p in periods]
    signals = pd.DataFrame(rows, columns=["buurtcode", "periode", "teller"]).assign(
        indicator=INDICATOR, noemer=np.nan, bron="gemeente", soort="aggregaat"
    )
    deliveries = pd.DataFrame(
        {"bron": "gemeente", "gemeentecode": "GM0889", "indicator": INDICATOR, "periode": periods}
    )
    intervention = {
        "id": "proef",
        "naam": "Proef",
        "soort": "controleavond",
        "start": date(2023, 7, 1),
        "eind": None,
        "partners": ["gemeente"],
        "buurtcodes": buurten[:2],
    }
    engine = db.make_engine(url)
    try:
        store.save_areas(engine, areas)
        with engine.begin() as conn:
            store.save_signals(conn, signals, import_id=None)
            store.save_deliveries(conn, deliveries, import_id=None)
            store.save_interventions(conn, pd.DataFrame([intervention]))
    finally:
        engine.dispose()


def _run(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[str, str, dict]:  # type: ignore[type-arg]
    out = tmp_path / f"publicatie-{url.split(':')[0]}.csv"
    assert main(["--db", url, "publish", "--gemeente", "GM0889", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["--db", url, "audit", "--gemeente", "GM0889"]) == 0
    audit = capsys.readouterr().out
    args = ["--db", url, "effect", "--interventie", "proef", "--indicator", INDICATOR]
    assert main([*args, "--periode-per", "kwartaal", "--json"]) == 0
    effect = json.loads(capsys.readouterr().out)
    return out.read_text(encoding="utf-8"), audit, effect


def test_same_publication_audit_and_effect_on_sqlite_and_postgis(
    demo_url: str,
    sqlite_url: str,
    postgis_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    demo = db.make_engine(demo_url)
    areas = store.load_areas(demo, gemeenten=["GM0889"])
    demo.dispose()
    for url in (sqlite_url, postgis_url):
        _fill(url, areas)

    csv_lite, audit_lite, effect_lite = _run(sqlite_url, tmp_path, capsys)
    csv_pg, audit_pg, effect_pg = _run(postgis_url, tmp_path, capsys)

    assert csv_lite == csv_pg
    rows = pd.read_csv(tmp_path / "publicatie-sqlite.csv", dtype={"periode": str})
    assert set(rows["niveau"]) == {"buurt", "wijk", "gemeente", "groep"}
    assert "Norm gehaald" in audit_lite and audit_lite == audit_pg
    assert effect_lite == effect_pg
    study = effect_lite["event_study"]
    assert study and {"periode", "effect", "ci_low", "ci_high"} <= set(study[0])
    assert all(len(row["periode"]) == 7 and row["periode"][5] == "Q" for row in study)
