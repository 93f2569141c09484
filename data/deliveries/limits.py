"""Upload limits, checked before a partner file is parsed (WIJKMONITOR_MAX_*; data.settings).

A 205 kB XLSX can unpack to hundreds of megabytes of shared strings, each a Python object once
openpyxl reads it. So before any parser runs: the file's size; for CSV the number of lines and
header fields; for XLSX the zip directory (entries, unpacked size) and a streaming count of the
shared strings, reading the XML in small chunks. Python's zipfile never unpacks an entry past
the size its directory declares, so the directory's sizes bound what openpyxl can read.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from data.settings import UploadLimits
from geo.errors import InputError

_CHUNK = 1 << 20
_MAX_ENTRIES = 1_000
_SHARED_STRING = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s>/]")
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB".replace(".", ",")


def check_file_size(path: Path, limits: UploadLimits) -> None:
    """Refuse a file larger than ``limits.max_bytes`` before it is read."""
    try:
        size = path.stat().st_size
    except OSError:
        return  # reading it reports the problem in Dutch (missing, a folder, no rights)
    if size > limits.max_bytes:
        raise InputError(
            f"{path.name}: het bestand is {_mb(size)}, meer dan de toegestane {_mb(limits.max_bytes)} "
            "(WIJKMONITOR_MAX_BESTAND_MB). Lever het in delen aan."
        )


def check_csv(raw: bytes, bestand: str, limits: UploadLimits) -> None:
    """Refuse a CSV with more lines or header fields than allowed, counted on the raw bytes."""
    lines = raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)
    if lines - 1 > limits.max_rows:
        raise InputError(
            f"{bestand}: {lines - 1} regels, meer dan de toegestane {limits.max_rows} "
            "(WIJKMONITOR_MAX_RIJEN). Lever het in delen aan."
        )
    header = next((line for line in raw.splitlines() if line.strip()), b"")
    fields = max(header.count(b";"), header.count(b",")) + 1
    if fields > limits.max_columns:
        raise InputError(
            f"{bestand}: {fields} kolommen, meer dan de toegestane {limits.max_columns} "
            "(WIJKMONITOR_MAX_KOLOMMEN). Lever alleen de kolommen uit de beschrijving."
        )


def check_xlsx(raw: bytes, bestand: str, limits: UploadLimits) -> None:
    """Refuse an XLSX whose zip unpacks too far or holds too many shared strings, or whose
    XML declares a DTD (entity expansion); read the XML in chunks, never whole."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile as exc:
        raise InputError(f"{bestand}: geen leesbaar Excel-bestand (.xlsx): {exc}.") from exc
    with archive:
        entries = archive.infolist()
        unpacked = sum(e.file_size for e in entries)
        if len(entries) > _MAX_ENTRIES or unpacked > limits.max_unpacked_bytes:
            raise InputError(
                f"{bestand}: het Excel-bestand pakt uit tot {_mb(unpacked)} in {len(entries)} "
                f"delen, meer dan de toegestane {_mb(limits.max_unpacked_bytes)} "
                "(WIJKMONITOR_MAX_XLSX_UITGEPAKT_MB). Sla het op als CSV of lever het in delen aan."
            )
        for entry in entries:
            if entry.filename.lower().endswith((".xml", ".rels")):
                _scan(archive, entry, bestand, limits)


def _scan(
    archive: zipfile.ZipFile, entry: zipfile.ZipInfo, bestand: str, limits: UploadLimits
) -> None:
    shared = entry.filename.lower().endswith("sharedstrings.xml")
    count, tail = 0, b""
    try:
        with archive.open(entry) as stream:
            while chunk := stream.read(_CHUNK):
                window = tail + chunk
                if _DTD.search(window):
                    raise InputError(
                        f"{bestand}: het Excel-bestand bevat een DTD ({entry.filename}); dat "
                        "hoort niet in .xlsx. Sla het opnieuw op vanuit Excel of als CSV."
                    )
                if shared:
                    # a match that straddles two chunks is counted once: the tail keeps the last
                    # few bytes, and matches wholly inside it were counted with the chunk before
                    count += len(_SHARED_STRING.findall(window)) - len(_SHARED_STRING.findall(tail))
                    if count > limits.max_shared_strings:
                        raise InputError(
                            f"{bestand}: meer dan {limits.max_shared_strings} verschillende "
                            "teksten (gedeelde teksten in het Excel-bestand; "
                            "WIJKMONITOR_MAX_XLSX_TEKSTEN). Sla het op als CSV of lever het in "
                            "delen aan."
                        )
                tail = window[-16:]
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise InputError(f"{bestand}: geen leesbaar Excel-bestand (.xlsx): {exc}.") from exc


def check_sheet_shape(rows: int, columns: int, bestand: str, limits: UploadLimits) -> None:
    """Refuse a sheet with more rows (besides the header) or columns than allowed."""
    if rows - 1 > limits.max_rows:
        raise InputError(
            f"{bestand}: meer dan {limits.max_rows} rijen (WIJKMONITOR_MAX_RIJEN). Lever het in "
            "delen aan."
        )
    if columns > limits.max_columns:
        raise InputError(
            f"{bestand}: {columns} kolommen, meer dan de toegestane {limits.max_columns} "
            "(WIJKMONITOR_MAX_KOLOMMEN). Lever alleen de kolommen uit de beschrijving."
        )
