"""Synthetic control, the second effect method (``methode="synth"``).

The treated buurten (as one area) get a synthetic twin: a convex combination of the comparison
buurten (weights >= 0 summing to 1, ``indicators.synth_weights``), fitted as Abadie, Diamond and
Hainmueller (2010) do: on the treated group's pre-period rate *levels*, every pre period, and,
when ``predictors`` are given, on predictors with the V matrix chosen by the pre-period fit.
The gap is the treated rate minus the twin's; the effect, as in the contract, is the
noemer-weighted mean post gap minus the mean pre gap (so a twin that cannot reach the treated
group's level, common for buurten chosen for being bad, still gives a difference-in-differences
against a well-shaped comparison). Checked against pysyncon on Prop 99 (tests).

Inference (``inferentie``, as for ``estimate_effect``):
- placebo-in-space: every placebo group (the same number of comparison buurten, at most
  ``MAX_SYNTH_PLACEBOS``) gets its own twin from the remaining comparison buurten; the interval
  and ``p_value`` come from the studentized placebo effects (``indicators._placebo.infer``), and
  Abadie's RMSPE-ratio rank is reported beside them as ``p_rmspe``;
- conformal (``indicators.conformal``): under each hypothesised effect the twin's weights are
  refitted on all periods, with an intercept (the demeaned synthetic control, which matches the
  "post gap minus pre gap" estimand), and the interval is found by bisection on the p-value. The
  pointwise intervals of the event study keep the pre-period weights and refit only the level.
With one comparison unit (the published "controle" line) the twin is that unit and the method is
the additive difference-in-differences.

Measured in bench/effects_simulation.py; see docs/methoden.md.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from geo.errors import InputError
from indicators._cohorts import Cohort, split_sets
from indicators._design import Design, Start, cohorts, prepare
from indicators._placebo import Bools, Floats, Inference, Wide, infer, placebo_p, placebo_sets, rate
from indicators.conformal import (
    Pair,
    block_permutations,
    iid_permutations,
    invert_numeric,
    p_values,
    window_sums,
)
from indicators.did import (
    check_options,
    conformal_inference,
    group_size,
    resolve_inferentie,
    start_index,
)
from indicators.effects import EffectResult, assemble, check_counts
from indicators.staggered import aggregate
from indicators.synth_weights import Donors, predictor_rows, scaled_weights, synth_weights

MAX_SYNTH_PLACEBOS = 200


def _gaps(
    donors: Donors, group: Wide, sets: np.ndarray, with_x: bool
) -> tuple[Floats, Floats, Floats, Floats]:
    """Gap matrix of the group (row 0) and its placebo groups, each against its own twin.

    Returns (gaps, noemer weights, the group's twin path, the group's donor weights).
    """
    design = donors.design
    teller, noemer = group.total()
    own = rate(teller, noemer, design.schaal)
    everyone = np.arange(len(design.controls.codes))
    target_x = predictor_rows(group, None, own, donors.predictors, donors.spans) if with_x else None
    path, weights = donors.fit(own, everyone, target_x)
    gaps, group_noemer = [own - path], [noemer]
    for members in sets:
        set_n = design.controls.noemer[members].sum(axis=0)
        target = rate(design.controls.teller[members].sum(axis=0), set_n, design.schaal)
        rest = np.setdiff1d(everyone, members, assume_unique=True)
        twin, _ = donors.fit(target, rest, donors.x(members) if with_x else None)
        gaps.append(target - twin)
        group_noemer.append(set_n)
    return np.vstack(gaps), np.vstack(group_noemer), path, weights


def rmspe_p(gaps: Floats, pre: Bools, post: Bools) -> float | None:
    """Abadie's placebo p-value: rank of row 0's post/pre RMSPE ratio (demeaned gaps)."""
    ok = np.isfinite(gaps)
    n_pre = (ok & pre).sum(axis=1)
    n_post = (ok & post).sum(axis=1)
    g = np.where(ok, gaps, 0.0)
    level = (g * pre).sum(axis=1) / np.maximum(n_pre, 1)
    dev = np.where(ok, (g - level[:, None]) ** 2, 0.0)
    before = np.sqrt((dev * pre).sum(axis=1) / np.maximum(n_pre, 1))
    after = np.sqrt((dev * post).sum(axis=1) / np.maximum(n_post, 1))
    valid = (n_pre > 1) & (n_post > 0) & (before > 0)
    ratio = np.where(valid, after / np.where(before > 0, before, 1.0), np.nan)
    if len(ratio) < 2 or not valid[0]:
        return None
    # Ratios are positive: a larger ratio is more extreme (one-sided, as Abadie).
    return placebo_p(float(ratio[0]), ratio[1:])


def _refit_pvalue(
    pair: Pair, donors: Floats, alpha: float, model: str
) -> tuple[float, float, float, int]:
    """Conformal test with the twin refitted under each hypothesis on all periods (ADH's with an
    intercept, or the scaled twin), residuals demeaned.

    Returns (ci_low, ci_high, p at 0, permutations).
    """
    valid = pair.valid & np.isfinite(donors).all(axis=1)
    n = int(valid.sum())
    perms = block_permutations(n) if n >= math.ceil(1 / alpha) else iid_permutations(n)
    w = pair.w[valid]
    post = pair.post[valid]

    def pvalue(theta: float) -> float:
        y = pair.y1[valid] - theta * post
        x = donors[valid]
        if model == "relatief":
            u = y - x @ scaled_weights(y, x, weights=w)
        else:
            u = y - x @ synth_weights(y, x, intercept=True, weights=w)
        u = u - float((w * u).sum() / w.sum())
        c, d, big_d = window_sums(u[None, :], np.zeros((1, n)), w[None, :], post[None, :], perms)
        return float(p_values(c, d, big_d, np.array([0.0]))[0])

    gap = pair.y1 - pair.y0
    pre_gap = gap[pair.pre & np.isfinite(gap)]
    estimate = float((pair.w * np.nan_to_num(gap))[pair.post].sum() / pair.w[pair.post].sum())
    estimate -= float((pair.w * np.nan_to_num(gap))[pair.pre].sum() / pair.w[pair.pre].sum())
    spread = float(np.std(pre_gap)) if len(pre_gap) > 1 else 0.0
    scale = max(spread * math.sqrt(1 / max(len(pre_gap), 1) + 1 / max(int(post.sum()), 1)), 1e-9)
    low, high = invert_numeric(pvalue, estimate, scale, alpha)
    return low, high, pvalue(0.0), len(perms)


def _twin_pair(design: Design, group: Wide, path: Floats) -> Pair:
    """The group's rate against its synthetic twin's ``path``, weighted by noemer in the
    periods where both are seen."""
    teller, noemer = group.total()
    seen = (noemer > 0) & np.isfinite(path)
    return Pair(
        rate(teller, noemer, design.schaal),
        path,
        np.where(seen, noemer, 0.0),
        design.pre & seen,
        design.post & seen,
    )


def _synth_group(
    donors: Donors, group: Wide, *, inferentie: str, max_placebos: int, alpha: float, with_x: bool
) -> tuple[Inference, Floats, Floats, float | None]:
    """The group's synth estimate with placebo or conformal inference."""
    design = donors.design
    sets = placebo_sets(len(design.controls.codes), group_size(group), max_sets=max_placebos)
    if resolve_inferentie(inferentie, len(sets), alpha, tijdreeks=False) == "placebo":
        gaps, weights, path, donor_w = _gaps(donors, group, sets, with_x)
        main = infer(
            gaps,
            weights,
            pre=design.pre,
            post=design.post,
            periods=design.periods,
            alpha=alpha,
            start_index=start_index(design),
        )
        return main, path, donor_w, rmspe_p(gaps, design.pre, design.post)
    _, _, path, donor_w = _gaps(donors, group, sets[:0], with_x)
    pair = _twin_pair(design, group, path)
    main = conformal_inference(pair, design, model="additief", alpha=alpha, t_bands=False)
    if len(donor_w) > 1:
        low, high, p, n_perm = _refit_pvalue(pair, donors.rates, alpha, donors.model)
        main = dataclasses.replace(main, ci_low=low, ci_high=high, p_value=p, n_permutations=n_perm)
    return main, path, donor_w, None


def estimate_synth(
    panel: pd.DataFrame,
    *,
    treated: Sequence[str],
    controls: Sequence[str],
    ring: Sequence[str] = (),
    start: Start,
    end: str | None = None,
    eenheid: str,
    schaal: float,
    model: str = "relatief",
    inferentie: str = "auto",
    predictors: pd.DataFrame | None = None,
    outcome_predictors: Sequence[tuple[str, str]] = (),
    effort: pd.DataFrame | None = None,
    hoger_is_slechter: bool = True,
    interventie: str = "",
    indicator: str = "",
    alpha: float = 0.05,
    max_placebos: int = MAX_SYNTH_PLACEBOS,
    ring_buurten: int | None = None,
) -> EffectResult:
    """Synthetic-control estimate of an intervention's effect (``methode="synth"``).

    Parameters
    ----------
    panel, treated, controls, ring, start, end, eenheid, schaal, inferentie, effort,
    hoger_is_slechter, alpha, ring_buurten : as ``indicators.effects.estimate_effect``;
        ``inferentie`` is "auto", "placebo" or "conformeel" (the time-series t-test is DiD's).
    predictors : optional frame ``code`` + numeric columns (key figures such as inwoners,
        woningen, WOZ, uitkeringen; intensive measures compare best, since the treated group's
        value is the noemer-weighted mean of its buurten). With predictors, V is chosen by the
        pre-period fit (ADH's nested optimisation).
    outcome_predictors : spans (first, last) of pre periods whose mean rate is a predictor;
        with ``predictors`` and no spans, the mean over the whole pre period.

    Returns
    -------
    EffectResult with ``methode="synth"``, ``model="additief"`` (the twin is in levels),
    ``weights`` the twin's weight per comparison code (those above 0.001), ``p_rmspe`` Abadie's
    RMSPE-ratio p-value (placebo inference only).
    """
    check_options(model, inferentie, ("auto", "placebo", "conformeel"))
    check_counts(ring_buurten=ring_buurten)
    if model == "relatief" and (predictors is not None or outcome_predictors):
        raise InputError(
            "Voorspellers (predictors) horen bij de klassieke synthetische controle: "
            "kies model='additief'."
        )
    groups = cohorts(start, treated)
    design = prepare(
        panel,
        treated=treated,
        controls=controls,
        ring=ring,
        start=groups[0][0],
        end=end,
        schaal=schaal,
    )
    with_x = predictors is not None or bool(outcome_predictors)
    options: dict[str, Any] = {
        "inferentie": inferentie,
        "max_placebos": max_placebos,
        "alpha": alpha,
        "with_x": with_x,
    }
    donors = Donors(design, predictors, _spans(design, outcome_predictors, predictors), model)
    listed: list[dict[str, object]] = []
    if len(groups) > 1:
        main, path, donor_w, p_rmspe, listed = _staggered(panel, groups, design, donors, **options)
    else:
        main, path, donor_w, p_rmspe = _synth_group(donors, design.treated, **options)
    has_ring = design.ring.noemer.sum() > 0
    waterbed = _synth_group(donors, design.ring, **options)[0] if has_ring else None
    result = assemble(
        design,
        main,
        waterbed,
        methode="synth",
        counterfactual=path + main.pre_mean_gap,
        eenheid=eenheid,
        effort=effort,
        hoger_is_slechter=hoger_is_slechter,
        labels=(interventie, indicator),
        counts=(ring_buurten, None),
    )
    weights = {
        code: round(float(w), 4)
        for code, w in zip(design.controls.codes, donor_w, strict=True)
        if w > 0.001
    }
    return dataclasses.replace(
        result, weights=weights, p_rmspe=p_rmspe, model=model, cohorten=listed
    )


def _spans(
    design: Design, spans: Sequence[tuple[str, str]], predictors: pd.DataFrame | None
) -> list[Bools]:
    periods = np.array(design.periods)
    if predictors is not None and not spans:
        return [design.pre.copy()]
    return [design.pre & (periods >= first) & (periods <= last) for first, last in spans]


def _staggered(
    panel: pd.DataFrame,
    groups: list[tuple[str, list[str]]],
    design: Design,
    donors: Donors,
    *,
    inferentie: str,
    max_placebos: int,
    alpha: float,
    with_x: bool,
) -> tuple[Inference, Floats, Floats, float | None, list[dict[str, object]]]:
    """Per cohort a twin from the never-treated comparison buurten; the aggregate as for DiD.

    Conformal inference on the aggregate keeps each cohort's pre-period weights (a joint refit
    of every cohort's twin under each hypothesis is left out for speed).
    """
    sizes, members, paths, noemers = [], [], [], []
    for s, codes in groups:
        d = prepare(
            panel,
            treated=codes,
            controls=list(design.controls.codes),
            ring=[],
            start=s,
            end=design.periods[-1],
            schaal=design.schaal,
        )
        sizes.append(group_size(d.treated))
        members.append(d)
    sets = placebo_sets(len(design.controls.codes), sum(sizes), max_sets=max_placebos)
    placebo = resolve_inferentie(inferentie, len(sets), alpha, tijdreeks=False) == "placebo"
    fitted: list[Cohort] = []
    weights_sum = np.zeros(len(design.controls.codes))
    for (s, codes), d, chunk in zip(groups, members, split_sets(sets, sizes), strict=True):
        spans = _spans(d, (), donors.predictors) if with_x else []
        own = Donors(d, donors.predictors, spans, donors.model)
        gaps, weights, path, donor_w = _gaps(
            own, d.treated, chunk if placebo else chunk[:0], with_x
        )
        pair = _twin_pair(d, d.treated, path)
        noemer = d.treated.total()[1]
        fitted.append(
            Cohort(s, codes, d, pair, gaps if placebo else None, weights if placebo else None)
        )
        gap = np.nan_to_num(pair.y1 - path)
        pre_gap = float((pair.w * gap)[pair.pre].sum() / max(float(pair.w[pair.pre].sum()), 1e-300))
        paths.append(path + pre_gap)
        noemers.append(noemer)
        weights_sum += donor_w * float(pair.w[pair.post].sum())
    main, listed = aggregate(
        fitted,
        model="additief",
        alpha=alpha,
        start_index=start_index(design),
        inferentie="placebo" if placebo else "conformeel",
        t_bands=False,
    )
    n = np.vstack(noemers)
    counterfactual = (n * np.nan_to_num(np.vstack(paths))).sum(axis=0) / np.maximum(
        n.sum(axis=0), 1e-300
    )
    return main, counterfactual, weights_sum / max(float(weights_sum.sum()), 1e-300), None, listed
