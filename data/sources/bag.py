"""BAG verblijfsobjecten: from the PDOK OGC API (per bbox) or from a BAG GeoPackage download.

Both return a plain DataFrame with ``data.store.ADDRESS_COLUMNS``: ``bag_id`` (16 digits,
zero-padded), ``postcode``, ``huisnummer``, ``huisletter``, ``toevoeging``, ``gebruiksdoel``
(comma separated), ``oppervlakte``, ``pand_id`` (16 digits or missing), ``bouwjaar``,
``status``, and ``x``/``y`` in EPSG:28992 (metres, rounded to millimetres).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from data.sources.http import JsonClient
from data.sources.pdok import RD_URI, BBox, Progress, fetch_ogc_features
from data.store import ADDRESS_COLUMNS
from geo.crs import RD, to_rd
from geo.errors import InputError

BAG_PATH = "/kadaster/bag/ogc/v2/collections"
PAGE_SIZE = 1000
MAX_PROBLEMS = 50

# Matched after lower-casing and dropping everything but letters and digits, so "pand.href",
# "pand_identificatie" and "PandIdentificatie" all find their column.
_ALIASES: Mapping[str, tuple[str, ...]] = {
    "bag_id": (
        "identificatie",
        "verblijfsobjectidentificatie",
        "verblijfsobjectid",
        "vboidentificatie",
        "vboid",
        "bagid",
    ),
    "postcode": ("postcode",),
    "huisnummer": ("huisnummer",),
    "huisletter": ("huisletter",),
    "toevoeging": ("toevoeging", "huisnummertoevoeging"),
    "gebruiksdoel": ("gebruiksdoel", "gebruiksdoelen", "gebruiksdoelverblijfsobject"),
    "oppervlakte": ("oppervlakte", "oppervlakteverblijfsobject"),
    "pand_ref": ("pandhref", "pandidentificatie", "pandidentificaties", "pandid", "pand"),
    "bouwjaar": ("oorspronkelijkbouwjaar", "bouwjaar", "pandbouwjaar"),
    "status": ("status", "verblijfsobjectstatus"),
}
_DIGITS16 = re.compile(r"^\d{1,16}$")
_POSTCODE = re.compile(r"^\d{4}[A-Z]{2}$")


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _pick(raw: pd.DataFrame, aliases: tuple[str, ...]) -> pd.Series | None:
    columns = {_norm(str(c)): c for c in raw.columns}
    for alias in aliases:
        if alias in columns:
            return raw[columns[alias]]
    return None


# --- value cleaning --------------------------------------------------------------------------------


def _first(value: Any) -> Any:
    if isinstance(value, list | tuple | np.ndarray):
        return value[0] if len(value) else None
    return value


def _text(value: Any) -> str | None:
    value = _first(value)
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def bag_id16(value: Any) -> str | None:
    """A BAG object id as 16 digits (``983010000012345`` -> ``0983010000012345``), or None.

    Takes integers (leading zero lost), strings, ``NL.IMBAG.Verblijfsobject.0983...`` and URLs.
    """
    value = _first(value)
    whole = isinstance(value, float | np.floating) and float(value).is_integer()
    if isinstance(value, int | np.integer) or whole:
        value = str(int(value))
    text = _text(value)
    if text is None:
        return None
    last = re.split(r"[./]", text.split("?")[0].rstrip("/"))[-1]
    return last.zfill(16) if _DIGITS16.match(last) else None


def _ref(value: Any) -> str | None:
    """The last path part of a pand reference (``pand.href`` URL, identificatie)."""
    text = _text(value)
    if text is None:
        return None
    return text.split("?")[0].rstrip("/").rsplit("/", 1)[-1] or None


def _gebruiksdoel(value: Any) -> str | None:
    if isinstance(value, list | tuple | np.ndarray):
        value = ",".join(str(v).strip() for v in value if v is not None)
    text = _text(value)
    return None if text is None else text[:200]


def _postcode(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    text = text.replace(" ", "").upper()
    return text if _POSTCODE.match(text) else None


def _short(value: Any, length: int) -> str | None:
    text = _text(value)
    return None if text is None else text[:length]


def _integers(values: pd.Series | None, index: pd.Index) -> pd.Series:
    if values is None:
        return pd.Series(pd.NA, index=index, dtype="Int64")
    numbers = pd.to_numeric(values.map(_first), errors="coerce")
    return numbers.where(numbers.notna() & (numbers % 1 == 0)).astype("Int64")


def _map(values: pd.Series | None, index: pd.Index, func: Any) -> pd.Series:
    if values is None:
        return pd.Series([None] * len(index), index=index, dtype="object")
    return values.map(func).astype("object")


# --- frames ------------------------------------------------------------------------------------------


def _xy(raw: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    frame = to_rd(raw)
    geoms = frame.geometry.to_numpy()
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    points = geoms.copy()
    not_point = usable & (shapely.get_type_id(geoms) != 0)
    points[not_point] = shapely.point_on_surface(geoms[not_point])
    x = np.full(len(geoms), np.nan)
    y = np.full(len(geoms), np.nan)
    x[usable] = np.round(shapely.get_x(points[usable]), 3)
    y[usable] = np.round(shapely.get_y(points[usable]), 3)
    return x, y


def raw_addresses(raw: gpd.GeoDataFrame) -> pd.DataFrame:
    """Map a raw verblijfsobject frame (any CRS) to ``ADDRESS_COLUMNS`` plus ``pand_ref``.

    ``pand_ref`` is the last path part of the pand reference as given (a 16-digit identificatie,
    or the UUID of the API's ``pand.href``); ``pand_id`` keeps it only when it is 16 digits.
    """
    idx = raw.index
    out = pd.DataFrame(index=idx)
    out["bag_id"] = _map(_pick(raw, _ALIASES["bag_id"]), idx, bag_id16)
    out["postcode"] = _map(_pick(raw, _ALIASES["postcode"]), idx, _postcode)
    out["huisnummer"] = _integers(_pick(raw, _ALIASES["huisnummer"]), idx)
    out["huisletter"] = _map(_pick(raw, _ALIASES["huisletter"]), idx, lambda v: _short(v, 1))
    out["toevoeging"] = _map(_pick(raw, _ALIASES["toevoeging"]), idx, lambda v: _short(v, 4))
    out["gebruiksdoel"] = _map(_pick(raw, _ALIASES["gebruiksdoel"]), idx, _gebruiksdoel)
    oppervlakte = _pick(raw, _ALIASES["oppervlakte"])
    out["oppervlakte"] = (
        np.nan if oppervlakte is None else pd.to_numeric(oppervlakte, errors="coerce").astype(float)
    )
    out["pand_ref"] = _map(_pick(raw, _ALIASES["pand_ref"]), idx, _ref)
    out["pand_id"] = out["pand_ref"].map(bag_id16).astype("object")
    out["bouwjaar"] = _integers(_pick(raw, _ALIASES["bouwjaar"]), idx)
    out["status"] = _map(_pick(raw, _ALIASES["status"]), idx, lambda v: _short(v, 80))
    out["x"], out["y"] = _xy(raw)
    return out


def checked(addresses: pd.DataFrame, *, source: str) -> pd.DataFrame:
    """Refuse rows without a valid ``bag_id`` or location; drop repeats of the same ``bag_id``.

    Raises InputError naming ``source``, the row (1-based) and the column of every problem.
    Returns ``ADDRESS_COLUMNS`` with a fresh index.
    """
    problems = [
        f"{source}, rij {i + 1}, kolom identificatie: geen BAG-id van 16 cijfers"
        for i in np.flatnonzero(addresses["bag_id"].isna().to_numpy())
    ]
    problems += [
        f"{source}, rij {i + 1}, kolom geometrie: geen punt"
        for i in np.flatnonzero((addresses["x"].isna() | addresses["y"].isna()).to_numpy())
    ]
    if problems:
        more = len(problems) - MAX_PROBLEMS
        shown = problems[:MAX_PROBLEMS] + ([f"... en nog {more} problemen"] if more > 0 else [])
        raise InputError("Verblijfsobjecten zonder BAG-id of locatie; niets geladen.", shown)
    unique = addresses.drop_duplicates("bag_id", keep="last")
    return unique[ADDRESS_COLUMNS].reset_index(drop=True)


def empty_addresses() -> pd.DataFrame:
    """An empty frame with ``ADDRESS_COLUMNS``."""
    return pd.DataFrame({c: pd.Series(dtype="object") for c in ADDRESS_COLUMNS})


# --- GeoPackage ------------------------------------------------------------------------------------


def _vbo_layer(path: Path) -> str:
    try:
        layers = [str(name) for name, _geom in pyogrio.list_layers(path)]
    except pyogrio.errors.DataSourceError as exc:
        raise InputError(f"{path.name}: geen leesbare GeoPackage ({exc}).") from exc
    for name in layers:
        if name.lower() in ("verblijfsobject", "verblijfsobjecten"):
            return name
    raise InputError(
        f"{path.name}: geen laag 'verblijfsobject' (lagen: {', '.join(layers) or 'geen'}). "
        "Gebruik de BAG-GeoPackage van PDOK."
    )


def read_verblijfsobjecten(path: Path, *, bbox: BBox | None = None) -> pd.DataFrame:
    """Read the ``verblijfsobject`` layer of a BAG GeoPackage, optionally only within ``bbox``.

    Parameters
    ----------
    path : the GeoPackage (e.g. PDOK's ``bag-light.gpkg``), any layer CRS.
    bbox : (minx, miny, maxx, maxy) in EPSG:28992 metres; read with the file's spatial index.

    Returns
    -------
    DataFrame with ``ADDRESS_COLUMNS`` (x/y in EPSG:28992). Column names in the file may vary;
    ``pand_identificatie`` and ``oorspronkelijk_bouwjaar``/``bouwjaar`` are used when present.
    """
    if not path.is_file():
        raise InputError(f"Bestand niet gevonden: {path}")
    if path.suffix.lower() != ".gpkg":
        raise InputError(f"{path.name}: verwacht een BAG-GeoPackage (.gpkg) of 'pdok'.")
    layer = _vbo_layer(path)
    info = pyogrio.read_info(path, layer=layer)
    wanted = {alias for aliases in _ALIASES.values() for alias in aliases}
    columns = [str(f) for f in info["fields"] if _norm(str(f)) in wanted]
    raw = gpd.read_file(
        path,
        layer=layer,
        columns=columns,
        bbox=_layer_bbox(bbox, info.get("crs")),
        engine="pyogrio",
    )
    if raw.empty:
        return empty_addresses()
    return checked(raw_addresses(raw), source=path.name)


def _layer_bbox(bbox: BBox | None, layer_crs: str | None) -> BBox | None:
    if bbox is None or layer_crs is None:
        return bbox
    box = gpd.GeoSeries([shapely.box(*bbox)], crs=RD).to_crs(layer_crs)
    minx, miny, maxx, maxy = (float(v) for v in box.total_bounds)
    return (minx, miny, maxx, maxy)


# --- OGC API -------------------------------------------------------------------------------------


def _bbox_params(bbox: BBox) -> dict[str, str]:
    return {
        "f": "json",
        "limit": str(PAGE_SIZE),
        "bbox": ",".join(f"{v:.3f}" for v in bbox),
        "bbox-crs": RD_URI,
        "crs": RD_URI,
    }


def fetch_panden(
    client: JsonClient, *, base: str, bbox: BBox, progress: Progress | None = None
) -> pd.DataFrame:
    """Panden within ``bbox`` (EPSG:28992) from the BAG OGC API.

    Returns ``pand_ref`` (the feature id that ``pand.href`` links to, and the identificatie:
    one row for each), ``pand_id`` and ``bouwjaar``.
    """
    url = f"{base.rstrip('/')}{BAG_PATH}/pand/items"
    raw = fetch_ogc_features(client, url, _bbox_params(bbox), noun="panden", progress=progress)
    if raw.empty:
        return pd.DataFrame(columns=["pand_ref", "pand_id", "bouwjaar"])
    ids = _map(_pick(raw, ("identificatie",)), raw.index, bag_id16)
    years = _integers(_pick(raw, _ALIASES["bouwjaar"]), raw.index)
    by_id = pd.DataFrame({"pand_ref": raw["_feature_id"].map(_ref), "pand_id": ids})
    by_ident = pd.DataFrame({"pand_ref": ids, "pand_id": ids})
    both = pd.concat([by_id.assign(bouwjaar=years), by_ident.assign(bouwjaar=years)])
    return both.dropna(subset=["pand_ref"]).drop_duplicates("pand_ref").reset_index(drop=True)


def fetch_verblijfsobjecten(
    client: JsonClient,
    *,
    base: str,
    bbox: BBox,
    panden: bool = True,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Verblijfsobjecten within ``bbox`` (EPSG:28992 metres) from the BAG OGC API.

    Pages by the ``next`` links (cursor paging). The API's Point geometry is lon/lat unless the
    ``crs`` parameter is honoured; both are handled. With ``panden``, the panden in the same
    bbox are fetched too, for each verblijfsobject's pand identificatie and bouwjaar (the API's
    verblijfsobject carries neither). Returns ``ADDRESS_COLUMNS`` (x/y in EPSG:28992).
    """
    url = f"{base.rstrip('/')}{BAG_PATH}/verblijfsobject/items"
    raw = fetch_ogc_features(
        client, url, _bbox_params(bbox), noun="verblijfsobjecten", progress=progress
    )
    if raw.empty:
        return empty_addresses()
    addresses = raw_addresses(raw)
    if panden:
        addresses = with_panden(addresses, fetch_panden(client, base=base, bbox=bbox))
    return checked(addresses, source="PDOK BAG")


def with_panden(addresses: pd.DataFrame, panden: pd.DataFrame) -> pd.DataFrame:
    """Fill ``pand_id`` and ``bouwjaar`` of ``addresses`` (with ``pand_ref``) from ``panden``."""
    lookup = panden.set_index("pand_ref")
    found = addresses["pand_ref"].map(lookup["pand_id"])
    years = addresses["pand_ref"].map(lookup["bouwjaar"])
    out = addresses.copy()
    out["pand_id"] = found.where(found.notna(), out["pand_id"]).astype("object")
    out["bouwjaar"] = pd.to_numeric(years, errors="coerce").astype("Int64").fillna(out["bouwjaar"])
    return out
