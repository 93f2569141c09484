"""Proofs without a solver: rectangle moves in the area x period grid of the attacker's system.

A secret base cell ``c = (b, m)`` (a buurt in a month) has siblings in its area relation
(``(b', m)``: another buurt of the same wijk, same month) and in its time relation (``(b, m')``:
another month of the same quarter, same buurt). Adding ``s`` to ``(b, m)`` and ``(b', m')`` and
taking ``s`` from ``(b', m)`` and ``(b, m')`` leaves every sum over the buurten of a month and
every sum over the months of a buurt as it is, so the true counts moved that way are often
another solution of everything published. Often, not always: a group series that holds ``b``
but not ``b'`` changes, and the four cells have bounds of their own. So every candidate is
checked against every row and column bound of the attacker's system (``indicators._lp.System``),
and its largest whole step each way is computed from their slack: the true counts plus any
whole step up to it are integer solutions, so the values they give a target are values the
target can take, for the integer audit as for the relaxation.

``indicators.audit.attack`` starts from these ranges: a target they already show wide enough
needs no linear programme; only the targets left open are cut into parts, and a part that holds
none of them is never built.

Pure: arrays in, arrays out; no database.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from indicators._lp import TOL, Floats, Ints, System
from indicators.relations import AREA, QUARTER_MONTHS, YEAR_MONTHS, YEAR_QUARTERS, Relations

MAX_SIBLINGS = 8  # area siblings tried per target (those with the largest counts)
MAX_STEP = 8.0  # no proof needs a step larger than this (a count of 1-4 to 0, or up by 3-4)


def _members(rel: Relations) -> tuple[Ints, Ints]:
    """The part rows of every relation, grouped: ``rows[starts[g]:starts[g + 1]]``."""
    order = np.argsort(rel.part_group, kind="stable")
    starts = np.searchsorted(rel.part_group[order], np.arange(rel.n_groups + 1))
    rows: Ints = rel.part_row[order]
    return rows, starts.astype(np.int64)


def _siblings(cells: Ints, group_of: Ints, rows: Ints, starts: Ints) -> tuple[Ints, Ints]:
    """Every (index into ``cells``, sibling) pair: the other parts of each cell's relation."""
    g = group_of[cells]
    size = starts[g + 1] - starts[g]
    owner = np.repeat(np.arange(len(cells), dtype=np.int64), size)
    within = np.arange(int(size.sum()), dtype=np.int64) - np.repeat(np.cumsum(size) - size, size)
    sibling = rows[np.repeat(starts[g], size) + within]
    keep = sibling != cells[owner]
    return owner[keep], sibling[keep]


def _cap(owner: Ints, sibling: Ints, value: Floats, most: int) -> tuple[Ints, Ints]:
    """Per owner, at most ``most`` siblings: those with the largest values (then the lowest
    row), so that a step has room to take from them."""
    order = np.lexsort((sibling, -value[sibling], owner))
    owner, sibling = owner[order], sibling[order]
    first = np.searchsorted(owner, owner, side="left")
    keep = np.arange(len(owner)) - first < most
    return owner[keep], sibling[keep]


def rectangle_ranges(
    system: System,
    rel: Relations,
    known: Floats,
    targets: Ints,
    *,
    unit: sparse.csr_matrix | None = None,
) -> tuple[Floats, Floats]:
    """Per target row: the range of values the rectangle moves reach (the true count itself
    where none is possible: a target that is a total, or one without both kinds of sibling).

    ``unit`` (rows x columns of ``system``): what one step of each row changes in the columns;
    by default a base cell's own column, nothing for a total. Another ``unit`` moves rows of
    ``rel`` through other columns (``indicators.ordered``: a noemer through its hidden rest).
    Whatever it says, every move is checked against every row and bound of the system, and a
    target's range counts only what the move changes in the target itself.
    """
    n = len(known)
    lo = known[targets].astype(float).copy()
    hi = lo.copy()
    n_cols = len(system.cols)
    if unit is None:
        unit = sparse.csr_matrix(
            (np.ones(n_cols), (system.cols, np.arange(n_cols))), shape=(n, n_cols)
        )
    kind_of_part = rel.kind[rel.part_group]
    area_of = np.full(n, -1, dtype=np.int64)
    time_of = np.full(n, -1, dtype=np.int64)
    is_area = kind_of_part == AREA
    area_of[rel.part_row[is_area]] = rel.part_group[is_area]
    for kind in (YEAR_MONTHS, YEAR_QUARTERS, QUARTER_MONTHS):  # the finest relation last
        mine = kind_of_part == kind
        time_of[rel.part_row[mine]] = rel.part_group[mine]
    whole = np.abs(known - np.round(known)) < TOL
    usable = (np.diff(unit.indptr) > 0) & (area_of >= 0) & (time_of >= 0) & whole
    cells = targets[usable[targets]]
    if not len(cells):
        return lo, hi
    rows, starts = _members(rel)
    # The fourth corner: the cell in the area relation of (b, m') and the time relation of (b', m).
    n_groups = np.int64(rel.n_groups)
    have = np.flatnonzero(usable)
    corner_key = area_of[have] * n_groups + time_of[have]
    order = np.argsort(corner_key)
    corner_key, corner_cell = corner_key[order], have[order]
    a_owner, a_sib = _cap(*_siblings(cells, area_of, rows, starts), known, MAX_SIBLINGS)
    t_owner, t_sib = _siblings(cells, time_of, rows, starts)
    # Cross every area sibling with every time sibling of the same target.
    t_order = np.argsort(t_owner, kind="stable")
    t_owner, t_sib = t_owner[t_order], t_sib[t_order]
    t_start = np.searchsorted(t_owner, np.arange(len(cells) + 1))
    count = (t_start[1:] - t_start[:-1])[a_owner]
    owner = np.repeat(a_owner, count)
    s1 = np.repeat(a_sib, count)
    within = np.arange(int(count.sum()), dtype=np.int64) - np.repeat(
        np.cumsum(count) - count, count
    )
    s2 = t_sib[np.repeat(t_start[a_owner], count) + within]
    key = area_of[s2] * n_groups + time_of[s1]
    at = np.minimum(np.searchsorted(corner_key, key), max(len(corner_key) - 1, 0))
    found = (corner_key[at] == key) & usable[s1] & usable[s2]
    owner, s1, s2, corner = owner[found], s1[found], s2[found], corner_cell[at[found]]
    found = (corner != cells[owner]) & (corner != s1) & (corner != s2)
    owner, s1, s2, corner = owner[found], s1[found], s2[found], corner[found]
    if not len(owner):
        return lo, hi
    x = known[system.cols]
    act = system.a @ x
    # The move in the columns: +1 step of the target and the corner, -1 of the two siblings.
    k = len(owner)
    corners = np.column_stack([cells[owner], corner, s1, s2])
    pick = sparse.csr_matrix(
        (np.tile([1.0, 1.0, -1.0, -1.0], k), (np.repeat(np.arange(k), 4), corners.ravel())),
        shape=(k, n),
    )
    move = (pick @ unit).tocsr()
    move.eliminate_zeros()
    # What a step changes in the target itself (1 where the target is its own column).
    gain = np.asarray(move.multiply(system.expand[cells[owner]]).sum(axis=1)).ravel()
    entries = move.tocoo()
    who, col, coef = entries.row, entries.col, entries.data
    room_up = np.where(coef > 0, system.upper[col] - x[col], x[col] - system.lower[col])
    room_down = np.where(coef > 0, x[col] - system.lower[col], system.upper[col] - x[col])
    up = np.full(k, MAX_STEP)
    down = np.full(k, MAX_STEP)
    np.minimum.at(up, who, room_up / np.abs(coef))
    np.minimum.at(down, who, room_down / np.abs(coef))
    change = (move @ system.a.T).tocoo()
    change.eliminate_zeros()
    r, c, coef = change.col, change.row, change.data
    slack_hi = system.row_up[r] - act[r]
    slack_lo = act[r] - system.row_lo[r]
    with np.errstate(divide="ignore", invalid="ignore"):
        row_up = np.where(coef > 0, slack_hi, slack_lo) / np.abs(coef)
        row_down = np.where(coef > 0, slack_lo, slack_hi) / np.abs(coef)
    np.minimum.at(up, c, row_up)
    np.minimum.at(down, c, row_down)
    up = np.floor(np.maximum(up, 0.0) + TOL)
    down = np.floor(np.maximum(down, 0.0) + TOL)
    # Only a move that changes the target by exactly one per step counts (always so by default).
    up[np.abs(np.abs(gain) - 1.0) > TOL] = 0.0
    down[np.abs(np.abs(gain) - 1.0) > TOL] = 0.0
    rises, falls = np.where(gain > 0, up, down), np.where(gain > 0, down, up)
    best_up = np.zeros(len(cells))
    best_down = np.zeros(len(cells))
    np.maximum.at(best_up, owner, rises)
    np.maximum.at(best_down, owner, falls)
    where = np.flatnonzero(usable[targets])
    lo[where] -= best_down
    hi[where] += best_up
    return lo, hi
