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

Pure: arrays in, frames out; no database.
"""

from __future__ import annotations

import math
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

from indicators.intervals import MIN_WIDTH, ROUNDING, THRESHOLD, bounds, protected
from indicators.relations import Relations

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

PROTECTION = (
    "Geen geheime cel met een werkelijk aantal van 1 t/m 4 is door een aanvaller die alle "
    "gepubliceerde relaties tegelijk oplost te herleiden tot een interval binnen [1, 4] of "
    f"smaller dan {MIN_WIDTH}; en in geen relatie met een gepubliceerd totaal tellen de geheime "
    "delen op tot 1 t/m 4."
)
_INF = highspy.kHighsInf
FEW = 12  # open cells left after which rounds stop and each is optimised on its own
_TOL = 1e-6


@dataclass(frozen=True)
class AttackResult:
    """Per attacked row: ``lo``/``hi``, the narrowest interval the attacker can reach, or (where
    ``exact`` is False) an interval of values proven reachable by integer solutions, already wide
    enough for the standard: the attacker's interval contains it."""

    rows: Ints
    lo: Floats
    hi: Floats
    exact: Bools


def _equations(rel: Relations, n: int) -> sparse.csr_matrix:
    """One row per relation: +1 for the total, -1 for each part (= 0)."""
    g = rel.n_groups
    rows = np.concatenate([np.arange(g), rel.part_group])
    cols = np.concatenate([rel.total_row, rel.part_row])
    vals = np.concatenate([np.ones(g), -np.ones(len(rel.part_row))])
    return sparse.csr_matrix((vals, (rows, cols)), shape=(g, n))


@dataclass(frozen=True)
class _Part:
    """One connected part of the attacker's system: A x = rhs, lower <= x <= upper, over the
    free (not fixed) delivered cells ``rows``."""

    a: sparse.csr_matrix
    rhs: Floats
    lower: Floats
    upper: Floats
    rows: Ints
    kinds: frozenset[int] = frozenset()  # the kinds of relation in this part


def _parts(
    rel: Relations, lower: Floats, upper: Floats, variable: Bools, *, split: bool = True
) -> list[_Part]:
    """The system split into independent parts (``split``; else one part), fixed cells (mostly
    published zeros) folded into the right-hand side. Relations never cross a calendar year or a
    cluster, so parts are small."""
    n = len(lower)
    cols = np.flatnonzero(variable)
    a = _equations(rel, n)[:, cols].tocsr()
    lo, up = lower[cols], upper[cols]
    fixed = lo == up
    keep = np.flatnonzero(~fixed)
    rhs = -(a[:, np.flatnonzero(fixed)] @ lo[fixed]) if fixed.any() else np.zeros(a.shape[0])
    sub = a[:, keep].tocsr()
    used = np.flatnonzero(np.diff(sub.indptr) > 0)
    sub, rhs = sub[used], np.asarray(rhs)[used]
    kinds = rel.kind[used]
    rows = cols[keep]
    if sub.shape[0] == 0:
        return [
            _Part(sparse.csr_matrix((0, 1)), np.zeros(0), lo[keep][[i]], up[keep][[i]], rows[[i]])
            for i in range(len(rows))
        ]
    if not split:
        return [_Part(sub, rhs, lo[keep], up[keep], rows, frozenset(int(k) for k in kinds))]
    graph = sparse.bmat([[None, sub], [sub.T, None]]).tocsr()
    n_parts, label = connected_components(graph, directed=False)
    var_label, eq_label = label[sub.shape[0] :], label[: sub.shape[0]]
    order_v = np.argsort(var_label, kind="stable")
    order_e = np.argsort(eq_label, kind="stable")
    starts_v = np.searchsorted(var_label[order_v], np.arange(n_parts + 1))
    starts_e = np.searchsorted(eq_label[order_e], np.arange(n_parts + 1))
    out = []
    for k in range(n_parts):
        vars_k = order_v[starts_v[k] : starts_v[k + 1]]
        if not len(vars_k):
            continue
        eqs_k = order_e[starts_e[k] : starts_e[k + 1]]
        out.append(
            _Part(
                sub[eqs_k][:, vars_k].tocsr(),
                rhs[eqs_k],
                lo[keep][vars_k],
                up[keep][vars_k],
                rows[vars_k],
                frozenset(int(k) for k in kinds[eqs_k]),
            )
        )
    return out


def _integer_solution(
    part: _Part,
    c: Floats,
    *,
    link: sparse.csr_matrix | None = None,
    aux_upper: Floats | None = None,
    integer: bool = True,
) -> Floats | None:
    """A solution of ``part`` minimising ``c @ [x, y]`` (``y``: auxiliaries with
    ``link @ [x, y] <= 0`` and ``0 <= y <= aux_upper``). ``integer``: an integer solution, the
    LP's vertex when it is integral, else the integer programme's best within a few seconds;
    None when neither gives one. Otherwise the LP's solution as it is."""
    n = part.a.shape[1]
    n_aux = 0 if aux_upper is None else len(aux_upper)
    a = sparse.hstack([part.a, sparse.csr_matrix((part.a.shape[0], n_aux))]).tocsr()
    lower = np.concatenate([part.lower, np.zeros(n_aux)])
    upper = np.concatenate([part.upper, np.zeros(0) if aux_upper is None else aux_upper])
    constraints = [LinearConstraint(a, part.rhs, part.rhs)]
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
        if np.all(np.abs(x - np.round(x)) < _TOL):
            return np.round(x)
    return None


def _highs() -> Any:
    """A silent HiGHS instance. The core class, not ``highspy.Highs``: the wrapper enables
    callbacks on construction, which prints HiGHS's banner before any option can be set."""
    h = _Highs()
    h.setOptionValue("output_flag", False)
    return h


class _Solver:
    """One part's LP kept in HiGHS, so that each new objective starts from the last basis."""

    def __init__(self, part: _Part) -> None:
        self.part = part
        a = part.a.tocsc()
        h = _highs()
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = a.shape[1], a.shape[0]
        lp.col_cost_ = np.zeros(a.shape[1])
        lp.col_lower_ = part.lower.astype(float)
        lp.col_upper_ = np.where(np.isfinite(part.upper), part.upper, _INF).astype(float)
        lp.row_lower_ = part.rhs.astype(float)
        lp.row_upper_ = part.rhs.astype(float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = a.indptr.astype(np.int32)
        lp.a_matrix_.index_ = a.indices.astype(np.int32)
        lp.a_matrix_.value_ = a.data.astype(float)
        h.passModel(lp)
        self.h = h
        self.current = -1

    def _lp(self, j: int, *, maximise: bool) -> float:
        """Solve the LP for variable ``j``; its optimum (inf when unbounded)."""
        h = self.h
        if self.current != j:
            if self.current >= 0:
                h.changeColCost(self.current, 0.0)
            h.changeColCost(j, 1.0)
            self.current = j
        sense = highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
        h.changeObjectiveSense(sense)
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kUnbounded:
            return math.inf if maximise else -math.inf
        if status != highspy.HighsModelStatus.kOptimal:
            text = h.modelStatusToString(status)
            raise RuntimeError(f"De aanval op de publicatie liep vast: {text}.")
        return float(h.getSolution().col_value[j])

    def optimum(self, j: int, *, maximise: bool, integer: bool = True) -> float:
        """The attacker's best bound on variable ``j``: LP, or integer programme if fractional
        (``integer``; else the LP's bound, rounded inward: counts are whole)."""
        value = self._lp(j, maximise=maximise)
        if not math.isfinite(value):
            return value
        if not integer:
            return float(math.floor(value + _TOL) if maximise else math.ceil(value - _TOL))
        values = np.asarray(self.h.getSolution().col_value)
        if np.all(np.abs(values - np.round(values)) < _TOL):
            return float(round(value))
        c = np.zeros(len(values))
        c[j] = -1.0 if maximise else 1.0
        p = self.part
        result = milp(
            c,
            constraints=LinearConstraint(p.a, p.rhs, p.rhs),
            bounds=Bounds(p.lower, p.upper),
            integrality=np.ones(len(values)),
        )
        if result.status == 3:  # unbounded
            return math.inf if maximise else -math.inf
        if not result.success:
            raise RuntimeError(f"De aanval op de publicatie liep vast: {result.message}")
        return float(round(result.x[j]))

    def limits(self, j: int, *, maximise: bool) -> tuple[Floats, Floats]:
        """Solve the LP for ``j`` and return (values, reduced costs) of every variable: the
        variables at a bound with a nonzero reduced cost are what stops ``j`` going further."""
        self._lp(j, maximise=maximise)
        solution = self.h.getSolution()
        return np.asarray(solution.col_value), np.asarray(solution.col_dual)


class _Relaxation:
    """The linear relaxation of one part, with an auxiliary ``y_i <= x_t(i)`` per target, kept in
    HiGHS so that each round only changes costs and bounds and starts from the last basis."""

    def __init__(self, part: _Part, t: Ints) -> None:
        m, k = part.a.shape[1], len(t)
        self.m, self.k = m, k
        link = sparse.hstack(
            [-sparse.csr_matrix((np.ones(k), (np.arange(k), t)), shape=(k, m)),
             sparse.identity(k, format="csr")]
        )  # fmt: skip
        a = sparse.vstack([sparse.hstack([part.a, sparse.csr_matrix((part.a.shape[0], k))]), link])
        a = a.tocsc()
        h = _highs()
        # Rounds change only costs and bounds: simplex from the last basis beats presolving anew.
        h.setOptionValue("presolve", "off")
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = m + k, a.shape[0]
        lp.col_cost_ = np.zeros(m + k)
        lp.col_lower_ = np.concatenate([part.lower, np.zeros(k)]).astype(float)
        upper = np.where(np.isfinite(part.upper), part.upper, _INF)
        lp.col_upper_ = np.concatenate([upper, np.zeros(k)]).astype(float)
        lp.row_lower_ = np.concatenate([part.rhs, np.full(k, -_INF)]).astype(float)
        lp.row_upper_ = np.concatenate([part.rhs, np.zeros(k)]).astype(float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = a.indptr.astype(np.int32)
        lp.a_matrix_.index_ = a.indices.astype(np.int32)
        lp.a_matrix_.value_ = a.data.astype(float)
        h.passModel(lp)
        self.h, self.t = h, t

    def _solve(self, cost: Floats, aux_upper: Floats) -> Floats | None:
        h, m, k = self.h, self.m, self.k
        columns = np.arange(m + k, dtype=np.int32)
        h.changeColsCost(m + k, columns, cost.astype(float))
        aux = np.arange(m, m + k, dtype=np.int32)
        h.changeColsBounds(k, aux, np.zeros(k), aux_upper.astype(float))
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return np.asarray(h.getSolution().col_value)[:m]

    def lift(self, open_: Bools, need: Floats) -> Floats | None:
        """Maximise the sum of min(x_t, need) over the open targets."""
        cost = np.concatenate([np.zeros(self.m), np.where(open_, -1.0, 0.0)])
        return self._solve(cost, np.where(open_, need, 0.0))

    def lower(self, open_: Bools) -> Floats | None:
        """Minimise the sum of the open targets."""
        cost = np.zeros(self.m + self.k)
        np.add.at(cost, self.t[open_], 1.0)
        return self._solve(cost, np.zeros(self.k))


def _prove(
    part: _Part, t: Ints, seen_lo: Floats, seen_hi: Floats, threshold: float, integer: bool
) -> tuple[Floats, Floats]:
    """Widen the seen ranges of targets ``t`` (local indices) with solutions of ``part``
    (integer ones, or any with ``integer=False``): alternately lift the unproven ones (maximise
    the sum of min(x, need)) and lower them."""
    m = part.a.shape[1]
    idle = 0
    relaxation = None if integer else _Relaxation(part, t)
    for round_no in range(60):
        open_ = ~protected(seen_lo, seen_hi, threshold=threshold)
        # A few cells left are quicker one by one (``attack`` does that) than in more rounds.
        if not open_.any() or idle >= 2 or (round_no >= 2 and open_.sum() <= FEW):
            break
        k = int(open_.sum())
        if relaxation is not None:
            need_all = np.where(
                seen_lo <= 0, MIN_WIDTH, np.maximum(threshold, seen_lo + MIN_WIDTH)
            ).astype(float)
            x = relaxation.lift(open_, need_all) if round_no % 2 == 0 else relaxation.lower(open_)
        elif round_no % 2 == 0:
            # y_i <= x_t(i), 0 <= y_i <= need_i; maximise sum(y): lift many targets at once, each
            # just as far as its proof needs (3 when 0 was seen, else threshold or lo + 3).
            need = np.where(
                seen_lo[open_] <= 0, MIN_WIDTH, np.maximum(threshold, seen_lo[open_] + MIN_WIDTH)
            )
            link = sparse.hstack(
                [
                    -sparse.csr_matrix((np.ones(k), (np.arange(k), t[open_])), shape=(k, m)),
                    sparse.identity(k, format="csr"),
                ]
            ).tocsr()
            c = np.concatenate([np.zeros(m), -np.ones(k)])
            x = _integer_solution(part, c, link=link, aux_upper=need.astype(float), integer=integer)
        else:
            c = np.zeros(m)
            c[t[open_]] = 1.0
            x = _integer_solution(part, c, integer=integer)
        if x is None:
            idle += 1
            continue
        # Counts are whole: a fractional value of the relaxation only shows its whole part.
        new_lo = np.minimum(seen_lo, x[t] if integer else np.ceil(x[t] - _TOL))
        new_hi = np.maximum(seen_hi, x[t] if integer else np.floor(x[t] + _TOL))
        idle = 0 if (new_lo < seen_lo).any() or (new_hi > seen_hi).any() else idle + 1
        seen_lo, seen_hi = new_lo, new_hi
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
    only_kinds: frozenset[int] | None = None,
    split: bool = True,
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
    only_kinds : attack only in parts holding a relation of these kinds; the other targets get
        NaN bounds (not attacked).
    split : split the system into independent parts first (worth it for large systems; a small
        block is one part anyway).

    Notes
    -----
    Every integer solution of the system gives a value each target can take; the range of the
    values seen is inside the attacker's interval. Per independent part of the system, rounds
    that lift the unproven targets and lower them (``_prove``) show most targets wide at once;
    the rest are optimised one by one (LP with HiGHS, warm-started; the integer programme where
    the LP's vertex is fractional), which gives the attacker's exact interval.
    """
    if not (variable[targets]).all():
        raise ValueError("Een aangevallen cel is niet geleverd.")
    lo = known[targets].astype(float).copy()
    hi = lo.copy()
    exact = np.zeros(len(targets), dtype=bool)
    index = {int(r): i for i, r in enumerate(targets)}
    in_part = np.zeros(len(targets), dtype=bool)
    for part in _parts(rel, lower, upper, variable, split=split):
        mine = [(j, index[int(r)]) for j, r in enumerate(part.rows) if int(r) in index]
        if not mine or (only_kinds is not None and not part.kinds & only_kinds):
            continue
        local = np.array([j for j, _ in mine], dtype=np.int64)
        which = np.array([i for _, i in mine], dtype=np.int64)
        in_part[which] = True
        if part.a.shape[0] == 0:  # a cell in no relation: its own bounds
            lo[which], hi[which] = part.lower[local], part.upper[local]
            exact[which] = True
            continue
        seen_lo, seen_hi = _prove(part, local, lo[which], hi[which], threshold, integer)
        lo[which], hi[which] = seen_lo, seen_hi
        rest = np.flatnonzero(~protected(seen_lo, seen_hi, threshold=threshold))
        if len(rest):
            solver = _Solver(part)
            for i in rest:
                hi[which[i]] = solver.optimum(int(local[i]), maximise=True, integer=integer)
                lo[which[i]] = solver.optimum(int(local[i]), maximise=False, integer=integer)
                exact[which[i]] = True
    # Targets that were fixed (a secret cell cannot be, but guard) keep their own bounds.
    if only_kinds is None:
        lo[~in_part], hi[~in_part] = lower[targets[~in_part]], upper[targets[~in_part]]
    else:
        lo[~in_part], hi[~in_part] = np.nan, np.nan
    return AttackResult(targets, lo, hi, exact)


def blocking(
    rel: Relations,
    lower: Floats,
    upper: Floats,
    variable: Bools,
    targets: Ints,
    candidates: Bools,
) -> dict[int, Ints]:
    """For each target row: the candidate rows (published counts) whose bounds stop an attacker's
    linear programme from widening the target's interval, in both directions.

    A published count helps the attacker where it sits at a bound that suppressing it would
    lift: its upper bound (a secret count has none), or a lower bound above 0. Those with a
    nonzero reduced cost at the optimum are the ones that bind. Each target is solved in its
    own independent part of the system, which keeps the LPs small.
    """
    found: dict[int, Ints] = {int(r): np.zeros(0, dtype=np.int64) for r in targets}
    wanted = set(found)
    for part in _parts(rel, lower, upper, variable):
        mine = [(j, int(r)) for j, r in enumerate(part.rows) if int(r) in wanted]
        if not mine or part.a.shape[0] == 0:
            continue
        solver = _Solver(part)
        cand = candidates[part.rows]
        for j, row in mine:
            binding_rows: set[int] = set()
            for maximise in (True, False):
                values, duals = solver.limits(j, maximise=maximise)
                at_upper = np.isfinite(part.upper) & (np.abs(values - part.upper) < _TOL)
                at_lower = (part.lower > 0) & (np.abs(values - part.lower) < _TOL)
                binding = cand & (at_upper | at_lower) & (np.abs(duals) > _TOL)
                binding_rows.update(part.rows[binding].tolist())
            found[row] = np.array(sorted(binding_rows), dtype=np.int64)
    return found


def check(
    raw: Floats,
    teller_publ: Floats,
    rel: Relations,
    *,
    rounding: int = ROUNDING,
    threshold: float = THRESHOLD,
) -> pd.DataFrame:
    """Attack every secret cell whose true count is 1-4 and judge it against ``PROTECTION``.

    Parameters
    ----------
    raw : the true counts (NaN: not delivered); teller_publ : the published counts (NaN where
        not shown); rel : the publication's relations.

    Returns
    -------
    One row per primary secret cell: ``row, waarde`` (true count), ``lo, hi`` (see
    ``AttackResult``), ``exact`` and ``gebroken`` (bool).
    """
    shown = pd.notna(teller_publ)
    variable = ~np.isnan(raw)
    lower, upper = bounds(teller_publ, shown, rounding=rounding, threshold=threshold)
    targets = np.flatnonzero(variable & ~shown & (raw > 0) & (raw < threshold)).astype(np.int64)
    result = attack(
        rel, lower, upper, variable, targets, known=np.nan_to_num(raw), threshold=threshold
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
