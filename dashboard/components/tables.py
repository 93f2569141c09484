"""Download buttons for aggregate tables (CSV for Dutch Excel, and XLSX). Never address data."""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from dashboard import auth
from dashboard.downloads import check_downloadable, csv_bytes, xlsx_bytes


def download_buttons(table: pd.DataFrame, *, name: str, key: str) -> None:
    """Two buttons side by side: the (already disclosed) table as CSV and as XLSX.

    The files are made when a button is clicked, not on every run: building the XLSX took
    0,35 s of each page load of Overzicht (bench/serve_to_map.py), time in which the server
    sent nothing else, for a file few visitors download. Short labels, so that they stay
    readable in a narrow column beside a map.
    """
    check_downloadable(table)  # refuse address data now, not only when clicked
    left, right = st.columns(2)
    with left:
        st.download_button("CSV", partial(csv_bytes, table), file_name=f"{name}.csv",
                           mime="text/csv", key=f"{key}_csv", icon=":material/download:",
                           on_click=auth.audit_action, args=("download", f"{name}.csv"))  # fmt: skip
    with right:
        st.download_button(
            "Excel", partial(xlsx_bytes, table), file_name=f"{name}.xlsx", key=f"{key}_xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            icon=":material/download:",
            on_click=auth.audit_action, args=("download", f"{name}.xlsx"),
        )  # fmt: skip
