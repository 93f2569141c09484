"""Disclosure control: hand-made cases for every rule, and an attacker who subtracts."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.errors import InputError
from indicators.disclosure import disclose, format_cell, round_to

IND = "illegale_bewoning"


def parent(code: str) -> str:
    if code.startswith("BU"):
        return "WK" + code[2:8]
    if code.startswith("WK"):
        return "GM" + code[2:6]
    return ""


def level(code: str) -> str:
    return {"BU": "buurt", "WK": "wijk", "GM": "gemeente"}[code[:2]]


def make_table(rows: Iterable[tuple[str, str, float, float]], indicator: str = IND) -> pd.DataFrame:
    """Rows of (code, periode, teller, noemer); the rate is per 1.000 from the raw values."""
    frame = pd.DataFrame(list(rows), columns=["code", "periode", "teller", "noemer"])
    frame.insert(1, "level", frame["code"].map(level))
    frame.insert(2, "parent_code", frame["code"].map(parent))
    frame.insert(4, "indicator", indicator)
    frame["waarde"] = frame["teller"] / frame["noemer"].where(frame["noemer"] > 0) * 1000
    return frame


def wijk(tellers: list[float], *, wk: str = "WK000101", noemer: float = 100.0) -> list[tuple]:
    """A wijk row (the sum of its buurten, NaN parts skipped) and its buurt rows, one month."""
    total = float(np.nansum(tellers)) if not all(map(math.isnan, tellers)) else math.nan
    rows = [(wk, "2024-01", total, noemer * len(tellers))]
    rows += [(f"BU{wk[2:]}{i + 1:02d}", "2024-01", t, noemer) for i, t in enumerate(tellers)]
    return rows


def result(table: pd.DataFrame) -> pd.DataFrame:
    return disclose(table).set_index(["code", "periode"])


def secret_codes(out: pd.DataFrame) -> set[str]:
    return set(out.index[out["status"] == "x"].get_level_values("code"))


# Rule 1: not delivered is ".", never a number.


def test_missing_teller_is_a_dot_without_numbers() -> None:
    out = result(make_table([("GM0001", "2024-01", math.nan, 500.0)]))
    row = out.loc[("GM0001", "2024-01")]
    assert row["status"] == "."
    assert math.isnan(row["teller_publ"]) and math.isnan(row["waarde_publ"])


# Rule 2: counts 1 to 4 are secret, and so is their rate.


@pytest.mark.parametrize("teller", [1.0, 2.0, 3.0, 4.0])
def test_counts_one_to_four_are_secret_with_their_rate(teller: float) -> None:
    out = result(make_table([("GM0001", "2024-01", teller, 500.0)]))
    row = out.loc[("GM0001", "2024-01")]
    assert row["status"] == "x"
    assert math.isnan(row["teller_publ"]) and math.isnan(row["waarde_publ"])


@pytest.mark.parametrize(("teller", "published"), [(0.0, 0.0), (5.0, 5.0), (7.0, 5.0), (8.0, 10.0)])
def test_zero_and_five_or_more_are_shown_rounded(teller: float, published: float) -> None:
    out = result(make_table([("GM0001", "2024-01", teller, 500.0)]))
    row = out.loc[("GM0001", "2024-01")]
    assert row["status"] == ""
    assert row["teller_publ"] == published
    # The rate comes from the unrounded teller.
    assert row["waarde_publ"] == pytest.approx(teller / 500 * 1000)


def test_rounding_base_is_a_parameter() -> None:
    out = result(make_table([("GM0001", "2024-01", 14.0, 500.0)]))
    assert out["teller_publ"].iloc[0] == 15.0
    ten = disclose(make_table([("GM0001", "2024-01", 14.0, 500.0)]), rounding=10)
    assert ten["teller_publ"].iloc[0] == 10.0


# Rule 3: rates only on a noemer of at least min_noemer; an unknown noemer hides only the rate.


def test_small_noemer_withholds_the_rate_but_not_the_count() -> None:
    out = result(make_table([("GM0001", "2024-01", 12.0, 49.0), ("GM0002", "2024-01", 12.0, 50.0)]))
    small, enough = out.loc[("GM0001", "2024-01")], out.loc[("GM0002", "2024-01")]
    assert small["status"] == "x"
    assert small["teller_publ"] == 10.0
    assert math.isnan(small["waarde_publ"])
    assert enough["status"] == ""
    assert enough["waarde_publ"] == pytest.approx(240.0)


def test_min_noemer_is_a_parameter() -> None:
    out = disclose(make_table([("GM0001", "2024-01", 12.0, 80.0)]), min_noemer=100)
    assert out["status"].iloc[0] == "x"
    assert math.isnan(out["waarde_publ"].iloc[0])
    assert out["teller_publ"].iloc[0] == 10.0


def test_unknown_noemer_hides_the_rate_and_keeps_status_empty() -> None:
    table = make_table([("GM0001", "2024-01", 12.0, math.nan)])
    table["waarde"] = 99.0  # even a rate the caller filled in is not shown without its noemer
    out = disclose(table)
    assert out["status"].iloc[0] == ""
    assert out["teller_publ"].iloc[0] == 10.0
    assert math.isnan(out["waarde_publ"].iloc[0])


def test_unknown_noemer_does_not_reveal_a_small_count() -> None:
    out = disclose(make_table([("GM0001", "2024-01", 3.0, math.nan)]))
    assert out["status"].iloc[0] == "x"
    assert math.isnan(out["teller_publ"].iloc[0])


# Rule 4: complementary suppression.


def test_wijk_minus_other_buurten_is_protected_by_the_smallest_nonzero_buurt() -> None:
    out = result(make_table(wijk([3.0, 12.0, 7.0])))
    assert secret_codes(out) == {"BU00010101", "BU00010103"}
    assert out.loc[("WK000101", "2024-01"), "teller_publ"] == 20.0
    assert out.loc[("BU00010102", "2024-01"), "teller_publ"] == 10.0
    assert math.isnan(out.loc[("BU00010103", "2024-01"), "waarde_publ"])


def test_ties_go_to_the_lowest_code() -> None:
    out = result(make_table(wijk([3.0, 8.0, 8.0])))
    assert secret_codes(out) == {"BU00010101", "BU00010102"}


def test_zero_parts_are_not_preferred_as_complement() -> None:
    out = result(make_table(wijk([2.0, 0.0, 11.0, 9.0])))
    assert secret_codes(out) == {"BU00010101", "BU00010104"}
    assert out.loc[("BU00010102", "2024-01"), "teller_publ"] == 0.0


def test_a_zero_part_goes_when_no_nonzero_part_is_published() -> None:
    rows = wijk([3.0, math.nan, 0.0])
    rows[0] = ("WK000101", "2024-01", 10.0, 300.0)  # a total delivered with more than its buurten
    out = result(make_table(rows))
    assert secret_codes(out) == {"BU00010101", "BU00010103"}
    assert out.loc[("BU00010102", "2024-01"), "status"] == "."


def test_a_missing_part_does_not_protect_a_secret_part() -> None:
    # The wijk is the sum of the delivered buurten, so the missing buurt adds nothing to it.
    out = result(make_table(wijk([3.0, math.nan, 10.0, 12.0])))
    assert secret_codes(out) == {"BU00010101", "BU00010103"}


def test_the_total_goes_when_no_part_can() -> None:
    rows = wijk([3.0, math.nan])
    rows[0] = ("WK000101", "2024-01", 8.0, 200.0)
    out = result(make_table(rows))
    assert secret_codes(out) == {"WK000101", "BU00010101"}


def test_a_secret_total_is_not_recoverable_as_the_sum_of_its_parts() -> None:
    # Wijk 1 is secret (3), so wijk 2 (the smallest) protects it in the gemeente. But wijk 2 is
    # the sum of its published buurten, so one of those must go as well.
    rows = [("GM0001", "2024-01", 53.0, 900.0)]
    rows += wijk([1.0, 2.0], wk="WK000101")
    rows += wijk([12.0, 8.0], wk="WK000102")
    rows += wijk([30.0], wk="WK000103")
    out = result(make_table(rows))
    assert secret_codes(out) == {"WK000101", "BU00010101", "BU00010102", "WK000102", "BU00010202"}
    assert out.loc[("GM0001", "2024-01"), "teller_publ"] == 55.0
    assert_nothing_recoverable(disclose(make_table(rows)))


def test_a_month_is_protected_in_its_quarter_and_year() -> None:
    months = {"2024-01": 2.0, "2024-02": 6.0, "2024-03": 9.0}
    months |= {"2024-04": 10.0, "2024-05": 11.0, "2024-06": 12.0}
    rows = [("GM0001", p, t, 500.0) for p, t in months.items()]
    rows += [("GM0001", "2024-Q1", 17.0, 500.0), ("GM0001", "2024-Q2", 33.0, 500.0)]
    rows += [("GM0001", "2024", 50.0, 500.0)]
    out = result(make_table(rows))
    assert set(out.index[out["status"] == "x"].get_level_values("periode")) == {
        "2024-01",
        "2024-02",
    }
    assert_nothing_recoverable(disclose(make_table(rows)))


def test_ties_in_time_go_to_the_earliest_periode() -> None:
    rows = [("GM0001", f"2024-{m:02d}", t, 500.0) for m, t in ((1, 9.0), (2, 2.0), (3, 9.0))]
    rows += [("GM0001", "2024-Q1", 20.0, 500.0)]
    out = result(make_table(rows))
    assert set(out.index[out["status"] == "x"].get_level_values("periode")) == {
        "2024-01",
        "2024-02",
    }


def test_suppression_in_one_dimension_is_followed_into_the_other() -> None:
    # Two buurten of one wijk over one quarter: one secret month spreads to a rectangle.
    tellers = {"BU00010101": [3.0, 20.0, 30.0], "BU00010102": [10.0, 40.0, 50.0]}
    rows = []
    for code, values in tellers.items():
        rows += [(code, f"2024-{m + 1:02d}", v, 100.0) for m, v in enumerate(values)]
        rows += [(code, "2024-Q1", sum(values), 100.0)]
    sums = [a + b for a, b in zip(*tellers.values(), strict=True)]
    rows += [("WK000101", f"2024-{m + 1:02d}", v, 200.0) for m, v in enumerate(sums)]
    rows += [("WK000101", "2024-Q1", sum(sums), 200.0)]
    out = result(make_table(rows))
    assert set(out.index[out["status"] == "x"]) == {
        ("BU00010101", "2024-01"),
        ("BU00010101", "2024-02"),
        ("BU00010102", "2024-01"),
        ("BU00010102", "2024-02"),
    }
    assert_nothing_recoverable(disclose(make_table(rows)))


def test_indicators_do_not_form_groups_together() -> None:
    table = pd.concat(
        [make_table(wijk([3.0, 12.0, 7.0]), "a"), make_table(wijk([13.0, 12.0, 7.0]), "b")]
    )
    out = disclose(table)
    assert set(out.loc[out["indicator"] == "b", "status"]) == {""}


# The frame itself.


def test_returns_a_copy_with_the_index_and_extra_columns_kept() -> None:
    table = make_table(wijk([3.0, 12.0, 7.0]))
    table.index = pd.Index([10, 20, 30, 40])
    table["naam"] = ["Wijk", "A", "B", "C"]
    before = table.copy()
    out = disclose(table)
    pd.testing.assert_frame_equal(table, before)
    assert list(out.index) == [10, 20, 30, 40]
    assert list(out.columns) == [*table.columns, "status", "teller_publ", "waarde_publ"]
    assert out.loc[10, "naam"] == "Wijk"


def test_empty_table_gets_the_columns() -> None:
    out = disclose(make_table([]))
    assert out.empty
    assert {"status", "teller_publ", "waarde_publ"} <= set(out.columns)


def test_nullable_float_columns_are_accepted() -> None:
    table = make_table(wijk([3.0, 12.0, 7.0])).astype({"teller": "Float64", "noemer": "Float64"})
    table.loc[2, "teller"] = pd.NA
    out = disclose(table)
    assert out["status"].tolist() == ["", "x", ".", "x"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.drop(columns=["noemer"]), "mist kolommen: noemer"),
        (lambda t: pd.concat([t, t.iloc[[1]]]), "Dubbele rijen"),
        (lambda t: t.assign(periode="januari 2024"), "Onbekende perioden"),
        (lambda t: t.assign(teller=-1.0), "negatieve"),
    ],
)
def test_bad_input_is_refused_in_plain_dutch(
    change: Callable[[pd.DataFrame], pd.DataFrame], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        disclose(change(make_table(wijk([3.0, 12.0, 7.0]))))


def test_rounding_must_be_positive() -> None:
    with pytest.raises(InputError, match="positief"):
        disclose(make_table(wijk([3.0])), rounding=0)


# Helpers.


def test_round_to_rounds_halves_up_and_keeps_nan() -> None:
    values = pd.Series([0.0, 2.0, 2.5, 7.4, 7.5, 12.0, 13.0, math.nan], name="teller")
    out = round_to(values)
    assert out.name == "teller"
    np.testing.assert_array_equal(out.to_numpy(), [0, 0, 5, 5, 10, 10, 15, math.nan])
    assert round_to(pd.Series([15.0, 14.9]), base=10).tolist() == [20.0, 10.0]
    with pytest.raises(ValueError, match="positief"):
        round_to(values, base=0)


@pytest.mark.parametrize(
    ("value", "status", "decimals", "text"),
    [
        (1234.5, "", 1, "1.234,5"),
        (1234567.0, "", 0, "1.234.567"),
        (0.25, "", 2, "0,25"),
        (12.0, "", 1, "12,0"),
        (-0.01, "", 1, "0,0"),
        (math.nan, "x", 1, "x"),
        (math.nan, ".", 1, "."),
        (math.nan, "", 1, "."),
        (math.inf, "", 1, "."),
        (15.0, "x", 0, "x"),
        (15.0, ".", 0, "."),
    ],
)
def test_format_cell(value: float, status: str, decimals: int, text: str) -> None:
    assert format_cell(value, status, decimals=decimals) == text


def test_format_cell_refuses_an_unknown_status() -> None:
    with pytest.raises(ValueError, match="status"):
        format_cell(1.0, "geheim")


# Properties on random hierarchies, and the attacker.


def additive_groups(table: pd.DataFrame) -> list[tuple[int, list[int]]]:
    """(total, parts) as positions, written out naively and independently of the module."""
    rows = table.reset_index(drop=True)
    where = {(r.code, r.periode, r.indicator): i for i, r in enumerate(rows.itertuples())}
    groups: dict[tuple[str, tuple[str, str, str]], list[int]] = {}
    for i, r in enumerate(rows.itertuples()):
        p = str(r.periode)
        totals = []
        if r.parent_code:
            totals.append(("area", (r.parent_code, p, r.indicator)))
        if len(p) == 7 and "Q" not in p:
            quarter = f"{p[:4]}-Q{(int(p[5:]) - 1) // 3 + 1}"
            totals += [("year-month", (r.code, p[:4], r.indicator))]
            totals += [("quarter-month", (r.code, quarter, r.indicator))]
        if "Q" in p:
            totals.append(("year-quarter", (r.code, p[:4], r.indicator)))
        for kind, total in totals:
            if total in where:
                groups.setdefault((kind, total), []).append(i)
    return [(where[total], parts) for (_, total), parts in groups.items()]


def recoverable(out: pd.DataFrame) -> set[int]:
    """Secret cells an attacker recovers exactly by (chained) subtraction within groups.

    Worst case: the attacker knows the exact, unrounded teller of every published cell (rates
    on a public noemer give it away), knows that a missing part adds nothing to its total, and
    keeps using every cell recovered so far.
    """
    rows = out.reset_index(drop=True)
    status = rows["status"].to_numpy()
    published = rows["teller_publ"].notna().to_numpy()
    known = set(np.flatnonzero(published | (status == ".")))
    secret = set(np.flatnonzero(~published & (status != ".")))
    groups = additive_groups(rows)
    found: set[int] = set()
    changed = True
    while changed:
        changed = False
        for total, parts in groups:
            if status[total] == ".":
                continue  # a total not delivered says nothing
            unknown = [m for m in [total, *parts] if m not in known]
            if len(unknown) == 1:
                known.add(unknown[0])
                found.add(unknown[0])
                changed = True
    return found & secret


def assert_nothing_recoverable(out: pd.DataFrame) -> None:
    found = recoverable(out)
    rows = out.reset_index(drop=True)
    assert not found, rows.iloc[sorted(found)][["code", "periode", "teller", "status"]]


def _teller(draw_code: tuple[int, int, int]) -> float:
    kind, small, large = draw_code
    if kind < 45:
        return float(small)  # 1 to 4: many primary suppressions
    if kind < 62:
        return 0.0
    if kind < 96:
        return float(large)
    return math.nan


@st.composite
def hierarchies(draw: st.DrawFn) -> pd.DataFrame:
    """1 gemeente, 2-4 wijken of 1-4 buurten, 1-6 months with their quarter and year rows."""
    sizes = draw(st.lists(st.integers(1, 4), min_size=2, max_size=4))
    first = draw(st.integers(1, 7))
    months = [f"2023-{m:02d}" for m in range(first, first + draw(st.integers(1, 6)))]
    undelivered = draw(st.sets(st.sampled_from(months), max_size=1))
    skip_missing = draw(st.booleans())  # totals skip missing parts, or become missing
    cell = st.tuples(st.integers(0, 99), st.integers(1, 4), st.integers(5, 40)).map(_teller)
    tellers: dict[tuple[str, str], list[float]] = {}
    noemers: dict[str, float] = {}  # woningen: the same in every period
    for w, size in enumerate(sizes):
        for b in range(size):
            code, noemer = f"BU0001{w:02d}{b:02d}", float(draw(st.integers(20, 500)))
            areas = (code, parent(code), parent(parent(code)))
            for area in areas:
                noemers[area] = noemers.get(area, 0.0) + noemer
            for m in months:
                teller = math.nan if m in undelivered else draw(cell)
                periods = (m, f"2023-Q{(int(m[5:]) - 1) // 3 + 1}", "2023")
                for area in areas:
                    for periode in periods:
                        tellers.setdefault((area, periode), []).append(teller)

    def total(values: list[float]) -> float:
        delivered = [v for v in values if not math.isnan(v)]
        if not delivered or (len(delivered) < len(values) and not skip_missing):
            return math.nan
        return float(sum(delivered))

    return make_table((c, p, total(v), noemers[c]) for (c, p), v in tellers.items())


@settings(max_examples=200, deadline=None)
@given(hierarchies())
def test_no_secret_cell_is_recoverable_by_subtraction(table: pd.DataFrame) -> None:
    out = disclose(table)
    assert_nothing_recoverable(out)
    # The same, stated as the brief does: where a delivered total and all but one part are
    # published, that last part never hides a count of 1 to 4.
    rows = out.reset_index(drop=True)
    for total, parts in additive_groups(rows):
        hidden = [p for p in parts if math.isnan(rows.at[p, "teller_publ"])]
        if not math.isnan(rows.at[total, "teller_publ"]) and len(hidden) == 1:
            assert not 0 < rows.at[hidden[0], "teller"] < 5


@settings(max_examples=200, deadline=None)
@given(hierarchies())
def test_published_values_obey_the_rules(table: pd.DataFrame) -> None:
    out = disclose(table)
    teller, publ = out["teller"], out["teller_publ"]
    assert set(out["status"]) <= {"", "x", "."}
    assert (out.loc[teller.isna(), "status"] == ".").all()
    assert (out.loc[teller.notna(), "status"] != ".").all()
    assert ((publ.dropna() % 5) == 0).all()
    assert ((publ - teller).abs().dropna() <= 2.5).all()
    small = (teller > 0) & (teller < 5)
    assert publ[small].isna().all() and out.loc[small, "waarde_publ"].isna().all()
    assert (out.loc[small, "status"] == "x").all()
    assert (out.loc[publ.isna() & teller.notna(), "status"] == "x").all()
    rate = out["waarde_publ"].notna()
    assert publ[rate].notna().all() and (out.loc[rate, "noemer"] >= 50).all()
    assert (out.loc[(out["noemer"] < 50) & teller.notna(), "status"] == "x").all()
    np.testing.assert_allclose(out.loc[rate, "waarde_publ"], out.loc[rate, "waarde"])
