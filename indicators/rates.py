"""Indicator rates per buurt, wijk and gemeente, per maand, kwartaal or jaar.

Rules (see docs/indicatoren.md):
- A period counts as delivered for a gemeente when every bron that delivers the indicator around
  that time delivered every month of it (or the period itself, at kwartaal/jaar); a gap at one
  bron makes the period missing as a whole rather than a misleading partial sum. Undelivered is
  NaN ('.' on screen), never zero; inside a delivered period a buurt without rows has teller 0.
- The noemer is the catalogue's key figure of the buurt (public, also where a partner delivered
  a noemer beside the count: that one is stored, never published), or for '%' indicators the
  delivered ``noemer``, summed like the teller (and protected as a count of its own). ``illegale_bewoning_per_controle`` is derived: illegale_bewoning per 100 controles.
- A buurt a gemeente took over in a herindeling (keeping its code) is not delivered before the
  month it joined (areas column ``JOINED``): the partners delivered for the old territory then.
  Where a partner delivered counts on such buurten for a period, that period counts for them.
- A wijk or gemeente sums teller and noemer over its buurten; the rate comes from those sums. Its
  teller is delivered only when every buurt's is (a partial sum would read as a drop).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from geo.areas import gemeente_codes
from geo.rebase import HERKOMST
from indicators import catalogue
from indicators.periods import (
    granularity,
    is_finer_or_equal,
    months_of,
    period_range,
    to_granularity,
)

JOINED = "geleverd_vanaf"  # optional areas column: the first month a buurt belongs to its gemeente

TABLE_COLUMNS = [
    "code",
    "level",
    "parent_code",
    "periode",
    "indicator",
    "teller",
    "noemer",
    "waarde",
]


def _per_distinct(values: pd.Series, func: Callable[[str], object]) -> pd.Series:
    """``func`` of every value, computed once per distinct value (periods repeat a lot)."""
    codes, uniques = pd.factorize(values.astype(str))
    results = np.empty(len(uniques), dtype=object)
    results[:] = [func(u) for u in uniques]
    return pd.Series(results[codes], index=values.index)


def _finer_or_equal(periodes: pd.Series, target: str) -> pd.Series:
    """True where a period is at least as fine as ``target`` (a month counts toward a year)."""
    return _per_distinct(periodes, lambda p: is_finer_or_equal(granularity(p), target)).astype(bool)


def _coverage(deliveries: pd.DataFrame, indicator: str, target: str) -> pd.DataFrame:
    """(bron, gemeentecode, periode) at ``target`` granularity whose figures may be summed.

    A period counts only when every bron delivering this indicator around that time (its first
    to last delivered month spans the period) delivered all of it: a partial sum would read as
    a drop. So a period with a gap at one bron is missing as a whole.
    """
    rows = deliveries[deliveries["indicator"] == indicator]
    empty = pd.DataFrame(columns=["bron", "gemeentecode", "periode"])
    if rows.empty:
        return empty
    rows = rows[_finer_or_equal(rows["periode"], target)]
    if rows.empty:
        return empty
    months = rows.assign(maand=_per_distinct(rows["periode"], months_of)).explode("maand")
    months = months.drop_duplicates(["bron", "gemeentecode", "maand"])
    months["periode"] = to_granularity(months["maand"], target)
    counts = months.groupby(["bron", "gemeentecode", "periode"]).size().rename("n").reset_index()
    counts["compleet"] = counts["n"] == _per_distinct(
        counts["periode"], lambda p: len(months_of(p))
    )
    span = months.groupby(["bron", "gemeentecode"])["maand"].agg(["min", "max"]).reset_index()
    periods = counts[["gemeentecode", "periode"]].drop_duplicates()
    active = periods.merge(span, on="gemeentecode")
    first = _per_distinct(active["periode"], lambda p: months_of(p)[0])
    last = _per_distinct(active["periode"], lambda p: months_of(p)[-1])
    active = active[(active["min"] <= last) & (active["max"] >= first)]
    active = active.merge(counts, on=["bron", "gemeentecode", "periode"], how="left")
    active["compleet"] = active["compleet"].eq(True)
    whole = active.groupby(["gemeentecode", "periode"])["compleet"].all().rename("heel")
    counts = counts.merge(whole.reset_index(), on=["gemeentecode", "periode"])
    return counts.loc[counts["compleet"] & counts["heel"], ["bron", "gemeentecode", "periode"]]


def _base_table(
    signals: pd.DataFrame,
    deliveries: pd.DataFrame,
    buurten: pd.DataFrame,
    indicator: str,
    target: str,
) -> pd.DataFrame:
    """Buurt rows ``code, periode, teller, noemer``: every buurt of ``buurten`` times every
    period (buurt by buurt, periods in order). Keys are turned into positions once per distinct
    value (a national table has a million signal rows and a string join per step cost seconds).
    """
    card = catalogue.get(indicator)
    buurten = buurten.drop_duplicates("code", keep="last")
    codes = pd.Index(buurten["code"])
    periods = pd.Index(_all_periods(deliveries, signals, target))
    n_periods = len(periods)
    size = len(codes) * n_periods
    own = pd.Index(gemeente_codes(pd.Series(codes)))
    gemeenten = own.unique()
    buurt_gemeente = gemeenten.get_indexer(own)

    # Where each delivered row lands: its buurt, its period at ``target`` (-1: coarser, or a
    # buurt of another indeling), and whether its bron covered that period of its gemeente.
    rows = signals[signals["indicator"] == indicator]
    buurt_at = _positions(rows["buurtcode"], codes)
    period_at = _positions(rows["periode"], periods, lambda p: to_granularity(p, target))
    source_at, sources = pd.factorize(rows["bron"])
    covered = _coverage(deliveries, indicator, target)
    cover_gemeente = gemeenten.get_indexer(pd.Index(covered["gemeentecode"]))
    cover_period = periods.get_indexer(pd.Index(covered["periode"]))
    cover_source = sources.get_indexer(pd.Index(covered["bron"]))
    cover_keys = _keys(cover_source, cover_gemeente, cover_period, len(gemeenten), n_periods)
    row_keys = _keys(
        source_at, _gather_at(buurt_gemeente, buurt_at), period_at, len(gemeenten), n_periods
    )
    kept = np.isin(row_keys, cover_keys[cover_keys >= 0])
    cell = buurt_at[kept] * n_periods + period_at[kept]
    counts = rows["teller"].to_numpy(dtype=float, na_value=0.0)[kept]
    teller = np.bincount(cell, weights=counts, minlength=size).astype(float)

    # Delivered periods of a gemeente: a buurt without rows there has teller 0, elsewhere NaN.
    on_time = np.zeros((len(gemeenten), n_periods), dtype=bool)
    known = (cover_gemeente >= 0) & (cover_period >= 0)
    on_time[cover_gemeente[known], cover_period[known]] = True
    teller[~on_time[buurt_gemeente].ravel()] = np.nan

    grid = pd.DataFrame(
        {
            "code": np.repeat(codes.to_numpy(), n_periods),
            "periode": np.tile(periods.to_numpy(), len(codes)),
        }
    ).astype({"code": "str", "periode": "str"})
    grid["teller"] = teller
    if JOINED in buurten.columns:
        late = rows[kept].assign(
            periode=periods.to_numpy()[period_at[kept]] if n_periods else [],
            gemeentecode=lambda f: gemeente_codes(f["buurtcode"]),
        )
        keyed = grid.assign(gemeentecode=gemeente_codes(grid["code"])).rename(
            columns={"code": "buurtcode"}
        )
        keyed = keyed.set_index(["buurtcode", "periode"])
        grid.loc[_before_joining(keyed, buurten, late).to_numpy(), "teller"] = np.nan
    if card.noemer in catalogue.DENOMINATORS:
        # The public key figure, also where a partner delivered a noemer beside the count: a
        # delivered stock (its own count of uitkeringen, say) would be published as it is, and
        # only in the months its rows carry one (a row only where the count is above 0).
        default = buurten[card.noemer].astype(float).to_numpy()
        grid["noemer"] = np.repeat(default, n_periods)
    else:
        # A delivered count ('%'): summed like the teller, and protected as a count of its own.
        noemer = rows["noemer"].to_numpy(dtype=float, na_value=np.nan)[kept]
        given = ~np.isnan(noemer)
        sums = np.bincount(cell[given], weights=noemer[given], minlength=size).astype(float)
        sums[np.bincount(cell[given], minlength=size) == 0] = np.nan
        grid["noemer"] = sums
    return grid


def _positions(
    values: pd.Series, index: pd.Index, convert: Callable[[pd.Series], pd.Series] | None = None
) -> np.ndarray:
    """Per value its position in ``index`` (-1 where absent), looked up once per distinct
    value; with ``convert``, the distinct values are first converted (periods to a target)."""
    at, distinct = pd.factorize(values)
    keys = pd.Index(distinct if convert is None else convert(pd.Series(distinct)))
    return _gather_at(index.get_indexer(keys), at)


def _gather_at(values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """``values[at]``, -1 where ``at`` is -1."""
    out = np.full(len(at), -1, dtype=np.int64)
    ok = at >= 0
    out[ok] = values[at[ok]]
    return out


def _keys(
    source: np.ndarray, gemeente: np.ndarray, period: np.ndarray, n_gemeenten: int, n_periods: int
) -> np.ndarray:
    """One integer per (bron, gemeente, periode) position; -1 where any is absent."""
    key = (source * n_gemeenten + gemeente) * n_periods + period
    return np.where((source >= 0) & (gemeente >= 0) & (period >= 0), key, -1)


def _before_joining(grid: pd.DataFrame, buurten: pd.DataFrame, rows: pd.DataFrame) -> pd.Series:
    """True for (buurt, periode) rows of ``grid`` before the buurt joined its gemeente, except in
    periods where the gemeente's counts (``rows``, delivered and covered) were delivered on such
    buurten's own codes (a count of an old buurt re-based onto one does not count)."""
    joined = buurten.set_index("code")[JOINED].dropna().astype(str)
    codes = pd.Series(grid.index.get_level_values("buurtcode"), index=grid.index)
    since = codes.map(joined)
    if since.isna().all():
        return pd.Series(False, index=grid.index)
    first = _per_distinct(
        pd.Series(grid.index.get_level_values("periode"), index=grid.index),
        lambda p: months_of(p)[0],
    )
    before = since.notna() & (first < since.fillna(""))
    if rows.empty or not before.any():
        return before
    late = rows[rows["buurtcode"].isin(joined.index)]
    if HERKOMST in late.columns:  # delivered on the buurt's own code, not re-based onto it
        late = late[late[HERKOMST].astype(str) == late["buurtcode"].astype(str)]
    covered = set(zip(late["gemeentecode"], late["periode"], strict=True))
    if covered:
        key = list(zip(grid["gemeentecode"], grid.index.get_level_values("periode"), strict=True))
        before &= ~pd.Series([k in covered for k in key], index=grid.index)
    return before


def _all_periods(deliveries: pd.DataFrame, signals: pd.DataFrame, target: str) -> list[str]:
    """The contiguous range of periods at ``target`` spanned by any delivery or signal."""
    values = pd.Series(
        pd.concat([deliveries["periode"], signals["periode"]], ignore_index=True).dropna().unique()
    )
    if values.empty:
        return []
    mapped = to_granularity(values.astype(str), target).dropna()
    if mapped.empty:
        return []
    return period_range(str(mapped.min()), str(mapped.max()))


def _roll_up(buurt_rows: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    """Add wijk and gemeente rows: sums of teller and noemer over their buurten (a teller only
    where every buurt's is delivered), summed on integer keys."""
    lookup = areas.drop_duplicates("code", keep="last").set_index("code")
    buurt_codes, distinct = pd.factorize(buurt_rows["code"])
    period_codes, periods = pd.factorize(buurt_rows["periode"], sort=True)
    teller = buurt_rows["teller"].to_numpy(dtype=float, na_value=np.nan)
    noemer = buurt_rows["noemer"].to_numpy(dtype=float, na_value=np.nan)
    parents = pd.Series(distinct).map(lookup["parent_code"])
    parts = [buurt_rows.assign(level="buurt", parent_code=parents.to_numpy()[buurt_codes])]
    for level, key in (("wijk", "parent_code"), ("gemeente", "gemeentecode")):
        owner = pd.Series(distinct).map(lookup[key])
        totals, owner_codes = pd.factorize(owner, sort=True)  # -1 where a buurt has none
        row_total = totals[buurt_codes]
        keep = row_total >= 0
        n_periods = len(periods)
        group = row_total[keep] * n_periods + period_codes[keep]
        size = len(owner_codes) * n_periods
        members = np.bincount(group, minlength=size)
        t, n = teller[keep], noemer[keep]
        t_given, n_given = ~np.isnan(t), ~np.isnan(n)
        t_sum = np.bincount(group[t_given], weights=t[t_given], minlength=size).astype(float)
        n_sum = np.bincount(group[n_given], weights=n[n_given], minlength=size).astype(float)
        t_sum[np.bincount(group[t_given], minlength=size) < members] = np.nan
        n_sum[np.bincount(group[n_given], minlength=size) == 0] = np.nan
        present = np.flatnonzero(members)
        codes = owner_codes.to_numpy()[present // n_periods] if n_periods else owner_codes[:0]
        summed = pd.DataFrame(
            {
                "code": codes,
                "periode": periods.to_numpy()[present % n_periods] if n_periods else periods[:0],
                "teller": t_sum[present],
                "noemer": n_sum[present],
                "level": level,
            }
        )
        summed["parent_code"] = summed["code"].map(lookup["parent_code"]).fillna("")
        parts.append(summed)
    return pd.concat(parts, ignore_index=True)


def indicator_table(
    signals: pd.DataFrame,
    deliveries: pd.DataFrame,
    areas: pd.DataFrame,
    *,
    indicator: str,
    granularity: str = "maand",
) -> pd.DataFrame:
    """Return unrounded teller, noemer and rate for every area and period of one indicator.

    Parameters
    ----------
    signals : ``buurtcode, periode, indicator, teller, noemer, bron`` (as stored).
    deliveries : ``bron, gemeentecode, indicator, periode``: what each bron delivered.
    areas : the areas of ONE indeling (all levels), with ``code, level, parent_code,
        gemeentecode`` and the key figures; geometry is ignored.
    indicator : a catalogue code; granularity : "maand", "kwartaal" or "jaar".

    Returns
    -------
    DataFrame with ``TABLE_COLUMNS``, sorted by code and periode. Apply
    ``indicators.disclosure.disclose`` before showing any of it.
    """
    card = catalogue.get(indicator)
    buurten = areas[areas["level"] == "buurt"]
    if card.afgeleid:
        hits = _base_table(signals, deliveries, buurten, catalogue.ILLEGALE_BEWONING, granularity)
        effort = _base_table(signals, deliveries, buurten, catalogue.CONTROLES, granularity)
        rows = hits.merge(effort, on=["code", "periode"], suffixes=("", "_c"))
        rows = rows.assign(noemer=rows["teller_c"]).drop(columns=["teller_c", "noemer_c"])
        rows.loc[rows["noemer"].isna(), "teller"] = np.nan
    else:
        rows = _base_table(signals, deliveries, buurten, indicator, granularity)
    table = _roll_up(rows, areas)
    table["indicator"] = indicator
    noemer = table["noemer"].where(table["noemer"] > 0)
    table["waarde"] = table["teller"] / noemer * card.schaal
    return table[TABLE_COLUMNS].sort_values(["code", "periode"]).reset_index(drop=True)


def latest_deliveries(deliveries: pd.DataFrame) -> pd.DataFrame:
    """Per bron: the latest period delivered (as its last month) and when it was delivered.

    Returns ``bron, laatste_maand, geleverd_op`` sorted by bron.
    """
    if deliveries.empty:
        return pd.DataFrame(columns=["bron", "laatste_maand", "geleverd_op"])
    last_month = deliveries["periode"].map(lambda p: months_of(p)[-1])
    frame = deliveries.assign(laatste_maand=last_month)
    out = frame.groupby("bron").agg(
        laatste_maand=("laatste_maand", "max"), geleverd_op=("geleverd_op", "max")
    )
    return out.reset_index().sort_values("bron").reset_index(drop=True)
