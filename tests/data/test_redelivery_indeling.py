"""A partner re-delivers a gemeente on a new buurtindeling: the same bron, periode and indicator,
on the new buurtcodes. Both deliveries are re-based onto the current indeling, so accepting the
second beside the first would double every count of that gemeente. The import refuses it as a
repeat, and with --vervang the new delivery replaces the old one, on both backends. A later file
with more buurten on the new indeling still adds, as any partial delivery does."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from data import db, store
from data.deliveries.importer import import_files
from data.publication.read import open_publication
from tests.data.test_release_indeling import _new_code, _new_indeling

INDICATOR = "illegale_bewoning"
PERIODS = ("2024-01", "2024-02")


def _write(path: Path, counts: pd.DataFrame) -> Path:
    lines = ["buurtcode;periode;indicator;teller;bron"] + [
        f"{r.buurtcode};{r.periode};{INDICATOR};{int(r.teller)};nla" for r in counts.itertuples()
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _gemeente_total(engine: Engine, periode: str) -> float:
    pub = open_publication(engine, gemeenten=["GM0889"], indicators=[INDICATOR])
    t = pub.published(INDICATOR).table
    row = t[(t["code"] == "GM0889") & (t["periode"] == periode)]
    return float(row["teller_publ"].iloc[0])


def test_redelivery_on_new_indeling_replaces_not_adds(
    demo_url: str, db_url: str, tmp_path: Path
) -> None:
    demo = db.make_engine(demo_url)
    areas = store.load_areas(demo, gemeenten=["GM0889"])
    demo.dispose()
    old = areas[(areas["indeling_jaar"] == 2014) & (areas["level"] == "buurt")]
    new, links, went = _new_indeling(areas)
    engine = db.make_engine(db_url)
    try:
        store.save_areas(engine, areas)
        counts = pd.DataFrame(
            [(b, p, 3 + i % 4) for i, b in enumerate(sorted(old["code"])) for p in PERIODS],
            columns=["buurtcode", "periode", "teller"],
        )
        [first] = import_files(engine, [_write(tmp_path / "oud.csv", counts)], vervang=False)
        assert first.geaccepteerd, first.problemen

        with engine.begin() as conn:
            conn.execute(db.address_buurten.insert(), links)
        store.save_areas(engine, new)
        moved = (
            counts.assign(buurtcode=counts["buurtcode"].map(lambda b: went[b][0]))
            .groupby(["buurtcode", "periode"], as_index=False)["teller"]
            .sum()
        )
        codes = sorted(moved["buurtcode"].unique())
        half = moved["buurtcode"].isin(codes[: len(codes) // 2])
        again = _write(tmp_path / "nieuw.csv", moved[half])
        rest = _write(tmp_path / "rest.csv", moved[~half])

        [refused] = import_files(engine, [again], vervang=False)
        assert not refused.geaccepteerd
        assert len(refused.problemen) == int(half.sum())
        assert refused.problemen[0].startswith(
            "nieuw.csv, rij 2: al eerder geïmporteerd (zelfde bron, gemeente, periode en "
            f"indicator, op een andere buurtindeling, import {first.import_id}); geef --vervang"
        )
        assert len(store.load_signals(engine)) == len(counts)  # nothing stored

        [replaced] = import_files(engine, [again], vervang=True)
        assert replaced.geaccepteerd and replaced.vervangen == len(counts)
        stored = store.load_signals(engine)
        assert set(stored["buurtcode"]) == set(moved.loc[half, "buurtcode"])
        [added] = import_files(engine, [rest], vervang=False)
        assert added.geaccepteerd and added.vervangen == 0, added.problemen
        assert set(store.load_signals(engine)["buurtcode"]) == set(codes)
        for periode in PERIODS:
            true = float(moved.loc[moved["periode"] == periode, "teller"].sum())
            assert abs(_gemeente_total(engine, periode) - true) <= 2.5  # rounded to 5, not doubled
    finally:
        engine.dispose()


def test_one_gemeente_and_periode_on_two_indelingen_is_refused(
    demo_url: str, sqlite_url: str, tmp_path: Path
) -> None:
    """Old and new codes of one gemeente in one month: re-based, the same addresses would count
    twice. Old codes for 2019 and new ones for 2024 in one file are fine."""
    demo = db.make_engine(demo_url)
    areas = store.load_areas(demo, gemeenten=["GM0889"])
    demo.dispose()
    new, _, went = _new_indeling(areas)
    engine = db.make_engine(sqlite_url)
    try:
        store.save_areas(engine, areas)
        store.save_areas(engine, new)
        old_code = next(b for b, to in went.items() if to == (_new_code(b),))
        new_code = sorted(set(new.loc[new["level"] == "buurt", "code"]) - {_new_code(old_code)})[0]
        mixed = pd.DataFrame(
            [(old_code, "2024-01", 3), (new_code, "2024-01", 4)],
            columns=["buurtcode", "periode", "teller"],
        )
        [refused] = import_files(engine, [_write(tmp_path / "mix.csv", mixed)], vervang=False)
        assert not refused.geaccepteerd
        assert refused.problemen == [
            f"mix.csv, rij {rij}, kolom buurtcode: buurtcodes van verschillende buurtindelingen "
            "voor GM0889 in 2024-01; lever een gemeente per periode op één buurtindeling."
            for rij in (2, 3)
        ]
        assert store.load_signals(engine).empty
        apart = mixed.assign(periode=["2019-01", "2024-01"])
        [accepted] = import_files(engine, [_write(tmp_path / "apart.csv", apart)], vervang=False)
        assert accepted.geaccepteerd, accepted.problemen
    finally:
        engine.dispose()
