"""Download buttons for aggregate tables (CSV for Dutch Excel, and XLSX). Never address data."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import auth
from dashboard.downloads import csv_bytes, xlsx_bytes


def download_buttons(table: pd.DataFrame, *, name: str, key: str) -> None:
    """Two buttons side by side: the (already disclosed) table as CSV and as XLSX.

    Short labels, so that they stay readable in a narrow column beside a map.
    """
    left, right = st.columns(2)
    with left:
        st.download_button(
            "CSV",
            csv_bytes(table),
            file_name=f"{name}.csv",
            mime="text/csv",
            key=f"{key}_csv",
            icon=":material/download:",
            on_click=auth.audit_action,
            args=("download", f"{name}.csv"),
        )
    with right:
        st.download_button(
            "Excel",
            xlsx_bytes(table),
            file_name=f"{name}.xlsx",
            key=f"{key}_xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            icon=":material/download:",
            on_click=auth.audit_action,
            args=("download", f"{name}.xlsx"),
        )
