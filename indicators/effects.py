"""Effect of an intervention on an indicator: difference-in-differences, any period, any size.

Definition (CONTRACT.md): the effect is the average over the post periods of the treated buurten'
rate minus their counterfactual rate, weighted by noemer, in the catalogue's unit per period of
the panel (month, quarter or year); negative means lower than it would have been.
Rate = teller / noemer * schaal.

Model (``model``). The treated buurten are taken together as one area (teller and noemer
summed, so each buurt counts by its noemer), likewise the comparison buurten. ``"relatief"``
(the default): the counterfactual of a period is the comparison buurten' rate that period times
kappa, the noemer-weighted ratio of the two before the start. That is the two-way fixed effects
model of counts (Poisson: buurt and period effects multiply), so a season or a city-wide trend
moves a buurt at three times the average three times as much. ``"additief"``: the treated
pre-level plus the comparison buurten' change (linear two-way fixed effects; on a balanced panel
exactly the TWFE coefficient). The additive model is biased where rates share a multiplicative
trend: with 5% common growth a year it was off by a quarter of the effect and covered the truth
in under 80% of simulated runs. The effect is the noemer-weighted mean post gap (treated minus
counterfactual) minus the mean pre gap (zero for the relative model).

Inference (``inferentie``). ``"placebo"``: placebo groups of the treated group's size, drawn from
the comparison buurten and compared with the remaining ones, give the reference distribution of
the studentized effect (``indicators._placebo.infer``). ``"conformeel"``: conformal inference over
time (Chernozhukov, Wüthrich and Zhu 2021; ``indicators.conformal``), which needs only the
treated and the comparison series, so it works with one comparison unit (the published group
lines) and a handful of comparison buurten. ``"auto"`` (default): placebo when there are at
least 19 distinct placebo groups (what a 5% test needs), else conformal. The result's
``inferentie`` says which one gave the interval.

Staggered starts: ``start`` may map each treated code to its own start; the cohorts are then
estimated as in ``indicators.staggered`` (a stacked DiD with never-treated comparison buurten,
Callaway and Sant'Anna's estimator) and listed in ``cohorten``.

The ring of neighbouring buurten is estimated the same way as its own group (the waterbed
effect); it is never a comparison buurt.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from indicators._design import MIN_PRE_PERIODS, Design, Start, cohorts, prepare
from indicators._placebo import Floats, Inference, Wide, placebo_sets, rate
from indicators._warnings import (
    MEER_CONTROLES,
    MIN_CONTROLS,
    MINDER_CONTROLES,
    REGRESSIE,
    effect_warnings,
    nl,
)
from indicators.did import (
    check_options,
    did_gaps,
    did_inference,
    did_pair,
    group_size,
    resolve_inferentie,
    scale_to_pre,
    start_index,
)
from indicators.staggered import Cohort, aggregate, split_sets

__all__ = [
    "CONTRACT_KEYS",
    "MEER_CONTROLES",
    "MINDER_CONTROLES",
    "MIN_CONTROLS",
    "MIN_PRE_PERIODS",
    "REGRESSIE",
    "Design",
    "EffectResult",
    "assemble",
    "did_gaps",
    "estimate_effect",
    "nl",
    "prepare",
]

CONTRACT_KEYS = (
    "interventie",
    "indicator",
    "methode",
    "eenheid",
    "effect",
    "ci_low",
    "ci_high",
    "p_value",
    "behandeld",
    "controle",
    "ring",
    "pre_perioden",
    "post_perioden",
    "pre_trend_p",
    "waarschuwingen",
    "model",
    "inferentie",
    "event_study",
)
COHORT_KEY = "cohorten"  # in the JSON only when the start is staggered
MAX_PLACEBOS = 1000


@dataclass(frozen=True)
class EffectResult:
    """An effect estimate: the contract's fields, plus what the charts need.

    ``event_study``: one row per period of the panel (pre and post): ``relatief`` (periods from
    the start, 0 = the first), ``periode``, ``effect``, ``ci_low``, ``ci_high``, ``fase``
    ("voor"/"na"), and ``periode_van``/``periode_tot`` (both equal to ``periode``).
    ``series``: ``periode``, ``groep`` ("behandeld", "controle", "ring", "tegenfeitelijk"),
    ``waarde`` (rate per period in ``eenheid``). ``ring_*``: the waterbed estimate of the ring
    as its own group. ``weights`` (synth only): the comparison codes' weights. ``model``:
    "relatief" or "additief"; ``inferentie``: "placebo" or "conformeel", the inference that gave
    the interval. ``cohorten`` (staggered starts only): per start ``start``, ``behandeld``,
    ``effect``, ``ci_low``, ``ci_high``, ``p_value``, ``pre_perioden``, ``post_perioden``.
    """

    interventie: str
    indicator: str
    methode: str
    eenheid: str
    effect: float
    ci_low: float
    ci_high: float
    p_value: float
    behandeld: list[str]
    controle: list[str]
    ring: list[str]
    pre_perioden: int
    post_perioden: int
    pre_trend_p: float | None
    waarschuwingen: list[str]
    event_study: pd.DataFrame = field(repr=False)
    series: pd.DataFrame = field(repr=False)
    ring_effect: float | None = None
    ring_ci_low: float | None = None
    ring_ci_high: float | None = None
    ring_p_value: float | None = None
    n_placebos: int = 0
    weights: dict[str, float] = field(default_factory=dict)
    p_rmspe: float | None = None
    model: str = "relatief"
    inferentie: str = "placebo"
    n_permutaties: int = 0
    cohorten: list[dict[str, object]] = field(default_factory=list)

    def labelled(self, *, interventie: str, indicator: str) -> EffectResult:
        """The same result with the intervention id and indicator code filled in."""
        return dataclasses.replace(self, interventie=interventie, indicator=indicator)

    def to_json_dict(self) -> dict[str, object]:
        """The contract's keys (plus ``cohorten`` when staggered); rates to 3 decimals,
        p-values to 4; NaN/inf as None."""
        out: dict[str, object] = {}
        for key in CONTRACT_KEYS:
            value = getattr(self, key)
            if key in ("effect", "ci_low", "ci_high"):
                value = _rounded(value, 3)
            elif key in ("p_value", "pre_trend_p"):
                value = _rounded(value, 4)
            elif key == "event_study":
                value = [
                    {
                        "periode": str(row.periode),
                        "effect": _rounded(row.effect, 3),
                        "ci_low": _rounded(row.ci_low, 3),
                        "ci_high": _rounded(row.ci_high, 3),
                        "fase": str(row.fase),
                    }
                    for row in value.itertuples()
                ]
            elif isinstance(value, list):
                value = list(value)
            out[key] = value
        if self.cohorten:
            out[COHORT_KEY] = [_cohort_json(c) for c in self.cohorten]
        return out


def _cohort_json(cohort: dict[str, object]) -> dict[str, object]:
    out = dict(cohort)
    for key, digits in (("effect", 3), ("ci_low", 3), ("ci_high", 3), ("p_value", 4)):
        value = out.get(key)
        out[key] = _rounded(value if isinstance(value, float) else None, digits)
    return out


def _rounded(value: float | None, digits: int) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits) + 0.0


def estimate_effect(
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
    effort: pd.DataFrame | None = None,
    hoger_is_slechter: bool = True,
    interventie: str = "",
    indicator: str = "",
    alpha: float = 0.05,
    max_placebos: int = MAX_PLACEBOS,
) -> EffectResult:
    """Difference-in-differences estimate of an intervention's effect.

    Parameters
    ----------
    panel : long frame ``code, periode, teller, noemer``; ``periode`` all ``YYYY-MM``, all
        ``YYYY-Qn`` or all ``YYYY``. A NaN teller (not delivered, or secret) drops the period for
        that code. Rate = teller / noemer * ``schaal``. Codes may be buurten or groups already
        summed (the published lines "behandeld", "controle", "ring").
    treated, controls, ring : codes; the ring is estimated as its own group, never a control.
    start : first period of the intervention, of the panel's kind; or a mapping code -> start
        for staggered starts (see ``indicators.staggered``).
    end : optional last period of the post period; default the last period with data.
    eenheid, schaal : the catalogue's unit and its multiplier.
    model : "relatief" (default): the counterfactual is the comparison rate scaled to the
        treated pre-period level; "additief": shifted to it (see the module notes).
    inferentie : "auto" (default), "placebo" or "conformeel"; see the module notes.
    effort : optional ``controles`` panel (same columns) for the effort warning.
    hoger_is_slechter : the indicator's direction, for the regression-to-the-mean warning.
    alpha : 1 - the interval's level. max_placebos : cap on the placebo groups.

    Returns
    -------
    EffectResult with ``methode="did"``.
    """
    check_options(model, inferentie)
    groups = cohorts(start, treated)
    first = groups[0][0]
    design = prepare(
        panel, treated=treated, controls=controls, ring=ring, start=first, end=end, schaal=schaal
    )
    listed: list[dict[str, object]] = []
    if len(groups) > 1:
        main, counterfactual, listed = _staggered(
            panel, groups, design, model=model, inferentie=inferentie,
            max_placebos=max_placebos, alpha=alpha,
        )  # fmt: skip
    else:
        main = did_inference(
            design.treated, design, model=model, inferentie=inferentie,
            max_placebos=max_placebos, alpha=alpha,
        )  # fmt: skip
        counterfactual = _counterfactual(design.treated, design, model, main.pre_mean_gap)
    waterbed = None
    if design.ring.noemer.sum() > 0:
        waterbed = did_inference(
            design.ring, design, model=model, inferentie=inferentie,
            max_placebos=max_placebos, alpha=alpha,
        )  # fmt: skip
    result = assemble(
        design,
        main,
        waterbed,
        methode="did",
        counterfactual=counterfactual,
        eenheid=eenheid,
        effort=effort,
        hoger_is_slechter=hoger_is_slechter,
        labels=(interventie, indicator),
    )
    return dataclasses.replace(result, model=model, cohorten=listed)


def _counterfactual(group: Wide, design: Design, model: str, pre_mean_gap: float) -> Floats:
    """The group's counterfactual rate path: kappa x comparison rate (+ the pre gap if additive)."""
    comparison = rate(*design.controls.total(), design.schaal)
    if model == "additief":
        out: Floats = comparison + pre_mean_gap
        return out
    teller, noemer = group.total()
    kappa = scale_to_pre(rate(teller, noemer, design.schaal), comparison, noemer, design.pre)
    return float(kappa) * comparison


def _staggered(
    panel: pd.DataFrame,
    groups: list[tuple[str, list[str]]],
    design: Design,
    *,
    model: str,
    inferentie: str,
    max_placebos: int,
    alpha: float,
) -> tuple[Inference, Floats, list[dict[str, object]]]:
    """Cohort designs, joint placebo draws or conformal pairs, and their aggregate."""
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
    placebo = resolve_inferentie(inferentie, len(sets), alpha) == "placebo"
    members = []
    for (s, codes), d, chunk in zip(groups, designs, split_sets(sets, sizes), strict=True):
        gaps = weights = None
        if placebo:
            teller, noemer = d.treated.total()
            gaps, weights, _ = did_gaps(
                teller, noemer, d.controls, chunk, pre=d.pre, schaal=d.schaal, model=model
            )
        members.append(Cohort(s, codes, d, did_pair(d.treated, d), gaps, weights))
    main, listed = aggregate(members, model=model, alpha=alpha, start_index=start_index(design))
    # The counterfactual of all treated together: each cohort's path, weighted by its noemer.
    paths, noemers = [], []
    for member in members:
        cohort_gap = float(
            (member.pair.w * np.nan_to_num(member.pair.y1 - member.pair.y0))[member.pair.pre].sum()
        )
        pre_w = float(member.pair.w[member.pair.pre].sum())
        paths.append(
            _counterfactual(
                member.design.treated,
                member.design,
                model,
                cohort_gap / pre_w if pre_w > 0 else math.nan,
            )
        )
        noemers.append(member.design.treated.total()[1])
    n = np.vstack(noemers)
    counterfactual = np.where(
        n.sum(axis=0) > 0,
        (n * np.vstack(paths)).sum(axis=0) / np.maximum(n.sum(axis=0), 1e-300),
        np.nan,
    )
    return main, counterfactual, listed


def _series(design: Design, counterfactual: Floats) -> pd.DataFrame:
    """Long frame ``periode, groep, waarde`` of the rates (periods that count only)."""
    observed = design.pre | design.post
    groups = {
        "behandeld": rate(*design.treated.total(), design.schaal),
        "controle": rate(*design.controls.total(), design.schaal),
        "ring": rate(*design.ring.total(), design.schaal),
        "tegenfeitelijk": counterfactual,
    }
    parts: list[pd.DataFrame] = [
        pd.DataFrame({"periode": design.periods, "groep": name, "waarde": values})[observed]
        for name, values in groups.items()
        if np.isfinite(values[observed]).any()
    ]
    return pd.concat(parts, ignore_index=True)


def assemble(
    design: Design,
    main: Inference,
    waterbed: Inference | None,
    *,
    methode: str,
    counterfactual: Floats,
    eenheid: str,
    effort: pd.DataFrame | None,
    hoger_is_slechter: bool,
    labels: tuple[str, str],
) -> EffectResult:
    """Put an estimate, its ring estimate and its warnings into an ``EffectResult``."""
    warnings = effect_warnings(
        design, main, waterbed, eenheid=eenheid, effort=effort, hoger_is_slechter=hoger_is_slechter
    )
    return EffectResult(
        interventie=labels[0],
        indicator=labels[1],
        methode=methode,
        eenheid=eenheid,
        effect=main.effect,
        ci_low=main.ci_low,
        ci_high=main.ci_high,
        p_value=main.p_value,
        behandeld=_with_data(design.treated),
        controle=_with_data(design.controls),
        ring=list(design.ring.codes),
        pre_perioden=int(design.pre.sum()),
        post_perioden=int(design.post.sum()),
        pre_trend_p=main.pre_trend_p,
        waarschuwingen=warnings,
        event_study=main.event_study,
        series=_series(design, counterfactual),
        ring_effect=None if waterbed is None else waterbed.effect,
        ring_ci_low=None if waterbed is None else waterbed.ci_low,
        ring_ci_high=None if waterbed is None else waterbed.ci_high,
        ring_p_value=None if waterbed is None else waterbed.p_value,
        n_placebos=main.n_placebos,
        inferentie=main.inferentie,
        n_permutaties=main.n_permutations,
    )


def _with_data(group: Wide) -> list[str]:
    """The group's buurtcodes that have at least one month of data, sorted."""
    return sorted(c for c, n in zip(group.codes, group.noemer.sum(axis=1), strict=True) if n > 0)
