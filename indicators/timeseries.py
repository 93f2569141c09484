"""Time-series inference for treated lines against one comparison line: a HAC t-test.

With one comparison unit (the product's published "controle" line) there are no placebo
groups, and conformal inference (``indicators.conformal``) ranks the post stretch among
rearrangements of the residual series: exact for exchangeable residuals, but from 20 periods
on only among the n cyclic shifts, with p-values in steps of 1/n. When the post period is
about as long as the pre period or longer, the time dimension carries more information than
that rank can use. This module uses it the way a time-series econometrician would: the
estimate is a fixed linear combination of the period errors, its variance comes from the
residuals' autocovariances (a heteroskedasticity and autocorrelation consistent, HAC,
estimator: Newey and West 1987, with the Bartlett kernel and their 1994 lag rule), corrected
for small samples, and the interval uses a Student t critical value.

The estimate as a linear form. Per period t the treated rate y1, the comparison rate y0 and
the treated noemer w; D_t = 1 after the start. ``relatief``: kappa = sum_pre w y1 / sum_pre w y0,
gap_t = y1_t - kappa y0_t; ``additief``: gap_t = y1_t - y0_t - (weighted pre mean of that).
The effect is theta = sum_post w gap / W1 (W1 = sum_post w; W0 likewise over the pre periods).
With the model y1_t = kappa y0_t + theta D_t + u_t (or its additive twin) this is exactly

    theta_hat - theta = sum_t c_t u_t,   c_t = w_t / W1 after the start, -r w_t / W0 before,

where r = 1 for the additive model and r = (sum_post w y0 / W1) / (sum_pre w y0 / W0), the
comparison's level after the start relative to before, for the relative model (the estimated
kappa is applied to the post level). A single period's gap is likewise
gap_t - tau_t = u_t - a_t sum_pre (w_s / W0) u_s with a_t = y0_t / (sum_pre w y0 / W0) (relative)
or 1 (additive): the event study's per-period estimate, before the start a placebo gap.

The variance. The residuals u_hat_t = gap_t - theta_hat D_t are treated as a covariance-
stationary series. Their autocovariances Gamma(j) (missing periods as zero, so the sequence
stays positive semi-definite) with Bartlett weights 1 - j/(L+1), L = floor(4 (n/100)^(2/9)),
give the raw estimate sum_t sum_s c_t c_s k(|t - s|) Gamma(|t - s|): for a contrast of two
long means the Newey-West long-run variance times sum c_t^2. Lags count calendar periods, so a
secret period is a gap, not a shift. In series this short the raw estimate is too small (the
fitted level and effect make the residuals look negatively autocorrelated: 15-20% low on 24
quarters, a 5% test rejected 9-10%). So it is rescaled to be unbiased under serially
independent errors, and the critical value is Student's t with Satterthwaite degrees of
freedom (``correction``: the bias-reduced variance and degrees of freedom of Bell and McCaffrey
2002, recommended by Imbens and Kolesar 2016 for clustered data, here for a HAC form). Without
lags this is exactly the pooled two-sample t-test of the gap after against before. Because the
variance is pooled over all periods, a single period gets a band too (pre and post), and the
noise of the pre-period level (through kappa) is in every band. Where an effect lowers the
treated rate, its counts vary less after the start than before; the pooled variance then errs
on the wide side.

The interval is theta_hat +/- t_{df, 1-alpha/2} se, the p-value the t-test's. Several cohorts
against the same comparison line (staggered starts) are stacked: a residual series per cohort,
their cross-autocovariances (they share the comparison's noise; the working model keeps their
contemporaneous covariance), and the aggregate's linear form sum_g s_g c_g with s_g the
cohort's share of the post noemer.

Measured against conformal inference on the product path in bench/effects_simulation.py
(docs/methoden.md, 500 runs per scenario): coverage 91-98% and size at most 8.4% in every
scenario, and against a 40% drop 83-99% power where conformal inference had 25-46%.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from indicators._placebo import Bools, Floats
from indicators.conformal import Pair


@dataclass(frozen=True)
class Fit:
    """One line's fit over the period grid (see the module notes).

    ``gap``: treated minus counterfactual (NaN where the period does not count); ``residual``:
    gap minus the effect after the start (0 where it does not count); ``effect``; ``contrast``:
    c_t of the effect's linear form; ``level``: h_t (the comparison rate for the relative model,
    1 for the additive one); ``pre_weights``: p_t = w_t / sum_pre(w h) before the start.
    """

    gap: Floats
    residual: Floats
    effect: float
    contrast: Floats
    level: Floats
    pre_weights: Floats
    pre: Bools
    post: Bools

    @property
    def valid(self) -> Bools:
        out: Bools = self.pre | self.post
        return out

    def residual_maker(self) -> Floats:
        """M with u_hat = M u: u_hat_t = u_t - h_t sum_s p_s u_s - D_t sum_s c_s u_s."""
        m: Floats = (
            np.diag(self.valid.astype(float))
            - np.outer(self.level, self.pre_weights)
            - np.outer(self.post.astype(float), self.contrast)
        )
        return m

    def period_contrasts(self) -> Floats:
        """T x T: row t is the linear form of gap_t - tau_t (e_t - h_t p), 0 if t not counted."""
        out: Floats = np.diag(self.valid.astype(float)) - np.outer(self.level, self.pre_weights)
        return out


@dataclass(frozen=True)
class HacTest:
    """An effect, its standard error, t-interval, p-value, degrees of freedom and lags."""

    effect: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    df: float
    lags: int


def lag_count(n: int) -> int:
    """Bartlett lags for n periods: floor(4 (n/100)^(2/9)) (Newey and West 1994), below n."""
    rule = max(1, math.floor(4 * (n / 100) ** (2 / 9)))
    return int(min(rule, max(n - 1, 0)))


def fit(pair: Pair, model: str) -> Fit:
    """The line's gap, residuals and linear forms (see the module notes)."""
    valid = pair.valid
    w = np.where(valid, pair.w, 0.0)
    y1, y0 = np.nan_to_num(pair.y1), np.nan_to_num(pair.y0)
    w_pre, w_post = np.where(pair.pre, w, 0.0), np.where(pair.post, w, 0.0)
    big_w0, big_w1 = float(w_pre.sum()), float(w_post.sum())
    level = np.where(valid, y0 if model == "relatief" else 1.0, 0.0)
    bottom = float((w_pre * level).sum())
    nan = np.full(len(w), np.nan)
    if not (big_w0 > 0 and big_w1 > 0 and bottom > 0):
        return Fit(nan, np.zeros(len(w)), math.nan, nan, nan, nan, pair.pre, pair.post)
    if model == "relatief":
        gap = y1 - float((w_pre * y1).sum()) / bottom * y0
        ratio = float((w_post * y0).sum()) / big_w1 / (bottom / big_w0)
    else:
        gap = y1 - y0 - float((w_pre * (y1 - y0)).sum()) / big_w0
        ratio = 1.0
    effect = float((w_post * gap).sum()) / big_w1
    residual = np.where(valid, gap - effect * pair.post, 0.0)
    contrast = w_post / big_w1 - ratio * w_pre / big_w0
    return Fit(
        np.where(valid, gap, np.nan),
        residual,
        effect,
        contrast,
        level,
        w_pre / bottom,
        pair.pre,
        pair.post,
    )


def lag_products(x: Floats, y: Floats, lags: int) -> Floats:
    """(K x 2L+1 x G x G): P[k, L+d, g, h] = sum_t x[k, g, t+d] y[k, h, t], |d| <= L."""
    k, g, t = x.shape
    out = np.zeros((k, 2 * lags + 1, g, g))
    for d in range(-lags, lags + 1):
        if abs(d) >= t:
            continue
        if d >= 0:
            out[:, lags + d] = np.einsum("kgt,kht->kgh", x[:, :, d:], y[:, :, : t - d])
        else:
            out[:, lags + d] = np.einsum("kgt,kht->kgh", x[:, :, : t + d], y[:, :, -d:])
    return out


def _shifted(q: Floats, d: int) -> Floats:
    """q (G x T x G x T) with its last axis moved: out[h, b, g, c] = q[h, b, g, c + d]."""
    out = np.zeros_like(q)
    t = q.shape[-1]
    if d >= 0:
        out[..., : t - d] = q[..., d:]
    else:
        out[..., -d:] = q[..., : t + d]
    return out


def hac_variances(fits: Sequence[Fit], forms: Floats, lags: int) -> tuple[Floats, Floats]:
    """Bias-corrected HAC variances of the forms A (K x G x T) and their Satterthwaite df.

    The raw HAC estimate of Var(sum A u) is V = sum_{|d| <= L} k(d) <S(d), Gamma(d)> with
    Bartlett weights k(d) = 1 - |d|/(L+1), S(d) = sum_t A_{t+d} A_t' and the residuals'
    autocovariances Gamma(d) = sum_r u_hat_{r+d} u_hat_r' (the divisor cancels below): a
    quadratic form u_hat' B u_hat. ``correction`` rescales it.
    """
    a = np.nan_to_num(forms)
    u = np.vstack([f.residual for f in fits])
    weights = 1.0 - np.abs(np.arange(-lags, lags + 1)) / (lags + 1)
    gamma = lag_products(u[None], u[None], lags)[0]
    raw = np.einsum("kdgh,d,dgh->k", lag_products(a, a, lags), weights, gamma)
    factor, df = correction(fits, forms, lags)
    variance: Floats = np.maximum(raw, 0.0) * factor
    return variance, df


def correction(fits: Sequence[Fit], forms: Floats, lags: int) -> tuple[Floats, Floats]:
    """Per form: the factor that makes the raw HAC estimate unbiased, and its df.

    The residuals are u_hat = M u, so under a working model of serially independent errors
    with the lines' contemporaneous covariance (u ~ N(0, Sigma0)) the raw estimate u_hat' B u_hat
    has mean tr(B Q), Q = M Sigma0 M' (the same formula with Gamma's expectation), while the
    form's true variance there is A' Sigma0 A. Their ratio makes the estimate unbiased under
    the working model (Bell and McCaffrey 2002; Imbens and Kolesar 2016) and leaves it
    consistent under dependence; Satterthwaite's degrees of freedom tr(BQ)^2 / tr(BQBQ) fit a
    scaled chi-square to it. Without lags this is the classical pooled-variance t-test. The
    traces go through S, so K forms cost little more than one. Depends on the design only
    (comparison, noemer, periods), not on the treated rates.
    """
    g, t = len(fits), forms.shape[2]
    a = np.nan_to_num(forms)
    u = np.vstack([f.residual for f in fits])
    valid = np.vstack([f.valid for f in fits]).astype(float)
    n = max(float(valid.any(axis=0).sum()), 1.0)
    contemporaneous = u @ u.T / n
    if g == 1 or not np.all(np.diag(contemporaneous) > 0):
        contemporaneous = np.eye(g)
    # Q's blocks: M is block-diagonal and Sigma0's blocks are diagonal (small products only).
    makers = [f.residual_maker() for f in fits]
    q = np.zeros((g, t, g, t))
    for i in range(g):
        for j in range(g):
            middle = contemporaneous[i, j] * valid[i] * valid[j]
            q[i, :, j, :] = (makers[i] * middle[None, :]) @ makers[j].T
    weights = 1.0 - np.abs(np.arange(-lags, lags + 1)) / (lags + 1)
    s = lag_products(a, a, lags)  # K x D x G x G
    shifted = [_shifted(q, d) for d in range(-lags, lags + 1)]
    expected_gamma = np.stack([np.einsum("hrgr->gh", x) for x in shifted])
    expected = np.einsum("kdgh,d,dgh->k", s, weights, expected_gamma)
    # tr(BQBQ) = sum_{d,d'} k k' sum S_gh(d) S_xy(d') Psi[d,d',h,x,y,g]
    psi = np.stack(
        [
            np.stack(
                [np.einsum("hbxc,ycgb->hxyg", shifted[e], shifted[d]) for e in range(len(shifted))]
            )
            for d in range(len(shifted))
        ]
    )
    ws = s * weights[None, :, None, None]
    square = np.einsum("kdgh,kexy,dehxyg->k", ws, ws, psi)
    target = np.einsum("kgt,gh,kht->k", a, contemporaneous, a)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor: Floats = np.where(expected > 0, target / np.where(expected > 0, expected, 1), 0.0)
        df: Floats = np.where(square > 0, expected**2 / np.where(square > 0, square, 1), np.nan)
    return factor, df


def t_test(effect: float, variance: float, df: float, alpha: float, lags: int) -> HacTest:
    """Interval and p-value of ``effect`` with standard error sqrt(``variance``), t with df."""
    se = math.sqrt(variance) if math.isfinite(variance) else math.nan
    if not math.isfinite(effect):
        return HacTest(effect, se, math.nan, math.nan, math.nan, df, lags)
    if not (math.isfinite(se) and math.isfinite(df) and df > 0):
        return HacTest(effect, se, -math.inf, math.inf, math.nan, df, lags)
    half = float(stats.t.ppf(1 - alpha / 2, df)) * se
    # A noiseless fit (se 0) rejects any effect but zero.
    p = float(2 * stats.t.sf(abs(effect) / se, df)) if se > 0 else float(effect == 0)
    return HacTest(effect, se, effect - half, effect + half, p, df, lags)


def _lags(fits: Sequence[Fit], lags: int | None) -> int:
    n = int(np.any([f.valid for f in fits], axis=0).sum())
    return lag_count(n) if lags is None else max(0, min(int(lags), max(n - 1, 0)))


def hac_effect(
    pairs: Sequence[Pair], *, model: str, alpha: float, lags: int | None = None
) -> HacTest:
    """The noemer-weighted mean effect over one or more lines (cohorts) and its t-test.

    Each line is fitted on its own periods; the aggregate weights line g by its post noemer
    (the contract's weighting); its variance includes the lines' cross-autocovariances.
    """
    fits = [fit(p, model) for p in pairs]
    post_w = np.array([float(np.where(p.post, p.w, 0.0).sum()) for p in pairs])
    effects = np.array([f.effect for f in fits])
    used = _lags(fits, lags)
    if not (np.isfinite(effects).all() and post_w.sum() > 0):
        return HacTest(math.nan, math.nan, math.nan, math.nan, math.nan, math.nan, used)
    shares = post_w / post_w.sum()
    form = np.vstack([s * f.contrast for s, f in zip(shares, fits, strict=True)])[None]
    variance, df = hac_variances(fits, form, used)
    return t_test(float(shares @ effects), float(variance[0]), float(df[0]), alpha, used)


def pointwise_hac(
    pairs: Sequence[Pair],
    shares: Floats,
    *,
    model: str,
    alpha: float,
    lags: int | None = None,
) -> tuple[Floats, Floats, Floats]:
    """Per grid period: the share-weighted gap of the lines and its t-interval.

    ``shares`` (G x T) weights each line's gap in period t (0: not counted there); one line
    with shares 1 gives the ordinary event study, before the start the placebo gaps. Returns
    (effect, low, high), NaN where no line counts.
    """
    fits = [fit(p, model) for p in pairs]
    gaps = np.vstack([f.gap for f in fits])
    shares = np.where(np.isfinite(gaps), shares, 0.0)
    counted = np.flatnonzero(shares.sum(axis=0) > 0)
    t = gaps.shape[1]
    nan = np.full(t, np.nan)
    if not len(counted) or not all(np.isfinite(f.effect) for f in fits):
        return nan, nan.copy(), nan.copy()
    forms = np.stack(
        [shares[i, counted, None] * f.period_contrasts()[counted] for i, f in enumerate(fits)],
        axis=1,
    )
    variance, df = hac_variances(fits, forms, _lags(fits, lags))
    values = (shares * np.nan_to_num(gaps)).sum(axis=0)[counted]
    with np.errstate(invalid="ignore"):
        half = stats.t.ppf(1 - alpha / 2, np.where(df > 0, df, np.nan)) * np.sqrt(variance)
    effect, low, high = nan.copy(), nan.copy(), nan.copy()
    effect[counted], low[counted], high[counted] = values, values - half, values + half
    return effect, low, high


def hac_intervals_many(
    template: Pair, treated: Floats, *, model: str, alpha: float, lags: int | None = None
) -> tuple[Floats, Floats]:
    """Intervals for many treated series (rows of ``treated``) on one design, vectorised.

    Everything but the treated rates (comparison, noemer, periods) is ``template``'s, so the
    linear form c, the residual maker M, the bias correction and the df are shared: with the
    response z = y1 (relatief) or y1 - y0 (additief) the effect is c'z and the residuals are
    M z (M removes kappa y0, or the level, and theta D exactly). Used by ``indicators.power``
    to simulate the product's test. Returns (lows, highs).
    """
    base = fit(template, model)
    used = _lags([base], lags)
    form = np.nan_to_num(base.contrast)[None, None, :]
    factor, df = correction([base], form, used)
    response = treated - (np.nan_to_num(template.y0) if model == "additief" else 0.0)
    y1 = np.where(base.valid[None, :], np.nan_to_num(response), 0.0)
    effects = y1 @ form[0, 0]
    residuals = (y1 @ base.residual_maker().T)[:, None, :]
    weights = 1.0 - np.abs(np.arange(-used, used + 1)) / (used + 1)
    s = lag_products(form, form, used)[0, :, 0, 0]
    raw = lag_products(residuals, residuals, used)[:, :, 0, 0] @ (weights * s)
    half = float(stats.t.ppf(1 - alpha / 2, df[0])) * np.sqrt(np.maximum(raw, 0.0) * factor[0])
    lows: Floats = effects - half
    highs: Floats = effects + half
    return lows, highs
