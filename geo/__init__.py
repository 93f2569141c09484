"""Pure geometry core: CRS rules, CBS area frames, address assignment. No UI, no I/O."""
