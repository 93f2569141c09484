"""Simulation study of the effect estimators: coverage, size, bias and time per scenario.

Synthetic panels like the demo's: Poisson counts (with mild Gamma overdispersion) around
noemer x buurt rate x month effect (season, a common trend, month shocks) x intervention effect.
The treated buurten are chosen for being bad: their rate is about three times the average.
The true effect is the contract's estimand from the expected counts: the noemer-weighted mean
over the post periods of (expected rate with the intervention - expected rate without).

Scenarios (``SCENARIOS``):
- ``standaard``: 2 treated + 40 comparison buurten, 32 months before and 40 after the start
  (placebo inference: 780 placebo pairs);
- ``klein``: a small gemeente of 20 buurten: 3 treated, a ring of 12 (no effect there), 5
  comparison buurten (10 placebo triples, too few: conformal inference);
- ``product``: the same gemeente as the product sees it: the treated, comparison and ring
  buurten summed into three group series, counts rounded to multiples of 5 and a group count of
  1-4 secret (NaN, dropped), one comparison unit (conformal inference);
- ``product_kwartaal``: the product path on quarters (counts summed per quarter);
- ``gespreid``: the product path with two cohorts a year apart (staggered start).

    .venv/bin/python bench/effects_simulation.py [--seeds 500] [--methode did synth]
        [--scenario standaard klein product ...]

prints, per method and scenario, the coverage of the 95% interval, the rejection rate at 5%,
the bias and RMSE of the estimate and the time taken. Tests import ``simulate_panel``,
``run_study`` and ``SCENARIOS`` from this file (tests/indicators/).
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

N_CONTROLS = 40
PRE, POST = 32, 40
START = "2021-09"
SECOND_START = "2022-09"
SCHAAL = 1000.0
TREATED_NOEMER = (1650.0, 1850.0, 1500.0, 1700.0)
TREATED_BASE = (2.2, 1.8, 2.0, 1.9)


@dataclass(frozen=True)
class Simulated:
    """One synthetic panel and its truth."""

    panel: pd.DataFrame  # code, periode, teller, noemer
    treated: list[str]
    controls: list[str]
    truth: float  # the contract's estimand, per 1.000 woningen per period
    ring: list[str] = field(default_factory=list)
    start: str | dict[str, str] = START


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
    n_treated: int = 2,
    n_ring: int = 0,
    staggered: bool = False,
) -> Simulated:
    """A panel with a known multiplicative effect ``factor`` (1.0: none) in the treated buurten.

    ``trend_per_year`` is a common (all buurten) growth of the rates; ``shock_sd`` the sd of
    common log month shocks; ``overdispersion_k`` the Gamma mixing shape (None: pure Poisson).
    ``n_ring`` buurten between treated and comparison (drawn like comparison buurten, no
    effect). ``staggered``: the second half of the treated buurten starts 12 months later.
    """
    rng = np.random.default_rng(seed)
    months = _months()
    n_months = len(months)
    others = n_controls + n_ring
    noemer = np.concatenate(
        [
            TREATED_NOEMER[:n_treated],
            np.clip(np.rint(rng.lognormal(np.log(1100), 0.6, others)), 150, 3500),
        ]
    )
    base = np.concatenate(
        [
            TREATED_BASE[:n_treated],
            np.clip(rng.lognormal(np.log(0.6) - 0.125, 0.5, others), 0.2, 1.5),
        ]
    )
    t = np.arange(n_months)
    season = 1 + 0.1 * np.cos(2 * np.pi * t / 12)
    common = season * np.exp(trend_per_year * t / 12 + rng.normal(0, shock_sd, n_months))
    first_late = n_treated - n_treated // 2 if staggered else n_treated
    starts = np.array([PRE if i < first_late else PRE + 12 for i in range(n_treated)])
    k = t[None, :] - starts[:, None]
    effect = np.where(k < 0, 1.0, 1.0 + (factor - 1.0) * np.minimum(1.0, (k + 1) / phase_in))
    expected_rate = base[:, None] * common[None, :]  # per 1.000, without the intervention
    with_effect = expected_rate.copy()
    with_effect[:n_treated] *= effect
    mean = with_effect * noemer[:, None] / SCHAAL
    if overdispersion_k:
        mean = mean * rng.gamma(overdispersion_k, 1.0 / overdispersion_k, mean.shape)
    counts = rng.poisson(mean).astype(float)
    treated = [f"BU{i + 1:08d}" for i in range(n_treated)]
    codes = [*treated, *[f"BU1{i:07d}" for i in range(others)]]
    panel = pd.DataFrame(
        {
            "code": np.repeat(codes, n_months),
            "periode": np.tile(months, len(codes)),
            "teller": counts.ravel(),
            "noemer": np.repeat(noemer, n_months),
        }
    )
    # Truth: over each treated buurt's own post months, noemer-weighted.
    post = k >= 0
    w = noemer[:n_treated, None] * post
    diff = float(((with_effect[:n_treated] - expected_rate[:n_treated]) * w).sum() / w.sum())
    start: str | dict[str, str] = START
    if staggered:
        start = {c: START if i < first_late else SECOND_START for i, c in enumerate(treated)}
    return Simulated(panel, treated, codes[n_treated + n_ring :], diff,
                     codes[n_treated : n_treated + n_ring], start)  # fmt: skip


def to_groups(sim: Simulated, *, rounding: int = 5) -> Simulated:
    """The product path: treated, comparison and ring summed into one series each, counts
    rounded to ``rounding`` and a group count of 1-4 secret (NaN)."""
    starts = sim.start if isinstance(sim.start, dict) else dict.fromkeys(sim.treated, sim.start)
    names = {c: f"behandeld/{s}" if isinstance(sim.start, dict) else "behandeld"
             for c, s in starts.items()}  # fmt: skip
    names |= dict.fromkeys(sim.controls, "controle") | dict.fromkeys(sim.ring, "ring")
    panel = sim.panel[sim.panel["code"].isin(list(names))].assign(
        code=lambda f: f["code"].map(names)
    )
    groups = panel.groupby(["code", "periode"], as_index=False)[["teller", "noemer"]].sum()
    true = groups["teller"]
    groups["teller"] = (np.round(true / rounding) * rounding).where(~true.between(1, 4))
    treated = sorted(set(names[c] for c in sim.treated))
    start: str | dict[str, str] = sim.start
    if isinstance(sim.start, dict):
        start = {names[c]: s for c, s in sim.start.items()}
    ring = ["ring"] if sim.ring else []
    return Simulated(groups, treated, ["controle"], sim.truth, ring, start)


def to_quarters(sim: Simulated) -> Simulated:
    """Counts summed per quarter; the noemer (a stock such as woningen) stays; truth x 3."""
    quarter = (
        sim.panel["periode"].str[:4]
        + "-Q"
        + ((sim.panel["periode"].str[5:7].astype(int) - 1) // 3 + 1).astype(str)
    )
    panel = (
        sim.panel.assign(periode=quarter)
        .groupby(["code", "periode"], as_index=False)
        .agg(teller=("teller", "sum"), noemer=("noemer", "first"))
    )
    start = "2021-Q3"
    return replace(sim, panel=panel, truth=3 * sim.truth, start=start)


@dataclass(frozen=True)
class Scenario:
    """A design of the study: how to simulate and what the product would see."""

    simulation: Mapping[str, object]
    transforms: tuple[Callable[[Simulated], Simulated], ...] = ()


SCENARIOS: dict[str, Scenario] = {
    "standaard": Scenario({}),
    "klein": Scenario({"n_treated": 3, "n_ring": 12, "n_controls": 5}),
    "product": Scenario({"n_treated": 3, "n_ring": 12, "n_controls": 5}, (to_groups,)),
    "product_kwartaal": Scenario(
        {"n_treated": 3, "n_ring": 12, "n_controls": 5}, (to_quarters, to_groups)
    ),
    "gespreid": Scenario(
        {"n_treated": 4, "n_ring": 12, "n_controls": 5, "staggered": True}, (to_groups,)
    ),
}


@dataclass(frozen=True)
class StudyResult:
    """Figures of one method and scenario over ``runs`` seeds."""

    methode: str
    scenario: str
    runs: int
    coverage: float  # share of 95% intervals containing the truth, of the runs with an estimate
    rejection: float  # share of p-values below 0.05, of the runs with an estimate
    bias: float  # mean(estimate - truth), of the runs with an estimate
    rmse: float
    mean_truth: float
    seconds: float
    estimated: float = 1.0  # share of runs with an estimate (the data may allow none)
    finite: float = 1.0  # share of runs with a finite interval
    inferentie: str = ""


def run_study(
    estimator: Callable[..., object],
    *,
    methode: str,
    seeds: range,
    factor: float,
    scenario: str = "standaard",
    **simulation: float,
) -> StudyResult:
    """Run ``estimator`` (``estimate_effect`` or ``estimate_synth``) on one panel per seed."""
    design = SCENARIOS[scenario]
    began = time.perf_counter()
    covered, rejected, errors, truths, finite, used = [], [], [], [], [], set()
    for seed in seeds:
        sim = simulate_panel(seed, factor=factor, **{**design.simulation, **simulation})  # type: ignore[arg-type]
        for transform in design.transforms:
            sim = transform(sim)
        result = estimator(
            sim.panel,
            treated=sim.treated,
            controls=sim.controls,
            ring=sim.ring,
            start=sim.start,
            eenheid="per 1.000 woningen",
            schaal=SCHAAL,
        )
        low, high = result.ci_low, result.ci_high  # type: ignore[attr-defined]
        estimate = float(result.effect)  # type: ignore[attr-defined]
        used.add(result.inferentie)  # type: ignore[attr-defined]
        truths.append(sim.truth)
        if not math.isfinite(estimate):
            continue  # the estimator declined (e.g. a comparison series all secret): counted
        covered.append(low <= sim.truth <= high)
        rejected.append(result.p_value < 0.05)  # type: ignore[attr-defined]
        errors.append(estimate - sim.truth)
        finite.append(math.isfinite(low) and math.isfinite(high))
    return StudyResult(
        methode=methode,
        scenario=f"{scenario}, {'effect' if factor != 1.0 else 'geen effect'}",
        runs=len(truths),
        coverage=float(np.mean(covered)),
        rejection=float(np.mean(rejected)),
        bias=float(np.mean(errors)),
        rmse=float(math.sqrt(np.mean(np.square(errors)))),
        mean_truth=float(np.mean(truths)),
        seconds=time.perf_counter() - began,
        estimated=len(covered) / len(truths),
        finite=float(np.mean(finite)),
        inferentie="/".join(sorted(used)),
    )


def main() -> None:
    from indicators.effects import estimate_effect
    from indicators.synth import estimate_synth

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=500)
    parser.add_argument("--methode", nargs="+", default=["did", "synth"])
    parser.add_argument("--scenario", nargs="+", default=list(SCENARIOS))
    parser.add_argument("--trend", type=float, default=0.05, help="common growth per year")
    parser.add_argument("--model", default="relatief", help="relatief or additief")
    args = parser.parse_args()
    estimators: dict[str, Callable[..., object]] = {
        "did": lambda *a, **k: estimate_effect(*a, model=args.model, **k),
        "synth": lambda *a, **k: estimate_synth(*a, model=args.model, **k),
    }
    print(f"{'methode':7} {'scenario':30} {'runs':>5} {'dekking':>8} {'verwerpt':>9} "
          f"{'bias':>7} {'rmse':>6} {'waarheid':>8} {'geschat':>8} {'eindig':>7} {'s':>6} "
          "inferentie")  # fmt: skip
    for methode in args.methode:
        for scenario in args.scenario:
            for factor in (0.6, 1.0):
                r = run_study(estimators[methode], methode=methode, seeds=range(args.seeds),
                              factor=factor, scenario=scenario, trend_per_year=args.trend)  # fmt: skip
                print(
                    f"{r.methode:7} {r.scenario:30} {r.runs:5d} {r.coverage:8.1%} "
                    f"{r.rejection:9.1%} {r.bias:7.3f} {r.rmse:6.3f} {r.mean_truth:8.3f} "
                    f"{r.estimated:8.1%} {r.finite:7.1%} {r.seconds:6.1f} {r.inferentie}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
