"""Typing help for pandas frames read row by row.

pandas-stubs types every cell of ``itertuples`` as the union of all pandas scalars, so that
``float(row.teller)`` does not type-check although the column is numeric. ``rows`` gives the
same tuples with their attributes typed as ``Any``: the column types are the caller's to know
(and are checked where the frame is made).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd


def rows(frame: pd.DataFrame) -> Iterator[Any]:
    """``frame.itertuples(index=False)``, typed for attribute access."""
    return iter(frame.itertuples(index=False))
