"""Difference-in-differences with placebo inference: exact cases, warnings, and the simulation.

The simulation study (issue 4 item 4) uses the generator in bench/effects_simulation.py: 2
treated + 40 comparison buurten, 32 + 40 months, Poisson-Gamma counts with buurt rates, season,
a common trend and month shocks. Over 200 seeds the 95% interval must cover the true effect in
90-99% of runs, and without an effect the test may reject at 5% in at most 10% of runs.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from geo.errors import InputError
from indicators._placebo import critical_value, placebo_p, placebo_sets
from indicators.effects import (
    CONTRACT_KEYS,
    MEER_CONTROLES,
    PERIOD_KEY,
    REGRESSIE,
    EffectResult,
    estimate_effect,
)

SEEDS = range(200)
UNIT = "per 1.000 woningen"


def load_simulation() -> ModuleType:
    """bench/effects_simulation.py as a module (bench/ is not a package)."""
    name = "effects_simulation"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).resolve().parents[2] / "bench" / "effects_simulation.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def months(n: int, first: str = "2019-01") -> list[str]:
    start = int(first[:4]) * 12 + int(first[5:7]) - 1
    return [f"{(start + i) // 12}-{(start + i) % 12 + 1:02d}" for i in range(n)]


def exact_panel(
    rates: dict[str, list[float]], noemer: float = 1_000_000.0, first: str = "2019-01"
) -> pd.DataFrame:
    """A noiseless panel: teller = rate * noemer / 1000 for each code's monthly rates."""
    rows = []
    for code, values in rates.items():
        for periode, value in zip(months(len(values), first), values, strict=True):
            rows.append((code, periode, value * noemer / 1000, noemer))
    return pd.DataFrame(rows, columns=["code", "periode", "teller", "noemer"])


def noisy_panel(seed: int, *, treated_factor: float = 1.0, n_controls: int = 20) -> pd.DataFrame:
    """Poisson counts: treated at 2.0, controls around 1.0 per 1.000, 24 + 24 months."""
    rng = np.random.default_rng(seed)
    codes = ["T1", "T2", *[f"C{i:02d}" for i in range(n_controls)]]
    base = np.concatenate([[2.0, 2.0], rng.uniform(0.6, 1.4, n_controls)])
    effect = np.where(np.arange(48) >= 24, treated_factor, 1.0)
    mean = base[:, None] * np.ones(48) * 2.0
    mean[:2] *= effect
    counts = rng.poisson(mean)
    return pd.DataFrame(
        {
            "code": np.repeat(codes, 48),
            "periode": np.tile(months(48), len(codes)),
            "teller": counts.ravel().astype(float),
            "noemer": 2000.0,
        }
    )


def estimate(panel: pd.DataFrame, **kwargs: object) -> EffectResult:
    codes = sorted(panel["code"].unique())
    options: dict[str, object] = {
        "treated": [c for c in codes if c.startswith("T")],
        "controls": [c for c in codes if c.startswith("C")],
        "start": "2021-01",
        "eenheid": UNIT,
        "schaal": 1000.0,
    }
    options.update(kwargs)
    return estimate_effect(panel, **options)  # type: ignore[arg-type]


# --- exact cases ---------------------------------------------------------------------------------


def test_noiseless_relative_effect_is_exact() -> None:
    # Controls follow a season and a trend; the treated buurt runs at 3x them, then -40%.
    common = [1.0 + 0.1 * math.cos(i / 2) + 0.01 * i for i in range(48)]
    treated = [3 * c * (0.6 if i >= 24 else 1.0) for i, c in enumerate(common)]
    rates = {"T1": treated, **{f"C{j}": [c * (1 + j / 10) for c in common] for j in range(12)}}
    result = estimate(exact_panel(rates))
    truth = float(np.mean([3 * c * -0.4 for c in common[24:]]))
    assert result.effect == pytest.approx(truth, abs=1e-9)
    assert result.pre_perioden == 24 and result.post_perioden == 24
    assert result.behandeld == ["T1"] and len(result.controle) == 12
    counterfactual = result.series[result.series["groep"] == "tegenfeitelijk"]
    assert len(counterfactual) == 48  # pre months too: the fit before the start
    assert counterfactual["waarde"].to_numpy() == pytest.approx([3 * c for c in common])


def test_noiseless_additive_model_shifts_instead_of_scales() -> None:
    common = [1.0 + 0.05 * i for i in range(36)]
    rates = {
        "T1": [c + 2.0 - (0.5 if i >= 24 else 0.0) for i, c in enumerate(common)],
        **{f"C{j}": list(common) for j in range(12)},
    }
    result = estimate(exact_panel(rates), model="additief")
    assert result.effect == pytest.approx(-0.5, abs=1e-9)
    with pytest.raises(InputError, match="model"):
        estimate(exact_panel(rates), model="kwadratisch")


def test_missing_months_are_dropped_and_end_limits_the_post_period() -> None:
    panel = noisy_panel(1)
    panel.loc[panel["periode"].isin(["2019-05", "2022-03"]), "teller"] = np.nan
    result = estimate(panel)
    assert (result.pre_perioden, result.post_perioden) == (23, 23)
    assert "2019-05" not in set(result.series["periode"])
    assert estimate(panel, end="2021-06").post_perioden == 6


def test_json_has_exactly_the_contract_keys() -> None:
    result = estimate(noisy_panel(2, treated_factor=0.5))
    data = result.to_json_dict()
    assert tuple(data) == (*CONTRACT_KEYS, PERIOD_KEY)
    assert data["methode"] == "did" and data["eenheid"] == UNIT
    assert isinstance(data["effect"], float) and data["effect"] == round(result.effect, 3)
    assert data["ci_low"] < data["effect"] < data["ci_high"] < 0
    assert data["behandeld"] == ["T1", "T2"] and data["ring"] == []
    assert all(isinstance(w, str) for w in data["waarschuwingen"])


def test_event_study_per_period() -> None:
    # Issue 13: one row per period of the panel's own granularity (no more 3-month bins).
    result = estimate(noisy_panel(3, treated_factor=0.5))
    study = result.event_study
    assert list(study["relatief"]) == list(range(-24, 24))
    assert list(study["periode"]) == months(48)
    assert (study["fase"] == np.where(study["relatief"] < 0, "voor", "na")).all()
    assert (study["ci_low"] <= study["effect"]).all() and (
        study["effect"] <= study["ci_high"]
    ).all()
    after = study[study["fase"] == "na"]
    assert after["effect"].mean() < 0 and (after["ci_high"] < 0).mean() > 0.3
    rows = result.to_json_dict()["event_study"]
    assert isinstance(rows, list) and len(rows) == 48
    assert rows[24]["periode"] == "2021-01" and set(rows[24]) == {
        "periode",
        "effect",
        "ci_low",
        "ci_high",
        "fase",
    }


# --- warnings ----------------------------------------------------------------------------------


def test_regression_warning_always_present() -> None:
    above = estimate(noisy_panel(4))
    assert REGRESSIE in above.waarschuwingen[0] and "hoger" in above.waarschuwingen[0]
    below = estimate(noisy_panel(4), hoger_is_slechter=False)
    assert REGRESSIE in below.waarschuwingen[0] and "niet slechter" in below.waarschuwingen[0]


def test_ring_is_its_own_group_with_a_waterbed_sentence() -> None:
    panel = noisy_panel(5, n_controls=24)
    ring = ["C20", "C21", "C22", "C23"]
    ring_rows = panel["code"].isin(ring) & (panel["periode"] >= "2021-01")
    panel.loc[ring_rows, "teller"] = panel.loc[ring_rows, "teller"] * 3
    controls = [f"C{i:02d}" for i in range(20)]
    result = estimate(panel, controls=controls, ring=ring)
    assert result.ring == ring and not set(ring) & set(result.controle)
    assert result.ring_effect is not None and result.ring_effect > 0
    assert result.ring_ci_low is not None and result.ring_ci_low > 0
    assert any(w.startswith("Waterbedeffect: in de ring van 4") for w in result.waarschuwingen)
    with pytest.raises(InputError, match="vergelijkingsbuurt"):
        estimate(panel, controls=[*controls, "C20"], ring=ring)


def test_effort_warning_when_controles_doubled() -> None:
    panel = noisy_panel(6)
    effort = noisy_panel(7, treated_factor=2.0)
    result = estimate(panel, effort=effort)
    assert any(w.startswith(MEER_CONTROLES) for w in result.waarschuwingen)
    calm = estimate(panel, effort=noisy_panel(7))
    assert not any("gecontroleerd" in w for w in calm.waarschuwingen)


def test_short_pre_period_few_controls_and_diverging_trends() -> None:
    panel = noisy_panel(8, n_controls=6)
    short = estimate(panel[panel["periode"] >= "2020-06"])
    assert any(w.startswith("Korte voorperiode: 7 maanden") for w in short.waarschuwingen)
    assert any(w.startswith("Weinig vergelijkingsbuurten (6") for w in short.waarschuwingen)
    rates = {
        "T1": [1.0 + 0.05 * i for i in range(48)],
        **{f"C{j}": [1.0 + 0.01 * j] * 48 for j in range(20)},
    }
    trending = exact_panel(rates)
    rng = np.random.default_rng(0)
    trending["teller"] = rng.poisson(trending["teller"] / 500).astype(float)
    trending["noemer"] = trending["noemer"] / 500
    result = estimate(trending)
    assert result.pre_trend_p is not None and result.pre_trend_p < 0.10
    assert any("trend vóór de start verschilt" in w for w in result.waarschuwingen)


def test_bad_input() -> None:
    panel = noisy_panel(9)
    with pytest.raises(InputError, match="JJJJ-MM"):
        estimate(panel, start="2021-1")
    with pytest.raises(InputError, match="Geen vergelijkingsbuurten"):
        estimate(panel, controls=[])
    with pytest.raises(InputError, match="kolommen"):
        estimate(panel.drop(columns="noemer"))


# --- placebo machinery -------------------------------------------------------------------------


def test_placebo_sets_all_combinations_or_a_fixed_sample() -> None:
    assert placebo_sets(4, 2, max_sets=10).tolist() == [
        [0, 1],
        [0, 2],
        [0, 3],
        [1, 2],
        [1, 3],
        [2, 3],
    ]
    drawn = placebo_sets(40, 8, max_sets=300)
    assert drawn.shape == (300, 8) and len({tuple(r) for r in drawn}) == 300
    assert (np.diff(drawn, axis=1) > 0).all()
    assert (drawn == placebo_sets(40, 8, max_sets=300)).all()
    assert placebo_sets(3, 3, max_sets=10).shape[0] == 0


def test_critical_value_and_p_value_agree() -> None:
    t = np.arange(1.0, 40.0)  # 39 placebos: |t| = 1..39
    q = critical_value(t, 0.05)
    assert q == 38.0  # (1 + 1) / 40 = 0.05 is not above 0.05; (1 + 2) / 40 is
    assert placebo_p(38.0, t) > 0.05 and placebo_p(38.5, t) <= 0.05
    assert placebo_p(0.0, t) == 1.0
    assert math.isinf(critical_value(np.arange(1.0, 10.0), 0.05))


# --- the simulation study ----------------------------------------------------------------------


@pytest.mark.parametrize(("factor", "scenario"), [(0.6, "effect"), (1.0, "geen effect")])
def test_simulation_coverage_and_size(factor: float, scenario: str) -> None:
    simulation = load_simulation()
    study = simulation.run_study(estimate_effect, methode="did", seeds=SEEDS, factor=factor)
    print(f"did {scenario}: {study}")
    assert study.runs == len(SEEDS)
    assert 0.90 <= study.coverage <= 0.99
    assert abs(study.bias) < 0.06  # the effect is about -0.93; its RMSE about 0.23
    if factor == 1.0:
        assert study.rejection <= 0.10
    else:
        assert study.rejection >= 0.90  # power against a 40% drop
