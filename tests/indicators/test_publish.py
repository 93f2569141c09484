"""Publishing one indicator: all period lengths in one disclosure pass; derived rates masked."""

from __future__ import annotations

import numpy as np
import pandas as pd

from indicators.periods import period_range
from indicators.publish import published_table
from tests.indicators.test_rates import AREAS, deliveries, signal


def _data() -> tuple[pd.DataFrame, pd.DataFrame]:
    months = period_range("2024-01", "2024-12")
    rng = np.random.default_rng(7)
    rows = [signal(b, m, ind, float(rng.integers(0, 9)))
            for b in ("BU00010101", "BU00010102", "BU00010201") for m in months
            for ind in ("illegale_bewoning", "controles")]  # fmt: skip
    delivered = pd.concat([deliveries("gemeente", ind, months)
                           for ind in ("illegale_bewoning", "controles")])  # fmt: skip
    return pd.DataFrame(rows), delivered


def test_all_granularities_in_one_table() -> None:
    signals, delivered = _data()
    table = published_table(signals, delivered, AREAS, indicator="illegale_bewoning")
    assert set(table["granulariteit"]) == {"maand", "kwartaal", "jaar"}
    # a secret month is never the only hidden month of a published year
    for code, part in table.groupby("code"):
        year = part[part["periode"] == "2024"].iloc[0]
        months = part[part["granulariteit"] == "maand"]
        if year["status"] == "":
            assert (months["status"] == "x").sum() != 1, code


def test_per_controle_is_hidden_wherever_its_parts_are() -> None:
    signals, delivered = _data()
    hits = published_table(signals, delivered, AREAS, indicator="illegale_bewoning")
    effort = published_table(signals, delivered, AREAS, indicator="controles")
    derived = published_table(signals, delivered, AREAS, indicator="illegale_bewoning_per_controle")
    merged = derived.merge(
        hits[["code", "periode", "status"]], on=["code", "periode"], suffixes=("", "_hits")
    )
    merged = merged.merge(
        effort[["code", "periode", "status"]], on=["code", "periode"], suffixes=("", "_effort")
    )
    shown = merged[merged["status"] == ""]
    assert not shown.empty
    assert (shown["status_hits"] == "").all() and (shown["status_effort"] == "").all()
    assert derived["teller_publ"].isna().all()
