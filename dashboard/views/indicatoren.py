"""Indicatoren: every indicator's card, in the spirit of the Algoritmeregister."""

from __future__ import annotations

import streamlit as st

from dashboard import auth
from dashboard.context import SIGNALS_STATEMENT
from indicators import catalogue


def render() -> None:
    auth.require()
    st.title("Indicatoren")
    st.info(SIGNALS_STATEMENT)
    for spoor in catalogue.SPOREN:
        st.header(spoor.capitalize())
        for card in (c for c in catalogue.CATALOGUE if c.spoor == spoor):
            with st.expander(f"{card.naam} (`{card.code}`)"):
                st.markdown(
                    f"**Definitie:** {card.definitie}  \n"
                    f"**Teller:** {card.teller}  \n"
                    f"**Noemer:** {card.noemer_omschrijving}  \n"
                    f"**Eenheid:** {card.eenheid}  \n"
                    f"**Richting:** {'hoger is slechter' if card.hoger_is_slechter else 'hoger is niet slechter'}  \n"
                    f"**Bronnen:** {', '.join(card.bronnen)}  \n"
                    f"**Wettelijke grondslag:** {card.wettelijke_grondslag}  \n"
                    f"**Openbaarmaking:** {card.openbaarmaking}  \n"
                    f"**Bekende vertekeningen:** {card.bekende_vertekeningen}"
                )


if __name__ == "__main__":  # Streamlit runs a page file as __main__
    render()
