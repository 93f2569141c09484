"""Class breaks, fills and legend labels shared by the web map and the PDF map."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence

import mapclassify
import numpy as np
import pandas as pd

from indicators.disclosure import format_cell

SECRET_FILL = "#9e9e9e"
MISSING_FILL = "#ffffff"


# Fisher-Jenks takes O(n^2) time: above this many values it runs on evenly spaced ranks.
MAX_JENKS_VALUES = 500


def class_breaks(values: pd.Series, k: int = 5) -> list[float]:
    """Upper bounds of at most ``k`` classes (Fisher-Jenks via mapclassify) of the shown values.

    Above ``MAX_JENKS_VALUES`` values (a region or the whole country) the classes are fitted
    on that many values at evenly spaced ranks, minimum and maximum included: the same breaks
    every time, and seconds instead of minutes.
    """
    shown = np.sort(values.dropna().astype(float).to_numpy())
    if shown.size == 0:
        return []
    distinct = np.unique(shown)
    if len(distinct) <= k:
        return [float(v) for v in distinct]
    if shown.size > MAX_JENKS_VALUES:
        shown = shown[np.linspace(0, shown.size - 1, MAX_JENKS_VALUES).round().astype(int)]
    return list(_fisher_jenks(tuple(shown.tolist()), k))


@functools.lru_cache(maxsize=1024)
def _fisher_jenks(shown: tuple[float, ...], k: int) -> tuple[float, ...]:
    """Fisher-Jenks breaks of sorted values; remembered, since every visitor of a map asks for
    the same ones (10-20 ms each, bench/load.py)."""
    with warnings.catch_warnings():  # "Numba not installed": the pure version is fast enough here
        warnings.simplefilter("ignore", UserWarning)
        classifier = mapclassify.FisherJenks(np.asarray(shown), k=k)
    return tuple(float(b) for b in classifier.bins)


def fill_colour(
    value: float,
    status: str,
    breaks: Sequence[float],
    palette: Sequence[str],
    *,
    secret: str = SECRET_FILL,
    missing: str = MISSING_FILL,
) -> str:
    """The fill of one published cell: a class colour, ``secret`` for "x", ``missing`` for "."."""
    if status == "x":
        return secret
    if status == "." or pd.isna(value) or not breaks:
        return missing
    index = int(np.searchsorted(np.asarray(breaks), value, side="left"))
    offset = len(palette) - len(breaks)
    return palette[min(index + offset, len(palette) - 1)]


def class_rows(breaks: Sequence[float], palette: Sequence[str]) -> list[tuple[str, str]]:
    """(colour, label) per class: "t/m 2,5", "2,5 – 4,0", ... in Dutch number format."""
    rows = []
    lower = None
    offset = len(palette) - len(breaks)
    for i, upper in enumerate(breaks):
        text = (
            f"t/m {format_cell(upper, '')}"
            if lower is None
            else f"{format_cell(lower, '')} – {format_cell(upper, '')}"
        )
        rows.append((palette[i + offset], text))
        lower = upper
    return rows
