"""Read area files in every form CBS and PDOK publish: GeoJSON, TopoJSON, GeoPackage, shapefile zip."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio

from geo.errors import InputError

_SUFFIXES = (".geojson", ".json", ".topojson", ".gpkg", ".zip", ".shp")


def _is_topojson(path: Path) -> bool:
    """TopoJSON has a top-level "arcs" and "type": "Topology"; either may come first or last."""
    with path.open("rb") as handle:
        head = handle.read(4096)
        handle.seek(max(0, path.stat().st_size - 4096))
        tail = handle.read()
    text = (head + tail).replace(b" ", b"")
    return b'"type":"Topology"' in text or head.lstrip().startswith(b'{"arcs"')


def area_layers(path: Path) -> list[gpd.GeoDataFrame]:
    """Return the raw layers of an area file, one GeoDataFrame per layer (CRS as in the file).

    GeoPackages and shapefile zips from CBS/PDOK hold several layers (gemeenten, wijken,
    buurten); every layer is returned. Raise InputError with a plain message for anything else.
    """
    if not path.exists():
        raise InputError(f"Bestand niet gevonden: {path}")
    suffix = path.suffix.lower()
    if suffix not in _SUFFIXES:
        raise InputError(
            f"{path.name}: onbekend bestandstype {suffix!r}. Verwacht GeoJSON, TopoJSON, "
            "GeoPackage (.gpkg) of een gezipte shapefile (.zip)."
        )
    try:
        if suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                inner = sorted(n for n in archive.namelist() if n.lower().endswith(".shp"))
            if not inner:
                raise InputError(f"{path.name}: de zip bevat geen shapefile (.shp).")
            return [gpd.read_file(f"/vsizip/{path.resolve()}/{name}") for name in inner]
        if suffix == ".gpkg":
            layers = [str(name) for name, geom in pyogrio.list_layers(path) if geom]
            return [gpd.read_file(path, layer=layer) for layer in layers]
        if suffix in (".json", ".topojson", ".geojson") and _is_topojson(path):
            return [gpd.read_file(f"TopoJSON:{path}")]
        return [gpd.read_file(path)]
    except InputError:
        raise
    except (
        pyogrio.errors.DataSourceError,
        pyogrio.errors.DataLayerError,
        zipfile.BadZipFile,
    ) as exc:
        raise InputError(
            f"{path.name}: het bestand kan niet als geodata worden gelezen ({exc})."
        ) from exc
