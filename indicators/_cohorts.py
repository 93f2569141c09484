"""Cohorts of a staggered roll-out and their calendar event study (used by ``indicators.staggered``
and ``indicators.synth``).

Pure: arrays in, frames out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from indicators._design import Design
from indicators._placebo import Floats, event_frame
from indicators.conformal import Pair, invert, residual_coefficients
from indicators.timeseries import pointwise_hac


@dataclass(frozen=True)
class Cohort:
    """One start: its codes, its design, and what the inference needs.

    ``pair``: the cohort's rate against its comparison series (for conformal inference);
    ``gaps``/``weights``: its placebo gap matrix, row 0 the cohort and row i the cohort's share
    of joint placebo draw i (None under conformal inference).
    """

    start: str
    codes: list[str]
    design: Design
    pair: Pair
    gaps: Floats | None = None
    weights: Floats | None = None


def split_sets(sets: np.ndarray, sizes: Sequence[int]) -> list[np.ndarray]:
    """Cut joint placebo draws (rows of distinct comparison indices) into one set per cohort."""
    bounds = np.cumsum([0, *sizes])
    return [sets[:, bounds[i] : bounds[i + 1]] for i in range(len(sizes))]


def shares_at(cohorts: Sequence[Cohort], t: int, common_pre: np.ndarray) -> Floats:
    """Each cohort's share of period t in the calendar aggregate (0 when it does not count)."""
    if common_pre[t]:
        take = np.array([c.pair.pre[t] for c in cohorts])
    else:
        take = np.array([c.pair.post[t] for c in cohorts])
    w = np.array([c.pair.w[t] for c in cohorts]) * take
    out: Floats = w / w.sum() if w.sum() > 0 else w
    return out


def conformal_events(
    cohorts: Sequence[Cohort], *, model: str, alpha: float, start_index: int, t_bands: bool
) -> pd.DataFrame:
    """Calendar event study with pointwise conformal intervals.

    For period t each counted cohort is refitted on its pre periods plus t under theta_t; the
    share-weighted residual of t is ranked among those of the periods before the first start.
    With too few of those for a finite interval (1/alpha - 1), the per-period t-intervals of
    ``timeseries_events`` instead (``t_bands``; not for the synthetic control).
    """
    common_pre = np.all([c.pair.pre for c in cohorts], axis=0)
    calibration = np.flatnonzero(common_pre)
    if t_bands and len(calibration) < math.ceil(1 / alpha - 1e-9) - 1:
        return timeseries_events(cohorts, model=model, alpha=alpha, start_index=start_index)
    rows: list[tuple[int, float, float, float]] = []
    for t in np.flatnonzero(np.any([c.pair.valid for c in cohorts], axis=0)):
        shares = shares_at(cohorts, int(t), common_pre)
        if shares.sum() <= 0:
            continue
        order = np.concatenate([[t], calibration[calibration != t]])
        c = np.zeros(len(order))
        d = np.zeros(len(order))
        for share, cohort in zip(shares, cohorts, strict=True):
            if share == 0:
                continue
            test = np.zeros_like(cohort.pair.pre)
            test[t] = True
            a, b = residual_coefficients(cohort.pair, cohort.pair.pre | test, test, model)
            c += share * a[order]
            d += share * b[order]
        if not (np.isfinite(c).all() and d[0] != 0):
            continue
        low, high = invert(c, d, np.ones_like(c), alpha)
        rows.append((int(t), -c[0] / d[0], low, high))
    return event_frame(
        [r[0] for r in rows],
        [r[1] for r in rows],
        [r[2] for r in rows],
        [r[3] for r in rows],
        cohorts[0].design.periods,
        start_index,
    )


def timeseries_events(
    cohorts: Sequence[Cohort], *, model: str, alpha: float, start_index: int
) -> pd.DataFrame:
    """Calendar event study with per-period HAC t-intervals (the cohorts' shares per period)."""
    common_pre = np.all([c.pair.pre for c in cohorts], axis=0)
    t = len(common_pre)
    shares = np.vstack([shares_at(cohorts, i, common_pre) for i in range(t)]).T
    effect, low, high = pointwise_hac([c.pair for c in cohorts], shares, model=model, alpha=alpha)
    shown = np.flatnonzero(np.isfinite(effect))
    return event_frame(
        shown.tolist(),
        effect[shown].tolist(),
        low[shown].tolist(),
        high[shown].tolist(),
        cohorts[0].design.periods,
        start_index,
    )
