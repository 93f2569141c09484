"""Statistical disclosure control of counts, CBS style: what may be published of every cell.

The rules (docs/methoden.md, "Geheimhouding"):

- not delivered is "." (missing), never a number;
- a count of 1 to 4 is secret ("x"): primary suppression;
- published counts are rounded to a multiple of ``rounding`` (5), halves up;
- every *additive relation* among the cells (a total and its parts: a wijk and its buurten, a
  gemeente and its wijken, a region and its gemeenten, a group of buurten such as the treated
  buurten of an intervention, a year and its quarters or months, a quarter and its months) whose
  total is published must not give away a small group: the secret parts of such a relation may
  never add up to 1-4 (the published total minus the published parts would show that sum). Where
  they do, the published part with the smallest nonzero count is made secret as well
  (complementary suppression). A published count is 0 or at least 5, so one such part always
  lifts the sum out of 1-4, and a new secret part can never push another relation into 1-4:
  one pass settles every relation.

What an attacker can still do by solving all relations at once (linear programming over the
rounding intervals) is checked by ``indicators.audit``; where that finds a cell pinned down,
``suppress`` is called again with the extra secret cells it asked for.

Rates are not this module's business: a published rate is computed from the published count
(``data.publication``), so rate x public noemer gives back no more than the rounded count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.errors import InputError
from indicators.audit import attack, blocking
from indicators.intervals import ROUNDING, THRESHOLD, bounds, protected
from indicators.relations import (
    MONTH,
    QUARTER,
    YEAR,
    Relations,
    components,
    relations,
    restrict,
)
from indicators.versions import old_versions

SHOWN = ""
SECRET = "x"
MISSING = "."
STATUSES = (SHOWN, SECRET, MISSING)
KEY_COLUMNS = ("code", "periode", "indicator")


Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


def round_to(values: pd.Series, base: int = ROUNDING) -> pd.Series:
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
    or non-finite value gives ".". Pass published values only, never raw ones.
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


def preference(teller: Floats, keys: pd.DataFrame) -> Ints:
    """Rank of every row as a complementary candidate: smallest count first, then code, periode
    (deterministic: the same data always gives the same publication)."""
    code_rank, _ = pd.factorize(keys["code"], sort=True)
    period_rank, _ = pd.factorize(keys["periode"], sort=True)
    filled = np.where(np.isnan(teller), np.inf, teller)
    order = np.lexsort((period_rank, code_rank, filled))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    return rank


def _order_of(rank: Ints) -> Ints:
    """The rows in order of ``rank``: ``np.argsort(rank)``, without a sort where ``rank`` is a
    permutation of the rows (``preference``'s always is): its inverse."""
    n = len(rank)
    if n and int(rank.min()) >= 0 and int(rank.max()) < n:
        inverse = np.full(n, -1, dtype=np.int64)
        inverse[rank] = np.arange(n, dtype=np.int64)
        if (inverse >= 0).all():
            return inverse
    order: Ints = np.argsort(rank)
    return order


def suppress(
    teller: Floats,
    rel: Relations,
    rank: Ints,
    *,
    secret: Bools | None = None,
    threshold: float = THRESHOLD,
    fixed: Bools | None = None,
) -> Bools:
    """Secret cells: primary (0 < teller < ``threshold``), the given ``secret`` ones, and the
    complementary ones that keep every relation's secret parts out of (0, threshold).

    ``teller`` NaN is missing (never secret). ``fixed``: cells shown in an earlier release,
    never chosen (their value is out). See the module docstring for the rule; returns a new
    boolean array.
    """
    missing = np.isnan(teller)
    value = np.nan_to_num(teller)
    hidden = ((value > 0) & (value < threshold)) & ~missing
    if secret is not None:
        hidden |= secret & ~missing
    g, p, t = rel.part_group, rel.part_row, rel.total_row
    n_groups, n_rows = rel.n_groups, len(teller)
    if n_groups == 0:
        return hidden
    row_of_rank = _order_of(rank)
    movable = np.ones(n_rows, dtype=bool) if fixed is None else ~fixed
    for _ in range(n_rows + 1):  # one pass settles it (module docstring); the bound is a guard
        secret_sum = np.bincount(g, weights=np.where(hidden[p], value[p], 0.0), minlength=n_groups)
        exposed = ~hidden[t] & (secret_sum > 0) & (secret_sum < threshold)
        if not exposed.any():
            return hidden
        candidate = exposed[g] & ~hidden[p] & (value[p] > 0) & movable[p]
        best = np.full(n_groups, n_rows, dtype=np.int64)
        np.minimum.at(best, g[candidate], rank[p[candidate]])
        has_part = best < n_rows
        # A published total >= threshold with secret parts below it always has a nonzero
        # published part (published counts are 0 or >= threshold); fractional counts from a
        # re-based indeling can break that, and then the total itself goes.
        totals = t[exposed & ~has_part]
        new = np.concatenate([row_of_rank[best[has_part]], totals[movable[totals]]])
        if not len(new):  # only cells of an earlier release are left: the attack judges
            return hidden
        hidden[new] = True
    raise AssertionError("complementary suppression did not settle")  # pragma: no cover


MAX_REPAIRS = 50


def protect(
    teller: Floats,
    rel: Relations,
    rank: Ints,
    *,
    secret: Bools | None = None,
    threshold: float = THRESHOLD,
    rounding: int = ROUNDING,
    blocks: Ints | None = None,
    fixed: Bools | None = None,
    rule_only: bool = False,
) -> Bools:
    """``suppress``, then repair whatever an attacker can still pin down.

    After the relation rule, every primary cell not yet shown safe is attacked with the linear
    relaxation of ``indicators.audit.attack`` (all relations at once: a wijk's year split by
    quarters and by buurten, a group across the hierarchy). For each cell still pinned down, the
    published counts that bind its interval in the linear programme
    (``indicators.audit.blocking``) are candidates; the one with the smallest nonzero count is
    made secret (a published 0 only where nothing else binds), and the relation rule runs
    again. Repeats until no primary cell is narrowed; a cell that cannot be repaired is an
    error, never a publication. The integer attack (``wijkmonitor audit``) checks the result.

    ``blocks`` (per row, e.g. its gemeente; -1 for none) lets the attack look for proofs in one
    gemeente at a time first (``indicators.audit.attack``): the same verdicts, without solving a
    whole region as one programme where that is not needed.

    ``fixed``: shown cells of an earlier release (``release_state``). Their values are out, so
    they stay shown and are never chosen; a repair picks among the other cells.

    ``rule_only``: only the relation rule runs, no attack: the caller attacks a system that holds
    this table's (a teller and its noemer together, ``indicators.ordered.repairs``).
    """
    if rule_only:
        return suppress(teller, rel, rank, secret=secret, threshold=threshold, fixed=fixed)
    missing = np.isnan(teller)
    movable = np.ones(len(teller), dtype=bool) if fixed is None else ~fixed
    value = np.nan_to_num(teller)
    primary = ~missing & (value > 0) & (value < threshold)
    hidden = suppress(teller, rel, rank, secret=secret, threshold=threshold, fixed=fixed)
    rounded = np.floor(value / rounding + 0.5) * rounding
    # A repair only makes more cells secret, so the outsider knows less: a cell shown safe stays
    # safe (every solution that proved it is still one), and later rounds attack only the rest.
    proven = np.zeros(len(teller), dtype=bool)
    component = components(rel, len(teller))
    for _ in range(MAX_REPAIRS):
        shown = ~hidden & ~missing
        lower, upper = bounds(
            np.where(shown, rounded, np.nan), shown, rounding=rounding, threshold=threshold
        )
        targets = np.flatnonzero(primary & ~proven).astype(np.int64)
        # Only the components that hold a target: the rest of the table cannot move them.
        rows = np.flatnonzero(np.isin(component, component[targets])).astype(np.int64)
        sub = restrict(rel, rows)
        local = np.searchsorted(rows, targets)
        found = attack(
            sub,
            lower[rows],
            upper[rows],
            ~missing[rows],
            local,
            known=value[rows],
            threshold=threshold,
            integer=False,
            blocks=None if blocks is None else blocks[rows],
        )
        safe = protected(found.lo, found.hi, threshold=threshold)
        proven[targets[safe]] = True
        broken = local[~safe]
        if not len(broken):
            return hidden
        shown_here = shown[rows]
        binding = partial(
            blocking,
            sub,
            lower[rows],
            upper[rows],
            ~missing[rows],
            broken,
            known=value[rows],
            blocks=None if blocks is None else blocks[rows],
            system=found.system,
        )
        extra = np.zeros(len(teller), dtype=bool)
        for row, found_rows in binding(shown_here & (value[rows] > 0) & movable[rows]).items():
            if len(found_rows):
                extra[rows[found_rows[np.argmin(rank[rows[found_rows]])]]] = True
            else:  # nothing published binds it in the LP: hide its relations' published totals
                groups = rel.part_group[rel.part_row == rows[row]]
                totals = rel.total_row[groups]
                extra[totals[shown[totals] & movable[totals]]] = True
        if not extra.any():  # only published zeros bind: they go
            for found_rows in binding(shown_here & movable[rows]).values():
                if len(found_rows):
                    extra[rows[found_rows[np.argmin(rank[rows[found_rows]])]]] = True
        if not extra.any():  # pragma: no cover - a pinned cell always has a binding bound
            raise RuntimeError("Geheimhouding: een cel blijft herleidbaar; dit is een fout.")
        hidden = suppress(
            teller, rel, rank, secret=hidden | extra, threshold=threshold, fixed=fixed
        )
    raise RuntimeError(  # pragma: no cover - guard
        f"Geheimhouding: na {MAX_REPAIRS} herstelrondes nog herleidbare cellen; dit is een fout."
    )


def _stripped(column: pd.Series) -> tuple[pd.api.extensions.ExtensionArray, Ints]:
    """The column as stripped strings, and per row a number for its stripped value. Each
    distinct value is stripped once (a key repeats a lot: a code for every period, a period for
    every code), and the strings are taken from the distinct ones (no string per row)."""
    codes, uniques = pd.factorize(column, use_na_sentinel=False)
    text = np.array([str(u).strip() for u in uniques], dtype=object)
    number, distinct = pd.factorize(text)  # values equal once stripped are one value
    row_number: Ints = number[codes].astype(np.int64)
    return pd.array(distinct, dtype="str").take(row_number), row_number


def validated_keys(table: pd.DataFrame) -> pd.DataFrame:
    """The key columns as plain strings (positional index); InputError on bad or duplicate keys."""
    absent = [c for c in (*KEY_COLUMNS, "teller") if c not in table.columns]
    if absent:
        raise InputError(f"De tabel mist kolommen: {', '.join(absent)}.")
    stripped = {c: _stripped(table[c]) for c in KEY_COLUMNS}
    keys = pd.DataFrame({c: text for c, (text, _) in stripped.items()})
    distinct = pd.Series(keys["periode"].unique(), dtype=object)
    known = distinct.str.fullmatch(f"{MONTH}|{QUARTER}|{YEAR}").to_numpy(dtype=bool)
    if not known.all():
        bad = sorted(set(distinct[~known]))
        raise InputError(
            "Onbekende perioden: verwacht JJJJ-MM, JJJJ-Qn of JJJJ.", [repr(p) for p in bad[:20]]
        )
    key = np.zeros(len(keys), dtype=np.int64)
    for _, number in stripped.values():  # numbered again each time: the key stays below n
        key, _ = pd.factorize(key * (int(number.max(initial=-1)) + 1) + number)
    dupes = pd.Series(key).duplicated().to_numpy()
    if dupes.any():
        rows = keys.loc[dupes, list(KEY_COLUMNS)].drop_duplicates()
        raise InputError(
            "Dubbele rijen: elke combinatie van code, periode en indicator mag maar één keer.",
            [" ".join(r) for r in rows.itertuples(index=False)][:20],
        )
    return keys


def gemeente_blocks(table: pd.DataFrame) -> Ints | None:
    """Per row, a number for its gemeente (-1 where it has none: a region's total), from the
    column ``gemeentecode``; None without that column."""
    if "gemeentecode" not in table.columns:
        return None
    codes = table["gemeentecode"].fillna("").astype(str).to_numpy()
    number, _ = pd.factorize(codes, sort=True)
    blocks: Ints = np.where(codes == "", -1, number).astype(np.int64)
    return blocks


RELEASE_COLUMNS = ["code", "periode", "status", "teller"]
KEPT = "versie_bewaard"  # ``disclose`` output: the count is the recorded version (same variable)
SAME = 1e-6  # two raw counts closer than this are the same count


def release_state(
    keys: pd.DataFrame, teller: Floats, released: pd.DataFrame
) -> tuple[Bools, Bools]:
    """Per row: (secret before, shown before) in an earlier release (``RELEASE_COLUMNS``: the
    status it had and the raw count it had then), for the cells whose raw count is still the
    same. A cell whose count was corrected since is new: its old status says nothing of it."""
    earlier = released.drop_duplicates(["code", "periode"]).set_index(["code", "periode"])
    index = pd.MultiIndex.from_arrays([keys["code"], keys["periode"]])
    at = earlier.index.get_indexer(index)
    found = at >= 0
    then = np.where(found, earlier["teller"].to_numpy(dtype=float)[at], np.nan)
    status = np.where(found, earlier["status"].astype(str).to_numpy()[at], MISSING)
    # Re-based counts are sums of shares: the same count up to float rounding.
    same = found & (
        np.isclose(then, teller, rtol=0.0, atol=SAME) | (np.isnan(then) & np.isnan(teller))
    )
    return same & (status == SECRET), same & (status == SHOWN)


def disclose(
    table: pd.DataFrame,
    memberships: pd.DataFrame | None = None,
    *,
    rounding: int = ROUNDING,
    threshold: float = THRESHOLD,
    extra_secret: Bools | None = None,
    released: pd.DataFrame | None = None,
    versions: pd.DataFrame | None = None,
    defined: Bools | None = None,
    rule_only: bool = False,
) -> pd.DataFrame:
    """Protect the counts of a cell table; return a copy with ``status`` and ``teller_publ``.

    Parameters
    ----------
    table : one row per cell: ``code, periode`` (``YYYY-MM``, ``YYYY-Qn`` or ``YYYY``),
        ``indicator`` and the raw ``teller`` (NaN = not delivered). Other columns pass through.
    memberships : ``total, part`` code pairs of the area relations (see ``relations``); the time
        relations come from the periods themselves.
    rounding : published counts are rounded (halves up) to a multiple of this.
    extra_secret : per row, cells to keep secret besides the rules (an audit's repairs).
    released : what earlier releases showed of these cells (``RELEASE_COLUMNS``): a cell with
        the same count keeps its status, so that no two releases together give more away than
        the last one (a new relation, such as an intervention's group series, is protected
        around them). With a column ``van`` (the release a count first went out in) and
        ``versions`` (superseded counts, ``indicators.versions.VERSION_COLUMNS``), every earlier
        release is protected together with this one: a corrected count's old versions and the
        totals over them stay in the system (``indicators.versions``).
    defined : per row, a recorded cell whose relation to the rest is public whatever lies
        below it (an area of an earlier indeling as a sum of current buurten): with the same
        count it is the same variable (``indicators.versions.old_versions``).
    rule_only : only the relation rule runs (``protect``): the caller attacks a larger system
        that holds this table's, and asks again with the repairs as ``extra_secret``.

    Returns
    -------
    A copy of ``table`` (same index) with ``status`` ("." missing, "x" secret, "" shown) and
    ``teller_publ`` (the rounded count where shown, NaN elsewhere); with ``released``, also
    ``KEPT``: the row's count is its recorded version (``indicators.versions``), for the record.
    """
    if rounding < 1:
        raise InputError(f"Afronden kan alleen op een positief veelvoud, niet op {rounding}.")
    ready = prepare(table, memberships, released=released, versions=versions, defined=defined)
    return ready.disclose(
        rounding=rounding, threshold=threshold, extra_secret=extra_secret, rule_only=rule_only
    )


@dataclass(frozen=True)
class Prepared:
    """A table as ``disclose`` protects it, whatever is made secret besides: its keys, counts and
    relations with the earlier versions of its corrected counts (``indicators.versions``), and
    what earlier releases fix. Built once (``prepare``) for a caller that protects the same
    table again with more cells secret (``data.publication.build``: a teller and its noemer,
    repaired together in passes)."""

    table: pd.DataFrame
    keys: pd.DataFrame  # the cells, then the earlier versions
    teller: Floats  # likewise
    rel: Relations
    rank: Ints
    blocks: Ints | None
    before: Bools  # secret in an earlier release, the same count (cells, then versions)
    fixed: Bools  # shown in an earlier release, the same count: stays shown
    kept: Bools | None  # per cell: its count is the recorded version (with ``released`` only)

    def disclose(
        self,
        *,
        rounding: int = ROUNDING,
        threshold: float = THRESHOLD,
        extra_secret: Bools | None = None,
        rule_only: bool = False,
    ) -> pd.DataFrame:
        """``disclose`` of this table, with ``extra_secret`` (per cell) secret besides."""
        n = len(self.table)
        extra = self.before.copy()
        if extra_secret is not None:
            extra[:n] |= np.asarray(extra_secret, bool)
        secret = protect(
            self.teller,
            self.rel,
            self.rank,
            secret=extra,
            threshold=threshold,
            rounding=rounding,
            blocks=self.blocks,
            fixed=self.fixed,
            rule_only=rule_only,
        )[:n]
        teller = self.teller[:n]
        missing = np.isnan(teller)
        out = self.table.copy()
        status = np.where(missing, MISSING, np.where(secret, SECRET, SHOWN))
        out["status"] = pd.Series(status, index=self.table.index, dtype=object).astype(str)
        rounded = round_to(pd.Series(teller, index=self.table.index), rounding)
        out["teller_publ"] = rounded.where(status == SHOWN, np.nan)
        if self.kept is not None:  # for the release record: the same version as recorded
            out[KEPT] = self.kept
        return out


def prepare(
    table: pd.DataFrame,
    memberships: pd.DataFrame | None = None,
    *,
    released: pd.DataFrame | None = None,
    versions: pd.DataFrame | None = None,
    defined: Bools | None = None,
) -> Prepared:
    """The part of ``disclose`` that does not depend on what is made secret besides (the same
    parameters); ``Prepared.disclose`` does the rest."""
    keys = validated_keys(table)
    teller = table["teller"].to_numpy(dtype=float, na_value=np.nan)
    if np.isinf(teller).any() or (teller < 0).any():
        raise InputError("De teller bevat negatieve of oneindige waarden; controleer de invoer.")
    missing = np.isnan(teller)
    members = memberships if memberships is not None else pd.DataFrame(columns=["total", "part"])
    rel = relations(keys, members, missing)
    n = len(teller)
    before = np.zeros(n, dtype=bool)
    fixed = np.zeros(n, dtype=bool)
    blocks = gemeente_blocks(table)
    kept = None
    if released is not None and len(released):
        old = old_versions(keys, teller, rel, released, versions, defined)
        kept = old.kept
        before, fixed = release_state(keys, teller, released)
        # A total that adds up to its recorded count over changed counts is another sum: free.
        before, fixed = before & old.kept, fixed & old.kept
        if len(old):  # every earlier version is solved with this release, and never changes
            rel = old.rel
            keys = pd.concat([keys, keys.iloc[old.row]], ignore_index=True)
            teller = np.concatenate([teller, old.teller])
            before = np.concatenate([before, old.status == SECRET])
            fixed = np.concatenate([fixed, old.status == SHOWN])
            blocks = None if blocks is None else np.concatenate([blocks, blocks[old.row]])
    return Prepared(table, keys, teller, rel, preference(teller, keys), blocks, before, fixed, kept)
