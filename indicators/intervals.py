"""What an outsider knows of each count, and the standard its interval must meet.

``bounds`` turns a publication into the outsider's starting knowledge: a published count ``R``
was rounded (halves up) to a multiple of the rounding base, so the true count lies in
``[R - b/2, R + b/2)``; a published 0 is exactly 0 and a published ``R >= 5`` is at least 5 (1 to
4 would have been secret); a secret count is some count >= 0.

``protected`` says whether an interval the attacker reaches (``indicators.audit``) meets the
standard.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

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
