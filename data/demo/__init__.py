"""The deterministic demo database: Venlo (``venlo``), the region (``regio``) and the address
findings of two controleavonden (``findings``)."""
