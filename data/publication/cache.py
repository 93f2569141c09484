"""The publication kept in the database, per cluster and indicator, with what it was made from.

Protecting a cluster's figures takes seconds per indicator; every process that needs them (the
command line, each dashboard replica, a report) reads the stored result instead, as long as its
inputs have not changed (``fingerprint``: the cluster's own signals, deliveries, areas, regions
and interventions). An import for one gemeente thus publishes only that gemeente's cluster
again; every other stored publication stays valid. Stored as Parquet, never as pickles: a
database row is never code.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

from data import db
from data.publication.cells import needed_inputs
from data.publication.scope import Cluster

if TYPE_CHECKING:
    from data.publication.build import ClusterData

# Bump when the way figures are published changes: older stored publications are then ignored.
# 2026-12-02.1: each publication is recorded (data.publication.releases); publications stored
# before were not, so they are made (the same) and recorded again on first use.
# 2026-12-03.1: counts of an earlier indeling are re-based whole (geo.rebase.best_fit), old
# wijken and ghosts are protected as released (data.publication.rebase.old_areas).
# 2026-12-03.2: the record keeps each cell's indeling; areas of an earlier indeling are not
# marked as left out (data.publication.releases).
# 2026-12-04.1: an indicator whose noemer is a key figure keeps it where a partner delivered a
# noemer beside the count (indicators.rates).
# 2026-12-04.2: comparison buurten are chosen on public key figures only.
# 2026-12-04.3: buurten a gemeente took over in a herindeling have no figure before they joined
# it, nor has a total over them (indicators.rates, JOINED).
# 2026-12-05.1: a teller and its delivered noemer are protected together (indicators.ordered);
# 2026-12-05.2: with the earlier versions of their corrected counts.
# 2026-12-06.1: ... and attacked together only: the repairs are chosen in the joint system.
PUBLICATION_VERSION = "2026-12-06.1"


def cluster_key(cluster: Cluster, indicator: str) -> str:
    """A stable text naming one indicator of one cluster."""
    gemeenten = ",".join(f"{g}@{j}" for g, j in cluster.indelingen)
    regions = ";".join(f"{r}={'+'.join(m)}" for r, m in cluster.regions)
    return f"{PUBLICATION_VERSION}|{gemeenten}|{regions}|{indicator}"[:500]


def _hash_frame(h: hashlib._Hash, frame: pd.DataFrame) -> None:
    """Feed a frame to ``h`` independent of its row order and index (the sorted row hashes)."""
    columns = sorted(frame.columns)
    h.update(repr(columns).encode())
    if not frame.empty:
        rows = pd.util.hash_pandas_object(frame[columns], index=False).to_numpy()
        h.update(np.sort(rows).tobytes())


def fingerprint(data: ClusterData, indicator: str) -> str:
    """One hash of everything the publication of ``indicator`` in ``data``'s cluster is made
    from, and of the way of publishing (``PUBLICATION_VERSION``). The stored publication of a
    fingerprint is the one released for those inputs (and recorded, ``releases``), so it is
    served again as it was: it shows nothing the world has not seen."""
    h = hashlib.sha256(cluster_key(data.cluster, indicator).encode())
    names = needed_inputs([indicator])
    for frame in (data.signals, data.deliveries):
        if "indicator" in frame.columns:
            frame = frame[frame["indicator"].isin(names)]
        _hash_frame(h, frame)
    _hash_frame(h, data.plain_areas)
    h.update(repr(data.interventions).encode())
    h.update(repr(sorted(data.notes.items())).encode())
    return h.hexdigest()


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


@dataclass
class StoredPublications:
    """Read and write stored publications in one database."""

    engine: Engine

    def get(self, key: str, version: str) -> tuple[pd.DataFrame, pd.DataFrame] | None:
        """The stored (table, groups), or None when absent or made from other inputs."""
        t = db.publications.c
        with self.engine.connect() as conn:
            row = conn.execute(select(t.versie, t.tabel, t.groepen).where(t.sleutel == key)).first()
        if row is None or row.versie != version:
            return None
        groups = pd.read_parquet(io.BytesIO(row.groepen))
        groups["leden"] = groups["leden"].map(tuple)
        return pd.read_parquet(io.BytesIO(row.tabel)), groups

    def put(self, key: str, version: str, table: pd.DataFrame, groups: pd.DataFrame) -> None:
        """Store (replace) one result; a concurrent writer of the same result may win."""
        values = {
            "sleutel": key,
            "versie": version,
            "tabel": _parquet(table),
            "groepen": _parquet(groups.assign(leden=groups["leden"].map(list))),
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(delete(db.publications).where(db.publications.c.sleutel == key))
                conn.execute(insert(db.publications).values(**values))
        except IntegrityError:
            pass  # another process stored the same publication at the same moment
