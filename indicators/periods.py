"""Periods as CBS writes them: ``YYYY-MM`` (maand), ``YYYY-Qn`` (kwartaal), ``YYYY`` (jaar)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

GRANULARITIES = ("maand", "kwartaal", "jaar")
_RANK = {"maand": 0, "kwartaal": 1, "jaar": 2}
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
PERIODS_PER_YEAR = {"maand": 12, "kwartaal": 4, "jaar": 1}
# Singular and plural, for warnings that speak of the panel's own period.
PERIOD_WORDS = {
    "maand": ("maand", "maanden"),
    "kwartaal": ("kwartaal", "kwartalen"),
    "jaar": ("jaar", "jaren"),
}
_DUTCH_MONTHS = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")


def granularity(periode: str) -> str:
    """Return "maand", "kwartaal" or "jaar"; raise ValueError for anything else."""
    if _MONTH.match(periode):
        return "maand"
    if _QUARTER.match(periode):
        return "kwartaal"
    if _YEAR.match(periode):
        return "jaar"
    raise ValueError(f"Onbekende periode {periode!r}: verwacht JJJJ-MM, JJJJ-Qn of JJJJ.")


def is_finer_or_equal(a: str, b: str) -> bool:
    """True when granularity ``a`` is at least as fine as ``b`` (maand <= kwartaal <= jaar)."""
    return _RANK[a] <= _RANK[b]


def months_of(periode: str) -> list[str]:
    """The months a period covers, e.g. ``2021-Q3`` -> ``["2021-07", "2021-08", "2021-09"]``."""
    kind = granularity(periode)
    year = periode[:4]
    if kind == "maand":
        return [periode]
    if kind == "kwartaal":
        q = int(periode[-1])
        return [f"{year}-{m:02d}" for m in range(3 * q - 2, 3 * q + 1)]
    return [f"{year}-{m:02d}" for m in range(1, 13)]


def convert(periode: str, target: str) -> str | None:
    """One period at ``target`` granularity; None when it is coarser (a quarter has no month)."""
    kind = granularity(periode)
    if target not in _RANK:
        raise ValueError(f"Onbekende granulariteit {target!r}; kies uit {GRANULARITIES}.")
    if not is_finer_or_equal(kind, target):
        return None
    if target == "jaar":
        return periode[:4]
    if target == "kwartaal" and kind == "maand":
        return f"{periode[:4]}-Q{(int(periode[5:7]) - 1) // 3 + 1}"
    return periode


def to_granularity(periodes: pd.Series, target: str) -> pd.Series:
    """Map ``YYYY-MM``/``YYYY-Qn``/``YYYY`` values to ``target``; coarser inputs become NA.

    A quarter cannot be split into months, so at "maand" a quarter or year value is NA.
    Converted per distinct value: a table has millions of rows but only dozens of periods.
    """
    text = periodes.astype(str)
    mapping = {p: convert(p, target) for p in text.unique()}
    return text.map(mapping).astype("object")


def granularities(periodes: pd.Series) -> pd.Series:
    """``granularity`` of every value, computed once per distinct value."""
    codes, distinct = pd.factorize(periodes.astype(str))
    names = np.array([granularity(p) for p in distinct], dtype=object)
    return pd.Series(names[codes], index=periodes.index, name=periodes.name)


def period_range(first: str, last: str) -> list[str]:
    """Every period from ``first`` to ``last`` inclusive, both of the same granularity."""
    kind = granularity(first)
    if granularity(last) != kind:
        raise ValueError("Begin en eind van een reeks moeten dezelfde granulariteit hebben.")
    if kind == "jaar":
        return [str(y) for y in range(int(first), int(last) + 1)]
    if kind == "kwartaal":
        start = int(first[:4]) * 4 + int(first[-1]) - 1
        end = int(last[:4]) * 4 + int(last[-1]) - 1
        return [f"{i // 4}-Q{i % 4 + 1}" for i in range(start, end + 1)]
    start = int(first[:4]) * 12 + int(first[5:7]) - 1
    end = int(last[:4]) * 12 + int(last[5:7]) - 1
    return [f"{i // 12}-{i % 12 + 1:02d}" for i in range(start, end + 1)]


def label(periode: str) -> str:
    """A Dutch label: ``2021-09`` -> ``sep 2021``, ``2021-Q3`` -> ``3e kwartaal 2021``."""
    kind = granularity(periode)
    if kind == "maand":
        return f"{_DUTCH_MONTHS[int(periode[5:7]) - 1]} {periode[:4]}"
    if kind == "kwartaal":
        return f"{periode[-1]}e kwartaal {periode[:4]}"
    return periode


def start_date(periode: str) -> pd.Timestamp:
    """The first day of a period (for plotting on a time axis)."""
    first = months_of(periode)[0]
    return pd.Timestamp(f"{first}-01")


def mid_date(periode: str) -> pd.Timestamp:
    """The middle of a period: where a yearly or quarterly value belongs on a time axis."""
    months = months_of(periode)
    first = pd.Timestamp(f"{months[0]}-01")
    end = pd.Timestamp(f"{months[-1]}-01") + pd.offsets.MonthBegin(1)
    return first + (end - first) / 2


def panel_granularity(periodes: Iterable[str]) -> str:
    """The one granularity of all ``periodes``; ValueError when they mix kinds or are empty."""
    kinds = {granularity(str(p)) for p in set(periodes)}
    if len(kinds) != 1:
        found = ", ".join(sorted(kinds)) or "geen perioden"
        raise ValueError(
            f"Alle perioden moeten van één soort zijn (maand, kwartaal of jaar); gevonden: {found}."
        )
    return kinds.pop()


def periods_in_months(months: int, kind: str) -> int:
    """How many periods of ``kind`` cover ``months`` months (rounded up): 12 -> 4 kwartalen."""
    return math.ceil(months * PERIODS_PER_YEAR[kind] / 12)


def period_word(kind: str, n: int) -> str:
    """``n`` with the Dutch word for the period: "1 kwartaal", "7 maanden"."""
    singular, plural = PERIOD_WORDS[kind]
    return f"{n} {singular if n == 1 else plural}"
