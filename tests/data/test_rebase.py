"""Signals delivered on an older indeling are re-based onto the shown one, by addresses."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from data import db, store
from data.publication.rebase import signals_on_indeling
from geo.areas import AREA_COLUMNS
from geo.crs import RD

X, Y = 150_000, 400_000


def _areas(codes: list[str], boxes: list[tuple[int, int]], jaar: int) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {
            "code": codes,
            "name": codes,
            "level": "buurt",
            "parent_code": "WK000101",
            "gemeentecode": "GM0001",
            "indeling_jaar": jaar,
            "inwoners": 100.0,
            "huishoudens": 50.0,
            "woningen": 60.0,
            "uitkeringen": 10.0,
            "opmerking": "",
        },
        geometry=[box(X + a, Y, X + b, Y + 100) for a, b in boxes],
        crs=RD,
    )
    return frame[AREA_COLUMNS]


def test_a_split_buurt_goes_wholly_to_the_part_with_most_of_its_addresses(
    sqlite_url: str,
) -> None:
    """Counts stay whole: a share of a count would be a weighted sum an outsider can solve."""
    engine = db.make_engine(sqlite_url)
    store.save_areas(engine, _areas(["BU00010199"], [(0, 100)], 2014))
    store.save_areas(engine, _areas(["BU00010101", "BU00010102"], [(0, 30), (30, 100)], 2024))
    links = [
        {"bag_id": f"{i:016d}", "indeling_jaar": 2014, "buurtcode": "BU00010199"} for i in range(10)
    ]
    links += [
        {
            "bag_id": f"{i:016d}",
            "indeling_jaar": 2024,
            "buurtcode": "BU00010101" if i < 3 else "BU00010102",
        }
        for i in range(10)
    ]
    signals = pd.DataFrame(
        {
            "buurtcode": ["BU00010199", "BU00019999"],
            "periode": ["2024-01"] * 2,
            "indicator": ["controles"] * 2,
            "teller": [10.0, 4.0],
            "noemer": [np.nan, np.nan],
            "bron": ["gemeente"] * 2,
            "soort": ["aggregaat"] * 2,
        }
    )
    with engine.begin() as conn:
        conn.execute(db.address_buurten.insert(), links)
        store.save_signals(conn, signals, import_id=None)
    rebased, note, unplaced = signals_on_indeling(engine, gemeenten=["GM0001"], jaar=2024)
    assert unplaced == ("BU00019999",)
    by_buurt = rebased.set_index("buurtcode")["teller"]
    assert "BU00010101" not in by_buurt.index  # 3 of its 10 addresses: nothing
    assert by_buurt["BU00010102"] == 10.0  # 7 of 10: the whole count
    assert note.startswith(
        "signalen van indeling 2014 omgerekend naar 2024 (elke oude buurt geheel naar de nieuwe "
    )
    assert note.endswith("; signalen op onbekende buurtcodes weggelaten")
    assert not any(ch.isdigit() for ch in note.replace("2014", "").replace("2024", ""))


def test_signals_on_a_code_the_new_indeling_keeps_stay_on_it(sqlite_url: str) -> None:
    """BU00010101 keeps its code but gives 6 of its 10 addresses to new BU00010103, while
    BU00010199 is gone. Only the gone code is re-based; the kept code's signals stay (they
    went to BU00010103 whenever some other code was re-based, and stayed otherwise)."""
    engine = db.make_engine(sqlite_url)
    store.save_areas(engine, _areas(["BU00010101", "BU00010199"], [(0, 50), (50, 100)], 2014))
    store.save_areas(engine, _areas(["BU00010101", "BU00010103"], [(0, 20), (20, 100)], 2024))
    links = []
    for i in range(20):
        old = "BU00010101" if i < 10 else "BU00010199"
        new = "BU00010101" if i < 4 else "BU00010103"
        links += [
            {"bag_id": f"{i:016d}", "indeling_jaar": 2014, "buurtcode": old},
            {"bag_id": f"{i:016d}", "indeling_jaar": 2024, "buurtcode": new},
        ]
    signals = pd.DataFrame(
        {
            "buurtcode": ["BU00010101", "BU00010199"],
            "periode": ["2024-01"] * 2,
            "indicator": ["controles"] * 2,
            "teller": [3.0, 8.0],
            "noemer": [np.nan, np.nan],
            "bron": ["gemeente"] * 2,
            "soort": ["aggregaat"] * 2,
        }
    )
    with engine.begin() as conn:
        conn.execute(db.address_buurten.insert(), links)
        store.save_signals(conn, signals, import_id=None)
    rebased, _, unplaced = signals_on_indeling(engine, gemeenten=["GM0001"], jaar=2024)
    assert unplaced == ()
    by_buurt = rebased.groupby("buurtcode")["teller"].sum()
    assert by_buurt.to_dict() == {"BU00010101": 3.0, "BU00010103": 8.0}
