"""Synthetic national input for bench/national.py, made once and cached.

- ``areas.parquet``: the shipped 2014 buurten (normalised, hierarchy completed: buurt, wijk,
  gemeente) with synthetic key figures that follow the synthetic addresses.
- ``points.npy`` (N x 2 float64, RD metres) and ``points_buurt.npy`` (int32: the row in the sorted
  buurt codes of the buurt each point was drawn in): 9.9 million address points, drawn uniformly
  inside their buurt (constrained Delaunay triangles, area-weighted), each confirmed inside its
  own buurt with ``shapely.contains_xy``. Buurten get points by area^0.3 times a lognormal weight.
- ``signals.parquet`` and ``deliveries.parquet``: 5 years (2020-01..2024-12) of monthly buurt
  signals for every delivered indicator of the catalogue, made by the demo's own generator
  (``data.demo.generate.make_signals``) for all buurten at once, and the delivery records per
  gemeente.
- ``findings.parquet``: address-level findings (bag_id, x, y, datum, signaal, bron) for the SQL
  pipeline: about one per 25 addresses over the 5 years.

Nothing here is timed: generation is input preparation. Deterministic (``SEED``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

SEED = 2014
FIRST_MONTH = "2020-01"
VERSION = 4  # bump when the generated data changes shape


def raw_buurt_file() -> Path:
    from data.settings import FILES

    return FILES / "cbs_buurt_2014_nl_wgs84_q1e3.topojson"


def _normalised_buurten() -> gpd.GeoDataFrame:
    from data.sources.files import area_layers
    from geo.areas import normalise_areas

    (raw,) = area_layers(raw_buurt_file())
    return normalise_areas(raw, jaar=2014)


def _draw_points(
    geoms: np.ndarray, counts: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``counts[i]`` uniform points inside ``geoms[i]``; returns (xy, owner)."""
    shapely.prepare(geoms)
    xy_parts, owner_parts = [], []
    need = counts.astype(np.int64).copy()
    biggest = int(np.argmax(shapely.area(geoms)))
    for round_ in range(20):
        if round_ == 5:  # slivers where sampling keeps missing: their share goes elsewhere
            stuck = need > 0
            stuck[biggest] = False
            need[biggest] += need[stuck].sum()
            need[stuck] = 0
        todo = np.flatnonzero(need > 0)
        if todo.size == 0:
            break
        tri = shapely.constrained_delaunay_triangles(geoms[todo])
        parts, local = shapely.get_parts(tri, return_index=True)
        owner = todo[local]
        corners = shapely.get_coordinates(shapely.get_exterior_ring(parts)).reshape(-1, 4, 2)[:, :3]
        area = shapely.area(parts)
        cum = np.cumsum(area)
        first = np.searchsorted(owner, todo)
        last = np.searchsorted(owner, todo, side="right") - 1
        total = np.bincount(owner, weights=area, minlength=len(geoms))
        before = cum[first] - area[first]
        # Draw a little more than needed: points in sliver triangles may fall just outside.
        draw = (need[todo] * 1.02).astype(np.int64) + 2
        pick = np.repeat(np.arange(len(todo)), draw)
        u = before[pick] + rng.random(len(pick)) * total[todo][pick]
        t = np.clip(np.searchsorted(cum, u, side="right"), first[pick], last[pick])
        r1, r2 = rng.random(len(pick)), rng.random(len(pick))
        flip = r1 + r2 > 1
        r1[flip], r2[flip] = 1 - r1[flip], 1 - r2[flip]
        a, b, c = corners[t, 0], corners[t, 1], corners[t, 2]
        xy = a + r1[:, None] * (b - a) + r2[:, None] * (c - a)
        who = todo[pick]
        ok = shapely.contains_xy(geoms[who], xy[:, 0], xy[:, 1])
        xy, who = xy[ok], who[ok]
        # keep at most ``need`` per buurt
        order = np.argsort(who, kind="stable")
        xy, who = xy[order], who[order]
        start = np.searchsorted(who, np.arange(len(geoms)))
        keep = (np.arange(len(who)) - start[who]) < need[who]
        xy_parts.append(xy[keep])
        owner_parts.append(who[keep])
        need -= np.bincount(who[keep], minlength=len(geoms))
    if need.sum() > 0:
        raise RuntimeError(f"{int(need.sum())} punten niet geplaatst")
    return np.concatenate(xy_parts), np.concatenate(owner_parts)


def _key_figures(buurten: gpd.GeoDataFrame, counts: np.ndarray, rng: np.random.Generator) -> dict:
    woningen = np.rint(counts * rng.uniform(0.75, 0.9, len(counts)))
    inwoners = np.rint(woningen * np.clip(rng.normal(2.15, 0.2, len(counts)), 1.6, 2.8))
    return {
        "woningen": woningen,
        "inwoners": inwoners,
        "huishoudens": np.rint(woningen * np.clip(rng.normal(0.97, 0.02, len(counts)), 0.9, 1.0)),
        "uitkeringen": np.rint(
            inwoners * np.clip(rng.lognormal(np.log(0.137), 0.3, len(counts)), 0.05, 0.3)
        ),
    }


def _signals(buurten: pd.DataFrame, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    from data.demo.generate import make_deliveries, make_signals

    signals = make_signals(buurten, [], rng)
    signals = signals[signals["periode"] >= FIRST_MONTH].reset_index(drop=True)
    deliveries = pd.concat(
        [make_deliveries(g) for g in sorted(buurten["gemeentecode"].unique())], ignore_index=True
    )
    deliveries = deliveries[deliveries["periode"] >= FIRST_MONTH].reset_index(drop=True)
    return signals, deliveries


def _findings(xy: np.ndarray, rng: np.random.Generator, per_address: float) -> pd.DataFrame:
    n = int(len(xy) * per_address)
    which = rng.integers(0, len(xy), n)
    days = pd.Timestamp(FIRST_MONTH + "-01") + pd.to_timedelta(rng.integers(0, 1827, n), "D")
    signaal = rng.choice(
        ["controle", "illegale_bewoning", "woningsplitsing", "overbewoning"],
        p=[0.7, 0.12, 0.08, 0.1],
        size=n,
    )
    bron = rng.choice(["gemeente", "nla"], p=[0.8, 0.2], size=n)
    return pd.DataFrame(
        {
            "bag_id": np.char.add("9", np.char.zfill(which.astype(str), 15)),
            "x": xy[which, 0],
            "y": xy[which, 1],
            "datum": days.date,
            "signaal": signaal,
            "bron": bron,
        }
    )


def prepare(cache: Path, n_points: int, *, say=print) -> dict:
    """Make (or reuse) every input in ``cache``; return a small description."""
    cache.mkdir(parents=True, exist_ok=True)
    meta_path = cache / "meta.json"
    wanted = {"version": VERSION, "points": n_points, "seed": SEED}
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if {k: meta.get(k) for k in wanted} == wanted:
            return meta
    from geo.areas import AREA_COLUMNS, KEY_FIGURES, dissolve_levels
    from geo.crs import RD

    began = time.perf_counter()
    rng = np.random.default_rng(SEED)
    say("invoer maken: buurten normaliseren en hiërarchie afleiden")
    complete = dissolve_levels(_normalised_buurten())
    buurten = complete[complete["level"] == "buurt"].sort_values("code").reset_index(drop=True)
    geoms = buurten.geometry.to_numpy()
    area = shapely.area(geoms)
    usable = area > 100  # sub-100 m2 slivers of the quantised file get no addresses
    weight = np.where(
        usable, np.maximum(area / 1e4, 1.0) ** 0.3 * rng.lognormal(0, 0.9, len(area)), 0
    )
    counts = np.floor(weight / weight.sum() * n_points).astype(np.int64)
    counts[np.argmax(counts)] += n_points - counts.sum()
    say(f"invoer maken: {n_points:,} adrespunten in {int(usable.sum()):,} buurten")
    xy, owner = _draw_points(geoms, counts, rng)
    perm = rng.permutation(len(xy))
    xy, owner = xy[perm], owner[perm]
    np.save(cache / "points.npy", np.ascontiguousarray(xy))
    np.save(cache / "points_buurt.npy", owner.astype(np.int32))

    figures = _key_figures(buurten, counts, rng)
    for figure, values in figures.items():
        buurten[figure] = pd.array(values, dtype="Float64")
    keyed = buurten.set_index("code")
    areas = complete.copy()
    for figure in KEY_FIGURES:
        by_code = keyed[figure]
        wijk = by_code.groupby(keyed["parent_code"]).sum()
        gemeente = by_code.groupby(keyed["gemeentecode"]).sum()
        values = pd.concat([by_code, wijk, gemeente])
        areas[figure] = areas["code"].map(values).astype("Float64")
    areas = gpd.GeoDataFrame(areas[AREA_COLUMNS], crs=RD)
    areas.to_parquet(cache / "areas.parquet")
    keyfigures = areas.loc[areas["level"] == "buurt", ["code", *KEY_FIGURES]]
    pd.DataFrame(keyfigures).to_parquet(cache / "keyfigures.parquet")

    say("invoer maken: 5 jaar maandsignalen voor alle buurten")
    signals, deliveries = _signals(pd.DataFrame(buurten.drop(columns="geometry")), rng)
    signals.to_parquet(cache / "signals.parquet")
    deliveries.to_parquet(cache / "deliveries.parquet")
    findings = _findings(xy, rng, per_address=0.04)
    findings.to_parquet(cache / "findings.parquet")

    meta = {
        **wanted,
        "buurten": len(buurten),
        "buurten_met_vorm": int((~shapely.is_empty(geoms)).sum()),
        "buurten_met_adressen": int((counts > 0).sum()),
        "wijken": int((areas["level"] == "wijk").sum()),
        "gemeenten": int((areas["level"] == "gemeente").sum()),
        "signaalrijen": len(signals),
        "leveringsrijen": len(deliveries),
        "bevindingen": len(findings),
        "seconden": round(time.perf_counter() - began, 1),
    }
    meta_path.write_text(json.dumps(meta, indent=1))
    return meta
