"""Write a report: each page's flowables shrunk to fit one A4 page, badge and footer on each."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reportlab.platypus import Flowable, KeepInFrame, PageBreak, SimpleDocTemplate

from dashboard.pdf import style


def write_pdf(
    out: Path, pages: Sequence[list[Flowable]], *, title: str, demo: bool, footer: str
) -> Path:
    """Write ``pages`` to ``out``: exactly one A4 page each (content shrinks rather than spills).

    Every page gets the 'Demodata (fictief)' badge when ``demo`` and a footer line with
    ``footer``, the page number and the CBS / Kadaster attribution.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    doc = SimpleDocTemplate(
        str(out),
        pagesize=(style.PAGE_WIDTH, style.PAGE_HEIGHT),
        leftMargin=style.MARGIN,
        rightMargin=style.MARGIN,
        topMargin=style.MARGIN + 4,
        bottomMargin=style.MARGIN + 2,
        title=title,
        author="Wijkmonitor",
        subject="Demodata (fictief)" if demo else "Wijkmonitor",
        lang="nl-NL",
    )
    story: list[Flowable] = []
    for i, page in enumerate(pages):
        if i:
            story.append(PageBreak())
        story.append(KeepInFrame(doc.width, doc.height - 4, page, mode="shrink"))
    total = len(pages)

    def decorate(canvas: Any, current: Any) -> None:
        style.draw_demo_badge(canvas, demo=demo)
        number = f" · pagina {current.page} van {total}" if total > 1 else ""
        style.draw_footer(canvas, f"{footer}{number} · {style.ATTRIBUTION}")

    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return out
