"""The read model: what every output asks for its numbers.

``ClusterPublication`` holds the publication of one cluster, indicator by indicator, computed on
first use from one ``ClusterData`` read. Outputs take rows from it (``rows``) and never touch
signals themselves: the same cell always has the same published value, whichever page, PDF,
GPKG, download or effect shows it.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine

from data.publication import releases
from data.publication.build import (
    ClusterData,
    Published,
    load_cluster,
    publish_indicator,
)
from data.publication.cache import StoredPublications, cluster_key, fingerprint
from data.publication.cells import GROUP_COLUMNS, needed_inputs
from data.publication.memory import TableMemory
from data.publication.scope import Cluster, cluster_of
from indicators import catalogue

CSV_COLUMNS = ["code", "niveau", "periode", "indicator", "teller", "noemer", "waarde", "status"]


@dataclass
class ClusterPublication:
    """The publication of one cluster; indicators are published on first use and kept.

    Kept in ``memory`` when given (a server's budget in bytes, shared by every cluster: a
    dropped indicator is read again from the stored publication), else for the object's life.
    """

    data: ClusterData
    _published: dict[str, Published] = field(default_factory=dict, repr=False)
    _fingerprints: dict[str, str] = field(default_factory=dict, repr=False)
    stored: StoredPublications | None = field(default=None, repr=False)
    memory: TableMemory | None = field(default=None, repr=False)

    @property
    def cluster(self) -> Cluster:
        return self.data.cluster

    def fingerprint(self, indicator: str) -> str:
        """What the publication of ``indicator`` is made from (``cache.fingerprint``)."""
        if indicator not in self._fingerprints:
            self._fingerprints[indicator] = fingerprint(self.data, indicator)
        return self._fingerprints[indicator]

    def published(self, indicator: str) -> Published:
        """The publication of one indicator (its table and group members)."""
        if self.memory is not None:
            key = ("published", self.fingerprint(indicator), cluster_key(self.cluster, indicator))
            return self.memory.get_or_make(key, lambda: self._publish(indicator))
        if indicator not in self._published:
            self._published[indicator] = self._publish(indicator)
        return self._published[indicator]

    def _publish(self, indicator: str) -> Published:
        """Read the stored publication of ``indicator``, or publish and store it."""
        version = self.fingerprint(indicator)
        if self.stored is not None:
            found = self.stored.get(cluster_key(self.cluster, indicator), version)
            if found is not None:
                return Published(*found)
        card = catalogue.get(indicator)
        if card.afgeleid:
            result = publish_indicator(
                self.data,
                indicator,
                base=self.published(catalogue.ILLEGALE_BEWONING),
                effort=self.published(catalogue.CONTROLES),
            )
        elif self.stored is not None:
            engine = self.stored.engine
            earlier = releases.load(engine, self.cluster, indicator)
            releases.check_placed(earlier, self.data.unplaced, dict(self.cluster.indelingen))
            result = publish_indicator(self.data, indicator, earlier=earlier)
            if result.release is not None:
                releases.record(
                    engine,
                    result.release,
                    result.groups,
                    self.cluster.regions,
                    indicator,
                    earlier,
                    dict(self.cluster.indelingen),
                )
                result = dataclasses.replace(result, release=None)  # recorded: not kept
        else:
            result = publish_indicator(self.data, indicator)
        if self.stored is not None:
            self.stored.put(
                cluster_key(self.cluster, indicator), version, result.table, result.groups
            )
        return result

    def rows(
        self,
        indicator: str,
        *,
        gemeenten: Sequence[str] | None = None,
        regio: str | None = None,
        granularity: str | None = None,
        levels: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Published rows of ``indicator``: of ``gemeenten`` (their areas and group series) and/or
        of region ``regio`` (its own total and its gemeenten's rows)."""
        table = self.published(indicator).table
        keep = pd.Series(gemeenten is None and regio is None, index=table.index)
        if gemeenten is not None:
            keep |= table["gemeentecode"].isin(list(gemeenten))
        if regio is not None:
            members = dict(self.cluster.regions).get(regio, ())
            keep |= table["gemeentecode"].isin(list(members)) | (table["code"] == regio)
        if granularity is not None:
            keep &= table["granulariteit"] == granularity
        if levels is not None:
            keep &= table["level"].isin(list(levels))
        return table[keep].reset_index(drop=True)

    def groups(self, indicator: str, interventie: str | None = None) -> pd.DataFrame:
        """Members of the group series of ``indicator`` (``GROUP_COLUMNS``)."""
        groups = self.published(indicator).groups
        if interventie is not None:
            groups = groups[groups["interventie"] == interventie]
        return groups[GROUP_COLUMNS].reset_index(drop=True)

    def note(self, gemeente: str) -> str:
        """How the gemeente's signals were re-based onto its indeling ('' when not needed)."""
        return self.data.notes.get(gemeente, "")


def open_publication(
    conn: Connection | Engine,
    *,
    gemeenten: Sequence[str] | None = None,
    cluster: Cluster | None = None,
    indicators: Sequence[str] | None = None,
    memory: TableMemory | None = None,
) -> ClusterPublication:
    """The publication of the cluster holding ``gemeenten`` (or of ``cluster``).

    ``indicators`` limits the signals read (all when None); asking for another indicator later
    then finds no signals, so pass everything the caller will show. ``memory``: where the
    published tables are kept (a server's budget); None keeps them for the object's life.
    """
    if cluster is None:
        if not gemeenten:
            raise ValueError("Geef gemeenten of een cluster.")
        cluster = cluster_of(conn, gemeenten=gemeenten)
    inputs = None if indicators is None else needed_inputs(indicators)
    engine = conn if isinstance(conn, Engine) else conn.engine
    stored = StoredPublications(engine)
    data = load_cluster(conn, cluster, indicators=inputs)
    return ClusterPublication(data, stored=stored, memory=memory)


def publish_all(engine: Engine, cluster: Cluster) -> ClusterPublication:
    """Publish every indicator of ``cluster`` and store the result (``StoredPublications``), so
    that the next reader, in any process, finds it ready."""
    pub = open_publication(engine, cluster=cluster)
    for code in catalogue.CODES:
        pub.published(code)
    return pub


def contract_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Published rows in the contract's shape (``CSV_COLUMNS``): numbers empty where not shown."""
    out = pd.DataFrame(
        {
            "code": table["code"].astype(str),
            "niveau": table["level"].astype(str),
            "periode": table["periode"].astype(str),
            "indicator": table["indicator"].astype(str),
            "teller": table["teller_publ"].round().astype("Int64"),
            "noemer": table["noemer_publ"].astype(float),
            "waarde": table["waarde_publ"].astype(float),
            "status": table["status"].astype(str),
        }
    )
    return out[CSV_COLUMNS]


def scope_rows(
    pub: ClusterPublication,
    *,
    gemeenten: Sequence[str] | None = None,
    regio: str | None = None,
    indicators: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Every published row of the gemeenten or region asked for, all indicators, in the
    contract's shape (``CSV_COLUMNS``), sorted by niveau, code, indicator and periode."""
    codes = list(indicators) if indicators is not None else list(catalogue.CODES)
    frames = [pub.rows(c, gemeenten=gemeenten, regio=regio) for c in codes]
    table = pd.concat(frames, ignore_index=True)
    order = {"regio": 0, "gemeente": 1, "wijk": 2, "buurt": 3, "groep": 4}
    table = table.assign(_n=table["level"].map(order)).sort_values(
        ["_n", "code", "indicator", "granulariteit", "periode"], kind="stable"
    )
    return contract_rows(table).reset_index(drop=True)


def write_csv(rows: pd.DataFrame, out: Path) -> Path:
    """The publication as CSV (RFC 4180: comma, decimal point, UTF-8), written whole or not at
    all; text cells defused for spreadsheets (``data.cells.neutralise``)."""
    from data.cells import neutralise

    text = rows.copy()
    for column in ("code", "niveau", "periode", "indicator", "status"):
        text[column] = text[column].map(neutralise)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    text.to_csv(tmp, index=False, float_format="%.6g", na_rep="", lineterminator="\n")
    os.replace(tmp, out)
    return out
