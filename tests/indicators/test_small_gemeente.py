"""Small gemeenten, the product's group lines, staggered starts and power (issue 13).

The simulation scenarios come from bench/effects_simulation.py: ``klein`` (20 buurten: 3
treated, a ring of 12, 5 comparison buurten) and ``product`` (the same gemeente as the product
sees it: three summed group series, counts rounded to 5, counts 1-4 secret).
"""

from __future__ import annotations

import math

import pytest

from indicators.effects import COHORT_KEY, CONTRACT_KEYS, estimate_effect
from indicators.power import minimum_detectable_effect
from tests.indicators.test_effects import load_simulation

UNIT = "per 1.000 woningen"


@pytest.mark.parametrize(("scenario", "seeds"), [("klein", range(100)), ("product", range(200))])
@pytest.mark.parametrize("factor", [0.6, 1.0])
def test_conformal_coverage_and_size(scenario: str, seeds: range, factor: float) -> None:
    simulation = load_simulation()
    study = simulation.run_study(
        estimate_effect, methode="did", seeds=seeds, factor=factor, scenario=scenario
    )
    print(study)
    assert study.inferentie == "conformeel"
    assert 0.90 <= study.coverage <= 0.99
    assert study.estimated >= 0.9 and study.finite >= 0.85
    if factor == 1.0:
        assert study.rejection <= 0.10
    else:
        assert study.rejection > 0.10  # some power; the power function says how much


def test_one_comparison_unit_gets_a_finite_interval_and_per_period_intervals() -> None:
    simulation = load_simulation()
    sim = simulation.to_groups(simulation.simulate_panel(3, n_treated=3, n_ring=12, n_controls=5))
    result = estimate_effect(sim.panel, treated=sim.treated, controls=sim.controls,
                             ring=sim.ring, start=sim.start, eenheid=UNIT, schaal=1000.0)  # fmt: skip
    assert result.inferentie == "conformeel" and result.n_permutaties > 0
    assert math.isfinite(result.ci_low) and math.isfinite(result.ci_high)
    assert any("conformele inferentie" in w for w in result.waarschuwingen)
    study = result.event_study
    assert set(study["fase"]) == {"voor", "na"} and (study["ci_low"] <= study["ci_high"]).all()
    data = result.to_json_dict()
    assert tuple(data) == CONTRACT_KEYS and data["inferentie"] == "conformeel"


def test_staggered_cohorts_on_the_product_path() -> None:
    simulation = load_simulation()
    sim = simulation.to_groups(
        simulation.simulate_panel(5, n_treated=4, n_ring=12, n_controls=5, staggered=True)
    )
    assert sim.treated == ["behandeld/2021-09", "behandeld/2022-09"]
    result = estimate_effect(sim.panel, treated=sim.treated, controls=sim.controls,
                             ring=sim.ring, start=sim.start, eenheid=UNIT, schaal=1000.0)  # fmt: skip
    cohorts = result.cohorten
    assert [c["start"] for c in cohorts] == ["2021-09", "2022-09"]
    assert [c["behandeld"] for c in cohorts] == [["behandeld/2021-09"], ["behandeld/2022-09"]]
    # Monthly cohort counts of one or two buurten are often 1-4 (secret): periods drop out.
    assert all(int(c["post_perioden"]) > 0 for c in cohorts)  # type: ignore[call-overload]
    low = min(float(c["effect"]) for c in cohorts)  # type: ignore[arg-type]
    high = max(float(c["effect"]) for c in cohorts)  # type: ignore[arg-type]
    assert low <= result.effect <= high  # a weighted mean of the cohorts
    data = result.to_json_dict()
    assert tuple(data) == (*CONTRACT_KEYS, COHORT_KEY)
    assert set(data[COHORT_KEY][0]) >= {"start", "behandeld", "effect", "ci_low", "ci_high"}  # type: ignore[index]


def test_power_is_deterministic_positive_and_in_the_panel_periods() -> None:
    simulation = load_simulation()
    sim = simulation.simulate_panel(0, factor=1.0, n_treated=3, n_ring=12, n_controls=5)
    options = {"treated": sim.treated, "controls": sim.controls, "eenheid": UNIT,
               "schaal": 1000.0, "start": "2021-09", "n_sim": 200}  # fmt: skip
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
