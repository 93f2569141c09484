"""Reading partner tables: CSV (``,`` or ``;``, UTF-8 with or without BOM, or Windows-1252) and
XLSX (first sheet). Every value comes back as a stripped string; missing values as ``""``.

The frame's index is the row number a spreadsheet user sees (the header is row 1), so every
problem found later can name it.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import pandas as pd

from data.deliveries.limits import check_csv, check_file_size, check_sheet_shape, check_xlsx
from data.settings import UploadLimits
from geo.errors import InputError

_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0"
_SPACES = re.compile(r"[\s\-]+")
UNNAMED = "zonder naam"


@dataclass
class Table:
    """A read table: ``frame`` (strings, index = spreadsheet row), the raw bytes, and the
    structural problems (rows cut short, bad quoting, duplicate headers) as full messages."""

    bestand: str
    frame: pd.DataFrame
    inhoud: bytes
    problemen: list[str] = field(default_factory=list)


def normalise_header(name: object) -> str:
    """Header names are case-insensitive and stripped: ``" Zaak ID "`` -> ``"zaak_id"``."""
    text = str(name or "").replace("\ufeff", "").strip().lower()
    return _SPACES.sub("_", text)


def load_table(path: Path, limits: UploadLimits | None = None) -> Table:
    """Read ``path`` (CSV or XLSX). Raise InputError naming the file when it cannot be read at
    all: missing, empty, header only, UTF-16, tab-separated, old .xls, or over the upload
    ``limits`` (checked before parsing; ``data.deliveries.limits``)."""
    bestand = path.name
    limits = limits or UploadLimits()
    check_file_size(path, limits)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"{bestand}: bestand niet gevonden ({path}).") from exc
    except IsADirectoryError as exc:
        raise InputError(f"{bestand}: dit is een map, geen bestand.") from exc
    except OSError as exc:
        raise InputError(f"{bestand}: bestand niet te lezen (geen leesrechten?).") from exc
    if not raw.strip():
        raise InputError(f"{bestand}: het bestand is leeg.")
    if raw.startswith(_XLS_MAGIC):
        raise InputError(
            f"{bestand}: oud Excel-formaat (.xls). Sla het op als .xlsx of als CSV en probeer opnieuw."
        )
    if raw.startswith(_XLSX_MAGIC):
        check_xlsx(raw, bestand, limits)
        records = _xlsx_records(raw, bestand, limits)
    else:
        check_csv(raw, bestand, limits)
        records = _csv_records(_decode(raw, bestand), bestand)
    return _to_table(bestand, raw, records)


def _decode(raw: bytes, bestand: str) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw[:4096]:
        raise InputError(
            f"{bestand}: het bestand is UTF-16 (of binair) gecodeerd. Sla het op als "
            "'CSV UTF-8' of 'CSV (gescheiden door lijstscheidingsteken)' en probeer opnieuw."
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{bestand}: tekenset niet te lezen (byte {exc.start + 1}); verwacht UTF-8 of "
            "Windows-1252."
        ) from exc


def _delimiter(text: str, bestand: str) -> str:
    header = next((line for line in text.splitlines() if line.strip()), "")
    commas, semicolons, tabs = header.count(","), header.count(";"), header.count("\t")
    if tabs and not commas and not semicolons:
        raise InputError(
            f"{bestand}: de kolommen zijn gescheiden door tabs. Gebruik een komma of puntkomma "
            "als scheidingsteken (in Excel: 'Opslaan als' CSV)."
        )
    if "|" in header and not commas and not semicolons:
        raise InputError(
            f"{bestand}: de kolommen zijn gescheiden door '|'. Gebruik een komma of puntkomma."
        )
    return ";" if semicolons >= commas and semicolons else ","


def _csv_records(text: str, bestand: str) -> list[list[str]]:
    """The fields of each record (record i is spreadsheet row i + 1); a quoting error ends the
    read with a marker record."""
    delimiter = _delimiter(text, bestand)
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error:
        pass
    records: list[list[str]] = []
    try:
        for fields in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True):
            records.append(fields)
    except csv.Error:
        records.append([_BROKEN])
    return records


_BROKEN = "\x00afgebroken"


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_records(raw: bytes, bestand: str, limits: UploadLimits) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # openpyxl: styles, data validation
            book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # zip or XML errors: any of several types
        raise InputError(f"{bestand}: geen leesbaar Excel-bestand (.xlsx): {exc}.") from exc
    try:
        sheet = book.worksheets[0]
        # The sheet's own dimension first (it may lie, so count while reading too): a forged
        # one of 16.384 columns would make every row that wide.
        check_sheet_shape(sheet.max_row or 0, sheet.max_column or 0, bestand, limits)
        records = []
        for values in sheet.iter_rows(values_only=True):
            records.append([_cell(v) for v in values])
            check_sheet_shape(len(records), len(values), bestand, limits)
        return records
    finally:
        book.close()


def _header(
    fields: Sequence[str], bestand: str, problemen: list[str]
) -> tuple[list[str], list[int]]:
    """Normalised names and the positions to keep (unnamed empty columns are dropped later)."""
    names = [normalise_header(f) or f"{UNNAMED} ({i + 1}e kolom)" for i, f in enumerate(fields)]
    keep: list[int] = []
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            problemen.append(f"{bestand}, kolom {name}: staat meer dan eens in de kopregel.")
            continue
        seen.add(name)
        keep.append(i)
    return names, keep


def _blank(fields: Sequence[str]) -> bool:
    return not "".join(fields).strip()


def _to_table(bestand: str, raw: bytes, records: list[list[str]]) -> Table:
    start = next((i for i, fields in enumerate(records) if not _blank(fields)), None)
    if start is None:
        raise InputError(f"{bestand}: het bestand is leeg.")
    problemen: list[str] = []
    names, keep = _header([f.strip() for f in records[start]], bestand, problemen)
    width = len(names)
    rows: list[list[str]] = []
    numbers: list[int] = []
    for number, fields in enumerate(records[start + 1 :], start=start + 2):
        if len(fields) != width:
            if fields == [_BROKEN]:
                problemen.append(
                    f"{bestand}, rij {number}: aanhalingsteken niet afgesloten of ongeldig "
                    "(is het bestand afgebroken?)."
                )
                break
            if _blank(fields):
                continue
            if len(fields) > width and _blank(fields[width:]):
                fields = fields[:width]
            else:
                problemen.append(
                    f"{bestand}, rij {number}: {len(fields)} velden, verwacht {width} (regel "
                    "afgebroken, of een scheidingsteken in een waarde zonder aanhalingstekens?)."
                )
                continue
        rows.append(fields)
        numbers.append(number)
    frame = _frame(names, keep, rows, numbers)
    if frame.empty and not problemen:
        raise InputError(f"{bestand}: alleen een kopregel, geen gegevens.")
    return Table(bestand, frame, raw, problemen)


def _frame(
    names: list[str], keep: list[int], rows: list[list[str]], numbers: list[int]
) -> pd.DataFrame:
    """Stripped strings, blank rows and unnamed empty columns left out."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    frame = pd.DataFrame(
        {names[i]: pd.Series(columns[i], dtype="str").str.strip() for i in keep},
        dtype="str",
    )
    frame.index = pd.Index(numbers, name="rij", dtype="int64")
    frame = frame[(frame != "").any(axis=1)] if len(frame.columns) else frame
    unnamed = [c for c in frame.columns if c.startswith(UNNAMED) and not (frame[c] != "").any()]
    return frame.drop(columns=unnamed)


def read_table(path: Path) -> tuple[pd.DataFrame, bytes]:
    """Read a partner file into a frame of strings (index: spreadsheet row) and its raw bytes.

    Raise InputError naming the file when it cannot be read, or listing every broken row.
    """
    table = load_table(path)
    if table.problemen:
        raise InputError(f"{table.bestand}: het bestand is niet goed gevormd.", table.problemen)
    return table.frame, table.inhoud


def row_problem(bestand: str, rij: int | None, kolom: str | None, melding: str) -> str:
    """``"bestand, rij N, kolom X: melding"``, leaving out what does not apply."""
    parts = [bestand]
    if rij is not None:
        parts.append(f"rij {rij}")
    if kolom is not None:
        parts.append(f"kolom {kolom}")
    return ", ".join(parts) + f": {melding}"


def columns_text(columns: Iterable[str]) -> str:
    """``a, b en c``: a Dutch enumeration."""
    items = list(columns)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " en " + items[-1]
