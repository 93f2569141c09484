"""Personal data in any cell of a partner file: a BSN (the elfproef) or a name with a birth date.

Checked per value, in every column and in the header: one such value refuses the whole file.
The value itself is never repeated: the problem names the file, row and column only, and the
other checks say nothing about that cell (their messages quote values).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date

import pandas as pd

from data.deliveries.checks import Problems

# 9 digits standing alone (not part of a longer number, such as a 16-digit bag_id). A single
# value of 8 digits is left to the column check (checks.check_identity: a column of them is a
# BSN column whose leading zeros a spreadsheet dropped): alone, 1 in 11 of the 8-digit codes a
# partner may type (a buurtcode without BU, a date 19800201) would pass by chance.
_NINE_DIGITS = re.compile(r"(?<!\d)\d{9}(?!\d)")
_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)
# Dates as people write birth dates: 1980-02-01, 01-02-1980, 1/2/1980, 01.02.1980, 19800201.
_DATES = (
    re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})[-/._](?P<m>\d{1,2})[-/._](?P<d>\d{1,2})(?!\d)"),
    re.compile(r"(?<!\d)(?P<d>\d{1,2})[-/._](?P<m>\d{1,2})[-/._](?P<y>(?:19|20)\d{2})(?!\d)"),
    re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<m>\d{2})(?P<d>\d{2})(?!\d)"),
)
# A name: a capitalised word (Jansen, De-Vries, d'Ancona) or an initial (P.).
_WORD = re.compile(r"[A-Za-zÀ-ÿ'’-]+\.?")
_INITIAL = re.compile(r"[A-Z]\.?|[a-z]\.")
_SURNAME = re.compile(r"(?:[a-z]{1,3}['’])?[A-ZÀ-Þ][a-zà-ÿ]+(?:[-'’][A-Za-zÀ-ÿ]+)*")
# Capitalised words that are no name: the vocabulary of deliveries and interventions.
NOT_NAMES = frozenset(
    [
        "controle",
        "controleavond",
        "controles",
        "avond",
        "aanpak",
        "wijkaanpak",
        "wijkgerichte",
        "wijk",
        "buurt",
        "project",
        "actie",
        "zaak",
        "melding",
        "dossier",
        "inspectie",
        "bezoek",
        "huisbezoek",
        "week",
        "fase",
        "ronde",
        "start",
        "eind",
        "levering",
        "rapport",
        "ref",
        "kenmerk",
        "nummer",
        "nr",
        "handhaving",
        "gemeente",
        "politie",
        "brand",
        "brandonveilig",
        "overbewoning",
        "woningsplitsing",
        "illegale",
        "bewoning",
        "signaal",
        "bron",
        "uwv",
        "belastingdienst",
        "nla",
        "om",
        "svb",
        "ind",
        "riec",
        "demo",
        "lsi",
        "overig",
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
        "jan",
        "feb",
        "mrt",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "okt",
        "nov",
        "dec",
        "maandag",
        "dinsdag",
        "woensdag",
        "donderdag",
        "vrijdag",
        "zaterdag",
        "zondag",
        "noord",
        "zuid",
        "oost",
        "west",
        "centrum",
    ]
)


def elfproef(digits: str) -> bool:
    """True when 8 or 9 digits pass the elfproef of a burgerservicenummer."""
    padded = digits.zfill(9)
    if len(padded) != 9 or not padded.isdigit() or set(padded) == {"0"}:
        return False
    return sum(int(d) * w for d, w in zip(padded, _WEIGHTS, strict=True)) % 11 == 0


def has_bsn(value: str) -> bool:
    """A BSN in the value: 9 digits passing the elfproef, alone or inside other text."""
    return any(elfproef(m.group()) for m in _NINE_DIGITS.finditer(value))


def _dates(value: str) -> list[tuple[int, int]]:
    """Spans of the real calendar dates from 1900 to today in the value."""
    found = []
    for pattern in _DATES:
        for match in pattern.finditer(value):
            try:
                day = date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                continue
            if date(1900, 1, 1) <= day <= date.today():
                found.append(match.span())
    return found


def _is_name(token: str) -> bool:
    word = token.rstrip(".")
    if word.lower() in NOT_NAMES and not _INITIAL.fullmatch(token):
        return False
    return bool(_INITIAL.fullmatch(token) or _SURNAME.fullmatch(word))


def has_name_with_birth_date(value: str, known_words: frozenset[str] = frozenset()) -> bool:
    """A name next to a date: ``Jansen.Piet.1980-02-01``, ``P. Jansen 01-02-1980``.

    A name is a capitalised word or an initial that is not in ``NOT_NAMES`` or ``known_words``
    (lower case; e.g. the names of the loaded buurten and wijken).
    """
    spans = _dates(value)
    if not spans:
        return False
    words = [
        m.group()
        for m in _WORD.finditer(value)
        if m.group().rstrip(".").lower() not in known_words | NOT_NAMES
    ]
    if any(_is_name(w) for w in words):
        return True
    # Written all in lower case ("jansen_piet_19800201"): two words besides the date.
    return len([w for w in words if len(w.strip(".'’-")) >= 2]) >= 2


def check_personal(
    frame: pd.DataFrame,
    problems: Problems,
    known_words: frozenset[str] = frozenset(),
    reported: Collection[str] = (),
) -> pd.DataFrame:
    """Report every cell (and header) that holds a BSN or a name with a birth date, by row and
    column only, and mark those cells so that no other check quotes them.

    Returns ``frame`` with such headers renamed by position ("3e kolom"), so that no later
    message names them either. Columns in ``reported`` (refused whole already, by name or as
    a BSN column) are not checked cell by cell, but their cells are never quoted either.
    """
    renames = {
        kolom: f"{position}e kolom"
        for position, kolom in enumerate(frame.columns, start=1)
        if _personal(str(kolom), known_words)
    }
    for name in renames.values():
        problems.add(None, name, f"de kopregel bevat persoonsgegevens. {_REFUSED}")
    frame = frame.rename(columns=renames)
    problems.columns = list(frame.columns)
    for kolom in frame.columns:
        values = frame[kolom]
        if kolom in reported:
            problems.hidden.update((int(rij), str(kolom)) for rij in values.index)
            continue
        for value in values.unique():
            reason = _personal(str(value), known_words)
            if reason is None:
                continue
            for rij in values.index[values == value]:
                problems.personal(int(rij), str(kolom), f"{reason} {_REFUSED}")
    return frame


def _personal(text: str, known_words: frozenset[str]) -> str | None:
    if not text:
        return None
    if has_bsn(text):
        return "bevat een burgerservicenummer (9 cijfers die de elfproef doorstaan)."
    if has_name_with_birth_date(text, known_words):
        return "lijkt een naam met een geboortedatum."
    return None


_REFUSED = (
    "Persoonsgegevens (BSN, namen, geboortedata) mogen nooit worden aangeleverd; het hele "
    "bestand is geweigerd en de waarde is niet bewaard. Haal ze weg en lever opnieuw."
)


def area_words(names: list[str]) -> frozenset[str]:
    """The words of area names (lower case): a buurt name next to a date is no person."""
    return frozenset(w.lower() for name in names for w in _WORD.findall(name))
