"""Effect of an intervention on an indicator: difference-in-differences, any period, any size.

Definition (docs/contract.md): the effect is the average over the post periods of the treated buurten'
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
the studentized effect (``indicators._placebo.infer``). ``"tijdreeks"``: a t-test on the gap
series with a HAC (Newey-West) variance, bias-corrected with Satterthwaite degrees of freedom
(``indicators.timeseries``); ``"conformeel"``: conformal inference over time (Chernozhukov,
Wüthrich and Zhu 2021; ``indicators.conformal``). Both need only the treated and the comparison
series, so they work with one comparison unit (the published group lines) and a handful of
comparison buurten. ``"auto"`` (default): placebo when there are at least 19 distinct placebo
groups (what a 5% test needs); otherwise conformal for a short series (fewer than 20 counted
periods, with at least 100 distinct post sets for its random permutations) and the
time-series t-test for everything else (``indicators.did.resolve_inferentie``; the simulation
study behind the rule is in docs/methoden.md). The result's ``inferentie`` says which one gave
the interval.

Staggered starts: ``start`` may map each treated code to its own start; the cohorts are then
estimated as in ``indicators.staggered`` (a stacked DiD with never-treated comparison buurten,
Callaway and Sant'Anna's estimator) and listed in ``cohorten``.

The ring of neighbouring buurten is estimated the same way as its own group (the waterbed
effect); it is never a comparison buurt. When the groups arrive summed (the published lines),
``ring_buurten`` and ``n_vergelijkingsbuurten`` say how many buurten are behind the "ring" and
"controle" codes, for the warnings.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geo.errors import InputError
from indicators._design import MIN_PRE_PERIODS, Design, Start, cohorts, prepare
from indicators._placebo import Floats, Inference, Wide, rate
from indicators._warnings import (
    MEER_CONTROLES,
    MIN_CONTROLS,
    MINDER_CONTROLES,
    REGRESSIE,
    effect_warnings,
    nl,
)
from indicators.did import check_options, counterfactual, did_gaps, did_inference
from indicators.staggered import estimate_cohorts

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
    "check_counts",
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
PERIOD_KEY = "periode_per"  # added to the contract's keys: the period the rates are per
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
    "relatief" or "additief"; ``inferentie``: "placebo", "tijdreeks" or "conformeel", the
    inference that gave the interval; ``se``: its standard error (placebo and tijdreeks). ``cohorten`` (staggered starts only): per start ``start``, ``behandeld``,
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
    se: float = math.nan
    periode_per: str = "maand"  # maand, kwartaal or jaar: the periods the rates are per

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
        out[PERIOD_KEY] = self.periode_per
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
    ring_buurten: int | None = None,
    n_vergelijkingsbuurten: int | None = None,
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
    inferentie : "auto" (default), "placebo", "tijdreeks" or "conformeel"; see the module notes.
    effort : optional ``controles`` panel (same columns) for the effort warning.
    hoger_is_slechter : the indicator's direction, for the regression-to-the-mean warning.
    alpha : 1 - the interval's level. max_placebos : cap on the placebo groups.
    ring_buurten, n_vergelijkingsbuurten : the number of buurten behind the ring and the
        comparison codes when those are summed lines (the product passes "ring" and
        "controle"); default the number of codes with data. Used in the warnings only.

    Returns
    -------
    EffectResult with ``methode="did"``.
    """
    check_options(model, inferentie)
    check_counts(ring_buurten=ring_buurten, n_vergelijkingsbuurten=n_vergelijkingsbuurten)
    groups = cohorts(start, treated)
    first = groups[0][0]
    design = prepare(
        panel, treated=treated, controls=controls, ring=ring, start=first, end=end, schaal=schaal
    )
    listed: list[dict[str, object]] = []
    if len(groups) > 1:
        main, path, listed = estimate_cohorts(
            panel,
            groups,
            design,
            model=model,
            inferentie=inferentie,
            max_placebos=max_placebos,
            alpha=alpha,
        )
    else:
        main = did_inference(
            design.treated,
            design,
            model=model,
            inferentie=inferentie,
            max_placebos=max_placebos,
            alpha=alpha,
        )
        path = counterfactual(design.treated, design, model, main.pre_mean_gap)
    waterbed = None
    if design.ring.noemer.sum() > 0:
        waterbed = did_inference(
            design.ring,
            design,
            model=model,
            inferentie=inferentie,
            max_placebos=max_placebos,
            alpha=alpha,
        )
    result = assemble(
        design,
        main,
        waterbed,
        methode="did",
        counterfactual=path,
        eenheid=eenheid,
        effort=effort,
        hoger_is_slechter=hoger_is_slechter,
        labels=(interventie, indicator),
        counts=(ring_buurten, n_vergelijkingsbuurten),
    )
    if listed:
        note = (
            f"De aanpak begon in {len(listed)} fasen op verschillende momenten: elke fase is "
            "apart geschat tegen buurten die nooit behandeld zijn (gestapelde verschil-in-"
            "verschillen, Callaway en Sant'Anna), en het effect is het gewogen gemiddelde van "
            "de fasen. Een al behandelde buurt is nooit vergelijking."
        )
        result = dataclasses.replace(result, waarschuwingen=[*result.waarschuwingen, note])
    return dataclasses.replace(result, model=model, cohorten=listed)


def check_counts(**counts: int | None) -> None:
    """Raise InputError unless each given count of buurten is a whole number of at least 1."""
    for name, value in counts.items():
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            raise InputError(f"{name} moet een geheel aantal buurten van ten minste 1 zijn.")


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
    counts: tuple[int | None, int | None] = (None, None),
) -> EffectResult:
    """Put an estimate, its ring estimate and its warnings into an ``EffectResult``.

    ``counts``: the buurten behind the ring and the comparison codes (None: the codes).
    """
    warnings = effect_warnings(
        design,
        main,
        waterbed,
        eenheid=eenheid,
        effort=effort,
        hoger_is_slechter=hoger_is_slechter,
        ring_buurten=counts[0],
        n_vergelijkingsbuurten=counts[1],
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
        se=main.se,
    )


def _with_data(group: Wide) -> list[str]:
    """The group's buurtcodes that have at least one month of data, sorted."""
    return sorted(c for c, n in zip(group.codes, group.noemer.sum(axis=1), strict=True) if n > 0)
