"""Series with their uncertainty: exact Poisson intervals for rates from small counts.

A rate from a small teller is uncertain even when it is exact: 3 cases in a month could as well
have been 1 or 8. The interval here is Garwood's exact Poisson interval for the count, divided
by the noemer (taken as known) and multiplied by the catalogue's ``schaal``.

Disclosure: an interval is computed from the unrounded teller, so it may only be shown where the
rate itself is published. ``disclosed_interval`` takes the output of
``indicators.disclosure.disclose`` and fills ``ci_low``/``ci_high`` only where ``status`` is ""
and ``waarde_publ`` is shown. (Where the rate is shown, teller = rate x noemer / schaal is
public already, so the interval reveals nothing more.)
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.stats import chi2

from geo.errors import InputError
from indicators.disclosure import SHOWN, round_to

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


def group_series(
    table: pd.DataFrame, members: list[str], periods: list[str], *, schaal: float
) -> pd.DataFrame:
    """The rate of a group of buurten (the comparison buurten of an effect estimate) per period.

    Parameters
    ----------
    table : a ``published_table`` (buurt rows are used: ``teller``, ``noemer``, ``status``).
    members : buurtcodes of the group; periods : the periods wanted.
    schaal : the catalogue's scale (1.000 for "per 1.000 ...").

    Returns
    -------
    ``periode, waarde_publ, status`` with the disclosure rules of ``indicators.disclosure``
    applied to the group as a total of its buurten: "." when a member was not delivered; "x"
    when the group's count is 1 to 4, its noemer below 50, exactly one member is secret, or the
    members that are secret add up to 1 to 4 (the group minus its published buurten would give
    them away). Only the rate is returned, never a count, and it is computed from the group's
    count rounded to 5.
    """
    rows = table[table["code"].isin(members) & table["periode"].isin(periods)]
    out = []
    for periode in periods:
        part = rows[rows["periode"] == periode]
        out.append({"periode": periode, **_group_cell(part, len(members), schaal)})
    return pd.DataFrame(out, columns=["periode", "waarde_publ", "status"])


def _group_cell(part: pd.DataFrame, n_members: int, schaal: float) -> dict[str, object]:
    if len(part) < n_members or part["status"].eq(".").any() or part["noemer"].isna().any():
        return {"waarde_publ": np.nan, "status": "."}
    teller, noemer = float(part["teller"].sum()), float(part["noemer"].sum())
    hidden = part[part["status"] == "x"]
    residual = float(hidden["teller"].sum())
    secret = 0 < teller < 5 or noemer < 50 or len(hidden) == 1 or 0 < residual < 5 or noemer <= 0
    if secret:
        return {"waarde_publ": np.nan, "status": "x"}
    # The group is no cell of the published hierarchy, so its rate comes from the count rounded
    # to 5: subtracting it from published totals can then never pin down a small count exactly.
    rounded = float(round_to(pd.Series([teller]), 5).iloc[0])
    return {"waarde_publ": rounded / noemer * schaal, "status": ""}


def disclosed_interval(
    disclosed: pd.DataFrame, *, schaal: float, level: float = 0.95
) -> pd.DataFrame:
    """Add ``ci_low``/``ci_high`` only where the rate is published; NaN elsewhere.

    ``disclosed`` is the output of ``indicators.disclosure.disclose`` (``status``,
    ``waarde_publ``, and the unrounded ``teller`` and ``noemer``). A cell with status "x"
    (secret) or "." (missing), or without a published rate, gets no interval.
    """
    missing = [c for c in ("status", "waarde_publ", "teller", "noemer") if c not in disclosed]
    if missing:
        raise InputError(f"De tabel mist kolommen: {', '.join(missing)}.")
    out = add_rate_interval(disclosed, schaal=schaal, level=level)
    shown = (disclosed["status"] == SHOWN) & disclosed["waarde_publ"].notna()
    out["ci_low"] = out["ci_low"].where(shown)
    out["ci_high"] = out["ci_high"].where(shown)
    return out
