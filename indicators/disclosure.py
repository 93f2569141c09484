"""Statistical disclosure control, CBS style, applied to indicator tables before anything is shown.

Rules (PRINCIPLES.md): counts 1 to 4 are secret ("x"), and so is their rate; rates only where the
noemer is at least ``min_noemer``; published counts are rounded to multiples of ``rounding``; a
secret cell must not be recoverable by subtraction, so complementary cells are made secret too.
Missing (not delivered) is ".", never zero.

The additive groups checked are: a wijk and its buurten, a gemeente and its wijken (per periode
and indicator); a year and its months, a year and its quarters, a quarter and its months (per
code and indicator), each as far as those rows are in the table. So call ``disclose`` once on
everything that is shown together (all levels and all granularities of an indicator): cells
disclosed in separate calls are not protected against each other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.errors import InputError

SHOWN = ""
SECRET = "x"
MISSING = "."
STATUSES = (SHOWN, SECRET, MISSING)
REQUIRED_COLUMNS = ("code", "parent_code", "periode", "indicator", "teller", "noemer", "waarde")

_MONTH = r"\d{4}-(?:0[1-9]|1[0-2])"
_QUARTER = r"\d{4}-Q[1-4]"
_YEAR = r"\d{4}"

Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


def round_to(values: pd.Series, base: int = 5) -> pd.Series:
    """Round to the nearest multiple of ``base``, halves up (2.5 -> 5, 7.5 -> 10); NaN stays NaN.

    Returns a float Series with the index and name of ``values``.
    """
    if base < 1:
        raise ValueError(f"Afronden kan alleen op een positief veelvoud, niet op {base}.")
    numbers = values.to_numpy(dtype=float, na_value=np.nan)
    rounded = np.floor(numbers / base + 0.5) * base
    return pd.Series(rounded + 0.0, index=values.index, name=values.name)  # + 0.0: no -0.0


def format_cell(value: float, status: str, *, decimals: int = 1) -> str:
    """Format one published number the Dutch way (``1.234,5``), or its CBS symbol.

    Status "x" gives "x" and status "." gives ".", whatever ``value`` is; with status "" a missing
    or non-finite value gives ".". Pass the published values (``teller_publ``, ``waarde_publ``),
    never the raw ones.
    """
    if status not in STATUSES:
        raise ValueError(f"Onbekende status {status!r}; verwacht een van {STATUSES}.")
    if decimals < 0:
        raise ValueError(f"Aantal decimalen moet 0 of meer zijn, niet {decimals}.")
    if status != SHOWN:
        return status
    if value is None or pd.isna(value) or not math.isfinite(value):
        return MISSING
    text = f"{float(value):,.{decimals}f}"
    if text.startswith("-") and not any(c in "123456789" for c in text):
        text = text[1:]  # -0,0 reads as a negative count
    return text.translate(str.maketrans(",.", ".,"))


def disclose(table: pd.DataFrame, *, min_noemer: float = 50, rounding: int = 5) -> pd.DataFrame:
    """Apply disclosure control to an indicator table; return a copy with the published values.

    Parameters
    ----------
    table : one row per cell, with ``code``, ``parent_code`` (the wijk of a buurt, the gemeente of
        a wijk, "" for a gemeente), ``periode`` (``YYYY-MM``, ``YYYY-Qn`` or ``YYYY``),
        ``indicator``, ``teller`` (NaN = not delivered), ``noemer`` (NaN = unknown) and
        ``waarde`` (the rate from the unrounded teller and noemer). Other columns (``level``)
        are passed through. At most one row per code, periode and indicator.
    min_noemer : rates are published only where the noemer is at least this.
    rounding : published tellers are rounded (halves up) to a multiple of this.

    Returns
    -------
    A copy of ``table`` (same index) with three more columns:

    ``status``
        "." when the teller was not delivered (NaN); otherwise "x" when anything in the row is
        withheld for disclosure: a teller 1 to 4 (primary), a complementary suppression, or a
        noemer below ``min_noemer`` (then only the rate is withheld and ``teller_publ`` may still
        hold the count); "" otherwise, also when the rate is NaN only because the noemer is
        unknown or the rate not computable.
    ``teller_publ``
        the teller rounded to ``rounding``; NaN where the teller is secret or missing.
    ``waarde_publ``
        ``waarde`` where the teller is published and the noemer is known and at least
        ``min_noemer``; NaN elsewhere.

    Notes
    -----
    Complementary suppression works per additive group (total and parts, see the module
    docstring) until a fixed point: no group with a delivered total may have exactly one secret
    member, whether that is a part (a wijk minus its other buurten) or the total (a wijk as the
    sum of its published buurten). When one is found, the published part with the smallest
    nonzero teller is made secret too (ties: lowest code, then earliest periode), else a zero
    part, else the total. A missing (".") part is taken as known to the attacker (a total is the
    sum of the delivered parts), so it never protects a secret part. This stops subtraction
    within a group, also chained from group to group. It does not audit the equations of all
    groups as one linear system (as tau-ARGUS can): on synthetic data about 1 in 1,200 primary
    cells could still be solved that way, and bounds from "counts are never negative" are not
    checked either.
    """
    if rounding < 1:
        raise InputError(f"Afronden kan alleen op een positief veelvoud, niet op {rounding}.")
    if not min_noemer >= 0:
        raise InputError(f"De minimale noemer moet 0 of meer zijn, niet {min_noemer}.")
    keys = _validated_keys(table)
    teller = table["teller"].to_numpy(dtype=float, na_value=np.nan)
    noemer = table["noemer"].to_numpy(dtype=float, na_value=np.nan)
    waarde = table["waarde"].to_numpy(dtype=float, na_value=np.nan)
    if np.isinf(teller).any() or (teller < 0).any():
        raise InputError("De teller bevat negatieve of oneindige waarden; controleer de invoer.")

    missing = np.isnan(teller)
    secret = (teller > 0) & (teller < 5)
    if len(table):
        secret = _complementary(secret, missing, _groups(keys), _preference(teller, keys))
    shown = ~secret & ~missing
    small = noemer < min_noemer  # NaN compares False: an unknown noemer is not "small"
    rate_shown = shown & (noemer >= min_noemer) & np.isfinite(waarde)

    out = table.copy()
    status = np.where(missing, MISSING, np.where(secret | small, SECRET, SHOWN))
    out["status"] = pd.Series(status, index=table.index, dtype=object).astype(str)
    rounded = round_to(pd.Series(teller, index=table.index), rounding)
    out["teller_publ"] = rounded.where(shown, np.nan)
    out["waarde_publ"] = pd.Series(np.where(rate_shown, waarde, np.nan), index=table.index)
    return out


def _stripped(column: pd.Series) -> npt.NDArray[np.object_]:
    """The values as stripped strings, missing as ''; worked out once per distinct value."""
    codes, uniques = pd.factorize(column)
    cleaned = np.array([str(u).strip() for u in uniques] + [""], dtype=object)
    result: npt.NDArray[np.object_] = cleaned[codes]  # code -1 (missing) takes the last: ''
    return result


def _validated_keys(table: pd.DataFrame) -> pd.DataFrame:
    """The key columns as plain strings (positional index); raise InputError on bad keys."""
    absent = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if absent:
        raise InputError(f"De tabel mist kolommen: {', '.join(absent)}.")
    keys = pd.DataFrame(
        {c: _stripped(table[c]) for c in ("code", "parent_code", "periode", "indicator")}
    )
    periode = keys["periode"]
    distinct = pd.Series(periode.unique(), dtype=object)
    known = distinct.str.fullmatch(f"{_MONTH}|{_QUARTER}|{_YEAR}").to_numpy(dtype=bool)
    if not known.all():
        bad = sorted(set(distinct[~known]))
        raise InputError(
            "Onbekende perioden: verwacht JJJJ-MM, JJJJ-Qn of JJJJ.", [repr(p) for p in bad[:20]]
        )
    dupes = keys.duplicated(["code", "periode", "indicator"])
    if dupes.any():
        rows = keys.loc[dupes, ["code", "periode", "indicator"]].drop_duplicates()
        raise InputError(
            "Dubbele rijen: elke combinatie van code, periode en indicator mag maar één keer.",
            [" ".join(r) for r in rows.itertuples(index=False)][:20],
        )
    return keys


@dataclass(frozen=True)
class _Groups:
    """Additive groups as edges: part ``part_row[k]`` belongs to group ``part_group[k]``."""

    part_group: Ints
    part_row: Ints
    total_row: Ints  # per group


def _groups(keys: pd.DataFrame) -> _Groups:
    """Find every (total, part) pair of the area and time hierarchies present in the table."""
    n = len(keys)
    # Periods repeat: work on the distinct ones (p), then spread to the rows by their id.
    row_period, distinct = pd.factorize(keys["periode"])
    p = pd.Series(distinct, dtype=object)
    p_month = p.str.fullmatch(_MONTH).to_numpy(dtype=bool)
    p_quarter = p.str.fullmatch(_QUARTER).to_numpy(dtype=bool)
    p_year = p.str[:4]
    month_no = pd.to_numeric(p.where(p_month, "0000-01").str[5:7]).to_numpy(dtype=np.int64)
    p_quarter_of = p_year + "-Q" + pd.Series((month_no - 1) // 3 + 1).astype(str)
    m = len(p)
    ids, _ = pd.factorize(pd.concat([p, p_year, p_quarter_of], ignore_index=True))
    month, quarter = p_month[row_period], p_quarter[row_period]

    code_ids, _ = pd.factorize(pd.concat([keys["code"], keys["parent_code"]], ignore_index=True))
    ind_ids, ind_values = pd.factorize(keys["indicator"])
    n_period = int(ids.max()) + 1
    n_ind = len(ind_values)

    def key(code: Ints, period: Ints) -> Ints:
        return (code.astype(np.int64) * n_period + period) * n_ind + ind_ids

    code, parent = code_ids[:n], code_ids[n:]
    own_period = ids[:m][row_period]
    year_id, quarter_id = ids[m : 2 * m][row_period], ids[2 * m :][row_period]
    lookup = pd.Index(key(code, own_period))
    relations = (
        (keys["parent_code"].ne("").to_numpy(dtype=bool), key(parent, own_period)),
        (month, key(code, year_id)),
        (quarter, key(code, year_id)),
        (month, key(code, quarter_id)),
    )
    group_keys, part_rows = [], []
    for kind, (is_part, total_key) in enumerate(relations):
        total = lookup.get_indexer(pd.Index(total_key))
        found = is_part & (total >= 0)
        group_keys.append(kind * n + total[found])
        part_rows.append(np.flatnonzero(found))
    totals, part_group = np.unique(np.concatenate(group_keys), return_inverse=True)
    return _Groups(
        part_group=part_group.astype(np.int64),
        part_row=np.concatenate(part_rows).astype(np.int64),
        total_row=(totals % n).astype(np.int64),
    )


def _preference(teller: Floats, keys: pd.DataFrame) -> Ints:
    """Rank of every row as a complementary candidate: nonzero first, smallest, code, periode."""
    code_rank, _ = pd.factorize(keys["code"], sort=True)
    period_rank, _ = pd.factorize(keys["periode"], sort=True)
    filled = np.where(np.isnan(teller), np.inf, teller)
    order = np.lexsort((period_rank, code_rank, filled, filled == 0))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    return rank


def _complementary(secret: Bools, missing: Bools, groups: _Groups, rank: Ints) -> Bools:
    """Add complementary suppressions until no group has exactly one secret member."""
    secret = secret.copy()
    g, p, t = groups.part_group, groups.part_row, groups.total_row
    n_groups, n_rows = len(t), len(secret)
    row_of_rank = np.argsort(rank)
    total_delivered = ~missing[t]
    while True:
        shown = ~secret & ~missing
        n_secret = np.bincount(g, weights=secret[p].astype(float), minlength=n_groups) + secret[t]
        exposed = (n_secret == 1) & total_delivered
        if not exposed.any():
            return secret
        candidate = exposed[g] & shown[p]
        best = np.full(n_groups, n_rows, dtype=np.int64)
        np.minimum.at(best, g[candidate], rank[p[candidate]])
        has_part = best < n_rows
        # No published part left: the total goes (a total that is itself the secret one, with
        # only missing parts beside it, cannot be protected inside its group and is left alone).
        hide_total = exposed & ~has_part & shown[t]
        new = np.concatenate([row_of_rank[best[has_part]], t[hide_total]])
        if new.size == 0:
            return secret
        secret[new] = True
