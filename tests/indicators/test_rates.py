"""Rates from teller and noemer: hand-made cases and invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indicators.periods import months_of, period_range, to_granularity
from indicators.rates import indicator_table, latest_deliveries

AREAS = pd.DataFrame(
    {
        "code": ["BU00010101", "BU00010102", "BU00010201", "WK000101", "WK000102", "GM0001"],
        "level": ["buurt", "buurt", "buurt", "wijk", "wijk", "gemeente"],
        "parent_code": ["WK000101", "WK000101", "WK000102", "GM0001", "GM0001", ""],
        "gemeentecode": ["GM0001"] * 6,
        "woningen": [1000.0, 500.0, 40.0, 1500.0, 40.0, 1540.0],
        "inwoners": [2000.0, 1000.0, 90.0, 3000.0, 90.0, 3090.0],
        "huishoudens": [900.0, 450.0, 35.0, 1350.0, 35.0, 1385.0],
        "uitkeringen": [100.0, 50.0, 5.0, 150.0, 5.0, 155.0],
    }
)


def deliveries(bron: str, indicator: str, periods: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "bron": bron,
            "gemeentecode": "GM0001",
            "indicator": indicator,
            "periode": periods,
            "geleverd_op": pd.Timestamp("2025-01-10", tz="UTC"),
        }
    )


def signal(
    buurt: str,
    periode: str,
    indicator: str,
    teller: float,
    bron: str = "gemeente",
    noemer: float = np.nan,
) -> dict[str, object]:
    return {
        "buurtcode": buurt,
        "periode": periode,
        "indicator": indicator,
        "teller": teller,
        "noemer": noemer,
        "bron": bron,
        "soort": "aggregaat",
    }


def test_rate_per_1000_woningen_and_roll_up() -> None:
    signals = pd.DataFrame(
        [
            signal("BU00010101", "2024-01", "illegale_bewoning", 3),
            signal("BU00010102", "2024-01", "illegale_bewoning", 2),
        ]
    )
    table = indicator_table(
        signals,
        deliveries("gemeente", "illegale_bewoning", ["2024-01"]),
        AREAS,
        indicator="illegale_bewoning",
    ).set_index("code")
    assert table.loc["BU00010101", "waarde"] == pytest.approx(3.0)
    assert table.loc["BU00010102", "waarde"] == pytest.approx(4.0)
    # A delivered month without rows for a buurt is zero, not missing.
    assert table.loc["BU00010201", "teller"] == 0
    assert table.loc["WK000101", "teller"] == 5
    assert table.loc["WK000101", "waarde"] == pytest.approx(5 / 1500 * 1000)
    assert table.loc["GM0001", "teller"] == 5
    assert table.loc["GM0001", "noemer"] == 1540


def test_undelivered_month_is_missing_never_zero() -> None:
    signals = pd.DataFrame(
        [
            signal("BU00010101", "2024-01", "controles", 7),
            signal("BU00010101", "2024-03", "controles", 4),
        ]
    )
    table = indicator_table(
        signals,
        deliveries("politie", "controles", ["2024-01", "2024-03"]),
        AREAS,
        indicator="controles",
        granularity="maand",
    )
    feb = table[table["periode"] == "2024-02"]
    assert len(feb) == 6 and feb["teller"].isna().all() and feb["waarde"].isna().all()
    quarter = indicator_table(
        signals,
        deliveries("politie", "controles", ["2024-01", "2024-03"]),
        AREAS,
        indicator="controles",
        granularity="kwartaal",
    )
    assert quarter["teller"].isna().all(), "a quarter with a missing month is not complete"


def test_quarter_and_year_sum_the_months() -> None:
    months = period_range("2024-01", "2024-12")
    rng = np.random.default_rng(1)
    rows = [
        signal(b, m, "woningsplitsing", float(rng.integers(0, 6)))
        for b in ("BU00010101", "BU00010102")
        for m in months
    ]
    signals = pd.DataFrame(rows)
    delivered = deliveries("gemeente", "woningsplitsing", months)
    by_month = indicator_table(signals, delivered, AREAS, indicator="woningsplitsing")
    by_quarter = indicator_table(
        signals, delivered, AREAS, indicator="woningsplitsing", granularity="kwartaal"
    )
    by_year = indicator_table(
        signals, delivered, AREAS, indicator="woningsplitsing", granularity="jaar"
    )
    month_sum = (
        by_month.assign(q=to_granularity(by_month["periode"], "kwartaal"))
        .groupby(["code", "q"])["teller"]
        .sum()
    )
    assert np.allclose(
        month_sum.to_numpy(),
        by_quarter.set_index(["code", "periode"])["teller"].loc[month_sum.index].to_numpy(),
    )
    assert by_year.set_index("code").loc["GM0001", "teller"] == signals["teller"].sum()


def test_quarter_delivery_counts_at_quarter_not_at_month() -> None:
    signals = pd.DataFrame(
        [signal("BU00010101", "2024-Q1", "toeslag_afwijking", 6, bron="belastingdienst")]
    )
    delivered = deliveries("belastingdienst", "toeslag_afwijking", ["2024-Q1"])
    by_quarter = indicator_table(
        signals, delivered, AREAS, indicator="toeslag_afwijking", granularity="kwartaal"
    ).set_index("code")
    assert by_quarter.loc["BU00010101", "waarde"] == pytest.approx(6 / 900 * 1000)
    by_month = indicator_table(signals, delivered, AREAS, indicator="toeslag_afwijking")
    assert by_month.empty or by_month["teller"].isna().all()


def test_hits_per_controle_is_derived_from_both() -> None:
    signals = pd.DataFrame(
        [
            signal("BU00010101", "2024-01", "illegale_bewoning", 3),
            signal("BU00010101", "2024-01", "controles", 20),
        ]
    )
    delivered = pd.concat(
        [
            deliveries("gemeente", "illegale_bewoning", ["2024-01"]),
            deliveries("gemeente", "controles", ["2024-01"]),
        ]
    )
    table = indicator_table(
        signals, delivered, AREAS, indicator="illegale_bewoning_per_controle"
    ).set_index("code")
    assert table.loc["BU00010101", "waarde"] == pytest.approx(15.0)
    assert np.isnan(table.loc["BU00010102", "waarde"]), "no controles: no rate"


def test_delivered_noemer_for_share() -> None:
    signals = pd.DataFrame(
        [signal("BU00010101", "2024-01", "eigenaar_concentratie", 3, bron="riec", noemer=12)]
    )
    delivered = deliveries("riec", "eigenaar_concentratie", ["2024-01"])
    table = indicator_table(signals, delivered, AREAS, indicator="eigenaar_concentratie").set_index(
        "code"
    )
    assert table.loc["BU00010101", "waarde"] == pytest.approx(25.0)


def test_a_delivered_stock_noemer_is_never_the_rate_s() -> None:
    """UWV delivers its own count of uitkeringen (7) beside a count: the rate keeps the public
    key figure, at every level and granularity, so the 7 can be read back from no rate."""
    signals = pd.DataFrame(
        [signal("BU00010101", "2024-01", "uitkering_afwijking", 3, bron="uwv", noemer=7)]
    )
    delivered = deliveries("uwv", "uitkering_afwijking", ["2024-01", "2024-02", "2024-03"])
    for granularity in ("maand", "kwartaal"):
        table = indicator_table(
            signals, delivered, AREAS, indicator="uitkering_afwijking", granularity=granularity
        ).set_index(["code", "periode"])
        noemer = table["noemer"].groupby(level="code").unique()
        assert {code: list(v) for code, v in noemer.items()} == {
            "BU00010101": [100.0],
            "BU00010102": [50.0],
            "BU00010201": [5.0],
            "WK000101": [150.0],
            "WK000102": [5.0],
            "GM0001": [155.0],
        }
    first = table.loc[("BU00010101", "2024-Q1")]
    assert first["waarde"] == pytest.approx(3 / 100 * 1000)


def test_periods_helpers() -> None:
    assert months_of("2021-Q3") == ["2021-07", "2021-08", "2021-09"]
    assert len(months_of("2020")) == 12
    assert period_range("2023-Q4", "2024-Q2") == ["2023-Q4", "2024-Q1", "2024-Q2"]
    assert period_range("2023-11", "2024-02") == ["2023-11", "2023-12", "2024-01", "2024-02"]


def test_latest_deliveries_per_bron() -> None:
    frame = pd.concat(
        [
            deliveries("uwv", "uitkering_afwijking", ["2024-10", "2024-11"]),
            deliveries("belastingdienst", "toeslag_afwijking", ["2024-Q3"]),
        ]
    )
    latest = latest_deliveries(frame).set_index("bron")
    assert latest.loc["uwv", "laatste_maand"] == "2024-11"
    assert latest.loc["belastingdienst", "laatste_maand"] == "2024-09"


def test_a_gap_at_one_bron_makes_the_period_missing_not_lower() -> None:
    months = period_range("2024-01", "2024-06")
    signals = pd.DataFrame(
        [signal("BU00010101", m, "controles", 10, bron="gemeente") for m in months]
        + [
            signal("BU00010101", m, "controles", 10, bron="politie")
            for m in months
            if m != "2024-03"
        ]
    )
    delivered = pd.concat(
        [
            deliveries("gemeente", "controles", months),
            deliveries("politie", "controles", [m for m in months if m != "2024-03"]),
        ]
    )
    by_month = indicator_table(signals, delivered, AREAS, indicator="controles").set_index(
        ["code", "periode"]
    )
    assert np.isnan(by_month.loc[("BU00010101", "2024-03"), "teller"])
    assert by_month.loc[("BU00010101", "2024-02"), "teller"] == 20
    by_quarter = indicator_table(
        signals, delivered, AREAS, indicator="controles", granularity="kwartaal"
    ).set_index(["code", "periode"])
    assert np.isnan(by_quarter.loc[("BU00010101", "2024-Q1"), "teller"])
    assert by_quarter.loc[("BU00010101", "2024-Q2"), "teller"] == 60


def test_a_buurt_taken_over_has_no_figure_before_it_joined() -> None:
    """BU00010201 (wijk 02) came to GM0001 in a herindeling in 2025 (``JOINED``): before that,
    the deliveries of GM0001 did not cover it. Neither it, its wijk nor the gemeente has a
    figure then, not even where a count of an old buurt was re-based onto it (``HERKOMST``). From 2025 everything counts, and a
    delivery on the taken-over buurt's own code before 2025 makes that period count."""
    from geo.rebase import HERKOMST
    from indicators.rates import JOINED

    areas = AREAS.assign(**{JOINED: [None, None, "2025-01", None, None, None]})
    rows = [
        {**signal("BU00010101", "2024-06", "illegale_bewoning", 3), HERKOMST: "BU00010101"},
        {**signal("BU00010201", "2024-06", "illegale_bewoning", 2), HERKOMST: "BU00019999"},
        {**signal("BU00010201", "2024-07", "illegale_bewoning", 1), HERKOMST: "BU00010201"},
        {**signal("BU00010201", "2025-01", "illegale_bewoning", 4), HERKOMST: "BU00010201"},
    ]
    table = indicator_table(
        pd.DataFrame(rows),
        deliveries("gemeente", "illegale_bewoning", ["2024-06", "2024-07", "2025-01"]),
        areas,
        indicator="illegale_bewoning",
    ).set_index(["code", "periode"])["teller"]
    assert table[("BU00010101", "2024-06")] == 3
    assert table[("BU00010102", "2024-06")] == 0
    for code in ("BU00010201", "WK000102", "GM0001"):
        assert np.isnan(table[(code, "2024-06")]), code
    assert table[("WK000101", "2024-06")] == 3  # wholly of the old territory
    assert table[("BU00010201", "2024-07")] == 1  # delivered on its own code
    assert table[("GM0001", "2024-07")] == 1
    assert table[("BU00010201", "2025-01")] == 4
    assert table[("GM0001", "2025-01")] == 4
    quarters = indicator_table(
        pd.DataFrame(rows),
        deliveries("gemeente", "illegale_bewoning", ["2024-04", "2024-05", "2024-06"]),
        areas,
        indicator="illegale_bewoning",
        granularity="kwartaal",
    ).set_index(["code", "periode"])["teller"]
    assert quarters[("BU00010101", "2024-Q2")] == 3
    assert np.isnan(quarters[("BU00010201", "2024-Q2")])
    assert np.isnan(quarters[("GM0001", "2024-Q2")])
