"""Poisson intervals for rates, group series, and intervals only where the rate is published."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.errors import InputError
from indicators.disclosure import disclose
from indicators.trends import (
    add_rate_interval,
    disclosed_interval,
    group_series,
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
    table = pd.DataFrame(
        {
            "code": ["WK01", "BU01", "BU02", "BU03", "BU04"],
            "parent_code": ["GM01", "WK01", "WK01", "WK01", "WK01"],
            "periode": "2021-01",
            "indicator": "illegale_bewoning",
            "teller": [37.0, 3.0, 12.0, 22.0, np.nan],
            "noemer": [4000.0, 1000.0, 1000.0, 30.0, 1000.0],
        }
    )
    table["waarde"] = table["teller"] / table["noemer"] * 1000
    out = disclosed_interval(disclose(table), schaal=1000)
    shown = out["status"].eq("") & out["waarde_publ"].notna()
    assert out.loc[shown, "ci_low"].notna().all() and out.loc[~shown, "ci_low"].isna().all()
    assert out.loc[~shown, "ci_high"].isna().all()
    assert out.loc[out["code"] == "BU01", "ci_low"].isna().all()  # teller 3: secret
    assert out.loc[out["code"] == "BU03", "ci_low"].isna().all()  # noemer 30: no rate
    assert out.loc[out["code"] == "BU04", "ci_low"].isna().all()  # not delivered
    with pytest.raises(InputError, match="status"):
        disclosed_interval(table, schaal=1000)


def _rows(tellers: list[float], statuses: list[str], noemer: float = 400.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": [f"BU{i:08d}" for i in range(len(tellers))],
            "periode": "2024-Q1",
            "teller": tellers,
            "noemer": noemer,
            "status": statuses,
        }
    )


@pytest.mark.parametrize(
    ("tellers", "statuses", "status"),
    [
        ([10, 20, 30], ["", "", ""], ""),
        ([10, 3, 30], ["", "x", ""], "x"),  # one secret member: group minus the others
        ([10, 3, 4, 30], ["", "x", "x", ""], ""),  # two secret adding up to 7
        ([10, 1, 2, 30], ["", "x", "x", ""], "x"),  # two secret adding up to 3
        ([1, 1, 0], ["x", "x", "x"], "x"),  # the group's own count is 2
        ([10, np.nan, 30], ["", ".", ""], "."),  # a member not delivered
    ],
)
def test_group_series_disclosure(tellers: list[float], statuses: list[str], status: str) -> None:
    rows = _rows(tellers, statuses)
    out = group_series(rows, list(rows["code"]), ["2024-Q1"], schaal=1000)
    assert out["status"].tolist() == [status]
    if status == "":
        rounded = 5 * np.floor(np.nansum(tellers) / 5 + 0.5)  # from the count rounded to 5
        expected = rounded / (400.0 * len(tellers)) * 1000
        assert out["waarde_publ"].iloc[0] == pytest.approx(expected)
    else:
        assert np.isnan(out["waarde_publ"].iloc[0])


def test_group_series_needs_every_member_and_a_large_noemer() -> None:
    rows = _rows([10, 20], ["", ""], noemer=20.0)
    assert group_series(rows, list(rows["code"]), ["2024-Q1"], schaal=1000)["status"][0] == "x"
    absent = group_series(rows, [*rows["code"], "BU99999999"], ["2024-Q1"], schaal=1000)
    assert absent["status"][0] == "."
