"""Checks shared by every partner table (deliveries and interventions): the problem collector,
column parsing, banned and identifying columns (BSN by the elfproef), unknown (free-text)
columns, missing columns and duplicate rows.

Every problem is kept, with its row as a spreadsheet shows it (header = row 1) and its column.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import pandas as pd

from data.deliveries import parsers
from data.deliveries.tables import row_problem

# Personal identity and banned attributes (docs/principes.md): refused by name, whole file.
BANNED_COLUMNS = frozenset(
    {
        "bsn",
        "burgerservicenummer",
        "sofinummer",
        "naam",
        "voornaam",
        "voornamen",
        "achternaam",
        "geslachtsnaam",
        "tussenvoegsel",
        "voorletters",
        "geboortedatum",
        "geboorte_datum",
        "nationaliteit",
        "geboorteland",
        "herkomst",
        "etniciteit",
        "religie",
        "geloof",
        "taal",
        "moedertaal",
    }
)
_BSN_SHAPE = re.compile(r"\d{8,9}")
_ELFPROEF_WEIGHTS = np.array([9, 8, 7, 6, 5, 4, 3, 2, -1])


@dataclass
class Problems:
    """Problems of one file, sorted by row and column position when read out.

    Each problem is kept twice: as shown to the person importing (it may quote the bad value)
    and as the import log keeps it (``log_messages``: the cell values of ``cells`` cut out).
    Cells marked ``personal`` are never quoted: other problems about them are dropped.
    """

    bestand: str
    columns: list[str] = field(default_factory=list)
    items: list[tuple[int, int, int, str, str]] = field(default_factory=list)
    cells: pd.DataFrame | None = None
    hidden: set[tuple[int, str]] = field(default_factory=set)

    def add(self, rij: int | None, kolom: str | None, melding: str) -> None:
        if rij is not None and kolom is not None and (rij, kolom) in self.hidden:
            return
        position = self.columns.index(kolom) if kolom in self.columns else -1
        text = row_problem(self.bestand, rij, kolom, melding)
        log = row_problem(self.bestand, rij, kolom, self._without_values(rij, melding))
        self.items.append((rij or 0, position, len(self.items), text, log))

    def personal(self, rij: int, kolom: str, melding: str) -> None:
        """A cell with personal data: reported without its value, and quoted nowhere else."""
        self.add(rij, kolom, melding)
        self.hidden.add((rij, kolom))

    def extend(self, messages: Iterable[str]) -> None:
        """Messages already formatted (e.g. structural problems from reading)."""
        for text in messages:
            self.items.append((0, -2, len(self.items), text, text))

    def _without_values(self, rij: int | None, melding: str) -> str:
        if self.cells is None or rij is None or rij not in self.cells.index:
            return melding
        row = cast(pd.Series, self.cells.loc[rij])
        values = {str(v) for v in row.tolist() if len(str(v)) >= 2}
        forms = values | {v[:37] for v in values if len(v) > 40}
        for value in sorted(forms, key=len, reverse=True):
            melding = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", "…", melding)
        return melding

    def rows(self) -> set[int]:
        """The rows with at least one problem."""
        return {rij for rij, *_ in self.items if rij}

    def messages(self) -> list[str]:
        return [text for *_, text, _log in sorted(self.items)]

    def log_messages(self) -> list[str]:
        """The problems as the import log keeps them: positions and reasons, no cell values."""
        return [log for *_, log in sorted(self.items)]

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)


def parse_column(
    frame: pd.DataFrame, kolom: str, parse: parsers.Parser, problems: Problems
) -> pd.Series:
    """Parse every cell of ``kolom`` once per distinct value; report bad cells by row.

    Returns the parsed values (object dtype, None for bad cells), indexed like ``frame``.
    """
    values = frame[kolom]
    parsed: dict[str, object] = {}
    errors: dict[str, str] = {}
    for value in values.unique():
        try:
            parsed[value] = parse(value)
        except ValueError as exc:
            errors[value] = str(exc)
            parsed[value] = None
    if errors:
        bad = values[values.isin(list(errors))]
        for rij, value in zip(bad.index.tolist(), bad.tolist(), strict=True):
            problems.add(int(rij), kolom, errors[value])
    return values.map(parsed).astype("object")


def elfproef(values: pd.Series) -> pd.Series:
    """True where a value is 8 or 9 digits that pass the elfproef of a BSN (8: a dropped zero)."""
    shaped = values.str.fullmatch(_BSN_SHAPE.pattern).fillna(False).astype(bool)
    result = pd.Series(False, index=values.index)
    if not shaped.any():
        return result
    digits = np.array([list(v.zfill(9)) for v in values[shaped]], dtype=np.int64)
    total = digits @ _ELFPROEF_WEIGHTS
    result[shaped] = (total % 11 == 0) & (digits.sum(axis=1) > 0)
    return result


def check_identity(frame: pd.DataFrame, problems: Problems) -> set[str]:
    """Report banned columns by name, and any column mostly made of BSN-shaped numbers.

    Returns the columns reported, so that they are not reported again as unknown.
    """
    reported: set[str] = set()
    for kolom in frame.columns:
        if kolom in BANNED_COLUMNS:
            problems.add(
                None,
                kolom,
                "verboden kolom: BSN, namen, geboortedata, nationaliteit, geboorteland, "
                "herkomst, etniciteit en religie mogen nooit worden aangeleverd. Het hele bestand "
                "is geweigerd; haal de kolom weg en lever opnieuw.",
            )
            reported.add(kolom)
            continue
        filled = frame[kolom][frame[kolom] != ""]
        passing = elfproef(filled) if len(filled) else pd.Series(dtype=bool)
        hits = int(passing.sum())
        # A column of them (at least two): one value alone is left to the per-value check,
        # which takes 9 digits only (8-digit codes pass the elfproef 1 time in 11).
        if hits >= 2 and hits * 2 >= len(filled):
            rows = [str(r) for r in filled.index[passing.to_numpy()].tolist()]
            shown = ", ".join(rows[:20]) + (f" en {len(rows) - 20} meer" if len(rows) > 20 else "")
            problems.add(
                None,
                kolom,
                f"bevat burgerservicenummers in rij {shown} ({hits} van {len(filled)} waarden "
                "zijn 9 cijfers die de elfproef doorstaan). Persoonsnummers mogen nooit worden "
                "aangeleverd; het hele bestand is geweigerd.",
            )
            reported.add(kolom)
    return reported


def check_unknown(
    frame: pd.DataFrame, known: Collection[str], skip: Collection[str], problems: Problems
) -> None:
    """Every column outside ``known`` is refused: free text has no place in a delivery."""
    for kolom in frame.columns:
        if kolom in known or kolom in skip:
            continue
        problems.add(
            None,
            kolom,
            "onbekende kolom / vrije tekst niet toegestaan. Toegestane kolommen: "
            f"{', '.join(sorted(known))}.",
        )


def check_missing(frame: pd.DataFrame, needed: Iterable[str], problems: Problems) -> bool:
    """Report each required column that is absent; True when all are there."""
    missing = [c for c in needed if c not in frame.columns]
    for kolom in missing:
        problems.add(None, kolom, "verplichte kolom ontbreekt.")
    return not missing


def check_duplicates(
    keys: pd.DataFrame, problems: Problems, description: str, usable: pd.Series | None = None
) -> None:
    """Report each row whose ``keys`` repeat an earlier row (rows where ``usable`` is False are
    skipped: their own problems are reported already)."""
    rows = keys if usable is None else keys[usable]
    if rows.empty:
        return
    dup = rows.duplicated(keep=False)
    if not dup.any():
        return
    first_of: dict[tuple[object, ...], int] = {}
    for rij, key in zip(rows.index[dup], rows[dup].itertuples(index=False, name=None), strict=True):
        if key in first_of:
            problems.add(int(rij), None, f"dubbele regel: {description} als rij {first_of[key]}.")
        else:
            first_of[key] = int(rij)
