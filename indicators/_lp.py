"""The linear programmes behind the disclosure audit (``indicators.audit``): the attacker's system
written over the base cells only, split into independent parts, and HiGHS models kept warm
between objectives.

Every count of the table is the sum of the base counts beneath it (a wijk-quarter is the sum of
its buurt-months), so the attacker's system needs no variable for a total: a published total is
a row ``lo <= sum of its base cells <= hi``, a secret total no row at all (a sum of counts is
never negative), and the relations say nothing more once both sides are written in base cells.
This has the same solutions as the system with a variable per cell (each total's value follows
from its base cells), with far fewer rows.

Pure: arrays in, arrays out; no database.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
import numpy.typing as npt
import pandas as pd
from highspy._core import _Highs
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import connected_components

from indicators.relations import (
    AREA,
    CROSS,
    QUARTER_MONTHS,
    YEAR_MONTHS,
    YEAR_QUARTERS,
    Relations,
)

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

_INF = highspy.kHighsInf
_PRIMAL = 4  # HiGHS's option simplex_strategy: the primal simplex
TOL = 1e-6
MAX_DEPTH = 64  # relations nest buurt < wijk < gemeente < regio and month < quarter < year
BAND = -2  # ``System.row_cell`` of a block's share of a row across blocks (``within_blocks``)


@dataclass(frozen=True)
class System:
    """The attacker's system over base cells: ``row_lo <= a @ x <= row_up``,
    ``lower <= x <= upper``; column ``j`` is cell ``cols[j]``; row ``r`` bounds cell
    ``row_cell[r]`` (-1: a relation that ties base cells without bounding a cell; ``BAND``: a
    block's share of a row across blocks, see ``within_blocks``). Every delivered
    cell ``i`` is ``expand[i] @ x + const[i]`` (a fixed cell: ``const`` only)."""

    a: sparse.csr_matrix
    row_lo: Floats
    row_up: Floats
    lower: Floats
    upper: Floats
    cols: Ints
    row_cell: Ints
    expand: sparse.csr_matrix
    const: Floats


def base_system(rel: Relations, lower: Floats, upper: Floats, variable: Bools) -> System:
    """Write the system of every relation over the base cells (see the module docstring).

    ``lower``, ``upper``: what the attacker knows of each cell; ``variable``: delivered cells
    (the others take part in nothing). A cell with ``lower == upper`` is fixed (a published 0).
    """
    n = len(lower)
    free = variable & (lower < upper)
    g, p, t = rel.part_group, rel.part_row, rel.total_row
    # Each free total is defined by its first relation; the others become rows.
    order = np.flatnonzero(free[t])
    _, first = np.unique(t[order], return_index=True)
    is_def = np.zeros(rel.n_groups, dtype=bool)
    is_def[order[first]] = True
    is_total = np.zeros(n, dtype=bool)
    is_total[t[is_def]] = True
    base = np.flatnonzero(free & ~is_total).astype(np.int64)
    # expand = S + D expand, D: a total -> the free parts of its defining relation (nilpotent).
    in_def = is_def[g]
    def_total, def_part = t[g[in_def]], p[in_def]
    free_part = free[def_part]
    d = sparse.csr_matrix(
        (np.ones(int(free_part.sum())), (def_total[free_part], def_part[free_part])), shape=(n, n)
    )
    fixed_value = np.where(variable & ~free, lower, 0.0)
    k0 = np.bincount(def_total[~free_part], weights=fixed_value[def_part[~free_part]], minlength=n)
    s = sparse.csr_matrix((np.ones(len(base)), (base, np.arange(len(base)))), shape=(n, len(base)))
    expand, term = s.copy(), s
    const, k_term = k0.copy(), k0
    for _ in range(MAX_DEPTH):
        term, k_term = (d @ term).tocsr(), d @ k_term
        if term.nnz == 0 and not k_term.any():
            break
        expand, const = expand + term, const + k_term
    else:  # pragma: no cover - relations cannot cycle (a total is coarser than its parts)
        raise RuntimeError("De relaties van de publicatie lopen in een kring.")
    expand = expand.tocsr()
    const = np.asarray(np.where(free, const, fixed_value), dtype=np.float64)
    # Rows: every published total (free, not base, with bounds that say something) ...
    bounded = np.flatnonzero(free & is_total & ((lower > 0) | np.isfinite(upper)))
    rows = [expand[bounded]]
    row_lo = [lower[bounded] - const[bounded]]
    row_up = [upper[bounded] - const[bounded]]
    row_cell = [bounded]
    # ... and every relation that does not define its total, in base cells (mostly 0 = 0).
    other = np.flatnonzero(~is_def)
    if len(other):
        where = np.full(rel.n_groups, -1, dtype=np.int64)
        where[other] = np.arange(len(other))
        sel = where[g] >= 0
        signed = sparse.csr_matrix(
            (
                np.concatenate([np.ones(len(other)), -np.ones(int(sel.sum()))]),
                (
                    np.concatenate([np.arange(len(other)), where[g[sel]]]),
                    np.concatenate([t[other], p[sel]]),
                ),
            ),
            shape=(len(other), n),
        )
        residual = (signed @ expand).tocsr()
        residual.eliminate_zeros()
        rhs = -(signed @ const)
        tied = np.diff(residual.indptr) > 0
        if (np.abs(rhs[~tied]) > TOL).any():
            raise RuntimeError("De aanval op de publicatie liep vast: de relaties kloppen niet.")
        rows.append(residual[tied])
        row_lo.append(rhs[tied])
        row_up.append(rhs[tied])
        row_cell.append(np.full(int(tied.sum()), -1, dtype=np.int64))
    system = System(
        sparse.vstack(rows).tocsr(),
        np.concatenate(row_lo),
        np.concatenate(row_up),
        lower[base].astype(float),
        upper[base].astype(float),
        base,
        np.concatenate(row_cell).astype(np.int64),
        expand,
        np.asarray(const, dtype=np.float64),
    )
    return _merge_parallel(_fix_zeros(system))


def _lowest_per_group(group: Ints, value: Floats) -> Ints:
    """Per element, the first element of its group with the group's lowest ``value`` (as the
    first of a stable sort by group and value would give, without the sort)."""
    n_groups = int(group.max()) + 1
    if np.isnan(value).any():
        order = np.lexsort((value, group))
        first = np.full(n_groups, -1, dtype=np.int64)
        first[group[order[::-1]]] = order[::-1]
        return first[group]
    least = np.full(n_groups, np.inf)
    np.minimum.at(least, group, value)
    at_least = np.flatnonzero(value == least[group])
    first = np.full(n_groups, len(group), dtype=np.int64)
    np.minimum.at(first, group[at_least], at_least)
    out: Ints = first[group]
    return out


def _merge_parallel(system: System) -> System:
    """One row for rows with the same terms (a gemeente of one wijk: the gemeente's and the
    wijk's totals are the same sum), within the narrowest of their bounds; the cell it names is
    the one with the lowest upper bound."""
    a = system.a
    if a.shape[0] < 2:
        return system
    # One random projection per row: equal rows get equal keys (their terms summed in the same
    # order, so to the same bit); a collision of two unequal rows only costs a merge (every
    # merge is checked term by term below).
    probe = np.random.default_rng(0).random(a.shape[1])
    _, group = _unique_inverse(a.sorted_indices() @ probe + np.diff(a.indptr))
    rep = _lowest_per_group(group, system.row_up)
    same = np.diff((a - a[rep]).tocsr().indptr) == 0  # the hash is checked term by term
    rep = np.where(same, rep, np.arange(a.shape[0]))
    if (rep == np.arange(a.shape[0])).all():
        return system
    row_lo = np.full(a.shape[0], -np.inf)
    row_up = np.full(a.shape[0], np.inf)
    np.maximum.at(row_lo, rep, system.row_lo)
    np.minimum.at(row_up, rep, system.row_up)
    keep = np.flatnonzero(rep == np.arange(a.shape[0]))
    return System(
        a[keep],
        row_lo[keep],
        row_up[keep],
        system.lower,
        system.upper,
        system.cols,
        system.row_cell[keep],
        system.expand,
        system.const,
    )


def _fix_zeros(system: System) -> System:
    """Fold in the base cells that a row forces to 0 (a published total of 0: every count
    beneath it is 0), and drop the rows left empty."""
    a, lower, upper = system.a, system.lower.copy(), system.upper.copy()
    rows = np.repeat(np.arange(a.shape[0]), np.diff(a.indptr))
    n_pos = np.bincount(rows, weights=(a.data > 0).astype(float), minlength=a.shape[0])
    n_neg = np.bincount(rows, weights=(a.data < 0).astype(float), minlength=a.shape[0])
    zero_rows = np.flatnonzero(
        ((n_neg == 0) & (system.row_up <= TOL)) | ((n_pos == 0) & (system.row_lo >= -TOL))
    )
    if len(zero_rows) and (lower >= 0).all():
        upper[np.unique(a[zero_rows].indices)] = 0.0
    fixed = lower >= upper
    if not fixed.any():
        return system
    value = np.where(fixed, lower, 0.0)
    keep = np.flatnonzero(~fixed)
    shift = a @ value
    a_kept = a[:, keep].tocsr()
    expand = system.expand[:, keep].tocsr()
    const = system.const + system.expand @ value
    nonempty = np.diff(a_kept.indptr) > 0
    row_lo, row_up = system.row_lo - shift, system.row_up - shift
    if ((row_lo[~nonempty] > TOL) | (row_up[~nonempty] < -TOL)).any():
        raise RuntimeError("De aanval op de publicatie liep vast: de grenzen kloppen niet.")
    return System(
        a_kept[nonempty],
        row_lo[nonempty],
        row_up[nonempty],
        lower[keep],
        upper[keep],
        system.cols[keep],
        system.row_cell[nonempty],
        expand,
        const,
    )


def _unique_inverse(key: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], Ints]:
    """``np.unique(key, return_inverse=True)``, the same arrays, by hashing (``pandas.
    factorize``) and sorting only the distinct keys: a quarter of the time of the sort on the
    millions of entries of a national system."""
    inverse, distinct = pd.factorize(key, sort=True)
    return np.asarray(distinct), inverse.astype(np.int64)


def within_blocks(system: System, known: Floats, block: Ints) -> System | None:
    """The attacker's system narrowed so that it falls apart along ``block`` (per column, e.g.
    its gemeente): every row over columns of several blocks (a region's total) becomes one row
    per block, which holds that block's share within what the row leaves it while every other
    block keeps its true counts ``known`` (per column). None when no row crosses blocks.

    Only narrower: a solution of a part of the result, with the true counts everywhere else,
    is a solution of ``system``, so the values it gives a target are values the target can
    take (for the relaxation, and for the integer programme: the true counts are whole). A
    target proven wide here is wide; one that is not goes on to coarser blocks, and at last to
    ``system`` itself.
    """
    a = system.a.tocsr()
    entry_row = np.repeat(np.arange(a.shape[0]), np.diff(a.indptr))
    entry_block = block[a.indices]
    first = np.full(a.shape[0], np.iinfo(np.int64).max)
    last = np.full(a.shape[0], -1)
    np.minimum.at(first, entry_row, entry_block)
    np.maximum.at(last, entry_row, entry_block)
    crossing = (last > first) & (last >= 0)
    if not crossing.any():
        return None
    # Rows that stay: as they are. Crossing rows: one per (row, block) of their entries.
    key = np.where(crossing[entry_row], entry_row * (int(block.max()) + 1) + entry_block, -1)
    whole = ~crossing[entry_row]
    split_key, new_of_entry = _unique_inverse(key[~whole])
    kept_rows = np.flatnonzero(~crossing)
    where = np.full(a.shape[0], -1, dtype=np.int64)
    where[kept_rows] = np.arange(len(kept_rows))
    new_row = np.empty(len(entry_row), dtype=np.int64)
    new_row[whole] = where[entry_row[whole]]
    new_row[~whole] = len(kept_rows) + new_of_entry.ravel()
    n_new = len(kept_rows) + len(split_key)
    narrowed = sparse.csr_matrix((a.data, (new_row, a.indices)), shape=(n_new, a.shape[1]))
    origin = np.concatenate([kept_rows, split_key // (int(block.max()) + 1)]).astype(np.int64)
    share = narrowed @ known  # a crossing row's share of its block at the true counts
    others = (a @ known)[origin] - share
    row_cell = system.row_cell[origin].copy()
    row_cell[len(kept_rows) :] = BAND
    return System(
        narrowed,
        system.row_lo[origin] - others,
        system.row_up[origin] - others,
        system.lower,
        system.upper,
        system.cols,
        row_cell,
        system.expand,
        system.const,
    )


def _singletons_as_bounds(system: System) -> System:
    """Rows of one term as bounds of their column, made whole (counts are): only narrower for
    the relaxation, the same for the integer programme; what is proven in it holds."""
    a = system.a.tocsr()
    size = np.diff(a.indptr)
    single = np.flatnonzero(size == 1)
    if not len(single):
        return system
    col, coef = a.indices[a.indptr[single]], a.data[a.indptr[single]]
    with np.errstate(divide="ignore", invalid="ignore"):
        ends_lo, ends_up = system.row_lo[single] / coef, system.row_up[single] / coef
    lower, upper = system.lower.copy(), system.upper.copy()
    np.maximum.at(lower, col, np.ceil(np.where(coef > 0, ends_lo, ends_up) - TOL))
    np.minimum.at(upper, col, np.floor(np.where(coef > 0, ends_up, ends_lo) + TOL))
    keep = np.flatnonzero(size != 1)
    return System(
        a[keep],
        system.row_lo[keep],
        system.row_up[keep],
        lower,
        upper,
        system.cols,
        system.row_cell[keep],
        system.expand,
        system.const,
    )


def slices(system: System, rel: Relations, known: Floats) -> Iterator[tuple[System, Ints]]:
    """Two narrowed systems (``within_blocks``) in which every part is a nested family, so that
    interval propagation settles it exactly, without a linear programme: each month of a
    gemeente with every other month at its true counts (its buurten, wijken and gemeente nest),
    and each buurt with every other buurt at its true counts (its months, quarters and year
    nest). With each, the block of every column (``known``: per cell of ``rel``).

    What they prove holds in ``system`` (``within_blocks``); they only see moves within one
    month or one buurt, so a target they leave open goes on to the whole system. None for a
    teller and its noemer together (``indicators.ordered``): a noemer as its teller plus a rest
    crosses the nesting."""
    if (rel.kind == CROSS).any():
        return
    n = len(known)
    x = known[system.cols].astype(float)
    kind = rel.kind[rel.part_group]
    for kinds in ((AREA,), (YEAR_MONTHS, YEAR_QUARTERS, QUARTER_MONTHS)):
        mine = np.isin(kind, kinds)
        edges = sparse.coo_matrix(
            (
                np.ones(int(mine.sum())),
                (rel.total_row[rel.part_group[mine]], rel.part_row[mine]),
            ),
            shape=(n, n),
        )
        _, label = connected_components(edges, directed=False)
        _, block = _unique_inverse(label[system.cols])
        narrowed = within_blocks(system, x, block)
        if narrowed is not None:
            yield _merge_parallel(_singletons_as_bounds(narrowed)), block


@dataclass(frozen=True)
class Part:
    """One connected part of the attacker's system (``System``) that is no tree, with the
    targets in it: ``row_lo <= a @ x <= row_up``, ``lower <= x <= upper``. Target ``i`` of the
    part (``targets[i]``: its position in the list the parts were cut for) is column
    ``t_col[i]``, or (a total) the row ``t_row[i]`` added for it, bounded by what the attacker
    knows of that cell; ``-1`` where not. Its value is ``expressions[i] @ x + t_const[i]``."""

    a: sparse.csr_matrix
    row_lo: Floats
    row_up: Floats
    lower: Floats
    upper: Floats
    cols: Ints
    row_cell: Ints
    targets: Ints
    t_col: Ints
    t_row: Ints
    t_const: Floats
    expressions: sparse.csr_matrix  # targets x columns


@dataclass(frozen=True)
class Cut:
    """The parts of a system that hold targets: the trees settled at once by interval
    propagation (the targets at positions ``settled``, their exact intervals ``lo``, ``hi``),
    and the other parts, for the linear programmes."""

    settled: Ints
    lo: Floats
    hi: Floats
    parts: list[Part]


def _gather(values: Ints, index: Ints) -> Ints:
    """``values[index]`` where ``index >= 0``, else -1 (also when ``values`` is empty)."""
    out: Ints = np.full(len(index), -1, dtype=np.int64)
    ok = index >= 0
    out[ok] = values[index[ok]]
    return out


def _bipartite_components(a: sparse.csr_matrix) -> tuple[int, Ints]:
    """The connected parts of the graph of rows and columns of ``a`` (an edge per entry):
    rows are nodes ``0..n_rows-1``, columns the nodes after them. The edges once, as
    rows to columns, and weak connection (the same labels as the symmetric graph, without
    building it)."""
    n_rows, n_cols = a.shape
    graph = sparse.csr_matrix(
        (
            np.ones(a.nnz, dtype=np.int8),
            a.indices.astype(np.int64) + n_rows,
            np.concatenate([a.indptr, np.full(n_cols, a.indptr[-1])]),
        ),
        shape=(n_rows + n_cols, n_rows + n_cols),
    )
    n_parts, label = connected_components(graph, directed=True, connection="weak")
    return int(n_parts), label.astype(np.int64)


def split_parts(
    system: System,
    targets: Ints,
    lower: Floats,
    upper: Floats,
    *,
    settle: bool = True,
    programmes: bool = True,
) -> Cut:
    """The parts of ``system`` that hold a target cell; a target that is a total gets a row of its
    own (bounded by ``lower``/``upper`` of that cell), which ties the base cells beneath it.

    With ``settle``, a part whose rows and columns form a tree, with unit coefficients, is
    settled by interval propagation: each row and column meets the rest of such a part in one
    place only, so every value of a propagated interval extends to a solution (whole, where the
    bounds are), and the propagated intervals are the exact ones of the linear and the integer
    programme. Without, every target's part is a linear programme (which ``blocking`` needs:
    it reads the programme's duals). Without ``programmes``, only the settled targets come
    back (``Cut.parts`` is empty).
    """
    col_of = np.full(len(system.expand.indptr) - 1, -1, dtype=np.int64)
    col_of[system.cols] = np.arange(len(system.cols))
    t_col_global = col_of[targets]
    t_row_global = np.full(len(targets), -1, dtype=np.int64)
    a, row_lo, row_up, row_cell = _target_rows(
        system, targets, lower, upper, t_col_global, t_row_global
    )
    t_const = system.const[targets]
    n_rows, n_cols = a.shape
    n_parts, label = _bipartite_components(a)
    row_label, col_label = label[:n_rows], label[n_rows:]
    target_label = np.where(
        t_col_global >= 0, _gather(col_label, t_col_global), _gather(row_label, t_row_global)
    )
    # Only the parts that hold a target are looked at further (a national system has
    # thousands; a repair's attack holds a few of them).
    holding = np.zeros(n_parts, dtype=bool)
    holding[target_label[target_label >= 0]] = True
    easy = np.zeros(n_parts, dtype=bool)
    if settle:
        # Trees: as many entries as rows and columns less one, every coefficient +1 or -1.
        entry_row = np.repeat(np.arange(n_rows), np.diff(a.indptr))
        entry_label = row_label[entry_row]
        size = np.bincount(row_label, minlength=n_parts) + np.bincount(col_label, minlength=n_parts)
        entries = np.bincount(entry_label, minlength=n_parts)
        odd = np.bincount(entry_label, weights=np.abs(a.data) != 1.0, minlength=n_parts)
        tree = (entries == size - 1) & (odd == 0) & holding
        looked_at = holding[row_label] & ~tree[row_label]
        sub = a[looked_at]
        sub_row = np.repeat(np.arange(sub.shape[0]), np.diff(sub.indptr))
        nested = _nested(sub, sub_row, row_label[looked_at][sub_row], n_parts)
        nested &= holding & ~tree
        easy = tree | nested
    settled = np.flatnonzero(easy[target_label])
    lo = np.zeros(len(settled))
    hi = np.zeros(len(settled))
    if len(settled):
        t_col, t_row = t_col_global[settled], t_row_global[settled]
        # A nested family of sums becomes a tree with a variable per sum: each sum is its
        # direct parts (columns and smaller sums) and a part of the next larger sum only.
        ext_a, ext_lo, ext_up, n_sums = _as_tree(a, row_lo, row_up, system, nested[row_label])
        ext_rows = np.concatenate([tree[row_label], np.ones(n_sums, dtype=bool)])
        ext_cols = np.concatenate([easy[col_label], np.ones(n_rows, dtype=bool)])
        found = _propagate_trees(
            ext_a,
            np.concatenate([row_lo, np.zeros(n_sums)]),
            np.concatenate([row_up, np.zeros(n_sums)]),
            ext_lo,
            ext_up,
            ext_rows,
            ext_cols,
        )
        if found is None:  # pragma: no cover - propagation settles on a tree
            easy[:] = False
            settled, lo, hi = settled[:0], lo[:0], hi[:0]
        else:
            col_lo, col_hi = found
            in_tree = tree[target_label[settled]]
            lo, hi = _target_ranges(a, row_lo, row_up, col_lo, col_hi, t_col, t_row)
            # In a nested family a target that is a sum has that sum's variable.
            sums = ~in_tree & (t_col < 0)
            lo[sums] = col_lo[n_cols + t_row[sums]]
            hi[sums] = col_hi[n_cols + t_row[sums]]
            lo, hi = lo + t_const[settled], hi + t_const[settled]
    return Cut(
        settled.astype(np.int64),
        lo,
        hi,
        _cut_parts(
            a,
            (row_lo, row_up, row_cell),
            system,
            (row_label, col_label, n_parts),
            targets,
            (target_label, t_col_global, t_row_global, t_const),
            ~easy & programmes,
        ),
    )


def _target_rows(
    system: System,
    targets: Ints,
    lower: Floats,
    upper: Floats,
    t_col: Ints,
    t_row: Ints,
) -> tuple[sparse.csr_matrix, Floats, Floats, Ints]:
    """The system's rows and a row for each target that is a total, bounded by what the
    attacker knows of it (``lower``/``upper``); fills ``t_col`` and ``t_row`` in place.

    A total over one base cell is that column; a total with the same terms as a row of the
    system (or as another target's) is that row, within the narrower of both bounds. The
    same system either way, but without parallel rows, so that a tree or a nested family
    beneath it is recognised (``split_parts``)."""
    a_sys, n_sys = system.a.tocsr(), system.a.shape[0]
    totals = np.flatnonzero(t_col < 0)
    cells = targets[totals]
    spans = system.expand[cells].tocsr()
    spans.eliminate_zeros()
    size = np.diff(spans.indptr)
    one = size == 1
    if spans.nnz:
        one &= spans.data[np.minimum(spans.indptr[:-1], spans.nnz - 1)] == 1.0
    if one.any():
        t_col[totals[one]] = spans.indices[spans.indptr[:-1][one]]
        # A total of one free base cell: that cell plus the fixed ones (``const``), within
        # the total's own bounds as the cell's bounds allow; only narrower where they differ.
        lo_t = lower[cells[one]] - system.const[cells[one]]
        up_t = upper[cells[one]] - system.const[cells[one]]
        col = t_col[totals[one]]
        single = sparse.csr_matrix(
            (np.ones(int(one.sum())), (np.arange(int(one.sum())), col)),
            shape=(int(one.sum()), a_sys.shape[1]),
        )
        looser = (lo_t <= system.lower[col]) & (up_t >= system.upper[col])
        keep_rows = ~looser
    else:
        single = sparse.csr_matrix((0, a_sys.shape[1]))
        lo_t = up_t = np.zeros(0)
        keep_rows = np.zeros(0, dtype=bool)
    rest = totals[~one]
    r_cells = targets[rest]
    r_spans = spans[np.flatnonzero(~one)]
    stacked = sparse.vstack([a_sys, r_spans]).tocsr().sorted_indices()  # equal rows, equal keys
    probe = np.random.default_rng(1).random(stacked.shape[1])
    key = stacked @ probe + np.diff(stacked.indptr)
    _, group = _unique_inverse(key)
    first = np.full(int(group.max(initial=-1)) + 1, -1, dtype=np.int64)
    first[group[::-1]] = np.arange(len(group))[::-1]  # the first row of each key
    rep = first[group]
    same = np.diff((stacked - stacked[rep]).tocsr().indptr) == 0
    rep = np.where(same, rep, np.arange(len(group)))
    new_rows = np.flatnonzero(rep[n_sys:] == np.arange(n_sys, len(group)))
    position = np.full(len(group), -1, dtype=np.int64)
    position[:n_sys] = np.arange(n_sys)
    position[n_sys + new_rows] = n_sys + np.arange(len(new_rows))
    t_row[rest] = position[rep[n_sys:]]
    rows_lo = np.concatenate([system.row_lo, np.full(len(new_rows), -np.inf)])
    rows_up = np.concatenate([system.row_up, np.full(len(new_rows), np.inf)])
    np.maximum.at(rows_lo, t_row[rest], lower[r_cells] - system.const[r_cells])
    np.minimum.at(rows_up, t_row[rest], upper[r_cells] - system.const[r_cells])
    row_cell = np.concatenate([system.row_cell, r_cells[new_rows]])
    a = sparse.vstack([a_sys, r_spans[new_rows], single[keep_rows]]).tocsr()
    row_lo = np.concatenate([rows_lo, lo_t[keep_rows]])
    row_up = np.concatenate([rows_up, up_t[keep_rows]])
    row_cell = np.concatenate([row_cell, cells[one][keep_rows]])
    return a, row_lo, row_up, row_cell.astype(np.int64)


def _same_as_next(values: Ints) -> Bools:
    """Per element of a sorted array: True when the next element is equal."""
    out: Bools = np.zeros(len(values), dtype=bool)
    out[:-1] = values[1:] == values[:-1]
    return out


def _order_by(first: Ints, second: Ints, third: Ints) -> Ints:
    """``np.lexsort((third, second, first))`` for non-negative integers: one key, where it fits
    in 63 bits (a single sort of a national system's entries takes half the time of three)."""
    spans = [int(v.max(initial=0)) + 1 for v in (second, third)]
    if len(first) and (int(first.max()) + 1) * spans[0] * spans[1] < 2**62:
        key = (first.astype(np.int64) * spans[0] + second) * spans[1] + third
        order: Ints = np.argsort(key, kind="stable")
        return order
    order = np.lexsort((third, second, first))
    return order


def _nested(a: sparse.csr_matrix, entry_row: Ints, entry_label: Ints, n_parts: int) -> Bools:
    """Per part: True when its rows are sums (every coefficient +1) of a nested family: any two
    are disjoint or one holds the other. Then each row's columns all name the same next larger
    row among the rows holding them."""
    n_rows = a.shape[0]
    size = np.diff(a.indptr)
    order = _order_by(a.indices, size[entry_row], entry_row)
    col_sorted, row_sorted = a.indices[order], entry_row[order]
    same_col = _same_as_next(col_sorted)
    after = np.where(same_col, np.append(row_sorted[1:], -1)[: len(same_col)], -1)  # or -1
    least = np.full(n_rows, np.iinfo(np.int64).max)
    most = np.full(n_rows, -2)
    np.minimum.at(least, row_sorted, after)
    np.maximum.at(most, row_sorted, after)
    ok_row = (least == most) & ((most < 0) | (size[np.maximum(most, 0)] > size))
    bad = np.bincount(entry_label, weights=(a.data != 1.0) | ~ok_row[entry_row], minlength=n_parts)
    nested: Bools = bad == 0
    return nested


def _as_tree(
    a: sparse.csr_matrix, row_lo: Floats, row_up: Floats, system: System, rows: Bools
) -> tuple[sparse.csr_matrix, Floats, Floats, int]:
    """The system with a variable per row (``n_cols + r``, within the row's bounds) and, for the
    nested ``rows``, one row each more: the row's variable less its direct parts (columns and
    the next smaller rows) is 0. The original rows keep their places (a tree part uses them)."""
    n_rows, n_cols = a.shape
    nested = np.flatnonzero(rows)
    entry_row = np.repeat(np.arange(n_rows), np.diff(a.indptr))
    size = np.diff(a.indptr)
    pick = rows[entry_row]
    e_row, e_col = entry_row[pick], a.indices[pick]
    order = np.lexsort((size[e_row], e_col))
    col_sorted, row_sorted = e_col[order], e_row[order]
    same_col = _same_as_next(col_sorted)
    first_of_col = np.ones(len(col_sorted), dtype=bool)
    first_of_col[1:] = ~same_col[:-1]
    parent = np.full(n_rows, -1, dtype=np.int64)
    parent[row_sorted[same_col]] = np.append(row_sorted[1:], -1)[: len(same_col)][same_col]
    where = np.full(n_rows, -1, dtype=np.int64)
    where[nested] = np.arange(len(nested))
    # Each nested row r: +1 for its variable, -1 for its direct columns and child rows.
    direct_row, direct_col = row_sorted[first_of_col], col_sorted[first_of_col]
    children = nested[parent[nested] >= 0]
    ext_r = np.concatenate([where[nested], where[direct_row], where[parent[children]]])
    ext_c = np.concatenate([n_cols + nested, direct_col, n_cols + children])
    ext_v = np.concatenate(
        [np.ones(len(nested)), -np.ones(len(direct_row)), -np.ones(len(children))]
    )
    extra = sparse.csr_matrix((ext_v, (ext_r, ext_c)), shape=(len(nested), n_cols + n_rows))
    wide = sparse.hstack([a, sparse.csr_matrix((n_rows, n_rows))]).tocsr()
    ext_a = sparse.vstack([wide, extra]).tocsr()
    ext_lo = np.concatenate([system.lower, row_lo])
    ext_up = np.concatenate([system.upper, row_up])
    return ext_a, ext_lo, ext_up, len(nested)


def _cut_parts(
    a: sparse.csr_matrix,
    row_info: tuple[Floats, Floats, Ints],
    system: System,
    labels: tuple[Ints, Ints, int],
    targets: Ints,
    target_info: tuple[Ints, Ints, Ints, Floats],
    wanted: Bools,
) -> list[Part]:
    """The parts ``wanted`` (per label) that hold a target, cut from the matrix permuted once
    (block-diagonal: each part a contiguous block, cut out by slicing)."""
    row_lo, row_up, row_cell = row_info
    row_label, col_label, n_parts = labels
    target_label, t_col_global, t_row_global, t_const = target_info
    n_rows, n_cols = a.shape
    order_r = np.argsort(row_label, kind="stable")
    order_c = np.argsort(col_label, kind="stable")
    starts_r = np.searchsorted(row_label[order_r], np.arange(n_parts + 1))
    starts_c = np.searchsorted(col_label[order_c], np.arange(n_parts + 1))
    pos_r = np.empty(n_rows, dtype=np.int64)
    pos_r[order_r] = np.arange(n_rows)
    pos_c = np.empty(n_cols, dtype=np.int64)
    pos_c[order_c] = np.arange(n_cols)
    # Rows gathered, columns renumbered: the same as ``a[order_r][:, order_c]``, whose column
    # indexing multiplies by a permutation matrix (twice the time nationally).
    blocked = a[order_r].tocsr()
    blocked.indices = pos_c[blocked.indices].astype(blocked.indices.dtype)
    blocked.has_sorted_indices = False
    blocked.sort_indices()
    indptr, indices, data = blocked.indptr, blocked.indices, blocked.data
    rl, ru, rc = row_lo[order_r], row_up[order_r], row_cell[order_r]
    cl, cu, cc = system.lower[order_c], system.upper[order_c], system.cols[order_c]
    by_part = np.argsort(target_label, kind="stable")
    starts_t = np.searchsorted(target_label[by_part], np.arange(n_parts + 1))
    # Every target's expression over the permuted columns, in part order: a target that is a
    # column is that column, one that is a total its row of the permuted matrix.
    ordered_col = _gather(pos_c, t_col_global[by_part])
    ordered_row = _gather(pos_r, t_row_global[by_part])
    in_row = (ordered_col < 0) & (ordered_row >= 0)
    row_start = np.zeros(len(by_part), dtype=np.int64)
    length = (ordered_col >= 0).astype(np.int64)
    row_start[in_row] = indptr[ordered_row[in_row]]
    length[in_row] = indptr[ordered_row[in_row] + 1] - row_start[in_row]
    entry = np.arange(int(length.sum()), dtype=np.int64) - np.repeat(
        np.cumsum(length) - length, length
    )
    from_row = np.repeat(row_start, length) + entry
    is_col_entry = np.repeat(ordered_col >= 0, length)
    e_indices = np.repeat(ordered_col, length)
    e_data = np.ones(len(e_indices))
    e_indices[~is_col_entry] = indices[from_row[~is_col_entry]]
    e_data[~is_col_entry] = data[from_row[~is_col_entry]]
    e_indptr = np.concatenate([[0], np.cumsum(length)])
    out = []
    holding = np.unique(target_label[target_label >= 0])
    for k in holding[wanted[holding]].tolist():
        t0, t1 = int(starts_t[k]), int(starts_t[k + 1])
        mine = by_part[t0:t1]
        r0, r1 = int(starts_r[k]), int(starts_r[k + 1])
        c0, c1 = int(starts_c[k]), int(starts_c[k + 1])
        a0, a1 = int(indptr[r0]), int(indptr[r1])
        block = sparse.csr_matrix(
            (data[a0:a1], indices[a0:a1] - c0, indptr[r0 : r1 + 1] - a0), shape=(r1 - r0, c1 - c0)
        )
        t_col = np.where(t_col_global[mine] >= 0, _gather(pos_c, t_col_global[mine]) - c0, -1)
        t_row = np.where(t_row_global[mine] >= 0, _gather(pos_r, t_row_global[mine]) - r0, -1)
        p0, p1 = int(e_indptr[t0]), int(e_indptr[t1])
        expressions = sparse.csr_matrix(
            (e_data[p0:p1], e_indices[p0:p1] - c0, e_indptr[t0 : t1 + 1] - p0),
            shape=(t1 - t0, c1 - c0),
        )
        out.append(
            Part(
                block,
                rl[r0:r1],
                ru[r0:r1],
                cl[c0:c1],
                cu[c0:c1],
                cc[c0:c1],
                rc[r0:r1],
                mine.astype(np.int64),
                t_col.astype(np.int64),
                t_row.astype(np.int64),
                t_const[mine],
                expressions,
            )
        )
    return out


def _propagate_trees(
    a: sparse.csr_matrix,
    row_lo: Floats,
    row_up: Floats,
    lower: Floats,
    upper: Floats,
    rows: Bools,
    cols: Bools,
    max_rounds: int = 1000,
) -> tuple[Floats, Floats] | None:
    """Interval propagation over the ``rows`` (and their ``cols``) until nothing moves: every
    column's (lo, hi). None when it does not settle within ``max_rounds``."""
    coo = a[np.flatnonzero(rows)].tocoo()
    row, col, coef = coo.row, coo.col, coo.data
    r_lo, r_up = row_lo[rows], row_up[rows]
    lo = np.where(cols, lower, 0.0).astype(float)
    hi = np.where(cols, upper, 0.0).astype(float)
    n_rows = int(rows.sum())
    for _ in range(max_rounds):
        rest_lo, rest_hi = _rest(coef, lo[col], hi[col], row, n_rows)
        with np.errstate(invalid="ignore"):
            ends_a = (r_lo[row] - rest_hi) / coef  # coef * x >= row_lo - rest_hi
            ends_b = (r_up[row] - rest_lo) / coef
        new_lo = np.where(coef > 0, ends_a, ends_b)
        new_hi = np.where(coef > 0, ends_b, ends_a)
        next_lo, next_hi = lo.copy(), hi.copy()
        np.maximum.at(next_lo, col, np.ceil(np.where(np.isnan(new_lo), -np.inf, new_lo) - TOL))
        np.minimum.at(next_hi, col, np.floor(np.where(np.isnan(new_hi), np.inf, new_hi) + TOL))
        if np.array_equal(next_lo, lo) and np.array_equal(next_hi, hi):
            return lo, hi
        lo, hi = next_lo, next_hi
    return None


def _rest(
    coef: Floats, x_lo: Floats, x_hi: Floats, row: Ints, n_rows: int
) -> tuple[Floats, Floats]:
    """Per entry: the least and greatest sum of the other terms of its row."""
    term_lo = np.where(coef > 0, coef * x_lo, coef * x_hi)
    term_hi = np.where(coef > 0, coef * x_hi, coef * x_lo)
    lo_inf, hi_inf = np.isinf(term_lo), np.isinf(term_hi)
    sum_lo = np.bincount(row, weights=np.where(lo_inf, 0.0, term_lo), minlength=n_rows)
    sum_hi = np.bincount(row, weights=np.where(hi_inf, 0.0, term_hi), minlength=n_rows)
    n_lo_inf = np.bincount(row, weights=lo_inf.astype(float), minlength=n_rows)
    n_hi_inf = np.bincount(row, weights=hi_inf.astype(float), minlength=n_rows)
    rest_lo = np.where(
        n_lo_inf[row] - lo_inf > 0, -np.inf, sum_lo[row] - np.where(lo_inf, 0.0, term_lo)
    )
    rest_hi = np.where(
        n_hi_inf[row] - hi_inf > 0, np.inf, sum_hi[row] - np.where(hi_inf, 0.0, term_hi)
    )
    return rest_lo, rest_hi


def _target_ranges(
    a: sparse.csr_matrix,
    row_lo: Floats,
    row_up: Floats,
    lo: Floats,
    hi: Floats,
    t_col: Ints,
    t_row: Ints,
) -> tuple[Floats, Floats]:
    """Each target's range from its columns' ranges (a total: its row's activity, within the
    row's bounds)."""
    t_lo = np.zeros(len(t_col))
    t_hi = np.zeros(len(t_col))
    is_col = t_col >= 0
    t_lo[is_col], t_hi[is_col] = lo[t_col[is_col]], hi[t_col[is_col]]
    in_row = np.flatnonzero(~is_col)
    if len(in_row):
        sub = a[t_row[in_row]].tocoo()
        coef, col = sub.data, sub.col
        term_lo = np.where(coef > 0, coef * lo[col], coef * hi[col])
        term_hi = np.where(coef > 0, coef * hi[col], coef * lo[col])
        n = len(in_row)
        least = np.bincount(sub.row, np.where(np.isinf(term_lo), 0.0, term_lo), n).astype(float)
        most = np.bincount(sub.row, np.where(np.isinf(term_hi), 0.0, term_hi), n).astype(float)
        least[np.bincount(sub.row, weights=np.isinf(term_lo), minlength=n) > 0] = -np.inf
        most[np.bincount(sub.row, weights=np.isinf(term_hi), minlength=n) > 0] = np.inf
        t_lo[in_row] = np.maximum(least, row_lo[t_row[in_row]])
        t_hi[in_row] = np.minimum(most, row_up[t_row[in_row]])
    return t_lo, t_hi


def _constraints(part: Part) -> LinearConstraint:
    return LinearConstraint(part.a, part.row_lo, part.row_up)


def integer_solution(
    part: Part,
    c: Floats,
    *,
    link: sparse.csr_matrix | None = None,
    aux_upper: Floats | None = None,
    integer: bool = True,
) -> Floats | None:
    """A solution (the columns) of ``part`` minimising ``c @ [x, y]`` (``y``: auxiliaries with
    ``link @ [x, y] <= 0`` and ``0 <= y <= aux_upper``). ``integer``: an integer solution, the
    LP's vertex when it is integral, else the integer programme's best within a few seconds;
    None when neither gives one. Otherwise the LP's solution as it is."""
    n = part.a.shape[1]
    n_aux = 0 if aux_upper is None else len(aux_upper)
    a = sparse.hstack([part.a, sparse.csr_matrix((part.a.shape[0], n_aux))]).tocsr()
    lower = np.concatenate([part.lower, np.zeros(n_aux)])
    upper = np.concatenate([part.upper, np.zeros(0) if aux_upper is None else aux_upper])
    constraints = [LinearConstraint(a, part.row_lo, part.row_up)]
    if link is not None:
        constraints.append(LinearConstraint(link, -np.inf, np.zeros(link.shape[0])))
    integral = np.concatenate([np.ones(n), np.zeros(n_aux)])
    for kind in (0, 1):  # the LP first, then the integer programme
        result = milp(
            c,
            constraints=constraints,
            bounds=Bounds(lower, upper),
            integrality=integral * kind,
            options={"time_limit": 10.0},
        )
        if result.x is None:
            return None
        x = np.asarray(result.x[:n])
        if not integer:
            return x
        if np.all(np.abs(x - np.round(x)) < TOL):
            return np.round(x)
    return None


def silent_highs() -> Any:
    """A silent HiGHS instance. The core class, not ``highspy.Highs``: the wrapper enables
    callbacks on construction, which prints HiGHS's banner before any option can be set."""
    h = _Highs()
    h.setOptionValue("output_flag", False)
    return h


def _highs(part: Part, *, presolve: bool) -> Any:
    # Rows as the parts are cut (CSR): HiGHS turns them into columns itself, in the same order
    # as scipy would, and quicker (a conversion per part cost 0.2 ms of 0.6).
    a = part.a if sparse.isspmatrix_csr(part.a) else sparse.csr_matrix(part.a)
    h = silent_highs()
    if not presolve:
        h.setOptionValue("presolve", "off")
    n_rows, n_cols = a.shape
    # The arrays straight into HiGHS (no HighsLp in between: a third of a model's cost here).
    h.passModel(
        n_cols,
        n_rows,
        a.nnz,
        int(highspy.MatrixFormat.kRowwise),
        int(highspy.ObjSense.kMinimize),
        0.0,
        np.zeros(n_cols),
        part.lower.astype(float),
        np.where(np.isfinite(part.upper), part.upper, _INF).astype(float),
        np.where(np.isfinite(part.row_lo), part.row_lo, -_INF).astype(float),
        np.where(np.isfinite(part.row_up), part.row_up, _INF).astype(float),
        a.indptr.astype(np.int32),
        a.indices.astype(np.int32),
        a.data.astype(float),
        np.zeros(n_cols, dtype=np.int32),
    )
    return h


class Solver:
    """One part's LP kept in HiGHS, so that each new objective starts from the last basis."""

    def __init__(self, part: Part) -> None:
        self.part = part
        self.h = _highs(part, presolve=True)
        self.expressions = part.expressions
        self.m = part.a.shape[1]

    def _cost(self, i: int) -> Floats:
        cost: Floats = self.expressions[i].toarray().ravel()
        return cost

    def _lp(self, i: int, *, maximise: bool) -> float:
        """Solve the LP for target ``i``; its optimum (inf when unbounded)."""
        h = self.h
        cost = self._cost(i)
        h.changeColsCost(self.m, np.arange(self.m, dtype=np.int32), cost)
        sense = highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
        h.changeObjectiveSense(sense)
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kUnbounded:
            return math.inf if maximise else -math.inf
        if status != highspy.HighsModelStatus.kOptimal:
            text = h.modelStatusToString(status)
            raise RuntimeError(f"De aanval op de publicatie liep vast: {text}.")
        x = np.asarray(h.getSolution().col_value)
        return float(cost @ x + self.part.t_const[i])

    def optimum(self, i: int, *, maximise: bool, integer: bool = True) -> float:
        """The attacker's best bound on target ``i``: LP, or integer programme if fractional
        (``integer``; else the LP's bound, rounded inward: counts are whole)."""
        value = self._lp(i, maximise=maximise)
        if not math.isfinite(value):
            return value
        if not integer:
            return float(math.floor(value + TOL) if maximise else math.ceil(value - TOL))
        x = np.asarray(self.h.getSolution().col_value)
        if np.all(np.abs(x - np.round(x)) < TOL):
            return float(round(value))
        c = self._cost(i) * (-1.0 if maximise else 1.0)
        p = self.part
        result = milp(
            c,
            constraints=_constraints(p),
            bounds=Bounds(p.lower, p.upper),
            integrality=np.ones(len(x)),
        )
        if result.status == 3:  # unbounded
            return math.inf if maximise else -math.inf
        if not result.success:
            raise RuntimeError(f"De aanval op de publicatie liep vast: {result.message}")
        return float(round(-result.fun if maximise else result.fun) + p.t_const[i])

    def binding(self, i: int, *, maximise: bool) -> tuple[float, Ints, Ints]:
        """Solve the LP for target ``i``; its optimum, and the columns and the rows that stop it
        going further: at a bound, with a nonzero reduced cost or dual."""
        value = self._lp(i, maximise=maximise)
        solution = self.h.getSolution()
        p = self.part
        x, col_dual = np.asarray(solution.col_value), np.asarray(solution.col_dual)
        act, row_dual = np.asarray(solution.row_value), np.asarray(solution.row_dual)
        col_at = (np.isfinite(p.upper) & (np.abs(x - p.upper) < TOL)) | (
            (p.lower > 0) & (np.abs(x - p.lower) < TOL)
        )
        row_at = (np.isfinite(p.row_up) & (np.abs(act - p.row_up) < TOL)) | (
            np.abs(act - p.row_lo) < TOL
        )
        cols: Ints = np.flatnonzero(col_at & (np.abs(col_dual) > TOL)).astype(np.int64)
        # A band row counts whenever its dual does: the verdicts of ``within_blocks`` rest on it.
        row_at |= p.row_cell == BAND
        rows: Ints = np.flatnonzero(row_at & (np.abs(row_dual) > TOL)).astype(np.int64)
        return value, cols, rows


class Relaxation:
    """The linear relaxation of one part kept in HiGHS, so that each round only changes costs and
    the upper bounds of the targets, and starts from the last basis."""

    def __init__(self, part: Part) -> None:
        # Rounds change only costs and bounds: simplex from the last basis beats presolving anew.
        self.h = _highs(part, presolve=False)
        # These programmes are small and very degenerate (whole numbers everywhere): a tenth of
        # HiGHS's default cost perturbation takes 18 % fewer simplex iterations on the national
        # tables (docs/schaal.md). The optimum, and so every verdict, is the same.
        self.h.setOptionValue("dual_simplex_cost_perturbation_multiplier", 0.1)
        self.m = part.a.shape[1]
        self.expressions = part.expressions
        # Costs are sums of targets' expressions: weights per entry, summed per column (a
        # scipy transpose and product cost more than the sum, in parts this small).
        e = part.expressions
        self.entry_target = np.repeat(np.arange(e.shape[0]), np.diff(e.indptr))
        self.entry_col, self.entry_value = e.indices, e.data.astype(float)
        self.is_col = part.t_col >= 0
        # Targets may share a column or a row (a total of one base cell, or two totals with the
        # same terms): each is capped at the least cap of the targets on it.
        self.t_col, self.col_of = np.unique(part.t_col[self.is_col], return_inverse=True)
        self.t_row, self.row_of = np.unique(part.t_row[~self.is_col], return_inverse=True)
        self.t_col, self.t_row = self.t_col.astype(np.int32), self.t_row.astype(np.int32)
        up = np.where(np.isfinite(part.upper), part.upper, _INF)
        row_up = np.where(np.isfinite(part.row_up), part.row_up, _INF)
        self.col_lo, self.col_up = part.lower[self.t_col].astype(float), up[self.t_col]
        row_lo = np.where(np.isfinite(part.row_lo), part.row_lo, -_INF)
        self.row_lo, self.row_up = row_lo[self.t_row].astype(float), row_up[self.t_row]
        self.t_const = part.t_const
        # Later rounds change costs, and caps that mostly loosen: the last optimum is a feasible
        # start for them, from which the primal simplex goes straight on, where the dual simplex
        # must first repair the dual. On controles nationally: 646,308 simplex iterations ->
        # 446,379 and 13.1 -> 11.4 s. Without HiGHS's perturbation of the bounds, which it adds
        # anew at every start and takes out again at the end (a dozen iterations even when the
        # last optimum is still optimal): 446,379 -> 395,540, and 12.6 -> 10.9 s of CPU. With it,
        # the primal simplex lost where a rest ties a teller to its noemer (a coefficient -1);
        # without it, it wins there too: eigenaar_concentratie's joint attack 1,358,668 ->
        # 936,019 iterations, 29.8 -> 28.8 s. The verdicts are the same (docs/schaal.md).
        self.cold = True

    def _solve(self, cost: Floats, cap: Floats) -> Floats | None:
        """Solve with ``cost`` over the columns and each target at most ``cap``; the targets'
        values, or None when HiGHS finds no optimum."""
        h = self.h
        h.changeColsCost(self.m, np.arange(self.m, dtype=np.int32), cost)
        shifted = cap - self.t_const
        if len(self.t_col):
            col_cap = np.full(len(self.t_col), np.inf)
            np.minimum.at(col_cap, self.col_of, shifted[self.is_col])
            h.changeColsBounds(
                len(self.t_col), self.t_col, self.col_lo, np.minimum(self.col_up, col_cap)
            )
        if len(self.t_row):
            row_cap = np.full(len(self.t_row), np.inf)
            np.minimum.at(row_cap, self.row_of, shifted[~self.is_col])
            h.changeRowsBounds(
                len(self.t_row), self.t_row, self.row_lo, np.minimum(self.row_up, row_cap)
            )
        h.run()
        if self.cold:
            h.setOptionValue("simplex_strategy", _PRIMAL)
            h.setOptionValue("primal_simplex_bound_perturbation_multiplier", 0.0)
            self.cold = False
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        values: Floats = self.expressions @ np.asarray(h.getSolution().col_value) + self.t_const
        return values

    def _cost(self, chosen: Bools, sign: float) -> Floats:
        weights = np.where(chosen[self.entry_target], sign * self.entry_value, 0.0)
        cost: Floats = np.asarray(
            np.bincount(self.entry_col, weights=weights, minlength=self.m), dtype=float
        )
        return cost

    def lift(self, open_: Bools, need: Floats) -> Floats | None:
        """Maximise the sum of the open targets, each capped at its ``need``: every target is
        lifted just as far as its proof needs, not one far at the cost of the others. The caps
        only narrow the system, so a solution is one of the whole system; the true counts
        satisfy them (an open target's seen range holds its count and stays below its need),
        so the programme is never infeasible."""
        return self._solve(self._cost(open_, -1.0), np.where(open_, need, np.inf))

    def lower(self, open_: Bools) -> Floats | None:
        """Minimise the sum of the open targets."""
        return self._solve(self._cost(open_, 1.0), np.full(len(open_), np.inf))

    def shift(self, up: Bools, down: Bools, need: Floats) -> Floats | None:
        """Lift the ``up`` targets (each capped at its ``need``, as ``lift``) and lower the
        ``down`` ones in one programme: a secret cell lifted and one lowered in the same relation
        are one move, which two programmes would each refuse."""
        cost = self._cost(up, -1.0) + self._cost(down, 1.0)
        return self._solve(cost, np.where(up, need, np.inf))
