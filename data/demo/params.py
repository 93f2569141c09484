"""The demo's parameters: what it is, the intervention and its true effect, the partner signals.

Everything here is a plain value or a pure function of them (no randomness, no database): the
generator (``data.demo.generate``) draws from these, the writer (``data.demo.venlo``) stores the
result. The true effect on ``illegale_bewoning`` in the catalogue's unit is
``EXPECTED_EFFECT_ILLEGALE_BEWONING``; see docs/demo.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np

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
FASE2 = ("BU09833101", "BU09833102", "BU09833103", "BU09833104", "BU09833105")  # Wijk 31
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
POSTCODE_LETTERS = "ABCEGHJKLMNPRTVWXZ"
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


def maanden_na_start(periode: str, start: date = INTERVENTIE_START) -> int:
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
        * (effect.at(maanden_na_start(p)) - 1.0)
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
    return float(
        np.mean(
            [
                rate * seizoen(indicator, p) * (effect.at(maanden_na_start(p, FASE2_START)) - 1.0)
                for p in post
            ]
        )
    )


# Per 1.000 woningen per month: -0.747 (see docs/demo.md).
EXPECTED_EFFECT_ILLEGALE_BEWONING: float = expected_effect("illegale_bewoning")
