"""Difference-in-differences for one group of buurten: gaps, and the inference on them.

The group (treated buurten, or the ring) is one area: teller and noemer summed. Its
counterfactual is the comparison buurten' rate, scaled to the group's pre-period level
(``model="relatief"``: kappa x comparison rate, kappa the noemer-weighted ratio before the start)
or shifted to it (``"additief"``). Which inference judges the gap (``resolve_inferentie``):
placebo-in-space when the comparison buurten give at least 1/alpha - 1 distinct placebo groups
of the group's size (19 for a 5% test). Otherwise only the two series are there (the product's
published lines have one comparison unit), and ``auto`` chooses between the time-series t-test
(``indicators.timeseries``: the gap's HAC variance over the periods) and conformal inference
over time (``indicators.conformal``) by the length of the series. Conformal inference compares
the post stretch with rearrangements of the residuals: with fewer than 1/alpha counted periods
(20) it draws random permutations, and when those give at least ``MIN_ARRANGEMENTS`` distinct
post sets (n choose T1) it had 4-10 points more power than the t-test in the simulation study
on the product path, with the same coverage; from 20 periods on it can only use the n cyclic
shifts, a p-value in steps of 1/n, and the t-test had far more power (and where the post sets
are too few, conformal intervals are infinite). So: conformal for short series with enough
arrangements, the t-test otherwise (bench/effects_simulation.py, docs/methoden.md).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from geo.errors import InputError
from indicators._design import Design
from indicators._placebo import (
    Bools,
    Floats,
    Inference,
    Wide,
    event_frame,
    infer,
    placebo_sets,
    rate,
)
from indicators.conformal import Pair, conformal_effect, pointwise, pre_gap, pre_trend_hac
from indicators.timeseries import hac_effect, pointwise_hac

MODELS = ("relatief", "additief")
INFERENTIES = ("auto", "placebo", "conformeel", "tijdreeks")
# ``auto`` with fewer than 1/alpha counted periods takes conformal inference when the random
# permutations give at least this many distinct post sets (n choose T1); see the module notes.
MIN_ARRANGEMENTS = 100


def check_options(model: str, inferentie: str, allowed: tuple[str, ...] = INFERENTIES) -> None:
    """Raise InputError for an unknown model or inference."""
    if model not in MODELS:
        raise InputError(f"Onbekend model {model!r}; kies 'relatief' of 'additief'.")
    if inferentie not in allowed:
        names = ", ".join(f"'{a}'" for a in allowed[:-1]) + f" of '{allowed[-1]}'"
        raise InputError(f"Onbekende inferentie {inferentie!r}; kies {names}.")


def min_placebos(alpha: float) -> int:
    """Placebo groups needed before a test at level alpha can reject: 1/alpha - 1 (19 at 5%)."""
    return math.ceil(1 / alpha - 1e-9) - 1


def group_size(group: Wide) -> int:
    """Buurten of the group with any data."""
    return int((group.noemer.sum(axis=1) > 0).sum())


def resolve_inferentie(
    inferentie: str,
    n_sets: int,
    alpha: float,
    *,
    n_pre: int = 0,
    n_post: int = 0,
    tijdreeks: bool = True,
) -> str:
    """The inference ``auto`` stands for; any other choice as given.

    ``auto``: placebo when there are enough placebo groups (``min_placebos``). Otherwise, with
    ``n_pre`` and ``n_post`` counted periods: conformal inference when n = n_pre + n_post is
    below ceil(1/alpha) (its random-permutation regime) and n choose n_post reaches
    ``MIN_ARRANGEMENTS``, or when the t-test is not allowed (``tijdreeks=False``: the synthetic
    control does not have it) or not possible; else the time-series t-test.
    """
    if inferentie != "auto":
        return inferentie
    if n_sets >= min_placebos(alpha):
        return "placebo"
    n = n_pre + n_post
    short = n < math.ceil(1 / alpha - 1e-9) and math.comb(n, n_post) >= MIN_ARRANGEMENTS
    if not tijdreeks or short or n_pre < 1 or n_post < 1 or n < 3:
        return "conformeel"
    return "tijdreeks"


def scale_to_pre(group: Floats, comparison: Floats, weights: Floats, pre: Bools) -> Floats:
    """Per row: kappa = sum_pre(w * group) / sum_pre(w * comparison), the level ratio before.

    Multiplying the comparison's rates by kappa gives the counterfactual of the relative model
    (NaN where the comparison had no events before the start).
    """
    valid = pre & np.isfinite(group) & np.isfinite(comparison)
    w = np.where(valid, weights, 0.0)
    top = (w * np.nan_to_num(group)).sum(axis=-1)
    bottom = (w * np.nan_to_num(comparison)).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa: Floats = np.where(bottom > 0, top / np.where(bottom > 0, bottom, 1.0), np.nan)
    return kappa


def did_gaps(
    teller: Floats,
    noemer: Floats,
    controls: Wide,
    sets: np.ndarray,
    *,
    pre: Bools,
    schaal: float,
    model: str = "relatief",
) -> tuple[Floats, Floats, float]:
    """Gap matrix for a group and its placebo groups (rows of ``sets``, indices of controls).

    Row 0: the group against all controls; row i: placebo group i against the controls
    outside it. The gap is the group's rate minus the comparison's rate, the latter scaled to
    the group's pre-period level (``model="relatief"``) or not (``"additief"``). Returns
    (gaps, weights, kappa of row 0); weights are each group's noemer.
    """
    total_t, total_n = controls.total()
    set_t = controls.teller[sets].sum(axis=1)
    set_n = controls.noemer[sets].sum(axis=1)
    groups = np.vstack([rate(teller, noemer, schaal), rate(set_t, set_n, schaal)])
    comparisons = np.vstack(
        [rate(total_t, total_n, schaal), rate(total_t - set_t, total_n - set_n, schaal)]
    )
    weights = np.vstack([noemer, set_n])
    if model == "relatief":
        kappa = scale_to_pre(groups, comparisons, weights, pre)
    elif model == "additief":
        kappa = np.ones(len(groups))
    else:
        raise InputError(f"Onbekend model {model!r}; kies 'relatief' of 'additief'.")
    return groups - kappa[:, None] * comparisons, weights, float(kappa[0])


def counterfactual(group: Wide, design: Design, model: str, pre_mean_gap: float) -> Floats:
    """The group's counterfactual rate path: kappa x comparison rate (+ the pre gap if additive)."""
    comparison = rate(*design.controls.total(), design.schaal)
    if model == "additief":
        out: Floats = comparison + pre_mean_gap
        return out
    teller, noemer = group.total()
    kappa = scale_to_pre(rate(teller, noemer, design.schaal), comparison, noemer, design.pre)
    return float(kappa) * comparison


def did_pair(group: Wide, design: Design, comparison: Floats | None = None) -> Pair:
    """The group's rate against the comparison's (all controls summed, or ``comparison``)."""
    teller, noemer = group.total()
    y0 = rate(*design.controls.total(), design.schaal) if comparison is None else comparison
    seen = (noemer > 0) & np.isfinite(y0)
    return Pair(
        y1=rate(teller, noemer, design.schaal),
        y0=y0,
        w=np.where(seen, noemer, 0.0),
        pre=design.pre & seen,
        post=design.post & seen,
    )


def start_index(design: Design) -> int:
    """Position of the start period in the design's grid (the number of periods before it)."""
    return int(np.searchsorted(np.array(design.periods), design.start)) if design.start else 0


def conformal_inference(
    pair: Pair,
    design: Design,
    *,
    model: str,
    alpha: float,
    permutaties: str = "auto",
    t_bands: bool = True,
) -> Inference:
    """Effect, conformal interval, p-value, HAC pre-trend test and per-period intervals.

    Pointwise conformal intervals need ``min_placebos(alpha)`` pre periods (19) to be finite;
    with fewer the event study gets the per-period t-intervals of ``timeseries_inference``
    (``t_bands``; the synthetic control, whose fitted weights those bands would ignore, keeps
    its infinite pointwise intervals).
    """
    test = conformal_effect([pair], model=model, alpha=alpha, permutaties=permutaties)
    gap = pre_gap(pair, model)
    w = np.where(pair.pre, pair.w, 0.0)
    raw = pair.y1 - (pair.y0 if model == "additief" else 0.0)
    pre_mean = float((w * np.nan_to_num(raw)).sum() / w.sum()) if w.sum() > 0 else math.nan
    if int(pair.pre.sum()) >= min_placebos(alpha) or not t_bands:
        points = pointwise(pair, model=model, alpha=alpha)
        study = event_frame(
            points["index"].tolist(),
            points["effect"].tolist(),
            points["ci_low"].tolist(),
            points["ci_high"].tolist(),
            design.periods,
            start_index(design),
        )
    else:
        study = _timeseries_study(pair, design, model=model, alpha=alpha)
    return Inference(
        effect=test.effect,
        se=math.nan,
        ci_low=test.ci_low,
        ci_high=test.ci_high,
        p_value=test.p_value,
        pre_trend_p=pre_trend_hac(gap, pair.pre),
        n_placebos=0,
        pre_mean_gap=pre_mean if model == "additief" else 0.0,
        event_study=study,
        inferentie="conformeel",
        n_permutations=test.n_permutations,
    )


def _timeseries_study(pair: Pair, design: Design, *, model: str, alpha: float) -> pd.DataFrame:
    """The event study with per-period HAC t-intervals, pre and post (``pointwise_hac``)."""
    effect, low, high = pointwise_hac(
        [pair], pair.valid[None, :].astype(float), model=model, alpha=alpha
    )
    shown = np.flatnonzero(np.isfinite(effect))
    return event_frame(
        shown.tolist(),
        effect[shown].tolist(),
        low[shown].tolist(),
        high[shown].tolist(),
        design.periods,
        start_index(design),
    )


def timeseries_inference(pair: Pair, design: Design, *, model: str, alpha: float) -> Inference:
    """Effect, HAC t-interval, p-value, HAC pre-trend test and per-period t-intervals."""
    test = hac_effect([pair], model=model, alpha=alpha)
    study = _timeseries_study(pair, design, model=model, alpha=alpha)
    w = np.where(pair.pre, pair.w, 0.0)
    raw = pair.y1 - pair.y0
    pre_mean = float((w * np.nan_to_num(raw)).sum() / w.sum()) if w.sum() > 0 else math.nan
    return Inference(
        effect=test.effect,
        se=test.se,
        ci_low=test.ci_low,
        ci_high=test.ci_high,
        p_value=test.p_value,
        pre_trend_p=pre_trend_hac(pre_gap(pair, model), pair.pre),
        n_placebos=0,
        pre_mean_gap=pre_mean if model == "additief" else 0.0,
        event_study=study,
        inferentie="tijdreeks",
    )


def did_inference(
    group: Wide,
    design: Design,
    *,
    model: str,
    inferentie: str,
    max_placebos: int,
    alpha: float,
) -> Inference:
    """The group's DiD effect with the inference ``resolve_inferentie`` picks."""
    sets = placebo_sets(len(design.controls.codes), group_size(group), max_sets=max_placebos)
    pair = did_pair(group, design)
    chosen = resolve_inferentie(
        inferentie, len(sets), alpha, n_pre=int(pair.pre.sum()), n_post=int(pair.post.sum())
    )
    if chosen == "conformeel":
        return conformal_inference(pair, design, model=model, alpha=alpha)
    if chosen == "tijdreeks":
        return timeseries_inference(pair, design, model=model, alpha=alpha)
    teller, noemer = group.total()
    gaps, weights, _ = did_gaps(
        teller, noemer, design.controls, sets, pre=design.pre, schaal=design.schaal, model=model
    )
    return infer(
        gaps,
        weights,
        pre=design.pre,
        post=design.post,
        periods=design.periods,
        alpha=alpha,
        start_index=start_index(design),
    )
