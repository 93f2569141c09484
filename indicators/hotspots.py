"""Hotspots: Getis-Ord Gi* and local Moran's I per indicator and period, FDR-corrected.

Computed only on published values (a secret or missing buurt takes no part), with buurten
without neighbours reported as such. ``arbeidsmigranten`` never gets a hotspot layer: it is a
housing-pressure indicator, not a signal to select areas (docs/principes.md).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from geo.errors import InputError
from indicators import catalogue

NO_HOTSPOT_LAYER = (catalogue.ARBEIDSMIGRANTEN,)
COLUMNS = ["code", "gi_z", "gi_p", "gi_klasse", "lisa_p", "lisa_klasse"]
_LISA = {1: "hoog-hoog", 2: "laag-hoog", 3: "laag-laag", 4: "hoog-laag"}


def hotspots(
    values: pd.Series,
    neighbours: dict[str, list[str]],
    *,
    indicator: str,
    alpha: float = 0.05,
    permutations: int = 999,
    seed: int = 12345,
) -> pd.DataFrame:
    """Classify areas as hotspot/coldspot (Gi*) and local Moran clusters, FDR-corrected.

    Parameters
    ----------
    values : published rates indexed by area code; NaN (secret or missing) takes no part.
    neighbours : code -> neighbouring codes (``geo.neighbours.neighbour_lists``).
    indicator : the catalogue code (``arbeidsmigranten`` is refused).

    Returns
    -------
    DataFrame with ``COLUMNS`` for every code in ``values``: ``gi_klasse`` is "hotspot",
    "coldspot", "niet significant", "geen buren" or "niet gepubliceerd"; ``lisa_klasse`` is
    one of "hoog-hoog", "laag-laag", "hoog-laag", "laag-hoog", "niet significant", or the same
    two reasons. Significance uses the false discovery rate over all tested areas.
    """
    catalogue.get(indicator)  # an unknown code raises
    if indicator in NO_HOTSPOT_LAYER:
        raise InputError(
            f"Voor {indicator} bestaat geen hotspotlaag: het is een maat voor woondruk, "
            "geen signaal om gebieden te selecteren."
        )
    out = pd.DataFrame({"code": values.index.astype(str)})
    out["gi_z"] = np.nan
    out["gi_p"] = np.nan
    out["lisa_p"] = np.nan
    out["gi_klasse"] = "niet gepubliceerd"
    out["lisa_klasse"] = "niet gepubliceerd"
    shown = values.dropna()
    codes = [c for c in shown.index if any(n in shown.index for n in neighbours.get(c, []))]
    islands = [c for c in shown.index if c not in codes]
    out.loc[out["code"].isin(islands), ["gi_klasse", "lisa_klasse"]] = "geen buren"
    if len(codes) < 5 or shown.loc[codes].nunique() < 2:
        out.loc[out["code"].isin(codes), ["gi_klasse", "lisa_klasse"]] = "niet significant"
        return out[COLUMNS]
    y = shown.loc[codes].to_numpy(dtype=float)
    gi, lisa = _local_statistics(y, codes, neighbours, permutations, seed)
    index = pd.Index(out["code"]).get_indexer(pd.Index(codes))
    out.loc[index, "gi_z"] = gi.Zs
    out.loc[index, "gi_p"] = gi.p_sim
    out.loc[index, "lisa_p"] = lisa.p_sim
    gi_sig = _fdr_significant(gi.p_sim, alpha)
    lisa_sig = _fdr_significant(lisa.p_sim, alpha)
    gi_class = np.where(gi_sig, np.where(gi.Zs > 0, "hotspot", "coldspot"), "niet significant")
    lisa_class = np.where(
        lisa_sig, [_LISA.get(int(q), "niet significant") for q in lisa.q], "niet significant"
    )
    out.loc[index, "gi_klasse"] = gi_class
    out.loc[index, "lisa_klasse"] = lisa_class
    return out[COLUMNS]


def _local_statistics(
    y: np.ndarray, codes: list[str], neighbours: dict[str, list[str]], permutations: int, seed: int
) -> tuple[Any, Any]:
    import libpysal
    from esda.getisord import G_Local
    from esda.moran import Moran_Local

    inside = set(codes)
    lists = {c: [n for n in neighbours.get(c, []) if n in inside] for c in codes}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weights = libpysal.weights.W(lists, id_order=codes, silence_warnings=True)
        weights.transform = "r"
        gi = G_Local(y, weights, star=True, permutations=permutations, seed=seed, n_jobs=1)
        lisa = Moran_Local(y, weights, permutations=permutations, seed=seed, n_jobs=1)
    return gi, lisa


def _fdr_significant(p_values: np.ndarray, alpha: float) -> np.ndarray:
    """Benjamini-Hochberg: which p-values stay significant at false discovery rate ``alpha``."""
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p)
    ranked = p[order]
    thresholds = alpha * np.arange(1, len(p) + 1) / len(p)
    passing = np.nonzero(ranked <= thresholds)[0]
    significant = np.zeros(len(p), dtype=bool)
    if len(passing):
        significant[order[: passing[-1] + 1]] = True
    return significant
