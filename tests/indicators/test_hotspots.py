"""Hotspots on hand-made grids with a planted cluster, and the arbeidsmigranten refusal."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo.crs import RD
from geo.errors import InputError
from geo.neighbours import neighbour_lists
from indicators.hotspots import _fdr_significant, hotspots


def grid(n: int = 8) -> gpd.GeoDataFrame:
    cells = [(i, j) for i in range(n) for j in range(n)]
    return gpd.GeoDataFrame(
        {"code": [f"BU0001{i:02d}{j:02d}" for i, j in cells]},
        geometry=[box(i * 100, j * 100, (i + 1) * 100, (j + 1) * 100) for i, j in cells],
        crs=RD,
    )


def test_planted_cluster_is_a_hotspot_and_noise_is_not() -> None:
    cells = grid()
    rng = np.random.default_rng(3)
    values = pd.Series(rng.normal(10, 1, len(cells)), index=cells["code"])
    hot = [f"BU0001{i:02d}{j:02d}" for i in range(2) for j in range(2)]
    values[hot] += 8
    result = hotspots(values, neighbour_lists(cells), indicator="illegale_bewoning").set_index(
        "code"
    )
    assert (result.loc[hot, "gi_klasse"] == "hotspot").all()
    assert (result.loc[hot, "lisa_klasse"] == "hoog-hoog").sum() >= 2
    far = [f"BU0001{i:02d}{j:02d}" for i in range(5, 8) for j in range(5, 8)]
    assert (result.loc[far, "gi_klasse"] != "hotspot").all()


def test_pure_noise_finds_almost_nothing_after_fdr() -> None:
    cells = grid()
    found = 0
    for seed in range(5):
        values = pd.Series(
            np.random.default_rng(seed).normal(10, 1, len(cells)), index=cells["code"]
        )
        result = hotspots(values, neighbour_lists(cells), indicator="controles", seed=seed)
        found += int((result["gi_klasse"] == "hotspot").sum())
    assert found <= 3


def test_secret_and_isolated_areas_take_no_part() -> None:
    cells = grid(4)
    values = pd.Series(np.arange(16, dtype=float), index=cells["code"])
    values.iloc[0] = np.nan
    lists = neighbour_lists(cells)
    lists[cells["code"].iloc[5]] = []
    for code in lists:
        lists[code] = [c for c in lists[code] if c != cells["code"].iloc[5]]
    result = hotspots(values, lists, indicator="woningsplitsing").set_index("code")
    assert result.loc[cells["code"].iloc[0], "gi_klasse"] == "niet gepubliceerd"
    assert result.loc[cells["code"].iloc[5], "gi_klasse"] == "geen buren"
    assert len(result) == 16


def test_arbeidsmigranten_has_no_hotspot_layer() -> None:
    cells = grid(3)
    with pytest.raises(InputError, match="geen hotspotlaag"):
        hotspots(
            pd.Series(1.0, index=cells["code"]),
            neighbour_lists(cells),
            indicator="arbeidsmigranten",
        )


def test_benjamini_hochberg() -> None:
    p = np.array([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216])
    assert _fdr_significant(p, 0.05).tolist() == [True, True] + [False] * 8


def test_neighbours_on_a_shared_edge_and_corner() -> None:
    cells = grid(3)
    lists = neighbour_lists(cells)
    centre = "BU00010101"
    assert len(lists[centre]) == 8  # queen: edges and corners
    assert len(lists["BU00010000"]) == 3
