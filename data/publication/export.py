"""The GeoPackage export for QGIS (``wijkmonitor export``), disclosure control applied.

Layers (docs/contract.md): ``buurten`` (polygons, EPSG:28992, codes, names, CBS key figures),
``indicatorwaarden`` (an attribute table: ``buurtcode, periode, indicator, teller, noemer,
waarde, status`` for every indicator and every period length, buurt level) and ``interventies``
(the union of each intervention's buurten). Every gemeente is exported in its latest stored
indeling. Numbers come from the publication (``data.publication.read``) only; no address data.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine

from data import store
from data.publication.read import ClusterPublication, open_publication
from data.publication.scope import stored_clusters
from geo.crs import RD
from geo.errors import InputError
from indicators import catalogue

VALUE_COLUMNS = ["buurtcode", "periode", "indicator", "teller", "noemer", "waarde", "status"]
BUURT_COLUMNS = [
    "buurtcode",
    "buurtnaam",
    "wijkcode",
    "gemeentecode",
    "indeling_jaar",
    "inwoners",
    "woningen",
    "huishoudens",
    "uitkeringen",
]
INTERVENTION_COLUMNS = ["id", "naam", "soort", "start", "eind", "partners"]


def export_gpkg(engine: Engine, out: Path, *, gemeenten: Sequence[str] | None = None) -> Path:
    """Write the GeoPackage to ``out`` (replaced whole, never half-written) and return it.

    ``gemeenten``: gemeentecodes to export (default: every gemeente in the database). Raises
    InputError for a gemeente without areas or an empty database.
    """
    codes = _gemeenten(engine, gemeenten)
    wanted = [code for code, _ in codes]
    found = [c for c in stored_clusters(engine) if set(c.gemeenten) & set(wanted)]
    frames, values = [], []
    for cluster in found:
        pub = open_publication(engine, cluster=cluster)
        own = [g for g in cluster.gemeenten if g in wanted]
        areas = pub.data.areas
        frames.append(gpd.GeoDataFrame(areas[areas["gemeentecode"].isin(own)]))
        values.append(indicator_values(pub, own))
    buurten = buurten_layer(frames)
    values_frame = pd.concat(values, ignore_index=True)
    areas = frames
    interventies = interventions_layer(store.load_interventions(engine), areas)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(suffix=".gpkg", dir=out.parent)
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        tmp.unlink()
        _write_layers(tmp, buurten, values_frame, interventies)
        write_metadata(tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def _gemeenten(engine: Engine, wanted: Sequence[str] | None) -> list[tuple[str, int]]:
    """(gemeentecode, latest indeling_jaar) for the wanted or all stored gemeenten."""
    stored = store.load_areas(engine, levels=["gemeente"])
    latest = stored.groupby("gemeentecode")["indeling_jaar"].max().astype(int).to_dict()
    if not latest:
        raise InputError("De database bevat nog geen gebieden: niets te exporteren.")
    codes = sorted(latest) if not wanted else [c.strip().upper() for c in wanted]
    unknown = [c for c in codes if c not in latest]
    if unknown:
        raise InputError(
            "Onbekende gemeente(n) voor de export: " + ", ".join(unknown),
            [f"geladen: {', '.join(sorted(latest))}"],
        )
    return [(c, latest[c]) for c in dict.fromkeys(codes)]


def buurten_layer(areas: Sequence[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """The buurten of every exported gemeente: ``BUURT_COLUMNS`` and polygons in EPSG:28992."""
    frames = [a[a["level"] == "buurt"] for a in areas]
    buurten = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    out = pd.DataFrame(
        {
            "buurtcode": buurten["code"].astype(str),
            "buurtnaam": buurten["name"].astype(str),
            "wijkcode": buurten["parent_code"].astype(str),
            "gemeentecode": buurten["gemeentecode"].astype(str),
            "indeling_jaar": buurten["indeling_jaar"].astype("int32"),
        }
    )
    for figure in ("inwoners", "woningen", "huishoudens", "uitkeringen"):
        out[figure] = pd.to_numeric(buurten[figure]).round().astype("Int64")
    geometry = gpd.GeoSeries(buurten["geometry"].to_numpy(), crs=RD)
    return gpd.GeoDataFrame(out, geometry=geometry, crs=RD).sort_values(
        "buurtcode", ignore_index=True
    )


def indicator_values(pub: ClusterPublication, gemeenten: Sequence[str]) -> pd.DataFrame:
    """``VALUE_COLUMNS`` of every indicator and period length for the buurten of ``gemeenten``:
    their published rows, as the publication has them (``wijkmonitor publish``)."""
    tables = [
        published_values(pub.rows(code, gemeenten=gemeenten, levels=["buurt"]))
        for code in catalogue.CODES
    ]
    return pd.concat(tables, ignore_index=True)


def published_values(table: pd.DataFrame) -> pd.DataFrame:
    """Published buurt rows as export rows: the publication's numbers, unchanged (NULL where
    not shown)."""
    return pd.DataFrame(
        {
            "buurtcode": table["code"].astype(str).to_numpy(),
            "periode": table["periode"].astype(str).to_numpy(),
            "indicator": table["indicator"].astype(str).to_numpy(),
            "teller": pd.array(np.round(table["teller_publ"].to_numpy(dtype=float)), dtype="Int64"),
            "noemer": table["noemer_publ"].to_numpy(dtype=float),
            "waarde": table["waarde_publ"].to_numpy(dtype=float),
            "status": table["status"].astype(str).to_numpy(),
        }
    )[VALUE_COLUMNS]


def interventions_layer(
    interventions: pd.DataFrame, areas: Sequence[gpd.GeoDataFrame]
) -> gpd.GeoDataFrame:
    """One row per intervention with a buurt among the exported ones: its buurten united."""
    shapes: dict[str, BaseGeometry] = {}
    for frame in areas:
        buurten = frame[frame["level"] == "buurt"]
        shapes.update(zip(buurten["code"], buurten.geometry, strict=True))
    rows: list[dict[str, object]] = []
    geometries: list[BaseGeometry] = []
    for row in interventions.to_dict("records"):
        found = [shapes[c] for c in row["buurtcodes"] if c in shapes]
        if not found:
            continue
        eind = row["eind"]
        rows.append(
            {
                "id": row["id"],
                "naam": row["naam"],
                "soort": row["soort"],
                "start": pd.Timestamp(row["start"]).date().isoformat(),
                "eind": None
                if eind is None or pd.isna(eind)
                else pd.Timestamp(eind).date().isoformat(),
                "partners": ", ".join(row["partners"]),
            }
        )
        geometries.append(shapely.union_all(found))
    frame = pd.DataFrame(rows, columns=INTERVENTION_COLUMNS)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometries, crs=RD), crs=RD)


def _write_layers(
    path: Path, buurten: gpd.GeoDataFrame, values: pd.DataFrame, interventies: gpd.GeoDataFrame
) -> None:
    options = {"SPATIAL_INDEX": "YES"}
    pyogrio.write_dataframe(
        buurten,
        path,
        layer="buurten",
        driver="GPKG",
        promote_to_multi=True,
        dataset_options={"VERSION": "1.3"},  # older QGIS/GDAL (3.6) read 1.4 only partly
        layer_options={**options, "DESCRIPTION": "Buurten (CBS / Kadaster) met kerncijfers"},
    )
    pyogrio.write_dataframe(
        values,
        path,
        layer="indicatorwaarden",
        driver="GPKG",
        append=False,
        layer_options={"DESCRIPTION": "Gepubliceerde indicatorwaarden per buurt en periode"},
    )
    pyogrio.write_dataframe(
        interventies,
        path,
        layer="interventies",
        driver="GPKG",
        promote_to_multi=True,
        geometry_type="MultiPolygon",
        layer_options={**options, "DESCRIPTION": "Interventies: hun buurten samengevoegd"},
    )


def layer_names(path: Path) -> list[str]:
    """The layer names in a GeoPackage (for messages and tests)."""
    return [str(name) for name, _ in pyogrio.list_layers(path)]


# --- field descriptions and a QGIS style ---------------------------------------------------------

FIELD_DOCS: dict[str, dict[str, tuple[str, str]]] = {
    "buurten": {
        "buurtcode": ("Buurtcode", "CBS-buurtcode (BU + 8 cijfers)"),
        "buurtnaam": ("Buurtnaam", "Naam van de buurt volgens CBS"),
        "wijkcode": ("Wijkcode", "CBS-wijkcode van de wijk waarin de buurt ligt"),
        "gemeentecode": ("Gemeentecode", "CBS-gemeentecode (GM + 4 cijfers)"),
        "indeling_jaar": ("Indelingsjaar", "Jaar van de CBS-wijk- en buurtindeling"),
        "inwoners": ("Inwoners", "Aantal inwoners (CBS-kerncijfer); leeg = onbekend"),
        "woningen": ("Woningen", "Woningvoorraad (CBS-kerncijfer); leeg = onbekend"),
        "huishoudens": ("Huishoudens", "Aantal huishoudens (CBS-kerncijfer); leeg = onbekend"),
        "uitkeringen": ("Uitkeringen", "Aantal uitkeringen (kerncijfer); leeg = onbekend"),
    },
    "indicatorwaarden": {
        "buurtcode": ("Buurtcode", "CBS-buurtcode; koppel aan de laag buurten"),
        "periode": ("Periode", "JJJJ-MM (maand), JJJJ-Qn (kwartaal) of JJJJ (jaar)"),
        "indicator": ("Indicator", "Code uit de indicatorcatalogus"),
        "teller": (
            "Teller (afgerond)",
            "Gepubliceerd aantal, afgerond op 5; leeg waar niet getoond",
        ),
        "noemer": (
            "Noemer",
            "Noemer van de waarde, alleen waar de waarde getoond wordt; een telling (controles, "
            "geleverde noemer) afgerond op 5",
        ),
        "waarde": (
            "Waarde",
            "Gepubliceerde waarde in de eenheid van de indicator; leeg waar niet getoond",
        ),
        "status": ("Status", "'' = getoond, 'x' = geheim (kleine aantallen), '.' = niet geleverd"),
    },
    "interventies": {
        "id": ("Interventie-id", "Id van de interventie"),
        "naam": ("Naam", "Naam van de interventie"),
        "soort": ("Soort", "lsi_project, controleavond, wijkaanpak of overig"),
        "start": ("Start", "Startdatum (JJJJ-MM-DD)"),
        "eind": ("Eind", "Einddatum (JJJJ-MM-DD); leeg = loopt nog"),
        "partners": ("Partners", "Betrokken partners"),
    },
}

_QML = """<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.28.0" styleCategories="Symbology|Labeling">
 <renderer-v2 type="singleSymbol" symbollevels="0" forceraster="0" enableorderby="0">
  <symbols>
   <symbol type="fill" name="0" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleFill" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" name="color" value="208,209,230,160"/>
      <Option type="QString" name="outline_color" value="69,69,69,255"/>
      <Option type="QString" name="outline_style" value="solid"/>
      <Option type="QString" name="outline_width" value="0.3"/>
      <Option type="QString" name="outline_width_unit" value="MM"/>
      <Option type="QString" name="style" value="solid"/>
     </Option>
    </layer>
   </symbol>
  </symbols>
 </renderer-v2>
 <labeling type="simple">
  <settings calloutType="simple">
   <text-style fieldName="buurtnaam" fontSize="8" fontSizeUnit="Point" textColor="26,26,26,255"/>
   <text-buffer bufferDraw="1" bufferSize="0.8" bufferSizeUnits="MM" bufferColor="255,255,255,255"/>
   <placement placement="1" fitInPolygonOnly="1"/>
  </settings>
 </labeling>
 <layerGeometryType>2</layerGeometryType>
</qgis>
"""


def write_metadata(path: Path) -> None:
    """Field aliases and descriptions (``gpkg_data_columns``) and a default QGIS style.

    The schema extension tables follow the GeoPackage 1.3 specification; QGIS reads the style
    from ``layer_styles`` (its own convention) when the layer is added.
    """
    styles = pd.DataFrame(
        {
            "f_table_catalog": [""],
            "f_table_schema": [""],
            "f_table_name": ["buurten"],
            "f_geometry_column": ["geom"],
            "styleName": ["buurten"],
            "styleQML": [_QML],
            "styleSLD": [""],
            "useAsDefault": [True],
            "description": ["Wijkmonitor: buurtgrenzen met naam (CBS / Kadaster)"],
            "owner": [""],
            "ui": [""],
            "update_time": [pd.Timestamp.now(tz="UTC").tz_localize(None).floor("s")],
        }
    )
    pyogrio.write_dataframe(styles, path, layer="layer_styles", driver="GPKG")
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS gpkg_data_columns (table_name TEXT NOT NULL, "
            "column_name TEXT NOT NULL, name TEXT, title TEXT, description TEXT, mime_type TEXT, "
            "constraint_name TEXT, CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name), "
            "CONSTRAINT gdc_tn UNIQUE (table_name, name))"
        )
        rows = [
            (table, column, alias, alias, text)
            for table, fields in FIELD_DOCS.items()
            for column, (alias, text) in fields.items()
        ]
        conn.executemany(
            "INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name, name, title, "
            "description) VALUES (?, ?, ?, ?, ?)",
            rows,
        )
        conn.execute(
            "CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, "
            "extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, "
            "CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))"
        )
        conn.execute(
            "INSERT OR IGNORE INTO gpkg_extensions VALUES ('gpkg_data_columns', NULL, "
            "'gpkg_schema', 'http://www.geopackage.org/spec/#extension_schema', 'read-write')"
        )
