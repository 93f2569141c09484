"""The teller and the noemer of a '%' indicator, attacked together.

Where the noemer is a delivered count (``eigenaar_concentratie``), teller and noemer are each
protected as a table of their own. An outsider also knows that no teller exceeds its noemer,
so the two tables are one system to him: a teller that must be at least 2 lifts the least its
noemer can be. That inequality is written as an additive relation with a hidden slack cell,
``noemer = teller + rest`` (``rest >= 0``, never published, never attacked), so the attack and
the repair of ``indicators.audit`` and ``indicators.disclosure`` handle it as any other.

The two tables are stacked: rows ``[0, n)`` the tellers, ``[n, 2n)`` the noemers (the same
cells, in the same order), then one rest row per cell where both were delivered.

Pure: arrays in, arrays out; no database.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from indicators._lp import Bools, Floats, Ints
from indicators.audit import attack, blocking, check
from indicators.intervals import ROUNDING, THRESHOLD, bounds, protected
from indicators.relations import CROSS, Relations, relations

NOEMER = ":noemer"  # the noemer's table is published as indicator + NOEMER
REST = ":rest"


@dataclass(frozen=True)
class Joint:
    """Teller and noemer stacked into one table with ``noemer = teller + rest`` per cell."""

    raw: Floats  # true counts, stacked (NaN: not delivered)
    rel: Relations
    n: int  # cells per table
    rest_of: Ints  # per rest row, the cell it belongs to

    @property
    def attackable(self) -> Bools:
        """Rows that are cells of the publication (the rest rows are not)."""
        out: Bools = np.arange(len(self.raw)) < 2 * self.n
        return out


def joint(keys: pd.DataFrame, teller: Floats, noemer: Floats, memberships: pd.DataFrame) -> Joint:
    """Stack the two tables of one indicator (``keys``: ``code, periode, indicator`` per cell).

    The rest is written only where both counts were delivered and the teller does not exceed
    the noemer: elsewhere the outsider's rule does not hold for the true counts, and a system
    that the true counts do not satisfy would prove nothing.
    """
    n = len(keys)
    name = keys["indicator"].astype(str)
    stacked_keys = pd.concat(
        [
            keys[["code", "periode"]].assign(indicator=name),
            keys[["code", "periode"]].assign(indicator=name + NOEMER),
        ],
        ignore_index=True,
    )
    both = np.concatenate([teller, noemer]).astype(float)
    base = relations(stacked_keys, memberships, np.isnan(both))
    holds = ~np.isnan(teller) & ~np.isnan(noemer) & (teller <= noemer)
    cell = np.flatnonzero(holds).astype(np.int64)
    m = len(cell)
    rest_rows = 2 * n + np.arange(m, dtype=np.int64)
    groups = base.n_groups + np.arange(m, dtype=np.int64)
    rel = Relations(
        part_group=np.concatenate([base.part_group, groups, groups]),
        part_row=np.concatenate([base.part_row, cell, rest_rows]),
        total_row=np.concatenate([base.total_row, n + cell]),
        kind=np.concatenate([base.kind, np.full(m, CROSS, dtype=np.int64)]),
    )
    raw = np.concatenate([both, noemer[cell] - teller[cell]])
    return Joint(raw, rel, n, cell)


def _published(joint_: Joint, teller_publ: Floats, noemer_publ: Floats) -> Floats:
    out: Floats = np.concatenate([teller_publ, noemer_publ, np.full(len(joint_.rest_of), np.nan)])
    return out


def _blocks(joint_: Joint, blocks: Ints | None) -> Ints | None:
    if blocks is None:
        return None
    out: Ints = np.concatenate([blocks, blocks, blocks[joint_.rest_of]])
    return out


def check_joint(
    joint_: Joint, teller_publ: Floats, noemer_publ: Floats, *, blocks: Ints | None = None
) -> pd.DataFrame:
    """``indicators.audit.check`` over both tables at once (rows as stacked: a row below ``n``
    is a teller, from ``n`` to ``2n`` a noemer)."""
    return check(
        joint_.raw,
        _published(joint_, teller_publ, noemer_publ),
        joint_.rel,
        blocks=_blocks(joint_, blocks),
        attackable=joint_.attackable,
    )


def repairs(
    joint_: Joint,
    teller_publ: Floats,
    noemer_publ: Floats,
    rank: Ints,
    *,
    movable: Bools | None = None,
    blocks: Ints | None = None,
    rounding: int = ROUNDING,
    threshold: float = THRESHOLD,
) -> tuple[Bools, Bools]:
    """Published counts to make secret so that no cell is pinned by the two tables together:
    (tellers, noemers), per cell. Empty when the separate protections already hold jointly.

    As in ``indicators.disclosure.protect``: the linear relaxation attacks every primary cell
    of either table; for each pinned one the published count that binds it with the lowest
    ``rank`` (stacked, as the rows) goes; ``movable`` (stacked): False for a count an earlier
    release showed, which stays shown. The caller protects both tables again with those
    secret and asks again until nothing is pinned.
    """
    n = joint_.n
    published = _published(joint_, teller_publ, noemer_publ)
    shown = ~np.isnan(published)
    value = np.nan_to_num(joint_.raw)
    variable = ~np.isnan(joint_.raw)
    lower, upper = bounds(published, shown, rounding=rounding, threshold=threshold)
    primary = variable & ~shown & (value > 0) & (value < threshold) & joint_.attackable
    targets = np.flatnonzero(primary).astype(np.int64)
    none = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    if not len(targets) or not len(joint_.rest_of):
        return none
    stacked_blocks = _blocks(joint_, blocks)
    found = attack(
        joint_.rel,
        lower,
        upper,
        variable,
        targets,
        known=value,
        threshold=threshold,
        integer=False,
        blocks=stacked_blocks,
    )
    broken = targets[~protected(found.lo, found.hi, threshold=threshold)]
    if not len(broken):
        return none
    candidates = shown & joint_.attackable
    if movable is not None:
        candidates[: 2 * n] &= movable
    binding = blocking(
        joint_.rel,
        lower,
        upper,
        variable,
        broken,
        candidates,
        known=value,
        blocks=stacked_blocks,
        system=found.system,
    )
    extra = np.zeros(2 * n, dtype=bool)
    full_rank = np.concatenate([rank, np.full(len(joint_.rest_of), np.iinfo(np.int64).max)])
    for rows in binding.values():
        # a published 0 goes only where no other published count binds
        counts = rows[value[rows] > 0]
        chosen = counts if len(counts) else rows
        if len(chosen):
            extra[chosen[np.argmin(full_rank[chosen])]] = True
    if not extra.any():  # pragma: no cover - a pinned cell always has a binding bound
        raise RuntimeError("Geheimhouding: teller en noemer samen herleidbaar; dit is een fout.")
    return extra[:n], extra[n:]


def stacked_rank(rank_teller: Ints, rank_noemer: Ints) -> Ints:
    """One ranking over both tables: the teller's candidates before the noemer's (a hidden
    teller hides the rate; a hidden noemer hides it as well, and the share with it)."""
    out: npt.NDArray[np.int64] = np.concatenate(
        [rank_teller, rank_noemer + len(rank_teller)]
    ).astype(np.int64)
    return out
