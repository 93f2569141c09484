"""A gemeente that takes over buurten in a herindeling and keeps its code (SQLite and PostGIS):
Beesel (GM0889) on indeling 2014, and on 2025 with the buurten of Venlo's Belfeld (WK098351,
next to Beesel; Venlo stored on 2024) as its new wijk WK088999. Before 2025 Beesel's partners delivered for Beesel's old
territory only: the taken-over buurten have no figure there ("."), not a 0, and neither has a
total over them; from 2025 they count like every other buurt."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from data import db, store
from data.deliveries.importer import import_files
from data.publication.read import open_publication

INDICATOR = "illegale_bewoning"
WIJK = "WK098351"  # Belfeld


def _new_code(code: str) -> str:
    """BU09835101 -> BU08899901; WK098351 -> WK088999."""
    return code[:2] + "088999" + code[8:]


def _beesel_2025(beesel: gpd.GeoDataFrame, venlo: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    old = beesel[(beesel["indeling_jaar"] == 2014) & (beesel["level"] != "gemeente")]
    taken = venlo[(venlo["code"] == WIJK) | (venlo["parent_code"] == WIJK)]
    taken = taken.assign(
        code=taken["code"].map(_new_code),
        parent_code=taken["parent_code"].map(lambda p: "GM0889" if p == "GM0983" else _new_code(p)),
        gemeentecode="GM0889",
    )
    parts = pd.concat([old, taken], ignore_index=True).assign(indeling_jaar=2025)
    gemeente = beesel[(beesel["indeling_jaar"] == 2014) & (beesel["level"] == "gemeente")]
    gemeente = gemeente.assign(
        indeling_jaar=2025,
        geometry=[shapely.union_all(parts.loc[parts["level"] == "buurt", "geometry"])],
    )
    frame = pd.concat([parts, gemeente], ignore_index=True)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=beesel.crs)


def _write(path: Path, rows: list[tuple[str, str, int]]) -> Path:
    lines = ["buurtcode;periode;indicator;teller;bron"]
    lines += [f"{b};{p};{INDICATOR};{t};nla" for b, p, t in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_taken_over_buurten_have_no_figure_before_they_joined(
    demo_url: str, db_url: str, tmp_path: Path
) -> None:
    demo = db.make_engine(demo_url)
    beesel = store.load_areas(demo, gemeenten=["GM0889"], indeling_jaar=2014)
    venlo = store.load_areas(demo, gemeenten=["GM0983"], indeling_jaar=2024)
    demo.dispose()
    new = _beesel_2025(beesel, venlo)
    own = sorted(beesel.loc[beesel["level"] == "buurt", "code"])
    taken = sorted(set(new.loc[new["level"] == "buurt", "code"]) - set(own))
    assert taken and all(c.startswith("BU088999") for c in taken)
    engine = db.make_engine(db_url)
    try:
        store.save_areas(engine, venlo)
        store.save_areas(engine, beesel)
        store.save_areas(engine, new)
        rows = [(b, "2024-06", 6 + i % 4) for i, b in enumerate(own)]
        rows += [(b, "2025-01", 7 + i % 3) for i, b in enumerate([*own, *taken])]
        [result] = import_files(engine, [_write(tmp_path / "nla.csv", rows)], vervang=False)
        assert result.geaccepteerd, result.problemen
        pub = open_publication(engine, gemeenten=["GM0889"], indicators=[INDICATOR])
        table = pub.published(INDICATOR).table.set_index(["code", "periode"])
        status = table["status"]
        for code in [*taken, "WK088999", "GM0889"]:
            assert status[(code, "2024-06")] == ".", code
            assert status[(code, "2024-Q2")] == ".", code
            assert pd.isna(table.loc[(code, "2024-06"), "teller_publ"]), code
        for code in [*taken, "WK088999", "GM0889"]:
            assert status[(code, "2025-01")] != ".", code
        # Beesel's own buurten and wijken keep their months.
        for code in [*own, *sorted(beesel.loc[beesel["level"] == "wijk", "code"])]:
            assert status[(code, "2024-06")] != ".", code
        shown = table.xs("2024-06", level="periode")
        assert shown.loc[shown["status"] == "", "teller_publ"].notna().all()
    finally:
        engine.dispose()
