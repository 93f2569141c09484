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

import highspy
import numpy as np
import numpy.typing as npt
import pandas as pd
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


@dataclass
class _System:
    """The attacker's system on the delivered cells: A x = 0, lower <= x <= upper."""

    a: sparse.csr_matrix
    lower: Floats
    upper: Floats

    def solution(
        self,
        c: Floats,
        *,
        extra: tuple[sparse.csr_matrix, Floats] | None = None,
        n_aux: int = 0,
        aux_upper: float = 0.0,
    ) -> Floats | None:
        """An integer solution minimising ``c @ [x, aux]``: the LP's when it is integral, else
        the integer programme's best within a few seconds (None when none is found)."""
        n = self.a.shape[1]
        a = sparse.hstack([self.a, sparse.csr_matrix((self.a.shape[0], n_aux))]).tocsr()
        lower = np.concatenate([self.lower, np.zeros(n_aux)])
        upper = np.concatenate([self.upper, np.broadcast_to(aux_upper, (n_aux,))])
        constraints = [LinearConstraint(a, 0.0, 0.0)]
        if extra is not None:
            constraints.append(LinearConstraint(extra[0], -np.inf, extra[1]))
        integral = np.concatenate([np.ones(n), np.zeros(n_aux)])
        for kind in (0, 1):  # LP first, then the integer programme
            result = milp(
                c,
                constraints=constraints,
                bounds=Bounds(lower, upper),
                integrality=integral * kind,
                options={"time_limit": 20.0},
            )
            if result.x is None:
                return None
            x = np.asarray(result.x[:n])
            if np.all(np.abs(x - np.round(x)) < _TOL):
                return np.round(x)
        return None


class _Solver:
    """One LP kept in HiGHS, so that each new objective starts from the last basis."""

    def __init__(self, a: sparse.csc_matrix, rhs: Floats, lower: Floats, upper: Floats) -> None:
        self.a, self.rhs, self.lower, self.upper = a, rhs, lower, upper
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = a.shape[1], a.shape[0]
        lp.col_cost_ = np.zeros(a.shape[1])
        lp.col_lower_ = lower.astype(float)
        lp.col_upper_ = np.where(np.isfinite(upper), upper, _INF).astype(float)
        lp.row_lower_ = rhs.astype(float)
        lp.row_upper_ = rhs.astype(float)
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

    def optimum(self, j: int, *, maximise: bool) -> float:
        """The attacker's best bound on variable ``j``: LP, or integer programme if fractional."""
        value = self._lp(j, maximise=maximise)
        if not math.isfinite(value):
            return value
        values = np.asarray(self.h.getSolution().col_value)
        if np.all(np.abs(values - np.round(values)) < _TOL):
            return float(round(value))
        return self._integer(j, maximise=maximise)

    def limits(self, j: int, *, maximise: bool) -> tuple[Floats, Floats]:
        """Solve the LP for ``j`` and return (values, reduced costs) of every variable: the
        variables at a bound with a nonzero reduced cost are what stops ``j`` going further."""
        self._lp(j, maximise=maximise)
        solution = self.h.getSolution()
        return np.asarray(solution.col_value), np.asarray(solution.col_dual)

    def _integer(self, j: int, *, maximise: bool) -> float:
        """The integer optimum, where the LP's vertex is fractional."""
        c = np.zeros(self.a.shape[1])
        c[j] = -1.0 if maximise else 1.0
        result = milp(
            c,
            constraints=LinearConstraint(self.a, self.rhs, self.rhs),
            bounds=Bounds(self.lower, self.upper),
            integrality=np.ones(self.a.shape[1]),
        )
        if result.status == 3:  # unbounded
            return math.inf if maximise else -math.inf
        if not result.success:
            raise RuntimeError(f"De aanval op de publicatie liep vast: {result.message}")
        return float(round(result.x[j]))


def attack(
    rel: Relations,
    lower: Floats,
    upper: Floats,
    variable: Bools,
    targets: Ints,
    *,
    known: Floats | None = None,
    threshold: float = THRESHOLD,
) -> AttackResult:
    """The attacker's interval for each target row, or proof that it is wide enough.

    Parameters
    ----------
    rel : the publication's relations (only complete, delivered ones).
    lower, upper : per row, what the attacker knows (``bounds``).
    variable : per row, True where the row takes part (delivered cells).
    targets : rows to attack (secret cells).
    known : one integer solution (the true counts), the start of the proofs.

    Notes
    -----
    Every integer solution of the system gives a value each target can take; the range of the
    values seen is inside the attacker's interval. Rounds that push the unproven targets up
    (maximise the sum of min(x, threshold + 2)) and down (minimise their sum) prove most
    targets wide at once; the rest are optimised one by one (LP with HiGHS, warm-started; the
    integer programme where the LP's vertex is fractional), which gives the exact interval.
    """
    n = len(lower)
    cols = np.flatnonzero(variable)
    position = np.full(n, -1, dtype=np.int64)
    position[cols] = np.arange(len(cols))
    system = _System(_equations(rel, n)[:, cols].tocsr(), lower[cols], upper[cols])
    t = position[targets]
    if (t < 0).any():
        raise ValueError("Een aangevallen cel is niet geleverd.")
    seen_lo = np.full(len(targets), np.inf)
    seen_hi = np.full(len(targets), -np.inf)
    if known is not None:
        seen_lo = np.minimum(seen_lo, known[targets])
        seen_hi = np.maximum(seen_hi, known[targets])
    m = len(cols)
    idle = 0
    for round_no in range(60):
        open_ = ~protected(seen_lo, seen_hi, threshold=threshold)
        if not open_.any() or idle >= 2:
            break
        k = int(open_.sum())
        if round_no % 2 == 0:
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
            x = system.solution(c, extra=(link, np.zeros(k)), n_aux=k, aux_upper=need)
        else:
            c = np.zeros(m)
            c[t[open_]] = 1.0
            x = system.solution(c)
        if x is None:
            idle += 1
            continue
        new_lo = np.minimum(seen_lo, x[t])
        new_hi = np.maximum(seen_hi, x[t])
        idle = 0 if (new_lo < seen_lo).any() or (new_hi > seen_hi).any() else idle + 1
        seen_lo, seen_hi = new_lo, new_hi
    lo, hi = seen_lo.copy(), seen_hi.copy()
    exact = np.zeros(len(targets), dtype=bool)
    rest = np.flatnonzero(~protected(seen_lo, seen_hi, threshold=threshold))

    if len(rest):
        solver = _Solver(system.a.tocsc(), np.zeros(system.a.shape[0]), system.lower, system.upper)
        for i in rest:
            hi[i] = solver.optimum(int(t[i]), maximise=True)
            lo[i] = solver.optimum(int(t[i]), maximise=False)
            exact[i] = True
    return AttackResult(targets, lo, hi, exact)


def _reduced(
    a: sparse.csr_matrix, lower: Floats, upper: Floats
) -> tuple[sparse.csr_matrix, Floats, Floats, Floats, Ints]:
    """Drop fixed variables (mostly published zeros) into the right-hand side.

    Returns (matrix, rhs, lower, upper, kept columns) of the free variables; the equations
    without a free variable are left out.
    """
    fixed = lower == upper
    keep = np.flatnonzero(~fixed)
    rhs = -(a[:, np.flatnonzero(fixed)] @ lower[fixed]) if fixed.any() else np.zeros(a.shape[0])
    sub = a[:, keep].tocsr()
    used = np.diff(sub.indptr) > 0
    return sub[used], np.asarray(rhs)[used], lower[keep], upper[keep], keep


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
    own connected part of the system (fixed cells taken out), which keeps the LPs small.
    """
    n = len(lower)
    cols = np.flatnonzero(variable)
    a_all = _equations(rel, n)[:, cols].tocsr()
    a, rhs, lo, up, keep = _reduced(a_all, lower[cols], upper[cols])
    rows_of = cols[keep]
    position = np.full(n, -1, dtype=np.int64)
    position[rows_of] = np.arange(len(rows_of))
    found: dict[int, Ints] = {int(r): np.zeros(0, dtype=np.int64) for r in targets}
    if a.shape[0] == 0:
        return found
    graph = sparse.bmat([[None, a], [a.T, None]]).tocsr()
    _, label = connected_components(graph, directed=False)
    var_label, eq_label = label[a.shape[0] :], label[: a.shape[0]]
    solvers: dict[int, tuple[_Solver, Ints]] = {}
    for row in targets:
        j = int(position[row])
        if j < 0:
            continue
        comp = int(var_label[j])
        if comp not in solvers:
            vars_c = np.flatnonzero(var_label == comp)
            eqs_c = np.flatnonzero(eq_label == comp)
            solver = _Solver(a[eqs_c][:, vars_c].tocsc(), rhs[eqs_c], lo[vars_c], up[vars_c])
            solvers[comp] = (solver, vars_c)
        solver, vars_c = solvers[comp]
        local = int(np.searchsorted(vars_c, j))
        cand = candidates[rows_of[vars_c]]
        c_lo, c_up = lo[vars_c], up[vars_c]
        binding_rows: set[int] = set()
        for maximise in (True, False):
            values, duals = solver.limits(local, maximise=maximise)
            at_upper = np.isfinite(c_up) & (np.abs(values - c_up) < _TOL)
            at_lower = (c_lo > 0) & (np.abs(values - c_lo) < _TOL)
            binding = cand & (at_upper | at_lower) & (np.abs(duals) > _TOL)
            binding_rows.update(rows_of[vars_c[binding]].tolist())
        found[int(row)] = np.array(sorted(binding_rows), dtype=np.int64)
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
