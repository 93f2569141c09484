"""``wijkmonitor audit``: attack the publication of a cluster the way an outsider would.

For every indicator the raw cells are rebuilt (the audit is the one place besides the
publication itself that may look at them: it must know which secret cells hide a count of 1-4),
the publication's relations are written down, and ``indicators.audit.check`` solves them all at
once for every such cell. The standard (``indicators.audit.PROTECTION``) is broken when any cell
is pinned down, or when the secret parts of a relation with a published total add up to 1-4.

Where the publication is kept in a database, the attacker also holds the earlier releases
(``data.publication.releases``): every group series or region released before with other
members takes part, with what was shown of it (a count shown then is known to its rounding, as
long as it is still the same count), and every earlier version of a corrected count with the
totals that were published over it (``indicators.versions``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from data.publication import releases
from data.publication.build import protected_cells
from data.publication.cells import delivered_noemer
from data.publication.read import ClusterPublication
from indicators import catalogue
from indicators.audit import check, small_secret_sums
from indicators.disclosure import SAME, gemeente_blocks, validated_keys
from indicators.intervals import ROUNDING
from indicators.ordered import Table, check_joint, joint, one_table

Before = tuple[pd.DataFrame | None, pd.DataFrame | None]  # released, versions (``releases``)
TOGETHER = ":samen"  # the line of a '%' indicator's teller and noemer attacked as one system


@dataclass(frozen=True)
class IndicatorAudit:
    """The attack on one indicator (or on the protected noemer of a '%' indicator)."""

    indicator: str
    cellen: int  # delivered cells
    geheim: int  # secret cells
    primair: int  # secret cells with a true count of 1-4
    smalste: tuple[float, float] | None  # the narrowest interval reached for such a cell
    gebroken: int  # cells pinned down against the standard
    kleine_sommen: int  # relations whose secret parts add up to 1-4
    voorbeelden: tuple[str, ...]  # a few broken cells, as "code periode [lo, hi]"

    @property
    def ok(self) -> bool:
        return self.gebroken == 0 and self.kleine_sommen == 0


def audit_indicator(
    pub: ClusterPublication, indicator: str, *, versions_together: bool = False
) -> list[IndicatorAudit]:
    """Attack one indicator of a cluster's publication (and its protected noemer, if any).

    ``versions_together``: attack a teller and its noemer together with the earlier versions of
    their corrected counts as well (their integer programme can take very long where many
    counts were corrected, docs/methoden.md); by default together over the current counts, and
    each table alone with its earlier versions."""
    card = catalogue.get(indicator)
    if card.afgeleid:  # its counts are the published counts of two other indicators
        return []
    data = pub.data
    published = pub.published(indicator)
    earlier = (
        None if pub.stored is None else releases.load(pub.stored.engine, pub.cluster, indicator)
    )
    cells, memberships = protected_cells(data, indicator, published.groups, earlier)
    table = _with_ghosts(published.table, cells, earlier, indicator, "teller")
    regions = pub.cluster.regions

    def before(name: str) -> Before:
        return (
            releases.as_current(earlier, published.groups, regions, name),
            releases.versions_as_current(earlier, published.groups, regions, name),
        )

    out = [_attack(indicator, cells, memberships, table, *before(indicator))]
    tellers = (table, before(indicator))
    if delivered_noemer(data.signals, indicator):
        noemers = cells.assign(teller=cells["noemer"])
        shown = published.table["noemer_publ"].where(published.table["status"] != ".")
        table = _with_ghosts(
            published.table.assign(teller_publ=shown),
            noemers,
            earlier,
            indicator + ":noemer",
            "teller",
        )
        name = indicator + ":noemer"
        out.append(_attack(name, noemers, memberships, table, *before(name)))
        noemer_side = (table, before(name))
        if not versions_together:
            tellers, noemer_side = (tellers[0], (None, None)), (table, (None, None))
        out.append(_attack_together(indicator + TOGETHER, cells, memberships, tellers, noemer_side))
    return out


def _with_ghosts(
    table: pd.DataFrame,
    cells: pd.DataFrame,
    earlier: releases.Earlier | None,
    name: str,
    column: str,
) -> pd.DataFrame:
    """The published table in the order of ``cells``, with the rows of the ghost groups: their
    count as released (rounded) where it was shown and is still the same count, else unknown."""
    if earlier is None or len(cells) == len(table):
        return table
    aligned = cells[["code", "periode"]].merge(table, on=["code", "periode"], how="left")
    ghost = cells["code"].astype(str).str.contains(releases.GHOST, regex=False).to_numpy()
    raw = cells[column].to_numpy(dtype=float)
    record = earlier.cells[earlier.cells["indicator"] == name].set_index(["code", "periode"])
    at = record.index.get_indexer(pd.MultiIndex.from_frame(cells[["code", "periode"]]))
    found = ghost & (at >= 0)
    safe = np.where(found, at, 0)
    then = np.where(
        found, record["teller"].to_numpy(dtype=float)[safe] if len(record) else 0, np.nan
    )
    status = np.where(
        found, record["status"].astype(str).to_numpy()[safe] if len(record) else "", "."
    )
    shown = found & (status == "") & np.isclose(then, raw, rtol=0.0, atol=SAME)
    rounded = np.floor(raw / ROUNDING + 0.5) * ROUNDING
    values = aligned["teller_publ"].to_numpy(dtype=float)
    aligned["teller_publ"] = np.where(ghost, np.where(shown, rounded, np.nan), values)
    return aligned


def _ghost(cells: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """Per row: a ghost (an earlier release's area or group, by its members)."""
    found: npt.NDArray[np.bool_] = (
        cells["code"].astype(str).str.contains(releases.GHOST, regex=False).to_numpy()
    )
    return found


def _attack(
    name: str,
    cells: pd.DataFrame,
    memberships: pd.DataFrame,
    table: pd.DataFrame,
    released: pd.DataFrame | None = None,
    versions: pd.DataFrame | None = None,
) -> IndicatorAudit:
    """Attack one table; with the earlier versions of its corrected counts (``released``,
    ``versions``: ``indicators.versions.old_versions``) as extra rows, shown as they were."""
    if not cells[["code", "periode"]].equals(table[["code", "periode"]]):
        raise RuntimeError(f"{name}: publicatie en cellen lopen niet gelijk; dit is een fout.")
    raw = cells["teller"].to_numpy(dtype=float)
    ghost = _ghost(cells)
    system = one_table(validated_keys(cells), raw, memberships, released, versions, ghost)
    # A ghost's released count is its current row only while that row is its recorded version
    # (``kept``), as the publication has it; a ghost left out of a release since is an earlier
    # version of its own in ``system``, shown as it was then, and its current sum unknown.
    published = np.where(ghost & ~system.kept, np.nan, table["teller_publ"].to_numpy(dtype=float))
    everything = np.concatenate([published, system.old_published])
    blocks = gemeente_blocks(cells)
    blocks = None if blocks is None else blocks[system.cell_of]
    result = check(system.raw, everything, system.rel, blocks=blocks)
    sums = small_secret_sums(system.raw, everything, system.rel)
    delivered = ~np.isnan(raw)
    secret = int((delivered & np.isnan(published)).sum())
    labels = _labels(cells, system)
    return _summary(name, result, labels, int(delivered.sum()), secret, len(sums))


def _labels(cells: pd.DataFrame, system: Table) -> npt.NDArray[np.object_]:
    """Per row of a table's system: ``code periode``, an earlier version marked as such."""
    labels = (cells["code"].astype(str) + " " + cells["periode"].astype(str)).to_numpy()
    old = labels[system.old_row] + " (eerder)"
    out: npt.NDArray[np.object_] = np.concatenate([labels, old]).astype(object)
    return out


def _summary(
    name: str,
    result: pd.DataFrame,
    labels: npt.NDArray[np.object_],
    delivered: int,
    secret: int,
    small_sums: int,
) -> IndicatorAudit:
    narrowest = None
    if len(result):
        width = (result["hi"] - result["lo"]).to_numpy()
        i = int(np.nanargmin(np.where(np.isfinite(width), width, np.inf)))
        narrowest = (float(result["lo"].iloc[i]), float(result["hi"].iloc[i]))
    broken = result[result["gebroken"]]
    examples = tuple(
        f"{labels[r]} [{lo:.0f}, {hi:.0f}]"
        for r, lo, hi in zip(broken["row"], broken["lo"], broken["hi"], strict=True)
    )[:5]
    return IndicatorAudit(
        indicator=name,
        cellen=delivered,
        geheim=secret,
        primair=len(result),
        smalste=narrowest,
        gebroken=len(broken),
        kleine_sommen=small_sums,
        voorbeelden=examples,
    )


def _attack_together(
    name: str,
    cells: pd.DataFrame,
    memberships: pd.DataFrame,
    tellers: tuple[pd.DataFrame, Before],
    noemers: tuple[pd.DataFrame, Before],
) -> IndicatorAudit:
    """Teller and noemer as one system: no teller exceeds its noemer (``indicators.ordered``),
    each table with the earlier versions of its corrected counts (``tellers``, ``noemers``:
    the published table and what earlier releases showed)."""
    keys = validated_keys(cells)
    ghost = _ghost(cells)
    systems = [
        one_table(keys, cells[column].to_numpy(dtype=float), memberships, *before, ghost)
        for column, (_, before) in (("teller", tellers), ("noemer", noemers))
    ]
    together = joint(systems[0], systems[1])
    # As in ``_attack``: a ghost is known as released only while it is its recorded version.
    t_publ, n_publ = (
        np.where(ghost & ~system.kept, np.nan, side[0]["teller_publ"].to_numpy(dtype=float))
        for system, side in zip(systems, (tellers, noemers), strict=True)
    )
    result = check_joint(together, t_publ, n_publ, blocks=gemeente_blocks(cells))
    t_labels, n_labels = (_labels(cells, system) for system in systems)
    labels = np.concatenate([t_labels, n_labels + " (noemer)"])
    raw = together.raw[together.current]
    delivered = ~np.isnan(raw)
    secret = int((delivered & np.isnan(np.concatenate([t_publ, n_publ]))).sum())
    return _summary(name, result, labels, int(delivered.sum()), secret, 0)


def audit_publication(
    pub: ClusterPublication, indicators: list[str] | None = None
) -> list[IndicatorAudit]:
    """Attack every (or the given) indicator of a cluster's publication."""
    codes = indicators if indicators is not None else list(catalogue.CODES)
    return [row for code in codes for row in audit_indicator(pub, code)]
