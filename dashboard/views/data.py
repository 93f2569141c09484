"""Data (beheerder): upload partner deliveries and interventions, see the import and audit logs."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st
from sqlalchemy import Engine
from streamlit.runtime.uploaded_file_manager import UploadedFile

from dashboard import auth, loaders
from data.access.logs import audit_log, import_log
from data.deliveries.importer import Outcome, import_files
from data.deliveries.interventions import import_interventions
from data.settings import UploadLimits


def render() -> None:
    user = auth.require("beheerder")
    engine = loaders.engine(loaders.settings().db_url)
    st.title("Data")
    st.caption(
        "Leveringen van partners (CSV of XLSX) en interventies. Elk bestand wordt in zijn "
        "geheel geaccepteerd of geweigerd; elke poging staat in het importlog."
    )
    soort = st.radio(
        "Soort bestand",
        ["leveringen", "interventies"],
        horizontal=True,
        format_func=lambda s: "Partnerleveringen" if s == "leveringen" else "Interventies",
        key="upload_soort",
    )
    uploads = st.file_uploader(
        "Bestanden", type=["csv", "xlsx"], accept_multiple_files=True, key="uploads"
    )
    vervang = soort == "leveringen" and st.checkbox("Eerder geleverde rijen vervangen (--vervang)")
    if uploads and st.button("Importeren", type="primary"):
        with st.status("Bestanden controleren en importeren...", expanded=True) as status:
            outcomes = _import(
                engine,
                uploads,
                soort=soort,
                vervang=vervang,
                gebruiker=user.naam,
                limits=loaders.settings().upload,
            )
            for outcome in outcomes:
                _report(outcome)
            refused = sum(not o.geaccepteerd for o in outcomes)
            status.update(
                label=f"{len(outcomes) - refused} van {len(outcomes)} bestanden geaccepteerd",
                state="error" if refused else "complete",
                expanded=True,
            )
        st.cache_data.clear()  # new figures: every cached table is stale
    st.subheader("Importlog")
    st.dataframe(import_log(engine), hide_index=True, width="stretch")
    st.subheader("Auditlog")
    st.dataframe(audit_log(engine), hide_index=True, width="stretch")


def _import(
    engine: Engine,
    uploads: list[UploadedFile],
    *,
    soort: str,
    vervang: bool,
    gebruiker: str,
    limits: UploadLimits,
) -> list[Outcome]:
    """Write the uploads to a temporary folder (the importer reads files) and import them."""
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for upload in uploads:
            path = Path(folder) / Path(upload.name).name
            path.write_bytes(upload.getvalue())
            paths.append(path)
        if soort == "interventies":
            return [
                import_interventions(engine, p, gebruiker=gebruiker, limits=limits) for p in paths
            ]
        return import_files(engine, paths, vervang=vervang, gebruiker=gebruiker, limits=limits)


def _report(outcome: Outcome) -> None:
    if outcome.geaccepteerd:
        st.success(f"{outcome.bestand}: geaccepteerd ({outcome.rijen} rijen, {outcome.soort})")
        return
    n = len(outcome.problemen)
    st.error(f"{outcome.bestand}: geweigerd ({n} {'probleem' if n == 1 else 'problemen'})")
    st.markdown("\n".join(f"- {p}" for p in outcome.problemen))


if __name__ == "__main__":  # Streamlit runs a page file as __main__
    render()
