"""The numbers of the PDF reports: one gemeente's rows of the publication of its cluster.

``GemeenteCijfers`` holds one gemeente's areas (on its indeling) and delivery records, and takes
every number from ``data.publication.read.ClusterPublication``. Every text it returns is a
published value written by ``format_cell`` ("x" and "." as the CBS writes them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd
from sqlalchemy import Engine

from dashboard.pdf.style import PARTNERS, nl_date
from data import meta, store
from data.publication.read import ClusterPublication, open_publication
from geo.errors import InputError
from indicators import catalogue
from indicators.disclosure import format_cell
from indicators.periods import granularity, label, months_of
from indicators.rates import latest_deliveries

EFFORT = catalogue.CONTROLES
PER_CONTROLE = catalogue.ILLEGALE_BEWONING_PER_CONTROLE
_PER_PERIOD = {"maand": "per maand", "kwartaal": "per kwartaal", "jaar": "per jaar"}


@dataclass
class GemeenteCijfers:
    """One gemeente in the publication of its cluster: its areas (on its indeling, with
    geometry for the maps), its delivery records (for the peildatum lines) and its published
    rows on demand."""

    code: str
    naam: str
    indeling_jaar: int
    areas: gpd.GeoDataFrame  # every level of the indeling, EPSG:28992
    deliveries: pd.DataFrame
    pub: ClusterPublication = field(repr=False)
    _tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def published(self, indicator: str) -> pd.DataFrame:
        """Published rows of ``indicator`` for this gemeente (areas and group series), cached."""
        if indicator not in self._tables:
            self._tables[indicator] = self.pub.rows(indicator, gemeenten=[self.code])
        return self._tables[indicator]

    def cell(self, indicator: str, code: str, periode: str) -> pd.Series | None:
        """The published row of one area and period, or None when the table has none."""
        table = self.published(indicator)
        rows = table[(table["code"] == code) & (table["periode"] == periode)]
        return None if rows.empty else rows.iloc[0]

    def value_text(self, indicator: str, code: str, periode: str) -> str:
        """The published rate of one cell as Dutch text, or "x" / "."."""
        cell = self.cell(indicator, code, periode)
        if cell is None:
            return "."
        return format_cell(cell["waarde_publ"], cell["status"])

    def per_controle_text(self, hit: str, code: str, periode: str) -> str:
        """Hits per 100 controles of a hit indicator, as Dutch text.

        ``illegale_bewoning`` has its own published indicator. For the other hit indicators the
        ratio is computed from the two published, rounded counts (marked with "*"), so it can
        never show more than those counts already do.
        """
        if hit == catalogue.ILLEGALE_BEWONING:
            return self.value_text(PER_CONTROLE, code, periode)
        hits, effort = self.cell(hit, code, periode), self.cell(EFFORT, code, periode)
        if hits is None or effort is None:
            return "."
        for status in (".", "x"):
            if status in (hits["status"], effort["status"]):
                return status
        count, visits = hits["teller_publ"], effort["teller_publ"]
        if pd.isna(count) or pd.isna(visits) or visits <= 0:
            return "."
        return format_cell(float(count) / float(visits) * 100.0, "") + "*"

    def names(self) -> dict[str, str]:
        return dict(zip(self.areas["code"], self.areas["name"], strict=True))


def gemeente_in(pub: ClusterPublication, code: str) -> GemeenteCijfers:
    """One gemeente of an open publication (InputError when it is not in that cluster)."""
    if code not in pub.cluster.gemeenten:
        raise InputError(f"Onbekende gemeente {code}: er zijn geen gebieden van geladen.")
    areas = gpd.GeoDataFrame(pub.data.areas[pub.data.areas["gemeentecode"] == code])
    own = areas[areas["code"] == code]
    naam = str(own["name"].iloc[0]) if not own.empty else code
    deliveries = pub.data.deliveries[pub.data.deliveries["gemeentecode"] == code]
    return GemeenteCijfers(code, naam, pub.cluster.jaar(code), areas, deliveries, pub)


def load_gemeente(engine: Engine, code: str, indicators: list[str]) -> GemeenteCijfers:
    """Open the publication of the gemeente's cluster with what the reports need."""
    if store.latest_indeling(engine, code) is None:
        raise InputError(f"Onbekende gemeente {code}: er zijn geen gebieden van geladen.")
    needed = sorted({*indicators, EFFORT, catalogue.ILLEGALE_BEWONING, PER_CONTROLE})
    pub = open_publication(engine, gemeenten=[code], indicators=needed)
    return gemeente_in(pub, code)


def check_indicators(indicators: list[str]) -> list[str]:
    """The codes in catalogue order of first mention, without repeats; InputError if unknown."""
    unknown = [c for c in indicators if c not in catalogue.CODES]
    if unknown:
        raise InputError(
            "Onbekende indicator(en): " + ", ".join(unknown),
            [f"kies uit: {', '.join(catalogue.CODES)}"],
        )
    if not indicators:
        raise InputError("Kies minstens één indicator (--indicator CODE).")
    return list(dict.fromkeys(indicators))


def check_period(periode: str | None) -> str | None:
    """``periode`` unchanged when it is ``YYYY``, ``YYYY-Qn`` or ``YYYY-MM``; InputError otherwise."""
    if periode is None:
        return None
    try:
        granularity(periode)
    except ValueError as exc:
        raise InputError(f"--periode {periode!r}: {exc}") from None
    return periode


def default_period(gemeenten: list[GemeenteCijfers], indicator: str) -> str:
    """The latest year in which any of the gemeenten has a delivered value of ``indicator``."""
    years: list[str] = []
    for gem in gemeenten:
        table = gem.published(indicator)
        rows = table[(table["granulariteit"] == "jaar") & (table["code"] == gem.code)]
        delivered = rows.loc[rows["status"] != ".", "periode"]
        years.extend(delivered if not delivered.empty else rows["periode"])
    if not years:
        raise InputError(f"Er zijn nog geen cijfers van {catalogue.get(indicator).naam}.")
    return str(max(years))


def unit_label(indicator: str, periode: str) -> str:
    """The unit of a published value, with the period length for counts over a stock."""
    card = catalogue.get(indicator)
    if card.noemer in catalogue.DENOMINATORS:
        return f"{card.eenheid} {_PER_PERIOD[granularity(periode)]}"
    return card.eenheid


def trend_periods(table: pd.DataFrame, codes: list[str], periode: str) -> list[str]:
    """Quarters up to the end of ``periode`` from the first one with a delivered value."""
    last_month = months_of(periode)[-1]
    rows = table[(table["granulariteit"] == "kwartaal") & table["code"].isin(codes)]
    rows = rows[rows["periode"].map(lambda p: months_of(p)[-1] <= last_month)]
    delivered = rows.loc[rows["status"] != ".", "periode"]
    if delivered.empty:
        return []
    return sorted(p for p in rows["periode"].unique() if p >= delivered.min())


def area_series(table: pd.DataFrame, code: str, periods: list[str]) -> pd.DataFrame:
    """``periode, waarde_publ, status`` of one area over ``periods`` (absent rows: ".")."""
    own = table[table["code"] == code].set_index("periode")
    out = pd.DataFrame({"periode": periods})
    out["waarde_publ"] = out["periode"].map(own["waarde_publ"]).astype(float)
    out["status"] = out["periode"].map(own["status"]).fillna(".")
    return out


def peildatum_text(engine: Engine) -> str:
    """The peildatum as 31-12-2024 (the meta value the dashboard shows, else the last delivery)."""
    stored = meta.get_meta(engine, "peildatum")
    if stored:
        return nl_iso(stored)
    found = meta.peildatum(engine)
    return "onbekend" if found is None else nl_date(found)


def nl_iso(value: str) -> str:
    """``2024-12-31`` -> ``31-12-2024``."""
    return "-".join(reversed(value[:10].split("-")))


def delivery_lines(deliveries: pd.DataFrame) -> list[str]:
    """Per partner: 'gemeente t/m dec 2024 (geleverd 31-12-2024)', sorted by partner."""
    latest = latest_deliveries(deliveries)
    lines = []
    for row in latest.to_dict("records"):
        when = pd.Timestamp(row["geleverd_op"])
        geleverd = "" if pd.isna(when) else f" (geleverd {nl_date(when)})"
        partner = PARTNERS.get(str(row["bron"]), str(row["bron"]))
        lines.append(f"{partner} t/m {label(str(row['laatste_maand']))}{geleverd}")
    return lines


def is_demo(engine: Engine) -> bool:
    return meta.get_meta(engine, "demo") == "1"
