"""One module per page, each with a single ``render()``: layout only, logic in the core."""
