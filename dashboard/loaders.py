"""Small cached loaders, one per need, keyed on plain values (URL, codes, indicator).

Cached results hold until the stored data changes: ``refresh`` (called on every run) compares
``data.meta.data_version`` with the version the caches were filled from, at most every 15 s,
and drops them all when it moved (an import from the CLI or the Data page, a purge, new areas).

The large ones (a cluster's inputs, its published indicator tables, the rows a page asks for)
share one budget in megabytes (``Settings.cache_mb``, WIJKMONITOR_CACHE_MB), not a count of
entries: a national table is 200 MB, a gemeente's under 1 MB. Nothing kept here is needed by
another replica: each fills its own from the database.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import geopandas as gpd
import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from data import db, store
from data import meta as stored_meta
from data.publication.cells import group_code
from data.publication.effects import effect_for_intervention
from data.publication.memory import TableMemory
from data.publication.power import PlannedPower, planned_power
from data.publication.read import ClusterPublication, open_publication
from data.publication.scope import Cluster, cluster_of
from data.settings import Settings, from_env
from geo.neighbours import neighbour_lists
from geo.simplify import MapLayer, map_coverage, simplify_coverage
from geo.simplify import map_layer as geo_map_layer
from indicators import catalogue, views
from indicators.composite import profile_rows
from indicators.effects import EffectResult
from indicators.hotspots import hotspots
from indicators.rates import latest_deliveries
from indicators.trends import disclosed_interval

T = TypeVar("T")


def settings() -> Settings:
    """The settings of this server process: parsed once per process and environment (cached in
    ``data.settings.from_env``, keyed on the WIJKMONITOR_* values, so that a test that changes
    the environment in the same process gets its own), like the engine per URL below."""
    return from_env()


@st.cache_resource(show_spinner=False)
def engine(url: str) -> Engine:
    return db.make_engine(url)


@st.cache_data(show_spinner=False, ttl=15)
def data_version(url: str) -> str:
    return stored_meta.data_version(engine(url))


@st.cache_resource(show_spinner=False)
def _filled_from() -> dict[str, str]:
    """Per database URL: the data version the caches of this server process were filled from."""
    return {}


@st.cache_resource(show_spinner=False)
def memory(budget_mb: int) -> TableMemory:
    """The budget of this server process for published tables, shared by every session."""
    return TableMemory(budget_mb * 1024 * 1024)


def _memory() -> TableMemory:
    return memory(settings().cache_mb)


def refresh(url: str) -> None:
    """Drop every cached table when the stored data changed since the caches were filled."""
    version = data_version(url)
    filled = _filled_from()
    if filled.setdefault(url, version) != version:
        st.cache_data.clear()
        _memory().clear()
        filled[url] = version


@st.cache_data(show_spinner=False)
def gemeenten(url: str) -> pd.DataFrame:
    """Gemeenten in the database: code, name, indeling_jaar (latest indeling each)."""
    frame = store.load_areas(engine(url), levels=["gemeente"])
    frame = frame.sort_values("indeling_jaar").drop_duplicates("code", keep="last")
    return pd.DataFrame(frame[["code", "name", "indeling_jaar"]]).sort_values("name")


@st.cache_data(show_spinner=False)
def areas(url: str, gemeente: str, jaar: int) -> gpd.GeoDataFrame:
    """All areas of one gemeente and indeling (RD), shared edges simplified at 5 m.

    For names, the hierarchy and the neighbour lists of the hotspot analysis; the maps take
    their geometry from ``map_layer``.
    """
    frame = store.load_areas(engine(url), indeling_jaar=jaar, gemeenten=[gemeente])
    return simplify_coverage(frame, tolerance_m=5.0)


@st.cache_data(show_spinner=False)
def map_layer(url: str, members: tuple[tuple[str, int], ...], level: str = "buurt") -> MapLayer:
    """Map geometry per zoom band of the ``level`` areas of (gemeente, indeling) ``members``."""
    eng = engine(url)
    frames = [
        store.load_areas(
            eng, indeling_jaar=jaar, gemeenten=[g for g, j in members if j == jaar], levels=[level]
        )
        for jaar in sorted({j for _, j in members})
    ]
    frame = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
    return geo_map_layer(map_coverage(frame))


@st.cache_data(show_spinner=False)
def area_names(url: str, members: tuple[tuple[str, int], ...]) -> pd.Series:
    """Names by code of every area of (gemeente, indeling) ``members``."""
    parts = [
        store.load_areas(
            engine(url), indeling_jaar=jaar, gemeenten=[g for g, j in members if j == jaar]
        )
        for jaar in sorted({j for _, j in members})
    ]
    frame = pd.concat(parts, ignore_index=True)
    names: pd.Series = frame.drop_duplicates("code").set_index("code")["name"]
    return names


def _publication(url: str, cluster: Cluster, version: str) -> ClusterPublication:
    """The publication of one cluster at one data version, shared by every session.

    Kept in the budget (its inputs counted); its indicators are published on first use and
    kept there too; a new data version is a new object.
    """
    mem = _memory()
    return mem.get_or_make(
        ("cluster", url, cluster, version),
        lambda: open_publication(engine(url), cluster=cluster, memory=mem),
    )


@st.cache_data(show_spinner=False)
def _cluster(url: str, gemeenten: tuple[str, ...]) -> Cluster:
    return cluster_of(engine(url), gemeenten=gemeenten)


def publication(url: str, gemeenten: tuple[str, ...]) -> ClusterPublication:
    """The one publication holding ``gemeenten``: every number a page shows comes from it."""
    return _publication(url, _cluster(url, gemeenten), data_version(url))


def published(url: str, gemeenten: tuple[str, ...], indicator: str) -> pd.DataFrame:
    """Published rows of one indicator for ``gemeenten`` (areas and group series, all periods).

    Shared by every session (kept in the budget); never change the frame returned.
    """
    key = ("rows", url, data_version(url), gemeenten, indicator)
    found = _memory().get(key)
    if found is not None:
        return found  # type: ignore[return-value]
    with st.spinner("Cijfers berekenen..."):
        return _memory().get_or_make(
            key, lambda: publication(url, gemeenten).rows(indicator, gemeenten=gemeenten)
        )


@st.cache_data(show_spinner=False)
def rebase_note(url: str, gemeente: str) -> str:
    """How the gemeente's signals were re-based onto its indeling ('' when not needed)."""
    return publication(url, (gemeente,)).note(gemeente)


def kept(key: tuple[object, ...], make: Callable[[], T]) -> T:
    """A value made from published rows, kept in the budget beside them until the data changes.

    ``key``: a name, the database URL, then everything the value depends on. Selecting from a
    published table costs 10-50 ms (text columns), a Plotly figure 30-50 ms; a page asks for
    the same ones on every run, and at 30 visitors those runs were most of the server's CPU
    (bench/load.py). Never change the value returned: every session shares it.
    """
    url = str(key[1])
    found = _memory().get_or_make((*key, data_version(url)), lambda: (make(),))
    return found[0]


def disclosed(url: str, gemeente: str, indicator: str, granularity: str) -> pd.DataFrame:
    """One period length of ``published`` for one gemeente: its buurten, wijken and itself."""

    def make() -> pd.DataFrame:
        table = published(url, (gemeente,), indicator)
        keep = (table["granulariteit"] == granularity) & (table["level"] != "groep")
        return table[keep]

    return kept(("disclosed", url, gemeente, indicator, granularity), make)


def map_rows(
    url: str,
    gemeente: str,
    jaar: int,
    indicator: str,
    granularity: str,
    periode: str,
    level: str,
    *,
    effort: bool = True,
) -> pd.DataFrame:
    """The rows of a gemeente map (``indicators.views.map_rows``) for every ``level`` area; with
    ``effort`` the inspection effort beside a hit indicator in the tooltip."""
    key = ("map_rows", url, gemeente, jaar, indicator, granularity, periode, level, effort)
    return kept(
        key, lambda: _map_rows(url, gemeente, jaar, indicator, granularity, periode, level, effort)
    )


def _map_rows(
    url: str,
    gemeente: str,
    jaar: int,
    indicator: str,
    granularity: str,
    periode: str,
    level: str,
    effort: bool,
) -> pd.DataFrame:
    table = disclosed(url, gemeente, indicator, granularity)
    effort_table = effort_rate = None
    if effort and catalogue.get(indicator).hit:
        effort_table = disclosed(url, gemeente, catalogue.CONTROLES, granularity)
        effort_rate = disclosed(
            url, gemeente, catalogue.ILLEGALE_BEWONING_PER_CONTROLE, granularity
        )
    shapes = areas(url, gemeente, jaar)
    values = views.map_frame(
        table,
        shapes.set_index("code")["name"],
        indicator=indicator,
        periode=periode,
        level=level,
        effort=effort_table,
        effort_rate=effort_rate,
    )
    return views.map_rows(shapes.loc[shapes["level"] == level, ["code", "name"]], values)


def key_figures(url: str, gemeente: str) -> tuple[str, str, pd.DataFrame] | None:
    """The gemeente's key figures (``indicators.views.KEY_INDICATORS``) in its latest year
    beside the year before: (year, year before, figures); None with fewer than two years."""
    return kept(("key_figures", url, gemeente), lambda: _key_figures(url, gemeente))


def _key_figures(url: str, gemeente: str) -> tuple[str, str, pd.DataFrame] | None:
    tables = {c: disclosed(url, gemeente, c, "jaar") for c in views.KEY_INDICATORS}
    years = views.periods_with_data(tables[catalogue.ILLEGALE_BEWONING])
    if len(years) < 2:
        return None
    figures = views.key_figures(tables, code=gemeente, periode=years[-1], vorige=years[-2])
    return years[-1], years[-2], figures


def region_rows(url: str, regio: str, members: tuple[str, ...], indicator: str) -> pd.DataFrame:
    """Published rows of a region: its own total and its gemeenten's areas, all periods."""
    return publication(url, members).rows(indicator, regio=regio)


def effort_lines(
    url: str, gemeente: str, granularity: str, areas: list[tuple[str, str]]
) -> tuple[list[tuple[str, pd.DataFrame]], list[tuple[str, pd.DataFrame]]]:
    """Per (name, code) of ``areas`` the chart line of ``controles`` and of hits per controle."""

    def make() -> tuple[list[tuple[str, pd.DataFrame]], list[tuple[str, pd.DataFrame]]]:
        effort = disclosed(url, gemeente, catalogue.CONTROLES, granularity)
        per_controle = disclosed(
            url, gemeente, catalogue.ILLEGALE_BEWONING_PER_CONTROLE, granularity
        )
        return views.area_lines(effort, areas), views.area_lines(per_controle, areas)

    return kept(("effort_lines", url, gemeente, granularity, tuple(areas)), make)


def trend(
    url: str, gemeente: str, indicator: str, granularity: str, areas: tuple[tuple[str, str], ...]
) -> tuple[list[tuple[str, pd.DataFrame]], pd.DataFrame]:
    """The trend chart's lines, per (name, code) of ``areas`` (the first with the interval of
    its rate), and the table under the chart."""

    def make() -> tuple[list[tuple[str, pd.DataFrame]], pd.DataFrame]:
        table = disclosed(url, gemeente, indicator, granularity)
        schaal = catalogue.get(indicator).schaal
        lines = [
            (
                name,
                disclosed_interval(views.series(table, code), schaal=schaal)
                if i == 0
                else views.series(table, code),
            )
            for i, (name, code) in enumerate(areas)
        ]
        return lines, views.series_table(lines)

    return kept(("trend", url, gemeente, indicator, granularity, areas), make)


def profile_years(url: str, gemeente: str) -> list[str]:
    """The years with data of the sporen overview (those of illegale bewoning)."""
    return kept(
        ("profile_years", url, gemeente),
        lambda: views.periods_with_data(
            disclosed(url, gemeente, catalogue.ILLEGALE_BEWONING, "jaar")
        ),
    )


def profile(url: str, gemeente: str, code: str, jaar: str) -> pd.DataFrame:
    """The sporen overview of ``code`` against its gemeente in ``jaar`` (``profile_rows``)."""
    return kept(
        ("profile", url, gemeente, code, jaar),
        lambda: profile_rows(
            year_tables(url, gemeente), code=code, gemeente=gemeente, periode=jaar
        ),
    )


def region_table(
    url: str, regio: str, members: tuple[str, ...], indicator: str, granularity: str
) -> tuple[pd.DataFrame, list[str]]:
    """A region's published rows of one period length, and the periods with data."""

    def make() -> tuple[pd.DataFrame, list[str]]:
        table = region_rows(url, regio, members, indicator)
        table = table[table["granulariteit"] == granularity]
        return table, views.periods_with_data(table)

    return kept(("region_table", url, regio, members, indicator, granularity), make)


def region_view(
    url: str,
    regio: str,
    indelingen: tuple[tuple[str, int], ...],
    indicator: str,
    granularity: str,
    periode: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The Regio page in one period: its table (one row per gemeente) and its map's rows."""

    def make() -> tuple[pd.DataFrame, pd.DataFrame]:
        members = tuple(g for g, _ in indelingen)
        table, _ = region_table(url, regio, members, indicator, granularity)
        names = gemeenten(url).set_index("code")["name"]
        rows = views.region_rows(
            table,
            list(members),
            {str(k): str(v) for k, v in names.items()},
            dict(indelingen),
            periode=periode,
        )
        buurten = table.loc[table["level"] == "buurt", ["code"]].drop_duplicates()
        values = views.map_frame(
            table, area_names(url, tuple(sorted(indelingen))), indicator=indicator, periode=periode
        )
        return rows, views.map_rows(buurten, values)

    return kept(("region_view", url, regio, indelingen, indicator, granularity, periode), make)


def year_tables(url: str, gemeente: str) -> dict[str, pd.DataFrame]:
    """The yearly disclosed table of every indicator of the catalogue, by code."""
    return {c: disclosed(url, gemeente, c, "jaar") for c in catalogue.CODES}


def group_lines(
    url: str, gemeente: str, indicator: str, granularity: str, interventie: str
) -> list[tuple[str, pd.DataFrame]]:
    """The published group series of an intervention (treated, comparison, ring), as chart lines
    named in Dutch; a group the publication does not hold is left out."""
    table = published(url, (gemeente,), indicator)
    table = table[(table["level"] == "groep") & (table["granulariteit"] == granularity)]
    codes = set(table["code"])
    roles = (("Behandeld", "behandeld"), ("Vergelijkingsbuurten", "controle"), ("Ring", "ring"))
    return [
        (name, views.series(table, group_code(interventie, rol)))
        for name, rol in roles
        if group_code(interventie, rol) in codes
    ]


@st.cache_data(show_spinner=False)
def interventions(url: str) -> pd.DataFrame:
    return store.load_interventions(engine(url))


@st.cache_data(show_spinner=False)
def deliveries_summary(url: str, gemeente: str) -> pd.DataFrame:
    return latest_deliveries(store.load_deliveries(engine(url), gemeenten=[gemeente]))


@st.cache_data(show_spinner=False)
def meta(url: str, key: str) -> str:
    return stored_meta.get_meta(engine(url), key)


@st.cache_data(show_spinner="Hotspots berekenen...")
def hotspot_classes(
    url: str, gemeente: str, jaar: int, indicator: str, granularity: str, periode: str
) -> pd.DataFrame:
    """Gi* and local Moran classes of the published buurt values of one period."""
    table = disclosed(url, gemeente, indicator, granularity)
    rows = table[(table["level"] == "buurt") & (table["periode"] == periode)]
    values = rows.set_index("code")["waarde_publ"].astype(float)
    buurten = areas(url, gemeente, jaar)
    lists = neighbour_lists(buurten[buurten["level"] == "buurt"])
    return hotspots(values, lists, indicator=indicator)


@st.cache_data(show_spinner="Effect schatten...")
def effect(
    url: str, gemeente: str, interventie: str, indicator: str, methode: str, periode_per: str
) -> EffectResult:
    """The effect of an intervention on an indicator, from the published group lines
    (``data.publication.effects``)."""
    pub = publication(url, (gemeente,))
    return effect_for_intervention(
        engine(url), interventie, indicator, methode, periode_per=periode_per, pub=pub
    )


@st.cache_data(show_spinner="Onderscheidingsvermogen berekenen...")
def power(url: str, gemeente: str, buurten: tuple[str, ...], indicator: str) -> PlannedPower:
    """How large an effect on ``buurten`` must be to be seen (``data.publication.power``)."""
    return planned_power(engine(url), list(buurten), indicator, pub=publication(url, (gemeente,)))


@st.cache_data(show_spinner="Briefing maken (PDF)...", max_entries=20)
def briefing(url: str, wijk: str, indicators: tuple[str, ...]) -> bytes:
    """The one-page wijkbriefing as PDF bytes (the same as `wijkmonitor report --wijk`)."""
    from dashboard.briefing import briefing_pdf

    with tempfile.TemporaryDirectory() as folder:
        out = briefing_pdf(
            engine(url),
            wijk=wijk,
            indicators=list(indicators),
            periode=None,
            out=Path(folder) / "briefing.pdf",
        )
        return out.read_bytes()
