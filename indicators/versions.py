"""Earlier versions of corrected counts, in the attacker's system.

A count can change between two releases (a second controleavond in a month, a late partner
batch, a re-delivery): the first release showed totals over the old count, the next one totals
over the new count, and an outsider who holds both subtracts them. So the protection and the
audit solve every earlier release together with the new one: each earlier *version* of a
corrected count is a variable of its own (its count and status then), and every relation of the
table is written again over the versions that held together in each earlier release, sharing
every count that has not changed since (docs/methoden.md, "Releases over time").

A release record (``data.publication.releases``) gives, per cell, the versions released: the
latest (``van``: the release it first went out in) and the superseded ones (``van`` to ``tot``).
Release numbers only order releases; a version is valid from ``van`` until ``tot``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from indicators.relations import Relations

VERSION_COLUMNS = ["code", "periode", "status", "teller", "van", "tot"]
NOW = np.iinfo(np.int64).max  # ``tot`` of the latest recorded version: valid until this release
SAME = 1e-6  # two raw counts closer than this are the same count

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class OldVersions:
    """The earlier versions of the rows of a table, as extra rows ``n + k``: ``row[k]`` is the
    table row it is a version of, ``teller[k]`` and ``status[k]`` its count and status then.
    ``rel``: the table's relations and, after them, those of every earlier release that holds
    at least one old version (each distinct relation once). ``kept``: per table row, whether its
    current count is the version recorded last (the same variable, with the same status)."""

    row: Ints
    teller: Floats
    status: npt.NDArray[np.str_]
    rel: Relations
    kept: npt.NDArray[np.bool_]  # per table row: its current count is its recorded version
    van: Ints  # per version: the first release that held it
    tot: Ints  # per version: the first release that did not
    start: Ints  # per table row: the first release its current count is the variable of (NOW: none)

    def __len__(self) -> int:
        return len(self.row)


def old_versions(
    keys: pd.DataFrame,
    teller: Floats,
    rel: Relations,
    released: pd.DataFrame,
    versions: pd.DataFrame | None = None,
    defined: npt.NDArray[np.bool_] | None = None,
) -> OldVersions:
    """The versions of the rows of ``keys`` (``code, periode``) that earlier releases showed and
    that differ from the current count ``teller``, and the relations of those releases.

    ``released``: the latest recorded version of each cell (``code, periode, status, teller``,
    ``van``: the release it first went out in, ``tot``: the first release that left it out,
    NaN for none; without them, one earlier release).
    ``versions``: superseded versions (``VERSION_COLUMNS``). A version with the current count,
    in every release since and with every count below it unchanged, is the current row itself
    (the same variable); one not delivered then (NaN) held no equation. A relation of an
    earlier release is one of the table's relations (``rel``), over the versions valid then;
    relations only the earlier table had are not known here.
    ``defined``: rows whose relation to the rest is public whatever lies below them (an area of
    an earlier indeling as the sum of current buurten, by addresses): with the recorded count,
    the current row is its recorded version, also where the counts below were never released.
    """
    n = len(keys)
    index = pd.MultiIndex.from_arrays([keys["code"].astype(str), keys["periode"].astype(str)])
    latest = released.drop_duplicates(["code", "periode"])
    at = pd.MultiIndex.from_arrays([latest["code"].astype(str), latest["periode"].astype(str)])
    where = index.get_indexer(at)
    then = latest["teller"].to_numpy(dtype=float)
    van = (
        latest["van"].fillna(0).to_numpy(dtype=np.int64)
        if "van" in latest.columns
        else np.zeros(len(latest), dtype=np.int64)
    )
    tot = np.full(len(latest), NOW, dtype=np.int64)
    if "tot" in latest.columns:
        ended = latest["tot"].to_numpy(dtype=float, na_value=np.nan)
        tot[~np.isnan(ended)] = ended[~np.isnan(ended)].astype(np.int64)
    found = where >= 0
    rows, tellers, now = where[found], then[found], teller[where[found]]
    same = np.isclose(tellers, now, rtol=0.0, atol=SAME) | (np.isnan(tellers) & np.isnan(now))
    # A cell left out of a release since (``tot``) may have had any count in between: its
    # recorded version is an old one, even with the same count.
    same &= tot[found] == NOW
    # The current row is the same variable from the release its count first went out in, and
    # a total only from when every count below it did: before that it was another sum that
    # added up to the same count by chance (no outsider can know it did not change).
    start = np.full(n, NOW, dtype=np.int64)
    start[rows[same]] = van[found][same]
    frozen = np.zeros(n, dtype=bool)
    if defined is not None:
        frozen[rows[same]] = np.asarray(defined, dtype=bool)[rows[same]]
    start = _latest_below(start, rel, frozen)
    moved = same & (start[rows] > van[found])
    split = ~same | moved
    kept = np.zeros(n, dtype=bool)
    kept[rows[~split]] = True
    parts = [
        pd.DataFrame(
            {
                "row": rows[split],
                "teller": tellers[split],
                "status": latest["status"].astype(str).to_numpy()[found][split],
                "van": van[found][split],
                "tot": np.where(moved, start[rows], tot[found])[split],
            }
        )
    ]
    if versions is not None and len(versions):
        old_at = index.get_indexer(
            pd.MultiIndex.from_arrays(
                [versions["code"].astype(str), versions["periode"].astype(str)]
            )
        )
        known = old_at >= 0
        parts.append(
            pd.DataFrame(
                {
                    "row": old_at[known],
                    "teller": versions["teller"].to_numpy(dtype=float)[known],
                    "status": versions["status"].astype(str).to_numpy()[known],
                    "van": versions["van"].fillna(0).to_numpy(dtype=np.int64)[known],
                    "tot": versions["tot"].to_numpy(dtype=np.int64)[known],
                }
            )
        )
    copies = pd.concat(parts, ignore_index=True)
    copies = copies[copies["teller"].notna()].reset_index(drop=True)  # no equation then
    if copies.empty or rel.n_groups == 0:
        return _result(copies, rel, kept, start)
    return _result(copies, _with_earlier_relations(rel, n, start, copies), kept, start)


def _latest_below(start: Ints, rel: Relations, frozen: npt.NDArray[np.bool_]) -> Ints:
    """``start`` raised, for every total but the ``frozen`` ones, to the latest start of a count
    below it (any depth)."""
    out = start.copy()
    while rel.n_groups:
        latest = np.zeros(rel.n_groups, dtype=np.int64)
        np.maximum.at(latest, rel.part_group, out[rel.part_row])
        hit = (latest > out[rel.total_row]) & ~frozen[rel.total_row]
        if not hit.any():
            break
        out[rel.total_row[hit]] = latest[hit]
    return out


def _result(
    copies: pd.DataFrame, rel: Relations, kept: npt.NDArray[np.bool_], start: Ints
) -> OldVersions:
    return OldVersions(
        copies["row"].to_numpy(dtype=np.int64),
        copies["teller"].to_numpy(dtype=float),
        copies["status"].to_numpy(dtype=str),
        rel,
        kept,
        copies["van"].to_numpy(dtype=np.int64),
        copies["tot"].to_numpy(dtype=np.int64),
        start,
    )


def held_at(n: int, start: Ints, row: Ints, van: Ints, tot: Ints, moment: int) -> Ints:
    """Per table row, the variable that held its count in release ``moment``: the row itself
    from its ``start``, before that the version ``n + k`` valid then; -1 for none."""
    mapped = np.where(start <= moment, np.arange(n, dtype=np.int64), -1)
    valid = np.flatnonzero((van <= moment) & (moment < tot))
    mapped[row[valid]] = n + valid
    return mapped


def _with_earlier_relations(rel: Relations, n: int, start: Ints, copies: pd.DataFrame) -> Relations:
    """``rel`` and, per earlier release, the relations that hold an old version, over the
    versions valid in that release (rows ``n + k`` for copy ``k``)."""
    c_row = copies["row"].to_numpy(dtype=np.int64)
    c_van = copies["van"].to_numpy(dtype=np.int64)
    c_tot = copies["tot"].to_numpy(dtype=np.int64)
    versioned = np.zeros(n, dtype=bool)
    versioned[c_row] = True
    touched = np.zeros(rel.n_groups, dtype=bool)
    touched[rel.part_group[versioned[rel.part_row]]] = True
    touched |= versioned[rel.total_row]
    groups = np.flatnonzero(touched)
    in_groups = touched[rel.part_group]
    part_group = rel.part_group[in_groups]
    part_row = rel.part_row[in_groups]
    order = np.argsort(part_group, kind="stable")
    part_group, part_row = part_group[order], part_row[order]
    local = np.searchsorted(groups, part_group)
    total_row = rel.total_row[groups]
    moments = np.unique(np.concatenate([c_van, start[start != NOW]]))
    seen: set[tuple[int, ...]] = set()
    new_parts: list[Ints] = []
    new_totals: list[int] = []
    new_kinds: list[int] = []
    for moment in moments:
        if not ((c_van <= moment) & (moment < c_tot)).any():
            continue
        mapped = held_at(n, start, c_row, c_van, c_tot, int(moment))
        m_parts = mapped[part_row]
        m_total = mapped[total_row]
        absent = np.bincount(local, weights=m_parts < 0, minlength=len(groups)) > 0
        old = np.bincount(local, weights=m_parts >= n, minlength=len(groups)) > 0
        keep = ~absent & (m_total >= 0) & (old | (m_total >= n))
        if not keep.any():
            continue
        starts = np.searchsorted(local, np.arange(len(groups)))
        ends = np.searchsorted(local, np.arange(len(groups)), side="right")
        for g in np.flatnonzero(keep):
            members = m_parts[starts[g] : ends[g]]
            signature = (int(m_total[g]), *sorted(int(x) for x in members))
            if signature in seen:
                continue
            seen.add(signature)
            new_parts.append(members)
            new_totals.append(int(m_total[g]))
            new_kinds.append(int(rel.kind[groups[g]]))
    if not new_totals:
        return rel
    sizes = np.array([len(p) for p in new_parts], dtype=np.int64)
    ids = rel.n_groups + np.repeat(np.arange(len(new_totals), dtype=np.int64), sizes)
    return Relations(
        part_group=np.concatenate([rel.part_group, ids]).astype(np.int64),
        part_row=np.concatenate([rel.part_row, *new_parts]).astype(np.int64),
        total_row=np.concatenate([rel.total_row, np.array(new_totals, dtype=np.int64)]),
        kind=np.concatenate([rel.kind, np.array(new_kinds, dtype=np.int64)]),
    )
