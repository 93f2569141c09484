"""What is published together: gemeenten on their indeling, the regions over them, and the group
series of their interventions.

A number may be protected only against the numbers published *with* it, so the unit of
publication is a *cluster*: gemeenten joined by the regions they share (a region's total is a sum
of its gemeenten, so a region ties their cells together), now or in any earlier release (a region
that lost a gemeente still has its old totals out, with the gemeente in them). Every gemeente is published on exactly
one indeling, its latest stored one: the same figures on two indelingen could be subtracted
from each other. Whatever output asks for a gemeente or a region, it gets the rows of the one
publication of its cluster, computed the same way every time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, Engine, select

from data import db, frames, store
from data.regions import load_regions
from geo.areas import gemeente_of
from geo.errors import InputError


@dataclass(frozen=True)
class Cluster:
    """Gemeenten published together, each on its indeling, and the regions over them."""

    indelingen: tuple[tuple[str, int], ...]  # (gemeentecode, indeling_jaar), sorted
    regions: tuple[tuple[str, tuple[str, ...]], ...]  # (region id, member gemeenten), sorted

    @property
    def gemeenten(self) -> tuple[str, ...]:
        return tuple(g for g, _ in self.indelingen)

    def jaar(self, gemeente: str) -> int:
        return dict(self.indelingen)[gemeente]


def stored_indelingen(conn: Connection | Engine) -> dict[str, int]:
    """Per stored gemeente: its latest indeling_jaar (the one it is published on)."""
    frame = store.load_areas(conn, levels=["gemeente"])
    latest = frame.groupby("gemeentecode")["indeling_jaar"].max()
    return {str(g): int(j) for g, j in latest.items()}


def released_regions(conn: Connection | Engine) -> list[tuple[str, ...]]:
    """The members of every region an earlier release showed (``release_groups``)."""
    t = db.release_groups.c
    query = select(t.leden).where(t.soort == "regio").distinct()
    if isinstance(conn, Engine):
        with conn.connect() as c:
            rows = c.execute(query).all()
    else:
        rows = conn.execute(query).all()
    return sorted({tuple(str(leden).split("|")) for (leden,) in rows})


def clusters(
    indelingen: dict[str, int],
    regions: pd.DataFrame,
    released: Iterable[tuple[str, ...]] = (),
) -> list[Cluster]:
    """Gemeenten joined by shared regions (union-find), with the regions wholly inside each.

    ``released``: the members of regions released before (``released_regions``); they join
    their gemeenten too, since their totals are out, but are no region of the cluster (the
    publication keeps them in the protection as ghosts). A region member without stored areas
    is left out of the region (it has nothing published).
    """
    parent = {g: g for g in indelingen}

    def find(g: str) -> str:
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    members_of: dict[str, tuple[str, ...]] = {}
    for row in frames.rows(regions):
        members = tuple(sorted(g for g in row.gemeenten if g in indelingen))
        if not members:
            continue
        members_of[str(row.id)] = members
        for other in members[1:]:
            parent[find(other)] = find(members[0])
    for leden in released:
        tied = [g for g in leden if g in indelingen]
        for other in tied[1:]:
            parent[find(other)] = find(tied[0])
    groups: dict[str, list[str]] = {}
    for g in sorted(indelingen):
        groups.setdefault(find(g), []).append(g)
    out = []
    for gemeenten in groups.values():
        inside = tuple(
            (rid, m) for rid, m in sorted(members_of.items()) if set(m) <= set(gemeenten)
        )
        out.append(Cluster(tuple((g, indelingen[g]) for g in gemeenten), inside))
    return sorted(out, key=lambda c: c.gemeenten)


def cluster_of(conn: Connection | Engine, *, gemeenten: Iterable[str]) -> Cluster:
    """The one cluster holding all ``gemeenten`` (InputError when unknown or in several)."""
    wanted = sorted({g.strip().upper() for g in gemeenten})
    indelingen = stored_indelingen(conn)
    unknown = [g for g in wanted if g not in indelingen]
    if unknown:
        raise InputError(
            "Onbekende gemeente(n): " + ", ".join(unknown),
            [f"geladen: {', '.join(sorted(indelingen)) or 'geen'}"],
        )
    found = [c for c in stored_clusters(conn) if set(c.gemeenten) & set(wanted)]
    return merge(found)


def stored_clusters(conn: Connection | Engine) -> list[Cluster]:
    """Every cluster of the stored gemeenten, regions and earlier releases."""
    return clusters(stored_indelingen(conn), load_regions(conn), released_regions(conn))


def merge(found: Sequence[Cluster]) -> Cluster:
    """Several clusters as one request (they stay independent: no relation crosses them)."""
    indelingen = tuple(sorted({pair for c in found for pair in c.indelingen}))
    regions = tuple(sorted({r for c in found for r in c.regions}))
    return Cluster(indelingen, regions)


def region_cluster(conn: Connection | Engine, region_id: str) -> tuple[Cluster, tuple[str, ...]]:
    """The cluster of a region and the region's gemeenten with areas (InputError if unknown)."""
    regions = load_regions(conn)
    row = regions[regions["id"] == region_id]
    if row.empty:
        known = ", ".join(regions["id"]) or "geen"
        raise InputError(f"Onbekende regio {region_id!r}; bekend: {known}.")
    indelingen = stored_indelingen(conn)
    members = tuple(g for g in row.iloc[0]["gemeenten"] if g in indelingen)
    if not members:
        raise InputError(f"Van de gemeenten van regio {region_id!r} zijn geen gebieden geladen.")
    return cluster_of(conn, gemeenten=members), members


def gemeente_codes(codes: Iterable[str]) -> list[str]:
    """The gemeenten that buurt/wijk codes belong to, sorted, without repeats."""
    return sorted({gemeente_of(c) for c in codes})
