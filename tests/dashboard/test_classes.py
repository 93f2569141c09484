"""Map classes shared by the web map and the PDF map."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.components.classes import (
    MISSING_FILL,
    SECRET_FILL,
    class_breaks,
    class_rows,
    fill_colour,
)

PALETTE = ("#1", "#2", "#3", "#4", "#5")


def test_breaks_labels_and_fills() -> None:
    values = pd.Series([0.0, 1.0, 2.0, 3.0, 10.0, 11.0, 12.0, 40.0, np.nan])
    breaks = class_breaks(values, k=3)
    assert len(breaks) == 3 and breaks[-1] == 40.0
    rows = class_rows(breaks, PALETTE)
    assert rows[0][1].startswith("t/m ") and " – " in rows[1][1]
    assert [c for c, _ in rows] == ["#3", "#4", "#5"]  # the darkest colours for fewer classes
    assert fill_colour(40.0, "", breaks, PALETTE) == "#5"
    assert fill_colour(5.0, "x", breaks, PALETTE) == SECRET_FILL
    assert fill_colour(np.nan, ".", breaks, PALETTE) == MISSING_FILL
    assert fill_colour(5.0, "x", breaks, PALETTE, secret="#eee") == "#eee"


def test_few_distinct_values_are_their_own_classes() -> None:
    assert class_breaks(pd.Series([1.0, 1.0, 2.0])) == [1.0, 2.0]
    assert class_breaks(pd.Series([np.nan])) == []


def test_many_values_give_the_same_breaks_every_time() -> None:
    rng = np.random.default_rng(3)
    values = pd.Series(rng.lognormal(2, 1, 12_000))
    breaks = class_breaks(values)
    assert breaks == class_breaks(values.sample(frac=1, random_state=1)), "order does not matter"
    assert len(breaks) == 5 and breaks == sorted(breaks)
    assert breaks[-1] == values.max(), "the top class holds the largest value"
    share = (values <= breaks[0]).mean()
    assert 0.05 < share < 0.95, "classes split the values, not just the tail"
