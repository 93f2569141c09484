"""Small cached loaders, one per need, keyed on plain values (URL, codes, indicator)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from data import db, store
from data.effects import effect_for_intervention
from data.rebase import signals_on_indeling
from data.settings import Settings, from_env
from geo.neighbours import neighbour_lists
from geo.simplify import simplify_coverage
from indicators.effects import EffectResult
from indicators.hotspots import hotspots
from indicators.publish import published_table
from indicators.rates import latest_deliveries


def settings() -> Settings:
    return from_env()


@st.cache_resource(show_spinner=False)
def engine(url: str) -> Engine:
    return db.make_engine(url)


@st.cache_data(show_spinner=False, ttl=600)
def gemeenten(url: str) -> pd.DataFrame:
    """Gemeenten in the database: code, name, indeling_jaar (latest indeling each)."""
    frame = store.load_areas(engine(url), levels=["gemeente"])
    frame = frame.sort_values("indeling_jaar").drop_duplicates("code", keep="last")
    return pd.DataFrame(frame[["code", "name", "indeling_jaar"]]).sort_values("name")


@st.cache_data(show_spinner=False, ttl=600)
def areas(url: str, gemeente: str, jaar: int) -> gpd.GeoDataFrame:
    """All areas of one gemeente and indeling, buurt geometry simplified for the map (RD)."""
    frame = store.load_areas(engine(url), indeling_jaar=jaar, gemeenten=[gemeente])
    return simplify_coverage(frame, tolerance_m=5.0)


@st.cache_data(show_spinner="Cijfers berekenen...", ttl=600)
def published(url: str, gemeente: str, jaar: int, indicator: str) -> pd.DataFrame:
    """The disclosed table of one gemeente and indicator, all period lengths: safe to show."""
    eng = engine(url)
    frame = areas(url, gemeente, jaar)
    return published_table(
        signals(url, gemeente, jaar)[0],
        store.load_deliveries(eng, gemeenten=[gemeente]),
        pd.DataFrame(frame.drop(columns="geometry")),
        indicator=indicator,
    )


@st.cache_data(show_spinner=False, ttl=600)
def signals(url: str, gemeente: str, jaar: int) -> tuple[pd.DataFrame, str]:
    """The gemeente's signals on indeling ``jaar`` (re-based where needed) and the note on it."""
    return signals_on_indeling(engine(url), gemeente=gemeente, jaar=jaar)


def disclosed(url: str, gemeente: str, jaar: int, indicator: str, granularity: str) -> pd.DataFrame:
    """One period length of ``published``."""
    table = published(url, gemeente, jaar, indicator)
    return table[table["granulariteit"] == granularity]


@st.cache_data(show_spinner=False, ttl=600)
def interventions(url: str) -> pd.DataFrame:
    return store.load_interventions(engine(url))


@st.cache_data(show_spinner=False, ttl=600)
def deliveries_summary(url: str, gemeente: str) -> pd.DataFrame:
    return latest_deliveries(store.load_deliveries(engine(url), gemeenten=[gemeente]))


@st.cache_data(show_spinner=False, ttl=600)
def meta(url: str, key: str) -> str:
    return store.get_meta(engine(url), key)


@st.cache_data(show_spinner="Hotspots berekenen...", ttl=600)
def hotspot_classes(
    url: str, gemeente: str, jaar: int, indicator: str, granularity: str, periode: str
) -> pd.DataFrame:
    """Gi* and local Moran classes of the published buurt values of one period."""
    table = disclosed(url, gemeente, jaar, indicator, granularity)
    rows = table[(table["level"] == "buurt") & (table["periode"] == periode)]
    values = rows.set_index("code")["waarde_publ"].astype(float)
    buurten = areas(url, gemeente, jaar)
    lists = neighbour_lists(buurten[buurten["level"] == "buurt"])
    return hotspots(values, lists, indicator=indicator)


@st.cache_data(show_spinner="Effect schatten (placebo-toetsen)...", ttl=600)
def effect(url: str, interventie: str, indicator: str, methode: str) -> EffectResult:
    """The effect estimate of an intervention on an indicator (see data.effects)."""
    return effect_for_intervention(engine(url), interventie, indicator, methode)


@st.cache_data(show_spinner="Briefing maken (PDF)...", ttl=600, max_entries=20)
def briefing(url: str, wijk: str, indicators: tuple[str, ...]) -> bytes:
    """The one-page wijkbriefing as PDF bytes (the same as `wijkmonitor report --wijk`)."""
    from dashboard.briefing import briefing_pdf

    with tempfile.TemporaryDirectory() as folder:
        out = briefing_pdf(engine(url), wijk=wijk, indicators=list(indicators), periode=None,
                           out=Path(folder) / "briefing.pdf")  # fmt: skip
        return out.read_bytes()
