"""Adressen (analyst only): recorded findings at addresses of the own gemeente. No ranking, no
download; every view is written to the audit log."""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from dashboard import auth, context, loaders
from data.access.findings import latest_finding_date, view_findings


def render() -> None:
    user = auth.require("analist")
    selection = context.current()
    if selection is None:
        return
    st.title("Adressen: vastgelegde bevindingen")
    st.warning(
        "Dit zijn vastgelegde bevindingen (feiten uit controles), geen voorspellingen en geen "
        "risicolijst. Wijkmonitor kiest geen adressen om te controleren. Elke weergave wordt in "
        "het auditlog vastgelegd. Downloaden is niet mogelijk.",
        icon=":material/policy:",
    )
    if selection.gemeente not in user.gemeenten:
        st.error("Adresgegevens zijn alleen zichtbaar voor de eigen gemeente.")
        return
    areas = loaders.areas(selection.url, selection.gemeente, selection.jaar)
    buurten = areas[areas["level"] == "buurt"].sort_values("code")
    names = dict(zip(buurten["code"], buurten["name"], strict=True))
    buurt = st.selectbox(
        "Buurt",
        [None, *names],
        key="adres_buurt",
        format_func=lambda c: "Alle buurten" if c is None else f"{names[c]} ({c})",
    )
    engine = loaders.engine(selection.url)
    newest = latest_finding_date(engine, selection.gemeente) or date.today()
    chosen = st.date_input(
        "Periode",
        value=(newest - timedelta(days=365), newest),
        format="DD-MM-YYYY",
        key="adres_periode",
    )
    if not isinstance(chosen, tuple) or len(chosen) != 2:
        st.info("Kies een begin- en einddatum.")
        return
    van, tot = chosen
    findings = view_findings(
        engine, user, gemeente=selection.gemeente, buurtcode=buurt, van=van, tot=tot
    )
    st.caption(f"{len(findings)} bevindingen, op datum gesorteerd.")
    if findings.empty:
        st.info("Geen bevindingen in deze periode.")
        return
    shown = findings.assign(datum=findings["datum"].map(lambda d: d.strftime("%d-%m-%Y")))
    # st.table, not st.dataframe: a static table has no download button.
    st.table(shown.fillna("").astype(str).set_index("datum"))


if __name__ == "__main__":  # Streamlit runs a page file as __main__
    render()
