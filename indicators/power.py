"""Power before the start: how large must an effect be to be seen after 12, 24 or 36 months?

``minimum_detectable_effect`` answers for a planned intervention on a set of buurten, from the
data before its start, by simulation with the estimator and inference the product uses on its
published group lines: the treated buurten summed against the comparison buurten summed (one
comparison series), the DiD model (``relatief`` by default) and the inference ``auto`` picks
for a series of that length (``indicators.did.resolve_inferentie``, 5% two-sided): the
time-series t-test (``indicators.timeseries``) from 20 periods on, conformal inference over
time (``indicators.conformal``) for a shorter series with enough arrangements.

Method. The model is fitted on the pre-period series (kappa, or the additive shift); its residuals
carry everything that makes a real series noisy: Poisson and extra variation, rounding to 5 when
the panel holds published counts, serial dependence. For a horizon of h periods each simulation
builds a series of the pre length plus h periods: the comparison series and the noemer repeated
from the pre period, the treated series the model's prediction plus residuals drawn in moving
blocks (length ~ n^(1/3), which keeps their short-range dependence). An effect delta after the
start shifts the treated rates by delta; because the model's residuals are linear in the effect,
testing "no effect" on data with effect delta is testing "effect delta" on data without one (for
the t-test: the estimate moves by delta, its standard error not at all). So each simulated
series gives the smallest detectable delta directly: the bound of its interval in the
hoped-for direction. The minimum detectable effect at 80% power is the 80%
quantile of those bounds. Deterministic for a seed; about a second for 400 simulations.

Horizons are given in months and converted to the panel's periods (12 months = 4 quarters =
1 year). The answer is a positive size in the catalogue's unit per period (as the effect).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geo.errors import InputError
from indicators._design import FORMATS, check_inputs, check_period, panel_kind
from indicators._placebo import Floats, rate, to_wide
from indicators.conformal import (
    Pair,
    block_permutations,
    iid_permutations,
    invert,
    residual_coefficients,
    window_sums,
)
from indicators.did import check_options, resolve_inferentie
from indicators.periods import period_range, period_word, periods_in_months
from indicators.timeseries import hac_intervals_many

DEFAULT_HORIZONS = (12, 24, 36)
N_PERMUTATIONS = 400  # random permutations per simulated short series


@dataclass(frozen=True)
class PowerResult:
    """Minimum detectable effects per horizon (months), in ``eenheid`` per period.

    ``mde``: horizon in months -> size (inf when even the largest plausible effect would not be
    seen); ``mde_relatief``: the same as a share of the treated pre-period rate; ``perioden``:
    horizon in months -> periods of the panel; ``niveau``: the treated pre-period rate;
    ``inferentie``: horizon in months -> "tijdreeks" or "conformeel", the product's test.
    """

    eenheid: str
    granulariteit: str
    mde: dict[int, float]
    mde_relatief: dict[int, float]
    perioden: dict[int, int]
    pre_perioden: int
    niveau: float
    model: str
    n_sim: int
    waarschuwingen: list[str] = field(default_factory=list)
    inferentie: dict[int, str] = field(default_factory=dict)

    def to_json_dict(self) -> dict[str, object]:
        """JSON-ready: ``{"eenheid", "mde": {"12": x, ...}, ...}``; inf/NaN as None."""

        def clean(value: float, digits: int) -> float | None:
            return round(value, digits) + 0.0 if math.isfinite(value) else None

        return {
            "eenheid": self.eenheid,
            "mde": {str(h): clean(v, 3) for h, v in self.mde.items()},
            "mde_relatief": {str(h): clean(v, 3) for h, v in self.mde_relatief.items()},
            "perioden": {str(h): n for h, n in self.perioden.items()},
            "granulariteit": self.granulariteit,
            "pre_perioden": self.pre_perioden,
            "niveau": clean(self.niveau, 3),
            "model": self.model,
            "inferentie": {str(h): v for h, v in self.inferentie.items()},
            "waarschuwingen": list(self.waarschuwingen),
        }


def _series(
    panel: pd.DataFrame,
    treated: Sequence[str],
    controls: Sequence[str],
    start: str | None,
    schaal: float,
) -> tuple[str, Pair]:
    """The pre-period treated and comparison series, periods without data left out."""
    kind, periodes = panel_kind(panel)
    check_period("start", start, kind)
    periods = period_range(str(periodes.min()), str(periodes.max()))
    if start is not None:
        periods = [p for p in periods if p < start]
    if not periods:
        raise InputError(f"Geen perioden vóór de start ({FORMATS[kind]}) om op te rekenen.")
    t_teller, t_noemer = to_wide(panel, list(treated), periods).total()
    c_teller, c_noemer = to_wide(panel, list(controls), periods).total()
    seen = (t_noemer > 0) & (c_noemer > 0)
    y1, y0 = rate(t_teller, t_noemer, schaal)[seen], rate(c_teller, c_noemer, schaal)[seen]
    n = int(seen.sum())
    pre = np.ones(n, dtype=bool)
    return kind, Pair(y1, y0, t_noemer[seen], pre, ~pre)


def _bounds(
    pair: Pair, horizon: int, model: str, n_sim: int, rng: np.random.Generator, alpha: float
) -> tuple[Floats, Floats, str]:
    """Per simulated series of pre + ``horizon`` periods: the lower and upper interval bound,
    and the inference used (as ``auto`` would choose for that length)."""
    n_pre = len(pair.y1)
    a, _ = residual_coefficients(pair, pair.pre, pair.post, model)
    residuals = a - float((pair.w * a).sum() / pair.w.sum())
    fitted = pair.y1 - residuals
    total = n_pre + horizon
    repeat = np.arange(total) % n_pre
    y0, w, level = pair.y0[repeat], pair.w[repeat], fitted[repeat]
    post = np.arange(total) >= n_pre
    block = max(1, round(n_pre ** (1 / 3)))
    n_blocks = math.ceil(total / block)
    # As conformal_effect: cyclic shifts from 1/alpha periods on, random permutations below
    # (fewer than the estimate's 2,000, for speed: the bound moves little).
    if total >= math.ceil(1 / alpha - 1e-9):
        perms = block_permutations(total)
    else:
        perms = iid_permutations(total, count=N_PERMUTATIONS)
    lows, highs = np.empty(n_sim), np.empty(n_sim)
    starts = rng.integers(0, n_pre - block + 1, size=(n_sim, n_blocks))
    offsets = (starts[:, :, None] + np.arange(block)[None, None, :]).reshape(n_sim, -1)[:, :total]
    inferentie = resolve_inferentie("auto", 0, alpha, n_pre=n_pre, n_post=horizon)
    if inferentie == "tijdreeks":
        treated = level[None, :] + residuals[offsets]
        template = Pair(treated[0], y0, w, ~post, post)
        low, high = hac_intervals_many(template, treated, model=model, alpha=alpha)
        return low, high, inferentie
    for i in range(n_sim):
        y1 = level + residuals[offsets[i]]
        sim = Pair(y1, y0, w, ~post, post)
        ra, rb = residual_coefficients(sim, sim.valid, post, model)
        c, d, big_d = window_sums(ra[None, :], rb[None, :], w[None, :], post[None, :], perms)
        lows[i], highs[i] = invert(c, d, big_d, alpha)
    return lows, highs, inferentie


def minimum_detectable_effect(
    panel: pd.DataFrame,
    *,
    treated: Sequence[str],
    controls: Sequence[str],
    eenheid: str,
    schaal: float,
    start: str | None = None,
    horizons: Sequence[int] = DEFAULT_HORIZONS,
    alpha: float = 0.05,
    power: float = 0.8,
    model: str = "relatief",
    hoger_is_slechter: bool = True,
    n_sim: int = 400,
    seed: int = 0,
) -> PowerResult:
    """The smallest effect seen with probability ``power`` after each horizon (months).

    Parameters
    ----------
    panel : long frame ``code, periode, teller, noemer`` (months, quarters or years), as for
        ``indicators.effects.estimate_effect``; the data before ``start`` (all data when
        ``start`` is None: a planned intervention) are used.
    treated, controls : the planned buurten (or the published group codes) and the comparison.
    horizons : months after the start; converted to the panel's periods.
    hoger_is_slechter : the hoped-for change is a decrease (True) or an increase.
    n_sim, seed : simulations per horizon and the seed (deterministic).

    Returns
    -------
    PowerResult; see the module docstring for the method.
    """
    check_options(model, "conformeel")
    check_inputs(panel, treated, controls, ())
    kind, pair = _series(panel, treated, controls, start, schaal)
    warnings: list[str] = []
    level = float((pair.w * pair.y1).sum() / pair.w.sum()) if pair.w.sum() > 0 else math.nan
    if len(pair.y1) < 4 or not math.isfinite(level):
        raise InputError("Te weinig perioden met gegevens vóór de start om op te rekenen.")
    rng = np.random.default_rng(seed)
    mde, relative, periods, used = {}, {}, {}, {}
    for months in horizons:
        horizon = max(1, periods_in_months(int(months), kind))
        lows, highs, used[int(months)] = _bounds(pair, horizon, model, n_sim, rng, alpha)
        # A decrease is seen once it passes the upper bound of a no-effect interval.
        sizes = highs if hoger_is_slechter else -lows
        sizes = np.where(np.isfinite(sizes), np.maximum(sizes, 0.0), np.inf)
        value = float(np.quantile(sizes, power, method="higher"))
        if hoger_is_slechter and value > level:
            value = math.inf  # more than the whole rate: not to be seen
        mde[int(months)], relative[int(months)] = value, value / level if level > 0 else math.nan
        periods[int(months)] = horizon
        if not math.isfinite(value):
            warnings.append(
                f"Na {period_word(kind, horizon)} is geen effect te zien dat kleiner is dan het "
                "hele cijfer: te weinig perioden of te veel ruis."
            )
    return PowerResult(
        eenheid=eenheid,
        granulariteit=kind,
        mde=mde,
        mde_relatief=relative,
        perioden=periods,
        pre_perioden=len(pair.y1),
        niveau=level,
        model=model,
        n_sim=n_sim,
        waarschuwingen=warnings,
        inferentie=used,
    )
