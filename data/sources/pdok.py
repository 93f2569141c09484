"""CBS wijken en buurten live from PDOK: the OGC API Features and the WFS 2.0 service.

Both return raw GeoDataFrames in EPSG:28992 with the source's own property names (snake_case
from the OGC API, camelCase from the WFS), which ``geo.areas.normalise_areas`` accepts;
``load_cbs_areas`` returns them normalised. Paging follows the server's ``next`` links whatever
host they name (OGC API) or counts ``startIndex`` on (WFS). The paging and frame helpers here are
shared with ``data.sources.bag``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urljoin

import geopandas as gpd
import pandas as pd

from data.sources.http import JsonClient, JsonPage
from geo.areas import AREA_COLUMNS, normalise_areas
from geo.crs import RD, WGS84, to_rd
from geo.errors import InputError, SourceError

Progress = Callable[[str], None]
BBox = tuple[float, float, float, float]

RD_URI = "http://www.opengis.net/def/crs/EPSG/0/28992"
CBS_COLLECTIONS = ("gemeenten", "wijken", "buurten")
PAGE_SIZE = 1000  # the most PDOK gives per page, both OGC API and WFS
API_SETTING = "WIJKMONITOR_PDOK_API"
SERVICE_SETTING = "WIJKMONITOR_PDOK_SERVICE"


def _quiet(_message: str) -> None:
    return None


# --- shared: CRS, frames, paging -------------------------------------------------------------------


def declared_crs(page: JsonPage) -> str | None:
    """The CRS a page says it is in: the ``Content-Crs`` header, else a GeoJSON ``crs`` member."""
    name = page.content_crs
    if not name and isinstance(page.data, dict):
        member = page.data.get("crs")
        if isinstance(member, dict):
            name = str((member.get("properties") or {}).get("name", ""))
    if not name:
        return None
    if "28992" in name:
        return RD
    if "CRS84" in name.upper() or "4326" in name:
        return WGS84
    return None


def _detect_crs(frame: gpd.GeoDataFrame, declared: str | None) -> str:
    """Trust the coordinates over the declaration: RD metres never fit in lon/lat ranges."""
    geoms = frame.geometry
    if geoms.isna().all() or geoms.is_empty.all():
        return declared or RD
    minx, miny, maxx, maxy = geoms.total_bounds
    lonlat = minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90
    return WGS84 if lonlat else RD


def features_frame(features: Sequence[Mapping[str, Any]], declared: str | None) -> gpd.GeoDataFrame:
    """GeoJSON features as a GeoDataFrame in EPSG:28992; properties become columns as named.

    ``declared`` is the page's CRS (``declared_crs``); without one, or when the coordinates
    contradict it, lon/lat or RD is told apart by the coordinates' magnitude. Features without
    geometry are kept (geometry None).
    """
    if not features:
        return gpd.GeoDataFrame({"geometry": gpd.GeoSeries([], crs=RD)}, crs=RD)
    frame = gpd.GeoDataFrame.from_features(list(features))
    frame["_feature_id"] = [f.get("id") for f in features]
    frame = frame.set_crs(_detect_crs(frame, declared))
    return to_rd(frame)


def _next_link(page: JsonPage) -> str | None:
    links = page.data.get("links") if isinstance(page.data, dict) else None
    candidates = [
        link
        for link in links or []
        if isinstance(link, dict) and link.get("rel") == "next" and link.get("href")
    ]
    if not candidates:
        return None
    # Prefer the JSON variant when the server offers the next page in several formats.
    candidates.sort(key=lambda link: "json" not in str(link.get("type", "json")))
    return urljoin(page.url, str(candidates[0]["href"]))


def _features_of(page: JsonPage) -> list[Mapping[str, Any]]:
    data = page.data
    if not isinstance(data, dict) or not isinstance(data.get("features"), list):
        raise SourceError(
            f"PDOK gaf geen GeoJSON FeatureCollection terug ({page.url}). Controleer "
            f"{API_SETTING}/{SERVICE_SETTING}: wijst die naar een PDOK-server of spiegel?"
        )
    features: list[Mapping[str, Any]] = data["features"]
    return features


def ogc_pages(
    client: JsonClient,
    url: str,
    params: Mapping[str, str],
    *,
    noun: str,
    progress: Progress | None = None,
    mirror_setting: str = API_SETTING,
) -> Iterator[tuple[JsonPage, list[Mapping[str, Any]]]]:
    """Yield every page of an OGC API Features ``items`` request and its features.

    The first request is ``url`` with ``params``; then each ``rel="next"`` link, as given (any
    host, any cursor). ``progress`` receives ``"pagina 3: 3000 buurten"`` after each page.
    """
    say = progress or _quiet
    seen: set[str] = set()
    current: str | None = url
    query: Mapping[str, str] | None = params
    total = 0
    while current is not None:
        page = client.get_json(current, query, mirror_setting=mirror_setting)
        if page.url in seen:
            raise SourceError(f"PDOK verwijst bij het bladeren terug naar {page.url}.")
        seen.add(page.url)
        features = _features_of(page)
        total += len(features)
        say(f"pagina {len(seen)}: {total} {noun}")
        yield page, features
        current, query = _next_link(page), None


def fetch_ogc_features(
    client: JsonClient,
    url: str,
    params: Mapping[str, str],
    *,
    noun: str,
    progress: Progress | None = None,
) -> gpd.GeoDataFrame:
    """All features of an OGC API ``items`` request, every page, as one frame in EPSG:28992."""
    frames = [
        features_frame(features, declared_crs(page))
        for page, features in ogc_pages(client, url, params, noun=noun, progress=progress)
    ]
    return _concat(frames)


def _concat(frames: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    frames = [f for f in frames if not f.empty] or frames[:1]
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=RD)


# --- CBS wijken en buurten -------------------------------------------------------------------------


def _check_collection(collection: str) -> None:
    if collection not in CBS_COLLECTIONS:
        raise InputError(
            f"Onbekende collectie {collection!r}; kies uit {', '.join(CBS_COLLECTIONS)}."
        )


def cbs_items_url(base: str, jaar: int, collection: str) -> str:
    """The OGC API items URL of a CBS collection (gemeenten, wijken, buurten) of indeling ``jaar``."""
    _check_collection(collection)
    return f"{base.rstrip('/')}/cbs/wijken-en-buurten-{jaar}/ogc/v1/collections/{collection}/items"


def fetch_cbs_ogc(
    client: JsonClient,
    *,
    base: str,
    jaar: int,
    collection: str,
    gemeente: str | None = None,
    bbox: BBox | None = None,
    progress: Progress | None = None,
) -> gpd.GeoDataFrame:
    """Raw CBS areas of one collection from the OGC API, in EPSG:28992, snake_case properties.

    ``gemeente`` (``GM0308``) filters on ``gemeentecode``; ``bbox`` (RD metres) on location.
    """
    params = {"f": "json", "limit": str(PAGE_SIZE), "crs": RD_URI}
    if gemeente:
        params["gemeentecode"] = gemeente.upper()
    if bbox is not None:
        params["bbox"] = ",".join(f"{v:.3f}" for v in bbox)
        params["bbox-crs"] = RD_URI
    url = cbs_items_url(base, jaar, collection)
    try:
        frame = fetch_ogc_features(client, url, params, noun=collection, progress=progress)
    except SourceError as exc:
        if exc.status == 404:
            raise InputError(
                f"PDOK kent geen CBS-{collection} voor indeling {jaar} ({url}); kies een ander --jaar."
            ) from exc
        raise
    return _not_empty(frame, collection, jaar, gemeente)


def _not_empty(
    frame: gpd.GeoDataFrame, collection: str, jaar: int, gemeente: str | None
) -> gpd.GeoDataFrame:
    if frame.empty:
        where = f" van gemeente {gemeente}" if gemeente else ""
        raise InputError(
            f"PDOK gaf geen {collection}{where} in indeling {jaar}: controleer --gemeente en --jaar."
        )
    return frame.drop(columns=["_feature_id"], errors="ignore")


def _wfs_filter(gemeente: str) -> str:
    return (
        '<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0"><fes:PropertyIsEqualTo>'
        f"<fes:ValueReference>gemeentecode</fes:ValueReference><fes:Literal>{gemeente}"
        "</fes:Literal></fes:PropertyIsEqualTo></fes:Filter>"
    )


def fetch_cbs_wfs(
    client: JsonClient,
    *,
    service: str,
    jaar: int,
    collection: str,
    gemeente: str | None = None,
    count: int = PAGE_SIZE,
    progress: Progress | None = None,
) -> gpd.GeoDataFrame:
    """Raw CBS areas of one layer from the WFS 2.0 service, in EPSG:28992, camelCase properties.

    Pages by ``startIndex`` in steps of ``count`` until a page brings fewer than ``count``.
    """
    _check_collection(collection)
    say = progress or _quiet
    url = f"{service.rstrip('/')}/cbs/wijkenbuurten/{jaar}/wfs/v1_0"
    params = {
        "service": "WFS",
        "version": "2.0.0",
        "request": "GetFeature",
        "typeNames": f"wijkenbuurten:{collection}",
        "outputFormat": "application/json",
        "srsName": "EPSG:28992",
        "count": str(count),
    }
    if gemeente:
        params["FILTER"] = _wfs_filter(gemeente.upper())
    frames: list[gpd.GeoDataFrame] = []
    start, number = 0, 0
    while True:
        try:
            page = client.get_json(
                url, {**params, "startIndex": str(start)}, mirror_setting=SERVICE_SETTING
            )
        except SourceError as exc:
            if exc.status == 404:
                raise InputError(
                    f"PDOK heeft geen WFS wijken en buurten voor {jaar} ({url}); kies een ander --jaar."
                ) from exc
            raise
        features = _features_of(page)
        frames.append(features_frame(features, declared_crs(page) or RD))
        start, number = start + len(features), number + 1
        say(f"pagina {number}: {start} {collection}")
        if len(features) < count:
            break
    return _not_empty(_concat(frames), collection, jaar, gemeente)


def load_cbs_areas(
    client: JsonClient,
    *,
    base: str,
    jaar: int,
    gemeente: str | None = None,
    collections: Sequence[str] = CBS_COLLECTIONS,
    progress: Progress | None = None,
) -> gpd.GeoDataFrame:
    """Gemeenten, wijken and buurten of indeling ``jaar`` from the OGC API, normalised.

    Returns a GeoDataFrame in EPSG:28992 with ``geo.areas.AREA_COLUMNS`` (all collections
    together, sorted by code); ``gemeente`` limits it to one gemeente.
    """
    say = progress or _quiet
    frames = []
    for collection in collections:
        say(f"PDOK: CBS-{collection} {jaar} ophalen")
        raw = fetch_cbs_ogc(
            client, base=base, jaar=jaar, collection=collection, gemeente=gemeente, progress=say
        )
        frames.append(normalise_areas(raw, jaar=jaar, gemeente=gemeente))
    areas = pd.concat(frames, ignore_index=True)
    out = gpd.GeoDataFrame(areas, geometry="geometry", crs=RD)
    return out[AREA_COLUMNS].sort_values("code").reset_index(drop=True)
