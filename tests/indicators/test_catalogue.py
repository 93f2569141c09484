"""The catalogue: the contract's codes, complete cards, and the docs generated from it."""

from __future__ import annotations

from pathlib import Path

from indicators import catalogue

CONTRACT_CODES = {
    "controles",
    "illegale_bewoning",
    "illegale_bewoning_per_controle",
    "woningsplitsing",
    "brandonveilig",
    "overbewoning",
    "brp_afwijking",
    "arbeidsmigranten",
    "uitkering_afwijking",
    "toeslag_afwijking",
    "niet_gebruik",
    "eigenaar_concentratie",
    "doorverwijzing_zorg",
}


def test_codes_are_the_contracts() -> None:
    assert set(catalogue.CODES) == CONTRACT_CODES


def test_every_card_is_complete() -> None:
    for card in catalogue.CATALOGUE:
        assert card.spoor in catalogue.SPOREN
        assert set(card.bronnen) <= set(catalogue.BRONNEN)
        assert card.noemer in (*catalogue.DENOMINATORS, "controles", "geleverd")
        for text in (
            card.definitie,
            card.teller,
            card.noemer_omschrijving,
            card.wettelijke_grondslag,
            card.bekende_vertekeningen,
        ):
            assert len(text) > 10, card.code
        assert card.openbaarmaking.startswith(catalogue.DISCLOSURE_RULE)
        # a delivered noemer is a count of its own, protected with its teller
        delivered = catalogue.DELIVERED_NOEMER_RULE in card.openbaarmaking
        assert delivered == (card.noemer == "geleverd"), card.code


def test_arbeidsmigranten_is_never_in_a_composite() -> None:
    assert not catalogue.get("arbeidsmigranten").in_samengestelde_score


def test_every_signal_counts_toward_a_catalogue_code() -> None:
    assert set(catalogue.SIGNAL_INDICATOR.values()) <= set(catalogue.CODES)
    assert catalogue.SIGNAL_INDICATOR["controle"] == "controles"


def test_docs_are_generated_from_the_catalogue() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "indicatoren.md"
    assert docs.read_text(encoding="utf-8") == catalogue.cards_markdown(), (
        "docs/indicatoren.md is stale: run python -m indicators.catalogue > docs/indicatoren.md"
    )
