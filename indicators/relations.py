"""Additive relations among the cells of a table: a total and its parts.

Area relations come from memberships (a wijk and its buurten, a gemeente and its wijken, a region
and its gemeenten, a group series and its buurten), per period and indicator; time relations from
the periods themselves (a year and its months, a year and its quarters, a quarter and its
months), per area and indicator. Only complete relations count: the total and every expected
part are in the table and delivered (a missing part is no number in any equation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]

MONTH = r"\d{4}-(?:0[1-9]|1[0-2])"
QUARTER = r"\d{4}-Q[1-4]"
YEAR = r"\d{4}"
# Relation kinds: 0 area (a total area and its member areas, same period), then time, and 4 for
# a group of areas that cuts across the hierarchy (the buurten of an intervention): such groups
# make relations that interval propagation alone does not see through.
AREA, YEAR_MONTHS, YEAR_QUARTERS, QUARTER_MONTHS, GROUP = 0, 1, 2, 3, 4
_EXPECTED_PARTS = {YEAR_MONTHS: 12, YEAR_QUARTERS: 4, QUARTER_MONTHS: 3}


@dataclass(frozen=True)
class Relations:
    """Additive relations among the rows of a cell table, as edges: row ``total_row[g]`` equals
    the sum of the rows ``part_row[k]`` with ``part_group[k] == g``. ``kind[g]`` says which
    hierarchy the relation comes from (``AREA``, ``YEARMONTHS``, ...).

    Only complete relations are kept: the total and every expected part are in the table and
    delivered (a missing part is no number in any equation an outsider can write down).
    """

    part_group: Ints
    part_row: Ints
    total_row: Ints
    kind: Ints

    @property
    def n_groups(self) -> int:
        return len(self.total_row)

    def parts(self, group: int) -> Ints:
        """The part rows of one relation (for messages and tests)."""
        found: Ints = self.part_row[self.part_group == group]
        return found


def _key(frame: pd.DataFrame) -> pd.Series:
    return (
        frame["code"].astype(str)
        + "\x1f"
        + frame["periode"].astype(str)
        + "\x1f"
        + frame["indicator"].astype(str)
    )


def relations(keys: pd.DataFrame, memberships: pd.DataFrame, missing: Bools) -> Relations:
    """Every complete additive relation among the rows of ``keys``.

    Parameters
    ----------
    keys : ``code, periode, indicator`` per row (positional index), at most one row per key.
    memberships : ``total, part`` pairs of codes: the part areas that add up to a total area
        (wijk - buurt, gemeente - wijk, regio - gemeente, group - buurt). Applied per periode and
        indicator. A total is complete only when all its members have a row. An optional bool
        column ``groep`` marks totals that cut across the hierarchy (kind ``GROUP``).
    missing : per row, True where the teller was not delivered.
    """
    keys = keys.reset_index(drop=True)
    n = len(keys)
    lookup = pd.Index(_key(keys))
    totals: list[Ints] = []
    parts: list[Ints] = []
    groups: list[Ints] = []
    kinds: list[int] = []
    offset = 0

    def add(
        total_rows: Ints, part_rows: Ints, group_of_part: Ints, kind: int | Ints, expected: Ints
    ) -> None:
        nonlocal offset
        # A relation counts only when it is complete and every member was delivered.
        n_found = np.bincount(group_of_part, minlength=len(total_rows))
        n_missing = np.bincount(
            group_of_part, weights=missing[part_rows], minlength=len(total_rows)
        )
        ok = (n_found == expected) & (n_missing == 0) & ~missing[total_rows] & (expected > 0)
        new_id = np.full(len(total_rows), -1, dtype=np.int64)
        new_id[ok] = np.arange(int(ok.sum()), dtype=np.int64) + offset
        keep = ok[group_of_part]
        totals.append(total_rows[ok])
        parts.append(part_rows[keep])
        groups.append(new_id[group_of_part[keep]])
        kinds.extend(np.broadcast_to(np.asarray(kind), total_rows.shape)[ok].tolist())
        offset += int(ok.sum())

    if len(memberships) and n:
        members = memberships[["total", "part"]].astype(str).drop_duplicates()
        expected_by_total = members.groupby("total").size()
        rows = keys.assign(row=np.arange(n))
        joined = rows.merge(members, left_on="code", right_on="part")
        area_key = pd.Index(
            joined["total"] + "\x1f" + joined["periode"].astype(str) + "\x1f" + joined["indicator"]
        )
        total_row = lookup.get_indexer(area_key)
        joined = joined.assign(total_row=total_row)[total_row >= 0]
        if len(joined):
            group_ids, unique_totals = pd.factorize(joined["total_row"])
            total_rows = np.asarray(unique_totals, dtype=np.int64)
            total_codes = keys["code"].to_numpy()[total_rows]
            expected = expected_by_total.reindex(total_codes).to_numpy()
            crossing = set()
            if "groep" in memberships.columns:
                crossing = set(memberships.loc[memberships["groep"].astype(bool), "total"])
            area_kind = np.where(pd.Series(total_codes).isin(crossing).to_numpy(), GROUP, AREA)
            add(
                total_rows,
                joined["row"].to_numpy(dtype=np.int64),
                group_ids.astype(np.int64),
                area_kind.astype(np.int64),
                np.nan_to_num(expected.astype(float)).astype(np.int64),
            )

    if n:
        periode = keys["periode"].astype(str)
        distinct = pd.Series(periode.unique(), dtype=object)
        is_month = distinct.str.fullmatch(MONTH).to_numpy(dtype=bool)
        is_quarter = distinct.str.fullmatch(QUARTER).to_numpy(dtype=bool)
        month_no = pd.to_numeric(distinct.where(is_month, "0000-01").str[5:7]).to_numpy()
        quarter_of = distinct.str[:4] + "-Q" + pd.Series((month_no - 1) // 3 + 1).astype(str)
        year = dict(zip(distinct, distinct.str[:4], strict=True))
        quarter = dict(zip(distinct, quarter_of, strict=True))
        month_set = set(distinct[is_month])
        quarter_set = set(distinct[is_quarter])
        code, ind = keys["code"].astype(str), keys["indicator"].astype(str)
        for time_kind, part_set, to_total in (
            (YEAR_MONTHS, month_set, year),
            (YEAR_QUARTERS, quarter_set, year),
            (QUARTER_MONTHS, month_set, quarter),
        ):
            is_part = periode.isin(part_set).to_numpy()
            if not is_part.any():
                continue
            part_rows = np.flatnonzero(is_part).astype(np.int64)
            total_key = (
                code.iloc[part_rows]
                + "\x1f"
                + periode.iloc[part_rows].map(to_total)
                + "\x1f"
                + ind.iloc[part_rows]
            )
            total_row = lookup.get_indexer(pd.Index(total_key))
            found = total_row >= 0
            if not found.any():
                continue
            group_ids, unique_totals = pd.factorize(total_row[found])
            total_rows = np.asarray(unique_totals, dtype=np.int64)
            add(
                total_rows,
                part_rows[found],
                group_ids.astype(np.int64),
                time_kind,
                np.full(len(total_rows), _EXPECTED_PARTS[time_kind], dtype=np.int64),
            )

    def cat(items: list[Ints]) -> Ints:
        return np.concatenate(items).astype(np.int64) if items else np.zeros(0, dtype=np.int64)

    return Relations(cat(groups), cat(parts), cat(totals), np.asarray(kinds, dtype=np.int64))


def subset(rel: Relations, groups: Ints) -> tuple[Relations, Ints]:
    """The relations ``groups`` on their own rows: (relations over local row numbers, the
    global row of each local row)."""
    groups = np.asarray(groups, dtype=np.int64)
    new_id = np.full(rel.n_groups, -1, dtype=np.int64)
    new_id[groups] = np.arange(len(groups))
    keep = new_id[rel.part_group] >= 0
    part_group, part_row = new_id[rel.part_group[keep]], rel.part_row[keep]
    total_row = rel.total_row[groups]
    rows = np.unique(np.concatenate([total_row, part_row]))
    local = np.searchsorted(rows, np.concatenate([total_row, part_row]))
    out = Relations(
        part_group=part_group,
        part_row=local[len(total_row) :].astype(np.int64),
        total_row=local[: len(total_row)].astype(np.int64),
        kind=rel.kind[groups],
    )
    return out, rows.astype(np.int64)


def blocks(rel: Relations, keys: pd.DataFrame) -> list[Ints]:
    """The relations grouped into *blocks*: an area total in one calendar year with its parts,
    and every time relation of those areas in that year (relation ids per block).

    A block is a small two-dimensional table (an area's parts x the periods of a year); most of
    what several relations together give away lies inside one block.
    """
    code = keys["code"].astype(str).to_numpy()
    year = keys["periode"].astype(str).str[:4].to_numpy()
    area = np.flatnonzero(np.isin(rel.kind, [AREA, GROUP]))
    if not len(area):
        return []
    block_of_area, _ = pd.factorize(
        pd.Series(code[rel.total_row[area]]) + "\x1f" + pd.Series(year[rel.total_row[area]])
    )
    # Which codes each block holds: its total and its parts.
    edge_group = rel.part_group
    is_area_part = np.isin(edge_group, area)
    area_pos = np.full(rel.n_groups, -1, dtype=np.int64)
    area_pos[area] = np.arange(len(area))
    members = pd.DataFrame(
        {
            "block": np.concatenate(
                [block_of_area, block_of_area[area_pos[edge_group[is_area_part]]]]
            ),
            "code": np.concatenate([code[rel.total_row[area]], code[rel.part_row[is_area_part]]]),
            "year": np.concatenate([year[rel.total_row[area]], year[rel.part_row[is_area_part]]]),
        }
    ).drop_duplicates()
    time = np.flatnonzero(~np.isin(rel.kind, [AREA, GROUP]))
    timed = pd.DataFrame(
        {"group": time, "code": code[rel.total_row[time]], "year": year[rel.total_row[time]]}
    ).merge(members, on=["code", "year"])
    per_block: dict[int, list[Ints]] = {}
    for block_id, group in zip(block_of_area.tolist(), area.tolist(), strict=True):
        per_block.setdefault(int(block_id), []).append(np.array([group], dtype=np.int64))
    for key, rows in timed.groupby("block")["group"]:
        per_block.setdefault(int(str(key)), []).append(rows.to_numpy(dtype=np.int64))
    return [np.unique(np.concatenate(v)) for _, v in sorted(per_block.items())]
