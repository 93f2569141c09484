"""The RPF overview PDF: a summary page, then one page per gemeente, every figure published."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from dashboard.cli_report import cmd_report
from dashboard.pdf.figures import GemeenteCijfers, load_gemeente
from dashboard.regional_report import aandachtswijken, regional_pdf
from data import store
from data.db import make_engine
from data.settings import Settings
from geo.errors import InputError
from indicators import catalogue
from indicators.disclosure import format_cell
from tests.dashboard.test_briefing import ink_share, page_count, pdf_text, row_numbers

INDICATORS = ["illegale_bewoning", "niet_gebruik"]
REGIO = ("GM0889", "GM0983", "GM1894")


@pytest.fixture(scope="module")
def engine(demo_url: str):  # type: ignore[no-untyped-def]
    eng = make_engine(demo_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="module")
def members(engine) -> list[GemeenteCijfers]:  # type: ignore[no-untyped-def]
    return [load_gemeente(engine, code, INDICATORS) for code in REGIO]


@pytest.fixture(scope="module")
def overview(engine, tmp_path_factory: pytest.TempPathFactory) -> Path:  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("regio") / "rpf.pdf"
    return regional_pdf(
        engine, regio="rpf-demo", gemeenten=[], indicators=INDICATORS, periode="2024", out=out
    )


def test_summary_page_then_one_page_per_gemeente(overview: Path, tmp_path: Path) -> None:
    assert page_count(overview) == 1 + len(REGIO)
    assert overview.stat().st_size < 300_000
    assert ink_share(overview, tmp_path) > 0.04


def test_text_names_indelingen_sources_and_peildatum(overview: Path) -> None:
    text = pdf_text(overview)
    for expected in (
        "RPF-overzicht RPF Limburg-Noord (demo)",
        "Beesel (GM0889, indeling 2014)",
        "Venlo (GM0983, indeling 2024)",
        "Peel en Maas (GM1894, indeling 2014)",
        "Demodata (fictief)",
        "CBS / Kadaster",
        "Peildatum 31-12-2024",
        "Wijk 25 Klingerberg (WK098325)",
        "Wijkgerichte aanpak Klingerberg",
        "Geen interventies vastgelegd",
        "pagina 4 van 4",
    ):
        assert expected in text
    assert text.count("Demodata (fictief)") >= 1 + len(REGIO)  # the badge on every page


def test_summary_table_shows_the_published_gemeente_values(
    overview: Path, members: list[GemeenteCijfers]
) -> None:
    summary = pdf_text(overview).split("\f")[0]
    for code in ["illegale_bewoning", "controles"]:
        expected = []
        for gem in members:
            row = gem.cell(code, gem.code, "2024")
            expected.append(format_cell(row["waarde_publ"], row["status"]))
        shown = row_numbers(summary, catalogue.get(code).naam)
        assert shown == [c for c in expected if c not in ("x", ".")]


def test_gemeente_page_compares_gemeente_and_aandachtswijk(
    overview: Path, members: list[GemeenteCijfers]
) -> None:
    venlo_page = pdf_text(overview).split("\f")[2]
    assert "Venlo (GM0983)" in venlo_page
    gem = members[1]
    # Both stages of the aanpak make an aandachtswijk: Klingerberg and Tegelen-Centrum.
    areas = ("GM0983", "WK098325", "WK098331")
    expected = [gem.value_text("niet_gebruik", area, "2024") for area in areas]
    shown = row_numbers(venlo_page, catalogue.get("niet_gebruik").naam)
    assert shown == [c for c in expected if c not in ("x", ".")]


def test_aandachtswijken_are_the_wijken_of_intervention_buurten(
    engine, members: list[GemeenteCijfers]
) -> None:  # type: ignore[no-untyped-def]
    beesel, venlo = members[0], members[1]
    interventions = store.load_interventions(engine)
    assert aandachtswijken(venlo, interventions) == {
        "WK098325": ["venlo-klingerberg-2021"],
        "WK098331": ["venlo-klingerberg-2021"],
    }
    assert aandachtswijken(beesel, interventions) == {}


def test_cli_with_gemeenten(demo_url: str, tmp_path: Path) -> None:
    out = tmp_path / "twee.pdf"
    args = argparse.Namespace(
        wijk=None,
        regio=None,
        gemeente=["GM0889,GM1894"],
        indicator=["overbewoning"],
        periode="2023",
        out=str(out),
    )
    assert cmd_report(args, Settings(db_url=demo_url)) == 0
    assert page_count(out) == 3
    assert "Regio-overzicht Beesel, Peel en Maas" in pdf_text(out)


@pytest.mark.parametrize(
    ("regio", "gemeenten", "message"),
    [("rpf-onbekend", [], "Onbekende regio"), (None, ["GM9999"], "Onbekende gemeente")],
)
def test_bad_input(
    engine, tmp_path: Path, regio: str | None, gemeenten: list[str], message: str
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match=message):
        regional_pdf(
            engine,
            regio=regio,
            gemeenten=gemeenten,
            indicators=INDICATORS,
            periode=None,
            out=tmp_path / "x.pdf",
        )
