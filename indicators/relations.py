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
from scipy import sparse
from scipy.sparse import csgraph

Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]

MONTH = r"\d{4}-(?:0[1-9]|1[0-2])"
QUARTER = r"\d{4}-Q[1-4]"
YEAR = r"\d{4}"
# Relation kinds: 0 area (a total area and its member areas, same period), then time, and 4 for
# a group of areas that cuts across the hierarchy (the buurten of an intervention): such groups
# make relations that interval propagation alone does not see through; 5 for a noemer as its
# teller plus a hidden rest (``indicators.ordered``).
AREA, YEAR_MONTHS, YEAR_QUARTERS, QUARTER_MONTHS, GROUP, CROSS = 0, 1, 2, 3, 4, 5
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

    Notes
    -----
    Codes, periods and indicators are numbered once and a row's key is one integer, so the
    joins run on integers (strings made this the slowest step of a national publication).
    """
    keys = keys.reset_index(drop=True)
    n = len(keys)
    members = (
        memberships[["total", "part"]].astype(str).drop_duplicates()
        if len(memberships)
        else pd.DataFrame({"total": [], "part": []}, dtype=str)
    )
    # Each distinct code looked up once (a table has a row per code and period).
    code_at, key_codes = pd.factorize(keys["code"].astype(str))
    codes = pd.Index(
        pd.unique(
            np.concatenate(
                [
                    np.asarray(key_codes, dtype=object),
                    members["total"].to_numpy(dtype=object),
                    members["part"].to_numpy(dtype=object),
                ]
            )
        )
    )
    code_id = codes.get_indexer(pd.Index(key_codes)).astype(np.int64)[code_at]
    period_id, periods = pd.factorize(keys["periode"].astype(str))
    indicator_id, indicators = pd.factorize(keys["indicator"].astype(str))
    n_p, n_i = max(len(periods), 1), max(len(indicators), 1)

    def key(code: Ints, period: Ints, indicator: Ints) -> Ints:
        out: Ints = (code * n_p + period) * n_i + indicator
        return out

    lookup = pd.Index(key(code_id, period_id.astype(np.int64), indicator_id.astype(np.int64)))
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

    if len(members) and n:
        m_total = codes.get_indexer(members["total"]).astype(np.int64)
        m_part = codes.get_indexer(members["part"]).astype(np.int64)
        expected_by_total = np.bincount(m_total, minlength=len(codes))
        # Every (row, membership) where the row's code is the membership's part.
        order = np.argsort(m_part, kind="stable")
        sorted_part = m_part[order]
        first = np.searchsorted(sorted_part, code_id, side="left")
        last = np.searchsorted(sorted_part, code_id, side="right")
        count = last - first
        row = np.repeat(np.arange(n, dtype=np.int64), count)
        within = np.arange(int(count.sum()), dtype=np.int64) - np.repeat(
            np.cumsum(count) - count, count
        )
        total_code = m_total[order[np.repeat(first, count) + within]]
        total_row = lookup.get_indexer(
            pd.Index(
                key(total_code, period_id[row].astype(np.int64), indicator_id[row].astype(np.int64))
            )
        ).astype(np.int64)
        found = total_row >= 0
        row, total_row = row[found], total_row[found]
        if len(row):
            group_ids, unique_totals = pd.factorize(total_row)
            total_rows = np.asarray(unique_totals, dtype=np.int64)
            total_codes = code_id[total_rows]
            expected = expected_by_total[total_codes]
            crossing = np.zeros(len(codes), dtype=bool)
            if "groep" in memberships.columns:
                flagged = memberships.loc[memberships["groep"].astype(bool), "total"]
                crossing[codes.get_indexer(flagged.astype(str))] = True
            area_kind = np.where(crossing[total_codes], GROUP, AREA)
            add(
                total_rows,
                row,
                group_ids.astype(np.int64),
                area_kind.astype(np.int64),
                expected.astype(np.int64),
            )

    if n:
        distinct = pd.Series(np.asarray(periods, dtype=object), dtype=object)
        is_month = distinct.str.fullmatch(MONTH).to_numpy(dtype=bool)
        is_quarter = distinct.str.fullmatch(QUARTER).to_numpy(dtype=bool)
        month_no = pd.to_numeric(distinct.where(is_month, "0000-01").str[5:7]).to_numpy()
        quarter_of = distinct.str[:4] + "-Q" + pd.Series((month_no - 1) // 3 + 1).astype(str)
        # The number of each period's year and quarter among the periods (-1: not in the table).
        period_index = pd.Index(distinct)
        year_of = period_index.get_indexer(distinct.str[:4]).astype(np.int64)
        quarter_index = period_index.get_indexer(quarter_of).astype(np.int64)
        p_id = period_id.astype(np.int64)
        for time_kind, is_part_period, to_total in (
            (YEAR_MONTHS, is_month, year_of),
            (YEAR_QUARTERS, is_quarter, year_of),
            (QUARTER_MONTHS, is_month, quarter_index),
        ):
            is_part = is_part_period[p_id]
            if not is_part.any():
                continue
            part_rows = np.flatnonzero(is_part).astype(np.int64)
            total_period = to_total[p_id[part_rows]]
            total_row = np.where(
                total_period >= 0,
                lookup.get_indexer(
                    pd.Index(
                        key(
                            code_id[part_rows],
                            np.maximum(total_period, 0),
                            indicator_id[part_rows].astype(np.int64),
                        )
                    )
                ),
                -1,
            )
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


def components(rel: Relations, n_rows: int) -> Ints:
    """A label per row: rows joined by a chain of relations share it. No relation reaches from
    one component into another, so an attacker solves each on its own."""
    edges = sparse.coo_matrix(
        (np.ones(len(rel.part_row)), (rel.total_row[rel.part_group], rel.part_row)),
        shape=(n_rows, n_rows),
    )
    _, labels = csgraph.connected_components(edges, directed=False)
    out: Ints = np.asarray(labels, dtype=np.int64)
    return out


def restrict(rel: Relations, rows: Ints) -> Relations:
    """The relations among ``rows`` (sorted, whole components: see ``components``), over local
    row numbers (a row's position in ``rows``)."""
    groups = np.flatnonzero(np.isin(rel.total_row, rows))
    new_id = np.full(rel.n_groups, -1, dtype=np.int64)
    new_id[groups] = np.arange(len(groups))
    keep = new_id[rel.part_group] >= 0
    part_row = rel.part_row[keep]
    local_parts = np.searchsorted(rows, part_row)
    if len(part_row) and not np.array_equal(rows[np.minimum(local_parts, len(rows) - 1)], part_row):
        raise ValueError("restrict: rows must hold whole components")
    return Relations(
        part_group=new_id[rel.part_group[keep]],
        part_row=local_parts.astype(np.int64),
        total_row=np.searchsorted(rows, rel.total_row[groups]).astype(np.int64),
        kind=rel.kind[groups],
    )
