"""Shared machinery of the effect estimators: wide panels, placebo sets and placebo inference.

The estimators (``indicators.effects`` for difference-in-differences, ``indicators.synth`` for
the synthetic control) each turn a panel into *gap* series: the rate of a group of buurten minus
its comparison, period by period. Row 0 is the real treated group; every further row is a placebo
group of the same size drawn from the comparison buurten and compared with the remaining ones.
``infer`` turns these gaps into the effect, its interval, the p-value, the pre-trend test and the
event study, all by the same studentized placebo method (see ``infer``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Wide:
    """Teller and noemer as (buurten x periods) matrices; 0 in both where a period is missing."""

    codes: tuple[str, ...]
    teller: Floats
    noemer: Floats

    def total(self) -> tuple[Floats, Floats]:
        """Teller and noemer summed over all buurten: the group as one area."""
        return self.teller.sum(axis=0), self.noemer.sum(axis=0)


def to_wide(panel: pd.DataFrame, codes: Sequence[str], periods: Sequence[str]) -> Wide:
    """The rows of ``codes`` (``code, periode, teller, noemer``) as matrices over ``periods``.

    A period with NaN teller (not delivered) or without a positive noemer counts as missing.
    """
    row = pd.Index(list(codes)).get_indexer(pd.Index(panel["code"].astype(str)))
    column = pd.Index(list(periods)).get_indexer(pd.Index(panel["periode"].astype(str)))
    values = panel["teller"].to_numpy(dtype=float, na_value=np.nan)
    sizes = panel["noemer"].to_numpy(dtype=float, na_value=np.nan)
    keep = (row >= 0) & (column >= 0) & np.isfinite(values) & (sizes > 0)
    shape = (len(codes), len(periods))
    teller = np.zeros(shape)
    noemer = np.zeros(shape)
    # Several rows of one code and period add up (as a groupby sum would).
    np.add.at(teller, (row[keep], column[keep]), values[keep])
    np.add.at(noemer, (row[keep], column[keep]), sizes[keep])
    return Wide(tuple(codes), teller, noemer)


def rate(teller: Floats, noemer: Floats, schaal: float) -> Floats:
    """teller / noemer * schaal, NaN where the noemer is 0 (missing)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out: Floats = np.where(noemer > 0, teller / np.where(noemer > 0, noemer, 1.0), np.nan)
    return out * schaal


def placebo_sets(n: int, k: int, *, max_sets: int, seed: int = 0) -> Ints:
    """Placebo groups of ``k`` of ``n`` comparison buurten, as a (sets x k) index array.

    Every combination when there are at most ``max_sets`` of them, otherwise ``max_sets``
    distinct ones drawn with a fixed seed (deterministic). At least one buurt is always left
    over to compare with, so ``k`` must be below ``n``; otherwise there are no placebo sets.
    """
    if k < 1 or k >= n:
        return np.zeros((0, max(k, 0)), dtype=np.int64)
    if math.comb(n, k) <= max_sets:
        return np.array(list(itertools.combinations(range(n), k)), dtype=np.int64)
    rng = np.random.default_rng(seed)
    draws = np.sort(np.argsort(rng.random((3 * max_sets, n)), axis=1)[:, :k], axis=1)
    _, first = np.unique(draws, axis=0, return_index=True)
    return draws[np.sort(first)[:max_sets]].astype(np.int64)


@dataclass(frozen=True)
class Inference:
    """The effect of row 0 of a gap matrix, judged against the placebo rows."""

    effect: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    pre_trend_p: float | None
    n_placebos: int
    pre_mean_gap: float
    event_study: pd.DataFrame
    inferentie: str = "placebo"  # or "tijdreeks" (indicators.timeseries), "conformeel"
    n_permutations: int = 0


def _mean_var(gaps: Floats, weights: Floats, mask: Bools) -> tuple[Floats, Floats, Floats]:
    """Per row: weighted mean over ``mask``, variance of the periods, and sum(w^2)/sum(w)^2."""
    w = np.where(mask & np.isfinite(gaps), weights, 0.0)
    g = np.nan_to_num(gaps)
    total = w.sum(axis=1)
    safe = np.where(total > 0, total, 1.0)
    mean = (w * g).sum(axis=1) / safe
    n = (w > 0).sum(axis=1)
    dev = (w * (g - mean[:, None]) ** 2).sum(axis=1) / safe
    var = dev * n / np.maximum(n - 1, 1)
    factor = (w**2).sum(axis=1) / safe**2
    mean = np.where(total > 0, mean, np.nan)
    return mean, var, factor


def _studentize(effect: Floats, se: Floats) -> Floats:
    with np.errstate(divide="ignore", invalid="ignore"):
        t: Floats = np.where(se > 0, effect / se, np.where(effect == 0, 0.0, np.inf))
    return np.where(np.isnan(effect) | np.isnan(se), np.nan, t)


def critical_value(t_placebo: Floats, alpha: float) -> float:
    """The |t| bound of the (1 - alpha) interval: the value whose placebo p-value is alpha.

    With ``n`` placebos, |t| is inside the interval while (1 + #{|t_placebo| >= |t|}) / (1 + n)
    exceeds ``alpha``, i.e. up to the m-th largest |t_placebo| with m the smallest count for
    which (1 + m) / (1 + n) > alpha. Infinite when there are too few placebos for that.
    """
    values = np.sort(np.abs(t_placebo[~np.isnan(t_placebo)]))[::-1]
    n = len(values)
    m = math.floor(alpha * (n + 1) - 1 + 1e-12) + 1
    if m < 1:  # even the largest |t| would not be rejected: no finite bound
        return math.inf
    return float(values[m - 1])


def _half_width(crit: float, se: float) -> float:
    """crit * se; infinite when there are too few placebos, NaN when se is unknown."""
    if not math.isfinite(se):
        return math.nan
    if math.isinf(crit):
        return math.inf
    return crit * se


def placebo_p(t_observed: float, t_placebo: Floats) -> float:
    """(1 + #{|t_placebo| >= |t_observed|}) / (1 + n): the randomisation p-value."""
    values = np.abs(t_placebo[~np.isnan(t_placebo)])
    if math.isnan(t_observed):
        return math.nan
    hits = int(np.sum(values >= abs(t_observed) * (1 - 1e-12)))
    return (1 + hits) / (1 + len(values))


def pre_trend_t(gaps: Floats, pre: Bools) -> Floats:
    """Per row: the t-statistic of the OLS slope of the gap on time over the pre periods."""
    valid = pre[None, :] & np.isfinite(gaps)
    x = np.broadcast_to(np.arange(gaps.shape[1], dtype=float), gaps.shape)
    v = valid.astype(float)
    n = v.sum(axis=1)
    safe_n = np.maximum(n, 1)
    xbar = (v * x).sum(axis=1) / safe_n
    g = np.nan_to_num(gaps)
    gbar = (v * g).sum(axis=1) / safe_n
    dx = (x - xbar[:, None]) * v
    sxx = (dx**2).sum(axis=1)
    safe_sxx = np.where(sxx > 0, sxx, 1.0)
    slope = (dx * (g - gbar[:, None])).sum(axis=1) / safe_sxx
    resid = v * (g - gbar[:, None] - slope[:, None] * (x - xbar[:, None]))
    sigma2 = (resid**2).sum(axis=1) / np.maximum(n - 2, 1)
    se = np.sqrt(sigma2 / safe_sxx)
    t = _studentize(slope, se)
    return np.where((n >= 3) & (sxx > 0), t, np.nan)


EVENT_COLUMNS = [
    "relatief",
    "periode",
    "periode_van",
    "periode_tot",
    "effect",
    "ci_low",
    "ci_high",
    "fase",
]


def event_frame(
    positions: Sequence[int],
    effects: Sequence[float],
    lows: Sequence[float],
    highs: Sequence[float],
    periods: Sequence[str],
    start_index: int,
) -> pd.DataFrame:
    """The event-study frame: one row per period of the panel's own granularity.

    ``relatief`` counts periods from the start (0 = the first period of the intervention);
    ``periode`` is the period's label (``periode_van``/``periode_tot`` repeat it, for readers of
    the older quarter bins); ``fase`` is "voor" or "na".
    """
    rows = [
        {
            "relatief": int(i) - start_index,
            "periode": periods[int(i)],
            "periode_van": periods[int(i)],
            "periode_tot": periods[int(i)],
            "effect": float(e),
            "ci_low": float(lo),
            "ci_high": float(hi),
            "fase": "voor" if int(i) < start_index else "na",
        }
        for i, e, lo, hi in zip(positions, effects, lows, highs, strict=True)
    ]
    return pd.DataFrame(rows, columns=EVENT_COLUMNS)


def _event_study(
    gaps: Floats,
    weights: Floats,
    pre: Bools,
    post: Bools,
    periods: Sequence[str],
    alpha: float,
    start_index: int,
) -> pd.DataFrame:
    """Per period: the gap minus the mean pre gap, with a studentized placebo interval.

    The standard error of a single period's coefficient is the variance of the periods of its
    phase (pre or post) plus that of the pre mean, as for the whole effect.
    """
    pre_mean, pre_var, pre_f = _mean_var(gaps, weights, pre)
    post_var = _mean_var(gaps, weights, post)[1]
    valid = (pre | post)[None, :] & np.isfinite(gaps)
    coef = np.where(valid, gaps, np.nan) - pre_mean[:, None]
    phase_var = np.where(pre[None, :], pre_var[:, None], post_var[:, None])
    se = np.sqrt(phase_var + (pre_var * pre_f)[:, None])
    positions, effects, lows, highs = [], [], [], []
    for i in np.flatnonzero(pre | post):
        if not np.isfinite(coef[0, i]):
            continue
        crit = critical_value(_studentize(coef[1:, i], se[1:, i]), alpha)
        half = _half_width(crit, float(se[0, i]))
        positions.append(int(i))
        effects.append(float(coef[0, i]))
        lows.append(float(coef[0, i]) - half)
        highs.append(float(coef[0, i]) + half)
    return event_frame(positions, effects, lows, highs, periods, start_index)


def row_effects(
    gaps: Floats, weights: Floats, pre: Bools, post: Bools
) -> tuple[Floats, Floats, Floats, Floats]:
    """Per row: effect (weighted mean post gap - pre gap), its se, the post weight, pre mean.

    The standard error comes from the row's own periods (Welch: the variance of the pre and of
    the post periods, each divided by its effective number of periods).
    """
    post_mean, post_var, post_f = _mean_var(gaps, weights, post)
    pre_mean, pre_var, pre_f = _mean_var(gaps, weights, pre)
    post_weight = np.where(post[None, :] & np.isfinite(gaps), weights, 0.0).sum(axis=1)
    return post_mean - pre_mean, np.sqrt(post_var * post_f + pre_var * pre_f), post_weight, pre_mean


def infer(
    gaps: Floats,
    weights: Floats,
    *,
    pre: Bools,
    post: Bools,
    periods: Sequence[str],
    alpha: float = 0.05,
    start_index: int | None = None,
) -> Inference:
    """Effect, interval, p-value, pre-trend test and event study of row 0 of ``gaps``.

    Parameters
    ----------
    gaps : (1 + placebos) x periods: group rate minus comparison rate; NaN where missing.
        Row 0 is the treated group, the other rows placebo groups.
    weights : same shape: the group's noemer per period (the contract weights periods by noemer).
    pre, post : boolean masks over the periods. start_index : position of the start period.

    Notes
    -----
    effect = weighted mean post gap - weighted mean pre gap (the difference-in-differences of
    the group against its comparison). Its standard error comes from the group's own
    gaps (Welch: the variance of the pre and of the post periods, each divided by its effective
    number of periods), so a small, noisy buurt and a large one are put on the same footing.
    The studentized effects t = effect / se of the placebo groups form the reference
    distribution: p = (1 + #{|t_placebo| >= |t|}) / (1 + placebos), and the 95% interval is
    effect +/- q * se, with q the critical |t| of the placebos (``critical_value``): the set
    of effects the same test would not reject (test inversion). Studentizing is what keeps
    the coverage honest when the treated buurten differ in size from the comparison buurten
    (Ferman and Pinto, 2019); the placebo quantile absorbs serial correlation and
    overdispersion that the simple standard error ignores.
    """
    effect, se, _, pre_mean = row_effects(gaps, weights, pre, post)
    t = _studentize(effect, se)
    placebo_t = t[1:][np.isfinite(effect[1:])]
    crit = critical_value(placebo_t, alpha)
    trend_t = pre_trend_t(gaps, pre)
    trend_p = (
        placebo_p(float(trend_t[0]), trend_t[1:][~np.isnan(trend_t[1:])])
        if np.isfinite(trend_t[0]) and len(trend_t) > 1
        else None
    )
    half = _half_width(crit, float(se[0]))
    return Inference(
        effect=float(effect[0]),
        se=float(se[0]),
        ci_low=float(effect[0]) - half,
        ci_high=float(effect[0]) + half,
        p_value=placebo_p(float(t[0]), placebo_t) if len(placebo_t) else math.nan,
        pre_trend_p=trend_p,
        n_placebos=len(placebo_t),
        pre_mean_gap=float(pre_mean[0]),
        event_study=_event_study(
            gaps,
            weights,
            pre,
            post,
            periods,
            alpha,
            int(np.argmax(post)) if start_index is None else start_index,
        ),
    )
