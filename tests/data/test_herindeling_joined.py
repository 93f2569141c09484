"""A gemeente that takes over buurten in a herindeling and keeps its code (SQLite and PostGIS):
Beesel (GM0889) on indeling 2014, and on 2025 with the buurten of Venlo's Belfeld (WK098351,
next to Beesel; Venlo stored on 2024) as its new wijk WK088999. Before 2025 Beesel's partners delivered for Beesel's old
territory only: the taken-over buurten have no figure there ("."), not a 0, and neither has a
total over them; from 2025 they count like every other buurt."""

from __future__ import annotations

import itertools
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from data import db, store
from data.deliveries.importer import import_files
from data.publication.read import open_publication
from indicators.intervals import protected

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


def _members(areas: gpd.GeoDataFrame) -> dict[str, list[str]]:
    """Every code of one indeling -> its buurten."""
    buurten = areas[areas["level"] == "buurt"]
    out = {str(b): [str(b)] for b in buurten["code"]}
    for wijk in areas.loc[areas["level"] == "wijk", "code"]:
        out[str(wijk)] = [str(b) for b in buurten.loc[buurten["parent_code"] == wijk, "code"]]
    for gemeente in areas.loc[areas["level"] == "gemeente", "code"]:
        out[str(gemeente)] = [str(b) for b in buurten["code"]]
    return out


def _months(periode: str) -> list[str]:
    if "-Q" in periode:
        q = int(periode[-1])
        return [f"{periode[:4]}-{m:02d}" for m in range(3 * q - 2, 3 * q + 1)]
    if len(periode) == 4:
        return [f"{periode}-{m:02d}" for m in range(1, 13)]
    return [periode]


@pytest.mark.parametrize("seed", [0, 1])
def test_an_outsider_with_both_releases_pins_nothing(
    demo_url: str, sqlite_url: str, tmp_path: Path, seed: int
) -> None:
    """Beesel published on 2014 over 2024, then again on 2025 with Belfeld taken over and 2025
    delivered on all its buurten. An outsider who holds both releases solves every shown count of
    both at once, as integers over the buurt-months (a buurt of Beesel's own keeps its code and
    its place, so it is one variable in both): no secret count of 1-4 of the first release is
    pinned to an interval inside [1, 4] or narrower than 3."""
    rng = np.random.default_rng(seed)
    demo = db.make_engine(demo_url)
    beesel = store.load_areas(demo, gemeenten=["GM0889"], indeling_jaar=2014)
    venlo = store.load_areas(demo, gemeenten=["GM0983"], indeling_jaar=2024)
    demo.dispose()
    new = _beesel_2025(beesel, venlo)
    own = sorted(beesel.loc[beesel["level"] == "buurt", "code"])
    everyone = sorted(new.loc[new["level"] == "buurt", "code"])
    before = [f"2024-{m:02d}" for m in range(1, 13)]
    after = [f"2025-{m:02d}" for m in range(1, 7)]
    truth = {(b, p): int(rng.poisson(1.2)) for b in own for p in before}
    truth |= {(b, p): int(rng.poisson(1.2)) for b in everyone for p in after}
    engine = db.make_engine(sqlite_url)
    try:
        store.save_areas(engine, venlo)
        store.save_areas(engine, beesel)
        rows = [(b, p, t) for (b, p), t in truth.items() if p in before]
        [first_import] = import_files(engine, [_write(tmp_path / "a.csv", rows)], vervang=False)
        assert first_import.geaccepteerd, first_import.problemen
        first = open_publication(engine, gemeenten=["GM0889"], indicators=[INDICATOR])
        first_table = first.published(INDICATOR).table
        store.save_areas(engine, new)
        rows = [(b, p, t) for (b, p), t in truth.items() if p in after]
        [second_import] = import_files(engine, [_write(tmp_path / "b.csv", rows)], vervang=False)
        assert second_import.geaccepteerd, second_import.problemen
        second = open_publication(engine, gemeenten=["GM0889"], indicators=[INDICATOR])
        second_table = second.published(INDICATOR).table
    finally:
        engine.dispose()
    assert (second_table["code"] == "WK088999").any()  # published on 2025

    cells = sorted(truth)
    variable = {cell: i for i, cell in enumerate(cells)}
    x = np.array([truth[c] for c in cells], dtype=float)
    rows_, cols, lo, hi = [], [], [], []
    for table, members in ((first_table, _members(beesel)), (second_table, _members(new))):
        shown = table[(table["status"] == "") & table["code"].isin(list(members))]
        for code, periode, value in zip(
            shown["code"], shown["periode"], shown["teller_publ"], strict=True
        ):
            for b, m in itertools.product(members[str(code)], _months(str(periode))):
                assert (b, m) in variable, (code, periode)  # a shown count covers only truth
                rows_.append(len(lo))
                cols.append(variable[(b, m)])
            lo.append(0.0 if value == 0 else max(5.0, value - 2.5))
            hi.append(0.0 if value == 0 else value + 2.5 - 1e-6)
    matrix = sparse.csr_matrix((np.ones(len(cols)), (rows_, cols)), shape=(len(lo), len(cells)))
    assert np.all(matrix @ x >= np.array(lo) - 1e-6)
    assert np.all(matrix @ x <= np.array(hi) + 1e-6)
    system = LinearConstraint(matrix, lo, hi)
    secret = first_table[first_table["status"] == "x"]
    attacked = [
        variable[(str(b), str(p))]
        for b, p in zip(secret["code"], secret["periode"], strict=True)
        if (str(b), str(p)) in variable and 1 <= truth[(str(b), str(p))] <= 4
    ]
    assert attacked  # small counts were hidden
    for j in attacked:
        goal = np.zeros(len(cells))
        goal[j] = 1.0
        ends = []
        for sign in (1.0, -1.0):
            result = milp(
                sign * goal, constraints=system, integrality=np.ones(len(cells)), bounds=Bounds(0)
            )
            ends.append(np.inf if result.status != 0 else sign * result.fun)
        assert protected(np.array([ends[0]]), np.array([ends[1]]))[0], (cells[j], ends)
