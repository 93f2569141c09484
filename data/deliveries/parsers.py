"""Cell parsers for partner files: one string in, one clean value out, or ValueError with a Dutch
message that says what is wrong and what is expected. Shared by deliveries and interventions."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from datetime import date, datetime

from indicators import catalogue
from indicators.periods import granularity, start_date

EARLIEST = date(1990, 1, 1)
_BUURTCODE = re.compile(r"BU\d{8}")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_NL_DATE = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})")
_POINT_DECIMAL = re.compile(r"[+-]?\d+(\.\d+)?")
_COMMA_DECIMAL = re.compile(r"[+-]?(\d+|\d{1,3}(\.\d{3})+)(,\d+)?")
_POSTCODE = re.compile(r"([1-9]\d{3}) ?([A-Z]{2})")
_ZAAK_ID = re.compile(r"[A-Za-z0-9._/:-]{1,40}")

Parser = Callable[[str], object]


def shown(value: str) -> str:
    """A value quoted for a message, cut short when long."""
    return repr(value if len(value) <= 40 else value[:37] + "...")


def required(parse: Parser) -> Parser:
    """Wrap ``parse`` so that an empty cell is a problem."""

    def check(value: str) -> object:
        if not value:
            raise ValueError("waarde ontbreekt.")
        return parse(value)

    return check


def optional(parse: Parser) -> Parser:
    """Wrap ``parse`` so that an empty cell is None."""

    def check(value: str) -> object:
        return None if not value else parse(value)

    return check


def buurtcode(known: Collection[str]) -> Parser:
    """``BU`` + 8 digits, and one of ``known`` (the stored buurten)."""

    def parse(value: str) -> str:
        code = value.upper()
        if not _BUURTCODE.fullmatch(code):
            raise ValueError(f"geen buurtcode {shown(value)}: verwacht BU gevolgd door 8 cijfers.")
        if code not in known:
            raise ValueError(f"onbekende buurtcode {shown(value)}: niet in de geladen gebieden.")
        return code

    return parse


def periode(today: date) -> Parser:
    """``YYYY-MM``, ``YYYY-Qn`` or ``YYYY``, starting between 1990 and ``today``."""

    def parse(value: str) -> str:
        text = value.upper()
        try:
            granularity(text)
        except ValueError:
            raise ValueError(
                f"ongeldige periode {shown(value)}: verwacht JJJJ-MM, JJJJ-Qn of JJJJ."
            ) from None
        first = start_date(text).date()
        if first < EARLIEST or first > today:
            raise ValueError(
                f"periode {shown(value)} ligt buiten 1990 t/m vandaag ({today.isoformat()})."
            )
        return text

    return parse


def indicator(value: str) -> str:
    """A delivered catalogue code (derived codes are never delivered)."""
    code = value.lower()
    card = catalogue.BY_CODE.get(code)
    if card is None:
        raise ValueError(
            f"onbekende indicator {shown(value)}; bekend: {', '.join(catalogue.CODES)}."
        )
    if card.afgeleid:
        raise ValueError(
            f"indicator {code} wordt afgeleid uit andere indicatoren en wordt nooit geleverd."
        )
    return code


def bron(value: str) -> str:
    code = value.lower()
    if code not in catalogue.BRONNEN:
        raise ValueError(
            f"onbekende bron {shown(value)}; toegestaan: {', '.join(catalogue.BRONNEN)}."
        )
    return code


def signaal(value: str) -> str:
    code = value.lower()
    if code not in catalogue.SIGNALEN:
        raise ValueError(
            f"onbekend signaal {shown(value)}; toegestaan: {', '.join(catalogue.SIGNALEN)}."
        )
    return code


def count(value: str) -> int:
    """A count: an integer >= 0."""
    text = value.replace(" ", "")
    if re.fullmatch(r"\d+", text):
        return int(text)
    if re.fullmatch(r"-\d+([.,]\d+)?", text):
        raise ValueError(
            f"negatief aantal ({value}): een teller is een geheel getal van 0 of meer."
        )
    raise ValueError(f"geen geheel getal {shown(value)}: een teller is een aantal van 0 of meer.")


def decimal(value: str) -> float:
    """``1234.5``, ``1234,5`` or ``1.234,5``."""
    text = value.replace(" ", "")
    if _POINT_DECIMAL.fullmatch(text):
        return float(text)
    if _COMMA_DECIMAL.fullmatch(text):
        return float(text.replace(".", "").replace(",", "."))
    raise ValueError(f"geen getal {shown(value)}: schrijf bijvoorbeeld 1234,5 of 1234.5.")


def positive(value: str) -> float:
    number = decimal(value)
    if not number > 0:
        raise ValueError(f"noemer {value} moet groter dan 0 zijn.")
    return number


def calendar_date(value: str) -> date:
    """``YYYY-MM-DD`` or ``DD-MM-YYYY`` (one-digit day and month allowed)."""
    iso, nl = _ISO_DATE.fullmatch(value), _NL_DATE.fullmatch(value)
    if iso:
        year, month, day = (int(p) for p in iso.groups())
    elif nl:
        day, month, year = (int(p) for p in nl.groups())
    else:
        raise ValueError(f"ongeldige datum {shown(value)}: verwacht JJJJ-MM-DD of DD-MM-JJJJ.")
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"datum {shown(value)} bestaat niet.") from None


def datum(today: date) -> Parser:
    """A date between 1990-01-01 and ``today``."""

    def parse(value: str) -> date:
        day = calendar_date(value)
        if day < EARLIEST or day > today:
            raise ValueError(
                f"datum {value} ligt buiten 1990-01-01 t/m vandaag ({today.isoformat()})."
            )
        return day

    return parse


def bag_id(value: str) -> str:
    """16 digits; leading zeros that a spreadsheet dropped are restored."""
    if not re.fullmatch(r"\d{12,16}", value):
        raise ValueError(f"ongeldig bag_id {shown(value)}: verwacht 16 cijfers.")
    return value.zfill(16)


def postcode(value: str) -> str:
    """``5911 AB`` -> ``5911AB``."""
    match = _POSTCODE.fullmatch(value.upper().strip())
    if not match:
        raise ValueError(f"ongeldige postcode {shown(value)}: verwacht 4 cijfers en 2 letters.")
    return match.group(1) + match.group(2)


def huisnummer(value: str) -> int:
    if not re.fullmatch(r"\d{1,5}", value) or int(value) == 0:
        raise ValueError(f"ongeldig huisnummer {shown(value)}: verwacht een getal van 1 tot 99999.")
    return int(value)


def huisletter(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z]", value):
        raise ValueError(f"ongeldige huisletter {shown(value)}: verwacht één letter.")
    return value.upper()


def toevoeging(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9]{1,4}", value):
        raise ValueError(
            f"ongeldige toevoeging {shown(value)}: verwacht 1 tot 4 letters of cijfers."
        )
    return value.upper()


def zaak_id(value: str) -> str:
    """A case reference, not free text: up to 40 letters, digits and ``. _ / : -``."""
    if not _ZAAK_ID.fullmatch(value):
        raise ValueError(
            f"ongeldig zaak_id {shown(value)}: een kenmerk van hoogstens 40 letters, cijfers of "
            "'. _ / : -', zonder spaties (geen vrije tekst)."
        )
    return value


def within(low: float, high: float, what: str) -> Callable[[str], float]:
    """A decimal number in ``[low, high]``; ``what`` names the range in the message."""

    def parse(value: str) -> float:
        number = decimal(value)
        if not low <= number <= high:
            raise ValueError(f"{value} ligt buiten {what} ({low:g} tot {high:g}).")
        return number

    return parse


def rd(low: float, high: float, axis: str) -> Parser:
    """An RD New coordinate (metres) in ``[low, high]``; degrees get a hint to use lat/lon."""
    parse_range = within(low, high, f"het RD-bereik van {axis}")

    def parse(value: str) -> float:
        number = decimal(value)
        if abs(number) <= 180:
            raise ValueError(
                f"{value} lijkt een breedte- of lengtegraad: geef die in de kolommen lat en lon; "
                f"{axis} is in meters (RD New)."
            )
        return float(parse_range(value))

    return parse


def soort_interventie(value: str) -> str:
    code = value.lower()
    allowed = ("lsi_project", "controleavond", "wijkaanpak", "overig")
    if code not in allowed:
        raise ValueError(f"onbekende soort {shown(value)}; toegestaan: {', '.join(allowed)}.")
    return code


def any_date(value: str) -> date:
    """A date from 1990 on, in the future allowed (planned interventions)."""
    day = calendar_date(value)
    if day < EARLIEST or day > date(2100, 12, 31):
        raise ValueError(f"datum {value} ligt buiten 1990 t/m 2100.")
    return day


def now_date() -> date:
    return datetime.now().date()
