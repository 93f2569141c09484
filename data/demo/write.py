"""Storing the demo's synthetic deliveries: one logged import per bron, as a partner file would be.

Shared by Venlo (``data.demo.venlo``) and the regional gemeenten (``data.demo.regio``).
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, update

from data import db, store
from data.demo.params import GELEVERD_OP


def store_deliveries(
    conn: Connection, signals: pd.DataFrame, deliveries: pd.DataFrame, *, label: str
) -> None:
    """Store ``signals`` and ``deliveries`` per bron, each under its own import log row.

    ``label`` prefixes the logged file name (``{label}{bron}``); the delivery moment is the
    bron's fixed ``GELEVERD_OP`` so that the demo stays deterministic.
    """
    for bron in sorted(deliveries["bron"].unique()):
        rows = signals[signals["bron"] == bron].reset_index(drop=True)
        import_id = store.log_import(
            conn,
            bestand=f"{label}{bron}",
            inhoud=rows.to_csv(index=False, lineterminator="\n").encode("utf-8"),
            soort="demo",
            rijen=len(rows),
            uitkomst="geaccepteerd",
            melding="Fictieve demolevering",
            gebruiker="demo",
        )
        store.save_signals(conn, rows, import_id=import_id)
        store.save_deliveries(conn, deliveries[deliveries["bron"] == bron], import_id=import_id)
        conn.execute(
            update(db.deliveries)
            .where(db.deliveries.c.import_id == import_id)
            .values(geleverd_op=GELEVERD_OP[bron])
        )
