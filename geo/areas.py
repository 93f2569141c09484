"""Normalise CBS area frames (every PDOK/CBS naming convention) into one shape.

The normalised frame, in RD New, has one row per area and the columns of ``AREA_COLUMNS``:
``code`` (``GM0983``, ``WK098325``, ``BU09832501``), ``name``, ``level`` (gemeente, wijk, buurt),
``parent_code`` (the wijk of a buurt, the gemeente of a wijk, empty for a gemeente),
``gemeentecode``, ``indeling_jaar`` and the key figures ``inwoners``, ``huishoudens``, ``woningen``,
``uitkeringen`` (missing as NA, never a CBS sentinel), plus ``opmerking`` (what was repaired).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.crs import RD, check_frame, to_rd
from geo.errors import InputError

LEVELS = ("gemeente", "wijk", "buurt")
KEY_FIGURES = ("inwoners", "huishoudens", "woningen", "uitkeringen")
AREA_COLUMNS = [
    "code",
    "name",
    "level",
    "parent_code",
    "gemeentecode",
    "indeling_jaar",
    *KEY_FIGURES,
    "opmerking",
    "geometry",
]
CBS_SENTINELS = (-99995, -99996, -99997, -99998, -99999)

_CODE = re.compile(r"^(GM|WK|BU)(\d{4}|\d{6}|\d{8})$")
_PREFIX_LEVEL = {"GM": "gemeente", "WK": "wijk", "BU": "buurt"}
_DIGITS = {"gemeente": 4, "wijk": 6, "buurt": 8}

# Column names are matched after lower-casing and dropping "_", so one alias covers the OGC API
# snake_case (aantal_inwoners), the WFS camelCase (aantalInwoners) and shapefile upper case.
_CODE_ALIASES = {
    "buurt": ("buurtcode", "bucode", "code"),
    "wijk": ("wijkcode", "wkcode"),
    "gemeente": ("gemeentecode", "gmcode"),
}
_NAME_ALIASES = {
    "buurt": ("buurtnaam", "bunaam"),
    "wijk": ("wijknaam", "wknaam"),
    "gemeente": ("gemeentenaam", "gmnaam"),
}
_FIGURE_ALIASES: dict[str, tuple[str, ...]] = {
    "inwoners": ("aantalinwoners", "aantinw", "inwoners"),
    "huishoudens": ("aantalhuishoudens", "aantalhh", "huishoudens"),
    "woningen": ("woningvoorraad", "woningen"),
}
# uitkeringen = personen met een AO-, WW-, bijstands- of AOW-uitkering (CBS kerncijfers).
_BENEFIT_ALIASES: tuple[tuple[str, ...], ...] = (
    ("aantalpersonenmeteenaouitkeringtotaal", "auaotot", "aouittot", "aouitkeringtotaal"),
    ("aantalpersonenmeteenwwuitkeringtotaal", "auwwtot", "wwuittot", "wwuitkeringtotaal"),
    (
        "aantalpersonenmeteenalgbijstandsuitkeringtot",
        "aantalpersonenmeteenalgemenebijstandsuitkeringtotaal",
        "aubijstot",
        "bijstand",
    ),
    ("aantalpersonenmeteenaowuitkeringtotaal", "auaowtot", "aowuittot", "aowuitkeringtotaal"),
)
_YEAR_ALIASES = ("jaar", "indelingjaar")

# Names of gemeenten the shipped generalised files do not carry (they only have statcode/statnaam).
KNOWN_GEMEENTE_NAMES: Mapping[str, str] = {
    "GM0983": "Venlo",
    "GM0889": "Beesel",
    "GM1894": "Peel en Maas",
    "GM0308": "Baarn",
}


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _find(columns: Mapping[str, str], aliases: Iterable[str]) -> str | None:
    for alias in aliases:
        if alias in columns:
            return columns[alias]
    return None


def parent_of(code: str) -> str:
    """Return the CBS parent code: ``BU09832501`` -> ``WK098325`` -> ``GM0983`` -> ``""``."""
    prefix, digits = code[:2], code[2:]
    if prefix == "BU":
        return "WK" + digits[:6]
    if prefix == "WK":
        return "GM" + digits[:4]
    return ""


def gemeente_of(code: str) -> str:
    """Return the gemeentecode that a BU/WK/GM code belongs to."""
    return "GM" + code[2:6]


def gemeente_codes(codes: pd.Series) -> pd.Series:
    """``gemeente_of`` for a column of BU/WK/GM codes."""
    return "GM" + codes.str[2:6]


def buurt_prefix(gemeente: str) -> str:
    """The start every buurtcode of ``gemeente`` shares: ``GM0983`` -> ``BU0983``."""
    return "BU" + gemeente[2:6]


def _clean_number(values: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce").astype("Float64")
    return numbers.mask(numbers.isin(CBS_SENTINELS) | (numbers < 0))


def _normalise_code(raw: object) -> str:
    text = str(raw).strip().upper() if raw is not None else ""
    return text[4:] if re.match(r"^\d{4}(GM|WK|BU)", text) else text  # jrstatcode "2024BU..."


def _level_codes(raw: gpd.GeoDataFrame, columns: Mapping[str, str]) -> tuple[pd.Series, str]:
    """Pick the code column of the finest level present; return codes and that level."""
    stat = _find(columns, ("statcode", "jrstatcode"))
    if stat is not None:
        codes = raw[stat].map(_normalise_code)
        return codes, ""
    for level in ("buurt", "wijk", "gemeente"):
        column = _find(columns, _CODE_ALIASES[level])
        if column is not None:
            return raw[column].map(_normalise_code), level
    raise InputError(
        "Geen kolom met gebiedscodes gevonden. Verwacht een van: statcode, buurtcode, BU_CODE, "
        "wijkcode, WK_CODE, gemeentecode, GM_CODE."
    )


def _names(raw: gpd.GeoDataFrame, columns: Mapping[str, str], level: str) -> pd.Series:
    column = _find(columns, ("statnaam", *(_NAME_ALIASES.get(level, ())), "naam", "name"))
    if column is None:
        return pd.Series([""] * len(raw), index=raw.index, dtype="object")
    names: pd.Series = raw[column].fillna("").astype(str).str.strip()
    return names


def _key_figures(raw: gpd.GeoDataFrame, columns: Mapping[str, str]) -> pd.DataFrame:
    figures = pd.DataFrame(index=raw.index)
    for figure, aliases in _FIGURE_ALIASES.items():
        column = _find(columns, aliases)
        figures[figure] = (
            _clean_number(raw[column])
            if column
            else pd.Series(pd.NA, index=raw.index, dtype="Float64")
        )
    parts = [_find(columns, aliases) for aliases in _BENEFIT_ALIASES]
    found = [p for p in parts if p is not None]
    direct = _find(columns, ("uitkeringen",))
    if direct:
        figures["uitkeringen"] = _clean_number(raw[direct])
    elif found:
        # A benefit total is only known when every part is known: a secret part makes it secret.
        block = pd.concat([_clean_number(raw[p]) for p in found], axis=1)
        figures["uitkeringen"] = block.sum(axis=1, min_count=len(found)).astype("Float64")
    else:
        figures["uitkeringen"] = pd.Series(pd.NA, index=raw.index, dtype="Float64")
    return figures


def _year(
    raw: gpd.GeoDataFrame, columns: Mapping[str, str], jaar: int | None, fallback: int | None
) -> int:
    if jaar is not None:
        return jaar
    column = _find(columns, _YEAR_ALIASES)
    if column is not None:
        years = pd.to_numeric(raw[column], errors="coerce").dropna().astype(int).unique()
        if len(years) == 1:
            return int(years[0])
    jr = _find(columns, ("jrstatcode",))
    if jr is not None:
        prefixes = raw[jr].astype(str).str[:4]
        if prefixes.str.isdigit().all() and prefixes.nunique() == 1:
            return int(prefixes.iloc[0])
    if fallback is not None:
        return fallback
    raise InputError("Het indelingsjaar staat niet in het bestand: geef het op met --jaar JJJJ.")


def year_in_name(name: str) -> int | None:
    """The one year (1990-2099) in a file name such as ``wijkenbuurten_2023_v1.gpkg``, or None."""
    years = set(re.findall(r"(?<!\d)((?:19|20)\d{2})(?!\d)", name))
    return int(years.pop()) if len(years) == 1 else None


def normalise_areas(
    raw: gpd.GeoDataFrame,
    *,
    jaar: int | None = None,
    gemeente: str | None = None,
    fallback_jaar: int | None = None,
) -> gpd.GeoDataFrame:
    """Turn a raw CBS/PDOK area frame (any level, any naming convention) into normalised rows.

    Parameters
    ----------
    raw : GeoDataFrame in any CRS (taken as WGS84 when it has none and looks like lon/lat).
    jaar : the indeling year; read from ``jaar``/``jrstatcode`` when not given.
    fallback_jaar : the year when neither ``jaar`` nor the file gives one (e.g. from the name).
    gemeente : keep only areas of this gemeentecode.

    Returns
    -------
    GeoDataFrame in EPSG:28992 with ``AREA_COLUMNS``; only the levels present in ``raw``.
    """
    if raw.empty:
        raise InputError("Het bestand bevat geen gebieden.")
    columns = {_norm(c): c for c in raw.columns if c != raw.geometry.name}
    codes, _ = _level_codes(raw, columns)
    bad = sorted({c for c in codes if not _CODE.match(c)})
    if bad:
        raise InputError(
            "Onbekende gebiedscodes (verwacht GM + 4, WK + 6 of BU + 8 cijfers).",
            [f"code {c!r}" for c in bad[:20]],
        )
    frame = to_rd(raw)
    out = pd.DataFrame({"code": codes.to_numpy()}, index=raw.index)
    out["level"] = out["code"].str[:2].map(_PREFIX_LEVEL)
    digits = out["code"].str.len() - 2
    if (digits != out["level"].map(_DIGITS)).any():
        raise InputError("Gebiedscodes hebben een verkeerde lengte voor hun niveau.")
    out["name"] = ""
    for level in LEVELS:
        mask = out["level"] == level
        if mask.any():
            out.loc[mask, "name"] = _names(raw.loc[mask], columns, level)
    out["parent_code"] = out["code"].map(parent_of)
    out["gemeentecode"] = out["code"].map(gemeente_of)
    out["indeling_jaar"] = _year(raw, columns, jaar, fallback_jaar)
    out = out.join(_key_figures(raw, columns))
    dupes = sorted(out.loc[out["code"].duplicated(), "code"].unique())
    if dupes:
        raise InputError("Dubbele gebiedscodes in het bestand.", [f"code {c}" for c in dupes[:20]])
    gdf = gpd.GeoDataFrame(out, geometry=frame.geometry.to_numpy(), crs=RD)
    if gemeente is not None:
        gdf = gdf[gdf["gemeentecode"] == gemeente.upper()]
        if gdf.empty:
            raise InputError(f"Het bestand bevat geen gebieden van gemeente {gemeente}.")
    gdf = gdf.assign(opmerking="")
    gdf = repair_geometries(gdf)
    return gdf[AREA_COLUMNS].sort_values("code").reset_index(drop=True)


def _polygonal(geom: BaseGeometry | None) -> BaseGeometry:
    """Keep only the polygonal parts of a (repaired) geometry; 3D coordinates are dropped."""
    if geom is None or geom.is_empty:
        return shapely.MultiPolygon()
    geom = shapely.force_2d(geom)
    if not geom.is_valid:
        try:
            geom = shapely.make_valid(geom)
        except shapely.errors.GEOSException:  # GEOS 3.14 fails on some quantised shapes
            geom = shapely.make_valid(geom, method="structure", keep_collapsed=False)
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.unary_union(parts) if parts else shapely.MultiPolygon()


def repair_geometries(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Make every geometry valid and polygonal; note in ``opmerking`` what was repaired or empty.

    Areas with an empty geometry are kept (their figures still count), never dropped.
    """
    check_frame(gdf, crs=RD, columns=["opmerking"])
    original = gdf.geometry
    repaired = gpd.GeoSeries([_polygonal(g) for g in original], index=gdf.index, crs=RD)
    empty_in = original.isna() | original.is_empty
    fixed = ~empty_in & ~original.is_valid
    notes = gdf["opmerking"].astype(str).copy()
    notes[empty_in] = "lege geometrie in bron"
    notes[fixed] = "ongeldige geometrie hersteld"
    notes[~empty_in & repaired.is_empty] = "geometrie onbruikbaar (leeg na herstel)"
    return gdf.set_geometry(repaired).assign(opmerking=notes.to_numpy())


def remove_overlaps(buurten: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Make buurt polygons disjoint: where buurten overlap, the lower buurtcode keeps the overlap.

    Input and output: GeoDataFrame in EPSG:28992 with ``code``; row order and index are kept.
    """
    check_frame(buurten, crs=RD, columns=["code"])
    order = np.argsort(buurten["code"].to_numpy(), kind="stable")
    geoms = buurten.geometry.to_numpy().copy()
    tree = shapely.STRtree(geoms)
    taken_by: dict[int, list[int]] = {}
    left, right = tree.query(geoms, predicate="intersects")
    rank = np.empty(len(order), dtype=int)
    rank[order] = np.arange(len(order))
    for i, j in zip(left, right, strict=True):
        if rank[j] < rank[i]:
            taken_by.setdefault(int(i), []).append(int(j))
    for i in order:  # lower codes first, so earlier results are already disjoint
        others = taken_by.get(int(i))
        if others:
            cut = shapely.difference(geoms[i], shapely.union_all(geoms[others]))
            geoms[i] = _polygonal(cut)
    return buurten.set_geometry(gpd.GeoSeries(geoms, index=buurten.index, crs=RD))


def dissolve_levels(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Complete the hierarchy of one indeling: wijk and gemeente rows from their buurten.

    Wijk and gemeente geometry become the union of their (overlap-free) buurten, so that every
    buurt lies inside its wijk; names come from wijk/gemeente rows in ``areas`` where present.
    Key figures of a wijk or gemeente keep the delivered value and otherwise sum the buurten
    (missing only when every buurt is missing). Input and output in EPSG:28992, ``AREA_COLUMNS``.
    """
    check_frame(areas, crs=RD, columns=AREA_COLUMNS)
    buurten = remove_overlaps(areas[areas["level"] == "buurt"])
    given = areas[areas["level"] != "buurt"].set_index("code")
    rows: list[gpd.GeoDataFrame] = [buurten]
    for level, key in (("wijk", "parent_code"), ("gemeente", "gemeentecode")):
        if buurten.empty:
            break
        groups = buurten.groupby(key)
        geoms = gpd.GeoSeries(
            {code: shapely.union_all(part.geometry.to_numpy()) for code, part in groups}, crs=RD
        )
        sums = groups[list(KEY_FIGURES)].sum(min_count=1)
        derived = gpd.GeoDataFrame(sums, geometry=geoms.reindex(sums.index), crs=RD)
        derived.index.name = "code"
        derived = derived.reset_index()
        derived["level"] = level
        derived["parent_code"] = derived["code"].map(parent_of)
        derived["gemeentecode"] = derived["code"].map(gemeente_of)
        derived["indeling_jaar"] = int(buurten["indeling_jaar"].iloc[0])
        derived["opmerking"] = ""
        names: dict[str, str] = given["name"].to_dict() if "name" in given else {}
        derived["name"] = [names.get(code, "") for code in derived["code"]]
        for figure in KEY_FIGURES:
            delivered = derived["code"].map(given[figure]) if figure in given else None
            if delivered is not None:
                derived[figure] = delivered.astype("Float64").fillna(derived[figure])
        rows.append(derived)
    derived_codes = set().union(*(set(r["code"]) for r in rows))
    rows.append(given[~given.index.isin(derived_codes)].reset_index())
    result = pd.concat(rows, ignore_index=True)
    missing_names = (result["level"] == "gemeente") & (result["name"] == "")
    result.loc[missing_names, "name"] = result.loc[missing_names, "code"].map(
        lambda c: KNOWN_GEMEENTE_NAMES.get(c, f"Gemeente {c}")
    )
    missing_names = result["name"] == ""
    result.loc[missing_names, "name"] = result.loc[missing_names, "code"]
    out = gpd.GeoDataFrame(result, geometry="geometry", crs=RD)
    return out[AREA_COLUMNS].sort_values("code").reset_index(drop=True)
