"""The teller and the noemer of a '%' indicator, attacked together.

Where the noemer is a delivered count (``eigenaar_concentratie``), teller and noemer are each
protected as a table of their own. An outsider also knows that no teller exceeds its noemer,
so the two tables are one system to him: a teller that must be at least 2 lifts the least its
noemer can be. That inequality is written as an additive relation with a hidden slack cell,
``noemer = teller + rest`` (``rest >= 0``, never published, never attacked), so the attack and
the repair of ``indicators.audit`` and ``indicators.disclosure`` handle it as any other.

Each table is its system as the separate attack sees it (``Table``: its cells, then the earlier
versions of its corrected counts with the relations of the releases that showed them). The two
are stacked: the teller's rows from 0 (its ``n`` cells first), the noemer's from ``offset``
(the same cells, in the same order, first), then the rest rows: one per cell where both were
delivered, and one per earlier teller and noemer of a cell that went out in one release (a
corrected count's version with the other table's count as it was then): an outsider who holds
that release knows that teller was no larger than that noemer either.

Pure: arrays in, arrays out; no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse

from indicators._lp import Bools, Floats, Ints, System, base_system
from indicators._moves import rectangle_ranges
from indicators.audit import attack, blocking, check, without_solver
from indicators.disclosure import SHOWN
from indicators.intervals import ROUNDING, THRESHOLD, bounds, protected
from indicators.relations import CROSS, Relations, components, relations, restrict
from indicators.versions import NOW, held_at, old_versions

NOEMER = ":noemer"  # the noemer's table is published as indicator + NOEMER


@dataclass(frozen=True)
class Table:
    """One table's system: its ``n`` cells, then the earlier versions of corrected counts."""

    raw: Floats  # true counts: the cells, then the versions (NaN: not delivered)
    rel: Relations
    old_row: Ints  # per version, the cell it is a version of
    old_published: Floats  # per version, its count as shown then (NaN: secret)
    kept: Bools  # per cell: its count is the version recorded last (see ``old_versions``)
    old_van: Ints = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    old_tot: Ints = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    start: Ints | None = None  # per cell: the first release its current count held (``NOW``)

    @property
    def n(self) -> int:
        return len(self.raw) - len(self.old_row)

    @property
    def cell_of(self) -> Ints:
        """Per row, the cell it is (a version of)."""
        out: Ints = np.concatenate([np.arange(self.n, dtype=np.int64), self.old_row])
        return out


def one_table(
    keys: pd.DataFrame,
    raw: Floats,
    memberships: pd.DataFrame,
    released: pd.DataFrame | None = None,
    versions: pd.DataFrame | None = None,
    defined: Bools | None = None,
    *,
    rounding: int = ROUNDING,
) -> Table:
    """The system of one table (``keys``: ``code, periode, indicator`` per cell) with what
    earlier releases showed (``released``, ``versions``, ``defined``: as in
    ``indicators.disclosure.disclose``)."""
    rel = relations(keys, memberships, np.isnan(raw))
    none = np.zeros(0, dtype=np.int64)
    if released is None or not len(released):
        return Table(raw, rel, none, np.zeros(0), np.ones(len(raw), dtype=bool))
    old = old_versions(keys, raw, rel, released, versions, defined)
    then = np.floor(old.teller / rounding + 0.5) * rounding
    return Table(
        np.concatenate([raw, old.teller]),
        old.rel,
        old.row,
        np.where(old.status == SHOWN, then, np.nan) if len(old) else np.zeros(0),
        old.kept,
        old.van,
        old.tot,
        old.start,
    )


@dataclass(frozen=True)
class Joint:
    """Teller and noemer stacked into one system with ``noemer = teller + rest`` per cell."""

    raw: Floats  # true counts, stacked (NaN: not delivered)
    rel: Relations
    n: int  # cells per table
    offset: int  # the noemer's first row
    size: int  # rows of both tables (the rest rows follow)
    cell_of: Ints  # per row, the cell it belongs to
    earlier: Floats  # per row, a version's count as shown then (NaN: secret, or no version)

    @cached_property
    def labels(self) -> Ints:
        """``components`` of the whole system: the same in every pass of ``repairs``."""
        return components(self.rel, len(self.raw))

    @property
    def attackable(self) -> Bools:
        """Rows that are counts of a release (the rest rows are not)."""
        out: Bools = np.arange(len(self.raw)) < self.size
        return out

    @property
    def current(self) -> Ints:
        """The rows of this release's cells: tellers, then noemers."""
        out: Ints = np.concatenate([np.arange(self.n), self.offset + np.arange(self.n)])
        return out


def _shifted(rel: Relations, rows: int, groups: int) -> Relations:
    return Relations(rel.part_group + groups, rel.part_row + rows, rel.total_row + rows, rel.kind)


def _held_together(teller: Table, noemer: Table) -> tuple[Ints, Ints]:
    """Pairs of (teller row, noemer row) of one cell that went out in one release: the current
    counts, and every earlier version with the other table's count as it was then."""
    n = teller.n
    pairs = [np.arange(n, dtype=np.int64)] * 2
    if teller.start is not None and noemer.start is not None:
        moments = np.unique(
            np.concatenate(
                [
                    teller.old_van,
                    noemer.old_van,
                    teller.start[teller.start != NOW],
                    noemer.start[noemer.start != NOW],
                ]
            )
        )
        for moment in moments.tolist():
            mt = held_at(n, teller.start, teller.old_row, teller.old_van, teller.old_tot, moment)
            mn = held_at(n, noemer.start, noemer.old_row, noemer.old_van, noemer.old_tot, moment)
            old = (mt >= 0) & (mn >= 0) & ((mt >= n) | (mn >= n))
            pairs = [np.concatenate([pairs[0], mt[old]]), np.concatenate([pairs[1], mn[old]])]
    both = np.unique(np.column_stack(pairs), axis=0)
    return both[:, 0], both[:, 1]


def joint(teller: Table, noemer: Table) -> Joint:
    """Stack the two tables of one indicator (the same cells, in the same order).

    A rest ties each teller and noemer that went out together (``_held_together``). It is
    written only where both counts were delivered and the teller does not exceed the noemer:
    elsewhere the outsider's rule does not hold for the true counts, and a system that the true
    counts do not satisfy would prove nothing.
    """
    n = teller.n
    offset = len(teller.raw)
    size = offset + len(noemer.raw)
    t_row, n_row = _held_together(teller, noemer)
    t, m = teller.raw[t_row], noemer.raw[n_row]
    holds = ~np.isnan(t) & ~np.isnan(m) & (t <= m)
    t_row, n_row, t, m = t_row[holds], n_row[holds], t[holds], m[holds]
    k = len(t_row)
    rest_rows = size + np.arange(k, dtype=np.int64)
    second = _shifted(noemer.rel, offset, teller.rel.n_groups)
    groups = teller.rel.n_groups + noemer.rel.n_groups + np.arange(k, dtype=np.int64)
    rel = Relations(
        part_group=np.concatenate([teller.rel.part_group, second.part_group, groups, groups]),
        part_row=np.concatenate([teller.rel.part_row, second.part_row, t_row, rest_rows]),
        total_row=np.concatenate([teller.rel.total_row, second.total_row, offset + n_row]),
        kind=np.concatenate([teller.rel.kind, second.kind, np.full(k, CROSS, dtype=np.int64)]),
    )
    none = np.full(n, np.nan)
    return Joint(
        raw=np.concatenate([teller.raw, noemer.raw, m - t]),
        rel=rel,
        n=n,
        offset=offset,
        size=size,
        cell_of=np.concatenate([teller.cell_of, noemer.cell_of, teller.cell_of[t_row]]),
        earlier=np.concatenate(
            [none, teller.old_published, none, noemer.old_published, np.full(k, np.nan)]
        ),
    )


def _ties(joint_: Joint) -> tuple[Ints, Ints, Ints, Ints]:
    """The rest relations: their groups, and per group its teller, rest and noemer row."""
    rel = joint_.rel
    cross = np.flatnonzero(rel.kind == CROSS)
    mine = rel.kind[rel.part_group] == CROSS
    group, row = rel.part_group[mine], rel.part_row[mine]
    teller = np.full(rel.n_groups, -1, dtype=np.int64)
    rest = np.full(rel.n_groups, -1, dtype=np.int64)
    is_rest = row >= joint_.size
    teller[group[~is_rest]] = row[~is_rest]
    rest[group[is_rest]] = row[is_rest]
    return cross, teller[cross], rest[cross], rel.total_row[cross]


def through_rest(joint_: Joint, system: System) -> sparse.csr_matrix:
    """Per stacked row, what one step changes in the columns of ``system`` when the other table
    stays as it is (the ``unit`` of ``indicators._moves.rectangle_ranges``): a teller that is a
    base cell moves and its rest moves back (the noemer stays); a noemer that is its teller plus
    its rest moves through the rest (the teller stays). Rows without a rest move as base cells.

    Each table alone is a grid of rectangles; together, a plain move of a teller moves its
    noemer too, which the noemer's own published counts seldom allow, so without this nearly no
    joint target is shown wide without a solver (2,853 of 856,075 nationally).
    """
    n_rows, n_cols = len(joint_.raw), len(system.cols)
    col_of = np.full(n_rows, -1, dtype=np.int64)
    col_of[system.cols] = np.arange(n_cols)
    _, teller_row, rest, noemer_row = _ties(joint_)
    rest_col = col_of[rest]
    teller_col = col_of[teller_row]
    has = rest_col >= 0
    # a noemer written as its teller plus its rest (a buurt-month; not a sum of other noemers)
    through = has & (col_of[noemer_row] < 0)
    if through.any():
        through[through] = (
            np.asarray(system.expand[noemer_row[through], rest_col[through]]).ravel() == 1.0
        )
    back = has & (teller_col >= 0)
    base = np.flatnonzero(col_of >= 0)
    rows = np.concatenate([base, teller_row[back], noemer_row[through]])
    cols = np.concatenate([col_of[base], rest_col[back], rest_col[through]])
    data = np.concatenate(
        [np.ones(len(base)), -np.ones(int(back.sum())), np.ones(int(through.sum()))]
    )
    # a noemer that moves through its rest is no base cell: its own column is never set
    return sparse.csr_matrix((data, (rows, cols)), shape=(n_rows, n_cols))


def joint_ranges(
    joint_: Joint, system: System, known: Floats, targets: Ints
) -> tuple[Floats, Floats]:
    """Per target, the values rectangle moves within one table reach while the other table
    stays at its true counts (``through_rest``); every move is checked against the whole joint
    system, so these are values the target takes in integer solutions of it."""
    return rectangle_ranges(system, joint_.rel, known, targets, unit=through_rest(joint_, system))


def _own_relations(rel: Relations) -> Relations:
    """The relations of the two tables, without the rests that tie them."""
    own = rel.kind != CROSS
    keep = own[rel.part_group]
    return Relations(
        np.cumsum(own)[rel.part_group[keep]] - 1,
        rel.part_row[keep],
        rel.total_row[own],
        rel.kind[own],
    )


def each_table_alone(
    joint_: Joint,
    lower: Floats,
    upper: Floats,
    known: Floats,
    targets: Ints,
    seen: tuple[Floats, Floats],
    threshold: float = THRESHOLD,
) -> tuple[Floats, Floats]:
    """Widen the ``seen`` ranges of the targets (stacked rows) without a solver, in each table
    alone while the other stays at its true counts ``known``: then each rest says only that
    a teller is at most its noemer's true count (or a noemer at least its teller's), a bound
    of one cell, and the table is nested again (months, buurten: ``indicators.audit.
    without_solver``). Every solution found is one of the joint system."""
    lo, hi = seen[0].copy(), seen[1].copy()
    tables = _own_relations(joint_.rel)
    _, teller, _, noemer = _ties(joint_)
    for start, stop in ((0, joint_.offset), (joint_.offset, joint_.size)):
        mine = np.flatnonzero((targets >= start) & (targets < stop))
        if not len(mine):
            continue
        rows = np.arange(start, stop, dtype=np.int64)
        side_lower, side_upper = lower[rows].copy(), upper[rows].copy()
        if start == 0:  # the noemers stay: each teller at most its noemer's true count
            np.minimum.at(side_upper, teller, known[noemer])
        else:  # the tellers stay: each noemer at least its teller's true count
            np.maximum.at(side_lower, noemer - start, known[teller])
        side = restrict(tables, rows)
        variable = ~np.isnan(joint_.raw[rows])
        system = base_system(side, side_lower, side_upper, variable)
        lo[mine], hi[mine] = without_solver(
            system,
            side,
            known[rows],
            targets[mine] - start,
            side_lower,
            side_upper,
            (lo[mine], hi[mine]),
            threshold,
        )
    return lo, hi


def implied_bounds(
    rel: Relations, lower: Floats, upper: Floats, *, rounds: int = 3
) -> tuple[Floats, Floats]:
    """Bounds every solution keeps, propagated through the additive relations ``rel`` a few
    rounds (a total within the sums of its parts' bounds; a part within its total's bounds less
    the others'). Weaker than each cell's exact optimum, but valid: implied by ``rel`` and the
    bounds alone. (Nationally three rounds find all but 0.1 % of what ten do.)"""
    lo, up = lower.astype(float).copy(), upper.astype(float).copy()
    g, p, t = rel.part_group, rel.part_row, rel.total_row
    n_groups = rel.n_groups
    for _ in range(rounds):
        s_lo = np.bincount(g, weights=lo[p], minlength=n_groups)
        finite = np.isfinite(up[p])
        s_up = np.bincount(g, weights=np.where(finite, up[p], 0.0), minlength=n_groups)
        n_inf = np.bincount(g, weights=(~finite).astype(float), minlength=n_groups)
        np.minimum.at(up, t, np.where(n_inf > 0, np.inf, s_up))
        np.maximum.at(lo, t, s_lo)
        np.minimum.at(up, p, up[t[g]] - (s_lo[g] - lo[p]))
        # the others' most: infinite when another part is unbounded
        others = np.where(
            finite,
            np.where(n_inf[g] > 0, np.inf, s_up[g] - up[p]),
            np.where(n_inf[g] > 1, np.inf, s_up[g]),
        )
        np.maximum.at(lo, p, lo[t[g]] - others)
    return lo, up


def without_implied(joint_: Joint, lower: Floats, upper: Floats) -> Joint:
    """The same system without the rests that each table's own relations already imply: where
    the most a teller can be, from its table alone, is at most the least its noemer can be,
    ``noemer = teller + rest`` says nothing more. The solutions are the same (integer or not),
    the programmes smaller; nationally 694,756 of 949,571 rests go."""
    rel = joint_.rel
    tables = _own_relations(rel)
    lo, up = implied_bounds(tables, lower, upper)
    cross, teller, _, noemer = _ties(joint_)
    drop = np.zeros(rel.n_groups, dtype=bool)
    drop[cross[up[teller] <= lo[noemer]]] = True
    if not drop.any():
        return joint_
    left = ~drop[rel.part_group]
    raw = joint_.raw.copy()
    gone = rel.part_row[~left]
    raw[gone[gone >= joint_.size]] = np.nan  # the rest row takes part in nothing now
    kept = Relations(
        np.cumsum(~drop)[rel.part_group[left]] - 1,
        rel.part_row[left],
        rel.total_row[~drop],
        rel.kind[~drop],
    )
    return replace(joint_, raw=raw, rel=kept)


def _around(joint_: Joint, label: Ints, targets: Ints) -> Joint:
    """Only the independent parts of the system (``label``: ``components``) that hold a
    target (the rest of the table cannot move them): every other row takes part in nothing."""
    rel = joint_.rel
    inside = np.isin(label, label[targets])
    if inside.all():
        return joint_
    raw = np.where(inside, joint_.raw, np.nan)
    keep = inside[rel.total_row]
    return replace(
        joint_,
        raw=raw,
        rel=Relations(
            np.cumsum(keep)[rel.part_group[keep[rel.part_group]]] - 1,
            rel.part_row[keep[rel.part_group]],
            rel.total_row[keep],
            rel.kind[keep],
        ),
    )


def _published(joint_: Joint, teller_publ: Floats, noemer_publ: Floats) -> Floats:
    out = joint_.earlier.copy()
    out[joint_.current] = np.concatenate([teller_publ, noemer_publ])
    return out


def _blocks(joint_: Joint, blocks: Ints | None) -> Ints | None:
    if blocks is None:
        return None
    out: Ints = blocks[joint_.cell_of]
    return out


def check_joint(
    joint_: Joint, teller_publ: Floats, noemer_publ: Floats, *, blocks: Ints | None = None
) -> pd.DataFrame:
    """``indicators.audit.check`` over both tables at once (``row`` as stacked; the published
    counts per cell of each table, ``blocks`` per cell)."""
    published = _published(joint_, teller_publ, noemer_publ)
    lower, upper = bounds(published, ~np.isnan(published))
    reduced = without_implied(joint_, lower, upper)
    return check(
        reduced.raw,
        published,
        reduced.rel,
        blocks=_blocks(joint_, blocks),
        attackable=joint_.attackable,
    )


@dataclass(frozen=True)
class Repair:
    """What one pass of ``repairs`` found."""

    teller: Bools  # per cell: make the teller secret
    noemer: Bools  # per cell: make the noemer secret
    wide: Bools  # per stacked row: shown wide in this pass

    @property
    def needed(self) -> bool:
        return bool(self.teller.any() or self.noemer.any())


def repairs(
    joint_: Joint,
    teller_publ: Floats,
    noemer_publ: Floats,
    rank: Ints,
    *,
    movable: Bools | None = None,
    settled: Bools | None = None,
    blocks: Ints | None = None,
    tables_attacked: bool = False,
    rounding: int = ROUNDING,
    threshold: float = THRESHOLD,
) -> Repair:
    """Published counts to make secret so that no cell is pinned by the two tables, alone or
    together. ``tables_attacked``: each table has been attacked (and repaired) alone already,
    so a system without a rest left adds nothing; otherwise each has had the relation rule
    only, and this is its attack as well.

    As in ``indicators.disclosure.protect``: the linear relaxation attacks every count of 1-4
    of either table (and their earlier versions); for each pinned one the published count of
    this release that binds it with the lowest ``rank`` goes. ``rank`` and ``movable`` run over
    the current cells, tellers then noemers (``stacked_rank``); ``movable`` False for a count
    an earlier release showed, which stays shown. The caller protects both tables again with
    those secret and asks again until nothing is pinned. ``settled`` (per stacked row): shown
    wide by an earlier pass in a system that has only lost published counts since (a secret
    count is only known to be at least 0), so wide still; not attacked again.
    """
    n = joint_.n
    published = _published(joint_, teller_publ, noemer_publ)
    shown = ~np.isnan(published)
    value = np.nan_to_num(joint_.raw)
    lower, upper = bounds(published, shown, rounding=rounding, threshold=threshold)
    primary = ~np.isnan(joint_.raw) & ~shown & (value > 0) & (value < threshold)
    primary &= joint_.attackable
    if settled is not None:
        primary &= ~settled
    targets = np.flatnonzero(primary).astype(np.int64)
    wide = np.zeros(len(joint_.raw), dtype=bool)
    nothing = Repair(np.zeros(n, dtype=bool), np.zeros(n, dtype=bool), wide)
    # Only the components that hold a target (the rest of the system cannot move them), before
    # the rests are weighed: a later pass holds a few of the whole country's.
    around = _around(joint_, joint_.labels, targets) if len(targets) else joint_
    reduced = without_implied(around, lower, upper)
    if not len(targets) or (tables_attacked and not (reduced.rel.kind == CROSS).any()):
        wide[targets] = True
        return nothing
    reduced = _around(reduced, components(reduced.rel, len(joint_.raw)), targets)
    variable = ~np.isnan(reduced.raw)
    stacked_blocks = _blocks(joint_, blocks)
    system = base_system(reduced.rel, lower, upper, variable)
    seen = joint_ranges(reduced, system, value, targets)
    found = attack(
        reduced.rel,
        lower,
        upper,
        variable,
        targets,
        known=value,
        threshold=threshold,
        integer=False,
        blocks=stacked_blocks,
        system=system,
        seen=each_table_alone(reduced, lower, upper, value, targets, seen, threshold),
    )
    safe = protected(found.lo, found.hi, threshold=threshold)
    wide[targets[safe]] = True
    broken = targets[~safe]
    if not len(broken):
        return nothing
    current = joint_.current
    candidates = np.zeros(len(joint_.raw), dtype=bool)
    candidates[current] = shown[current] if movable is None else shown[current] & movable
    binding = blocking(
        reduced.rel,
        lower,
        upper,
        variable,
        broken,
        candidates,
        known=value,
        blocks=stacked_blocks,
        system=found.system,
    )
    extra = np.zeros(len(joint_.raw), dtype=bool)
    full_rank = np.full(len(joint_.raw), np.iinfo(np.int64).max, dtype=np.int64)
    full_rank[current] = rank
    rel = reduced.rel
    for row, rows in binding.items():
        # a published 0 goes only where no other published count binds
        counts = rows[value[rows] > 0]
        chosen = counts if len(counts) else rows
        if len(chosen):
            extra[chosen[np.argmin(full_rank[chosen])]] = True
        else:  # only counts of an earlier release bind it: its relations' totals go
            totals = rel.total_row[rel.part_group[rel.part_row == row]]
            extra[totals[candidates[totals]]] = True
    if not extra.any():  # pragma: no cover - a pinned cell always has a binding bound
        raise RuntimeError("Geheimhouding: teller en noemer samen herleidbaar; dit is een fout.")
    return Repair(extra[:n], extra[joint_.offset : joint_.offset + n], wide)


def stacked_rank(rank_teller: Ints, rank_noemer: Ints) -> Ints:
    """One ranking over both tables: the teller's candidates before the noemer's (a hidden
    teller hides the rate; a hidden noemer hides it as well, and the share with it)."""
    out: npt.NDArray[np.int64] = np.concatenate(
        [rank_teller, rank_noemer + len(rank_teller)]
    ).astype(np.int64)
    return out
