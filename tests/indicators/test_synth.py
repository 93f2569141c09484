"""Synthetic control: the weights, exact cases, and the simulation study (as for DiD)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from indicators.effects import CONTRACT_KEYS, PERIOD_KEY, REGRESSIE
from indicators.synth import estimate_synth, rmspe_p, synth_weights
from tests.indicators.test_effects import exact_panel, load_simulation, noisy_panel

UNIT = "per 1.000 woningen"


def test_weights_are_a_convex_combination_that_fits() -> None:
    rng = np.random.default_rng(0)
    donors = rng.normal(0.0, 1.0, (30, 6)) + 5.0
    target = 0.7 * donors[:, 1] + 0.3 * donors[:, 4]
    weights = synth_weights(target, donors)  # ADH: levels, weights on the simplex
    assert weights.min() >= 0 and weights.sum() == pytest.approx(1.0)
    assert weights == pytest.approx([0, 0.7, 0, 0, 0.3, 0], abs=1e-6)
    # A level shift is absorbed only by the demeaned fit (Doudchenko-Imbens, Ferman-Pinto).
    shifted = synth_weights(target + 2.0, donors, intercept=True)
    assert shifted == pytest.approx([0, 0.7, 0, 0, 0.3, 0], abs=1e-6)


def test_weights_do_not_depend_on_the_order_of_the_donors() -> None:
    # Issue 13: with fewer periods than donors every weight went to the first donor.
    rng = np.random.default_rng(1)
    donors = rng.normal(5.0, 1.0, (3, 26))
    target = donors[:, :10].mean(axis=1)
    forward = synth_weights(target, donors)
    backward = synth_weights(target, donors[:, ::-1])[::-1]
    assert forward == pytest.approx(backward, abs=1e-9)
    assert forward.max() < 0.5 and np.abs(donors @ forward - target).max() < 1e-6


def test_noiseless_twin_recovers_the_effect() -> None:
    t = np.arange(48)
    wave = 1.0 + 0.2 * np.sin(t / 3)
    trend = 1.0 + 0.01 * t
    halved = np.where(t >= 24, 0.5, 1.0)
    donors = {
        "C1": list(1.0 * wave * trend),
        "C2": list(2.0 * trend),
        "C3": list(1.5 * (2.0 - wave) * trend),
        "C4": list(0.8 * wave * trend),
    }
    options = {"controls": ["C1", "C2", "C3", "C4"], "start": "2021-01", "eenheid": UNIT}
    # ADH (additief): the treated path is a convex mix of C1 and C4, so the twin is exact.
    inside = {"T1": list(0.94 * wave * trend * halved), **donors}
    adh = estimate_synth(
        exact_panel(inside), treated=["T1"], model="additief", schaal=1000.0, **options
    )  # type: ignore[arg-type]
    assert adh.effect == pytest.approx(float(np.mean(-0.47 * wave[24:] * trend[24:])), rel=1e-6)
    assert adh.weights == pytest.approx({"C1": 0.7, "C4": 0.3}, abs=1e-4)
    assert adh.methode == "synth" and adh.model == "additief"
    # The scaled twin (relatief) reaches a treated path four times above every donor; its
    # ridge keeps a little of the other donors, so the effect is close, not exact.
    above = {"T1": list(4.0 * wave * trend * halved), **donors}
    scaled = estimate_synth(exact_panel(above), treated=["T1"], schaal=1000.0, **options)  # type: ignore[arg-type]
    truth = float(np.mean(-2.0 * wave[24:] * trend[24:]))
    assert scaled.effect == pytest.approx(truth, rel=0.05)
    assert sum(scaled.weights.values()) == pytest.approx(1, abs=1e-3)
    assert scaled.weights["C1"] + scaled.weights.get("C4", 0.0) > 0.5


def test_result_shape_like_did() -> None:
    panel = noisy_panel(11, treated_factor=0.5)
    controls = sorted(c for c in panel["code"].unique() if c.startswith("C"))
    result = estimate_synth(
        panel,
        treated=["T1", "T2"],
        controls=controls[:16],
        ring=controls[16:],
        start="2021-01",
        eenheid=UNIT,
        schaal=1000.0,
    )
    data = result.to_json_dict()
    assert tuple(data) == (*CONTRACT_KEYS, PERIOD_KEY) and data["methode"] == "synth"
    assert data["ci_low"] < data["effect"] < data["ci_high"] < 0  # type: ignore[operator]
    assert result.ring == controls[16:] and result.ring_effect is not None
    assert REGRESSIE in result.waarschuwingen[0]
    assert result.p_rmspe is not None and 0 < result.p_rmspe <= 1
    assert {"behandeld", "controle", "ring", "tegenfeitelijk"} <= set(result.series["groep"])
    assert not result.event_study.empty


def test_rmspe_ratio_rank() -> None:
    pre = np.arange(10) < 5
    post = ~pre
    quiet = np.tile(np.array([1.0, -1.0, 1.0, -1.0, 1.0] * 2), (5, 1))
    jump = quiet[0].copy()
    jump[5:] += 10.0
    gaps = np.vstack([jump, quiet])
    assert rmspe_p(gaps, pre, post) == pytest.approx(1 / 6)
    assert rmspe_p(gaps[:1], pre, post) is None
    flat = np.zeros((3, 10))
    assert rmspe_p(flat, pre, post) is None or math.isnan(rmspe_p(flat, pre, post) or 0.0)


@pytest.mark.parametrize(("factor", "scenario"), [(0.6, "effect"), (1.0, "geen effect")])
def test_simulation_coverage_and_size(factor: float, scenario: str) -> None:
    simulation = load_simulation()
    study = simulation.run_study(estimate_synth, methode="synth", seeds=range(200), factor=factor)
    print(f"synth {scenario}: {study}")
    assert 0.90 <= study.coverage <= 0.99
    assert abs(study.bias) < 0.08  # the effect is about -0.93; its RMSE about 0.28
    if factor == 1.0:
        assert study.rejection <= 0.10
    else:
        assert study.rejection >= 0.85


def test_empty_comparison_donors_give_no_estimate() -> None:
    panel = noisy_panel(12)
    zeros = panel["code"].str.startswith("C")
    panel.loc[zeros, "teller"] = 0.0
    result = estimate_synth(
        pd.DataFrame(panel),
        treated=["T1", "T2"],
        controls=sorted(panel.loc[zeros, "code"].unique()),
        start="2021-01",
        eenheid=UNIT,
        schaal=1000.0,
    )
    assert result.to_json_dict()["effect"] is None
