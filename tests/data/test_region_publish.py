"""Several gemeenten disclosed in one pass give the same cells as one pass per gemeente, and
store filters by gemeente and indicator load exactly the rows asked for."""

from __future__ import annotations

import pandas as pd
import pytest

from data import db, store
from data.publication.rebase import signals_on_indeling
from indicators import catalogue
from indicators.publish import published_table

REGION_2014 = ["GM0889", "GM1894"]  # Beesel and Peel en Maas, both on indeling 2014


def _published(url: str, gemeenten: list[str], indicator: str) -> pd.DataFrame:
    engine = db.make_engine(url)
    needed = catalogue.inputs(indicator)
    signals, _ = signals_on_indeling(engine, gemeenten=gemeenten, jaar=2014, indicators=needed)
    areas = store.load_areas(engine, indeling_jaar=2014, gemeenten=gemeenten)
    deliveries = store.load_deliveries(engine, gemeenten=gemeenten, indicators=needed)
    table = published_table(signals, deliveries, pd.DataFrame(areas.drop(columns="geometry")),
                            indicator=indicator)  # fmt: skip
    return table.sort_values(["granulariteit", "code", "periode"]).reset_index(drop=True)


@pytest.mark.parametrize("indicator", ["illegale_bewoning", "illegale_bewoning_per_controle"])
def test_region_in_one_pass_equals_one_pass_per_gemeente(demo_url: str, indicator: str) -> None:
    together = _published(demo_url, REGION_2014, indicator)
    apart = pd.concat([_published(demo_url, [g], indicator) for g in REGION_2014])
    apart = apart.sort_values(["granulariteit", "code", "periode"]).reset_index(drop=True)
    assert len(together) > 1000 and (together["status"] == "x").any()
    pd.testing.assert_frame_equal(together, apart)


def test_signal_filters_load_exactly_the_rows_asked_for(demo_url: str) -> None:
    engine = db.make_engine(demo_url)
    everything = store.load_signals(engine)
    asked = store.load_signals(engine, gemeenten=REGION_2014, indicators=["controles"])
    expected = everything[
        everything["buurtcode"].str[2:6].isin([g[2:6] for g in REGION_2014])
        & (everything["indicator"] == "controles")
    ]
    assert len(asked) == len(expected) > 0
    # A large region (more gemeenten than are filtered in SQL) gives the same rows.
    many = REGION_2014 + [f"GM{n:04d}" for n in range(1, 100)]
    assert len(many) > store._MAX_RANGES
    big = store.load_signals(engine, gemeenten=many, indicators=["controles"])
    pd.testing.assert_frame_equal(
        big.sort_values(list(big.columns)).reset_index(drop=True),
        asked.sort_values(list(asked.columns)).reset_index(drop=True),
    )
    assert store.load_signals(engine, gemeenten=[]).empty
    deliveries = store.load_deliveries(engine, gemeenten=["GM0983"], indicators=["controles"])
    assert set(deliveries["gemeentecode"]) == {"GM0983"}
    assert set(deliveries["indicator"]) == {"controles"}
