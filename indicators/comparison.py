"""Choosing the buurten an intervention is compared with, and the ring kept out of that choice.

Two groups matter around treated buurten (docs/principes.md):

- the ring: buurten touching the treated ones (``ring_buurten``). Problems can move there (the
  waterbed effect), so the ring is shown as its own group and never used for comparison;
- the comparison buurten (``choose_controls``): buurten most like the treated ones on public key
  figures (woningen, inwoners), never on the counts (the choice is shown).
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.crs import RD, check_frame
from geo.errors import InputError

DEFAULT_CONTROLS = 40
MIN_NOEMER = 50.0
MATCH_ON = ("woningen", "inwoners")


def ring_buurten(
    buurten: gpd.GeoDataFrame, treated: Sequence[str], *, distance_m: float = 1.0
) -> list[str]:
    """Buurten touching the treated buurten or within ``distance_m`` of them, treated excluded.

    Parameters
    ----------
    buurten : GeoDataFrame in EPSG:28992 with ``code`` and ``geometry`` (one indeling).
    treated : buurtcodes of the treated buurten; each must be in ``buurten``.
    distance_m : metres; 1 m absorbs slivers between generalised CBS polygons.

    Returns
    -------
    Sorted buurtcodes. A buurt with an empty or missing geometry is never ring.
    """
    check_frame(buurten, crs=RD, columns=("code", "geometry"))
    unknown = sorted(set(treated) - set(buurten["code"]))
    if unknown:
        raise InputError(f"Behandelde buurten niet gevonden in de indeling: {', '.join(unknown)}.")
    usable = buurten[~(buurten.geometry.isna() | buurten.geometry.is_empty)]
    core = usable[usable["code"].isin(list(treated))].geometry.union_all()
    if core is None or core.is_empty:
        return []
    near = usable.geometry.dwithin(core, distance_m)
    return sorted(usable.loc[near & ~usable["code"].isin(list(treated)), "code"].astype(str))


def choose_controls(
    key_figures: pd.DataFrame,
    treated: Sequence[str],
    excluded: Sequence[str],
    *,
    n: int = DEFAULT_CONTROLS,
    match_on: Sequence[str] = MATCH_ON,
    min_size: tuple[str, float] | None = None,
) -> list[str]:
    """The ``n`` buurten most like the treated buurten on public key figures; sorted by code.

    Parameters
    ----------
    key_figures : ``code`` plus numeric key figures of every candidate buurt and of the
        treated ones (CBS: woningen, inwoners, ...).
    treated, excluded : buurtcodes never chosen (treated, the ring, other interventions).
    match_on : the key figures compared (log of each, standardised by its spread among the
        candidates; the treated buurten as their mean per buurt).
    min_size : (key figure, minimum): candidates below it are left out (a buurt under 50
        woningen gives rates too noisy to compare, and is suppressed on screen anyway).

    Notes
    -----
    The choice reads no count: which buurten are compared is then a function of public
    figures alone and gives nothing away about the secret cells of the publication (until
    2026-12-04 it matched on the indicator's level and trend before the start, read from the
    raw counts, so that being chosen said something about them). The pre-period fit of the
    chosen buurten shows in the event study and the pre-trend test. Ties go by code, so the
    choice is deterministic.
    """
    figures = key_figures.set_index("code")
    missing = sorted(set(treated) - set(figures.index.astype(str)))
    if len(missing) == len(set(treated)):
        raise InputError(f"Geen kerncijfers voor de behandelde buurten: {', '.join(missing)}.")
    pool = figures.drop(index=[c for c in {*treated, *excluded} if c in figures.index])
    if min_size is not None:
        column, least = min_size
        pool = pool[pd.to_numeric(pool[column], errors="coerce") >= least]
    if pool.empty:
        return []
    logs = np.log1p(figures[list(match_on)].apply(pd.to_numeric, errors="coerce").clip(lower=0))
    logs = logs.fillna(logs.median())
    target = logs.reindex([c for c in treated if c in logs.index]).mean()
    candidates = logs.loc[pool.index]
    spread = candidates.std(ddof=0).replace(0.0, 1.0).fillna(1.0)
    distance = np.sqrt((((candidates - target) / spread) ** 2).sum(axis=1))
    order = pd.DataFrame({"d": distance.to_numpy(), "code": candidates.index.astype(str)})
    return sorted(order.sort_values(["d", "code"])["code"].head(n))
