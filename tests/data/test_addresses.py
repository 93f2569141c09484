"""data.addresses: upsert verblijfsobjecten and assign them to buurten for every indeling."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from sqlalchemy import Engine, select

from dashboard.cli import main
from dashboard.cli_areas import cmd_addresses_load
from data import db, store
from data.addresses.load import (
    gemeente_areas,
    load_addresses,
    reassign_addresses,
)
from data.settings import Settings
from geo.areas import AREA_COLUMNS, KEY_FIGURES
from geo.assign import assign_buurt, count_per_buurt
from geo.crs import RD
from geo.errors import InputError
from tests.data.pdok_server import BAG, PdokServer, running, serve_bag, serve_cbs

X0, Y0 = 200_000.0, 400_000.0


def _areas(jaar: int, squares: dict[str, shapely.Geometry]) -> gpd.GeoDataFrame:
    """Buurten of gemeente GM0001 (wijk WK000100) in ``AREA_COLUMNS``."""
    codes = list(squares)
    frame = pd.DataFrame(
        {
            "code": codes,
            "name": codes,
            "level": "buurt",
            "parent_code": "WK000100",
            "gemeentecode": "GM0001",
            "indeling_jaar": jaar,
            **{k: pd.Series([100.0] * len(codes), dtype="Float64") for k in KEY_FIGURES},
            "opmerking": "",
        }
    )
    return gpd.GeoDataFrame(frame, geometry=list(squares.values()), crs=RD)[AREA_COLUMNS]


def _two_indelingen(engine: Engine) -> None:
    """2023: two 100 x 100 m buurten side by side; 2024: the left one split in two."""
    store.save_areas(
        engine,
        _areas(
            2023,
            {
                "BU00010001": shapely.box(X0, Y0, X0 + 100, Y0 + 100),
                "BU00010002": shapely.box(X0 + 100, Y0, X0 + 200, Y0 + 100),
            },
        ),
    )
    store.save_areas(
        engine,
        _areas(
            2024,
            {
                "BU00010003": shapely.box(X0, Y0 + 50, X0 + 100, Y0 + 100),
                "BU00010002": shapely.box(X0 + 100, Y0, X0 + 200, Y0 + 100),
                "BU00010001": shapely.box(X0, Y0, X0 + 100, Y0 + 50),
            },
        ),
    )


def _addresses(points: dict[str, tuple[float, float]], **extra: object) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "bag_id": list(points),
            "x": [p[0] for p in points.values()],
            "y": [p[1] for p in points.values()],
        }
    )
    for column in store.ADDRESS_COLUMNS:
        if column not in frame:
            frame[column] = extra.get(column)
    return frame[store.ADDRESS_COLUMNS]


POINTS = {
    "0001010000000001": (X0 + 20, Y0 + 20),  # 2023: ...01; 2024: ...01
    "0001010000000002": (X0 + 20, Y0 + 80),  # 2023: ...01; 2024: ...03
    "0001010000000003": (X0 + 100, Y0 + 50),  # corner/edge point: lowest code, ...01
    "0001010000000004": (X0 + 150, Y0 + 50),  # ...02 in both
    "0001010000000005": (X0 + 500, Y0 + 50),  # outside every buurt
}


def _links(engine: Engine) -> dict[tuple[str, int], str]:
    with engine.connect() as conn:
        rows = conn.execute(select(db.address_buurten)).all()
    return {(r.bag_id, r.indeling_jaar): r.buurtcode for r in rows}


def _stored(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(select(db.addresses).order_by(db.addresses.c.bag_id)).all()
    return pd.DataFrame([r._asdict() for r in rows])


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = db.make_engine(db_url)
    yield engine
    engine.dispose()


def test_every_stored_indeling_gets_one_buurt_per_address(engine: Engine) -> None:
    _two_indelingen(engine)
    summary = load_addresses(engine, _addresses(POINTS, status="Verblijfsobject in gebruik"))
    assert summary.adressen == 5
    assert [(j.indeling_jaar, j.toegewezen, j.buiten) for j in summary.jaren] == [
        (2023, 4, 1),
        (2024, 4, 1),
    ]
    assert summary.jaren[0].buiten_voorbeelden == ("0001010000000005",)
    assert summary.buiten == 2
    assert _links(engine) == {
        ("0001010000000001", 2023): "BU00010001",
        ("0001010000000002", 2023): "BU00010001",
        ("0001010000000003", 2023): "BU00010001",
        ("0001010000000004", 2023): "BU00010002",
        ("0001010000000001", 2024): "BU00010001",
        ("0001010000000002", 2024): "BU00010003",
        ("0001010000000003", 2024): "BU00010001",
        ("0001010000000004", 2024): "BU00010002",
    }
    stored = _stored(engine)
    assert stored["bag_id"].tolist() == list(POINTS)  # the outside point is stored, not dropped


def test_loading_again_replaces_the_same_bag_id(engine: Engine) -> None:
    _two_indelingen(engine)
    load_addresses(engine, _addresses(POINTS, postcode="1234AB"))
    moved = {"0001010000000002": (X0 + 150, Y0 + 80), "0001010000000009": (X0 + 10, Y0 + 10)}
    summary = load_addresses(engine, _addresses(moved, postcode="9999ZZ"))
    assert summary.adressen == 2
    stored = _stored(engine).set_index("bag_id")
    assert len(stored) == 6
    assert stored.loc["0001010000000002", "postcode"] == "9999ZZ"
    assert stored.loc["0001010000000001", "postcode"] == "1234AB"
    links = _links(engine)
    assert links[("0001010000000002", 2023)] == "BU00010002"
    assert links[("0001010000000002", 2024)] == "BU00010002"
    assert len(links) == 10


def test_ids_as_integers_are_padded(engine: Engine) -> None:
    _two_indelingen(engine)
    frame = _addresses({"x": (X0 + 20, Y0 + 20)})
    frame["bag_id"] = [1010000000001]
    load_addresses(engine, frame)
    assert _stored(engine)["bag_id"].tolist() == ["0001010000000001"]


def test_refusals_write_nothing(engine: Engine) -> None:
    with pytest.raises(InputError, match="nog geen buurten"):
        load_addresses(engine, _addresses(POINTS))
    _two_indelingen(engine)
    with pytest.raises(InputError, match="Kolommen ontbreken"):
        load_addresses(engine, _addresses(POINTS).drop(columns=["x"]))
    bad = _addresses(POINTS)
    bad.loc[1, "bag_id"] = "abc"
    with pytest.raises(InputError) as info:
        load_addresses(engine, bad)
    assert info.value.problems == [
        "adressen, rij 2, kolom identificatie: geen BAG-id van 16 cijfers"
    ]
    assert _stored(engine).empty


def test_reassign_after_a_new_indeling(engine: Engine) -> None:
    store.save_areas(engine, _areas(2023, {"BU00010001": shapely.box(X0, Y0, X0 + 200, Y0 + 100)}))
    load_addresses(engine, _addresses(POINTS))
    _two_indelingen(engine)
    outcome = reassign_addresses(engine, indeling_jaar=2024)
    assert (outcome.toegewezen, outcome.buiten) == (4, 1)
    assert _links(engine)[("0001010000000002", 2024)] == "BU00010003"


def test_gemeente_areas_need_stored_gemeenten(engine: Engine) -> None:
    with pytest.raises(InputError, match="nog geen gemeenten"):
        gemeente_areas(engine)
    _two_indelingen(engine)
    gemeenten = gemeente_areas(engine)
    assert gemeenten["code"].tolist() == ["GM0001"]
    assert gemeenten.geometry.iloc[0].area == pytest.approx(20_000)
    with pytest.raises(InputError) as info:
        gemeente_areas(engine, ["GM0001", "gm0002"])
    assert info.value.problems == ["GM0002"]


# --- the command line against the fake PDOK ----------------------------------------------------


@pytest.fixture
def pdok() -> Iterator[PdokServer]:
    yield from running()


def _settings(url: str, pdok: PdokServer, tmp_path: Path) -> Settings:
    return Settings(db_url=url, pdok_api=pdok.base, cache_dir=str(tmp_path / "cache"))


def _baarn(url: str, pdok: PdokServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    serve_cbs(pdok)
    monkeypatch.setenv("WIJKMONITOR_PDOK_API", pdok.base)
    monkeypatch.setenv("WIJKMONITOR_CACHE", str(tmp_path / "cache"))
    assert (
        main(["--db", url, "areas", "load", "pdok", "--jaar", "2024", "--gemeente", "GM0308"]) == 0
    )


def test_cli_addresses_load_pdok(
    pdok: PdokServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    _baarn(url, pdok, tmp_path, monkeypatch)
    serve_bag(pdok)
    args = argparse.Namespace(source="pdok", gemeente=None, vernieuw=False)
    capsys.readouterr()
    assert cmd_addresses_load(args, _settings(url, pdok, tmp_path)) == 0
    out, err = capsys.readouterr()
    assert "Geladen: 26 verblijfsobjecten in GM0308" in out
    assert "1 verblijfsobjecten buiten GM0308 niet geladen" in out
    assert "indeling 2024: 26 toegewezen aan een buurt." in out
    assert "pagina 3: 27 verblijfsobjecten" in err
    engine = db.make_engine(url)
    links = pd.DataFrame(_links(engine).items(), columns=["key", "buurtcode"])
    engine.dispose()
    assert len(links) == 26
    assert links["buurtcode"].nunique() == 21  # the fixture puts at least one in every buurt

    before = pdok.count(BAG)
    assert cmd_addresses_load(args, _settings(url, pdok, tmp_path)) == 0
    assert pdok.count(BAG) == before  # from the cache
    refresh = argparse.Namespace(source="pdok", gemeente=["GM0308"], vernieuw=True)
    assert cmd_addresses_load(refresh, _settings(url, pdok, tmp_path)) == 0
    assert pdok.count(BAG) == 2 * before


def test_cli_addresses_load_geopackage_and_unknown_gemeente(
    pdok: PdokServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    _baarn(url, pdok, tmp_path, monkeypatch)
    path = tmp_path / "bag-light.gpkg"
    gpd.GeoDataFrame(
        {"identificatie": ["0308010000000001", "0308010000000002"], "bouwjaar": [1920, 1999]},
        geometry=[shapely.Point(147_418, 469_000), shapely.Point(100_000, 400_000)],
        crs=RD,
    ).to_file(path, layer="verblijfsobject", driver="GPKG", engine="pyogrio")
    settings = _settings(url, pdok, tmp_path)
    args = argparse.Namespace(source=str(path), gemeente="GM0308", vernieuw=False)
    assert cmd_addresses_load(args, settings) == 0
    assert "Geladen: 1 verblijfsobjecten in GM0308" in capsys.readouterr().out
    with pytest.raises(InputError, match="Gemeente niet geladen"):
        cmd_addresses_load(argparse.Namespace(source=str(path), gemeente="GM0983"), settings)


# --- the invariant on the demo -----------------------------------------------------------------


def test_demo_addresses_agree_with_assign_buurt_and_add_up(demo_url: str) -> None:
    engine = db.make_engine(demo_url)
    try:
        jaar = store.latest_indeling(engine, "GM0983")
        assert jaar is not None
        buurten = store.load_areas(
            engine, indeling_jaar=jaar, gemeenten=["GM0983"], levels=["buurt"]
        )
        stored = _stored(engine)
        links = pd.Series(
            {b: c for (b, j), c in _links(engine).items() if j == jaar}, name="buurtcode"
        )
    finally:
        engine.dispose()
    points = gpd.GeoDataFrame(
        stored[["bag_id"]], geometry=gpd.points_from_xy(stored["x"], stored["y"]), crs=RD
    )
    assigned = assign_buurt(points, buurten)
    venlo = assigned[assigned["bag_id"].isin(links.index)]
    assert len(venlo) > 40_000
    assert not venlo["buiten"].any()
    assert (venlo["buurtcode"].to_numpy() == links.loc[venlo["bag_id"]].to_numpy()).all()
    counts = count_per_buurt(venlo)
    assert counts.sum() == len(venlo)
    assert counts.to_dict() == links.value_counts().sort_index().to_dict()
