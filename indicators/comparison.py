"""Choosing the buurten an intervention is compared with, and the ring kept out of that choice.

Two groups matter around treated buurten (docs/principes.md):

- the ring: buurten touching the treated ones (``ring_buurten``). Problems can move there (the
  waterbed effect), so the ring is shown as its own group and never used for comparison;
- the comparison buurten (``choose_controls``): buurten that looked like the treated ones before
  the start, on the indicator's level and trend and, where given, on key figures such as
  woningen and inwoners.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.crs import RD, check_frame
from geo.errors import InputError

DEFAULT_CONTROLS = 40
MIN_NOEMER = 50.0
MAX_MISSING_SHARE = 0.5
# Relative weight of each feature in the distance (after standardising).
FEATURE_WEIGHTS: Mapping[str, float] = {"niveau": 2.0, "trend": 1.0, "omvang": 1.0}


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


def _unit_features(panel: pd.DataFrame, pre_periods: Sequence[str]) -> pd.DataFrame:
    """Per code: pre-period level (rate), trend (slope of the monthly rate per month),
    mean noemer and share of pre months missing."""
    pre = list(pre_periods)
    rows = panel[panel["periode"].isin(pre)]
    ok = rows[rows["teller"].notna() & (rows["noemer"] > 0)]
    ok = ok.assign(
        r=ok["teller"] / ok["noemer"], t=ok["periode"].map({p: i for i, p in enumerate(pre)})
    )
    grouped = ok.groupby("code")
    features = pd.DataFrame(
        {
            "niveau": grouped["teller"].sum() / grouped["noemer"].sum(),
            "noemer": grouped["noemer"].mean(),
            "maanden": grouped.size(),
        }
    )
    centred = ok.assign(
        dt=ok["t"] - grouped["t"].transform("mean"), dr=ok["r"] - grouped["r"].transform("mean")
    )
    sxy = (centred["dt"] * centred["dr"]).groupby(centred["code"]).sum()
    sxx = (centred["dt"] ** 2).groupby(centred["code"]).sum()
    features["trend"] = (sxy / sxx.where(sxx > 0)).fillna(0.0)
    features["ontbreekt"] = 1.0 - features["maanden"] / max(len(pre), 1)
    return features


def _group_target(
    features: pd.DataFrame, panel: pd.DataFrame, treated: Sequence[str], pre_periods: Sequence[str]
) -> pd.Series:
    """The treated buurten as one area: summed level and trend, mean size per buurt."""
    rows = panel[panel["code"].isin(list(treated))]
    rows = rows[rows["teller"].notna() & (rows["noemer"] > 0)]
    summed = rows.groupby("periode", as_index=False)[["teller", "noemer"]].sum()
    summed = summed.assign(code="__behandeld__")
    target = _unit_features(summed, pre_periods).iloc[0].copy()
    own = features.reindex(list(treated))
    target["noemer"] = float(own["noemer"].mean())
    return target


def choose_controls(
    panel: pd.DataFrame,
    treated: Sequence[str],
    excluded: Sequence[str],
    *,
    pre_periods: Sequence[str],
    n: int = DEFAULT_CONTROLS,
    key_figures: pd.DataFrame | None = None,
    min_noemer: float | None = None,
    max_missing: float = MAX_MISSING_SHARE,
) -> list[str]:
    """The ``n`` buurten most like the treated buurten before the start; sorted by code.

    Parameters
    ----------
    panel : monthly ``code, periode, teller, noemer`` (NaN teller = not delivered).
    treated, excluded : buurtcodes never chosen (treated, the ring, other interventions).
    pre_periods : the months before the start (``YYYY-MM``) on which to compare.
    key_figures : optional ``code`` plus numeric columns (e.g. ``woningen``, ``inwoners``)
        to match on as well; without it the mean noemer stands for the size.

    Notes
    -----
    Candidates are every other buurt in ``panel`` whose mean pre-period noemer is at least
    ``min_noemer`` (smaller ones give rates too noisy to compare, and would be suppressed on
    screen anyway) and which miss at most ``max_missing`` of the pre months. The default
    (None) applies ``MIN_NOEMER`` only where the noemer is a count: a panel of rates without
    counts (every noemer 1) has no size to filter on, and would otherwise lose every buurt. Each is described
    by its pre-period rate level, the slope of its monthly rate, and its size (log of each key
    figure, or of the mean noemer); the treated buurten as one area give the target (size as
    their mean per buurt). Features are standardised by their spread among the candidates and
    combined in a weighted Euclidean distance (``FEATURE_WEIGHTS``: level twice, trend once,
    the size figures together once); the ``n`` nearest are chosen, ties by code, so the choice
    is deterministic. Matching on noisy pre-period levels can itself cause regression to the
    mean in the comparison group; with two or more years of monthly data the level of a buurt
    of at least 50 is measured well enough for that to be small.
    """
    features = _unit_features(panel, pre_periods)
    if not set(treated) & set(features.index):
        raise InputError("De behandelde buurten hebben geen gegevens in de voorperiode.")
    target = _group_target(features, panel, treated, pre_periods)
    pool = features.drop(index=[c for c in [*treated, *excluded] if c in features.index])
    if min_noemer is None:
        rates_only = bool((panel["noemer"].dropna() <= 1).all())
        min_noemer = 0.0 if rates_only else MIN_NOEMER
    pool = pool[(pool["noemer"] >= min_noemer) & (pool["ontbreekt"] <= max_missing)]
    if pool.empty:
        return []
    columns, weights = _size_columns(pool, target, treated, key_figures)
    spread = columns.std(ddof=0).replace(0.0, 1.0).fillna(1.0)
    diff = (columns.drop(index="__doel__") - columns.loc["__doel__"]) / spread
    distance = np.sqrt((diff**2 * pd.Series(weights)).sum(axis=1))
    order = pd.DataFrame({"d": distance, "code": distance.index}).sort_values(["d", "code"])
    return sorted(order["code"].head(n).astype(str))


def _size_columns(
    pool: pd.DataFrame,
    target: pd.Series,
    treated: Sequence[str],
    key_figures: pd.DataFrame | None,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Feature table (the pool plus the target as row ``__doel__``) and each column's weight.

    Size: log(1 + key figure) per column of ``key_figures`` (the target: the mean of the
    treated buurten), or log(1 + mean noemer) without key figures.
    """
    if key_figures is not None and len(key_figures.columns) > 1:
        figures = key_figures.set_index("code").apply(pd.to_numeric, errors="coerce")
        figures = np.log1p(figures.astype(float).clip(lower=0))
        sizes = figures.reindex(pool.index)
        target_sizes = figures.reindex(list(treated)).mean()
    else:
        sizes = np.log1p(pool[["noemer"]])
        target_sizes = pd.Series({"noemer": float(np.log1p(target["noemer"]))})
    sizes = pd.concat([sizes, target_sizes.to_frame("__doel__").T])
    sizes = sizes.fillna(sizes.median())
    features = pd.concat(
        [pool[["niveau", "trend"]], target[["niveau", "trend"]].to_frame("__doel__").T]
    )
    weights = {"niveau": FEATURE_WEIGHTS["niveau"], "trend": FEATURE_WEIGHTS["trend"]}
    for column in sizes.columns:
        weights[str(column)] = FEATURE_WEIGHTS["omvang"] / len(sizes.columns)
    return pd.concat([features, sizes], axis=1).astype(float), weights
