"""Cells for spreadsheets: text that Excel or LibreOffice would run as a formula is defused.

OWASP "CSV injection": a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is read as a formula (``=HYPERLINK(...)``, ``=cmd|...``). ``neutralise`` puts an
apostrophe before such text, the way a spreadsheet user escapes it; a genuine number such as
``-12,5`` stays as it is. Every writer of CSV or XLSX (downloads, exports, ``publish``) passes
its text cells through it.
"""

from __future__ import annotations

import re

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# A number as a person or a program writes it: -12, +3,5, -1.234,5, 1e-3, -0.25.
_NUMBER = re.compile(r"[+-]?(\d{1,3}([.,]\d{3})+|\d+)([.,]\d+)?([eE][+-]?\d+)?")


def neutralise(value: object) -> object:
    """``value`` made safe for a spreadsheet cell: formula-like text gets a leading apostrophe.

    Non-text values (numbers, dates, None) and genuine numbers in text come back unchanged.
    """
    if not isinstance(value, str) or not value.startswith(_TRIGGERS):
        return value
    if _NUMBER.fullmatch(value):
        return value
    return "'" + value
