"""Earlier versions of corrected counts (``indicators.versions``): which versions become
variables of their own, and which relations of earlier releases are written over them."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from indicators.disclosure import disclose, validated_keys
from indicators.relations import relations
from indicators.versions import OldVersions, old_versions

# One wijk with two buurten, one month: W = A + B.
MEMBERS = pd.DataFrame({"total": ["W", "W"], "part": ["A", "B"]})


def _table(a: float, b: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": ["A", "B", "W"],
            "periode": "2024-01",
            "indicator": "x",
            "teller": [a, b, a + b],
        }
    )


def _record(table: pd.DataFrame, status: list[str], van: int = 1) -> pd.DataFrame:
    return table[["code", "periode", "teller"]].assign(status=status, van=van)


def _system(
    table: pd.DataFrame, released: pd.DataFrame, versions: pd.DataFrame | None = None
) -> OldVersions:
    keys = validated_keys(table)
    teller = table["teller"].to_numpy(dtype=float)
    rel = relations(keys, MEMBERS, np.isnan(teller))
    return old_versions(keys, teller, rel, released, versions)


def _relations(old: OldVersions) -> set[tuple[int, tuple[int, ...]]]:
    rel = old.rel
    return {
        (int(rel.total_row[g]), tuple(sorted(rel.part_row[rel.part_group == g].tolist())))
        for g in range(rel.n_groups)
    }


def test_a_corrected_count_keeps_its_old_version_and_the_old_total() -> None:
    before = _record(_table(2, 8), ["x", "x", ""])  # W 10 shown, A and B secret
    old = _system(_table(4, 8), before)  # A corrected from 2 to 4
    # Copies (rows 3, 4): A as it was, and W, whose sum changed with it; B is the same count.
    assert sorted(zip(old.row.tolist(), old.teller.tolist(), strict=True)) == [(0, 2.0), (2, 10.0)]
    copy_of = {int(r): 3 + k for k, r in enumerate(old.row)}
    # Today's relation and the earlier one over the old versions, sharing B (row 1).
    assert _relations(old) == {(2, (0, 1)), (copy_of[2], tuple(sorted((copy_of[0], 1))))}
    status = dict(zip(old.row.tolist(), old.status.tolist(), strict=True))
    assert status == {0: "x", 2: ""}


def test_a_total_that_adds_up_to_the_same_count_by_chance_is_another_sum() -> None:
    before = _record(_table(2, 8), ["x", "x", ""])
    old = _system(_table(3, 7), before)  # A +1, B -1: W is 10 again, but over other counts
    assert sorted(old.row.tolist()) == [0, 1, 2]
    assert len(_relations(old)) == 2


def test_unchanged_counts_add_nothing() -> None:
    table = _table(2, 8)
    old = _system(table, _record(table, ["x", "x", ""]))
    assert len(old) == 0 and _relations(old) == {(2, (0, 1))}


def test_a_cell_left_out_of_a_release_is_a_new_version_when_it_returns() -> None:
    table = _table(2, 8)
    # A was in release 1 with 2, left out of release 2 (``tot``), back now with 2 again: in
    # between it may have been anything, so release 1's A is a version of its own.
    before = _record(table, ["x", "x", ""]).assign(tot=[2.0, np.nan, np.nan])
    old = _system(table, before)
    assert 0 in old.row.tolist() and 2 in old.row.tolist()


def test_superseded_versions_each_hold_their_own_release() -> None:
    # Release 1: A 2, B 8, W 10. Release 2: A 4, W 12. Now: A 6, W 14.
    now = _table(6, 8)
    latest = pd.DataFrame(
        {
            "code": ["A", "B", "W"],
            "periode": "2024-01",
            "teller": [4.0, 8.0, 12.0],
            "status": ["x", "", ""],
            "van": [2, 1, 2],
        }
    )
    versions = pd.DataFrame(
        {
            "code": ["A", "W"],
            "periode": "2024-01",
            "status": ["x", ""],
            "teller": [2.0, 10.0],
            "van": [1, 1],
            "tot": [2, 2],
        }
    )
    old = _system(now, latest, versions)
    copies = sorted(zip(old.row.tolist(), old.teller.tolist(), strict=True))
    assert copies == [(0, 2.0), (0, 4.0), (2, 10.0), (2, 12.0)]
    at = {
        (int(r), float(t)): 3 + k for k, (r, t) in enumerate(zip(old.row, old.teller, strict=True))
    }
    # Each release's relation over its own versions; never a mix of two releases.
    assert _relations(old) == {
        (2, (0, 1)),
        (at[(2, 12.0)], tuple(sorted((at[(0, 4.0)], 1)))),
        (at[(2, 10.0)], tuple(sorted((at[(0, 2.0)], 1)))),
    }


def _interval(
    rows: list[list[int]], lo: list[float], hi: list[float], target: int
) -> tuple[float, float]:
    """The outsider's interval for variable ``target`` under lo <= rows . x <= hi, x >= 0."""
    a = np.array(rows, dtype=float)
    a_ub = np.vstack([a, -a])
    b_ub = np.concatenate([hi, -np.array(lo)])
    c = np.zeros(a.shape[1])
    c[target] = 1.0
    least = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
    most = linprog(-c, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
    top = np.inf if most.status == 3 else np.floor(-most.fun + 1e-6)
    return float(np.ceil(least.fun - 1e-6)), float(top)


def test_disclose_protects_a_corrected_count_with_the_old_release() -> None:
    # Two wijken (W: A B C, X: E F) and their gemeente G. E's count of 1 is corrected to 0 (a
    # hit struck off): protected apart, the second release's totals minus the first's pin the
    # old count to [1, 4] (found by a search over random small tables).
    base = ["A", "B", "C", "E", "F"]
    over = {"W": ["A", "B", "C"], "X": ["E", "F"], "G": base}
    members = pd.DataFrame(
        [(t, p) for t, parts in (("W", "ABC"), ("X", "EF"), ("G", "WX")) for p in parts],
        columns=["total", "part"],
    )
    codes = [*base, "W", "X", "G"]

    def table(counts: dict[str, float]) -> pd.DataFrame:
        teller = [sum(counts[b] for b in over.get(c, [c])) for c in codes]
        return pd.DataFrame(
            {"code": codes, "periode": "2024-01", "indicator": "x", "teller": teller}
        )

    before = {"A": 7.0, "B": 5.0, "C": 4.0, "E": 1.0, "F": 6.0}
    after = {**before, "E": 0.0}
    first = disclose(table(before), members)
    released = first[["code", "periode", "teller", "status"]].assign(van=1)
    second = disclose(table(after), members, released=released)
    # The outsider's variables: the five buurten now, and E as it was (variable 5).
    rows, lo, hi = [], [], []
    for release, e_column in ((first, 5), (second, 3)):
        for code, value in zip(release["code"], release["teller_publ"], strict=True):
            if pd.isna(value):
                continue
            row = [0] * 6
            for b in over.get(code, [code]):
                row[e_column if b == "E" else base.index(b)] = 1
            rows.append(row)
            # A shown count is 0 or at least 5 (1-4 are secret), rounded to 5, halves up.
            lo.append(max(5.0, value - 2.5) if value else 0.0)
            hi.append(value + 2.49 if value else 0.0)
    truth = [after[b] for b in base] + [before["E"]]
    for target, true in enumerate(truth):
        low, high = _interval(rows, lo, hi, target)
        assert low <= true <= high
        if 1 <= true <= 4:  # a secret count of 1-4: never inside [1, 4], never narrower than 3
            assert high - low >= 3 and not (low >= 1 and high <= 4), (target, low, high)
