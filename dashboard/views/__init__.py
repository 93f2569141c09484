"""One module per page (not named pages/: Streamlit would run that folder as its own app), each with a single ``render()``: layout only, logic in the core."""
