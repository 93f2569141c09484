"""Reading and validating partner tables without a database: dialects, row numbers, the
elfproef, kinds, every problem named by row and column, and points on a shared edge."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from data.deliveries.checks import elfproef
from data.deliveries.importer import read_table, validate
from data.deliveries.locate import buurt_of_points
from data.deliveries.tables import load_table
from geo.errors import InputError
from tests.data.deliveries_seed import FIXTURES, TODAY, venlo_buurten

KNOWN = {"BU09831101", "BU09831102", "BU09831103", "BU09831104"}


def table(tmp_path: Path, content: str, name: str = "t.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode(encoding))
    return path


def check(path: Path, today: date = TODAY) -> list[str]:
    frame, _ = read_table(path)
    return validate(frame, bestand=path.name, known_buurten=KNOWN, today=today).problemen


# --- reading -----------------------------------------------------------------------------------


def test_read_table_gives_strings_indexed_by_spreadsheet_row(tmp_path: Path) -> None:
    path = table(tmp_path, " BuurtCode ;Periode\n\nBU09831101 ; 2025-01\n;\nBU09831102;2025-02\n")
    frame, raw = read_table(path)
    assert list(frame.columns) == ["buurtcode", "periode"]
    assert list(frame.index) == [3, 5]  # the blank line 2 and the empty row 4 still count
    assert frame.loc[3].tolist() == ["BU09831101", "2025-01"]
    assert all(str(dtype) == "str" for dtype in frame.dtypes)
    assert raw == path.read_bytes()


def test_windows_1252_and_bom_are_decoded(tmp_path: Path) -> None:
    cp = table(tmp_path, "a;b\ncafé;1\n", encoding="cp1252")
    assert read_table(cp)[0].loc[2, "a"] == "café"
    bom = table(tmp_path, "\ufeffa,b\ncafé,1\n", name="bom.csv")
    assert list(read_table(bom)[0].columns) == ["a", "b"]


def test_quoted_separators_and_trailing_empty_fields(tmp_path: Path) -> None:
    path = table(tmp_path, 'a,b\n"1,5",x,,\n')
    assert read_table(path)[0].loc[2].tolist() == ["1,5", "x"]


def test_xlsx_first_sheet_numbers_and_dates_as_text() -> None:
    frame, _ = read_table(FIXTURES / "agg_twee_tabbladen.xlsx")
    assert frame["teller"].tolist() == ["5", "1"]
    assert "bsn" not in frame.columns


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("leeg.csv", "leeg.csv: het bestand is leeg."),
        ("alleen_kop.csv", "alleen_kop.csv: alleen een kopregel, geen gegevens."),
        ("agg_tab.csv", "agg_tab.csv: de kolommen zijn gescheiden door tabs"),
        ("agg_utf16.csv", "agg_utf16.csv: het bestand is UTF-16"),
    ],
)
def test_unreadable_files_name_the_file(name: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        read_table(FIXTURES / name)
    assert str(info.value).startswith(message)


def test_truncated_file_names_the_cut_row() -> None:
    loaded = load_table(FIXTURES / "agg_afgebroken.csv")
    assert loaded.problemen == [
        "agg_afgebroken.csv, rij 3: 3 velden, verwacht 5 (regel afgebroken, of een "
        "scheidingsteken in een waarde zonder aanhalingstekens?)."
    ]
    assert list(loaded.frame.index) == [2]
    with pytest.raises(InputError, match="niet goed gevormd"):
        read_table(FIXTURES / "agg_afgebroken.csv")


def test_unclosed_quote_is_a_problem(tmp_path: Path) -> None:
    loaded = load_table(table(tmp_path, 'a,b\n1,2\n3,"4\n'))
    assert loaded.problemen[0].startswith("t.csv, rij 3: aanhalingsteken niet afgesloten")


def test_missing_file_and_old_excel(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"weg.csv: bestand niet gevonden"):
        read_table(tmp_path / "weg.csv")
    with pytest.raises(InputError, match=r"oud.xls: oud Excel-formaat"):
        read_table(table(tmp_path, "\xd0\xcf\x11\xe0rest", name="oud.xls", encoding="latin-1"))


# --- identity ----------------------------------------------------------------------------------


def test_elfproef() -> None:
    values = pd.Series(["111222333", "111222334", "11122233", "123456782", "000000000", "12a"])
    assert elfproef(values).tolist() == [True, False, False, True, False, False]
    # 8 digits: a spreadsheet dropped the leading zero of 012345672 (which passes).
    assert elfproef(pd.Series(["12345672"])).tolist() == [True]


def test_bsn_column_under_an_innocent_name_mostly(tmp_path: Path) -> None:
    rows = [
        "BU09831101,2025-01,controles,1,gemeente,111222333",
        "BU09831101,2025-02,controles,1,gemeente,",
    ]
    rows.append("BU09831101,2025-03,controles,1,gemeente,123")
    path = table(tmp_path, "buurtcode,periode,indicator,teller,bron,ref\n" + "\n".join(rows))
    problems = check(path)
    # one BSN among other values: named by its row (the per-value check, issue 12)
    assert any(
        p.startswith("t.csv, rij 2, kolom ref: bevat een burgerservicenummer") for p in problems
    )


def test_each_case_number_that_passes_the_elfproef_is_refused(tmp_path: Path) -> None:
    # One BSN among case numbers is a BSN all the same (issue 12): checked per value. Of the
    # nine 9-digit numbers 100000001..9, only 100000009 passes the elfproef.
    rows = [
        f"2025-02-0{i},controle,gemeente,0983010099000001,{100000000 + i}" for i in range(1, 10)
    ]
    path = table(tmp_path, "datum,signaal,bron,bag_id,zaak_id\n" + "\n".join(rows))
    frame, _ = read_table(path)
    checked = validate(frame, bestand="t.csv", known_buurten=KNOWN, today=TODAY)
    assert [p.split(":")[0] for p in checked.problemen] == ["t.csv, rij 10, kolom zaak_id"]
    assert "burgerservicenummer" in checked.problemen[0]
    assert not any("100000009" in p for p in checked.problemen + checked.log)


def test_case_numbers_in_other_shapes_are_no_bsn(tmp_path: Path) -> None:
    rows = [f"2025-02-0{i},controle,gemeente,0983010099000001,Z-2025-{i:05d}" for i in range(1, 10)]
    path = table(tmp_path, "datum,signaal,bron,bag_id,zaak_id\n" + "\n".join(rows))
    frame, _ = read_table(path)
    assert validate(frame, bestand="t.csv", known_buurten=KNOWN, today=TODAY).geldig


# --- kinds and cells ---------------------------------------------------------------------------


def test_unknown_kind(tmp_path: Path) -> None:
    problems = check(table(tmp_path, "bron,waarde\ngemeente,3\n"))
    assert len(problems) == 1
    assert problems[0].startswith("t.csv: onbekende soort levering. Buurtaggregaten hebben")


def test_every_problem_is_named_not_only_the_first(tmp_path: Path) -> None:
    path = table(
        tmp_path,
        "buurtcode;periode;indicator;teller;noemer;bron\n"
        "BU0983110;2025-13;illegale_bewoning_per_controle;1,5;0;cbs\n"
        "BU09831101;1989;eigenaar_concentratie;3;;riec\n"
        "BU09831101;2025-Q5;controles;abc;-2;gemeente\n",
    )
    assert [p.split(":")[0] for p in check(path)] == [
        "t.csv, rij 2, kolom buurtcode",
        "t.csv, rij 2, kolom periode",
        "t.csv, rij 2, kolom indicator",
        "t.csv, rij 2, kolom teller",
        "t.csv, rij 2, kolom noemer",
        "t.csv, rij 2, kolom bron",
        "t.csv, rij 3, kolom periode",
        "t.csv, rij 3, kolom noemer",
        "t.csv, rij 4, kolom periode",
        "t.csv, rij 4, kolom teller",
        "t.csv, rij 4, kolom noemer",
    ]


def test_missing_required_column_and_empty_cells(tmp_path: Path) -> None:
    problems = check(
        table(tmp_path, "buurtcode,periode,indicator,teller\nBU09831101,,controles,2\n")
    )
    assert problems == [
        "t.csv, kolom bron: verplichte kolom ontbreekt.",
        "t.csv, rij 2, kolom periode: waarde ontbreekt.",
    ]


@pytest.mark.parametrize(
    ("location", "values", "column"),
    [
        ("bag_id", "12345", "bag_id"),
        ("postcode,huisnummer", "59111AB,3", "postcode"),
        ("postcode,huisnummer", "5911AB,", "huisnummer"),
        ("x,y", "209000,5.1", "y"),
        ("x,y", "400000,380000", "x"),
        ("lat,lon", "51.3,12.0", "lon"),
    ],
)
def test_bad_locations_name_their_column(
    tmp_path: Path, location: str, values: str, column: str
) -> None:
    path = table(
        tmp_path, f"datum,signaal,bron,{location}\n2025-02-03,controle,gemeente,{values}\n"
    )
    assert [p.split(":")[0] for p in check(path)] == [f"t.csv, rij 2, kolom {column}"]


def test_zaak_id_is_a_reference_not_free_text(tmp_path: Path) -> None:
    path = table(
        tmp_path,
        "datum,signaal,bron,bag_id,zaak_id\n2025-02-03,controle,gemeente,0983010099000001,"
        "bewoner klaagt over buren\n",
    )
    assert check(path)[0].startswith("t.csv, rij 2, kolom zaak_id: ongeldig zaak_id")


def test_periods_and_dates_are_checked_against_today(tmp_path: Path) -> None:
    path = table(
        tmp_path,
        "buurtcode,periode,indicator,teller,bron\nBU09831101,2026-01,controles,1,gemeente\n"
        "BU09831101,2025-q4,controles,1,gemeente\nBU09831101,1990,controles,1,gemeente\n",
    )
    assert [p.split(":")[0] for p in check(path)] == ["t.csv, rij 2, kolom periode"]
    assert check(path, today=date(2026, 1, 1)) == []


# --- points on a shared edge -------------------------------------------------------------------


def test_point_on_a_shared_edge_gets_exactly_the_lowest_buurt() -> None:
    squares = gpd.GeoDataFrame(
        {"code": ["BU00000002", "BU00000001"], "indeling_jaar": [2024, 2024]},
        geometry=[box(100, 0, 200, 100), box(0, 0, 100, 100)],
        crs="EPSG:28992",
    )
    x = pd.Series([100.0, 50.0, 150.0, 100.0, 500.0], index=[7, 8, 9, 10, 11])
    y = pd.Series([50.0, 50.0, 50.0, 100.0, 50.0], index=[7, 8, 9, 10, 11])
    found = buurt_of_points(x, y, squares)
    assert found["buurtcode"].tolist()[:4] == [
        "BU00000001",
        "BU00000001",
        "BU00000002",
        "BU00000001",
    ]
    assert pd.isna(found.loc[11, "buurtcode"])
    assert list(found.index) == [7, 8, 9, 10, 11]


def test_shared_vertex_of_real_buurten() -> None:
    buurten = venlo_buurten()
    buurten = buurten[buurten["level"] == "buurt"]
    one = buurten.set_index("code").loc["BU09831101", "geometry"]
    two = buurten.set_index("code").loc["BU09831102", "geometry"]
    vertex = next(iter(one.intersection(two).coords))
    found = buurt_of_points(pd.Series([vertex[0]]), pd.Series([vertex[1]]), buurten)
    assert found["buurtcode"].tolist() == ["BU09831101"]


def test_a_month_inside_a_delivered_quarter_is_refused(tmp_path: Path) -> None:
    path = table(
        tmp_path,
        "buurtcode,periode,indicator,teller,bron\n"
        "BU09831101,2025-Q1,controles,9,gemeente\n"
        "BU09831101,2025-02,controles,3,gemeente\n"
        "BU09831102,2025-02,controles,3,gemeente\n"
        "BU09831101,2025-02,controles,3,politie\n",
    )
    assert check(path) == [
        "t.csv, rij 3, kolom periode: periode 2025-02 overlapt met 2025-Q1 in rij 2 (zelfde "
        "bron, buurtcode en indicator): lever per reeks één soort periode."
    ]


def test_columns_without_a_name(tmp_path: Path) -> None:
    path = table(
        tmp_path,
        "buurtcode;periode;indicator;teller;bron;;\nBU09831101;2025-01;controles;1;gemeente;;let op\n",
    )
    frame, _ = read_table(path)
    assert list(frame.columns) == [
        "buurtcode",
        "periode",
        "indicator",
        "teller",
        "bron",
        "zonder naam (7e kolom)",
    ]
    assert check(path)[0].startswith(
        "t.csv, kolom zonder naam (7e kolom): onbekende kolom / vrije tekst niet toegestaan"
    )
