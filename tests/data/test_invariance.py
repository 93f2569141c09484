"""Invariance: change secret cells in the stored signals in a way that leaves the publication as
it is, and no output changes: not the GPKG, the CSV/XLSX downloads, the PDF text (the briefing
and the RPF overview), the event study or the group lines. Whatever an output shows is a function of the publication alone."""

from __future__ import annotations

import io
import itertools
import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, text

from dashboard.briefing import briefing_pdf
from dashboard.downloads import csv_bytes, published_rows, xlsx_bytes
from dashboard.regional_report import regional_pdf
from data import store
from data.db import make_engine
from data.publication.effects import effect_for_intervention
from data.publication.export import export_gpkg
from data.publication.read import open_publication

IND = "illegale_bewoning"
KLINGERBERG = "venlo-klingerberg-2021"
SHOWN = [IND, "controles", "illegale_bewoning_per_controle"]


def _publication(engine: Engine) -> pd.DataFrame:
    pub = open_publication(engine, gemeenten=["GM0983"], indicators=SHOWN)
    return pd.concat([pub.rows(c) for c in SHOWN], ignore_index=True)


def _groups(engine: Engine) -> set[str]:
    pub = open_publication(engine, gemeenten=["GM0983"], indicators=SHOWN)
    return {c for m in pub.groups(IND)["leden"] for c in m}


def _outputs(engine: Engine, folder: Path) -> dict[str, object]:
    """Every output of Venlo that shows illegale bewoning, as bytes or text."""
    pub = open_publication(engine, gemeenten=["GM0983"])
    gpkg = export_gpkg(engine, folder / "venlo.gpkg", gemeenten=["GM0983"])
    layer = subprocess.run(
        ["ogr2ogr", "-f", "CSV", "/vsistdout/", str(gpkg), "indicatorwaarden"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    table = pub.rows(IND, gemeenten=["GM0983"], levels=["buurt", "wijk", "gemeente"])
    download = published_rows(table)
    pdf = briefing_pdf(
        engine,
        wijk="WK098325",
        indicators=[IND],
        periode=None,
        out=folder / "briefing.pdf",
        pub=pub,
    )
    overview = regional_pdf(
        engine,
        regio="rpf-demo",
        gemeenten=[],
        indicators=[IND],
        periode=None,
        out=folder / "regio.pdf",
    )
    pdf_text, overview_text = (
        subprocess.run(
            ["pdftotext", "-layout", str(f), "-"], capture_output=True, text=True, check=True
        ).stdout
        for f in (pdf, overview)
    )
    effect = effect_for_intervention(engine, KLINGERBERG, IND, "did", pub=pub)
    lines = pub.rows(IND, levels=["groep"])
    return {
        "gpkg": layer,
        "csv": csv_bytes(download),
        "xlsx": pd.read_excel(io.BytesIO(xlsx_bytes(download))).to_csv(),
        "pdf": "\n".join(line for line in pdf_text.splitlines() if "gemaakt op" not in line),
        "regio": "\n".join(line for line in overview_text.splitlines() if "gemaakt op" not in line),
        "effect": json.dumps(effect.to_json_dict(), sort_keys=True),
        "lijnen": lines.to_csv(),
    }


def _buurt_months(engine: Engine) -> pd.DataFrame:
    signals = store.load_signals(engine, gemeenten=["GM0983"], indicators=[IND])
    return signals.groupby(["buurtcode", "periode"])["teller"].sum().rename("teller").reset_index()


def _swaps(engine: Engine) -> list[tuple[str, str, str, str]]:
    """(A, B, m1, m2): two buurten outside every group series, months of one quarter, all four
    counts secret (1-4) and still 1-4 after moving one case A m2 -> A m1 and one case B m1 ->
    B m2; buurten of one wijk first (then the wijk's months stay the same too)."""
    counts = _buurt_months(engine).set_index(["buurtcode", "periode"])["teller"]
    avoid = _groups(engine)
    found = []
    codes = sorted({c for c, _ in counts.index if c not in avoid})
    pairs = sorted(itertools.permutations(codes, 2), key=lambda p: (p[0][:8] != p[1][:8], p))
    for a, b in pairs:
        for year, quarter in itertools.product(range(2019, 2025), range(4)):
            months = [f"{year}-{3 * quarter + m:02d}" for m in (1, 2, 3)]
            for m1, m2 in itertools.permutations(months, 2):
                a1, a2 = counts.get((a, m1), 0), counts.get((a, m2), 0)
                b1, b2 = counts.get((b, m1), 0), counts.get((b, m2), 0)
                if 1 <= a1 <= 3 and 2 <= a2 <= 4 and 2 <= b1 <= 4 and 1 <= b2 <= 3:
                    found.append((a, b, m1, m2))
    return found


def _move(engine: Engine, buurt: str, van: str, naar: str) -> None:
    """Move one case of ``buurt`` from month ``van`` to month ``naar`` (same bron and kind)."""
    where = "buurtcode = :b AND periode = :p AND indicator = :i AND bron = :bron AND soort = :s"
    with engine.begin() as conn:
        row = conn.execute(
            text(
                "SELECT bron, soort FROM signals WHERE buurtcode = :b AND periode = :p AND "
                "indicator = :i AND teller >= 1 ORDER BY bron, soort LIMIT 1"
            ),
            {"b": buurt, "p": van, "i": IND},
        ).one()
        params = {"b": buurt, "i": IND, "bron": row.bron, "s": row.soort}
        conn.execute(
            text(f"UPDATE signals SET teller = teller - 1 WHERE {where}"), {**params, "p": van}
        )
        moved = conn.execute(
            text(f"UPDATE signals SET teller = teller + 1 WHERE {where}"), {**params, "p": naar}
        )
        if moved.rowcount == 0:
            conn.execute(
                text(
                    "INSERT INTO signals (buurtcode, periode, indicator, teller, bron, soort) "
                    "VALUES (:b, :p, :i, 1, :bron, :s)"
                ),
                {**params, "p": naar},
            )


def test_secret_changes_that_leave_the_publication_change_no_output(
    demo_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "demo.db"
    shutil.copy(demo_url.removeprefix("sqlite:///"), path)
    engine = make_engine(f"sqlite:///{path}")
    before = _publication(engine)
    (tmp_path / "voor").mkdir()
    (tmp_path / "na").mkdir()
    outputs = _outputs(engine, tmp_path / "voor")
    for a, b, m1, m2 in _swaps(engine)[:20]:
        _move(engine, a, m2, m1)
        _move(engine, b, m1, m2)
        if _publication(engine).equals(before):
            break
        _move(engine, a, m1, m2)  # undo: this swap moved the publication after all
        _move(engine, b, m2, m1)
    else:
        pytest.fail("no change of secret cells found that leaves the publication as it is")
    changed = _buurt_months(engine).set_index(["buurtcode", "periode"])["teller"]
    assert (
        changed[(a, m1)]
        != _buurt_months(make_engine(demo_url)).set_index(["buurtcode", "periode"])["teller"][
            (a, m1)
        ]
    )
    after = _outputs(engine, tmp_path / "na")
    for name, value in outputs.items():
        assert after[name] == value, name
    engine.dispose()
