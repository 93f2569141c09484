"""Series with their uncertainty: exact Poisson intervals for rates from small counts.

A rate from a small teller is uncertain even when it is exact: 3 cases in a month could as well
have been 1 or 8. The interval here is Garwood's exact Poisson interval for the count, divided
by the noemer (taken as known) and multiplied by the catalogue's ``schaal``.

Disclosure: ``disclosed_interval`` works on published rows only: the interval of the published
(rounded) count, divided by the published noemer, where the rate itself is shown. It is a
function of published numbers, so it can reveal nothing they do not.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.stats import chi2

from geo.errors import InputError
from indicators.disclosure import SHOWN

Floats = npt.NDArray[np.float64]
SERIES_COLUMNS = ["code", "periode", "teller", "noemer", "waarde", "ci_low", "ci_high"]


def poisson_interval(teller: npt.ArrayLike, *, level: float = 0.95) -> tuple[Floats, Floats]:
    """Garwood's exact interval for Poisson counts: (low, high) arrays, NaN for NaN counts.

    low = chi2.ppf(a/2, 2k) / 2 (0 for k = 0), high = chi2.ppf(1 - a/2, 2k + 2) / 2, with
    a = 1 - ``level``. Non-integer counts (means of stocks) are allowed.
    """
    if not 0 < level < 1:
        raise InputError(f"Het betrouwbaarheidsniveau moet tussen 0 en 1 liggen, niet {level}.")
    k = np.asarray(teller, dtype=float)
    if (k[np.isfinite(k)] < 0).any():
        raise InputError("Een teller kan niet negatief zijn.")
    alpha = 1.0 - level
    with np.errstate(invalid="ignore"):
        low = np.where(k > 0, chi2.ppf(alpha / 2, 2 * np.maximum(k, 1e-300)) / 2, 0.0)
        high = chi2.ppf(1 - alpha / 2, 2 * k + 2) / 2
    missing = ~np.isfinite(k)
    return np.where(missing, np.nan, low), np.where(missing, np.nan, high)


def add_rate_interval(table: pd.DataFrame, *, schaal: float, level: float = 0.95) -> pd.DataFrame:
    """Add ``ci_low`` and ``ci_high`` to a table with ``teller`` and ``noemer`` (unrounded).

    The bounds are in the rate's unit (count bound / noemer * ``schaal``); NaN where the
    teller is missing or the noemer is not positive. Returns a copy, same index.
    """
    missing = [c for c in ("teller", "noemer") if c not in table.columns]
    if missing:
        raise InputError(f"De tabel mist kolommen: {', '.join(missing)}.")
    teller = table["teller"].to_numpy(dtype=float, na_value=np.nan)
    noemer = table["noemer"].to_numpy(dtype=float, na_value=np.nan)
    low, high = poisson_interval(teller, level=level)
    usable = noemer > 0
    divisor = np.where(usable, noemer, 1.0)
    out = table.copy()
    out["ci_low"] = np.where(usable, low / divisor * schaal, np.nan)
    out["ci_high"] = np.where(usable, high / divisor * schaal, np.nan)
    return out


def disclosed_interval(
    published: pd.DataFrame, *, schaal: float, level: float = 0.95
) -> pd.DataFrame:
    """Add ``ci_low``/``ci_high`` where the rate is published; NaN elsewhere.

    ``published``: rows of the publication (``status``, ``teller_publ``, ``noemer_publ``,
    ``waarde_publ``). The interval is Garwood's for the published count.
    """
    needed = ("status", "waarde_publ", "teller_publ", "noemer_publ")
    missing = [c for c in needed if c not in published]
    if missing:
        raise InputError(f"De tabel mist kolommen: {', '.join(missing)}.")
    counts = published.rename(columns={"teller_publ": "teller", "noemer_publ": "noemer"})
    out = add_rate_interval(counts[["teller", "noemer"]], schaal=schaal, level=level)
    shown = (published["status"] == SHOWN) & published["waarde_publ"].notna()
    result = published.copy()
    result["ci_low"] = out["ci_low"].where(shown)
    result["ci_high"] = out["ci_high"].where(shown)
    return result
