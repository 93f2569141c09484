"""Data glue for effect estimates: load what an intervention needs and estimate its effect.

Used by ``wijkmonitor effect`` and the dashboard's Interventies page. The arithmetic lives in
``indicators`` (comparison, effects, synth); this module only reads the database.
"""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import pandas as pd
from sqlalchemy import Connection, Engine

from data import store
from geo.errors import InputError
from indicators import catalogue
from indicators.comparison import MIN_NOEMER, choose_controls, ring_buurten
from indicators.effects import EffectResult, estimate_effect
from indicators.rates import indicator_table
from indicators.synth import estimate_synth

METHODES = ("did", "synth")
PANEL_COLUMNS = ["code", "periode", "teller", "noemer"]


def _month(value: date) -> str:
    return f"{value.year}-{value.month:02d}"


def _intervention(interventions: pd.DataFrame, interventie_id: str) -> pd.Series:
    found = interventions[interventions["id"] == interventie_id]
    if found.empty:
        known = ", ".join(interventions["id"]) or "geen"
        raise InputError(f"Onbekende interventie {interventie_id!r}; bekend: {known}.")
    row = found.iloc[0]
    if not row["buurtcodes"]:
        raise InputError(f"Interventie {interventie_id!r} heeft geen buurten.")
    return row


def _other_treated(interventions: pd.DataFrame, row: pd.Series) -> list[str]:
    """Buurten of other interventions in the same gemeente: not fit as comparison buurten."""
    gemeente = str(row["buurtcodes"][0])[2:6]
    others = interventions[interventions["id"] != row["id"]]
    codes = {c for codes in others["buurtcodes"] for c in codes if str(c)[2:6] == gemeente}
    return sorted(codes - set(row["buurtcodes"]))


def _panel(
    signals: pd.DataFrame, deliveries: pd.DataFrame, areas: pd.DataFrame, indicator: str
) -> pd.DataFrame:
    """Monthly buurt rows ``code, periode, teller, noemer`` of one indicator."""
    table = indicator_table(signals, deliveries, areas, indicator=indicator, granularity="maand")
    return table.loc[table["level"] == "buurt", PANEL_COLUMNS].reset_index(drop=True)


def _areas(
    engine: Engine | Connection, treated: list[str], interventie_id: str
) -> gpd.GeoDataFrame:
    """All areas of the treated buurten' gemeente in its latest stored indeling."""
    gemeente = "GM" + treated[0][2:6]
    jaar = store.latest_indeling(engine, gemeente)
    if jaar is None:
        raise InputError(f"Geen gebieden geladen voor gemeente {gemeente}.")
    areas = store.load_areas(engine, indeling_jaar=jaar, gemeenten=[gemeente])
    unknown = sorted(set(treated) - set(areas.loc[areas["level"] == "buurt", "code"]))
    if unknown:
        raise InputError(
            f"Buurten van {interventie_id} staan niet in indeling {jaar}: {', '.join(unknown)}."
        )
    return areas


def _panels(
    engine: Engine | Connection, areas: pd.DataFrame, card: catalogue.Indicator
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The indicator's monthly buurt panel, and the controles panel for hit indicators."""
    gemeente = str(areas["gemeentecode"].iloc[0])
    needed = ["illegale_bewoning", "controles"] if card.afgeleid else [card.code, "controles"]
    signals = store.load_signals(engine, gemeenten=[gemeente], indicators=needed)
    deliveries = store.load_deliveries(engine, gemeenten=[gemeente])
    panel = _panel(signals, deliveries, areas, card.code)
    effort = _panel(signals, deliveries, areas, "controles") if card.hit or card.afgeleid else None
    return panel, effort


def _controls(
    panel: pd.DataFrame,
    buurten: pd.DataFrame,
    treated: list[str],
    excluded: list[str],
    start: str,
    card: catalogue.Indicator,
) -> list[str]:
    pre = sorted(p for p in panel["periode"].unique() if p < start)
    figures = buurten[["code", "woningen", "inwoners"]].astype(
        {"woningen": float, "inwoners": float}
    )
    # A key-figure noemer (woningen, ...) must be 50 every month; a noemer that is itself a
    # monthly count (controles per buurt, a delivered noemer) 50 over the whole pre period.
    per_month = card.noemer in catalogue.DENOMINATORS
    return choose_controls(
        panel,
        treated,
        excluded,
        pre_periods=pre,
        key_figures=figures,
        min_noemer=MIN_NOEMER if per_month else MIN_NOEMER / max(len(pre), 1),
    )


# Housing pressure, never a target of enforcement: no 'did the aanpak lower it?' either.
NO_EFFECT_ANALYSIS = ("arbeidsmigranten",)


def effect_for_intervention(
    engine: Engine | Connection, interventie_id: str, indicator: str, methode: str = "did"
) -> EffectResult:
    """Estimate an intervention's effect on ``indicator`` from the stored data.

    The panel is the intervention's gemeente in its latest stored indeling; the ring comes from
    the buurt geometry (``ring_buurten``), the comparison buurten from ``choose_controls``
    (excluding the ring and the buurten of other interventions in that gemeente). Raises
    InputError for an unknown intervention, indicator or method.
    """
    if methode not in METHODES:
        raise InputError(f"Onbekende methode {methode!r}; kies uit {', '.join(METHODES)}.")
    try:
        card = catalogue.get(indicator)
    except KeyError as exc:
        raise InputError(str(exc.args[0])) from None
    if indicator in NO_EFFECT_ANALYSIS:
        raise InputError(
            f"Op {indicator} wordt geen effect van een aanpak geschat: het is een maat voor "
            "woondruk, nooit een doel of risicofactor van handhaving (PRINCIPLES)."
        )
    interventions = store.load_interventions(engine)
    row = _intervention(interventions, interventie_id)
    treated = sorted(str(c) for c in row["buurtcodes"])
    areas = _areas(engine, treated, interventie_id)
    buurten = gpd.GeoDataFrame(areas[areas["level"] == "buurt"])
    panel, effort = _panels(engine, areas, card)
    start = _month(row["start"])
    ring = ring_buurten(buurten, treated)
    excluded = [*ring, *_other_treated(interventions, row)]
    estimator = estimate_effect if methode == "did" else estimate_synth
    return estimator(
        panel,
        treated=treated,
        controls=_controls(panel, buurten, treated, excluded, start, card),
        ring=ring,
        start=start,
        end=None if row["eind"] is None else _month(row["eind"]),
        eenheid=card.eenheid,
        schaal=card.schaal,
        effort=effort,
        hoger_is_slechter=card.hoger_is_slechter,
        interventie=interventie_id,
        indicator=card.code,
    )
