"""The one-page wijkbriefing PDF, rendered from the demo database and read back as text and image."""

from __future__ import annotations

import argparse
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dashboard.cli_report import DEFAULT_INDICATORS, cmd_report
from dashboard.pdf.figures import GemeenteCijfers, load_gemeente
from dashboard.pdf.trend import nice_ticks
from data.db import make_engine
from data.settings import Settings
from geo.errors import InputError
from indicators import catalogue
from indicators.disclosure import format_cell

WIJK, GEMEENTE, PERIODE = "WK098325", "GM0983", "2024"
# Checked against published_table: a hit with its own per-controle indicator, a hit with a
# computed ratio, a rate without effort, and the effort itself.
CHECKED = ["illegale_bewoning", "overbewoning", "niet_gebruik", "controles"]
NUMBER = re.compile(r"(?<![\w,.])-?\d{1,3}(?:\.\d{3})*(?:,\d+)?\*?(?![\w])")


# --- helpers shared with the regional report's tests ------------------------------------------


def pdf_text(pdf: Path, *, layout: bool = True) -> str:
    args = ["pdftotext", *(["-layout"] if layout else []), str(pdf), "-"]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))  # type: ignore[union-attr]


def ink_share(pdf: Path, tmp_path: Path, page: int = 1) -> float:
    """Share of non-white pixels of one page rendered at 60 dpi."""
    stem = tmp_path / f"pagina{page}"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", str(page), "-l", str(page), str(pdf), str(stem)],
        check=True,
    )
    png = next(tmp_path.glob(f"pagina{page}*.png"))
    pixels = np.asarray(Image.open(png).convert("L"))
    return float((pixels < 245).mean())


def row_numbers(text: str, label: str) -> list[str]:
    """The number tokens on the first table line that starts (after the spoor) with ``label``."""
    for line in text.splitlines():
        if re.search(rf"(^|\s){re.escape(label)}\s", line):
            return NUMBER.findall(line.split(label, 1)[1].split("per jaar", 1)[1])
    raise AssertionError(f"geen tabelregel voor {label!r}")


# --- the rendered briefing -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine(demo_url: str):  # type: ignore[no-untyped-def]
    eng = make_engine(demo_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="module")
def venlo(engine) -> GemeenteCijfers:  # type: ignore[no-untyped-def]
    return load_gemeente(engine, GEMEENTE, CHECKED)


@pytest.fixture(scope="module")
def briefing(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The briefing as the command line writes it (default indicators, latest year)."""
    out = tmp_path_factory.mktemp("briefing") / "klingerberg.pdf"
    args = argparse.Namespace(
        wijk=WIJK, regio=None, gemeente=None, indicator=None, periode=None, out=str(out)
    )
    assert cmd_report(args, Settings(db_url=demo_url)) == 0
    return out


def test_one_page_with_content(briefing: Path, tmp_path: Path) -> None:
    assert page_count(briefing) == 1
    assert briefing.stat().st_size < 150_000  # vector map and charts: small
    assert ink_share(briefing, tmp_path) > 0.04


def test_title_demo_attribution_and_peildatum(briefing: Path) -> None:
    text = pdf_text(briefing)
    for code in DEFAULT_INDICATORS:  # every chosen indicator has its row
        assert catalogue.get(code).naam in text
    for expected in (
        "Wijkbriefing Wijk 25 Klingerberg",
        "Demodata (fictief)",
        "CBS / Kadaster",
        "Peildatum 31-12-2024",
        "Belastingdienst t/m okt 2024",
        "verklaart geen oorzaken",
        "Drie sporen",
    ):
        assert expected in text


def _expected_row(venlo: GemeenteCijfers, code: str) -> list[str]:
    """What the sporen table must show for one indicator: published values only."""
    cells = []
    for area in (WIJK, GEMEENTE):
        row = venlo.cell(code, area, PERIODE)
        cells.append(format_cell(row["waarde_publ"], row["status"]))
    if catalogue.get(code).hit:
        for area in (WIJK, GEMEENTE):
            row = venlo.cell("controles", area, PERIODE)
            cells.append(format_cell(row["waarde_publ"], row["status"]))
        cells += [venlo.per_controle_text(code, area, PERIODE) for area in (WIJK, GEMEENTE)]
    return cells


@pytest.mark.parametrize("code", CHECKED)
def test_sporen_table_shows_exactly_the_published_cells(
    briefing: Path, venlo: GemeenteCijfers, code: str
) -> None:
    shown = row_numbers(pdf_text(briefing), catalogue.get(code).naam)
    expected = _expected_row(venlo, code)
    assert shown == [c for c in expected if c not in ("x", ".")]


def test_no_withheld_figure_is_printed(briefing: Path, venlo: GemeenteCijfers) -> None:
    """For every cell withheld in the table's period, its raw count and rate are not in the row."""
    text = pdf_text(briefing)
    for code in CHECKED:
        table = venlo.published(code)
        hidden = table[
            (table["periode"] == PERIODE)
            & table["code"].isin([WIJK, GEMEENTE])
            & (table["status"] != "")
        ]
        line = row_numbers(text, catalogue.get(code).naam)
        for row in hidden.itertuples():
            assert format_cell(row.waarde, "") not in line
            assert format_cell(row.teller, "", decimals=0) not in line


def test_effect_with_interval_and_every_warning(briefing: Path, engine) -> None:  # type: ignore[no-untyped-def]
    from data.publication.effects import effect_for_intervention

    result = effect_for_intervention(engine, "venlo-klingerberg-2021", "illegale_bewoning", "did")
    flat = " ".join(pdf_text(briefing, layout=False).split())
    interval = (
        f"{format_cell(result.effect, '', decimals=2)} per 1.000 woningen per {result.periode_per} "
        f"(95%-interval {format_cell(result.ci_low, '', decimals=2)} tot "
        f"{format_cell(result.ci_high, '', decimals=2)}"
    )
    assert interval in flat
    assert f"tegen {len(result.controle)} vergelijkingsbuurten" in flat
    assert result.waarschuwingen
    for warning in result.waarschuwingen:
        assert " ".join(warning.split()) in flat
    assert "Start aanpak sep 2021" in flat
    assert "in 2 fasen gestart op 01-09-2021, 01-09-2022" in flat
    assert "Fase vanaf 2021-Q3 (2 buurten)" in flat and "Fase vanaf 2022-Q3 (5 buurten)" in flat


def test_a_planned_intervention_shows_what_it_could_detect(demo_url: str, tmp_path: Path) -> None:
    """Before its start, a briefing gives the minimum detectable effect, not an effect."""
    import shutil
    from datetime import date

    import pandas as pd

    from dashboard.briefing import briefing_pdf
    from data import store

    copy = tmp_path / "gepland.db"
    shutil.copy(demo_url.removeprefix("sqlite:///"), copy)
    engine = make_engine(f"sqlite:///{copy}")
    with engine.begin() as conn:
        store.save_interventions(
            conn,
            pd.DataFrame(
                [
                    {
                        "id": "venlo-zuid-2025",
                        "naam": "Aanpak Venlo-Zuid",
                        "soort": "wijkaanpak",
                        "start": date(2025, 6, 1),
                        "eind": None,
                        "partners": ["gemeente"],
                        "buurtcodes": ["BU09831201", "BU09831202"],
                    }
                ]
            ),
        )
    out = briefing_pdf(
        engine,
        wijk="WK098312",
        indicators=["illegale_bewoning"],
        periode=None,
        out=tmp_path / "gepland.pdf",
    )
    engine.dispose()
    flat = " ".join(pdf_text(out, layout=False).split())
    assert "De aanpak is nog niet begonnen" in flat and "80% kans" in flat
    assert re.search(r"na 36 maanden -?\d+,\d\d", flat), flat
    assert "Geschat effect" not in flat


def test_wijk_without_intervention(demo_url: str, engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from dashboard.briefing import briefing_pdf

    out = briefing_pdf(
        engine, wijk="WK098311", indicators=["niet_gebruik"], periode="2023", out=tmp_path / "b.pdf"
    )
    text = pdf_text(out)
    assert page_count(out) == 1
    assert "geen interventie" in text and "cijfers over 2023" in text
    assert "Controles" in text  # the veiligheid spoor always shows the effort


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"wijk": "WK999999"}, "Onbekende"),
        ({"wijk": "WK098399"}, "Onbekende wijk"),
        ({"wijk": "Klingerberg"}, "Onbekende wijk"),
        ({"indicators": ["nationaliteit"]}, "Onbekende indicator"),
        ({"periode": "2024-13"}, "--periode"),
    ],
)
def test_bad_input(engine, tmp_path: Path, kwargs: dict[str, object], message: str) -> None:  # type: ignore[no-untyped-def]
    from dashboard.briefing import briefing_pdf

    call: dict[str, object] = {"wijk": WIJK, "indicators": ["controles"], "periode": None}
    call.update(kwargs)
    with pytest.raises(InputError, match=message):
        briefing_pdf(engine, out=tmp_path / "x.pdf", **call)  # type: ignore[arg-type]
    assert not (tmp_path / "x.pdf").exists()


def test_cli_refuses_two_targets(demo_url: str, tmp_path: Path) -> None:
    args = argparse.Namespace(
        wijk=WIJK,
        regio="rpf-demo",
        gemeente=None,
        indicator=None,
        periode=None,
        out=str(tmp_path / "x.pdf"),
    )
    with pytest.raises(InputError, match="precies één"):
        cmd_report(args, Settings(db_url=demo_url))


# --- the comparison buurten' line: disclosure of a group --------------------------------------


def test_nice_ticks() -> None:
    assert nice_ticks(9.3) == [0.0, 2.5, 5.0, 7.5, 10.0]
    assert nice_ticks(141.0)[-1] >= 141.0
    assert nice_ticks(0.0) == [0.0, 1.0]
