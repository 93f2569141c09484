"""Effect of an intervention on an indicator: difference-in-differences with placebo inference.

Definition (CONTRACT.md): the effect is the average over the post months of the treated buurten'
rate minus their counterfactual rate, weighted by noemer, in the catalogue's unit; negative means
lower than it would have been. Rates are monthly: rate = teller / noemer * schaal.

Method (``methode="did"``). The treated buurten are taken together as one area (teller and
noemer summed, so each buurt counts by its noemer), likewise the comparison buurten. The
counterfactual of a month is the comparison buurten' rate that month scaled to the treated
buurten' pre-period level: kappa x comparison rate, kappa = the noemer-weighted ratio of the two
before the start (``model="relatief"``, the default). That is the two-way fixed effects model
of counts (Poisson, buurt and month effects multiply): a season or a city-wide trend moves a
buurt at three times the average three times as much. The additive version (``"additief"``,
linear two-way fixed effects: treated pre-level plus the comparison buurten' change) is biased
exactly there: with 5% common growth a year it was off by a quarter of the effect and covered
the truth in under 80% of simulated runs. The effect is the noemer-weighted mean post gap
(treated minus counterfactual) minus the mean pre gap (zero for the relative model).

Inference: placebo groups of the same number of buurten, drawn from the comparison buurten and
compared with the remaining ones, give the reference distribution of the studentized effect
(see ``indicators._placebo.infer``): valid with two treated buurten, where a cluster bootstrap
is not. The ring of neighbouring buurten is estimated the same way as its own group (the
waterbed effect); it is never a comparison buurt.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geo.errors import InputError
from indicators._placebo import Bools, Floats, Inference, Wide, infer, placebo_sets, rate, to_wide
from indicators._warnings import (
    MEER_CONTROLES,
    MIN_CONTROLS,
    MIN_PRE_PERIODS,
    MINDER_CONTROLES,
    REGRESSIE,
    effect_warnings,
    nl,
)
from indicators.periods import period_range

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
)
MAX_PLACEBOS = 1000
PANEL_COLUMNS = ("code", "periode", "teller", "noemer")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class EffectResult:
    """An effect estimate: the contract's fields, plus what the charts need.

    ``event_study``: ``relatief`` (quarter relative to the start, 0 = the first three months),
    ``periode_van``, ``periode_tot``, ``effect``, ``ci_low``, ``ci_high``, ``fase`` ("voor"/"na").
    ``series``: ``periode``, ``groep`` ("behandeld", "controle", "ring", "tegenfeitelijk"),
    ``waarde`` (monthly rate in ``eenheid``). ``ring_*``: the waterbed estimate of the ring as
    its own group. ``weights`` (synth only): the comparison buurten' weights.
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

    def labelled(self, *, interventie: str, indicator: str) -> EffectResult:
        """The same result with the intervention id and indicator code filled in."""
        return dataclasses.replace(self, interventie=interventie, indicator=indicator)

    def to_json_dict(self) -> dict[str, object]:
        """Exactly the contract's keys; rates to 3 decimals, p-values to 4; NaN/inf as None."""
        out: dict[str, object] = {}
        for key in CONTRACT_KEYS:
            value = getattr(self, key)
            if key in ("effect", "ci_low", "ci_high"):
                value = _rounded(value, 3)
            elif key in ("p_value", "pre_trend_p"):
                value = _rounded(value, 4)
            elif isinstance(value, list):
                value = list(value)
            out[key] = value
        return out


def _rounded(value: float | None, digits: int) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits) + 0.0


@dataclass(frozen=True)
class Design:
    """The panel split into groups and months: what every estimator works on."""

    periods: tuple[str, ...]
    pre: np.ndarray
    post: np.ndarray
    treated: Wide
    controls: Wide
    ring: Wide
    schaal: float


def _check_inputs(
    panel: pd.DataFrame, treated: Sequence[str], controls: Sequence[str], ring: Sequence[str]
) -> None:
    missing = [c for c in PANEL_COLUMNS if c not in panel.columns]
    if missing:
        raise InputError(f"Het panel mist kolommen: {', '.join(missing)}.")
    if not treated:
        raise InputError("Geen behandelde buurten opgegeven.")
    if not controls:
        raise InputError("Geen vergelijkingsbuurten: een effect is niet te schatten.")
    overlap = sorted(set(controls) & (set(treated) | set(ring)))
    if overlap:
        raise InputError(
            "Behandelde buurten en ringbuurten mogen geen vergelijkingsbuurt zijn: "
            + ", ".join(overlap)
        )


def prepare(
    panel: pd.DataFrame,
    *,
    treated: Sequence[str],
    controls: Sequence[str],
    ring: Sequence[str],
    start: str,
    end: str | None,
    schaal: float,
) -> Design:
    """Split ``panel`` (``code, periode, teller, noemer``, monthly) into the estimation design.

    The pre period is every month before ``start``; the post period runs from ``start`` to
    ``end`` (or the last month with data). A month counts only where both the treated and the
    comparison buurten have delivered data.
    """
    _check_inputs(panel, treated, controls, ring)
    for name, value in (("start", start), ("eind", end)):
        if value is not None and not _MONTH.match(value):
            raise InputError(f"{name} moet JJJJ-MM zijn, niet {value!r}.")
    months = panel.loc[panel["teller"].notna(), "periode"].astype(str)
    months = months[months.str.match(_MONTH)]
    if months.empty:
        raise InputError("Het panel bevat geen geleverde maanden.")
    last = min(str(months.max()), end) if end else str(months.max())
    periods = tuple(period_range(str(months.min()), last))
    design_treated = to_wide(panel, list(treated), periods)
    design_controls = to_wide(panel, list(controls), periods)
    observed = (design_treated.noemer.sum(axis=0) > 0) & (design_controls.noemer.sum(axis=0) > 0)
    position = np.array(periods)
    return Design(
        periods=periods,
        pre=(position < start) & observed,
        post=(position >= start) & observed,
        treated=design_treated,
        controls=design_controls,
        ring=to_wide(panel, list(ring), periods),
        schaal=schaal,
    )


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


def _did_group(
    group: Wide, design: Design, model: str, max_placebos: int, alpha: float
) -> tuple[Inference, float]:
    teller, noemer = group.total()
    size = int((group.noemer.sum(axis=1) > 0).sum())
    sets = placebo_sets(len(design.controls.codes), size, max_sets=max_placebos)
    gaps, weights, kappa = did_gaps(
        teller, noemer, design.controls, sets, pre=design.pre, schaal=design.schaal, model=model
    )
    inference = infer(
        gaps, weights, pre=design.pre, post=design.post, periods=design.periods, alpha=alpha
    )
    return inference, kappa


def estimate_effect(
    panel: pd.DataFrame,
    *,
    treated: Sequence[str],
    controls: Sequence[str],
    ring: Sequence[str] = (),
    start: str,
    end: str | None = None,
    eenheid: str,
    schaal: float,
    effort: pd.DataFrame | None = None,
    hoger_is_slechter: bool = True,
    interventie: str = "",
    indicator: str = "",
    alpha: float = 0.05,
    max_placebos: int = MAX_PLACEBOS,
    model: str = "relatief",
) -> EffectResult:
    """Difference-in-differences estimate of an intervention's effect, with placebo inference.

    Parameters
    ----------
    panel : monthly rows per buurt: ``code, periode`` (YYYY-MM), ``teller`` (NaN = not
        delivered: the month is dropped), ``noemer``. Rate = teller / noemer * ``schaal``.
    treated, controls, ring : buurtcodes; the ring is estimated as its own group.
    start, end : the first and (optional) last month of the post period, ``YYYY-MM``.
    eenheid : the catalogue's unit, for the result and the warnings.
    effort : optional ``controles`` panel (same columns) for the effort warning.
    hoger_is_slechter : the indicator's direction, for the regression-to-the-mean warning.
    alpha : 1 - the interval's level. max_placebos : cap on the placebo groups.
    model : "relatief" (default): the counterfactual is the comparison buurten' rate scaled to
        the treated buurten' pre-period level; "additief": shifted to it (see module notes).

    Returns
    -------
    EffectResult with ``methode="did"``; see the module docstring for the method.
    """
    design = prepare(
        panel, treated=treated, controls=controls, ring=ring, start=start, end=end, schaal=schaal
    )
    main, kappa = _did_group(design.treated, design, model, max_placebos, alpha)
    has_ring = design.ring.noemer.sum() > 0
    waterbed = _did_group(design.ring, design, model, max_placebos, alpha)[0] if has_ring else None
    counterfactual = kappa * rate(*design.controls.total(), schaal) + main.pre_mean_gap
    return assemble(
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


def _series(design: Design, counterfactual: Floats) -> pd.DataFrame:
    """Long frame ``periode, groep, waarde`` of the monthly rates (observed months only)."""
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
    )


def _with_data(group: Wide) -> list[str]:
    """The group's buurtcodes that have at least one month of data, sorted."""
    return sorted(c for c, n in zip(group.codes, group.noemer.sum(axis=1), strict=True) if n > 0)
