"""The publication: every number that may leave the server, computed in one place.

For a cluster (``data.publication.scope``) and an indicator, ``publish_indicator`` takes the raw
cells (``data.publication.cells``: buurt, wijk, gemeente, region and group series, per month,
quarter and year) and protects them all together (``indicators.disclosure``). What comes out
holds only published values:

``teller_publ``
    the count rounded to 5, where it may be shown; NaN elsewhere;
``noemer_publ``
    the denominator: a public key figure (woningen, inwoners, ...) as it is, a delivered count
    (the noemer of a '%' indicator, the controles behind hits per controle) as published itself;
``waarde_publ``
    the rate computed from those two published numbers, where the noemer is at least 50, so
    rate x public noemer gives back no more than the rounded count;
``status``
    "." not delivered, "x" something withheld (the count, or the rate of a small noemer),
    "" shown.

The dashboard, PDFs, GPKG, CSV/XLSX downloads, the regional report and the effect pages read
only this (``data.publication.read``); re-basing onto the cluster's indelingen happens once, in
``load_cluster``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import Connection, Engine

from data import store
from data.publication.cells import (
    CONTROLS_OF,
    GROUP_COLUMNS,
    Intervention,
    delivered_noemer,
    group_members,
    merged_part_cells,
    month,
    monthly_panel,
    raw_cells,
    summed_cells,
)
from data.publication.rebase import joined_buurten, signals_on_indeling
from data.publication.releases import (
    GHOST,
    Earlier,
    Regions,
    as_current,
    ghost_regions,
    ghosts,
    merged_parts,
    release_rows,
    summed_wijken,
    versions_as_current,
)
from data.publication.scope import Cluster
from geo.areas import gemeente_of
from indicators import catalogue
from indicators.comparison import ring_buurten
from indicators.disclosure import (
    MAX_REPAIRS,
    MISSING,
    SECRET,
    SHOWN,
    disclose,
    gemeente_blocks,
    preference,
    prepare,
    release_state,
)
from indicators.ordered import NOEMER, joint, one_table, repairs, stacked_rank
from indicators.periods import granularities
from indicators.rates import JOINED

PUBLISHED_COLUMNS = [
    "code",
    "level",
    "parent_code",
    "gemeentecode",
    "periode",
    "granulariteit",
    "indicator",
    "teller_publ",
    "noemer_publ",
    "waarde_publ",
    "status",
]
MIN_NOEMER = 50.0
PER_CONTROLE = catalogue.ILLEGALE_BEWONING_PER_CONTROLE


@dataclass
class ClusterData:
    """The raw inputs of one cluster: never shown, only published through ``publish_indicator``."""

    cluster: Cluster
    areas: gpd.GeoDataFrame  # every level, each gemeente on its indeling, EPSG:28992
    signals: pd.DataFrame  # re-based onto those indelingen
    deliveries: pd.DataFrame
    interventions: list[Intervention]
    notes: dict[str, str]  # gemeente -> how its signals were re-based ('' when not needed)
    # gemeente -> buurtcodes of an earlier indeling whose signals found no place on its own
    unplaced: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # buurtcode -> the first month it belongs to its gemeente (taken over in a herindeling)
    joined: dict[str, str] = field(default_factory=dict)
    _panels: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def plain_areas(self) -> pd.DataFrame:
        plain = pd.DataFrame(self.areas.drop(columns="geometry"))
        if self.joined:
            plain[JOINED] = plain["code"].map(self.joined)
        return plain

    def panel(self, indicator: str) -> pd.DataFrame:
        """Raw buurt rows of the finest period with data (for choosing comparison buurten)."""
        if indicator not in self._panels:
            self._panels[indicator] = monthly_panel(
                self.signals, self.deliveries, self.plain_areas, indicator
            )
        return self._panels[indicator]


def load_cluster(
    conn: Connection | Engine, cluster: Cluster, *, indicators: Sequence[str] | None = None
) -> ClusterData:
    """Read a cluster: areas, signals re-based onto each gemeente's indeling, deliveries and
    the interventions on its buurten (with their rings)."""
    frames, signals, notes, unplaced, joined = [], [], {}, {}, {}
    for jaar in sorted({j for _, j in cluster.indelingen}):
        gemeenten = [g for g, j in cluster.indelingen if j == jaar]
        frames.append(store.load_areas(conn, indeling_jaar=jaar, gemeenten=gemeenten))
        for gemeente in gemeenten:
            rebased = signals_on_indeling(
                conn, gemeenten=[gemeente], jaar=jaar, indicators=indicators
            )
            signals.append(rebased.signals)
            notes[gemeente] = rebased.note
            if rebased.unplaced:
                unplaced[gemeente] = rebased.unplaced
            joined.update(joined_buurten(conn, gemeente, jaar))
    areas = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
    # Every delivery record: the peildatum lines name every partner, whatever is published.
    deliveries = store.load_deliveries(conn, gemeenten=cluster.gemeenten)
    return ClusterData(
        cluster=cluster,
        areas=areas,
        signals=pd.concat(signals, ignore_index=True),
        deliveries=deliveries,
        interventions=_interventions(store.load_interventions(conn), areas),
        notes=notes,
        unplaced=unplaced,
        joined=joined,
    )


def _interventions(frame: pd.DataFrame, areas: gpd.GeoDataFrame) -> list[Intervention]:
    """Interventions whose buurten are all buurten of the cluster (on its indelingen)."""
    buurten = gpd.GeoDataFrame(areas[areas["level"] == "buurt"])
    known = set(buurten["code"])
    out = []
    treated_by: dict[str, set[str]] = {}
    usable = [
        r for r in frame.to_dict("records") if r["buurtcodes"] and set(r["buurtcodes"]) <= known
    ]
    for row in usable:
        gemeente = gemeente_of(str(row["buurtcodes"][0]))
        treated_by.setdefault(gemeente, set()).update(row["buurtcodes"])
    for row in usable:
        codes = tuple(sorted(str(c) for c in row["buurtcodes"]))
        gemeente = gemeente_of(codes[0])
        own = buurten[buurten["gemeentecode"] == gemeente]
        starts = {c: month(row["starts"].get(c) or row["start"]) for c in codes}
        out.append(
            Intervention(
                id=str(row["id"]),
                gemeentecode=gemeente,
                buurten=codes,
                starts=starts,
                ring=tuple(ring_buurten(gpd.GeoDataFrame(own), list(codes))),
                excluded=tuple(sorted(treated_by[gemeente] - set(codes))),
            )
        )
    return out


def _groups(data: ClusterData, indicator: str) -> pd.DataFrame:
    if not data.interventions:  # no group series (and no panel to choose comparisons from)
        return pd.DataFrame(columns=GROUP_COLUMNS)
    chooser = CONTROLS_OF.get(indicator, indicator)
    buurten = data.plain_areas[data.plain_areas["level"] == "buurt"]
    return group_members(data.interventions, indicator, data.panel(chooser), buurten)


@dataclass(frozen=True)
class Published:
    """One indicator's publication in a cluster: ``table`` (``PUBLISHED_COLUMNS``) and the
    members of its group series (``groups``, ``GROUP_COLUMNS``); ``release``: the status of
    every count and the raw count it had (``data.publication.releases``), where just computed."""

    table: pd.DataFrame
    groups: pd.DataFrame
    release: pd.DataFrame | None = field(default=None, repr=False)


def publish_indicator(
    data: ClusterData,
    indicator: str,
    *,
    base: Published | None = None,
    effort: Published | None = None,
    earlier: Earlier | None = None,
) -> Published:
    """Protect and publish one indicator of a cluster.

    ``illegale_bewoning_per_controle`` is derived from two published counts and needs
    ``base`` (the published ``illegale_bewoning``) and ``effort`` (the published ``controles``).
    ``earlier``: what earlier releases showed (``data.publication.releases``): a cell with the
    same count keeps its status, and a group series released with other members stays in the
    protection as a ghost (not shown).
    """
    card = catalogue.get(indicator)
    if card.afgeleid:
        if base is None or effort is None:
            raise ValueError("Treffers per controle komt uit twee gepubliceerde tabellen.")
        return _per_controle(base, effort, card.schaal)
    groups = _groups(data, indicator)
    regions = data.cluster.regions
    cells, memberships = protected_cells(data, indicator, groups, earlier)
    # a ghost takes part, is not shown; with the count it had, it is the cell then released
    ghost = cells["code"].astype(str).str.contains(GHOST, regex=False).to_numpy()
    if delivered_noemer(data.signals, indicator):
        counts, noemers = _protect_together(cells, memberships, earlier, groups, regions, ghost)
        noemer = noemers["teller_publ"]
        release = [
            release_rows(counts, groups, regions, indicator),
            release_rows(noemers, groups, regions, indicator + NOEMER),
        ]
    else:
        counts = disclose(
            cells,
            memberships,
            released=as_current(earlier, groups, regions, indicator),
            versions=versions_as_current(earlier, groups, regions, indicator),
            defined=ghost,
        )
        release = [release_rows(counts, groups, regions, indicator)]
        noemer = cells["noemer"].astype(float)  # a public key figure (NaN: unknown)
    shown = ~ghost
    table = _assemble(
        counts[shown].reset_index(drop=True), noemer[shown].reset_index(drop=True), card.schaal
    )
    return Published(table, groups, pd.concat(release, ignore_index=True))


def protected_cells(
    data: ClusterData, indicator: str, groups: pd.DataFrame, earlier: Earlier | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The raw cells a publication of ``indicator`` protects, and their memberships: those it
    shows, and what earlier releases showed that is still in an outsider's system (group series
    and regions with other members, areas of an earlier indeling: ``releases``), never shown."""
    ghost = ghosts(earlier, groups)
    regions = data.cluster.regions
    cells, memberships = raw_cells(
        data.signals,
        data.deliveries,
        data.plain_areas,
        indicator=indicator,
        regions=[*regions, *ghost_regions(earlier, regions)],
        groups=pd.concat([groups, ghost], ignore_index=True) if len(ghost) else groups,
    )
    parts, links = merged_part_cells(cells, data.signals, merged_parts(earlier))
    if len(parts):
        cells = pd.concat([cells, parts], ignore_index=True)
        memberships = pd.concat([memberships, links], ignore_index=True)
    wijken, links = summed_cells(cells, summed_wijken(earlier))
    if len(wijken):
        cells = pd.concat([cells, wijken], ignore_index=True)
        memberships = pd.concat([memberships, links], ignore_index=True)
    return cells, memberships


def _protect_together(
    cells: pd.DataFrame,
    memberships: pd.DataFrame,
    earlier: Earlier | None,
    groups: pd.DataFrame,
    regions: Regions,
    ghost: npt.NDArray[np.bool_],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Protect the teller and the delivered noemer of a '%' indicator together: each table gets
    the relation rule of its own, and one attack on the two side by side (no teller exceeds
    its noemer, which an outsider knows: ``indicators.ordered``) finds every count pinned,
    alone or together: the joint system holds each table's, so a count shown wide in it is
    wide in its own table too.

    Where a region's total ties gemeenten together, each table is attacked alone first: the
    joint system is then one programme over the whole region, in which a count pinned in one
    table is found and repaired far more slowly than in that table alone (the demo region:
    112 s against 80 s). Without a region, the joint attack alone is quicker (nationally
    68 s against 92 s for ``eigenaar_concentratie``): its parts are gemeente-years."""
    indicator = str(cells["indicator"].iloc[0])
    name = indicator + NOEMER
    tables = {
        indicator: cells,
        name: cells.assign(teller=cells["noemer"], indicator=name),
    }
    before = {
        key: (
            as_current(earlier, groups, regions, key),
            versions_as_current(earlier, groups, regions, key),
        )
        for key in tables
    }
    # What each pass's protection reads and no repair changes (keys, relations, ranks): once.
    ready = {
        key: prepare(
            table, memberships, released=before[key][0], versions=before[key][1], defined=ghost
        )
        for key, table in tables.items()
    }
    keys = ready[indicator].keys.iloc[: len(cells)]
    systems, movable, ranks = [], [], []
    for key, table in tables.items():
        raw = table["teller"].to_numpy(dtype=float)
        released, versions = before[key]
        system = one_table(keys, raw, memberships, released, versions, ghost)
        fixed = np.zeros(len(cells), dtype=bool)
        if released is not None and len(released):  # shown before, the same count: stays
            _, fixed = release_state(keys, raw, released)
        systems.append(system)
        movable.append(~(fixed & system.kept))
        ranks.append(preference(raw, keys))
    together = joint(systems[0], systems[1])
    order = stacked_rank(ranks[0], ranks[1])
    extra = {key: np.zeros(len(cells), dtype=bool) for key in tables}
    settled: npt.NDArray[np.bool_] | None = None
    blocks = gemeente_blocks(cells)
    alone = blocks is not None and bool((blocks < 0).any())  # a region's total
    rule_only = not alone
    for _ in range(MAX_REPAIRS):
        out = {
            key: ready[key].disclose(extra_secret=extra[key], rule_only=rule_only) for key in tables
        }
        found = repairs(
            together,
            out[indicator]["teller_publ"].to_numpy(dtype=float),
            out[name]["teller_publ"].to_numpy(dtype=float),
            order,
            movable=np.concatenate(movable),
            settled=settled,
            blocks=blocks,
            tables_attacked=alone,
        )
        if not found.needed:
            return out[indicator], out[name]
        # Each table again from its last protection with the repairs secret as well: secret
        # cells only grow, so every count shown wide so far stays wide, and the next pass
        # attacks only what is new, together.
        for key, mine in ((indicator, found.teller), (name, found.noemer)):
            extra[key] = out[key]["status"].eq(SECRET).to_numpy() | mine
        settled = found.wide if settled is None else settled | found.wide
        rule_only = True
    raise RuntimeError(  # pragma: no cover - guard
        "Geheimhouding: teller en noemer samen blijven herleidbaar; dit is een fout."
    )


def _assemble(counts: pd.DataFrame, noemer: pd.Series, schaal: float) -> pd.DataFrame:
    """Published columns from the protected counts and the published noemer."""
    shown = counts["status"].eq(SHOWN).to_numpy()
    teller = counts["teller_publ"].to_numpy(dtype=float)
    noemer_publ = noemer.to_numpy(dtype=float)
    rate_ok = shown & (noemer_publ >= MIN_NOEMER)
    with np.errstate(divide="ignore", invalid="ignore"):
        waarde = np.where(rate_ok, teller / np.where(rate_ok, noemer_publ, 1.0) * schaal, np.nan)
    small = shown & np.isfinite(noemer_publ) & (noemer_publ < MIN_NOEMER)
    # ``small`` rows are shown ones, so a missing row keeps its status.
    status = counts["status"].mask(small, SECRET)
    missing = status.eq(MISSING).to_numpy()
    out = counts[["code", "level", "parent_code", "gemeentecode", "periode", "indicator"]].copy()
    out["granulariteit"] = granularities(out["periode"]).to_numpy()
    out["teller_publ"] = teller
    out["noemer_publ"] = np.where(missing, np.nan, noemer_publ)
    out["waarde_publ"] = waarde
    out["status"] = status.astype(str).to_numpy()
    out["parent_code"] = out["parent_code"].fillna("").astype(str)
    return out[PUBLISHED_COLUMNS].reset_index(drop=True)


def _per_controle(base: Published, effort: Published, schaal: float) -> Published:
    """Hits per 100 controles from the two published counts: never more than they show."""
    key = ["code", "periode"]
    hits = base.table
    visits = effort.table[[*key, "teller_publ", "status"]].rename(
        columns={"teller_publ": "controles_publ", "status": "status_controles"}
    )
    both = hits.merge(visits, on=key, how="left")
    missing = (both["status"] == MISSING) | (both["status_controles"].fillna(MISSING) == MISSING)
    count_ok = both["teller_publ"].notna() & both["controles_publ"].notna()
    rate_ok = count_ok & (both["controles_publ"] >= MIN_NOEMER)
    out = both[PUBLISHED_COLUMNS].copy()
    out["indicator"] = PER_CONTROLE
    out["noemer_publ"] = both["controles_publ"].where(~missing)
    out["teller_publ"] = both["teller_publ"].where(~missing)
    out["waarde_publ"] = (both["teller_publ"] / both["controles_publ"] * schaal).where(rate_ok)
    out["status"] = np.where(missing, MISSING, np.where(rate_ok, SHOWN, SECRET))
    groups = base.groups.assign(indicator=PER_CONTROLE)
    return Published(out[PUBLISHED_COLUMNS].reset_index(drop=True), groups[GROUP_COLUMNS])
