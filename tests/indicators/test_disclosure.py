"""Disclosure control: hand-made cases for every rule, and an attacker who solves everything at
once (the LP audit) on generated gemeenten."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.areas import parent_of
from geo.errors import InputError
from indicators.audit import check, small_secret_sums
from indicators.disclosure import disclose, format_cell, round_to, validated_keys
from indicators.relations import Relations, relations

IND = "illegale_bewoning"


def make_table(rows: Iterable[tuple[str, str, float]], indicator: str = IND) -> pd.DataFrame:
    """Rows of (code, periode, teller)."""
    frame = pd.DataFrame(list(rows), columns=["code", "periode", "teller"])
    frame.insert(2, "indicator", indicator)
    return frame


def memberships(codes: Iterable[str]) -> pd.DataFrame:
    """The CBS hierarchy of the given codes: wijk - buurt and gemeente - wijk."""
    pairs = sorted({(parent_of(c), c) for c in codes if parent_of(c)})
    return pd.DataFrame(pairs, columns=["total", "part"])


def wijk(tellers: list[float], *, wk: str = "WK000101", periode: str = "2024-01") -> list[tuple]:
    """A wijk row (the sum of its buurten) and its buurt rows, one period."""
    total = math.nan if any(map(math.isnan, tellers)) else float(sum(tellers))
    rows = [(wk, periode, total)]
    rows += [(f"BU{wk[2:]}{i + 1:02d}", periode, t) for i, t in enumerate(tellers)]
    return rows


def result(table: pd.DataFrame, members: pd.DataFrame | None = None) -> pd.DataFrame:
    members = memberships(table["code"]) if members is None else members
    return disclose(table, members).set_index(["code", "periode"])


def secret_codes(out: pd.DataFrame) -> set[str]:
    return set(out.index[out["status"] == "x"].get_level_values("code"))


def attack(table: pd.DataFrame, members: pd.DataFrame | None = None) -> tuple[pd.DataFrame, int]:
    """The LP attack on a disclosed table: per primary cell its interval, and small sums."""
    members = memberships(table["code"]) if members is None else members
    out = disclose(table, members)
    raw = out["teller"].to_numpy(dtype=float)
    rel = relations(validated_keys(out), members, np.isnan(raw))
    published = out["teller_publ"].to_numpy(dtype=float)
    return check(raw, published, rel), len(small_secret_sums(raw, published, rel))


# Rule 1: not delivered is ".", never a number.


def test_missing_teller_is_a_dot_without_a_number() -> None:
    out = result(make_table([("GM0001", "2024-01", math.nan)]))
    row = out.loc[("GM0001", "2024-01")]
    assert row["status"] == "."
    assert math.isnan(row["teller_publ"])


# Rule 2: counts 1 to 4 are secret; rule 3: published counts are rounded to 5.


@pytest.mark.parametrize("teller", [1.0, 2.0, 3.0, 4.0])
def test_counts_one_to_four_are_secret(teller: float) -> None:
    out = result(make_table([("GM0001", "2024-01", teller)]))
    assert out.loc[("GM0001", "2024-01"), "status"] == "x"
    assert math.isnan(out.loc[("GM0001", "2024-01"), "teller_publ"])


@pytest.mark.parametrize(("teller", "published"), [(0.0, 0.0), (5.0, 5.0), (7.0, 5.0), (8.0, 10.0)])
def test_zero_and_five_or_more_are_shown_rounded(teller: float, published: float) -> None:
    out = result(make_table([("GM0001", "2024-01", teller)]))
    assert out.loc[("GM0001", "2024-01"), "status"] == ""
    assert out.loc[("GM0001", "2024-01"), "teller_publ"] == published


def test_rounding_base_is_a_parameter() -> None:
    out = disclose(make_table([("GM0001", "2024-01", 14.0)]), rounding=10)
    assert out["teller_publ"].iloc[0] == 10.0


# Rule 4: in a relation with a published total, the secret parts never add up to 1-4.


def test_a_secret_part_gets_the_smallest_nonzero_part_beside_it() -> None:
    out = result(make_table(wijk([3.0, 12.0, 7.0])))
    assert secret_codes(out) == {"BU00010101", "BU00010103"}
    assert out.loc[("WK000101", "2024-01"), "teller_publ"] == 20.0


def test_ties_go_to_the_lowest_code() -> None:
    out = result(make_table(wijk([3.0, 8.0, 8.0])))
    assert secret_codes(out) == {"BU00010101", "BU00010102"}


def test_two_secret_parts_adding_up_to_four_get_a_third() -> None:
    # 1 + 3 = 4: the wijk minus its published buurten would show that both together are 4.
    out = result(make_table(wijk([1.0, 3.0, 12.0, 9.0])))
    assert secret_codes(out) == {"BU00010101", "BU00010102", "BU00010104"}


def test_two_secret_parts_adding_up_to_five_are_enough() -> None:
    out = result(make_table(wijk([2.0, 3.0, 12.0, 9.0])))
    assert secret_codes(out) == {"BU00010101", "BU00010102"}


def test_zero_parts_never_protect() -> None:
    out = result(make_table(wijk([2.0, 0.0, 11.0, 9.0])))
    assert secret_codes(out) == {"BU00010101", "BU00010104"}
    assert out.loc[("BU00010102", "2024-01"), "teller_publ"] == 0.0


def test_a_secret_total_needs_no_complement_inside_its_relation() -> None:
    out = result(make_table(wijk([1.0, 2.0, 0.0])))
    assert secret_codes(out) == {"WK000101", "BU00010101", "BU00010102"}


def test_a_relation_with_a_missing_part_is_no_relation() -> None:
    # The wijk total is not delivered when a buurt is missing: nothing to subtract from.
    out = result(make_table(wijk([3.0, math.nan, 10.0])))
    assert out.loc[("WK000101", "2024-01"), "status"] == "."
    assert secret_codes(out) == {"BU00010101"}


def test_months_quarters_and_years_protect_each_other() -> None:
    months = {"2024-01": 2.0, "2024-02": 6.0, "2024-03": 9.0}
    rows = [("GM0001", p, t) for p, t in months.items()]
    rows += [("GM0001", "2024-Q1", 17.0)]
    out = result(make_table(rows))
    assert secret_codes(out) == {"GM0001"}
    assert set(out.index[out["status"] == "x"].get_level_values("periode")) == {
        "2024-01",
        "2024-02",
    }


def test_any_membership_is_a_relation_a_group_series_too() -> None:
    # A group of two buurten from different wijken: its total may not give a small sum away.
    rows = wijk([3.0, 20.0], wk="WK000101") + wijk([30.0, 6.0], wk="WK000102")
    total = ("GROEP", "2024-01", 9.0)  # BU00010101 (3) + BU00010202 (6)
    table = make_table([*rows, total])
    members = pd.concat(
        [
            memberships(table["code"]),
            pd.DataFrame({"total": "GROEP", "part": ["BU00010101", "BU00010202"]}),
        ]
    )
    out = result(table, members)
    assert {"BU00010101", "BU00010202"} <= secret_codes(out)
    broken, sums = attack(table, members)
    assert not broken["gebroken"].any() and sums == 0


def test_indicators_do_not_form_relations_together() -> None:
    table = pd.concat(
        [make_table(wijk([3.0, 12.0, 7.0]), "a"), make_table(wijk([13.0, 12.0, 7.0]), "b")]
    )
    out = disclose(table, memberships(table["code"]))
    assert set(out.loc[out["indicator"] == "b", "status"]) == {""}


# The attacker who solves everything at once.


def test_the_attack_finds_a_count_that_subtraction_gives_away() -> None:
    # Published by hand against the rules and without rounding: the wijk and the other buurt.
    out = make_table(wijk([3.0, 10.0]))
    raw = out["teller"].to_numpy(dtype=float)
    rel = relations(validated_keys(out), memberships(out["code"]), np.isnan(raw))
    found = check(raw, np.array([13.0, np.nan, 10.0]), rel, rounding=1)
    assert found["gebroken"].tolist() == [True]
    assert (found["lo"].iloc[0], found["hi"].iloc[0]) == (3.0, 3.0)
    # Rounded to 5, the same publication leaves 3 in [1, 9]: wide enough.
    rounded = check(raw, np.array([15.0, np.nan, 10.0]), rel)
    assert rounded["gebroken"].tolist() == [False]


def test_interval_propagation_repairs_what_one_relation_cannot_see() -> None:
    # The pattern the demo showed: a wijk year published, its quarters partly secret, and a
    # secret quarter's lower bound given away by a published buurt quarter.
    rows = []
    quarters = {"BU00010101": [5.0, 2.0, 0.0, 3.0], "BU00010102": [0.0, 0.0, 0.0, 2.0]}
    for code, values in quarters.items():
        rows += [(code, f"2024-Q{q + 1}", v) for q, v in enumerate(values)]
        rows += [(code, "2024", sum(values))]
    sums = [a + b for a, b in zip(*quarters.values(), strict=True)]
    rows += [("WK000101", f"2024-Q{q + 1}", v) for q, v in enumerate(sums)]
    rows += [("WK000101", "2024", sum(sums))]
    broken, sums_found = attack(make_table(rows))
    assert not broken["gebroken"].any() and sums_found == 0


def test_groups_that_split_a_gemeente_do_not_give_away_their_difference() -> None:
    # Found by the random audit: the intervention's groups (behandeld, ring, controle) cover the
    # gemeente; with the gemeente and the ring published (7 and 5 both show as 5), behandeld +
    # controle lie in [0, 2]. The cells pinned there sit in a tree of relations, settled by
    # propagation in the attack; the repair must still find what binds them.
    buurten = {
        "BU00010000": 3.0,
        "BU00010001": 0.0,
        "BU00010008": 1.0,
        "BU00010009": 1.0,
        "BU00010100": 1.0,
        "BU00010101": 1.0,
        "BU00010102": 0.0,
        "BU00010109": 0.0,
    }
    groups = {
        "g:behandeld": ["BU00010101", "BU00010102", "BU00010109"],
        "g:ring": ["BU00010000", "BU00010008", "BU00010100"],
        "g:controle": ["BU00010001", "BU00010009"],
    }
    members = pd.concat(
        [
            memberships([*buurten, "WK000100", "WK000101"]),
            pd.DataFrame(
                [(g, b) for g, parts in groups.items() for b in parts], columns=["total", "part"]
            ),
        ],
        ignore_index=True,
    )
    totals = {parent: 0.0 for parent in members["total"]}
    for code, teller in buurten.items():
        for total in members.loc[members["part"] == code, "total"]:
            totals[total] += teller
    totals["GM0001"] = sum(buurten.values())
    rows = [(c, "2024-01", t) for c, t in {**buurten, **totals}.items()]
    broken, sums_found = attack(make_table(rows), members)
    assert len(broken) >= 4 and sums_found == 0
    assert not broken["gebroken"].any(), broken[broken["gebroken"]]


# The frame itself.


def test_returns_a_copy_with_the_index_and_extra_columns_kept() -> None:
    table = make_table(wijk([3.0, 12.0, 7.0]))
    table.index = pd.Index([10, 20, 30, 40])
    table["naam"] = ["Wijk", "A", "B", "C"]
    before = table.copy()
    out = disclose(table, memberships(table["code"]))
    pd.testing.assert_frame_equal(table, before)
    assert list(out.index) == [10, 20, 30, 40]
    assert list(out.columns) == [*table.columns, "status", "teller_publ"]


def test_empty_table_gets_the_columns() -> None:
    out = disclose(make_table([]))
    assert out.empty and {"status", "teller_publ"} <= set(out.columns)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("GM0001", "2024-13", 1.0)], "Onbekende perioden"),
        ([("GM0001", "2024-01", 1.0), ("GM0001", "2024-01", 2.0)], "Dubbele rijen"),
        ([("GM0001", "2024-01", -1.0)], "negatieve"),
    ],
)
def test_bad_input_is_refused_in_plain_dutch(rows: list[tuple], message: str) -> None:
    with pytest.raises(InputError, match=message):
        disclose(make_table(rows))


def test_round_to_rounds_halves_up_and_keeps_nan() -> None:
    values = pd.Series([0.0, 2.4, 2.5, 7.5, 12.0, math.nan])
    np.testing.assert_array_equal(round_to(values).to_numpy(), [0, 0, 5, 10, 10, math.nan])


@pytest.mark.parametrize(
    ("value", "status", "decimals", "text"),
    [
        (1234.5, "", 1, "1.234,5"),
        (-0.04, "", 1, "0,0"),
        (3.0, "x", 1, "x"),
        (3.0, ".", 1, "."),
        (math.nan, "", 1, "."),
        (1234.0, "", 0, "1.234"),
    ],
)
def test_format_cell(value: float, status: str, decimals: int, text: str) -> None:
    assert format_cell(value, status, decimals=decimals) == text


def test_format_cell_refuses_an_unknown_status() -> None:
    with pytest.raises(ValueError, match="Onbekende status"):
        format_cell(1.0, "?")


# Generated gemeenten: the rules, and the attack, hold everywhere.


def _teller(draw_code: tuple[int, int, int]) -> float:
    kind, small, large = draw_code
    if kind < 45:
        return float(small)  # 1 to 4: many primary suppressions
    if kind < 65:
        return 0.0
    return float(large)


@st.composite
def gemeenten(draw: st.DrawFn) -> pd.DataFrame:
    """1 gemeente, 2-4 wijken of 1-4 buurten, 1-12 months with their quarters and year."""
    sizes = draw(st.lists(st.integers(1, 4), min_size=2, max_size=4))
    first = draw(st.integers(1, 12))
    months = [f"2023-{m:02d}" for m in range(first, min(first + draw(st.integers(1, 12)), 13))]
    cell = st.tuples(st.integers(0, 99), st.integers(1, 4), st.integers(5, 40)).map(_teller)
    tellers: dict[tuple[str, str], float] = {}
    for w, size in enumerate(sizes):
        for b in range(size):
            code = f"BU0001{w:02d}{b:02d}"
            areas = (code, parent_of(code), parent_of(parent_of(code)))
            for m in months:
                teller = draw(cell)
                periods = (m, f"2023-Q{(int(m[5:]) - 1) // 3 + 1}", "2023")
                for area in areas:
                    for periode in periods:
                        tellers[(area, periode)] = tellers.get((area, periode), 0.0) + teller
    return make_table((c, p, t) for (c, p), t in tellers.items())


@settings(max_examples=60, deadline=None)
@given(gemeenten())
def test_published_values_obey_the_rules(table: pd.DataFrame) -> None:
    out = disclose(table, memberships(table["code"]))
    teller, publ = out["teller"], out["teller_publ"]
    assert set(out["status"]) <= {"", "x", "."}
    assert ((publ.dropna() % 5) == 0).all()
    assert ((publ - teller).abs().dropna() <= 2.5).all()
    small = (teller > 0) & (teller < 5)
    assert publ[small].isna().all() and (out.loc[small, "status"] == "x").all()


@settings(max_examples=40, deadline=None)
@given(gemeenten())
def test_no_secret_count_survives_the_attack(table: pd.DataFrame) -> None:
    found, small_sums = attack(table)
    assert small_sums == 0
    assert not found["gebroken"].any(), found[found["gebroken"]]


def _reference(
    rel: Relations, lower: np.ndarray, upper: np.ndarray, variable: np.ndarray, j: int
) -> tuple[float, float]:
    """The attacker's integer interval of cell ``j`` from a programme with a variable for every
    delivered cell and an equation for every relation: written apart from ``indicators._lp``,
    which works over the base cells only."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import csr_matrix

    rows = np.concatenate([np.arange(rel.n_groups), rel.part_group])
    terms = np.concatenate([rel.total_row, rel.part_row])
    signs = np.concatenate([np.ones(rel.n_groups), -np.ones(len(rel.part_row))])
    cols = np.flatnonzero(variable)
    a = csr_matrix((signs, (rows, terms)), shape=(rel.n_groups, len(lower)))[:, cols]
    where = int(np.flatnonzero(cols == j)[0])
    ends = []
    for sign in (1.0, -1.0):
        c = np.zeros(len(cols))
        c[where] = sign
        found = milp(
            c,
            constraints=LinearConstraint(a, 0.0, 0.0),
            bounds=Bounds(lower[cols], upper[cols]),
            integrality=np.ones(len(cols)),
        )
        if found.success:
            ends.append(sign * found.fun)
        else:  # counts are never negative, so only the maximum can be unbounded
            assert sign < 0 and found.status in (3, 4), found.message
            ends.append(math.inf)
    return ends[0], ends[1]


@settings(max_examples=40, deadline=None, derandomize=True)
@given(gemeenten(), st.lists(st.integers(0, 400), max_size=6))
def test_the_attack_over_base_cells_equals_a_programme_over_every_cell(
    table: pd.DataFrame, gaps: list[int]
) -> None:
    """The audit writes the system over base cells and settles trees and nested sums by
    propagation; each interval it calls exact must be that of the plain programme, and the rest
    must lie inside it and be wide enough. Gaps (cells not delivered) leave incomplete
    relations, as deliveries do: a quarter then becomes a base cell beside its year."""
    from indicators.audit import attack as lp_attack
    from indicators.intervals import bounds, protected

    table = table.copy()
    table.loc[[g % len(table) for g in gaps], "teller"] = math.nan
    out = disclose(table, memberships(table["code"]))
    raw = out["teller"].to_numpy(dtype=float)
    variable = ~np.isnan(raw)
    rel = relations(validated_keys(out), memberships(table["code"]), ~variable)
    shown = out["status"].eq("").to_numpy()
    lower, upper = bounds(out["teller_publ"].to_numpy(dtype=float), shown)
    targets = np.flatnonzero(variable & ~shown).astype(np.int64)
    for integer in (True, False):
        found = lp_attack(
            rel, lower, upper, variable, targets, known=np.nan_to_num(raw), integer=integer
        )
        for k, j in enumerate(targets.tolist()):
            ref_lo, ref_hi = _reference(rel, lower, upper, variable, j)
            if found.exact[k] and integer:
                assert (found.lo[k], found.hi[k]) == (ref_lo, ref_hi), j
            elif found.exact[k]:  # the relaxation's interval holds the integer one
                assert found.lo[k] <= ref_lo and found.hi[k] >= ref_hi, j
            else:  # values proven reachable, already wide enough
                assert found.lo[k] >= ref_lo and found.hi[k] <= ref_hi, j
                assert protected(found.lo[k : k + 1], found.hi[k : k + 1])[0]


# Regions: a region's totals tie its gemeenten into one programme. The attack looks for proofs
# in one gemeente at a time first (the others at their true counts), then in pairs, and so on.

REGION = "RG0001"


@st.composite
def regions(draw: st.DrawFn) -> pd.DataFrame:
    """2-4 gemeenten of 1-2 wijken of 1-3 buurten, 1-6 months with their quarters and year, and
    the region of them all; ``gemeentecode`` per row ("" for the region)."""
    n_gemeenten = draw(st.integers(2, 4))
    months = [f"2023-{m:02d}" for m in range(1, draw(st.integers(1, 6)) + 1)]
    cell = st.tuples(st.integers(0, 99), st.integers(1, 4), st.integers(5, 40)).map(_teller)
    tellers: dict[tuple[str, str], float] = {}
    for g in range(1, n_gemeenten + 1):
        for w in range(draw(st.integers(1, 2))):
            for b in range(draw(st.integers(1, 3))):
                code = f"BU{g:04d}{w:02d}{b:02d}"
                areas = (code, parent_of(code), parent_of(parent_of(code)), REGION)
                for m in months:
                    teller = draw(cell)
                    periods = (m, f"2023-Q{(int(m[5:]) - 1) // 3 + 1}", "2023")
                    for area in areas:
                        for periode in periods:
                            tellers[(area, periode)] = tellers.get((area, periode), 0.0) + teller
    table = make_table((c, p, t) for (c, p), t in tellers.items())
    table["gemeentecode"] = [
        "" if c == REGION else f"GM{c[2:6]}" for c in table["code"].astype(str)
    ]
    return table


def region_memberships(codes: Iterable[str]) -> pd.DataFrame:
    members = memberships(c for c in codes if c != REGION)
    region = sorted({f"GM{c[2:6]}" for c in codes if c != REGION})
    return pd.concat([members, pd.DataFrame({"total": REGION, "part": region})], ignore_index=True)


def _with_gaps(table: pd.DataFrame, gaps: list[int]) -> pd.DataFrame:
    """Some counts not delivered: a relation with a missing part is incomplete, and a total
    above it (a region's, where a gemeente's count is missing) becomes a base cell."""
    table = table.copy()
    table.loc[[g % len(table) for g in gaps], "teller"] = math.nan
    return table


@settings(max_examples=25, deadline=None, derandomize=True)
@given(regions(), st.lists(st.integers(0, 400), max_size=4))
def test_a_region_is_protected_gemeente_by_gemeente_as_a_whole(
    table: pd.DataFrame, gaps: list[int]
) -> None:
    """Proofs found gemeente by gemeente hold for the region as a whole: every interval the
    attack calls proven lies inside the attacker's true interval (a programme over every cell,
    written apart) and is wide enough; every exact one is the attacker's. And the publication
    of the region passes that attack."""
    from indicators.audit import attack as lp_attack
    from indicators.disclosure import gemeente_blocks
    from indicators.intervals import bounds, protected

    table = _with_gaps(table, gaps)
    members = region_memberships(table["code"].astype(str))
    out = disclose(table, members)
    raw = out["teller"].to_numpy(dtype=float)
    variable = ~np.isnan(raw)
    rel = relations(validated_keys(out), members, ~variable)
    published = out["teller_publ"].to_numpy(dtype=float)
    shown = out["status"].eq("").to_numpy()
    assert not check(raw, published, rel)["gebroken"].any()
    assert len(small_secret_sums(raw, published, rel)) == 0
    lower, upper = bounds(published, shown)
    targets = np.flatnonzero(variable & ~shown).astype(np.int64)
    blocks = gemeente_blocks(out)
    assert blocks is not None and (blocks[out["code"] == REGION] == -1).all()
    known = np.nan_to_num(raw)
    whole = lp_attack(rel, lower, upper, variable, targets, known=known, integer=False)
    for integer in (True, False):
        found = lp_attack(
            rel, lower, upper, variable, targets, known=known, integer=integer, blocks=blocks
        )
        for k, j in enumerate(targets.tolist()):
            ref_lo, ref_hi = _reference(rel, lower, upper, variable, j)
            if found.exact[k] and integer:
                assert (found.lo[k], found.hi[k]) == (ref_lo, ref_hi), j
            elif found.exact[k]:  # the relaxation's interval, as the whole system gives it
                assert (found.lo[k], found.hi[k]) == (whole.lo[k], whole.hi[k]), j
            else:  # values proven reachable, already wide enough
                assert found.lo[k] >= ref_lo and found.hi[k] <= ref_hi, j
                assert protected(found.lo[k : k + 1], found.hi[k : k + 1])[0]


@settings(max_examples=25, deadline=None, derandomize=True)
@given(regions(), st.lists(st.integers(0, 400), max_size=4))
def test_gemeente_by_gemeente_the_attack_reaches_the_same_verdicts(
    table: pd.DataFrame, gaps: list[int]
) -> None:
    """On a careless publication (the small counts hidden, nothing else), which leaves many
    cells pinned, some only through the region's totals: looking gemeente by gemeente first
    calls exactly the same cells pinned as the attack on the whole system, with the same
    intervals."""
    from indicators.audit import attack as lp_attack
    from indicators.disclosure import gemeente_blocks
    from indicators.intervals import bounds, protected

    table = _with_gaps(table, gaps)
    members = region_memberships(table["code"].astype(str))
    keys = validated_keys(table)
    raw = table["teller"].to_numpy(dtype=float)
    variable = ~np.isnan(raw)
    rel = relations(keys, members, ~variable)
    shown = variable & ~((raw > 0) & (raw < 5))
    published = np.where(shown, np.floor(raw / 5 + 0.5) * 5, np.nan)
    lower, upper = bounds(published, shown)
    targets = np.flatnonzero(variable & ~shown).astype(np.int64)
    known = np.nan_to_num(raw)
    args = (rel, lower, upper, variable, targets)
    whole = lp_attack(*args, known=known, integer=False)
    split = lp_attack(*args, known=known, integer=False, blocks=gemeente_blocks(table))
    pinned = ~protected(whole.lo, whole.hi)
    assert (~protected(split.lo, split.hi) == pinned).all()
    assert (split.lo[pinned] == whole.lo[pinned]).all()
    assert (split.hi[pinned] == whole.hi[pinned]).all()


# Rectangle moves: widths proven without a solver, each a solution of everything published.


def _moves_and_knowledge(out: pd.DataFrame, published: np.ndarray, members: pd.DataFrame) -> tuple:
    from indicators._lp import base_system
    from indicators._moves import rectangle_ranges
    from indicators.intervals import bounds

    raw = out["teller"].to_numpy(dtype=float)
    variable = ~np.isnan(raw)
    shown = ~np.isnan(published)
    rel = relations(validated_keys(out), members, ~variable)
    lower, upper = bounds(published, shown)
    targets = np.flatnonzero(variable & ~shown).astype(np.int64)
    system = base_system(rel, lower, upper, variable)
    lo, hi = rectangle_ranges(system, rel, np.nan_to_num(raw), targets)
    return rel, lower, upper, variable, targets, lo, hi


def test_a_rectangle_in_a_wijk_quarter_moves_a_secret_count_both_ways() -> None:
    # Two buurten, the three months of a quarter: months 2, 2, 2 and 3, 3, 3. Published: the
    # wijk's months (5 each) and quarter (15), the buurten's quarters (6 -> 5, 9 -> 10).
    months = ["2024-01", "2024-02", "2024-03"]
    rows = [("WK000101", m, 5.0) for m in months] + [("WK000101", "2024-Q1", 15.0)]
    for code, count in (("BU00010101", 2.0), ("BU00010102", 3.0)):
        rows += [(code, m, count) for m in months] + [(code, "2024-Q1", 3 * count)]
    out = make_table(rows)
    publish = {("WK000101", m): 5.0 for m in months}
    publish |= {("WK000101", "2024-Q1"): 15.0}
    publish |= {("BU00010101", "2024-Q1"): 5.0, ("BU00010102", "2024-Q1"): 10.0}
    published = np.array(
        [publish.get((c, p), math.nan) for c, p in zip(out["code"], out["periode"], strict=True)]
    )
    members = memberships(out["code"])
    rel, lower, upper, variable, targets, lo, hi = _moves_and_knowledge(out, published, members)
    # (BU..01, 2024-01) = 2: up by 2 (taking 2 from its neighbours in month and buurt, the
    # opposite corner gets 2) and down to 0 (the opposite corner gives 2).
    row = int(np.flatnonzero((out["code"] == "BU00010101") & (out["periode"] == "2024-01"))[0])
    first = int(np.flatnonzero(targets == row)[0])
    assert (lo[first], hi[first]) == (0.0, 4.0)
    for k, j in enumerate(targets.tolist()):
        ref_lo, ref_hi = _reference(rel, lower, upper, variable, j)
        assert ref_lo <= lo[k] and hi[k] <= ref_hi, j


@settings(max_examples=25, deadline=None, derandomize=True)
@given(gemeenten())
def test_rectangle_moves_reach_only_values_an_attacker_allows(table: pd.DataFrame) -> None:
    """Every value a move gives a secret cell is one it can take: inside the attacker's
    integer interval from the plain programme over every cell."""
    members = memberships(table["code"])
    out = disclose(table, members)
    published = out["teller_publ"].to_numpy(dtype=float)
    rel, lower, upper, variable, targets, lo, hi = _moves_and_knowledge(out, published, members)
    raw = np.nan_to_num(out["teller"].to_numpy(dtype=float))
    assert (lo <= raw[targets]).all() and (hi >= raw[targets]).all()
    for k, j in enumerate(targets.tolist()):
        if lo[k] == hi[k]:
            continue
        ref_lo, ref_hi = _reference(rel, lower, upper, variable, j)
        assert ref_lo <= lo[k] and hi[k] <= ref_hi, j


def _slice_ranges(rel, lower, upper, raw, targets) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """Per narrowed system of ``indicators._lp.slices``: the targets it settles, their ranges,
    and how many parts it leaves to a programme."""
    from indicators._lp import base_system, slices, split_parts
    from indicators.audit import _eligible

    system = base_system(rel, lower, upper, ~np.isnan(raw))
    out = []
    for narrowed, block in slices(system, rel, np.nan_to_num(raw)):
        which = np.flatnonzero(_eligible(system, targets, block))
        cut = split_parts(narrowed, targets[which], lower, upper)
        lo = np.full(len(targets), np.nan)
        hi = np.full(len(targets), np.nan)
        lo[which[cut.settled]], hi[which[cut.settled]] = cut.lo, cut.hi
        out.append((lo, hi, len(cut.parts)))
    return out


def test_a_month_alone_moves_a_count_between_its_buurten() -> None:
    # The wijk-quarter of the rectangle test: in January alone (February and March at their true
    # counts) BU..01 lies within its quarter's 5 less 4, plus 0-2: [1, 3], its wijk-month [5, 7]
    # less BU..02's January (at least 10 - 2 - 6 = 2): at most 5.
    months = ["2024-01", "2024-02", "2024-03"]
    rows = [("WK000101", m, 5.0) for m in months] + [("WK000101", "2024-Q1", 15.0)]
    for code, count in (("BU00010101", 2.0), ("BU00010102", 3.0)):
        rows += [(code, m, count) for m in months] + [(code, "2024-Q1", 3 * count)]
    out = make_table(rows)
    publish = {("WK000101", m): 5.0 for m in months} | {("WK000101", "2024-Q1"): 15.0}
    publish |= {("BU00010101", "2024-Q1"): 5.0, ("BU00010102", "2024-Q1"): 10.0}
    published = np.array(
        [publish.get((c, p), math.nan) for c, p in zip(out["code"], out["periode"], strict=True)]
    )
    members = memberships(out["code"])
    rel, lower, upper, _, targets, _, _ = _moves_and_knowledge(out, published, members)
    raw = out["teller"].to_numpy(dtype=float)
    (month_lo, month_hi, month_parts), _ = _slice_ranges(rel, lower, upper, raw, targets)
    row = int(np.flatnonzero((out["code"] == "BU00010101") & (out["periode"] == "2024-01"))[0])
    first = int(np.flatnonzero(targets == row)[0])
    assert (month_lo[first], month_hi[first]) == (1.0, 3.0)
    assert month_parts == 0


@settings(max_examples=25, deadline=None, derandomize=True)
@given(gemeenten())
def test_months_and_buurten_alone_settle_without_a_programme_and_reach_only_allowed_values(
    table: pd.DataFrame,
) -> None:
    """Each month of a gemeente alone, and each buurt alone, is a nested family: propagation
    settles every part, and every value it reaches is one the whole system allows."""
    members = memberships(table["code"])
    out = disclose(table, members)
    published = out["teller_publ"].to_numpy(dtype=float)
    rel, lower, upper, variable, targets, _, _ = _moves_and_knowledge(out, published, members)
    raw = out["teller"].to_numpy(dtype=float)
    for lo, hi, parts in _slice_ranges(rel, lower, upper, raw, targets):
        assert parts == 0
        done = np.flatnonzero(~np.isnan(lo))
        assert (lo[done] <= raw[targets[done]]).all() and (hi[done] >= raw[targets[done]]).all()
        for k in done.tolist():
            if lo[k] == hi[k]:
                continue
            ref_lo, ref_hi = _reference(rel, lower, upper, variable, int(targets[k]))
            assert ref_lo <= lo[k] and hi[k] <= ref_hi, targets[k]
