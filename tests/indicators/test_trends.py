"""Poisson intervals for rates, and intervals only where the rate is published."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.errors import InputError
from indicators.trends import (
    add_rate_interval,
    disclosed_interval,
    poisson_interval,
)


def test_garwood_known_values() -> None:
    low, high = poisson_interval([0, 1, 5, 10, np.nan])
    # Garwood (1936) / the usual tables of exact Poisson limits.
    assert low[:4] == pytest.approx([0.0, 0.0253, 1.6235, 4.7954], abs=1e-4)
    assert high[:4] == pytest.approx([3.6889, 5.5716, 11.6683, 18.3904], abs=1e-4)
    assert np.isnan(low[4]) and np.isnan(high[4])
    low90, high90 = poisson_interval([5], level=0.90)
    assert low90[0] > low[2] and high90[0] < high[2]


@given(st.integers(min_value=0, max_value=5_000))
def test_interval_contains_the_count(k: int) -> None:
    low, high = poisson_interval([k])
    assert low[0] <= k <= high[0]
    assert high[0] - low[0] >= 1.0


def test_bad_input() -> None:
    with pytest.raises(InputError):
        poisson_interval([-1])
    with pytest.raises(InputError):
        poisson_interval([1], level=1.5)
    with pytest.raises(InputError, match="noemer"):
        add_rate_interval(pd.DataFrame({"teller": [1.0]}), schaal=1000)


def test_rate_interval_in_the_unit() -> None:
    table = pd.DataFrame({"teller": [5.0, np.nan, 3.0], "noemer": [2000.0, 1000.0, 0.0]})
    out = add_rate_interval(table, schaal=1000)
    assert out.loc[0, "ci_low"] == pytest.approx(1.6235 / 2, abs=1e-4)
    assert out.loc[0, "ci_high"] == pytest.approx(11.6683 / 2, abs=1e-4)
    assert out.loc[[1, 2], ["ci_low", "ci_high"]].isna().all().all()
    assert "ci_low" not in table  # a copy


def test_interval_only_where_the_rate_is_published() -> None:
    published = pd.DataFrame(
        {
            "code": ["WK01", "BU01", "BU02", "BU03"],
            "periode": "2021-01",
            "status": ["", "x", "x", "."],
            "teller_publ": [35.0, np.nan, 20.0, np.nan],  # BU02: a count, its noemer too small
            "noemer_publ": [4000.0, 1000.0, 30.0, 1000.0],
            "waarde_publ": [8.75, np.nan, np.nan, np.nan],
        }
    )
    out = disclosed_interval(published, schaal=1000)
    assert out.loc[0, "ci_low"] < 8.75 < out.loc[0, "ci_high"]
    # Garwood's interval of the published count 35 over the published noemer 4.000.
    assert out.loc[0, "ci_low"] == pytest.approx(24.379 / 4, abs=1e-3)
    assert out.loc[[1, 2, 3], ["ci_low", "ci_high"]].isna().all().all()
    with pytest.raises(InputError, match="teller_publ"):
        disclosed_interval(published.drop(columns="teller_publ"), schaal=1000)
