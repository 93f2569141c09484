"""The product path (issue 13): published group lines, one comparison unit, ``auto`` inference.

The scenarios come from bench/effects_simulation.py (``PRODUCT_SCENARIOS``, ``product_path``):
the buurten summed into lines, counts rounded to 5, a true count of 1-4 secret, the finest
period at which the treated line has at most 25% secret periods. The standard for the
inference ``auto`` picks: 95% intervals covering the truth in 90-99% of runs, and without an
effect at most 10% rejections at 5%. Seeds are fixed (deterministic) and few (the bench runs
500: docs/methoden.md).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from geo.errors import InputError
from indicators.did import MIN_ARRANGEMENTS, resolve_inferentie
from indicators.effects import COHORT_KEY, CONTRACT_KEYS, PERIOD_KEY, estimate_effect
from indicators.power import minimum_detectable_effect
from indicators.synth import estimate_synth
from tests.indicators.test_effects import load_simulation

UNIT = "per 1.000 woningen"
SEEDS = {"standaard": 80, "klein": 60, "demo": 80, "gespreid": 40}


@pytest.mark.parametrize("scenario", list(SEEDS))
@pytest.mark.parametrize("periode_per", ["maand", "kwartaal"])
@pytest.mark.parametrize("factor", [0.6, 1.0])
def test_auto_meets_the_standard_on_the_product_path(
    scenario: str, periode_per: str, factor: float
) -> None:
    simulation = load_simulation()
    study = simulation.run_product(
        estimate_effect,
        scenario=scenario,
        factor=factor,
        seeds=range(SEEDS[scenario]),
        periode_per=periode_per,
    )
    print(study)
    # 20+ counted periods: the time-series t-test. In the small gemeente per month half the
    # comparison line is secret; a shorter series then goes to conformal inference, whose
    # intervals can be unbounded (the bench: 4-6% of runs).
    assert "tijdreeks" in study.inferentie
    assert 0.90 <= study.coverage <= 0.99
    assert study.estimated >= 0.9 and study.finite >= (0.85 if scenario == "klein" else 1.0)
    if factor == 1.0:
        assert study.rejection <= 0.10
    elif scenario != "klein":
        assert study.rejection >= 0.8  # a 40% drop is seen (conformal: 25-45%)


def test_the_time_series_interval_is_narrower_than_the_conformal_one() -> None:
    # The demo-like case: 2 treated buurten against 40, 10 + 14 quarters, a 40% drop.
    simulation = load_simulation()
    widths = {}
    for inferentie in ("tijdreeks", "conformeel"):
        study = simulation.run_product(
            estimate_effect,
            scenario="demo",
            factor=0.6,
            seeds=range(30),
            periode_per="kwartaal",
            inferentie=inferentie,
        )
        widths[inferentie] = study.mean_width
        assert 0.9 <= study.coverage <= 1.0
    assert widths["tijdreeks"] < 0.65 * widths["conformeel"]


def test_one_comparison_line_gives_t_intervals_for_every_period() -> None:
    simulation = load_simulation()
    sim = simulation.product_path(
        simulation.draw(3, **simulation.PRODUCT_SCENARIOS["demo"]), "kwartaal"
    )
    result = estimate_effect(
        sim.panel,
        treated=sim.treated,
        controls=sim.controls,
        ring=sim.ring,
        start=sim.start,
        eenheid=UNIT,
        schaal=1000.0,
        n_vergelijkingsbuurten=40,
    )
    assert result.inferentie == "tijdreeks" and math.isfinite(result.se)
    assert result.ci_low < result.effect < result.ci_high < 0
    study = result.event_study
    assert set(study["fase"]) == {"voor", "na"} and len(study) == 24
    assert np.isfinite(study[["ci_low", "ci_high"]].to_numpy()).all()
    assert (study["ci_low"] < study["effect"]).all() and (study["effect"] < study["ci_high"]).all()
    assert any(w.startswith("Het interval komt uit de tijdreeks") for w in result.waarschuwingen)
    assert not any(w.startswith("Weinig vergelijkingsbuurten") for w in result.waarschuwingen)
    data = result.to_json_dict()
    assert tuple(data) == (*CONTRACT_KEYS, PERIOD_KEY) and data["inferentie"] == "tijdreeks"
    assert all(row["ci_low"] is not None for row in data["event_study"])  # type: ignore[union-attr, index]


def test_warnings_count_the_buurten_behind_summed_lines() -> None:
    simulation = load_simulation()
    sim = simulation.product_path(
        simulation.draw(1, **simulation.PRODUCT_SCENARIOS["klein"]), "kwartaal"
    )
    options = {
        "treated": sim.treated,
        "controls": sim.controls,
        "ring": sim.ring,
        "start": sim.start,
        "eenheid": UNIT,
        "schaal": 1000.0,
    }
    counted = estimate_effect(sim.panel, ring_buurten=12, n_vergelijkingsbuurten=5, **options)  # type: ignore[arg-type]
    warnings = counted.waarschuwingen
    assert any(
        w.startswith("Waterbedeffect: in de ring van 12 aangrenzende buurten") for w in warnings
    )
    assert any(w.startswith("Weinig vergelijkingsbuurten (5, minder dan 10)") for w in warnings)
    # Without the counts a single code may be a summed line: no number then, never "1".
    plain = estimate_effect(sim.panel, **options).waarschuwingen  # type: ignore[arg-type]
    assert any(w.startswith("Waterbedeffect: in de ring van aangrenzende buurten (") for w in plain)
    assert not any(w.startswith("Weinig vergelijkingsbuurten") for w in plain)
    assert not any("1 aangrenzende buurten" in w or "buurten (1," in w for w in plain)
    single = estimate_effect(sim.panel, ring_buurten=1, **options).waarschuwingen  # type: ignore[arg-type]
    assert any(w.startswith("Waterbedeffect: in de aangrenzende buurt (") for w in single)
    for bad in (0, -3, 2.5, True):
        with pytest.raises(InputError, match="ring_buurten"):
            estimate_effect(sim.panel, ring_buurten=bad, **options)  # type: ignore[arg-type]


def test_staggered_cohorts_against_one_comparison_line() -> None:
    simulation = load_simulation()
    sim = simulation.product_path(
        simulation.draw(5, **simulation.PRODUCT_SCENARIOS["gespreid"]), "kwartaal"
    )
    assert sim.treated == ["cohort:2021-09", "cohort:2022-09"]
    assert sim.start == {"cohort:2021-09": "2021-Q3", "cohort:2022-09": "2022-Q3"}
    result = estimate_effect(
        sim.panel,
        treated=sim.treated,
        controls=sim.controls,
        start=sim.start,
        eenheid=UNIT,
        schaal=1000.0,
    )
    assert result.inferentie == "tijdreeks"
    cohorts = result.cohorten
    assert [c["start"] for c in cohorts] == ["2021-Q3", "2022-Q3"]
    effects = [float(c["effect"]) for c in cohorts]  # type: ignore[arg-type]
    assert min(effects) <= result.effect <= max(effects)  # a weighted mean of the cohorts
    for c in cohorts:
        assert float(c["ci_low"]) < float(c["effect"]) < float(c["ci_high"])  # type: ignore[arg-type]
    study = result.event_study
    assert np.isfinite(study[["ci_low", "ci_high"]].to_numpy()).all() and len(study) == 24
    data = result.to_json_dict()
    assert tuple(data) == (*CONTRACT_KEYS, PERIOD_KEY, COHORT_KEY)


def test_auto_rule() -> None:
    # Placebo with 19 placebo groups; else conformal for short series with enough arrangements,
    # the time-series t-test otherwise.
    assert resolve_inferentie("auto", 19, 0.05, n_pre=10, n_post=14) == "placebo"
    assert resolve_inferentie("auto", 0, 0.05, n_pre=10, n_post=14) == "tijdreeks"
    assert resolve_inferentie("auto", 18, 0.05, n_pre=10, n_post=3) == "conformeel"
    assert math.comb(8, 4) < MIN_ARRANGEMENTS <= math.comb(12, 6)
    assert resolve_inferentie("auto", 0, 0.05, n_pre=4, n_post=4) == "tijdreeks"
    assert resolve_inferentie("auto", 0, 0.05, n_pre=6, n_post=6) == "conformeel"
    assert resolve_inferentie("auto", 0, 0.05, n_pre=15, n_post=1) == "tijdreeks"
    assert resolve_inferentie("auto", 0, 0.05, n_pre=10, n_post=14, tijdreeks=False) == "conformeel"
    assert resolve_inferentie("tijdreeks", 500, 0.05) == "tijdreeks"


def test_short_post_period_takes_conformal_inference_with_t_bands_in_the_event_study() -> None:
    simulation = load_simulation()
    sim = simulation.product_path(
        simulation.draw(2, **simulation.PRODUCT_SCENARIOS["kort"]), "kwartaal"
    )
    result = estimate_effect(
        sim.panel,
        treated=sim.treated,
        controls=sim.controls,
        start=sim.start,
        eenheid=UNIT,
        schaal=1000.0,
    )
    assert (result.pre_perioden, result.post_perioden) == (10, 3)
    assert result.inferentie == "conformeel" and result.n_permutaties > 0
    assert np.isfinite(result.event_study[["ci_low", "ci_high"]].to_numpy()).all()


def test_conformal_inference_stays_honest_in_a_small_gemeente() -> None:
    simulation = load_simulation()
    for factor in (0.6, 1.0):
        study = simulation.run_study(
            lambda *a, **k: estimate_effect(*a, inferentie="conformeel", **k),
            methode="did",
            seeds=range(60),
            factor=factor,
            scenario="klein",
        )
        assert study.inferentie == "conformeel" and 0.90 <= study.coverage <= 0.99
        assert factor != 1.0 or study.rejection <= 0.10


def test_the_synthetic_control_has_no_time_series_test() -> None:
    simulation = load_simulation()
    sim = simulation.simulate_panel(0, n_treated=3, n_ring=12, n_controls=5)
    with pytest.raises(InputError, match="inferentie"):
        estimate_synth(
            sim.panel,
            treated=sim.treated,
            controls=sim.controls,
            start=sim.start,
            eenheid=UNIT,
            schaal=1000.0,
            inferentie="tijdreeks",
        )


def test_power_is_deterministic_positive_and_in_the_panel_periods() -> None:
    simulation = load_simulation()
    sim = simulation.simulate_panel(0, factor=1.0, n_treated=3, n_ring=12, n_controls=5)
    options = {
        "treated": sim.treated,
        "controls": sim.controls,
        "eenheid": UNIT,
        "schaal": 1000.0,
        "start": "2021-09",
        "n_sim": 200,
    }
    first = minimum_detectable_effect(sim.panel, **options)  # type: ignore[arg-type]
    assert first == minimum_detectable_effect(sim.panel, **options)  # type: ignore[arg-type]
    assert first.perioden == {12: 12, 24: 24, 36: 36} and first.pre_perioden == 32
    finite = [v for v in first.mde.values() if math.isfinite(v)]
    assert finite and all(v > 0 for v in finite)
    data = first.to_json_dict()
    assert set(data["mde"]) == {"12", "24", "36"}  # type: ignore[arg-type]
    quarters = simulation.to_quarters(sim)
    yearly = minimum_detectable_effect(quarters.panel, **{**options, "start": "2021-Q3"})  # type: ignore[arg-type]
    assert yearly.perioden == {12: 4, 24: 8, 36: 12} and yearly.granulariteit == "kwartaal"
