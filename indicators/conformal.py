"""Conformal inference over time: intervals from the treated and comparison series alone.

Chernozhukov, Wüthrich and Zhu (2021), "An exact and robust conformal inference method for
counterfactual and synthetic controls" (JASA 116, 1849-1864). Placebo groups need many
comparison buurten; this method uses the time dimension instead, so it works with one comparison
series (the product's published group lines) and with 3 treated buurten against 5 comparison
buurten.

For a hypothesised effect theta (the same in every post period) the treated rates after the start
are lowered by theta, the counterfactual model is fitted on *all* periods under that hypothesis,
and the residuals u_t are computed. Under the hypothesis, and when the residuals are stationary
and weakly dependent, the post residuals look like any other stretch of residuals. The test
statistic is the noemer-weighted mean residual over the post periods, in absolute value (it
targets the average effect that the contract reports); its reference distribution comes from
the same statistic over the cyclic shifts of the residual series (moving blocks: exact for
exchangeable residuals, approximately valid under serial dependence), or over random
permutations (``"iid"``: exact under exchangeability) when there are too few periods for
shifts to reach the test level. p = share of permutations (the identity included) whose
statistic is at least the observed one; the interval is every theta not rejected at level alpha
(test inversion).

The models (``model``) are those of the point estimate, fitted on the fit periods F:
``relatief``: y1 - theta*post = kappa*y0 + u, kappa = sum_F w(y1 - theta*post) / sum_F w y0;
``additief``: y1 - theta*post = alpha + y0 + u. Both make u linear in theta, u = a + theta*b, so
every permutation statistic is |c_k + theta*d_k| / D_k and the accepted set is found exactly
from the roots of quadratics, without a grid. Estimators whose fit is not linear in theta (the
synthetic control refits its weights) use ``invert_numeric``.

Pointwise intervals (the event study) follow the paper's single-period case: the period t is
the only "post" period, the model is fitted on the pre periods plus t, and |u_t| is ranked among
the |u_s| of those periods. A 95% interval needs at least 19 pre periods; with fewer the interval
is infinite, honestly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm

from indicators._placebo import Bools, Floats, Ints

N_IID = 2000  # random permutations when cyclic shifts are too few
_TOL = 1e-9


@dataclass(frozen=True)
class Pair:
    """One treated series against its comparison series over the period grid.

    ``y1``, ``y0``: rates (NaN where missing); ``w``: the treated group's noemer (0 where the
    period does not count); ``pre``, ``post``: the periods that count before and after the start.
    """

    y1: Floats
    y0: Floats
    w: Floats
    pre: Bools
    post: Bools

    @property
    def valid(self) -> Bools:
        out: Bools = self.pre | self.post
        return out


@dataclass(frozen=True)
class Conformal:
    """The conformal test of the average post effect and its inverted interval."""

    effect: float
    ci_low: float
    ci_high: float
    p_value: float
    n_permutations: int
    permutaties: str  # "blok" (cyclic shifts) or "iid"


def residual_coefficients(pair: Pair, fit: Bools, test: Bools, model: str) -> tuple[Floats, Floats]:
    """(a, b) with residual u(theta) = a + theta*b on ``fit``; 0 outside it, NaN if unfitted.

    ``test`` marks the periods whose treated rate is lowered by theta under the hypothesis.
    """
    w = np.where(fit, pair.w, 0.0)
    y1 = np.where(fit, np.nan_to_num(pair.y1), 0.0)
    y0 = np.where(fit, np.nan_to_num(pair.y0), 0.0)
    t = (test & fit).astype(float)
    if model == "relatief":
        bottom = float((w * y0).sum())
        if not bottom > 0:
            nan = np.full_like(y1, np.nan)
            return nan, nan
        a = y1 - float((w * y1).sum()) / bottom * y0
        b = -t + float((w * t).sum()) / bottom * y0
    else:
        total = float(w.sum())
        if not total > 0:
            nan = np.full_like(y1, np.nan)
            return nan, nan
        a = y1 - y0 - float((w * (y1 - y0)).sum()) / total
        b = -t + float((w * t).sum()) / total
    return np.where(fit, a, 0.0), np.where(fit, b, 0.0)


def block_permutations(n: int) -> Ints:
    """The n cyclic shifts of 0..n-1 as rows; row 0 is the identity."""
    idx: Ints = (np.arange(n)[None, :] + np.arange(n)[:, None]) % n
    return idx


def iid_permutations(n: int, count: int = N_IID, seed: int = 0) -> Ints:
    """The identity and ``count - 1`` random permutations of 0..n-1 (fixed seed)."""
    rng = np.random.default_rng(seed)
    draws = np.argsort(rng.random((count - 1, n)), axis=1)
    out: Ints = np.vstack([np.arange(n)[None, :], draws]).astype(np.int64)
    return out


def window_sums(
    a: Floats, b: Floats, w: Floats, post: Bools, perms: Ints
) -> tuple[Floats, Floats, Floats]:
    """Per permutation k: c_k, d_k, D_k with statistic |c_k + theta*d_k| / D_k.

    ``a``, ``b``, ``w``, ``post`` are (groups x periods); the permuted residuals of every group
    are read at the group's post positions: sum over groups and post t of w*u at perm_k[t].
    """
    wa = (w * a)[:, perms]  # groups x K x T
    wb = (w * b)[:, perms]
    ww = w[:, perms]
    mask = post[:, None, :].astype(float)
    c = (wa * mask).sum(axis=(0, 2))
    d = (wb * mask).sum(axis=(0, 2))
    big_d = (ww * mask).sum(axis=(0, 2))
    return c, d, big_d


def p_values(c: Floats, d: Floats, big_d: Floats, thetas: Floats) -> Floats:
    """Share of permutations whose statistic reaches the observed one (row 0), per theta."""
    safe = np.where(big_d > 0, big_d, 1.0)
    stat = np.abs(c[None, :] + thetas[:, None] * d[None, :]) / safe[None, :]
    stat = np.where(big_d[None, :] > 0, stat, 0.0)
    observed = stat[:, :1]
    hits = stat >= observed * (1 - _TOL) - _TOL * (1 + observed)
    out: Floats = hits.mean(axis=1)
    return out


def _roots(c: Floats, d: Floats, big_d: Floats) -> Floats:
    """Every theta where a permutation's statistic crosses the observed one."""
    d0, c0, n0 = d[0], c[0], big_d[0]
    qa = d**2 * n0**2 - d0**2 * big_d**2
    qb = 2 * (c * d * n0**2 - c0 * d0 * big_d**2)
    qc = c**2 * n0**2 - c0**2 * big_d**2
    roots = []
    linear = np.abs(qa) < 1e-14 * (np.abs(qb) + np.abs(qc) + 1e-300)
    with np.errstate(divide="ignore", invalid="ignore"):
        roots.append(np.where(linear & (qb != 0), -qc / qb, np.nan))
        disc = qb**2 - 4 * qa * qc
        sq = np.sqrt(np.where(disc >= 0, disc, np.nan))
        roots.append(np.where(~linear, (-qb - sq) / (2 * qa), np.nan))
        roots.append(np.where(~linear, (-qb + sq) / (2 * qa), np.nan))
    found = np.concatenate(roots)
    out: Floats = np.unique(found[np.isfinite(found)])
    return out


def invert(c: Floats, d: Floats, big_d: Floats, alpha: float) -> tuple[float, float]:
    """The smallest interval holding every theta with p(theta) > alpha (exact; may be infinite).

    The p-value is a step function that changes only at the crossing points, so it is
    evaluated at the crossings, between them and beyond them.
    """
    if not (np.isfinite(c).all() and np.isfinite(d).all()) or big_d[0] <= 0:
        return math.nan, math.nan
    roots = _roots(c, d, big_d)
    if len(roots) == 0:
        accepted = p_values(c, d, big_d, np.array([0.0]))[0] > alpha
        return (-math.inf, math.inf) if accepted else (math.nan, math.nan)
    spread = max(float(roots[-1] - roots[0]), float(np.abs(roots).max()), 1.0)
    mids = (roots[1:] + roots[:-1]) / 2
    points = np.concatenate([[roots[0] - spread], roots, mids, [roots[-1] + spread]])
    ok = p_values(c, d, big_d, points) > alpha
    if not ok.any():
        return math.nan, math.nan
    low = -math.inf if ok[0] else float(points[ok].min())
    high = math.inf if ok[-1] else float(points[ok].max())
    return low, high


def _average_effect(pair: Pair, model: str) -> tuple[float, float]:
    """The point estimate (weighted mean post gap minus pre gap) and its weight sum_post w."""
    gap = pre_gap(pair, model)
    post_w = float(pair.w[pair.post].sum())
    if not post_w > 0:
        return math.nan, post_w
    return float((pair.w * gap)[pair.post].sum()) / post_w, post_w


def pre_gap(pair: Pair, model: str) -> Floats:
    """Treated minus counterfactual with the model fitted on the pre periods only (demeaned)."""
    w = np.where(pair.pre, pair.w, 0.0)
    y1, y0 = np.nan_to_num(pair.y1), np.nan_to_num(pair.y0)
    if model == "relatief":
        bottom = float((w * y0).sum())
        kappa = float((w * y1).sum()) / bottom if bottom > 0 else math.nan
        gap = y1 - kappa * y0
    else:
        gap = y1 - y0
        gap = gap - float((w * gap).sum()) / max(float(w.sum()), 1e-300)
    out: Floats = np.where(pair.valid, gap, np.nan)
    return out


def conformal_effect(
    pairs: Sequence[Pair], *, model: str, alpha: float, permutaties: str = "auto", seed: int = 0
) -> Conformal:
    """Average post effect over one or more cohorts, with its conformal interval and p-value.

    Several pairs (cohorts of a staggered start, each against the same comparison) are tested
    jointly: one theta for all, the statistic summed over the cohorts' post periods, and the
    same shift applied to every cohort's residuals (their shared comparison keeps its
    dependence). The point estimate is the noemer-weighted mean of the cohort estimates.
    ``permutaties``: "blok", "iid" or "auto" (blocks when there are at least 1/alpha periods).
    """
    keep = np.any([p.valid for p in pairs], axis=0)
    n = int(keep.sum())
    estimates = [_average_effect(p, model) for p in pairs]
    total = sum(wt for _, wt in estimates)
    effect = sum(e * wt for e, wt in estimates) / total if total > 0 else math.nan
    if permutaties == "auto":
        permutaties = "blok" if n >= math.ceil(1 / alpha) else "iid"
    perms = block_permutations(n) if permutaties == "blok" else iid_permutations(n, seed=seed)
    coefficients = [residual_coefficients(p, p.valid, p.post, model) for p in pairs]
    a = np.vstack([ab[0][keep] for ab in coefficients])
    b = np.vstack([ab[1][keep] for ab in coefficients])
    w = np.vstack([np.where(p.valid, p.w, 0.0)[keep] for p in pairs])
    post = np.vstack([p.post[keep] for p in pairs])
    c, d, big_d = window_sums(a, b, w, post, perms)
    low, high = invert(c, d, big_d, alpha) if math.isfinite(effect) else (math.nan, math.nan)
    p = float(p_values(c, d, big_d, np.array([0.0]))[0])
    if not (math.isfinite(effect) and np.isfinite(c).all()):
        p = math.nan
    return Conformal(effect, low, high, p, len(perms), permutaties)


def invert_rows(c: Floats, d: Floats, valid: Bools, alpha: float) -> tuple[Floats, Floats]:
    """Row by row, ``invert`` for single-period statistics |c_k + theta*d_k| (D_k = 1).

    Column 0 of each row is the tested period, the others (where ``valid``) its calibration
    periods. With equal denominators the crossings are linear: c_k + theta*d_k equals
    +/-(c_0 + theta*d_0), so all rows are inverted at once.
    """
    c0, d0 = c[:, :1], d[:, :1]
    with np.errstate(divide="ignore", invalid="ignore"):
        roots = np.concatenate([-(c - c0) / (d - d0), -(c + c0) / (d + d0)], axis=1)
    roots = np.where(np.concatenate([valid, valid], axis=1) & np.isfinite(roots), roots, np.nan)
    roots = np.sort(roots, axis=1)  # NaN last
    n = np.isfinite(roots).sum(axis=1)
    low_root = roots[:, 0]
    high_root = np.take_along_axis(roots, np.maximum(n - 1, 0)[:, None], axis=1)[:, 0]
    spread = np.maximum(
        np.nan_to_num(high_root - low_root) + np.nan_to_num(np.abs(roots)).max(axis=1), 1.0
    )
    mids = (roots[:, 1:] + roots[:, :-1]) / 2
    points = np.concatenate(
        [(low_root - spread)[:, None], roots, mids, (high_root + spread)[:, None]], axis=1
    )
    stat = np.abs(c[:, None, :] + points[:, :, None] * d[:, None, :])
    observed = stat[:, :, :1]
    hits = (stat >= observed * (1 - _TOL) - _TOL * (1 + observed)) & valid[:, None, :]
    p = hits.sum(axis=2) / valid.sum(axis=1)[:, None]
    ok = (p > alpha) & np.isfinite(points)
    lows = np.where(ok, points, np.inf).min(axis=1)
    highs = np.where(ok, points, -np.inf).max(axis=1)
    # The outermost points stand for everything beyond the crossings: accepted there means
    # accepted for ever (too few periods for the level alpha).
    lows = np.where(ok[:, 0], -np.inf, np.where(ok.any(axis=1), lows, np.nan))
    highs = np.where(ok[:, -1], np.inf, np.where(ok.any(axis=1), highs, np.nan))
    return lows, highs


def pointwise(pair: Pair, *, model: str, alpha: float) -> pd.DataFrame:
    """Per period that counts: the gap minus the pre gap and its pointwise conformal interval.

    Columns ``index`` (position in the grid), ``effect``, ``ci_low``, ``ci_high``. A pre period
    is tested against the other pre periods (a placebo check of the fit); a post period against
    all pre periods. For test period t the model is refitted on the pre periods plus t, so the
    residual coefficients differ per t only through the fit's sums: computed for all t at once.
    """
    tests = np.flatnonzero(pair.valid)
    pre = np.flatnonzero(pair.pre)
    w = np.where(pair.valid, pair.w, 0.0)
    y1, y0 = np.nan_to_num(pair.y1), np.nan_to_num(pair.y0)
    extra = ~pair.pre[tests]  # a post period joins the fit; a pre period is in it already
    if len(tests) == 0 or len(pre) == 0:
        return pd.DataFrame(columns=["index", "effect", "ci_low", "ci_high"])
    width = len(pre) + 1
    index = np.zeros((len(tests), width), dtype=np.int64)
    valid = np.ones((len(tests), width), dtype=bool)
    for row, t in enumerate(tests):
        others = pre[pre != t]
        index[row, : 1 + len(others)] = np.concatenate([[t], others])
        valid[row, 1 + len(others) :] = False
    wt = w[tests] * extra
    if model == "relatief":
        top = float((w * y1)[pre].sum()) + wt * y1[tests]
        bottom = float((w * y0)[pre].sum()) + wt * y0[tests]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(bottom > 0, top / bottom, np.nan)
            lift = np.where(bottom > 0, w[tests] / bottom, np.nan)
        a = y1[index] - ratio[:, None] * y0[index]
        b = lift[:, None] * y0[index]
    else:
        gap = y1 - y0
        total = float(w[pre].sum()) + wt
        mean = (float((w * gap)[pre].sum()) + wt * gap[tests]) / total
        a = gap[index] - mean[:, None]
        b = np.broadcast_to((w[tests] / total)[:, None], index.shape).copy()
    b[:, 0] -= 1.0
    lows, highs = invert_rows(a, b, valid, alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        effect = -a[:, 0] / b[:, 0]
    keep = np.isfinite(effect)
    return pd.DataFrame(
        {"index": tests[keep], "effect": effect[keep], "ci_low": lows[keep], "ci_high": highs[keep]}
    )


def invert_numeric(
    pvalue: Callable[[float], float], estimate: float, scale: float, alpha: float
) -> tuple[float, float]:
    """Interval of theta with pvalue(theta) > alpha, by bracketing and bisection from the estimate.

    For fits that are not linear in theta. Steps out from ``estimate`` by ``scale`` doubling
    until the test rejects (infinite after 40 doublings), then bisects to 1e-6 of ``scale``.
    """
    if not (math.isfinite(estimate) and scale > 0):
        return math.nan, math.nan
    bounds = []
    for sign in (-1.0, 1.0):
        inside, step = estimate, scale
        outside = math.nan
        for _ in range(40):
            candidate = estimate + sign * step
            if pvalue(candidate) > alpha:
                inside, step = candidate, step * 2
            else:
                outside = candidate
                break
        if math.isnan(outside):
            bounds.append(sign * math.inf)
            continue
        while abs(outside - inside) > 1e-6 * scale:
            middle = (inside + outside) / 2
            if pvalue(middle) > alpha:
                inside = middle
            else:
                outside = middle
        bounds.append(inside)
    return bounds[0], bounds[1]


def pre_trend_hac(gap: Floats, pre: Bools) -> float | None:
    """p-value of the slope of the pre-period gap on time, Newey-West (HAC) standard errors.

    Without placebo groups there is no placebo distribution of slopes; the HAC t-test allows
    for the serial correlation of monthly gaps (lags: Newey and West's rule 4(n/100)^(2/9)).
    """
    ok = pre & np.isfinite(gap)
    n = int(ok.sum())
    if n < 4:
        return None
    x = sm.add_constant(np.flatnonzero(ok).astype(float))
    y = gap[ok]
    if float(np.ptp(y)) == 0.0:
        return 1.0
    lags = max(1, math.floor(4 * (n / 100) ** (2 / 9)))
    fit = sm.OLS(y, x).fit(cov_type="HAC", cov_kwds={"maxlags": lags})
    return float(fit.pvalues[1])
