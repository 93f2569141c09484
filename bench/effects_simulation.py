"""Simulation study of the effect estimators: coverage, size, power, bias, RMSE per scenario.

Synthetic buurten like the demo's: Poisson counts (with mild Gamma overdispersion) around
noemer x buurt rate x month effect (season, a common trend, month shocks) x intervention effect.
The treated buurten are chosen for being bad: their rate is about three times the average.
Optionally (``ar_sd``) each buurt also has its own AR(1) deviation in the log rate, the serial
dependence that time-series inference must survive. The true effect is the contract's estimand
from the expected counts: the noemer-weighted mean over the post periods of (expected rate with
the intervention - expected rate without), on the grid of periods the estimate is made on.

Two paths:
- buurten (``SCENARIOS``, ``run_study``): the estimator sees every buurt (``standaard``: 2
  treated + 40 comparison buurten, 32 + 40 months, placebo inference; ``klein``: 20 buurten, 3
  treated, a ring of 12, 5 comparison buurten);
- product (``PRODUCT_SCENARIOS``, ``run_product``): what the product does since issue 13. The
  treated, comparison and ring buurten (and each cohort) are summed into published group lines,
  counts per period rounded to multiples of 5 and a true group count of 1-4 secret (NaN); the
  period is the finest from the one asked for (month, else quarter, else year) at which the
  treated line has at most 25% secret periods; then ``estimate_effect`` on the lines with one
  comparison unit. Scenarios: ``standaard`` (2 treated + 40 comparison buurten, 32 + 40
  months), ``klein`` (20 buurten: 3 treated, a ring of 12, 5 comparison), ``demo`` (2 treated
  buurten, 3,500 woningen, 40 comparison buurten, 30 + 42 months: 10 + 14 quarters),
  ``gespreid`` (4 treated in two cohorts a year apart, 40 comparison buurten), ``kort`` (as
  standaard but only 9 months after the start: 3 quarters) and ``autocorrelatie`` (standaard with AR(1)
  buurt deviations, rho 0.6 a month, sd 0.15).

The tables in docs/methoden.md come from bench/effects_table.py, which runs these studies.
Tests import this file (tests/indicators/).
"""

from __future__ import annotations

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
MAX_SECRET_SHARE = 0.25  # as data/publication/effects.py
ROUNDING = 5
GRANULARITIES = ("maand", "kwartaal", "jaar")


@dataclass(frozen=True)
class Simulated:
    """One synthetic panel and its truth."""

    panel: pd.DataFrame  # code, periode, teller, noemer
    treated: list[str]
    controls: list[str]
    truth: float  # the contract's estimand, per 1.000 woningen per period
    ring: list[str] = field(default_factory=list)
    start: str | dict[str, str] = START
    granularity: str = "maand"
    n_controls: int = 0  # buurten behind the comparison codes
    n_ring: int = 0  # buurten behind the ring codes


@dataclass(frozen=True)
class Draw:
    """The buurten of one simulation as arrays: rows treated, then ring, then comparison."""

    counts: np.ndarray  # buurten x months
    noemer: np.ndarray  # buurten
    rate_with: np.ndarray  # treated x months: expected rate with the intervention
    rate_without: np.ndarray  # treated x months: expected rate without it
    starts: np.ndarray  # treated: month index of each buurt's start
    months: list[str]
    n_treated: int
    n_ring: int
    n_controls: int


def _months(n: int) -> list[str]:
    first = 2019 * 12  # 2019-01
    return [f"{(first + i) // 12}-{(first + i) % 12 + 1:02d}" for i in range(n)]


def draw(
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
    pre: int = PRE,
    post: int = POST,
    ar_rho: float = 0.6,
    ar_sd: float = 0.0,
) -> Draw:
    """Counts with a known multiplicative effect ``factor`` (1.0: none) in the treated buurten.

    ``trend_per_year`` is a common (all buurten) growth of the rates; ``shock_sd`` the sd of
    common log month shocks; ``overdispersion_k`` the Gamma mixing shape (None: pure Poisson).
    ``n_ring`` buurten between treated and comparison (drawn like comparison buurten, no
    effect). ``staggered``: the second half of the treated buurten starts 12 months later.
    ``pre``, ``post``: months before and from the start. ``ar_sd`` > 0 adds to every buurt's
    log rate an AR(1) deviation with coefficient ``ar_rho`` and stationary sd ``ar_sd``.
    """
    rng = np.random.default_rng(seed)
    n_months = pre + post
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
    starts = np.array([pre if i < first_late else pre + 12 for i in range(n_treated)])
    k = t[None, :] - starts[:, None]
    effect = np.where(k < 0, 1.0, 1.0 + (factor - 1.0) * np.minimum(1.0, (k + 1) / phase_in))
    expected_rate = base[:, None] * common[None, :]  # per 1.000, without the intervention
    with_effect = expected_rate.copy()
    with_effect[:n_treated] *= effect
    mean = with_effect * noemer[:, None] / SCHAAL
    if ar_sd > 0:
        shocks = rng.normal(0, ar_sd * math.sqrt(1 - ar_rho**2), mean.shape)
        deviation = np.zeros(mean.shape)
        deviation[:, 0] = rng.normal(0, ar_sd, len(mean))
        for i in range(1, n_months):
            deviation[:, i] = ar_rho * deviation[:, i - 1] + shocks[:, i]
        mean = mean * np.exp(deviation - ar_sd**2 / 2)
    if overdispersion_k:
        mean = mean * rng.gamma(overdispersion_k, 1.0 / overdispersion_k, mean.shape)
    counts = rng.poisson(mean).astype(float)
    return Draw(
        counts,
        noemer,
        with_effect[:n_treated],
        expected_rate[:n_treated],
        starts,
        _months(n_months),
        n_treated,
        n_ring,
        n_controls,
    )


def simulate_panel(seed: int, **options: object) -> Simulated:
    """Every buurt as its own code (``draw``'s options): the path of an analyst's notebook."""
    d = draw(seed, **options)  # type: ignore[arg-type]
    n_months = len(d.months)
    treated = [f"BU{i + 1:08d}" for i in range(d.n_treated)]
    codes = [*treated, *[f"BU1{i:07d}" for i in range(d.n_ring + d.n_controls)]]
    panel = pd.DataFrame(
        {
            "code": np.repeat(codes, n_months),
            "periode": np.tile(d.months, len(codes)),
            "teller": d.counts.ravel(),
            "noemer": np.repeat(d.noemer, n_months),
        }
    )
    # Truth: over each treated buurt's own post months, noemer-weighted.
    post = np.arange(n_months)[None, :] >= d.starts[:, None]
    w = d.noemer[: d.n_treated, None] * post
    diff = float(((d.rate_with - d.rate_without) * w).sum() / w.sum())
    labels = {int(s): d.months[int(s)] for s in d.starts}
    start: str | dict[str, str] = labels[int(d.starts[0])]
    if len(labels) > 1:
        start = {c: labels[int(s)] for c, s in zip(treated, d.starts, strict=True)}
    ring = codes[d.n_treated : d.n_treated + d.n_ring]
    return Simulated(
        panel,
        treated,
        codes[d.n_treated + d.n_ring :],
        diff,
        ring,
        start,
        "maand",
        d.n_controls,
        d.n_ring,
    )


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
    return replace(sim, panel=panel, truth=3 * sim.truth, start="2021-Q3", granularity="kwartaal")


# --- the product path -------------------------------------------------------------------------


def _period_labels(months: list[str], granularity: str) -> list[str]:
    if granularity == "maand":
        return list(months)
    if granularity == "kwartaal":
        return [f"{m[:4]}-Q{(int(m[5:7]) - 1) // 3 + 1}" for m in months]
    return [m[:4] for m in months]


def _published(counts: np.ndarray) -> np.ndarray:
    """Counts rounded to multiples of 5; a true count of 1-4 is secret (NaN)."""
    rounded = np.round(counts / ROUNDING) * ROUNDING
    return np.where((counts >= 1) & (counts <= 4), np.nan, rounded)


def product_path(d: Draw, periode_per: str = "maand") -> Simulated:
    """The published group lines the product estimates on, at the finest allowed period.

    Lines: "behandeld" (all treated), "controle", "ring" (when there is one) and, for a
    staggered start, "cohort:YYYY-MM" per start (then the estimate runs on the cohorts).
    """
    treated_rows = np.arange(d.n_treated)
    ring_rows = np.arange(d.n_treated, d.n_treated + d.n_ring)
    control_rows = np.arange(d.n_treated + d.n_ring, len(d.noemer))
    starts = sorted({int(s) for s in d.starts})
    lines = {"behandeld": treated_rows, "controle": control_rows}
    if d.n_ring:
        lines["ring"] = ring_rows
    cohort_rows = {f"cohort:{d.months[s]}": treated_rows[d.starts == s] for s in starts}
    if len(starts) > 1:
        lines |= cohort_rows
    order = list(GRANULARITIES)
    for granularity in order[order.index(periode_per) :]:
        labels = _period_labels(d.months, granularity)
        periods, index = np.unique(labels, return_inverse=True)
        per_period = np.zeros((len(d.noemer), len(periods)))
        np.add.at(per_period.T, index, d.counts.T)
        # A quarter or year is published only when complete (docs/methoden.md, rates).
        complete = np.bincount(index) == {"maand": 1, "kwartaal": 3, "jaar": 12}[granularity]
        per_period, shown = per_period[:, complete], periods[complete]
        teller = {name: _published(per_period[rows].sum(axis=0)) for name, rows in lines.items()}
        if np.isnan(teller["behandeld"]).mean() <= MAX_SECRET_SHARE:
            break
    panel = pd.DataFrame(
        {
            "code": np.repeat(list(lines), len(shown)),
            "periode": np.tile(shown, len(lines)),
            "teller": np.concatenate(list(teller.values())),
            "noemer": np.repeat(
                [float(d.noemer[rows].sum()) for rows in lines.values()], len(shown)
            ),
        }
    )
    # Truth on this grid: per cohort and post period the change in expected count, over the
    # cohort's noemer, weighted by that noemer (the contract's estimand).
    change = (d.rate_with - d.rate_without) * d.noemer[treated_rows, None] / SCHAAL
    top = bottom = 0.0
    for s in starts:
        members = d.starts == s
        first = labels[s]
        post = (periods >= first) & complete
        per_p = np.zeros(len(periods))
        np.add.at(per_p, index, change[members].sum(axis=0))
        size = float(d.noemer[treated_rows][members].sum())
        top += float(per_p[post].sum()) * SCHAAL
        bottom += size * float(post.sum())
    start: str | dict[str, str] = labels[starts[0]]
    treated = ["behandeld"]
    if len(starts) > 1:
        treated = list(cohort_rows)
        start = {f"cohort:{d.months[s]}": labels[s] for s in starts}
    return Simulated(
        panel,
        treated,
        ["controle"],
        top / bottom,
        ["ring"] if d.n_ring else [],
        start,
        granularity,
        d.n_controls,
        d.n_ring,
    )


# --- the studies --------------------------------------------------------------------------------

SCENARIOS: dict[str, Mapping[str, object]] = {
    "standaard": {},
    "klein": {"n_treated": 3, "n_ring": 12, "n_controls": 5},
}
PRODUCT_SCENARIOS: dict[str, Mapping[str, object]] = {
    "standaard": {},
    "klein": {"n_treated": 3, "n_ring": 12, "n_controls": 5},
    "demo": {"pre": 30, "post": 42},
    "gespreid": {"n_treated": 4, "staggered": True},
    "kort": {"post": 9},
    "autocorrelatie": {"ar_sd": 0.15},
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
    granularity: str = ""  # product path: the periods used, e.g. "kwartaal 100%"
    mean_width: float = math.nan  # mean width of the finite intervals


def _summary(
    methode: str,
    scenario: str,
    rows: list[tuple[float, float, float, float, float]],
    used: set[str],
    grids: list[str],
    began: float,
) -> StudyResult:
    """Figures from (estimate, low, high, p, truth) per run; NaN estimate = declined."""
    data = np.array(rows, dtype=float).reshape(-1, 5)
    estimate, low, high, p, truth = data.T
    ok = np.isfinite(estimate)
    finite = np.isfinite(low[ok]) & np.isfinite(high[ok])
    error = estimate[ok] - truth[ok]
    counts = pd.Series(grids).value_counts(normalize=True)
    return StudyResult(
        methode=methode,
        scenario=scenario,
        runs=len(data),
        coverage=float(np.mean((low[ok] <= truth[ok]) & (truth[ok] <= high[ok]))),
        rejection=float(np.mean(p[ok] < 0.05)),
        bias=float(np.mean(error)),
        rmse=float(math.sqrt(np.mean(np.square(error)))),
        mean_truth=float(np.mean(truth)),
        seconds=time.perf_counter() - began,
        estimated=float(ok.mean()),
        finite=float(finite.mean()),
        inferentie="/".join(sorted(used)),
        granularity=" ".join(f"{g} {share:.0%}" for g, share in counts.items()),
        mean_width=float(np.mean((high[ok] - low[ok])[finite])) if finite.any() else math.inf,
    )


def _run(estimator: Callable[..., object], sim: Simulated, **options: object) -> object:
    return estimator(
        sim.panel,
        treated=sim.treated,
        controls=sim.controls,
        ring=sim.ring,
        start=sim.start,
        eenheid="per 1.000 woningen",
        schaal=SCHAAL,
        **options,
    )


def run_study(
    estimator: Callable[..., object],
    *,
    methode: str,
    seeds: range,
    factor: float,
    scenario: str = "standaard",
    **simulation: object,
) -> StudyResult:
    """Run ``estimator`` (``estimate_effect`` or ``estimate_synth``) on every buurt's series."""
    began = time.perf_counter()
    rows, used = [], set()
    for seed in seeds:
        sim = simulate_panel(seed, factor=factor, **{**SCENARIOS[scenario], **simulation})
        result = _run(estimator, sim)
        used.add(str(result.inferentie))  # type: ignore[attr-defined]
        rows.append(
            (
                float(result.effect),
                result.ci_low,
                result.ci_high,  # type: ignore[attr-defined]
                result.p_value,
                sim.truth,
            )
        )  # type: ignore[attr-defined]
    label = f"{scenario}, {'effect' if factor != 1.0 else 'geen effect'}"
    return _summary(methode, label, rows, used, ["maand"] * len(rows), began)


def run_product(
    estimator: Callable[..., object],
    *,
    scenario: str,
    seeds: range,
    factor: float,
    periode_per: str = "maand",
    inferentie: str = "auto",
    **simulation: object,
) -> StudyResult:
    """The product path (``product_path``) of a ``PRODUCT_SCENARIOS`` entry, one run per seed.

    The estimator gets the lines as the product passes them, with the numbers of buurten
    behind the comparison and ring lines (``n_vergelijkingsbuurten``, ``ring_buurten``).
    """
    began = time.perf_counter()
    rows, used, grids = [], set(), []
    for seed in seeds:
        d = draw(seed, factor=factor, **{**PRODUCT_SCENARIOS[scenario], **simulation})  # type: ignore[arg-type]
        sim = product_path(d, periode_per)
        result = _run(
            estimator,
            sim,
            inferentie=inferentie,
            n_vergelijkingsbuurten=sim.n_controls,
            ring_buurten=sim.n_ring or None,
        )
        used.add(str(result.inferentie))  # type: ignore[attr-defined]
        grids.append(sim.granularity)
        rows.append(
            (
                float(result.effect),
                result.ci_low,
                result.ci_high,  # type: ignore[attr-defined]
                result.p_value,
                sim.truth,
            )
        )  # type: ignore[attr-defined]
    label = f"{scenario}/{periode_per}, {'effect' if factor != 1.0 else 'geen effect'}"
    return _summary("did", label, rows, used, grids, began)
