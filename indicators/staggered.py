"""Staggered starts: cohorts of treated buurten that start at different periods.

Method: a stacked difference-in-differences with never-treated comparison buurten only, which
is Callaway and Sant'Anna's (2021) estimator with the never-treated comparison group and the
whole pre period of each cohort as its base. Each cohort (the treated buurten that share a
start) is its own experiment: its summed rate against the comparison buurten, its own pre period
(everything before its start) and post period (its start to the end). Because no already-treated
buurt is ever a comparison, the "forbidden comparisons" that bias two-way fixed effects under
staggered adoption with changing effects (Goodman-Bacon 2021) cannot occur. The top-level
effect is the noemer-weighted mean of the cohort effects, weight = the cohort's noemer summed
over its post periods: the contract's "average over the post period, weighted by noemer", over
every treated buurt and period.

Inference on the aggregate:
- time series (``indicators.timeseries``): the aggregate is one linear form in the cohorts'
  residual series; its HAC variance includes their cross-autocovariances (they share the
  comparison series), with a t critical value; per cohort the same test on its own line;
- conformal: one hypothesis theta for all cohorts, each cohort's model refitted under it, the
  statistic summed over every cohort's post periods, and the same cyclic shift applied to all
  cohorts' residuals (they share the comparison series, so their dependence is kept);
- placebo: joint placebo draws (disjoint sets of the cohorts' sizes from the comparison
  buurten); the aggregate of each draw is studentized with se = sqrt(sum((W_g/W)^2 se_g^2)).
The event study is in calendar time (Callaway and Sant'Anna's calendar aggregation): per period
the noemer-weighted gap of the cohorts that have started (before the first start: of all).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from indicators._cohorts import (
    Cohort,
    conformal_events,
    shares_at,
    split_sets,
    timeseries_events,
)
from indicators._design import Design, prepare
from indicators._placebo import (
    Floats,
    Inference,
    critical_value,
    event_frame,
    infer,
    placebo_p,
    placebo_sets,
    pre_trend_t,
    row_effects,
)
from indicators.conformal import (
    conformal_effect,
    pre_gap,
    pre_trend_hac,
)
from indicators.did import (
    counterfactual,
    did_gaps,
    did_pair,
    group_size,
    resolve_inferentie,
    start_index,
)
from indicators.timeseries import hac_effect


def cohort_inference(
    cohort: Cohort, *, model: str, alpha: float, start_index: int, inferentie: str = "conformeel"
) -> Inference:
    """The cohort's own effect and interval (placebo rows when present, else ``inferentie``)."""
    design = cohort.design
    if inferentie == "tijdreeks":
        hac = hac_effect([cohort.pair], model=model, alpha=alpha)
        empty = event_frame([], [], [], [], design.periods, start_index)
        return Inference(
            hac.effect,
            hac.se,
            hac.ci_low,
            hac.ci_high,
            hac.p_value,
            None,
            0,
            0.0,
            empty,
            "tijdreeks",
        )
    if cohort.gaps is not None and cohort.weights is not None:
        return infer(
            cohort.gaps,
            cohort.weights,
            pre=design.pre,
            post=design.post,
            periods=design.periods,
            alpha=alpha,
            start_index=start_index,
        )
    test = conformal_effect([cohort.pair], model=model, alpha=alpha)
    empty = event_frame([], [], [], [], design.periods, start_index)
    return Inference(
        test.effect,
        math.nan,
        test.ci_low,
        test.ci_high,
        test.p_value,
        None,
        0,
        0.0,
        empty,
        "conformeel",
        test.n_permutations,
    )


def _combined_gap(cohorts: Sequence[Cohort], model: str) -> Floats:
    """The noemer-weighted gap of all cohorts over the periods before the first start."""
    common_pre = np.all([c.pair.pre for c in cohorts], axis=0)
    gaps = np.vstack([pre_gap(c.pair, model) for c in cohorts])
    w = np.vstack([np.where(common_pre, c.pair.w, 0.0) for c in cohorts])
    total = w.sum(axis=0)
    out: Floats = np.where(
        total > 0, (w * np.nan_to_num(gaps)).sum(axis=0) / np.where(total > 0, total, 1.0), np.nan
    )
    return out


def _placebo_aggregate(cohorts: Sequence[Cohort], alpha: float, start_index: int) -> Inference:
    """Aggregate effect of the joint placebo draws, studentized, and its calendar event study."""
    gaps = [c.gaps for c in cohorts if c.gaps is not None]
    weights = [c.weights for c in cohorts if c.weights is not None]
    parts = [
        row_effects(g, w, c.design.pre, c.design.post)
        for g, w, c in zip(gaps, weights, cohorts, strict=True)
    ]
    effects = np.vstack([p[0] for p in parts])
    ses = np.vstack([p[1] for p in parts])
    post_w = np.vstack([p[2] for p in parts])
    share = post_w / post_w.sum(axis=0)
    effect = (share * effects).sum(axis=0)
    se = np.sqrt((share**2 * ses**2).sum(axis=0))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, effect / se, np.nan)
    placebo_t = t[1:][np.isfinite(t[1:])]
    half = critical_value(placebo_t, alpha) * float(se[0])
    common_pre = np.all([c.design.pre for c in cohorts], axis=0)
    shares = np.vstack([shares_at(cohorts, i, common_pre) for i in range(len(common_pre))]).T
    # Calendar aggregate of every draw: the started cohorts' gaps, each minus its own pre mean.
    calendar = np.zeros_like(gaps[0])
    pooled = np.zeros_like(gaps[0])
    for s, g, p in zip(shares, gaps, parts, strict=True):
        calendar += s[None, :] * np.nan_to_num(g - p[3][:, None])
        pooled += s[None, :] * np.nan_to_num(g)
    counted = np.flatnonzero(shares.sum(axis=0) > 0)
    values = [float(calendar[0, i]) for i in counted]
    halves = [critical_value(calendar[1:, i], alpha) for i in counted]
    study = event_frame(
        counted.tolist(),
        values,
        [v - h for v, h in zip(values, halves, strict=True)],
        [v + h for v, h in zip(values, halves, strict=True)],
        cohorts[0].design.periods,
        start_index,
    )
    trend = pre_trend_t(np.where(common_pre[None, :], pooled, np.nan), common_pre)
    trend_p = placebo_p(float(trend[0]), trend[1:]) if np.isfinite(trend[0]) else None
    return Inference(
        float(effect[0]),
        float(se[0]),
        float(effect[0]) - half,
        float(effect[0]) + half,
        placebo_p(float(t[0]), placebo_t) if len(placebo_t) else math.nan,
        trend_p,
        len(placebo_t),
        0.0,
        study,
    )


def aggregate(
    cohorts: Sequence[Cohort],
    *,
    model: str,
    alpha: float,
    start_index: int,
    inferentie: str | None = None,
    t_bands: bool = True,
) -> tuple[Inference, list[dict[str, object]]]:
    """The aggregate inference over cohorts and the per-cohort results for ``cohorten``.

    ``inferentie``: "placebo", "conformeel" or "tijdreeks"; None: placebo when every cohort
    has placebo rows, else conformal. ``t_bands``: conformal event studies with too few pre
    periods get per-period t-bands (False for the synthetic control).
    """
    if inferentie is None:
        inferentie = "placebo" if all(c.gaps is not None for c in cohorts) else "conformeel"
    common_pre = np.all([c.pair.pre for c in cohorts], axis=0)
    if inferentie == "placebo":
        main = _placebo_aggregate(cohorts, alpha, start_index)
    elif inferentie == "tijdreeks":
        hac = hac_effect([c.pair for c in cohorts], model=model, alpha=alpha)
        main = Inference(
            hac.effect,
            hac.se,
            hac.ci_low,
            hac.ci_high,
            hac.p_value,
            pre_trend_hac(_combined_gap(cohorts, model), common_pre),
            0,
            0.0,
            timeseries_events(cohorts, model=model, alpha=alpha, start_index=start_index),
            "tijdreeks",
        )
    else:
        test = conformal_effect([c.pair for c in cohorts], model=model, alpha=alpha)
        main = Inference(
            test.effect,
            math.nan,
            test.ci_low,
            test.ci_high,
            test.p_value,
            pre_trend_hac(_combined_gap(cohorts, model), common_pre),
            0,
            0.0,
            conformal_events(
                cohorts, model=model, alpha=alpha, start_index=start_index, t_bands=t_bands
            ),
            "conformeel",
            test.n_permutations,
        )
    listed: list[dict[str, object]] = []
    for cohort in cohorts:
        own = cohort_inference(
            cohort, model=model, alpha=alpha, start_index=start_index, inferentie=inferentie
        )
        listed.append(
            {
                "start": cohort.start,
                "behandeld": list(cohort.codes),
                "effect": own.effect,
                "ci_low": own.ci_low,
                "ci_high": own.ci_high,
                "p_value": own.p_value,
                "pre_perioden": int(cohort.design.pre.sum()),
                "post_perioden": int(cohort.design.post.sum()),
            }
        )
    return main, listed


def estimate_cohorts(
    panel: pd.DataFrame,
    groups: list[tuple[str, list[str]]],
    design: Design,
    *,
    model: str,
    inferentie: str,
    max_placebos: int,
    alpha: float,
) -> tuple[Inference, Floats, list[dict[str, object]]]:
    """Each start's design against the never-treated comparison, and the aggregate.

    Returns the aggregate inference (placebo with joint draws, the time-series t-test or
    conformal inference, as ``resolve_inferentie`` picks for the first start's periods), the
    counterfactual path of all treated together, and the per-cohort results (``cohorten``).
    """
    designs = [
        prepare(
            panel,
            treated=codes,
            controls=list(design.controls.codes),
            ring=list(design.ring.codes),
            start=s,
            end=design.periods[-1],
            schaal=design.schaal,
        )
        for s, codes in groups
    ]
    sizes = [group_size(d.treated) for d in designs]
    sets = placebo_sets(len(design.controls.codes), sum(sizes), max_sets=max_placebos)
    # auto: the periods that count before the first start and from it, as for one group.
    chosen = resolve_inferentie(
        inferentie, len(sets), alpha, n_pre=int(design.pre.sum()), n_post=int(design.post.sum())
    )
    placebo = chosen == "placebo"
    members = []
    for (s, codes), d, chunk in zip(groups, designs, split_sets(sets, sizes), strict=True):
        gaps = weights = None
        if placebo:
            teller, noemer = d.treated.total()
            gaps, weights, _ = did_gaps(
                teller, noemer, d.controls, chunk, pre=d.pre, schaal=d.schaal, model=model
            )
        members.append(Cohort(s, codes, d, did_pair(d.treated, d), gaps, weights))
    main, listed = aggregate(
        members, model=model, alpha=alpha, start_index=start_index(design), inferentie=chosen
    )
    # The counterfactual of all treated together: each cohort's path, weighted by its noemer.
    paths, noemers = [], []
    for member in members:
        cohort_gap = float(
            (member.pair.w * np.nan_to_num(member.pair.y1 - member.pair.y0))[member.pair.pre].sum()
        )
        pre_w = float(member.pair.w[member.pair.pre].sum())
        paths.append(
            counterfactual(
                member.design.treated,
                member.design,
                model,
                cohort_gap / pre_w if pre_w > 0 else math.nan,
            )
        )
        noemers.append(member.design.treated.total()[1])
    n = np.vstack(noemers)
    path = np.where(
        n.sum(axis=0) > 0,
        (n * np.vstack(paths)).sum(axis=0) / np.maximum(n.sum(axis=0), 1e-300),
        np.nan,
    )
    return main, path, listed
