"""Download buttons for aggregate tables (CSV for Dutch Excel, and XLSX). Never address data."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import auth
from dashboard.downloads import check_downloadable, csv_bytes, xlsx_bytes


@st.cache_data(show_spinner=False, max_entries=256)
def _files(table: pd.DataFrame) -> tuple[bytes, bytes]:
    """The table as CSV and XLSX, made once per table for every session (a few kB each)."""
    return csv_bytes(table), xlsx_bytes(table)


def download_buttons(table: pd.DataFrame, *, name: str, key: str) -> None:
    """Two buttons side by side: the (already disclosed) table as CSV and as XLSX.

    The files are made once per table and shared by every session: building the XLSX took
    0,35 s of every page load of Overzicht (bench/serve_to_map.py). Pages call this after the
    map, so a first visitor's map is on its way while they are made. (Files made on the click,
    ``data=callable``, failed under load: Streamlit drops a made file that no session refers
    to after two script runs of any session, and 16 of 30 visitors at once got HTTP 404,
    bench/load.py.) Short labels, so that they stay readable in a narrow column beside a map.
    """
    check_downloadable(table)
    csv, xlsx = _files(table)
    left, right = st.columns(2)
    with left:
        st.download_button(
            "CSV",
            csv,
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
            xlsx,
            file_name=f"{name}.xlsx",
            key=f"{key}_xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            icon=":material/download:",
            on_click=auth.audit_action,
            args=("download", f"{name}.xlsx"),
        )
