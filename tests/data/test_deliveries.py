"""Importing partner deliveries on both backends: the fixture corpus, repeats and --vervang,
findings to buurten and monthly sums, a 100,000-row file, and concurrent imports."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from sqlalchemy import Engine, func, select

from data import db, store
from data.db import make_engine
from data.deliveries.importer import import_files
from indicators import catalogue
from tests.data.deliveries_seed import (
    FIXTURES,
    TODAY,
    address_frame,
    assert_refused_cleanly,
    seed,
    signal_rows,
    snapshot,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A database (SQLite and PostGIS) with Venlo's buurten and the test addresses."""
    made = make_engine(db_url)
    seed(made)
    yield made
    made.dispose()


def run(engine: Engine, *names: str | Path, vervang: bool = False) -> list:  # type: ignore[type-arg]
    paths = [n if isinstance(n, Path) else FIXTURES / n for n in names]
    return import_files(engine, paths, vervang=vervang, today=TODAY)


def write(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


# --- the corpus: accepted files ----------------------------------------------------------------


def test_semicolon_decimal_comma_windows_1252_crlf(engine: Engine) -> None:
    [outcome] = run(engine, "agg_puntkomma_decimaalkomma.csv")
    assert outcome.geaccepteerd, outcome.problemen
    assert (outcome.soort, outcome.rijen) == ("buurtaggregaten", 4)
    rows = signal_rows(engine, import_id=outcome.import_id)
    assert rows[["buurtcode", "periode", "indicator", "teller", "bron"]].values.tolist() == [
        ["BU09831101", "2025-01", "controles", 12.0, "gemeente"],
        ["BU09831101", "2025-02", "controles", 0.0, "gemeente"],
        ["BU09831103", "2025", "eigenaar_concentratie", 2.0, "riec"],
        ["BU09831102", "2025-Q1", "uitkering_afwijking", 3.0, "uwv"],
    ]
    assert rows["noemer"].tolist()[2:] == [234.5, 1234.5]
    assert set(rows["soort"]) == {"aggregaat"}
    delivered = store.load_deliveries(engine)
    # A delivered 0 is a 0: 2025-02 is recorded although its only teller is 0.
    assert {
        ("gemeente", "controles", "2025-01"),
        ("gemeente", "controles", "2025-02"),
        ("uwv", "uitkering_afwijking", "2025-Q1"),
        ("riec", "eigenaar_concentratie", "2025"),
    } == set(delivered[["bron", "indicator", "periode"]].itertuples(index=False, name=None))
    assert set(delivered["gemeentecode"]) == {"GM0983"}
    with engine.connect() as conn:
        log = conn.execute(select(db.import_log)).one()
    assert (log.uitkomst, log.soort, log.rijen, log.bestand) == (
        "geaccepteerd",
        "buurtaggregaten",
        4,
        "agg_puntkomma_decimaalkomma.csv",
    )


def test_utf8_bom_and_header_case(engine: Engine) -> None:
    [outcome] = run(engine, "agg_utf8_bom.csv")
    assert outcome.geaccepteerd, outcome.problemen
    assert signal_rows(engine, bron="nla")["teller"].tolist() == [4.0, 0.0]


def test_xlsx_reads_the_first_sheet_only(engine: Engine) -> None:
    [outcome] = run(engine, "agg_twee_tabbladen.xlsx")
    assert outcome.geaccepteerd, outcome.problemen  # the bsn on sheet 2 is never read
    rows = signal_rows(engine, import_id=outcome.import_id)
    assert rows[["buurtcode", "teller"]].values.tolist() == [
        ["BU09831101", 5.0],
        ["BU09831104", 1.0],
    ]


def test_findings_by_postcode_with_dutch_dates(engine: Engine) -> None:
    [outcome] = run(engine, "bev_ddmmjjjj.csv")
    assert outcome.geaccepteerd, outcome.problemen
    with engine.connect() as conn:
        findings = pd.DataFrame(conn.execute(select(db.findings)).mappings().all())
    assert len(findings) == 4
    assert sorted(findings["bag_id"]) == [f"09830100990000{i:02d}" for i in (1, 2, 3, 4)]
    assert set(findings["locatie"]) == {f"bag:{b}" for b in findings["bag_id"]}
    assert set(pd.to_datetime(findings["datum"]).dt.strftime("%Y-%m-%d")) == {
        "2025-02-03",
        "2025-02-17",
    }
    sums = signal_rows(engine, soort="bevindingen")
    assert sums[["buurtcode", "periode", "indicator", "teller"]].values.tolist() == [
        ["BU09831101", "2025-02", "controles", 1.0],
        ["BU09831101", "2025-02", "illegale_bewoning", 1.0],
        ["BU09831102", "2025-02", "controles", 2.0],
    ]
    # Every finding indicator is delivered for the month: no brandonveilig found is a 0.
    delivered = store.load_deliveries(engine)
    assert sorted(delivered["indicator"]) == sorted(set(catalogue.SIGNAL_INDICATOR.values()))
    assert set(delivered["periode"]) == {"2025-02"} and set(delivered["bron"]) == {"gemeente"}


def test_evenings_in_one_buurt_and_month_add_up(engine: Engine, tmp_path: Path) -> None:
    header = "datum,signaal,bron,bag_id"
    first = write(tmp_path / "avond1.csv", header, ["2025-03-04,controle,politie,0983010099000001"])
    second = write(
        tmp_path / "avond2.csv",
        header,
        [
            "2025-03-18,controle,politie,0983010099000002",
            "2025-03-18,brandonveilig,politie,0983010099000002",
        ],
    )
    assert all(o.geaccepteerd for o in run(engine, first, second))
    sums = signal_rows(engine, soort="bevindingen")
    assert sums[["buurtcode", "indicator", "teller"]].values.tolist() == [
        ["BU09831101", "brandonveilig", 1.0],
        ["BU09831101", "controles", 2.0],
    ]


def test_points_in_rd_and_wgs84_find_their_buurt(engine: Engine, tmp_path: Path) -> None:
    addresses = address_frame().set_index("bag_id")
    x, y = addresses.loc["0983010099000005", ["x", "y"]]
    lon, lat = Transformer.from_crs("EPSG:28992", "EPSG:4326", always_xy=True).transform(x, y)
    rd = write(tmp_path / "rd.csv", "datum,signaal,bron,x,y", [f"2025-04-01,controle,nla,{x},{y}"])
    wgs = write(
        tmp_path / "wgs.csv",
        "datum;signaal;bron;lat;lon",
        [f"2025-04-02;controle;nla;{lat:.7f};{lon:.7f}".replace(".", ",")],
    )
    assert all(o.geaccepteerd for o in run(engine, rd, wgs))
    with engine.connect() as conn:
        found = conn.execute(select(db.findings.c.buurtcode, db.findings.c.locatie)).all()
    assert [b for b, _ in found] == ["BU09831103", "BU09831103"]
    assert found[0][1] == f"rd:{round(x)},{round(y)}"


def test_point_outside_every_buurt_is_refused(engine: Engine, tmp_path: Path) -> None:
    path = write(
        tmp_path / "buiten.csv", "datum,signaal,bron,x,y", ["2025-04-01,controle,nla,155000,463000"]
    )
    before = snapshot(engine)
    [outcome] = run(engine, path)
    assert_refused_cleanly(engine, before, outcome)
    assert outcome.problemen == [
        "buiten.csv, rij 2, kolom x: punt (155000, 463000) in RD ligt in geen van de geladen buurten."
    ]


def test_unknown_address_is_refused(engine: Engine, tmp_path: Path) -> None:
    path = write(
        tmp_path / "adres.csv",
        "datum,signaal,bron,bag_id,postcode,huisnummer",
        ["2025-04-01,controle,nla,0983010099999999,,", "2025-04-01,controle,nla,,5900AA,99"],
    )
    before = snapshot(engine)
    [outcome] = run(engine, path)
    assert_refused_cleanly(engine, before, outcome)
    assert [p.split(":")[0] for p in outcome.problemen] == [
        "adres.csv, rij 2, kolom bag_id",
        "adres.csv, rij 3, kolom postcode",
    ]


# --- the corpus: refused files -----------------------------------------------------------------

REFUSED = {
    "agg_afgebroken.csv": ["agg_afgebroken.csv, rij 3: 3 velden, verwacht 5"],
    "agg_tab.csv": ["agg_tab.csv: de kolommen zijn gescheiden door tabs"],
    "agg_utf16.csv": ["agg_utf16.csv: het bestand is UTF-16"],
    "leeg.csv": ["leeg.csv: het bestand is leeg"],
    "alleen_kop.csv": ["alleen_kop.csv: alleen een kopregel"],
    "gemengd.csv": ["gemengd.csv: kolommen van buurtaggregaten"],
    "agg_cp1252_fout.csv": ["agg_cp1252_fout.csv, rij 2, kolom bron: onbekende bron 'gemeenté'"],
    "agg_bsn_kolom.csv": ["agg_bsn_kolom.csv, kolom bsn: verboden kolom"],
    "agg_elfproef_kolom.csv": [
        "agg_elfproef_kolom.csv, kolom kenmerk: bevat burgerservicenummers in rij 2, 3, 4, 5 (4 van 4 waarden"
    ],
    "bev_persoonsgegevens.csv": [
        "bev_persoonsgegevens.csv, kolom naam: verboden kolom",
        "bev_persoonsgegevens.csv, kolom geboortedatum: verboden kolom",
        "bev_persoonsgegevens.csv, kolom nationaliteit: verboden kolom",
    ],
    "agg_opmerking.csv": [
        "agg_opmerking.csv, kolom opmerking: onbekende kolom / vrije tekst niet toegestaan"
    ],
    "agg_onbekende_buurt.csv": [
        "agg_onbekende_buurt.csv, rij 3, kolom buurtcode: onbekende buurtcode 'BU09839999'"
    ],
    "bev_onbekend_signaal.csv": [
        "bev_onbekend_signaal.csv, rij 3, kolom signaal: onbekend signaal 'drugslab'"
    ],
    "agg_teller_boven_noemer.csv": [
        "agg_teller_boven_noemer.csv, rij 2, kolom teller: teller (12) is groter dan de noemer (10)"
    ],
    "agg_negatieve_teller.csv": ["agg_negatieve_teller.csv, rij 2, kolom teller: negatief aantal"],
    "bev_datum_1989_en_morgen.csv": [
        "bev_datum_1989_en_morgen.csv, rij 2, kolom datum: datum 31-12-1989 ligt buiten",
        "bev_datum_1989_en_morgen.csv, rij 3, kolom datum: datum 2026-01-01 ligt buiten",
    ],
    "agg_dubbele_rij.csv": ["agg_dubbele_rij.csv, rij 4: dubbele regel"],
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_corpus_file_is_refused_whole(engine: Engine, name: str) -> None:
    before = snapshot(engine)
    [outcome] = run(engine, name)
    assert_refused_cleanly(engine, before, outcome)
    expected = REFUSED[name]
    assert len(outcome.problemen) == len(expected), outcome.problemen
    for problem, start in zip(outcome.problemen, expected, strict=True):
        assert problem.startswith(start), (problem, start)


# --- repeats -----------------------------------------------------------------------------------


def test_repeat_is_refused_then_replaced_with_vervang(engine: Engine, tmp_path: Path) -> None:
    [first] = run(engine, "agg_puntkomma_decimaalkomma.csv")
    assert first.geaccepteerd
    before = snapshot(engine)
    [again] = run(engine, "agg_puntkomma_decimaalkomma.csv")
    assert_refused_cleanly(engine, before, again)
    assert len(again.problemen) == 4
    assert again.problemen[0].startswith(
        "agg_puntkomma_decimaalkomma.csv, rij 2: al eerder geïmporteerd (zelfde bron, "
        f"buurtcode, periode en indicator, import {first.import_id}); geef --vervang"
    )
    changed = tmp_path / "agg_puntkomma_decimaalkomma.csv"
    content = (FIXTURES / changed.name).read_bytes().replace(b";12;", b";15;")
    changed.write_bytes(content)
    [replaced] = run(engine, changed, vervang=True)
    assert replaced.geaccepteerd and replaced.vervangen == 4
    rows = signal_rows(engine, soort="aggregaat")
    assert len(rows) == 4 and set(rows["import_id"]) == {replaced.import_id}
    assert rows["teller"].sum() == 15 + 0 + 3 + 2


def test_findings_repeat_by_zaak_id_and_by_location(engine: Engine, tmp_path: Path) -> None:
    loose = write(
        tmp_path / "los.csv",
        "datum,signaal,bron,postcode,huisnummer",
        ["2025-05-06,controle,nla,5900AC,7"],
    )
    assert all(o.geaccepteerd for o in run(engine, "bev_ddmmjjjj.csv", loose))
    totals = signal_rows(engine, soort="bevindingen")["teller"].sum()
    for name in ("bev_ddmmjjjj.csv", loose):
        before = snapshot(engine)
        [outcome] = run(engine, name)
        assert_refused_cleanly(engine, before, outcome)
        assert all("al eerder geïmporteerd" in p for p in outcome.problemen)
    same_place = write(  # the same address by bag_id instead of postcode: still a repeat
        tmp_path / "los2.csv",
        "datum,signaal,bron,bag_id",
        ["06-05-2025,controle,nla,0983010099000005"],
    )
    assert not run(engine, same_place)[0].geaccepteerd
    outcomes = run(engine, "bev_ddmmjjjj.csv", same_place, vervang=True)
    assert [o.vervangen for o in outcomes] == [4, 1]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(db.findings)).scalar_one() == 5
    assert signal_rows(engine, soort="bevindingen")["teller"].sum() == totals  # not doubled


# --- several files, the real date --------------------------------------------------------------


def test_accepted_files_stay_when_another_is_refused(engine: Engine) -> None:
    outcomes = run(engine, "agg_utf8_bom.csv", "agg_negatieve_teller.csv", "bev_ddmmjjjj.csv")
    assert [o.geaccepteerd for o in outcomes] == [True, False, True]
    assert len(signal_rows(engine, import_id=outcomes[0].import_id)) == 2
    assert len(signal_rows(engine, import_id=outcomes[2].import_id)) == 3
    with engine.connect() as conn:
        log = conn.execute(select(db.import_log.c.uitkomst).order_by(db.import_log.c.id)).scalars()
        assert list(log) == ["geaccepteerd", "geweigerd", "geaccepteerd"]


def test_dates_up_to_today_only(engine: Engine, tmp_path: Path) -> None:
    today, tomorrow = date.today(), date.today() + timedelta(days=1)
    header = "datum,signaal,bron,bag_id"
    later = write(
        tmp_path / "morgen.csv", header, [f"{tomorrow:%d-%m-%Y},controle,om,0983010099000001"]
    )
    now = write(
        tmp_path / "vandaag.csv", header, [f"{today:%Y-%m-%d},controle,om,0983010099000001"]
    )
    before = snapshot(engine)
    [refused] = import_files(engine, [later], vervang=False)
    assert_refused_cleanly(engine, before, refused)
    assert refused.problemen[0].startswith("morgen.csv, rij 2, kolom datum: datum")
    [accepted] = import_files(engine, [now], vervang=False)
    assert accepted.geaccepteerd, accepted.problemen


def test_no_areas_loaded_says_what_to_do(sqlite_url: str) -> None:
    empty = make_engine(sqlite_url)
    before = snapshot(empty)
    [outcome] = import_files(empty, [FIXTURES / "agg_utf8_bom.csv"], vervang=False, today=TODAY)
    assert_refused_cleanly(empty, before, outcome)
    assert outcome.problemen[0] == (
        "agg_utf8_bom.csv, kolom buurtcode: er zijn nog geen buurten geladen: laad eerst "
        "gebieden met 'wijkmonitor areas load'."
    )
    empty.dispose()


# --- size and concurrency ----------------------------------------------------------------------


def big_aggregate_file(engine: Engine, path: Path, rows: int = 100_000) -> pd.DataFrame:
    """``rows`` distinct aggregate rows over Venlo's buurten (';', decimal comma in noemer)."""
    buurten = sorted(store.load_areas(engine, levels=["buurt"])["code"])
    codes = [c.code for c in catalogue.CATALOGUE if not c.afgeleid]
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    index = pd.MultiIndex.from_product([list(catalogue.BRONNEN), months, codes, buurten])
    names = ["bron", "periode", "indicator", "buurtcode"]
    frame = index.to_frame(index=False, name=names).head(rows)
    rng = np.random.default_rng(1)
    frame["teller"] = rng.integers(0, 40, len(frame))
    noemer = rng.integers(40, 9000, len(frame)) + 0.5
    frame["noemer"] = [f"{v:.1f}".replace(".", ",") for v in noemer]
    frame.to_csv(path, sep=";", index=False)
    return frame


def test_100k_row_file(engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "groot.csv"
    frame = big_aggregate_file(engine, path)
    began = time.perf_counter()
    [outcome] = run(engine, path)
    seconds = time.perf_counter() - began
    assert outcome.geaccepteerd, outcome.problemen[:5]
    s = db.signals.c
    with engine.connect() as conn:
        count, total = conn.execute(
            select(func.count(), func.sum(s.teller)).where(s.import_id == outcome.import_id)
        ).one()
        delivered = conn.execute(select(func.count()).select_from(db.deliveries)).scalar_one()
    assert (count, total) == (100_000, frame["teller"].sum())
    assert delivered == len(frame[["bron", "periode", "indicator"]].drop_duplicates())
    with capsys.disabled():
        print(f"\n100.000 rijen geïmporteerd op {engine.dialect.name} in {seconds:.1f} s")
    assert seconds < 60


WORKER = """
import sys
from datetime import date
from pathlib import Path
from data.db import make_engine
from data.deliveries.importer import import_files
engine = make_engine(sys.argv[1])
[outcome] = import_files(engine, [Path(sys.argv[2])], vervang=False, today=date(2025, 12, 31))
engine.dispose()
sys.exit(0 if outcome.geaccepteerd else 3)
"""


def test_concurrent_imports_lose_nothing(engine: Engine, tmp_path: Path) -> None:
    """Four processes at once: two different findings files of the same bron, buurten and month
    (their monthly sums add to the same signal rows), a copy of one of them (exactly one of the
    pair may win; the other is a repeat), and aggregates of other bronnen."""
    bags = [a[0] for a in address_frame().itertuples(index=False)]
    files = []
    for name in ("a", "b"):
        rows = [
            f"2025-03-{1 + i % 28:02d},{'controle' if i % 3 else 'overbewoning'},gemeente,"
            f"{bags[i % len(bags)]},{name}-{i:05d}"
            for i in range(3000)
        ]
        files.append(write(tmp_path / f"{name}.csv", "datum,signaal,bron,bag_id,zaak_id", rows))
    files.append(tmp_path / "a_nogmaals.csv")
    shutil.copy(files[0], files[-1])
    files.append(tmp_path / "groot.csv")
    total = big_aggregate_file(engine, files[-1], rows=20_000)["teller"].sum()
    url = engine.url.render_as_string(hide_password=False)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, str(f)], cwd=ROOT, stderr=subprocess.PIPE
        )
        for f in files
    ]
    codes = []
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode in (0, 3), err.decode()
        codes.append(proc.returncode)
    assert codes[1] == codes[3] == 0 and sorted([codes[0], codes[2]]) == [0, 3]
    sums = signal_rows(engine, soort="bevindingen")
    assert sums.groupby("indicator")["teller"].sum().to_dict() == {
        "controles": 4000.0,
        "overbewoning": 2000.0,
    }
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(db.findings)).scalar_one() == 6000
        log = conn.execute(select(db.import_log.c.uitkomst)).scalars().all()
    aggregates = signal_rows(engine, soort="aggregaat")
    assert (len(aggregates), aggregates["teller"].sum()) == (20_000, total)
    assert sorted(log) == ["geaccepteerd"] * 3 + ["geweigerd"]


def test_corpus_files_all_used() -> None:
    """Every file in the corpus is exercised by some test here or in the interventions tests."""
    used = set(REFUSED) | {
        "agg_puntkomma_decimaalkomma.csv",
        "agg_utf8_bom.csv",
        "agg_twee_tabbladen.xlsx",
        "bev_ddmmjjjj.csv",
        "interventies_cp1252.csv",
        "interventies_fout.csv",
    }
    present = {p.name for p in FIXTURES.iterdir() if p.suffix in (".csv", ".xlsx")}
    assert present == used
