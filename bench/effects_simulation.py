"""Simulation study of the effect estimators (issue 4 item 4): coverage, size, bias, time.

Synthetic panels like the demo's: 2 treated buurten + 40 comparison buurten, 32 months before
and 40 after the start, Poisson counts (with mild Gamma overdispersion) around
noemer x buurt rate x month effect (season, a common trend, month shocks) x intervention effect.
The treated buurten are chosen for being bad: their rate is about three times the average.
The true effect is the contract's estimand from the expected counts: the noemer-weighted mean
over the post months of (expected rate with the intervention - expected rate without).

    .venv/bin/python bench/effects_simulation.py [--seeds 500] [--methode did synth]

prints, per method and scenario, the coverage of the 95% interval, the rejection rate at 5%,
the bias and RMSE of the estimate and the time taken. Tests import ``simulate_panel`` and
``run_study`` from this file (tests/indicators/test_effects.py).
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

N_CONTROLS = 40
PRE, POST = 32, 40
START = "2021-09"
TREATED = ("BU00000001", "BU00000002")
SCHAAL = 1000.0


@dataclass(frozen=True)
class Simulated:
    """One synthetic panel and its truth."""

    panel: pd.DataFrame  # code, periode, teller, noemer
    treated: list[str]
    controls: list[str]
    truth: float  # the contract's estimand, per 1.000 woningen per month


def _months() -> list[str]:
    first = 2019 * 12  # 2019-01: 32 months before 2021-09
    return [f"{(first + i) // 12}-{(first + i) % 12 + 1:02d}" for i in range(PRE + POST)]


def simulate_panel(
    seed: int,
    *,
    factor: float = 0.6,
    phase_in: int = 6,
    trend_per_year: float = 0.05,
    shock_sd: float = 0.05,
    overdispersion_k: float | None = 25.0,
    n_controls: int = N_CONTROLS,
) -> Simulated:
    """A panel with a known multiplicative effect ``factor`` (1.0: none) in the treated buurten.

    ``trend_per_year`` is a common (all buurten) growth of the rates; ``shock_sd`` the sd of
    common log month shocks; ``overdispersion_k`` the Gamma mixing shape (None: pure Poisson).
    """
    rng = np.random.default_rng(seed)
    months = _months()
    n_months = len(months)
    noemer = np.concatenate(
        [
            [1650.0, 1850.0],
            np.clip(np.rint(rng.lognormal(np.log(1100), 0.6, n_controls)), 150, 3500),
        ]
    )
    base = np.concatenate(
        [[2.2, 1.8], np.clip(rng.lognormal(np.log(0.6) - 0.125, 0.5, n_controls), 0.2, 1.5)]
    )
    t = np.arange(n_months)
    season = 1 + 0.1 * np.cos(2 * np.pi * t / 12)
    common = season * np.exp(trend_per_year * t / 12 + rng.normal(0, shock_sd, n_months))
    k = t - PRE
    effect = np.where(k < 0, 1.0, 1.0 + (factor - 1.0) * np.minimum(1.0, (k + 1) / phase_in))
    expected_rate = base[:, None] * common[None, :]  # per 1.000, without the intervention
    with_effect = expected_rate.copy()
    with_effect[:2] *= effect
    mean = with_effect * noemer[:, None] / SCHAAL
    if overdispersion_k:
        mean = mean * rng.gamma(overdispersion_k, 1.0 / overdispersion_k, mean.shape)
    counts = rng.poisson(mean).astype(float)
    codes = [*TREATED, *[f"BU1{i:07d}" for i in range(n_controls)]]
    panel = pd.DataFrame(
        {
            "code": np.repeat(codes, n_months),
            "periode": np.tile(months, len(codes)),
            "teller": counts.ravel(),
            "noemer": np.repeat(noemer, n_months),
        }
    )
    w = noemer[:2, None] * np.ones((1, n_months))
    diff = ((with_effect[:2] - expected_rate[:2]) * w).sum(axis=0) / w.sum(axis=0)
    return Simulated(panel, list(TREATED), codes[2:], float(diff[PRE:].mean()))


@dataclass(frozen=True)
class StudyResult:
    """Figures of one method and scenario over ``runs`` seeds."""

    methode: str
    scenario: str
    runs: int
    coverage: float  # share of 95% intervals containing the truth
    rejection: float  # share of p-values below 0.05
    bias: float  # mean(estimate - truth)
    rmse: float
    mean_truth: float
    seconds: float


def run_study(
    estimator: Callable[..., object],
    *,
    methode: str,
    seeds: range,
    factor: float,
    **simulation: float,
) -> StudyResult:
    """Run ``estimator`` (``estimate_effect`` or ``estimate_synth``) on one panel per seed."""
    began = time.perf_counter()
    covered, rejected, errors, truths = [], [], [], []
    for seed in seeds:
        sim = simulate_panel(seed, factor=factor, **simulation)  # type: ignore[arg-type]
        result = estimator(
            sim.panel,
            treated=sim.treated,
            controls=sim.controls,
            start=START,
            eenheid="per 1.000 woningen",
            schaal=SCHAAL,
        )
        low, high = result.ci_low, result.ci_high  # type: ignore[attr-defined]
        covered.append(low <= sim.truth <= high)
        rejected.append(result.p_value < 0.05)  # type: ignore[attr-defined]
        errors.append(result.effect - sim.truth)  # type: ignore[attr-defined]
        truths.append(sim.truth)
    return StudyResult(
        methode=methode,
        scenario="effect" if factor != 1.0 else "geen effect",
        runs=len(covered),
        coverage=float(np.mean(covered)),
        rejection=float(np.mean(rejected)),
        bias=float(np.mean(errors)),
        rmse=float(math.sqrt(np.mean(np.square(errors)))),
        mean_truth=float(np.mean(truths)),
        seconds=time.perf_counter() - began,
    )


def main() -> None:
    from indicators.effects import estimate_effect
    from indicators.synth import estimate_synth

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=500)
    parser.add_argument("--methode", nargs="+", default=["did", "synth"])
    parser.add_argument("--trend", type=float, default=0.05, help="common growth per year")
    parser.add_argument("--model", default="relatief", help="did: relatief or additief")
    args = parser.parse_args()
    estimators: dict[str, Callable[..., object]] = {
        "did": lambda *a, **k: estimate_effect(*a, model=args.model, **k),
        "synth": estimate_synth,
    }
    print(f"{'methode':8} {'scenario':12} {'runs':>5} {'dekking':>8} {'verwerpt':>9} "
          f"{'bias':>8} {'rmse':>7} {'waarheid':>9} {'s':>7}")  # fmt: skip
    for methode in args.methode:
        for factor in (0.6, 1.0):
            r = run_study(
                estimators[methode],
                methode=methode,
                seeds=range(args.seeds),
                factor=factor,
                trend_per_year=args.trend,
            )
            print(
                f"{r.methode:8} {r.scenario:12} {r.runs:5d} {r.coverage:8.1%} {r.rejection:9.1%} "
                f"{r.bias:8.3f} {r.rmse:7.3f} {r.mean_truth:9.3f} {r.seconds:7.1f}"
            )


if __name__ == "__main__":
    main()
