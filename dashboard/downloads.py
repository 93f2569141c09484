"""Downloads of aggregate tables for ``st.download_button``: CSV for Excel and XLSX, as bytes.

Pure functions, no Streamlit. Give them a table that is already disclosed (the output of
``indicators.publish.published_table`` or a frame built from it); ``published_rows`` keeps
only the published columns, so a raw teller or rate can never leave through a download.
Address-level data is never downloadable: tables with address columns are refused.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import numpy as np
import pandas as pd

from data.cells import neutralise
from geo.errors import InputError

ADDRESS_COLUMNS = frozenset(
    {
        "bag_id",
        "postcode",
        "huisnummer",
        "huisletter",
        "toevoeging",
        "adres",
        "x",
        "y",
        "lat",
        "lon",
    }
)
PUBLISHED_COLUMNS = {
    "code": "code",
    "naam": "naam",
    "level": "niveau",
    "periode": "periode",
    "indicator": "indicator",
    "teller_publ": "aantal_afgerond",
    "waarde_publ": "waarde",
    "status": "status",
}


def published_rows(table: pd.DataFrame, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The downloadable columns of a disclosed table, renamed in Dutch.

    Keeps ``code``, ``naam`` (from ``names`` when given), ``niveau``, ``periode``,
    ``indicator``, ``aantal_afgerond`` (``teller_publ``), ``waarde`` (``waarde_publ``) and
    ``status``; raw ``teller``, ``noemer`` and ``waarde`` are dropped. Numbers are blank where
    the status is not '' ("x" geheim, "." niet geleverd).
    """
    if "status" not in table.columns or "waarde_publ" not in table.columns:
        raise InputError(
            "Alleen een tabel na openbaarheidscontrole (status, waarde_publ) kan worden gedownload."
        )
    out = table.copy()
    if names is not None and "code" in out.columns:
        out["naam"] = out["code"].map(dict(names)).fillna("")
    keep = [c for c in PUBLISHED_COLUMNS if c in out.columns]
    out = out[keep].rename(columns=PUBLISHED_COLUMNS)
    hidden = out["status"] != ""
    if "waarde" in out.columns:
        out["waarde"] = out["waarde"].astype(float).mask(hidden, np.nan)
    if "aantal_afgerond" in out.columns:  # multiples of 5: whole numbers
        counts = out["aantal_afgerond"].astype(float).mask(hidden, np.nan).round()
        out["aantal_afgerond"] = counts.astype("Int64")
    return out.reset_index(drop=True)


def check_downloadable(table: pd.DataFrame) -> None:
    """Raise InputError when ``table`` has address columns: those are never downloaded."""
    found = sorted(ADDRESS_COLUMNS & {str(c).lower() for c in table.columns})
    if found:
        raise InputError(
            "Adresgegevens worden nooit gedownload; verwijder de kolommen: " + ", ".join(found)
        )


def spreadsheet_safe(table: pd.DataFrame) -> pd.DataFrame:
    """The table with every text cell and header passed through ``data.cells.neutralise``: an
    area named ``=HYPERLINK(...)`` (from an area file) is text in Excel, never a formula."""
    out = table.rename(columns=lambda c: neutralise(str(c)))
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].map(neutralise)
    return out


def csv_bytes(table: pd.DataFrame, *, decimals: int = 1) -> bytes:
    """CSV for Dutch Excel: ';' separated, decimal comma, UTF-8 with BOM, empty for no value;
    formula-like text defused."""
    check_downloadable(table)
    table = spreadsheet_safe(table)
    text = table.to_csv(
        sep=";",
        decimal=",",
        index=False,
        float_format=f"%.{decimals}f",
        na_rep="",
        lineterminator="\r\n",
    )
    return text.encode("utf-8-sig")


def xlsx_bytes(table: pd.DataFrame, *, sheet: str = "Cijfers", decimals: int = 1) -> bytes:
    """An XLSX workbook with one sheet: a bold header, numbers as numbers, empty for no value;
    formula-like text is written as text."""
    check_downloadable(table)
    table = spreadsheet_safe(table)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        table.to_excel(writer, sheet_name=sheet[:31], index=False)
        sheet_obj = writer.sheets[sheet[:31]]
        number_format = "#,##0" if decimals == 0 else "#,##0." + "0" * decimals
        for i, column in enumerate(table.columns, start=1):
            letter = sheet_obj.cell(row=1, column=i).column_letter
            width = max([len(str(column)), *[len(str(v)) for v in table[column].head(200)]])
            sheet_obj.column_dimensions[letter].width = min(max(width + 2, 8), 50)
            if pd.api.types.is_float_dtype(table[column]):
                for cell in sheet_obj[letter][1:]:
                    cell.number_format = number_format
        sheet_obj.freeze_panes = "A2"
    return buffer.getvalue()
