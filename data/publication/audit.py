"""``wijkmonitor audit``: attack the publication of a cluster the way an outsider would.

For every indicator the raw cells are rebuilt (the audit is the one place besides the
publication itself that may look at them: it must know which secret cells hide a count of 1-4),
the publication's relations are written down, and ``indicators.audit.check`` solves them all at
once for every such cell. The standard (``indicators.audit.PROTECTION``) is broken when any cell
is pinned down, or when the secret parts of a relation with a published total add up to 1-4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.publication.cells import delivered_noemer, raw_cells
from data.publication.read import ClusterPublication
from indicators import catalogue
from indicators.audit import check, small_secret_sums
from indicators.disclosure import gemeente_blocks, validated_keys
from indicators.relations import relations


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


def audit_indicator(pub: ClusterPublication, indicator: str) -> list[IndicatorAudit]:
    """Attack one indicator of a cluster's publication (and its protected noemer, if any)."""
    card = catalogue.get(indicator)
    if card.afgeleid:  # its counts are the published counts of two other indicators
        return []
    data = pub.data
    published = pub.published(indicator)
    cells, memberships = raw_cells(
        data.signals,
        data.deliveries,
        data.plain_areas,
        indicator=indicator,
        regions=data.cluster.regions,
        groups=published.groups,
    )
    out = [_attack(indicator, cells, memberships, published.table)]
    if delivered_noemer(data.signals, indicator):
        noemers = cells.assign(teller=cells["noemer"])
        shown = published.table["noemer_publ"].where(published.table["status"] != ".")
        table = published.table.assign(teller_publ=shown)
        out.append(_attack(indicator + ":noemer", noemers, memberships, table))
    return out


def _attack(
    name: str, cells: pd.DataFrame, memberships: pd.DataFrame, table: pd.DataFrame
) -> IndicatorAudit:
    if not cells[["code", "periode"]].equals(table[["code", "periode"]]):
        raise RuntimeError(f"{name}: publicatie en cellen lopen niet gelijk; dit is een fout.")
    raw = cells["teller"].to_numpy(dtype=float)
    published = table["teller_publ"].to_numpy(dtype=float)
    rel = relations(validated_keys(cells), memberships, np.isnan(raw))
    result = check(raw, published, rel, blocks=gemeente_blocks(cells))
    sums = small_secret_sums(raw, published, rel)
    narrowest = None
    if len(result):
        width = (result["hi"] - result["lo"]).to_numpy()
        i = int(np.nanargmin(np.where(np.isfinite(width), width, np.inf)))
        narrowest = (float(result["lo"].iloc[i]), float(result["hi"].iloc[i]))
    broken = result[result["gebroken"]]
    examples = tuple(
        f"{cells['code'].iloc[r]} {cells['periode'].iloc[r]} [{lo:.0f}, {hi:.0f}]"
        for r, lo, hi in zip(broken["row"], broken["lo"], broken["hi"], strict=True)
    )[:5]
    delivered = ~np.isnan(raw)
    return IndicatorAudit(
        indicator=name,
        cellen=int(delivered.sum()),
        geheim=int((delivered & np.isnan(published)).sum()),
        primair=len(result),
        smalste=narrowest,
        gebroken=len(broken),
        kleine_sommen=len(sums),
        voorbeelden=examples,
    )


def audit_publication(
    pub: ClusterPublication, indicators: list[str] | None = None
) -> list[IndicatorAudit]:
    """Attack every (or the given) indicator of a cluster's publication."""
    codes = indicators if indicators is not None else list(catalogue.CODES)
    return [row for code in codes for row in audit_indicator(pub, code)]
