"""Pure indicator core: catalogue, rates, disclosure control. No UI, no I/O."""
