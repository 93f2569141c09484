"""Two fictional controleavonden in Klingerberg for the demo: address findings for the analyst.

Imported through the real import path (``data.deliveries.import_files``), so they are located,
summed per buurt and month, and logged like any partner file.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select, update

from data import db
from data.deliveries.importer import import_files

AVONDEN = ("2024-10-17", "2024-11-21")
GELEVERD_OP = datetime(2024, 11, 25, 9, 0, tzinfo=UTC)
BUURTEN = ("BU09832501", "BU09832502")
BEZOEKEN_PER_AVOND = 14
# Per visit the chance of each finding besides the visit itself (illegale_bewoning is left out:
# the demo's known effect on it stays exactly as documented).
KANSEN = {
    "overbewoning": 0.12,
    "brandonveilig": 0.1,
    "brp_afwijking": 0.15,
    "doorverwijzing_zorg": 0.2,
}


def findings_frame(engine: Engine, rng: np.random.Generator) -> pd.DataFrame:
    """The rows of the demo's findings file: bag_id, datum, signaal, bron, zaak_id."""
    with engine.connect() as conn:
        ids = (
            conn.execute(
                select(db.address_buurten.c.bag_id)
                .where(db.address_buurten.c.buurtcode.in_(BUURTEN))
                .order_by(db.address_buurten.c.bag_id)
            )
            .scalars()
            .all()
        )
    rows = []
    for n, avond in enumerate(AVONDEN, start=1):
        visited = rng.choice(np.asarray(ids), size=BEZOEKEN_PER_AVOND, replace=False)
        for k, bag_id in enumerate(sorted(visited), start=1):
            signals = ["controle"] + [s for s, p in KANSEN.items() if rng.random() < p]
            rows += [
                {
                    "bag_id": bag_id,
                    "datum": avond,
                    "signaal": s,
                    "bron": "gemeente",
                    "zaak_id": f"DEMO-{n}-{k:03d}-{s[:4]}",
                }
                for s in signals
            ]
    return pd.DataFrame(rows)


def import_demo_findings(engine: Engine, rng: np.random.Generator) -> int:
    """Import the demo's controleavonden; returns the number of finding rows."""
    frame = findings_frame(engine, rng)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo_controleavonden_klingerberg.csv"
        frame.to_csv(path, index=False, sep=";")
        (outcome,) = import_files(engine, [path], vervang=False, gebruiker="demo")
    if not outcome.geaccepteerd:
        raise RuntimeError("; ".join(outcome.problemen))
    with engine.begin() as conn:  # a fixed delivery moment keeps the demo deterministic
        conn.execute(
            update(db.deliveries)
            .where(db.deliveries.c.import_id == outcome.import_id)
            .values(geleverd_op=GELEVERD_OP)
        )
    return len(frame)
