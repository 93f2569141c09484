"""Widgets that several pages share."""

from __future__ import annotations

import streamlit as st


def level_choice(*, key: str) -> str:
    """``buurt`` or ``wijk``: the areas a gemeente map shows ("Kaart per Buurten/Wijken")."""
    return str(
        st.radio(
            "Kaart per",
            ["buurt", "wijk"],
            format_func=lambda v: v.capitalize() + "en",
            horizontal=True,
            key=key,
        )
    )
