"""Page size, fonts, colours and paragraph styles shared by the PDF reports.

The standard PDF font Helvetica is used (nothing to embed, nothing to install in the container);
it covers Dutch text (WinAnsi). ``safe`` maps the few characters outside it and escapes markup.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 30.0
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
FONT = "Helvetica"
BOLD = "Helvetica-Bold"
ITALIC = "Helvetica-Oblique"

INK = colors.HexColor("#1a1a1a")
MUTED = colors.HexColor("#4d4d4d")
RULE = colors.HexColor("#9a9a9a")
BAND = colors.HexColor("#eeeeee")

DEMO_TEXT = "Demodata (fictief)"
ATTRIBUTION = "CBS / Kadaster"
SIGNALS_STATEMENT = (
    "Wijkmonitor signaleert waar de leefbaarheid onder druk staat en of een aanpak helpt. "
    "Het verklaart geen oorzaken en wijst geen adressen of personen aan."
)
SYMBOLS_NOTE = (
    "Tekens zoals het CBS ze schrijft: x = geheim (kleine aantallen, of een noemer onder 50), "
    ". = niet geleverd of onbekend (niet geleverd is nooit nul). Gepubliceerde aantallen zijn "
    "afgerond op 5."
)

PARTNERS = {
    "gemeente": "gemeente",
    "uwv": "UWV",
    "belastingdienst": "Belastingdienst",
    "nla": "Nederlandse Arbeidsinspectie",
    "politie": "Politie",
    "om": "OM",
    "svb": "SVB",
    "ind": "IND",
    "riec": "RIEC",
}
SOORTEN = {
    "lsi_project": "LSI-project",
    "controleavond": "controleavond",
    "wijkaanpak": "wijkaanpak",
    "overig": "overig",
}


def partners(codes: Iterable[object]) -> str:
    """Partner codes as names, comma separated (``uwv`` -> ``UWV``)."""
    return ", ".join(PARTNERS.get(str(c), str(c)) for c in codes)


_REPLACE = str.maketrans(
    {"−": "-", "≈": "~", "≤": "<=", "≥": ">=", "→": "->", "\u00a0": " ", "\u2009": " "}
)


def safe(text: object) -> str:
    """Plain text for a Paragraph: characters Helvetica lacks replaced, markup escaped."""
    plain = str(text).translate(_REPLACE)
    plain = plain.encode("cp1252", errors="replace").decode("cp1252")
    return escape(plain)


def nl_date(value: date) -> str:
    """A date the Dutch way: 28-11-2026."""
    return f"{value.day:02d}-{value.month:02d}-{value.year}"


def _style(name: str, **kw: object) -> ParagraphStyle:
    base: dict[str, object] = {
        "fontName": FONT,
        "fontSize": 8,
        "leading": 10,
        "textColor": INK,
        "alignment": TA_LEFT,
    }
    base.update(kw)
    return ParagraphStyle(name, **base)


TITLE = _style("titel", fontName=BOLD, fontSize=17, leading=20)
SUBTITLE = _style("ondertitel", fontSize=8.5, leading=11, textColor=MUTED)
HEADING = _style("kop", fontName=BOLD, fontSize=10, leading=12, spaceBefore=5, spaceAfter=2)
BODY = _style("tekst", fontSize=8, leading=10)
STATEMENT = _style("signaleert", fontName=ITALIC, fontSize=7.8, leading=9.5, textColor=MUTED)
SMALL = _style("klein", fontSize=6.8, leading=8.3, textColor=MUTED)
BULLET = _style("opsomming", fontSize=7.6, leading=9.2, leftIndent=9, bulletIndent=1)
CELL = _style("cel", fontSize=7.2, leading=8.4)
CELL_BOLD = _style("celvet", fontName=BOLD, fontSize=7.2, leading=8.4)
CELL_HEAD = _style("celkop", fontName=BOLD, fontSize=6.8, leading=8, textColor=MUTED)
CELL_NUM = _style("celgetal", fontSize=7.2, leading=8.4, alignment=TA_RIGHT)
CELL_NUM_MUTED = _style(
    "celgetalgrijs", fontSize=7.2, leading=8.4, alignment=TA_RIGHT, textColor=MUTED
)
CELL_HEAD_NUM = _style(
    "celkopgetal", fontName=BOLD, fontSize=6.8, leading=8, textColor=MUTED, alignment=TA_RIGHT
)
CELL_SUB = _style("celsub", fontSize=7.2, leading=8.4, leftIndent=8, textColor=MUTED)


def draw_demo_badge(canvas: Canvas, *, demo: bool) -> None:
    """Top right of the page: a boxed 'Demodata (fictief)' when the database is the demo."""
    if not demo:
        return
    canvas.saveState()
    size = 9.0
    width = canvas.stringWidth(DEMO_TEXT, BOLD, size) + 12
    x = PAGE_WIDTH - MARGIN - width
    y = PAGE_HEIGHT - MARGIN + 4
    canvas.setFillColor(colors.white)
    canvas.setStrokeColor(INK)
    canvas.setLineWidth(1.2)
    canvas.rect(x, y, width, size + 7, stroke=1, fill=1)
    canvas.setFillColor(INK)
    canvas.setFont(BOLD, size)
    canvas.drawString(x + 6, y + 4.5, DEMO_TEXT)
    canvas.restoreState()


def draw_footer(canvas: Canvas, text: str) -> None:
    """A thin rule and one line of small text at the foot of the page."""
    canvas.saveState()
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.4)
    canvas.line(MARGIN, MARGIN - 6, PAGE_WIDTH - MARGIN, MARGIN - 6)
    canvas.setFont(FONT, 6.5)
    canvas.setFillColor(MUTED)
    canvas.drawString(MARGIN, MARGIN - 15, text.translate(_REPLACE))
    canvas.restoreState()
