"""The GeoPackage export: layers, CRS, the contract's columns, and disclosure control kept."""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest

from dashboard.cli_report import cmd_export
from data import store
from data.db import make_engine
from data.demo.params import BEHANDELD, FASE2
from data.publication.export import VALUE_COLUMNS, export_gpkg, interventions_layer
from data.publication.read import open_publication
from data.settings import Settings
from geo.errors import InputError

GEMEENTE = "GM0889"  # Beesel: small, so the test stays fast


@pytest.fixture(scope="module")
def engine(demo_url: str):  # type: ignore[no-untyped-def]
    eng = make_engine(demo_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="module")
def gpkg(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The export as the command line writes it."""
    out = tmp_path_factory.mktemp("export") / "wijkmonitor.gpkg"
    args = argparse.Namespace(out=str(out), gemeente=[GEMEENTE])
    assert cmd_export(args, Settings(db_url=demo_url)) == 0
    return out


@pytest.fixture(scope="module")
def values(gpkg: Path) -> pd.DataFrame:
    return pyogrio.read_dataframe(gpkg, layer="indicatorwaarden")


def test_layers_and_crs(gpkg: Path) -> None:
    layers = dict(pyogrio.list_layers(gpkg))
    assert layers["buurten"] == "MultiPolygon"
    assert layers["interventies"] == "MultiPolygon"
    assert layers["indicatorwaarden"] is None  # an attribute table
    buurten = pyogrio.read_dataframe(gpkg, layer="buurten")
    assert buurten.crs.to_epsg() == 28992
    assert list(buurten.columns) == [
        "buurtcode",
        "buurtnaam",
        "wijkcode",
        "gemeentecode",
        "indeling_jaar",
        "inwoners",
        "woningen",
        "huishoudens",
        "uitkeringen",
        "geometry",
    ]
    assert len(buurten) == 8 and set(buurten["indeling_jaar"]) == {2014}
    info = subprocess.run(
        ["ogrinfo", "-so", str(gpkg), "buurten"], capture_output=True, text=True, check=True
    ).stdout
    assert "Amersfoort / RD New" in info and 'ID["EPSG",28992]' in info


def test_indicatorwaarden_columns_exactly(values: pd.DataFrame) -> None:
    assert list(values.columns) == VALUE_COLUMNS
    assert set(values["status"]) <= {"", "x", "."}
    assert set(values["periode"].str.len()) == {4, 7}  # YYYY, YYYY-MM and YYYY-Qn
    assert values["indicator"].nunique() == 13


def test_nothing_shown_where_withheld(values: pd.DataFrame) -> None:
    missing = values[values["status"] == "."]
    assert not missing.empty and missing[["teller", "noemer", "waarde"]].isna().all().all()
    secret = values[values["status"] == "x"]
    assert not secret.empty and secret["waarde"].isna().all()
    teller = values["teller"].dropna()
    assert not teller.between(1, 4).any()
    assert (teller % 5 == 0).all()
    rated = values[values["waarde"].notna()]
    assert (rated["status"] == "").all() and (rated["noemer"] >= 50).all()


def test_values_are_the_published_ones(engine, values: pd.DataFrame) -> None:  # type: ignore[no-untyped-def]
    pub = open_publication(engine, gemeenten=[GEMEENTE], indicators=["illegale_bewoning"])
    table = pub.rows("illegale_bewoning", gemeenten=[GEMEENTE])
    buurt_rows = table[table["level"] == "buurt"].rename(columns={"code": "buurtcode"})
    expected = buurt_rows.set_index(["buurtcode", "periode"])
    got = values[values["indicator"] == "illegale_bewoning"].set_index(["buurtcode", "periode"])
    assert len(got) == len(expected)
    published = expected[["status", "teller_publ", "waarde_publ"]].rename(
        columns={"status": "status_publ"}
    )
    joined = got.join(published)
    assert (joined["status"] == joined["status_publ"]).all()
    shown = joined[joined["status"] == ""]
    assert np.allclose(shown["teller"], shown["teller_publ"])
    assert np.allclose(shown["waarde"], shown["waarde_publ"], atol=1e-4, equal_nan=True)


def test_field_descriptions_and_style(gpkg: Path) -> None:
    with sqlite3.connect(gpkg) as conn:
        described = conn.execute(
            "SELECT column_name FROM gpkg_data_columns WHERE table_name = 'indicatorwaarden'"
        ).fetchall()
        style = conn.execute(
            "SELECT styleQML FROM layer_styles WHERE f_table_name = 'buurten'"
        ).fetchone()
    assert {c for (c,) in described} == set(VALUE_COLUMNS)
    assert style is not None and "buurtnaam" in style[0]


def test_no_address_data(gpkg: Path) -> None:
    with sqlite3.connect(gpkg) as conn:
        tables = [t for (t,) in conn.execute("SELECT table_name FROM gpkg_contents")]
        columns = {c[1] for t in tables for c in conn.execute(f'PRAGMA table_info("{t}")')}
    assert not columns & {"bag_id", "postcode", "huisnummer", "x", "y"}


def test_interventies_layer_unites_the_buurten(engine) -> None:  # type: ignore[no-untyped-def]
    venlo = store.load_areas(engine, indeling_jaar=2024, gemeenten=["GM0983"])
    layer = interventions_layer(store.load_interventions(engine), [venlo])
    assert layer.crs.to_epsg() == 28992
    row = layer.iloc[0]
    assert row["id"] == "venlo-klingerberg-2021" and row["start"] == "2021-09-01"
    assert row["eind"] is None and "politie" in row["partners"]
    buurten = venlo[venlo["code"].isin([*BEHANDELD, *FASE2])]  # both stages of the aanpak
    assert len(buurten) == 7
    assert row.geometry.area == pytest.approx(buurten.geometry.area.sum(), rel=1e-6)


def test_unknown_gemeente(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="GM9999"):
        export_gpkg(engine, tmp_path / "x.gpkg", gemeenten=["GM9999"])
    assert not list(tmp_path.iterdir())
