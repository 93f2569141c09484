"""The face of Wijkmonitor: Streamlit pages, maps, charts, reports and the CLI."""
