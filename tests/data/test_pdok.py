"""CBS wijken en buurten from PDOK (OGC API and WFS) and the HTTP client, against a local server."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest

from dashboard.cli import main
from data import db, store
from data.sources.http import JsonClient
from data.sources.pdok import fetch_cbs_ogc, fetch_cbs_wfs, load_cbs_areas
from geo.areas import AREA_COLUMNS, normalise_areas
from geo.crs import RD
from geo.errors import InputError, SourceError
from tests.data.pdok_server import CBS, FIXTURES, WFS, PdokServer, running, serve_cbs, serve_wfs

BAARN = FIXTURES.parent / "cbs_buurt_2024_baarn_kerncijfers_wgs84.geojson"
BUURTEN = f"{CBS}/buurten/items"


@pytest.fixture
def pdok() -> Iterator[PdokServer]:
    yield from running()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[JsonClient]:
    with JsonClient(cache_dir=tmp_path / "cache", timeout=5, backoff=0.01) as c:
        yield c


def _baarn_rd() -> gpd.GeoDataFrame:
    return gpd.read_file(BAARN).set_crs("EPSG:4326", allow_override=True).to_crs(RD)


# --- OGC API -----------------------------------------------------------------------------------


def test_ogc_buurten_follow_next_links_across_hosts(pdok: PdokServer, client: JsonClient) -> None:
    serve_cbs(pdok)
    messages: list[str] = []
    raw = fetch_cbs_ogc(
        client,
        base=pdok.base,
        jaar=2024,
        collection="buurten",
        gemeente="gm0308",
        progress=messages.append,
    )
    assert messages == ["pagina 1: 8 buurten", "pagina 2: 16 buurten", "pagina 3: 21 buurten"]
    assert pdok.count(BUURTEN) == 3
    assert pdok.hosts == ["127.0.0.1", "localhost", "127.0.0.1"]  # page 2 came from "localhost"
    assert raw.crs.to_epsg() == 28992
    assert sorted(raw["buurtcode"]) == sorted(_baarn_rd()["buurtcode"])


def test_ogc_request_asks_rd_and_filters_the_gemeente(pdok: PdokServer, client: JsonClient) -> None:
    serve_cbs(pdok)
    fetch_cbs_ogc(client, base=pdok.base, jaar=2024, collection="buurten", gemeente="GM0308")
    first = pdok.requests[0]
    assert first.startswith(f"{BUURTEN}?")
    assert "limit=1000" in first and "f=json" in first
    assert "gemeentecode=GM0308" in first
    assert "crs=http%3A%2F%2Fwww.opengis.net%2Fdef%2Fcrs%2FEPSG%2F0%2F28992" in first


def test_ogc_bbox_is_sent_in_rd_with_bbox_crs(pdok: PdokServer, client: JsonClient) -> None:
    pdok.add_file(f"{CBS}/wijken/items", "ogc_wijken_2024.json")
    bbox = (143_000.0, 464_000.0, 151_500.0, 471_700.0)
    raw = fetch_cbs_ogc(client, base=pdok.base, jaar=2024, collection="wijken", bbox=bbox)
    assert len(raw) == 5
    assert "bbox=143000.000%2C464000.000%2C151500.000%2C471700.000" in pdok.requests[0]
    assert "bbox-crs=http%3A%2F%2Fwww.opengis.net" in pdok.requests[0]


def test_load_cbs_areas_normalises_all_three_collections(
    pdok: PdokServer, client: JsonClient
) -> None:
    serve_cbs(pdok)
    areas = load_cbs_areas(client, base=pdok.base, jaar=2024, gemeente="GM0308")
    assert list(areas.columns) == AREA_COLUMNS
    assert areas.crs.to_epsg() == 28992
    assert areas["level"].value_counts().to_dict() == {"buurt": 21, "wijk": 5, "gemeente": 1}
    assert areas.loc[areas["code"] == "GM0308", "name"].item() == "Baarn"
    centrum = areas.set_index("code").loc["BU03080000"]
    assert centrum["name"] == "Centrum"
    assert centrum["inwoners"] == 1825
    assert centrum["parent_code"] == "WK030800"
    assert areas["woningen"].isna().all()  # -99995 in 2024: missing, never a number
    assert (areas["indeling_jaar"] == 2024).all()


def test_rd_geometry_matches_the_wgs84_source(pdok: PdokServer, client: JsonClient) -> None:
    serve_cbs(pdok)
    buurten = load_cbs_areas(
        client, base=pdok.base, jaar=2024, gemeente="GM0308", collections=["buurten"]
    )
    source = _baarn_rd().set_index("buurtcode").sort_index()
    ours = buurten.set_index("code").sort_index()
    shift = ours.geometry.centroid.distance(source.geometry.centroid)
    assert float(shift.max()) < 1.0  # metres
    assert abs(float(ours.area.sum()) / float(source.area.sum()) - 1) < 1e-3


# --- WFS ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "requests"), [(10, 3), (7, 4), (1000, 1)])
def test_wfs_pages_by_start_index(
    pdok: PdokServer, client: JsonClient, count: int, requests: int
) -> None:
    serve_wfs(pdok)
    raw = fetch_cbs_wfs(client, service=pdok.base, jaar=2024, collection="buurten", count=count)
    assert len(raw) == 21
    assert pdok.count(WFS) == requests
    starts = [re.search(r"startIndex=(\d+)", r).group(1) for r in pdok.requests]  # type: ignore[union-attr]
    assert starts == [str(count * i) for i in range(requests)]
    assert "aantalInwoners" in raw.columns
    assert raw.crs.to_epsg() == 28992


def test_wfs_camel_case_normalises_like_the_ogc_api(pdok: PdokServer, client: JsonClient) -> None:
    serve_wfs(pdok)
    serve_cbs(pdok)
    wfs = normalise_areas(
        fetch_cbs_wfs(client, service=pdok.base, jaar=2024, collection="buurten", count=10),
        jaar=2024,
    )
    ogc = load_cbs_areas(
        client, base=pdok.base, jaar=2024, gemeente="GM0308", collections=["buurten"]
    )
    assert list(wfs["code"]) == list(ogc["code"])
    assert wfs["inwoners"].tolist() == ogc["inwoners"].tolist()
    assert wfs["name"].tolist() == ogc["name"].tolist()


def test_wfs_gemeente_filter_is_a_fes_filter(pdok: PdokServer, client: JsonClient) -> None:
    serve_wfs(pdok)
    fetch_cbs_wfs(client, service=pdok.base, jaar=2024, collection="buurten", gemeente="GM0308")
    assert "PropertyIsEqualTo" in pdok.requests[0]
    assert "GM0308" in pdok.requests[0]


# --- errors, retries, cache --------------------------------------------------------------------


def test_500_then_200_is_retried(pdok: PdokServer, client: JsonClient) -> None:
    pdok.add(f"{CBS}/wijken/items", b"Internal Server Error", status=500, times=1)
    pdok.add_file(f"{CBS}/wijken/items", "ogc_wijken_2024.json")
    raw = fetch_cbs_ogc(client, base=pdok.base, jaar=2024, collection="wijken")
    assert len(raw) == 5
    assert pdok.count(f"{CBS}/wijken/items") == 2


def test_503_forever_gives_a_clear_dutch_error(pdok: PdokServer, client: JsonClient) -> None:
    pdok.add(BUURTEN, b"Service Unavailable", status=503)
    with pytest.raises(SourceError) as info:
        fetch_cbs_ogc(client, base=pdok.base, jaar=2024, collection="buurten")
    message = str(info.value)
    assert "PDOK is niet bereikbaar (HTTP 503" in message
    assert "probeer het later opnieuw of zet WIJKMONITOR_PDOK_API op een spiegel" in message
    assert pdok.count(BUURTEN) == 3


def test_timeout_is_retried_then_reported(pdok: PdokServer, tmp_path: Path) -> None:
    pdok.add_file(f"{CBS}/wijken/items", "ogc_wijken_2024.json", delay=1.5)
    with (
        JsonClient(cache_dir=tmp_path, timeout=0.2, tries=2, backoff=0.01) as slow,
        pytest.raises(SourceError, match=r"geen antwoord binnen 0\.2 s, 2 pogingen"),
    ):
        fetch_cbs_ogc(slow, base=pdok.base, jaar=2024, collection="wijken")
    assert pdok.count(f"{CBS}/wijken/items") == 2


def test_closed_port_is_reported_as_unreachable(tmp_path: Path) -> None:
    with PdokServer() as gone:
        base = gone.base
    with (
        JsonClient(cache_dir=tmp_path, timeout=1, tries=2, backoff=0.01) as c,
        pytest.raises(SourceError, match="PDOK is niet bereikbaar \\(verbinding mislukt"),
    ):
        fetch_cbs_ogc(c, base=base, jaar=2024, collection="buurten")


def test_unknown_year_is_bad_input_and_not_retried(pdok: PdokServer, client: JsonClient) -> None:
    with pytest.raises(InputError, match=r"indeling 2031.*kies een ander --jaar"):
        fetch_cbs_ogc(client, base=pdok.base, jaar=2031, collection="buurten")
    assert len(pdok.requests) == 1


def test_html_instead_of_json_is_a_source_error(pdok: PdokServer, client: JsonClient) -> None:
    pdok.add(BUURTEN, b"<html><body>Onderhoud</body></html>", headers={"Content-Type": "text/html"})
    with pytest.raises(SourceError, match="geen geldige JSON"):
        fetch_cbs_ogc(client, base=pdok.base, jaar=2024, collection="buurten")


def test_a_next_link_back_to_a_seen_page_stops_with_an_error(
    pdok: PdokServer, client: JsonClient
) -> None:
    page = {
        "type": "FeatureCollection",
        "features": [],
        "numberReturned": 0,
        "links": [{"rel": "next", "type": "application/geo+json", "href": "@@BASE@@" + BUURTEN}],
    }
    pdok.add(BUURTEN, json.dumps(page).encode())
    with pytest.raises(SourceError, match="terug"):
        fetch_cbs_ogc(client, base=pdok.base, jaar=2024, collection="buurten")


def test_empty_answer_for_a_gemeente_is_bad_input(pdok: PdokServer, client: JsonClient) -> None:
    empty = {"type": "FeatureCollection", "features": [], "numberReturned": 0, "links": []}
    pdok.add(BUURTEN, json.dumps(empty).encode())
    with pytest.raises(InputError, match="geen buurten van gemeente GM9999"):
        fetch_cbs_ogc(client, base=pdok.base, jaar=2024, collection="buurten", gemeente="GM9999")


def test_second_load_comes_from_the_cache(pdok: PdokServer, tmp_path: Path) -> None:
    serve_cbs(pdok)
    cache = tmp_path / "cache"
    with JsonClient(cache_dir=cache) as first:
        before = load_cbs_areas(first, base=pdok.base, jaar=2024, gemeente="GM0308")
    made = len(pdok.requests)
    assert made == 5  # gemeenten, wijken, three pages of buurten
    assert all(re.fullmatch(r"[0-9a-f]{64}\.json", p.name) for p in cache.iterdir())
    with JsonClient(cache_dir=cache) as second:
        after = load_cbs_areas(second, base=pdok.base, jaar=2024, gemeente="GM0308")
        assert second.requests_made == 0
    assert len(pdok.requests) == made
    assert after["code"].tolist() == before["code"].tolist()
    with JsonClient(cache_dir=cache, refresh=True) as fresh:
        load_cbs_areas(fresh, base=pdok.base, jaar=2024, gemeente="GM0308")
    assert len(pdok.requests) == 2 * made


# --- the command line --------------------------------------------------------------------------


def test_cli_areas_load_pdok(
    pdok: PdokServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    serve_cbs(pdok)
    monkeypatch.setenv("WIJKMONITOR_PDOK_API", pdok.base)
    monkeypatch.setenv("WIJKMONITOR_CACHE", str(tmp_path / "cache"))
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    code = main(["--db", url, "areas", "load", "pdok", "--jaar", "2024", "--gemeente", "GM0308"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "1 gemeente(n), 5 wijken, 21 buurten" in out
    assert "pagina 3: 21 buurten" in err
    engine = db.make_engine(url)
    stored = store.load_areas(engine, indeling_jaar=2024)
    engine.dispose()
    assert len(stored) == 27


def test_cli_areas_load_pdok_needs_a_year(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WIJKMONITOR_CACHE", str(tmp_path / "cache"))
    code = main(["--db", f"sqlite:///{tmp_path / 'x.db'}", "areas", "load", "pdok"])
    assert code == 2
    assert "--jaar" in capsys.readouterr().err


def test_cli_reports_pdok_down_with_exit_1(
    pdok: PdokServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pdok.add(f"{CBS}/gemeenten/items", b"Bad Gateway", status=400)
    monkeypatch.setenv("WIJKMONITOR_PDOK_API", pdok.base)
    monkeypatch.setenv("WIJKMONITOR_CACHE", str(tmp_path / "cache"))
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    code = main(["--db", url, "areas", "load", "pdok", "--jaar", "2024"])
    assert code == 1
    assert "PDOK weigerde het verzoek (HTTP 400" in capsys.readouterr().err
