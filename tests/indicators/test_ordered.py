"""Teller and noemer as one system (``indicators.ordered``): the rests that each table already
implies may go, and moves through the rests, and each table alone with the other at its true
counts, reach only values an attacker allows. All are checked against a programme over every
cell, written apart from ``indicators._lp``."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.areas import parent_of
from indicators._lp import base_system
from indicators.disclosure import disclose, validated_keys
from indicators.intervals import bounds
from indicators.ordered import (
    NOEMER,
    Joint,
    each_table_alone,
    implied_bounds,
    joint,
    joint_ranges,
    one_table,
    without_implied,
)
from indicators.relations import CROSS, Relations
from tests.indicators.test_disclosure import _reference, memberships

SHARE = "eigenaar_concentratie"


@st.composite
def shares(draw: st.DrawFn) -> pd.DataFrame:
    """1 gemeente, 2-3 wijken of 1-3 buurten, 2-6 months with their quarters and year; per
    buurt-month a teller (often 1-4 or 0) and a noemer of the teller plus 0-6 (often 0)."""
    sizes = draw(st.lists(st.integers(1, 3), min_size=2, max_size=3))
    first = draw(st.integers(1, 10))
    months = [f"2023-{m:02d}" for m in range(first, min(first + draw(st.integers(2, 6)), 13))]
    teller = st.one_of(st.integers(1, 4), st.just(0), st.integers(5, 20))
    extra = st.one_of(st.just(0), st.integers(0, 6))
    totals: dict[tuple[str, str], list[float]] = {}
    for w, size in enumerate(sizes):
        for b in range(size):
            code = f"BU0001{w:02d}{b:02d}"
            areas = (code, parent_of(code), parent_of(parent_of(code)))
            for m in months:
                t = float(draw(teller))
                n = t + float(draw(extra))
                periods = (m, f"2023-Q{(int(m[5:]) - 1) // 3 + 1}", "2023")
                for area in areas:
                    for periode in periods:
                        both = totals.setdefault((area, periode), [0.0, 0.0])
                        both[0] += t
                        both[1] += n
    rows = [(c, p, SHARE, t, n) for (c, p), (t, n) in totals.items()]
    return pd.DataFrame(rows, columns=["code", "periode", "indicator", "teller", "noemer"])


def _published(table: pd.DataFrame) -> tuple[Joint, np.ndarray, np.ndarray, np.ndarray]:
    """Both tables protected alone, stacked: the joint system and what an outsider knows."""
    members = memberships(table["code"])
    keys = validated_keys(table)
    noemer = table.assign(teller=table["noemer"], indicator=SHARE + NOEMER)
    raw = [t["teller"].to_numpy(dtype=float) for t in (table, noemer)]
    together = joint(*(one_table(keys, r, members) for r in raw))
    shown_counts = np.concatenate(
        [disclose(t, members)["teller_publ"].to_numpy(dtype=float) for t in (table, noemer)]
    )
    lower, upper = bounds(shown_counts, ~np.isnan(shown_counts))
    rest = len(together.raw) - len(lower)  # the rests: never shown
    lower = np.concatenate([lower, np.zeros(rest)])
    upper = np.concatenate([upper, np.full(rest, np.inf)])
    return together, lower, upper, np.concatenate([shown_counts, np.full(rest, np.nan)])


def _targets(together: Joint, published: np.ndarray) -> np.ndarray:
    value = np.nan_to_num(together.raw)
    small = (value > 0) & (value < 5) & np.isnan(published) & together.attackable
    return np.flatnonzero(small & ~np.isnan(together.raw)).astype(np.int64)


def _tables_only(rel: Relations) -> Relations:
    own = rel.kind != CROSS
    keep = own[rel.part_group]
    return Relations(
        np.cumsum(own)[rel.part_group[keep]] - 1,
        rel.part_row[keep],
        rel.total_row[own],
        rel.kind[own],
    )


@settings(max_examples=30, deadline=None, derandomize=True)
@given(shares())
def test_implied_bounds_hold_the_true_counts(table: pd.DataFrame) -> None:
    together, lower, upper, _ = _published(table)
    lo, up = implied_bounds(_tables_only(together.rel), lower, upper)
    value = together.raw
    known = ~np.isnan(value)
    assert (lo >= lower).all() and (up <= upper).all()
    assert (lo[known] <= value[known]).all() and (value[known] <= up[known]).all()


@settings(max_examples=20, deadline=None, derandomize=True)
@given(shares())
def test_dropping_the_implied_rests_changes_no_interval(table: pd.DataFrame) -> None:
    """Every secret count of 1-4 has the same integer interval with and without the rests that
    each table alone implies (a programme over every cell, both ways)."""
    together, lower, upper, published = _published(table)
    reduced = without_implied(together, lower, upper)
    assert (reduced.rel.kind == CROSS).sum() <= (together.rel.kind == CROSS).sum()
    full_var = ~np.isnan(together.raw)
    less_var = ~np.isnan(reduced.raw)
    for j in _targets(together, published).tolist():
        assert _reference(together.rel, lower, upper, full_var, j) == _reference(
            reduced.rel, lower, upper, less_var, j
        ), j


def test_a_teller_far_below_its_noemer_loses_its_rest() -> None:
    # One buurt-month: teller 2 (secret), noemer 20 (published 20: at least 18). The teller's
    # wijk and gemeente are published 10 (at most 12), so teller <= noemer says nothing.
    rows = [
        ("BU00010101", "2023-01", 2.0, 20.0),
        ("BU00010102", "2023-01", 8.0, 8.0),
        ("WK000101", "2023-01", 10.0, 28.0),
        ("GM0001", "2023-01", 10.0, 28.0),
    ]
    table = pd.DataFrame(rows, columns=["code", "periode", "teller", "noemer"])
    table.insert(2, "indicator", SHARE)
    together, lower, upper, _ = _published(table)
    reduced = without_implied(together, lower, upper)
    first = int(np.flatnonzero(table["code"] == "BU00010101")[0])
    crosses = reduced.rel.total_row[reduced.rel.kind == CROSS]
    assert together.offset + first not in set(crosses.tolist())
    assert np.isnan(reduced.raw[together.size :]).sum() >= 1


@settings(max_examples=25, deadline=None, derandomize=True)
@given(shares())
def test_moves_through_the_rest_reach_only_values_an_attacker_allows(table: pd.DataFrame) -> None:
    together, lower, upper, published = _published(table)
    variable = ~np.isnan(together.raw)
    targets = _targets(together, published)
    value = np.nan_to_num(together.raw)
    system = base_system(together.rel, lower, upper, variable)
    lo, hi = joint_ranges(together, system, value, targets)
    assert (lo <= value[targets]).all() and (hi >= value[targets]).all()
    for k, j in enumerate(targets.tolist()):
        if lo[k] == hi[k]:
            continue
        ref_lo, ref_hi = _reference(together.rel, lower, upper, variable, j)
        assert ref_lo <= lo[k] and hi[k] <= ref_hi, j


def test_a_noemer_moves_through_its_rest_while_the_tellers_stay() -> None:
    # Two buurten, three months, every teller 0; noemers 2, 2, 2 and 3, 3, 3. Published: the
    # noemers of the wijk's months (5 each) and quarter (15) and the buurten's quarters
    # (6 -> 5, 9 -> 10). A noemer of 2 goes to 0 and to 4 through the rests of a rectangle.
    months = ["2023-01", "2023-02", "2023-03"]
    rows = [("WK000101", m, 0.0, 5.0) for m in months] + [("WK000101", "2023-Q1", 0.0, 15.0)]
    for code, count in (("BU00010101", 2.0), ("BU00010102", 3.0)):
        rows += [(code, m, 0.0, count) for m in months] + [(code, "2023-Q1", 0.0, 3 * count)]
    table = pd.DataFrame(rows, columns=["code", "periode", "teller", "noemer"])
    table.insert(2, "indicator", SHARE)
    together, lower, upper, published = _published(table)
    targets = _targets(together, published)
    variable = ~np.isnan(together.raw)
    value = np.nan_to_num(together.raw)
    system = base_system(together.rel, lower, upper, variable)
    lo, hi = joint_ranges(together, system, value, targets)
    first = int(
        np.flatnonzero((table["code"] == "BU00010101") & (table["periode"] == months[0]))[0]
    )
    at = int(np.flatnonzero(targets == together.offset + first)[0])
    assert (lo[at], hi[at]) == (0.0, 4.0)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(shares())
def test_each_table_alone_reaches_only_values_an_attacker_allows(table: pd.DataFrame) -> None:
    together, lower, upper, published = _published(table)
    reduced = without_implied(together, lower, upper)
    variable = ~np.isnan(together.raw)
    targets = _targets(together, published)
    value = np.nan_to_num(together.raw)
    start = (value[targets].copy(), value[targets].copy())
    lo, hi = each_table_alone(reduced, lower, upper, value, targets, start)
    assert (lo <= value[targets]).all() and (hi >= value[targets]).all()
    for k, j in enumerate(targets.tolist()):
        if lo[k] == hi[k]:
            continue
        ref_lo, ref_hi = _reference(together.rel, lower, upper, variable, j)
        assert ref_lo <= lo[k] and hi[k] <= ref_hi, j


def test_an_earlier_teller_and_noemer_released_together_are_tied() -> None:
    # Release 1 showed BU..01 in 2023-01 with teller 2 and noemer 3 (both secret); both were
    # corrected since (3 and 4). The outsider who holds release 1 knows 2 <= 3 as well.
    rows = [
        ("BU00010101", "2023-01", 3.0, 4.0),
        ("BU00010102", "2023-01", 7.0, 9.0),
        ("WK000101", "2023-01", 10.0, 13.0),
    ]
    table = pd.DataFrame(rows, columns=["code", "periode", "teller", "noemer"])
    table.insert(2, "indicator", SHARE)
    members = memberships(table["code"])
    keys = validated_keys(table)

    def released(first: float, column: str) -> pd.DataFrame:
        counts = table[column].to_numpy(dtype=float).copy()
        counts[2] += first - counts[0]
        counts[0] = first
        return pd.DataFrame(
            {
                "code": table["code"],
                "periode": table["periode"],
                "status": ["x", "", ""],
                "teller": counts,
                "van": 1,
            }
        )

    teller = one_table(
        keys, table["teller"].to_numpy(dtype=float), members, released(2.0, "teller")
    )
    noemer = one_table(
        keys, table["noemer"].to_numpy(dtype=float), members, released(3.0, "noemer")
    )
    # the buurt's earlier count, and the wijk's earlier sum over it, are versions of their own
    assert teller.old_row.tolist() == [0, 2] and noemer.old_row.tolist() == [0, 2]
    together = joint(teller, noemer)
    cross = np.flatnonzero(together.rel.kind == CROSS)
    total_of = together.rel.total_row
    teller_of = {
        int(g): int(r)
        for g, r in zip(together.rel.part_group, together.rel.part_row, strict=True)
        if r < together.size
    }
    pairs = {(teller_of[int(g)], int(total_of[g])) for g in cross}
    earlier_teller, earlier_noemer = teller.n, together.offset + noemer.n
    assert (earlier_teller, earlier_noemer) in pairs  # 2 <= 3, as release 1 showed them
    assert (0, together.offset) in pairs  # 3 <= 4 now
    assert (0, earlier_noemer) not in pairs  # never out together
    assert len(pairs) == 5  # three current cells, two earlier pairs (the buurt, the wijk)
    rests = together.raw[together.size :]
    assert (rests >= 0).all()
