"""The demo's pure generator: synthetic key figures, addresses, signals and deliveries.

Frames in, frames out, drawn from the caller's ``numpy.random.Generator`` with the parameters of
``data.demo.params``; nothing here reads files or touches the database (``data.demo.venlo``
does). The order of the draws is part of the demo: changing it changes every figure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from data.demo.params import (
    AZC_INWONERS,
    BAG_PREFIX,
    BASIS,
    BEHANDELD,
    BRON_AANDEEL,
    DRUK_CORRELATIE,
    EFFECTEN,
    EIGENAAR_AANDEEL,
    FASE2,
    FASE2_START,
    GEMEENTE,
    INTERVENTIE_ID,
    INTERVENTIE_NAAM,
    INTERVENTIE_PARTNERS,
    INTERVENTIE_SOORT,
    INTERVENTIE_START,
    KLINGERBERG_BASIS,
    KLINGERBERG_EIGENAAR_AANDEEL,
    KLINGERBERG_PROBLEEMADRESSEN_PER_1000,
    KLINGERBERG_UITKERINGSAANDEEL,
    KLINGERBERG_WONINGEN,
    LANDELIJK_WONINGEN,
    MAANDEN,
    MAX_ADRESSEN,
    NIET_GELEVERD,
    OVERDISPERSIE_K,
    PAND_PREFIX,
    POSTCODE_LETTERS,
    POSTCODE_PER_WIJK,
    PROBLEEMADRESSEN_PER_1000,
    TOTALEN,
    WATERBED,
    WERKLOCATIE_PATRONEN,
    WERKLOCATIE_WONINGEN,
    WONEN_WONINGEN,
    maanden_na_start,
    seizoen,
)
from data.store import ADDRESS_COLUMNS, SIGNAL_COLUMNS
from indicators import catalogue


def intervention_frame() -> pd.DataFrame:
    """The demo's one intervention, in two stages, in the shape ``store.save_interventions``
    takes (``starts``: each buurt's own start)."""
    return pd.DataFrame(
        [
            {
                "id": INTERVENTIE_ID,
                "naam": INTERVENTIE_NAAM,
                "soort": INTERVENTIE_SOORT,
                "start": INTERVENTIE_START,
                "eind": None,
                "partners": list(INTERVENTIE_PARTNERS),
                "buurtcodes": sorted([*BEHANDELD, *FASE2]),
                "starts": {
                    **{b: INTERVENTIE_START for b in BEHANDELD},
                    **{b: FASE2_START for b in FASE2},
                },
            }
        ]
    )


def buurt_type(name: str) -> str:
    """``werklocatie``, ``landelijk``, ``azc`` or ``wonen``, from the CBS buurt name."""
    lower = name.lower()
    if any(pattern in lower for pattern in WERKLOCATIE_PATRONEN):
        return "werklocatie"
    if lower.startswith("verspreide huizen"):
        return "landelijk"
    if lower == "azc":
        return "azc"
    return "wonen"


def _allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers proportional to ``weights`` summing exactly to ``total`` (largest remainder)."""
    weights = np.asarray(weights, dtype=float)
    exact = weights / weights.sum() * total
    base: np.ndarray = np.floor(exact).astype(np.int64)
    rest = int(total - base.sum())
    order = np.argsort(-(exact - base), kind="stable")
    base[order[:rest]] += 1
    return base


def with_key_figures(buurten: gpd.GeoDataFrame, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Give the buurten synthetic key figures that add up to ``TOTALEN``."""
    n = len(buurten)
    kinds = buurten["name"].map(buurt_type).to_numpy()
    codes = buurten["code"].to_numpy()
    area_ha = buurten.geometry.area.to_numpy() / 10_000
    treated = np.isin(codes, BEHANDELD)

    woningen = np.zeros(n, dtype=np.int64)
    small = np.isin(kinds, ["werklocatie", "azc"])
    woningen[small] = rng.integers(
        WERKLOCATIE_WONINGEN[0], WERKLOCATIE_WONINGEN[1] + 1, small.sum()
    )
    rural = kinds == "landelijk"
    woningen[rural] = rng.integers(LANDELIJK_WONINGEN[0], LANDELIJK_WONINGEN[1] + 1, rural.sum())
    for code, value in KLINGERBERG_WONINGEN.items():
        woningen[codes == code] = value
    living = (kinds == "wonen") & ~treated
    raw = np.maximum(area_ha[living], 1.0) ** 0.3 * rng.lognormal(0.0, 0.9, living.sum())
    target = TOTALEN["woningen"] - int(woningen[~living].sum())
    low, high = WONEN_WONINGEN
    lo_s, hi_s = 0.0, float(high / raw.min())
    for _ in range(80):  # bisection on the scale: low + scale * raw, clipped, sums to target
        mid = (lo_s + hi_s) / 2
        if np.minimum(low + raw * mid, high).sum() < target:
            lo_s = mid
        else:
            hi_s = mid
    living_values = np.minimum(np.rint(low + raw * hi_s), high).astype(np.int64)
    living_values[np.argmax(living_values)] += target - int(living_values.sum())
    woningen[living] = living_values

    persons = np.clip(rng.normal(2.15, 0.2, n), 1.6, 2.8)
    weights = woningen * persons
    azc = kinds == "azc"
    weights[azc] = rng.integers(AZC_INWONERS[0], AZC_INWONERS[1] + 1, azc.sum())
    inwoners = _allocate(TOTALEN["inwoners"], weights)
    occupancy = np.clip(rng.normal(0.98, 0.02, n), 0.9, 1.02)
    huishoudens = _allocate(TOTALEN["huishoudens"], woningen * occupancy)
    share = np.clip(rng.lognormal(math.log(0.137), 0.3, n), 0.05, 0.3)
    share[treated] = KLINGERBERG_UITKERINGSAANDEEL
    uitkeringen = _allocate(TOTALEN["uitkeringen"], inwoners * share)

    return buurten.assign(
        woningen=pd.Series(woningen, index=buurten.index).astype("Float64"),
        inwoners=pd.Series(inwoners, index=buurten.index).astype("Float64"),
        huishoudens=pd.Series(huishoudens, index=buurten.index).astype("Float64"),
        uitkeringen=pd.Series(uitkeringen, index=buurten.index).astype("Float64"),
    )


def _points_in(geometry: shapely.Geometry, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` random points strictly inside ``geometry`` (vectorised rejection sampling)."""
    minx, miny, maxx, maxy = geometry.bounds
    shapely.prepare(geometry)
    found: list[np.ndarray] = []
    have = 0
    fill = max(geometry.area / max((maxx - minx) * (maxy - miny), 1e-9), 0.02)
    while have < count:
        n = int((count - have) / fill * 1.3) + 16
        xs = rng.uniform(minx, maxx, n)
        ys = rng.uniform(miny, maxy, n)
        inside = shapely.contains_xy(geometry, xs, ys)
        block = np.column_stack([xs[inside], ys[inside]])
        found.append(block)
        have += len(block)
    points: np.ndarray = np.concatenate(found)[:count]
    return points


def make_addresses(buurten: gpd.GeoDataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """One synthetic verblijfsobject (woonfunctie) per woning, strictly inside its buurt.

    Buurten without geometry get none. Above ``MAX_ADRESSEN`` in total, the counts are scaled
    down. Columns: those of the ``addresses`` table plus ``buurtcode``.
    """
    woningen = buurten["woningen"].fillna(0).to_numpy(dtype=float)
    usable = ~(buurten.geometry.isna() | buurten.geometry.is_empty).to_numpy()
    counts = np.where(usable, woningen, 0.0)
    if counts.sum() > MAX_ADRESSEN:
        counts = counts * MAX_ADRESSEN / counts.sum()
    counts = np.floor(counts).astype(np.int64)

    parts = []
    bouwjaar_mediaan = rng.integers(1900, 2016, len(buurten))
    for i, row in enumerate(buurten.itertuples(index=False)):
        if counts[i] == 0:
            continue
        xy = _points_in(row.geometry, int(counts[i]), rng)
        xy = xy[np.lexsort((xy[:, 0], -xy[:, 1]))]  # north to south: streets of postcodes
        mediaan = 1960 if row.code in BEHANDELD else int(bouwjaar_mediaan[i])
        parts.append(
            pd.DataFrame(
                {
                    "buurtcode": row.code,
                    "wijkcode": row.parent_code,
                    "x": np.round(xy[:, 0], 2),
                    "y": np.round(xy[:, 1], 2),
                    "bouwjaar": np.clip(
                        np.rint(rng.normal(mediaan, 12, len(xy))), 1850, 2024
                    ).astype(np.int64),
                    "oppervlakte": np.clip(
                        np.rint(rng.lognormal(math.log(95), 0.35, len(xy))), 25, 400
                    ),
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True)
    n = len(frame)
    frame["bag_id"] = [f"{BAG_PREFIX}{i:06d}" for i in range(1, n + 1)]
    pand_sizes = rng.choice([1, 1, 1, 2, 2, 4, 6, 8], size=n)
    pand_of = np.repeat(np.arange(n), pand_sizes)[:n]
    frame["pand_id"] = [f"{PAND_PREFIX}{i + 1:06d}" for i in pand_of]

    postcodes = np.empty(n, dtype=object)
    huisnummers = np.empty(n, dtype=np.int64)
    pairs = [a + b for a in POSTCODE_LETTERS for b in POSTCODE_LETTERS]
    for wijk, idx in frame.groupby("wijkcode", sort=True).indices.items():
        per = max(20, math.ceil(len(idx) / len(pairs)))
        chunk = np.arange(len(idx)) // per
        pc4 = POSTCODE_PER_WIJK.get(str(wijk), "59" + str(wijk)[-2:])
        postcodes[idx] = [pc4 + pairs[c] for c in chunk]
        start = rng.integers(1, 3, chunk.max() + 1)  # odd or even side of the street
        huisnummers[idx] = start[chunk] + 2 * (np.arange(len(idx)) % per)
    frame["postcode"] = postcodes
    frame["huisnummer"] = huisnummers
    frame["huisletter"] = None
    frame["toevoeging"] = None
    frame["gebruiksdoel"] = "woonfunctie"
    frame["status"] = "Verblijfsobject in gebruik"
    return frame[[*ADDRESS_COLUMNS, "buurtcode"]]


def _buurt_rates(
    buurten: pd.DataFrame, rng: np.random.Generator
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Per indicator the buurt's mean monthly rate; and the RIEC stock and share per buurt."""
    n = len(buurten)
    codes = buurten["code"].to_numpy()
    druk = rng.normal(0.0, 1.0, n)
    rates: dict[str, np.ndarray] = {}
    for indicator, (mean, sd, (low, high)) in BASIS.items():
        own = rng.normal(0.0, 1.0, n)
        z = DRUK_CORRELATIE * druk + math.sqrt(1 - DRUK_CORRELATIE**2) * own
        rate = np.clip(mean * np.exp(sd * z - sd**2 / 2), low, high)
        for j, code in enumerate(BEHANDELD):
            rate[codes == code] = KLINGERBERG_BASIS[indicator][j]
        rate[np.isin(codes, FASE2)] = float(np.mean(KLINGERBERG_BASIS[indicator]))
        rates[indicator] = rate
    mean, sd = PROBLEEMADRESSEN_PER_1000
    problemen = mean * np.exp(sd * druk - sd**2 / 2)
    problemen[np.isin(codes, BEHANDELD)] = KLINGERBERG_PROBLEEMADRESSEN_PER_1000
    mean, sd, (low, high) = EIGENAAR_AANDEEL
    aandeel = np.clip(mean * np.exp(sd * rng.normal(0.0, 1.0, n) - sd**2 / 2), low, high)
    aandeel[np.isin(codes, BEHANDELD)] = KLINGERBERG_EIGENAAR_AANDEEL
    return rates, problemen, aandeel


def _effect_matrix(codes: np.ndarray, ring: Sequence[str], indicator: str) -> np.ndarray:
    """buurt x month multiplier of the intervention (treated) and the waterbed (ring)."""
    matrix = np.ones((len(codes), len(MAANDEN)))
    stages = (
        (BEHANDELD, EFFECTEN, INTERVENTIE_START),
        (FASE2, EFFECTEN, FASE2_START),
        (tuple(ring), WATERBED, INTERVENTIE_START),
    )
    for group, effects, start in stages:
        effect = effects.get(indicator)
        if effect is not None:
            rows = np.isin(codes, group)
            matrix[rows] = np.array([effect.at(maanden_na_start(p, start)) for p in MAANDEN])
    return matrix


def _long(counts: np.ndarray, codes: np.ndarray, indicator: str, bron: str) -> pd.DataFrame:
    b, t = np.nonzero(counts > 0)
    return pd.DataFrame(
        {
            "buurtcode": codes[b],
            "periode": np.asarray(MAANDEN, dtype=object)[t],
            "indicator": indicator,
            "teller": counts[b, t].astype(float),
            "noemer": np.nan,
            "bron": bron,
            "soort": "aggregaat",
        }
    )


def make_signals(
    buurten: pd.DataFrame, ring: Sequence[str], rng: np.random.Generator
) -> pd.DataFrame:
    """Monthly buurt signals (``SIGNAL_COLUMNS``) for every delivered indicator.

    Only rows with teller > 0 are returned (zeros are implied for delivered months), except for
    ``eigenaar_concentratie``, which has a row wherever its noemer (problem addresses) is > 0.
    Months in ``NIET_GELEVERD`` have no rows.
    """
    codes = buurten["code"].to_numpy()
    rates, problemen, aandeel = _buurt_rates(buurten, rng)
    frames: list[pd.DataFrame] = []
    for card in catalogue.CATALOGUE:
        if card.afgeleid:
            continue
        shares = BRON_AANDEEL[card.code]
        if card.code == catalogue.EIGENAAR_CONCENTRATIE:
            woningen = buurten["woningen"].fillna(0).to_numpy(dtype=float)
            mean = np.outer(problemen * woningen / 1000, np.ones(len(MAANDEN)))
            noemer = rng.poisson(mean)
            teller = rng.binomial(noemer, aandeel[:, None])
            b, t = np.nonzero(noemer > 0)
            part = pd.DataFrame(
                {
                    "buurtcode": codes[b],
                    "periode": np.asarray(MAANDEN, dtype=object)[t],
                    "indicator": card.code,
                    "teller": teller[b, t].astype(float),
                    "noemer": noemer[b, t].astype(float),
                    "bron": "riec",
                    "soort": "aggregaat",
                }
            )
            frames.append(part)
            continue
        denominator = buurten[card.noemer].fillna(0).to_numpy(dtype=float)
        season = np.array([seizoen(card.code, p) for p in MAANDEN])
        expected = np.outer(rates[card.code] * denominator / card.schaal, season) * _effect_matrix(
            codes, ring, card.code
        )
        if card.code == catalogue.ARBEIDSMIGRANTEN:  # a stock: smooth, autocorrelated, not Poisson
            noise = np.zeros_like(expected)
            step = rng.normal(0.0, 0.03, expected.shape)
            for m in range(1, len(MAANDEN)):
                noise[:, m] = 0.8 * noise[:, m - 1] + step[:, m]
            counts = np.rint(expected * np.exp(noise))
            frames.append(_long(counts, codes, card.code, "gemeente"))
            continue
        for bron, share in shares.items():
            mixing = rng.gamma(OVERDISPERSIE_K, 1.0 / OVERDISPERSIE_K, expected.shape)
            counts = rng.poisson(expected * share * mixing)
            frames.append(_long(counts, codes, card.code, bron))
    signals = pd.concat(frames, ignore_index=True)
    for bron, months in NIET_GELEVERD.items():
        signals = signals[~((signals["bron"] == bron) & signals["periode"].isin(months))]
    return signals[SIGNAL_COLUMNS].reset_index(drop=True)


def make_deliveries(gemeente: str = GEMEENTE) -> pd.DataFrame:
    """Every bron x indicator x month delivered for ``gemeente`` (``NIET_GELEVERD`` left out)."""
    rows = [
        {"bron": bron, "gemeentecode": gemeente, "indicator": indicator, "periode": periode}
        for indicator, shares in BRON_AANDEEL.items()
        for bron in shares
        for periode in MAANDEN
        if periode not in NIET_GELEVERD.get(bron, ())
    ]
    return pd.DataFrame(rows)
