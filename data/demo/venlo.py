"""The demo database: real Venlo buurten and wijken (indeling 2024) with fictional figures.

Everything in it except the area shapes and names is synthetic and says so (meta ``demo`` = 1,
shown as "Demodata (fictief)"). The generator is deterministic (one ``numpy.random.default_rng``
with ``SEED``) and idempotent: ``build_demo`` first empties the data tables (users and the audit
log stay), then writes

1. the 114 buurten and 21 wijken of Venlo from the shipped CBS files, with synthetic key figures
   (inwoners, woningen, huishoudens, uitkeringen) by buurt type and area;
2. one synthetic BAG-like verblijfsobject per woning, strictly inside its buurt;
3. monthly partner signals 2019-01..2024-12 for every delivered indicator, with the delivery
   record per bron, indicator and month, and deliberate gaps (``NIET_GELEVERD``);
4. the intervention "Wijkgerichte aanpak Klingerberg" with a known true effect (``EFFECTEN``)
   and a small waterbed effect in the ring around it (``WATERBED``);
5. the meta rows ``demo``, ``demo_seed`` and ``peildatum``.

The true effect on ``illegale_bewoning`` in the catalogue's unit is
``EXPECTED_EFFECT_ILLEGALE_BEWONING``, computed from the parameters below; see docs/demo.md.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine, func, select, update

from data import db, store
from data.demo.findings import import_demo_findings
from data.demo.regio import REGIO_ID, build_regional, store_regional_signals
from data.publication.read import publish_all
from data.publication.scope import region_cluster
from data.settings import FILES
from geo.areas import AREA_COLUMNS, normalise_areas
from geo.crs import RD
from geo.errors import InputError, WijkmonitorError
from indicators import catalogue

# --- what the demo is ----------------------------------------------------------------------------

SEED = 20210901
GEMEENTE = "GM0983"
INDELING_JAAR = 2024
BUURT_FILE = "cbs_buurt_2024_venlo_wgs84.geojson"
WIJK_FILE = "cbs_wijk_2024_venlo_wgs84.geojson"
PEILDATUM = "2024-12-31"
MAANDEN: tuple[str, ...] = tuple(f"{j}-{m:02d}" for j in range(2019, 2025) for m in range(1, 13))

# Venlo totals the synthetic key figures add up to (exactly).
TOTALEN: Mapping[str, int] = {
    "inwoners": 102_000,
    "woningen": 48_000,
    "huishoudens": 47_000,
    "uitkeringen": 14_000,  # personen met een AO-, WW-, bijstands- of AOW-uitkering
}
# Buurt types by name. Werklocaties get 0-40 woningen (so their rates are suppressed, as they
# should be); "Verspreide huizen" is the countryside; the AZC has residents but few woningen.
WERKLOCATIE_PATRONEN = (
    "bedr.terr.",
    "bedrijventerrein",
    "industrie",
    "greenport",
    "trade port",
    "trade-port",
    # Venlo's known work areas whose CBS name does not say so:
    "havengebied",
    "ecopark",
    "fresh park",
    "floriade park",
    "zaarderheiken",
    "heierhoeve",
    "groot boller",
    "venkoelen",
    "ulingshei",
    "snelle sprong",
    "kazerneterrein",
)
WERKLOCATIE_WONINGEN = (0, 40)
LANDELIJK_WONINGEN = (150, 600)
WONEN_WONINGEN = (300, 3_500)
AZC_INWONERS = (250, 400)
MAX_ADRESSEN = 50_000

# --- the intervention and its true effect ------------------------------------------------------

INTERVENTIE_ID = "venlo-klingerberg-2021"
INTERVENTIE_NAAM = "Wijkgerichte aanpak Klingerberg"
INTERVENTIE_SOORT = "wijkaanpak"
INTERVENTIE_START = date(2021, 9, 1)
INTERVENTIE_PARTNERS = ("gemeente", "uwv", "belastingdienst", "nla", "politie")
BEHANDELD = ("BU09832501", "BU09832502")  # Klingerberg-Zuid, Klingerberg-Noord
# The aanpak's second stage, a year later, in a wijk that does not touch Klingerberg: a staggered
# rollout, estimated per stage (cohort) and together. Its buurten have Klingerberg's mean rates
# (chosen for the same reason) and the same effects from their own start.
FASE2_START = date(2022, 9, 1)
FASE2 = ("BU09833101", "BU09833102", "BU09833103", "BU09833104", "BU09833105")  # Wijk 31 Tegelen-C.
START_PERIODE = f"{INTERVENTIE_START.year}-{INTERVENTIE_START.month:02d}"
PRE_PERIODES = tuple(p for p in MAANDEN if p < START_PERIODE)  # 2019-01..2021-08: 32
POST_PERIODES = tuple(p for p in MAANDEN if p >= START_PERIODE)  # 2021-09..2024-12: 40

# Klingerberg is fixed, not drawn: its woningen and its pre-intervention monthly rates (in the
# catalogue's unit; Zuid, Noord). Clearly worse than the Venlo average (``BASIS``) on the
# ruimtelijk-fysiek and veiligheid hits: that is why it was chosen, and why an estimate must warn
# about regression to the mean. In this generator the excess is a stable level, not a peak.
KLINGERBERG_WONINGEN: Mapping[str, int] = {"BU09832501": 1_650, "BU09832502": 1_850}
KLINGERBERG_BASIS: Mapping[str, tuple[float, float]] = {
    "controles": (6.0, 5.5),
    "illegale_bewoning": (2.2, 1.8),
    "woningsplitsing": (0.9, 0.8),
    "brandonveilig": (1.0, 0.9),
    "overbewoning": (1.6, 1.4),
    "brp_afwijking": (1.8, 1.6),
    "arbeidsmigranten": (40.0, 35.0),
    "uitkering_afwijking": (2.0, 1.8),
    "toeslag_afwijking": (1.0, 0.9),
    "niet_gebruik": (1.4, 1.2),
    "doorverwijzing_zorg": (1.0, 0.9),
}
KLINGERBERG_UITKERINGSAANDEEL = 0.21  # uitkeringen per inwoner (Venlo: about 0.137)


@dataclass(frozen=True)
class Effect:
    """Multiplicative effect on the expected monthly count in the treated buurten.

    From the start month on, the factor moves linearly from 1 to ``factor`` over
    ``infasering_maanden`` months (month k after start, k = 0, 1, ...: 1 + (factor - 1) *
    min(1, (k + 1) / infasering_maanden)); 1 month means the full factor from the start.
    """

    factor: float
    infasering_maanden: int = 1

    def at(self, k: int) -> float:
        """The factor in month ``k`` after the start (k < 0: before the start, 1.0)."""
        if k < 0:
            return 1.0
        return 1.0 + (self.factor - 1.0) * min(1.0, (k + 1) / self.infasering_maanden)


# The true effects of the aanpak in Klingerberg. Indicators not listed are unaffected.
EFFECTEN: Mapping[str, Effect] = {
    "illegale_bewoning": Effect(0.60, 6),  # -40%
    "woningsplitsing": Effect(0.70, 6),  # -30%
    "overbewoning": Effect(0.65, 6),  # -35%
    "brandonveilig": Effect(0.70, 6),  # -30%
    "controles": Effect(2.00, 1),  # twice the inspection effort, from the first month
    "doorverwijzing_zorg": Effect(1.50, 6),  # +50%: the care side
}
# Waterbed: buurten touching the treated ones (within RING_BUFFER_M, treated excluded).
WATERBED: Mapping[str, Effect] = {"illegale_bewoning": Effect(1.10, 1)}  # +10% from the start
RING_BUFFER_M = 1.0

# --- partner signals ---------------------------------------------------------------------------

# Venlo-wide mean monthly rate in the catalogue's unit, the buurt spread (sd of the log rate)
# and the range the buurt rates are clipped to. ``arbeidsmigranten`` is a stock, not a flow.
BASIS: Mapping[str, tuple[float, float, tuple[float, float]]] = {
    "controles": (4.5, 0.35, (2.0, 8.0)),
    "illegale_bewoning": (0.6, 0.5, (0.2, 1.5)),
    "woningsplitsing": (0.3, 0.5, (0.05, 0.9)),
    "brandonveilig": (0.35, 0.5, (0.05, 1.0)),
    "overbewoning": (0.5, 0.5, (0.1, 1.4)),
    "brp_afwijking": (1.0, 0.4, (0.3, 2.5)),
    "arbeidsmigranten": (18.0, 0.7, (5.0, 60.0)),
    "uitkering_afwijking": (1.2, 0.4, (0.4, 3.0)),
    "toeslag_afwijking": (0.6, 0.4, (0.2, 1.5)),
    "niet_gebruik": (0.8, 0.4, (0.2, 2.0)),
    "doorverwijzing_zorg": (0.7, 0.4, (0.2, 1.6)),
}
# How strongly an indicator follows the buurt's common "pressure" (the rest is its own).
DRUK_CORRELATIE = 0.7
# Month-to-month overdispersion: the expected count is multiplied by Gamma(k, 1/k) (mean 1).
OVERDISPERSIE_K = 25.0
SEIZOEN_AMPLITUDE = 0.10  # flows: 1 + A cos(2 pi (maand - 1) / 12), highest in winter
ARBEIDSMIGRANTEN_SEIZOEN = 0.15  # stock: highest in September (harvest, Greenport)
ARBEIDSMIGRANTEN_GROEI = 0.03  # per year
CONTROLES_ZOMER = 0.8  # July and August: holidays
CONTROLES_CORONA: Mapping[str, float] = {"2020-04": 0.5, "2020-05": 0.5, "2020-06": 0.8}

# Who delivers what, and each bron's share of the expected count (each share its own Poisson).
BRON_AANDEEL: Mapping[str, Mapping[str, float]] = {
    "controles": {"gemeente": 0.60, "politie": 0.25, "nla": 0.15},
    "illegale_bewoning": {"gemeente": 0.70, "nla": 0.30},
    "woningsplitsing": {"gemeente": 1.0},
    "brandonveilig": {"gemeente": 1.0},
    "overbewoning": {"gemeente": 0.75, "nla": 0.25},
    "brp_afwijking": {"gemeente": 1.0},
    "arbeidsmigranten": {"gemeente": 1.0},  # BRP; a stock, so one bron only
    "uitkering_afwijking": {"uwv": 0.55, "gemeente": 0.45},
    "toeslag_afwijking": {"belastingdienst": 1.0},
    "niet_gebruik": {"gemeente": 0.60, "svb": 0.40},
    "eigenaar_concentratie": {"riec": 1.0},
    "doorverwijzing_zorg": {"gemeente": 1.0},
}
# eigenaar_concentratie (RIEC): noemer = problem addresses in the buurt that month (Poisson
# around a stock per 1.000 woningen), teller = those of owners with 3+ (binomial share).
PROBLEEMADRESSEN_PER_1000 = (4.0, 0.5)  # mean, sd of log
KLINGERBERG_PROBLEEMADRESSEN_PER_1000 = 12.0
EIGENAAR_AANDEEL = (0.15, 0.5, (0.02, 0.45))  # mean, sd of log, clip
KLINGERBERG_EIGENAAR_AANDEEL = 0.35


def _maanden(start: str, eind: str) -> tuple[str, ...]:
    return tuple(p for p in MAANDEN if start <= p <= eind)


# Deliberate gaps: months a bron did not deliver (any of its indicators). Missing, never zero.
NIET_GELEVERD: Mapping[str, tuple[str, ...]] = {
    "politie": _maanden("2020-04", "2020-06"),  # lockdown: no delivery
    "belastingdienst": _maanden("2024-11", "2024-12"),  # not yet delivered at the peildatum
    "riec": _maanden("2019-01", "2019-12"),  # the convenant started in 2020
}
# When each bron's (single, synthetic) delivery batch arrived; the latest is the peildatum.
GELEVERD_OP: Mapping[str, datetime] = {
    "gemeente": datetime(2024, 12, 31, 12, 0, tzinfo=UTC),
    "uwv": datetime(2024, 12, 20, 9, 0, tzinfo=UTC),
    "svb": datetime(2024, 12, 20, 9, 30, tzinfo=UTC),
    "nla": datetime(2024, 12, 23, 10, 0, tzinfo=UTC),
    "politie": datetime(2024, 12, 27, 8, 0, tzinfo=UTC),
    "riec": datetime(2024, 12, 30, 14, 0, tzinfo=UTC),
    "belastingdienst": datetime(2024, 11, 15, 11, 0, tzinfo=UTC),
}

# Postcode (4 digits) per wijk, plausible for Venlo (59xx); letters by 20 addresses.
POSTCODE_PER_WIJK: Mapping[str, str] = {
    "WK098311": "5911",
    "WK098312": "5912",
    "WK098313": "5913",
    "WK098314": "5914",
    "WK098315": "5915",
    "WK098316": "5916",
    "WK098321": "5921",
    "WK098322": "5922",
    "WK098323": "5923",
    "WK098324": "5924",
    "WK098325": "5925",
    "WK098326": "5926",
    "WK098327": "5927",
    "WK098328": "5928",
    "WK098331": "5931",
    "WK098332": "5933",
    "WK098335": "5932",
    "WK098341": "5941",
    "WK098343": "5943",
    "WK098344": "5944",
    "WK098351": "5951",
}
_POSTCODE_LETTERS = "ABCEGHJKLMNPRTVWXZ"
BAG_PREFIX = "0983010000"  # + 6 digits = 16
PAND_PREFIX = "0983100000"


def seizoen(indicator: str, periode: str) -> float:
    """The common (all buurten) monthly multiplier of an indicator's expected count."""
    jaar, maand = int(periode[:4]), int(periode[5:7])
    if indicator == "arbeidsmigranten":
        trend = float((1.0 + ARBEIDSMIGRANTEN_GROEI) ** (jaar - 2019 + (maand - 1) / 12))
        return trend * (1.0 + ARBEIDSMIGRANTEN_SEIZOEN * math.cos(2 * math.pi * (maand - 9) / 12))
    factor = 1.0 + SEIZOEN_AMPLITUDE * math.cos(2 * math.pi * (maand - 1) / 12)
    if indicator == "controles":
        if maand in (7, 8):
            factor *= CONTROLES_ZOMER
        factor *= CONTROLES_CORONA.get(periode, 1.0)
    return factor


def _maanden_na_start(periode: str, start: date = INTERVENTIE_START) -> int:
    jaar, maand = int(periode[:4]), int(periode[5:7])
    return (jaar - start.year) * 12 + (maand - start.month)


def expected_effect(indicator: str) -> float:
    """The true effect on ``indicator`` in Klingerberg (the first stage), in the catalogue's unit.

    The average over ``POST_PERIODES`` of the treated buurten' expected rate minus their
    counterfactual expected rate (the same without the intervention), weighted by woningen,
    as ``wijkmonitor effect`` defines it. Zero for an indicator without an effect.
    """
    effect = EFFECTEN.get(indicator)
    if effect is None:
        return 0.0
    if catalogue.get(indicator).noemer != "woningen":
        raise ValueError(
            f"expected_effect is defined here for per-woning indicators, not {indicator}"
        )
    gewicht = np.array([KLINGERBERG_WONINGEN[b] for b in BEHANDELD], dtype=float)
    basis = np.array(KLINGERBERG_BASIS[indicator], dtype=float)
    verschillen = [
        float(np.sum(gewicht * basis) / gewicht.sum())
        * seizoen(indicator, p)
        * (effect.at(_maanden_na_start(p)) - 1.0)
        for p in POST_PERIODES
    ]
    return float(np.mean(verschillen))


def expected_effect_fase2(indicator: str) -> float:
    """The true effect on ``indicator`` in the second stage (``FASE2`` from ``FASE2_START``), in
    the catalogue's unit per month, averaged over its post months; its buurten share one rate,
    so the woningen weights cancel."""
    effect = EFFECTEN.get(indicator)
    if effect is None:
        return 0.0
    rate = float(np.mean(KLINGERBERG_BASIS[indicator]))
    start = f"{FASE2_START.year}-{FASE2_START.month:02d}"
    post = [p for p in MAANDEN if p >= start]
    return float(np.mean([rate * seizoen(indicator, p) * (effect.at(_maanden_na_start(p, FASE2_START)) - 1.0)
                          for p in post]))  # fmt: skip


# Per 1.000 woningen per month: -0.747 (see docs/demo.md).
EXPECTED_EFFECT_ILLEGALE_BEWONING: float = expected_effect("illegale_bewoning")


@dataclass(frozen=True)
class DemoSummary:
    """What ``build_demo`` wrote."""

    buurten: int
    wijken: int
    gemeenten: int
    addresses: int
    signal_rows: int
    regio_buurten: int
    deliveries: int
    ring: tuple[str, ...]
    seconds: float


# --- building ------------------------------------------------------------------------------------


def build_demo(
    engine: Engine, *, progress: Callable[[str], None] | None = None, publish: bool = True
) -> DemoSummary:
    """Build the demo database on ``engine``: replaces all data, keeps users and the audit log.

    Deterministic (``SEED``) and idempotent. ``progress`` receives a short Dutch message per step.
    With ``publish`` the region's publication is computed and stored last, so that the first
    visitor of the dashboard does not wait for it.
    """
    began = time.perf_counter()
    say = progress or (lambda _message: None)
    rng = np.random.default_rng(SEED)

    say("Database leegmaken")
    with engine.begin() as conn:
        real = store.real_deliveries(conn)
        if real:
            raise InputError(
                "Deze database bevat echte leveringen; de demo zou ze wissen. Kies een andere "
                "database met --db of WIJKMONITOR_DB."
            )
        store.clear_all(conn)

    say("Buurten en wijken laden")
    raw_buurten = gpd.read_file(FILES / BUURT_FILE, engine="pyogrio")
    raw_wijken = gpd.read_file(FILES / WIJK_FILE, engine="pyogrio")
    buurten = normalise_areas(raw_buurten, jaar=INDELING_JAAR)
    wijken = normalise_areas(raw_wijken, jaar=INDELING_JAAR)
    missing = [b for b in (*BEHANDELD, *FASE2) if b not in set(buurten["code"])]
    if missing:
        raise WijkmonitorError(f"Demobuurten ontbreken in {BUURT_FILE}: {', '.join(missing)}")
    buurten = _with_key_figures(buurten, rng)
    areas = gpd.GeoDataFrame(pd.concat([buurten, wijken], ignore_index=True), crs=RD)
    stored = store.save_areas(engine, areas[AREA_COLUMNS])
    stored_buurten = stored[stored["level"] == "buurt"].sort_values("code").reset_index(drop=True)
    ring = ring_buurten(stored_buurten, BEHANDELD)

    with engine.begin() as conn:
        say("Adressen maken")
        addresses = make_addresses(stored_buurten, rng)
        store.save_addresses(conn, addresses, indeling_jaar=INDELING_JAAR)

        say("Signalen maken")
        signals = make_signals(stored_buurten, ring, rng)
        deliveries = make_deliveries()
        for bron in sorted(deliveries["bron"].unique()):
            rows = signals[signals["bron"] == bron].reset_index(drop=True)
            delivered = deliveries[deliveries["bron"] == bron]
            content = rows.to_csv(index=False, lineterminator="\n").encode("utf-8")
            import_id = store.log_import(
                conn,
                bestand=f"demo:{bron}",
                inhoud=content,
                soort="demo",
                rijen=len(rows),
                uitkomst="geaccepteerd",
                melding="Fictieve demolevering",
                gebruiker="demo",
            )
            store.save_signals(conn, rows, import_id=import_id)
            store.save_deliveries(conn, delivered, import_id=import_id)
            conn.execute(
                update(db.deliveries)
                .where(db.deliveries.c.import_id == import_id)
                .values(geleverd_op=GELEVERD_OP[bron])
            )

        say("Interventie vastleggen")
        store.save_interventions(conn, intervention_frame())
        store.set_meta(conn, "demo", "1")
        store.set_meta(conn, "demo_seed", str(SEED))
        store.set_meta(conn, "peildatum", PEILDATUM)

    say("Controleavonden Klingerberg importeren (adresbevindingen)")
    import_demo_findings(engine, np.random.default_rng(SEED + 2))

    say("Regio maken: Beesel en Peel en Maas (indeling 2014), regio rpf-demo")
    regional_rng = np.random.default_rng(SEED + 1)  # its own stream: Venlo stays as it was
    regional = build_regional(engine, regional_rng)
    with engine.begin() as conn:
        store_regional_signals(conn, regional, regional_rng)

    if publish:
        say("Cijfers beveiligen voor publicatie (eenmalig, ongeveer een minuut)")
        cluster, _ = region_cluster(engine, REGIO_ID)
        publish_all(engine, cluster)

    levels = stored["level"].value_counts()
    summary = DemoSummary(
        buurten=int(levels.get("buurt", 0)),
        wijken=int(levels.get("wijk", 0)),
        gemeenten=int(levels.get("gemeente", 0)),
        addresses=len(addresses),
        signal_rows=_count(engine, db.signals),
        regio_buurten=len(regional),
        deliveries=len(deliveries),
        ring=tuple(ring),
        seconds=round(time.perf_counter() - began, 2),
    )
    say(
        f"Klaar: {summary.buurten} buurten, {summary.addresses} adressen, "
        f"{summary.signal_rows} signaalrijen in {summary.seconds:.1f} s"
    )
    return summary


def _count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


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


def _with_key_figures(buurten: gpd.GeoDataFrame, rng: np.random.Generator) -> gpd.GeoDataFrame:
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


def ring_buurten(buurten: gpd.GeoDataFrame, treated: Sequence[str]) -> list[str]:
    """Buurten within ``RING_BUFFER_M`` of the treated buurten (touching them), treated excluded."""
    core = buurten[buurten["code"].isin(treated)].geometry.union_all()
    near = buurten.geometry.intersects(core.buffer(RING_BUFFER_M))
    return sorted(buurten.loc[near & ~buurten["code"].isin(treated), "code"])


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
    pairs = [a + b for a in _POSTCODE_LETTERS for b in _POSTCODE_LETTERS]
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
    return frame[[*store.ADDRESS_COLUMNS, "buurtcode"]]


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
    stages = ((BEHANDELD, EFFECTEN, INTERVENTIE_START), (FASE2, EFFECTEN, FASE2_START),
              (tuple(ring), WATERBED, INTERVENTIE_START))  # fmt: skip
    for group, effects, start in stages:
        effect = effects.get(indicator)
        if effect is not None:
            rows = np.isin(codes, group)
            k = [_maanden_na_start(p, start) for p in MAANDEN]
            matrix[rows] = np.array([effect.at(m) for m in k])
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
    """Monthly buurt signals (``store.SIGNAL_COLUMNS``) for every delivered indicator.

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
        if card.code == "eigenaar_concentratie":
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
        if card.code == "arbeidsmigranten":  # a stock: smooth, autocorrelated, not Poisson
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
    return signals[store.SIGNAL_COLUMNS].reset_index(drop=True)


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
