"""What an outsider knows of each count, and what interval propagation alone makes of it.

``bounds`` turns a publication into the outsider's starting knowledge: a published count ``R``
was rounded (halves up) to a multiple of the rounding base, so the true count lies in
``[R - b/2, R + b/2)``; a published 0 is exactly 0 and a published ``R >= 5`` is at least 5 (1 to
4 would have been secret); a secret count is some count >= 0.

``propagate`` tightens those bounds one relation at a time until nothing moves (feasibility-based
bound tightening): a total lies between the sums of its parts' bounds, and a part between the
total's bounds minus the other parts'. It is fast (a few numpy passes over all relations) and
sound: every count stays inside its propagated interval, so an interval that comes out too narrow
is surely broken. It can miss what only several relations together give away; the linear
programmes of ``indicators.audit`` find that.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from indicators.relations import Relations

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

THRESHOLD = 5  # counts 0 < t < THRESHOLD are secret
ROUNDING = 5  # published counts are multiples of this
MIN_WIDTH = 3  # the narrowest interval an outsider may reach for a secret count of 1-4


def protected(lo: Floats, hi: Floats, *, threshold: float = THRESHOLD) -> Bools:
    """True where an interval meets the standard: not inside [1, threshold - 1], and at least
    ``MIN_WIDTH`` wide."""
    inside = (lo >= 1) & (hi <= threshold - 1)
    result: Bools = ~inside & ((hi - lo) >= MIN_WIDTH)
    return result


def bounds(
    teller_publ: Floats, shown: Bools, *, rounding: int = ROUNDING, threshold: float = THRESHOLD
) -> tuple[Floats, Floats]:
    """(lower, upper) of every count as an outsider knows it; secret or missing: (0, inf).

    ``teller_publ`` is the published (rounded) count where ``shown``; elsewhere ignored. Counts
    are integers, so the bounds are too.
    """
    r = np.nan_to_num(teller_publ)
    low = np.ceil(r - rounding / 2.0)
    high = np.ceil(r + rounding / 2.0) - 1.0
    low = np.where(r > 0, np.maximum(low, threshold), 0.0)
    high = np.where(r > 0, high, 0.0)
    lower = np.where(shown, low, 0.0)
    upper = np.where(shown, np.maximum(high, lower), np.inf)
    return lower, upper


def _sums(values: Floats, rel: Relations) -> tuple[Floats, Floats]:
    """Per relation: the finite sum of ``values`` over its parts, and how many are infinite."""
    v = values[rel.part_row]
    infinite = np.isinf(v)
    finite = np.bincount(rel.part_group, weights=np.where(infinite, 0.0, v), minlength=rel.n_groups)
    count = np.bincount(rel.part_group, weights=infinite.astype(float), minlength=rel.n_groups)
    return finite.astype(np.float64), count.astype(np.float64)


def propagate(
    lower: Floats, upper: Floats, rel: Relations, *, max_rounds: int = 200
) -> tuple[Floats, Floats]:
    """Tighten (lower, upper) over every relation until nothing moves; returns new arrays.

    Rows outside every relation keep their bounds. Integer counts: bounds are rounded inward.
    """
    lo, hi = lower.astype(float).copy(), upper.astype(float).copy()
    if rel.n_groups == 0:
        return lo, hi
    g, p, t = rel.part_group, rel.part_row, rel.total_row
    for _ in range(max_rounds):
        lo_sum, _ = _sums(lo, rel)
        hi_sum, hi_inf = _sums(hi, rel)
        total_hi = np.where(hi_inf > 0, np.inf, hi_sum)
        new_lo, new_hi = lo.copy(), hi.copy()
        np.maximum.at(new_lo, t, lo_sum)
        np.minimum.at(new_hi, t, total_hi)
        # A part: at least the total's lower bound minus the other parts' upper bounds, at most
        # the total's upper bound minus the other parts' lower bounds.
        part_hi_inf = np.isinf(hi[p])
        others_hi_inf = (hi_inf[g] - part_hi_inf) > 0
        others_hi = np.where(others_hi_inf, np.inf, hi_sum[g] - np.where(part_hi_inf, 0.0, hi[p]))
        from_total_lo = np.where(others_hi_inf, -np.inf, lo[t][g] - others_hi)
        others_lo = lo_sum[g] - lo[p]
        from_total_hi = hi[t][g] - others_lo
        np.maximum.at(new_lo, p, np.ceil(from_total_lo - 1e-9))
        np.minimum.at(new_hi, p, np.floor(from_total_hi + 1e-9))
        if np.array_equal(new_lo, lo) and np.array_equal(new_hi, hi):
            break
        lo, hi = new_lo, new_hi
    return lo, hi
