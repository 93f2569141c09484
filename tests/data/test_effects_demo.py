"""The demo's known effects, through the data layer and the CLI face, estimated from the published
group lines: quarters (the treated buurten are mostly secret per month), counts rounded to 5, the
interval from the time series; two stages (Klingerberg 2021, Tegelen-Centrum a year later)
estimated per stage and together."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from dashboard.cli_effect import cmd_effect
from data import db
from data.demo.params import (
    BEHANDELD,
    EXPECTED_EFFECT_ILLEGALE_BEWONING,
    FASE2,
    INTERVENTIE_ID,
    expected_effect_fase2,
)
from data.publication.effects import effect_for_intervention
from data.settings import Settings
from geo.errors import InputError
from indicators.effects import CONTRACT_KEYS, MEER_CONTROLES, REGRESSIE, EffectResult

RING = [  # around Klingerberg, where the demo puts a waterbed (docs/demo.md)
    "BU09832202",
    "BU09832203",
    "BU09832402",
    "BU09832403",
    "BU09832701",
    "BU09832702",
    "BU09832801",
    "BU09832804",
]


@pytest.fixture(scope="module")
def engine(demo_url: str) -> Iterator[Engine]:
    engine = db.make_engine(demo_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def result(engine: Engine) -> EffectResult:
    return effect_for_intervention(engine, INTERVENTIE_ID, "illegale_bewoning", "did")


def test_both_stages_recovered(result: EffectResult) -> None:
    # The built-in effects are per month; per quarter they are about three times as large.
    klingerberg = 3 * EXPECTED_EFFECT_ILLEGALE_BEWONING
    tegelen = 3 * expected_effect_fase2("illegale_bewoning")
    assert result.periode_per == "kwartaal" and result.inferentie == "tijdreeks"
    assert (
        result.ci_low <= min(klingerberg, tegelen) and max(klingerberg, tegelen) <= result.ci_high
    )
    assert result.effect < 0 and result.ci_high - result.ci_low < 6
    assert result.behandeld == sorted([*BEHANDELD, *FASE2])
    assert set(RING) <= set(result.ring)
    assert not set(result.controle) & (set(result.ring) | set(result.behandeld))
    assert len(result.controle) >= 10
    assert (result.pre_perioden, result.post_perioden) == (10, 14)
    first, second = result.cohorten
    assert (first["start"], first["behandeld"]) == ("2021-Q3", list(BEHANDELD))
    assert (second["start"], second["behandeld"]) == ("2022-Q3", list(FASE2))
    for cohort, truth in ((first, klingerberg), (second, tegelen)):
        assert cohort["ci_low"] <= truth <= cohort["ci_high"]  # type: ignore[operator]
    assert any("Callaway en Sant'Anna" in w for w in result.waarschuwingen)


def test_synthetic_control_uses_published_lines_only(engine: Engine) -> None:
    effort = effect_for_intervention(engine, INTERVENTIE_ID, "controles", "synth")
    assert effort.methode == "synth" and effort.ci_low > 0
    assert effort.weights and set(effort.weights) <= set(effort.controle)
    # Illegale bewoning is too sparse for published donor lines per month or quarter: per year.
    hits = effect_for_intervention(engine, INTERVENTIE_ID, "illegale_bewoning", "synth")
    assert hits.periode_per == "jaar"
    assert any("per jaar berekend" in w for w in hits.waarschuwingen)


def test_contract_json(result: EffectResult) -> None:
    data = result.to_json_dict()
    assert set(CONTRACT_KEYS) <= set(data) and data["periode_per"] == "kwartaal"
    assert [c["start"] for c in data["cohorten"]] == ["2021-Q3", "2022-Q3"]
    assert {"periode", "effect", "ci_low", "ci_high"} <= set(data["event_study"][0])
    assert data["interventie"] == INTERVENTIE_ID and data["indicator"] == "illegale_bewoning"
    assert data["eenheid"] == "per 1.000 woningen"
    json.dumps(data, ensure_ascii=False, allow_nan=False)  # no NaN in the contract's JSON


def test_warnings(result: EffectResult) -> None:
    text = "\n".join(result.waarschuwingen)
    assert REGRESSIE in text and "lag het cijfer in de behandelde buurten hoger" in text
    assert MEER_CONTROLES in text
    assert f"Waterbedeffect: in de ring van {len(result.ring)} " in text
    assert "gepubliceerde groepsreeksen" in text and "Per maand zijn de behandelde" in text
    assert result.ring_effect is not None


def test_other_indicators(engine: Engine) -> None:
    effort = effect_for_intervention(engine, INTERVENTIE_ID, "controles")
    assert effort.ci_low > 0  # the inspection effort doubled
    assert not any(MEER_CONTROLES in w for w in effort.waarschuwingen)
    per_visit = effect_for_intervention(engine, INTERVENTIE_ID, "illegale_bewoning_per_controle")
    assert per_visit.ci_high < 0 and per_visit.eenheid == "per 100 controles"
    yearly = effect_for_intervention(engine, INTERVENTIE_ID, "controles", periode_per="jaar")
    assert yearly.periode_per == "jaar" and yearly.effect > effort.effect
    with pytest.raises(InputError, match="woondruk"):
        effect_for_intervention(engine, INTERVENTIE_ID, "arbeidsmigranten")


def test_unknown_input(engine: Engine) -> None:
    with pytest.raises(InputError, match="Onbekende interventie 'nergens'"):
        effect_for_intervention(engine, "nergens", "illegale_bewoning")
    with pytest.raises(InputError, match="Onbekende indicator 'geluk'"):
        effect_for_intervention(engine, INTERVENTIE_ID, "geluk")
    with pytest.raises(InputError, match="methode"):
        effect_for_intervention(engine, INTERVENTIE_ID, "illegale_bewoning", "rdd")


def _args(**kwargs: object) -> argparse.Namespace:
    base: dict[str, object] = {
        "interventie": INTERVENTIE_ID,
        "indicator": "illegale_bewoning",
        "methode": "did",
        "json": False,
    }
    return argparse.Namespace(**{**base, **kwargs})


def test_cli_json(demo_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cmd_effect(_args(json=True), Settings(db_url=demo_url)) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    assert set(CONTRACT_KEYS) <= set(data) and out.count("\n") == 1
    assert data["methode"] == "did" and data["pre_perioden"] == 10
    assert data["ci_low"] <= 3 * EXPECTED_EFFECT_ILLEGALE_BEWONING <= data["ci_high"]
    assert "Vóór" in out  # ensure_ascii=False


def test_cli_text(demo_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = _args(methode="synth", indicator="controles", periode_per="kwartaal")
    assert cmd_effect(args, Settings(db_url=demo_url)) == 0
    out = capsys.readouterr().out
    assert "synthetische controle" in out and "per 1.000 woningen per kwartaal" in out
    assert "95%-interval -" in out and "," in out.splitlines()[1]  # Dutch decimals
    assert "vergelijkingsbuurten: " in out and "ring (waterbed, apart gehouden): 18" in out
    assert sum(line.startswith("  - ") for line in out.splitlines()) >= 3


def test_cli_unknown_intervention(demo_url: str) -> None:
    with pytest.raises(InputError, match="nergens"):
        cmd_effect(_args(interventie="nergens"), Settings(db_url=demo_url))
