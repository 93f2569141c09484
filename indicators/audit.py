"""The attack on a publication: how narrowly can an outsider who knows the rules pin down a secret
count by solving every published relation at once?

The outsider knows (docs/methoden.md, "Geheimhouding"):

- a published count ``R`` was rounded (halves up) to a multiple of the rounding base, so the true
  count lies in ``[R - b/2, R + b/2)``; a published 0 is exactly 0 and a published ``R >= 5``
  is at least 5 (1 to 4 would have been secret);
- a secret count is some count >= 0; a missing one ("." ) takes part in nothing;
- every additive relation of the publication holds exactly for the true counts (a wijk is the
  sum of its buurten, a year the sum of its months, a group series the sum of its buurten).

For every secret cell the attack minimises and maximises its count over all integer solutions
(interval protection in the terms of the SDC handbook, Hundepool et al. 2012, ch. 4). The linear
programme is solved with HiGHS; where its optimum is not integral the integer programme is
solved as well, so the interval is the attacker's best. The standard a publication must meet
(``PROTECTION``): no secret cell whose true count is 1-4 may be narrowed to an interval inside
[1, 4] or of width below 3, and in no relation with a published total may the secret parts add
up to 1-4.

The linear programmes themselves (parts, HiGHS models) are in ``indicators._lp``.

Pure: arrays in, frames out; no database.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from indicators._lp import (
    BAND,
    TOL,
    Bools,
    Floats,
    Ints,
    Part,
    Relaxation,
    Solver,
    System,
    base_system,
    integer_solution,
    slices,
    split_parts,
    within_blocks,
)
from indicators._moves import rectangle_ranges
from indicators.intervals import MIN_WIDTH, ROUNDING, THRESHOLD, bounds, protected
from indicators.relations import Relations

PROTECTION = (
    "Geen geheime cel met een werkelijk aantal van 1 t/m 4 is door een aanvaller die alle "
    "gepubliceerde relaties tegelijk oplost te herleiden tot een interval binnen [1, 4] of "
    f"smaller dan {MIN_WIDTH}; en in geen relatie met een gepubliceerd totaal tellen de geheime "
    "delen op tot 1 t/m 4."
)
FEW = 2  # open cells left after which rounds stop and each is optimised on its own


@dataclass(frozen=True)
class AttackResult:
    """Per attacked row: ``lo``/``hi``, the narrowest interval the attacker can reach, or (where
    ``exact`` is False) an interval of values proven reachable by integer solutions, already wide
    enough for the standard: the attacker's interval contains it. ``system``: the attacker's
    system it was found in (``blocking`` on the same publication can start from it)."""

    rows: Ints
    lo: Floats
    hi: Floats
    exact: Bools
    system: System


def _prove(
    part: Part, seen_lo: Floats, seen_hi: Floats, threshold: float, integer: bool
) -> tuple[Floats, Floats]:
    """Widen the seen ranges of the part's targets with solutions of ``part`` (integer ones, or
    any with ``integer=False``). Each round of the relaxation lifts the unproven targets that
    need height (maximise the sum of min(value, need)) and lowers those that need only 0, in one
    programme; the integer rounds alternately lift and lower them."""
    m = part.a.shape[1]
    idle = 0
    relaxation = None if integer else Relaxation(part)
    # The integer rounds alternate lift and lower, so one idle round says little; a round of the
    # relaxation that widens nothing leaves the next its very programme, and so its solution.
    patience = 2 if integer else 1
    expressions = part.expressions
    for round_no in range(60):
        open_ = ~protected(seen_lo, seen_hi, threshold=threshold)
        # A few cells left are quicker one by one (``attack`` does that) than in more rounds.
        if not open_.any() or idle >= patience or (round_no >= 2 and open_.sum() <= FEW):
            break
        k = int(open_.sum())
        need_all = np.where(seen_lo <= 0, MIN_WIDTH, np.maximum(threshold, seen_lo + MIN_WIDTH))
        if relaxation is not None:
            # A target whose seen range already reaches 3 needs only 0; the others need height.
            down = open_ & (seen_lo >= 1) & (seen_hi >= MIN_WIDTH)
            values = relaxation.shift(open_ & ~down, down, need_all.astype(float))
        else:
            chosen = sparse.csr_matrix(expressions[open_])
            if round_no % 2 == 0:
                # y_i <= value_i, 0 <= y_i <= need_i; maximise sum(y): lift many targets at once,
                # each just as far as its proof needs (3 when 0 was seen, else threshold or
                # lo + 3).
                link = sparse.hstack([-chosen, sparse.identity(k, format="csr")]).tocsr()
                c = np.concatenate([np.zeros(m), -np.ones(k)])
                aux = (need_all[open_] - part.t_const[open_]).astype(float)
                x = integer_solution(part, c, link=link, aux_upper=aux, integer=True)
            else:
                x = integer_solution(part, np.asarray(chosen.sum(axis=0)).ravel(), integer=True)
            values = None if x is None else expressions @ x + part.t_const
        if values is None:
            idle += 1
            continue
        # Counts are whole: a fractional value of the relaxation only shows its whole part.
        new_lo = np.minimum(seen_lo, values if integer else np.ceil(values - TOL))
        new_hi = np.maximum(seen_hi, values if integer else np.floor(values + TOL))
        idle = 0 if (new_lo < seen_lo).any() or (new_hi > seen_hi).any() else idle + 1
        seen_lo, seen_hi = new_lo, new_hi
    if relaxation is not None:
        seen_lo, seen_hi = _one_by_one(relaxation, seen_lo, seen_hi, threshold)
    return seen_lo, seen_hi


def _one_by_one(
    relaxation: Relaxation, seen_lo: Floats, seen_hi: Floats, threshold: float
) -> tuple[Floats, Floats]:
    """The relaxation's verdict on each target the rounds left open: its minimum (where 0 was
    not seen), then its maximum capped at what its proof needs. A target still open after both
    has its relaxation interval exactly (the cap did not bind). Every solution widens the seen
    ranges of all targets, so later ones are often settled on the way."""
    n = len(seen_lo)
    for i in np.flatnonzero(~protected(seen_lo, seen_hi, threshold=threshold)):
        for side in ("lower", "lift"):
            if protected(seen_lo[i : i + 1], seen_hi[i : i + 1], threshold=threshold)[0]:
                break
            only = np.zeros(n, dtype=bool)
            only[i] = True
            if side == "lower":
                if seen_lo[i] <= 0:  # 0 is the least a count can be
                    continue
                values = relaxation.lower(only)
            else:
                need = MIN_WIDTH if seen_lo[i] <= 0 else max(threshold, seen_lo[i] + MIN_WIDTH)
                values = relaxation.lift(only, np.full(n, float(need)))
            if values is None:
                raise RuntimeError("De aanval op de publicatie liep vast.")
            seen_lo = np.minimum(seen_lo, np.ceil(values - TOL))
            seen_hi = np.maximum(seen_hi, np.floor(values + TOL))
    return seen_lo, seen_hi


def attack(
    rel: Relations,
    lower: Floats,
    upper: Floats,
    variable: Bools,
    targets: Ints,
    *,
    known: Floats,
    threshold: float = THRESHOLD,
    integer: bool = True,
    blocks: Ints | None = None,
    system: System | None = None,
    seen: tuple[Floats, Floats] | None = None,
) -> AttackResult:
    """The attacker's interval for each target row, or proof that it is wide enough.

    Parameters
    ----------
    rel : the publication's relations (only complete, delivered ones).
    lower, upper : per row, what the attacker knows (``bounds``).
    variable : per row, True where the row takes part (delivered cells).
    targets : rows to attack (secret cells).
    known : one integer solution (the true counts): the first values of every proof.
    integer : the attacker uses that counts are whole (the audit); ``False``: the linear
        relaxation only, quicker, an attacker at most as strong (the publication's own check,
        which looks for cells that are surely pinned down).
    blocks : per row, a block (its gemeente; -1 for none) along which to look for proofs
        first: a region's totals tie all its gemeenten into one programme, which grows much
        faster than the region (see Notes).
    system : the system over base cells of these relations and bounds (``base_system``), where
        the caller has built it already.
    seen : per target, the least and the most value it is already known to take in integer
        solutions of this system (moves of the caller's own, ``indicators.ordered``).

    Notes
    -----
    The system is written over the base cells (``indicators._lp.base_system``). Every integer
    solution gives a value each target can take; the range of the values seen is inside the
    attacker's interval. Without a solver, each month of a gemeente alone and each buurt alone
    (``indicators._lp.slices``: nested families, settled exactly by propagation, the rest of the
    table at its true counts) and rectangle moves from the true counts (``indicators._moves``)
    show many targets wide; the others are cut into independent parts of the system (only
    the parts that hold one are built). A part that is a tree is settled by interval
    propagation, which is exact there. In the others, rounds that lift the unproven targets and
    lower them (``_prove``) show most targets wide at once; the rest are optimised one by one
    (LP with HiGHS, warm-started; the integer programme where the LP's vertex is fractional),
    which gives the attacker's exact interval.

    With ``blocks``, proofs are first sought in narrower systems (``indicators._lp.
    within_blocks``): each gemeente alone, with the others at their true counts, then pairs of
    gemeenten, fours, and so on; only the targets still open go on, and only those left open by
    all of them meet the whole system, where their exact intervals are found.
    """
    if not (variable[targets]).all():
        raise ValueError("Een aangevallen cel is niet geleverd.")
    if system is None:
        system = base_system(rel, lower, upper, variable)
    lo = known[targets].astype(float)
    hi = lo.copy()
    if seen is not None:
        lo, hi = np.minimum(lo, seen[0]), np.maximum(hi, seen[1])
    exact = np.zeros(len(targets), dtype=bool)
    lo, hi = without_solver(system, rel, known, targets, lower, upper, (lo, hi), threshold)
    for narrowed, eligible in _narrower(system, known, targets, blocks):
        open_ = np.flatnonzero(~protected(lo, hi, threshold=threshold) & eligible & ~exact)
        if not len(open_):
            continue
        cut = split_parts(narrowed, targets[open_], lower, upper)
        # Propagation is exact in the narrowed system: values every target can take.
        lo[open_[cut.settled]] = np.minimum(lo[open_[cut.settled]], cut.lo)
        hi[open_[cut.settled]] = np.maximum(hi[open_[cut.settled]], cut.hi)
        for part in cut.parts:
            which = open_[part.targets]
            lo[which], hi[which] = _prove(part, lo[which], hi[which], threshold, integer)
            if not integer:
                _settle_locally(part, which, lo, hi, exact, threshold)
    open_ = np.flatnonzero(~protected(lo, hi, threshold=threshold) & ~exact)
    cut = split_parts(system, targets[open_], lower, upper)
    lo[open_[cut.settled]], hi[open_[cut.settled]] = cut.lo, cut.hi
    exact[open_[cut.settled]] = True
    for part in cut.parts:
        which = open_[part.targets]
        seen_lo, seen_hi = _prove(part, lo[which], hi[which], threshold, integer)
        lo[which], hi[which] = seen_lo, seen_hi
        rest = np.flatnonzero(~protected(seen_lo, seen_hi, threshold=threshold))
        if not integer:  # the relaxation's verdict is in: what is open is its exact interval
            exact[which[rest]] = True
        elif len(rest):  # the audit reports the attacker's exact interval
            solver = Solver(part)
            for i in rest:
                hi[which[i]] = solver.optimum(int(i), maximise=True, integer=True)
                lo[which[i]] = solver.optimum(int(i), maximise=False, integer=True)
                exact[which[i]] = True
    return AttackResult(targets, lo, hi, exact, system)


def without_solver(
    system: System,
    rel: Relations,
    known: Floats,
    targets: Ints,
    lower: Floats,
    upper: Floats,
    seen: tuple[Floats, Floats],
    threshold: float = THRESHOLD,
) -> tuple[Floats, Floats]:
    """Widen the ``seen`` ranges of the targets without a solver: each month and each buurt
    alone (``indicators._lp.slices``: nested families, settled by propagation, the rest of the
    table at its true counts ``known``), then rectangle moves for what they leave open (the
    same cells shown wide as the other way round, in half the time). Values that integer
    solutions of ``system`` give the targets; returns new arrays."""
    lo, hi = seen[0].copy(), seen[1].copy()
    for narrowed, block in slices(system, rel, known):
        open_ = np.flatnonzero(
            ~protected(lo, hi, threshold=threshold) & _eligible(system, targets, block)
        )
        if len(open_):
            cut = split_parts(narrowed, targets[open_], lower, upper, programmes=False)
            done = open_[cut.settled]
            lo[done], hi[done] = np.minimum(lo[done], cut.lo), np.maximum(hi[done], cut.hi)
    open_ = np.flatnonzero(~protected(lo, hi, threshold=threshold))
    if len(open_):
        moved_lo, moved_hi = rectangle_ranges(system, rel, known, targets[open_])
        lo[open_], hi[open_] = np.minimum(lo[open_], moved_lo), np.maximum(hi[open_], moved_hi)
    return lo, hi


def _settle_locally(
    part: Part, which: Ints, lo: Floats, hi: Floats, exact: Bools, threshold: float
) -> None:
    """The relaxation's exact interval of each target of a narrowed ``part`` still open, where
    no band row (``indicators._lp.BAND``) binds its optima: the optimal duals then use rows and
    bounds of the block only, which the whole system has as well, so they bound the whole
    system's optimum just as tightly. In place; the others stay open for coarser blocks."""
    rest = np.flatnonzero(~protected(lo[which], hi[which], threshold=threshold))
    if not len(rest):
        return
    solver = Solver(part)
    for i in rest.tolist():
        most, _, rows_up = solver.binding(i, maximise=True)
        if (part.row_cell[rows_up] == BAND).any():
            continue
        least, _, rows_down = solver.binding(i, maximise=False)
        if (part.row_cell[rows_down] == BAND).any():
            continue
        lo[which[i]] = math.ceil(least - TOL) if math.isfinite(least) else least
        hi[which[i]] = math.floor(most + TOL) if math.isfinite(most) else most
        exact[which[i]] = True


def _narrower(
    system: System, known: Floats, targets: Ints, blocks: Ints | None
) -> Iterator[tuple[System, Bools]]:
    """The narrowed systems along ``blocks`` (``attack``), finest first: single blocks, then
    pairs of neighbouring blocks, fours, ... while a row still crosses them; with each, the
    targets it can hold (a total whose cells lie in one of its blocks)."""
    if blocks is None or not len(system.cols):
        return
    col_block = blocks[system.cols]
    # A base cell of no gemeente (a region's total where a gemeente's count is missing) is a
    # block of its own: any partition of the columns gives narrower systems.
    alone = np.flatnonzero(col_block < 0)
    col_block = col_block.copy()
    col_block[alone] = int(col_block.max(initial=-1)) + 1 + np.arange(len(alone))
    _, label = np.unique(col_block, return_inverse=True)
    label = label.ravel().astype(np.int64)
    x = known[system.cols].astype(float)
    shift = 0
    while label.max() >> shift > 0:
        merged = label >> shift
        narrowed = within_blocks(system, x, merged)
        if narrowed is None:
            return
        yield narrowed, _eligible(system, targets, merged)
        shift += 1


def _eligible(system: System, targets: Ints, block: Ints) -> Bools:
    """Per target: True where its base cells lie in one ``block`` (per column), or it has none."""
    spans = system.expand[targets].tocsr()
    entry_target = np.repeat(np.arange(len(targets)), np.diff(spans.indptr))
    first = np.full(len(targets), np.iinfo(np.int64).max)
    last = np.full(len(targets), -1)
    np.minimum.at(first, entry_target, block[spans.indices])
    np.maximum.at(last, entry_target, block[spans.indices])
    result: Bools = (last <= first) | (last < 0)
    return result


def blocking(
    rel: Relations,
    lower: Floats,
    upper: Floats,
    variable: Bools,
    targets: Ints,
    candidates: Bools,
    *,
    known: Floats | None = None,
    blocks: Ints | None = None,
    system: System | None = None,
) -> dict[int, Ints]:
    """For each target row: the candidate rows (published counts) whose bounds stop an attacker's
    linear programme from widening the target's interval, in both directions.

    A published count helps the attacker where it sits at a bound that suppressing it would
    lift: its upper bound (a secret count has none), or a lower bound above 0. Those with a
    nonzero reduced cost (a base cell) or dual (a total's row) at the optimum are the ones that
    bind. Each target is solved in its own independent part of the system, which keeps the LPs
    small; with ``known`` and ``blocks`` (see ``attack``) first in its own block, and only where
    a band row binds there (the region's totals play a part) in the whole system. ``system``:
    the attacker's system of these arguments, where ``attack`` made it already.
    """
    found: dict[int, Ints] = {int(r): np.zeros(0, dtype=np.int64) for r in targets}
    if system is None:
        system = base_system(rel, lower, upper, variable)
    todo = np.ones(len(targets), dtype=bool)
    stages = _narrower(system, known, targets, blocks) if known is not None else iter(())
    for narrowed, eligible in stages:
        chosen = np.flatnonzero(eligible & todo)
        for position, binding in _binding(narrowed, targets, chosen, lower, upper):
            if binding is not None:
                found[int(targets[position])] = binding[candidates[binding]]
                todo[position] = False
    for position, binding in _binding(system, targets, np.flatnonzero(todo), lower, upper):
        assert binding is not None  # the whole system has no band rows
        found[int(targets[position])] = binding[candidates[binding]]
    return found


def _binding(
    system: System, targets: Ints, positions: Ints, lower: Floats, upper: Floats
) -> Iterator[tuple[int, Ints | None]]:
    """Per target (its position in ``targets``): the cells whose bounds bind its optima in
    ``system``, or None where a band row binds."""
    if not len(positions):
        return
    cut = split_parts(system, targets[positions], lower, upper, settle=False)
    for part in cut.parts:
        solver = Solver(part)
        for i, position in enumerate(part.targets.tolist()):
            cells: set[int] = set()
            band = False
            for maximise in (True, False):
                _, cols, rows = solver.binding(i, maximise=maximise)
                band |= bool((part.row_cell[rows] == BAND).any())
                cells.update(part.cols[cols].tolist())
                cells.update(c for c in part.row_cell[rows].tolist() if c >= 0)
            binding = np.array(sorted(cells), dtype=np.int64)
            yield int(positions[position]), None if band else binding


def check(
    raw: Floats,
    teller_publ: Floats,
    rel: Relations,
    *,
    rounding: int = ROUNDING,
    threshold: float = THRESHOLD,
    blocks: Ints | None = None,
    attackable: Bools | None = None,
) -> pd.DataFrame:
    """Attack every secret cell whose true count is 1-4 and judge it against ``PROTECTION``.

    Parameters
    ----------
    raw : the true counts (NaN: not delivered); teller_publ : the published counts (NaN where
        not shown); rel : the publication's relations; blocks : see ``attack``;
        attackable : per row, False for a hidden helper row that is no cell of the publication
        (``indicators.ordered``): it takes part, but is not attacked.

    Returns
    -------
    One row per primary secret cell: ``row, waarde`` (true count), ``lo, hi`` (see
    ``AttackResult``), ``exact`` and ``gebroken`` (bool).
    """
    shown = pd.notna(teller_publ)
    variable = ~np.isnan(raw)
    lower, upper = bounds(teller_publ, shown, rounding=rounding, threshold=threshold)
    candidate = variable & ~shown & (raw > 0) & (raw < threshold)
    if attackable is not None:
        candidate &= attackable
    targets = np.flatnonzero(candidate).astype(np.int64)
    result = attack(
        rel,
        lower,
        upper,
        variable,
        targets,
        known=np.nan_to_num(raw),
        threshold=threshold,
        blocks=blocks,
    )
    broken = ~protected(result.lo, result.hi, threshold=threshold)
    return pd.DataFrame(
        {
            "row": targets,
            "waarde": raw[targets],
            "lo": result.lo,
            "hi": result.hi,
            "exact": result.exact,
            "gebroken": broken,
        }
    )


def small_secret_sums(
    raw: Floats, teller_publ: Floats, rel: Relations, *, threshold: float = THRESHOLD
) -> Ints:
    """Relations whose total count is published and whose secret parts add up to 1-4 (the rule
    says: none). A count is secret where it is delivered (``raw`` not NaN) but not published."""
    value = np.nan_to_num(raw)
    shown = pd.notna(teller_publ)
    secret = ~np.isnan(raw) & ~shown
    g, p, t = rel.part_group, rel.part_row, rel.total_row
    sums = np.bincount(g, weights=np.where(secret[p], value[p], 0.0), minlength=rel.n_groups)
    bad: Ints = np.flatnonzero(shown[t] & (sums > 0) & (sums < threshold)).astype(np.int64)
    return bad
