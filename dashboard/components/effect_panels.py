"""Panels of the Interventies page beside the effect itself: the stages of a staggered rollout,
and the power of a planned intervention ("hoe groot moet het effect zijn om het te zien?")."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import streamlit as st

from dashboard import context, loaders
from geo.errors import InputError
from indicators import catalogue
from indicators.effects import EffectResult, nl


def cohorts(result: EffectResult) -> None:
    """The effect per stage, when the intervention started in stages."""
    if not result.cohorten:
        return
    st.markdown("**Per fase (gestapelde verschil-in-verschillen)**")
    rows = [
        {
            "Start": str(c["start"]),
            "Buurten": len(c["behandeld"]) if isinstance(c["behandeld"], list) else 0,
            "Effect": nl(_number(c.get("effect")), 2),
            "95%-interval": f"{nl(_number(c.get('ci_low')), 2)} tot {nl(_number(c.get('ci_high')), 2)}",
            "p": nl(_number(c.get("p_value")), 3),
        }
        for c in result.cohorten
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.caption(
        "Elke fase is apart geschat tegen buurten die nooit behandeld zijn; het effect hierboven "
        "is hun gewogen gemiddelde."
    )


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else math.nan


def power(selection: context.Selection, row: pd.Series, indicator: str) -> None:
    """The minimum detectable effect after 12, 24 and 36 months, for the intervention's buurten
    or a chosen set: open by default when the intervention has not started yet."""
    planned = row["start"] > date.today()
    card = catalogue.get(indicator)
    with st.expander(
        "Vóór de start: hoe groot moet het effect zijn om het te zien?", expanded=planned
    ):
        areas = loaders.areas(selection.url, selection.gemeente, selection.jaar)
        buurten = areas[areas["level"] == "buurt"].set_index("code")["name"]
        own = [b for b in row["buurtcodes"] if b in buurten.index]
        chosen = st.multiselect(
            "Buurten van de (geplande) aanpak",
            list(buurten.index),
            default=own,
            format_func=lambda c: f"{buurten[c]} ({c})",
            key="power_buurten",
        )
        if not chosen:
            st.info("Kies minstens één buurt.")
            return
        # A simulation of some seconds: automatic for a planned intervention, else on request.
        if not planned and not st.toggle("Berekenen", key="power_aan"):
            return
        try:
            result = loaders.power(
                selection.url, selection.gemeente, tuple(sorted(chosen)), indicator
            )
        except InputError as exc:
            st.info(str(exc))
            return
        columns = st.columns(len(result.result.mde))
        per_month = result.per_month()
        for column, (months, size) in zip(columns, per_month.items(), strict=True):
            shown = "niet te zien" if not math.isfinite(size) else f"{nl(size, 2)}"
            column.metric(
                f"Na {months} maanden", shown, help=f"{card.eenheid} per maand, 80% kans, 5%-niveau"
            )
        st.caption(
            f"Kleinste effect op {card.naam.lower()} ({card.eenheid} per maand) dat met 80% kans "
            "te zien is, berekend op de gepubliceerde cijfers van vóór de start. Kleinere "
            "effecten kunnen er zijn, maar zijn niet van toeval te onderscheiden."
        )
        for warning in result.result.waarschuwingen:
            st.warning(warning, icon=":material/info:")
