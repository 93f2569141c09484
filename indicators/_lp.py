"""The linear programmes behind the disclosure audit (``indicators.audit``): the attacker's system
split into independent parts, and HiGHS models kept warm between objectives.

Pure: arrays in, arrays out; no database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
import numpy.typing as npt
from highspy._core import _Highs
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import connected_components

from indicators.relations import Relations

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

_INF = highspy.kHighsInf
TOL = 1e-6


def equations(rel: Relations, n: int) -> sparse.csr_matrix:
    """One row per relation: +1 for the total, -1 for each part (= 0)."""
    g = rel.n_groups
    rows = np.concatenate([np.arange(g), rel.part_group])
    cols = np.concatenate([rel.total_row, rel.part_row])
    vals = np.concatenate([np.ones(g), -np.ones(len(rel.part_row))])
    return sparse.csr_matrix((vals, (rows, cols)), shape=(g, n))


@dataclass(frozen=True)
class Part:
    """One connected part of the attacker's system: A x = rhs, lower <= x <= upper, over the
    free (not fixed) delivered cells ``rows``."""

    a: sparse.csr_matrix
    rhs: Floats
    lower: Floats
    upper: Floats
    rows: Ints
    kinds: frozenset[int] = frozenset()  # the kinds of relation in this part


def split_parts(
    rel: Relations,
    lower: Floats,
    upper: Floats,
    variable: Bools,
    *,
    split: bool = True,
    wanted: Bools | None = None,
) -> list[Part]:
    """The system split into independent parts (``split``; else one part), fixed cells (mostly
    published zeros) folded into the right-hand side. Relations never cross a calendar year or a
    cluster, so parts are small. ``wanted`` (per row): only the parts holding such a row (with
    ``split``; most parts of a national table hold no cell under attack)."""
    n = len(lower)
    cols = np.flatnonzero(variable)
    a = equations(rel, n)[:, cols].tocsr()
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
            Part(sparse.csr_matrix((0, 1)), np.zeros(0), lo[keep][[i]], up[keep][[i]], rows[[i]])
            for i in range(len(rows))
        ]
    if not split:
        return [Part(sub, rhs, lo[keep], up[keep], rows, frozenset(int(k) for k in kinds))]
    graph = sparse.bmat([[None, sub], [sub.T, None]]).tocsr()
    n_parts, label = connected_components(graph, directed=False)
    var_label, eq_label = label[sub.shape[0] :], label[: sub.shape[0]]
    order_v = np.argsort(var_label, kind="stable")
    order_e = np.argsort(eq_label, kind="stable")
    starts_v = np.searchsorted(var_label[order_v], np.arange(n_parts + 1))
    starts_e = np.searchsorted(eq_label[order_e], np.arange(n_parts + 1))
    # Permuted once, the system is block-diagonal: each part is a contiguous block, cut out by
    # slicing the arrays of the sparse matrix (no fancy indexing per part).
    blocked = sub[order_e][:, order_v].tocsr()
    blocked.sort_indices()
    indptr, indices, data = blocked.indptr, blocked.indices, blocked.data
    rhs_b, kinds_b = rhs[order_e], kinds[order_e]
    lo_b, up_b, rows_b = lo[keep][order_v], up[keep][order_v], rows[order_v]
    parts = np.arange(n_parts)
    if wanted is not None:
        parts = np.unique(var_label[wanted[rows]])
    out = []
    for k in parts.tolist():
        v0, v1 = int(starts_v[k]), int(starts_v[k + 1])
        if v0 == v1:
            continue
        e0, e1 = int(starts_e[k]), int(starts_e[k + 1])
        a0, a1 = int(indptr[e0]), int(indptr[e1])
        a = sparse.csr_matrix(
            (data[a0:a1], indices[a0:a1] - v0, indptr[e0 : e1 + 1] - a0), shape=(e1 - e0, v1 - v0)
        )
        out.append(
            Part(
                a,
                rhs_b[e0:e1],
                lo_b[v0:v1],
                up_b[v0:v1],
                rows_b[v0:v1],
                frozenset(int(x) for x in np.unique(kinds_b[e0:e1])),
            )
        )
    return out


def integer_solution(
    part: Part,
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
        if np.all(np.abs(x - np.round(x)) < TOL):
            return np.round(x)
    return None


def silent_highs() -> Any:
    """A silent HiGHS instance. The core class, not ``highspy.Highs``: the wrapper enables
    callbacks on construction, which prints HiGHS's banner before any option can be set."""
    h = _Highs()
    h.setOptionValue("output_flag", False)
    return h


class Solver:
    """One part's LP kept in HiGHS, so that each new objective starts from the last basis."""

    def __init__(self, part: Part) -> None:
        self.part = part
        a = part.a.tocsc()
        h = silent_highs()
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
            return float(math.floor(value + TOL) if maximise else math.ceil(value - TOL))
        values = np.asarray(self.h.getSolution().col_value)
        if np.all(np.abs(values - np.round(values)) < TOL):
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


class Relaxation:
    """The linear relaxation of one part kept in HiGHS, so that each round only changes costs and
    the upper bounds of the targets ``t``, and starts from the last basis."""

    def __init__(self, part: Part, t: Ints) -> None:
        a = part.a.tocsc()
        m = a.shape[1]
        h = silent_highs()
        # Rounds change only costs and bounds: simplex from the last basis beats presolving anew.
        h.setOptionValue("presolve", "off")
        upper = np.where(np.isfinite(part.upper), part.upper, _INF).astype(float)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = m, a.shape[0]
        lp.col_cost_ = np.zeros(m)
        lp.col_lower_ = part.lower.astype(float)
        lp.col_upper_ = upper
        lp.row_lower_ = part.rhs.astype(float)
        lp.row_upper_ = part.rhs.astype(float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = a.indptr.astype(np.int32)
        lp.a_matrix_.index_ = a.indices.astype(np.int32)
        lp.a_matrix_.value_ = a.data.astype(float)
        h.passModel(lp)
        self.h, self.t, self.m = h, t.astype(np.int32), m
        self.t_lower, self.t_upper = part.lower[t].astype(float), upper[t]

    def _solve(self, cost: Floats, t_upper: Floats) -> Floats | None:
        h = self.h
        h.changeColsCost(self.m, np.arange(self.m, dtype=np.int32), cost)
        h.changeColsBounds(len(self.t), self.t, self.t_lower, t_upper)
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return np.asarray(h.getSolution().col_value)

    def lift(self, open_: Bools, need: Floats) -> Floats | None:
        """Maximise the sum of the open targets, each capped at its ``need``: every target is
        lifted just as far as its proof needs, not one far at the cost of the others. The caps
        only narrow the system, so a solution is one of the whole system; the true counts
        satisfy them (an open target's seen range holds its count and stays below its need),
        so the programme is never infeasible."""
        cost = np.zeros(self.m)
        np.add.at(cost, self.t[open_], -1.0)
        return self._solve(cost, np.where(open_, np.minimum(self.t_upper, need), self.t_upper))

    def lower(self, open_: Bools) -> Floats | None:
        """Minimise the sum of the open targets."""
        cost = np.zeros(self.m)
        np.add.at(cost, self.t[open_], 1.0)
        return self._solve(cost, self.t_upper)
