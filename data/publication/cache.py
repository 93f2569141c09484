"""The publication kept in the database, per cluster, indicator and data version.

Protecting a cluster's figures takes seconds per indicator; every process that needs them (the
command line, each dashboard replica, a report) reads the stored result instead, as long as the
data have not changed (``data.meta.data_version``). Stored as Parquet, never as pickles: a
database row is never code.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

from data import db, meta
from data.publication.scope import Cluster

# Bump when the way figures are published changes: older stored publications are then ignored.
PUBLICATION_VERSION = "2026-11-30.1"


def cluster_key(cluster: Cluster, indicator: str) -> str:
    """A stable text naming one indicator of one cluster."""
    gemeenten = ",".join(f"{g}@{j}" for g, j in cluster.indelingen)
    regions = ";".join(f"{r}={'+'.join(m)}" for r, m in cluster.regions)
    return f"{PUBLICATION_VERSION}|{gemeenten}|{regions}|{indicator}"[:500]


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


@dataclass
class StoredPublications:
    """Read and write stored publications for one database and data version."""

    engine: Engine
    version: str

    @classmethod
    def of(cls, engine: Engine) -> StoredPublications:
        return cls(engine, meta.data_version(engine))

    def get(self, key: str) -> tuple[pd.DataFrame, pd.DataFrame] | None:
        """The stored (table, groups), or None when absent or made from other data."""
        t = db.publications.c
        with self.engine.connect() as conn:
            row = conn.execute(select(t.versie, t.tabel, t.groepen).where(t.sleutel == key)).first()
        if row is None or row.versie != self.version:
            return None
        groups = pd.read_parquet(io.BytesIO(row.groepen))
        groups["leden"] = groups["leden"].map(tuple)
        return pd.read_parquet(io.BytesIO(row.tabel)), groups

    def put(self, key: str, table: pd.DataFrame, groups: pd.DataFrame) -> None:
        """Store (replace) one result; a concurrent writer of the same result may win."""
        values = {
            "sleutel": key,
            "versie": self.version,
            "tabel": _parquet(table),
            "groepen": _parquet(groups.assign(leden=groups["leden"].map(list))),
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(delete(db.publications).where(db.publications.c.sleutel == key))
                conn.execute(insert(db.publications).values(**values))
        except IntegrityError:
            pass  # another process stored the same publication at the same moment
