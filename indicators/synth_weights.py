"""The weights of a synthetic control: convex combinations of donors, with or without V.

Abadie and Gardeazabal (2003), Abadie, Diamond and Hainmueller (2010). The weights W are
non-negative and sum to one. Without predictors they minimise the squared distance between the
treated unit's pre-period outcomes (levels, every pre period) and the donors' mix. With
predictors X (key figures, pre-period means of the outcome) they minimise
(X1 - X0 W)' V (X1 - X0 W) for a diagonal V, and V itself is chosen so that the resulting W fits
the pre-period outcomes best (the nested optimisation of ADH, as in R's Synth and pysyncon):
predictors are first divided by their standard deviation across units, V is searched with
Nelder-Mead from equal weights and from the regression-based start, and the better fit is kept.

The inner problem min |A W - b|^2 on the simplex is solved exactly with one non-negative least
squares call: with sum(W) = 1, A W - b = (A - b 1') W, and minimising |(A - b 1') u|^2 +
(sum(u) - 1)^2 over u >= 0 gives u = s W* for the simplex solution W* (the objective separates
into s^2 |(A - b 1') W|^2 + (s - 1)^2). A ridge of 1e-8 of the problem's scale makes the
solution unique when donors outnumber periods, so the weights do not depend on the order of
the donors.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.optimize import minimize, nnls

from indicators._design import Design
from indicators._placebo import Bools, Floats, Wide, rate

_RIDGE = 1e-8
# Ridge of the scaled twin, relative to the donors' mean squared level. Without it the free
# scale lets the fit pick donors by their chance calm before the start (monthly buurt counts
# are mostly noise): bias -0.14 on an effect of -0.93 in the simulation; with 0.1, -0.04.
SCALED_RIDGE = 0.1


def simplex_least_squares(a: Floats, b: Floats) -> Floats:
    """W >= 0, sum(W) = 1 minimising |a W - b|^2 (+ a tiny ridge for uniqueness).

    Parameters
    ----------
    a : (rows, donors); b : (rows,). Rows with a non-finite value are left out.
    """
    ok = np.isfinite(b) & np.isfinite(a).all(axis=1)
    shifted = a[ok] - b[ok, None]
    n = shifted.shape[1]
    if n == 1:
        return np.ones(1)
    scale = float((shifted**2).sum()) / n
    ridge = math.sqrt(_RIDGE * max(scale, 1e-300)) * np.eye(n)
    norm = math.sqrt(max(scale, 1e-300))
    system = np.vstack([shifted / norm, ridge / norm, np.ones((1, n))])
    target = np.concatenate([np.zeros(shifted.shape[0] + n), [1.0]])
    u, _ = nnls(system, target, maxiter=50 * n + 100)
    total = float(u.sum())
    if total <= 0:
        return np.full(n, 1.0 / n)
    out: Floats = u / total
    return out


def synth_weights(
    target: Floats, donors: Floats, *, intercept: bool = False, weights: Floats | None = None
) -> Floats:
    """Outcome-only synthetic control weights on the rows (periods) given.

    Parameters
    ----------
    target : (periods,) the treated unit's outcomes; donors : (periods, donors).
    intercept : fit after removing each series' mean (the demeaned synthetic control of
        Doudchenko and Imbens 2016 and Ferman and Pinto 2021): the mix follows the treated
        unit's movements, not its level.
    weights : optional per-period weights (e.g. noemer) of the squared errors.
    """
    ok = np.isfinite(target) & np.isfinite(donors).all(axis=1)
    y, x = target[ok], donors[ok]
    w = np.ones(len(y)) if weights is None else weights[ok]
    if intercept and w.sum() > 0:
        y = y - float((w * y).sum() / w.sum())
        x = x - (w[:, None] * x).sum(axis=0) / w.sum()
    root = np.sqrt(w)
    return simplex_least_squares(root[:, None] * x, root * y)


def scaled_weights(target: Floats, donors: Floats, *, weights: Floats | None = None) -> Floats:
    """Non-negative weights without the adding-up constraint: the twin is ``donors @ v``.

    The relative synthetic control: v = kappa * W with W on the simplex and kappa > 0 a free
    scale, i.e. a convex combination of donors scaled to the treated unit's level. Fitted by
    non-negative least squares on the levels (Doudchenko and Imbens 2016 relax ADH's adding-up
    constraint in the same way). It is to ADH's twin what the relative DiD is to the additive
    one: right when the treated buurten lie far above every donor and season and trend multiply.
    A ridge (``SCALED_RIDGE``) spreads the weights so that the twin fits less of the noise.
    """
    ok = np.isfinite(target) & np.isfinite(donors).all(axis=1)
    root = np.sqrt(np.ones(int(ok.sum())) if weights is None else weights[ok])
    x, y = root[:, None] * donors[ok], root * target[ok]
    n = x.shape[1]
    ridge = math.sqrt(SCALED_RIDGE * float((x**2).sum()) / n) * np.eye(n)
    system = np.vstack([x, ridge])
    v, _ = nnls(system, np.concatenate([y, np.zeros(n)]), maxiter=50 * n + 100)
    out: Floats = v
    return out


def _v_weights(x1: Floats, x0: Floats, v: Floats) -> Floats:
    root = np.sqrt(np.abs(v) / max(float(np.abs(v).sum()), 1e-300))
    return simplex_least_squares(root[:, None] * x0, root * x1)


def fit_with_predictors(
    x1: Floats, x0: Floats, z1: Floats, z0: Floats
) -> tuple[Floats, Floats, float]:
    """ADH's nested fit: (W, diagonal of V, pre-period MSPE).

    Parameters
    ----------
    x1 : (predictors,) of the treated unit; x0 : (predictors, donors).
    z1 : (pre periods,) outcomes of the treated unit; z0 : (pre periods, donors).
    """
    both = np.column_stack([x0, x1])
    spread = both.std(axis=1, ddof=1)
    spread = np.where(spread > 0, spread, 1.0)
    x1s, x0s = x1 / spread, x0 / spread[:, None]
    k = len(x1)

    def loss(v: Floats) -> float:
        w = _v_weights(x1s, x0s, v)
        return float(np.mean((z1 - z0 @ w) ** 2))

    starts = [np.full(k, 1.0 / k)]
    design = np.column_stack([np.ones(both.shape[1]), both.T / spread])
    outcomes = np.column_stack([z0, z1])
    beta, *_ = np.linalg.lstsq(design, outcomes.T, rcond=None)
    regression = (beta[1:] ** 2).sum(axis=1)
    if regression.sum() > 0 and np.isfinite(regression).all():
        starts.append(regression / regression.sum())
    best: tuple[float, Floats] = (math.inf, starts[0])
    for start in starts:
        found = minimize(loss, start, method="Nelder-Mead", options={"maxiter": 400 * k})
        if float(found.fun) < best[0]:
            best = (float(found.fun), np.asarray(found.x, dtype=float))
    v = np.abs(best[1]) / max(float(np.abs(best[1]).sum()), 1e-300)
    return _v_weights(x1s, x0s, v), v, best[0]


def predictor_rows(
    group: Wide,
    members: np.ndarray | None,
    own: Floats,
    predictors: pd.DataFrame | None,
    spans: Sequence[Bools],
) -> Floats:
    """Predictor values of a group: key figures (noemer-weighted mean of its buurten) and the
    mean rate over each span of pre periods."""
    rows = [float(np.nanmean(np.where(span, own, np.nan))) for span in spans]
    if predictors is not None:
        figures = predictors.set_index("code").reindex(list(group.codes)).astype(float)
        size = group.noemer.sum(axis=1)
        take = (
            np.ones(len(size), dtype=bool)
            if members is None
            else np.isin(np.arange(len(size)), members)
        )
        for column in figures.columns:
            values = figures[column].to_numpy()
            ok = take & np.isfinite(values) & (size > 0)
            rows.append(
                float((values[ok] * size[ok]).sum() / size[ok].sum()) if ok.any() else math.nan
            )
    return np.array(rows)


class Donors:
    """The comparison buurten as donor rate paths, and the fit of one target against them."""

    def __init__(
        self,
        design: Design,
        predictors: pd.DataFrame | None,
        spans: Sequence[Bools],
        model: str = "additief",
    ):
        self.design = design
        self.model = model
        self.rates = rate(design.controls.teller, design.controls.noemer, design.schaal).T
        self.predictors = predictors
        self.spans = spans

    def fit(self, own: Floats, use: np.ndarray, target_x: Floats | None) -> tuple[Floats, Floats]:
        """The twin's path over all periods and the weights (over ``use``) fitted on the pre."""
        donors = self.rates[:, use]
        fit = self.design.pre & np.isfinite(own) & np.isfinite(donors).all(axis=1)
        # Donors without a single event before the start say nothing about the common course.
        if fit.sum() < 2 or not (np.nan_to_num(donors[fit]).sum() > 0):
            return np.full_like(own, np.nan), np.zeros(len(use))
        if self.model == "relatief":
            scaled = scaled_weights(own[fit], donors[fit])
            return donors @ scaled, scaled / max(float(scaled.sum()), 1e-300)
        if target_x is None:
            weights = synth_weights(own[fit], donors[fit])
        else:
            x0 = np.column_stack([self.x(np.array([j])) for j in use])
            weights = fit_with_predictors(target_x, x0, own[fit], donors[fit])[0]
        return donors @ weights, weights

    def x(self, members: np.ndarray) -> Floats:
        controls = self.design.controls
        teller = controls.teller[members].sum(axis=0)
        noemer = controls.noemer[members].sum(axis=0)
        own = rate(teller, noemer, self.design.schaal)
        return predictor_rows(controls, members, own, self.predictors, self.spans)
