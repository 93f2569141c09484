"""Validating partner deliveries (docs/contract.md, "Partner deliveries"): which kind a table is, and
every problem in it, each with its row and column.

Two kinds, told apart by their columns: buurt aggregates (``buurtcode, periode, indicator,
teller, bron`` + ``noemer``) and address findings (``datum, signaal, bron`` + a location +
``zaak_id``). The clean rows come back typed; a table with any problem is refused whole.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from pyproj import Transformer

from data.deliveries import parsers as p
from data.deliveries.checks import (
    Problems,
    check_duplicates,
    check_identity,
    check_missing,
    check_unknown,
    parse_column,
)
from data.deliveries.locate import POINT_COLUMNS, Locator
from data.deliveries.personal import check_personal
from data.deliveries.tables import columns_text
from geo.crs import RD, WGS84
from indicators import catalogue
from indicators.periods import granularity, months_of

AGGREGATEN = "buurtaggregaten"
BEVINDINGEN = "adresbevindingen"
ONBEKEND = "onbekend"

AGGREGATE_REQUIRED = ("buurtcode", "periode", "indicator", "teller", "bron")
AGGREGATE_COLUMNS = (*AGGREGATE_REQUIRED, "noemer")
FINDING_REQUIRED = ("datum", "signaal", "bron")
# Location methods in order of preference: the first one filled in on a row is used.
LOCATIONS: dict[str, tuple[str, ...]] = {
    "bag": ("bag_id",),
    "adres": ("postcode", "huisnummer"),
    "rd": ("x", "y"),
    "wgs84": ("lat", "lon"),
}
LOCATION_COLUMN = {"bag": "bag_id", "adres": "postcode", "rd": "x", "wgs84": "lat"}
FINDING_COLUMNS = (
    *FINDING_REQUIRED,
    "zaak_id",
    "bag_id",
    "postcode",
    "huisnummer",
    "huisletter",
    "toevoeging",
    "x",
    "y",
    "lat",
    "lon",
)
_AGGREGATE_MARKERS = frozenset(AGGREGATE_COLUMNS) - {"bron"}
_FINDING_MARKERS = frozenset(FINDING_COLUMNS) - {"bron"}
_TO_RD = Transformer.from_crs(WGS84, RD, always_xy=True)


@dataclass
class Validated:
    """The outcome of validating one table: its kind, the typed rows, and every problem."""

    soort: str
    rows: pd.DataFrame
    problemen: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)  # the problems without cell values

    @property
    def geldig(self) -> bool:
        return not self.problemen


def validate(
    frame: pd.DataFrame,
    *,
    bestand: str,
    known_buurten: Collection[str],
    today: date,
    locator: Locator | None = None,
    structural: Sequence[str] = (),
    known_words: frozenset[str] = frozenset(),
) -> Validated:
    """Validate a partner table read by ``data.tables`` (strings; index = spreadsheet row).

    Aggregate rows come back with ``rij, buurtcode, periode, indicator, teller, noemer, bron``;
    finding rows with ``rij, datum, periode, signaal, indicator, bron, zaak_id, bag_id, locatie,
    buurtcode, indeling_jaar, x, y`` (EPSG:28992), located by ``locator`` when given.
    ``structural`` holds problems found while reading (rows cut short and the like);
    ``known_words`` are words that are no person's name (those of the loaded area names).
    Personal data (a BSN, a name with a birth date) in any cell refuses the file unquoted.
    """
    problems = Problems(bestand, list(frame.columns), cells=frame)
    problems.extend(structural)
    reported = check_identity(frame, problems)
    frame = check_personal(frame, problems, known_words, reported)
    soort = _kind(frame, problems)
    rows = pd.DataFrame()
    if soort == AGGREGATEN:
        check_unknown(frame, AGGREGATE_COLUMNS, reported, problems)
        rows = _aggregates(frame, problems, known_buurten, today)
    elif soort == BEVINDINGEN:
        check_unknown(frame, FINDING_COLUMNS, reported, problems)
        rows = _findings(frame, problems, today, locator)
    return Validated(soort, rows, problems.messages(), problems.log_messages())


def _kind(frame: pd.DataFrame, problems: Problems) -> str:
    columns = set(frame.columns)
    aggregate, finding = sorted(columns & _AGGREGATE_MARKERS), sorted(columns & _FINDING_MARKERS)
    if aggregate and finding:
        problems.add(
            None,
            None,
            f"kolommen van buurtaggregaten ({columns_text(aggregate)}) en van adresbevindingen "
            f"({columns_text(finding)}) door elkaar. Lever elke soort in een eigen bestand.",
        )
        return ONBEKEND
    if aggregate:
        return AGGREGATEN
    if finding:
        return BEVINDINGEN
    problems.add(
        None,
        None,
        "onbekende soort levering. Buurtaggregaten hebben de kolommen "
        f"{columns_text(AGGREGATE_COLUMNS)}; adresbevindingen de kolommen datum, signaal, bron "
        "en een locatie (bag_id, postcode en huisnummer, x en y, of lat en lon).",
    )
    return ONBEKEND


def _parse_all(
    frame: pd.DataFrame, columns: dict[str, p.Parser], problems: Problems
) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for kolom, parse in columns.items():
        out[kolom] = (
            parse_column(frame, kolom, parse, problems)
            if kolom in frame.columns
            else pd.Series(None, index=frame.index, dtype="object")
        )
    return out


# --- buurt aggregates --------------------------------------------------------------------------


def _aggregates(
    frame: pd.DataFrame, problems: Problems, known: Collection[str], today: date
) -> pd.DataFrame:
    if not known:
        problems.add(
            None,
            "buurtcode",
            "er zijn nog geen buurten geladen: laad eerst gebieden met 'wijkmonitor areas load'.",
        )
    complete = check_missing(frame, AGGREGATE_REQUIRED, problems)
    columns: dict[str, p.Parser] = {
        "buurtcode": p.required(p.buurtcode(known)),
        "periode": p.required(p.periode(today)),
        "indicator": p.required(p.indicator),
        "teller": p.required(p.count),
        "noemer": p.optional(p.positive),
        "bron": p.required(p.bron),
    }
    out = _parse_all(frame, columns, problems)
    if not complete:
        return out
    teller = pd.to_numeric(out["teller"]).astype(float)
    noemer = pd.to_numeric(out["noemer"]).astype(float)
    for rij in out.index[teller > noemer]:
        problems.add(
            int(rij),
            "teller",
            f"teller ({teller[rij]:g}) is groter dan de noemer ({noemer[rij]:g}).",
        )
    needs_noemer = out["indicator"].eq(catalogue.EIGENAAR_CONCENTRATIE) & noemer.isna()
    for rij in out.index[needs_noemer]:
        problems.add(
            int(rij), "noemer", "eigenaar_concentratie wordt alleen met een noemer geleverd."
        )
    keys = out[["bron", "buurtcode", "periode", "indicator"]]
    check_duplicates(
        keys,
        problems,
        "zelfde bron, buurtcode, periode en indicator",
        usable=keys.notna().all(axis=1),
    )
    if problems:
        return out
    _check_overlap(out, problems)
    if problems:
        return out
    return out.assign(rij=out.index, teller=teller.astype("int64"), noemer=noemer)


def _check_overlap(out: pd.DataFrame, problems: Problems) -> None:
    """A month and the quarter or year around it, for the same bron, buurt and indicator,
    would be counted twice when periods are added up."""
    kinds = out["periode"].map(granularity)
    if kinds.nunique() < 2:
        return
    months = out.assign(maand=out["periode"].map(months_of)).explode("maand")
    keys = ["bron", "buurtcode", "indicator", "maand"]
    clash = months[months.duplicated(keys, keep=False)]
    first: dict[tuple[str, ...], tuple[int, str]] = {}
    reported: set[int] = set()
    for rij, *key, periode in clash[[*keys, "periode"]].itertuples(name=None):
        earlier = first.setdefault(tuple(key), (int(rij), str(periode)))
        if earlier[0] != rij and rij not in reported:
            reported.add(int(rij))
            problems.add(
                int(rij),
                "periode",
                f"periode {periode} overlapt met {earlier[1]} in rij {earlier[0]} (zelfde bron, "
                "buurtcode en indicator): lever per reeks één soort periode.",
            )


# --- address findings --------------------------------------------------------------------------


def _findings(
    frame: pd.DataFrame, problems: Problems, today: date, locator: Locator | None
) -> pd.DataFrame:
    complete = check_missing(frame, FINDING_REQUIRED, problems)
    if not any(all(c in frame.columns for c in cols) for cols in LOCATIONS.values()):
        problems.add(
            None,
            None,
            "geen locatiekolommen: geef bag_id, postcode en huisnummer, x en y, of lat en lon.",
        )
        complete = False
    columns: dict[str, p.Parser] = {
        "datum": p.required(p.datum(today)),
        "signaal": p.required(p.signaal),
        "bron": p.required(p.bron),
        "zaak_id": p.optional(p.zaak_id),
        "bag_id": p.optional(p.bag_id),
        "postcode": p.optional(p.postcode),
        "huisnummer": p.optional(p.huisnummer),
        "huisletter": p.optional(p.huisletter),
        "toevoeging": p.optional(p.toevoeging),
        "x": p.optional(p.rd(-7_000, 300_000, "x")),
        "y": p.optional(p.rd(289_000, 629_000, "y")),
        "lat": p.optional(p.within(50.7, 53.6, "Nederland (breedtegraad)")),
        "lon": p.optional(p.within(3.3, 7.3, "Nederland (lengtegraad)")),
    }
    out = _parse_all(frame, columns, problems)
    if not complete:
        return out
    out["methode"] = _location_methods(frame, problems)
    _wgs84_to_rd(out)
    clean = pd.Series(~out.index.isin(problems.rows()), index=out.index)
    if locator is not None and clean.any():
        _locate(out, clean, locator, problems)
    out["locatie"] = _location_keys(out)
    _finding_duplicates(out, problems, clean)
    if problems:
        return out
    return out.assign(
        rij=out.index,
        periode=[d.strftime("%Y-%m") for d in out["datum"]],
        indicator=out["signaal"].map(catalogue.SIGNAL_INDICATOR),
    )


def _location_methods(frame: pd.DataFrame, problems: Problems) -> pd.Series:
    """Per row the first location method whose columns are all filled in; report rows without."""

    filled = {
        kolom: frame[kolom] != "" if kolom in frame.columns else pd.Series(False, frame.index)
        for cols in LOCATIONS.values()
        for kolom in cols
    }
    methode = pd.Series(None, index=frame.index, dtype="object")
    for name, cols in LOCATIONS.items():
        full = filled[cols[0]] & filled[cols[-1]]
        methode = methode.where(methode.notna() | ~full, name)
    pairs = (
        ("postcode", "huisnummer"),
        ("huisnummer", "postcode"),
        ("x", "y"),
        ("y", "x"),
        ("lat", "lon"),
        ("lon", "lat"),
    )
    first = next(c for c in ("bag_id", "postcode", "x", "lat") if c in frame.columns)
    for rij in methode.index[methode.isna()]:
        half = next((b for a, b in pairs if filled[a][rij] and not filled[b][rij]), None)
        if half is not None:
            problems.add(int(rij), half, "waarde ontbreekt: de locatie is onvolledig.")
        else:
            problems.add(
                int(rij),
                first,
                "geen locatie: vul bag_id, postcode en huisnummer, x en y, of lat en lon in.",
            )
    return methode


def _wgs84_to_rd(out: pd.DataFrame) -> None:
    rows = out["methode"].eq("wgs84") & out["lat"].notna() & out["lon"].notna()
    if rows.any():
        x, y = _TO_RD.transform(
            out.loc[rows, "lon"].astype(float).to_numpy(),
            out.loc[rows, "lat"].astype(float).to_numpy(),
        )
        out.loc[rows, "x"] = x
        out.loc[rows, "y"] = y


def _locate(out: pd.DataFrame, clean: pd.Series, locator: Locator, problems: Problems) -> None:
    points = out.loc[clean, POINT_COLUMNS]
    located = locator.locate(points)
    bad = located.loc[located["fout"] != "", "fout"]
    for rij, fout in zip(bad.index.tolist(), bad.tolist(), strict=True):
        problems.add(int(rij), LOCATION_COLUMN[str(out.at[rij, "methode"])], str(fout))
    for column in ("bag_id", "x", "y", "buurtcode", "indeling_jaar"):
        out.loc[points.index, column] = located[column]


def _location_keys(out: pd.DataFrame) -> pd.Series:
    """A normalised location: ``bag:<id>`` when the address is known, else ``rd:<x>,<y>`` in
    whole metres, else ``adres:<postcode>|<nummer>|<letter>|<toevoeging>``."""

    def key(row: pd.Series) -> str:
        if isinstance(row["bag_id"], str):
            return f"bag:{row['bag_id']}"
        if row["methode"] == "adres":
            parts = (row["postcode"], row["huisnummer"], row["huisletter"], row["toevoeging"])
            return "adres:" + "|".join("" if v is None else str(v) for v in parts)
        if pd.notna(row["x"]) and pd.notna(row["y"]):
            return f"rd:{round(float(row['x']))},{round(float(row['y']))}"
        return ""

    if out.empty:
        return pd.Series(dtype="object")
    return out.apply(key, axis=1).astype("object")


def _finding_duplicates(out: pd.DataFrame, problems: Problems, clean: pd.Series) -> None:
    with_case = out["zaak_id"].notna()
    keys = pd.DataFrame(
        {
            "bron": out["bron"],
            "zaak_id": out["zaak_id"].where(with_case, ""),
            "locatie": out["locatie"].where(~with_case, ""),
            "datum": out["datum"].where(~with_case, None).astype("object"),
            "signaal": out["signaal"],
        }
    )
    check_duplicates(
        keys,
        problems,
        "zelfde bron, zaak_id en signaal (zonder zaak_id: zelfde bron, locatie, datum en signaal)",
        usable=clean,
    )
